// The Python embedder: variation points and canaries found in a Python PoC from the lexer's
// tokens, with the line and indentation structure taken from the text. Families:
//   import-order     runs of >= 2 consecutive top-level `import x` / `from x import y` lines
//   statement-order  runs of >= 2 consecutive top-level `NAME = <literal>` lines
//   def-order        runs of >= 2 consecutive top-level def blocks (decorators included)
//   entry-order      dict displays with >= 2 entries keyed by distinct plain strings and
//                    call-free values
//   keyword-order    the trailing keyword arguments (>= 2) of a call, call-free values
//   identifier       local names from a synonym table, renamed everywhere together
//   list-order       the exception classes of `except (A, B):`
//   quote-style      "body" / 'body' for plain one-line strings without escapes (inner quotes
//                    of the other kind are escaped in the other form)
//   header-case      keys of HTTP header dicts: quote style x Title/lower case
//   literal-form     integers 2..4096 as decimal/hex (not inside [...]); URL paths "/a/b/c" as a
//                    `+` concatenation (x quote style), parenthesized where precedence needs it
// Canaries: a dropped file name or a marker assigned to a top-level name, and a User-Agent
// header value; every occurrence inside string literals is replaced. Anything doubtful (side
// effects, names used as attributes or keywords, escapes, dynamic name lookups) is skipped, so
// every variant parses and behaves as the master does.
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "trace/embed_code_util.h"
#include "trace/embed_internal.h"

namespace forewarn::trace::internal {
namespace {

constexpr int kMinLiteralNumber = 2;
constexpr int kMaxLiteralNumber = 4096;

// Python keywords (and soft keywords) that never name a local variable.
const std::set<std::string_view>& Keywords() {
  static const std::set<std::string_view> kKeywords = {
      "False",   "None",     "True",     "and",    "as",   "assert", "async",  "await",
      "break",   "class",    "continue", "def",    "del",  "elif",   "else",   "except",
      "finally", "for",      "from",     "global", "if",   "import", "in",     "is",
      "lambda",  "nonlocal", "not",      "or",     "pass", "raise",  "return", "try",
      "while",   "with",     "yield",    "match",  "case"};
  return kKeywords;
}

// Synonym groups for local names (snake_case). The first member of a group is the name looked
// up; the others are its alternatives. None is a keyword or a builtin the code could rely on.
const std::map<std::string_view, std::vector<std::string_view>>& Synonyms() {
  static const std::map<std::string_view, std::vector<std::string_view>> kSynonyms = {
      {"response", {"reply", "answer", "http_reply"}},
      {"request", {"http_request", "outgoing", "prepared"}},
      {"headers", {"hdrs", "header_map", "http_fields"}},
      {"body", {"payload", "data_bytes", "post_data"}},
      {"url", {"target_url", "address", "endpoint"}},
      {"base_url", {"root_url", "site_root", "origin"}},
      {"marker", {"token_text", "expected_marker", "needle"}},
      {"fields", {"form_fields", "params", "form_data"}},
      {"error", {"err", "exc", "failure"}},
      {"status", {"status_code", "http_status", "result_code"}},
      {"args", {"options", "parsed", "cli_args"}},
      {"parser", {"arg_parser", "cli", "argp"}},
      {"upload_name", {"page_name", "file_name", "drop_name"}},
      {"argv", {"arguments", "cmdline", "raw_args"}},
      {"data", {"blob", "raw_data", "chunk"}},
      {"text", {"page_text", "html_text", "content_text"}},
      {"content", {"raw_content", "page_body", "doc"}},
      {"path", {"route", "rel_path", "location"}},
      {"result", {"outcome", "verdict", "ret"}},
      {"host", {"hostname", "server", "target_host"}},
      {"port", {"port_num", "tcp_port", "service_port"}},
      {"session", {"sess", "http_session", "client"}},
      {"payload", {"blob_data", "post_body", "wire_data"}},
      {"timeout", {"wait_seconds", "time_limit", "deadline"}},
      {"target", {"victim", "site_url", "dest"}},
      {"cmd", {"command", "shell_cmd", "command_line"}},
      {"output", {"out_text", "captured", "report"}},
      {"token", {"secret", "auth_token", "cred"}},
      {"page", {"html", "markup", "document"}},
  };
  return kSynonyms;
}

// Well-known HTTP header names (lower case) that mark a dict as a header dict.
bool IsKnownHeader(std::string_view name) {
  static const std::set<std::string, std::less<>> kHeaders = {"accept",
                                                              "accept-encoding",
                                                              "accept-language",
                                                              "authorization",
                                                              "cache-control",
                                                              "connection",
                                                              "content-length",
                                                              "content-type",
                                                              "cookie",
                                                              "host",
                                                              "origin",
                                                              "pragma",
                                                              "referer",
                                                              "user-agent",
                                                              "x-requested-with",
                                                              "x-forwarded-for",
                                                              "upgrade-insecure-requests"};
  return kHeaders.count(Lower(name)) > 0;
}

// A logical statement: tokens [first, last] with the physical lines it covers.
struct Statement {
  size_t first = 0;
  size_t last = 0;
  int begin_line = 0;  // 1-based
  int end_line = 0;    // 1-based, inclusive
  size_t indent = 0;   // column of the first token
};

// A plain string literal's parts.
struct StringParts {
  std::string prefix;  // "", "r", "b", "u" (any case)
  char quote = '"';
  std::string_view body;
};

class PythonEmbedder {
 public:
  explicit PythonEmbedder(std::string_view text)
      : text_(text),
        syntax_(SyntaxFor(Language::kPython)),
        tokens_(Tokenize(text, syntax_)),
        lines_(SplitCodeLines(text)) {}

