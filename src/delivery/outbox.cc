#include "delivery/outbox.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "core/time.h"
#include "delivery/package.h"
#include "delivery/receipt.h"
#include "delivery/visibility.h"

namespace forewarn::delivery {
namespace {

using nlohmann::json;

json TimeOrNull(const std::optional<TimePoint>& t) {
  return t ? json(FormatTime(*t)) : json(nullptr);
}

tl::unexpected<Error> DeliveryNotFound(const std::string& id) {
  return Fail(ErrorCode::kNotFound, fmt::format("delivery {} not found", id.substr(0, 64)));
}

bool IsActive(const Partner& p) { return p.status == PartnerStatus::kActive; }

// The artifact forms `gate` delivers of `revision` to a partner, by id.
std::set<std::string> DeliveredIds(const VisibilityGate& gate, const policy::Facts& facts,
                                   const std::vector<Artifact>& artifacts) {
  std::set<std::string> ids;
  for (const auto& group : GroupArtifacts(*facts.revision, artifacts)) {
    if (const Artifact* chosen = gate.DeliveredForm(facts, group)) ids.insert(chosen->id);
  }
  return ids;
}

// The seconds of `t` since the Unix epoch (webhook timestamps).
int64_t UnixSeconds(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

std::string OneLine(std::string text, size_t max = 300) {
  std::replace(text.begin(), text.end(), '\n', ' ');
  std::replace(text.begin(), text.end(), '\r', ' ');
  if (text.size() > max) text = text.substr(0, max) + "...";
  return text;
}

// What every ledger entry about a delivery names, plus `extra`.
json DeliveryFacts(const Delivery& d, json extra) {
  extra["partner"] = d.partner_id;
  extra["advisory"] = d.advisory_id;
  extra["revision"] = d.revision;
  extra["trigger"] = d.trigger;
  return extra;
}

// The partner whose webhook an operator changes: kNotFound, or kFailedPrecondition if it has
// no webhook.
Result<std::optional<Partner>> PartnerWithWebhook(store::Transaction& tx,
                                                  const std::string& partner_id) {
  FW_ASSIGN_OR_RETURN(auto partner, tx.FindPartner(partner_id));
  if (!partner) {
    return Fail(ErrorCode::kNotFound,
                fmt::format("partner {} not found", partner_id.substr(0, 64)));
  }
  if (partner->webhook_url.empty()) {
    return Fail(ErrorCode::kFailedPrecondition,
                fmt::format("partner {} has no webhook", partner_id));
  }
  return partner;
}

}  // namespace

json DeliveryJson(const Delivery& d) {
  return {
      {"id", d.id},
      {"partner", d.partner_id},
      {"advisory", d.advisory_id},
      {"revision", d.revision},
      {"trigger", d.trigger},
      {"state", ToString(d.state)},
      {"attempts", d.attempts},
      {"created_at", FormatTime(d.created_at)},
      {"next_attempt_at",
       d.state == DeliveryState::kPending ? json(FormatTime(d.next_attempt_at)) : json(nullptr)},
      {"last_attempt_at", TimeOrNull(d.last_attempt_at)},
      {"last_error", d.last_error},
      {"delivered_at", TimeOrNull(d.delivered_at)},
      {"package_sha256", d.package_sha256},
      {"ledger_index", d.ledger_index ? json(*d.ledger_index) : json(nullptr)},
      {"acknowledged_at", TimeOrNull(d.acknowledged_at)},
      {"acknowledged_via", d.acknowledged_via},
      {"cancel_reason", d.cancel_reason}};
}

std::string WebhookGenerationSetting(std::string_view partner_id) {
  return fmt::format("webhook.generation/{}", partner_id);
}

Status ValidateWebhookUrl(std::string_view url) {
  if (url.size() > 2048) {
    return Fail(ErrorCode::kInvalidArgument, "webhook url is too long (at most 2048 bytes)");
  }
  std::string_view rest;
  if (url.starts_with("https://")) {
    rest = url.substr(8);
  } else if (url.starts_with("http://")) {
    rest = url.substr(7);
  } else {
    return Fail(ErrorCode::kInvalidArgument, "webhook url must start with http:// or https://");
  }
  const std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  if (authority.empty() || authority.front() == ':') {
    return Fail(ErrorCode::kInvalidArgument, "webhook url has no host");
  }
  if (authority.find('@') != std::string_view::npos) {
    return Fail(ErrorCode::kInvalidArgument,
                "webhook url must not carry user info (use the signing secret instead)");
  }
  if (url.find('#') != std::string_view::npos) {
    return Fail(ErrorCode::kInvalidArgument, "webhook url must not have a fragment");
  }
  for (char c : url) {
    if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7f) {
      return Fail(ErrorCode::kInvalidArgument,
                  "webhook url must be printable ASCII without spaces (percent-encode the rest)");
    }
  }
  return {};
}

Outbox::Outbox(store::Store& store, const ledger::Ledger& ledger, const Clock& clock,
               crypto::Random& random, const crypto::ProgramKeys& keys, const PullService& pull,
               WebhookSender sender, OutboxConfig config)
    : store_(store),
      ledger_(ledger),
      clock_(clock),
      random_(random),
      keys_(keys),
      pull_(pull),
      sender_(std::move(sender)),
      config_(std::move(config)) {
  config_.batch = std::max<size_t>(config_.batch, 1);
  config_.parallelism = std::max(config_.parallelism, 1);
}

// --- enqueueing ---

Status Outbox::Enqueue(store::Transaction& tx, const std::string& partner_id,
                       const std::string& advisory_id, int revision,
                       const std::string& trigger) const {
  const TimePoint now = clock_.Now();
  Delivery d{.id = crypto::NewId(random_, "dlv"),
             .partner_id = partner_id,
             .advisory_id = advisory_id,
             .revision = revision,
             .trigger = trigger,
             .state = DeliveryState::kPending,
             .created_at = now,
             .next_attempt_at = now};
  FW_ASSIGN_OR_RETURN(const bool inserted, tx.InsertDelivery(d));
  (void)inserted;  // already enqueued by an earlier run of the same change: nothing to do
  return {};
}

Status Outbox::EnqueueWave(store::Transaction& tx, const Release& release) const {
  if (release.kind != ReleaseKind::kWave) return {};
  FW_ASSIGN_OR_RETURN(auto partners,
                      tx.ListPartners({.status = PartnerStatus::kActive, .tier = release.tier}));
  for (const auto& partner : partners) {
    if (partner.webhook_url.empty()) continue;
    FW_TRY(Enqueue(tx, partner.id, release.advisory_id, release.revision, "wave"));
  }
  return {};
}

Status Outbox::EnqueueTermsAccepted(store::Transaction& tx, const Partner& partner,
                                    const std::string& advisory_id, int revision) const {
  if (partner.webhook_url.empty() || !IsActive(partner)) return {};
  return Enqueue(tx, partner.id, advisory_id, revision, "terms");
}

Status Outbox::EnqueuePolicyGrants(store::Transaction& tx, const policy::Policy& before,
                                   const policy::Policy& after, int version) const {
  const TimePoint now = clock_.Now();
  // Shared pointers without ownership: the policies outlive this call.
  const VisibilityGate old_gate(std::shared_ptr<const policy::Policy>(&before, [](auto*) {}));
  const VisibilityGate new_gate(std::shared_ptr<const policy::Policy>(&after, [](auto*) {}));
  // This runs inside the applying transaction: each advisory and revision is read once, not
  // once per partner.
  struct Loaded {
    std::optional<Advisory> advisory;
    std::vector<Release> releases;
    std::vector<Artifact> artifacts;
    std::map<int, std::optional<Revision>> revisions;
  };
  std::map<std::string, Loaded> loaded;
  std::map<std::string, std::vector<std::string>> opened_for_tier;
  FW_ASSIGN_OR_RETURN(auto partners, tx.ListPartners({.status = PartnerStatus::kActive}));
  const std::string trigger = fmt::format("policy-{}", version);
  for (const auto& partner : partners) {
    if (partner.webhook_url.empty()) continue;
    if (!opened_for_tier.contains(partner.tier)) {
      FW_ASSIGN_OR_RETURN(opened_for_tier[partner.tier],
                          tx.ListAdvisoriesOpenedFor(partner.tier, now));
    }
    for (const auto& advisory_id : opened_for_tier[partner.tier]) {
      auto [it, fresh] = loaded.try_emplace(advisory_id);
      Loaded& l = it->second;
      if (fresh) {
        FW_ASSIGN_OR_RETURN(l.advisory, tx.FindAdvisory(advisory_id));
        FW_ASSIGN_OR_RETURN(l.releases, tx.ListReleases(advisory_id));
        FW_ASSIGN_OR_RETURN(l.artifacts, tx.ListArtifacts(advisory_id));
      }
      if (!l.advisory || l.advisory->withdrawn_at) continue;
      const auto number = EmbargoRevision(partner, *l.advisory, l.releases, now);
      if (!number) continue;
      if (!l.revisions.contains(*number)) {
        FW_ASSIGN_OR_RETURN(l.revisions[*number], tx.FindRevision(advisory_id, *number));
      }
      const auto& revision = l.revisions[*number];
      if (!revision) continue;
      const auto new_facts = new_gate.FactsFor(partner, *l.advisory, *revision, l.releases, now);
      if (!new_gate.MaySee(new_facts)) continue;
      const auto old_facts = old_gate.FactsFor(partner, *l.advisory, *revision, l.releases, now);
      bool grants = !old_gate.MaySee(old_facts);
      if (!grants) {
        const auto gained = DeliveredIds(new_gate, new_facts, l.artifacts);
        const auto had = DeliveredIds(old_gate, old_facts, l.artifacts);
        grants = !std::includes(had.begin(), had.end(), gained.begin(), gained.end());
      }
      if (grants) {
        FW_TRY(Enqueue(tx, partner.id, advisory_id, *number, trigger));
      }
    }
  }
  return {};
}

// --- the worker ---

Result<std::vector<Delivery>> Outbox::Claim(TimePoint now) const {
  FW_ASSIGN_OR_RETURN(auto tx, store_.Begin(store::TxMode::kWrite));
  FW_ASSIGN_OR_RETURN(auto due, tx->ListDueDeliveries(now, config_.batch));
  for (auto& d : due) {
    d.state = DeliveryState::kSending;
    d.lease_until = now + config_.lease;
    d.claim_token = crypto::Hex(crypto::RandomBytes(random_, 16));
    FW_TRY(tx->UpdateDelivery(d));
  }
  FW_TRY(tx->Commit());
  return due;
}

Result<size_t> Outbox::ReleaseOrphanedClaims() const {
  const TimePoint now = clock_.Now();
  FW_ASSIGN_OR_RETURN(auto tx, store_.Begin(store::TxMode::kWrite));
  FW_ASSIGN_OR_RETURN(auto sending,
                      tx->ListDeliveries({.state = DeliveryState::kSending, .limit = 1000000}));
  for (auto& d : sending) {
    d.state = DeliveryState::kPending;
    d.next_attempt_at = std::min(d.next_attempt_at, now);
    d.lease_until.reset();
    d.claim_token.clear();
    FW_TRY(tx->UpdateDelivery(d));
  }
  FW_TRY(tx->Commit());
  return sending.size();
}

Result<std::optional<TimePoint>> Outbox::NextDue() const {
  FW_ASSIGN_OR_RETURN(auto tx, store_.Begin(store::TxMode::kRead));
  return tx->NextDeliveryDue();
}

Result<DispatchStats> Outbox::RunOnce() const {
  FW_ASSIGN_OR_RETURN(auto claimed, Claim(clock_.Now()));
  DispatchStats stats;
  stats.claimed = claimed.size();
  if (claimed.empty()) return stats;
  std::mutex stats_mutex;
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i = next++; i < claimed.size(); i = next++) {
      Attempt(std::move(claimed[i]), stats, stats_mutex);
    }
  };
  const size_t threads = std::min(claimed.size(), static_cast<size_t>(config_.parallelism)) - 1;
  std::vector<std::thread> pool;
  pool.reserve(threads);
  for (size_t i = 0; i < threads; ++i) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  return stats;
}

