#include "core/auth.h"

#include <fmt/format.h>

namespace forewarn {

std::string_view ToString(Role role) {
  switch (role) {
    case Role::kAdmin:
      return "admin";
    case Role::kAnalyst:
      return "analyst";
    case Role::kInvestigator:
      return "investigator";
    case Role::kAuditor:
      return "auditor";
    case Role::kPartner:
      return "partner";
  }
  return "partner";
}

Result<Role> ParseRole(std::string_view text) {
  if (text == "admin") return Role::kAdmin;
  if (text == "analyst") return Role::kAnalyst;
  if (text == "investigator") return Role::kInvestigator;
  if (text == "auditor") return Role::kAuditor;
  if (text == "partner") return Role::kPartner;
  return Fail(ErrorCode::kInvalidArgument,
              fmt::format("unknown role '{}': expected admin, analyst, investigator, auditor or "
                          "partner",
                          text.substr(0, 32)));
}

}  // namespace forewarn

namespace forewarn {

std::string_view ToString(Action action) {
  switch (action) {
    case Action::kPartnerCreate:
      return "partner.create";
    case Action::kPartnerRead:
      return "partner.read";
    case Action::kPartnerUpdate:
      return "partner.update";
    case Action::kPartnerStatus:
      return "partner.status";
    case Action::kPartnerHistory:
      return "partner.history";
    case Action::kTokenCreate:
      return "token.create";
    case Action::kTokenList:
      return "token.list";
    case Action::kTokenRevoke:
      return "token.revoke";
    case Action::kTierRead:
      return "tier.read";
    case Action::kTierWrite:
      return "tier.write";
    case Action::kLedgerRead:
      return "ledger.read";
    case Action::kSelfRead:
      return "self.read";
    case Action::kAdvisoryRead:
      return "advisory.read";
    case Action::kAdvisoryWrite:
      return "advisory.write";
    case Action::kArtifactContentRead:
      return "artifact.content.read";
    case Action::kPartnerView:
      return "partner.view";
    case Action::kPolicyRead:
      return "policy.read";
    case Action::kPolicyWrite:
      return "policy.write";
    case Action::kAlertRead:
      return "alert.read";
    case Action::kAlertWrite:
      return "alert.write";
    case Action::kDeliveryRead:
      return "delivery.read";
    case Action::kDeliveryWrite:
      return "delivery.write";
    case Action::kFingerprintRead:
      return "fingerprint.read";
    case Action::kLeakTrace:
      return "leak.trace";
  }
  return "unknown";
}

bool Allowed(Role role, Action action) {
  switch (role) {
    case Role::kAdmin:
      return action != Action::kSelfRead && action != Action::kPartnerView;
    case Role::kAnalyst:
      return action == Action::kPartnerRead || action == Action::kTierRead ||
             action == Action::kAdvisoryRead || action == Action::kAdvisoryWrite ||
             action == Action::kArtifactContentRead || action == Action::kPolicyRead ||
             action == Action::kDeliveryRead || action == Action::kFingerprintRead;
    case Role::kInvestigator:
      return action == Action::kPartnerRead || action == Action::kPartnerHistory ||
             action == Action::kTierRead || action == Action::kLedgerRead ||
             action == Action::kAdvisoryRead || action == Action::kArtifactContentRead ||
             action == Action::kPolicyRead || action == Action::kAlertRead ||
             action == Action::kAlertWrite || action == Action::kDeliveryRead ||
             action == Action::kFingerprintRead || action == Action::kLeakTrace;
    case Role::kAuditor:
      return action == Action::kPartnerRead || action == Action::kPartnerHistory ||
             action == Action::kTierRead || action == Action::kLedgerRead ||
             action == Action::kTokenList || action == Action::kAdvisoryRead ||
             action == Action::kPolicyRead || action == Action::kAlertRead ||
             action == Action::kDeliveryRead;
    case Role::kPartner:
      return action == Action::kSelfRead || action == Action::kPartnerRead ||
             action == Action::kTierRead || action == Action::kPartnerView;
  }
  return false;
}

Status Authorize(const Principal& principal, Action action) {
  if (Allowed(principal.role, action)) return Ok();
  return Fail(ErrorCode::kPermissionDenied,
              fmt::format("role {} may not {}", ToString(principal.role), ToString(action)));
}

}  // namespace forewarn
