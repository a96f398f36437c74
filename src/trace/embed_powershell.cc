// PowerShell embedder.
//
//   entry-order   the entries of a hashtable literal `@{ k = v; ... }` (>= 2 entries, distinct
//                 keys) whose values are literals, variables, operators and parentheses, with at
//                 most one entry holding a .NET member or method call (so no two calls swap);
//                 tables with a command, pipeline or script block in a value, and cast tables
//                 ([ordered], [pscustomobject]) whose order is kept, are left alone; entries
//                 made only of choice and canary spans (a header table) cannot be located in a
//                 copy and stay in place;
//   header-case   the quoted keys of a header table (assigned to a `$...header...` variable or
//                 passed as -Headers): Title-Case <-> lower case, times the quote style (4 forms);
//   quote-style   '...' <-> "..." for strings whose body has no quote, `$` or backtick;
//   option-order  the named parameters of a cmdlet (`-Uri x -Method Post -UseBasicParsing`;
//                 Verb-Noun with a PowerShell verb, as native programs may read arguments in
//                 order) when every argument is a `-Name value` pair or a switch (no positional
//                 argument, no `-Name:value`), with simple values; only the items a reader can
//                 locate move (see KeepLocatableItems);
//   identifier    `$variables` assigned in the script (not automatic variables, not param()
//                 parameters, which callers pass by name), renamed everywhere, also inside
//                 double-quoted strings (`$name`, `$($name...)`) and comments; names used in
//                 single-quoted strings, with a scope (`$using:`), in `${...}` form or as bare
//                 words (Get-Variable name) are left alone. PowerShell names are
//                 case-insensitive: matching and clash checks ignore case.
// Canaries (string bodies only): a marker constant (variable name holding "marker") -> "marker";
// a dropped file name (a bare file-name string, or the last path segment of a value assigned to
// a `$...name`/`$...file` variable) and every other occurrence of it in strings -> "file";
// a User-Agent value (header table or -UserAgent) -> "ua".
#include <optional>

#include "trace/embed_code_util.h"

