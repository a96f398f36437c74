// Fingerprint embedding and extraction throughput (trace/fingerprint.h) for a 200-line Python
// PoC (the Fabrikam sample with generated probe functions), beside the baseline of serving the
// same bytes unfingerprinted (copy + SHA-256):
//   BM_FindMarks          finding the variation points once per artifact
//   BM_Variant            one partner's copy (codeword + render); items = variants
//   BM_CopyAndHash        baseline: copy the master and hash it; items = copies
//   BM_Trace/n            reading a leaked copy and scoring n partners
#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "crypto/crypto.h"
#include "trace/fingerprint.h"
#include "trace/probe_poc.h"

namespace {

using namespace forewarn;

// ../shared/samples/fabrikam_portal_poc.py with 22 generated probe functions before main():
// about 200 lines.
std::string TwoHundredLinePoc() {
  std::ifstream in(std::string(FOREWARN_SAMPLES_DIR) + "/fabrikam_portal_poc.py");
  std::stringstream text;
  text << in.rdbuf();
  return trace::testing::WithProbeFunctions(text.str(), 22);
}

crypto::SecretBytes Key() { return crypto::SecretBytes::CopyFrom(std::string(32, 'k')); }

const trace::ArtifactFingerprint& Fingerprint() {
  static const trace::ArtifactFingerprint fp = [] {
    (void)crypto::Initialize();
    auto made =
        trace::ArtifactFingerprint::Create(Key(), "adv_bench", "art_bench", TwoHundredLinePoc(),
                                           trace::Language::kPython, trace::TraceSettings{});
    if (!made) std::abort();
    return std::move(*made);
  }();
  return fp;
}

std::vector<std::string> Partners(int n) {
  std::vector<std::string> ids;
  for (int i = 0; i < n; ++i) ids.push_back(fmt::format("prt_{:016x}", i * 7919 + 1));
  return ids;
}

void BM_FindMarks(benchmark::State& state) {
  (void)crypto::Initialize();
  const std::string poc = TwoHundredLinePoc();
  for (auto _ : state) {
    auto fp = trace::ArtifactFingerprint::Create(Key(), "adv_bench", "art_bench", poc,
                                                 trace::Language::kPython, {});
    benchmark::DoNotOptimize(fp);
  }
  state.counters["lines"] = static_cast<double>(std::count(poc.begin(), poc.end(), '\n'));
}
BENCHMARK(BM_FindMarks)->Unit(benchmark::kMillisecond);

void BM_Variant(benchmark::State& state) {
  const auto& fp = Fingerprint();
  const auto partners = Partners(1000);
  size_t i = 0;
  for (auto _ : state) {
    std::string copy = fp.Variant(partners[i++ % partners.size()]);
    benchmark::DoNotOptimize(copy);
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["capacity_bits"] = fp.marks().CapacityBits();
  state.counters["points"] = static_cast<double>(fp.marks().points().size());
}
BENCHMARK(BM_Variant)->Unit(benchmark::kMicrosecond);

void BM_CopyAndHash(benchmark::State& state) {
  const std::string& master = Fingerprint().marks().master();
  for (auto _ : state) {
    std::string copy = master;
    benchmark::DoNotOptimize(crypto::Sha256(copy));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CopyAndHash)->Unit(benchmark::kMicrosecond);

void BM_Trace(benchmark::State& state) {
  const auto& fp = Fingerprint();
  const auto partners = Partners(static_cast<int>(state.range(0)));
  const std::string leaked = fp.Variant(partners[3]);
  for (auto _ : state) {
    auto report = fp.Trace(leaked, partners);
    benchmark::DoNotOptimize(report);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Trace)->Arg(100)->Arg(1000)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
