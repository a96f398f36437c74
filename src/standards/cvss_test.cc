#include "standards/cvss.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace forewarn::standards {
namespace {

using ::testing::HasSubstr;

#ifndef FOREWARN_SHARED_DIR
#error "cvss.cmake must define FOREWARN_SHARED_DIR (the ../shared directory)"
#endif

const std::filesystem::path kConformanceDir =
    std::filesystem::path(FOREWARN_SHARED_DIR) / "conformance" / "cvss";

// The score as the TSV files and the CLI print it: one decimal.
std::string OneDecimal(double score) {
  char text[16];
  std::snprintf(text, sizeof text, "%.1f", score);
  return text;
}

std::vector<std::string> SplitTabs(const std::string& line) {
  std::vector<std::string> fields;
  std::stringstream in(line);
  std::string field;
  while (std::getline(in, field, '\t')) fields.push_back(field);
  return fields;
}

// The data rows of a conformance TSV (lines starting with '#' are comments / the header).
std::vector<std::vector<std::string>> ReadTsv(const std::filesystem::path& path) {
  std::vector<std::vector<std::string>> rows;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line.front() == '#') continue;
    rows.push_back(SplitTabs(line));
  }
  return rows;
}

void ExpectScore(std::string_view vector, std::string_view score, std::string_view severity) {
  const Result<CvssScore> result = ScoreCvss(vector);
  ASSERT_TRUE(result.has_value()) << vector << ": " << result.error().message;
  EXPECT_EQ(OneDecimal(result->base_score), score) << vector;
  EXPECT_EQ(result->severity, severity) << vector;
}

TEST(CvssConformanceTest, EveryRowOfTheSharedVectorFileScoresAsExpected) {
  const std::filesystem::path main_file = kConformanceDir / "cvss-vectors.tsv";
  ASSERT_TRUE(std::filesystem::exists(main_file))
      << "conformance file " << main_file
      << " is missing; the ../shared checkout next to the source tree is required";

  // Vectors whose expected score depends on floating-point rounding are excluded on purpose.
  std::set<std::string> ambiguous;
  for (const auto& row : ReadTsv(kConformanceDir / "cvss40-rounding-ambiguous.tsv")) {
    if (row.size() >= 2) ambiguous.insert(row[1]);
  }

  const auto rows = ReadTsv(main_file);
  ASSERT_FALSE(rows.empty()) << main_file << " has no data rows";
  int checked = 0;
  int passed = 0;
  for (const auto& row : rows) {
    ASSERT_EQ(row.size(), 4u) << "malformed row in " << main_file << ": " << row.front();
    const std::string& version = row[0];
    const std::string& vector = row[1];
    if (ambiguous.contains(vector)) continue;
    ++checked;
    const Result<CvssScore> result = ScoreCvss(vector);
    if (!result.has_value()) {
      ADD_FAILURE() << vector << ": " << result.error().message;
      continue;
    }
    const bool ok = VersionString(result->version) == version &&
                    OneDecimal(result->base_score) == row[2] && result->severity == row[3];
    EXPECT_TRUE(ok) << vector << ": got " << VersionString(result->version) << " "
                    << OneDecimal(result->base_score) << " " << result->severity << ", want "
                    << version << " " << row[2] << " " << row[3];
    if (ok) ++passed;
  }
  EXPECT_EQ(passed, checked);
  RecordProperty("rows_checked", checked);
  RecordProperty("rows_passed", passed);
  std::printf("CVSS conformance: %d / %d rows passed\n", passed, checked);
}

// For an unrounded 4.0 score of exactly x.x5 this module rounds half up in exact arithmetic, as
// Red Hat's library does (column 3); FIRST's JavaScript calculator gives 0.1 less (column 4).
TEST(CvssConformanceTest, Cvss40RoundingTiesGoHalfUp) {
  const std::filesystem::path file = kConformanceDir / "cvss40-rounding-ambiguous.tsv";
  ASSERT_TRUE(std::filesystem::exists(file)) << "conformance file " << file << " is missing";
  const auto rows = ReadTsv(file);
  ASSERT_FALSE(rows.empty());
  for (const auto& row : rows) {
    ASSERT_EQ(row.size(), 5u);
    ExpectScore(row[1], row[2], row[4]);
  }
}

