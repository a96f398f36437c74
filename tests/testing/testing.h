// File: tests/testing/testing.h
//
// Deterministic stand-ins for the injected dependencies: a clock that moves only when told,
// and a seeded random source. Tests never sleep to cross a time boundary.
//
//   FakeClock clock(ParseTime("2026-07-01T00:00:00Z").value());
//   clock.Advance(std::chrono::hours{24});
//   SeededRandom random(42);
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <string>

#include "core/clock.h"
#include "crypto/crypto.h"

namespace forewarn::testing {

class FakeClock final : public Clock {
 public:
  explicit FakeClock(TimePoint start);
  FakeClock();  // 2026-07-01T00:00:00Z
  TimePoint Now() const override;
  void Set(TimePoint t);
  void Advance(std::chrono::system_clock::duration d);

 private:
  mutable std::mutex mutex_;
  TimePoint now_;
};

// Reproducible bytes: the same seed gives the same stream. Thread-safe.
class SeededRandom final : public crypto::Random {
 public:
  explicit SeededRandom(uint64_t seed);
  void Fill(std::span<std::byte> out) override;

 private:
  std::mutex mutex_;
  std::string seed_;
  uint64_t counter_ = 0;
};

// A fresh empty directory under the system temp dir, removed when destroyed.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace forewarn::testing
