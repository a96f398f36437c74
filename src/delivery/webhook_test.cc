// The webhook protocol: request signatures (round trip, a known answer, wrong secret or body,
// the replay window at and beyond both edges, several v1 entries, malformed headers), derived
// secrets, the retry schedule's bounds, and signed acknowledgements with each rejection.
#include "delivery/webhook.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/time.h"
#include "tests/testing/testing.h"

namespace forewarn::delivery {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr std::string_view kBody = R"({"format":"forewarn-package/1","payload":"e30="})";
constexpr std::string_view kSha =
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

class WebhookTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { ASSERT_TRUE(crypto::Initialize().has_value()); }

  WebhookTest()
      : program_secret(crypto::SecretBytes::CopyFrom(crypto::RandomBytes(random, 32))),
        secret(WebhookSecret(program_secret, "prt_0123456789abcdef", 1)),
        now(ParseTime("2026-07-01T12:00:00Z").value()),
        now_s(ToUnixSeconds(now)),
        partner(crypto::GenerateSigningKeyPair(random)),
        partner_b64(crypto::Base64(partner.public_key)) {}

  Status Verify(std::string_view timestamp, std::string_view signature,
                std::string_view body = kBody) const {
    return VerifyWebhookSignature(secret, timestamp, signature, body, now);
  }
  Status VerifyAt(int64_t ts) const {
    return Verify(std::to_string(ts), WebhookSignature(secret, ts, kBody));
  }

  static void ExpectError(const Status& status, ErrorCode code, std::string_view message = "") {
    ASSERT_FALSE(status.has_value());
    EXPECT_EQ(status.error().code, code) << status.error().message;
    if (!message.empty()) {
      EXPECT_EQ(status.error().message, message);
    }
  }
  template <class T>
  static void ExpectCode(const Result<T>& result, ErrorCode code) {
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().code, code) << result.error().message;
  }

  Result<bool> VerifyAck(const std::string& body) const {
    return VerifyAckBody(body, partner_b64, "dlv_0123456789abcdef", kSha);
  }
  // A well-formed acknowledgement with `field` replaced by `value`.
  std::string AckWith(const char* field, const json& value) const {
    json ack = json::parse(AckBody("dlv_0123456789abcdef", kSha, partner.secret_key));
    ack[field] = value;
    return ack.dump();
  }

  testing::SeededRandom random{31};
  crypto::SecretBytes program_secret;
  std::string secret;
  TimePoint now;
  int64_t now_s;
  crypto::SigningKeyPair partner;
  std::string partner_b64;
};

TEST_F(WebhookTest, HeaderNamesAreTheDocumentedOnes) {
  EXPECT_EQ(kWebhookSignatureHeader, "Forewarn-Signature");
  EXPECT_EQ(kWebhookTimestampHeader, "Forewarn-Timestamp");
  EXPECT_EQ(kWebhookDeliveryHeader, "Forewarn-Delivery");
  EXPECT_EQ(kIdempotencyKeyHeader, "Idempotency-Key");
  EXPECT_EQ(kWebhookEventHeader, "Forewarn-Event");
  EXPECT_EQ(kPackageEvent, "advisory.package");
}

// What a receiver in any language computes: HMAC-SHA-256(secret, "<ts>.<body>"), in hex.
TEST_F(WebhookTest, SignatureKnownAnswer) {
  EXPECT_EQ(WebhookSignature("whsec_test", 1700000000, R"({"a":1})"),
            "v1=38877139021993b830af32feea6e18a8da83eb2f6e49ee50bd9e4cf4ca4d3789");
}

TEST_F(WebhookTest, SignatureRoundTrip) {
  const std::string signature = WebhookSignature(secret, now_s, kBody);
  ASSERT_EQ(signature.size(), 3U + 64U);
  EXPECT_EQ(signature.substr(0, 3), "v1=");
  EXPECT_TRUE(Verify(std::to_string(now_s), signature).has_value());
  // An empty body is signed and checked like any other.
  EXPECT_TRUE(Verify(std::to_string(now_s), WebhookSignature(secret, now_s, ""), "").has_value());
  // Optional whitespace around header values, as HTTP allows.
  EXPECT_TRUE(Verify(" " + std::to_string(now_s) + "\t", " " + signature + " ").has_value());
}

