#include "core/time.h"

#include <fmt/format.h>

#include <charconv>

namespace forewarn {
namespace {

using std::chrono::days;
using std::chrono::microseconds;
using std::chrono::seconds;

// Reads exactly `width` decimal digits at `pos`, advancing it.
bool ReadDigits(std::string_view text, size_t& pos, size_t width, int& out) {
  if (pos + width > text.size()) return false;
  int value = 0;
  for (size_t i = 0; i < width; ++i) {
    char c = text[pos + i];
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  pos += width;
  out = value;
  return true;
}

bool Expect(std::string_view text, size_t& pos, char c) {
  if (pos >= text.size() || text[pos] != c) return false;
  ++pos;
  return true;
}

tl::unexpected<Error> BadTime(std::string_view text) {
  return Fail(ErrorCode::kInvalidArgument,
              fmt::format("invalid time '{}': expected ISO 8601 such as 2026-07-08T17:00:00Z",
                          text.substr(0, 64)));
}

}  // namespace

Result<TimePoint> ParseTime(std::string_view text) {
  size_t pos = 0;
  int year = 0, month = 0, day = 0;
  if (!ReadDigits(text, pos, 4, year) || !Expect(text, pos, '-') ||
      !ReadDigits(text, pos, 2, month) || !Expect(text, pos, '-') ||
      !ReadDigits(text, pos, 2, day)) {
    return BadTime(text);
  }
  const std::chrono::year_month_day ymd{std::chrono::year{year},
                                        std::chrono::month{static_cast<unsigned>(month)},
                                        std::chrono::day{static_cast<unsigned>(day)}};
  if (!ymd.ok()) return BadTime(text);
  TimePoint result = std::chrono::sys_days{ymd};
  if (pos == text.size()) return result;

  int hour = 0, minute = 0, second = 0;
  if ((text[pos] != 'T' && text[pos] != 't' && text[pos] != ' ') || !(++pos) ||
      !ReadDigits(text, pos, 2, hour) || !Expect(text, pos, ':') ||
      !ReadDigits(text, pos, 2, minute) || !Expect(text, pos, ':') ||
      !ReadDigits(text, pos, 2, second) || hour > 23 || minute > 59 || second > 60) {
    return BadTime(text);
  }
  result += std::chrono::hours{hour} + std::chrono::minutes{minute} + seconds{second};

  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    int64_t micros = 0;
    int digits = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (digits < 6) {
        micros = micros * 10 + (text[pos] - '0');
        ++digits;
      }
      ++pos;
    }
    if (digits == 0) return BadTime(text);
    for (; digits < 6; ++digits) micros *= 10;
    result += microseconds{micros};
  }

  if (pos >= text.size()) return BadTime(text);  // an offset is required with a time of day
  if (text[pos] == 'Z' || text[pos] == 'z') {
    ++pos;
  } else if (text[pos] == '+' || text[pos] == '-') {
    const int sign = text[pos] == '+' ? 1 : -1;
    ++pos;
    int off_h = 0, off_m = 0;
    if (!ReadDigits(text, pos, 2, off_h) || !Expect(text, pos, ':') ||
        !ReadDigits(text, pos, 2, off_m) || off_h > 23 || off_m > 59) {
      return BadTime(text);
    }
    result -= sign * (std::chrono::hours{off_h} + std::chrono::minutes{off_m});
  } else {
    return BadTime(text);
  }
  if (pos != text.size()) return BadTime(text);
  return result;
}

std::string FormatTime(TimePoint t) {
  const auto micros_total = std::chrono::floor<microseconds>(t);
  const auto day_point = std::chrono::floor<days>(micros_total);
  const std::chrono::year_month_day ymd{day_point};
  const std::chrono::hh_mm_ss hms{micros_total - day_point};
  std::string out =
      fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", static_cast<int>(ymd.year()),
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                  hms.hours().count(), hms.minutes().count(), hms.seconds().count());
  if (hms.subseconds().count() != 0) out += fmt::format(".{:06}", hms.subseconds().count());
  out += 'Z';
  return out;
}

int64_t ToUnixSeconds(TimePoint t) {
  return std::chrono::floor<seconds>(t.time_since_epoch()).count();
}

int64_t ToUnixMicros(TimePoint t) {
  return std::chrono::floor<microseconds>(t.time_since_epoch()).count();
}

TimePoint FromUnixMicros(int64_t micros) {
  return TimePoint{std::chrono::duration_cast<TimePoint::duration>(microseconds{micros})};
}

Result<std::chrono::seconds> ParseDuration(std::string_view text) {
  if (text.size() < 2) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("invalid duration '{}': expected e.g. 90d, 24h, 30m", text));
  }
  int64_t amount = 0;
  const char* begin = text.data();
  const char* end = text.data() + text.size() - 1;
  auto [ptr, ec] = std::from_chars(begin, end, amount);
  if (ec != std::errc{} || ptr != end || amount <= 0 || amount > 100 * 365 * 24 * 3600LL) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("invalid duration '{}': expected e.g. 90d, 24h, 30m", text));
  }
  switch (text.back()) {
    case 's':
      return seconds{amount};
    case 'm':
      return seconds{amount * 60};
    case 'h':
      return seconds{amount * 3600};
    case 'd':
      return seconds{amount * 86400};
    case 'w':
      return seconds{amount * 7 * 86400};
    default:
      return Fail(ErrorCode::kInvalidArgument,
                  fmt::format("invalid duration '{}': unit must be s, m, h, d or w", text));
  }
}

}  // namespace forewarn
