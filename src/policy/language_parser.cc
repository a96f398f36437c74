#include "policy/language_parser.h"

#include <fmt/format.h>

#include <charconv>
#include <utility>

#include "core/time.h"

namespace forewarn::policy::language {
namespace {

// Deeper nesting than this is rejected rather than risking the stack (the parser recurses).
constexpr int kMaxDepth = 100;

bool IsCmp(TokenKind kind) {
  return kind == TokenKind::kEq || kind == TokenKind::kNe || kind == TokenKind::kLt ||
         kind == TokenKind::kLe || kind == TokenKind::kGt || kind == TokenKind::kGe;
}

CmpOp ToCmpOp(TokenKind kind) {
  switch (kind) {
    case TokenKind::kNe:
      return CmpOp::kNe;
    case TokenKind::kLt:
      return CmpOp::kLt;
    case TokenKind::kLe:
      return CmpOp::kLe;
    case TokenKind::kGt:
      return CmpOp::kGt;
    case TokenKind::kGe:
      return CmpOp::kGe;
    default:
      return CmpOp::kEq;
  }
}

bool StartsTerm(TokenKind kind) {
  return kind == TokenKind::kIdentifier || kind == TokenKind::kString ||
         kind == TokenKind::kNumber || kind == TokenKind::kDuration;
}

// A suggestion for a misspelt keyword among `choices`, as " (did you mean 'x'?)", or "".
std::string KeywordHint(const Token& token, const std::vector<std::string_view>& choices) {
  if (token.kind != TokenKind::kIdentifier) return "";
  const std::string_view best = Closest(token.text, choices);
  return best.empty() ? "" : fmt::format(" (did you mean '{}'?)", best);
}

class Parser {
 public:
  Parser(const std::vector<Token>& tokens, std::vector<Diagnostic>& diagnostics)
      : tokens_(tokens), diagnostics_(diagnostics) {}

  std::vector<RuleAst> Run() {
    std::vector<RuleAst> rules;
    while (Peek().kind != TokenKind::kEnd) {
      const size_t start = next_;
      RuleAst rule;
      if (ParseRule(rule)) {
        rules.push_back(std::move(rule));
      } else {
        Synchronize(start);
      }
    }
    return rules;
  }

 private:
  const Token& Peek(size_t ahead = 0) const {
    const size_t i = next_ + ahead;
    return i < tokens_.size() ? tokens_[i] : tokens_.back();
  }
  const Token& Take() {
    const Token& token = Peek();
    if (next_ + 1 < tokens_.size()) ++next_;
    return token;
  }
  bool Accept(TokenKind kind) {
    if (Peek().kind != kind) return false;
    Take();
    return true;
  }

  // Reports `message` at `token` unless the token is a lexical error (already reported).
  // Always returns false, so callers can `return Error(...)`.
  bool Error(const Token& token, std::string message) {
    if (token.kind != TokenKind::kInvalid) {
      diagnostics_.push_back(Diagnostic{.severity = Diagnostic::Severity::kError,
                                        .line = token.pos.line,
                                        .column = token.pos.column,
                                        .message = std::move(message)});
    }
    return false;
  }

  // After an error: skip to just past the next ';', or to the next token that can only start
  // a rule, moving at least one token so that parsing always makes progress.
  void Synchronize(size_t start) {
    if (next_ == start) Take();
    while (Peek().kind != TokenKind::kEnd) {
      if (StartsRule(Peek().kind)) return;
      if (Take().kind == TokenKind::kSemicolon) return;
    }
  }

