#include "delivery/package.h"

#include <utility>

namespace forewarn::delivery {
namespace {

using nlohmann::json;

constexpr char kCannotOpen[] = "cannot open: not sealed to this key or tampered";

Result<VerifiedPackage> Invalid(std::string message) {
  return Fail(ErrorCode::kInvalidArgument, std::move(message));
}

// The string field `name` of `object`, base64-decoded when `base64` is set.
Result<std::string> Field(const json& object, const char* name, bool base64) {
  const auto it = object.find(name);
  if (it == object.end() || !it->is_string()) {
    return Fail(ErrorCode::kInvalidArgument,
                std::string("package field \"") + name + "\" is missing or not a string");
  }
  const auto& text = it->get_ref<const std::string&>();
  if (!base64) return text;
  auto raw = crypto::FromBase64(text);
  if (!raw) {
    return Fail(ErrorCode::kInvalidArgument,
                std::string("package field \"") + name + "\" is not valid base64");
  }
  return raw;
}

Result<json> ParseObject(std::string_view text) {
  json parsed = json::parse(text, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object()) {
    return Fail(ErrorCode::kInvalidArgument, "package is not a JSON object");
  }
  return parsed;
}

Result<VerifiedPackage> VerifySigned(const json& package, std::string_view program_public_key) {
  FW_ASSIGN_OR_RETURN(auto key, Field(package, "program_key", true));
  FW_ASSIGN_OR_RETURN(auto payload, Field(package, "payload", true));
  FW_ASSIGN_OR_RETURN(auto digest, Field(package, "payload_sha256", false));
  FW_ASSIGN_OR_RETURN(auto signature, Field(package, "signature", true));
  if (!crypto::ConstantTimeEquals(key, program_public_key)) {
    return Invalid("package was signed by a different key");
  }
  if (!crypto::VerifySignature(program_public_key, payload, signature)) {
    return Invalid("signature does not verify");
  }
  VerifiedPackage verified;
  verified.payload_sha256 = crypto::Hex(crypto::Sha256(payload));
  if (digest != verified.payload_sha256) {
    return Invalid("payload_sha256 does not match the payload");
  }
  verified.payload = json::parse(payload, nullptr, false);
  if (verified.payload.is_discarded()) return Invalid("payload is not JSON");
  return verified;
}

Result<VerifiedPackage> VerifySealed(const json& package, std::string_view program_public_key,
                                     const crypto::BoxKeyPair* recipient) {
  if (recipient == nullptr) {
    return Invalid("sealed package needs the recipient's secret key (--secret-key)");
  }
  FW_ASSIGN_OR_RETURN(auto recipient_key, Field(package, "recipient_key", true));
  FW_ASSIGN_OR_RETURN(auto sealed_key, Field(package, "sealed_key", true));
  FW_ASSIGN_OR_RETURN(auto stream, Field(package, "stream", true));
  if (recipient_key != recipient->public_key) return Invalid(kCannotOpen);
  auto opened = crypto::OpenSealed(*recipient, sealed_key);
  if (!opened || opened->size() != crypto::kStreamKeyBytes) {
    if (opened) crypto::Wipe(*opened);
    return Invalid(kCannotOpen);
  }
  const auto stream_key = crypto::SecretBytes::CopyFrom(*opened);
  crypto::Wipe(*opened);
  auto inner_text = crypto::DecryptStream(stream_key, stream);
  if (!inner_text) return Invalid(kCannotOpen);
  FW_ASSIGN_OR_RETURN(auto inner, ParseObject(*inner_text));
  FW_ASSIGN_OR_RETURN(auto format, Field(inner, "format", false));
  // Only a signed package may be inside: a sealed package must carry the program's signature.
  if (format != kSignedPackageFormat) return Invalid("sealed package does not hold a signed one");
  FW_ASSIGN_OR_RETURN(auto verified, VerifySigned(inner, program_public_key));
  verified.was_sealed = true;
  return verified;
}

}  // namespace

std::string CanonicalJson(const nlohmann::json& value) {
  // Replace invalid UTF-8 rather than throw; views built from the store are valid UTF-8.
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string SignPackage(const nlohmann::json& payload, const crypto::SigningKeyPair& program) {
  const std::string bytes = CanonicalJson(payload);
  return CanonicalJson(
      json{{"format", kSignedPackageFormat},
           {"program_key", crypto::Base64(program.public_key)},
           {"payload", crypto::Base64(bytes)},
           {"payload_sha256", crypto::Hex(crypto::Sha256(bytes))},
           {"signature", crypto::Base64(crypto::Sign(program.secret_key, bytes))}});
}

Result<std::string> SealPackage(std::string_view signed_package,
                                std::string_view recipient_x25519_public_raw,
                                crypto::Random& random) {
  std::string raw_key = crypto::RandomBytes(random, crypto::kStreamKeyBytes);
  const auto stream_key = crypto::SecretBytes::CopyFrom(raw_key);
  auto sealed_key = crypto::Seal(recipient_x25519_public_raw, raw_key);
  crypto::Wipe(raw_key);
  if (!sealed_key) return Forward(sealed_key);
  return CanonicalJson(
      json{{"format", kSealedPackageFormat},
           {"recipient_key", crypto::Base64(recipient_x25519_public_raw)},
           {"sealed_key", crypto::Base64(*sealed_key)},
           {"stream", crypto::Base64(crypto::EncryptStream(stream_key, signed_package))}});
}

Result<VerifiedPackage> VerifyPackage(std::string_view package,
                                      std::string_view program_public_key_raw,
                                      const crypto::BoxKeyPair* recipient) {
  if (program_public_key_raw.size() != 32) {
    return Invalid("program key must be 32 bytes (Ed25519 public key)");
  }
  FW_ASSIGN_OR_RETURN(auto parsed, ParseObject(package));
  FW_ASSIGN_OR_RETURN(auto format, Field(parsed, "format", false));
  if (format == kSignedPackageFormat) return VerifySigned(parsed, program_public_key_raw);
  if (format == kSealedPackageFormat) {
    return VerifySealed(parsed, program_public_key_raw, recipient);
  }
  return Invalid("unknown package format \"" + format.substr(0, 40) + "\"");
}

}  // namespace forewarn::delivery
