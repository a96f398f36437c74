#include "policy/language_checker.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "core/time.h"

namespace forewarn::policy::language {
namespace {

bool IsOrdering(CmpOp op) { return op != CmpOp::kEq && op != CmpOp::kNe; }

bool IsCountryCode(std::string_view text) {
  return text.size() == 2 && text[0] >= 'A' && text[0] <= 'Z' && text[1] >= 'A' && text[1] <= 'Z';
}

std::string Quoted(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
  return out;
}

// How a literal term appears in messages: "poc" or 9.8.
std::string Shown(const Term& term) {
  return term.kind == Term::Kind::kString ? Quoted(term.text) : term.raw;
}

std::vector<std::string_view> AttrNames() {
  std::vector<std::string_view> names;
  for (const AttrInfo& info : AllAttrs()) names.push_back(info.name);
  return names;
}

// Three-valued logic for the warnings: what a condition is when only some leaves are known.
enum class Tri { kFalse, kTrue, kUnknown };

template <class Leaf>
Tri Partial(const Expr& expr, const Leaf& leaf) {
  switch (expr.kind) {
    case Expr::Kind::kConst:
      return expr.value ? Tri::kTrue : Tri::kFalse;
    case Expr::Kind::kNot: {
      const Tri inner = Partial(expr.children[0], leaf);
      if (inner == Tri::kUnknown) return inner;
      return inner == Tri::kTrue ? Tri::kFalse : Tri::kTrue;
    }
    case Expr::Kind::kAnd:
    case Expr::Kind::kOr: {
      const bool is_and = expr.kind == Expr::Kind::kAnd;
      Tri result = is_and ? Tri::kTrue : Tri::kFalse;
      for (const Expr& child : expr.children) {
        const Tri value = Partial(child, leaf);
        if (value == (is_and ? Tri::kFalse : Tri::kTrue)) return value;
        if (value == Tri::kUnknown) result = Tri::kUnknown;
      }
      return result;
    }
    default: {
      const std::optional<bool> known = leaf(expr);
      if (!known.has_value()) return Tri::kUnknown;
      return *known ? Tri::kTrue : Tri::kFalse;
    }
  }
}

// The value of a partner.status leaf for an active partner, or nullopt for other leaves.
std::optional<bool> StatusLeafWhenActive(const Expr& expr) {
  if (expr.attr != Attr::kPartnerStatus) return std::nullopt;
  const int active = EnumRank(Info(Attr::kPartnerStatus), "active");
  if (expr.kind == Expr::Kind::kEnum) return Holds(expr.op, active - expr.rank);
  if (expr.kind == Expr::Kind::kEnumIn) {
    const bool in = std::find(expr.ranks.begin(), expr.ranks.end(), active) != expr.ranks.end();
    return in != expr.negate;
  }
  return std::nullopt;
}

// Every leaf of `expr` that reads partner.status, in source order.
void StatusLeaves(const Expr& expr, std::vector<const Expr*>& out) {
  if (expr.kind == Expr::Kind::kAnd || expr.kind == Expr::Kind::kOr ||
      expr.kind == Expr::Kind::kNot) {
    for (const Expr& child : expr.children) StatusLeaves(child, out);
  } else if (StatusLeafWhenActive(expr).has_value()) {
    out.push_back(&expr);
  }
}

// True if a status leaf asks about a status other than "active".
bool TestsOtherThanActive(const Expr& expr) {
  if (expr.op == CmpOp::kNe || expr.negate) return true;
  if (expr.kind == Expr::Kind::kEnum) return expr.str != "active";
  return std::any_of(expr.strings.begin(), expr.strings.end(),
                     [](const std::string& value) { return value != "active"; });
}

// The literal value of a term once checked against an attribute's type.
struct LiteralValue {
  std::string str;
  double number = 0;
  int rank = 0;
  TimePoint time;
};

class Checker {
 public:
  Checker(const Vocabulary* vocabulary, std::vector<Diagnostic>& diagnostics)
      : vocabulary_(vocabulary), diagnostics_(diagnostics) {}

  std::vector<Expr> Run(const std::vector<RuleAst>& rules) {
    std::vector<Expr> out;
    out.reserve(rules.size());
    std::map<std::string, int, std::less<>> first_line_of_name;
    for (const RuleAst& rule : rules) {
      if (!rule.name.empty()) {
        const auto [it, inserted] = first_line_of_name.emplace(rule.name, rule.pos.line);
        if (!inserted) {
          Error(rule.name_pos, fmt::format("duplicate rule name '{}' (first used on line {})",
                                           rule.name, it->second));
        }
      }
      out.push_back(CheckRule(rule));
    }
    return out;
  }