  bool ParseRule(RuleAst& rule) {
    const Token& first = Peek();
    rule.pos = first.pos;
    rule.begin = first.begin;
    if (Accept(TokenKind::kRule)) {
      const Token& name = Peek();
      if (name.kind != TokenKind::kIdentifier && name.kind != TokenKind::kString) {
        return Error(name,
                     fmt::format("expected a rule name after 'rule', found {}", Describe(name)));
      }
      Take();
      rule.name = name.kind == TokenKind::kString ? name.value : std::string(name.text);
      rule.name_pos = name.pos;
      if (rule.name.empty()) return Error(name, "a rule name cannot be empty");
    }
    const Token& effect = Peek();
    switch (effect.kind) {
      case TokenKind::kPermit:
        rule.effect = Effect::kPermit;
        break;
      case TokenKind::kForbid:
        rule.effect = Effect::kForbid;
        break;
      case TokenKind::kSubstitute:
        rule.effect = Effect::kSubstitute;
        break;
      default:
        if (rule.name.empty() && &effect == &first) {
          return Error(
              effect, fmt::format("expected a rule (permit, forbid, substitute or rule "
                                  "NAME), found {}{}",
                                  Describe(effect),
                                  KeywordHint(effect, {"permit", "forbid", "substitute", "rule"})));
        }
        return Error(effect, fmt::format("expected 'permit', 'forbid' or 'substitute', found {}{}",
                                         Describe(effect),
                                         KeywordHint(effect, {"permit", "forbid", "substitute"})));
    }
    Take();
    const Token& resource = Peek();
    if (resource.kind != TokenKind::kAdvisory && resource.kind != TokenKind::kArtifact) {
      return Error(resource, fmt::format("expected 'advisory' or 'artifact' after '{}', found {}{}",
                                         effect.text, Describe(resource),
                                         KeywordHint(resource, {"advisory", "artifact"})));
    }
    Take();
    rule.resource =
        resource.kind == TokenKind::kAdvisory ? Resource::kAdvisory : Resource::kArtifact;
    rule.resource_pos = resource.pos;
    if (Accept(TokenKind::kWhen)) {
      Condition condition;
      if (!ParseOr(condition, 0)) return false;
      rule.condition = std::move(condition);
      if (Peek().kind != TokenKind::kSemicolon) {
        return Error(
            Peek(), fmt::format("expected ';' at the end of the rule, found {}", Describe(Peek())));
      }
    } else if (Peek().kind != TokenKind::kSemicolon) {
      return Error(Peek(),
                   fmt::format("expected 'when' or ';' after '{}', found {}{}", resource.text,
                               Describe(Peek()), KeywordHint(Peek(), {"when"})));
    }
    rule.end = Take().end;
    return true;
  }

  // condition = conjunction { "or" conjunction }
  bool ParseOr(Condition& out, int depth) {
    if (depth > kMaxDepth) return Error(Peek(), "the condition nests too deeply");
    Condition first;
    if (!ParseAnd(first, depth)) return false;
    if (Peek().kind != TokenKind::kOr) {
      out = std::move(first);
      return true;
    }
    out = Condition{.kind = Condition::Kind::kOr, .pos = Peek().pos};
    out.children.push_back(std::move(first));
    while (Accept(TokenKind::kOr)) {
      Condition next;
      if (!ParseAnd(next, depth)) return false;
      out.children.push_back(std::move(next));
    }
    return true;
  }

  // conjunction = negation { "and" negation }
  bool ParseAnd(Condition& out, int depth) {
    Condition first;
    if (!ParseNot(first, depth)) return false;
    if (Peek().kind != TokenKind::kAnd) {
      out = std::move(first);
      return true;
    }
    out = Condition{.kind = Condition::Kind::kAnd, .pos = Peek().pos};
    out.children.push_back(std::move(first));
    while (Accept(TokenKind::kAnd)) {
      Condition next;
      if (!ParseNot(next, depth)) return false;
      out.children.push_back(std::move(next));
    }
    return true;
  }

