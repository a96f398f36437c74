// Detection-rule embedders: YARA, Snort/Suricata and Sigma.
//
// YARA (per rule):
//   meta-order       the lines of a `meta:` section (metadata order means nothing to a scan);
//   statement-order  the string definitions of `strings:` (one per line);
//   string-name      each `$name` renamed with every `#name`/`@name`/`!name` use, read globally;
//                    names covered by a `$prefix*` wildcard are left alone, and no new name
//                    joins a wildcard set;
//   operand-order    the operands of a chain of `and` (or of `or`) at one parenthesis level,
//                    when every operand is a simple term (and/or are commutative in YARA);
//   literal-form     `20KB` <-> `20480`, decimal <-> hex integers in the condition;
//   option-order     the order of a string's plain modifiers (`ascii nocase`).
// Snort/Suricata: option-order over the position-independent options of each rule (msg,
//   classtype, sid, rev, reference, metadata, priority, gid), permuted among their own slots;
//   payload options (content, sticky buffers, modifiers, pcre, flow...) never move.
// Sigma (YAML): meta-order over the order-free top-level keys (detection stays in its slot);
//   entry-order over the `field: value` entries of each detection selection map; list-order
//   over the single-line items of `tags`, `references` and `falsepositives`; quote-style of
//   quoted scalar values without quotes or backslashes in their body.
// Rules carry no canary: they detect, attackers do not run them.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "trace/embed_code_util.h"
#include "trace/embed_internal.h"

