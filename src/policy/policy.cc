#include "policy/policy.h"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

#include "policy/language_checker.h"
#include "policy/language_eval.h"
#include "policy/language_lexer.h"
#include "policy/language_parser.h"

namespace forewarn::policy {
namespace {

namespace lang = ::forewarn::policy::language;

// The front end's result: every diagnostic (in source order) and, per parsed rule, its
// syntax tree and compiled condition.
struct Analysis {
  std::vector<Diagnostic> diagnostics;
  std::vector<lang::RuleAst> rules;
  std::vector<lang::Expr> conditions;
  bool has_errors = false;
};

Analysis Analyze(std::string_view text, const Vocabulary* vocabulary) {
  Analysis out;
  const std::vector<lang::Token> tokens = lang::Lex(text, out.diagnostics);
  out.rules = lang::Parse(tokens, out.diagnostics);
  out.conditions = lang::CheckRules(out.rules, vocabulary, out.diagnostics);
  std::stable_sort(out.diagnostics.begin(), out.diagnostics.end(),
                   [](const Diagnostic& a, const Diagnostic& b) {
                     return a.line != b.line ? a.line < b.line : a.column < b.column;
                   });
  out.has_errors = std::any_of(out.diagnostics.begin(), out.diagnostics.end(), [](const auto& d) {
    return d.severity == Diagnostic::Severity::kError;
  });
  return out;
}

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

// A rule's source text for display: comments dropped and whitespace runs collapsed to one
// space, except inside string literals, which are kept byte for byte.
std::string CollapseRuleText(std::string_view source) {
  std::string out;
  bool pending_space = false;
  size_t i = 0;
  while (i < source.size()) {
    const char c = source[i];
    if (IsSpace(c) || c == '#') {
      if (c == '#') {
        while (i < source.size() && source[i] != '\n') ++i;
      } else {
        ++i;
      }
      pending_space = true;
      continue;
    }
    if (pending_space && !out.empty()) out += ' ';
    pending_space = false;
    if (c != '"') {
      out += c;
      ++i;
      continue;
    }
    // A string literal (the lexer has checked it): copy through the closing quote.
    out += c;
    ++i;
    while (i < source.size() && source[i] != '"' && source[i] != '\n') {
      if (source[i] == '\\' && i + 1 < source.size()) out += source[i++];
      out += source[i++];
    }
    if (i < source.size() && source[i] == '"') out += source[i++];
  }
  return out;
}

}  // namespace

std::string_view ToString(Effect effect) {
  switch (effect) {
    case Effect::kPermit:
      return "permit";
    case Effect::kForbid:
      return "forbid";
    case Effect::kSubstitute:
      return "substitute";
  }
  return "permit";
}

std::string_view ToString(Resource resource) {
  return resource == Resource::kAdvisory ? "advisory" : "artifact";
}

std::string_view ToString(Verdict verdict) {
  switch (verdict) {
    case Verdict::kPermit:
      return "permit";
    case Verdict::kForbid:
      return "forbid";
    case Verdict::kSubstitute:
      return "substitute";
    case Verdict::kDeny:
      return "deny";
  }
  return "deny";
}

std::string ToString(const Diagnostic& diagnostic) {
  return fmt::format("line {}, column {}: {}{}", diagnostic.line, diagnostic.column,
                     diagnostic.severity == Diagnostic::Severity::kWarning ? "warning: " : "",
                     diagnostic.message);
}

struct Policy::Impl {
  std::string text;
  std::vector<RuleInfo> rules;
  lang::RuleSet rule_set;
  bool uses_cvss = false;
};

Policy::Policy(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Policy::~Policy() = default;

Result<std::shared_ptr<const Policy>> Policy::Compile(std::string_view text,
                                                      CompileOptions options) {
  Analysis analysis = Analyze(text, /*vocabulary=*/nullptr);
  if (analysis.has_errors) {
    std::string message;
    for (const Diagnostic& diagnostic : analysis.diagnostics) {
      if (diagnostic.severity != Diagnostic::Severity::kError) continue;
      if (!message.empty()) message += '\n';
      message += ToString(diagnostic);
    }
    return Fail(ErrorCode::kInvalidArgument, std::move(message));
  }
  std::vector<RuleInfo> infos;
  std::vector<lang::CompiledRule> compiled;
  bool uses_cvss = false;
  for (size_t i = 0; i < analysis.rules.size(); ++i) {
    const lang::RuleAst& rule = analysis.rules[i];
    infos.push_back(
        RuleInfo{.name = rule.name.empty() ? fmt::format("line {}", rule.pos.line) : rule.name,
                 .effect = rule.effect,
                 .resource = rule.resource,
                 .line = rule.pos.line,
                 .column = rule.pos.column,
                 .begin = rule.begin,
                 .end = rule.end,
                 .text = CollapseRuleText(text.substr(rule.begin, rule.end - rule.begin))});
    lang::Expr& condition = analysis.conditions[i];
    uses_cvss = uses_cvss || lang::Reads(condition, lang::Attr::kAdvisoryCvss) ||
                lang::Reads(condition, lang::Attr::kAdvisorySeverity);
    compiled.push_back(lang::CompiledRule{
        .effect = rule.effect, .resource = rule.resource, .condition = std::move(condition)});
  }
  auto impl =
      std::make_unique<Impl>(Impl{.text = std::string(text),
                                  .rules = std::move(infos),
                                  .rule_set = lang::RuleSet(std::move(compiled), options.index),
                                  .uses_cvss = uses_cvss});
  return std::shared_ptr<const Policy>(new Policy(std::move(impl)));
}

std::vector<Diagnostic> Policy::Check(std::string_view text, const Vocabulary* vocabulary) {
  return Analyze(text, vocabulary).diagnostics;
}

Decision Policy::Decide(Resource resource, const Facts& facts) const {
  return impl_->rule_set.Decide(resource, facts);
}

Explanation Policy::Explain(Resource resource, const Facts& facts) const {
  return impl_->rule_set.Explain(resource, facts);
}

const std::vector<RuleInfo>& Policy::rules() const { return impl_->rules; }
const std::string& Policy::text() const { return impl_->text; }
bool Policy::uses_cvss() const { return impl_->uses_cvss; }

std::string_view DefaultPolicyText() {
  return "# The default policy: every advisory and artifact that the embargo allows.\n"
         "# Narrow it with forbid and substitute rules; see docs/policy.md. For example, to give\n"
         "# partners labelled poc-restricted the written description instead of a PoC:\n"
         "#   substitute artifact when partner.labels contains \"poc-restricted\"\n"
         "#     and artifact.kind == \"poc\";\n"
         "permit advisory;\n"
         "permit artifact;\n";
}

}  // namespace forewarn::policy
