#include "policy/language_lexer.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <utility>

namespace forewarn::policy::language {
namespace {

constexpr std::array<std::pair<std::string_view, TokenKind>, 16> kKeywords = {{
    {"rule", TokenKind::kRule},
    {"permit", TokenKind::kPermit},
    {"forbid", TokenKind::kForbid},
    {"substitute", TokenKind::kSubstitute},
    {"advisory", TokenKind::kAdvisory},
    {"artifact", TokenKind::kArtifact},
    {"when", TokenKind::kWhen},
    {"or", TokenKind::kOr},
    {"and", TokenKind::kAnd},
    {"not", TokenKind::kNot},
    {"true", TokenKind::kTrue},
    {"false", TokenKind::kFalse},
    {"in", TokenKind::kIn},
    {"contains", TokenKind::kContains},
    {"any", TokenKind::kAny},
    {"all", TokenKind::kAll},
}};

bool IsIdentStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsIdentChar(char c) { return IsIdentStart(c) || IsDigit(c) || c == '.' || c == '-'; }
bool IsLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// Walks the source once, keeping the line and column of the current byte.
class Lexer {
 public:
  Lexer(std::string_view source, std::vector<Diagnostic>& diagnostics)
      : source_(source), diagnostics_(diagnostics) {}

  std::vector<Token> Run() {
    std::vector<Token> tokens;
    for (;;) {
      SkipSpaceAndComments();
      if (pos_ >= source_.size()) break;
      tokens.push_back(Next());
    }
    Token end;
    end.kind = TokenKind::kEnd;
    end.begin = end.end = source_.size();
    end.pos = Here();
    tokens.push_back(std::move(end));
    return tokens;
  }

 private:
  Pos Here() const { return Pos{line_, static_cast<int>(pos_ - line_start_) + 1}; }

  void Advance() {
    if (source_[pos_] == '\n') {
      ++line_;
      line_start_ = pos_ + 1;
    }
    ++pos_;
  }

  void Error(Pos pos, std::string message) {
    diagnostics_.push_back(Diagnostic{.severity = Diagnostic::Severity::kError,
                                      .line = pos.line,
                                      .column = pos.column,
                                      .message = std::move(message)});
  }

  void SkipSpaceAndComments() {
    while (pos_ < source_.size()) {
      const char c = source_[pos_];
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
        Advance();
      } else if (c == '#') {
        while (pos_ < source_.size() && source_[pos_] != '\n') Advance();
      } else {
        break;
      }
    }
  }

  Token Make(TokenKind kind, size_t begin, Pos pos) {
    Token token;
    token.kind = kind;
    token.begin = begin;
    token.end = pos_;
    token.text = source_.substr(begin, pos_ - begin);
    token.pos = pos;
    return token;
  }

  Token Next() {
    const size_t begin = pos_;
    const Pos pos = Here();
    const char c = source_[pos_];
    if (IsIdentStart(c)) return Identifier(begin, pos);
    if (IsDigit(c)) return NumberOrDuration(begin, pos);
    if (c == '"') return String(begin, pos);
    const char next = pos_ + 1 < source_.size() ? source_[pos_ + 1] : '\0';
    Advance();
    switch (c) {
      case '(':
        return Make(TokenKind::kLParen, begin, pos);
      case ')':
        return Make(TokenKind::kRParen, begin, pos);
      case '[':
        return Make(TokenKind::kLBracket, begin, pos);
      case ']':
        return Make(TokenKind::kRBracket, begin, pos);
      case ',':
        return Make(TokenKind::kComma, begin, pos);
      case ';':
        return Make(TokenKind::kSemicolon, begin, pos);
      case '+':
        return Make(TokenKind::kPlus, begin, pos);
      case '-':
        return Make(TokenKind::kMinus, begin, pos);
      case '<':
      case '>':
        if (next == '=') {
          Advance();
          return Make(c == '<' ? TokenKind::kLe : TokenKind::kGe, begin, pos);
        }
        return Make(c == '<' ? TokenKind::kLt : TokenKind::kGt, begin, pos);
      case '=':
      case '!':
        if (next == '=') {
          Advance();
          return Make(c == '=' ? TokenKind::kEq : TokenKind::kNe, begin, pos);
        }
        Error(pos, c == '=' ? "unexpected character '=' (did you mean '=='?)"
                            : "unexpected character '!' (use 'not' or '!=')");
        return Make(TokenKind::kInvalid, begin, pos);
      default:
        break;
    }
    if (c == '&' || c == '|') {
      // Skip a doubled operator so '&&' gives one error, not two.
      if (next == c) Advance();
      Error(pos, fmt::format("unexpected character '{}' (use '{}')", c, c == '&' ? "and" : "or"));
    } else if (static_cast<unsigned char>(c) >= 0x21 && static_cast<unsigned char>(c) < 0x7f) {
      Error(pos, fmt::format("unexpected character '{}'", c));
    } else {
      Error(pos, fmt::format("unexpected byte 0x{:02x}", static_cast<unsigned char>(c)));
    }
    return Make(TokenKind::kInvalid, begin, pos);
  }

