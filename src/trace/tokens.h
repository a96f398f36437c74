// File: trace/tokens.h
//
// A small lexer shared by the embedders and by extraction. It splits an artifact into words,
// numbers, string literals and punctuation, skipping whitespace and comments, with the rules of
// one language family (Syntax). It does not parse: embedders use the tokens to find variation
// points, and extraction compares token streams, so that re-indentation, re-wrapping and comment
// stripping by a leaker change nothing that is compared.
//
//   auto tokens = trace::Tokenize(source, trace::SyntaxFor(trace::Language::kPython));
//   for (const trace::Token& t : tokens) if (t.kind == trace::TokenKind::kString) ...
//
// Strings: the token spans the whole literal, including a prefix such as Python's f/r/b or C#'s
// @ and $, and the quotes. `StringBody` returns the text between the quotes, which is what
// extraction compares for anchoring (so a leaker changing quote styles keeps the anchors).
// Thread safety: pure functions.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"

namespace forewarn::trace {

// The languages with an automatic embedder. kMarkup is any text with explicit author markup
// only (docs/tracing.md, "Explicit markup"); its lexer is the prose one.
enum class Language {
  kPython,
  kPowerShell,
  kCSharp,
  kHttp,
  kYara,
  kSnort,
  kSigma,
  kProse,
  kMarkup,
};
std::string_view ToString(Language language);
[[nodiscard]] Result<Language> ParseLanguage(std::string_view text);

// Guesses the language from a file name and media type ("poc.py", "text/x-python"); kMarkup when
// nothing matches (then only explicit markup is used).
Language GuessLanguage(std::string_view filename, std::string_view media_type);

struct Syntax {
  std::vector<std::string> line_comments;                           // "#", "//"
  std::vector<std::pair<std::string, std::string>> block_comments;  // {"/*", "*/"}, {"<#", "#>"}
  std::string quotes;                 // characters that open a string: "\"'"
  bool triple_quotes = false;         // Python's """ and '''
  char escape = '\\';                 // '`' in PowerShell; 0 for none
  bool doubled_quote_escape = false;  // '' inside '...' (PowerShell, SQL-like)
  std::string string_prefixes;        // letters/sigils that may prefix a string: "rRbBuUfF"
  std::string word_chars;             // extra characters inside words: "$" (PowerShell, YARA), "-"
  bool comment_needs_space_before = false;  // '#' starts a comment only after whitespace (Snort)
};

Syntax SyntaxFor(Language language);

enum class TokenKind { kWord, kNumber, kString, kPunct };

struct Token {
  TokenKind kind = TokenKind::kPunct;
  size_t begin = 0;  // byte offsets in the tokenized text
  size_t end = 0;
  std::string_view text;  // view into the tokenized text
  int line = 1;           // 1-based line of `begin`
};

// Every token of `text`. Never fails: an unterminated string or comment runs to the end of the
// text. Punctuation tokens are single characters.
std::vector<Token> Tokenize(std::string_view text, const Syntax& syntax);

// The text between a string token's quotes (prefix and quotes removed); the token text itself
// for other kinds.
std::string_view StringBody(const Token& token, const Syntax& syntax);

}  // namespace forewarn::trace
