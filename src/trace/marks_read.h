// File: trace/marks_read.h (internal to the trace module)
//
// Extraction: reading a MarkedDocument's code bits back from a copy. See marks_read.cc for the
// method (anchor tokens, item location for orders, gap matching for choices, normalizer
// detection) and docs/tracing.md, "Extraction".
#pragma once

#include <string_view>
#include <vector>

#include "trace/marks.h"

namespace forewarn::trace::internal {

ReadResult ReadMarks(const MarkedDocument& doc, const std::vector<int>& first_position,
                     std::string_view copy);

}  // namespace forewarn::trace::internal