namespace forewarn::trace::internal {
namespace {

constexpr std::array<std::string_view, 48> kAutomaticVariables = {"_",
                                                                  "args",
                                                                  "consolefilename",
                                                                  "error",
                                                                  "event",
                                                                  "eventargs",
                                                                  "eventsubscriber",
                                                                  "executioncontext",
                                                                  "false",
                                                                  "foreach",
                                                                  "home",
                                                                  "host",
                                                                  "input",
                                                                  "lastexitcode",
                                                                  "matches",
                                                                  "myinvocation",
                                                                  "nestedpromptlevel",
                                                                  "null",
                                                                  "pid",
                                                                  "profile",
                                                                  "psboundparameters",
                                                                  "pscmdlet",
                                                                  "pscommandpath",
                                                                  "psculture",
                                                                  "psdebugcontext",
                                                                  "pshome",
                                                                  "psitem",
                                                                  "psscriptroot",
                                                                  "pssenderinfo",
                                                                  "psuiculture",
                                                                  "psversiontable",
                                                                  "pwd",
                                                                  "sender",
                                                                  "shellid",
                                                                  "stacktrace",
                                                                  "switch",
                                                                  "this",
                                                                  "true",
                                                                  "ofs",
                                                                  "iswindows",
                                                                  "islinux",
                                                                  "ismacos",
                                                                  "iscoreclr",
                                                                  "env",
                                                                  "using",
                                                                  "script",
                                                                  "global",
                                                                  "local"};

bool IsAutomatic(std::string_view bare) {
  const std::string lower = Lower(bare);
  if (lower.ends_with("preference")) return true;
  return std::find(kAutomaticVariables.begin(), kAutomaticVariables.end(), lower) !=
         kAutomaticVariables.end();
}

bool IsNameChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// `$name` with a plain name (letters, digits, underscore).
bool IsPlainVariable(std::string_view word) {
  return word.size() >= 2 && word[0] == '$' &&
         std::all_of(word.begin() + 1, word.end(), IsNameChar) &&
         !std::isdigit(static_cast<unsigned char>(word[1]));
}

// `-Name` as a parameter name.
bool IsParameterName(const Token& t) {
  if (t.kind != TokenKind::kWord || t.text.size() < 2 || t.text[0] != '-') return false;
  if (!std::isalpha(static_cast<unsigned char>(t.text[1]))) return false;
  return std::all_of(t.text.begin() + 1, t.text.end(), IsNameChar);
}

// Whether a command's verb is a PowerShell verb: cmdlets and functions bind parameters by name,
// while native programs (some-tool -a 1 -b 2) may read their arguments in order.
bool HasPowerShellVerb(std::string_view command) {
  static constexpr std::array<std::string_view, 64> kVerbs = {
      "add",        "clear",    "close",       "compare",   "complete", "compress",   "confirm",
      "connect",    "convert",  "convertfrom", "convertto", "copy",     "debug",      "disable",
      "disconnect", "enable",   "enter",       "exit",      "expand",   "export",     "find",
      "foreach",    "format",   "get",         "group",     "import",   "initialize", "install",
      "invoke",     "join",     "limit",       "measure",   "merge",    "move",       "new",
      "open",       "out",      "pop",         "protect",   "publish",  "push",       "read",
      "receive",    "register", "remove",      "rename",    "reset",    "resolve",    "restart",
      "resume",     "save",     "search",      "select",    "send",     "set",        "show",
      "sort",       "split",    "start",       "stop",      "test",     "update",     "wait",
      "write"};
  const std::string verb = Lower(command.substr(0, command.find('-')));
  return std::find(kVerbs.begin(), kVerbs.end(), verb) != kVerbs.end();
}

// A command name such as Invoke-WebRequest (Verb-Noun).
bool IsCommandWord(const Token& t) {
  if (t.kind != TokenKind::kWord || t.text.empty() || t.text[0] == '$' || t.text[0] == '-') {
    return false;
  }
  const size_t dash = t.text.find('-');
  return dash != std::string_view::npos && dash > 0 && dash + 1 < t.text.size();
}

class PowerShellEmbedder {
 public:
  explicit PowerShellEmbedder(std::string_view text)
      : text_(text), syntax_(SyntaxFor(Language::kPowerShell)), tokens_(Tokenize(text, syntax_)) {
    match_.assign(tokens_.size(), -1);
    std::vector<size_t> stack;
    for (size_t i = 0; i < tokens_.size(); ++i) {
      const Token& t = tokens_[i];
      if (t.kind != TokenKind::kPunct) continue;
      const char c = t.text[0];
      if (c == '(' || c == '[' || c == '{') {
        stack.push_back(i);
      } else if (c == ')' || c == ']' || c == '}') {
        if (!stack.empty()) {
          match_[stack.back()] = static_cast<int>(i);
          match_[i] = static_cast<int>(stack.back());
          stack.pop_back();
        }
      }
    }
    taken_.assign(tokens_.size(), false);
  }

  FoundMarks Run() {
    FindCanaries();
    FindHashtables();
    FindQuoteStyles();
    FindCommandOptions();
    FindIdentifiers();
    DropNestedRenames(found_.points);
    KeepLocatableItems(text_, syntax_, found_);
    return std::move(found_);
  }

 private:
  Span SpanOf(const Token& t) const { return Span{t.begin, t.end}; }
  bool IsString(size_t i) const {
    return i < tokens_.size() && tokens_[i].kind == TokenKind::kString;
  }
  bool Punct(size_t i, char c) const { return i < tokens_.size() && IsPunctToken(tokens_[i], c); }

  // Whether token i starts a new logical line (the previous token is on an earlier line and is
  // not a backtick continuation).
  bool StartsLine(size_t i) const {
    if (i == 0) return true;
    return tokens_[i].line > tokens_[i - 1].line && !Punct(i - 1, '`');
  }

