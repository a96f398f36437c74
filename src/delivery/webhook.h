// File: delivery/webhook.h
//
// The webhook protocol of push deliveries (DESIGN.md capability 5), as pure functions: request
// signing and its verification (what a partner's receiver runs), per-partner secrets derived
// from the program secret, the retry schedule, and signed acknowledgements.
//
//   const std::string secret = delivery::WebhookSecret(keys.program_secret, partner.id, gen);
//   headers[kWebhookSignatureHeader] = delivery::WebhookSignature(secret, unix_now, body);
//   FW_TRY(delivery::VerifyWebhookSignature(secret, ts_header, sig_header, body, clock.Now()));
//
// The request. The outbox POSTs the package (signed, or sealed) as the body with:
//   Forewarn-Timestamp: <Unix seconds, decimal>          when this attempt was signed
//   Forewarn-Signature: v1=<64 lowercase hex>            HMAC-SHA-256(secret, ts + "." + body)
//   Forewarn-Delivery:  <delivery id>                    the same on every attempt
//   Idempotency-Key:    <delivery id>                    for receivers that know this header
//   Forewarn-Event:     advisory.package
// A receiver checks the signature over the exact body bytes before parsing them, rejects a
// timestamp more than five minutes from its own clock (replay), and drops a delivery id it has
// processed already (the outbox re-sends after a crash or a timeout). During a secret rotation
// the signature header may carry several comma-separated "v1=" entries; one match suffices.
//
// The response. Any 2xx marks the delivery as delivered. A receiver may also acknowledge
// cryptographically by answering AckBody(...): a JSON object signed with the partner's Ed25519
// key (registered in the partner registry), which the outbox checks with VerifyAckBody and
// records as a signed acknowledgement.
//
// Retries. A failed attempt (no response, or not 2xx) is retried after RetryDelay(): exponential
// backoff from 30 s capped at one hour, with "equal jitter" so that many deliveries failing
// together (a partner's outage) do not come back in lockstep; after 24 h the delivery fails.
//
// Nothing here throws, reads the clock or holds state; every function is thread-safe
// (`random` must be, if shared). Secrets are never part of an error message.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/result.h"
#include "crypto/crypto.h"

namespace forewarn::delivery {

// --- request headers ---
inline constexpr std::string_view kWebhookSignatureHeader = "Forewarn-Signature";
inline constexpr std::string_view kWebhookTimestampHeader = "Forewarn-Timestamp";
inline constexpr std::string_view kWebhookDeliveryHeader = "Forewarn-Delivery";
inline constexpr std::string_view kIdempotencyKeyHeader = "Idempotency-Key";
inline constexpr std::string_view kWebhookEventHeader = "Forewarn-Event";

// The value of kWebhookEventHeader for a package delivery.
inline constexpr std::string_view kPackageEvent = "advisory.package";

// The value of kWebhookSignatureHeader for `body` sent at `unix_seconds` under `secret` (the
// whole "whsec_…" text is the HMAC key): "v1=" + lowercase hex of
// HMAC-SHA-256(secret, decimal(unix_seconds) + "." + body).
std::string WebhookSignature(std::string_view secret, int64_t unix_seconds, std::string_view body);

// What a receiver runs on each request, given the two header values as received and the exact
// body bytes. Surrounding spaces and tabs of the timestamp and of each signature entry are
// ignored; entries other than "v1=…" (future schemes) are skipped.
//   kInvalidArgument   the timestamp is not a decimal integer, or the signature header has no
//                      "v1=" entry;
//   kPermissionDenied  "timestamp outside the replay window" if it differs from `now` by more
//                      than `window` (in either direction; exactly `window` is accepted), else
//                      "signature does not match" unless some v1 entry equals the expected MAC
//                      (compared in constant time; a malformed entry simply does not match).
[[nodiscard]] Status VerifyWebhookSignature(std::string_view secret,
                                            std::string_view timestamp_header,
                                            std::string_view signature_header,
                                            std::string_view body, TimePoint now,
                                            std::chrono::seconds window = std::chrono::minutes(5));

// The webhook secret of `partner_id` at `generation`: "whsec_" + unpadded base64url of the
// 32-byte BLAKE2b KeyedHash(program_secret, "forewarn-webhook-secret/v1\n" + partner_id + "\n"
// + decimal(generation)). Derived, so nothing secret is stored; rotating bumps the generation,
// which invalidates the previous secret. Deterministic; show it only to the operator who sets
// up or rotates the webhook, never log it.
std::string WebhookSecret(const crypto::SecretBytes& program_secret, std::string_view partner_id,
                          int generation);

// --- retries ---
struct RetryPolicy {
  std::chrono::seconds initial{30};      // delay after the first failure, before jitter
  std::chrono::seconds max_delay{3600};  // cap of the exponential growth
  std::chrono::seconds horizon{std::chrono::hours(24)};  // from enqueueing; then it fails
};

// How long to wait after the `failed_attempts`-th failure (>= 1; smaller counts as 1):
// d = min(initial · 2^(failed_attempts-1), max_delay), computed without overflow for any
// count; the result is d/2 plus a uniform draw from [0, d/2] ("equal jitter"), so it lies in
// [d/2, d]. Draws 8 bytes from `random`. Non-positive `initial` or `max_delay` give zero.
std::chrono::milliseconds RetryDelay(int failed_attempts, const RetryPolicy& policy,
                                     crypto::Random& random);

// --- signed acknowledgements ---

// The bytes a partner signs to acknowledge a package: "forewarn-ack-v1\n" + delivery_id +
// "\n" + package_sha256_hex (no trailing newline).
std::string AckSigningBytes(std::string_view delivery_id, std::string_view package_sha256_hex);

// A receiver's acknowledging response body, canonical JSON:
//   {"acknowledged":"<delivery id>","package_sha256":"<hex>","signature":"<base64 Ed25519
//    signature over AckSigningBytes>"}
// `partner_ed25519_secret` is the 64-byte libsodium secret key. The package digest is the
// SHA-256 of the exact body received (hex). For receivers, tests and documentation.
std::string AckBody(std::string_view delivery_id, std::string_view package_sha256_hex,
                    const crypto::SecretBytes& partner_ed25519_secret);

// Reads a webhook response body as an acknowledgement of `delivery_id` carrying the package
// whose digest is `package_sha256_hex`, signed by the partner key registered in the registry
// (`partner_ed25519_public_b64`, base64 of 32 bytes, or empty).
//   false              the body is not a JSON object with an "acknowledged" string: a plain 2xx
//                      without an acknowledgement, which is fine;
//   true               a valid signed acknowledgement;
//   kPermissionDenied  it claims an acknowledgement, but of another delivery id, of another
//                      package digest, the partner has no (usable) Ed25519 key, or the
//                      signature does not verify;
//   kInvalidArgument   the "signature" field is missing, not a string, not base64 or not 64
//                      bytes.
// Never throws, whatever the body holds.
[[nodiscard]] Result<bool> VerifyAckBody(std::string_view response_body,
                                         std::string_view partner_ed25519_public_b64,
                                         std::string_view delivery_id,
                                         std::string_view package_sha256_hex);

}  // namespace forewarn::delivery