TEST_F(WebhookTest, WrongSecretIsRejected) {
  const std::string other = WebhookSecret(program_secret, "prt_0123456789abcdef", 2);
  ExpectError(Verify(std::to_string(now_s), WebhookSignature(other, now_s, kBody)),
              ErrorCode::kPermissionDenied, "signature does not match");
}

TEST_F(WebhookTest, ModifiedBodyIsRejected) {
  const std::string signature = WebhookSignature(secret, now_s, kBody);
  std::string body(kBody);
  body.back() = ' ';
  ExpectError(Verify(std::to_string(now_s), signature, body), ErrorCode::kPermissionDenied,
              "signature does not match");
  ExpectError(Verify(std::to_string(now_s), signature, std::string(kBody) + " "),
              ErrorCode::kPermissionDenied, "signature does not match");
}

// The timestamp is covered by the MAC: moving it (even within the window) breaks the signature.
TEST_F(WebhookTest, ChangedTimestampIsRejected) {
  const std::string signature = WebhookSignature(secret, now_s, kBody);
  ExpectError(Verify(std::to_string(now_s - 1), signature), ErrorCode::kPermissionDenied,
              "signature does not match");
}

TEST_F(WebhookTest, ReplayWindowEdgesInBothDirections) {
  EXPECT_TRUE(VerifyAt(now_s - 300).has_value());  // exactly five minutes old
  EXPECT_TRUE(VerifyAt(now_s + 300).has_value());  // exactly five minutes ahead
  ExpectError(VerifyAt(now_s - 301), ErrorCode::kPermissionDenied,
              "timestamp outside the replay window");
  ExpectError(VerifyAt(now_s + 301), ErrorCode::kPermissionDenied,
              "timestamp outside the replay window");
  ExpectError(VerifyAt(0), ErrorCode::kPermissionDenied, "timestamp outside the replay window");
}

TEST_F(WebhookTest, ReplayWindowWithSubSecondNowAndCustomWindow) {
  // now + 0.5 s: a timestamp 300 s before `now` is 300.5 s old, beyond the window.
  const TimePoint later = now + milliseconds(500);
  const auto at = [&](int64_t ts, seconds window) {
    return VerifyWebhookSignature(secret, std::to_string(ts), WebhookSignature(secret, ts, kBody),
                                  kBody, later, window);
  };
  EXPECT_FALSE(at(now_s - 300, seconds(300)).has_value());
  EXPECT_TRUE(at(now_s - 299, seconds(300)).has_value());
  EXPECT_TRUE(at(now_s + 300, seconds(300)).has_value());
  EXPECT_FALSE(at(now_s + 301, seconds(300)).has_value());
  EXPECT_TRUE(at(now_s + 30, seconds(30)).has_value());
  EXPECT_FALSE(at(now_s + 31, seconds(30)).has_value());
  EXPECT_FALSE(at(now_s, seconds(-1)).has_value());
}

TEST_F(WebhookTest, ExtremeTimestampsAreOutsideTheWindowWithoutOverflow) {
  ExpectError(VerifyAt(-1), ErrorCode::kPermissionDenied, "timestamp outside the replay window");
  for (const int64_t ts :
       {std::numeric_limits<int64_t>::max(), std::numeric_limits<int64_t>::min()}) {
    ExpectError(VerifyAt(ts), ErrorCode::kPermissionDenied, "timestamp outside the replay window");
    // A window too large for the clock's range is clamped (to a century), not overflowed.
    const auto huge =
        VerifyWebhookSignature(secret, std::to_string(ts), WebhookSignature(secret, ts, kBody),
                               kBody, now, seconds(std::numeric_limits<int64_t>::max()));
    ExpectError(huge, ErrorCode::kPermissionDenied, "timestamp outside the replay window");
  }
}

