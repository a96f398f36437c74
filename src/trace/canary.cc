#include "trace/canary.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace forewarn::trace {
namespace {

constexpr std::string_view kPlaceholder = "{id}";
constexpr std::string_view kBase32 = "abcdefghijklmnopqrstuvwxyz234567";

bool IsBase32(char c) {
  const char lower = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return (lower >= 'a' && lower <= 'z') || (lower >= '2' && lower <= '7');
}

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

Status CheckDnsName(std::string_view name) {
  size_t label = 0;
  for (char c : name) {
    if (c == '.') {
      if (label == 0) return Fail(ErrorCode::kInvalidArgument, "DNS name has an empty label");
      label = 0;
      continue;
    }
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    if (!ok) {
      return Fail(ErrorCode::kInvalidArgument,
                  "DNS name may hold only lowercase letters, digits, '-' and '.'");
    }
    if (++label > 63) {
      return Fail(ErrorCode::kInvalidArgument, "DNS name label is longer than 63 bytes");
    }
  }
  if (label == 0) return Fail(ErrorCode::kInvalidArgument, "DNS name ends with an empty label");
  return {};
}

}  // namespace

std::string_view ToString(CanaryKind kind) {
  switch (kind) {
    case CanaryKind::kFileName:
      return "file-name";
    case CanaryKind::kUrlPath:
      return "url-path";
    case CanaryKind::kUserAgent:
      return "user-agent";
    case CanaryKind::kMarker:
      return "marker";
    case CanaryKind::kDnsName:
      return "dns-name";
  }
  return "unknown";
}

Result<CanaryKind> ParseCanaryKind(std::string_view text) {
  for (CanaryKind kind : {CanaryKind::kFileName, CanaryKind::kUrlPath, CanaryKind::kUserAgent,
                          CanaryKind::kMarker, CanaryKind::kDnsName}) {
    if (text == ToString(kind)) return kind;
  }
  return Fail(ErrorCode::kInvalidArgument,
              fmt::format("unknown canary kind '{}': expected file-name, url-path, user-agent, "
                          "marker or dns-name",
                          text.substr(0, 32)));
}

Status ValidateCanarySlot(const CanarySlot& slot) {
  if (slot.name.empty() || slot.name.size() > 64 ||
      !std::all_of(slot.name.begin(), slot.name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
      })) {
    return Fail(ErrorCode::kInvalidArgument,
                "canary slot name must be 1..64 characters of [a-z0-9._-]");
  }
  if (slot.pattern.size() > 512) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("canary slot {}: pattern is longer than 512 bytes", slot.name));
  }
  const size_t at = slot.pattern.find(kPlaceholder);
  if (at == std::string::npos || slot.pattern.find(kPlaceholder, at + 1) != std::string::npos) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("canary slot {}: pattern must hold {{id}} exactly once", slot.name));
  }
  // The checks below look at a rendered example, so they apply to what partners receive.
  std::string example = slot.pattern;
  example.replace(at, kPlaceholder.size(), std::string(kCanaryTokenLength, 'a'));
  switch (slot.kind) {
    case CanaryKind::kFileName:
      if (example.find_first_of("/\\") != std::string::npos) {
        return Fail(ErrorCode::kInvalidArgument,
                    fmt::format("canary slot {}: a file name has no '/' or '\\'", slot.name));
      }
      break;
    case CanaryKind::kUrlPath:
      if (example.front() != '/') {
        return Fail(ErrorCode::kInvalidArgument,
                    fmt::format("canary slot {}: a URL path starts with '/'", slot.name));
      }
      break;
    case CanaryKind::kDnsName:
      if (auto ok = CheckDnsName(example); !ok) {
        return Fail(ErrorCode::kInvalidArgument,
                    fmt::format("canary slot {}: {}", slot.name, ok.error().message));
      }
      break;
    case CanaryKind::kUserAgent:
    case CanaryKind::kMarker:
      break;
  }
  for (char c : example) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return Fail(ErrorCode::kInvalidArgument,
                  fmt::format("canary slot {}: pattern has a control character", slot.name));
    }
  }
  return {};
}

std::string CanaryToken(const crypto::SecretBytes& key, std::string_view advisory_id,
                        std::string_view artifact_id, std::string_view slot,
                        std::string_view partner_id) {
  const std::string digest =
      crypto::KeyedHash(key, fmt::format("forewarn-canary/v1\n{}\n{}\n{}\n{}", advisory_id,
                                         artifact_id, slot, partner_id));
  // 50 bits: ten 5-bit groups from the first 7 bytes.
  uint64_t bits = 0;
  for (size_t i = 0; i < 7; ++i) bits = (bits << 8) | static_cast<unsigned char>(digest[i]);
  std::string token(kCanaryTokenLength, 'a');
  for (size_t i = 0; i < kCanaryTokenLength; ++i) {
    token[i] = kBase32[(bits >> (51 - 5 * i)) & 31];
  }
  return token;
}

Result<std::string> RenderCanary(const CanarySlot& slot, std::string_view token) {
  FW_TRY(ValidateCanarySlot(slot));
  if (token.size() != kCanaryTokenLength || !std::all_of(token.begin(), token.end(), IsBase32)) {
    return Fail(ErrorCode::kInvalidArgument, "a canary token is 10 base32 characters");
  }
  std::string value = slot.pattern;
  value.replace(value.find(kPlaceholder), kPlaceholder.size(), token);
  return value;
}

Status CanaryIndex::Add(IssuedCanary canary) {
  std::string key = Lower(canary.token);
  if (key.size() != kCanaryTokenLength || !std::all_of(key.begin(), key.end(), IsBase32)) {
    return Fail(ErrorCode::kInvalidArgument, "a canary token is 10 base32 characters");
  }
  if (Lower(canary.value).find(key) == std::string::npos) {
    return Fail(ErrorCode::kInvalidArgument, "the canary's value does not contain its token");
  }
  auto [it, inserted] = by_token_.try_emplace(key, canary);
  if (!inserted && (it->second.partner_id != canary.partner_id || it->second.slot != canary.slot)) {
    return Fail(
        ErrorCode::kConflict,
        fmt::format("canary token of {} slot {} collides with {} slot {}", canary.partner_id,
                    canary.slot, it->second.partner_id, it->second.slot));
  }
  return {};
}

std::vector<CanaryHit> CanaryIndex::Find(std::string_view text) const {
  std::vector<CanaryHit> hits;
  if (text.size() < kCanaryTokenLength || by_token_.empty()) return hits;
  const std::string lower = Lower(text);
  std::string window;
  for (size_t start = 0; start + kCanaryTokenLength <= lower.size(); ++start) {
    // Skip ahead past any character that cannot be part of a token.
    const auto bad = std::find_if_not(lower.begin() + start,
                                      lower.begin() + start + kCanaryTokenLength, IsBase32);
    if (bad != lower.begin() + start + kCanaryTokenLength) {
      start = static_cast<size_t>(bad - lower.begin());
      continue;
    }
    window.assign(lower, start, kCanaryTokenLength);
    const auto it = by_token_.find(window);
    if (it == by_token_.end()) continue;
    CanaryHit hit{.canary = it->second, .offset = start};
    // The full value around the token, compared case-insensitively.
    const std::string value = Lower(it->second.value);
    const size_t token_at = value.find(window);
    if (token_at <= start && start - token_at + value.size() <= lower.size()) {
      hit.whole_value_seen = lower.compare(start - token_at, value.size(), value) == 0;
    }
    hits.push_back(std::move(hit));
  }
  return hits;
}

}  // namespace forewarn::trace