namespace forewarn::trace::internal {
namespace {

// Lines without their newline (and a '\r' before it): trace/embed_code_util.h.
using Line = CodeLine;
std::vector<Line> SplitLines(std::string_view text) { return SplitCodeLines(text); }

// The line without its leading and trailing blanks, as a span (empty when blank).
Span TrimmedSpan(std::string_view text, const Line& line) {
  size_t b = line.begin;
  size_t e = line.end;
  while (b < e && (text[b] == ' ' || text[b] == '\t')) ++b;
  while (e > b && (text[e - 1] == ' ' || text[e - 1] == '\t')) --e;
  return Span{b, e};
}

size_t IndentOf(std::string_view text, const Line& line) {
  size_t i = line.begin;
  while (i < line.end && text[i] == ' ') ++i;
  return i - line.begin;
}

int LineAt(std::string_view text, size_t at) {
  return 1 + static_cast<int>(std::count(text.begin(), text.begin() + static_cast<long>(at), '\n'));
}

std::string_view SpanText(std::string_view text, const Span& span) {
  return text.substr(span.begin, span.end - span.begin);
}

std::string_view LineText(std::string_view text, const Line& line) {
  return text.substr(line.begin, line.end - line.begin);
}

bool DistinctTexts(std::string_view text, const std::vector<Span>& spans) {
  std::set<std::string_view> seen;
  for (const Span& s : spans) seen.insert(SpanText(text, s));
  return seen.size() == spans.size();
}

VariationPoint OrderPoint(std::string family, std::string description, std::vector<Span> items) {
  return VariationPoint{.family = std::move(family),
                        .description = std::move(description),
                        .shape = PointShape::kOrder,
                        .spans = std::move(items)};
}

// ----------------------------------------------------------------------------------- YARA

bool IsPunct(const Token& t, char c) { return t.kind == TokenKind::kPunct && t.text[0] == c; }

bool IsStringRef(std::string_view word) {
  return word.size() >= 2 && (word[0] == '$' || word[0] == '#' || word[0] == '@' || word[0] == '!');
}

// The value of a decimal or hex integer literal, with KB/MB units; nullopt otherwise.
std::optional<uint64_t> IntegerValue(std::string_view text) {
  uint64_t unit = 1;
  if (text.size() > 2 && (text.ends_with("KB") || text.ends_with("MB"))) {
    unit = text.ends_with("KB") ? 1024 : 1024 * 1024;
    text.remove_suffix(2);
  }
  int base = 10;
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    base = 16;
    text.remove_prefix(2);
  }
  if (text.empty() || text.size() > 12) return std::nullopt;
  uint64_t value = 0;
  for (char c : text) {
    const int digit = std::isdigit(static_cast<unsigned char>(c)) ? c - '0'
                      : base == 16 && std::isxdigit(static_cast<unsigned char>(c))
                          ? std::tolower(static_cast<unsigned char>(c)) - 'a' + 10
                          : -1;
    if (digit < 0) return std::nullopt;
    value = value * static_cast<uint64_t>(base) + static_cast<uint64_t>(digit);
  }
  return value * unit;
}

// A term whose place in an and/or chain cannot matter: `$a`, `#a > 2`, `filesize < 20KB`,
// `not` before one of those, or a parenthesized group. Anything else (`$a at 0`, function
// calls such as `uint16(0) == 0x5A4D`, `for` and `of` expressions) is not accepted, which
// keeps the chain as written.
bool IsSimpleOperand(const std::vector<Token>& toks, size_t b, size_t e,
                     const std::vector<size_t>& match) {
  if (b >= e) return false;
  if (IsPunct(toks[b], '(')) return match[b] == e - 1;
  if (toks[b].kind == TokenKind::kWord && toks[b].text == "not") {
    return IsSimpleOperand(toks, b + 1, e, match);
  }
  auto is_value = [&](const Token& t) {
    if (t.kind == TokenKind::kNumber) return true;
    if (t.kind != TokenKind::kWord) return false;
    return t.text == "filesize" || t.text == "true" || t.text == "false" ||
           (IsStringRef(t.text) && t.text[0] != '!' && t.text[0] != '@');
  };
  if (e - b == 1) {
    return toks[b].kind == TokenKind::kWord &&
           (toks[b].text[0] == '$' || toks[b].text == "true" || toks[b].text == "false");
  }
  // value OP value, OP made of 1 or 2 of < > = (and the word token "!" for !=).
  if (!is_value(toks[b]) || !is_value(toks[e - 1])) return false;
  if (toks[b].kind == TokenKind::kWord && toks[b].text[0] == '$') return false;
  const size_t op_len = e - b - 2;
  if (op_len < 1 || op_len > 2) return false;
  for (size_t i = b + 1; i < e - 1; ++i) {
    const std::string_view t = toks[i].text;
    if (!(t == "<" || t == ">" || t == "=" || (t == "!" && i == b + 1))) return false;
  }
  return true;
}

struct YaraRule {
  size_t open = 0;   // token index of '{'
  size_t close = 0;  // token index of the matching '}'
  std::optional<std::pair<size_t, size_t>> meta, strings, condition;  // token ranges
};

class YaraEmbedder {
 public:
  explicit YaraEmbedder(std::string_view text)
      : text_(text), toks_(Tokenize(text, SyntaxFor(Language::kYara))) {
    match_.assign(toks_.size(), toks_.size());
    std::vector<size_t> stack;
    for (size_t i = 0; i < toks_.size(); ++i) {
      if (IsPunct(toks_[i], '(') || IsPunct(toks_[i], '{')) stack.push_back(i);
      if ((IsPunct(toks_[i], ')') || IsPunct(toks_[i], '}')) && !stack.empty()) {
        match_[stack.back()] = i;
        stack.pop_back();
      }
    }
  }

  FoundMarks Run() {
    for (size_t i = 0; i + 2 < toks_.size(); ++i) {
      if (toks_[i].kind != TokenKind::kWord || toks_[i].text != "rule") continue;
      // rule NAME [: tags] {
      size_t j = i + 1;
      while (j < toks_.size() && !IsPunct(toks_[j], '{')) ++j;
      if (j >= toks_.size() || match_[j] >= toks_.size()) break;
      YaraRule rule{.open = j, .close = match_[j]};
      FindSections(rule);
      Rule(rule);
      i = rule.close;
    }
    return std::move(found_);
  }

