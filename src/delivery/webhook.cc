#include "delivery/webhook.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cstddef>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <utility>
#include <vector>

#include "delivery/package.h"

namespace forewarn::delivery {
namespace {

using nlohmann::json;

constexpr std::string_view kSignatureScheme = "v1=";
constexpr std::string_view kSecretPrefix = "whsec_";
constexpr std::string_view kSecretContext = "forewarn-webhook-secret/v1\n";
constexpr std::string_view kAckDomain = "forewarn-ack-v1\n";
constexpr size_t kMacBytes = 32;
constexpr size_t kEd25519PublicKeyBytes = 32;
constexpr size_t kEd25519SignatureBytes = 64;

// `text` without surrounding spaces and tabs (HTTP optional whitespace).
std::string_view Trim(std::string_view text) {
  const size_t first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  const size_t last = text.find_last_not_of(" \t");
  return text.substr(first, last - first + 1);
}

std::optional<int64_t> ParseUnixSeconds(std::string_view text) {
  text = Trim(text);
  int64_t value = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end) return std::nullopt;
  return value;
}

// The hex payloads of the "v1=" entries of a signature header, in order.
std::vector<std::string_view> V1Entries(std::string_view header) {
  std::vector<std::string_view> entries;
  while (true) {
    const size_t comma = header.find(',');
    const std::string_view entry = Trim(header.substr(0, comma));
    if (entry.substr(0, kSignatureScheme.size()) == kSignatureScheme) {
      entries.push_back(entry.substr(kSignatureScheme.size()));
    }
    if (comma == std::string_view::npos) break;
    header.remove_prefix(comma + 1);
  }
  return entries;
}

// True iff `ts` (Unix seconds) lies within [now - window, now + window]. Compared in whole
// seconds, rounding the bounds inwards, so no value of `ts` can overflow a conversion.
bool WithinWindow(int64_t ts, TimePoint now, std::chrono::seconds window) {
  using std::chrono::ceil;
  using std::chrono::floor;
  using std::chrono::seconds;
  if (window < seconds(0)) return false;
  // Keep now ± window representable in the clock's nanoseconds; a century means "any time".
  window = std::min(window, seconds(std::chrono::hours(24 * 365 * 100)));
  const int64_t earliest = ceil<seconds>((now - window).time_since_epoch()).count();
  const int64_t latest = floor<seconds>((now + window).time_since_epoch()).count();
  return ts >= earliest && ts <= latest;
}

uint64_t RandomUint64(crypto::Random& random) {
  const std::string bytes = crypto::RandomBytes(random, sizeof(uint64_t));
  uint64_t value = 0;
  for (const char byte : bytes) value = (value << 8U) | static_cast<unsigned char>(byte);
  return value;
}

// min(initial · 2^(failed_attempts-1), max_delay) in seconds; never overflows.
int64_t BackoffSeconds(int failed_attempts, const RetryPolicy& policy) {
  const int64_t initial = policy.initial.count();
  const int64_t cap = policy.max_delay.count();
  if (initial <= 0 || cap <= 0) return 0;
  const int shift = failed_attempts < 1 ? 0 : failed_attempts - 1;
  // initial << shift <= cap  iff  initial <= cap >> shift (for shifts the type can hold).
  if (shift >= std::numeric_limits<int64_t>::digits || initial > (cap >> shift)) return cap;
  return initial << shift;
}

Result<bool> Denied(std::string message) {
  return Fail(ErrorCode::kPermissionDenied, std::move(message));
}

// HMAC-SHA-256(secret, decimal(unix_seconds) + "." + body), raw.
std::string Mac(std::string_view secret, int64_t unix_seconds, std::string_view body) {
  return crypto::HmacSha256(secret, fmt::format("{}.{}", unix_seconds, body));
}

const std::string* StringMember(const json& object, const char* name) {
  const auto it = object.find(name);
  if (it == object.end() || !it->is_string()) return nullptr;
  return &it->get_ref<const std::string&>();
}

}  // namespace

std::string WebhookSignature(std::string_view secret, int64_t unix_seconds, std::string_view body) {
  return fmt::format("{}{}", kSignatureScheme, crypto::Hex(Mac(secret, unix_seconds, body)));
}

