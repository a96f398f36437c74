#include "trace/marks.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <set>

#include "trace/marks_read.h"

namespace forewarn::trace {
namespace {

constexpr uint64_t kSaturated = std::numeric_limits<uint64_t>::max();

uint64_t SaturatingFactorial(int n) {
  uint64_t f = 1;
  for (int i = 2; i <= n; ++i) {
    if (f > kSaturated / static_cast<uint64_t>(i)) return kSaturated;
    f *= static_cast<uint64_t>(i);
  }
  return f;
}

int FloorLog2(uint64_t k) {
  int bits = 0;
  while (k >= 2) {
    k >>= 1;
    ++bits;
  }
  return bits;
}

tl::unexpected<Error> PointError(size_t index, const VariationPoint& point, std::string_view what) {
  return Fail(ErrorCode::kInvalidArgument,
              fmt::format("variation point {} ({}): {}", index, point.family, what));
}

}  // namespace

int VariationPoint::FormCount() const {
  if (shape == PointShape::kChoice) return static_cast<int>(forms.size());
  const uint64_t f = SaturatingFactorial(static_cast<int>(spans.size()));
  return static_cast<int>(std::min<uint64_t>(f, uint64_t{1} << 20));
}

int VariationPoint::Bits() const {
  if (shape == PointShape::kChoice) {
    return std::min(kMaxBitsPerPoint, FloorLog2(static_cast<uint64_t>(forms.size())));
  }
  return std::min(kMaxBitsPerPoint, FloorLog2(SaturatingFactorial(static_cast<int>(spans.size()))));
}

std::vector<int> PermutationOfRank(int n, uint64_t rank) {
  std::vector<int> pool(n);
  for (int i = 0; i < n; ++i) pool[i] = i;
  std::vector<int> out;
  out.reserve(n);
  for (int i = 0; i < n; ++i) {
    const uint64_t f = SaturatingFactorial(n - 1 - i);
    const uint64_t digit = f == kSaturated ? 0 : rank / f;
    if (f != kSaturated) rank %= f;
    const size_t at = std::min<uint64_t>(digit, pool.size() - 1);
    out.push_back(pool[at]);
    pool.erase(pool.begin() + static_cast<std::ptrdiff_t>(at));
  }
  return out;
}

uint64_t RankOfPermutation(const std::vector<int>& permutation) {
  const int n = static_cast<int>(permutation.size());
  uint64_t rank = 0;
  for (int i = 0; i < n; ++i) {
    uint64_t smaller_after = 0;
    for (int j = i + 1; j < n; ++j) smaller_after += permutation[j] < permutation[i] ? 1 : 0;
    const uint64_t f = SaturatingFactorial(n - 1 - i);
    if (smaller_after == 0) continue;
    if (f == kSaturated) return kSaturated;
    rank += smaller_after * f;
  }
  return rank;
}

Result<MarkedDocument> MarkedDocument::Create(std::string master, Language language,
                                              std::vector<VariationPoint> points,
                                              std::vector<CanaryPlacement> canaries) {
  struct Placed {
    Span span;
    bool leaf = false;
    size_t owner = 0;  // point index, or points.size() + canary index
  };
  std::vector<Placed> placed;
  auto check_span = [&](const Span& span) {
    return span.begin < span.end && span.end <= master.size();
  };
  for (size_t p = 0; p < points.size(); ++p) {
    const VariationPoint& point = points[p];
    if (point.spans.empty()) return PointError(p, point, "has no span");
    const bool leaf = point.shape == PointShape::kChoice;
    for (const Span& span : point.spans) {
      if (!check_span(span)) {
        return PointError(
            p, point,
            fmt::format("span [{}, {}) is empty or outside the text", span.begin, span.end));
      }
      placed.push_back(Placed{.span = span, .leaf = leaf, .owner = p});
    }
    if (point.shape == PointShape::kChoice) {
      if (point.forms.size() < 2) return PointError(p, point, "needs at least 2 forms");
      std::set<std::vector<std::string>> distinct;
      for (const auto& form : point.forms) {
        if (form.size() != point.spans.size()) {
          return PointError(p, point, "a form does not give one text per span");
        }
        distinct.insert(form);
      }
      if (distinct.size() != point.forms.size()) return PointError(p, point, "forms repeat");
      for (size_t s = 0; s < point.spans.size(); ++s) {
        const Span& span = point.spans[s];
        if (point.master_is_form && point.forms[0][s] != std::string_view(master).substr(
                                                             span.begin, span.end - span.begin)) {
          return PointError(p, point, "form 0 is not the master's text");
        }
      }
      if (!point.styles.empty() && point.styles.size() != point.forms.size()) {
        return PointError(p, point, "styles must name every form");
      }
    } else {
      if (point.spans.size() < 2) return PointError(p, point, "an order needs at least 2 items");
      if (!point.forms.empty()) return PointError(p, point, "an order point has no explicit forms");
      std::set<std::string> texts;
      for (size_t s = 0; s < point.spans.size(); ++s) {
        if (s > 0 && point.spans[s].begin < point.spans[s - 1].end) {
          return PointError(p, point, "items must be in text order and disjoint");
        }
        texts.insert(
            master.substr(point.spans[s].begin, point.spans[s].end - point.spans[s].begin));
      }
      if (texts.size() != point.spans.size()) return PointError(p, point, "items repeat");
    }
  }
  for (size_t c = 0; c < canaries.size(); ++c) {
    const CanaryPlacement& canary = canaries[c];
    if (Status valid = ValidateCanarySlot(canary.slot); !valid) {
      return Fail(ErrorCode::kInvalidArgument,
                  fmt::format("canary '{}': {}", canary.slot.name, valid.error().message));
    }
    if (canary.spans.empty()) {
      return Fail(ErrorCode::kInvalidArgument,
                  fmt::format("canary '{}' has no place", canary.slot.name));
    }
    for (const Span& span : canary.spans) {
      if (span.begin >= span.end || span.end > master.size() ||
          master.compare(span.begin, span.end - span.begin, canary.original) != 0) {
        return Fail(ErrorCode::kInvalidArgument,
                    fmt::format("canary '{}': a place does not hold '{}'", canary.slot.name,
                                canary.original));
      }
      placed.push_back(Placed{.span = span, .leaf = true, .owner = points.size() + c});
    }
  }
  for (size_t a = 0; a < placed.size(); ++a) {
    for (size_t b = a + 1; b < placed.size(); ++b) {
      const Span& x = placed[a].span;
      const Span& y = placed[b].span;
      if (x.end <= y.begin || y.end <= x.begin) continue;
      const bool x_in_y = y.begin <= x.begin && x.end <= y.end && !placed[b].leaf;
      const bool y_in_x = x.begin <= y.begin && y.end <= x.end && !placed[a].leaf;
      // Nesting is fine; equal spans only as a leaf inside an order item of the same extent.
      if ((x_in_y || y_in_x) && (!(x == y) || placed[a].leaf != placed[b].leaf)) continue;
      return Fail(ErrorCode::kInvalidArgument, fmt::format("spans [{}, {}) and [{}, {}) overlap",
                                                           x.begin, x.end, y.begin, y.end));
    }
  }
  for (const auto& canary : canaries) {
    for (const auto& other : canaries) {
      if (&canary != &other && canary.slot.name == other.slot.name) {
        return Fail(ErrorCode::kInvalidArgument,
                    fmt::format("canary slot '{}' appears twice", canary.slot.name));
      }
    }
  }
  MarkedDocument doc;
  doc.master_ = std::move(master);
  doc.language_ = language;
  doc.points_ = std::move(points);
  doc.canaries_ = std::move(canaries);
  for (const VariationPoint& point : doc.points_) {
    doc.first_position_.push_back(doc.capacity_);
    doc.capacity_ += point.Bits();
  }
  return doc;
}

std::vector<PointView> MarkedDocument::View() const {
  std::vector<PointView> out;
  for (size_t p = 0; p < points_.size(); ++p) {
    const VariationPoint& point = points_[p];
    const size_t at = point.spans.front().begin;
    const int line =
        1 + static_cast<int>(std::count(master_.begin(),
                                        master_.begin() + static_cast<std::ptrdiff_t>(at), '\n'));
    out.push_back(PointView{.index = static_cast<int>(p),
                            .family = point.family,
                            .description = point.description,
                            .line = line,
                            .bits = point.Bits(),
                            .first_position = first_position_[p]});
  }
  return out;
}

std::string MarkedDocument::Render(const std::vector<uint8_t>& bits,
                                   const std::map<std::string, std::string>& canary_values) const {
  // Every span with what goes there: a leaf's text, or an order slot's item index.
  struct Slot {
    Span span;
    const std::string* text = nullptr;  // leaf replacement
    Span item;                          // order slot: the item whose rendering goes here
  };
  std::vector<Slot> slots;
  for (size_t p = 0; p < points_.size(); ++p) {
    const VariationPoint& point = points_[p];
    uint64_t symbol = 0;
    for (int b = 0; b < point.Bits(); ++b) {
      const size_t pos = static_cast<size_t>(first_position_[p] + b);
      if (pos < bits.size() && bits[pos] != 0) symbol |= uint64_t{1} << b;
    }
    if (point.shape == PointShape::kChoice) {
      for (size_t s = 0; s < point.spans.size(); ++s) {
        slots.push_back(Slot{.span = point.spans[s], .text = &point.forms[symbol][s]});
      }
    } else {
      const auto order = PermutationOfRank(static_cast<int>(point.spans.size()), symbol);
      for (size_t s = 0; s < point.spans.size(); ++s) {
        slots.push_back(Slot{.span = point.spans[s], .item = point.spans[order[s]]});
      }
    }
  }
  for (const CanaryPlacement& canary : canaries_) {
    const auto value = canary_values.find(canary.slot.name);
    for (const Span& span : canary.spans) {
      slots.push_back(Slot{
          .span = span, .text = value == canary_values.end() ? &canary.original : &value->second});
    }
  }
  // Outermost first; an order slot before a leaf of the same extent (the leaf is inside it).
  std::sort(slots.begin(), slots.end(), [](const Slot& a, const Slot& b) {
    if (a.span.begin != b.span.begin) return a.span.begin < b.span.begin;
    if (a.span.end != b.span.end) return a.span.end > b.span.end;
    return (a.text == nullptr) && (b.text != nullptr);
  });
  std::string out;
  out.reserve(master_.size() + master_.size() / 8);
  // Renders master_[begin, end) with every slot inside it replaced, outermost slots first.
  // Inside an item (`in_item`), the order slots spanning exactly that item are its own
  // position, not something to fill again.
  auto render = [&](auto&& self, size_t begin, size_t end, bool in_item) -> void {
    size_t cursor = begin;
    auto first = std::lower_bound(slots.begin(), slots.end(), begin,
                                  [](const Slot& s, size_t at) { return s.span.begin < at; });
    for (auto it = first; it != slots.end() && it->span.begin < end; ++it) {
      if (it->span.begin < cursor || it->span.end > end) continue;  // nested in a handled slot
      if (in_item && it->text == nullptr && it->span.begin == begin && it->span.end == end) {
        continue;
      }
      out.append(master_, cursor, it->span.begin - cursor);
      if (it->text != nullptr) {
        out.append(*it->text);
      } else {
        self(self, it->item.begin, it->item.end, true);
      }
      cursor = it->span.end;
    }
    out.append(master_, cursor, end - cursor);
  };
  render(render, 0, master_.size(), false);
  return out;
}

ReadResult MarkedDocument::Read(std::string_view copy) const {
  return internal::ReadMarks(*this, first_position_, copy);
}

}  // namespace forewarn::trace