 private:
  void FindSections(YaraRule& rule) {
    std::vector<std::pair<size_t, std::string_view>> heads;
    for (size_t k = rule.open + 1; k + 1 < rule.close; ++k) {
      const auto& t = toks_[k];
      if (t.kind == TokenKind::kWord && IsPunct(toks_[k + 1], ':') &&
          (t.text == "meta" || t.text == "strings" || t.text == "condition")) {
        heads.emplace_back(k, t.text);
      }
    }
    for (size_t h = 0; h < heads.size(); ++h) {
      const size_t from = heads[h].first + 2;
      const size_t to = h + 1 < heads.size() ? heads[h + 1].first : rule.close;
      const auto range = std::make_pair(from, to);
      if (heads[h].second == "meta") rule.meta = range;
      if (heads[h].second == "strings") rule.strings = range;
      if (heads[h].second == "condition") rule.condition = range;
    }
  }

  // Tokens [from, to) grouped by the line they start on.
  std::vector<std::pair<size_t, size_t>> TokenLines(size_t from, size_t to) {
    std::vector<std::pair<size_t, size_t>> lines;  // token ranges, one per line
    for (size_t k = from; k < to; ++k) {
      if (lines.empty() || toks_[k].line != toks_[lines.back().first].line) {
        lines.emplace_back(k, k + 1);
      } else {
        lines.back().second = k + 1;
      }
    }
    return lines;
  }

  // The span of a line's content from its first token to its last token.
  Span LineSpan(size_t from, size_t to) { return Span{toks_[from].begin, toks_[to - 1].end}; }

  bool SingleLine(size_t from, size_t to) {
    return toks_[from].line == LineAt(text_, toks_[to - 1].end > 0 ? toks_[to - 1].end - 1 : 0);
  }

  void Rule(const YaraRule& rule) {
    if (rule.meta) MetaOrder(*rule.meta);
    if (rule.strings) Strings(rule, *rule.strings);
    if (rule.condition) {
      const auto [from, to] = *rule.condition;
      Operands(from, to, rule);
      Literals(from, to);
    }
  }

  void MetaOrder(std::pair<size_t, size_t> range) {
    std::vector<Span> items;
    for (const auto& [b, e] : TokenLines(range.first, range.second)) {
      // key = value on one line.
      if (e - b != 3 || toks_[b].kind != TokenKind::kWord || !IsPunct(toks_[b + 1], '=') ||
          !SingleLine(b, e)) {
        return;
      }
      items.push_back(LineSpan(b, e));
    }
    if (items.size() < 2 || !DistinctTexts(text_, items)) return;
    found_.points.push_back(OrderPoint("meta-order",
                                       fmt::format("order of the {} meta lines at line {}",
                                                   items.size(), LineAt(text_, items[0].begin)),
                                       items));
  }

  void Strings(const YaraRule& rule, std::pair<size_t, size_t> range) {
    std::vector<Span> items;
    bool all_simple = true;
    std::vector<std::string_view> names;
    for (const auto& [b, e] : TokenLines(range.first, range.second)) {
      const bool def = e - b >= 3 && toks_[b].kind == TokenKind::kWord && toks_[b].text[0] == '$' &&
                       IsPunct(toks_[b + 1], '=') && toks_[b + 2].kind == TokenKind::kString &&
                       SingleLine(b, e);
      if (!def) {
        all_simple = false;
        continue;
      }
      items.push_back(LineSpan(b, e));
      if (toks_[b].text.size() > 1) names.push_back(toks_[b].text.substr(1));
      ModifierOrder(b + 3, e);
    }
    if (all_simple && items.size() >= 2 && DistinctTexts(text_, items)) {
      found_.points.push_back(
          OrderPoint("statement-order",
                     fmt::format("order of the {} string definitions at line {}", items.size(),
                                 LineAt(text_, items[0].begin)),
                     items));
    }
    StringNames(rule, names);
  }

  void ModifierOrder(size_t b, size_t e) {
    static const std::set<std::string_view> kPlain = {"ascii", "wide", "nocase", "fullword",
                                                      "private"};
    std::vector<Span> items;
    for (size_t k = b; k < e; ++k) {
      if (toks_[k].kind != TokenKind::kWord || !kPlain.contains(toks_[k].text)) return;
      items.push_back(Span{toks_[k].begin, toks_[k].end});
    }
    if (items.size() < 2 || !DistinctTexts(text_, items)) return;
    found_.points.push_back(OrderPoint("option-order",
                                       fmt::format("order of the {} string modifiers at line {}",
                                                   items.size(), LineAt(text_, items[0].begin)),
                                       items));
  }

