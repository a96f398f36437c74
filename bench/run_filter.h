// Shared by the benchmark mains with a custom reporter: which runs a summary should use.
#pragma once

#include <benchmark/benchmark.h>

#include <set>
#include <string>

namespace forewarn::bench {

// Keeps one result per benchmark name: the median when --benchmark_repetitions produced
// aggregates, the single run otherwise. Errors and the other aggregates (mean, stddev) are
// dropped; a plain run reported after its name's median is ignored.
class RunFilter {
 public:
  bool Keep(const benchmark::BenchmarkReporter::Run& run, const std::string& name) {
    using Run = benchmark::BenchmarkReporter::Run;
    if (run.error_occurred) return false;
    const bool aggregate = run.run_type == Run::RT_Aggregate;
    if (aggregate && run.aggregate_name != "median") return false;
    if (!aggregate && medians_.count(name) != 0) return false;
    if (aggregate) medians_.insert(name);
    return true;
  }

 private:
  std::set<std::string> medians_;  // names whose median was seen
};

}  // namespace forewarn::bench
