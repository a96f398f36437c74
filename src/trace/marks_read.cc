// Extraction: reading code bits back from a copy of a marked document.
//
// 1. Both texts are tokenized with the document's lexer (whitespace and comments drop out).
//    Master tokens that lie outside every leaf span are *stable*: they are the same in every
//    recipient's copy. Each run of 1 to 5 stable tokens that occurs exactly once in the master
//    and exactly once in the copy is an *anchor*, mapping master tokens to copy tokens (string
//    literals compare by their body, so a leaker changing quote styles keeps the anchors).
// 2. A choice point is read next to the nearest anchored token left (or else right) of each of
//    its spans, within the innermost order item holding it: the form whose text (whitespace
//    removed) occurs in that short stretch of the copy is the one the copy carries. When that
//    is ambiguous or the anchors are gone, a form whose text occurs exactly once in the whole
//    copy, beside the master's neighbouring token, while no other form occurs, still reads.
//    Identifier points (read_globally) read by which alternative name occurs as a token.
// 3. An order point's items are located at the median copy position of their anchored tokens
//    and of the choice points read inside them; the observed order is the permutation, read
//    when its rank is one that rendering can produce.
// 4. Normalizers: when at least 3 points styled alike (quote style, number base) read and all
//    show the same style (nine in ten from 10 points on), a tool rewrote them (black,
//    ast.unparse), so their style is not read as noise. Such points are read again with single
//    and double quotes alike, and the bits on which every matching form agrees (a
//    concatenation, a header's case) still count. Other styled points too few to judge on
//    their own (two numbers in hex or decimal) are then erased as well. An honest copy looks
//    normalized to this test with probability 2^(1-k) for k such points; it then loses only
//    its style bits, never misreads them.
// Anything not read is an erasure (-1). None of this looks at any recipient's codeword, so an
// innocent recipient's bits stay independent of what is read and the accusation bound holds.
#include "trace/marks_read.h"

#include <algorithm>
#include <cctype>
#include <iterator>
#include <set>
#include <string>
#include <unordered_map>

namespace forewarn::trace::internal {
namespace {

constexpr int kMaxAnchorGram = 5;
constexpr int kMinStyledPointsForNormalizer = 3;

std::string WithoutSpace(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (!std::isspace(static_cast<unsigned char>(c))) out.push_back(c);
  }
  return out;
}

// `text` with every single quote turned into a double quote and the backslash of an escaped
// quote dropped (a normalizer choosing the quotes also chooses which inner quotes to escape).
std::string QuotesCanonical(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\\' && i + 1 < text.size() && (text[i + 1] == '\'' || text[i + 1] == '"')) continue;
    out.push_back(c == '\'' ? '"' : c);
  }
  return out;
}

// The same for a whole copy, keeping every offset: a dropped backslash becomes a space (which
// reading ignores).
std::string QuotesCanonicalInPlace(std::string_view text) {
  std::string out(text);
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i] == '\\' && i + 1 < out.size() && (out[i + 1] == '\'' || out[i + 1] == '"')) {
      out[i] = ' ';
    } else if (out[i] == '\'') {
      out[i] = '"';
    }
  }
  return out;
}

size_t CountOccurrences(std::string_view haystack, std::string_view needle) {
  if (needle.empty()) return 0;
  size_t count = 0;
  for (size_t at = haystack.find(needle); at != std::string_view::npos;
       at = haystack.find(needle, at + 1)) {
    ++count;
  }
  return count;
}

class Reader {
 public:
  Reader(const MarkedDocument& doc, std::string_view copy)
      : doc_(doc),
        syntax_(SyntaxFor(doc.language())),
        master_tokens_(Tokenize(doc.master(), syntax_)),
        copy_(copy),
        copy_tokens_(Tokenize(copy, syntax_)),
        copy_compact_(WithoutSpace(copy)),
        copy_canon_(QuotesCanonicalInPlace(copy)),
        copy_compact_canon_(WithoutSpace(copy_canon_)) {
    for (size_t i = 0; i < copy_canon_.size(); ++i) {
      if (!std::isspace(static_cast<unsigned char>(copy_canon_[i]))) {
        compact_canon_to_copy_.push_back(i);
      }
    }
    for (size_t i = 0; i < copy.size(); ++i) {
      if (!std::isspace(static_cast<unsigned char>(copy[i]))) compact_to_copy_.push_back(i);
    }
    MarkStable();
    MarkItems();
    BuildAnchors();
  }

