// File: policy/language_checker.h (internal to policy/)
//
// Resolves attribute names and checks the type rules of docs/policy.md on parsed rules,
// compiling each condition into an Expr; also produces the warnings of Policy::Check.
//
//   std::vector<Expr> conditions = CheckRules(rules, /*vocabulary=*/nullptr, diagnostics);
//   // conditions[i] belongs to rules[i]; meaningful only if no error was added
#pragma once

#include <vector>

#include "policy/language_expr.h"
#include "policy/language_parser.h"
#include "policy/policy.h"

namespace forewarn::policy::language {

// Checks every rule (collecting all errors, not only the first) and returns one compiled
// condition per rule (kConst true for a rule without `when`). Appends errors and warnings to
// `diagnostics`; with a vocabulary, also warns about unknown tiers, labels and ids.
std::vector<Expr> CheckRules(const std::vector<RuleAst>& rules, const Vocabulary* vocabulary,
                             std::vector<Diagnostic>& diagnostics);

}  // namespace forewarn::policy::language
