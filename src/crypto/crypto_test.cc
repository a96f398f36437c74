#include "crypto/crypto.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <string>
#include <vector>

#include "tests/testing/testing.h"

namespace forewarn::crypto {
namespace {

class CryptoTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { ASSERT_TRUE(Initialize().has_value()); }
};

TEST_F(CryptoTest, Sha256KnownAnswer) {
  EXPECT_EQ(Hex(Sha256("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Hex(Sha256("")), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST_F(CryptoTest, EncodingsRoundTripAndRejectGarbage) {
  const std::string raw("\x00\x01\xfe\xff forewarn", 13);
  EXPECT_EQ(FromHex(Hex(raw)).value(), raw);
  EXPECT_EQ(FromBase64(Base64(raw)).value(), raw);
  EXPECT_EQ(FromBase64Url(Base64Url(raw)).value(), raw);
  EXPECT_FALSE(FromHex("abc").has_value());
  EXPECT_FALSE(FromHex("zz").has_value());
  EXPECT_FALSE(FromBase64("not base64!").has_value());
}

TEST_F(CryptoTest, SignaturesVerifyAndDetectTampering) {
  testing::SeededRandom random(1);
  auto pair = GenerateSigningKeyPair(random);
  const std::string sig = Sign(pair.secret_key, "tree head");
  EXPECT_TRUE(VerifySignature(pair.public_key, "tree head", sig));
  EXPECT_FALSE(VerifySignature(pair.public_key, "tree heae", sig));
  std::string bad = sig;
  bad[0] = static_cast<char>(bad[0] ^ 1);
  EXPECT_FALSE(VerifySignature(pair.public_key, "tree head", bad));
  EXPECT_FALSE(VerifySignature("short", "tree head", sig));
}

TEST_F(CryptoTest, SeededKeysAreReproducible) {
  testing::SeededRandom a(7), b(7), c(8);
  EXPECT_EQ(GenerateSigningKeyPair(a).public_key, GenerateSigningKeyPair(b).public_key);
  EXPECT_NE(GenerateSigningKeyPair(a).public_key, GenerateSigningKeyPair(c).public_key);
}

TEST_F(CryptoTest, SealedBoxOpensOnlyForItsRecipient) {
  testing::SeededRandom random(2);
  auto alice = GenerateBoxKeyPair(random);
  auto mallory = GenerateBoxKeyPair(random);
  auto box = Seal(alice.public_key, "advisory");
  ASSERT_TRUE(box.has_value());
  EXPECT_EQ(OpenSealed(alice, *box).value(), "advisory");
  EXPECT_FALSE(OpenSealed(mallory, *box).has_value());
  std::string altered = *box;
  altered.back() = static_cast<char>(altered.back() ^ 1);
  EXPECT_FALSE(OpenSealed(alice, altered).has_value());
}

TEST_F(CryptoTest, ConstantTimeEqualsComparesContentAndLength) {
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abcd"));
  EXPECT_TRUE(SecretBytes::CopyFrom("k").Equals(SecretBytes::CopyFrom("k")));
  EXPECT_FALSE(SecretBytes::CopyFrom("k").Equals(SecretBytes::CopyFrom("j")));
}

TEST_F(CryptoTest, KeyedHashDependsOnKeyAndDerivedKeysDiffer) {
  testing::SeededRandom random(3);
  auto keys = GenerateProgramKeys(random);
  auto k1 = DeriveKey(keys.program_secret, "tokens", 1);
  auto k2 = DeriveKey(keys.program_secret, "tokens", 2);
  EXPECT_FALSE(k1.Equals(k2));
  EXPECT_NE(KeyedHash(k1, "secret"), KeyedHash(k2, "secret"));
  EXPECT_EQ(KeyedHash(k1, "secret"), KeyedHash(k1, "secret"));
}

TEST_F(CryptoTest, ProgramKeysSaveWith0600AndLoadBack) {
  testing::TempDir dir;
  testing::SeededRandom random(4);
  auto keys = GenerateProgramKeys(random);
  ASSERT_TRUE(SaveProgramKeys(keys, dir.path()).has_value());
  struct stat info {};
  ASSERT_EQ(::stat((dir.path() / "signing.key").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  auto loaded = LoadProgramKeys(dir.path());
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message;
  EXPECT_EQ(loaded->signing.public_key, keys.signing.public_key);
  EXPECT_TRUE(loaded->program_secret.Equals(keys.program_secret));
  // Never overwritten.
  EXPECT_EQ(SaveProgramKeys(keys, dir.path()).error().code, ErrorCode::kConflict);
  // A world-readable secret is refused.
  ::chmod((dir.path() / "program.secret").c_str(), 0644);
  EXPECT_EQ(LoadProgramKeys(dir.path()).error().code, ErrorCode::kFailedPrecondition);
}

TEST_F(CryptoTest, NewIdHasPrefixAndSixteenHexDigits) {
  testing::SeededRandom random(5);
  const std::string id = NewId(random, "prt");
  ASSERT_EQ(id.size(), 20u);
  EXPECT_EQ(id.substr(0, 4), "prt_");
}

class StreamTest : public CryptoTest {
 protected:
  StreamTest() : key_(SecretBytes::CopyFrom(RandomBytes(random_, kStreamKeyBytes))) {}
  testing::SeededRandom random_{11};
  SecretBytes key_;
};

// Offsets of the chunks in a stream: header, then [length prefix][ciphertext] per chunk.
std::vector<size_t> ChunkOffsets(std::string_view stream) {
  std::vector<size_t> offsets;
  size_t at = 24;  // crypto_secretstream_xchacha20poly1305_HEADERBYTES
  while (at + 4 <= stream.size()) {
    offsets.push_back(at);
    size_t n = 0;
    for (size_t i = 0; i < 4; ++i) n = (n << 8U) | static_cast<unsigned char>(stream[at + i]);
    at += 4 + n;
  }
  return offsets;
}

TEST_F(StreamTest, RoundTripsEmptySmallAndMultiChunk) {
  for (size_t size : {size_t{0}, size_t{1}, size_t{100}, size_t{256}, size_t{1000}}) {
    const std::string plain = RandomBytes(random_, size);
    const std::string stream = EncryptStream(key_, plain, 256);
    auto back = DecryptStream(key_, stream);
    ASSERT_TRUE(back.has_value()) << size << ": " << back.error().message;
    EXPECT_EQ(*back, plain);
  }
  // An empty plaintext is one FINAL chunk holding only the tag.
  EXPECT_EQ(ChunkOffsets(EncryptStream(key_, "")).size(), 1u);
  // 1000 bytes in 256-byte chunks: 4 chunks.
  EXPECT_EQ(ChunkOffsets(EncryptStream(key_, std::string(1000, 'x'), 256)).size(), 4u);
  // Exactly two full chunks: no extra empty chunk.
  EXPECT_EQ(ChunkOffsets(EncryptStream(key_, std::string(512, 'x'), 256)).size(), 2u);
}

TEST_F(StreamTest, HidesThePlaintext) {
  const std::string stream = EncryptStream(key_, "advisory text advisory text");
  EXPECT_EQ(stream.find("advisory"), std::string::npos);
}

TEST_F(StreamTest, RejectsEveryFlippedByte) {
  const std::string stream = EncryptStream(key_, std::string(600, 'p'), 256);
  for (size_t i = 0; i < stream.size(); ++i) {
    std::string altered = stream;
    altered[i] = static_cast<char>(altered[i] ^ 0x01);
    auto result = DecryptStream(key_, altered);
    ASSERT_FALSE(result.has_value()) << "flip at " << i;
    EXPECT_EQ(result.error().code, ErrorCode::kInvalidArgument);
  }
}

TEST_F(StreamTest, RejectsTruncationWithoutFinalChunk) {
  const std::string stream = EncryptStream(key_, std::string(600, 'p'), 256);
  const auto offsets = ChunkOffsets(stream);
  ASSERT_EQ(offsets.size(), 3u);
  // Cut at each chunk boundary (well-formed chunks, but the FINAL one missing) and mid-chunk.
  for (size_t cut : {offsets[1], offsets[2], offsets[2] + 2, stream.size() - 1, size_t{24},
                     size_t{10}, size_t{0}}) {
    auto result = DecryptStream(key_, stream.substr(0, cut));
    ASSERT_FALSE(result.has_value()) << "cut at " << cut;
    EXPECT_EQ(result.error().code, ErrorCode::kInvalidArgument);
  }
}

TEST_F(StreamTest, RejectsTrailingBytesAfterFinal) {
  const std::string stream = EncryptStream(key_, "payload");
  for (const std::string& tail : {std::string(1, '\0'), std::string(4, '\0'), stream.substr(24)}) {
    auto result = DecryptStream(key_, stream + tail);
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().code, ErrorCode::kInvalidArgument);
  }
}

TEST_F(StreamTest, RejectsBadLengthsDroppedOrReorderedChunks) {
  const std::string stream = EncryptStream(key_, std::string(600, 'p'), 256);
  const auto offsets = ChunkOffsets(stream);
  ASSERT_EQ(offsets.size(), 3u);
  // Length prefix larger than what remains, and smaller than the tag.
  std::string too_long = stream;
  too_long[offsets[0]] = '\x7f';
  EXPECT_FALSE(DecryptStream(key_, too_long).has_value());
  std::string too_short = stream;
  for (size_t i = 0; i < 4; ++i) too_short[offsets[0] + i] = (i == 3) ? '\x05' : '\0';
  EXPECT_FALSE(DecryptStream(key_, too_short).has_value());
  // Dropping the middle chunk, or swapping the first two.
  const std::string first = stream.substr(offsets[0], offsets[1] - offsets[0]);
  const std::string second = stream.substr(offsets[1], offsets[2] - offsets[1]);
  const std::string header = stream.substr(0, offsets[0]);
  const std::string last = stream.substr(offsets[2]);
  EXPECT_FALSE(DecryptStream(key_, header + first + last).has_value());
  EXPECT_FALSE(DecryptStream(key_, header + second + first + last).has_value());
  EXPECT_TRUE(DecryptStream(key_, header + first + second + last).has_value());
}

TEST_F(StreamTest, RejectsWrongKey) {
  const std::string stream = EncryptStream(key_, "payload");
  const auto other = SecretBytes::CopyFrom(RandomBytes(random_, kStreamKeyBytes));
  EXPECT_FALSE(DecryptStream(other, stream).has_value());
  EXPECT_FALSE(DecryptStream(SecretBytes::CopyFrom("short"), stream).has_value());
}

TEST_F(CryptoTest, BoxKeyPairFromSecretDerivesThePublicKey) {
  testing::SeededRandom random(12);
  const auto pair = GenerateBoxKeyPair(random);
  auto derived = BoxKeyPairFromSecret(pair.secret_key.view());
  ASSERT_TRUE(derived.has_value());
  EXPECT_EQ(derived->public_key, pair.public_key);
  auto box = Seal(pair.public_key, "m");
  ASSERT_TRUE(box.has_value());
  EXPECT_EQ(OpenSealed(*derived, *box).value(), "m");
  EXPECT_FALSE(BoxKeyPairFromSecret("short").has_value());
}

// RFC 4231 §4: HMAC-SHA-256 known answers.
TEST_F(CryptoTest, HmacSha256MatchesRfc4231) {
  // Test case 1: a 20-byte key.
  EXPECT_EQ(Hex(HmacSha256(std::string(20, '\x0b'), "Hi There")),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  // Test case 2: a key shorter than the output.
  EXPECT_EQ(Hex(HmacSha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // Test case 6: a 131-byte key, longer than the 64-byte block, is hashed first.
  EXPECT_EQ(Hex(HmacSha256(std::string(131, '\xaa'),
                           "Test Using Larger Than Block-Size Key - Hash Key First")),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST_F(CryptoTest, HmacSha256HandlesEmptyInputsAndDependsOnTheKey) {
  EXPECT_EQ(Hex(HmacSha256("", "")),
            "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
  EXPECT_EQ(HmacSha256("key", "message").size(), 32U);
  EXPECT_NE(HmacSha256("key", "message"), HmacSha256("kez", "message"));
  EXPECT_NE(HmacSha256("key", "message"), HmacSha256("key", "messagf"));
}

}  // namespace
}  // namespace forewarn::crypto

TEST(SecretBox, RoundTripsAndRejectsTampering) {
  ASSERT_TRUE(forewarn::crypto::Initialize().has_value());
  forewarn::testing::SeededRandom random(7);
  const auto key = forewarn::crypto::DeriveKey(forewarn::crypto::SecretBytes(32), "cursor", 1);
  const std::string box = forewarn::crypto::EncryptWithKey(key, "1234:56", random);
  EXPECT_EQ(box.find("1234"), std::string::npos);
  auto plain = forewarn::crypto::DecryptWithKey(key, box);
  ASSERT_TRUE(plain.has_value());
  EXPECT_EQ(*plain, "1234:56");
  std::string altered = box;
  altered.back() = static_cast<char>(altered.back() ^ 1);
  EXPECT_FALSE(forewarn::crypto::DecryptWithKey(key, altered).has_value());
  EXPECT_FALSE(forewarn::crypto::DecryptWithKey(key, "short").has_value());
  const auto other = forewarn::crypto::DeriveKey(forewarn::crypto::SecretBytes(32), "cursor", 2);
  EXPECT_FALSE(forewarn::crypto::DecryptWithKey(other, box).has_value());
}
