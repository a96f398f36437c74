// File: crypto/crypto.h
//
// libsodium wrappers: secret memory, injected randomness, hashing, Ed25519 signatures,
// X25519 keys and sealed boxes, keyed derivation, encodings, and the program's key files.
// Byte strings are carried in std::string (raw bytes, not text) and passed as string_view.
//
//   FW_TRY(crypto::Initialize());                 // once, in main
//   crypto::SystemRandom random;
//   auto keys = crypto::GenerateProgramKeys(random);
//   std::string sig = crypto::Sign(keys.signing.secret_key, message);
//
// All functions are thread-safe; Random implementations document their own thread safety.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>

#include "core/result.h"

namespace forewarn::crypto {

// Calls sodium_init(). Must succeed before any other function here is used.
[[nodiscard]] Status Initialize();

// Move-only secret bytes, zeroed with sodium_memzero when destroyed or moved from. There is no
// way to print or format it; compare with Equals (constant time).
class SecretBytes {
 public:
  SecretBytes() = default;
  explicit SecretBytes(size_t size);
  static SecretBytes CopyFrom(std::string_view raw);
  ~SecretBytes();
  SecretBytes(SecretBytes&& other) noexcept;
  SecretBytes& operator=(SecretBytes&& other) noexcept;
  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  const unsigned char* data() const { return data_; }
  unsigned char* mutable_data() { return data_; }
  std::string_view view() const { return {reinterpret_cast<const char*>(data_), size_}; }
  bool Equals(const SecretBytes& other) const;

