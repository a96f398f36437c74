#include "core/time.h"

#include <gtest/gtest.h>

namespace forewarn {
namespace {

TEST(TimeTest, ParsesAndFormatsUtc) {
  auto t = ParseTime("2026-07-08T17:00:00Z");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(FormatTime(*t), "2026-07-08T17:00:00Z");
  EXPECT_EQ(ToUnixSeconds(*t), 1783530000);
}

TEST(TimeTest, AppliesOffsetsAndFractions) {
  auto t = ParseTime("2026-07-08T19:00:00.250+02:00");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(FormatTime(*t), "2026-07-08T17:00:00.250000Z");
}

TEST(TimeTest, DateAloneIsMidnightUtc) {
  EXPECT_EQ(FormatTime(ParseTime("2026-07-14").value()), "2026-07-14T00:00:00Z");
}

TEST(TimeTest, RejectsMalformedTimes) {
  for (const char* bad :
       {"", "2026", "2026-13-01", "2026-02-30", "2026-07-08T17:00:00", "2026-07-08T25:00:00Z",
        "2026-07-08T17:00:00Zjunk", "tomorrow", "2026-07-08T17:00:00.Z"}) {
    auto t = ParseTime(bad);
    ASSERT_FALSE(t.has_value()) << bad;
    EXPECT_EQ(t.error().code, ErrorCode::kInvalidArgument);
  }
}

TEST(TimeTest, MicrosRoundTrip) {
  auto t = ParseTime("2026-07-08T17:00:00.123456Z").value();
  EXPECT_EQ(FromUnixMicros(ToUnixMicros(t)), t);
}

TEST(ErrorCodeTest, NamesRoundTrip) {
  for (ErrorCode code :
       {ErrorCode::kInvalidArgument, ErrorCode::kNotFound, ErrorCode::kUnauthenticated,
        ErrorCode::kPermissionDenied, ErrorCode::kConflict, ErrorCode::kFailedPrecondition,
        ErrorCode::kUnavailable, ErrorCode::kInternal}) {
    EXPECT_EQ(ErrorCodeFromName(ErrorCodeName(code)), code);
  }
  EXPECT_FALSE(ErrorCodeFromName("payload_too_large").has_value());
}

TEST(DurationTest, ParsesUnits) {
  EXPECT_EQ(ParseDuration("90d").value(), std::chrono::hours{90 * 24});
  EXPECT_EQ(ParseDuration("24h").value(), std::chrono::hours{24});
  EXPECT_EQ(ParseDuration("1w").value(), std::chrono::hours{7 * 24});
  EXPECT_EQ(ParseDuration("45s").value(), std::chrono::seconds{45});
  for (const char* bad : {"", "d", "0d", "-1d", "5y", "1.5h", "99999999999d"}) {
    EXPECT_FALSE(ParseDuration(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace forewarn