  // A canary candidate: every occurrence of `value` in string bodies.
  void AddCanary(std::string name, CanaryKind kind, std::string pattern, std::string value,
                 bool file_name) {
    auto spans =
        SpansInStrings(tokens_, syntax_, value, file_name, [](const Token&) { return true; });
    AddCanaryPlacement(
        found_, CanarySlot{.name = std::move(name), .kind = kind, .pattern = std::move(pattern)},
        std::move(value), std::move(spans));
  }

  bool HasSlot(std::string_view name) const {
    return std::any_of(found_.canaries.begin(), found_.canaries.end(),
                       [&](const auto& c) { return c.slot.name == name; });
  }

  static bool SafeCanaryValue(std::string_view body) {
    return !body.empty() && body.find_first_of("'\"`$\n\r") == std::string_view::npos;
  }

  void FindCanaries() {
    for (size_t i = 0; i + 2 < tokens_.size(); ++i) {
      const Token& t = tokens_[i];
      const bool assigned_string = t.kind == TokenKind::kWord && IsPlainVariable(t.text) &&
                                   Punct(i + 1, '=') && IsString(i + 2);
      if (assigned_string) {
        const std::string_view body = StringBody(tokens_[i + 2], syntax_);
        const std::string name = Lower(t.text.substr(1));
        if (name.find("marker") != std::string::npos && SafeCanaryValue(body) &&
            std::all_of(body.begin(), body.end(),
                        [](char c) { return IsFileNameChar(c) || c == '.'; })) {
          AddCanary("marker", CanaryKind::kMarker, MarkerPattern(body), std::string(body), false);
        }
        if (name.find("name") != std::string::npos || name.find("file") != std::string::npos) {
          const size_t slash = body.find_last_of("/\\");
          const std::string_view last =
              slash == std::string_view::npos ? body : body.substr(slash + 1);
          if (IsDroppedFileName(last)) {
            AddCanary("file", CanaryKind::kFileName, FileNamePattern(last), std::string(last),
                      true);
          }
        }
      }
      // User-Agent: a table key 'User-Agent' = 'value', or -UserAgent 'value'.
      const bool ua_key = (t.kind == TokenKind::kString || t.kind == TokenKind::kWord) &&
                          EqualsIgnoreCase(StringBody(t, syntax_), "user-agent") &&
                          Punct(i + 1, '=') && IsString(i + 2);
      const bool ua_param =
          t.kind == TokenKind::kWord && EqualsIgnoreCase(t.text, "-useragent") && IsString(i + 1);
      if (ua_key || ua_param) {
        const Token& value = tokens_[ua_key ? i + 2 : i + 1];
        const std::string_view body = StringBody(value, syntax_);
        if (SafeCanaryValue(body)) {
          AddCanary("ua", CanaryKind::kUserAgent, std::string(body) + " ({id})", std::string(body),
                    false);
        }
      }
    }
    for (const Token& t : tokens_) {
      if (t.kind != TokenKind::kString) continue;
      const std::string_view body = StringBody(t, syntax_);
      if (IsDroppedFileName(body)) {
        AddCanary(HasSlot("file") ? "file-2" : "file", CanaryKind::kFileName, FileNamePattern(body),
                  std::string(body), true);
      }
    }
    // Strings holding a canary get no choice point.
    for (size_t i = 0; i < tokens_.size(); ++i) {
      for (const auto& c : found_.canaries) {
        for (const Span& s : c.spans) {
          if (tokens_[i].begin <= s.begin && s.end <= tokens_[i].end) taken_[i] = true;
        }
      }
    }
  }

  // How a hashtable value or a parameter value reads: kPure (literals, variables, operators),
  // kCall (a .NET member or method call), or kReject (command, pipeline, script block...).
  enum class ValueKind { kPure, kCall, kReject };