  // Whether `word` occurs in the text outside a word (letters, digits, '_').
  size_t CountWord(std::string_view word) const {
    size_t count = 0;
    for (size_t at = text_.find(word); at != std::string_view::npos;
         at = text_.find(word, at + 1)) {
      auto is_word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
      const bool left = at == 0 || !is_word(text_[at - 1]);
      const bool right = at + word.size() >= text_.size() || !is_word(text_[at + word.size()]);
      count += left && right ? 1 : 0;
    }
    return count;
  }

  void StringNames(const YaraRule& rule, const std::vector<std::string_view>& names) {
    // Wildcard prefixes used anywhere in the rule (`$x*`).
    std::vector<std::string_view> wildcards;
    for (size_t k = rule.open; k + 1 < rule.close; ++k) {
      if (toks_[k].kind == TokenKind::kWord && toks_[k].text[0] == '$' &&
          IsPunct(toks_[k + 1], '*') && toks_[k + 1].begin == toks_[k].end) {
        wildcards.push_back(toks_[k].text.substr(1));
      }
    }
    auto in_wildcard = [&](std::string_view name) {
      return std::any_of(wildcards.begin(), wildcards.end(),
                         [&](std::string_view w) { return name.starts_with(w); });
    };
    static const std::array<std::string_view, 3> kPrefixes = {"str_", "s_", "pat_"};
    for (std::string_view name : names) {
      if (in_wildcard(name)) continue;
      const std::string_view bare = name;
      std::vector<Span> spans;
      std::vector<char> sigils;
      for (size_t k = rule.open; k < rule.close; ++k) {
        const auto& t = toks_[k];
        if (t.kind == TokenKind::kWord && IsStringRef(t.text) && t.text.substr(1) == bare) {
          spans.push_back(Span{t.begin, t.end});
          sigils.push_back(t.text[0]);
        }
      }
      // Every occurrence of the name in the whole text must be one of ours.
      if (CountWord(bare) != spans.size() || spans.size() < 2) continue;
      std::vector<std::string> alternatives;
      for (std::string_view prefix : kPrefixes) {
        std::string alt = std::string(prefix) + std::string(bare);
        if (text_.find(alt) != std::string_view::npos || used_names_.contains(alt) ||
            in_wildcard(alt)) {
          continue;
        }
        alternatives.push_back(std::move(alt));
      }
      if (alternatives.empty()) continue;
      alternatives.resize(alternatives.size() >= 3 ? 3 : 1);
      VariationPoint point{
          .family = "string-name",
          .description = fmt::format("name of string ${} ({} uses)", bare, spans.size()),
          .shape = PointShape::kChoice,
          .spans = spans};
      point.read_globally = true;
      std::vector<std::string> all = {std::string(bare)};
      all.insert(all.end(), alternatives.begin(), alternatives.end());
      for (const std::string& n : all) {
        used_names_.insert(n);
        std::vector<std::string> form;
        for (char sigil : sigils) form.push_back(std::string(1, sigil) + n);
        point.forms.push_back(std::move(form));
      }
      found_.points.push_back(std::move(point));
    }
  }

  // and/or chains at every parenthesis level of the condition [from, to).
  void Operands(size_t from, size_t to, const YaraRule& rule) {
    std::vector<size_t> seps;
    std::string_view op;
    bool mixed = false;
    for (size_t k = from; k < to; ++k) {
      if (IsPunct(toks_[k], '(') && match_[k] < to) {
        Operands(k + 1, match_[k], rule);
        k = match_[k];
        continue;
      }
      if (toks_[k].kind == TokenKind::kWord && (toks_[k].text == "and" || toks_[k].text == "or")) {
        if (!op.empty() && op != toks_[k].text) mixed = true;
        op = toks_[k].text;
        seps.push_back(k);
      }
    }
    if (mixed || seps.empty()) return;
    std::vector<Span> items;
    size_t b = from;
    seps.push_back(to);
    for (size_t s : seps) {
      if (!IsSimpleOperand(toks_, b, s, match_)) return;
      items.push_back(Span{toks_[b].begin, toks_[s - 1].end});
      b = s + 1;
    }
    if (items.size() < 2 || !DistinctTexts(text_, items)) return;
    found_.points.push_back(OrderPoint("operand-order",
                                       fmt::format("order of the {} '{}' operands at line {}",
                                                   items.size(), op, LineAt(text_, items[0].begin)),
                                       items));
  }

