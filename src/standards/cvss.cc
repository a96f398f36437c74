#include "standards/cvss.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "standards/cvss40_tables.h"

namespace forewarn::standards {
namespace {

// ---------------------------------------------------------------------------------------------
// Vector syntax, shared by both versions.

struct MetricDef {
  std::string_view name;
  std::string_view values;  // the allowed values, separated by '|'
  bool mandatory;
};

// CVSS v3.1 specification, Table 15 (order recommended, not required).
constexpr std::array<MetricDef, 22> kV31Metrics = {{
    {"AV", "N|A|L|P", true},    {"AC", "L|H", true},       {"PR", "N|L|H", true},
    {"UI", "N|R", true},        {"S", "U|C", true},        {"C", "H|L|N", true},
    {"I", "H|L|N", true},       {"A", "H|L|N", true},      {"E", "X|H|F|P|U", false},
    {"RL", "X|U|W|T|O", false}, {"RC", "X|C|R|U", false},  {"CR", "X|H|M|L", false},
    {"IR", "X|H|M|L", false},   {"AR", "X|H|M|L", false},  {"MAV", "X|N|A|L|P", false},
    {"MAC", "X|L|H", false},    {"MPR", "X|N|L|H", false}, {"MUI", "X|N|R", false},
    {"MS", "X|U|C", false},     {"MC", "X|H|L|N", false},  {"MI", "X|H|L|N", false},
    {"MA", "X|H|L|N", false},
}};

// CVSS v4.0 specification, "Vector String" section (order required); the same list and order as
// expectedMetricOrder in FIRST's calculator (metrics.js).
constexpr std::array<MetricDef, 32> kV40Metrics = {{
    {"AV", "N|A|L|P", true},     {"AC", "L|H", true},
    {"AT", "N|P", true},         {"PR", "N|L|H", true},
    {"UI", "N|P|A", true},       {"VC", "H|L|N", true},
    {"VI", "H|L|N", true},       {"VA", "H|L|N", true},
    {"SC", "H|L|N", true},       {"SI", "H|L|N", true},
    {"SA", "H|L|N", true},       {"E", "X|A|P|U", false},
    {"CR", "X|H|M|L", false},    {"IR", "X|H|M|L", false},
    {"AR", "X|H|M|L", false},    {"MAV", "X|N|A|L|P", false},
    {"MAC", "X|L|H", false},     {"MAT", "X|N|P", false},
    {"MPR", "X|N|L|H", false},   {"MUI", "X|N|P|A", false},
    {"MVC", "X|H|L|N", false},   {"MVI", "X|H|L|N", false},
    {"MVA", "X|H|L|N", false},   {"MSC", "X|H|L|N", false},
    {"MSI", "X|S|H|L|N", false}, {"MSA", "X|S|H|L|N", false},
    {"S", "X|N|P", false},       {"AU", "X|N|Y", false},
    {"R", "X|A|U|I", false},     {"V", "X|D|C", false},
    {"RE", "X|L|M|H", false},    {"U", "X|Clear|Green|Amber|Red", false},
}};

constexpr std::string_view kV31Prefix = "CVSS:3.1/";
constexpr std::string_view kV40Prefix = "CVSS:4.0/";

template <std::size_t N>
constexpr std::size_t IndexOf(const std::array<MetricDef, N>& defs, std::string_view name) {
  for (std::size_t i = 0; i < N; ++i) {
    if (defs[i].name == name) return i;
  }
  return N;
}

// The parsed values, indexed like the MetricDef array; an absent metric is an empty view.
template <std::size_t N>
using MetricValues = std::array<std::string_view, N>;

bool IsAllowed(std::string_view allowed, std::string_view value) {
  while (!allowed.empty()) {
    const std::size_t bar = allowed.find('|');
    if (allowed.substr(0, bar) == value) return true;
    if (bar == std::string_view::npos) break;
    allowed.remove_prefix(bar + 1);
  }
  return false;
}

// User input echoed in an error message: printable ASCII only, and not too long.
std::string Printable(std::string_view text) {
  constexpr std::size_t kMaxEcho = 24;
  std::string out;
  for (const char c : text.substr(0, kMaxEcho)) {
    out += (c >= 0x20 && c < 0x7f) ? c : '?';
  }
  if (text.size() > kMaxEcho) out += "...";
  return out;
}

tl::unexpected<Error> Invalid(CvssVersion version, std::string_view what) {
  return Fail(ErrorCode::kInvalidArgument,
              fmt::format("CVSS {} vector: {}", VersionString(version), what));
}

// Splits `body` (the vector after its "CVSS:x.y/" prefix) into METRIC:VALUE components and checks
// each against `defs`. With `ordered`, the metrics must follow the order of `defs`.
template <std::size_t N>
Result<MetricValues<N>> ParseMetrics(CvssVersion version, std::string_view body,
                                     const std::array<MetricDef, N>& defs, bool ordered) {
  MetricValues<N> values{};
  std::size_t last_index = N;  // N: no metric seen yet
  while (true) {
    const std::size_t slash = body.find('/');
    const std::string_view field = body.substr(0, slash);
    if (field.empty()) {
      return Invalid(version, "empty component (a leading, doubled or trailing '/')");
    }
    const std::size_t colon = field.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      return Invalid(version, fmt::format("component '{}' is not METRIC:VALUE", Printable(field)));
    }
    const std::string_view name = field.substr(0, colon);
    const std::string_view value = field.substr(colon + 1);
    const std::size_t index = IndexOf(defs, name);
    if (index == N) return Invalid(version, fmt::format("unknown metric {}", Printable(name)));
    if (!values[index].empty()) return Invalid(version, fmt::format("duplicate metric {}", name));
    if (!IsAllowed(defs[index].values, value)) {
      return Invalid(version,
                     fmt::format("metric {} has invalid value '{}'", name, Printable(value)));
    }
    if (ordered && last_index != N && index < last_index) {
      return Invalid(version,
                     fmt::format("metric {} must come before {}", name, defs[last_index].name));
    }
    values[index] = value;
    last_index = index;
    if (slash == std::string_view::npos) break;
    body.remove_prefix(slash + 1);
  }
  for (std::size_t i = 0; i < N; ++i) {
    if (defs[i].mandatory && values[i].empty()) {
      return Invalid(version, fmt::format("missing mandatory metric {}", defs[i].name));
    }
  }
  return values;
}

// The vector in specification order, without optional metrics that are absent or X.
template <std::size_t N>
std::string Normalize(std::string_view prefix, const std::array<MetricDef, N>& defs,
                      const MetricValues<N>& values) {
  std::string out(prefix.substr(0, prefix.size() - 1));  // without the trailing '/'
  for (std::size_t i = 0; i < N; ++i) {
    if (values[i].empty() || (!defs[i].mandatory && values[i] == "X")) continue;
    out += fmt::format("/{}:{}", defs[i].name, values[i]);
  }
  return out;
}

// The CVSS qualitative severity rating scale (identical in 3.1 and 4.0).
std::string SeverityOf(int tenths) {
  if (tenths == 0) return "None";
  if (tenths <= 39) return "Low";
  if (tenths <= 69) return "Medium";
  if (tenths <= 89) return "High";
  return "Critical";
}

// ---------------------------------------------------------------------------------------------
// CVSS v3.1 (specification section 7; FIRST's cvsscalc31.js).

// The metric's single-letter value, or 'X' when absent.
template <std::size_t N>
char Letter(const MetricValues<N>& values, std::string_view name) {
  const std::string_view value = values[IndexOf(kV31Metrics, name)];
  return value.empty() ? 'X' : value.front();
}

// The value of modified metric `modified` (e.g. "MAV"), or of its base metric if it is X.
char Modified(const MetricValues<kV31Metrics.size()>& values, std::string_view modified) {
  const char value = Letter(values, modified);
  return value != 'X' ? value : Letter(values, modified.substr(1));
}

double AttackVectorWeight(char v) {
  switch (v) {
    case 'N':
      return 0.85;
    case 'A':
      return 0.62;
    case 'L':
      return 0.55;
    default:
      return 0.2;  // P
  }
}
double AttackComplexityWeight(char v) { return v == 'L' ? 0.77 : 0.44; }
double PrivilegesWeight(char v, bool scope_changed) {
  switch (v) {
    case 'N':
      return 0.85;
    case 'L':
      return scope_changed ? 0.68 : 0.62;
    default:
      return scope_changed ? 0.5 : 0.27;  // H
  }
}
double UserInteractionWeight(char v) { return v == 'N' ? 0.85 : 0.62; }
double ScopeWeight(bool scope_changed) { return scope_changed ? 7.52 : 6.42; }
double ImpactWeight(char v) {
  switch (v) {
    case 'H':
      return 0.56;
    case 'L':
      return 0.22;
    default:
      return 0.0;  // N
  }
}
double ExploitMaturityWeight(char v) {
  switch (v) {
    case 'U':
      return 0.91;
    case 'P':
      return 0.94;
    case 'F':
      return 0.97;
    default:
      return 1.0;  // H, X
  }
}
double RemediationWeight(char v) {
  switch (v) {
    case 'O':
      return 0.95;
    case 'T':
      return 0.96;
    case 'W':
      return 0.97;
    default:
      return 1.0;  // U, X
  }
}
double ReportConfidenceWeight(char v) {
  switch (v) {
    case 'U':
      return 0.92;
    case 'R':
      return 0.96;
    default:
      return 1.0;  // C, X
  }
}
double RequirementWeight(char v) {
  switch (v) {
    case 'L':
      return 0.5;
    case 'H':
      return 1.5;
    default:
      return 1.0;  // M, X
  }
}

// Roundup from the CVSS v3.1 specification, Appendix A: the smallest one-decimal number >= input,
// computed on integers so that e.g. 4.000000000000001 rounds to 4.0.
double RoundUp(double input) {
  const int64_t int_input = std::llround(input * 100000);
  if (int_input % 10000 == 0) return static_cast<double>(int_input) / 100000.0;
  return static_cast<double>(int_input / 10000 + 1) / 10.0;
}

bool AnyDefined(const MetricValues<kV31Metrics.size()>& values, std::size_t first,
                std::size_t last) {
  for (std::size_t i = first; i <= last; ++i) {
    if (!values[i].empty() && values[i] != "X") return true;
  }
  return false;
}

// The score shown by FIRST's calculator for the most specific group present, in tenths.
int ScoreV31(const MetricValues<kV31Metrics.size()>& v) {
  const bool scope_changed = Letter(v, "S") == 'C';
  const double iss = 1 - ((1 - ImpactWeight(Letter(v, "C"))) * (1 - ImpactWeight(Letter(v, "I"))) *
                          (1 - ImpactWeight(Letter(v, "A"))));
  const double impact = scope_changed
                            ? ScopeWeight(true) * (iss - 0.029) - 3.25 * std::pow(iss - 0.02, 15)
                            : ScopeWeight(false) * iss;
  const double exploitability =
      8.22 * AttackVectorWeight(Letter(v, "AV")) * AttackComplexityWeight(Letter(v, "AC")) *
      PrivilegesWeight(Letter(v, "PR"), scope_changed) * UserInteractionWeight(Letter(v, "UI"));
  double base = 0;
  if (impact > 0) {
    base = scope_changed ? RoundUp(std::min(1.08 * (exploitability + impact), 10.0))
                         : RoundUp(std::min(exploitability + impact, 10.0));
  }

  const double e = ExploitMaturityWeight(Letter(v, "E"));
  const double rl = RemediationWeight(Letter(v, "RL"));
  const double rc = ReportConfidenceWeight(Letter(v, "RC"));
  const double temporal = RoundUp(base * e * rl * rc);

  const double miss =
      std::min(1 - ((1 - ImpactWeight(Modified(v, "MC")) * RequirementWeight(Letter(v, "CR"))) *
                    (1 - ImpactWeight(Modified(v, "MI")) * RequirementWeight(Letter(v, "IR"))) *
                    (1 - ImpactWeight(Modified(v, "MA")) * RequirementWeight(Letter(v, "AR")))),
               0.915);
  const bool modified_scope_changed = Modified(v, "MS") == 'C';
  const double modified_impact =
      modified_scope_changed
          ? ScopeWeight(true) * (miss - 0.029) - 3.25 * std::pow(miss * 0.9731 - 0.02, 13)
          : ScopeWeight(false) * miss;
  const double modified_exploitability =
      8.22 * AttackVectorWeight(Modified(v, "MAV")) * AttackComplexityWeight(Modified(v, "MAC")) *
      PrivilegesWeight(Modified(v, "MPR"), modified_scope_changed) *
      UserInteractionWeight(Modified(v, "MUI"));
  double environmental = 0;
  if (modified_impact > 0) {
    const double sum = modified_scope_changed
                           ? std::min(1.08 * (modified_impact + modified_exploitability), 10.0)
                           : std::min(modified_impact + modified_exploitability, 10.0);
    environmental = RoundUp(RoundUp(sum) * e * rl * rc);
  }

  double score = base;
  if (AnyDefined(v, IndexOf(kV31Metrics, "CR"), IndexOf(kV31Metrics, "MA"))) {
    score = environmental;
  } else if (AnyDefined(v, IndexOf(kV31Metrics, "E"), IndexOf(kV31Metrics, "RC"))) {
    score = temporal;
  }
  return static_cast<int>(std::lround(score * 10));
}

// ---------------------------------------------------------------------------------------------
// CVSS v4.0 (specification section 8, "CVSS v4.0 Scoring"; FIRST's cvss_score.js).

// The values the scoring uses, after applying the specification's defaults: a modified metric
// other than X replaces its base metric; E:X counts as A; CR, IR, AR:X count as H.
struct V40Effective {
  char av, ac, at, pr, ui, vc, vi, va, sc, si, sa, e, cr, ir, ar;
};

V40Effective EffectiveV40(const MetricValues<kV40Metrics.size()>& values) {
  auto letter = [&](std::string_view name, char if_undefined) {
    const std::string_view value = values[IndexOf(kV40Metrics, name)];
    return (value.empty() || value == "X") ? if_undefined : value.front();
  };
  auto modified = [&](std::string_view base) {
    const std::string modified_name = fmt::format("M{}", base);
    return letter(modified_name, letter(base, 'X'));
  };
  return V40Effective{
      .av = modified("AV"),
      .ac = modified("AC"),
      .at = modified("AT"),
      .pr = modified("PR"),
      .ui = modified("UI"),
      .vc = modified("VC"),
      .vi = modified("VI"),
      .va = modified("VA"),
      .sc = modified("SC"),
      .si = modified("SI"),
      .sa = modified("SA"),
      .e = letter("E", 'A'),
      .cr = letter("CR", 'H'),
      .ir = letter("IR", 'H'),
      .ar = letter("AR", 'H'),
  };
}

using MacroVector = std::array<int, 6>;  // EQ1..EQ6

// The equivalence classes of the specification's Table 24 (macroVector() in cvss_score.js).
MacroVector MacroVectorOf(const V40Effective& m) {
  MacroVector eq{};
  if (m.av == 'N' && m.pr == 'N' && m.ui == 'N') {
    eq[0] = 0;
  } else if ((m.av == 'N' || m.pr == 'N' || m.ui == 'N') && m.av != 'P') {
    eq[0] = 1;
  } else {
    eq[0] = 2;
  }
  eq[1] = (m.ac == 'L' && m.at == 'N') ? 0 : 1;
  if (m.vc == 'H' && m.vi == 'H') {
    eq[2] = 0;
  } else if (m.vc == 'H' || m.vi == 'H' || m.va == 'H') {
    eq[2] = 1;
  } else {
    eq[2] = 2;
  }
  // Only the modified MSI/MSA can be S (Safety), so testing the effective values is the same.
  if (m.si == 'S' || m.sa == 'S') {
    eq[3] = 0;
  } else if (m.sc == 'H' || m.si == 'H' || m.sa == 'H') {
    eq[3] = 1;
  } else {
    eq[3] = 2;
  }
  eq[4] = m.e == 'A' ? 0 : m.e == 'P' ? 1 : 2;
  eq[5] =
      ((m.cr == 'H' && m.vc == 'H') || (m.ir == 'H' && m.vi == 'H') || (m.ar == 'H' && m.va == 'H'))
          ? 0
          : 1;
  return eq;
}

constexpr std::array<int, 6> kEqLevels = {3, 2, 3, 3, 3, 2};
constexpr std::size_t kMacroSlots = 3 * 2 * 3 * 3 * 3 * 2;

constexpr std::optional<std::size_t> SlotOf(const MacroVector& eq) {
  std::size_t slot = 0;
  for (std::size_t i = 0; i < eq.size(); ++i) {
    if (eq[i] < 0 || eq[i] >= kEqLevels[i]) return std::nullopt;
    slot = slot * static_cast<std::size_t>(kEqLevels[i]) + static_cast<std::size_t>(eq[i]);
  }
  return slot;
}

// kMacroVectorScores as a dense array indexed by SlotOf; -1 where no MacroVector exists.
constexpr std::array<int, kMacroSlots> kScoreBySlot = [] {
  std::array<int, kMacroSlots> by_slot{};
  by_slot.fill(-1);
  for (const cvss40::MacroVectorScore& entry : cvss40::kMacroVectorScores) {
    MacroVector eq{};
    for (std::size_t i = 0; i < eq.size(); ++i) eq[i] = entry.macro_vector[i] - '0';
    by_slot[SlotOf(eq).value()] = entry.tenths;
  }
  return by_slot;
}();

static_assert(std::count(kScoreBySlot.begin(), kScoreBySlot.end(), -1) ==
                  static_cast<std::ptrdiff_t>(kMacroSlots - cvss40::kMacroVectorScores.size()),
              "every MacroVector in the table must be distinct");

// The MacroVector's score in tenths, or nullopt if there is no such MacroVector.
std::optional<int> LookUp(const MacroVector& eq) {
  const std::optional<std::size_t> slot = SlotOf(eq);
  if (!slot || kScoreBySlot[*slot] < 0) return std::nullopt;
  return kScoreBySlot[*slot];
}

MacroVector With(MacroVector eq, std::size_t index, int delta) {
  eq[index] += delta;
  return eq;
}

// Severity levels in steps of 0.1, stored in tenths (the *_levels tables of cvss_score.js).
int AttackVectorLevel(char v) { return v == 'N' ? 0 : v == 'A' ? 1 : v == 'L' ? 2 : 3; }
int PrivilegesLevel(char v) { return v == 'N' ? 0 : v == 'L' ? 1 : 2; }
int UserInteractionLevel(char v) { return v == 'N' ? 0 : v == 'P' ? 1 : 2; }
int AttackComplexityLevel(char v) { return v == 'L' ? 0 : 1; }
int AttackRequirementsLevel(char v) { return v == 'N' ? 0 : 1; }
int VulnerableImpactLevel(char v) { return v == 'H' ? 0 : v == 'L' ? 1 : 2; }
int SubsequentImpactLevel(char v) { return v == 'S' ? 0 : v == 'H' ? 1 : v == 'L' ? 2 : 3; }
int RequirementLevel(char v) { return v == 'H' ? 0 : v == 'M' ? 1 : 2; }

// The value of `metric` in a maxComposed string such as "AV:N/PR:N/UI:N/".
char MaxValue(std::string_view composed, std::string_view metric) {
  while (!composed.empty()) {
    const std::size_t slash = composed.find('/');
    const std::string_view field = composed.substr(0, slash);
    if (field.size() > metric.size() && field.substr(0, metric.size()) == metric &&
        field[metric.size()] == ':') {
      return field[metric.size() + 1];
    }
    if (slash == std::string_view::npos) break;
    composed.remove_prefix(slash + 1);
  }
  return '?';  // unreachable with the tables in cvss40_tables.h
}

// Severity distances of the scored vector from one highest-severity vector, summed per EQ.
struct Distances {
  int eq1 = 0;
  int eq2 = 0;
  int eq3eq6 = 0;
  int eq4 = 0;
  bool any_negative = false;
};

Distances DistancesFrom(const V40Effective& m, std::string_view eq1_max, std::string_view eq2_max,
                        std::string_view eq3eq6_max, std::string_view eq4_max) {
  const std::array<int, 3> d1 = {
      AttackVectorLevel(m.av) - AttackVectorLevel(MaxValue(eq1_max, "AV")),
      PrivilegesLevel(m.pr) - PrivilegesLevel(MaxValue(eq1_max, "PR")),
      UserInteractionLevel(m.ui) - UserInteractionLevel(MaxValue(eq1_max, "UI"))};
  const std::array<int, 2> d2 = {
      AttackComplexityLevel(m.ac) - AttackComplexityLevel(MaxValue(eq2_max, "AC")),
      AttackRequirementsLevel(m.at) - AttackRequirementsLevel(MaxValue(eq2_max, "AT"))};
  const std::array<int, 6> d36 = {
      VulnerableImpactLevel(m.vc) - VulnerableImpactLevel(MaxValue(eq3eq6_max, "VC")),
      VulnerableImpactLevel(m.vi) - VulnerableImpactLevel(MaxValue(eq3eq6_max, "VI")),
      VulnerableImpactLevel(m.va) - VulnerableImpactLevel(MaxValue(eq3eq6_max, "VA")),
      RequirementLevel(m.cr) - RequirementLevel(MaxValue(eq3eq6_max, "CR")),
      RequirementLevel(m.ir) - RequirementLevel(MaxValue(eq3eq6_max, "IR")),
      RequirementLevel(m.ar) - RequirementLevel(MaxValue(eq3eq6_max, "AR"))};
  const std::array<int, 3> d4 = {
      SubsequentImpactLevel(m.sc) - SubsequentImpactLevel(MaxValue(eq4_max, "SC")),
      SubsequentImpactLevel(m.si) - SubsequentImpactLevel(MaxValue(eq4_max, "SI")),
      SubsequentImpactLevel(m.sa) - SubsequentImpactLevel(MaxValue(eq4_max, "SA"))};
  Distances out;
  auto add = [&out](int& sum, const auto& parts) {
    for (const int part : parts) {
      sum += part;
      out.any_negative = out.any_negative || part < 0;
    }
  };
  add(out.eq1, d1);
  add(out.eq2, d2);
  add(out.eq3eq6, d36);
  add(out.eq4, d4);
  return out;
}

// Step 1b of the scoring: the distance from the first highest-severity vector of the MacroVector
// that the scored vector does not exceed in any metric (or from the last one tried, as the
// reference does if there is none).
Distances SeverityDistances(const V40Effective& m, const MacroVector& eq) {
  Distances found;
  for (const std::string_view eq1_max : cvss40::kEq1Maxes[eq[0]]) {
    for (const std::string_view eq2_max : cvss40::kEq2Maxes[eq[1]]) {
      for (const std::string_view eq3eq6_max : cvss40::kEq3Eq6Maxes[eq[2]][eq[5]]) {
        if (eq1_max.empty() || eq2_max.empty() || eq3eq6_max.empty()) continue;
        found = DistancesFrom(m, eq1_max, eq2_max, eq3eq6_max, cvss40::kEq4Maxes[eq[3]]);
        if (!found.any_negative) return found;
      }
    }
  }
  return found;
}

// The least common multiple of every EQ depth, so that the interpolation stays in integers.
constexpr int64_t kDepthLcm = 2520;
constexpr bool DepthsDivideLcm() {
  for (const int d : cvss40::kEq1Depth) {
    if (d <= 0 || kDepthLcm % d != 0) return false;
  }
  for (const int d : cvss40::kEq2Depth) {
    if (d <= 0 || kDepthLcm % d != 0) return false;
  }
  for (const auto& row : cvss40::kEq3Eq6Depth) {
    for (const int d : row) {
      if (d < 0 || (d > 0 && kDepthLcm % d != 0)) return false;
    }
  }
  for (const int d : cvss40::kEq4Depth) {
    if (d <= 0 || kDepthLcm % d != 0) return false;
  }
  return true;
}
static_assert(DepthsDivideLcm());

// The score in tenths. The reference computes
//   score = macro - mean_i(available_i * distance_i / depth_i)
// over the EQs whose next lower MacroVector exists (all quantities in units of 0.1), then rounds
// to one decimal. Every quantity is a multiple of 0.1 and every depth divides 2520, so this is
// done exactly on integers and rounded half up.
int ScoreV40(const MetricValues<kV40Metrics.size()>& values) {
  const V40Effective m = EffectiveV40(values);
  if (m.vc == 'N' && m.vi == 'N' && m.va == 'N' && m.sc == 'N' && m.si == 'N' && m.sa == 'N') {
    return 0;
  }
  const MacroVector eq = MacroVectorOf(m);
  const int macro_score = LookUp(eq).value();  // every reachable MacroVector is in the table

  std::optional<int> lower_eq3eq6;
  if (eq[2] == 0 && eq[5] == 0) {  // two ways down; take the higher-scoring one
    const std::optional<int> left = LookUp(With(eq, 5, 1));
    const std::optional<int> right = LookUp(With(eq, 2, 1));
    lower_eq3eq6 = (left && right) ? std::max(*left, *right) : (left ? left : right);
  } else if (eq[2] == 1 && eq[5] == 0) {
    lower_eq3eq6 = LookUp(With(eq, 5, 1));
  } else if (eq[5] == 1) {
    lower_eq3eq6 = LookUp(With(eq, 2, 1));  // 01 -> 11, 11 -> 21; 21 has none
  }

  const Distances distance = SeverityDistances(m, eq);
  int64_t weighted_sum = 0;  // sum of available * distance * (kDepthLcm / depth)
  int64_t existing = 0;
  auto add = [&](std::optional<int> lower, int current_distance, int depth) {
    if (!lower) return;
    ++existing;
    weighted_sum +=
        static_cast<int64_t>(macro_score - *lower) * current_distance * (kDepthLcm / depth);
  };
  add(LookUp(With(eq, 0, 1)), distance.eq1, cvss40::kEq1Depth[eq[0]]);
  add(LookUp(With(eq, 1, 1)), distance.eq2, cvss40::kEq2Depth[eq[1]]);
  add(lower_eq3eq6, distance.eq3eq6, cvss40::kEq3Eq6Depth[eq[2]][eq[5]]);
  add(LookUp(With(eq, 3, 1)), distance.eq4, cvss40::kEq4Depth[eq[3]]);
  add(LookUp(With(eq, 4, 1)), 0, 1);  // EQ5's proportion is always 0
  if (existing == 0) return macro_score;

  // tenths = macro_score - weighted_sum / (kDepthLcm * existing), clamped to [0, 100], rounded.
  const int64_t denominator = kDepthLcm * existing;
  const int64_t numerator = macro_score * denominator - weighted_sum;
  if (numerator <= 0) return 0;
  const int64_t rounded = (2 * numerator + denominator) / (2 * denominator);
  return static_cast<int>(std::min<int64_t>(rounded, 100));
}

CvssScore MakeScore(CvssVersion version, int tenths, std::string normalized) {
  return CvssScore{.version = version,
                   .base_score = static_cast<double>(tenths) / 10.0,
                   .severity = SeverityOf(tenths),
                   .vector = std::move(normalized)};
}

}  // namespace

