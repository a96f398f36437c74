#include "tests/testing/testing.h"

#include <sodium.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>

#include "core/time.h"

namespace forewarn::testing {

FakeClock::FakeClock(TimePoint start) : now_(start) {}
FakeClock::FakeClock() : FakeClock(ParseTime("2026-07-01T00:00:00Z").value()) {}

TimePoint FakeClock::Now() const {
  std::lock_guard lock(mutex_);
  return now_;
}

void FakeClock::Set(TimePoint t) {
  std::lock_guard lock(mutex_);
  now_ = t;
}

void FakeClock::Advance(std::chrono::system_clock::duration d) {
  std::lock_guard lock(mutex_);
  now_ += d;
}

SeededRandom::SeededRandom(uint64_t seed) : seed_(randombytes_SEEDBYTES, '\0') {
  std::memcpy(seed_.data(), &seed, sizeof(seed));
}

void SeededRandom::Fill(std::span<std::byte> out) {
  std::lock_guard lock(mutex_);
  // Each call draws from a fresh deterministic stream keyed by (seed, call counter).
  std::string key = seed_;
  ++counter_;
  std::memcpy(key.data() + 8, &counter_, sizeof(counter_));
  randombytes_buf_deterministic(out.data(), out.size(),
                                reinterpret_cast<const unsigned char*>(key.data()));
}

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "forewarn-test-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

}  // namespace forewarn::testing
