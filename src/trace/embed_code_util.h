// File: trace/embed_code_util.h (internal to the trace module)
//
// Helpers shared by the PowerShell, C# and raw HTTP embedders (embed_powershell.cc,
// embed_csharp.cc, embed_http.cc): lines, token matching, point builders, header-name case
// forms, canary patterns, the synonym table used for identifier renames, and the filter that
// keeps only order items a reader can locate (KeepLocatableItems).
#pragma once

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "trace/embed_internal.h"

namespace forewarn::trace::internal {

struct CodeLine {
  size_t begin = 0;
  size_t end = 0;  // excludes the newline and a '\r' before it
};

inline std::vector<CodeLine> SplitCodeLines(std::string_view text) {
  std::vector<CodeLine> lines;
  size_t at = 0;
  while (at <= text.size()) {
    size_t nl = text.find('\n', at);
    if (nl == std::string_view::npos) nl = text.size();
    size_t end = nl;
    if (end > at && text[end - 1] == '\r') --end;
    lines.push_back(CodeLine{at, end});
    if (nl == text.size()) break;
    at = nl + 1;
  }
  return lines;
}

inline std::string_view TextOf(std::string_view text, const Span& span) {
  return text.substr(span.begin, span.end - span.begin);
}

inline int LineNumberAt(std::string_view text, size_t at) {
  return 1 + static_cast<int>(
                 std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(at), '\n'));
}

inline bool IsPunctToken(const Token& t, char c) {
  return t.kind == TokenKind::kPunct && t.text.size() == 1 && t.text[0] == c;
}

inline bool IsWordToken(const Token& t, std::string_view word) {
  return t.kind == TokenKind::kWord && t.text == word;
}

inline std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

inline bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && Lower(a) == Lower(b);
}

// Whether `needle` occurs in `haystack`, ignoring ASCII case.
inline bool ContainsIgnoreCase(std::string_view haystack, std::string_view needle) {
  return Lower(haystack).find(Lower(needle)) != std::string::npos;
}

// Title-Case of an HTTP header name ("user-agent" -> "User-Agent").
inline std::string TitleCaseHeader(std::string_view name) {
  std::string out = Lower(name);
  bool start = true;
  for (char& c : out) {
    if (start) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    start = c == '-';
  }
  return out;
}

// Whether `name` looks like an HTTP header name: letters, digits and inner dashes.
inline bool IsHeaderName(std::string_view name) {
  if (name.empty() || !std::isalpha(static_cast<unsigned char>(name.front())) ||
      name.back() == '-') {
    return false;
  }
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-';
  });
}

// The other case form of a header name: lower case when the master is Title-Case, Title-Case
// when it is lower case, lower case otherwise (e.g. "WWW-Authenticate"). Empty when the name has
// no letter to change.
inline std::string OtherHeaderCase(std::string_view name) {
  const std::string title = TitleCaseHeader(name);
  const std::string lower = Lower(name);
  if (name == lower) return title == lower ? std::string() : title;
  return lower;
}

// Whether the items' texts are pairwise distinct (an order point needs that).
inline bool DistinctItems(std::string_view text, const std::vector<Span>& items) {
  std::set<std::string_view> seen;
  for (const Span& s : items) seen.insert(TextOf(text, s));
  return seen.size() == items.size();
}

inline VariationPoint MakeOrderPoint(std::string family, std::string description,
                                     std::vector<Span> items) {
  return VariationPoint{.family = std::move(family),
                        .description = std::move(description),
                        .shape = PointShape::kOrder,
                        .spans = std::move(items)};
}

inline VariationPoint MakeChoicePoint(std::string family, std::string description, Span span,
                                      std::vector<std::string> forms,
                                      std::vector<std::string> styles = {}) {
  VariationPoint point{.family = std::move(family),
                       .description = std::move(description),
                       .shape = PointShape::kChoice,
                       .spans = {span}};
  for (auto& form : forms) point.forms.push_back({std::move(form)});
  point.styles = std::move(styles);
  return point;
}

// A marker canary pattern keeping the look of `value`: "fabrikam-check-7731" ->
// "fabrikam-check-{id}" (a trailing run of digits is replaced), otherwise "value-{id}".
inline std::string MarkerPattern(std::string_view value) {
  size_t end = value.size();
  while (end > 0 && std::isdigit(static_cast<unsigned char>(value[end - 1]))) --end;
  if (end < value.size() && end > 0 && (value[end - 1] == '-' || value[end - 1] == '_')) {
    return std::string(value.substr(0, end)) + "{id}";
  }
  return std::string(value) + "-{id}";
}

// A file-name canary pattern: "portalcheck.aspx" -> "portalcheck-{id}.aspx".
inline std::string FileNamePattern(std::string_view name) {
  const size_t dot = name.rfind('.');
  return std::string(name.substr(0, dot)) + "-{id}" + std::string(name.substr(dot));
}

inline bool IsFileNameChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
}

