// Shared by the benchmark mains that install a custom display reporter.
#pragma once

#include <unistd.h>

#include <string_view>

namespace forewarn::bench {

// Whether to colour the console: a custom display reporter does not see --benchmark_color, so
// the flag is applied here (default: colour only on a terminal).
inline bool ConsoleColor(int argc, char** argv) {
  bool color = ::isatty(STDOUT_FILENO) != 0;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg.starts_with("--benchmark_color=")) {
      const std::string_view value = arg.substr(arg.find('=') + 1);
      color = value == "true" || value == "yes" || value == "1" ||
              (value == "auto" && ::isatty(STDOUT_FILENO) != 0);
    }
  }
  return color;
}

}  // namespace forewarn::bench
