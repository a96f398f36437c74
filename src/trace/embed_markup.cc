// Explicit author markup (docs/tracing.md, "Explicit markup"):
//
//   [[fw: first form | second form | third form]]      a choice; the first form is the master's
//   [[fw-canary: NAME KIND PATTERN]]                    a canary slot, e.g.
//   [[fw-canary: shell file-name help-{id}.aspx]]
//
// A choice's forms may not contain '|' or "]]"; leading and trailing spaces of each form are
// trimmed. In the master text shown to operators the constructs appear as written; every
// partner's copy has them replaced (a choice by one form, a canary by the partner's value), and
// a copy rendered without a value shows the pattern with "{id}" left in.
#include <fmt/format.h>

#include <algorithm>
#include <string>

#include "trace/embed_internal.h"

namespace forewarn::trace::internal {
namespace {

constexpr std::string_view kChoiceOpen = "[[fw:";
constexpr std::string_view kCanaryOpen = "[[fw-canary:";
constexpr std::string_view kClose = "]]";

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

int LineOf(std::string_view text, size_t at) {
  return 1 + static_cast<int>(
                 std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(at), '\n'));
}

tl::unexpected<Error> MarkupError(std::string_view text, size_t at, std::string_view what) {
  return Fail(ErrorCode::kInvalidArgument,
              fmt::format("markup on line {}: {}", LineOf(text, at), what));
}

}  // namespace

Result<FoundMarks> FindExplicitMarkup(std::string_view text) {
  FoundMarks found;
  size_t at = 0;
  while ((at = text.find("[[fw", at)) != std::string_view::npos) {
    const bool canary = text.substr(at, kCanaryOpen.size()) == kCanaryOpen;
    const bool choice = text.substr(at, kChoiceOpen.size()) == kChoiceOpen;
    if (!canary && !choice) {
      at += 4;
      continue;
    }
    const size_t body_begin = at + (canary ? kCanaryOpen.size() : kChoiceOpen.size());
    const size_t close = text.find(kClose, body_begin);
    const size_t newline = text.find('\n', body_begin);
    if (close == std::string_view::npos || (newline != std::string_view::npos && newline < close)) {
      return MarkupError(text, at, "a [[fw construct is not closed by ]] on the same line");
    }
    const std::string_view body = text.substr(body_begin, close - body_begin);
    const Span span{.begin = at, .end = close + kClose.size()};
    const std::string original(text.substr(span.begin, span.end - span.begin));
    if (canary) {
      // NAME KIND PATTERN (the pattern may contain spaces, e.g. a user-agent).
      const std::string_view rest = Trim(body);
      const size_t first_space = rest.find(' ');
      const size_t second_space =
          first_space == std::string_view::npos ? first_space : rest.find(' ', first_space + 1);
      if (second_space == std::string_view::npos) {
        return MarkupError(text, at, "a canary needs NAME KIND PATTERN");
      }
      auto kind = ParseCanaryKind(rest.substr(first_space + 1, second_space - first_space - 1));
      if (!kind) return MarkupError(text, at, kind.error().message);
      CanarySlot slot{.name = std::string(rest.substr(0, first_space)),
                      .kind = *kind,
                      .pattern = std::string(Trim(rest.substr(second_space + 1)))};
      if (Status valid = ValidateCanarySlot(slot); !valid) {
        return MarkupError(text, at, valid.error().message);
      }
      const bool duplicate = std::any_of(found.canaries.begin(), found.canaries.end(),
                                         [&](const auto& c) { return c.slot.name == slot.name; });
      if (duplicate) {
        return MarkupError(text, at, fmt::format("canary '{}' is declared twice", slot.name));
      }
      found.canaries.push_back(
          CanaryPlacement{.slot = std::move(slot), .original = original, .spans = {span}});
    } else {
      VariationPoint point{.family = "markup", .shape = PointShape::kChoice, .spans = {span}};
      point.master_is_form = false;  // the master holds the construct; forms are its choices
      std::vector<std::string> forms;
      size_t start = 0;
      while (true) {
        const size_t bar = body.find('|', start);
        forms.emplace_back(Trim(body.substr(
            start, bar == std::string_view::npos ? std::string_view::npos : bar - start)));
        if (bar == std::string_view::npos) break;
        start = bar + 1;
      }
      if (forms.size() < 2) return MarkupError(text, at, "a choice needs at least 2 forms");
      std::vector<std::string> sorted = forms;
      std::sort(sorted.begin(), sorted.end());
      if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end()) {
        return MarkupError(text, at, "a choice repeats a form");
      }
      point.description = fmt::format("author's choice among {} forms", forms.size());
      for (auto& form : forms) point.forms.push_back({std::move(form)});
      found.points.push_back(std::move(point));
    }
    at = span.end;
  }
  return found;
}

}  // namespace forewarn::trace::internal
