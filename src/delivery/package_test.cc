// Signed and sealed packages: round trips (plain and sealed, multi-chunk), and rejection of
// every tampering, wrong key, missing key, truncation and unknown format.
#include "delivery/package.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "tests/testing/testing.h"

namespace forewarn::delivery {
namespace {

using nlohmann::json;

class PackageTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { ASSERT_TRUE(crypto::Initialize().has_value()); }

  PackageTest()
      : program(crypto::GenerateSigningKeyPair(random)),
        partner(crypto::GenerateBoxKeyPair(random)) {}

  static json View(size_t blob_size) {
    return json{{"id", "adv_0123456789abcdef"},
                {"title", "RCE in Collaboration Server"},
                {"cves", json::array({"CVE-2026-50001"})},
                {"blob", std::string(blob_size, 'z')}};
  }

  std::string Sealed(const json& view) {
    auto sealed = SealPackage(SignPackage(view, program), partner.public_key, random);
    EXPECT_TRUE(sealed.has_value());
    return sealed.value_or("");
  }

  // The package with its base64 field `name` decoded, changed by `edit`, and re-encoded.
  template <class Edit>
  static std::string EditField(const std::string& package, const char* name, Edit edit) {
    json parsed = json::parse(package);
    std::string raw = crypto::FromBase64(parsed[name].get<std::string>()).value();
    edit(raw);
    parsed[name] = crypto::Base64(raw);
    return parsed.dump();
  }

  static std::string FlipField(const std::string& package, const char* name, size_t pos) {
    return EditField(package, name,
                     [pos](std::string& raw) { raw[pos] = static_cast<char>(raw[pos] ^ 0x01); });
  }

  static size_t FieldSize(const std::string& package, const char* name) {
    return crypto::FromBase64(json::parse(package)[name].get<std::string>()).value().size();
  }

  // First, last and about `samples` positions spread over [0, size).
  static std::vector<size_t> Positions(size_t size, size_t samples) {
    std::vector<size_t> positions{0, size - 1};
    const size_t step = std::max<size_t>(1, size / samples);
    for (size_t p = step / 2; p < size; p += step) positions.push_back(p);
    return positions;
  }

  void ExpectRejected(const std::string& package, const crypto::BoxKeyPair* recipient,
                      const std::string& why) {
    auto result = VerifyPackage(package, program.public_key, recipient);
    ASSERT_FALSE(result.has_value()) << why;
    EXPECT_EQ(result.error().code, ErrorCode::kInvalidArgument) << why;
  }

  testing::SeededRandom random{21};
  crypto::SigningKeyPair program;
  crypto::BoxKeyPair partner;
};

TEST_F(PackageTest, CanonicalJsonSortsKeysWithoutSpaces) {
  EXPECT_EQ(CanonicalJson(json{{"b", 1}, {"a", json::array({1, "x"})}}), R"({"a":[1,"x"],"b":1})");
}

TEST_F(PackageTest, SignedPackageHasTheDocumentedShape) {
  const json view = View(10);
  const json package = json::parse(SignPackage(view, program));
  EXPECT_EQ(package["format"], "forewarn-package/1");
  EXPECT_EQ(package["program_key"], crypto::Base64(program.public_key));
  const std::string payload = crypto::FromBase64(package["payload"].get<std::string>()).value();
  EXPECT_EQ(payload, CanonicalJson(view));
  EXPECT_EQ(package["payload_sha256"], crypto::Hex(crypto::Sha256(payload)));
  EXPECT_TRUE(
      crypto::VerifySignature(program.public_key, payload,
                              crypto::FromBase64(package["signature"].get<std::string>()).value()));
}

TEST_F(PackageTest, SignedRoundTrip) {
  const json view = View(1 << 20);
  const std::string package = SignPackage(view, program);
  auto verified = VerifyPackage(package, program.public_key, nullptr);
  ASSERT_TRUE(verified.has_value()) << verified.error().message;
  EXPECT_EQ(verified->payload, view);
  EXPECT_FALSE(verified->was_sealed);
  EXPECT_EQ(verified->payload_sha256, crypto::Hex(crypto::Sha256(CanonicalJson(view))));
  // A recipient key does no harm on a plain package.
  EXPECT_TRUE(VerifyPackage(package, program.public_key, &partner).has_value());
}

TEST_F(PackageTest, SealedRoundTripOverSeveralChunks) {
  const json view = View(1 << 20);
  const std::string package = Sealed(view);
  const json parsed = json::parse(package);
  EXPECT_EQ(parsed["format"], "forewarn-sealed/1");
  EXPECT_EQ(parsed["recipient_key"], crypto::Base64(partner.public_key));
  EXPECT_EQ(package.find("Collaboration"), std::string::npos);
  // 1 MiB of payload is base64'd twice over: well over 16 chunks of 64 KiB.
  EXPECT_GT(FieldSize(package, "stream"), size_t{16} * 64 * 1024);
  auto verified = VerifyPackage(package, program.public_key, &partner);
  ASSERT_TRUE(verified.has_value()) << verified.error().message;
  EXPECT_EQ(verified->payload, view);
  EXPECT_TRUE(verified->was_sealed);
}

TEST_F(PackageTest, SealingTwiceGivesDifferentStreamKeys) {
  const std::string signed_package = SignPackage(View(10), program);
  const auto a = SealPackage(signed_package, partner.public_key, random).value();
  const auto b = SealPackage(signed_package, partner.public_key, random).value();
  EXPECT_NE(json::parse(a)["stream"], json::parse(b)["stream"]);
}

TEST_F(PackageTest, EveryFlippedPayloadOrSignatureByteIsRejected) {
  const std::string package = SignPackage(View(4096), program);
  for (const char* field : {"payload", "signature", "program_key"}) {
    for (size_t pos : Positions(FieldSize(package, field), 64)) {
      ExpectRejected(FlipField(package, field, pos), nullptr, fmt::format("{} @{}", field, pos));
    }
  }
  json altered = json::parse(package);
  altered["payload_sha256"] = crypto::Hex(crypto::Sha256("other"));
  ExpectRejected(altered.dump(), nullptr, "payload_sha256");
}

TEST_F(PackageTest, EveryFlippedStreamOrSealedKeyByteIsRejected) {
  const std::string package = Sealed(View(200 * 1024));  // several chunks
  for (const char* field : {"stream", "sealed_key", "recipient_key"}) {
    for (size_t pos : Positions(FieldSize(package, field), 64)) {
      ExpectRejected(FlipField(package, field, pos), &partner, fmt::format("{} @{}", field, pos));
    }
  }
}

TEST_F(PackageTest, WrongProgramKeyIsRejected) {
  const auto other = crypto::GenerateSigningKeyPair(random);
  const std::string package = SignPackage(View(10), program);
  auto result = VerifyPackage(package, other.public_key, nullptr);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().message, "package was signed by a different key");
  // A package re-signed by another key that claims the program's key.
  json forged = json::parse(SignPackage(View(10), other));
  forged["program_key"] = crypto::Base64(program.public_key);
  result = VerifyPackage(forged.dump(), program.public_key, nullptr);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().message, "signature does not verify");
  // The same, sealed.
  auto sealed = SealPackage(SignPackage(View(10), other), partner.public_key, random);
  ASSERT_TRUE(sealed.has_value());
  ExpectRejected(*sealed, &partner, "sealed, other signer");
  EXPECT_FALSE(VerifyPackage(package, "short", nullptr).has_value());
}