  void Literals(size_t from, size_t to) {
    for (size_t k = from; k < to; ++k) {
      const Token& t = toks_[k];
      if (t.kind != TokenKind::kNumber) continue;
      const auto value = IntegerValue(t.text);
      if (!value) continue;
      const std::string master(t.text);
      VariationPoint point{
          .family = "literal-form", .shape = PointShape::kChoice, .spans = {Span{t.begin, t.end}}};
      if (master.ends_with("KB") || master.ends_with("MB")) {
        point.description = fmt::format("size {} as bytes", master);
        point.forms = {{master}, {std::to_string(*value)}};
      } else if (master.starts_with("0x") || master.starts_with("0X")) {
        point.description = fmt::format("hex literal {} as decimal", master);
        point.forms = {{master}, {std::to_string(*value)}};
        point.styles = {"hex", "decimal"};
      } else if (master == std::to_string(*value)) {
        point.description = fmt::format("decimal literal {} as hex", master);
        point.forms = {{master}, {fmt::format("{:#x}", *value)}};
        point.styles = {"decimal", "hex"};
      } else {
        continue;  // leading zeros or other forms: leave alone
      }
      found_.points.push_back(std::move(point));
    }
  }

  std::string_view text_;
  std::vector<Token> toks_;
  std::vector<size_t> match_;
  std::set<std::string> used_names_;
  FoundMarks found_;
};

// ---------------------------------------------------------------------------------- Snort

void SnortRule(std::string_view text, const std::vector<Token>& toks, size_t open, size_t close,
               FoundMarks& found) {
  static const std::set<std::string_view> kFree = {"msg",       "classtype", "sid",      "rev",
                                                   "reference", "metadata",  "priority", "gid"};
  std::vector<Span> items;
  size_t start = open + 1;
  for (size_t k = open + 1; k < close; ++k) {
    if (!IsPunct(toks[k], ';')) continue;
    if (k > start && toks[start].kind == TokenKind::kWord && kFree.contains(toks[start].text) &&
        (k == start + 1 || IsPunct(toks[start + 1], ':'))) {
      items.push_back(Span{toks[start].begin, toks[k].end});
    }
    start = k + 1;
  }
  if (start != close) return;  // the last option is not closed by ';': leave the rule alone
  if (items.size() < 2 || !DistinctTexts(text, items)) return;
  found.points.push_back(
      OrderPoint("option-order",
                 fmt::format("order of the {} position-independent options of the rule at line {}",
                             items.size(), LineAt(text, items[0].begin)),
                 items));
}

// ---------------------------------------------------------------------------------- Sigma

struct YamlBlock {
  size_t first_line = 0;  // the key line
  size_t last_line = 0;   // last non-blank continuation line
};

// The blocks of keys at `indent` in lines [from, to): each key line with the following lines
// that are deeper (or blank, or a same-indent "- " list item). nullopt when a line at that indent
// is not a `key:` line.
std::optional<std::vector<YamlBlock>> Blocks(std::string_view text, const std::vector<Line>& lines,
                                             size_t from, size_t to, size_t indent) {
  std::vector<YamlBlock> blocks;
  for (size_t i = from; i < to; ++i) {
    const Span t = TrimmedSpan(text, lines[i]);
    if (t.begin == t.end) continue;
    const size_t ind = IndentOf(text, lines[i]);
    const std::string_view content = SpanText(text, t);
    if (ind > indent || (ind == indent && content.starts_with("- ") && !blocks.empty())) {
      if (blocks.empty()) return std::nullopt;
      blocks.back().last_line = i;
      continue;
    }
    if (ind < indent || content.starts_with("#") || content.starts_with("---") ||
        content.starts_with("- ")) {
      return std::nullopt;
    }
    const size_t colon = content.find(':');
    if (colon == std::string_view::npos || colon == 0 ||
        (colon + 1 < content.size() && content[colon + 1] != ' ') || content[0] == '\'' ||
        content[0] == '"' || content[0] == '?') {
      return std::nullopt;
    }
    blocks.push_back(YamlBlock{i, i});
  }
  return blocks;
}

std::string_view KeyOf(std::string_view text, const Line& line) {
  const std::string_view content = SpanText(text, TrimmedSpan(text, line));
  return content.substr(0, content.find(':'));
}

class SigmaEmbedder {
 public:
  explicit SigmaEmbedder(std::string_view text) : text_(text), lines_(SplitLines(text)) {}