Status VerifyWebhookSignature(std::string_view secret, std::string_view timestamp_header,
                              std::string_view signature_header, std::string_view body,
                              TimePoint now, std::chrono::seconds window) {
  const std::optional<int64_t> ts = ParseUnixSeconds(timestamp_header);
  if (!ts.has_value()) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("{} is not a decimal Unix time", kWebhookTimestampHeader));
  }
  const std::vector<std::string_view> entries = V1Entries(signature_header);
  if (entries.empty()) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("{} has no v1= entry", kWebhookSignatureHeader));
  }
  // The window first: a replayed request is refused without computing anything secret.
  if (!WithinWindow(*ts, now, window)) {
    return Fail(ErrorCode::kPermissionDenied, "timestamp outside the replay window");
  }
  const std::string expected = Mac(secret, *ts, body);
  bool matched = false;
  for (const std::string_view entry : entries) {
    // Every entry is decoded and compared, so the time taken does not depend on which matched.
    const Result<std::string> mac = crypto::FromHex(entry);
    if (mac.has_value() && mac->size() == kMacBytes && crypto::ConstantTimeEquals(*mac, expected)) {
      matched = true;
    }
  }
  if (!matched) return Fail(ErrorCode::kPermissionDenied, "signature does not match");
  return Ok();
}

std::string WebhookSecret(const crypto::SecretBytes& program_secret, std::string_view partner_id,
                          int generation) {
  const std::string context = fmt::format("{}{}\n{}", kSecretContext, partner_id, generation);
  // KeyedHash is BLAKE2b-256: exactly the 32 bytes the secret is made of.
  std::string raw = crypto::KeyedHash(program_secret, context);
  std::string secret = fmt::format("{}{}", kSecretPrefix, crypto::Base64Url(raw));
  crypto::Wipe(raw);
  return secret;
}

std::chrono::milliseconds RetryDelay(int failed_attempts, const RetryPolicy& policy,
                                     crypto::Random& random) {
  const std::chrono::milliseconds delay =
      std::chrono::seconds(BackoffSeconds(failed_attempts, policy));
  const int64_t total = delay.count();
  const int64_t half = total / 2;
  // Uniform in [0, total - half]; the modulo bias is below 2^-40 for any delay under a year.
  const auto span = static_cast<uint64_t>(total - half) + 1;
  const uint64_t draw = RandomUint64(random);
  return std::chrono::milliseconds(half + static_cast<int64_t>(draw % span));
}

std::string AckSigningBytes(std::string_view delivery_id, std::string_view package_sha256_hex) {
  return fmt::format("{}{}\n{}", kAckDomain, delivery_id, package_sha256_hex);
}

std::string AckBody(std::string_view delivery_id, std::string_view package_sha256_hex,
                    const crypto::SecretBytes& partner_ed25519_secret) {
  const std::string signature =
      crypto::Sign(partner_ed25519_secret, AckSigningBytes(delivery_id, package_sha256_hex));
  return CanonicalJson(json{{"acknowledged", delivery_id},
                            {"package_sha256", package_sha256_hex},
                            {"signature", crypto::Base64(signature)}});
}

Result<bool> VerifyAckBody(std::string_view response_body,
                           std::string_view partner_ed25519_public_b64,
                           std::string_view delivery_id, std::string_view package_sha256_hex) {
  const json body = json::parse(response_body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded() || !body.is_object()) return false;
  const std::string* acknowledged = StringMember(body, "acknowledged");
  if (acknowledged == nullptr) return false;
  if (*acknowledged != delivery_id) {
    return Denied(fmt::format("acknowledgement names another delivery (expected {})", delivery_id));
  }
  const std::string* digest = StringMember(body, "package_sha256");
  if (digest == nullptr || *digest != package_sha256_hex) {
    return Denied(
        fmt::format("acknowledgement of {} names another package than the one sent", delivery_id));
  }
  if (partner_ed25519_public_b64.empty()) {
    return Denied("partner has no Ed25519 key registered to check a signed acknowledgement");
  }
  const Result<std::string> public_key = crypto::FromBase64(partner_ed25519_public_b64);
  if (!public_key.has_value() || public_key->size() != kEd25519PublicKeyBytes) {
    return Denied("partner's registered Ed25519 key is malformed");
  }
  const std::string* signature_text = StringMember(body, "signature");
  if (signature_text == nullptr) {
    return Fail(ErrorCode::kInvalidArgument,
                "acknowledgement field \"signature\" is missing or not a string");
  }
  const Result<std::string> signature = crypto::FromBase64(*signature_text);
  if (!signature.has_value() || signature->size() != kEd25519SignatureBytes) {
    return Fail(ErrorCode::kInvalidArgument,
                "acknowledgement field \"signature\" is not base64 of 64 bytes");
  }
  if (!crypto::VerifySignature(*public_key, AckSigningBytes(delivery_id, package_sha256_hex),
                               *signature)) {
    return Denied(fmt::format(
        "acknowledgement signature of {} does not verify with the partner's Ed25519 key",
        delivery_id));
  }
  return true;
}

}  // namespace forewarn::delivery