// Re-reads the claimed row in `tx`: nullopt when another worker took it over (its lease ran
// out) or it changed state meanwhile (cancelled by a suspension).
static Result<std::optional<Delivery>> StillClaimed(store::Transaction& tx,
                                                    const Delivery& claimed) {
  FW_ASSIGN_OR_RETURN(auto current, tx.FindDelivery(claimed.id));
  if (!current || current->state != DeliveryState::kSending ||
      current->claim_token != claimed.claim_token) {
    return std::optional<Delivery>();
  }
  return current;
}

void Outbox::Attempt(Delivery d, DispatchStats& stats, std::mutex& stats_mutex) const {
  auto count = [&](size_t DispatchStats::*field) {
    std::lock_guard lock(stats_mutex);
    ++(stats.*field);
  };
  // A store error leaves the row claimed: its lease runs out and a later run tries again.
  auto note_error = [&](const Error& error) {
    std::lock_guard lock(stats_mutex);
    ++stats.errors;
    stats.last_error = error.message;
  };
  const TimePoint now = clock_.Now();
  // Decide at send time, with the partner and policy of this moment.
  Partner partner;
  WebhookRequest request;
  std::string package_sha256;
  {
    auto tx = store_.Begin(store::TxMode::kRead);
    if (!tx) return note_error(tx.error());
    auto found = (*tx)->FindPartner(d.partner_id);
    if (!found) return note_error(found.error());
    std::string cancel_reason;
    if (!*found) {
      cancel_reason = "partner no longer exists";
    } else if (!IsActive(**found)) {
      cancel_reason = fmt::format("partner is {}", ToString((*found)->status));
    } else if ((*found)->webhook_url.empty()) {
      cancel_reason = "partner has no webhook";
    }
    std::optional<PackageContent> content;
    if (cancel_reason.empty()) {
      partner = **found;
      auto payload = pull_.PackagePayload(**tx, partner, d.advisory_id, now, d.id);
      if (!payload) return note_error(payload.error());
      content = std::move(*payload);
      if (!content) {
        cancel_reason = "the advisory is no longer visible to the partner (policy or embargo)";
      } else if (content->revision != d.revision) {
        cancel_reason = fmt::format("superseded by revision {}", content->revision);
      }
    }
    if (!cancel_reason.empty()) {
      tx->reset();
      if (auto cancelled = Cancel(d, cancel_reason); !cancelled)
        return note_error(cancelled.error());
      count(&DispatchStats::cancelled);
      return;
    }
    auto generation = WebhookGeneration(**tx, partner.id);
    if (!generation) return note_error(generation.error());
    std::string body = SignPackage(content->payload, keys_.signing);
    if (!partner.x25519_public_key.empty()) {
      auto key = crypto::FromBase64(partner.x25519_public_key);
      auto sealed =
          key ? SealPackage(body, *key, random_) : Result<std::string>(tl::unexpected(key.error()));
      if (!sealed) {
        // Nothing was sent; the operator sees why on the delivery and can fix the key.
        auto failed = MarkAttemptFailed(
            d, OneLine("cannot seal to the partner's X25519 key: " + sealed.error().message));
        if (!failed) return note_error(failed.error());
        count(*failed ? &DispatchStats::failed : &DispatchStats::retried);
        return;
      }
      body = std::move(*sealed);
    }
    package_sha256 = crypto::Hex(crypto::Sha256(body));
    std::string secret = WebhookSecret(keys_.program_secret, partner.id, *generation);
    const int64_t timestamp = UnixSeconds(now);
    request.url = partner.webhook_url;
    request.timeout = config_.timeout;
    request.headers = {
        {"Content-Type", "application/json"},
        {std::string(kWebhookEventHeader), "advisory.package"},
        {std::string(kWebhookDeliveryHeader), d.id},
        {std::string(kIdempotencyKeyHeader), d.id},
        {std::string(kWebhookTimestampHeader), std::to_string(timestamp)},
        {std::string(kWebhookSignatureHeader), WebhookSignature(secret, timestamp, body)}};
    crypto::Wipe(secret);
    request.body = std::move(body);
  }
  auto response = sender_(request);
  std::string error;
  if (!response) {
    error = OneLine(response.error().message);
  } else if (response->status < 200 || response->status > 299) {
    error = response->status >= 300 && response->status < 400
                ? fmt::format("HTTP {} (redirects are not followed)", response->status)
                : fmt::format("HTTP {}", response->status);
  }
  if (error.empty()) {
    auto marked = MarkDelivered(d, package_sha256, partner, *response);
    if (!marked) return note_error(marked.error());
    count(&DispatchStats::delivered);
    return;
  }
  auto failed = MarkAttemptFailed(d, error);
  if (!failed) return note_error(failed.error());
  count(*failed ? &DispatchStats::failed : &DispatchStats::retried);
}

