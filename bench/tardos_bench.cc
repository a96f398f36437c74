// Benchmarks of the Tardos tracing code (trace/tardos.h):
//   BM_ChooseParams/c           ChooseParams(n=100, c, eps=1e-6); counter code_length
//   BM_CreateCode/n/c           TardosCode::Create (biases + the n x m codeword matrix)
//   BM_Accuse/n/c               Accuse on a word merged by c colluders (interleaving)
//   BM_SimulateLength/c/pct     a simulation of the code length actually needed: codes of pct% of
//                               the ChooseParams length (threshold recomputed for that length, so
//                               false accusations stay bounded by eps), 100 trials each of the
//                               majority and interleaving attacks by c colluders; counters
//                               caught_rate (trials where a colluder was accused) and framed
//                               (innocent accusations, expected 0)
#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "crypto/crypto.h"
#include "tests/testing/testing.h"
#include "trace/tardos.h"

namespace forewarn::trace {
namespace {

template <class T>
T Must(Result<T> result, std::string_view what) {
  if (!result.has_value()) {
    fmt::print(stderr, "{}: {}\n", what, result.error().message);
    std::abort();
  }
  return std::move(result).value();
}

crypto::SecretBytes KeyFromSeed(uint64_t seed) {
  testing::SeededRandom random(seed);
  return crypto::SecretBytes::CopyFrom(crypto::RandomBytes(random, 32));
}

// Deterministic small integers for the simulated attacks (not security relevant).
class Dice {
 public:
  explicit Dice(uint64_t seed) : random_(seed) {}
  uint32_t Next(uint32_t bound) {
    const std::string bytes = crypto::RandomBytes(random_, 4);
    uint32_t v = 0;
    for (char ch : bytes) v = (v << 8) | static_cast<unsigned char>(ch);
    return v % bound;
  }

 private:
  testing::SeededRandom random_;
};

std::vector<int> PickColluders(int n, int c, Dice& dice) {
  std::vector<int> out;
  while (static_cast<int>(out.size()) < c) {
    const int u = static_cast<int>(dice.Next(n));
    if (std::find(out.begin(), out.end(), u) == out.end()) out.push_back(u);
  }
  return out;
}

// Interleaving (copy a random colluder's bit) or majority (ties at random); positions where all
// colluders agree keep their bit either way (marking assumption).
std::vector<int8_t> Merge(const TardosCode& code, const std::vector<int>& colluders, bool majority,
                          Dice& dice) {
  std::vector<std::vector<uint8_t>> words;
  for (int u : colluders) words.push_back(code.Codeword(u));
  const int c = static_cast<int>(words.size());
  std::vector<int8_t> out(code.length());
  for (int i = 0; i < code.length(); ++i) {
    int ones = 0;
    for (const auto& w : words) ones += w[i];
    if (majority) {
      out[i] = static_cast<int8_t>(2 * ones == c ? dice.Next(2) : (2 * ones > c ? 1 : 0));
    } else {
      out[i] = static_cast<int8_t>(words[dice.Next(c)][i]);
    }
  }
  return out;
}

void BM_ChooseParams(benchmark::State& state) {
  const int c = static_cast<int>(state.range(0));
  TardosParams params;
  for (auto _ : state) {
    params = Must(ChooseParams(100, c, 1e-6), "ChooseParams");
    benchmark::DoNotOptimize(params);
  }
  state.counters["code_length"] = params.code_length;
  state.counters["inverse_cutoff"] = 1.0 / params.cutoff_t;
}
BENCHMARK(BM_ChooseParams)->Arg(2)->Arg(3)->Arg(5)->Arg(10)->Arg(20)->Unit(benchmark::kMillisecond);

void BM_CreateCode(benchmark::State& state) {
  const auto params =
      Must(ChooseParams(static_cast<int>(state.range(0)), static_cast<int>(state.range(1)), 1e-6),
           "ChooseParams");
  const auto key = KeyFromSeed(1);
  for (auto _ : state) benchmark::DoNotOptimize(Must(TardosCode::Create(params, key), "Create"));
  state.counters["code_length"] = params.code_length;
}
BENCHMARK(BM_CreateCode)
    ->Args({100, 3})
    ->Args({1000, 3})
    ->Args({1000, 10})
    ->Unit(benchmark::kMillisecond);

void BM_Accuse(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  const int c = static_cast<int>(state.range(1));
  const auto params = Must(ChooseParams(n, c, 1e-6), "ChooseParams");
  const auto code = Must(TardosCode::Create(params, KeyFromSeed(2)), "Create");
  Dice dice(3);
  const auto word = Merge(code, PickColluders(n, c, dice), /*majority=*/false, dice);
  size_t accused = 0;
  for (auto _ : state) accused = Must(code.Accuse(word), "Accuse").size();
  state.counters["accused"] = static_cast<double>(accused);
}
BENCHMARK(BM_Accuse)
    ->Args({100, 3})
    ->Args({1000, 3})
    ->Args({1000, 10})
    ->Unit(benchmark::kMillisecond);

void BM_SimulateLength(benchmark::State& state) {
  constexpr int kTrials = 100;
  constexpr int kUsers = 100;
  const int c = static_cast<int>(state.range(0));
  auto params = Must(ChooseParams(kUsers, c, 1e-6), "ChooseParams");
  params.code_length = std::max(1, static_cast<int>(params.code_length * state.range(1) / 100));
  params.threshold_z = AccusationThreshold(params, params.code_length);
  int caught = 0;
  int framed = 0;
  int runs = 0;
  for (auto _ : state) {
    Dice dice(static_cast<uint64_t>(c) * 1000 + static_cast<uint64_t>(state.range(1)));
    for (int trial = 0; trial < kTrials; ++trial) {
      const auto code = Must(TardosCode::Create(params, KeyFromSeed(5000 + trial)), "Create");
      for (bool majority : {true, false}) {
        const auto colluders = PickColluders(kUsers, c, dice);
        bool hit = false;
        for (const auto& a : Must(code.Accuse(Merge(code, colluders, majority, dice)), "Accuse")) {
          if (std::find(colluders.begin(), colluders.end(), a.user) != colluders.end()) {
            hit = true;
          } else {
            ++framed;
          }
        }
        caught += hit ? 1 : 0;
        ++runs;
      }
    }
  }
  state.counters["code_length"] = params.code_length;
  state.counters["caught_rate"] = static_cast<double>(caught) / runs;
  state.counters["framed"] = framed;
}
BENCHMARK(BM_SimulateLength)
    ->ArgsProduct({{2, 3, 5}, {25, 50, 75, 100}})
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace forewarn::trace

int main(int argc, char** argv) {
  if (!forewarn::crypto::Initialize().has_value()) return 1;
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
