// Prose embedder (Markdown descriptions, mitigations, advisories).
//
//   wording      a phrase from a curated table of equivalent wordings ("install the update" /
//                "apply the update"); each occurrence is one choice point, matched on word
//                boundaries with its first letter's case kept, never in headings, code spans,
//                fenced code, URLs or link targets;
//   list-order   the items of a bullet list (`- ` / `* `) — numbered lists are ordered steps and
//                are never reordered;
//   punctuation  the serial comma ("A, B and C" <-> "A, B, and C") and "e.g." <-> "for example".
// Prose carries no canary.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <string>

#include "trace/embed_code_util.h"
#include "trace/embed_internal.h"

namespace forewarn::trace::internal {
namespace {

// How a group's phrases may be found in the master.
enum Trigger {
  kAny = 0,          // any phrase of the group is replaced by the others
  kFirstOnly = 1,    // only the first phrase is looked for (the others are ambiguous as triggers)
  kCapitalOnly = 2,  // only a capitalized occurrence (a sentence opener) is looked for
};

struct WordingGroup {
  std::vector<std::string_view> phrases;  // 2 or 4 interchangeable phrases, lowercase first letter
  int trigger = kAny;
};

// Each group's phrases are interchangeable in every sentence where one occurs (with the trigger
// restriction). Longer phrases are tried first, so "could allow" wins over "allow".
const std::vector<WordingGroup>& Wordings() {
  static const std::vector<WordingGroup> kGroups = {
      {{"install the update", "apply the update"}},
      {{"install the patch", "apply the patch"}},
      {{"install the security update", "apply the security update"}},
      {{"then", "next"}, kFirstOnly | kCapitalOnly},
      {{"because", "since"}, kFirstOnly},
      {{"can therefore", "can thus"}},
      {{"typically", "usually"}},
      {{"typical", "common"}, kFirstOnly},
      {{"remote code execution", "remote execution of code"}},
      {{"without credentials", "with no credentials"}},
      {{"without authentication", "with no authentication"}},
      {{"before", "prior to"}},
      {{"decides", "determines"}},
      {{"such as", "like"}, kFirstOnly},
      {{"looking at", "inspecting"}, kFirstOnly},
      {{"sign-out page", "logout page"}},
      {{"skips", "bypasses"}, kFirstOnly},
      {{"submit", "send"}, kFirstOnly},
      {{"compiles and runs", "compiles and executes"}},
      {{"chained together", "combined"}, kFirstOnly},
      {{"could allow", "might allow"}},
      {{"allow", "enable"}, kFirstOnly},
      {{"first step", "initial step"}},
      {{"gaining", "obtaining"}},
      {{"gain", "obtain"}},
      {{"gained", "obtained"}},
      {{"gains", "obtains"}},
      {{"forge", "counterfeit"}, kFirstOnly},
      {{"keep access", "retain access", "maintain access", "preserve access"}},
      {{"update is installed", "update is applied"}},
      {{"patch is installed", "patch is applied"}},
      {{"updates are installed", "updates are applied"}},
      {{"ends in", "ends with"}},
      {{"ending in", "ending with"}},
      {{"spawned by", "started by", "launched by", "created by"}, kFirstOnly},
      {{"stay valid", "remain valid"}},
      {{"stays valid", "remains valid"}},
      {{"every", "each"}, kFirstOnly},
      {{"review them", "inspect them", "examine them", "check them"}},
      {{"at the reverse proxy", "on the reverse proxy"}},
      {{"in order to", "so as to"}},
      {{"for example", "for instance"}},
      {{"a number of", "several"}, kFirstOnly},
      {{"multiple", "several"}},
      {{"as soon as possible", "at the earliest opportunity"}},
      {{"immediately", "without delay"}, kFirstOnly},
      {{"in addition,", "additionally,"}},
      {{"furthermore", "moreover"}},
      {{"we recommend", "we advise"}},
      {{"is recommended", "is advised"}},
      {{"upgrade to", "update to"}, kFirstOnly},
      {{"the latest version", "the most recent version"}},
      {{"does not", "doesn't"}},
      {{"do not", "don't"}},
      {{"is not", "isn't"}},
      {{"cannot", "can't"}},
      {{"contains", "includes"}},
      {{"approximately", "about"}, kFirstOnly},
      {{"administrators", "admins"}, kFirstOnly},
      {{"configuration", "settings"}, kFirstOnly},
  };
  return kGroups;
}

bool IsWordChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '\'' ||
         static_cast<unsigned char>(c) >= 0x80;
}

int LineAt(std::string_view text, size_t at) {
  return 1 + static_cast<int>(std::count(text.begin(), text.begin() + static_cast<long>(at), '\n'));
}

// Lines without their newline (and a '\r' before it): trace/embed_code_util.h.
using Line = CodeLine;
std::vector<Line> SplitLines(std::string_view text) { return SplitCodeLines(text); }

std::string_view Trimmed(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

class ProseEmbedder {
 public:
  explicit ProseEmbedder(std::string_view text)
      : text_(text), lines_(SplitLines(text)), masked_(text.size(), false) {}

  FoundMarks Run() {
    Mask();
    Lists();
    Punctuation();
    Wording();
    return std::move(found_);
  }

 private:
  void MaskRange(size_t b, size_t e) {
    for (size_t i = b; i < e && i < masked_.size(); ++i) masked_[i] = true;
  }

  bool Free(size_t b, size_t e) const {
    return std::none_of(masked_.begin() + static_cast<long>(b),
                        masked_.begin() + static_cast<long>(e), [](bool m) { return m; });
  }

  // Headings, fenced code, indented code, code spans, URLs, link targets and HTML tags are never
  // touched.
  void Mask() {
    bool fenced = false;
    for (size_t l = 0; l < lines_.size(); ++l) {
      const Line& line = lines_[l];
      const std::string_view raw = text_.substr(line.begin, line.end - line.begin);
      const std::string_view content = Trimmed(raw);
      if (content.starts_with("```") || content.starts_with("~~~")) {
        fenced = !fenced;
        MaskRange(line.begin, line.end);
        continue;
      }
      const bool setext_heading = l + 1 < lines_.size() && !content.empty() && [&] {
        const std::string_view next =
            Trimmed(text_.substr(lines_[l + 1].begin, lines_[l + 1].end - lines_[l + 1].begin));
        return next.size() >= 2 && (next.find_first_not_of('=') == std::string_view::npos ||
                                    next.find_first_not_of('-') == std::string_view::npos);
      }();
      if (fenced || content.starts_with("#") || raw.starts_with("    ") || raw.starts_with("\t") ||
          content.starts_with("|") || setext_heading) {
        MaskRange(line.begin, line.end);
      }
    }
    // Code spans (may not cross a blank line; keep it simple: same paragraph text).
    for (size_t i = 0; i < text_.size(); ++i) {
      if (text_[i] == '`') {
        size_t j = i;
        while (j < text_.size() && text_[j] == '`') ++j;
        const std::string ticks(j - i, '`');
        const size_t close = text_.find(ticks, j);
        const size_t stop = close == std::string_view::npos ? text_.size() : close + ticks.size();
        MaskRange(i, stop);
        i = stop - 1;
      }
    }
    // URLs and other non-space runs with "://", "www.", link targets "](...)", HTML "<...>".
    for (size_t i = 0; i < text_.size();) {
      if (std::isspace(static_cast<unsigned char>(text_[i]))) {
        ++i;
        continue;
      }
      size_t j = i;
      while (j < text_.size() && !std::isspace(static_cast<unsigned char>(text_[j]))) ++j;
      const std::string_view run = text_.substr(i, j - i);
      if (run.find("://") != std::string_view::npos || run.find("www.") != std::string_view::npos ||
          run.find("](") != std::string_view::npos || run.find('<') != std::string_view::npos ||
          run.find('@') != std::string_view::npos) {
        MaskRange(i, j);
      }
      i = j;
    }
  }

  bool StartsOrdinal(std::string_view item) const {
    static const std::vector<std::string_view> kOrdinals = {"First", "Then", "Next",   "Finally",
                                                            "After", "Last", "Second", "Third"};
    return std::any_of(kOrdinals.begin(), kOrdinals.end(), [&](std::string_view w) {
      return item.starts_with(w) && (item.size() == w.size() || !IsWordChar(item[w.size()]));
    });
  }

  void Lists() {
    size_t l = 0;
    while (l < lines_.size()) {
      std::vector<Span> items;
      size_t indent = 0;
      char bullet = 0;
      bool ordered_words = false;
      while (l < lines_.size()) {
        const Line& line = lines_[l];
        const std::string_view raw = text_.substr(line.begin, line.end - line.begin);
        size_t ind = 0;
        while (ind < raw.size() && raw[ind] == ' ') ++ind;
        const std::string_view rest = raw.substr(ind);
        const bool is_item =
            rest.size() > 2 && (rest[0] == '-' || rest[0] == '*') && rest[1] == ' ';
        if (is_item && (items.empty() || (ind == indent && rest[0] == bullet))) {
          if (items.empty()) {
            indent = ind;
            bullet = rest[0];
          }
          ordered_words |= StartsOrdinal(Trimmed(rest.substr(2)));
          size_t end = line.end;
          while (end > line.begin + ind && (text_[end - 1] == ' ' || text_[end - 1] == '\t')) --end;
          items.push_back(Span{line.begin + ind, end});
          ++l;
          continue;
        }
        // A continuation line of the last item: deeper, not blank, not a nested list.
        if (!items.empty() && !Trimmed(rest).empty() && ind > indent &&
            !(is_item || (!rest.empty() && std::isdigit(static_cast<unsigned char>(rest[0]))))) {
          size_t end = line.end;
          while (end > line.begin && (text_[end - 1] == ' ' || text_[end - 1] == '\t')) --end;
          items.back().end = end;
          ++l;
          continue;
        }
        break;
      }
      if (items.empty()) {
        ++l;
        continue;
      }
      bool nested = false;
      if (l < lines_.size()) {
        const std::string_view next =
            text_.substr(lines_[l].begin, lines_[l].end - lines_[l].begin);
        // A list followed by a deeper line (nested list) or a lazy continuation is left alone.
        nested = !Trimmed(next).empty();
      }
      std::vector<std::string_view> texts;
      for (const Span& s : items) texts.push_back(text_.substr(s.begin, s.end - s.begin));
      std::sort(texts.begin(), texts.end());
      const bool distinct = std::adjacent_find(texts.begin(), texts.end()) == texts.end();
      if (items.size() >= 2 && distinct && !ordered_words && !nested &&
          std::all_of(items.begin(), items.end(),
                      [&](const Span& s) { return Free(s.begin, s.begin + 1); })) {
        found_.points.push_back(
            VariationPoint{.family = "list-order",
                           .description = fmt::format("order of the {} bullet items at line {}",
                                                      items.size(), LineAt(text_, items[0].begin)),
                           .shape = PointShape::kOrder,
                           .spans = items});
      }
    }
  }

  void AddChoice(std::string family, std::string description, Span span,
                 std::vector<std::string> forms) {
    VariationPoint point{.family = std::move(family),
                         .description = std::move(description),
                         .shape = PointShape::kChoice,
                         .spans = {span}};
    for (auto& f : forms) point.forms.push_back({std::move(f)});
    MaskRange(span.begin, span.end);
    found_.points.push_back(std::move(point));
  }

  // On word boundaries, and not part of a hyphenated compound ("allow-listed").
  bool Bounded(size_t b, size_t e) const {
    auto joins = [](char c) { return IsWordChar(c) || c == '-'; };
    return (b == 0 || !joins(text_[b - 1])) && (e >= text_.size() || !joins(text_[e]));
  }

  // Whether the sentence holding `comma` opens with a subordinate clause ("When X, Y and Z"),
  // where the comma ends the clause rather than separating list items.
  bool OpensWithClause(size_t comma) const {
    static const std::vector<std::string_view> kOpeners = {
        "when", "if",     "although", "after", "before", "since",    "because", "while",
        "once", "unless", "until",    "as",    "though", "whenever", "where",   "whereas"};
    size_t start = comma;
    while (start > 0 && text_[start - 1] != '.' && text_[start - 1] != '!' &&
           text_[start - 1] != '?' && text_[start - 1] != ':' &&
           !(text_[start - 1] == '\n' && start >= 2 && text_[start - 2] == '\n')) {
      --start;
    }
    while (start < comma && !std::isalpha(static_cast<unsigned char>(text_[start]))) ++start;
    size_t end = start;
    while (end < comma && std::isalpha(static_cast<unsigned char>(text_[end]))) ++end;
    std::string word(text_.substr(start, end - start));
    for (char& c : word) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return std::find(kOpeners.begin(), kOpeners.end(), word) != kOpeners.end();
  }

  void Punctuation() {
    // "e.g." -> "for example".
    for (size_t at = text_.find("e.g."); at != std::string_view::npos;
         at = text_.find("e.g.", at + 1)) {
      if (!Free(at, at + 4) || (at > 0 && IsWordChar(text_[at - 1]))) continue;
      AddChoice("punctuation", fmt::format("\"e.g.\" at line {}", LineAt(text_, at)),
                Span{at, at + 4}, {"e.g.", "for example"});
    }
    // Serial comma: ", B and C" / ", B, and C" where B is a short item of a list "A, B and C".
    for (std::string_view conj : {std::string_view(" and "), std::string_view(" or ")}) {
      for (size_t at = text_.find(conj); at != std::string_view::npos;
           at = text_.find(conj, at + 1)) {
        const bool oxford = at > 0 && text_[at - 1] == ',';
        const size_t b_end = oxford ? at - 1 : at;
        // Walk back over B: letters, digits, spaces, hyphens; at most 3 words.
        size_t b_begin = b_end;
        int spaces = 0;
        while (b_begin > 0) {
          const char c = text_[b_begin - 1];
          if (c == ' ') ++spaces;
          if (!(std::isalnum(static_cast<unsigned char>(c)) || c == ' ' || c == '-')) break;
          --b_begin;
        }
        // B starts right after ", " and holds 1 to 3 words; A ends with a word character.
        if (b_begin < 3 || text_[b_begin - 1] != ',' || b_begin == b_end) continue;
        if (text_[b_begin] != ' ' || spaces > 3) continue;
        if (!std::isalnum(static_cast<unsigned char>(text_[b_begin - 2]))) continue;
        const size_t conj_word_end = at + conj.size() - 1;  // excludes the trailing space
        const Span span{oxford ? at - 1 : at, conj_word_end};
        if (!Free(b_begin - 2, conj_word_end) || OpensWithClause(b_begin - 1)) continue;
        const std::string word(conj.substr(1, conj.size() - 2));
        std::vector<std::string> forms = {" " + word, ", " + word};
        if (oxford) std::swap(forms[0], forms[1]);
        AddChoice("punctuation",
                  fmt::format("serial comma before \"{}\" at line {}", word, LineAt(text_, at)),
                  span, std::move(forms));
      }
    }
  }

  // The end of `rest` matched at `at`, where a space of the phrase may also be a line break
  // (with the next line's indentation) of a wrapped paragraph; npos when it does not match.
  size_t MatchRest(size_t at, std::string_view rest) const {
    for (char c : rest) {
      if (at >= text_.size()) return std::string_view::npos;
      if (c == ' ' && text_[at] == '\n') {
        ++at;
        while (at < text_.size() && text_[at] == ' ') ++at;
        if (at >= text_.size() || text_[at] == '\n') return std::string_view::npos;
        continue;
      }
      if (text_[at] != c) return std::string_view::npos;
      ++at;
    }
    return at;
  }

  static std::string WithCase(std::string_view phrase, bool capital) {
    std::string s(phrase);
    if (capital && !s.empty())
      s[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(s[0])));
    return s;
  }

  void Wording() {
    struct Candidate {
      std::string_view phrase;
      const WordingGroup* group;
    };
    std::vector<Candidate> candidates;
    for (const WordingGroup& g : Wordings()) {
      for (size_t p = 0; p < g.phrases.size(); ++p) {
        if ((g.trigger & kFirstOnly) != 0 && p > 0) break;
        candidates.push_back(Candidate{g.phrases[p], &g});
      }
    }
    std::stable_sort(candidates.begin(), candidates.end(), [](const auto& a, const auto& b) {
      return a.phrase.size() > b.phrase.size();
    });
    for (size_t at = 0; at < text_.size(); ++at) {
      if (masked_[at] || (at > 0 && IsWordChar(text_[at - 1]))) continue;
      for (const Candidate& c : candidates) {
        const char first = text_[at];
        const bool capital = std::isupper(static_cast<unsigned char>(first)) != 0;
        if (std::tolower(static_cast<unsigned char>(first)) != c.phrase[0]) continue;
        const size_t end = MatchRest(at + 1, c.phrase.substr(1));
        if (end == std::string_view::npos) continue;
        if ((c.group->trigger & kCapitalOnly) != 0 && !capital) continue;
        if (!Bounded(at, end) || !Free(at, end)) continue;
        std::vector<std::string> forms = {std::string(text_.substr(at, end - at))};
        for (std::string_view other : c.group->phrases) {
          if (other != c.phrase) forms.push_back(WithCase(other, capital));
        }
        std::string description =
            fmt::format("wording \"{}\" at line {}", forms[0], LineAt(text_, at));
        AddChoice("wording", std::move(description), Span{at, end}, std::move(forms));
        at = end - 1;
        break;
      }
    }
  }

  std::string_view text_;
  std::vector<Line> lines_;
  std::vector<bool> masked_;
  FoundMarks found_;
};

}  // namespace

FoundMarks FindProseMarks(std::string_view text) { return ProseEmbedder(text).Run(); }

}  // namespace forewarn::trace::internal