  // The copy token each master token maps to, or -1.
  int AnchorOf(size_t master_token) const { return anchor_[master_token]; }

  // The form a choice point shows in the copy, and where (a copy token index), or -1.
  int ReadChoice(const VariationPoint& point, int* copy_token) const {
    if (point.read_globally) return ReadGlobal(point, copy_token);
    int form = -1;
    for (size_t s = 0; s < point.spans.size(); ++s) {
      int at = -1;
      const int here = ReadSpan(point.spans[s], FormTexts(point, s), false, &at);
      if (here < 0 || (form >= 0 && here != form)) return -1;
      form = here;
      if (s == 0) *copy_token = at;
    }
    return form;
  }

  // The forms a choice point may show in a copy whose quotes a tool rewrote: read with single
  // and double quotes alike, so forms differing only in quoting are all candidates (the bits
  // they share still read). Empty if nothing reads.
  std::vector<int> ReadChoiceIgnoringQuotes(const VariationPoint& point) const {
    std::vector<int> candidates;
    for (size_t s = 0; s < point.spans.size(); ++s) {
      std::vector<std::string> distinct;
      std::vector<std::string> canonical_of_form;
      for (const auto& text : FormTexts(point, s)) {
        canonical_of_form.push_back(QuotesCanonical(text));
        if (std::find(distinct.begin(), distinct.end(), canonical_of_form.back()) ==
            distinct.end()) {
          distinct.push_back(canonical_of_form.back());
        }
      }
      int at = -1;
      const int found = ReadSpan(point.spans[s], distinct, true, &at);
      if (found < 0) return {};
      std::vector<int> here;
      for (size_t f = 0; f < canonical_of_form.size(); ++f) {
        if (canonical_of_form[f] == distinct[found]) here.push_back(static_cast<int>(f));
      }
      if (s == 0) {
        candidates = here;
      } else {
        std::vector<int> both;
        std::set_intersection(candidates.begin(), candidates.end(), here.begin(), here.end(),
                              std::back_inserter(both));
        candidates = both;
      }
    }
    return candidates;
  }

  // The copy token where the one value of `pattern` ("portalcheck-{id}.aspx": the text around
  // a 10-character base32 token) occurs, or -1 if it occurs not exactly once.
  int LocateCanary(std::string_view pattern) const {
    const size_t hole = pattern.find("{id}");
    if (hole == std::string_view::npos) return -1;
    const std::string_view before = pattern.substr(0, hole);
    const std::string_view after = pattern.substr(hole + 4);
    // Search by the longer fixed part, so a pattern starting or ending with {id} costs one pass.
    const bool by_before = before.size() >= after.size();
    const std::string_view fixed = by_before ? before : after;
    if (fixed.empty()) return -1;
    int found = -1;
    for (size_t hit = copy_.find(fixed); hit != std::string_view::npos;
         hit = copy_.find(fixed, hit + 1)) {
      if (!by_before && hit < kCanaryTokenLength + before.size()) continue;
      const size_t at = by_before ? hit : hit - kCanaryTokenLength - before.size();
      if (copy_.substr(at, before.size()) != before) continue;
      const size_t token = at + before.size();
      if (token + kCanaryTokenLength > copy_.size()) break;
      bool base32 = true;
      for (size_t k = 0; k < kCanaryTokenLength && base32; ++k) {
        const char c = copy_[token + k];
        base32 = (c >= 'a' && c <= 'z') || (c >= '2' && c <= '7');
      }
      if (!base32 || copy_.substr(token + kCanaryTokenLength, after.size()) != after) continue;
      if (found >= 0) return -1;
      found = CopyTokenAt(at);
    }
    return found;
  }