// During a rotation the sender may sign with both secrets; a receiver with either accepts.
TEST_F(WebhookTest, AnyOfSeveralV1EntriesMayMatch) {
  const std::string ts = std::to_string(now_s);
  const std::string right = WebhookSignature(secret, now_s, kBody);
  const std::string wrong =
      WebhookSignature(WebhookSecret(program_secret, "prt_0123456789abcdef", 2), now_s, kBody);
  EXPECT_TRUE(Verify(ts, wrong + "," + right).has_value());
  EXPECT_TRUE(Verify(ts, right + ", " + wrong).has_value());
  EXPECT_TRUE(Verify(ts, "v0=deadbeef," + right).has_value());   // unknown schemes are skipped
  EXPECT_TRUE(Verify(ts, "v1=zz, v1=, ," + right).has_value());  // malformed entries do not match
  ExpectError(Verify(ts, wrong + "," + wrong), ErrorCode::kPermissionDenied,
              "signature does not match");
  // A v1 entry that is a prefix or extension of the right MAC does not match.
  ExpectError(Verify(ts, right.substr(0, right.size() - 2)), ErrorCode::kPermissionDenied,
              "signature does not match");
  ExpectError(Verify(ts, right + "00"), ErrorCode::kPermissionDenied, "signature does not match");
  ExpectError(Verify(ts, "v1="), ErrorCode::kPermissionDenied, "signature does not match");
}

TEST_F(WebhookTest, MalformedHeadersAreInvalidArguments) {
  const std::string signature = WebhookSignature(secret, now_s, kBody);
  for (const char* ts : {"", " ", "abc", "12.5", "1e9", "+1782907200", "0x10", "1782907200s",
                         "99999999999999999999", "1 2"}) {
    ExpectError(Verify(ts, signature), ErrorCode::kInvalidArgument);
  }
  const std::string ts = std::to_string(now_s);
  for (const char* header : {"", ",", "v2=abc", "sha256=abc", "V1=abc", "v1"}) {
    ExpectError(Verify(ts, header), ErrorCode::kInvalidArgument);
  }
  // The error never quotes the secret.
  const Status status = Verify("abc", signature);
  ASSERT_FALSE(status.has_value());
  EXPECT_EQ(status.error().message.find(secret), std::string::npos);
}

TEST_F(WebhookTest, SecretsAreDerivedDeterministicallyPerPartnerAndGeneration) {
  const std::string a1 = WebhookSecret(program_secret, "prt_a", 1);
  EXPECT_EQ(a1, WebhookSecret(program_secret, "prt_a", 1));
  EXPECT_NE(a1, WebhookSecret(program_secret, "prt_b", 1));
  EXPECT_NE(a1, WebhookSecret(program_secret, "prt_a", 2));
  // The separator keeps ("prt_a", 11) and ("prt_a1", 1) apart.
  EXPECT_NE(WebhookSecret(program_secret, "prt_a", 11), WebhookSecret(program_secret, "prt_a1", 1));
  const auto other_program = crypto::SecretBytes::CopyFrom(std::string(32, 'x'));
  EXPECT_NE(a1, WebhookSecret(other_program, "prt_a", 1));

  ASSERT_EQ(a1.substr(0, 6), "whsec_");
  EXPECT_EQ(a1.size(), 6U + 43U);  // 32 bytes in unpadded base64url
  const auto raw = crypto::FromBase64Url(a1.substr(6));
  ASSERT_TRUE(raw.has_value());
  EXPECT_EQ(*raw, crypto::KeyedHash(program_secret, "forewarn-webhook-secret/v1\nprt_a\n1"));
}