TEST_F(PackageTest, WrongRecipientKeyIsRejected) {
  const std::string package = Sealed(View(10));
  const auto other = crypto::GenerateBoxKeyPair(random);
  auto result = VerifyPackage(package, program.public_key, &other);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().message, "cannot open: not sealed to this key or tampered");
  // Even when the package names the other key, the sealed key does not open for it.
  json renamed = json::parse(package);
  renamed["recipient_key"] = crypto::Base64(other.public_key);
  result = VerifyPackage(renamed.dump(), program.public_key, &other);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().message, "cannot open: not sealed to this key or tampered");
  EXPECT_FALSE(SealPackage("x", "short", random).has_value());
}

TEST_F(PackageTest, SealedWithoutSecretKeyIsRejected) {
  auto result = VerifyPackage(Sealed(View(10)), program.public_key, nullptr);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(result.error().message,
            "sealed package needs the recipient's secret key (--secret-key)");
}

TEST_F(PackageTest, TruncatedStreamIsRejected) {
  const std::string package = Sealed(View(200 * 1024));
  const size_t size = FieldSize(package, "stream");
  for (size_t keep : {size_t{0}, size_t{10}, size_t{24}, size_t{28}, size / 2, size - 1}) {
    ExpectRejected(EditField(package, "stream", [keep](std::string& raw) { raw.resize(keep); }),
                   &partner, fmt::format("keep {}", keep));
  }
  ExpectRejected(EditField(package, "stream", [](std::string& raw) { raw += '\0'; }), &partner,
                 "trailing byte");
}

TEST_F(PackageTest, MalformedPackagesAreRejected) {
  const std::string package = SignPackage(View(10), program);
  for (const char* format : {"forewarn-package/2", "", "forewarn-sealed/1"}) {
    json altered = json::parse(package);
    altered["format"] = format;
    ExpectRejected(altered.dump(), &partner, format);
  }
  json no_format = json::parse(package);
  no_format.erase("format");
  ExpectRejected(no_format.dump(), nullptr, "no format");
  json number_format = json::parse(package);
  number_format["format"] = 1;
  ExpectRejected(number_format.dump(), nullptr, "numeric format");
  json bad_base64 = json::parse(package);
  bad_base64["payload"] = "not base64!";
  ExpectRejected(bad_base64.dump(), nullptr, "bad base64");
  for (const std::string& text :
       {std::string(), std::string("[]"), std::string("{"), package.substr(0, package.size() / 2),
        std::string("\"forewarn-package/1\"")}) {
    ExpectRejected(text, nullptr, "text: " + text.substr(0, 20));
  }
  // A sealed package must hold a signed package, not another sealed one or raw JSON.
  auto nested = SealPackage(Sealed(View(10)), partner.public_key, random);
  ASSERT_TRUE(nested.has_value());
  ExpectRejected(*nested, &partner, "nested sealed");
  auto raw = SealPackage(CanonicalJson(View(10)), partner.public_key, random);
  ASSERT_TRUE(raw.has_value());
  ExpectRejected(*raw, &partner, "sealed raw view");
}

}  // namespace
}  // namespace forewarn::delivery
