// File: trace/embed.h
//
// Finds an artifact's variation points and canary placements automatically, per language, and
// from the author's explicit markup (docs/tracing.md, "Embedders" and "Explicit markup").
//
//   FW_ASSIGN_OR_RETURN(MarkedDocument doc, trace::FindMarks(text, trace::Language::kPython));
//
// Every embedder keeps the artifact correct: a Python variant still parses and does the same;
// a YARA variant still compiles and matches the same; HTTP requests mean the same to a server.
// Explicit markup is honoured in every language; automatic points that would overlap a markup
// construct are dropped.
// Thread safety: pure functions.
#pragma once

#include <string>

#include "core/result.h"
#include "trace/marks.h"
#include "trace/tokens.h"

namespace forewarn::trace {

// The marked document of `text`. kInvalidArgument for malformed explicit markup (naming the
// line); an artifact without any point is valid (capacity 0).
[[nodiscard]] Result<MarkedDocument> FindMarks(std::string text, Language language);

}  // namespace forewarn::trace