TEST_F(WebhookTest, RetryDelayGrowsExponentiallyWithinJitterBoundsAndIsCapped) {
  const RetryPolicy policy;  // 30 s, doubling, capped at one hour
  for (int attempt = 1; attempt <= 40; ++attempt) {
    const int64_t full_s = std::min<int64_t>(int64_t{30} << std::min(attempt - 1, 20), 3600);
    const milliseconds full = seconds(full_s);
    for (int draw = 0; draw < 50; ++draw) {
      const milliseconds delay = RetryDelay(attempt, policy, random);
      EXPECT_GE(delay, full / 2) << "attempt " << attempt;
      EXPECT_LE(delay, full) << "attempt " << attempt;
    }
  }
  EXPECT_LE(RetryDelay(1, policy, random), seconds(30));
  EXPECT_GE(RetryDelay(8, policy, random), seconds(1800));  // 30·2^7 = 3840 s, capped at 3600
  // No overflow however many attempts failed; fewer than one counts as one.
  for (const int attempt : {63, 64, 65, 1000, INT_MAX}) {
    const milliseconds delay = RetryDelay(attempt, policy, random);
    EXPECT_GE(delay, seconds(1800));
    EXPECT_LE(delay, seconds(3600));
  }
  for (const int attempt : {0, -1, INT_MIN}) {
    const milliseconds delay = RetryDelay(attempt, policy, random);
    EXPECT_GE(delay, seconds(15));
    EXPECT_LE(delay, seconds(30));
  }
}

TEST_F(WebhookTest, RetryDelayJitterSpreadsAndIsReproducible) {
  const RetryPolicy policy{.initial = seconds(10), .max_delay = seconds(100)};
  milliseconds lowest = milliseconds::max();
  milliseconds highest = milliseconds::min();
  for (int draw = 0; draw < 200; ++draw) {
    const milliseconds delay = RetryDelay(5, policy, random);  // d = 100 s (160 capped)
    lowest = std::min(lowest, delay);
    highest = std::max(highest, delay);
  }
  EXPECT_GE(lowest, seconds(50));
  EXPECT_LE(highest, seconds(100));
  EXPECT_LT(lowest, seconds(60));  // the draws cover the range, not one point of it
  EXPECT_GT(highest, seconds(90));

  testing::SeededRandom a(5);
  testing::SeededRandom b(5);
  for (int attempt = 1; attempt <= 10; ++attempt) {
    EXPECT_EQ(RetryDelay(attempt, policy, a), RetryDelay(attempt, policy, b));
  }
  EXPECT_EQ(RetryDelay(3, RetryPolicy{.initial = seconds(0)}, random), milliseconds(0));
  EXPECT_EQ(RetryDelay(3, RetryPolicy{.max_delay = seconds(0)}, random), milliseconds(0));
}

TEST_F(WebhookTest, AckSigningBytesAndBodyHaveTheDocumentedShape) {
  EXPECT_EQ(AckSigningBytes("dlv_1", "abcd"), "forewarn-ack-v1\ndlv_1\nabcd");
  const std::string body = AckBody("dlv_0123456789abcdef", kSha, partner.secret_key);
  const std::string prefix = fmt::format(
      R"({{"acknowledged":"dlv_0123456789abcdef","package_sha256":"{}","signature":")", kSha);
  EXPECT_EQ(body.substr(0, prefix.size()), prefix);
  const json parsed = json::parse(body);
  EXPECT_EQ(parsed.size(), 3U);
  const auto signature = crypto::FromBase64(parsed["signature"].get<std::string>());
  ASSERT_TRUE(signature.has_value());
  EXPECT_TRUE(crypto::VerifySignature(partner.public_key,
                                      AckSigningBytes("dlv_0123456789abcdef", kSha), *signature));
}

TEST_F(WebhookTest, AckRoundTrip) {
  const auto verified = VerifyAck(AckBody("dlv_0123456789abcdef", kSha, partner.secret_key));
  ASSERT_TRUE(verified.has_value()) << verified.error().message;
  EXPECT_TRUE(*verified);
}

