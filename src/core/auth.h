// File: core/auth.h
//
// Who is calling: roles, the authenticated principal, and the stored form of an API token.
// Tokens are never stored in clear; see crypto/ for hashing and registry/ for issuing.
//
//   if (!principal.Has(Role::kAdmin)) return Fail(ErrorCode::kPermissionDenied, "...");
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/result.h"

namespace forewarn {

// Operator roles (admin, analyst, investigator, auditor) and the partner role. A partner token
// is bound to exactly one partner.
enum class Role { kAdmin, kAnalyst, kInvestigator, kAuditor, kPartner };

std::string_view ToString(Role role);
[[nodiscard]] Result<Role> ParseRole(std::string_view text);

inline bool IsOperatorRole(Role role) { return role != Role::kPartner; }

// An API token as stored: the secret part only as a keyed hash.
struct TokenRecord {
  std::string id;           // public, embedded in the token text
  std::string secret_hash;  // raw bytes of the keyed hash of the secret part
  Role role = Role::kPartner;
  std::string partner_id;  // set iff role == kPartner
  std::string name;        // a label for people: "ci-bot", "alice"
  std::string created_by;  // token id of the creator, or "init"
  TimePoint created_at;
  std::optional<TimePoint> expires_at;
  std::optional<TimePoint> revoked_at;
};

// The caller of a request, after authentication.
struct Principal {
  std::string token_id;
  std::string name;
  Role role = Role::kPartner;
  std::string partner_id;  // set iff role == kPartner

  bool IsPartner() const { return role == Role::kPartner; }
  // "token:<id>" — how the actor appears in history and (later) the ledger.
  std::string Actor() const { return "token:" + token_id; }
};

}  // namespace forewarn

namespace forewarn {

// Everything a caller can ask for, checked against the role table in Allowed(). Partner
// callers are further limited to their own records by the module that serves the request.
enum class Action {
  kPartnerCreate,
  kPartnerRead,  // any partner's record (operators) or the caller's own (partners)
  kPartnerUpdate,
  kPartnerStatus,  // activate, suspend, reinstate, remove
  kPartnerHistory,
  kTokenCreate,
  kTokenList,
  kTokenRevoke,
  kTierRead,
  kTierWrite,
  kLedgerRead,
  kSelfRead,             // a partner reading its own record
  kAdvisoryRead,         // every advisory, revision, schedule and artifact's metadata
  kAdvisoryWrite,        // create, change, publish, withdraw advisories; add artifacts
  kArtifactContentRead,  // an artifact's original bytes, as the program holds them
  kPartnerView,          // a partner's own view: feed, released advisories, terms, downloads
  kPolicyRead,           // the policy, its versions, explain and impact preview
  kPolicyWrite,          // apply a policy version, restrict a cohort
  kAlertRead,            // alerts about unusual partner activity, with their evidence
  kAlertWrite,           // acknowledge an alert
  kDeliveryRead,         // push deliveries of every partner: state, attempts, errors, receipts
  kDeliveryWrite,        // retry a delivery; approve, rotate or remove a partner's webhook
  kFingerprintRead,      // an artifact's marks and capacity, and any partner's variant (preview)
  kLeakTrace,            // trace a leaked copy to partners (accusations, canary hits)
};

std::string_view ToString(Action action);

// The role table: true if `role` may perform `action` at all.
bool Allowed(Role role, Action action);

// kPermissionDenied naming the role and action unless Allowed().
[[nodiscard]] Status Authorize(const Principal& principal, Action action);

}  // namespace forewarn
