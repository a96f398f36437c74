// File: trace/marks.h
//
// A marked document: an artifact's master text with its variation points (places where
// equivalent forms can carry code bits) and canary placements, as found by an embedder
// (trace/embed.h) or written by the author (explicit markup). It renders any recipient's
// variant from code bits and canary tokens, and reads the bits back from a leaked copy.
//
//   FW_ASSIGN_OR_RETURN(MarkedDocument doc, FindMarks(master, Language::kPython));
//   int m = doc.CapacityBits();                       // code positions this artifact carries
//   std::string copy = doc.Render(bits_of_partner, canary_values_of_partner);
//   ReadResult read = doc.Read(leaked_text);          // bits (0/1/-1 erased) per code position
//
// Points. A kChoice point has k forms; form f gives the replacement text of each of its spans
// (forms[0] is the master's text). A kOrder point's spans are items that may be permuted (the
// order of independent imports, HTTP headers, dictionary entries, list items); its forms are
// permutations, indexed by their rank (rank 0 = master order). A point carries
// floor(log2(k)) bits, at most kMaxBitsPerPoint: symbol v (those bits, least significant first)
// selects form v, or the permutation of rank v. So a point with 5 independent headers (120
// orders) carries 6 code positions, and a short excerpt still holds many positions.
//
// Spans. Choice spans and canary spans are leaves: they contain no other span (they may lie
// inside a string literal). Order items may contain leaves and other order points (nested points
// move with their item). No two spans overlap otherwise.
//
// Thread safety: immutable after construction; const methods may be called concurrently.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "trace/canary.h"
#include "trace/tokens.h"

namespace forewarn::trace {

inline constexpr int kMaxBitsPerPoint = 16;

struct Span {
  size_t begin = 0;
  size_t end = 0;  // exclusive
  friend bool operator==(const Span&, const Span&) = default;
};

enum class PointShape { kChoice, kOrder };

struct VariationPoint {
  // What kind of variation, for the operator view and the survival measurements:
  // "quote-style", "literal-form", "identifier", "keyword-order", "statement-order",
  // "import-order", "entry-order", "header-order", "header-case", "wording", "list-order",
  // "punctuation", "meta-order", "operand-order", "option-order", "string-name", "markup".
  std::string family;
  std::string description;  // one line for the operator: "order of the 4 headers in make_headers"
  PointShape shape = PointShape::kChoice;
  std::vector<Span> spans;
  // kChoice: forms[f][s] = text of spans[s] in form f; forms[0][s] is the master's text
  // (unless master_is_form is false).
  // kOrder: empty (the forms are the permutations of the spans' texts).
  std::vector<std::vector<std::string>> forms;
  // Optional, kChoice only: a style name per form ("double", "single"). When a leaked copy
  // shows one style at all the points styled alike (at least 3, any family; nine in ten from
  // 10 on), a normalizer rewrote them (black, ast.unparse), so extraction does not read their
  // style (it still reads the bits their forms share apart from quoting).
  std::vector<std::string> styles;
  // kChoice only: read the point by which form's text occurs anywhere in the copy rather than at
  // its place (identifiers: every occurrence is renamed together).
  bool read_globally = false;
  // kChoice only: whether forms[0] is the master's text (true for automatic points). Explicit
  // markup sets false: the master holds the construct and every form is a choice.
  bool master_is_form = true;

  int FormCount() const;  // k (capped at 2^20 for orders)
  int Bits() const;       // floor(log2(k)), at most kMaxBitsPerPoint
};

// Where a canary value goes: every span holds the same original text (a file name, a marker),
// replaced in a variant by the slot's rendered value.
struct CanaryPlacement {
  CanarySlot slot;
  std::string original;
  std::vector<Span> spans;
};

// One point as shown to the operator: where it is and which code positions it carries.
struct PointView {
  int index = 0;
  std::string family;
  std::string description;
  int line = 0;  // 1-based line of its first span
  int bits = 0;
  int first_position = 0;  // code positions [first_position, first_position + bits)
};

// What Read recovered from a copy.
struct ReadResult {
  std::vector<int8_t> bits;                     // one per code position: 0, 1, or -1 (erased)
  std::vector<bool> point_read;                 // per point: whether it was read
  std::map<std::string, int> read_by_family;    // points read, per family
  std::map<std::string, int> erased_by_family;  // points not read, per family
  int positions_read = 0;
};

class MarkedDocument {
 public:
  // Checks the invariants above (spans non-empty and inside the text, no bad overlap, forms well
  // formed, at least 2 forms per choice point, at least 2 items per order point, canary slots valid
  // and their spans holding `original`). kInvalidArgument naming the point otherwise.
  [[nodiscard]] static Result<MarkedDocument> Create(std::string master, Language language,
                                                     std::vector<VariationPoint> points,
                                                     std::vector<CanaryPlacement> canaries);

  const std::string& master() const { return master_; }
  Language language() const { return language_; }
  const std::vector<VariationPoint>& points() const { return points_; }
  const std::vector<CanaryPlacement>& canaries() const { return canaries_; }

  // Code positions carried: the sum of Bits() over the points.
  int CapacityBits() const { return capacity_; }
  std::vector<PointView> View() const;

  // The variant for code bits `bits` (CapacityBits() values of 0/1; missing positions count as
  // 0) with `canary_values[slot name]` in place of each canary (slots without a value keep the
  // original text). Rendering with all-zero bits and no canaries gives the master.
  std::string Render(const std::vector<uint8_t>& bits,
                     const std::map<std::string, std::string>& canary_values) const;

  // Reads the code bits back from a copy (possibly reformatted, excerpted, merged): locates each
  // point against the master by anchor tokens, reads its form, and erases what it cannot read.
  ReadResult Read(std::string_view copy) const;

 private:
  MarkedDocument() = default;
  std::string master_;
  Language language_ = Language::kMarkup;
  std::vector<VariationPoint> points_;
  std::vector<CanaryPlacement> canaries_;
  std::vector<int> first_position_;
  int capacity_ = 0;
};

// The rank-th permutation of 0..n-1 in lexicographic order (Lehmer code); rank 0 = identity.
std::vector<int> PermutationOfRank(int n, uint64_t rank);
// The rank of a permutation of 0..n-1; inverse of PermutationOfRank.
uint64_t RankOfPermutation(const std::vector<int>& permutation);

}  // namespace forewarn::trace