  FoundMarks Run() {
    // One document only, no tabs, no block scalars or flow collections we would misread.
    for (const Line& line : lines_) {
      const std::string_view l = LineText(text_, line);
      if (l.find('\t') != std::string_view::npos) return {};
      const std::string_view content = SpanText(text_, TrimmedSpan(text_, line));
      if (content.starts_with("---") && &line != &lines_.front()) return {};
      if (content.ends_with("|") || content.ends_with(">") || content.ends_with("|-") ||
          content.ends_with(">-") || content.starts_with("{") || content.starts_with("[")) {
        return {};
      }
    }
    size_t from = 0;
    if (!lines_.empty() && LineText(text_, lines_[0]).starts_with("---")) from = 1;
    const auto top = Blocks(text_, lines_, from, lines_.size(), 0);
    if (!top) return {};
    TopLevel(*top);
    Quotes();
    return std::move(found_);
  }

 private:
  // The first non-blank line after `line` (blocks with continuation lines have one).
  size_t NextContent(size_t line) const {
    size_t i = line + 1;
    while (i + 1 < lines_.size() &&
           TrimmedSpan(text_, lines_[i]).begin == TrimmedSpan(text_, lines_[i]).end)
      ++i;
    return i;
  }

  Span BlockSpan(const YamlBlock& b) const {
    return Span{lines_[b.first_line].begin, TrimmedSpan(text_, lines_[b.last_line]).end};
  }

  void TopLevel(const std::vector<YamlBlock>& top) {
    static const std::set<std::string_view> kFree = {
        "title",    "id",   "status",    "description", "references",     "author",  "date",
        "modified", "tags", "logsource", "level",       "falsepositives", "license", "related"};
    std::vector<Span> items;
    std::set<std::string_view> keys;
    for (const YamlBlock& b : top) {
      const std::string_view key = KeyOf(text_, lines_[b.first_line]);
      if (!keys.insert(key).second) return;  // duplicate key: not a sound mapping
      if (kFree.contains(key)) items.push_back(BlockSpan(b));
      if (key == "tags" || key == "references" || key == "falsepositives") ListOrder(b);
      if (key == "detection") Detection(b);
    }
    if (items.size() >= 2 && DistinctTexts(text_, items)) {
      found_.points.push_back(OrderPoint(
          "meta-order", fmt::format("order of the {} top-level keys", items.size()), items));
    }
  }

  void ListOrder(const YamlBlock& b) {
    if (b.last_line == b.first_line) return;
    const std::string_view head = SpanText(text_, TrimmedSpan(text_, lines_[b.first_line]));
    if (!head.ends_with(":")) return;
    std::vector<Span> items;
    size_t indent = std::string_view::npos;
    for (size_t i = b.first_line + 1; i <= b.last_line; ++i) {
      const Span t = TrimmedSpan(text_, lines_[i]);
      if (t.begin == t.end) continue;
      const std::string_view content = SpanText(text_, t);
      const size_t ind = IndentOf(text_, lines_[i]);
      if (indent == std::string_view::npos) indent = ind;
      if (ind != indent || !content.starts_with("- ") ||
          content.find(" #") != std::string_view::npos) {
        return;  // nested or multi-line items, comments: leave alone
      }
      items.push_back(t);
    }
    if (items.size() < 2 || !DistinctTexts(text_, items)) return;
    found_.points.push_back(OrderPoint("list-order",
                                       fmt::format("order of the {} items of '{}'", items.size(),
                                                   KeyOf(text_, lines_[b.first_line])),
                                       items));
  }