  ValueKind ClassifyValue(size_t begin, size_t end) const {
    ValueKind kind = ValueKind::kPure;
    for (size_t k = begin; k < end; ++k) {
      const Token& t = tokens_[k];
      switch (t.kind) {
        case TokenKind::kNumber:
          break;
        case TokenKind::kString:
          if (t.text[0] == '"' && t.text.find("$(") != std::string_view::npos)
            kind = ValueKind::kCall;
          if (k > 0 && tokens_[k - 1].end == t.begin && Punct(k - 1, '@'))
            return ValueKind::kReject;
          break;
        case TokenKind::kWord:
          if (t.text[0] == '$') break;
          if (t.text[0] == '-' && IsParameterName(t)) break;  // an operator: -join, -f, -replace
          if (k > begin && (Punct(k - 1, '.') || Punct(k - 1, ':'))) break;  // a member
          return ValueKind::kReject;  // a command or bare word
        case TokenKind::kPunct: {
          const char c = t.text[0];
          if (c == '[') {
            if (match_[k] < 0 || static_cast<size_t>(match_[k]) >= end) return ValueKind::kReject;
            k = static_cast<size_t>(match_[k]);
            kind = ValueKind::kCall;
          } else if (c == '.' || c == ':') {
            kind = ValueKind::kCall;
          } else if (std::string_view("+-*/%,()!").find(c) == std::string_view::npos) {
            return ValueKind::kReject;
          }
          break;
        }
      }
    }
    return kind;
  }

  void FindHashtables() {
    for (size_t i = 0; i + 1 < tokens_.size(); ++i) {
      if (!Punct(i, '@') || !Punct(i + 1, '{') || tokens_[i].end != tokens_[i + 1].begin) continue;
      if (i > 0 && Punct(i - 1, ']')) continue;  // [ordered]@{...}, [pscustomobject]@{...}
      if (match_[i + 1] < 0) continue;
      const size_t close = static_cast<size_t>(match_[i + 1]);
      bool header_table = false;
      if (i >= 2 && Punct(i - 1, '=') && tokens_[i - 2].kind == TokenKind::kWord &&
          ContainsIgnoreCase(tokens_[i - 2].text, "header")) {
        header_table = true;
      }
      if (i >= 1 && tokens_[i - 1].kind == TokenKind::kWord &&
          EqualsIgnoreCase(tokens_[i - 1].text, "-headers")) {
        header_table = true;
      }
      struct Entry {
        size_t key = 0;
        Span span;
      };
      std::vector<Entry> entries;
      std::set<std::string> keys;
      bool ok = true;
      int calls = 0;
      size_t j = i + 2;
      while (ok && j < close) {
        if (Punct(j, ';')) {
          ++j;
          continue;
        }
        const Token& key = tokens_[j];
        if (key.kind == TokenKind::kPunct || !Punct(j + 1, '=') || j + 2 >= close) {
          ok = false;
          break;
        }
        // The value runs to a ';', the end of the line (outside brackets) or the closing brace.
        size_t k = j + 2;
        size_t last = k;
        while (k < close && !Punct(k, ';') && (k == j + 2 || !StartsLine(k))) {
          last = k;
          if (tokens_[k].kind == TokenKind::kPunct && match_[k] > static_cast<int>(k)) {
            k = static_cast<size_t>(match_[k]);
            last = k;
          }
          ++k;
        }
        const ValueKind kind = ClassifyValue(j + 2, last + 1);
        if (kind == ValueKind::kReject || last >= close) {
          ok = false;
          break;
        }
        calls += kind == ValueKind::kCall ? 1 : 0;
        keys.insert(Lower(StringBody(key, syntax_)));
        entries.push_back(Entry{j, Span{key.begin, tokens_[last].end}});
        j = k;
      }
      if (!ok || entries.empty()) continue;
      const int line = tokens_[i].line;
      if (entries.size() >= 2 && calls <= 1 && keys.size() == entries.size()) {
        std::vector<Span> items;
        for (const auto& e : entries) items.push_back(e.span);
        if (DistinctItems(text_, items)) {
          found_.points.push_back(
              MakeOrderPoint("entry-order",
                             fmt::format("order of the {} entries of the hashtable at line {}",
                                         items.size(), line),
                             items));
        }
      }
      if (!header_table) continue;
      for (const auto& e : entries) {
        const Token& key = tokens_[e.key];
        if (taken_[e.key]) continue;
        const std::string_view body = StringBody(key, syntax_);
        if (!IsHeaderName(body)) continue;
        const std::string other = OtherHeaderCase(body);
        if (other.empty()) continue;
        if (key.kind == TokenKind::kWord) {
          found_.points.push_back(MakeChoicePoint("header-case",
                                                  fmt::format("case of header key {}", body),
                                                  SpanOf(key), {std::string(body), other}));
        } else {
          const char q = key.text[0];
          const char r = q == '\'' ? '"' : '\'';
          auto quoted = [](char quote, std::string_view s) {
            return std::string(1, quote) + std::string(s) + std::string(1, quote);
          };
          const std::string qs = q == '\'' ? "single" : "double";
          const std::string rs = q == '\'' ? "double" : "single";
          found_.points.push_back(MakeChoicePoint(
              "header-case", fmt::format("case and quote style of header key {}", body),
              SpanOf(key), {quoted(q, body), quoted(r, body), quoted(q, other), quoted(r, other)},
              {qs, rs, qs, rs}));
        }
        taken_[e.key] = true;
      }
    }
  }

