// File: policy/service.h
//
// The program's policy over time (DESIGN.md capabilities 4 and 8): the applied versions in the
// store, each on the audit ledger with its text's SHA-256 and author; validation against what
// exists in the program; and cohort restriction by label, which is a policy change like any
// other (a named `substitute` rule), so there is one place that says who gets what.
//
//   policy::PolicyService policies(store, ledger, clock);
//   FW_ASSIGN_OR_RETURN(auto applied, policies.Apply(admin, text, "no PoC abroad", std::nullopt));
//   FW_ASSIGN_OR_RETURN(auto active, policies.Current(tx));   // per request, cached by version
//
// A new version takes effect for every request that begins after its transaction commits:
// readers compare the version in their own transaction with the cached one (one small read).
//
// Errors: kPermissionDenied (role), kInvalidArgument (the text does not compile: every error with
// line and column), kConflict (base_version is not the current version; already restricted),
// kNotFound (no such version; no restriction for the label), kUnavailable (store).
// Thread safety: all methods may be called concurrently.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/auth.h"
#include "core/clock.h"
#include "core/policy_version.h"
#include "core/result.h"
#include "ledger/ledger.h"
#include "policy/policy.h"
#include "store/store.h"

namespace forewarn::policy {

// A policy version with its compiled rules.
struct ActivePolicy {
  PolicyVersion version;  // version 0: the built-in default (nothing applied yet)
  std::shared_ptr<const Policy> policy;
};

// The program setting holding the current policy version; Apply writes it in its transaction.
inline constexpr std::string_view kPolicyVersionSetting = "policy.version";

// The name of the rule `Restrict` writes for a label.
std::string RestrictionRuleName(std::string_view label);

class PolicyService {
 public:
  // References must outlive the service.
  PolicyService(store::Store& store, const ledger::Ledger& ledger, const Clock& clock);

  // The policy in force as of `tx`. Served from a cache when the version is unchanged.
  [[nodiscard]] Result<std::shared_ptr<const ActivePolicy>> Current(store::Transaction& tx) const;

  // Called inside every applying transaction after the new version is recorded, with the
  // policies before and after (the outbox enqueues what the new version grants). Set once,
  // before serving.
  using AppliedHook = std::function<Status(store::Transaction& tx, const Policy& before,
                                           const Policy& after, int version)>;
  void OnApplied(AppliedHook hook) { applied_hook_ = std::move(hook); }

  // Errors and warnings for `text`, with the program's tiers, labels, partner and advisory ids
  // as vocabulary (kPolicyRead).
  [[nodiscard]] Result<std::vector<Diagnostic>> Validate(const Principal& caller,
                                                         std::string_view text) const;

  // Compiles `text` and makes it version N+1 (kPolicyWrite), recorded as "policy.applied" with
  // the text's SHA-256, the author and the comment. With `base_version`, kConflict unless it
  // is the current version (so an operator never overwrites a change it has not seen). A text
  // identical to the current one applies nothing and returns the current version.
  [[nodiscard]] Result<PolicyVersion> Apply(const Principal& caller, std::string text,
                                            std::string comment,
                                            std::optional<int> base_version) const;

  // Restricts the cohort of partners carrying `label`: appends `rule restrict-<label>
  // substitute artifact when partner.labels contains "<label>" and artifact.kind in [kinds];`
  // (kinds default to poc) and applies it with `reason` as the comment. Partners with the label
  // receive an artifact's permitted alternative form, or nothing when there is none.
  // kConflict if the label is already restricted; kInvalidArgument for a bad label or kind.
  [[nodiscard]] Result<PolicyVersion> Restrict(const Principal& caller, const std::string& label,
                                               std::vector<ArtifactKind> kinds,
                                               std::string reason) const;
  // Removes the label's restriction rule (kNotFound if there is none) as a new version.
  [[nodiscard]] Result<PolicyVersion> Unrestrict(const Principal& caller, const std::string& label,
                                                 std::string reason) const;

  // One version (0 = the built-in default), or kNotFound.
  [[nodiscard]] Result<PolicyVersion> Get(const Principal& caller, int version) const;
  // The current version.
  [[nodiscard]] Result<std::shared_ptr<const ActivePolicy>> Current(const Principal& caller) const;
  // Every applied version, oldest first.
  [[nodiscard]] Result<std::vector<PolicyVersion>> History(const Principal& caller) const;

 private:
  [[nodiscard]] Result<PolicyVersion> ApplyInTx(store::Transaction& tx, const Principal& caller,
                                                std::string text, std::string comment,
                                                std::optional<int> base_version) const;
  [[nodiscard]] Result<std::shared_ptr<const ActivePolicy>> Load(store::Transaction& tx,
                                                                 int version) const;

  store::Store& store_;
  const ledger::Ledger& ledger_;
  const Clock& clock_;
  AppliedHook applied_hook_;
  mutable std::mutex mutex_;
  mutable std::shared_ptr<const ActivePolicy> cached_;  // guarded by mutex_
};

}  // namespace forewarn::policy
