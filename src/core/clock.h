// File: core/clock.h
//
// The only source of "now" in forewarn. Embargo, expiry and scheduling logic take a
// `const Clock&` and never read the system clock themselves, so tests move a fake clock
// across wave boundaries instead of sleeping.
//
//   SystemClock clock;
//   if (clock.Now() >= wave.opens_at) Release(wave);
#pragma once

#include <chrono>

namespace forewarn {

using TimePoint = std::chrono::system_clock::time_point;

// Thread-safe implementations required: Now() is called from every server thread.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint Now() const = 0;
};

// Production clock: wall-clock time from the operating system.
class SystemClock final : public Clock {
 public:
  TimePoint Now() const override;
};

}  // namespace forewarn
