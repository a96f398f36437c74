#include "crypto/crypto.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <fstream>
#include <iterator>

namespace forewarn::crypto {
namespace {

const unsigned char* U8(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

std::string FromU8(const unsigned char* p, size_t n) {
  return std::string(reinterpret_cast<const char*>(p), n);
}

}  // namespace

Status Initialize() {
  if (sodium_init() < 0) return Fail(ErrorCode::kInternal, "libsodium failed to initialize");
  return Ok();
}

// --- SecretBytes ---

SecretBytes::SecretBytes(size_t size) : size_(size) {
  if (size_ == 0) return;
  data_ = static_cast<unsigned char*>(sodium_malloc(size_));
  if (data_ == nullptr) throw std::bad_alloc();
  sodium_memzero(data_, size_);
}

SecretBytes SecretBytes::CopyFrom(std::string_view raw) {
  SecretBytes secret(raw.size());
  if (!raw.empty()) std::memcpy(secret.data_, raw.data(), raw.size());
  return secret;
}

SecretBytes::~SecretBytes() { Release(); }

SecretBytes::SecretBytes(SecretBytes&& other) noexcept : data_(other.data_), size_(other.size_) {
  other.data_ = nullptr;
  other.size_ = 0;
}

SecretBytes& SecretBytes::operator=(SecretBytes&& other) noexcept {
  if (this != &other) {
    Release();
    data_ = other.data_;
    size_ = other.size_;
    other.data_ = nullptr;
    other.size_ = 0;
  }
  return *this;
}

void SecretBytes::Release() {
  // sodium_free zeroes the memory before releasing it.
  if (data_ != nullptr) sodium_free(data_);
  data_ = nullptr;
  size_ = 0;
}

bool SecretBytes::Equals(const SecretBytes& other) const {
  return size_ == other.size_ && (size_ == 0 || sodium_memcmp(data_, other.data_, size_) == 0);
}

// --- randomness and ids ---

void SystemRandom::Fill(std::span<std::byte> out) {
  // The single adapter allowed to call randombytes_buf (see STYLE.md).
  randombytes_buf(out.data(), out.size());
}

std::string RandomBytes(Random& random, size_t n) {
  std::string out(n, '\0');
  random.Fill(std::as_writable_bytes(std::span<char>(out.data(), out.size())));
  return out;
}

std::string NewId(Random& random, std::string_view prefix) {
  return fmt::format("{}_{}", prefix, Hex(RandomBytes(random, 8)));
}

// --- hashing and encodings ---

std::string Sha256(std::string_view data) {
  std::array<unsigned char, crypto_hash_sha256_BYTES> out{};
  crypto_hash_sha256(out.data(), U8(data), data.size());
  return FromU8(out.data(), out.size());
}

std::string Sha512(std::string_view data) {
  std::array<unsigned char, crypto_hash_sha512_BYTES> out{};
  crypto_hash_sha512(out.data(), U8(data), data.size());
  return FromU8(out.data(), out.size());
}

std::string Hex(std::string_view raw) {
  std::string out(raw.size() * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), U8(raw), raw.size());
  out.pop_back();
  return out;
}

Result<std::string> FromHex(std::string_view hex) {
  std::string out(hex.size() / 2 + 1, '\0');
  size_t len = 0;
  const char* end = nullptr;
  if (hex.size() % 2 != 0 ||
      sodium_hex2bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), hex.data(),
                     hex.size(), nullptr, &len, &end) != 0 ||
      end != hex.data() + hex.size()) {
    return Fail(ErrorCode::kInvalidArgument, "invalid hexadecimal text");
  }
  out.resize(len);
  return out;
}

namespace {

std::string EncodeBase64(std::string_view raw, int variant) {
  std::string out(sodium_base64_encoded_len(raw.size(), variant), '\0');
  sodium_bin2base64(out.data(), out.size(), U8(raw), raw.size(), variant);
  out.resize(std::strlen(out.c_str()));
  return out;
}

Result<std::string> DecodeBase64(std::string_view text, int variant) {
  std::string out(text.size(), '\0');
  size_t len = 0;
  const char* end = nullptr;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(),
                        text.size(), nullptr, &len, &end, variant) != 0 ||
      end != text.data() + text.size()) {
    return Fail(ErrorCode::kInvalidArgument, "invalid base64 text");
  }
  out.resize(len);
  return out;
}

}  // namespace

