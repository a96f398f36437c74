// File: core/delivery.h
//
// Push deliveries (DESIGN.md capability 5): one row of the durable outbox per partner, advisory
// revision and trigger. A delivery is enqueued in the same transaction as the change that makes
// it due (a wave opening, terms accepted, a policy granting more), claimed by a worker, sent to
// the partner's approved webhook as a signed (and, with the partner's X25519 key, sealed)
// package, and marked delivered with a ledger entry the partner gets a receipt for.
//
//   pending -> sending -> delivered            (acknowledged_at set when the partner confirms)
//   pending | sending -> cancelled              (partner suspended, policy hides the advisory)
//   pending | sending -> failed -> pending      (given up after the horizon; operator retries)
//
// The delivery id is the idempotency key: every attempt, also after a crash, sends it, so a
// partner that keeps the ids it has processed gets each package exactly once in effect.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/result.h"

namespace forewarn {

enum class DeliveryState { kPending, kSending, kDelivered, kCancelled, kFailed };

std::string_view ToString(DeliveryState state);
[[nodiscard]] Result<DeliveryState> ParseDeliveryState(std::string_view text);

struct Delivery {
  std::string id;  // "dlv_<16 hex>", also the Idempotency-Key of every attempt
  std::string partner_id;
  std::string advisory_id;
  int revision = 0;
  // Why it was enqueued: "wave" (the partner's wave opened), "terms" (the partner accepted the
  // terms, so the full content is now due), "policy-<N>" (policy version N granted more).
  std::string trigger;
  DeliveryState state = DeliveryState::kPending;
  int attempts = 0;  // sends tried so far
  TimePoint created_at;
  TimePoint next_attempt_at;             // when pending: not before this
  std::optional<TimePoint> lease_until;  // when sending: another worker may take it after
  std::string claim_token;               // the claiming worker's token, while sending
  std::optional<TimePoint> last_attempt_at;
  std::string last_error;  // one line: HTTP status, timeout, refused...; empty after success
  std::optional<TimePoint> delivered_at;
  std::string package_sha256;            // hex digest of the bytes delivered
  std::optional<uint64_t> ledger_index;  // the "delivery.sent" entry
  std::optional<TimePoint> acknowledged_at;
  std::string acknowledged_via;  // "api" or "webhook" (a signed response)
  std::string cancel_reason;     // when cancelled
};

}  // namespace forewarn