 private:
  void Release();
  unsigned char* data_ = nullptr;
  size_t size_ = 0;
};

// The randomness interface. Production: SystemRandom (randombytes_buf, thread-safe).
// Tests use testing::SeededRandom for reproducible keys, ids and tokens.
class Random {
 public:
  virtual ~Random() = default;
  virtual void Fill(std::span<std::byte> out) = 0;
};

class SystemRandom final : public Random {
 public:
  void Fill(std::span<std::byte> out) override;
};

// `n` random bytes from `random`.
std::string RandomBytes(Random& random, size_t n);

// A random identifier: `prefix` + "_" + 16 lowercase hex characters (64 bits).
std::string NewId(Random& random, std::string_view prefix);

// --- hashing and encodings ---
std::string Sha256(std::string_view data);  // 32 raw bytes
std::string Sha512(std::string_view data);  // 64 raw bytes
std::string Hex(std::string_view raw);
[[nodiscard]] Result<std::string> FromHex(std::string_view hex);
std::string Base64(std::string_view raw);     // standard alphabet, padded
std::string Base64Url(std::string_view raw);  // URL-safe alphabet, unpadded
[[nodiscard]] Result<std::string> FromBase64(std::string_view text);
[[nodiscard]] Result<std::string> FromBase64Url(std::string_view text);

// Overwrites the string's bytes with zeros (sodium_memzero) and clears it. For transient
// copies of secrets (token text, key file contents) that must not linger in memory.
void Wipe(std::string& secret);

// Equality of two byte strings in time independent of their contents (lengths may leak).
bool ConstantTimeEquals(std::string_view a, std::string_view b);

// HMAC-SHA-256 (RFC 2104) of `message` under `key` of any length (longer than 64 bytes is
// hashed first, as RFC 2104 says): 32 raw bytes. For webhook signatures, which receivers check
// with the HMAC their platform offers. Compare MACs with ConstantTimeEquals.
std::string HmacSha256(std::string_view key, std::string_view message);

// BLAKE2b-256 keyed by `key` (16..64 bytes). Used to hash token secrets at rest and to derive
// per-recipient values from the program secret.
std::string KeyedHash(const SecretBytes& key, std::string_view message);

// A 32-byte subkey of `master` for a purpose named by `context` (libsodium crypto_kdf; the
// context is padded/truncated to 8 bytes) and `subkey_id`.
SecretBytes DeriveKey(const SecretBytes& master, std::string_view context, uint64_t subkey_id);

// --- secret-key authenticated encryption (XSalsa20-Poly1305, crypto_secretbox) ---
// Encrypts `message` under the 32-byte `key` with a fresh nonce from `random`; the result is
// nonce || ciphertext. For opaque handles the server gives out and must get back unaltered
// (feed cursors), so they reveal nothing and cannot be forged.
std::string EncryptWithKey(const SecretBytes& key, std::string_view message, Random& random);
// kInvalidArgument if `box` was not made by EncryptWithKey under this key or was altered.
[[nodiscard]] Result<std::string> DecryptWithKey(const SecretBytes& key, std::string_view box);

// --- Ed25519 signatures ---
struct SigningKeyPair {
  std::string public_key;  // 32 raw bytes
  SecretBytes secret_key;  // 64 raw bytes (libsodium form: seed || public key)
};
SigningKeyPair GenerateSigningKeyPair(Random& random);
std::string Sign(const SecretBytes& secret_key, std::string_view message);  // 64 raw bytes
bool VerifySignature(std::string_view public_key, std::string_view message,
                     std::string_view signature);

// --- X25519 and sealed boxes ---
struct BoxKeyPair {
  std::string public_key;  // 32 raw bytes
  SecretBytes secret_key;  // 32 raw bytes
};
BoxKeyPair GenerateBoxKeyPair(Random& random);
// Anonymous sealed box to `public_key` (crypto_box_seal). kInvalidArgument on a bad key.
[[nodiscard]] Result<std::string> Seal(std::string_view public_key, std::string_view message);
// kInvalidArgument if the box was not sealed to this key pair or was altered.
[[nodiscard]] Result<std::string> OpenSealed(const BoxKeyPair& keys, std::string_view box);

// The key pair whose secret is `secret_raw` (32 raw bytes); the public key is derived with
// crypto_scalarmult_base. kInvalidArgument if the secret is not 32 bytes.
[[nodiscard]] Result<BoxKeyPair> BoxKeyPairFromSecret(std::string_view secret_raw);

// --- streaming authenticated encryption (XChaCha20-Poly1305, crypto_secretstream) ---
// For payloads too large for one box. The stream is header || chunk..., each chunk a 4-byte
// big-endian ciphertext length followed by that many ciphertext bytes; the last chunk carries
// the FINAL tag (an empty plaintext is one empty FINAL chunk). `key` must be 32 bytes (take it
// from RandomBytes(random, kStreamKeyBytes)); `chunk_size` (> 0) bounds each plaintext chunk.
inline constexpr size_t kStreamKeyBytes = 32;
std::string EncryptStream(const SecretBytes& key, std::string_view plaintext,
                          size_t chunk_size = size_t{64} * 1024);
// The plaintext of a stream made by EncryptStream under `key`. kInvalidArgument if the key is
// not 32 bytes, a chunk was altered, reordered or dropped, the stream ends before the FINAL
// chunk, bytes follow the FINAL chunk, or a length prefix is out of range.
[[nodiscard]] Result<std::string> DecryptStream(const SecretBytes& key, std::string_view stream);

// --- the program's keys ---
// The program's identity: Ed25519 signing key (packages, tree heads), X25519 key, and the
// 32-byte program secret from which token hashing keys and fingerprints are derived.
struct ProgramKeys {
  SigningKeyPair signing;
  BoxKeyPair box;
  SecretBytes program_secret;
};
ProgramKeys GenerateProgramKeys(Random& random);

// Writes the keys under `dir` (signing.key, signing.pub, box.key, box.pub, program.secret),
// secret files with mode 0600, refusing to overwrite (kConflict if any exists).
[[nodiscard]] Status SaveProgramKeys(const ProgramKeys& keys, const std::filesystem::path& dir);
// Reads them back. kNotFound if missing; kFailedPrecondition if a secret file is readable by
// group or others; kInvalidArgument if a file is malformed.
[[nodiscard]] Result<ProgramKeys> LoadProgramKeys(const std::filesystem::path& dir);

}  // namespace forewarn::crypto