  void Detection(const YamlBlock& b) {
    if (b.last_line == b.first_line) return;
    const size_t indent = IndentOf(text_, lines_[NextContent(b.first_line)]);
    const auto children = Blocks(text_, lines_, b.first_line + 1, b.last_line + 1, indent);
    if (!children) return;
    for (const YamlBlock& child : *children) {
      if (child.last_line == child.first_line) continue;  // condition: ..., timeframe: ...
      const std::string_view head = SpanText(text_, TrimmedSpan(text_, lines_[child.first_line]));
      if (!head.ends_with(":")) continue;
      const size_t inner = IndentOf(text_, lines_[NextContent(child.first_line)]);
      if (inner <= indent) continue;  // a list selection: `- field: value`
      const auto entries = Blocks(text_, lines_, child.first_line + 1, child.last_line + 1, inner);
      if (!entries || entries->size() < 2) continue;
      std::vector<Span> items;
      std::set<std::string_view> keys;
      for (const YamlBlock& e : *entries) {
        if (!keys.insert(KeyOf(text_, lines_[e.first_line])).second) {
          items.clear();
          break;
        }
        items.push_back(BlockSpan(e));
      }
      if (items.size() < 2 || !DistinctTexts(text_, items)) continue;
      found_.points.push_back(
          OrderPoint("entry-order",
                     fmt::format("order of the {} entries of selection '{}'", items.size(),
                                 KeyOf(text_, lines_[child.first_line])),
                     items));
    }
  }

  // `key: 'value'` or `- 'value'` lines whose whole value is one quoted scalar.
  void Quotes() {
    for (const Line& line : lines_) {
      const Span t = TrimmedSpan(text_, line);
      const std::string_view content = SpanText(text_, t);
      size_t value_at = std::string_view::npos;
      if (content.starts_with("- ")) {
        value_at = 2;
      } else if (const size_t colon = content.find(": ");
                 colon != std::string_view::npos && content[0] != '\'' && content[0] != '"') {
        value_at = colon + 2;
      }
      if (value_at == std::string_view::npos) continue;
      while (value_at < content.size() && content[value_at] == ' ') ++value_at;
      if (content.size() - value_at < 2) continue;
      const char quote = content[value_at];
      if ((quote != '\'' && quote != '"') || content.back() != quote) continue;
      const std::string_view body = content.substr(value_at + 1, content.size() - value_at - 2);
      if (body.find_first_of("'\"\\") != std::string_view::npos) continue;
      const std::string master(content.substr(value_at));
      const std::string single = "'" + std::string(body) + "'";
      const std::string dbl = "\"" + std::string(body) + "\"";
      VariationPoint point{.family = "quote-style",
                           .description = fmt::format("quote style of {}", master),
                           .shape = PointShape::kChoice,
                           .spans = {Span{t.begin + value_at, t.end}}};
      if (quote == '\'') {
        point.forms = {{single}, {dbl}};
        point.styles = {"single", "double"};
      } else {
        point.forms = {{dbl}, {single}};
        point.styles = {"double", "single"};
      }
      found_.points.push_back(std::move(point));
    }
  }

  std::string_view text_;
  std::vector<Line> lines_;
  FoundMarks found_;
};

}  // namespace

FoundMarks FindYaraMarks(std::string_view text) { return YaraEmbedder(text).Run(); }

FoundMarks FindSnortMarks(std::string_view text) {
  FoundMarks found;
  const std::vector<Token> toks = Tokenize(text, SyntaxFor(Language::kSnort));
  for (size_t i = 0; i < toks.size(); ++i) {
    if (!IsPunct(toks[i], '(')) continue;
    // The option list runs to the matching ')' (parentheses inside quoted values are strings).
    int depth = 0;
    size_t close = toks.size();
    for (size_t k = i; k < toks.size(); ++k) {
      if (IsPunct(toks[k], '(')) ++depth;
      if (IsPunct(toks[k], ')') && --depth == 0) {
        close = k;
        break;
      }
    }
    if (close == toks.size()) break;
    SnortRule(text, toks, i, close, found);
    i = close;
  }
  return found;
}

FoundMarks FindSigmaMarks(std::string_view text) { return SigmaEmbedder(text).Run(); }

}  // namespace forewarn::trace::internal
