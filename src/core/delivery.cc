#include "core/delivery.h"

#include <fmt/format.h>

namespace forewarn {

std::string_view ToString(DeliveryState state) {
  switch (state) {
    case DeliveryState::kPending:
      return "pending";
    case DeliveryState::kSending:
      return "sending";
    case DeliveryState::kDelivered:
      return "delivered";
    case DeliveryState::kCancelled:
      return "cancelled";
    case DeliveryState::kFailed:
      return "failed";
  }
  return "unknown";
}

Result<DeliveryState> ParseDeliveryState(std::string_view text) {
  for (DeliveryState state :
       {DeliveryState::kPending, DeliveryState::kSending, DeliveryState::kDelivered,
        DeliveryState::kCancelled, DeliveryState::kFailed}) {
    if (text == ToString(state)) return state;
  }
  return Fail(ErrorCode::kInvalidArgument,
              fmt::format("unknown delivery state '{}': expected pending, sending, delivered, "
                          "cancelled or failed",
                          text.substr(0, 32)));
}

}  // namespace forewarn