std::string Base64(std::string_view raw) {
  return EncodeBase64(raw, sodium_base64_VARIANT_ORIGINAL);
}
std::string Base64Url(std::string_view raw) {
  return EncodeBase64(raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}
Result<std::string> FromBase64(std::string_view text) {
  return DecodeBase64(text, sodium_base64_VARIANT_ORIGINAL);
}
Result<std::string> FromBase64Url(std::string_view text) {
  return DecodeBase64(text, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

void Wipe(std::string& secret) {
  if (!secret.empty()) sodium_memzero(secret.data(), secret.size());
  secret.clear();
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string HmacSha256(std::string_view key, std::string_view message) {
  crypto_auth_hmacsha256_state state;
  std::array<unsigned char, crypto_auth_hmacsha256_BYTES> out{};
  crypto_auth_hmacsha256_init(&state, U8(key), key.size());
  crypto_auth_hmacsha256_update(&state, U8(message), message.size());
  crypto_auth_hmacsha256_final(&state, out.data());
  // The state holds the padded key; do not leave it on the stack.
  sodium_memzero(&state, sizeof state);
  return FromU8(out.data(), out.size());
}

std::string KeyedHash(const SecretBytes& key, std::string_view message) {
  std::array<unsigned char, crypto_generichash_BYTES> out{};
  const size_t key_len = std::min<size_t>(key.size(), crypto_generichash_KEYBYTES_MAX);
  crypto_generichash(out.data(), out.size(), U8(message), message.size(), key.data(), key_len);
  return FromU8(out.data(), out.size());
}

SecretBytes DeriveKey(const SecretBytes& master, std::string_view context, uint64_t subkey_id) {
  std::array<char, crypto_kdf_CONTEXTBYTES> ctx{};
  std::memcpy(ctx.data(), context.data(), std::min(context.size(), ctx.size()));
  SecretBytes subkey(32);
  // The master must be crypto_kdf_KEYBYTES (32); program secrets are generated that size.
  crypto_kdf_derive_from_key(subkey.mutable_data(), subkey.size(), subkey_id, ctx.data(),
                             master.data());
  return subkey;
}

// --- secretbox ---

std::string EncryptWithKey(const SecretBytes& key, std::string_view message, Random& random) {
  std::string out = RandomBytes(random, crypto_secretbox_NONCEBYTES);
  out.resize(crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + message.size());
  auto* nonce = reinterpret_cast<unsigned char*>(out.data());
  crypto_secretbox_easy(nonce + crypto_secretbox_NONCEBYTES, U8(message), message.size(), nonce,
                        key.data());
  return out;
}

Result<std::string> DecryptWithKey(const SecretBytes& key, std::string_view box) {
  if (key.size() != crypto_secretbox_KEYBYTES ||
      box.size() < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES) {
    return Fail(ErrorCode::kInvalidArgument, "sealed value is malformed");
  }
  const size_t cipher_len = box.size() - crypto_secretbox_NONCEBYTES;
  std::string out(cipher_len - crypto_secretbox_MACBYTES, '\0');
  if (crypto_secretbox_open_easy(reinterpret_cast<unsigned char*>(out.data()),
                                 U8(box.substr(crypto_secretbox_NONCEBYTES)), cipher_len, U8(box),
                                 key.data()) != 0) {
    return Fail(ErrorCode::kInvalidArgument, "sealed value is not authentic");
  }
  return out;
}

// --- Ed25519 ---

SigningKeyPair GenerateSigningKeyPair(Random& random) {
  SecretBytes seed(crypto_sign_SEEDBYTES);
  random.Fill(std::as_writable_bytes(std::span(seed.mutable_data(), seed.size())));
  SigningKeyPair pair;
  pair.public_key.assign(crypto_sign_PUBLICKEYBYTES, '\0');
  pair.secret_key = SecretBytes(crypto_sign_SECRETKEYBYTES);
  crypto_sign_seed_keypair(reinterpret_cast<unsigned char*>(pair.public_key.data()),
                           pair.secret_key.mutable_data(), seed.data());
  return pair;
}

std::string Sign(const SecretBytes& secret_key, std::string_view message) {
  std::string sig(crypto_sign_BYTES, '\0');
  crypto_sign_detached(reinterpret_cast<unsigned char*>(sig.data()), nullptr, U8(message),
                       message.size(), secret_key.data());
  return sig;
}

bool VerifySignature(std::string_view public_key, std::string_view message,
                     std::string_view signature) {
  if (public_key.size() != crypto_sign_PUBLICKEYBYTES || signature.size() != crypto_sign_BYTES) {
    return false;
  }
  return crypto_sign_verify_detached(U8(signature), U8(message), message.size(), U8(public_key)) ==
         0;
}

// --- X25519 ---

BoxKeyPair GenerateBoxKeyPair(Random& random) {
  SecretBytes seed(crypto_box_SEEDBYTES);
  random.Fill(std::as_writable_bytes(std::span(seed.mutable_data(), seed.size())));
  BoxKeyPair pair;
  pair.public_key.assign(crypto_box_PUBLICKEYBYTES, '\0');
  pair.secret_key = SecretBytes(crypto_box_SECRETKEYBYTES);
  crypto_box_seed_keypair(reinterpret_cast<unsigned char*>(pair.public_key.data()),
                          pair.secret_key.mutable_data(), seed.data());
  return pair;
}

Result<std::string> Seal(std::string_view public_key, std::string_view message) {
  if (public_key.size() != crypto_box_PUBLICKEYBYTES) {
    return Fail(ErrorCode::kInvalidArgument, "X25519 public key must be 32 bytes");
  }
  std::string box(message.size() + crypto_box_SEALBYTES, '\0');
  if (crypto_box_seal(reinterpret_cast<unsigned char*>(box.data()), U8(message), message.size(),
                      U8(public_key)) != 0) {
    return Fail(ErrorCode::kInvalidArgument, "sealing failed: invalid X25519 public key");
  }
  return box;
}

Result<std::string> OpenSealed(const BoxKeyPair& keys, std::string_view box) {
  if (box.size() < crypto_box_SEALBYTES || keys.public_key.size() != crypto_box_PUBLICKEYBYTES ||
      keys.secret_key.size() != crypto_box_SECRETKEYBYTES) {
    return Fail(ErrorCode::kInvalidArgument, "sealed box is truncated or the key is malformed");
  }
  std::string message(box.size() - crypto_box_SEALBYTES, '\0');
  if (crypto_box_seal_open(reinterpret_cast<unsigned char*>(message.data()), U8(box), box.size(),
                           U8(keys.public_key), keys.secret_key.data()) != 0) {
    return Fail(ErrorCode::kInvalidArgument,
                "sealed box does not open with this key (wrong recipient or altered)");
  }
  return message;
}

Result<BoxKeyPair> BoxKeyPairFromSecret(std::string_view secret_raw) {
  if (secret_raw.size() != crypto_box_SECRETKEYBYTES) {
    return Fail(ErrorCode::kInvalidArgument, "X25519 secret key must be 32 bytes");
  }
  BoxKeyPair pair;
  pair.secret_key = SecretBytes::CopyFrom(secret_raw);
  pair.public_key.assign(crypto_box_PUBLICKEYBYTES, '\0');
  if (crypto_scalarmult_base(reinterpret_cast<unsigned char*>(pair.public_key.data()),
                             pair.secret_key.data()) != 0) {
    return Fail(ErrorCode::kInvalidArgument, "X25519 secret key is invalid");
  }
  return pair;
}

// --- secretstream ---

namespace {

constexpr size_t kStreamLengthBytes = 4;
using StreamState = crypto_secretstream_xchacha20poly1305_state;

void AppendLength(std::string& out, uint32_t n) {
  for (int shift = 24; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>((n >> shift) & 0xffU));
  }
}

uint32_t ReadLength(std::string_view bytes) {
  uint32_t n = 0;
  for (size_t i = 0; i < kStreamLengthBytes; ++i) {
    n = (n << 8U) | static_cast<unsigned char>(bytes[i]);
  }
  return n;
}

}  // namespace

std::string EncryptStream(const SecretBytes& key, std::string_view plaintext, size_t chunk_size) {
  if (chunk_size == 0) chunk_size = 1;
  // A chunk's ciphertext length must fit the 4-byte prefix.
  chunk_size =
      std::min<size_t>(chunk_size, UINT32_MAX - crypto_secretstream_xchacha20poly1305_ABYTES);
  StreamState state;
  std::string out(crypto_secretstream_xchacha20poly1305_HEADERBYTES, '\0');
  crypto_secretstream_xchacha20poly1305_init_push(
      &state, reinterpret_cast<unsigned char*>(out.data()), key.data());
  size_t offset = 0;
  bool last = false;
  while (!last) {
    const size_t n = std::min(chunk_size, plaintext.size() - offset);
    last = offset + n == plaintext.size();
    const size_t cipher_len = n + crypto_secretstream_xchacha20poly1305_ABYTES;
    AppendLength(out, static_cast<uint32_t>(cipher_len));
    const size_t at = out.size();
    out.resize(at + cipher_len);
    crypto_secretstream_xchacha20poly1305_push(
        &state, reinterpret_cast<unsigned char*>(out.data() + at), nullptr,
        U8(plaintext.substr(offset, n)), n, nullptr, 0,
        last ? crypto_secretstream_xchacha20poly1305_TAG_FINAL : 0);
    offset += n;
  }
  sodium_memzero(&state, sizeof state);
  return out;
}

Result<std::string> DecryptStream(const SecretBytes& key, std::string_view stream) {
  constexpr size_t kHeader = crypto_secretstream_xchacha20poly1305_HEADERBYTES;
  constexpr size_t kTagBytes = crypto_secretstream_xchacha20poly1305_ABYTES;
  if (key.size() != crypto_secretstream_xchacha20poly1305_KEYBYTES) {
    return Fail(ErrorCode::kInvalidArgument, "stream key must be 32 bytes");
  }
  if (stream.size() < kHeader) {
    return Fail(ErrorCode::kInvalidArgument, "encrypted stream is truncated (no header)");
  }
  StreamState state;
  if (crypto_secretstream_xchacha20poly1305_init_pull(&state, U8(stream), key.data()) != 0) {
    return Fail(ErrorCode::kInvalidArgument, "encrypted stream header is invalid");
  }
  std::string out;
  size_t offset = kHeader;
  bool final_seen = false;
  while (!final_seen) {
    if (stream.size() - offset < kStreamLengthBytes) {
      sodium_memzero(&state, sizeof state);
      return Fail(ErrorCode::kInvalidArgument, "encrypted stream is truncated (no final chunk)");
    }
    const size_t cipher_len = ReadLength(stream.substr(offset, kStreamLengthBytes));
    offset += kStreamLengthBytes;
    if (cipher_len < kTagBytes || cipher_len > stream.size() - offset) {
      sodium_memzero(&state, sizeof state);
      return Fail(ErrorCode::kInvalidArgument, "encrypted stream has a bad chunk length");
    }
    const size_t at = out.size();
    out.resize(at + cipher_len - kTagBytes);
    unsigned char tag = 0;
    if (crypto_secretstream_xchacha20poly1305_pull(
            &state, reinterpret_cast<unsigned char*>(out.data() + at), nullptr, &tag,
            U8(stream.substr(offset, cipher_len)), cipher_len, nullptr, 0) != 0) {
      sodium_memzero(&state, sizeof state);
      return Fail(ErrorCode::kInvalidArgument, "encrypted stream is not authentic");
    }
    offset += cipher_len;
    final_seen = tag == crypto_secretstream_xchacha20poly1305_TAG_FINAL;
  }
  sodium_memzero(&state, sizeof state);
  if (offset != stream.size()) {
    return Fail(ErrorCode::kInvalidArgument, "encrypted stream has bytes after the final chunk");
  }
  return out;
}

// --- program keys ---

ProgramKeys GenerateProgramKeys(Random& random) {
  ProgramKeys keys;
  keys.signing = GenerateSigningKeyPair(random);
  keys.box = GenerateBoxKeyPair(random);
  keys.program_secret = SecretBytes(crypto_kdf_KEYBYTES);
  random.Fill(std::as_writable_bytes(
      std::span(keys.program_secret.mutable_data(), keys.program_secret.size())));
  return keys;
}

namespace {

constexpr const char* kKeyFiles[] = {"signing.key", "signing.pub", "box.key", "box.pub",
                                     "program.secret"};

// Writes base64 text to a new file with the given mode; never overwrites.
Status WriteKeyFile(const std::filesystem::path& path, std::string_view raw, mode_t mode) {
  std::string text = Base64(raw) + "\n";
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) {
    return Fail(errno == EEXIST ? ErrorCode::kConflict : ErrorCode::kUnavailable,
                fmt::format("cannot create key file {}: {}", path.string(), std::strerror(errno)));
  }
  const ssize_t written = ::write(fd, text.data(), text.size());
  const bool expected_size = written == static_cast<ssize_t>(text.size());
  Wipe(text);
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (!expected_size || !synced) {
    return Fail(ErrorCode::kUnavailable, fmt::format("cannot write key file {}", path.string()));
  }
  return Ok();
}

Result<std::string> ReadKeyFile(const std::filesystem::path& path, size_t expected_size,
                                bool secret) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) {
    return Fail(ErrorCode::kNotFound, fmt::format("key file {} is missing", path.string()));
  }
  if (secret && (info.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    return Fail(ErrorCode::kFailedPrecondition,
                fmt::format("key file {} is readable by others; chmod 600 it", path.string()));
  }
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  auto raw = FromBase64(text);
  Wipe(text);
  if (!raw || raw->size() != expected_size) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("key file {} is malformed", path.string()));
  }
  return raw;
}

}  // namespace

