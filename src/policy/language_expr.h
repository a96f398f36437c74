// File: policy/language_expr.h (internal to policy/)
//
// The attributes a policy may ask about, their types, and the typed condition tree the
// checker compiles a rule into (language_checker.h) and the evaluator runs
// (language_eval.h).
//
//   const AttrInfo* info = FindAttr("partner.tier");  // nullptr if unknown
//   if (info->type == Type::kEnum) ... info->values ...
#pragma once

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "policy/language_parser.h"

namespace forewarn::policy::language {

enum class Attr : uint8_t {
  kPartnerId,
  kPartnerName,
  kPartnerStatus,
  kPartnerTier,
  kPartnerCountry,
  kPartnerLabels,
  kPartnerContractVersion,
  kPartnerNdaVersion,
  kAdvisoryId,
  kAdvisoryCves,
  kAdvisoryProducts,
  kAdvisoryCvss,
  kAdvisorySeverity,
  kAdvisoryRevision,
  kAdvisoryPublicAt,
  kAdvisoryPublic,
  kArtifactId,
  kArtifactKind,
  kArtifactSensitivity,
  kArtifactMediaType,
  kArtifactAlternative,
  kWaveOpenedAt,
  kNow,
};

enum class Type : uint8_t {
  kString,   // ==, !=, in
  kVersion,  // a string ordered by dot-separated segments: all comparisons, in
  kEnum,     // one of AttrInfo::values: ==, !=, in (ordering only if AttrInfo::ordered)
  kNumber,   // all comparisons, in
  kTime,     // all comparisons, against a time attribute or an ISO 8601 string
  kBool,     // only alone as a condition (or under not)
  kSet,      // a set of strings: contains, contains any, contains all
};
// "a string", "an enum", ... for messages.
std::string_view Describe(Type type);

struct AttrInfo {
  Attr attr;
  std::string_view name;
  Type type;
  std::span<const std::string_view> values;  // kEnum: the values, in rank order
  bool ordered = false;                      // kEnum: ordering operators allowed
  // Index selectivity rank: lower is tried first; -1 if never indexed.
  int index_rank = -1;
};

// Every attribute, in documentation order.
std::span<const AttrInfo> AllAttrs();
const AttrInfo& Info(Attr attr);
// nullptr if `name` is not an attribute.
const AttrInfo* FindAttr(std::string_view name);
// True for the artifact.* attributes (not available to advisory rules).
bool IsArtifactAttr(Attr attr);

// The rank of `value` among `info.values`, or -1.
int EnumRank(const AttrInfo& info, std::string_view value);

// Orders two version strings: dot-separated segments compared in turn, numerically when both
// are digits only and lexically otherwise; a missing segment sorts first ("" is lowest, "1.2"
// < "1.2.0"). Versions whose segments are all equal ("1.0" and "1.00") fall back to comparing
// the whole strings, so the order is total and agrees with ==. Returns <0, 0 or >0.
int CompareVersions(std::string_view a, std::string_view b);

// True if `a op b` holds for an ordering result `cmp` (<0, 0, >0).
inline bool Holds(CmpOp op, int cmp) {
  switch (op) {
    case CmpOp::kEq:
      return cmp == 0;
    case CmpOp::kNe:
      return cmp != 0;
    case CmpOp::kLt:
      return cmp < 0;
    case CmpOp::kLe:
      return cmp <= 0;
    case CmpOp::kGt:
      return cmp > 0;
    case CmpOp::kGe:
      return cmp >= 0;
  }
  return false;
}

// `a op b` with the sides swapped: `5 < x` is `x > 5`.
CmpOp Mirror(CmpOp op);

// A type-checked condition. Comparisons always have the attribute on the left.
struct Expr {
  enum class Kind : uint8_t {
    kConst,        // value
    kAnd,          // children
    kOr,           // children
    kNot,          // children[0]
    kBool,         // attr (kBool)
    kString,       // attr op str (kString; op is == or !=)
    kVersion,      // attr op str
    kEnum,         // rank(attr) op rank (str holds the value's name)
    kNumber,       // attr op number
    kTimeLiteral,  // attr + offset op time
    kTimeAttr,     // attr + offset op attr2 + offset2
    kStringIn,     // attr in strings (kString or kVersion); negate for `not in`
    kEnumIn,       // rank(attr) in ranks (strings hold the names); negate for `not in`
    kNumberIn,     // attr in numbers; negate for `not in`
    kContains,     // str in attr (kSet)
    kContainsAny,  // some of strings in attr
    kContainsAll,  // every one of strings in attr
  };
  // The fields every evaluation reads come first, so that a node's first cache line holds
  // them (with short strings stored inline).
  Kind kind = Kind::kConst;
  CmpOp op = CmpOp::kEq;
  bool value = false;   // kConst
  bool negate = false;  // k*In: `not in`
  Attr attr = Attr::kNow;
  Attr attr2 = Attr::kNow;
  int rank = 0;
  std::string str;
  std::vector<Expr> children;
  double number = 0;
  TimePoint time;
  TimePoint::duration offset{};
  TimePoint::duration offset2{};
  std::vector<std::string> strings;
  std::vector<double> numbers;
  std::vector<int> ranks;
  Pos pos;  // of the attribute (for warnings)
};

// True if `expr` reads `attr` anywhere.
bool Reads(const Expr& expr, Attr attr);

}  // namespace forewarn::policy::language