Status Outbox::Cancel(const Delivery& claimed, const std::string& reason) const {
  FW_ASSIGN_OR_RETURN(auto tx, store_.Begin(store::TxMode::kWrite));
  FW_ASSIGN_OR_RETURN(auto current, StillClaimed(*tx, claimed));
  if (!current) return {};
  current->state = DeliveryState::kCancelled;
  current->cancel_reason = reason;
  current->lease_until.reset();
  current->claim_token.clear();
  FW_TRY(tx->UpdateDelivery(*current));
  FW_TRY(ledger_.Append(*tx, {.type = "delivery.cancelled",
                              .actor = "outbox",
                              .subject = current->id,
                              .details = DeliveryFacts(*current, {{"reason", reason}})}));
  return tx->Commit();
}

Status Outbox::MarkDelivered(const Delivery& claimed, const std::string& package_sha256,
                             const Partner& partner, const WebhookResponse& response) const {
  const TimePoint now = clock_.Now();
  FW_ASSIGN_OR_RETURN(auto tx, store_.Begin(store::TxMode::kWrite));
  FW_ASSIGN_OR_RETURN(auto current, StillClaimed(*tx, claimed));
  if (!current) return {};
  current->state = DeliveryState::kDelivered;
  current->attempts += 1;
  current->last_attempt_at = now;
  current->delivered_at = now;
  current->last_error.clear();
  current->lease_until.reset();
  current->claim_token.clear();
  current->package_sha256 = package_sha256;
  FW_ASSIGN_OR_RETURN(
      auto sent, ledger_.Append(*tx, {.type = "delivery.sent",
                                      .actor = "outbox",
                                      .subject = current->advisory_id,
                                      .details = {{"delivery", current->id},
                                                  {"partner", partner.id},
                                                  {"advisory", current->advisory_id},
                                                  {"revision", current->revision},
                                                  {"trigger", current->trigger},
                                                  {"attempt", current->attempts},
                                                  {"sealed", !partner.x25519_public_key.empty()}},
                                      .payload_sha256 = package_sha256}));
  current->ledger_index = sent.index;
  // A receiver may answer with an acknowledgement signed by the partner's Ed25519 key.
  if (response.body.size() <= config_.max_response_bytes && !partner.ed25519_public_key.empty()) {
    auto ack =
        VerifyAckBody(response.body, partner.ed25519_public_key, current->id, package_sha256);
    if (ack && *ack) {
      current->acknowledged_at = now;
      current->acknowledged_via = "webhook";
      FW_TRY(ledger_.Append(*tx, {.type = "delivery.acknowledged",
                                  .actor = fmt::format("partner:{}", partner.id),
                                  .subject = current->id,
                                  .details = DeliveryFacts(*current, {{"via", "webhook"}}),
                                  .payload_sha256 = package_sha256}));
    } else if (!ack) {
      current->last_error = OneLine("acknowledgement rejected: " + ack.error().message);
    }
  }
  FW_TRY(tx->UpdateDelivery(*current));
  return tx->Commit();
}