// Whether `body` is a bare file name with an extension an uploaded or dropped file would have
// ("portalcheck.aspx", "nwcheck.txt").
inline bool IsDroppedFileName(std::string_view body) {
  static constexpr std::array<std::string_view, 14> kExtensions = {
      ".aspx", ".ashx", ".asmx", ".asp",    ".jsp",    ".jspx", ".php",
      ".txt",  ".html", ".htm",  ".config", ".cshtml", ".war",  ".svc"};
  const size_t dot = body.rfind('.');
  if (dot == std::string_view::npos || dot == 0 || body.size() > 64) return false;
  const std::string ext = Lower(body.substr(dot));
  if (std::find(kExtensions.begin(), kExtensions.end(), ext) == kExtensions.end()) return false;
  return std::all_of(body.begin(), body.begin() + static_cast<std::ptrdiff_t>(dot), IsFileNameChar);
}

// The offsets (relative to `body`) where `name` occurs in `body` as a whole file name (not
// preceded or followed by a file-name character or a dot before it).
inline std::vector<size_t> FileNameOccurrences(std::string_view body, std::string_view name) {
  std::vector<size_t> out;
  for (size_t at = body.find(name); at != std::string_view::npos; at = body.find(name, at + 1)) {
    const bool left_ok = at == 0 || (!IsFileNameChar(body[at - 1]) && body[at - 1] != '.');
    const size_t end = at + name.size();
    const bool right_ok = end == body.size() || !IsFileNameChar(body[end]);
    if (left_ok && right_ok) out.push_back(at);
  }
  return out;
}

// The spans of `value` inside the bodies of the string tokens `accept` admits: every
// non-overlapping occurrence, or with `file_name` only where it stands as a whole file name.
template <class Accept>
std::vector<Span> SpansInStrings(const std::vector<Token>& tokens, const Syntax& syntax,
                                 std::string_view value, bool file_name, const Accept& accept) {
  std::vector<Span> spans;
  if (value.empty()) return spans;
  for (const Token& t : tokens) {
    if (t.kind != TokenKind::kString || !accept(t)) continue;
    const std::string_view body = StringBody(t, syntax);
    const size_t base = t.begin + static_cast<size_t>(body.data() - t.text.data());
    std::vector<size_t> offsets;
    if (file_name) {
      offsets = FileNameOccurrences(body, value);
    } else {
      for (size_t at = body.find(value); at != std::string_view::npos;
           at = body.find(value, at + value.size())) {
        offsets.push_back(at);
      }
    }
    for (size_t at : offsets) spans.push_back(Span{base + at, base + at + value.size()});
  }
  return spans;
}

// Adds a canary at `spans` unless there are none, its slot name or value is placed already, or
// a span overlaps another canary's (each value must carry one partner's token alone). Returns
// whether it was added.
inline bool AddCanaryPlacement(FoundMarks& found, CanarySlot slot, std::string value,
                               std::vector<Span> spans) {
  if (spans.empty() || value.empty()) return false;
  for (const auto& c : found.canaries) {
    if (c.slot.name == slot.name || c.original == value) return false;
    for (const Span& a : c.spans) {
      for (const Span& b : spans) {
        if (a.begin < b.end && b.begin < a.end) return false;
      }
    }
  }
  found.canaries.push_back(CanaryPlacement{
      .slot = std::move(slot), .original = std::move(value), .spans = std::move(spans)});
  return true;
}

// Synonym groups for identifier renames (camelCase, first letter lower). A name found in a
// group is renamed among the group's members that do not clash with the text.
inline const std::vector<std::vector<std::string_view>>& SynonymGroups() {
  static const std::vector<std::vector<std::string_view>> kGroups = {
      {"importPath", "uploadPath", "importRoute", "packagePath"},
      {"probeName", "dropName", "payloadName", "fileLabel"},
      {"marker", "beacon", "sentinel", "tag"},
      {"headers", "hdrs", "hdrMap", "fieldSet"},
      {"body", "payload", "requestBody", "postData"},
      {"response", "reply", "answer", "result", "outcome", "reaction"},
      {"check", "verify", "followUp", "second"},
      {"page", "html", "markup", "document", "sheet"},
      {"baseUrl", "rootUrl", "targetUrl", "siteUrl"},
      {"client", "browser", "session", "conn"},
      {"form", "fields", "postBody", "payload"},
      {"url", "uri", "address", "endpoint"},
      {"data", "buffer", "blob", "bytes"},
      {"path", "route", "location", "resource"},
      {"target", "host", "server", "site"},
      {"result", "outcome", "res", "ret"},
      {"content", "text", "raw", "doc"},
      {"request", "req", "call", "query"},
      {"timeout", "waitTime", "limit", "deadline"},
      {"token", "secret", "key", "cred"},
      {"output", "out", "log", "report"},
  };
  return kGroups;
}

