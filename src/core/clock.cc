#include "core/clock.h"

namespace forewarn {

// The single adapter allowed to read the system clock (see STYLE.md).
TimePoint SystemClock::Now() const { return std::chrono::system_clock::now(); }

}  // namespace forewarn
