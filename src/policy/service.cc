#include "policy/service.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <set>

#include "crypto/crypto.h"

namespace forewarn::policy {
namespace {

constexpr size_t kMaxPolicyBytes = 256 * 1024;
constexpr size_t kMaxCommentBytes = 2000;

std::string TextSha256(std::string_view text) { return crypto::Hex(crypto::Sha256(text)); }

PolicyVersion DefaultVersion() {
  const std::string_view text = DefaultPolicyText();
  return PolicyVersion{.version = 0,
                       .text = std::string(text),
                       .sha256 = TextSha256(text),
                       .author = "forewarn",
                       .comment = "built-in default: everything the embargo allows",
                       .applied_at = TimePoint{}};
}

Status CheckComment(std::string_view comment, std::string_view field) {
  if (comment.size() > kMaxCommentBytes) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("{} is longer than {} bytes", field, kMaxCommentBytes));
  }
  return Ok();
}

// The same text with the rule [begin, end) and the line break after it removed.
std::string WithoutRule(const std::string& text, const RuleInfo& rule) {
  size_t end = rule.end;
  while (end < text.size() && (text[end] == ' ' || text[end] == '\t')) ++end;
  if (end < text.size() && text[end] == '\n') ++end;
  size_t begin = rule.begin;
  // Also drop the indentation before the rule when it stood on a line of its own.
  while (begin > 0 && (text[begin - 1] == ' ' || text[begin - 1] == '\t')) --begin;
  if (begin > 0 && text[begin - 1] != '\n') begin = rule.begin;
  return text.substr(0, begin) + text.substr(end);
}

}  // namespace

std::string RestrictionRuleName(std::string_view label) {
  return fmt::format("restrict-{}", label);
}

PolicyService::PolicyService(store::Store& store, const ledger::Ledger& ledger, const Clock& clock)
    : store_(store), ledger_(ledger), clock_(clock) {}

Result<std::shared_ptr<const ActivePolicy>> PolicyService::Load(store::Transaction& tx,
                                                                int version) const {
  PolicyVersion record;
  if (version == 0) {
    // The default applies only while no version was ever applied (checked once per load).
    FW_ASSIGN_OR_RETURN(auto latest, tx.LatestPolicyVersion());
    if (latest) {
      return Fail(ErrorCode::kInternal,
                  fmt::format("policy version {} exists but setting {} is missing", latest->version,
                              kPolicyVersionSetting));
    }
    record = DefaultVersion();
  } else {
    FW_ASSIGN_OR_RETURN(auto found, tx.FindPolicyVersion(version));
    if (!found) {
      return Fail(ErrorCode::kInternal,
                  fmt::format("policy version {} is current but missing from the store", version));
    }
    record = std::move(*found);
  }
  auto compiled = Policy::Compile(record.text);
  if (!compiled) {
    return Fail(ErrorCode::kInternal, fmt::format("stored policy version {} no longer compiles: {}",
                                                  version, compiled.error().message));
  }
  return std::make_shared<const ActivePolicy>(
      ActivePolicy{std::move(record), std::move(*compiled)});
}

Result<std::shared_ptr<const ActivePolicy>> PolicyService::Current(store::Transaction& tx) const {
  FW_ASSIGN_OR_RETURN(auto setting, tx.GetSetting(std::string(kPolicyVersionSetting)));
  int version = 0;
  if (setting) {
    const auto parsed =
        std::from_chars(setting->data(), setting->data() + setting->size(), version);
    // Fail closed: a damaged setting must never fall back to the permissive default.
    if (parsed.ec != std::errc{} || parsed.ptr != setting->data() + setting->size() ||
        version < 1) {
      return Fail(ErrorCode::kInternal, fmt::format("setting {} holds '{}', not a policy version",
                                                    kPolicyVersionSetting, setting->substr(0, 32)));
    }
  }
  {
    std::lock_guard lock(mutex_);
    if (cached_ && cached_->version.version == version) return cached_;
  }
  FW_ASSIGN_OR_RETURN(auto loaded, Load(tx, version));
  std::lock_guard lock(mutex_);
  // Keep the newest: a slow reader of an older snapshot must not replace a newer version.
  if (!cached_ || cached_->version.version <= version) cached_ = loaded;
  return loaded;
}

Result<std::shared_ptr<const ActivePolicy>> PolicyService::Current(const Principal& caller) const {
  FW_TRY(Authorize(caller, Action::kPolicyRead));
  FW_ASSIGN_OR_RETURN(auto tx, store_.Begin(store::TxMode::kRead));
  return Current(*tx);
}