  // The copy position of an order item (median of what was located inside it), or -1.
  double LocateItem(const Span& item, const std::vector<std::pair<Span, int>>& read_leaves) const {
    std::vector<int> positions;
    for (size_t t = 0; t < master_tokens_.size(); ++t) {
      const Token& token = master_tokens_[t];
      if (token.begin >= item.begin && token.end <= item.end && anchor_[t] >= 0) {
        positions.push_back(anchor_[t]);
      }
    }
    for (const auto& [span, copy_token] : read_leaves) {
      if (span.begin >= item.begin && span.end <= item.end && copy_token >= 0) {
        positions.push_back(copy_token);
      }
    }
    if (positions.empty()) return -1;
    std::nth_element(positions.begin(),
                     positions.begin() + static_cast<std::ptrdiff_t>(positions.size() / 2),
                     positions.end());
    return positions[positions.size() / 2];
  }

 private:
  void MarkStable() {
    std::vector<Span> leaves;
    for (const auto& point : doc_.points()) {
      if (point.shape == PointShape::kChoice) {
        leaves.insert(leaves.end(), point.spans.begin(), point.spans.end());
      }
    }
    for (const auto& canary : doc_.canaries()) {
      leaves.insert(leaves.end(), canary.spans.begin(), canary.spans.end());
    }
    std::sort(leaves.begin(), leaves.end(),
              [](const Span& a, const Span& b) { return a.begin < b.begin; });
    stable_.assign(master_tokens_.size(), true);
    size_t next = 0;
    for (size_t t = 0; t < master_tokens_.size(); ++t) {
      const Token& token = master_tokens_[t];
      while (next < leaves.size() && leaves[next].end <= token.begin) ++next;
      for (size_t l = next; l < leaves.size() && leaves[l].begin < token.end; ++l) {
        if (leaves[l].end > token.begin) {
          stable_[t] = false;
          break;
        }
      }
    }
  }

  std::string Key(const std::vector<Token>& tokens, size_t at, int length) const {
    std::string key;
    for (int k = 0; k < length; ++k) {
      if (k > 0) key.push_back('\x1f');
      key.append(StringBody(tokens[at + k], syntax_));
    }
    return key;
  }

  // For each master token, the innermost order item holding it (an index into a list of all
  // items), or -1.
  void MarkItems() {
    item_of_.assign(master_tokens_.size(), -1);
    std::vector<Span> items;
    for (const auto& point : doc_.points()) {
      if (point.shape != PointShape::kOrder) continue;
      items.insert(items.end(), point.spans.begin(), point.spans.end());
    }
    for (size_t t = 0; t < master_tokens_.size(); ++t) {
      size_t best_size = 0;
      for (size_t i = 0; i < items.size(); ++i) {
        const Span& item = items[i];
        if (item.begin <= master_tokens_[t].begin && master_tokens_[t].end <= item.end &&
            (item_of_[t] < 0 || item.end - item.begin < best_size)) {
          item_of_[t] = static_cast<int>(i);
          best_size = item.end - item.begin;
        }
      }
    }
  }

  void BuildAnchors() {
    anchor_.assign(master_tokens_.size(), -1);
    for (int gram = kMaxAnchorGram; gram >= 1; --gram) {
      std::unordered_map<std::string, int> master_count;
      std::unordered_map<std::string, size_t> master_at;
      for (size_t t = 0; t + gram <= master_tokens_.size(); ++t) {
        // Every token stable and in the same innermost order item (a run across an item's edge
        // exists only in copies that keep that item's neighbour).
        bool stable = true;
        for (int k = 0; k < gram; ++k) {
          stable = stable && stable_[t + k] && item_of_[t + k] == item_of_[t];
        }
        if (!stable) continue;
        std::string key = Key(master_tokens_, t, gram);
        master_at[key] = t;
        ++master_count[key];
      }
      std::unordered_map<std::string, int> copy_count;
      std::unordered_map<std::string, size_t> copy_at;
      for (size_t t = 0; t + gram <= copy_tokens_.size(); ++t) {
        std::string key = Key(copy_tokens_, t, gram);
        auto found = master_count.find(key);
        if (found == master_count.end() || found->second != 1) continue;
        copy_at[key] = t;
        ++copy_count[key];
      }
      for (const auto& [key, count] : copy_count) {
        if (count != 1) continue;
        const size_t m = master_at[key];
        const size_t c = copy_at[key];
        for (int k = 0; k < gram; ++k) {
          if (anchor_[m + k] < 0) anchor_[m + k] = static_cast<int>(c + k);
        }
      }
    }
  }

