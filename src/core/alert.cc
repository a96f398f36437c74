#include "core/alert.h"

#include <fmt/format.h>

namespace forewarn {

std::string_view ToString(AlertKind kind) {
  switch (kind) {
    case AlertKind::kVolume:
      return "volume";
    case AlertKind::kOffHours:
      return "off-hours";
    case AlertKind::kBreadth:
      return "breadth";
    case AlertKind::kDeliveryFailed:
      return "delivery-failed";
  }
  return "unknown";
}

Result<AlertKind> ParseAlertKind(std::string_view text) {
  for (AlertKind kind : {AlertKind::kVolume, AlertKind::kOffHours, AlertKind::kBreadth,
                         AlertKind::kDeliveryFailed}) {
    if (text == ToString(kind)) return kind;
  }
  return Fail(
      ErrorCode::kInvalidArgument,
      fmt::format("unknown alert kind '{}': expected volume, off-hours, breadth or delivery-failed",
                  text.substr(0, 32)));
}

std::string_view ToString(AlertState state) {
  return state == AlertState::kOpen ? "open" : "acknowledged";
}

Result<AlertState> ParseAlertState(std::string_view text) {
  if (text == "open") return AlertState::kOpen;
  if (text == "acknowledged") return AlertState::kAcknowledged;
  return Fail(
      ErrorCode::kInvalidArgument,
      fmt::format("unknown alert state '{}': expected open or acknowledged", text.substr(0, 32)));
}

}  // namespace forewarn