  // negation = "not" negation | primary
  bool ParseNot(Condition& out, int depth) {
    if (Peek().kind != TokenKind::kNot) return ParsePrimary(out, depth);
    if (depth > kMaxDepth) return Error(Peek(), "the condition nests too deeply");
    out = Condition{.kind = Condition::Kind::kNot, .pos = Take().pos};
    Condition inner;
    if (!ParseNot(inner, depth + 1)) return false;
    out.children.push_back(std::move(inner));
    return true;
  }

  // primary = "(" condition ")" | "true" | "false" | BOOL_ATTRIBUTE | comparison
  bool ParsePrimary(Condition& out, int depth) {
    const Token& token = Peek();
    switch (token.kind) {
      case TokenKind::kLParen: {
        Take();
        if (!ParseOr(out, depth + 1)) return false;
        if (!Accept(TokenKind::kRParen)) {
          return Error(Peek(), fmt::format("expected ')', found {}", Describe(Peek())));
        }
        return true;
      }
      case TokenKind::kTrue:
      case TokenKind::kFalse:
        out = Condition{.kind = token.kind == TokenKind::kTrue ? Condition::Kind::kTrue
                                                               : Condition::Kind::kFalse,
                        .pos = Take().pos};
        return true;
      default:
        break;
    }
    if (!StartsTerm(token.kind)) {
      return Error(token, fmt::format("expected a condition, found {}", Describe(token)));
    }
    Term lhs;
    if (!ParseTerm(lhs)) return false;
    return ParseComparison(std::move(lhs), out);
  }

  // What follows the first term of a primary: an operator, or nothing (a bool attribute).
  bool ParseComparison(Term lhs, Condition& out) {
    const Token& op = Peek();
    out.pos = op.pos;
    if (IsCmp(op.kind)) {
      Take();
      out.kind = Condition::Kind::kCompare;
      out.op = ToCmpOp(op.kind);
      out.lhs = std::move(lhs);
      if (!StartsTerm(Peek().kind)) {
        return Error(Peek(), fmt::format("expected an attribute or a value after '{}', found {}",
                                         op.text, Describe(Peek())));
      }
      return ParseTerm(out.rhs);
    }
    if (op.kind == TokenKind::kNot || op.kind == TokenKind::kIn) {
      Take();
      out.kind = Condition::Kind::kIn;
      if (op.kind == TokenKind::kNot) {
        if (!Accept(TokenKind::kIn)) {
          return Error(Peek(),
                       fmt::format("expected 'in' after 'not', found {}{}", Describe(Peek()),
                                   Peek().kind == TokenKind::kContains
                                       ? " (write: not ATTRIBUTE contains ...)"
                                       : ""));
        }
        out.kind = Condition::Kind::kNotIn;
      }
      out.lhs = std::move(lhs);
      return ParseList(out.list);
    }
    if (op.kind == TokenKind::kContains) {
      Take();
      out.lhs = std::move(lhs);
      if (Accept(TokenKind::kAny)) {
        out.kind = Condition::Kind::kContainsAny;
        return ParseList(out.list);
      }
      if (Accept(TokenKind::kAll)) {
        out.kind = Condition::Kind::kContainsAll;
        return ParseList(out.list);
      }
      out.kind = Condition::Kind::kContains;
      if (Peek().kind != TokenKind::kString && Peek().kind != TokenKind::kNumber) {
        return Error(Peek(), fmt::format("expected a value, 'any' or 'all' after 'contains', "
                                         "found {}",
                                         Describe(Peek())));
      }
      return ParseTerm(out.rhs);
    }
    if (StartsTerm(op.kind) || op.kind == TokenKind::kInvalid) {
      return Error(op,
                   fmt::format("expected an operator (==, !=, <, <=, >, >=, in or contains) "
                               "after {}, found {}",
                               lhs.kind == Term::Kind::kAttribute ? "'" + lhs.text + "'" : lhs.raw,
                               Describe(op)));
    }
    out.kind = Condition::Kind::kTerm;
    out.pos = lhs.pos;
    out.lhs = std::move(lhs);
    return true;
  }

