// File: standards/cvss.h
//
// Parses and scores CVSS v3.1 and v4.0 vector strings, giving the same number and rating
// as FIRST's reference calculators.
//
//   FW_ASSIGN_OR_RETURN(CvssScore s, ScoreCvss("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"));
//   s.base_score;  // 9.8
//   s.severity;    // "Critical"
//
// Which score is returned
//   CVSS 3.1: the score of the most specific metric group the vector fills in, as FIRST's
//     calculator (cvsscalc31.js, https://www.first.org/cvss/calculator/3.1) shows it: the
//     Environmental score if any of CR, IR, AR, MAV, MAC, MPR, MUI, MS, MC, MI, MA has a value
//     other than X; otherwise the Temporal score if any of E, RL, RC has a value other than X;
//     otherwise the Base score. Rounding uses the float-safe Roundup of the 3.1 specification,
//     Appendix A.
//   CVSS 4.0: the single CVSS-B/BT/BE/BTE score of the whole vector, computed with the
//     MacroVector method of the 4.0 specification as in FIRST's calculator
//     (github.com/FIRSTdotorg/cvss-v4-calculator, cvss_score.js) and Red Hat's library
//     (github.com/RedHatProductSecurity/cvss, cvss/cvss4.py). Supplemental metrics (S, AU, R, V,
//     RE, U) are validated but do not change the score. The final rounding to one decimal is done
//     in exact arithmetic (round half up). For the few vectors whose unrounded score is exactly
//     x.x5 (about 0.3% of random 4.0 vectors), FIRST's JavaScript often rounds the binary
//     approximation down (e.g. 5.6) while Red Hat's library and this module give 5.7.
//
// Accepted syntax
//   - The vector starts with "CVSS:3.1/" or "CVSS:4.0/"; then METRIC:VALUE components joined by
//     '/', case-sensitive, with no spaces, empty components or trailing '/'. At most
//     kMaxCvssVectorLength characters.
//   - All base metrics are mandatory; every other metric is optional and may be given as X
//     (Not Defined). A metric may appear only once.
//   - Order: CVSS 3.1 accepts the metrics in any order (the 3.1 specification only recommends
//     the order of its Table 15, and FIRST's 3.1 calculator accepts any order). CVSS 4.0 requires
//     the order of the "Vector String" section of the 4.0 specification, as FIRST's 4.0
//     calculator (metrics.js, expectedMetricOrder) does: base, threat (E), environmental (CR,
//     IR, AR, MAV ... MSA), supplemental (S, AU, R, V, RE, U).
//
// Thread safety: all functions are pure and may be called concurrently.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/result.h"

namespace forewarn::standards {

enum class CvssVersion { kV31, kV40 };

// Vectors longer than this are rejected before parsing (the longest valid 4.0 vector is well
// under 300 characters).
inline constexpr std::size_t kMaxCvssVectorLength = 512;

struct CvssScore {
  CvssVersion version = CvssVersion::kV31;
  // The score described in the File block (3.1: base, temporal or environmental; 4.0: the
  // vector's score), already rounded to one decimal, in [0.0, 10.0].
  double base_score = 0.0;
  // The qualitative rating of base_score: "None" (0.0), "Low" (0.1-3.9), "Medium" (4.0-6.9),
  // "High" (7.0-8.9) or "Critical" (9.0-10.0).
  std::string severity;
  // The vector rewritten in the specification's metric order, without optional metrics whose
  // value is X, e.g. "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:P".
  std::string vector;
};

// Parses and scores `vector`. Returns kInvalidArgument, with a message naming the CVSS version and
// the offending metric, for: an unknown prefix ("vector must start with CVSS:3.1/ or CVSS:4.0/"),
// an over-long vector, an empty or malformed component, an unknown metric ("unknown metric ZZ"),
// a repeated metric ("duplicate metric AC"), a value outside the metric's set ("metric AV has
// invalid value 'X'"), a missing base metric ("missing mandatory metric PR"), or, for 4.0 only,
// metrics out of the specification's order ("metric AC must come before PR"). Never fails
// otherwise.
[[nodiscard]] Result<CvssScore> ScoreCvss(std::string_view vector);

// "3.1" or "4.0".
std::string_view VersionString(CvssVersion version);

}  // namespace forewarn::standards
