#include "policy/language_expr.h"

#include <array>

namespace forewarn::policy::language {
namespace {

constexpr std::array<std::string_view, 4> kStatusValues = {"applicant", "active", "suspended",
                                                           "removed"};
constexpr std::array<std::string_view, 5> kSeverityValues = {"none", "low", "medium", "high",
                                                             "critical"};
constexpr std::array<std::string_view, 6> kKindValues = {
    "summary", "technical-description", "detection", "ioc", "mitigation", "poc"};
constexpr std::array<std::string_view, 2> kSensitivityValues = {"normal", "sensitive"};

// Index ranks (docs/policy.md, "Indexing"): ids, cves, products, labels, country, agreement
// versions, name, media type, tier, kind, severity, sensitivity, status.
constexpr std::array<AttrInfo, 23> kAttrs = {{
    {Attr::kPartnerId, "partner.id", Type::kString, {}, false, 0},
    {Attr::kPartnerName, "partner.name", Type::kString, {}, false, 6},
    {Attr::kPartnerStatus, "partner.status", Type::kEnum, kStatusValues, false, 12},
    {Attr::kPartnerTier, "partner.tier", Type::kString, {}, false, 8},
    {Attr::kPartnerCountry, "partner.country", Type::kString, {}, false, 4},
    {Attr::kPartnerLabels, "partner.labels", Type::kSet, {}, false, 3},
    {Attr::kPartnerContractVersion, "partner.contract_version", Type::kVersion, {}, false, 5},
    {Attr::kPartnerNdaVersion, "partner.nda_version", Type::kVersion, {}, false, 5},
    {Attr::kAdvisoryId, "advisory.id", Type::kString, {}, false, 0},
    {Attr::kAdvisoryCves, "advisory.cves", Type::kSet, {}, false, 1},
    {Attr::kAdvisoryProducts, "advisory.products", Type::kSet, {}, false, 2},
    {Attr::kAdvisoryCvss, "advisory.cvss", Type::kNumber, {}, false, -1},
    {Attr::kAdvisorySeverity, "advisory.severity", Type::kEnum, kSeverityValues, true, 10},
    {Attr::kAdvisoryRevision, "advisory.revision", Type::kNumber, {}, false, -1},
    {Attr::kAdvisoryPublicAt, "advisory.public_at", Type::kTime, {}, false, -1},
    {Attr::kAdvisoryPublic, "advisory.public", Type::kBool, {}, false, -1},
    {Attr::kArtifactId, "artifact.id", Type::kString, {}, false, 0},
    {Attr::kArtifactKind, "artifact.kind", Type::kEnum, kKindValues, false, 9},
    {Attr::kArtifactSensitivity, "artifact.sensitivity", Type::kEnum, kSensitivityValues, false,
     11},
    {Attr::kArtifactMediaType, "artifact.media_type", Type::kString, {}, false, 7},
    {Attr::kArtifactAlternative, "artifact.alternative", Type::kBool, {}, false, -1},
    {Attr::kWaveOpenedAt, "wave.opened_at", Type::kTime, {}, false, -1},
    {Attr::kNow, "now", Type::kTime, {}, false, -1},
}};

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// Numeric order of two digit strings of any length: leading zeros ignored, then the longer
// number is larger, then the digits decide.
int CompareDigits(std::string_view a, std::string_view b) {
  while (a.size() > 1 && a.front() == '0') a.remove_prefix(1);
  while (b.size() > 1 && b.front() == '0') b.remove_prefix(1);
  if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
  return a.compare(b) < 0 ? -1 : (a == b ? 0 : 1);
}

}  // namespace

std::string_view Describe(Type type) {
  switch (type) {
    case Type::kString:
      return "a string";
    case Type::kVersion:
      return "a version";
    case Type::kEnum:
      return "an enum";
    case Type::kNumber:
      return "a number";
    case Type::kTime:
      return "a time";
    case Type::kBool:
      return "a bool";
    case Type::kSet:
      return "a set";
  }
  return "a value";
}

std::span<const AttrInfo> AllAttrs() { return kAttrs; }

const AttrInfo& Info(Attr attr) { return kAttrs[static_cast<size_t>(attr)]; }

const AttrInfo* FindAttr(std::string_view name) {
  for (const AttrInfo& info : kAttrs) {
    if (info.name == name) return &info;
  }
  return nullptr;
}

bool IsArtifactAttr(Attr attr) {
  return attr == Attr::kArtifactId || attr == Attr::kArtifactKind ||
         attr == Attr::kArtifactSensitivity || attr == Attr::kArtifactMediaType ||
         attr == Attr::kArtifactAlternative;
}

int EnumRank(const AttrInfo& info, std::string_view value) {
  for (size_t i = 0; i < info.values.size(); ++i) {
    if (info.values[i] == value) return static_cast<int>(i);
  }
  return -1;
}

int CompareVersions(std::string_view a, std::string_view b) {
  std::string_view rest_a = a;
  std::string_view rest_b = b;
  while (!rest_a.empty() || !rest_b.empty()) {
    if (rest_a.empty()) return -1;
    if (rest_b.empty()) return 1;
    const size_t dot_a = rest_a.find('.');
    const size_t dot_b = rest_b.find('.');
    const std::string_view seg_a = rest_a.substr(0, dot_a);
    const std::string_view seg_b = rest_b.substr(0, dot_b);
    int cmp = 0;
    if (AllDigits(seg_a) && AllDigits(seg_b)) {
      cmp = CompareDigits(seg_a, seg_b);
    } else {
      cmp = seg_a.compare(seg_b);
    }
    if (cmp != 0) return cmp < 0 ? -1 : 1;
    // "1." has an empty last segment, which "1" lacks: the one with more segments is larger.
    rest_a = dot_a == std::string_view::npos ? std::string_view() : rest_a.substr(dot_a + 1);
    rest_b = dot_b == std::string_view::npos ? std::string_view() : rest_b.substr(dot_b + 1);
    if (dot_a == std::string_view::npos && dot_b != std::string_view::npos) return -1;
    if (dot_a != std::string_view::npos && dot_b == std::string_view::npos) return 1;
  }
  const int cmp = a.compare(b);
  return cmp < 0 ? -1 : (cmp == 0 ? 0 : 1);
}

CmpOp Mirror(CmpOp op) {
  switch (op) {
    case CmpOp::kLt:
      return CmpOp::kGt;
    case CmpOp::kLe:
      return CmpOp::kGe;
    case CmpOp::kGt:
      return CmpOp::kLt;
    case CmpOp::kGe:
      return CmpOp::kLe;
    default:
      return op;
  }
}

bool Reads(const Expr& expr, Attr attr) {
  switch (expr.kind) {
    case Expr::Kind::kConst:
      return false;
    case Expr::Kind::kAnd:
    case Expr::Kind::kOr:
    case Expr::Kind::kNot:
      for (const Expr& child : expr.children) {
        if (Reads(child, attr)) return true;
      }
      return false;
    case Expr::Kind::kTimeAttr:
      return expr.attr == attr || expr.attr2 == attr;
    default:
      return expr.attr == attr;
  }
}

}  // namespace forewarn::policy::language