Result<bool> Outbox::MarkAttemptFailed(const Delivery& claimed, const std::string& error) const {
  const TimePoint now = clock_.Now();
  FW_ASSIGN_OR_RETURN(auto tx, store_.Begin(store::TxMode::kWrite));
  FW_ASSIGN_OR_RETURN(auto current, StillClaimed(*tx, claimed));
  if (!current) return false;
  current->attempts += 1;
  current->last_attempt_at = now;
  current->last_error = error;
  current->lease_until.reset();
  current->claim_token.clear();
  // The horizon runs from when the delivery was enqueued; past it, a failure is final (an
  // operator's retry of a failed delivery is one more attempt).
  if (now - current->created_at >= config_.retry.horizon) {
    current->state = DeliveryState::kFailed;
    FW_TRY(tx->UpdateDelivery(*current));
    FW_TRY(ledger_.Append(*tx, {.type = "delivery.failed",
                                .actor = "outbox",
                                .subject = current->id,
                                .details = DeliveryFacts(*current, {{"attempts", current->attempts},
                                                                    {"last_error", error}})}));
    Alert alert{.id = crypto::NewId(random_, "alr"),
                .partner_id = current->partner_id,
                .kind = AlertKind::kDeliveryFailed,
                .state = AlertState::kOpen,
                .summary = fmt::format("push delivery {} of {} revision {} gave up after {} "
                                       "attempts: {}",
                                       current->id, current->advisory_id, current->revision,
                                       current->attempts, error),
                .evidence = json{{"delivery", current->id},
                                 {"advisory", current->advisory_id},
                                 {"revision", current->revision},
                                 {"attempts", current->attempts},
                                 {"first_due", FormatTime(current->created_at)},
                                 {"last_error", error}}
                                .dump(),
                .raised_at = now,
                .updated_at = now};
    FW_TRY(tx->InsertAlert(alert));
    FW_TRY(ledger_.Append(*tx, {.type = "alert.raised",
                                .actor = "outbox",
                                .subject = alert.id,
                                .details = {{"partner", alert.partner_id},
                                            {"kind", ToString(alert.kind)},
                                            {"delivery", current->id}}}));
    FW_TRY(tx->Commit());
    return true;
  }
  current->state = DeliveryState::kPending;
  current->next_attempt_at = now + RetryDelay(current->attempts, config_.retry, random_);
  FW_TRY(tx->UpdateDelivery(*current));
  FW_TRY(tx->Commit());
  return false;
}