  // The form occurring in the copy just after the nearest anchored token left of span s, or
  // just before the nearest one right of it; else by global uniqueness. Anchors are taken
  // from inside the innermost order item holding the span (an item moves as a block, so
  // anchors outside it say nothing about where the span went).
  int ReadSpan(const Span& span, const std::vector<std::string>& forms, bool canonical,
               int* copy_token) const {
    const Span scope = InnermostItem(span);
    int left_master = -1;
    int right_master = -1;
    for (size_t t = 0; t < master_tokens_.size(); ++t) {
      const Token& token = master_tokens_[t];
      if (token.begin < scope.begin || token.end > scope.end || anchor_[t] < 0) continue;
      if (token.end <= span.begin) left_master = static_cast<int>(t);
      if (token.begin >= span.end) {
        right_master = static_cast<int>(t);
        break;
      }
    }
    const std::string& compact = canonical ? copy_compact_canon_ : copy_compact_;
    size_t longest = 0;
    for (const auto& form : forms) longest = std::max(longest, form.size());
    // Master tokens between the anchor and the span's far end, plus slack for the forms.
    auto tokens_between = [&](size_t from, size_t to) {
      int count = 0;
      for (size_t t = 0; t < master_tokens_.size(); ++t) {
        const Token& token = master_tokens_[t];
        count += token.begin >= from && token.end <= to ? 1 : 0;
      }
      return count;
    };
    if (left_master >= 0) {
      const int left = anchor_[left_master];
      const int reach = tokens_between(master_tokens_[left_master].end, span.end) + 4;
      const size_t from = copy_tokens_[left].end;
      const size_t last = std::min(copy_tokens_.size() - 1, static_cast<size_t>(left + reach));
      const int form = FoundIn(forms, from, copy_tokens_[last].end, canonical, copy_token);
      if (form >= 0) return form;
    }
    if (right_master >= 0) {
      const int right = anchor_[right_master];
      const int reach = tokens_between(span.begin, master_tokens_[right_master].begin) + 4;
      const size_t first = static_cast<size_t>(std::max(0, right - reach));
      const int form = FoundIn(forms, copy_tokens_[first].begin, copy_tokens_[right].begin,
                               canonical, copy_token);
      if (form >= 0) return form;
    }
    // Fallback: a form that occurs exactly once in the whole copy, next to the master's
    // neighbouring token on at least one side, while no other form occurs at all.
    std::string before = NeighbourText(span, /*left=*/true);
    std::string after = NeighbourText(span, /*left=*/false);
    if (canonical) {
      before = QuotesCanonical(before);
      after = QuotesCanonical(after);
    }
    int found = -1;
    size_t found_at = 0;
    for (size_t f = 0; f < forms.size(); ++f) {
      const size_t count = CountOccurrences(compact, forms[f]);
      if (count == 0) continue;
      const bool in_context =
          (!before.empty() && CountOccurrences(compact, before + forms[f]) == 1) ||
          (!after.empty() && CountOccurrences(compact, forms[f] + after) == 1);
      if (count > 1 || found >= 0 || !in_context ||
          InsideAnotherPointsForm(span, forms[f], canonical)) {
        return -1;
      }
      found = static_cast<int>(f);
      found_at = compact.find(forms[f]);
    }
    if (found >= 0) {
      *copy_token =
          CopyTokenAt(canonical ? compact_canon_to_copy_[found_at] : compact_to_copy_[found_at]);
    }
    return found;
  }

