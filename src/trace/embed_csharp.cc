// C# embedder.
//
//   import-order     consecutive `using A.B;` directives at the top (not `using static`, not
//                    aliases, not `global using`);
//   statement-order  runs of >= 2 consecutive one-line `const` / `static readonly` field
//                    declarations in a type body whose initializer is a single literal (so they
//                    cannot reference each other);
//   entry-order      dictionary/collection initializers `{ ["k"] = v, ... }` and
//                    `{ {"k", v}, ... }` with >= 2 entries, distinct keys and values made of
//                    literals, names, member accesses and `+` (no call, no `new`);
//   literal-form     integers 2..4096 decimal <-> hex (`10` / `0xA`), and URL-path string
//                    literals split into concatenations (`"/a/b/" + "c.aspx"`, up to 4 forms),
//                    outside attributes (any `[...]`), switch labels and patterns, and not for
//                    interpolated or verbatim strings; a concatenation of literals is a constant
//                    expression, so this holds in `const` declarations too;
//   identifier       locals declared `var name =` (or `Type name =` inside a method body),
//                    renamed everywhere, also in interpolation holes of `$"..."` strings; names
//                    used after `.`, as named arguments, in nameof(), or also declared as
//                    parameters or fields are left alone;
//   header-case      the header name in `...Headers.Add("User-Agent", ...)` calls.
// Single quotes are chars in C#, so there is no quote-style point. Order points keep only the
// items a reader can locate in a copy (KeepLocatableItems in embed_code_util.h).
// Canaries (string bodies only): a marker constant (name holding "marker") -> "marker"; a
// dropped/uploaded file name (a bare file-name string such as "portalcheck.aspx", or the last
// path segment of a `...Name`/`...File` value) and every occurrence of it in strings -> "file";
// the User-Agent header value -> "ua".
#include <map>
#include <optional>

#include "trace/embed_code_util.h"

namespace forewarn::trace::internal {
namespace {

constexpr std::array<std::string_view, 32> kKeywords = {
    "out",      "ref",    "in",    "is",     "as",     "var",    "base",    "this",
    "object",   "string", "int",   "event",  "lock",   "fixed",  "default", "checked",
    "operator", "params", "new",   "class",  "record", "return", "await",   "throw",
    "yield",    "using",  "const", "static", "case",   "when",   "async",   "nameof"};

bool IsKeyword(std::string_view word) {
  return std::find(kKeywords.begin(), kKeywords.end(), word) != kKeywords.end();
}

bool IsBuiltinType(std::string_view word) {
  static constexpr std::array<std::string_view, 14> kTypes = {
      "int",   "string",  "bool",  "long", "double", "byte",   "char",
      "float", "decimal", "short", "uint", "ulong",  "object", "sbyte"};
  return std::find(kTypes.begin(), kTypes.end(), word) != kTypes.end();
}

// Whether a word can be the type of a local declaration: `var`, a built-in type or a name with a
// capital letter (so `else x = 1;` is no declaration).
bool IsDeclarationType(const Token& t) {
  return t.kind == TokenKind::kWord && (t.text == "var" || IsBuiltinType(t.text) ||
                                        std::isupper(static_cast<unsigned char>(t.text[0])));
}

bool IsIdentChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

class CSharpEmbedder {
 public:
  explicit CSharpEmbedder(std::string_view text)
      : text_(text), syntax_(SyntaxFor(Language::kCSharp)), tokens_(Tokenize(text, syntax_)) {
    const size_t n = tokens_.size();
    match_.assign(n, -1);
    code_.assign(n, false);
    bracket_depth_.assign(n, 0);
    std::vector<size_t> stack;
    std::vector<bool> code_stack;  // per open brace: whether it is a code block
    int brackets = 0;
    for (size_t i = 0; i < n; ++i) {
      const Token& t = tokens_[i];
      code_[i] = !code_stack.empty() && code_stack.back();
      bracket_depth_[i] = brackets;
      if (t.kind != TokenKind::kPunct) continue;
      const char c = t.text[0];
      if (c == '(' || c == '[' || c == '{') {
        stack.push_back(i);
        brackets += c == '[' ? 1 : 0;
        if (c == '{') code_stack.push_back(code_[i] || OpensCode(i));
      } else if (c == ')' || c == ']' || c == '}') {
        brackets -= c == ']' && brackets > 0 ? 1 : 0;
        if (c == '}' && !code_stack.empty()) code_stack.pop_back();
        if (!stack.empty()) {
          match_[stack.back()] = static_cast<int>(i);
          match_[i] = static_cast<int>(stack.back());
          stack.pop_back();
        }
      }
    }
    taken_.assign(n, false);
  }