Result<int> Outbox::WebhookGeneration(store::Transaction& tx, const std::string& partner_id) const {
  FW_ASSIGN_OR_RETURN(auto text, tx.GetSetting(WebhookGenerationSetting(partner_id)));
  int generation = 0;
  if (text) {
    auto [ptr, ec] = std::from_chars(text->data(), text->data() + text->size(), generation);
    if (ec != std::errc() || ptr != text->data() + text->size() || generation < 0) {
      return Fail(ErrorCode::kInternal,
                  fmt::format("webhook generation of partner {} is damaged", partner_id));
    }
  }
  return generation;
}

// --- the operator's and the partner's view ---

Result<std::vector<Delivery>> Outbox::List(const Principal& caller,
                                           store::DeliveryFilter filter) const {
  if (caller.IsPartner()) {
    FW_TRY(Authorize(caller, Action::kPartnerView));
    filter.partner_id = caller.partner_id;
    // A partner sees what it received, never what is queued or was cancelled: those rows can
    // name an advisory the policy hides from it.
    if (filter.state && *filter.state != DeliveryState::kDelivered) {
      return std::vector<Delivery>{};
    }
    filter.state = DeliveryState::kDelivered;
  } else {
    FW_TRY(Authorize(caller, Action::kDeliveryRead));
  }
  if (filter.limit == 0 || filter.limit > 10000) {
    return Fail(ErrorCode::kInvalidArgument, "limit must be between 1 and 10000");
  }
  FW_ASSIGN_OR_RETURN(auto tx, store_.Begin(store::TxMode::kRead));
  return tx->ListDeliveries(filter);
}