  Token Identifier(size_t begin, Pos pos) {
    while (pos_ < source_.size() && IsIdentChar(source_[pos_])) Advance();
    const std::string_view text = source_.substr(begin, pos_ - begin);
    for (const auto& [spelling, kind] : kKeywords) {
      if (spelling == text) return Make(kind, begin, pos);
    }
    return Make(TokenKind::kIdentifier, begin, pos);
  }

  // NUMBER = digits [ "." digits ]; DURATION = digits unit. Any letters or digits glued to
  // either make the whole word invalid (reported once).
  Token NumberOrDuration(size_t begin, Pos pos) {
    while (pos_ < source_.size() && IsDigit(source_[pos_])) Advance();
    bool fraction = false;
    bool bad_fraction = false;
    if (pos_ < source_.size() && source_[pos_] == '.') {
      Advance();
      fraction = true;
      if (pos_ >= source_.size() || !IsDigit(source_[pos_])) bad_fraction = true;
      while (pos_ < source_.size() && IsDigit(source_[pos_])) Advance();
    }
    const size_t suffix = pos_;
    while (pos_ < source_.size() && IsIdentChar(source_[pos_])) Advance();
    const std::string_view text = source_.substr(begin, pos_ - begin);
    const std::string_view unit = source_.substr(suffix, pos_ - suffix);
    if (unit.empty() && !bad_fraction) return Make(TokenKind::kNumber, begin, pos);
    if (!bad_fraction && unit.size() == 1 &&
        std::string_view("smhdw").find(unit[0]) != std::string_view::npos) {
      if (!fraction) return Make(TokenKind::kDuration, begin, pos);
      Error(pos,
            fmt::format("invalid duration '{}': use a whole number of units such as 90m", text));
    } else if (!bad_fraction && std::all_of(unit.begin(), unit.end(), IsLetter)) {
      Error(pos, fmt::format("invalid duration '{}': the unit must be s, m, h, d or w", text));
    } else {
      Error(pos, fmt::format("invalid number '{}'", text));
    }
    return Make(TokenKind::kInvalid, begin, pos);
  }

  // A string ends at the next unescaped '"' on the same line; only \" and \\ are escapes.
  Token String(size_t begin, Pos pos) {
    Advance();  // the opening quote
    std::string value;
    bool ok = true;
    for (;;) {
      if (pos_ >= source_.size() || source_[pos_] == '\n') {
        Error(pos, "unterminated string");
        return Make(TokenKind::kInvalid, begin, pos);
      }
      const char c = source_[pos_];
      if (c == '"') {
        Advance();
        break;
      }
      if (c == '\\') {
        const Pos escape = Here();
        Advance();
        const char e = pos_ < source_.size() ? source_[pos_] : '\0';
        if (e == '"' || e == '\\') {
          value += e;
          Advance();
          continue;
        }
        if (ok) {
          Error(escape,
                e == '\0' || e == '\n'
                    ? std::string("invalid escape at end of line: only \\\" and \\\\ are "
                                  "allowed")
                    : fmt::format("invalid escape '\\{}': only \\\" and \\\\ are allowed", e));
        }
        ok = false;
        continue;
      }
      value += c;
      Advance();
    }
    Token token = Make(ok ? TokenKind::kString : TokenKind::kInvalid, begin, pos);
    token.value = std::move(value);
    return token;
  }

  std::string_view source_;
  std::vector<Diagnostic>& diagnostics_;
  size_t pos_ = 0;
  size_t line_start_ = 0;
  int line_ = 1;
};

}  // namespace

std::vector<Token> Lex(std::string_view source, std::vector<Diagnostic>& diagnostics) {
  return Lexer(source, diagnostics).Run();
}

std::string Describe(const Token& token) {
  switch (token.kind) {
    case TokenKind::kEnd:
      return "end of input";
    case TokenKind::kString:
      return std::string(token.text.substr(0, 40));
    default:
      return fmt::format("'{}'", token.text.substr(0, 40));
  }
}

bool StartsRule(TokenKind kind) {
  return kind == TokenKind::kRule || kind == TokenKind::kPermit || kind == TokenKind::kForbid ||
         kind == TokenKind::kSubstitute;
}

int EditDistance(std::string_view a, std::string_view b) {
  const size_t n = a.size();
  const size_t m = b.size();
  // d[i][j]: distance between the first i bytes of a and the first j bytes of b.
  std::vector<std::vector<int>> d(n + 1, std::vector<int>(m + 1, 0));
  for (size_t i = 0; i <= n; ++i) d[i][0] = static_cast<int>(i);
  for (size_t j = 0; j <= m; ++j) d[0][j] = static_cast<int>(j);
  for (size_t i = 1; i <= n; ++i) {
    for (size_t j = 1; j <= m; ++j) {
      const int cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[n][m];
}

std::string_view Closest(std::string_view word, const std::vector<std::string_view>& candidates) {
  // Within 2 edits, and no more than a third of the word, so "foo" does not suggest "now".
  const int max_distance = std::clamp(static_cast<int>(word.size()) / 3, 1, 2);
  std::string_view best;
  int best_distance = max_distance + 1;
  for (std::string_view candidate : candidates) {
    if (candidate.size() > word.size() + 2 || word.size() > candidate.size() + 2) continue;
    const int distance = EditDistance(word, candidate);
    if (distance > 0 && distance < best_distance) {
      best = candidate;
      best_distance = distance;
    }
  }
  return best;
}

}  // namespace forewarn::policy::language