  FoundMarks Run() {
    FindCanaries();
    FindImports();
    FindConstRuns();
    FindInitializers();
    FindHeaderCase();
    FindLiterals();
    FindIdentifiers();
    DropNestedRenames(found_.points);
    KeepLocatableItems(text_, syntax_, found_);
    return std::move(found_);
  }

 private:
  bool Punct(size_t i, char c) const { return i < tokens_.size() && IsPunctToken(tokens_[i], c); }
  bool Word(size_t i, std::string_view w) const {
    return i < tokens_.size() && IsWordToken(tokens_[i], w);
  }
  Span SpanOf(const Token& t) const { return Span{t.begin, t.end}; }
  size_t BodyOffset(const Token& t) const {
    return t.begin + static_cast<size_t>(StringBody(t, syntax_).data() - t.text.data());
  }
  // A plain "..." literal (no @ or $ prefix).
  bool PlainString(size_t i) const {
    return i < tokens_.size() && tokens_[i].kind == TokenKind::kString &&
           tokens_[i].text[0] == '"' && tokens_[i].text.size() >= 2 &&
           tokens_[i].text.back() == '"';
  }

  // Whether the brace at i opens a method body, accessor or statement block (rather than a
  // namespace or type body).
  bool OpensCode(size_t i) const {
    if (i == 0) return false;
    const Token& p = tokens_[i - 1];
    if (IsPunctToken(p, ')') || IsPunctToken(p, '>') || IsPunctToken(p, '=')) return true;
    if (p.kind == TokenKind::kWord) {
      static constexpr std::array<std::string_view, 12> kBlockWords = {
          "else", "try", "finally", "do",      "get",       "set",
          "init", "add", "remove",  "checked", "unchecked", "unsafe"};
      return std::find(kBlockWords.begin(), kBlockWords.end(), p.text) != kBlockWords.end();
    }
    return false;
  }

  // A canary candidate: every occurrence of `value` in "..." string bodies (not char literals).
  void AddCanary(std::string name, CanaryKind kind, std::string pattern, std::string value,
                 bool file_name) {
    auto spans = SpansInStrings(tokens_, syntax_, value, file_name,
                                [](const Token& t) { return t.text[0] != '\''; });
    AddCanaryPlacement(
        found_, CanarySlot{.name = std::move(name), .kind = kind, .pattern = std::move(pattern)},
        std::move(value), std::move(spans));
  }

  bool HasSlot(std::string_view name) const {
    return std::any_of(found_.canaries.begin(), found_.canaries.end(),
                       [&](const auto& c) { return c.slot.name == name; });
  }

  static bool SafeCanaryValue(std::string_view body) {
    return !body.empty() && body.find_first_of("\"\\{}\n\r") == std::string_view::npos;
  }