  FoundMarks Run() {
    MatchBrackets();
    SplitStatements();
    FindCanaries();
    FindImportOrder();
    FindStatementOrder();
    FindDefOrder();
    FindDictEntries();
    FindKeywordOrder();
    FindExceptTuples();
    FindIdentifiers();
    FindNumbers();
    FindStrings();
    return std::move(found_);
  }

 private:
  // ---- Token helpers -------------------------------------------------------------------

  bool Punct(size_t i, char c) const { return i < tokens_.size() && IsPunctToken(tokens_[i], c); }
  bool Word(size_t i, std::string_view w) const {
    return i < tokens_.size() && IsWordToken(tokens_[i], w);
  }
  int EndLine(const Token& t) const {
    return t.line + static_cast<int>(std::count(t.text.begin(), t.text.end(), '\n'));
  }
  size_t LineEnd(int line) const { return lines_[static_cast<size_t>(line - 1)].end; }
  size_t LineBegin(int line) const { return lines_[static_cast<size_t>(line - 1)].begin; }

  // The prefix, quote and body of a one-line, non-triple-quoted string without an f prefix;
  // nullopt otherwise.
  std::optional<StringParts> PlainString(const Token& t) const {
    if (t.kind != TokenKind::kString) return std::nullopt;
    std::string_view s = t.text;
    size_t p = 0;
    while (p < s.size() && s[p] != '"' && s[p] != '\'') ++p;
    if (p >= s.size() || p > 1) return std::nullopt;
    const std::string prefix(s.substr(0, p));
    if (!prefix.empty() && std::string_view("rRbBuU").find(prefix[0]) == std::string_view::npos) {
      return std::nullopt;
    }
    const char quote = s[p];
    if (s.size() < p + 2 || s.back() != quote) return std::nullopt;
    if (s.size() >= p + 3 && s[p + 1] == quote && s[p + 2] == quote) return std::nullopt;
    return StringParts{prefix, quote, s.substr(p + 1, s.size() - p - 2)};
  }

  // Whether a plain string may switch quotes: no quote, backslash or newline in its body.
  static bool QuoteFree(const StringParts& parts) {
    return parts.body.find_first_of("\"'\\\n\r") == std::string_view::npos;
  }

  static std::string Quoted(const StringParts& parts, char quote, std::string_view body) {
    return parts.prefix + quote + std::string(body) + quote;
  }

  static const char* StyleOf(char quote) { return quote == '"' ? "double" : "single"; }

  bool IsFString(const Token& t) const {
    if (t.kind != TokenKind::kString) return false;
    for (char c : t.text) {
      if (c == '"' || c == '\'') break;
      if (c == 'f' || c == 'F') return true;
    }
    return false;
  }

  // ---- Structure -----------------------------------------------------------------------

  void MatchBrackets() {
    match_.assign(tokens_.size(), kNone);
    depth_.assign(tokens_.size(), 0);
    std::vector<size_t> stack;
    for (size_t i = 0; i < tokens_.size(); ++i) {
      const Token& t = tokens_[i];
      depth_[i] = static_cast<int>(stack.size());
      if (t.kind != TokenKind::kPunct) continue;
      const char c = t.text[0];
      if (c == '(' || c == '[' || c == '{') {
        stack.push_back(i);
      } else if (c == ')' || c == ']' || c == '}') {
        if (stack.empty()) {
          balanced_ = false;
          continue;
        }
        const char open = tokens_[stack.back()].text[0];
        if ((open == '(' && c != ')') || (open == '[' && c != ']') || (open == '{' && c != '}')) {
          balanced_ = false;
        }
        match_[stack.back()] = i;
        match_[i] = stack.back();
        stack.pop_back();
        depth_[i] = static_cast<int>(stack.size());
      }
    }
    if (!stack.empty()) balanced_ = false;
  }