// The alternatives for `name` (first = `name` itself, then 1 or 3 more, keeping the case of the
// first letter), skipping any for which `clashes` is true and any that would be a substring of
// another alternative (ignoring case). Empty when fewer than 2 forms remain.
template <class Clashes>
std::vector<std::string> SynonymsFor(std::string_view name, const Clashes& clashes) {
  const std::string lower_name = Lower(name);
  for (const auto& group : SynonymGroups()) {
    const bool member = std::any_of(group.begin(), group.end(),
                                    [&](std::string_view g) { return Lower(g) == lower_name; });
    if (!member) continue;
    std::vector<std::string> forms = {std::string(name)};
    const bool upper = std::isupper(static_cast<unsigned char>(name.front()));
    for (std::string_view g : group) {
      std::string alt(g);
      if (upper) alt[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(alt[0])));
      if (Lower(alt) == lower_name || clashes(alt)) continue;
      const bool nested = std::any_of(forms.begin(), forms.end(), [&](const std::string& f) {
        return ContainsIgnoreCase(f, alt) || ContainsIgnoreCase(alt, f);
      });
      if (!nested) forms.push_back(std::move(alt));
    }
    if (forms.size() >= 4) {
      forms.resize(4);
    } else if (forms.size() >= 2) {
      forms.resize(2);
    } else {
      forms.clear();
    }
    return forms;
  }
  return {};
}

// Drops identifier points (read_globally) whose forms are substrings of another such point's
// forms (ignoring case), so that reading one name never sees another.
inline void DropNestedRenames(std::vector<VariationPoint>& points) {
  std::vector<VariationPoint> kept;
  for (auto& point : points) {
    bool clash = false;
    if (point.read_globally) {
      for (const auto& other : kept) {
        if (!other.read_globally) continue;
        for (const auto& a : point.forms) {
          for (const auto& b : other.forms) {
            if (ContainsIgnoreCase(a[0], b[0]) || ContainsIgnoreCase(b[0], a[0])) clash = true;
          }
        }
      }
    }
    if (!clash) kept.push_back(std::move(point));
  }
  points = std::move(kept);
}

// Keeps in each order point only the items a reader can locate in a copy: those holding a run
// of 1 to 3 consecutive stable tokens (outside every choice and canary span) that occurs exactly
// once in the master (string literals compared by their body, as extraction does). The items
// left out stay in place, which keeps the meaning; a point with fewer than 2 items left is
// dropped. Without this, items such as the `-TimeoutSec $TimeoutSec` shared by two commands
// would make a whole order point unreadable.
inline void KeepLocatableItems(std::string_view text, const Syntax& syntax, FoundMarks& found) {
  const std::vector<Token> tokens = Tokenize(text, syntax);
  std::vector<Span> leaves;
  for (const auto& p : found.points) {
    if (p.shape == PointShape::kChoice) leaves.insert(leaves.end(), p.spans.begin(), p.spans.end());
  }
  for (const auto& c : found.canaries) leaves.insert(leaves.end(), c.spans.begin(), c.spans.end());
  std::vector<bool> stable(tokens.size());
  std::vector<std::string> keys(tokens.size());
  for (size_t i = 0; i < tokens.size(); ++i) {
    const Token& t = tokens[i];
    stable[i] = std::none_of(leaves.begin(), leaves.end(),
                             [&](const Span& s) { return s.begin < t.end && t.begin < s.end; });
    keys[i] = t.kind == TokenKind::kString ? "\x01" + std::string(StringBody(t, syntax))
                                           : std::string(t.text);
  }
  std::map<std::string, int> counts;
  auto gram = [&](size_t i, size_t n) {
    std::string key;
    for (size_t k = i; k < i + n; ++k) key += keys[k] + '\x02';
    return key;
  };
  auto all_stable = [&](size_t i, size_t n) {
    for (size_t k = i; k < i + n; ++k) {
      if (!stable[k]) return false;
    }
    return true;
  };
  for (size_t n = 1; n <= 3; ++n) {
    for (size_t i = 0; i + n <= tokens.size(); ++i) {
      if (all_stable(i, n)) ++counts[gram(i, n)];
    }
  }
  std::vector<VariationPoint> kept;
  for (auto& point : found.points) {
    if (point.shape == PointShape::kOrder) {
      std::vector<Span> items;
      for (const Span& item : point.spans) {
        bool locatable = false;
        for (size_t n = 1; n <= 3 && !locatable; ++n) {
          for (size_t i = 0; i + n <= tokens.size() && !locatable; ++i) {
            if (tokens[i].begin < item.begin || tokens[i + n - 1].end > item.end) continue;
            locatable = all_stable(i, n) && counts[gram(i, n)] == 1;
          }
        }
        if (locatable) items.push_back(item);
      }
      if (items.size() < 2) continue;
      if (items.size() < point.spans.size()) {
        point.description += fmt::format(" ({} of them move)", items.size());
      }
      point.spans = std::move(items);
    }
    kept.push_back(std::move(point));
  }
  found.points = std::move(kept);
}

}  // namespace forewarn::trace::internal