 private:
  void Add(Diagnostic::Severity severity, Pos pos, std::string message) {
    diagnostics_.push_back(Diagnostic{.severity = severity,
                                      .line = pos.line,
                                      .column = pos.column,
                                      .message = std::move(message)});
  }
  // Returns false so that callers can `return Error(...)`.
  bool Error(Pos pos, std::string message) {
    Add(Diagnostic::Severity::kError, pos, std::move(message));
    ++errors_;
    return false;
  }
  void Warn(Pos pos, std::string message) {
    Add(Diagnostic::Severity::kWarning, pos, std::move(message));
  }

  Expr CheckRule(const RuleAst& rule) {
    rule_ = &rule;
    const int errors_before = errors_;
    if (rule.effect == Effect::kSubstitute && rule.resource == Resource::kAdvisory) {
      Error(rule.resource_pos,
            "'substitute' applies only to artifacts: an advisory has no alternative form (use "
            "forbid or permit)");
    }
    Expr condition{.kind = Expr::Kind::kConst, .value = true};
    if (rule.condition.has_value()) CheckCondition(*rule.condition, condition);
    if (errors_ == errors_before) WarnAbout(rule, condition);
    return condition;
  }

  // Checks `cond` into `out`, reporting every error found (siblings are checked even after
  // one fails). Returns false if there was an error.
  bool CheckCondition(const Condition& cond, Expr& out) {
    switch (cond.kind) {
      case Condition::Kind::kTrue:
      case Condition::Kind::kFalse:
        out = Expr{.kind = Expr::Kind::kConst, .value = cond.kind == Condition::Kind::kTrue};
        return true;
      case Condition::Kind::kAnd:
      case Condition::Kind::kOr:
      case Condition::Kind::kNot: {
        out = Expr{.kind = cond.kind == Condition::Kind::kAnd  ? Expr::Kind::kAnd
                           : cond.kind == Condition::Kind::kOr ? Expr::Kind::kOr
                                                               : Expr::Kind::kNot};
        bool ok = true;
        out.children.resize(cond.children.size());
        for (size_t i = 0; i < cond.children.size(); ++i) {
          ok = CheckCondition(cond.children[i], out.children[i]) && ok;
        }
        return ok;
      }
      case Condition::Kind::kTerm:
        return CheckAlone(cond, out);
      case Condition::Kind::kCompare:
        return CheckCompare(cond, out);
      case Condition::Kind::kIn:
      case Condition::Kind::kNotIn:
        return CheckIn(cond, out);
      case Condition::Kind::kContains:
      case Condition::Kind::kContainsAny:
      case Condition::Kind::kContainsAll:
        return CheckContains(cond, out);
    }
    return false;
  }

  // The attribute a term names, after the checks every use shares; nullptr after an error.
  const AttrInfo* Resolve(const Term& term) {
    const AttrInfo* info = FindAttr(term.text);
    if (info == nullptr) {
      Error(term.pos, UnknownAttribute(term.text));
      return nullptr;
    }
    if (rule_->resource == Resource::kAdvisory && IsArtifactAttr(info->attr)) {
      Error(term.pos, fmt::format("{} cannot be used in an advisory rule: advisory decisions have "
                                  "no artifact",
                                  info->name));
      return nullptr;
    }
    if (term.sign != 0 && info->type != Type::kTime) {
      Error(term.sign_pos, fmt::format("'{} {}' applies only to time attributes; {} is {}",
                                       term.sign > 0 ? '+' : '-', term.duration_text, info->name,
                                       Describe(info->type)));
      return nullptr;
    }
    return info;
  }

  static std::string UnknownAttribute(const std::string& name) {
    const std::vector<std::string_view> names = AttrNames();
    const std::string_view best = Closest(name, names);
    if (!best.empty()) {
      return fmt::format("unknown attribute '{}' (did you mean '{}'?)", name, best);
    }
    // `now-1d` lexes as one name: point at the missing spaces.
    const size_t dash = name.find('-');
    if (dash != std::string::npos && FindAttr(std::string_view(name).substr(0, dash)) != nullptr) {
      return fmt::format("unknown attribute '{}' (write spaces around '-': {} - {})", name,
                         name.substr(0, dash), name.substr(dash + 1));
    }
    return fmt::format("unknown attribute '{}'", name);
  }