  // Groups tokens into logical statements: a new one starts on a new line at bracket depth 0
  // unless the previous line ended with a backslash, or at a ';'.
  void SplitStatements() {
    for (size_t i = 0; i < tokens_.size(); ++i) {
      const Token& t = tokens_[i];
      bool starts = statements_.empty();
      if (!starts) {
        const Token& prev = tokens_[i - 1];
        const bool closer = t.kind == TokenKind::kPunct &&
                            std::string_view(")]}").find(t.text[0]) != std::string_view::npos;
        starts = depth_[i] == 0 && !closer && t.line > EndLine(prev) && !IsPunctToken(prev, '\\');
      }
      if (starts) {
        statements_.push_back(Statement{.first = i,
                                        .last = i,
                                        .begin_line = t.line,
                                        .end_line = EndLine(t),
                                        .indent = t.begin - LineBegin(t.line)});
      }
      if (starts) statement_starts_.insert(i);
      statements_.back().last = i;
      statements_.back().end_line = std::max(statements_.back().end_line, EndLine(t));
      if (IsPunctToken(t, ';') && depth_[i] == 0) has_semicolon_.insert(statements_.size() - 1);
    }
    // Top-level def blocks (with their decorators) and what encloses each token.
    block_of_token_.assign(tokens_.size(), kNone);
    for (size_t s = 0; s < statements_.size(); ++s) {
      if (statements_[s].indent != 0) continue;
      size_t head = s;
      while (head < statements_.size() && statements_[head].indent == 0 &&
             Punct(statements_[head].first, '@')) {
        ++head;
      }
      if (head >= statements_.size() || statements_[head].indent != 0) continue;
      size_t def_token = statements_[head].first;
      if (Word(def_token, "async")) ++def_token;
      const bool has_name =
          def_token + 1 < tokens_.size() && tokens_[def_token + 1].kind == TokenKind::kWord;
      const bool is_def = Word(def_token, "def") && has_name;
      size_t end = head;
      while (end + 1 < statements_.size() && statements_[end + 1].indent > 0) ++end;
      Block block{
          .first_statement = s,
          .head_statement = head,
          .last_statement = end,
          .is_def = is_def,
      };
      if (block.is_def) {
        block.name = std::string(tokens_[def_token + 1].text);
        block.name_token = def_token + 1;
      }
      for (size_t k = statements_[s].first; k <= statements_[end].last; ++k) {
        block_of_token_[k] = blocks_.size();
      }
      blocks_.push_back(block);
      s = end;
    }
  }

  // ---- Canaries ------------------------------------------------------------------------

  void AddCanary(CanarySlot slot, std::string_view original, bool whole_file_name) {
    auto spans = SpansInStrings(tokens_, syntax_, original, whole_file_name,
                                [](const Token&) { return true; });
    AddCanaryPlacement(found_, std::move(slot), std::string(original), std::move(spans));
  }

  void FindCanaries() {
    bool have_upload = false;
    bool have_marker = false;
    for (const Statement& st : statements_) {
      // NAME = "string" at the top level.
      if (st.indent != 0 || st.last != st.first + 2) continue;
      const Token& name = tokens_[st.first];
      if (name.kind != TokenKind::kWord || !Punct(st.first + 1, '=')) continue;
      const auto parts = PlainString(tokens_[st.first + 2]);
      if (!parts || !QuoteFree(*parts)) continue;
      const std::string lower_name = Lower(name.text);
      if (!have_upload && IsDroppedFileName(parts->body)) {
        have_upload = true;
        AddCanary(CanarySlot{.name = "upload",
                             .kind = CanaryKind::kFileName,
                             .pattern = FileNamePattern(parts->body)},
                  parts->body, true);
      } else if (!have_marker && lower_name.find("marker") != std::string::npos &&
                 parts->body.size() >= 6 &&
                 std::any_of(parts->body.begin(), parts->body.end(),
                             [](char c) { return std::isalpha(static_cast<unsigned char>(c)); })) {
        have_marker = true;
        AddCanary(CanarySlot{.name = "marker",
                             .kind = CanaryKind::kMarker,
                             .pattern = MarkerPattern(parts->body)},
                  parts->body, false);
      }
    }
    // A User-Agent header value: "User-Agent": "..." in a dict display.
    for (size_t i = 0; i + 2 < tokens_.size(); ++i) {
      const auto key = PlainString(tokens_[i]);
      if (!key || Lower(key->body) != "user-agent" || !Punct(i + 1, ':')) continue;
      const auto value = PlainString(tokens_[i + 2]);
      if (!value || !QuoteFree(*value) || value->body.size() < 3) continue;
      AddCanary(CanarySlot{.name = "ua",
                           .kind = CanaryKind::kUserAgent,
                           .pattern = std::string(value->body) + " ({id})"},
                value->body, false);
      break;
    }
  }

  bool HoldsCanary(const Token& t) const {
    return std::any_of(found_.canaries.begin(), found_.canaries.end(), [&](const auto& c) {
      return std::any_of(c.spans.begin(), c.spans.end(),
                         [&](const Span& s) { return s.begin >= t.begin && s.end <= t.end; });
    });
  }

  // ---- Line orders ---------------------------------------------------------------------

  Span LineSpan(const Statement& st) const {
    return Span{LineBegin(st.begin_line), LineEnd(st.end_line)};
  }

  // Emits an order point for each run of consecutive (adjacent-line) statements accepted by
  // `accept`; `key` must be distinct within a run (or empty to ignore).
  template <class Accept>
  void LineRuns(const std::string& family, const std::string& what, const Accept& accept) {
    std::vector<Span> run;
    int last_line = -1;
    auto flush = [&]() {
      if (run.size() >= 2 && DistinctItems(text_, run)) {
        found_.points.push_back(
            MakeOrderPoint(family,
                           fmt::format("order of the {} {} at line {}", run.size(), what,
                                       LineNumberAt(text_, run.front().begin)),
                           run));
      }
      run.clear();
    };
    for (size_t s = 0; s < statements_.size(); ++s) {
      const Statement& st = statements_[s];
      const bool ok = st.indent == 0 && st.begin_line == st.end_line &&
                      has_semicolon_.count(s) == 0 && accept(st);
      if (!ok || (!run.empty() && st.begin_line != last_line + 1)) flush();
      if (ok) {
        run.push_back(LineSpan(st));
        last_line = st.end_line;
      }
    }
    flush();
  }

  void FindImportOrder() {
    LineRuns("import-order", "imports", [&](const Statement& st) {
      if (Word(st.first, "import")) return true;
      return Word(st.first, "from") && !Word(st.first + 1, "__future__") &&
             !Punct(st.first + 1, '.');
    });
  }

