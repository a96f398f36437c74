// File: policy/language_parser.h (internal to policy/)
//
// The syntax tree of a policy text and the recursive-descent parser that builds it
// (grammar: docs/policy.md). The parser knows nothing about attributes or types; the checker
// (language_checker.h) resolves names and types afterwards.
//
//   std::vector<Diagnostic> diagnostics;
//   std::vector<Token> tokens = Lex(text, diagnostics);
//   std::vector<RuleAst> rules = Parse(tokens, diagnostics);  // rules without syntax errors
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "policy/language_lexer.h"
#include "policy/policy.h"

namespace forewarn::policy::language {

enum class CmpOp { kEq, kNe, kLt, kLe, kGt, kGe };
std::string_view ToString(CmpOp op);

// One side of a comparison or one list element: an attribute (optionally shifted by a
// duration) or a literal.
struct Term {
  enum class Kind { kAttribute, kString, kNumber };
  Kind kind = Kind::kString;
  std::string text;   // the attribute name, or the decoded string
  std::string raw;    // the literal as written (for messages)
  double number = 0;  // kNumber
  Pos pos;
  // `attribute + 48h`: sign is +1 or -1, 0 without a duration.
  int sign = 0;
  std::chrono::seconds duration{0};
  std::string duration_text;  // as written: "48h"
  Pos sign_pos;
};

struct Condition {
  enum class Kind {
    kTrue,
    kFalse,
    kAnd,   // children (two or more)
    kOr,    // children (two or more)
    kNot,   // children[0]
    kTerm,  // a term used alone: must be a bool attribute
    kCompare,
    kIn,
    kNotIn,
    kContains,
    kContainsAny,
    kContainsAll,
  };
  Kind kind = Kind::kTrue;
  Pos pos;  // the operator or keyword ('==', 'in', 'contains', 'not', 'true')
  std::vector<Condition> children;
  Term lhs;
  Term rhs;                // kCompare, kContains
  CmpOp op = CmpOp::kEq;   // kCompare
  std::vector<Term> list;  // kIn, kNotIn, kContainsAny, kContainsAll
};

struct RuleAst {
  std::string name;  // "" when the rule has no `rule NAME`
  Pos name_pos;
  Effect effect = Effect::kPermit;
  Resource resource = Resource::kAdvisory;
  Pos resource_pos;
  std::optional<Condition> condition;
  Pos pos;  // of the first token
  size_t begin = 0;
  size_t end = 0;  // just past the ';'
};

// Parses `tokens` (ending with kEnd). Rules with a syntax error are reported (one error per
// rule: the parser resumes after the rule's ';' or at the next `rule`/effect keyword) and left
// out of the result.
std::vector<RuleAst> Parse(const std::vector<Token>& tokens, std::vector<Diagnostic>& diagnostics);

}  // namespace forewarn::policy::language