  bool CheckAlone(const Condition& cond, Expr& out) {
    if (cond.lhs.kind != Term::Kind::kAttribute) {
      return Error(cond.lhs.pos, fmt::format("a value alone ({}) is not a condition: compare an "
                                             "attribute with it",
                                             Shown(cond.lhs)));
    }
    const AttrInfo* info = Resolve(cond.lhs);
    if (info == nullptr) return false;
    if (info->type != Type::kBool) {
      return Error(cond.lhs.pos, fmt::format("{} is {}, not a condition: compare it with a value",
                                             info->name, Describe(info->type)));
    }
    out = Expr{.kind = Expr::Kind::kBool, .attr = info->attr, .pos = cond.lhs.pos};
    return true;
  }

  bool CheckCompare(const Condition& cond, Expr& out) {
    const Term& lhs = cond.lhs;
    const Term& rhs = cond.rhs;
    const bool lhs_attr = lhs.kind == Term::Kind::kAttribute;
    const bool rhs_attr = rhs.kind == Term::Kind::kAttribute;
    if (!lhs_attr && !rhs_attr) {
      return Error(lhs.pos, fmt::format("{} {} {} compares two values: one side must be an "
                                        "attribute",
                                        Shown(lhs), ToString(cond.op), Shown(rhs)));
    }
    const AttrInfo* left = lhs_attr ? Resolve(lhs) : nullptr;
    const AttrInfo* right = rhs_attr ? Resolve(rhs) : nullptr;
    if ((lhs_attr && left == nullptr) || (rhs_attr && right == nullptr)) return false;
    if (lhs_attr && rhs_attr) return CheckTimeAttrs(cond, *left, *right, out);
    const AttrInfo& info = lhs_attr ? *left : *right;
    const Term& attr = lhs_attr ? lhs : rhs;
    const Term& literal = lhs_attr ? rhs : lhs;
    const CmpOp op = lhs_attr ? cond.op : Mirror(cond.op);
    if (!CheckOperator(info, cond.op, cond.pos, attr.pos)) return false;
    LiteralValue value;
    if (!CheckLiteral(info, literal, value)) return false;
    out = Expr{.op = op, .attr = info.attr, .pos = attr.pos};
    switch (info.type) {
      case Type::kString:
        out.kind = Expr::Kind::kString;
        out.str = std::move(value.str);
        break;
      case Type::kVersion:
        out.kind = Expr::Kind::kVersion;
        out.str = std::move(value.str);
        break;
      case Type::kEnum:
        out.kind = Expr::Kind::kEnum;
        out.str = std::move(value.str);
        out.rank = value.rank;
        break;
      case Type::kNumber:
        out.kind = Expr::Kind::kNumber;
        out.number = value.number;
        break;
      case Type::kTime:
        out.kind = Expr::Kind::kTimeLiteral;
        out.offset = attr.sign * attr.duration;
        out.time = value.time;
        break;
      default:
        return false;  // excluded by CheckOperator
    }
    return true;
  }

  // `a op b` with two attributes: only times may be compared with each other.
  bool CheckTimeAttrs(const Condition& cond, const AttrInfo& left, const AttrInfo& right,
                      Expr& out) {
    if (left.type != Type::kTime || right.type != Type::kTime) {
      const AttrInfo& culprit = left.type != Type::kTime ? left : right;
      return Error(cond.pos, fmt::format("only time attributes can be compared with each other; "
                                         "{} is {}",
                                         culprit.name, Describe(culprit.type)));
    }
    out = Expr{.kind = Expr::Kind::kTimeAttr,
               .op = cond.op,
               .attr = left.attr,
               .attr2 = right.attr,
               .offset = cond.lhs.sign * cond.lhs.duration,
               .offset2 = cond.rhs.sign * cond.rhs.duration,
               .pos = cond.lhs.pos};
    return true;
  }

  // Whether `op` is defined for the attribute's type.
  bool CheckOperator(const AttrInfo& info, CmpOp op, Pos op_pos, Pos attr_pos) {
    switch (info.type) {
      case Type::kSet:
        return Error(op_pos, fmt::format("'{}' is not defined for {} (a set): use contains, "
                                         "contains any [...] or contains all [...]",
                                         ToString(op), info.name));
      case Type::kBool:
        return Error(attr_pos, fmt::format("{} is a bool: use it alone as a condition, or under "
                                           "'not'",
                                           info.name));
      case Type::kString:
        if (IsOrdering(op)) {
          return Error(op_pos, fmt::format("'{}' is not defined for {} (a string): use ==, != or "
                                           "in (only version attributes are ordered)",
                                           ToString(op), info.name));
        }
        return true;
      case Type::kEnum:
        if (IsOrdering(op) && !info.ordered) {
          return Error(op_pos, fmt::format("'{}' is not defined for {} (an enum): use ==, != or "
                                           "in (only advisory.severity is ordered)",
                                           ToString(op), info.name));
        }
        return true;
      default:
        return true;
    }
  }