  void FindCanaries() {
    for (size_t i = 0; i + 2 < tokens_.size(); ++i) {
      // NAME = "value" (const, static readonly, var or typed local).
      if (tokens_[i].kind == TokenKind::kWord && Punct(i + 1, '=') && PlainString(i + 2) &&
          !Punct(i + 3, '+')) {
        const std::string name = Lower(tokens_[i].text);
        const std::string_view body = StringBody(tokens_[i + 2], syntax_);
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
      // ...Headers.Add("User-Agent", "value") / .UserAgent.ParseAdd("value").
      if ((Word(i, "Add") || Word(i, "TryAddWithoutValidation")) && Punct(i + 1, '(') &&
          PlainString(i + 2) &&
          EqualsIgnoreCase(StringBody(tokens_[i + 2], syntax_), "user-agent") &&
          Punct(i + 3, ',') && PlainString(i + 4) && Punct(i + 5, ')')) {
        const std::string_view body = StringBody(tokens_[i + 4], syntax_);
        if (SafeCanaryValue(body)) {
          AddCanary("ua", CanaryKind::kUserAgent, std::string(body) + " ({id})", std::string(body),
                    false);
        }
      }
    }
    for (size_t i = 0; i < tokens_.size(); ++i) {
      if (!PlainString(i)) continue;
      const std::string_view body = StringBody(tokens_[i], syntax_);
      if (IsDroppedFileName(body)) {
        AddCanary(HasSlot("file") ? "file-2" : "file", CanaryKind::kFileName, FileNamePattern(body),
                  std::string(body), true);
      }
    }
    for (size_t i = 0; i < tokens_.size(); ++i) {
      for (const auto& c : found_.canaries) {
        for (const Span& s : c.spans) {
          if (tokens_[i].begin <= s.begin && s.end <= tokens_[i].end) taken_[i] = true;
        }
      }
    }
  }

  // The tokens of each line, as index ranges [first, last].
  struct LineTokens {
    int line = 0;
    size_t first = 0;
    size_t last = 0;
  };
  std::vector<LineTokens> TokenLines() const {
    std::vector<LineTokens> lines;
    for (size_t i = 0; i < tokens_.size(); ++i) {
      if (lines.empty() || lines.back().line != tokens_[i].line) {
        lines.push_back(LineTokens{tokens_[i].line, i, i});
      } else {
        lines.back().last = i;
      }
    }
    return lines;
  }

  void FlushRun(std::vector<Span>& run, const std::string& family, const std::string& what) {
    if (run.size() >= 2 && DistinctItems(text_, run)) {
      found_.points.push_back(
          MakeOrderPoint(family,
                         fmt::format("order of the {} {} at line {}", run.size(), what,
                                     LineNumberAt(text_, run.front().begin)),
                         run));
    }
    run.clear();
  }

  void FindImports() {
    std::vector<Span> run;
    int previous_line = -10;
    for (const LineTokens& l : TokenLines()) {
      if (!Word(l.first, "using")) break;  // directives come first
      bool plain = l.last > l.first + 1 && Punct(l.last, ';') &&
                   tokens_[l.first + 1].kind == TokenKind::kWord && !Word(l.first + 1, "static");
      for (size_t k = l.first + 1; plain && k < l.last; ++k) {
        const bool expect_word = (k - l.first) % 2 == 1;
        plain = expect_word ? tokens_[k].kind == TokenKind::kWord : Punct(k, '.');
      }
      if (!plain || l.line != previous_line + 1) FlushRun(run, "import-order", "using directives");
      if (plain) run.push_back(Span{tokens_[l.first].begin, tokens_[l.last].end});
      previous_line = l.line;
    }
    FlushRun(run, "import-order", "using directives");
  }

  // Whether the line is a one-line const / static readonly field with a literal initializer.
  bool IsConstField(const LineTokens& l) const {
    if (code_[l.first] || !Punct(l.last, ';') || l.last < l.first + 4) return false;
    bool is_const = false;
    bool is_static = false;
    bool is_readonly = false;
    size_t k = l.first;
    static constexpr std::array<std::string_view, 7> kModifiers = {
        "private", "public", "internal", "protected", "new", "static", "readonly"};
    while (k < l.last && tokens_[k].kind == TokenKind::kWord &&
           (Word(k, "const") ||
            std::find(kModifiers.begin(), kModifiers.end(), tokens_[k].text) != kModifiers.end())) {
      is_const |= Word(k, "const");
      is_static |= Word(k, "static");
      is_readonly |= Word(k, "readonly");
      ++k;
    }
    if (!is_const && !(is_static && is_readonly)) return false;
    // Type: words and dots, then the name, '=', one literal (optionally negated), ';'.
    const size_t eq = l.last - (Punct(l.last - 2, '-') ? 3 : 2);
    if (!Punct(eq, '=') || eq < k + 2) return false;
    for (size_t m = k; m < eq; ++m) {
      if (tokens_[m].kind != TokenKind::kWord && !Punct(m, '.') && !Punct(m, '?')) return false;
    }
    if (tokens_[eq - 1].kind != TokenKind::kWord) return false;
    const Token& value = tokens_[l.last - 1];
    const bool literal = value.kind == TokenKind::kNumber ||
                         (value.kind == TokenKind::kString && value.text[0] != '$') ||
                         IsWordToken(value, "true") || IsWordToken(value, "false") ||
                         IsWordToken(value, "null");
    return literal && (value.kind == TokenKind::kNumber || !Punct(l.last - 2, '-'));
  }

  void FindConstRuns() {
    std::vector<Span> run;
    int previous_line = -10;
    for (const LineTokens& l : TokenLines()) {
      const bool field = IsConstField(l);
      if (!field || l.line != previous_line + 1)
        FlushRun(run, "statement-order", "constant fields");
      // A field under an attribute (`[Obsolete]` on the line above) keeps its place: the
      // attribute would move to another field otherwise.
      const bool attributed = l.first > 0 && Punct(l.first - 1, ']');
      if (field && attributed) FlushRun(run, "statement-order", "constant fields");
      if (field && !attributed) run.push_back(Span{tokens_[l.first].begin, tokens_[l.last].end});
      previous_line = l.line;
    }
    FlushRun(run, "statement-order", "constant fields");
  }

  // Whether tokens [begin, end) form a simple value: literals, names, member access, '+', '-'.
  bool SimpleValue(size_t begin, size_t end) const {
    if (begin >= end) return false;
    for (size_t k = begin; k < end; ++k) {
      const Token& t = tokens_[k];
      if (t.kind == TokenKind::kString || t.kind == TokenKind::kNumber) continue;
      if (t.kind == TokenKind::kWord) {
        if (IsKeyword(t.text) && !IsWordToken(t, "null") && t.text != "true" && t.text != "false") {
          return false;
        }
        if (Punct(k + 1, '(') || Punct(k + 1, '<')) return false;
        continue;
      }
      if (!Punct(k, '+') && !Punct(k, '-') && !Punct(k, '.')) return false;
    }
    return true;
  }

  void FindInitializers() {
    for (size_t i = 0; i + 1 < tokens_.size(); ++i) {
      if (!Punct(i, '{') || match_[i] < 0) continue;
      const bool indexed = Punct(i + 1, '[');
      const bool paired = Punct(i + 1, '{');
      if (!indexed && !paired) continue;
      const size_t close = static_cast<size_t>(match_[i]);
      std::vector<Span> items;
      std::set<std::string> keys;
      bool ok = true;
      size_t k = i + 1;
      while (ok && k < close) {
        size_t entry_end = 0;  // exclusive token index
        if (indexed) {
          // [key] = value
          if (!Punct(k, '[') || match_[k] < 0 || !Punct(static_cast<size_t>(match_[k]) + 1, '=')) {
            ok = false;
            break;
          }
          const size_t key_close = static_cast<size_t>(match_[k]);
          if (key_close != k + 2 || (tokens_[k + 1].kind != TokenKind::kString &&
                                     tokens_[k + 1].kind != TokenKind::kNumber)) {
            ok = false;
            break;
          }
          keys.insert(std::string(tokens_[k + 1].text));
          size_t v = key_close + 2;
          while (v < close && !Punct(v, ',')) ++v;
          ok = SimpleValue(key_close + 2, v);
          entry_end = v;
        } else {
          // {key, value}
          if (!Punct(k, '{') || match_[k] < 0 || static_cast<size_t>(match_[k]) >= close ||
              (tokens_[k + 1].kind != TokenKind::kString &&
               tokens_[k + 1].kind != TokenKind::kNumber) ||
              !Punct(k + 2, ',')) {
            ok = false;
            break;
          }
          keys.insert(std::string(tokens_[k + 1].text));
          ok = SimpleValue(k + 3, static_cast<size_t>(match_[k]));
          entry_end = static_cast<size_t>(match_[k]) + 1;
        }
        if (!ok) break;
        items.push_back(Span{tokens_[k].begin, tokens_[entry_end - 1].end});
        k = entry_end;
        if (k < close && !Punct(k, ',')) ok = false;
        ++k;
      }
      if (!ok || items.size() < 2 || keys.size() != items.size() || !DistinctItems(text_, items)) {
        continue;
      }
      found_.points.push_back(
          MakeOrderPoint("entry-order",
                         fmt::format("order of the {} entries of the initializer at line {}",
                                     items.size(), tokens_[i].line),
                         items));
    }
  }

  void FindHeaderCase() {
    for (size_t i = 2; i + 2 < tokens_.size(); ++i) {
      if (!(Word(i, "Add") || Word(i, "TryAddWithoutValidation")) || !Punct(i - 1, '.') ||
          tokens_[i - 2].kind != TokenKind::kWord || !tokens_[i - 2].text.ends_with("Headers") ||
          !Punct(i + 1, '(') || !PlainString(i + 2) || taken_[i + 2]) {
        continue;
      }
      const Token& t = tokens_[i + 2];
      const std::string_view body = StringBody(t, syntax_);
      if (!IsHeaderName(body)) continue;
      const std::string other = OtherHeaderCase(body);
      if (other.empty()) continue;
      found_.points.push_back(MakeChoicePoint("header-case", fmt::format("case of header {}", body),
                                              SpanOf(t),
                                              {std::string(t.text), "\"" + other + "\""}));
      taken_[i + 2] = true;
    }
  }

  // Whether the literal at i sits where a constant pattern or label is required, or where
  // changing its token shape could change the parse.
  bool PatternOrLabel(size_t i) const {
    if (bracket_depth_[i] > 0) return true;  // attributes, indexers
    if (i > 0 && (Word(i - 1, "case") || Word(i - 1, "is") || Word(i - 1, "when") ||
                  Word(i - 1, "and") || Word(i - 1, "or") || Word(i - 1, "not"))) {
      return true;
    }
    if (Punct(i + 1, '=') && Punct(i + 2, '>')) return true;  // switch expression arm
    if (Punct(i + 1, '.') || Punct(i + 1, '[') || Punct(i + 1, '?') || Punct(i + 1, '!')) {
      return true;
    }
    // `"..." switch {...}`, `with`: a word after the literal may bind tighter than '+'.
    if (i + 1 < tokens_.size() && tokens_[i + 1].kind == TokenKind::kWord) return true;
    // A `case` earlier on the same line (case 1 or 2:), or a preprocessor line.
    for (size_t k = i; k-- > 0 && tokens_[k].line == tokens_[i].line;) {
      if (Word(k, "case") ||
          (Punct(k, '#') && (k == 0 || tokens_[k - 1].line != tokens_[k].line))) {
        return true;
      }
    }
    return false;
  }

  void FindLiterals() {
    for (size_t i = 0; i < tokens_.size(); ++i) {
      const Token& t = tokens_[i];
      if (t.kind == TokenKind::kNumber) {
        if (t.text.size() > 4 || t.text[0] == '0' ||
            !std::all_of(t.text.begin(), t.text.end(),
                         [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }) ||
            PatternOrLabel(i) || (i > 0 && Punct(i - 1, '.'))) {
          continue;
        }
        const int value = std::stoi(std::string(t.text));
        if (value < 2 || value > 4096) continue;
        found_.points.push_back(MakeChoicePoint(
            "literal-form", fmt::format("decimal or hex {}", t.text), SpanOf(t),
            {std::string(t.text), fmt::format("0x{:X}", value)}, {"decimal", "hex"}));
        continue;
      }
      if (!PlainString(i) || taken_[i] || PatternOrLabel(i) || (i > 0 && Punct(i - 1, ')')))
        continue;
      const std::string_view body = StringBody(t, syntax_);
      if (body.empty() || body[0] != '/' ||
          body.find_first_of("\\\"{}") != std::string_view::npos) {
        continue;
      }
      const size_t query = std::min(body.find('?'), body.size());
      std::vector<size_t> cuts;  // split positions: after each '/' but the leading one
      for (size_t k = 1; k < query; ++k) {
        if (body[k] == '/' && k + 1 < body.size()) cuts.push_back(k + 1);
      }
      if (cuts.empty()) continue;
      auto split = [&](std::vector<size_t> at) {
        std::string out = "\"";
        size_t from = 0;
        for (size_t c : at) {
          out += std::string(body.substr(from, c - from)) + "\" + \"";
          from = c;
        }
        return out + std::string(body.substr(from)) + "\"";
      };
      std::vector<std::string> forms = {std::string(t.text), split({cuts.back()})};
      if (cuts.size() >= 2) {
        forms.push_back(split({cuts.front()}));
        forms.push_back(split({cuts.front(), cuts.back()}));
      }
      found_.points.push_back(MakeChoicePoint(
          "literal-form", fmt::format("concatenation of {}", t.text), SpanOf(t), std::move(forms)));
      taken_[i] = true;
    }
  }

  // The spans of `name` inside the interpolation holes of an interpolated string token.
  std::vector<Span> HoleUses(const Token& t, std::string_view name) const {
    std::vector<Span> spans;
    const std::string_view body = StringBody(t, syntax_);
    const size_t base = BodyOffset(t);
    int depth = 0;
    for (size_t k = 0; k < body.size(); ++k) {
      const char c = body[k];
      if (depth == 0 && c == '{' && k + 1 < body.size() && body[k + 1] == '{') {
        ++k;
        continue;
      }
      if (c == '{') ++depth;
      if (c == '}' && depth > 0) --depth;
      if (depth == 0 || body.compare(k, name.size(), name) != 0) continue;
      const bool left =
          k == 0 || (!IsIdentChar(body[k - 1]) && body[k - 1] != '.' && body[k - 1] != '@');
      const size_t end = k + name.size();
      const bool right = end >= body.size() || !IsIdentChar(body[end]);
      if (left && right) spans.push_back(Span{base + k, base + end});
    }
    return spans;
  }

  void FindIdentifiers() {
    // Declarations: `var name =` anywhere, `Type name =` in a code block.
    std::vector<std::string> names;
    std::map<std::string, int> declarations;
    for (size_t i = 1; i + 1 < tokens_.size(); ++i) {
      const Token& t = tokens_[i];
      if (t.kind != TokenKind::kWord || !Punct(i + 1, '=') || Punct(i + 2, '=') ||
          IsKeyword(t.text)) {
        continue;
      }
      const Token& type = tokens_[i - 1];
      const bool by_var = IsWordToken(type, "var");
      // A type starts with a capital letter or is a built-in one (`else x = 1;` is no
      // declaration).
      const bool by_type = code_[i] && IsDeclarationType(type) && !by_var && i >= 2 &&
                           (Punct(i - 2, ';') || Punct(i - 2, '{') || Punct(i - 2, '}') ||
                            Word(i - 2, "using") || Word(i - 2, "const"));
      if (!by_var && !by_type) continue;
      const std::string name(t.text);
      if (++declarations[name] == 1) names.push_back(name);
    }
    const std::string lower_text = Lower(text_);
    for (const std::string& name : names) {
      if (declarations[name] != 1) continue;
      bool ok = true;
      std::vector<Span> spans;
      for (size_t i = 0; ok && i < tokens_.size(); ++i) {
        const Token& t = tokens_[i];
        if (t.kind == TokenKind::kString && t.text[0] != '\'') {
          const size_t quote = t.text.find('"');
          if (t.text.substr(0, quote).find('$') != std::string_view::npos) {
            for (const Span& s : HoleUses(t, name)) spans.push_back(s);
          }
          continue;
        }
        if (!IsWordToken(t, name)) continue;
        const bool declaration = Punct(i + 1, '=') && i > 0 && IsDeclarationType(tokens_[i - 1]);
        if (i > 0 && (Punct(i - 1, '.') || Punct(i - 1, '@') || Punct(i - 1, ':'))) ok = false;
        if (Punct(i + 1, ':') && !Punct(i + 2, ':')) ok = false;  // named argument or label
        if (i >= 2 && Punct(i - 1, '(') && Word(i - 2, "nameof")) ok = false;
        // An initializer member (`new X { name = 1 }`) or an anonymous-type member whose name
        // comes from the variable (`new { name }`).
        if (!declaration && i > 0 && (Punct(i - 1, '{') || Punct(i - 1, ',')) &&
            ((Punct(i + 1, '=') && !Punct(i + 2, '=')) || Punct(i + 1, ',') || Punct(i + 1, '}'))) {
          ok = false;
        }
        if (!declaration && i > 0 && tokens_[i - 1].kind == TokenKind::kWord &&
            !Word(i - 1, "return") && !Word(i - 1, "await") && !Word(i - 1, "in") &&
            !Word(i - 1, "throw")) {
          ok = false;  // another declaration (parameter, field) of the same name
        }
        spans.push_back(SpanOf(t));
      }
      if (!ok || spans.size() < 2) continue;
      std::sort(spans.begin(), spans.end(),
                [](const Span& a, const Span& b) { return a.begin < b.begin; });
      auto clashes = [&](const std::string& alt) {
        return IsKeyword(alt) || lower_text.find(Lower(alt)) != std::string::npos;
      };
      std::vector<std::string> alts = SynonymsFor(name, clashes);
      if (alts.empty()) continue;
      VariationPoint point{.family = "identifier",
                           .description = fmt::format("name of local {}", name),
                           .shape = PointShape::kChoice,
                           .spans = spans};
      for (const auto& alt : alts)
        point.forms.push_back(std::vector<std::string>(spans.size(), alt));
      point.read_globally = true;
      found_.points.push_back(std::move(point));
    }
  }

  std::string_view text_;
  Syntax syntax_;
  std::vector<Token> tokens_;
  std::vector<int> match_;
  std::vector<bool> code_;          // per token: inside a method body or statement block
  std::vector<int> bracket_depth_;  // per token: how many '[' are open
  std::vector<bool> taken_;         // string tokens holding a choice or canary already
  FoundMarks found_;
};

}  // namespace

FoundMarks FindCSharpMarks(std::string_view text) { return CSharpEmbedder(text).Run(); }

}  // namespace forewarn::trace::internal
