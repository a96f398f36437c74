// File: core/tier.h
//
// A partner tier: how long before an advisory's public date its waves open for the tier.
// A new program has `early` (5 days) and `standard` (24 hours).
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace forewarn {

struct Tier {
  std::string name;                  // [a-z0-9-]{1,32}
  std::chrono::seconds lead_time{};  // how long before the public date the wave opens
  std::string description;
};

std::vector<Tier> DefaultTiers();

// kInvalidArgument unless the name is [a-z0-9-]{1,32} and the lead time is 0..365 days.
[[nodiscard]] Status ValidateTier(const Tier& tier);

}  // namespace forewarn