Result<std::vector<Diagnostic>> PolicyService::Validate(const Principal& caller,
                                                        std::string_view text) const {
  FW_TRY(Authorize(caller, Action::kPolicyRead));
  if (text.size() > kMaxPolicyBytes) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("policy text is longer than {} bytes", kMaxPolicyBytes));
  }
  FW_ASSIGN_OR_RETURN(auto tx, store_.Begin(store::TxMode::kRead));
  Vocabulary vocabulary;
  FW_ASSIGN_OR_RETURN(auto tiers, tx->ListTiers());
  for (const auto& tier : tiers) vocabulary.tiers.push_back(tier.name);
  FW_ASSIGN_OR_RETURN(auto partners, tx->ListPartners({}));
  std::set<std::string> labels;
  for (const auto& partner : partners) {
    vocabulary.partner_ids.push_back(partner.id);
    labels.insert(partner.labels.begin(), partner.labels.end());
  }
  vocabulary.labels.assign(labels.begin(), labels.end());
  FW_ASSIGN_OR_RETURN(auto advisories, tx->ListAdvisories({}));
  for (const auto& advisory : advisories) vocabulary.advisory_ids.push_back(advisory.id);
  auto diagnostics = Policy::Check(text, &vocabulary);
  const bool has_errors = std::any_of(diagnostics.begin(), diagnostics.end(), [](const auto& d) {
    return d.severity == Diagnostic::Severity::kError;
  });
  if (!has_errors) {
    auto compiled = Policy::Compile(text);
    if (compiled) {
      const auto& rules = (*compiled)->rules();
      const bool permits_advisories = std::any_of(rules.begin(), rules.end(), [](const auto& r) {
        return r.effect == Effect::kPermit && r.resource == Resource::kAdvisory;
      });
      if (!permits_advisories) {
        diagnostics.push_back({.severity = Diagnostic::Severity::kWarning,
                               .line = 1,
                               .column = 1,
                               .message = "no rule permits an advisory, so no partner will see "
                                          "any (default deny); add e.g. 'permit advisory;'"});
      }
    }
  }
  return diagnostics;
}

Result<PolicyVersion> PolicyService::ApplyInTx(store::Transaction& tx, const Principal& caller,
                                               std::string text, std::string comment,
                                               std::optional<int> base_version) const {
  FW_ASSIGN_OR_RETURN(auto current, Current(tx));
  const int current_version = current->version.version;
  if (base_version && *base_version != current_version) {
    return Fail(ErrorCode::kConflict,
                fmt::format("the policy is at version {}, not {}: review the change made since "
                            "and apply again",
                            current_version, *base_version));
  }
  if (text == current->version.text) return current->version;
  FW_ASSIGN_OR_RETURN(auto compiled, Policy::Compile(text));
  FW_ASSIGN_OR_RETURN(auto latest, tx.LatestPolicyVersion());
  PolicyVersion version{.version = latest ? latest->version + 1 : 1,
                        .text = std::move(text),
                        .sha256 = "",
                        .author = caller.Actor(),
                        .comment = std::move(comment),
                        .applied_at = clock_.Now()};
  version.sha256 = TextSha256(version.text);
  FW_TRY(tx.InsertPolicyVersion(version));
  FW_TRY(tx.PutSetting(std::string(kPolicyVersionSetting), std::to_string(version.version)));
  FW_TRY(ledger_.Append(tx, {.type = "policy.applied",
                             .actor = caller.Actor(),
                             .subject = fmt::format("policy:{}", version.version),
                             .details = {{"version", version.version},
                                         {"previous", current_version},
                                         {"sha256", version.sha256},
                                         {"rules", compiled->rules().size()},
                                         {"comment", version.comment}},
                             .payload_sha256 = version.sha256}));
  if (applied_hook_) {
    FW_TRY(applied_hook_(tx, *current->policy, *compiled, version.version));
  }
  return version;
}

Result<PolicyVersion> PolicyService::Apply(const Principal& caller, std::string text,
                                           std::string comment,
                                           std::optional<int> base_version) const {
  FW_TRY(Authorize(caller, Action::kPolicyWrite));
  if (text.size() > kMaxPolicyBytes) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("policy text is longer than {} bytes", kMaxPolicyBytes));
  }
  FW_TRY(CheckComment(comment, "comment"));
  // Compile before taking the write lock: a bad text never waits for writers.
  FW_TRY(Policy::Compile(text));
  FW_ASSIGN_OR_RETURN(auto tx, store_.Begin(store::TxMode::kWrite));
  FW_ASSIGN_OR_RETURN(auto version,
                      ApplyInTx(*tx, caller, std::move(text), std::move(comment), base_version));
  FW_TRY(tx->Commit());
  return version;
}

