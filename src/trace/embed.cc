#include "trace/embed.h"

#include <fmt/format.h>

#include <algorithm>

#include "trace/embed_internal.h"

namespace forewarn::trace {
namespace {

internal::FoundMarks FindAutomatic(std::string_view text, Language language) {
  switch (language) {
    case Language::kPython:
      return internal::FindPythonMarks(text);
    case Language::kPowerShell:
      return internal::FindPowerShellMarks(text);
    case Language::kCSharp:
      return internal::FindCSharpMarks(text);
    case Language::kHttp:
      return internal::FindHttpMarks(text);
    case Language::kYara:
      return internal::FindYaraMarks(text);
    case Language::kSnort:
      return internal::FindSnortMarks(text);
    case Language::kSigma:
      return internal::FindSigmaMarks(text);
    case Language::kProse:
      return internal::FindProseMarks(text);
    case Language::kMarkup:
      return {};
  }
  return {};
}

bool Overlaps(const Span& a, const Span& b) { return a.begin < b.end && b.begin < a.end; }

bool Contains(const Span& outer, const Span& inner) {
  return outer.begin <= inner.begin && inner.end <= outer.end;
}

}  // namespace

Result<MarkedDocument> FindMarks(std::string text, Language language) {
  FW_ASSIGN_OR_RETURN(internal::FoundMarks markup, internal::FindExplicitMarkup(text));
  internal::FoundMarks automatic = FindAutomatic(text, language);
  std::vector<Span> markup_spans;
  for (const auto& point : markup.points) {
    markup_spans.insert(markup_spans.end(), point.spans.begin(), point.spans.end());
  }
  for (const auto& canary : markup.canaries) {
    markup_spans.insert(markup_spans.end(), canary.spans.begin(), canary.spans.end());
  }
  // An automatic leaf may not touch a markup construct; an automatic order item may hold one
  // whole (the construct moves with its item).
  auto clashes = [&](const Span& span, bool leaf) {
    return std::any_of(markup_spans.begin(), markup_spans.end(), [&](const Span& m) {
      return Overlaps(span, m) && (leaf || !Contains(span, m));
    });
  };
  std::vector<VariationPoint> points = std::move(markup.points);
  for (auto& point : automatic.points) {
    const bool leaf = point.shape == PointShape::kChoice;
    if (std::none_of(point.spans.begin(), point.spans.end(),
                     [&](const Span& s) { return clashes(s, leaf); })) {
      points.push_back(std::move(point));
    }
  }
  std::vector<CanaryPlacement> canaries = std::move(markup.canaries);
  for (auto& canary : automatic.canaries) {
    const bool named = std::any_of(canaries.begin(), canaries.end(),
                                   [&](const auto& c) { return c.slot.name == canary.slot.name; });
    if (!named && std::none_of(canary.spans.begin(), canary.spans.end(),
                               [&](const Span& s) { return clashes(s, true); })) {
      canaries.push_back(std::move(canary));
    }
  }
  // Points in text order, so code positions run through the document from the top.
  std::stable_sort(points.begin(), points.end(), [](const auto& a, const auto& b) {
    return a.spans.front().begin < b.spans.front().begin;
  });
  return MarkedDocument::Create(std::move(text), language, std::move(points), std::move(canaries));
}

}  // namespace forewarn::trace
