#include "trace/tokens.h"

#include <fmt/format.h>

#include <array>
#include <cctype>

namespace forewarn::trace {
namespace {

struct LanguageName {
  Language language;
  std::string_view name;
};

constexpr std::array kLanguageNames = {
    LanguageName{Language::kPython, "python"}, LanguageName{Language::kPowerShell, "powershell"},
    LanguageName{Language::kCSharp, "csharp"}, LanguageName{Language::kHttp, "http"},
    LanguageName{Language::kYara, "yara"},     LanguageName{Language::kSnort, "snort"},
    LanguageName{Language::kSigma, "sigma"},   LanguageName{Language::kProse, "prose"},
    LanguageName{Language::kMarkup, "markup"},
};

bool EndsWith(std::string_view text, std::string_view suffix) {
  if (text.size() < suffix.size()) return false;
  for (size_t i = 0; i < suffix.size(); ++i) {
    const char a = static_cast<char>(
        std::tolower(static_cast<unsigned char>(text[text.size() - suffix.size() + i])));
    if (a != suffix[i]) return false;
  }
  return true;
}

bool IsWordStart(char c, const Syntax& syntax) {
  const auto u = static_cast<unsigned char>(c);
  return std::isalpha(u) || c == '_' || u >= 0x80 || syntax.word_chars.find(c) != std::string::npos;
}

bool IsWordChar(char c, const Syntax& syntax) {
  return IsWordStart(c, syntax) || std::isdigit(static_cast<unsigned char>(c));
}

bool StartsWithAt(std::string_view text, size_t at, std::string_view what) {
  return !what.empty() && text.substr(at, what.size()) == what;
}

// The end of a string literal whose opening quote is at `quote_at`.
size_t StringEnd(std::string_view text, size_t quote_at, const Syntax& syntax) {
  const char quote = text[quote_at];
  if (syntax.triple_quotes && text.substr(quote_at, 3) == std::string(3, quote)) {
    const std::string closing(3, quote);
    for (size_t i = quote_at + 3; i < text.size(); ++i) {
      if (syntax.escape != 0 && text[i] == syntax.escape) {
        ++i;
        continue;
      }
      if (text.compare(i, 3, closing) == 0) return i + 3;
    }
    return text.size();
  }
  for (size_t i = quote_at + 1; i < text.size(); ++i) {
    const char c = text[i];
    if (syntax.escape != 0 && c == syntax.escape && !(quote == '\'' && syntax.escape == '`')) {
      ++i;
      continue;
    }
    if (c == quote) {
      if (syntax.doubled_quote_escape && i + 1 < text.size() && text[i + 1] == quote) {
        ++i;
        continue;
      }
      return i + 1;
    }
    // Single-line strings end at the line end when unterminated (Python, C#, HTTP).
    if (c == '\n' && !syntax.doubled_quote_escape && syntax.escape != '`') return i;
  }
  return text.size();
}

}  // namespace

std::string_view ToString(Language language) {
  for (const auto& entry : kLanguageNames) {
    if (entry.language == language) return entry.name;
  }
  return "markup";
}

Result<Language> ParseLanguage(std::string_view text) {
  for (const auto& entry : kLanguageNames) {
    if (entry.name == text) return entry.language;
  }
  return Fail(ErrorCode::kInvalidArgument,
              fmt::format("unknown language '{}' (python, powershell, csharp, http, yara, snort, "
                          "sigma, prose, markup)",
                          text));
}

Language GuessLanguage(std::string_view filename, std::string_view media_type) {
  if (EndsWith(filename, ".py") || media_type == "text/x-python") return Language::kPython;
  if (EndsWith(filename, ".ps1") || EndsWith(filename, ".psm1")) return Language::kPowerShell;
  if (EndsWith(filename, ".cs") || media_type == "text/x-csharp") return Language::kCSharp;
  if (EndsWith(filename, ".http") || media_type == "message/http") return Language::kHttp;
  if (EndsWith(filename, ".yar") || EndsWith(filename, ".yara")) return Language::kYara;
  if (EndsWith(filename, ".rules")) return Language::kSnort;
  if (EndsWith(filename, ".sigma.yml") || EndsWith(filename, ".sigma.yaml") ||
      EndsWith(filename, ".sigma")) {
    return Language::kSigma;
  }
  if (EndsWith(filename, ".md") || EndsWith(filename, ".txt") || media_type == "text/markdown" ||
      media_type == "text/plain") {
    return Language::kProse;
  }
  return Language::kMarkup;
}

Syntax SyntaxFor(Language language) {
  Syntax s;
  switch (language) {
    case Language::kPython:
      s.line_comments = {"#"};
      s.quotes = "\"'";
      s.triple_quotes = true;
      s.string_prefixes = "rRbBuUfF";
      break;
    case Language::kPowerShell:
      s.line_comments = {"#"};
      s.block_comments = {{"<#", "#>"}};
      s.quotes = "\"'";
      s.escape = '`';
      s.doubled_quote_escape = true;
      s.word_chars = "$-";
      break;
    case Language::kCSharp:
      s.line_comments = {"//"};
      s.block_comments = {{"/*", "*/"}};
      s.quotes = "\"'";
      s.string_prefixes = "@$";
      break;
    case Language::kHttp:
      s.quotes = "\"";
      s.escape = 0;
      s.word_chars = "-";
      break;
    case Language::kYara:
      s.line_comments = {"//"};
      s.block_comments = {{"/*", "*/"}};
      s.quotes = "\"";
      s.word_chars = "$#@!";
      break;
    case Language::kSnort:
      s.line_comments = {"#"};
      s.comment_needs_space_before = true;
      s.quotes = "\"";
      s.word_chars = "$";
      break;
    case Language::kSigma:
      s.line_comments = {"#"};
      s.comment_needs_space_before = true;
      s.quotes = "\"'";
      s.doubled_quote_escape = true;
      s.escape = 0;
      s.word_chars = "-";
      break;
    case Language::kProse:
    case Language::kMarkup:
      s.escape = 0;
      break;
  }
  return s;
}

std::vector<Token> Tokenize(std::string_view text, const Syntax& syntax) {
  std::vector<Token> tokens;
  int line = 1;
  size_t i = 0;
  auto count_lines = [&](size_t from, size_t to) {
    for (size_t k = from; k < to && k < text.size(); ++k) line += text[k] == '\n' ? 1 : 0;
  };
  auto push = [&](TokenKind kind, size_t begin, size_t end) {
    tokens.push_back(Token{.kind = kind,
                           .begin = begin,
                           .end = end,
                           .text = text.substr(begin, end - begin),
                           .line = line});
    count_lines(begin, end);
  };
  while (i < text.size()) {
    const char c = text[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      line += c == '\n' ? 1 : 0;
      ++i;
      continue;
    }
    bool comment = false;
    for (const auto& [open, close] : syntax.block_comments) {
      if (StartsWithAt(text, i, open)) {
        const size_t end = text.find(close, i + open.size());
        const size_t stop = end == std::string_view::npos ? text.size() : end + close.size();
        count_lines(i, stop);
        i = stop;
        comment = true;
        break;
      }
    }
    if (comment) continue;
    for (const auto& marker : syntax.line_comments) {
      const bool spaced = !syntax.comment_needs_space_before || i == 0 ||
                          std::isspace(static_cast<unsigned char>(text[i - 1]));
      if (spaced && StartsWithAt(text, i, marker)) {
        const size_t end = text.find('\n', i);
        i = end == std::string_view::npos ? text.size() : end;
        comment = true;
        break;
      }
    }
    if (comment) continue;
    // A string, possibly with a prefix (f"..", @"..", rb'..').
    size_t prefix_end = i;
    while (prefix_end < text.size() && prefix_end - i < 3 &&
           syntax.string_prefixes.find(text[prefix_end]) != std::string::npos) {
      ++prefix_end;
    }
    if (prefix_end < text.size() && syntax.quotes.find(text[prefix_end]) != std::string::npos &&
        (prefix_end == i || i == 0 || !IsWordChar(text[i - 1], syntax))) {
      const size_t end = StringEnd(text, prefix_end, syntax);
      push(TokenKind::kString, i, end);
      i = end;
      continue;
    }
    if (std::isdigit(static_cast<unsigned char>(c))) {
      size_t end = i + 1;
      while (end < text.size() &&
             (std::isalnum(static_cast<unsigned char>(text[end])) || text[end] == '_' ||
              (text[end] == '.' && end + 1 < text.size() &&
               std::isdigit(static_cast<unsigned char>(text[end + 1]))))) {
        ++end;
      }
      push(TokenKind::kNumber, i, end);
      i = end;
      continue;
    }
    if (IsWordStart(c, syntax)) {
      size_t end = i + 1;
      while (end < text.size() && IsWordChar(text[end], syntax)) ++end;
      push(TokenKind::kWord, i, end);
      i = end;
      continue;
    }
    push(TokenKind::kPunct, i, i + 1);
    ++i;
  }
  return tokens;
}

std::string_view StringBody(const Token& token, const Syntax& syntax) {
  if (token.kind != TokenKind::kString) return token.text;
  std::string_view t = token.text;
  size_t start = 0;
  while (start < t.size() && syntax.quotes.find(t[start]) == std::string::npos) ++start;
  if (start >= t.size()) return t;
  const char quote = t[start];
  size_t width = 1;
  if (syntax.triple_quotes && t.substr(start, 3) == std::string(3, quote)) width = 3;
  const size_t body_begin = start + width;
  size_t body_end = t.size();
  if (body_end >= body_begin + width &&
      t.substr(body_end - width, width) == std::string(width, quote)) {
    body_end -= width;
  }
  if (body_end < body_begin) return {};
  return t.substr(body_begin, body_end - body_begin);
}

}  // namespace forewarn::trace