Result<Delivery> Outbox::Get(const Principal& caller, const std::string& id) const {
  if (caller.IsPartner()) {
    FW_TRY(Authorize(caller, Action::kPartnerView));
  } else {
    FW_TRY(Authorize(caller, Action::kDeliveryRead));
  }
  FW_ASSIGN_OR_RETURN(auto tx, store_.Begin(store::TxMode::kRead));
  FW_ASSIGN_OR_RETURN(auto found, tx->FindDelivery(id));
  if (!found || (caller.IsPartner() && (found->partner_id != caller.partner_id ||
                                        found->state != DeliveryState::kDelivered))) {
    return DeliveryNotFound(id);
  }
  return std::move(*found);
}

Result<Delivery> Outbox::Retry(const Principal& caller, const std::string& id) const {
  FW_TRY(Authorize(caller, Action::kDeliveryWrite));
  const TimePoint now = clock_.Now();
  FW_ASSIGN_OR_RETURN(auto tx, store_.Begin(store::TxMode::kWrite));
  FW_ASSIGN_OR_RETURN(auto found, tx->FindDelivery(id));
  if (!found) return DeliveryNotFound(id);
  Delivery d = std::move(*found);
  if (d.state != DeliveryState::kPending && d.state != DeliveryState::kFailed) {
    return Fail(ErrorCode::kFailedPrecondition,
                fmt::format("delivery {} is {}: only pending or failed deliveries can be retried",
                            id, ToString(d.state)));
  }
  const DeliveryState from = d.state;
  d.state = DeliveryState::kPending;
  d.next_attempt_at = now;
  FW_TRY(tx->UpdateDelivery(d));
  FW_TRY(ledger_.Append(
      *tx, {.type = "delivery.retried",
            .actor = caller.Actor(),
            .subject = d.id,
            .details = DeliveryFacts(d, {{"from", ToString(from)}, {"attempts", d.attempts}})}));
  FW_TRY(tx->Commit());
  return d;
}

