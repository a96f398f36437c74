// File: policy/language_lexer.h (internal to policy/)
//
// Splits a policy text into tokens with their byte offsets and 1-based line and column
// (columns count bytes). Lexical errors become diagnostics and kInvalid tokens; the parser
// treats a kInvalid token as an error that has already been reported.
//
//   std::vector<Diagnostic> diagnostics;
//   std::vector<Token> tokens = Lex("permit advisory; # comment", diagnostics);
//   // kPermit, kAdvisory, kSemicolon, kEnd
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "policy/policy.h"

namespace forewarn::policy::language {

enum class TokenKind : uint8_t {
  kEnd,         // end of input (always the last token)
  kInvalid,     // a lexical error, already reported
  kIdentifier,  // [A-Za-z_][A-Za-z0-9_.-]* that is not a keyword
  kString,      // "..." (value holds the decoded text)
  kNumber,      // 12 or 9.8
  kDuration,    // 48h, 2d, 30m, 45s, 1w
  kLParen,
  kRParen,
  kLBracket,
  kRBracket,
  kComma,
  kSemicolon,
  kEq,  // ==
  kNe,  // !=
  kLt,
  kLe,
  kGt,
  kGe,
  kPlus,
  kMinus,
  // Keywords (lower case, reserved).
  kRule,
  kPermit,
  kForbid,
  kSubstitute,
  kAdvisory,
  kArtifact,
  kWhen,
  kOr,
  kAnd,
  kNot,
  kTrue,
  kFalse,
  kIn,
  kContains,
  kAny,
  kAll,
};

// A 1-based source position.
struct Pos {
  int line = 0;
  int column = 0;
};

struct Token {
  TokenKind kind = TokenKind::kEnd;
  std::string_view text;  // the raw source slice (borrowed from the lexed text)
  std::string value;      // kString: the decoded contents
  size_t begin = 0;       // byte offsets [begin, end) in the source
  size_t end = 0;
  Pos pos;
};

// Tokenizes `source`. The returned tokens borrow `source`; it must outlive them. Appends one
// error diagnostic per lexical problem and always ends the vector with a kEnd token.
std::vector<Token> Lex(std::string_view source, std::vector<Diagnostic>& diagnostics);

// How a token is named in messages: 'permit', "a string", end of input.
std::string Describe(const Token& token);

// True for the keywords that can only start a rule (used to resynchronize after an error).
bool StartsRule(TokenKind kind);

// The smallest number of single-byte insertions, deletions, substitutions and swaps of two
// neighbouring bytes that turn `a` into `b` (optimal string alignment distance).
int EditDistance(std::string_view a, std::string_view b);

// The candidate closest to `word` within edit distance 2 and at most a third of its length
// (the first one on ties), or "" if none is that close.
std::string_view Closest(std::string_view word, const std::vector<std::string_view>& candidates);

}  // namespace forewarn::policy::language