  void FindStatementOrder() {
    // Each run's names must be distinct; a repeated name ends the run before it.
    std::set<std::string_view> names;
    LineRuns("statement-order", "constant assignments", [&](const Statement& st) {
      const Token& name = tokens_[st.first];
      if (name.kind != TokenKind::kWord || Keywords().count(name.text) > 0) return false;
      if (!Punct(st.first + 1, '=') || Punct(st.first + 2, '=') || st.last < st.first + 2) {
        return false;
      }
      for (size_t k = st.first + 2; k <= st.last; ++k) {
        const Token& t = tokens_[k];
        const bool literal = t.kind == TokenKind::kNumber ||
                             (t.kind == TokenKind::kString && !IsFString(t)) ||
                             (t.kind == TokenKind::kPunct &&
                              std::string_view("(),-").find(t.text[0]) != std::string_view::npos);
        if (!literal) return false;
      }
      return names.insert(name.text).second;
    });
  }

  void FindDefOrder() {
    std::vector<size_t> run;  // block indexes
    auto flush = [&]() {
      if (run.size() >= 2) {
        std::set<std::string> names;
        bool ok = true;
        for (size_t b : run) ok = ok && names.insert(blocks_[b].name).second;
        // Decorators and signatures are evaluated at definition time: they must not use a
        // function of the run.
        for (size_t b : run) {
          const Block& block = blocks_[b];
          const size_t head_end = statements_[block.head_statement].last;
          for (size_t k = statements_[block.first_statement].first; ok && k <= head_end; ++k) {
            if (Punct(k, ':') && depth_[k] == 0) break;
            if (k != block.name_token && tokens_[k].kind == TokenKind::kWord &&
                names.count(std::string(tokens_[k].text)) > 0) {
              ok = false;
            }
          }
        }
        std::vector<Span> items;
        for (size_t b : run) {
          const Block& block = blocks_[b];
          items.push_back(Span{LineBegin(statements_[block.first_statement].begin_line),
                               LineEnd(statements_[block.last_statement].end_line)});
        }
        if (ok && DistinctItems(text_, items)) {
          found_.points.push_back(
              MakeOrderPoint("def-order",
                             fmt::format("order of the {} functions at line {}", items.size(),
                                         LineNumberAt(text_, items.front().begin)),
                             items));
        }
      }
      run.clear();
    };
    size_t block = 0;
    for (size_t s = 0; s < statements_.size(); ++s) {
      if (statements_[s].indent != 0) continue;
      while (block < blocks_.size() && blocks_[block].first_statement < s) ++block;
      const bool is_def =
          block < blocks_.size() && blocks_[block].first_statement == s && blocks_[block].is_def;
      if (!is_def) {
        flush();
        continue;
      }
      run.push_back(block);
      s = blocks_[block].last_statement;
    }
    flush();
  }

  // ---- Dicts and calls ------------------------------------------------------------------

  // The comma-separated elements of a bracket pair at its own depth, as [first, last].
  std::vector<std::pair<size_t, size_t>> Elements(size_t open) const {
    std::vector<std::pair<size_t, size_t>> out;
    const size_t close = match_[open];
    size_t start = open + 1;
    for (size_t k = open + 1; k <= close; ++k) {
      if (k == close || (Punct(k, ',') && depth_[k] == depth_[open] + 1)) {
        if (k > start) out.emplace_back(start, k - 1);
        start = k + 1;
      }
    }
    return out;
  }

  // Whether tokens [first, last] are an expression without calls or side effects: names,
  // literals (no f-strings), attribute access and '+'.
  bool CallFree(size_t first, size_t last) const {
    static const std::set<std::string_view> kBad = {
        "await", "yield", "lambda", "not", "and", "or", "if", "else", "for", "in", "is", "async"};
    if (first > last) return false;
    for (size_t k = first; k <= last; ++k) {
      const Token& t = tokens_[k];
      switch (t.kind) {
        case TokenKind::kString:
          if (IsFString(t)) return false;
          break;
        case TokenKind::kNumber:
          break;
        case TokenKind::kWord:
          if (kBad.count(t.text) > 0) return false;
          break;
        case TokenKind::kPunct:
          if (!IsPunctToken(t, '.') && !IsPunctToken(t, '+')) return false;
          break;
      }
    }
    return true;
  }

  // Whether the bracket at `open` is a call's argument list.
  bool IsCall(size_t open) const {
    if (open == 0 || !Punct(open, '(')) return false;
    const Token& prev = tokens_[open - 1];
    if (prev.kind == TokenKind::kWord) {
      if (Keywords().count(prev.text) > 0) return false;
      return !(open >= 2 && (Word(open - 2, "def") || Word(open - 2, "class")));
    }
    return IsPunctToken(prev, ')') || IsPunctToken(prev, ']');
  }