std::string_view VersionString(CvssVersion version) {
  switch (version) {
    case CvssVersion::kV31:
      return "3.1";
    case CvssVersion::kV40:
      return "4.0";
  }
  return "?";
}

Result<CvssScore> ScoreCvss(std::string_view vector) {
  if (vector.size() > kMaxCvssVectorLength) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("CVSS vector is {} characters long; the limit is {}", vector.size(),
                            kMaxCvssVectorLength));
  }
  if (vector.starts_with(kV31Prefix)) {
    FW_ASSIGN_OR_RETURN(
        const MetricValues<kV31Metrics.size()> values,
        ParseMetrics(CvssVersion::kV31, vector.substr(kV31Prefix.size()), kV31Metrics,
                     /*ordered=*/false));
    return MakeScore(CvssVersion::kV31, ScoreV31(values),
                     Normalize(kV31Prefix, kV31Metrics, values));
  }
  if (vector.starts_with(kV40Prefix)) {
    FW_ASSIGN_OR_RETURN(
        const MetricValues<kV40Metrics.size()> values,
        ParseMetrics(CvssVersion::kV40, vector.substr(kV40Prefix.size()), kV40Metrics,
                     /*ordered=*/true));
    return MakeScore(CvssVersion::kV40, ScoreV40(values),
                     Normalize(kV40Prefix, kV40Metrics, values));
  }
  return Fail(ErrorCode::kInvalidArgument,
              fmt::format("CVSS vector '{}': vector must start with CVSS:3.1/ or CVSS:4.0/",
                          Printable(vector)));
}

}  // namespace forewarn::standards