  void FindQuoteStyles() {
    for (size_t i = 0; i < tokens_.size(); ++i) {
      const Token& t = tokens_[i];
      if (t.kind != TokenKind::kString || taken_[i]) continue;
      const char q = t.text[0];
      if ((q != '\'' && q != '"') || t.text.size() < 2 || t.text.back() != q) continue;
      if (i > 0 && tokens_[i - 1].end == t.begin && Punct(i - 1, '@')) continue;  // here-string
      if (t.begin > 0 && IsNameChar(text_[t.begin - 1])) continue;
      const std::string_view body = StringBody(t, syntax_);
      if (body.find_first_of("'\"`$\n\r") != std::string_view::npos) continue;
      // Curly quotes (‘ ’ “ ”) are quotes to PowerShell too: no non-ASCII bodies.
      if (std::any_of(body.begin(), body.end(),
                      [](char c) { return static_cast<unsigned char>(c) >= 0x80; })) {
        continue;
      }
      const char r = q == '\'' ? '"' : '\'';
      const std::string qs = q == '\'' ? "single" : "double";
      const std::string rs = q == '\'' ? "double" : "single";
      found_.points.push_back(MakeChoicePoint(
          "quote-style", fmt::format("quote style of {}", t.text), SpanOf(t),
          {std::string(t.text), std::string(1, r) + std::string(body) + std::string(1, r)},
          {qs, rs}));
      taken_[i] = true;
    }
  }

  // The end (exclusive token index) of a parameter value starting at k, or nullopt when the
  // value is not simple.
  std::optional<size_t> ParameterValueEnd(size_t k, size_t stop) const {
    const Token& t = tokens_[k];
    if (t.kind == TokenKind::kString || t.kind == TokenKind::kNumber) return k + 1;
    if (t.kind == TokenKind::kWord) {
      if (t.text[0] == '-') return std::nullopt;
      if (t.text[0] != '$') return IsCommandWord(t) ? std::nullopt : std::optional<size_t>(k + 1);
      size_t end = k + 1;
      // $var.Member chains written without spaces.
      while (end + 1 < stop && Punct(end, '.') && tokens_[end].begin == tokens_[end - 1].end &&
             tokens_[end + 1].kind == TokenKind::kWord &&
             tokens_[end + 1].begin == tokens_[end].end &&
             !(end + 2 < stop && Punct(end + 2, '('))) {
        end += 2;
      }
      return end;
    }
    if (Punct(k, '(') && match_[k] > static_cast<int>(k) && static_cast<size_t>(match_[k]) < stop) {
      const size_t close = static_cast<size_t>(match_[k]);
      for (size_t m = k + 1; m < close; ++m) {
        const Token& u = tokens_[m];
        if (IsCommandWord(u) && !(Punct(m - 1, '.') || Punct(m - 1, ':'))) return std::nullopt;
        if (u.kind == TokenKind::kPunct &&
            std::string_view("|{};=@`").find(u.text[0]) != std::string_view::npos) {
          return std::nullopt;
        }
      }
      return close + 1;
    }
    return std::nullopt;
  }

