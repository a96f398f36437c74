// File: trace/embed_internal.h (internal to the trace module)
//
// The per-language embedders behind FindMarks. Each returns the points and canary placements it
// found in `text`; FindMarks validates them through MarkedDocument::Create, so an embedder that
// produced an invalid point is a bug caught by its tests. Each must keep every variant correct
// in its language (see each file's header comment for the variation families it uses).
#pragma once

#include <string_view>
#include <vector>

#include "core/result.h"
#include "trace/marks.h"

namespace forewarn::trace::internal {

struct FoundMarks {
  std::vector<VariationPoint> points;
  std::vector<CanaryPlacement> canaries;
};

FoundMarks FindPythonMarks(std::string_view text);      // embed_python.cc
FoundMarks FindPowerShellMarks(std::string_view text);  // embed_powershell.cc
FoundMarks FindCSharpMarks(std::string_view text);      // embed_csharp.cc
FoundMarks FindHttpMarks(std::string_view text);        // embed_http.cc
FoundMarks FindYaraMarks(std::string_view text);        // embed_rules.cc
FoundMarks FindSnortMarks(std::string_view text);       // embed_rules.cc
FoundMarks FindSigmaMarks(std::string_view text);       // embed_rules.cc
FoundMarks FindProseMarks(std::string_view text);       // embed_prose.cc

// Explicit author markup (embed_markup.cc). kInvalidArgument naming the line of a malformed
// construct.
[[nodiscard]] Result<FoundMarks> FindExplicitMarkup(std::string_view text);

}  // namespace forewarn::trace::internal