// A 2xx response that does not claim an acknowledgement is not an error.
TEST_F(WebhookTest, PlainResponsesAreNotAcks) {
  for (const char* body :
       {"", "OK", "{", "null", "[]", "{}", R"({"status":"ok"})", R"({"acknowledged":true})",
        R"({"acknowledged":null})", R"(["acknowledged","dlv_0123456789abcdef"])", "\xff\xfe"}) {
    const auto verified = VerifyAck(body);
    ASSERT_TRUE(verified.has_value()) << body;
    EXPECT_FALSE(*verified) << body;
  }
}

TEST_F(WebhookTest, AckForAnotherDeliveryOrPackageIsDenied) {
  ExpectCode(VerifyAck(AckBody("dlv_ffffffffffffffff", kSha, partner.secret_key)),
             ErrorCode::kPermissionDenied);
  const std::string other_sha(64, '0');
  ExpectCode(VerifyAck(AckBody("dlv_0123456789abcdef", other_sha, partner.secret_key)),
             ErrorCode::kPermissionDenied);
  ExpectCode(VerifyAck(AckWith("package_sha256", nullptr)), ErrorCode::kPermissionDenied);
  json missing = json::parse(AckBody("dlv_0123456789abcdef", kSha, partner.secret_key));
  missing.erase("package_sha256");
  ExpectCode(VerifyAck(missing.dump()), ErrorCode::kPermissionDenied);
}

TEST_F(WebhookTest, AckWithoutAUsablePartnerKeyIsDenied) {
  const std::string body = AckBody("dlv_0123456789abcdef", kSha, partner.secret_key);
  ExpectCode(VerifyAckBody(body, "", "dlv_0123456789abcdef", kSha), ErrorCode::kPermissionDenied);
  ExpectCode(VerifyAckBody(body, "not base64!", "dlv_0123456789abcdef", kSha),
             ErrorCode::kPermissionDenied);
  ExpectCode(VerifyAckBody(body, crypto::Base64("short"), "dlv_0123456789abcdef", kSha),
             ErrorCode::kPermissionDenied);
}

TEST_F(WebhookTest, AckSignedByAnotherKeyOrAlteredIsDenied) {
  const auto mallory = crypto::GenerateSigningKeyPair(random);
  ExpectCode(VerifyAck(AckBody("dlv_0123456789abcdef", kSha, mallory.secret_key)),
             ErrorCode::kPermissionDenied);
  // A signature over another delivery's bytes, transplanted.
  const json other = json::parse(AckBody("dlv_ffffffffffffffff", kSha, partner.secret_key));
  ExpectCode(VerifyAck(AckWith("signature", other["signature"])), ErrorCode::kPermissionDenied);
  // One bit flipped.
  const json good = json::parse(AckBody("dlv_0123456789abcdef", kSha, partner.secret_key));
  std::string raw = crypto::FromBase64(good["signature"].get<std::string>()).value();
  raw[10] = static_cast<char>(raw[10] ^ 0x01);
  ExpectCode(VerifyAck(AckWith("signature", crypto::Base64(raw))), ErrorCode::kPermissionDenied);
}

TEST_F(WebhookTest, AckWithMalformedSignatureIsInvalid) {
  json missing = json::parse(AckBody("dlv_0123456789abcdef", kSha, partner.secret_key));
  missing.erase("signature");
  ExpectCode(VerifyAck(missing.dump()), ErrorCode::kInvalidArgument);
  ExpectCode(VerifyAck(AckWith("signature", 42)), ErrorCode::kInvalidArgument);
  ExpectCode(VerifyAck(AckWith("signature", "not base64!")), ErrorCode::kInvalidArgument);
  ExpectCode(VerifyAck(AckWith("signature", crypto::Base64(std::string(63, 'a')))),
             ErrorCode::kInvalidArgument);
  ExpectCode(VerifyAck(AckWith("signature", "")), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace forewarn::delivery