  void FindDictEntries() {
    if (!balanced_) return;
    // Keys whose text occurs in no other string, so that extraction can locate each entry.
    std::map<std::string, int> string_body_count;
    for (const Token& t : tokens_) {
      if (t.kind == TokenKind::kString) ++string_body_count[std::string(StringBody(t, syntax_))];
    }
    for (size_t open = 0; open < tokens_.size(); ++open) {
      if (!Punct(open, '{') || match_[open] == kNone) continue;
      const auto elements = Elements(open);
      if (elements.size() < 2) continue;
      std::vector<Span> items;
      std::vector<size_t> keys;
      std::set<std::string> bodies;
      std::set<std::string> lower_bodies;
      bool ok = true;
      bool locatable = true;
      for (const auto& [first, last] : elements) {
        const auto key = PlainString(tokens_[first]);
        if (!key || (!key->prefix.empty() && Lower(key->prefix) != "u") ||
            key->body.find('\\') != std::string_view::npos || !Punct(first + 1, ':') ||
            !CallFree(first + 2, last) || !bodies.insert(std::string(key->body)).second) {
          ok = false;
          break;
        }
        lower_bodies.insert(Lower(key->body));
        locatable = locatable && string_body_count[std::string(key->body)] == 1;
        keys.push_back(first);
        items.push_back(Span{tokens_[first].begin, tokens_[last].end});
      }
      if (!ok) continue;
      if (locatable) {
        found_.points.push_back(
            MakeOrderPoint("entry-order",
                           fmt::format("order of the {} entries of the dict at line {}",
                                       items.size(), tokens_[open].line),
                           items));
      }
      // Header dicts (every key a Title-Case header name, one of them a well-known header): the
      // keys may change case, which HTTP libraries ignore, when no two keys then collide.
      auto title_header = [&](size_t k) {
        const std::string_view body = StringBody(tokens_[k], syntax_);
        return IsHeaderName(body) && body == TitleCaseHeader(body) &&
               (body.find('-') != std::string_view::npos || IsKnownHeader(body));
      };
      const bool header_dict = lower_bodies.size() == bodies.size() &&
                               std::all_of(keys.begin(), keys.end(), title_header) &&
                               std::any_of(keys.begin(), keys.end(), [&](size_t k) {
                                 return IsKnownHeader(StringBody(tokens_[k], syntax_));
                               });
      if (header_dict) {
        for (size_t k : keys) header_keys_.insert(k);
      }
    }
  }

  void FindKeywordOrder() {
    if (!balanced_) return;
    for (size_t open = 0; open < tokens_.size(); ++open) {
      if (!IsCall(open) || match_[open] == kNone) continue;
      const auto elements = Elements(open);
      bool starred = false;
      for (const auto& [first, last] : elements) starred = starred || Punct(first, '*');
      if (starred) continue;
      std::vector<Span> items;
      for (auto it = elements.rbegin(); it != elements.rend(); ++it) {
        const auto [first, last] = *it;
        const bool keyword = tokens_[first].kind == TokenKind::kWord && Punct(first + 1, '=') &&
                             !Punct(first + 2, '=') && CallFree(first + 2, last);
        if (!keyword) break;
        items.insert(items.begin(), Span{tokens_[first].begin, tokens_[last].end});
      }
      if (items.size() >= 2 && DistinctItems(text_, items)) {
        found_.points.push_back(
            MakeOrderPoint("keyword-order",
                           fmt::format("order of the {} keyword arguments of the call at line {}",
                                       items.size(), tokens_[open].line),
                           items));
      }
    }
  }

  // The exception classes of `except (A, b.B):` match whatever their order.
  void FindExceptTuples() {
    if (!balanced_) return;
    for (size_t i = 0; i + 1 < tokens_.size(); ++i) {
      if (!Word(i, "except") || !Punct(i + 1, '(') || match_[i + 1] == kNone) continue;
      std::vector<Span> items;
      bool ok = true;
      for (const auto& [first, last] : Elements(i + 1)) {
        for (size_t k = first; k <= last; ++k) {
          const bool dotted =
              (k - first) % 2 == 0 ? tokens_[k].kind == TokenKind::kWord : Punct(k, '.');
          ok = ok && dotted;
        }
        ok = ok && (last - first) % 2 == 0;
        items.push_back(Span{tokens_[first].begin, tokens_[last].end});
      }
      if (ok && items.size() >= 2 && DistinctItems(text_, items)) {
        found_.points.push_back(
            MakeOrderPoint("list-order",
                           fmt::format("order of the {} exception classes at line {}", items.size(),
                                       tokens_[i].line),
                           items));
      }
    }
  }

  // ---- Identifiers ------------------------------------------------------------------------