Status SaveProgramKeys(const ProgramKeys& keys, const std::filesystem::path& dir) {
  for (const char* name : kKeyFiles) {
    if (std::filesystem::exists(dir / name)) {
      return Fail(ErrorCode::kConflict,
                  fmt::format("key file {} exists already", (dir / name).string()));
    }
  }
  FW_TRY(WriteKeyFile(dir / "signing.key", keys.signing.secret_key.view(), 0600));
  FW_TRY(WriteKeyFile(dir / "signing.pub", keys.signing.public_key, 0644));
  FW_TRY(WriteKeyFile(dir / "box.key", keys.box.secret_key.view(), 0600));
  FW_TRY(WriteKeyFile(dir / "box.pub", keys.box.public_key, 0644));
  FW_TRY(WriteKeyFile(dir / "program.secret", keys.program_secret.view(), 0600));
  return Ok();
}

Result<ProgramKeys> LoadProgramKeys(const std::filesystem::path& dir) {
  ProgramKeys keys;
  FW_ASSIGN_OR_RETURN(auto signing_secret,
                      ReadKeyFile(dir / "signing.key", crypto_sign_SECRETKEYBYTES, true));
  keys.signing.secret_key = SecretBytes::CopyFrom(signing_secret);
  sodium_memzero(signing_secret.data(), signing_secret.size());
  FW_ASSIGN_OR_RETURN(keys.signing.public_key,
                      ReadKeyFile(dir / "signing.pub", crypto_sign_PUBLICKEYBYTES, false));
  FW_ASSIGN_OR_RETURN(auto box_secret,
                      ReadKeyFile(dir / "box.key", crypto_box_SECRETKEYBYTES, true));
  keys.box.secret_key = SecretBytes::CopyFrom(box_secret);
  sodium_memzero(box_secret.data(), box_secret.size());
  FW_ASSIGN_OR_RETURN(keys.box.public_key,
                      ReadKeyFile(dir / "box.pub", crypto_box_PUBLICKEYBYTES, false));
  FW_ASSIGN_OR_RETURN(auto secret, ReadKeyFile(dir / "program.secret", crypto_kdf_KEYBYTES, true));
  keys.program_secret = SecretBytes::CopyFrom(secret);
  sodium_memzero(secret.data(), secret.size());
  // The public key must belong to the secret key: libsodium's secret key ends with it.
  if (keys.signing.secret_key.view().substr(32) != keys.signing.public_key) {
    return Fail(ErrorCode::kInvalidArgument, "signing.pub does not match signing.key");
  }
  return keys;
}

}  // namespace forewarn::crypto