  // The one form found in copy_[from, to) (whitespace ignored), with where it was found.
  int FoundIn(const std::vector<std::string>& forms, size_t from, size_t to, bool canonical,
              int* copy_token) const {
    const std::string_view text = canonical ? std::string_view(copy_canon_) : copy_;
    if (to <= from) return -1;
    std::string region;
    std::vector<size_t> offsets;  // region index -> copy offset
    for (size_t i = from; i < to; ++i) {
      if (std::isspace(static_cast<unsigned char>(text[i]))) continue;
      region.push_back(text[i]);
      offsets.push_back(i);
    }
    const int form = UniqueFound(forms, [&](const std::string& candidate) {
      return CountOccurrences(region, candidate) > 0;
    });
    if (form >= 0) *copy_token = CopyTokenAt(offsets[region.find(forms[form])]);
    return form;
  }

  // The index of the copy token covering (or following) byte `offset`.
  int CopyTokenAt(size_t offset) const {
    const auto it = std::lower_bound(copy_tokens_.begin(), copy_tokens_.end(), offset,
                                     [](const Token& t, size_t at) { return t.end <= at; });
    return it == copy_tokens_.end() ? static_cast<int>(copy_tokens_.size()) - 1
                                    : static_cast<int>(it - copy_tokens_.begin());
  }

  // The smallest order item containing `span`, or the whole master.
  Span InnermostItem(const Span& span) const {
    Span best{.begin = 0, .end = doc_.master().size()};
    for (const auto& point : doc_.points()) {
      if (point.shape != PointShape::kOrder) continue;
      for (const Span& item : point.spans) {
        if (item.begin <= span.begin && span.end <= item.end &&
            item.end - item.begin < best.end - best.begin && !(item == span)) {
          best = item;
        }
      }
    }
    return best;
  }

  // The text of the stable master token just left (or right) of `span`, or "" if that token
  // varies between copies.
  std::string NeighbourText(const Span& span, bool left) const {
    for (size_t i = 0; i < master_tokens_.size(); ++i) {
      const size_t t = left ? master_tokens_.size() - 1 - i : i;
      const Token& token = master_tokens_[t];
      if (left ? token.end <= span.begin : token.begin >= span.end) {
        return stable_[t] ? WithoutSpace(token.text) : std::string();
      }
    }
    return {};
  }

  // Whether `text` (whitespace removed) occurs inside a form of a choice point other than the
  // one holding `span`: then finding it somewhere in a copy may be that other point's text.
  bool InsideAnotherPointsForm(const Span& span, const std::string& text, bool canonical) const {
    for (const auto& point : doc_.points()) {
      if (point.shape != PointShape::kChoice) continue;
      if (std::find(point.spans.begin(), point.spans.end(), span) != point.spans.end()) continue;
      for (const auto& form : point.forms) {
        for (const auto& piece : form) {
          const std::string compact =
              canonical ? QuotesCanonical(WithoutSpace(piece)) : WithoutSpace(piece);
          if (compact.size() > text.size() && compact.find(text) != std::string::npos) {
            return true;
          }
        }
      }
    }
    return false;
  }

  // The forms' texts of span s without whitespace.
  static std::vector<std::string> FormTexts(const VariationPoint& point, size_t s) {
    std::vector<std::string> texts;
    for (const auto& form : point.forms) texts.push_back(WithoutSpace(form[s]));
    return texts;
  }

  // The one form `present` holds for, ignoring forms that only occur inside a longer present
  // form's text; -1 if none or several.
  template <class Present>
  static int UniqueFound(const std::vector<std::string>& forms, Present present) {
    std::vector<int> found;
    for (size_t f = 0; f < forms.size(); ++f) {
      if (!forms[f].empty() && present(forms[f])) found.push_back(static_cast<int>(f));
    }
    std::vector<int> kept;
    for (int f : found) {
      const bool inside_other = std::any_of(found.begin(), found.end(), [&](int g) {
        return g != f && forms[g].size() > forms[f].size() &&
               forms[g].find(forms[f]) != std::string::npos;
      });
      if (!inside_other) kept.push_back(f);
    }
    return kept.size() == 1 ? kept.front() : -1;
  }