Result<PolicyVersion> PolicyService::Restrict(const Principal& caller, const std::string& label,
                                              std::vector<ArtifactKind> kinds,
                                              std::string reason) const {
  FW_TRY(Authorize(caller, Action::kPolicyWrite));
  if (!IsValidLabel(label)) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("'{}' is not a label (1-64 characters of a-z 0-9 . _ : -)",
                            label.substr(0, 64)));
  }
  if (reason.empty()) return Fail(ErrorCode::kInvalidArgument, "a reason is required");
  FW_TRY(CheckComment(reason, "reason"));
  if (kinds.empty()) kinds.push_back(ArtifactKind::kPoc);
  std::sort(kinds.begin(), kinds.end());
  kinds.erase(std::unique(kinds.begin(), kinds.end()), kinds.end());
  std::string list;
  for (ArtifactKind kind : kinds) {
    list += fmt::format("{}\"{}\"", list.empty() ? "" : ", ", ToString(kind));
  }
  FW_ASSIGN_OR_RETURN(auto tx, store_.Begin(store::TxMode::kWrite));
  FW_ASSIGN_OR_RETURN(auto current, Current(*tx));
  const std::string name = RestrictionRuleName(label);
  for (const auto& rule : current->policy->rules()) {
    if (rule.name == name) {
      return Fail(ErrorCode::kConflict,
                  fmt::format("partners labelled '{}' are already restricted (rule {}, line {}); "
                              "unrestrict first to change the kinds",
                              label, name, rule.line));
    }
  }
  std::string text = current->version.text;
  if (!text.empty() && text.back() != '\n') text += '\n';
  text += fmt::format(
      "rule \"{}\" substitute artifact when partner.labels contains \"{}\" and artifact.kind in "
      "[{}];\n",
      name, label, list);
  FW_ASSIGN_OR_RETURN(auto version, ApplyInTx(*tx, caller, std::move(text), std::move(reason),
                                              current->version.version));
  FW_TRY(tx->Commit());
  return version;
}

Result<PolicyVersion> PolicyService::Unrestrict(const Principal& caller, const std::string& label,
                                                std::string reason) const {
  FW_TRY(Authorize(caller, Action::kPolicyWrite));
  if (reason.empty()) return Fail(ErrorCode::kInvalidArgument, "a reason is required");
  FW_TRY(CheckComment(reason, "reason"));
  FW_ASSIGN_OR_RETURN(auto tx, store_.Begin(store::TxMode::kWrite));
  FW_ASSIGN_OR_RETURN(auto current, Current(*tx));
  const std::string name = RestrictionRuleName(label);
  const auto& rules = current->policy->rules();
  const auto rule =
      std::find_if(rules.begin(), rules.end(), [&](const RuleInfo& r) { return r.name == name; });
  if (rule == rules.end()) {
    return Fail(ErrorCode::kNotFound,
                fmt::format("no restriction for label '{}' (no rule named {}) in policy version {}",
                            label.substr(0, 64), name, current->version.version));
  }
  FW_ASSIGN_OR_RETURN(auto version,
                      ApplyInTx(*tx, caller, WithoutRule(current->version.text, *rule),
                                std::move(reason), current->version.version));
  FW_TRY(tx->Commit());
  return version;
}

Result<PolicyVersion> PolicyService::Get(const Principal& caller, int version) const {
  FW_TRY(Authorize(caller, Action::kPolicyRead));
  if (version == 0) return DefaultVersion();
  FW_ASSIGN_OR_RETURN(auto tx, store_.Begin(store::TxMode::kRead));
  FW_ASSIGN_OR_RETURN(auto found, tx->FindPolicyVersion(version));
  if (!found) {
    return Fail(ErrorCode::kNotFound, fmt::format("policy version {} not found", version));
  }
  return std::move(*found);
}

Result<std::vector<PolicyVersion>> PolicyService::History(const Principal& caller) const {
  FW_TRY(Authorize(caller, Action::kPolicyRead));
  FW_ASSIGN_OR_RETURN(auto tx, store_.Begin(store::TxMode::kRead));
  return tx->ListPolicyVersions();
}

}  // namespace forewarn::policy
