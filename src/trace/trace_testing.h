// File: trace/trace_testing.h (tests of the trace module only)
//
// Helpers shared by the embedder and extraction tests: the sample artifacts, deterministic code
// bits, and running Debian's tools (python3, black, yara) on a variant written to a temp file.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "trace/embed.h"

namespace forewarn::trace::testing {

// The text of ../shared/samples/NAME; fails the test when it is missing.
inline std::string ReadSample(const std::string& name) {
  std::ifstream in(std::string(FOREWARN_SAMPLES_DIR) + "/" + name, std::ios::binary);
  EXPECT_TRUE(in.good()) << "missing sample " << name;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// `count` code bits from a seeded generator (each 0 or 1 with probability 1/2).
inline std::vector<uint8_t> RandomBits(uint64_t seed, int count) {
  std::mt19937_64 gen(seed);
  std::vector<uint8_t> bits(count);
  for (auto& b : bits) b = static_cast<uint8_t>(gen() & 1U);
  return bits;
}

// A file in a fresh temp directory holding `text`, removed with the object.
class TempFile {
 public:
  TempFile(const std::string& name, const std::string& text) {
    std::string pattern = (std::filesystem::temp_directory_path() / "fw-trace-XXXXXX").string();
    dir_ = mkdtemp(pattern.data());
    path_ = dir_ + "/" + name;
    std::ofstream(path_, std::ios::binary) << text;
  }
  ~TempFile() { std::filesystem::remove_all(dir_); }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  const std::string& path() const { return path_; }
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
  std::string path_;
};

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

// Runs a shell command and captures its output.
inline CommandResult RunCommand(const std::string& command) {
  CommandResult result;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return result;
  char buffer[4096];
  size_t n = 0;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) result.output.append(buffer, n);
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

// The marked document of `text`; a failed test (and an empty document) when it does not build.
inline MarkedDocument MarksOf(const std::string& text, Language language) {
  auto doc = FindMarks(text, language);
  EXPECT_TRUE(doc.has_value()) << (doc.has_value() ? "" : doc.error().message);
  if (!doc.has_value()) return *FindMarks("", Language::kMarkup);
  return *std::move(doc);
}

// How many points of each family `doc` has.
inline std::map<std::string, int> FamilyCounts(const MarkedDocument& doc) {
  std::map<std::string, int> families;
  for (const auto& point : doc.points()) ++families[point.family];
  return families;
}

// Whether a tool is installed (scripts/install-deps installs python3, black and yara).
inline bool HaveTool(const std::string& path) { return access(path.c_str(), X_OK) == 0; }

}  // namespace forewarn::trace::testing
