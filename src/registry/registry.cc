#include "registry/registry.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/time.h"

namespace forewarn::registry {
namespace {

using nlohmann::json;

constexpr std::string_view kTokenPrefix = "fwt_";
constexpr size_t kTokenIdHexLength = 16;
constexpr size_t kTokenSecretBytes = 32;
constexpr auto kDefaultPartnerTokenLifetime = std::chrono::hours{90 * 24};
constexpr auto kMaxTokenLifetime = std::chrono::hours{2 * 365 * 24};

tl::unexpected<Error> PartnerNotFound(const std::string& id) {
  return Fail(ErrorCode::kNotFound, fmt::format("partner {} not found", id.substr(0, 64)));
}

bool IsHex(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// A partner caller may see only its own record; anything else looks like a missing id.
Status CheckPartnerScope(const Principal& caller, const std::string& id) {
  if (caller.IsPartner() && caller.partner_id != id) return PartnerNotFound(id);
  return Ok();
}

Status CheckReason(const std::string& reason) {
  if (reason.empty()) {
    return Fail(ErrorCode::kInvalidArgument, "a reason is required for a status change");
  }
  if (reason.size() > 1000) {
    return Fail(ErrorCode::kInvalidArgument, "reason is too long (at most 1000 bytes)");
  }
  return Ok();
}

void ApplyFields(const PartnerFields& fields, Partner& p) {
  if (fields.name) p.name = *fields.name;
  if (fields.country) p.country = *fields.country;
  if (fields.tier) p.tier = *fields.tier;
  if (fields.labels) p.labels = *fields.labels;
  if (fields.contract) p.contract = *fields.contract;
  if (fields.nda) p.nda = *fields.nda;
  if (fields.contacts) p.contacts = *fields.contacts;
  if (fields.x25519_public_key) p.x25519_public_key = *fields.x25519_public_key;
  if (fields.ed25519_public_key) p.ed25519_public_key = *fields.ed25519_public_key;
  if (fields.webhook_url) p.webhook_url = *fields.webhook_url;
}

// The fields an update touches with their new values, for the ledger record. Contacts are
// personal data, so only their number is recorded.
json ChangedFields(const PartnerFields& f, const Partner& p) {
  json changed = json::object();
  if (f.name) changed["name"] = p.name;
  if (f.country) changed["country"] = p.country;
  if (f.tier) changed["tier"] = p.tier;
  if (f.labels) changed["labels"] = p.labels;
  if (f.contract) changed["contract"] = p.contract ? json(p.contract->version) : json(nullptr);
  if (f.nda) changed["nda"] = p.nda ? json(p.nda->version) : json(nullptr);
  if (f.contacts) changed["contacts"] = p.contacts.size();
  if (f.x25519_public_key) changed["x25519_public_key"] = p.x25519_public_key;
  if (f.ed25519_public_key) changed["ed25519_public_key"] = p.ed25519_public_key;
  if (f.webhook_url) changed["webhook_url"] = p.webhook_url;
  return changed;
}

Status CheckTierExists(store::Transaction& tx, const std::string& tier) {
  FW_ASSIGN_OR_RETURN(auto found, tx.FindTier(tier));
  if (!found) {
    FW_ASSIGN_OR_RETURN(auto tiers, tx.ListTiers());
    std::string names;
    for (const auto& t : tiers) names += (names.empty() ? "" : ", ") + t.name;
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("unknown tier '{}': known tiers are {}", tier.substr(0, 32), names));
  }
  return Ok();
}

}  // namespace

Result<std::pair<std::string, std::string>> ParseTokenText(std::string_view text) {
  if (text.starts_with("Bearer ")) text.remove_prefix(7);
  const size_t expected = kTokenPrefix.size() + kTokenIdHexLength + 1 + 43;
  if (text.size() != expected || !text.starts_with(kTokenPrefix) ||
      text[kTokenPrefix.size() + kTokenIdHexLength] != '_' ||
      !IsHex(text.substr(kTokenPrefix.size(), kTokenIdHexLength))) {
    return Fail(ErrorCode::kUnauthenticated, "invalid token");
  }
  return std::make_pair("tok_" + std::string(text.substr(kTokenPrefix.size(), kTokenIdHexLength)),
                        std::string(text.substr(kTokenPrefix.size() + kTokenIdHexLength + 1)));
}

Registry::Registry(store::Store& store, const ledger::Ledger& ledger, const Clock& clock,
                   crypto::Random& random, const crypto::SecretBytes& program_secret)
    : store_(store),
      ledger_(ledger),
      clock_(clock),
      random_(random),
      token_key_(crypto::DeriveKey(program_secret, "fwtoken", 1)) {}

std::string Registry::HashSecret(std::string_view secret) const {
  return crypto::KeyedHash(token_key_, secret);
}

Result<IssuedToken> Registry::InitializeProgram(std::string_view program_name) {
  FW_ASSIGN_OR_RETURN(auto tx, store_.Begin(store::TxMode::kWrite));
  FW_ASSIGN_OR_RETURN(auto existing, tx->GetSetting("program.name"));
  if (existing) {
    return Fail(ErrorCode::kFailedPrecondition, "this data directory already holds a program");
  }
  FW_TRY(tx->PutSetting("program.name", std::string(program_name)));
  FW_TRY(tx->PutSetting("program.created_at", FormatTime(clock_.Now())));
  json tiers = json::array();
  for (const auto& tier : DefaultTiers()) {
    FW_TRY(tx->PutTier(tier));
    tiers.push_back({{"name", tier.name}, {"lead_time_seconds", tier.lead_time.count()}});
  }
  FW_TRY(ledger_.Append(*tx, {.type = "program.initialized",
                              .actor = "init",
                              .subject = std::string(program_name),
                              .details = {{"tiers", tiers}}}));
  FW_ASSIGN_OR_RETURN(auto issued,
                      IssueToken(*tx, "init", {.role = Role::kAdmin, .name = "initial admin"}));
  FW_TRY(ledger_.SignHead(*tx));
  FW_TRY(tx->Commit());
  return issued;
}

Result<Principal> Registry::Authenticate(std::string_view token_text) const {
  FW_ASSIGN_OR_RETURN(auto parsed, ParseTokenText(token_text));
  struct WipeOnExit {
    std::string& secret;
    ~WipeOnExit() { crypto::Wipe(secret); }
  } wipe{parsed.second};
  const auto& [token_id, secret] = parsed;
  FW_ASSIGN_OR_RETURN(auto tx, store_.Begin(store::TxMode::kRead));
  FW_ASSIGN_OR_RETURN(auto record, tx->FindToken(token_id));
  // Hash even when the id is unknown, so both paths cost the same.
  const std::string presented = HashSecret(secret);
  const std::string stored = record ? record->secret_hash : std::string(presented.size(), '\0');
  if (!crypto::ConstantTimeEquals(presented, stored) || !record) {
    return Fail(ErrorCode::kUnauthenticated, "invalid token");
  }
  if (record->revoked_at) return Fail(ErrorCode::kUnauthenticated, "token has been revoked");
  if (record->expires_at && clock_.Now() >= *record->expires_at) {
    return Fail(ErrorCode::kUnauthenticated, "token has expired");
  }
  if (record->role == Role::kPartner) {
    FW_ASSIGN_OR_RETURN(auto partner, tx->FindPartner(record->partner_id));
    if (!partner || partner->status != PartnerStatus::kActive) {
      return Fail(ErrorCode::kUnauthenticated, "token's partner is not active");
    }
  }
  return Principal{record->id, record->name, record->role, record->partner_id};
}

// --- partners ---

Result<Partner> Registry::AddPartner(const Principal& caller, const PartnerFields& fields) {
  FW_TRY(Authorize(caller, Action::kPartnerCreate));
  Partner p;
  ApplyFields(fields, p);
  p.status = fields.status.value_or(PartnerStatus::kActive);
  if (p.status != PartnerStatus::kActive && p.status != PartnerStatus::kApplicant) {
    return Fail(ErrorCode::kInvalidArgument, "a new partner's status must be active or applicant");
  }
  FW_TRY(ValidatePartner(p));
  p.id = crypto::NewId(random_, "prt");
  p.created_at = p.updated_at = clock_.Now();

  FW_ASSIGN_OR_RETURN(auto tx, store_.Begin(store::TxMode::kWrite));
  FW_TRY(CheckTierExists(*tx, p.tier));
  FW_TRY(tx->InsertPartner(p));
  FW_TRY(ledger_.Append(*tx, {.type = "partner.created",
                              .actor = caller.Actor(),
                              .subject = p.id,
                              .details = {{"name", p.name},
                                          {"country", p.country},
                                          {"tier", p.tier},
                                          {"labels", p.labels},
                                          {"status", ToString(p.status)}}}));
  FW_TRY(tx->Commit());
  return p;
}

Result<Partner> Registry::GetPartner(const Principal& caller, const std::string& id) const {
  FW_TRY(Authorize(caller, Action::kPartnerRead));
  FW_TRY(CheckPartnerScope(caller, id));
  FW_ASSIGN_OR_RETURN(auto tx, store_.Begin(store::TxMode::kRead));
  FW_ASSIGN_OR_RETURN(auto partner, tx->FindPartner(id));
  if (!partner) return PartnerNotFound(id);
  return *partner;
}

Result<std::vector<Partner>> Registry::ListPartners(const Principal& caller,
                                                    const store::PartnerFilter& filter) const {
  FW_TRY(Authorize(caller, Action::kPartnerRead));
  if (caller.IsPartner()) {
    return Fail(ErrorCode::kPermissionDenied, "partners may not list other partners");
  }
  FW_ASSIGN_OR_RETURN(auto tx, store_.Begin(store::TxMode::kRead));
  return tx->ListPartners(filter);
}

Result<Partner> Registry::UpdatePartner(const Principal& caller, const std::string& id,
                                        const PartnerFields& fields) {
  FW_TRY(Authorize(caller, Action::kPartnerUpdate));
  if (fields.status) {
    return Fail(ErrorCode::kInvalidArgument,
                "status cannot be updated directly; use suspend, reinstate, activate or remove");
  }
  FW_ASSIGN_OR_RETURN(auto tx, store_.Begin(store::TxMode::kWrite));
  FW_ASSIGN_OR_RETURN(auto found, tx->FindPartner(id));
  if (!found) return PartnerNotFound(id);
  Partner p = *found;
  if (p.status == PartnerStatus::kRemoved) {
    return Fail(ErrorCode::kFailedPrecondition,
                fmt::format("partner {} has been removed and cannot be changed", id));
  }
  ApplyFields(fields, p);
  FW_TRY(ValidatePartner(p));
  if (fields.tier) {
    FW_TRY(CheckTierExists(*tx, p.tier));
  }
  p.updated_at = clock_.Now();
  FW_TRY(tx->UpdatePartner(p));
  FW_TRY(ledger_.Append(*tx, {.type = "partner.updated",
                              .actor = caller.Actor(),
                              .subject = p.id,
                              .details = {{"changed", ChangedFields(fields, p)}}}));
  FW_TRY(tx->Commit());
  return p;
}

Result<Partner> Registry::ChangeStatus(const Principal& caller, const std::string& id,
                                       PartnerStatus to, const std::string& reason,
                                       std::optional<PartnerStatus> expected_from) {
  FW_TRY(Authorize(caller, Action::kPartnerStatus));
  FW_TRY(CheckReason(reason));
  FW_ASSIGN_OR_RETURN(auto tx, store_.Begin(store::TxMode::kWrite));
  FW_ASSIGN_OR_RETURN(auto found, tx->FindPartner(id));
  if (!found) return PartnerNotFound(id);
  Partner p = *found;
  if (expected_from && p.status != *expected_from) {
    return Fail(
        ErrorCode::kFailedPrecondition,
        fmt::format("partner {} is {}, not {}", id, ToString(p.status), ToString(*expected_from)));
  }
  FW_TRY(CheckTransition(p.status, to));
  const PartnerStatus from = p.status;
  const TimePoint now = clock_.Now();
  p.status = to;
  p.updated_at = now;
  FW_TRY(tx->UpdatePartner(p));
  FW_TRY(tx->InsertStatusChange({p.id, from, to, reason, caller.Actor(), now}));
  int revoked = 0;
  int cancelled = 0;
  if (to == PartnerStatus::kSuspended || to == PartnerStatus::kRemoved) {
    FW_ASSIGN_OR_RETURN(revoked, tx->RevokePartnerTokens(p.id, now));
    // Pushes not yet started stop here. A request already on the wire completes and is
    // recorded as what it was; nothing starts after this commits.
    FW_ASSIGN_OR_RETURN(cancelled, tx->CancelPartnerDeliveries(
                                       p.id, fmt::format("partner {}: {}", ToString(to), reason)));
  }
  FW_TRY(ledger_.Append(*tx, {.type = "partner.status_changed",
                              .actor = caller.Actor(),
                              .subject = p.id,
                              .details = {{"from", ToString(from)},
                                          {"to", ToString(to)},
                                          {"reason", reason},
                                          {"tokens_revoked", revoked},
                                          {"deliveries_cancelled", cancelled}}}));
  FW_TRY(tx->Commit());
  return p;
}

Result<std::vector<StatusChange>> Registry::StatusHistory(const Principal& caller,
                                                          const std::string& id) const {
  FW_TRY(Authorize(caller, Action::kPartnerHistory));
  FW_ASSIGN_OR_RETURN(auto tx, store_.Begin(store::TxMode::kRead));
  FW_ASSIGN_OR_RETURN(auto found, tx->FindPartner(id));
  if (!found) return PartnerNotFound(id);
  return tx->ListStatusChanges(id);
}

// --- tokens ---

Result<IssuedToken> Registry::IssueToken(store::Transaction& tx, const std::string& actor,
                                         const TokenRequest& request) {
  if (request.name.size() > 100) {
    return Fail(ErrorCode::kInvalidArgument, "token name is too long (at most 100 bytes)");
  }
  if (request.expires_in &&
      (request.expires_in->count() <= 0 || *request.expires_in > kMaxTokenLifetime)) {
    return Fail(ErrorCode::kInvalidArgument, "token lifetime must be between 1s and 730 days");
  }
  if (request.role == Role::kPartner) {
    FW_ASSIGN_OR_RETURN(auto partner, tx.FindPartner(request.partner_id));
    if (!partner) return PartnerNotFound(request.partner_id);
    if (partner->status == PartnerStatus::kSuspended ||
        partner->status == PartnerStatus::kRemoved) {
      return Fail(ErrorCode::kFailedPrecondition,
                  fmt::format("partner {} is {}: no tokens can be issued", partner->id,
                              ToString(partner->status)));
    }
  } else if (!request.partner_id.empty()) {
    return Fail(ErrorCode::kInvalidArgument, "only partner tokens name a partner");
  }
  const std::string id_hex = crypto::Hex(crypto::RandomBytes(random_, kTokenIdHexLength / 2));
  std::string secret_bytes = crypto::RandomBytes(random_, kTokenSecretBytes);
  std::string secret = crypto::Base64Url(secret_bytes);
  crypto::Wipe(secret_bytes);
  IssuedToken issued;
  issued.record.id = "tok_" + id_hex;
  issued.record.secret_hash = HashSecret(secret);
  issued.record.role = request.role;
  issued.record.partner_id = request.partner_id;
  issued.record.name = request.name.empty() ? std::string(ToString(request.role)) : request.name;
  issued.record.created_by = actor;
  issued.record.created_at = clock_.Now();
  auto lifetime = request.expires_in;
  if (!lifetime && request.role == Role::kPartner) lifetime = kDefaultPartnerTokenLifetime;
  if (lifetime) issued.record.expires_at = issued.record.created_at + *lifetime;
  issued.token = std::string(kTokenPrefix) + id_hex + "_" + secret;
  crypto::Wipe(secret);

  FW_TRY(tx.InsertToken(issued.record));
  json details = {{"role", ToString(request.role)}, {"name", issued.record.name}};
  if (!request.partner_id.empty()) details["partner"] = request.partner_id;
  if (issued.record.expires_at) details["expires_at"] = FormatTime(*issued.record.expires_at);
  FW_TRY(ledger_.Append(
      tx,
      {.type = "token.created", .actor = actor, .subject = issued.record.id, .details = details}));
  return issued;
}

Result<IssuedToken> Registry::CreateToken(const Principal& caller, const TokenRequest& request) {
  FW_TRY(Authorize(caller, Action::kTokenCreate));
  FW_ASSIGN_OR_RETURN(auto tx, store_.Begin(store::TxMode::kWrite));
  FW_ASSIGN_OR_RETURN(auto issued, IssueToken(*tx, caller.Actor(), request));
  FW_TRY(tx->Commit());
  return issued;
}

Result<std::vector<TokenRecord>> Registry::ListTokens(
    const Principal& caller, const std::optional<std::string>& partner_id) const {
  FW_TRY(Authorize(caller, Action::kTokenList));
  FW_ASSIGN_OR_RETURN(auto tx, store_.Begin(store::TxMode::kRead));
  return tx->ListTokens(partner_id);
}

Status Registry::RevokeToken(const Principal& caller, const std::string& token_id) {
  FW_TRY(Authorize(caller, Action::kTokenRevoke));
  FW_ASSIGN_OR_RETURN(auto tx, store_.Begin(store::TxMode::kWrite));
  FW_ASSIGN_OR_RETURN(auto token, tx->FindToken(token_id));
  if (!token) {
    return Fail(ErrorCode::kNotFound, fmt::format("token {} not found", token_id.substr(0, 64)));
  }
  if (token->revoked_at) return Ok();  // already revoked: nothing changes, nothing recorded
  FW_TRY(tx->RevokeToken(token_id, clock_.Now()));
  FW_TRY(ledger_.Append(*tx, {.type = "token.revoked",
                              .actor = caller.Actor(),
                              .subject = token_id,
                              .details = {{"role", ToString(token->role)}}}));
  return tx->Commit();
}

// --- tiers ---

Result<std::vector<Tier>> Registry::ListTiers(const Principal& caller) const {
  FW_TRY(Authorize(caller, Action::kTierRead));
  FW_ASSIGN_OR_RETURN(auto tx, store_.Begin(store::TxMode::kRead));
  return tx->ListTiers();
}

Result<Tier> Registry::PutTier(const Principal& caller, const Tier& tier) {
  FW_TRY(Authorize(caller, Action::kTierWrite));
  FW_TRY(ValidateTier(tier));
  FW_ASSIGN_OR_RETURN(auto tx, store_.Begin(store::TxMode::kWrite));
  FW_TRY(tx->PutTier(tier));
  FW_TRY(ledger_.Append(*tx, {.type = "tier.updated",
                              .actor = caller.Actor(),
                              .subject = tier.name,
                              .details = {{"lead_time_seconds", tier.lead_time.count()}}}));
  FW_TRY(tx->Commit());
  return tier;
}

}  // namespace forewarn::registry
