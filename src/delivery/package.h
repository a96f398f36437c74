// File: delivery/package.h
//
// Signed and sealed delivery packages (DESIGN.md capability 5): every package is signed by the
// program's Ed25519 key and may be sealed to the partner's X25519 key; partners check it with
// `forewarn verify`.
//
//   std::string signed_package = delivery::SignPackage(view, keys.signing);
//   FW_ASSIGN_OR_RETURN(auto sealed, delivery::SealPackage(signed_package, partner_x25519,
//   random)); FW_ASSIGN_OR_RETURN(auto verified, delivery::VerifyPackage(sealed, program_pub,
//   &partner_keys));
//
// Formats (one JSON object each, keys sorted, no spaces):
//   signed  {"format":"forewarn-package/1","payload":"<base64 of the payload bytes>",
//            "payload_sha256":"<hex>","program_key":"<base64 Ed25519 public key>",
//            "signature":"<base64 Ed25519 detached signature over the payload bytes>"}
//   sealed  {"format":"forewarn-sealed/1","recipient_key":"<base64 X25519 public key>",
//            "sealed_key":"<base64 crypto_box_seal of the 32-byte stream key>",
//            "stream":"<base64 of crypto::EncryptStream(stream key, signed package bytes)>"}
// The payload bytes are CanonicalJson of the partner's view, so the signature covers exactly
// what the partner reads.
//
// Nothing here throws; all functions are thread-safe (`random` must be, if shared).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/result.h"
#include "crypto/crypto.h"

namespace forewarn::delivery {

inline constexpr std::string_view kSignedPackageFormat = "forewarn-package/1";
inline constexpr std::string_view kSealedPackageFormat = "forewarn-sealed/1";

// nlohmann's dump() of `value`: object keys sorted, no whitespace, UTF-8 as is.
std::string CanonicalJson(const nlohmann::json& value);

// The signed package of `payload` (signed over CanonicalJson(payload)) by `program`.
std::string SignPackage(const nlohmann::json& payload, const crypto::SigningKeyPair& program);

// `signed_package` encrypted under a fresh 32-byte stream key drawn from `random`, with that
// key sealed to `recipient_x25519_public_raw` (32 raw bytes). kInvalidArgument on a bad key.
[[nodiscard]] Result<std::string> SealPackage(std::string_view signed_package,
                                              std::string_view recipient_x25519_public_raw,
                                              crypto::Random& random);

struct VerifiedPackage {
  nlohmann::json payload;
  std::string payload_sha256;  // hex digest of the signed payload bytes
  bool was_sealed = false;
};

// Checks a signed or sealed package against the program's Ed25519 public key (32 raw bytes).
// `recipient` is the partner's X25519 key pair; it is needed iff the package is sealed
// (may be null otherwise). Every failure is kInvalidArgument, with messages such as
// "signature does not verify", "package was signed by a different key", "sealed package needs
// the recipient's secret key (--secret-key)", "cannot open: not sealed to this key or
// tampered", or one naming the malformed field.
[[nodiscard]] Result<VerifiedPackage> VerifyPackage(std::string_view package,
                                                    std::string_view program_public_key_raw,
                                                    const crypto::BoxKeyPair* recipient);

}  // namespace forewarn::delivery
