// Property tests of the policy language (rapidcheck): random policies are generated as a small
// syntax tree, rendered to text, compiled, and their decisions compared with a reference
// evaluator written here directly over the tree (no parser, no index), for random facts drawn
// from the same small pools of values, so that conditions hold often.
//
// rapidcheck's seed is fixed (see PolicyPropertyEnvironment) so every run checks the same
// cases; RC_PARAMS="seed=7 max_success=1000" explores more.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/time.h"
#include "policy/policy.h"

namespace forewarn::policy {
namespace {

class PolicyPropertyEnvironment : public ::testing::Environment {
 public:
  void SetUp() override { ASSERT_EQ(::setenv("RC_PARAMS", "seed=20261123", /*overwrite=*/0), 0); }
};
::testing::Environment* const kEnvironment =
    ::testing::AddGlobalTestEnvironment(new PolicyPropertyEnvironment);

// ---------------------------------------------------------------------------------------------
// Random choices. rapidcheck's inRange scales with the test case's size, which would favour the
// first elements of every pool; fixing the size draws evenly.

int Pick(int n) { return *rc::gen::resize(rc::kNominalSize, rc::gen::inRange<int>(0, n)); }
bool Chance(int percent) { return Pick(100) < percent; }
template <class C>
const auto& OneOf(const C& pool) {
  return pool[Pick(static_cast<int>(std::size(pool)))];
}

// ---------------------------------------------------------------------------------------------
// The pools every policy and every set of facts draws from.

const std::vector<std::string> kPartnerIds = {"prt_a", "prt_b", "prt_c"};
const std::vector<std::string> kNames = {"Acme CERT", "Quote \"Q\" \\ Co", "Contoso # SOC"};
const std::vector<std::string> kStatuses = {"applicant", "active", "suspended", "removed"};
const std::vector<std::string> kTiers = {"early", "standard"};
const std::vector<std::string> kCountries = {"DE", "FR", "US"};
const std::vector<std::string> kLabels = {"finance", "gov", "poc-restricted"};  // sorted
const std::vector<std::string> kVersions = {"", "1.0", "1.00", "1.2", "1.10", "2", "2.0-rc1"};
const std::vector<std::string> kAdvisoryIds = {"adv_a", "adv_b"};
const std::vector<std::string> kCves = {"CVE-2026-0001", "CVE-2026-0002", "CVE-2026-0003"};
const std::vector<std::string> kProducts = {"Collab Server", "Mail Gateway", "VPN"};
const std::vector<std::string> kSeverities = {"none", "low", "medium", "high", "critical"};
const std::vector<std::string> kArtifactIds = {"art_1", "art_2"};
const std::vector<std::string> kKinds = {
    "summary", "technical-description", "detection", "ioc", "mitigation", "poc"};
const std::vector<std::string> kSensitivities = {"normal", "sensitive"};
const std::vector<std::string> kMediaTypes = {"text/plain", "text/x-python"};

struct NumberLiteral {
  std::string text;
  double value;
};
const std::vector<NumberLiteral> kCvssLiterals = {{"0", 0}, {"5.5", 5.5}, {"7", 7}, {"9.8", 9.8}};
const std::vector<NumberLiteral> kRevisionLiterals = {{"1", 1}, {"2", 2}, {"3", 3}};
const std::vector<double> kCvssValues = {0, 5.5, 7, 9.8};

// Times are whole hours after the base; literals spell some of them in other ISO forms.
TimePoint Base() { return ParseTime("2026-07-01T00:00:00Z").value(); }
const std::vector<int> kTimeHours = {0, 12, 24, 36, 48, 72};
const std::vector<std::string> kTimeLiterals = {"2026-07-01",
                                                "2026-07-01T12:00:00Z",
                                                "2026-07-02T02:00:00+02:00",
                                                "2026-07-02T12:00:00.000000Z",
                                                "2026-07-03T00:00:00Z",
                                                "2026-07-02T11:59:59Z"};
struct DurationLiteral {
  std::string text;
  std::chrono::seconds value;
};
const std::vector<DurationLiteral> kDurations = {{"12h", std::chrono::hours(12)},
                                                 {"1d", std::chrono::hours(24)},
                                                 {"2d", std::chrono::hours(48)},
                                                 {"720m", std::chrono::hours(12)},
                                                 {"86400s", std::chrono::hours(24)}};

const std::vector<std::string> kCmpOps = {"==", "!=", "<", "<=", ">", ">="};

// ---------------------------------------------------------------------------------------------
// The attributes as this test understands them (independently of the implementation).

enum class RefType { kString, kVersion, kEnum, kNumber, kTime, kBool, kSet };

struct RefAttr {
  std::string name;
  RefType type;
  bool artifact_only;
  const std::vector<std::string>* pool;  // string, version, enum and set values
};

const std::vector<RefAttr> kRefAttrs = {
    {"partner.id", RefType::kString, false, &kPartnerIds},
    {"partner.name", RefType::kString, false, &kNames},
    {"partner.status", RefType::kEnum, false, &kStatuses},
    {"partner.tier", RefType::kString, false, &kTiers},
    {"partner.country", RefType::kString, false, &kCountries},
    {"partner.labels", RefType::kSet, false, &kLabels},
    {"partner.contract_version", RefType::kVersion, false, &kVersions},
    {"partner.nda_version", RefType::kVersion, false, &kVersions},
    {"advisory.id", RefType::kString, false, &kAdvisoryIds},
    {"advisory.cves", RefType::kSet, false, &kCves},
    {"advisory.products", RefType::kSet, false, &kProducts},
    {"advisory.cvss", RefType::kNumber, false, nullptr},
    {"advisory.severity", RefType::kEnum, false, &kSeverities},
    {"advisory.revision", RefType::kNumber, false, nullptr},
    {"advisory.public_at", RefType::kTime, false, nullptr},
    {"advisory.public", RefType::kBool, false, nullptr},
    {"artifact.id", RefType::kString, true, &kArtifactIds},
    {"artifact.kind", RefType::kEnum, true, &kKinds},
    {"artifact.sensitivity", RefType::kEnum, true, &kSensitivities},
    {"artifact.media_type", RefType::kString, true, &kMediaTypes},
    {"artifact.alternative", RefType::kBool, true, nullptr},
    {"wave.opened_at", RefType::kTime, false, nullptr},
    {"now", RefType::kTime, false, nullptr},
};

const RefAttr& RefAttrNamed(std::string_view name) {
  for (const RefAttr& attr : kRefAttrs) {
    if (attr.name == name) return attr;
  }
  std::abort();  // the generator only uses the names above
}

// ---------------------------------------------------------------------------------------------
// The generated syntax tree.

struct GenTerm {
  bool is_attr = false;
  std::string attr;
  int sign = 0;  // attr + duration (+1) or - duration (-1)
  DurationLiteral duration;
  bool is_number = false;
  std::string str;  // string literal value
  NumberLiteral number;
};

struct GenCond {
  enum class Kind {
    kTrue,
    kFalse,
    kAnd,
    kOr,
    kNot,
    kBool,
    kCompare,
    kIn,
    kNotIn,
    kContains,
    kContainsAny,
    kContainsAll
  };
  Kind kind = Kind::kTrue;
  std::vector<GenCond> children;
  GenTerm lhs;
  GenTerm rhs;
  std::string op;
  std::vector<GenTerm> list;
  bool parens = false;  // extra parentheses
};

struct GenRule {
  std::string name;  // "" for none
  bool quoted_name = false;
  Effect effect = Effect::kPermit;
  Resource resource = Resource::kArtifact;
  std::optional<GenCond> condition;
};

struct GenPolicy {
  std::vector<GenRule> rules;
  uint32_t layout_seed = 0;  // spacing and comments of the rendering
};

// ---------------------------------------------------------------------------------------------
// Generation. Every tree is well typed, so its rendering must compile.

GenTerm AttrTerm(const RefAttr& attr) { return GenTerm{.is_attr = true, .attr = attr.name}; }

GenTerm StringTerm(std::string value) { return GenTerm{.str = std::move(value)}; }

GenTerm LiteralFor(const RefAttr& attr) {
  switch (attr.type) {
    case RefType::kNumber:
      return GenTerm{
          .is_number = true,
          .number = attr.name == "advisory.cvss" ? OneOf(kCvssLiterals) : OneOf(kRevisionLiterals)};
    case RefType::kTime:
      return StringTerm(OneOf(kTimeLiterals));
    default:
      return StringTerm(OneOf(*attr.pool));
  }
}

std::vector<GenTerm> ListFor(const RefAttr& attr) {
  std::vector<GenTerm> list;
  const int n = Pick(4);
  for (int i = 0; i < n; ++i) list.push_back(LiteralFor(attr));
  return list;
}

GenTerm TimeTerm() {
  static const std::vector<std::string> kTimes = {"now", "wave.opened_at", "advisory.public_at"};
  GenTerm term = AttrTerm(RefAttrNamed(OneOf(kTimes)));
  if (Chance(40)) {
    term.sign = Chance(50) ? 1 : -1;
    term.duration = OneOf(kDurations);
  }
  return term;
}

const RefAttr& PickAttr(Resource resource) {
  for (;;) {
    const RefAttr& attr = OneOf(kRefAttrs);
    if (resource == Resource::kArtifact || !attr.artifact_only) return attr;
  }
}

GenCond Leaf(Resource resource) {
  const RefAttr& attr = PickAttr(resource);
  GenCond cond;
  switch (attr.type) {
    case RefType::kBool:
      cond.kind = GenCond::Kind::kBool;
      cond.lhs = AttrTerm(attr);
      return cond;
    case RefType::kSet: {
      const int form = Pick(3);
      cond.lhs = AttrTerm(attr);
      if (form == 0) {
        cond.kind = GenCond::Kind::kContains;
        cond.rhs = LiteralFor(attr);
      } else {
        cond.kind = form == 1 ? GenCond::Kind::kContainsAny : GenCond::Kind::kContainsAll;
        cond.list = ListFor(attr);
      }
      return cond;
    }
    case RefType::kTime:
      cond.kind = GenCond::Kind::kCompare;
      cond.op = OneOf(kCmpOps);
      cond.lhs = TimeTerm();
      cond.rhs = Chance(50) ? TimeTerm() : LiteralFor(attr);
      if (Chance(25)) std::swap(cond.lhs, cond.rhs);
      return cond;
    default:
      break;
  }
  // Strings, versions, enums and numbers: a comparison or a membership test.
  cond.lhs = AttrTerm(attr);
  if (Chance(30)) {
    cond.kind = Chance(50) ? GenCond::Kind::kIn : GenCond::Kind::kNotIn;
    cond.list = ListFor(attr);
    return cond;
  }
  cond.kind = GenCond::Kind::kCompare;
  const bool ordered = attr.type == RefType::kVersion || attr.type == RefType::kNumber ||
                       attr.name == "advisory.severity";
  cond.op = ordered ? OneOf(kCmpOps) : (Chance(70) ? "==" : "!=");
  cond.rhs = LiteralFor(attr);
  if (Chance(25)) std::swap(cond.lhs, cond.rhs);
  return cond;
}

GenCond Condition(Resource resource, int depth) {
  GenCond cond;
  const int choice = depth >= 3 ? 10 : Pick(16);
  if (choice < 2) {
    cond.kind = GenCond::Kind::kAnd;
  } else if (choice < 4) {
    cond.kind = GenCond::Kind::kOr;
  } else if (choice < 5) {
    cond.kind = GenCond::Kind::kNot;
  } else if (choice < 6) {
    cond.kind = Chance(50) ? GenCond::Kind::kTrue : GenCond::Kind::kFalse;
  } else {
    cond = Leaf(resource);
  }
  if (cond.kind == GenCond::Kind::kAnd || cond.kind == GenCond::Kind::kOr) {
    const int n = 2 + Pick(2);
    for (int i = 0; i < n; ++i) cond.children.push_back(Condition(resource, depth + 1));
  } else if (cond.kind == GenCond::Kind::kNot) {
    cond.children.push_back(Condition(resource, depth + 1));
  }
  cond.parens = Chance(10);
  return cond;
}

GenPolicy GeneratePolicy(int max_rules) {
  GenPolicy policy;
  const int n = Pick(max_rules + 1);
  for (int i = 0; i < n; ++i) {
    GenRule rule;
    rule.resource = Chance(35) ? Resource::kAdvisory : Resource::kArtifact;
    const int effect = Pick(rule.resource == Resource::kAdvisory ? 2 : 3);
    rule.effect =
        effect == 0 ? Effect::kPermit : (effect == 1 ? Effect::kForbid : Effect::kSubstitute);
    if (Chance(30)) {
      rule.quoted_name = Chance(50);
      rule.name = rule.quoted_name ? "rule #" + std::to_string(i) : "r-" + std::to_string(i) + ".x";
    }
    if (Chance(90)) rule.condition = Condition(rule.resource, 0);
    policy.rules.push_back(std::move(rule));
  }
  policy.layout_seed = static_cast<uint32_t>(Pick(1 << 30));
  return policy;
}

// ---------------------------------------------------------------------------------------------
// Rendering.

std::string Quote(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

class Renderer {
 public:
  explicit Renderer(uint32_t seed) : state_(seed | 1U) {}

  // The policy text, and each rule's [begin, end) offsets in it.
  std::string Render(const GenPolicy& policy, std::vector<std::pair<size_t, size_t>>& spans) {
    std::string out;
    if (Next(4) == 0) out += "# a generated policy\n";
    for (const GenRule& rule : policy.rules) {
      const size_t begin = out.size();
      if (!rule.name.empty()) {
        out += "rule" + Space() + (rule.quoted_name ? Quote(rule.name) : rule.name) + Space();
      }
      out += std::string(ToString(rule.effect)) + Space() + std::string(ToString(rule.resource));
      if (rule.condition.has_value()) out += Space() + "when" + Space() + Cond(*rule.condition, 0);
      out += Next(3) == 0 ? Space() + ";" : ";";
      spans.emplace_back(begin, out.size());
      out += Next(5) == 0 ? "  # end of rule\n" : (Next(2) == 0 ? "\n" : " ");
    }
    return out;
  }

 private:
  uint32_t Next(uint32_t bound) {
    state_ = state_ * 1664525U + 1013904223U;
    return (state_ >> 8) % bound;
  }

  // Whitespace between tokens: usually one space, sometimes a line break or a comment.
  std::string Space() {
    switch (Next(12)) {
      case 0:
        return "\n    ";
      case 1:
        return "  # note \"x\"\n  ";
      case 2:
        return "\t";
      default:
        return " ";
    }
  }

  std::string Term(const GenTerm& term) {
    if (term.is_attr) {
      if (term.sign == 0) return term.attr;
      return term.attr + Space() + (term.sign > 0 ? "+" : "-") + Space() + term.duration.text;
    }
    return term.is_number ? term.number.text : Quote(term.str);
  }

  std::string List(const std::vector<GenTerm>& list) {
    std::string out = "[";
    for (size_t i = 0; i < list.size(); ++i) {
      if (i > 0) out += "," + Space();
      out += Term(list[i]);
    }
    if (!list.empty() && Next(4) == 0) out += ",";
    return out + "]";
  }

  // Precedence: or 1, and 2, not 3, primary 4. A child whose precedence is below what its
  // parent needs gets parentheses; `parens` adds them anyway.
  std::string Cond(const GenCond& cond, int parent_precedence) {
    std::string out;
    int precedence = 4;
    switch (cond.kind) {
      case GenCond::Kind::kTrue:
        out = "true";
        break;
      case GenCond::Kind::kFalse:
        out = "false";
        break;
      case GenCond::Kind::kAnd:
      case GenCond::Kind::kOr: {
        const bool is_and = cond.kind == GenCond::Kind::kAnd;
        precedence = is_and ? 2 : 1;
        for (size_t i = 0; i < cond.children.size(); ++i) {
          if (i > 0) out += Space() + (is_and ? "and" : "or") + Space();
          out += Cond(cond.children[i], precedence + 1);
        }
        break;
      }
      case GenCond::Kind::kNot:
        precedence = 3;
        out = "not" + Space() + Cond(cond.children[0], 3);
        break;
      case GenCond::Kind::kBool:
        out = Term(cond.lhs);
        break;
      case GenCond::Kind::kCompare:
        out = Term(cond.lhs) + Space() + cond.op + Space() + Term(cond.rhs);
        break;
      case GenCond::Kind::kIn:
        out = Term(cond.lhs) + Space() + "in" + Space() + List(cond.list);
        break;
      case GenCond::Kind::kNotIn:
        out = Term(cond.lhs) + Space() + "not" + Space() + "in" + Space() + List(cond.list);
        break;
      case GenCond::Kind::kContains:
        out = Term(cond.lhs) + Space() + "contains" + Space() + Term(cond.rhs);
        break;
      case GenCond::Kind::kContainsAny:
        out = Term(cond.lhs) + Space() + "contains any" + Space() + List(cond.list);
        break;
      case GenCond::Kind::kContainsAll:
        out = Term(cond.lhs) + Space() + "contains" + Space() + "all" + Space() + List(cond.list);
        break;
    }
    if (precedence < parent_precedence || cond.parens) out = "(" + out + ")";
    return out;
  }

  uint32_t state_;
};

std::string RenderPolicy(const GenPolicy& policy,
                         std::vector<std::pair<size_t, size_t>>* spans = nullptr) {
  std::vector<std::pair<size_t, size_t>> ignored;
  return Renderer(policy.layout_seed).Render(policy, spans != nullptr ? *spans : ignored);
}

// ---------------------------------------------------------------------------------------------
// Facts drawn from the pools.

struct World {
  Partner partner;
  Advisory advisory;
  Revision revision;
  Artifact artifact;
  double cvss = 0;
  std::string severity;
  std::optional<TimePoint> wave_opened_at;
  TimePoint now;

  Facts MakeFacts() const {
    return Facts{.partner = &partner,
                 .advisory = &advisory,
                 .revision = &revision,
                 .artifact = &artifact,
                 .cvss = cvss,
                 .severity = severity,
                 .wave_opened_at = wave_opened_at,
                 .now = now};
  }
};

TimePoint PoolTime() { return Base() + std::chrono::hours(OneOf(kTimeHours)); }

std::vector<std::string> Subset(const std::vector<std::string>& pool) {
  std::vector<std::string> out;
  for (const std::string& value : pool) {
    if (Chance(45)) out.push_back(value);
  }
  return out;
}

std::optional<Agreement> PoolAgreement() {
  if (Chance(25)) return std::nullopt;
  return Agreement{.version = OneOf(kVersions)};
}

World GenerateWorld() {
  World w;
  w.partner.id = OneOf(kPartnerIds);
  w.partner.name = OneOf(kNames);
  w.partner.status = static_cast<PartnerStatus>(Pick(4));
  w.partner.tier = OneOf(kTiers);
  w.partner.country = OneOf(kCountries);
  w.partner.labels = Subset(kLabels);
  w.partner.contract = PoolAgreement();
  w.partner.nda = PoolAgreement();
  w.advisory.id = OneOf(kAdvisoryIds);
  w.advisory.public_at = PoolTime();
  w.revision.advisory_id = w.advisory.id;
  w.revision.number = 1 + Pick(3);
  w.revision.content.cves = Subset(kCves);
  for (const std::string& name : Subset(kProducts)) {
    w.revision.content.products.push_back(Product{.name = name});
    // The same product twice (two version ranges) must not count twice.
    if (Chance(20)) w.revision.content.products.push_back(Product{.name = name, .versions = "2"});
  }
  w.artifact.id = OneOf(kArtifactIds);
  w.artifact.kind = static_cast<ArtifactKind>(Pick(6));
  w.artifact.sensitivity = static_cast<Sensitivity>(Pick(2));
  w.artifact.media_type = OneOf(kMediaTypes);
  w.artifact.alternative_of = Chance(30) ? "art_1" : "";
  w.cvss = OneOf(kCvssValues);
  w.severity = OneOf(kSeverities);
  if (Chance(80)) w.wave_opened_at = PoolTime();
  w.now = PoolTime();
  if (Chance(20)) w.now += std::chrono::microseconds(Chance(50) ? 1 : -1);
  return w;
}

// ---------------------------------------------------------------------------------------------
// The reference evaluator.

int RefCompareVersions(std::string_view a, std::string_view b) {
  const auto split = [](std::string_view text) {
    std::vector<std::string> segments;
    if (text.empty()) return segments;
    size_t start = 0;
    for (;;) {
      const size_t dot = text.find('.', start);
      segments.emplace_back(text.substr(start, dot - start));
      if (dot == std::string_view::npos) break;
      start = dot + 1;
    }
    return segments;
  };
  const auto numeric = [](const std::string& s) {
    return !s.empty() &&
           std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  const std::vector<std::string> sa = split(a);
  const std::vector<std::string> sb = split(b);
  for (size_t i = 0; i < std::min(sa.size(), sb.size()); ++i) {
    if (numeric(sa[i]) && numeric(sb[i])) {
      const long long x = std::stoll(sa[i]);  // the pools' segments are short
      const long long y = std::stoll(sb[i]);
      if (x != y) return x < y ? -1 : 1;
    } else if (sa[i] != sb[i]) {
      return sa[i] < sb[i] ? -1 : 1;
    }
  }
  if (sa.size() != sb.size()) return sa.size() < sb.size() ? -1 : 1;
  return a < b ? -1 : (a == b ? 0 : 1);
}

template <class T>
bool RefApply(std::string_view op, const T& a, const T& b) {
  if (op == "==") return a == b;
  if (op == "!=") return a != b;
  if (op == "<") return a < b;
  if (op == "<=") return a <= b;
  if (op == ">") return a > b;
  return a >= b;
}

std::string RefString(std::string_view name, const Facts& f) {
  if (name == "partner.id") return f.partner->id;
  if (name == "partner.name") return f.partner->name;
  if (name == "partner.status") return std::string(ToString(f.partner->status));
  if (name == "partner.tier") return f.partner->tier;
  if (name == "partner.country") return f.partner->country;
  if (name == "partner.contract_version")
    return f.partner->contract ? f.partner->contract->version : "";
  if (name == "partner.nda_version") return f.partner->nda ? f.partner->nda->version : "";
  if (name == "advisory.id") return f.advisory->id;
  if (name == "advisory.severity") return std::string(f.severity);
  if (name == "artifact.id") return f.artifact->id;
  if (name == "artifact.kind") return std::string(ToString(f.artifact->kind));
  if (name == "artifact.sensitivity") return std::string(ToString(f.artifact->sensitivity));
  if (name == "artifact.media_type") return f.artifact->media_type;
  std::abort();
}

std::vector<std::string> RefSet(std::string_view name, const Facts& f) {
  if (name == "partner.labels") return f.partner->labels;
  if (name == "advisory.cves") return f.revision->content.cves;
  std::vector<std::string> names;
  for (const Product& p : f.revision->content.products) names.push_back(p.name);
  return names;
}

double RefNumber(std::string_view name, const Facts& f) {
  return name == "advisory.cvss" ? f.cvss : f.revision->number;
}

std::optional<TimePoint> RefTime(const GenTerm& term, const Facts& f) {
  if (!term.is_attr) return ParseTime(term.str).value();
  std::optional<TimePoint> t;
  if (term.attr == "now") t = f.now;
  if (term.attr == "advisory.public_at") t = f.advisory->public_at;
  if (term.attr == "wave.opened_at") t = f.wave_opened_at;
  if (t.has_value() && term.sign != 0) *t += term.sign * term.duration.value;
  return t;
}

int Rank(const RefAttr& attr, const std::string& value) {
  const auto it = std::find(attr.pool->begin(), attr.pool->end(), value);
  return it == attr.pool->end() ? -1 : static_cast<int>(it - attr.pool->begin());
}

bool RefCompare(const GenCond& cond, const Facts& f) {
  const GenTerm& attr_term = cond.lhs.is_attr ? cond.lhs : cond.rhs;
  const RefAttr& attr = RefAttrNamed(attr_term.attr);
  if (attr.type == RefType::kTime) {
    const std::optional<TimePoint> left = RefTime(cond.lhs, f);
    const std::optional<TimePoint> right = RefTime(cond.rhs, f);
    return left.has_value() && right.has_value() && RefApply(cond.op, *left, *right);
  }
  if (attr.type == RefType::kNumber) {
    const auto value = [&](const GenTerm& t) {
      return t.is_attr ? RefNumber(t.attr, f) : t.number.value;
    };
    return RefApply(cond.op, value(cond.lhs), value(cond.rhs));
  }
  const auto text = [&](const GenTerm& t) { return t.is_attr ? RefString(t.attr, f) : t.str; };
  const std::string left = text(cond.lhs);
  const std::string right = text(cond.rhs);
  switch (attr.type) {
    case RefType::kVersion:
      return RefApply(cond.op, RefCompareVersions(left, right), 0);
    case RefType::kEnum:
      return RefApply(cond.op, Rank(attr, left), Rank(attr, right));
    default:
      return RefApply(cond.op, left, right);
  }
}

bool RefMember(const GenCond& cond, const Facts& f) {
  const RefAttr& attr = RefAttrNamed(cond.lhs.attr);
  bool found = false;
  for (const GenTerm& element : cond.list) {
    if (attr.type == RefType::kNumber) {
      found = found || RefNumber(attr.name, f) == element.number.value;
    } else {
      found = found || RefString(attr.name, f) == element.str;
    }
  }
  return found;
}

bool RefEval(const GenCond& cond, const Facts& f) {
  const auto has = [&](const std::string& value) {
    const std::vector<std::string> set = RefSet(cond.lhs.attr, f);
    return std::find(set.begin(), set.end(), value) != set.end();
  };
  switch (cond.kind) {
    case GenCond::Kind::kTrue:
      return true;
    case GenCond::Kind::kFalse:
      return false;
    case GenCond::Kind::kAnd:
      return std::all_of(cond.children.begin(), cond.children.end(),
                         [&](const GenCond& c) { return RefEval(c, f); });
    case GenCond::Kind::kOr:
      return std::any_of(cond.children.begin(), cond.children.end(),
                         [&](const GenCond& c) { return RefEval(c, f); });
    case GenCond::Kind::kNot:
      return !RefEval(cond.children[0], f);
    case GenCond::Kind::kBool:
      if (cond.lhs.attr == "advisory.public") return f.now >= f.advisory->public_at;
      return !f.artifact->alternative_of.empty();
    case GenCond::Kind::kCompare:
      return RefCompare(cond, f);
    case GenCond::Kind::kIn:
      return RefMember(cond, f);
    case GenCond::Kind::kNotIn:
      return !RefMember(cond, f);
    case GenCond::Kind::kContains:
      return has(cond.rhs.str);
    case GenCond::Kind::kContainsAny:
      return std::any_of(cond.list.begin(), cond.list.end(),
                         [&](const GenTerm& t) { return has(t.str); });
    case GenCond::Kind::kContainsAll:
      return std::all_of(cond.list.begin(), cond.list.end(),
                         [&](const GenTerm& t) { return has(t.str); });
  }
  return false;
}

struct RefDecision {
  std::vector<int> matched;  // every rule of the resource whose condition holds
  Verdict verdict = Verdict::kDeny;
  int rule = -1;
};

RefDecision RefDecide(const GenPolicy& policy, Resource resource, const Facts& f) {
  RefDecision out;
  int first[3] = {-1, -1, -1};  // forbid, substitute, permit
  const bool alternative = resource == Resource::kArtifact && !f.artifact->alternative_of.empty();
  for (int i = 0; i < static_cast<int>(policy.rules.size()); ++i) {
    const GenRule& rule = policy.rules[i];
    if (rule.resource != resource) continue;
    if (rule.condition.has_value() && !RefEval(*rule.condition, f)) continue;
    out.matched.push_back(i);
    const int slot =
        rule.effect == Effect::kForbid ? 0 : (rule.effect == Effect::kSubstitute ? 1 : 2);
    if (slot == 1 && alternative) continue;
    if (first[slot] < 0) first[slot] = i;
  }
  if (first[0] >= 0) {
    out.verdict = Verdict::kForbid;
    out.rule = first[0];
  } else if (first[1] >= 0) {
    out.verdict = Verdict::kSubstitute;
    out.rule = first[1];
  } else if (first[2] >= 0) {
    out.verdict = Verdict::kPermit;
    out.rule = first[2];
  }
  return out;
}

// Compiles the rendering of `policy`, failing the property with the errors if it does not.
std::shared_ptr<const Policy> MustCompile(const std::string& text, bool index) {
  auto compiled = Policy::Compile(text, CompileOptions{.index = index});
  if (!compiled.has_value())
    RC_FAIL("does not compile:\n" + text + "\n" + compiled.error().message);
  return *compiled;
}

constexpr int kMaxRules = 10;
constexpr int kFactsPerPolicy = 12;

// ---------------------------------------------------------------------------------------------
// Properties.

RC_GTEST_PROP(PolicyProperties, RenderedPoliciesCompile, ()) {
  const GenPolicy generated = GeneratePolicy(kMaxRules);
  std::vector<std::pair<size_t, size_t>> spans;
  const std::string text = RenderPolicy(generated, &spans);
  RC_LOG() << text << "\n";
  const auto policy = MustCompile(text, /*index=*/true);
  RC_ASSERT(policy->text() == text);
  RC_ASSERT(policy->rules().size() == generated.rules.size());
  for (size_t i = 0; i < generated.rules.size(); ++i) {
    const RuleInfo& info = policy->rules()[i];
    const GenRule& rule = generated.rules[i];
    RC_ASSERT(info.effect == rule.effect);
    RC_ASSERT(info.resource == rule.resource);
    RC_ASSERT(info.begin == spans[i].first);
    RC_ASSERT(info.end == spans[i].second);
    if (!rule.name.empty()) RC_ASSERT(info.name == rule.name);
    if (rule.name.empty()) RC_ASSERT(info.name == "line " + std::to_string(info.line));
  }
  for (const Diagnostic& d : Policy::Check(text)) {
    RC_ASSERT(d.severity == Diagnostic::Severity::kWarning);
  }
}

RC_GTEST_PROP(PolicyProperties, DecideMatchesTheReferenceWithAndWithoutIndex, ()) {
  const GenPolicy generated = GeneratePolicy(kMaxRules);
  const std::string text = RenderPolicy(generated);
  RC_LOG() << text << "\n";
  const auto indexed = MustCompile(text, /*index=*/true);
  const auto scanned = MustCompile(text, /*index=*/false);
  for (int i = 0; i < kFactsPerPolicy; ++i) {
    const World world = GenerateWorld();
    const Facts facts = world.MakeFacts();
    for (const Resource resource : {Resource::kAdvisory, Resource::kArtifact}) {
      const RefDecision expected = RefDecide(generated, resource, facts);
      const Decision a = indexed->Decide(resource, facts);
      const Decision b = scanned->Decide(resource, facts);
      RC_ASSERT(a.verdict == expected.verdict);
      RC_ASSERT(a.rule == expected.rule);
      RC_ASSERT(b.verdict == expected.verdict);
      RC_ASSERT(b.rule == expected.rule);
    }
  }
}

RC_GTEST_PROP(PolicyProperties, ExplainListsExactlyTheRulesThatHold, ()) {
  const GenPolicy generated = GeneratePolicy(kMaxRules);
  const std::string text = RenderPolicy(generated);
  RC_LOG() << text << "\n";
  const auto indexed = MustCompile(text, /*index=*/true);
  const auto scanned = MustCompile(text, /*index=*/false);
  for (int i = 0; i < kFactsPerPolicy; ++i) {
    const World world = GenerateWorld();
    const Facts facts = world.MakeFacts();
    for (const Resource resource : {Resource::kAdvisory, Resource::kArtifact}) {
      const RefDecision expected = RefDecide(generated, resource, facts);
      for (const auto& policy : {indexed, scanned}) {
        const Explanation explanation = policy->Explain(resource, facts);
        RC_ASSERT(explanation.matched == expected.matched);
        RC_ASSERT(explanation.verdict == policy->Decide(resource, facts).verdict);
      }
    }
  }
}

RC_GTEST_PROP(PolicyProperties, CombinationRulesHold, ()) {
  const GenPolicy generated = GeneratePolicy(kMaxRules);
  const std::string text = RenderPolicy(generated);
  RC_LOG() << text << "\n";
  const auto policy = MustCompile(text, /*index=*/true);
  for (int i = 0; i < kFactsPerPolicy; ++i) {
    const World world = GenerateWorld();
    const Facts facts = world.MakeFacts();
    for (const Resource resource : {Resource::kAdvisory, Resource::kArtifact}) {
      const Decision decision = policy->Decide(resource, facts);
      bool any_forbid = false;
      bool any_holds = false;
      for (size_t r = 0; r < generated.rules.size(); ++r) {
        const GenRule& rule = generated.rules[r];
        if (rule.resource != resource) continue;
        const bool holds = !rule.condition.has_value() || RefEval(*rule.condition, facts);
        any_holds = any_holds || holds;
        any_forbid = any_forbid || (holds && rule.effect == Effect::kForbid);
      }
      // Whenever a forbid rule holds, the verdict is forbid.
      if (any_forbid) RC_ASSERT(decision.verdict == Verdict::kForbid);
      // With no rule holding, the verdict is the default deny.
      if (!any_holds) {
        RC_ASSERT(decision.verdict == Verdict::kDeny);
        RC_ASSERT(decision.rule == -1);
      }
      // Substitute is never the answer for an artifact that is itself an alternative form.
      if (resource == Resource::kArtifact && !world.artifact.alternative_of.empty()) {
        RC_ASSERT(decision.verdict != Verdict::kSubstitute);
      }
      // The deciding rule is of the verdict's effect and resource.
      if (decision.rule >= 0) {
        const RuleInfo& info = policy->rules()[decision.rule];
        RC_ASSERT(info.resource == resource);
        RC_ASSERT(ToString(info.effect) == ToString(decision.verdict));
      }
    }
  }
}

RC_GTEST_PROP(PolicyProperties, PoliciesWithoutRulesDenyEverything, ()) {
  // Comments only (or nothing): the default deny, for any facts.
  const std::string text = Chance(50) ? "" : "# " + OneOf(kNames) + "\n# permit artifact;\n";
  const auto policy = MustCompile(text, Chance(50));
  RC_ASSERT(policy->rules().empty());
  const World world = GenerateWorld();
  for (const Resource resource : {Resource::kAdvisory, Resource::kArtifact}) {
    RC_ASSERT(policy->Decide(resource, world.MakeFacts()).verdict == Verdict::kDeny);
    RC_ASSERT(policy->Explain(resource, world.MakeFacts()).matched.empty());
  }
}

}  // namespace
}  // namespace forewarn::policy