  void FindCommandOptions() {
    for (size_t c = 0; c < tokens_.size(); ++c) {
      if (!IsCommandWord(tokens_[c]) || !HasPowerShellVerb(tokens_[c].text)) continue;
      const bool at_start = StartsLine(c) || Punct(c - 1, '=') || Punct(c - 1, '(') ||
                            Punct(c - 1, '|') || Punct(c - 1, ';') || Punct(c - 1, '{') ||
                            Punct(c - 1, '}');
      if (!at_start) continue;
      // The statement's end: a new logical line, or ; | ) } outside brackets.
      size_t stop = c + 1;
      while (stop < tokens_.size() && !StartsLine(stop) && !Punct(stop, ';') && !Punct(stop, '|') &&
             !Punct(stop, ')') && !Punct(stop, '}')) {
        if (tokens_[stop].kind == TokenKind::kPunct && match_[stop] > static_cast<int>(stop)) {
          stop = static_cast<size_t>(match_[stop]);
        }
        ++stop;
      }
      std::vector<Span> items;
      std::set<std::string> names;
      bool ok = true;
      size_t k = c + 1;
      while (ok && k < stop) {
        if (Punct(k, '`')) {
          ++k;
          continue;
        }
        if (!IsParameterName(tokens_[k]) ||
            (k + 1 < stop && Punct(k + 1, ':') && tokens_[k + 1].begin == tokens_[k].end)) {
          ok = false;
          break;
        }
        names.insert(Lower(tokens_[k].text));
        const size_t next = k + 1;
        if (next >= stop || Punct(next, '`') || IsParameterName(tokens_[next])) {
          items.push_back(SpanOf(tokens_[k]));  // a switch
          k = next;
          continue;
        }
        const std::optional<size_t> end = ParameterValueEnd(next, stop);
        if (!end || (*end < stop && !Punct(*end, '`') && !IsParameterName(tokens_[*end]))) {
          ok = false;
          break;
        }
        items.push_back(Span{tokens_[k].begin, tokens_[*end - 1].end});
        k = *end;
      }
      if (!ok || items.size() < 2 || names.size() != items.size() || !DistinctItems(text_, items)) {
        continue;
      }
      found_.points.push_back(
          MakeOrderPoint("option-order",
                         fmt::format("order of the {} parameters of {} at line {}", items.size(),
                                     tokens_[c].text, tokens_[c].line),
                         items));
    }
  }

  // The index of the token holding byte `at`, or -1.
  int TokenAt(size_t at) const {
    auto it = std::upper_bound(tokens_.begin(), tokens_.end(), at,
                               [](size_t a, const Token& t) { return a < t.begin; });
    if (it == tokens_.begin()) return -1;
    --it;
    return at < it->end ? static_cast<int>(it - tokens_.begin()) : -1;
  }

