#include "core/auth.h"

#include <fmt/format.h>

namespace forewarn {

std::string_view ToString(Role role) {
  switch (role) {
    case Role::kAdmin: return "admin";
    case Role::kAnalyst: return "analyst";
    case Role::kInvestigator: return "investigator";
    case Role::kAuditor: return "auditor";
    case Role::kPartner: return "partner";
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