  // Checks a literal against the attribute it is compared with and converts it.
  bool CheckLiteral(const AttrInfo& info, const Term& literal, LiteralValue& out) {
    const bool is_string = literal.kind == Term::Kind::kString;
    switch (info.type) {
      case Type::kNumber:
        if (is_string) return WrongLiteral(info, "a number", literal);
        out.number = literal.number;
        return true;
      case Type::kTime: {
        if (!is_string)
          return WrongLiteral(info, "a time such as \"2026-07-08T17:00:00Z\"", literal);
        const Result<TimePoint> time = ParseTime(literal.text);
        if (!time.has_value()) {
          return Error(literal.pos, fmt::format("invalid time {}: expected ISO 8601 such as "
                                                "\"2026-07-08T17:00:00Z\" or \"2026-07-08\"",
                                                Shown(literal)));
        }
        out.time = *time;
        return true;
      }
      case Type::kEnum: {
        if (!is_string) return WrongLiteral(info, "a string", literal);
        out.rank = EnumRank(info, literal.text);
        if (out.rank < 0) {
          const std::vector<std::string_view> values(info.values.begin(), info.values.end());
          const std::string_view best = Closest(literal.text, values);
          return Error(literal.pos,
                       fmt::format("invalid value {} for {}{}: expected one of {}", Shown(literal),
                                   info.name,
                                   best.empty() ? "" : fmt::format(" (did you mean \"{}\"?)", best),
                                   fmt::join(info.values, ", ")));
        }
        out.str = literal.text;
        return true;
      }
      case Type::kSet:
        if (!is_string) {
          return Error(literal.pos,
                       fmt::format("{} is a set of strings: expected a string, found {}", info.name,
                                   Shown(literal)));
        }
        out.str = literal.text;
        WarnIfUnknown(info, literal);
        return true;
      default:  // kString, kVersion
        if (!is_string) return WrongLiteral(info, "a string", literal);
        if (info.attr == Attr::kPartnerCountry && !IsCountryCode(literal.text)) {
          return Error(literal.pos, fmt::format("invalid country {} for partner.country: expected "
                                                "two upper-case letters (ISO 3166-1 alpha-2) such "
                                                "as \"DE\"",
                                                Shown(literal)));
        }
        out.str = literal.text;
        WarnIfUnknown(info, literal);
        return true;
    }
  }

  bool WrongLiteral(const AttrInfo& info, std::string_view expected, const Term& literal) {
    return Error(literal.pos, fmt::format("{} is {}: expected {}, found {}", info.name,
                                          Describe(info.type), expected, Shown(literal)));
  }

  // `ATTRIBUTE [not] in [...]`
  bool CheckIn(const Condition& cond, Expr& out) {
    const std::string_view keyword = cond.kind == Condition::Kind::kNotIn ? "not in" : "in";
    if (cond.lhs.kind != Term::Kind::kAttribute) {
      return Error(cond.lhs.pos, fmt::format("expected an attribute before '{}', found {}", keyword,
                                             Shown(cond.lhs)));
    }
    const AttrInfo* info = Resolve(cond.lhs);
    if (info == nullptr) return false;
    out = Expr{
        .negate = cond.kind == Condition::Kind::kNotIn, .attr = info->attr, .pos = cond.lhs.pos};
    switch (info->type) {
      case Type::kString:
      case Type::kVersion:
        out.kind = Expr::Kind::kStringIn;
        break;
      case Type::kEnum:
        out.kind = Expr::Kind::kEnumIn;
        break;
      case Type::kNumber:
        out.kind = Expr::Kind::kNumberIn;
        break;
      case Type::kSet:
        return Error(cond.pos, fmt::format("'{}' is not defined for {} (a set): use contains any "
                                           "[...]{}",
                                           keyword, info->name, out.negate ? " under 'not'" : ""));
      case Type::kTime:
        return Error(cond.pos, fmt::format("'{}' is not defined for {} (a time): compare it with "
                                           "<, <=, >, >=, == or !=",
                                           keyword, info->name));
      case Type::kBool:
        return Error(cond.lhs.pos, fmt::format("{} is a bool: use it alone as a condition, or "
                                               "under 'not'",
                                               info->name));
    }
    bool ok = true;
    for (const Term& element : cond.list) {
      LiteralValue value;
      if (!CheckLiteral(*info, element, value)) {
        ok = false;
        continue;
      }
      out.strings.push_back(std::move(value.str));
      out.numbers.push_back(value.number);
      out.ranks.push_back(value.rank);
    }
    return ok;
  }

