// File: core/alert.h
//
// Alerts about unusual partner activity (DESIGN.md capability 8): a partner fetching far more
// than its usual volume, or at hours it never fetches at. Each alert carries its evidence, so an
// operator can check it against the ledger; operators acknowledge alerts.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/result.h"

namespace forewarn {

enum class AlertKind {
  kVolume,          // far more fetches in an hour than the partner's usual peak
  kOffHours,        // fetches in an hour of the day the partner has not fetched at before
  kBreadth,         // many different advisories' artifacts in one hour
  kDeliveryFailed,  // a push delivery was given up after its retry horizon
};
std::string_view ToString(AlertKind kind);
[[nodiscard]] Result<AlertKind> ParseAlertKind(std::string_view text);

enum class AlertState { kOpen, kAcknowledged };
std::string_view ToString(AlertState state);
[[nodiscard]] Result<AlertState> ParseAlertState(std::string_view text);

struct Alert {
  std::string id;  // "alr_<16 hex>"
  std::string partner_id;
  AlertKind kind = AlertKind::kVolume;
  AlertState state = AlertState::kOpen;
  std::string summary;   // one line for people
  std::string evidence;  // JSON object: window, counts, baseline, threshold, ledger indexes
  TimePoint raised_at;
  TimePoint updated_at;
  std::string acknowledged_by;  // actor, when acknowledged
  std::optional<TimePoint> acknowledged_at;
  std::string note;  // the acknowledging operator's note
};

// How many deliveries a partner fetched in one clock hour (UTC), for its usual pattern.
struct ActivityHour {
  std::string partner_id;
  int64_t hour = 0;  // hours since the Unix epoch
  int64_t fetches = 0;
};

}  // namespace forewarn
