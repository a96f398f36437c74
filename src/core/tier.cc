#include "core/tier.h"

#include <fmt/format.h>

#include <algorithm>

namespace forewarn {

std::vector<Tier> DefaultTiers() {
  using std::chrono::hours;
  return {
      Tier{"early", std::chrono::duration_cast<std::chrono::seconds>(hours{5 * 24}),
           "Smaller group; waves open 5 days before the public date"},
      Tier{"standard", std::chrono::duration_cast<std::chrono::seconds>(hours{24}),
           "Most partners; waves open 24 hours before the public date"},
  };
}

Status ValidateTier(const Tier& tier) {
  const bool name_ok = !tier.name.empty() && tier.name.size() <= 32 &&
                       std::all_of(tier.name.begin(), tier.name.end(), [](char c) {
                         return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
                       });
  if (!name_ok) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("tier name '{}' must be 1-32 characters of a-z 0-9 -",
                            tier.name.substr(0, 32)));
  }
  if (tier.lead_time.count() < 0 || tier.lead_time > std::chrono::hours{365 * 24}) {
    return Fail(ErrorCode::kInvalidArgument, "tier lead time must be between 0 and 365 days");
  }
  if (tier.description.size() > 500) {
    return Fail(ErrorCode::kInvalidArgument, "tier description is too long (at most 500 bytes)");
  }
  return Ok();
}

}  // namespace forewarn