  // term = ATTRIBUTE [ ( "+" | "-" ) DURATION ] | literal
  bool ParseTerm(Term& out) {
    const Token& token = Peek();
    out.pos = token.pos;
    out.raw = std::string(token.text);
    switch (token.kind) {
      case TokenKind::kIdentifier:
        Take();
        out.kind = Term::Kind::kAttribute;
        out.text = std::string(token.text);
        return ParseShift(out);
      case TokenKind::kString:
        Take();
        out.kind = Term::Kind::kString;
        out.text = token.value;
        return true;
      case TokenKind::kNumber:
        return ParseNumber(out);
      case TokenKind::kDuration:
        return Error(token, fmt::format("a duration ({}) must follow a time attribute and '+' or "
                                        "'-', as in wave.opened_at + {}",
                                        token.text, token.text));
      default:
        return Error(token,
                     fmt::format("expected an attribute or a value, found {}", Describe(token)));
    }
  }

  bool ParseNumber(Term& out) {
    const Token& token = Take();
    out.kind = Term::Kind::kNumber;
    const char* begin = token.text.data();
    const char* end = begin + token.text.size();
    const auto [ptr, ec] = std::from_chars(begin, end, out.number);
    if (ec != std::errc{} || ptr != end) {
      return Error(token, fmt::format("invalid number {}", Describe(token)));
    }
    return true;
  }

  bool ParseShift(Term& out) {
    const Token& sign = Peek();
    if (sign.kind != TokenKind::kPlus && sign.kind != TokenKind::kMinus) return true;
    Take();
    const Token& duration = Peek();
    if (duration.kind != TokenKind::kDuration) {
      return Error(duration, fmt::format("expected a duration such as 48h or 2d after '{}', "
                                         "found {}",
                                         sign.text, Describe(duration)));
    }
    Take();
    const auto parsed = ParseDuration(duration.text);
    if (!parsed.has_value()) return Error(duration, parsed.error().message);
    out.sign = sign.kind == TokenKind::kPlus ? 1 : -1;
    out.sign_pos = sign.pos;
    out.duration = parsed.value();
    out.duration_text = std::string(duration.text);
    return true;
  }

  // list = "[" [ literal { "," literal } [ "," ] ] "]"
  bool ParseList(std::vector<Term>& out) {
    if (!Accept(TokenKind::kLBracket)) {
      return Error(Peek(), fmt::format("expected '[' to start a list, found {}", Describe(Peek())));
    }
    while (!Accept(TokenKind::kRBracket)) {
      const Token& token = Peek();
      if (token.kind != TokenKind::kString && token.kind != TokenKind::kNumber) {
        return Error(token, fmt::format("expected a string or a number in the list, found {}",
                                        Describe(token)));
      }
      Term element;
      if (!ParseTerm(element)) return false;
      out.push_back(std::move(element));
      if (Accept(TokenKind::kComma)) continue;
      if (Peek().kind != TokenKind::kRBracket) {
        return Error(Peek(),
                     fmt::format("expected ',' or ']' in the list, found {}", Describe(Peek())));
      }
    }
    return true;
  }

  const std::vector<Token>& tokens_;
  std::vector<Diagnostic>& diagnostics_;
  size_t next_ = 0;
};

}  // namespace

std::string_view ToString(CmpOp op) {
  switch (op) {
    case CmpOp::kEq:
      return "==";
    case CmpOp::kNe:
      return "!=";
    case CmpOp::kLt:
      return "<";
    case CmpOp::kLe:
      return "<=";
    case CmpOp::kGt:
      return ">";
    case CmpOp::kGe:
      return ">=";
  }
  return "==";
}

std::vector<RuleAst> Parse(const std::vector<Token>& tokens, std::vector<Diagnostic>& diagnostics) {
  return Parser(tokens, diagnostics).Run();
}

}  // namespace forewarn::policy::language
