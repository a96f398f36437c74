// File: core/time.h
//
// ISO 8601 / RFC 3339 text <-> TimePoint, in UTC, with second or sub-second precision.
//
//   FW_ASSIGN_OR_RETURN(TimePoint t, ParseTime("2026-07-08T17:00:00Z"));
//   std::string text = FormatTime(t);   // "2026-07-08T17:00:00Z"
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/result.h"

namespace forewarn {

// Parses "YYYY-MM-DDTHH:MM:SS[.fff...](Z|+HH:MM|-HH:MM)". A date alone ("YYYY-MM-DD") means
// midnight UTC. Returns kInvalidArgument naming the input otherwise.
[[nodiscard]] Result<TimePoint> ParseTime(std::string_view text);

// Formats as "YYYY-MM-DDTHH:MM:SSZ", adding ".ffffff" only when the time has sub-second parts.
std::string FormatTime(TimePoint t);

// Seconds since the Unix epoch, for storage and the wire.
int64_t ToUnixSeconds(TimePoint t);
int64_t ToUnixMicros(TimePoint t);
TimePoint FromUnixMicros(int64_t micros);

// Parses a duration such as "90d", "24h", "30m", "45s" or "1w". kInvalidArgument otherwise.
[[nodiscard]] Result<std::chrono::seconds> ParseDuration(std::string_view text);

}  // namespace forewarn