Result<Delivery> Outbox::Acknowledge(const Principal& caller, const std::string& id) const {
  FW_TRY(Authorize(caller, Action::kPartnerView));
  const TimePoint now = clock_.Now();
  FW_ASSIGN_OR_RETURN(auto tx, store_.Begin(store::TxMode::kWrite));
  FW_ASSIGN_OR_RETURN(auto found, tx->FindDelivery(id));
  // Only its own delivered packages exist for a partner (see List).
  if (!found || found->partner_id != caller.partner_id ||
      found->state != DeliveryState::kDelivered) {
    return DeliveryNotFound(id);
  }
  Delivery d = std::move(*found);
  if (d.acknowledged_at) return d;
  d.acknowledged_at = now;
  d.acknowledged_via = "api";
  FW_TRY(tx->UpdateDelivery(d));
  FW_TRY(ledger_.Append(*tx, {.type = "delivery.acknowledged",
                              .actor = caller.Actor(),
                              .subject = d.id,
                              .details = DeliveryFacts(d, {{"via", "api"}}),
                              .payload_sha256 = d.package_sha256}));
  FW_TRY(tx->Commit());
  return d;
}

Result<json> Outbox::Receipt(const Principal& caller, const std::string& id) const {
  FW_ASSIGN_OR_RETURN(auto d, Get(caller, id));
  if (d.state != DeliveryState::kDelivered) {
    return Fail(ErrorCode::kFailedPrecondition,
                fmt::format("delivery {} is {}: receipts exist for delivered packages only", id,
                            ToString(d.state)));
  }
  FW_ASSIGN_OR_RETURN(auto tx, store_.Begin(store::TxMode::kWrite));
  FW_ASSIGN_OR_RETURN(auto receipt, BuildReceipt(*tx, ledger_, d, keys_.signing.public_key));
  FW_TRY(tx->Commit());
  return receipt;
}