  void FindIdentifiers() {
    // Parameters of param() blocks and function signatures: callers pass them by name.
    std::set<std::string> excluded;
    for (size_t i = 0; i + 1 < tokens_.size(); ++i) {
      const bool param_block = tokens_[i].kind == TokenKind::kWord &&
                               EqualsIgnoreCase(tokens_[i].text, "param") && Punct(i + 1, '(');
      const bool signature = i >= 1 && tokens_[i - 1].kind == TokenKind::kWord &&
                             (EqualsIgnoreCase(tokens_[i - 1].text, "function") ||
                              EqualsIgnoreCase(tokens_[i - 1].text, "filter")) &&
                             Punct(i + 1, '(');
      if (!param_block && !signature) continue;
      if (match_[i + 1] < 0) continue;
      for (size_t k = i + 2; k < static_cast<size_t>(match_[i + 1]); ++k) {
        if (tokens_[k].kind == TokenKind::kWord && tokens_[k].text[0] == '$') {
          excluded.insert(Lower(tokens_[k].text));
        }
      }
    }
    std::vector<std::string> names;  // lowercased `$name`, in first-assignment order
    for (size_t i = 0; i + 1 < tokens_.size(); ++i) {
      const Token& t = tokens_[i];
      if (t.kind != TokenKind::kWord || !IsPlainVariable(t.text) || !Punct(i + 1, '=')) continue;
      if (i + 2 < tokens_.size() && Punct(i + 2, '=') &&
          tokens_[i + 2].begin == tokens_[i + 1].end) {
        continue;
      }
      const std::string lower = Lower(t.text);
      if (IsAutomatic(t.text.substr(1)) || excluded.count(lower) > 0) continue;
      if (std::find(names.begin(), names.end(), lower) == names.end()) names.push_back(lower);
    }
    const std::string lower_text = Lower(text_);
    for (const std::string& name : names) {
      const std::string bare = name.substr(1);
      // Scoped (`$using:name`, `$script:name`) and braced (`${name}`) uses are not renamed.
      if (lower_text.find(":" + bare) != std::string::npos ||
          lower_text.find("${" + bare) != std::string::npos) {
        continue;
      }
      bool ok = true;
      for (const Token& t : tokens_) {
        const std::string_view plain = StringBody(t, syntax_);
        if ((t.kind == TokenKind::kWord || t.kind == TokenKind::kString) &&
            EqualsIgnoreCase(plain, bare)) {
          ok = false;  // Get-Variable name, -OutVariable name, 'name'
        }
      }
      std::vector<Span> spans;
      for (size_t at = lower_text.find(name); ok && at != std::string::npos;
           at = lower_text.find(name, at + 1)) {
        const size_t end = at + name.size();
        if (end < text_.size() && IsNameChar(text_[end])) continue;  // $nameLonger
        if (end < text_.size() && (text_[end] == ':' || text_[end] == '-')) {
          ok = false;  // $name: (drive-qualified in strings) or $name-1 lexed as one word
          break;
        }
        const int ti = TokenAt(at);
        if (ti >= 0) {
          const Token& t = tokens_[static_cast<size_t>(ti)];
          const bool exact_word = t.kind == TokenKind::kWord && t.begin == at && t.end == end;
          const bool interpolated =
              t.kind == TokenKind::kString && t.text[0] == '"' && text_[at - 1] != '`';
          if (!exact_word && !interpolated) {
            ok = false;
            break;
          }
        }
        spans.push_back(Span{at, end});
      }
      if (!ok || spans.empty()) continue;
      auto clashes = [&](const std::string& alt) {
        if (IsAutomatic(alt) || lower_text.find("$" + Lower(alt)) != std::string::npos) return true;
        return std::any_of(tokens_.begin(), tokens_.end(), [&](const Token& t) {
          return EqualsIgnoreCase(StringBody(t, syntax_), alt);
        });
      };
      const std::string master(TextOf(text_, spans.front()));
      std::vector<std::string> alts = SynonymsFor(master.substr(1), clashes);
      if (alts.empty()) continue;
      VariationPoint point{.family = "identifier",
                           .description = fmt::format("name of {}", master),
                           .shape = PointShape::kChoice,
                           .spans = spans};
      for (size_t f = 0; f < alts.size(); ++f) {
        std::vector<std::string> form;
        for (const Span& s : spans) {
          form.push_back(f == 0 ? std::string(TextOf(text_, s)) : "$" + alts[f]);
        }
        point.forms.push_back(std::move(form));
      }
      point.read_globally = true;
      found_.points.push_back(std::move(point));
    }
  }

  std::string_view text_;
  Syntax syntax_;
  std::vector<Token> tokens_;
  std::vector<int> match_;
  std::vector<bool> taken_;  // string tokens that hold a choice or canary already
  FoundMarks found_;
};

}  // namespace

FoundMarks FindPowerShellMarks(std::string_view text) { return PowerShellEmbedder(text).Run(); }

}  // namespace forewarn::trace::internal