TEST(CvssTest, Cvss31WellKnownBaseVectors) {
  ExpectScore("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "9.8", "Critical");
  ExpectScore("CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N", "6.5", "Medium");
  ExpectScore("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", "10.0", "Critical");
  ExpectScore("CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:L/I:N/A:N", "3.3", "Low");
  ExpectScore("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", "0.0", "None");
}

// Expected values agree with FIRST's cvsscalc31.js and Red Hat's cvss library.
TEST(CvssTest, Cvss31TemporalAndEnvironmentalScores) {
  // Temporal metrics only: the temporal score.
  ExpectScore("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:U/RL:O/RC:C", "8.5", "High");
  ExpectScore("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:P/RL:X/RC:X", "9.3", "Critical");
  ExpectScore("CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N/E:U/RL:O/RC:U", "1.3", "Low");
  // All Not Defined: the base score.
  ExpectScore("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:X/RL:X/RC:X", "9.8", "Critical");
  // Environmental metrics: the environmental score.
  ExpectScore("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:P/CR:L", "9.0", "Critical");
  ExpectScore(
      "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:H/I:H/A:N/E:H/RL:O/RC:C/CR:H/IR:H/AR:H/"
      "MAV:N/MAC:L/MPR:L/MUI:N/MS:C/MC:H/MI:H/MA:H",
      "9.5", "Critical");
  ExpectScore("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:L/I:L/A:N/MS:U", "6.5", "Medium");
  ExpectScore("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/MC:N/MI:N/MA:N", "0.0", "None");
}

TEST(CvssTest, Cvss31AcceptsAnyOrderAndNormalizes) {
  const Result<CvssScore> result =
      ScoreCvss("CVSS:3.1/E:P/S:U/AV:N/AC:L/PR:N/UI:N/C:H/I:H/A:H/RL:X");
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_EQ(result->version, CvssVersion::kV31);
  EXPECT_EQ(OneDecimal(result->base_score), "9.3");
  EXPECT_EQ(result->vector, "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:P");
}

// Expected values agree with FIRST's cvss-v4-calculator and Red Hat's cvss library.
TEST(CvssTest, Cvss40WellKnownVectors) {
  ExpectScore("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H", "10.0",
              "Critical");
  ExpectScore("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", "9.3", "Critical");
  ExpectScore("CVSS:4.0/AV:L/AC:L/AT:N/PR:L/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", "8.5", "High");
  ExpectScore("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N", "0.0", "None");
  ExpectScore("CVSS:4.0/AV:P/AC:H/AT:P/PR:H/UI:A/VC:L/VI:L/VA:L/SC:L/SI:L/SA:L/E:U", "0.1", "Low");
}

TEST(CvssTest, Cvss40ThreatEnvironmentalAndSupplementalMetrics) {
  constexpr std::string_view kBase =
      "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N";
  const std::string base(kBase);
  ExpectScore(base + "/E:U", "8.1", "High");
  ExpectScore(base + "/E:P/CR:L/IR:L/AR:L", "7.9", "High");
  ExpectScore(base + "/MSI:S/MSA:S", "10.0", "Critical");
  ExpectScore(base + "/MAV:P/MAC:H/MAT:P/MPR:H/MUI:A", "5.4", "Medium");
  // Supplemental metrics do not change the score.
  ExpectScore(base + "/S:P/AU:Y/R:I/V:C/RE:H/U:Red", "9.3", "Critical");
}

TEST(CvssTest, Cvss40NormalizedVectorDropsNotDefinedMetrics) {
  const Result<CvssScore> result = ScoreCvss(
      "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:X/CR:X/MAV:X/"
      "MSI:S/U:X");
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_EQ(result->version, CvssVersion::kV40);
  EXPECT_EQ(result->vector,
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/MSI:S");
}

TEST(CvssTest, ScoresAreRoundedToOneDecimal) {
  const Result<CvssScore> result = ScoreCvss("CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N");
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->base_score, 6.5);
  EXPECT_EQ(result->base_score * 10, std::round(result->base_score * 10));
}

TEST(CvssTest, VersionStrings) {
  EXPECT_EQ(VersionString(CvssVersion::kV31), "3.1");
  EXPECT_EQ(VersionString(CvssVersion::kV40), "4.0");
}

struct MalformedCase {
  std::string vector;
  std::string message;  // a substring the error message must contain
};

TEST(CvssTest, RejectsMalformedVectorsNamingTheProblem) {
  const std::string v31 = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H";
  const std::string v40 = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N";
  const std::vector<MalformedCase> cases = {
      {"", "vector must start with CVSS:3.1/ or CVSS:4.0/"},
      {"AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "vector must start with CVSS:3.1/ or CVSS:4.0/"},
      {"CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
       "vector must start with CVSS:3.1/ or CVSS:4.0/"},
      {"cvss:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
       "vector must start with CVSS:3.1/ or CVSS:4.0/"},
      {"CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
       "CVSS 3.1 vector: metric AV has invalid value 'X'"},
      {"CVSS:3.1/AV:N/AC:L/UI:N/S:U/C:H/I:H/A:H", "CVSS 3.1 vector: missing mandatory metric PR"},
      {"CVSS:3.1/AV:N/AC:L/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H", "CVSS 3.1 vector: duplicate metric AC"},
      {v31 + "/ZZ:N", "CVSS 3.1 vector: unknown metric ZZ"},
      {v31 + "/MSI:S", "CVSS 3.1 vector: unknown metric MSI"},
      {v31 + "/E:A", "CVSS 3.1 vector: metric E has invalid value 'A'"},
      {v31 + "/MS:N", "CVSS 3.1 vector: metric MS has invalid value 'N'"},
      {"CVSS:3.1/AV:n/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "metric AV has invalid value 'n'"},
      {"CVSS:3.1/av:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "unknown metric av"},
      {"CVSS:3.1/AV:N/AC:L/PR:U/UI:N/S:U/C:H/I:H/A:H", "metric PR has invalid value 'U'"},
      {"CVSS:3.1/AV:N:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "metric AV has invalid value 'N:N'"},
      {"CVSS:3.1/AV:/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "metric AV has invalid value ''"},
      {"CVSS:3.1/AVN/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "component 'AVN' is not METRIC:VALUE"},
      {"CVSS:3.1/:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "component ':N' is not METRIC:VALUE"},
      {v31 + "/", "CVSS 3.1 vector: empty component"},
      {"CVSS:3.1/AV:N//AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "empty component"},
      {"CVSS:3.1/", "empty component"},
      {"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H ", "metric A has invalid value 'H '"},
      {std::string("CVSS:3.1/AV:\x01/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"),
       "metric AV has invalid value '?'"},
      {"CVSS:4.0/AV:X/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
       "CVSS 4.0 vector: metric AV has invalid value 'X'"},
      {"CVSS:4.0/AV:N/AC:L/AT:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
       "CVSS 4.0 vector: missing mandatory metric PR"},
      {"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N",
       "CVSS 4.0 vector: missing mandatory metric SA"},
      {"CVSS:4.0/AV:N/AC:L/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
       "CVSS 4.0 vector: duplicate metric AC"},
      {v40 + "/ZZ:N", "CVSS 4.0 vector: unknown metric ZZ"},
      {v40 + "/RL:X", "CVSS 4.0 vector: unknown metric RL"},
      {"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:S/SA:N",
       "CVSS 4.0 vector: metric SI has invalid value 'S'"},
      {v40 + "/S:U", "CVSS 4.0 vector: metric S has invalid value 'U'"},
      {v40 + "/U:red", "CVSS 4.0 vector: metric U has invalid value 'red'"},
      {"CVSS:4.0/AC:L/AV:N/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
       "CVSS 4.0 vector: metric AV must come before AC"},
      {v40 + "/CR:H/E:A", "CVSS 4.0 vector: metric E must come before CR"},
      {v40 + "/U:Red/S:N", "CVSS 4.0 vector: metric S must come before U"},
      {v40 + "/", "CVSS 4.0 vector: empty component"},
      {"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/" + std::string(600, 'E'), "the limit is 512"},
  };
  for (const MalformedCase& c : cases) {
    const Result<CvssScore> result = ScoreCvss(c.vector);
    ASSERT_FALSE(result.has_value()) << c.vector;
    EXPECT_EQ(result.error().code, ErrorCode::kInvalidArgument) << c.vector;
    EXPECT_THAT(result.error().message, HasSubstr(c.message)) << c.vector;
  }
}

TEST(CvssTest, LongestValidVectorIsWithinTheLengthLimit) {
  const std::string longest =
      "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/E:A/CR:H/IR:H/AR:H/MAV:N/"
      "MAC:L/MAT:N/MPR:N/MUI:N/MVC:H/MVI:H/MVA:H/MSC:H/MSI:S/MSA:S/S:P/AU:Y/R:I/V:C/RE:H/U:Amber";
  ASSERT_LT(longest.size(), kMaxCvssVectorLength);
  ExpectScore(longest, "10.0", "Critical");
}

}  // namespace
}  // namespace forewarn::standards