  void FindIdentifiers() {
    if (!balanced_) return;
    static const std::set<std::string_view> kDynamic = {
        "globals",          "locals",  "eval",      "exec", "getattr",
        "setattr",          "hasattr", "delattr",   "vars", "__dict__",
        "__getattribute__", "compile", "__import__"};
    std::set<std::string_view> words;
    for (const Token& t : tokens_) {
      if (t.kind != TokenKind::kWord) continue;
      if (kDynamic.count(t.text) > 0) return;
      words.insert(t.text);
    }
    std::vector<std::string_view> string_texts;
    for (const Token& t : tokens_) {
      if (t.kind == TokenKind::kString) string_texts.push_back(t.text);
    }
    // Names that may not be renamed.
    std::set<std::string_view> blocked;
    for (size_t i = 0; i < tokens_.size(); ++i) {
      const Token& t = tokens_[i];
      if (t.kind != TokenKind::kWord) continue;
      const bool after_dot = i > 0 && Punct(i - 1, '.');
      const bool keyword_arg = depth_[i] > 0 && Punct(i + 1, '=') && !Punct(i + 2, '=');
      // Module-level code, decorators and def/class names are not local.
      const size_t b = block_of_token_[i];
      const bool outside_def =
          b == kNone || !blocks_[b].is_def || i < statements_[blocks_[b].head_statement].first;
      const bool defined_name = i > 0 && (Word(i - 1, "def") || Word(i - 1, "class"));
      if (after_dot || keyword_arg || outside_def || defined_name) blocked.insert(t.text);
    }
    for (const Statement& st : statements_) {
      const Token& head = tokens_[st.first];
      if (IsWordToken(head, "import") || IsWordToken(head, "from") || IsWordToken(head, "global") ||
          IsWordToken(head, "nonlocal")) {
        for (size_t k = st.first; k <= st.last; ++k) blocked.insert(tokens_[k].text);
      }
    }
    // Parameters of functions called with keywords or used other than by a plain call.
    for (size_t i = 0; i + 2 < tokens_.size(); ++i) {
      if (!Word(i, "def") || tokens_[i + 1].kind != TokenKind::kWord || !Punct(i + 2, '(')) {
        continue;
      }
      const std::string_view fn = tokens_[i + 1].text;
      bool keyword_calls = false;
      for (size_t k = 0; k < tokens_.size(); ++k) {
        if (k == i + 1 || !IsWordToken(tokens_[k], fn)) continue;
        if (!Punct(k + 1, '(') || match_[k + 1] == kNone || (k > 0 && Punct(k - 1, '.'))) {
          keyword_calls = true;
          continue;
        }
        for (size_t a = k + 2; a < match_[k + 1]; ++a) {
          if (depth_[a] == depth_[k + 1] + 1 && Punct(a, '=') && !Punct(a + 1, '=') &&
              !Punct(a - 1, '=') && !Punct(a - 1, '!') && !Punct(a - 1, '<') &&
              !Punct(a - 1, '>')) {
            keyword_calls = true;
          }
          if (depth_[a] == depth_[k + 1] + 1 && Punct(a, '*')) keyword_calls = true;
        }
      }
      if (!keyword_calls || match_[i + 2] == kNone) continue;
      for (size_t a = i + 3; a < match_[i + 2]; ++a) {
        if (tokens_[a].kind == TokenKind::kWord) blocked.insert(tokens_[a].text);
      }
    }
    // Names bound in this file (parameters, `name =`, `as name`, `for name`): a name only read
    // may be a builtin or come from a star import, and renaming it would break the code.
    std::set<std::string_view> bound;
    for (size_t i = 0; i < tokens_.size(); ++i) {
      if (tokens_[i].kind != TokenKind::kWord) continue;
      if (Word(i, "import") && Punct(i + 1, '*')) return;
      const bool assigned = depth_[i] == 0 && Punct(i + 1, '=') && !Punct(i + 2, '=') &&
                            (i == 0 || statement_starts_.count(i) > 0);
      const bool as_or_for = i > 0 && (Word(i - 1, "as") || Word(i - 1, "for"));
      if (assigned || as_or_for) bound.insert(tokens_[i].text);
      if (Word(i, "def") && i + 2 < tokens_.size() && Punct(i + 2, '(') && match_[i + 2] != kNone) {
        for (size_t a = i + 3; a < match_[i + 2]; ++a) {
          const bool param_start = Punct(a - 1, '(') || Punct(a - 1, ',') || Punct(a - 1, '*');
          if (tokens_[a].kind == TokenKind::kWord && depth_[a] == depth_[i + 2] + 1 &&
              param_start) {
            bound.insert(tokens_[a].text);
          }
        }
      }
    }
    std::set<std::string> used_alternatives;
    for (const auto& [name, alternatives] : Synonyms()) {
      if (words.count(name) == 0 || blocked.count(name) > 0 || bound.count(name) == 0) continue;
      auto in_format = [&](std::string_view n) {
        const std::string percent = "%(" + std::string(n) + ")";
        for (size_t i = 0; i < tokens_.size(); ++i) {
          const Token& t = tokens_[i];
          if (t.kind != TokenKind::kString) continue;
          if (IsFString(t) && t.text.find(n) != std::string_view::npos) return true;
          if (t.text.find(percent) != std::string_view::npos) return true;
          if (t.text.find("{" + std::string(n)) != std::string_view::npos) return true;
        }
        return false;
      };
      if (in_format(name)) continue;
      std::vector<std::string> forms = {std::string(name)};
      for (std::string_view alt : alternatives) {
        if (words.count(alt) > 0 || used_alternatives.count(std::string(alt)) > 0 ||
            in_format(alt)) {
          continue;
        }
        forms.emplace_back(alt);
      }
      forms.resize(forms.size() >= 4 ? 4 : (forms.size() >= 2 ? 2 : 0));
      if (forms.empty()) continue;
      VariationPoint point{.family = "identifier",
                           .description = fmt::format("name of the local `{}`", name),
                           .shape = PointShape::kChoice,
                           .read_globally = true};
      for (size_t i = 0; i < tokens_.size(); ++i) {
        if (IsWordToken(tokens_[i], name))
          point.spans.push_back(Span{tokens_[i].begin, tokens_[i].end});
      }
      for (const std::string& form : forms) {
        point.forms.emplace_back(point.spans.size(), form);
        used_alternatives.insert(form);
      }
      found_.points.push_back(std::move(point));
    }
  }