Result<std::vector<int64_t>> Outbox::Counts() const {
  FW_ASSIGN_OR_RETURN(auto tx, store_.Begin(store::TxMode::kRead));
  return tx->CountDeliveries();
}

// --- webhooks ---

Result<WebhookSetup> Outbox::SetWebhook(const Principal& caller, const std::string& partner_id,
                                        const std::string& url) const {
  FW_TRY(Authorize(caller, Action::kDeliveryWrite));
  FW_TRY(ValidateWebhookUrl(url));
  FW_ASSIGN_OR_RETURN(auto tx, store_.Begin(store::TxMode::kWrite));
  FW_ASSIGN_OR_RETURN(auto partner, tx->FindPartner(partner_id));
  if (!partner) {
    return Fail(ErrorCode::kNotFound,
                fmt::format("partner {} not found", partner_id.substr(0, 64)));
  }
  if (partner->status == PartnerStatus::kRemoved) {
    return Fail(ErrorCode::kFailedPrecondition, fmt::format("partner {} was removed", partner_id));
  }
  FW_ASSIGN_OR_RETURN(const int generation, WebhookGeneration(*tx, partner_id));
  partner->webhook_url = url;
  partner->updated_at = clock_.Now();
  FW_TRY(tx->UpdatePartner(*partner));
  FW_TRY(ledger_.Append(*tx, {.type = "webhook.approved",
                              .actor = caller.Actor(),
                              .subject = partner_id,
                              .details = {{"url", url}, {"generation", generation}}}));
  FW_TRY(tx->Commit());
  return WebhookSetup{.partner_id = partner_id,
                      .url = url,
                      .generation = generation,
                      .secret = WebhookSecret(keys_.program_secret, partner_id, generation)};
}

Result<WebhookSetup> Outbox::RotateWebhookSecret(const Principal& caller,
                                                 const std::string& partner_id) const {
  FW_TRY(Authorize(caller, Action::kDeliveryWrite));
  FW_ASSIGN_OR_RETURN(auto tx, store_.Begin(store::TxMode::kWrite));
  FW_ASSIGN_OR_RETURN(auto partner, PartnerWithWebhook(*tx, partner_id));
  FW_ASSIGN_OR_RETURN(const int previous, WebhookGeneration(*tx, partner_id));
  const int generation = previous + 1;
  FW_TRY(tx->PutSetting(WebhookGenerationSetting(partner_id), std::to_string(generation)));
  FW_TRY(ledger_.Append(*tx, {.type = "webhook.rotated",
                              .actor = caller.Actor(),
                              .subject = partner_id,
                              .details = {{"generation", generation}}}));
  FW_TRY(tx->Commit());
  return WebhookSetup{.partner_id = partner_id,
                      .url = partner->webhook_url,
                      .generation = generation,
                      .secret = WebhookSecret(keys_.program_secret, partner_id, generation)};
}

Status Outbox::RemoveWebhook(const Principal& caller, const std::string& partner_id) const {
  FW_TRY(Authorize(caller, Action::kDeliveryWrite));
  FW_ASSIGN_OR_RETURN(auto tx, store_.Begin(store::TxMode::kWrite));
  FW_ASSIGN_OR_RETURN(auto partner, PartnerWithWebhook(*tx, partner_id));
  partner->webhook_url.clear();
  partner->updated_at = clock_.Now();
  FW_TRY(tx->UpdatePartner(*partner));
  FW_ASSIGN_OR_RETURN(const int cancelled,
                      tx->CancelPartnerDeliveries(partner_id, "webhook removed"));
  FW_TRY(ledger_.Append(*tx, {.type = "webhook.removed",
                              .actor = caller.Actor(),
                              .subject = partner_id,
                              .details = {{"deliveries_cancelled", cancelled}}}));
  return tx->Commit();
}

}  // namespace forewarn::delivery