  // `SET contains "x"`, `SET contains any [...]`, `SET contains all [...]`
  bool CheckContains(const Condition& cond, Expr& out) {
    if (cond.lhs.kind != Term::Kind::kAttribute) {
      return Error(cond.lhs.pos, fmt::format("expected an attribute before 'contains', found {}",
                                             Shown(cond.lhs)));
    }
    const AttrInfo* info = Resolve(cond.lhs);
    if (info == nullptr) return false;
    if (info->type != Type::kSet) {
      return Error(cond.pos, fmt::format("'contains' needs a set attribute; {} is {} (use == or "
                                         "in)",
                                         info->name, Describe(info->type)));
    }
    out = Expr{.attr = info->attr, .pos = cond.lhs.pos};
    if (cond.kind == Condition::Kind::kContains) {
      out.kind = Expr::Kind::kContains;
      LiteralValue value;
      if (!CheckLiteral(*info, cond.rhs, value)) return false;
      out.str = std::move(value.str);
      return true;
    }
    out.kind = cond.kind == Condition::Kind::kContainsAny ? Expr::Kind::kContainsAny
                                                          : Expr::Kind::kContainsAll;
    bool ok = true;
    for (const Term& element : cond.list) {
      LiteralValue value;
      if (!CheckLiteral(*info, element, value)) {
        ok = false;
        continue;
      }
      out.strings.push_back(std::move(value.str));
    }
    return ok;
  }

  // With a vocabulary: a tier, label, partner id or advisory id that does not exist.
  void WarnIfUnknown(const AttrInfo& info, const Term& literal) {
    if (vocabulary_ == nullptr) return;
    const std::vector<std::string>* known = nullptr;
    std::string_view what;
    switch (info.attr) {
      case Attr::kPartnerTier:
        known = &vocabulary_->tiers;
        what = "no tier is named";
        break;
      case Attr::kPartnerLabels:
        known = &vocabulary_->labels;
        what = "no partner has the label";
        break;
      case Attr::kPartnerId:
        known = &vocabulary_->partner_ids;
        what = "no partner has the id";
        break;
      case Attr::kAdvisoryId:
        known = &vocabulary_->advisory_ids;
        what = "no advisory has the id";
        break;
      default:
        return;
    }
    if (std::find(known->begin(), known->end(), literal.text) != known->end()) return;
    const std::vector<std::string_view> candidates(known->begin(), known->end());
    const std::string_view best = Closest(literal.text, candidates);
    Warn(literal.pos,
         fmt::format("{} {}{}: this test never matches it", what, Shown(literal),
                     best.empty() ? "" : fmt::format(" (did you mean \"{}\"?)", best)));
  }

  // Warnings about a rule that type-checked.
  void WarnAbout(const RuleAst& rule, const Expr& condition) {
    std::vector<const Expr*> status_leaves;
    StatusLeaves(condition, status_leaves);
    bool never_applies = false;
    if (!status_leaves.empty()) {
      never_applies = Partial(condition, StatusLeafWhenActive) == Tri::kFalse;
    }
    for (const Expr* leaf : status_leaves) {
      if (!TestsOtherThanActive(*leaf)) continue;
      Warn(leaf->pos, fmt::format("only active partners reach the policy, so partner.status is "
                                  "always \"active\" and this test is always {}{}",
                                  *StatusLeafWhenActive(*leaf) ? "true" : "false",
                                  never_applies ? ": the rule can never apply" : ""));
    }
    if (rule.effect == Effect::kSubstitute && rule.resource == Resource::kArtifact &&
        Reads(condition, Attr::kArtifactAlternative)) {
      const auto primary = [](const Expr& leaf) -> std::optional<bool> {
        if (leaf.kind == Expr::Kind::kBool && leaf.attr == Attr::kArtifactAlternative) return false;
        return std::nullopt;
      };
      if (Partial(condition, primary) == Tri::kFalse) {
        Warn(rule.pos,
             "this substitute rule only matches alternative forms, and substitute rules "
             "are never consulted for those: it has no effect");
      }
    }
  }

  const Vocabulary* vocabulary_;
  std::vector<Diagnostic>& diagnostics_;
  const RuleAst* rule_ = nullptr;
  int errors_ = 0;
};

}  // namespace

std::vector<Expr> CheckRules(const std::vector<RuleAst>& rules, const Vocabulary* vocabulary,
                             std::vector<Diagnostic>& diagnostics) {
  return Checker(vocabulary, diagnostics).Run(rules);
}

}  // namespace forewarn::policy::language