  // ---- Literals ------------------------------------------------------------------------

  // Whether token i lies inside square brackets (an index, slice or list display).
  bool InsideSquare(size_t i) const {
    for (size_t k = i; k-- > 0;) {
      if (Punct(k, '[') && match_[k] != kNone && match_[k] > i) return true;
    }
    return false;
  }

  void FindNumbers() {
    if (!balanced_) return;
    for (size_t i = 0; i < tokens_.size(); ++i) {
      const Token& t = tokens_[i];
      if (t.kind != TokenKind::kNumber || t.text.size() > 4 || t.text[0] == '0') continue;
      if (!std::all_of(t.text.begin(), t.text.end(),
                       [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
        continue;
      }
      const int value = std::stoi(std::string(t.text));
      if (value < kMinLiteralNumber || value > kMaxLiteralNumber) continue;
      if (Punct(i + 1, '.') || (i > 0 && Punct(i - 1, '.')) || InsideSquare(i)) continue;
      // The exponent of a float the lexer split ("1e-9" is "1e", "-", "9").
      if (i >= 2 && tokens_[i - 1].end == t.begin && tokens_[i - 2].end == tokens_[i - 1].begin &&
          tokens_[i - 2].kind == TokenKind::kNumber) {
        continue;
      }
      if (i + 1 < tokens_.size() && tokens_[i + 1].begin == t.end &&
          tokens_[i + 1].kind != TokenKind::kPunct) {
        continue;
      }
      found_.points.push_back(MakeChoicePoint(
          "literal-form", fmt::format("decimal or hex form of {} at line {}", value, t.line),
          Span{t.begin, t.end}, {std::string(t.text), fmt::format("0x{:x}", value)},
          {"decimal", "hex"}));
    }
  }

  // Any other plain string long enough to split: at least 6 printable ASCII characters and no
  // backslash (so no escape sequence is cut in two).
  static bool Splittable(std::string_view body) {
    return body.size() >= 6 && std::all_of(body.begin(), body.end(), [](char c) {
             return c >= 0x20 && c < 0x7f && c != '\\';
           });
  }

  // Up to 3 cut positions in `body`: after word boundaries first, then at a quarter, a half and
  // three quarters of its length. Never next to a space: extraction ignores whitespace, so
  // "a " + "b" and "a" + " b" would read alike.
  static std::vector<size_t> Cuts(std::string_view body) {
    std::vector<size_t> cuts;
    auto usable = [&](size_t cut) {
      return cut > 0 && cut < body.size() && body[cut - 1] != ' ' && body[cut] != ' ' &&
             std::find(cuts.begin(), cuts.end(), cut) == cuts.end();
    };
    for (size_t k = 1; k + 2 < body.size() && cuts.size() < 3; ++k) {
      if (std::string_view("/-._,;:").find(body[k]) != std::string_view::npos && usable(k + 1)) {
        cuts.push_back(k + 1);
      }
    }
    for (size_t f = 1; f <= 3 && cuts.size() < 3; ++f) {
      for (size_t cut = body.size() * f / 4; cut < body.size(); ++cut) {
        if (usable(cut)) {
          cuts.push_back(cut);
          break;
        }
      }
    }
    std::sort(cuts.begin(), cuts.end());
    return cuts;
  }

  static bool IsUrlPath(std::string_view body) {
    if (body.size() < 3 || body[0] != '/' || body.find("//") != std::string_view::npos) {
      return false;
    }
    if (std::count(body.begin(), body.end(), '/') < 2) return false;
    return std::all_of(body.begin(), body.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '/' || c == '.' || c == '-' ||
             c == '_' || c == '~';
    });
  }

  // How a URL path literal at token i may become a concatenation: 0 = not at all, 1 = bare,
  // 2 = in parentheses (an operand of an operator binding tighter than '+').
  int ConcatContext(size_t i) const {
    const bool has_prev = i > 0;
    const bool has_next = i + 1 < tokens_.size();
    if (has_prev && tokens_[i - 1].kind == TokenKind::kString) return 0;
    if (has_next && tokens_[i + 1].kind == TokenKind::kString) return 0;
    if (has_prev && (Word(i - 1, "case") || Punct(i - 1, '@'))) return 0;
    // A string alone as a statement may be a docstring.
    if (statement_starts_.count(i) > 0) return 0;
    if (has_next && Punct(i + 1, ':') && !(depth_[i] > 0 && EnclosingIs(i, '{'))) return 0;
    bool paren = false;
    if (has_prev && tokens_[i - 1].kind == TokenKind::kPunct &&
        std::string_view("*/%@~-").find(tokens_[i - 1].text[0]) != std::string_view::npos) {
      paren = true;
    }
    if (has_prev && Word(i - 1, "await")) paren = true;
    if (has_next && tokens_[i + 1].kind == TokenKind::kPunct &&
        std::string_view(".[(*/%@").find(tokens_[i + 1].text[0]) != std::string_view::npos) {
      paren = true;
    }
    return paren ? 2 : 1;
  }

  bool EnclosingIs(size_t i, char open) const {
    for (size_t k = i; k-- > 0;) {
      if (tokens_[k].kind == TokenKind::kPunct && match_[k] != kNone && match_[k] > i &&
          std::string_view("([{").find(tokens_[k].text[0]) != std::string_view::npos) {
        return tokens_[k].text[0] == open;
      }
    }
    return false;
  }

  void FindStrings() {
    for (size_t i = 0; i < tokens_.size(); ++i) {
      const Token& t = tokens_[i];
      const auto parts = PlainString(t);
      if (!parts || HoldsCanary(t)) continue;
      if (!QuoteFree(*parts)) {
        // Inner quotes of the other kind only: the other quotes with those escaped.
        const char other = parts->quote == '"' ? '\'' : '"';
        const bool escapable = parts->body.find_first_of("\\\n\r") == std::string_view::npos &&
                               parts->body.find(parts->quote) == std::string_view::npos &&
                               Lower(parts->prefix) != "r";
        if (!escapable) continue;
        std::string escaped;
        for (char c : parts->body) {
          if (c == other) escaped.push_back('\\');
          escaped.push_back(c);
        }
        found_.points.push_back(MakeChoicePoint(
            "quote-style",
            fmt::format("quote style of the string at line {} (escaped quotes)", t.line),
            Span{t.begin, t.end}, {std::string(t.text), Quoted(*parts, other, escaped)},
            // Normalizers pick the form with fewer escapes (black, repr), whichever quote that
            // is: a style pool of its own.
            {"unescaped", "escaped"}));
        continue;
      }
      const char other = parts->quote == '"' ? '\'' : '"';
      const Span span{t.begin, t.end};
      const std::string shown = fmt::format("\"{}\"", parts->body.substr(0, 40));
      if (header_keys_.count(i) > 0 && !OtherHeaderCase(parts->body).empty()) {
        const std::string cased = OtherHeaderCase(parts->body);
        std::vector<std::string> forms;
        std::vector<std::string> styles;
        for (std::string_view body : {parts->body, std::string_view(cased)}) {
          for (char q : {parts->quote, other}) {
            forms.push_back(Quoted(*parts, q, body));
            styles.emplace_back(StyleOf(q));
          }
        }
        found_.points.push_back(MakeChoicePoint("header-case",
                                                fmt::format("case and quotes of header {}", shown),
                                                span, std::move(forms), std::move(styles)));
        continue;
      }
      const bool url_path = IsUrlPath(parts->body);
      const bool dict_key = i + 1 < tokens_.size() && Punct(i + 1, ':');
      const int context =
          parts->prefix.empty() && balanced_ && (url_path || (Splittable(parts->body) && !dict_key))
              ? ConcatContext(i)
              : 0;
      if (context > 0) {
        // URL paths split after a '/' (then before one when there are too few); other strings
        // after word boundaries or at fixed fractions. Up to 3 splits: 4 x 2 quote forms.
        std::vector<size_t> cuts;
        if (url_path) {
          for (size_t k = 0; k + 1 < parts->body.size() && cuts.size() < 3; ++k) {
            if (parts->body[k] == '/') cuts.push_back(k + 1);
          }
          for (size_t k = 1; k < parts->body.size() && cuts.size() < 3; ++k) {
            if (parts->body[k] == '/' && std::find(cuts.begin(), cuts.end(), k) == cuts.end()) {
              cuts.push_back(k);
            }
          }
        } else {
          cuts = Cuts(parts->body);
        }
        cuts.resize(cuts.size() >= 3 ? 3 : 1);
        std::vector<std::string> forms;
        std::vector<std::string> styles;
        for (size_t c = 0; c <= cuts.size(); ++c) {
          for (char q : {parts->quote, other}) {
            if (c == 0) {
              forms.push_back(Quoted(*parts, q, parts->body));
            } else {
              const size_t cut = cuts[c - 1];
              std::string joined = Quoted(*parts, q, parts->body.substr(0, cut)) + " + " +
                                   Quoted(*parts, q, parts->body.substr(cut));
              forms.push_back(context == 2 ? "(" + joined + ")" : joined);
            }
            styles.emplace_back(StyleOf(q));
          }
        }
        found_.points.push_back(MakeChoicePoint(
            "literal-form", fmt::format("quotes and concatenation of {} at line {}", shown, t.line),
            span, std::move(forms), std::move(styles)));
        continue;
      }
      found_.points.push_back(
          MakeChoicePoint("quote-style", fmt::format("quote style of {} at line {}", shown, t.line),
                          span, {std::string(t.text), Quoted(*parts, other, parts->body)},
                          {StyleOf(parts->quote), StyleOf(other)}));
    }
  }

  struct Block {
    size_t first_statement = 0;  // the first decorator or the def/class line
    size_t head_statement = 0;   // the def/class line
    size_t last_statement = 0;
    bool is_def = false;
    std::string name;
    size_t name_token = kNone;
  };

  static constexpr size_t kNone = static_cast<size_t>(-1);

  std::string_view text_;
  Syntax syntax_;
  std::vector<Token> tokens_;
  std::vector<CodeLine> lines_;
  std::vector<size_t> match_;
  std::vector<int> depth_;
  bool balanced_ = true;
  std::vector<Statement> statements_;
  std::set<size_t> has_semicolon_;
  std::set<size_t> statement_starts_;  // token indexes that begin a statement
  std::vector<Block> blocks_;
  std::vector<size_t> block_of_token_;
  std::set<size_t> header_keys_;
  FoundMarks found_;
};

}  // namespace

FoundMarks FindPythonMarks(std::string_view text) { return PythonEmbedder(text).Run(); }

}  // namespace forewarn::trace::internal