  int ReadGlobal(const VariationPoint& point, int* copy_token) const {
    int found = -1;
    int first_at = -1;
    for (size_t f = 0; f < point.forms.size(); ++f) {
      const std::string& name = point.forms[f].front();
      int at = -1;
      for (size_t t = 0; t < copy_tokens_.size(); ++t) {
        if (copy_tokens_[t].text == name) {
          at = static_cast<int>(t);
          break;
        }
      }
      if (at < 0) continue;
      if (found >= 0) return -1;
      found = static_cast<int>(f);
      first_at = at;
    }
    *copy_token = first_at;
    return found;
  }

  const MarkedDocument& doc_;
  Syntax syntax_;
  std::vector<Token> master_tokens_;
  std::string_view copy_;
  std::vector<Token> copy_tokens_;
  std::string copy_compact_;
  std::vector<size_t> compact_to_copy_;  // copy_compact_ index -> copy_ offset
  std::string copy_canon_;               // copy_ with every ' turned into "
  std::string copy_compact_canon_;
  std::vector<size_t> compact_canon_to_copy_;
  std::vector<bool> stable_;
  std::vector<int> item_of_;
  std::vector<int> anchor_;
};

}  // namespace

ReadResult ReadMarks(const MarkedDocument& doc, const std::vector<int>& first_position,
                     std::string_view copy) {
  const auto& points = doc.points();
  ReadResult result;
  result.bits.assign(doc.CapacityBits(), -1);
  result.point_read.assign(points.size(), false);
  std::vector<int64_t> symbol(points.size(), -1);
  const Reader reader(doc, copy);

  // Choice points first: where they were found helps to locate order items.
  std::vector<std::pair<Span, int>> read_leaves;
  std::vector<int> form_read(points.size(), -1);
  for (size_t p = 0; p < points.size(); ++p) {
    const VariationPoint& point = points[p];
    if (point.shape != PointShape::kChoice || point.Bits() == 0) continue;
    int at = -1;
    const int form = reader.ReadChoice(point, &at);
    if (form < 0 || form >= (1 << point.Bits())) continue;
    form_read[p] = form;
    for (const Span& span : point.spans) read_leaves.emplace_back(span, at);
  }
  // Canaries locate their items too: whoever's value it is, it has the slot's pattern.
  for (const CanaryPlacement& canary : doc.canaries()) {
    if (canary.spans.size() != 1) continue;
    const int at = reader.LocateCanary(canary.slot.pattern);
    if (at >= 0) read_leaves.emplace_back(canary.spans.front(), at);
  }
  // Normalizer detection, per pool of points styled alike (e.g. every point whose forms are
  // "double"/"single" quoted, whatever its family).
  auto pool_of = [&](const VariationPoint& point) {
    std::set<std::string> names(point.styles.begin(), point.styles.end());
    std::string key;
    for (const auto& name : names) key += name + "|";
    return key;
  };
  std::map<std::string, std::map<std::string, int>> pools;  // pool -> style -> points read
  for (size_t p = 0; p < points.size(); ++p) {
    if (form_read[p] < 0 || points[p].styles.empty()) continue;
    ++pools[pool_of(points[p])][points[p].styles[form_read[p]]];
  }
  auto normalized = [&](const std::map<std::string, int>& styles) {
    int total = 0;
    int dominant = 0;
    for (const auto& [style, count] : styles) {
      total += count;
      dominant = std::max(dominant, count);
    }
    // A tool leaves exceptions (black keeps 'a "quoted" word' single-quoted), so in a large
    // pool nine in ten showing one style is enough; a small one must be unanimous. Wrongly
    // suspecting a tool costs only the style bits; missing one misreads them.
    return total >= kMinStyledPointsForNormalizer &&
           (dominant == total || (total >= 10 && dominant * 10 >= total * 9));
  };
  // Bits read where only some of a point's bits survived a normalizer: per point, a mask of
  // the bits read and their values.
  std::vector<std::pair<uint64_t, uint64_t>> partial(points.size(), {0, 0});
  bool any_normalized = false;
  for (const auto& [pool, styles] : pools) any_normalized = any_normalized || normalized(styles);
  auto too_few_to_tell = [&](const std::map<std::string, int>& styles) {
    int total = 0;
    for (const auto& [style, count] : styles) total += count;
    return total < kMinStyledPointsForNormalizer;
  };
  for (size_t p = 0; p < points.size(); ++p) {
    if (form_read[p] < 0) continue;
    // A tool rewrote part of the copy: styled points too few to judge on their own (two
    // numbers in hex or decimal) are not trusted either.
    if (!points[p].styles.empty() && any_normalized && !normalized(pools[pool_of(points[p])]) &&
        too_few_to_tell(pools[pool_of(points[p])])) {
      continue;
    }
    if (!points[p].styles.empty() && normalized(pools[pool_of(points[p])])) {
      // The quoting is the tool's; what else the point carries (a concatenation, a case) may
      // still read: the bits every candidate form agrees on.
      const auto candidates = reader.ReadChoiceIgnoringQuotes(points[p]);
      const int bits = points[p].Bits();
      const uint64_t all = (uint64_t{1} << bits) - 1;
      uint64_t same = all;
      bool usable = !candidates.empty();
      for (int f : candidates) {
        if (f >= (1 << bits)) usable = false;
        same &= ~(static_cast<uint64_t>(f) ^ static_cast<uint64_t>(candidates.front()));
      }
      if (usable && same != 0) {
        partial[p] = {same & all, static_cast<uint64_t>(candidates.front()) & same & all};
      }
      continue;
    }
    symbol[p] = form_read[p];
  }

  for (size_t p = 0; p < points.size(); ++p) {
    const VariationPoint& point = points[p];
    if (point.shape != PointShape::kOrder || point.Bits() == 0) continue;
    std::vector<std::pair<double, int>> located;
    bool complete = true;
    for (size_t s = 0; s < point.spans.size() && complete; ++s) {
      const double at = reader.LocateItem(point.spans[s], read_leaves);
      complete = at >= 0;
      located.emplace_back(at, static_cast<int>(s));
    }
    if (!complete) continue;
    std::sort(located.begin(), located.end());
    bool distinct = true;
    for (size_t s = 1; s < located.size(); ++s)
      distinct = distinct && located[s].first > located[s - 1].first;
    if (!distinct) continue;
    std::vector<int> order;
    for (const auto& [at, item] : located) order.push_back(item);
    const uint64_t rank = RankOfPermutation(order);
    if (rank >= (uint64_t{1} << point.Bits())) continue;
    symbol[p] = static_cast<int64_t>(rank);
  }

  for (size_t p = 0; p < points.size(); ++p) {
    const VariationPoint& point = points[p];
    if (point.Bits() == 0) continue;
    if (symbol[p] < 0 && partial[p].first != 0) {
      result.point_read[p] = true;
      ++result.read_by_family[point.family];
      for (int b = 0; b < point.Bits(); ++b) {
        if (((partial[p].first >> b) & 1U) == 0) continue;
        result.bits[first_position[p] + b] = static_cast<int8_t>((partial[p].second >> b) & 1U);
        ++result.positions_read;
      }
      continue;
    }
    if (symbol[p] < 0) {
      ++result.erased_by_family[point.family];
      continue;
    }
    result.point_read[p] = true;
    ++result.read_by_family[point.family];
    for (int b = 0; b < point.Bits(); ++b) {
      result.bits[first_position[p] + b] = static_cast<int8_t>((symbol[p] >> b) & 1);
      ++result.positions_read;
    }
  }
  return result;
}

}  // namespace forewarn::trace::internal
