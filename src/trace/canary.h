// File: trace/canary.h
//
// Canaries (DESIGN.md capability 6): per-recipient unique values placed where an attacker who
// reuses a leaked PoC exposes them in the wild — a web shell's file name, a URL path, a
// user-agent, a marker string, a DNS name. Each value carries a token derived with a keyed
// function of the program secret, the advisory, the artifact, the canary's slot and the
// partner, so the program can recompute every partner's value at any time (nothing to keep
// secret in the store) and a partner cannot predict another partner's.
//
//   CanarySlot slot{.name = "shell", .kind = CanaryKind::kFileName, .pattern = "help-{id}.aspx"};
//   FW_ASSIGN_OR_RETURN(auto value, RenderCanary(slot, CanaryToken(key, adv, art, slot.name, p)));
//   CanaryIndex index;  index.Add({p, slot.name, value});   // every partner's issued values
//   auto hits = index.Find(observed_logs);                  // after exploitation is seen
//
// Tokens are 10 characters of lowercase RFC 4648 base32 (50 bits): among 10,000 partners and a
// handful of slots the chance that two issued tokens collide is below 1e-6, and CanaryIndex
// reports a collision rather than guessing. Matching is case-insensitive, since URL paths and
// DNS names are often lower- or upper-cased by the systems that log them.
//
// Thread safety: the functions are pure; a CanaryIndex may be read from many threads once
// built.
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/result.h"
#include "crypto/crypto.h"

namespace forewarn::trace {

enum class CanaryKind { kFileName, kUrlPath, kUserAgent, kMarker, kDnsName };

std::string_view ToString(CanaryKind kind);
[[nodiscard]] Result<CanaryKind> ParseCanaryKind(std::string_view text);

inline constexpr size_t kCanaryTokenLength = 10;

// Where a canary goes in an artifact and what it looks like: `pattern` holds "{id}" exactly
// once, replaced by the recipient's token ("help-{id}.aspx", "/_layouts/15/{id}.aspx",
// "Mozilla/5.0 (Windows NT 10.0; Win64; x64) rv:{id}", "{id}.cdn-health.example").
struct CanarySlot {
  std::string name;  // unique within the artifact: "shell", "ua"
  CanaryKind kind = CanaryKind::kMarker;
  std::string pattern;
};

// Checks a slot: a name of 1..64 characters [a-z0-9._-], exactly one "{id}" in a pattern of
// at most 512 bytes, and what the kind requires (a file name has no '/' or '\'; a URL path
// starts with '/'; a DNS name is lowercase letters, digits, '-' and '.', with labels of at most
// 63 bytes). kInvalidArgument naming the problem.
[[nodiscard]] Status ValidateCanarySlot(const CanarySlot& slot);

// The recipient's token for one slot: 10 base32 characters of
// BLAKE2b(key, "forewarn-canary/v1\n" advisory "\n" artifact "\n" slot "\n" partner).
std::string CanaryToken(const crypto::SecretBytes& key, std::string_view advisory_id,
                        std::string_view artifact_id, std::string_view slot,
                        std::string_view partner_id);

// The slot's pattern with the token in place of "{id}". kInvalidArgument for a bad slot.
[[nodiscard]] Result<std::string> RenderCanary(const CanarySlot& slot, std::string_view token);

// One issued canary.
struct IssuedCanary {
  std::string partner_id;
  std::string slot;
  std::string value;  // as rendered; its token is found inside it
  std::string token;
};

// A canary found in observed text (a leaked copy, web server logs, DNS logs).
struct CanaryHit {
  IssuedCanary canary;
  size_t offset = 0;              // where the token starts in the text
  bool whole_value_seen = false;  // the full rendered value, not only the token
};

// Every issued canary of an advisory, for lookup by token.
class CanaryIndex {
 public:
  // Adds an issued canary. kConflict if another partner's canary has the same token (then
  // neither can be trusted to name its partner; re-key the slot). Adding the same canary
  // twice is harmless.
  [[nodiscard]] Status Add(IssuedCanary canary);
  size_t size() const { return by_token_.size(); }

  // Every occurrence of an issued token in `text`, case-insensitively, in text order. One
  // pass over the text: each window of 10 base32 characters is looked up once.
  std::vector<CanaryHit> Find(std::string_view text) const;

 private:
  std::unordered_map<std::string, IssuedCanary> by_token_;  // lowercase token -> canary
};

}  // namespace forewarn::trace
