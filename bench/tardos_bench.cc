// Benchmarks of the Tardos tracing code (trace/tardos.h, trace/decoder.h):
//   BM_ChooseParams/c           ChooseParams(n=100, c, eps=1e-6); counter code_length
//   BM_CreateCode/n/c           TardosCode::Create (biases + the n x m codeword matrix)
//   BM_Accuse/n/c               Accuse on a word merged by c colluders (interleaving)
//   BM_SimulateLength/c/pct     a simulation of the code length actually needed: codes of pct% of
//                               the ChooseParams length (threshold recomputed for that length, so
//                               false accusations stay bounded by eps), 100 trials each of the
//                               majority and interleaving attacks by c colluders; counters
//                               caught_rate (trials where a colluder was accused) and framed
//                               (innocent accusations, expected 0)
//   BM_LengthNeeded/n/c/T/t     the shortest code length m_sim at which each decoder (symmetric
//                               score, interleaving log-likelihood) with each threshold (rigorous
//                               Bernstein or Chernoff bound, Gaussian approximation) catches a
//                               colluder in every one of T trials and accuses no innocent,
//                               eps = 1e-3, for the interleaving and majority attacks, with bias
//                               cutoff t/1000 (t = 0: the cutoff ChooseParams picks); counters
//                               m_* and ratio_* = m_sim / (2 c^2 ln(n/eps)); tables are printed
//                               at the end
//   BM_DecoderThroughput/kind   n = 10,000, m = 2,000: AccuseWith with the symmetric (kind 0) or
//                               log-likelihood (1) score, or TardosCode::Scores (2);
//                               items = recipients x positions
#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <numbers>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "crypto/crypto.h"
#include "tests/testing/testing.h"
#include "trace/decoder.h"
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

// ---------------------------------------------------------------------------------------------
// Code length needed, by simulation (BM_LengthNeeded).
//
// Each trial draws the biases (the arcsine density with the cutoff ChooseParams picks for
// (n, c, eps), or a given cutoff) and n codewords of m_max bits from a fast non-cryptographic
// generator (building TardosCode objects through the keyed hash would take seconds per trial at n =
// 10,000; the distribution is the same). Users 0 .. c-1 are the colluders (rows are i.i.d., so
// which rows collude does not matter). The observed word is their interleaving (each bit copied
// from a colluder chosen at random) or their majority (ties at random). The code of length m is the
// first m positions, so one pass over the rows gives every user's score at every length of a
// grid (m_min .. m_max, steps of 2%). The thresholds come from the exact innocent-score
// distribution of that trial's observed word (trace/decoder.h): RigorousThreshold (Bernstein, a
// guarantee), ChernoffThreshold (Chernoff on the exact moment generating function, a
// guarantee) or GaussianThreshold (an approximation), all at the per-user level eps / n. A
// colluder is caught when the best colluder's score reaches the threshold; an innocent is
// accused when his score does. m_sim is the smallest grid length m such that in all T trials a
// colluder is caught at m and at every longer grid length, and no innocent is accused at m. (A
// scan of the whole grid gives what a bisection over m would give, without assuming that
// success is monotone in m.) T trials cannot show a miss rate of 1e-3, only "caught every time";
// and since innocents are accused at a rate of at most ~eps per trial, "no innocent in T trials"
// is checked at m_sim and counted over the longer lengths (framed_after).

constexpr double kSimEpsilon = 1e-3;
constexpr double kGridStep = 1.02;
// Trials per (n, c) for n = 10,000 (n = 100 and 1,000 use 200).
constexpr int kLargeTrials = 100;
constexpr int kAttacks = 2;     // 0 = interleaving, 1 = majority
constexpr int kDecoders = 2;    // 0 = symmetric, 1 = interleaving log-likelihood
constexpr int kThresholds = 3;  // 0 = Bernstein, 1 = Gaussian approximation, 2 = Chernoff
constexpr std::array<std::string_view, kAttacks> kAttackName = {"interleaving", "majority"};
constexpr std::array<std::string_view, kDecoders> kDecoderName = {"symmetric", "LLR"};
constexpr std::array<std::string_view, kThresholds> kShortThresholdName = {"bern", "gauss",
                                                                           "chern"};
constexpr std::array<std::string_view, kThresholds> kThresholdName = {"Bernstein", "Gaussian",
                                                                      "Chernoff"};

// splitmix64: fast, deterministic, good enough for a simulation (not for codes in production).
class FastRandom {
 public:
  explicit FastRandom(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  double Unit() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }

 private:
  uint64_t state_;
};

struct LengthResult {
  int n = 0;
  int c = 0;
  int trials = 0;
  double cutoff_t = 0;
  int m_max = 0;
  bool design_cutoff = false;  // cutoff_t is ChooseParams'
  double drift = 0;            // CoalitionDrift(c, cutoff_t): worst-case symmetric-score drift
  double theory = 0;           // 2 c^2 ln(n / eps)
  // [attack][decoder][threshold]: m_sim (0 = not reached by m_max); the smallest grid length at
  // which a colluder was caught in all trials (below m_sim if catching is not monotone or an
  // innocent was accused there); the (trial, grid length) pairs with m >= m_sim in which an
  // innocent was accused, and the number of those grid lengths.
  int m_sim[kAttacks][kDecoders][kThresholds] = {};
  int m_first[kAttacks][kDecoders][kThresholds] = {};
  int64_t framed_after[kAttacks][kDecoders][kThresholds] = {};
  int lengths_after[kAttacks][kDecoders][kThresholds] = {};
  double seconds = 0;
};

std::vector<LengthResult>& LengthResults() {
  static std::vector<LengthResult> results;
  return results;
}

std::vector<int> LengthGrid(int m_min, int m_max) {
  std::vector<int> grid;
  for (double m = m_min; m < m_max; m *= kGridStep) {
    const int v = static_cast<int>(std::lround(m));
    if (grid.empty() || v > grid.back()) grid.push_back(v);
  }
  if (grid.empty() || grid.back() != m_max) grid.push_back(m_max);
  return grid;
}

LengthResult SimulateLengthNeeded(int n, int c, int trials, double cutoff) {
  const auto design = Must(ChooseParams(n, c, kSimEpsilon), "ChooseParams");
  const double t = cutoff > 0 ? cutoff : design.cutoff_t;
  LengthResult result{.n = n,
                      .c = c,
                      .trials = trials,
                      .cutoff_t = t,
                      .design_cutoff = !(cutoff > 0),
                      .drift = CoalitionDrift(c, t)};
  result.theory = 2.0 * c * c * std::log(n / kSimEpsilon);
  result.m_max = std::max(design.code_length, static_cast<int>(6 * result.theory));
  const int m_max = result.m_max;
  const std::vector<int> grid = LengthGrid(std::max(8, static_cast<int>(result.theory / 4)), m_max);
  const size_t points = grid.size();
  const double r_lo = std::asin(std::sqrt(t));
  const double r_hi = std::numbers::pi / 2.0 - r_lo;
  std::array<ScoreSpec, kDecoders> specs = {
      ScoreSpec{.kind = ScoreKind::kSymmetric},
      ScoreSpec{.kind = ScoreKind::kInterleavingLogLikelihood, .coalition = c}};
  constexpr int kPairs = kAttacks * kDecoders;  // index a * kDecoders + d
  // caught[pair][threshold][k]: a colluder was caught at grid[k] in every trial so far.
  std::vector<std::vector<std::vector<char>>> all_caught(
      kPairs, std::vector<std::vector<char>>(kThresholds, std::vector<char>(points, 1)));
  std::vector<std::vector<std::vector<int64_t>>> framed(
      kPairs, std::vector<std::vector<int64_t>>(kThresholds, std::vector<int64_t>(points, 0)));

  std::vector<double> bias(m_max);
  std::vector<uint64_t> one_below(m_max);  // bit = 1 iff a 64-bit draw < one_below[i]
  std::vector<std::vector<uint8_t>> colluder(c, std::vector<uint8_t>(m_max));
  std::array<std::vector<int8_t>, kAttacks> observed;
  observed.fill(std::vector<int8_t>(m_max));
  std::vector<double> base(kPairs * static_cast<size_t>(m_max));   // if_zero, position-major
  std::vector<double> delta(kPairs * static_cast<size_t>(m_max));  // if_one - if_zero
  std::vector<double> threshold(kPairs * kThresholds * points);
  std::vector<double> innocent_max(kPairs * points);
  std::vector<double> colluder_max(kPairs * points);
  const auto start = std::chrono::steady_clock::now();

  for (int trial = 0; trial < trials; ++trial) {
    FastRandom random(0x5eed0000ULL ^ (static_cast<uint64_t>(n) << 32) ^
                      (static_cast<uint64_t>(c) << 24) ^ static_cast<uint64_t>(trial));
    for (int i = 0; i < m_max; ++i) {
      const double s = std::sin(r_lo + random.Unit() * (r_hi - r_lo));
      bias[i] = std::clamp(s * s, t, 1.0 - t);
      one_below[i] = static_cast<uint64_t>(std::ldexp(bias[i], 64));
    }
    for (auto& row : colluder) {
      for (int i = 0; i < m_max; ++i) row[i] = random.Next() < one_below[i] ? 1 : 0;
    }
    for (int i = 0; i < m_max; ++i) {
      int ones = 0;
      for (const auto& row : colluder) ones += row[i];
      observed[0][i] = static_cast<int8_t>(colluder[random.Next() % c][i]);
      observed[1][i] = static_cast<int8_t>(2 * ones == c ? static_cast<int>(random.Next() & 1U)
                                                         : (2 * ones > c ? 1 : 0));
    }
    for (int a = 0; a < kAttacks; ++a) {
      for (int d = 0; d < kDecoders; ++d) {
        const int pair = a * kDecoders + d;
        const auto terms = Must(PositionTerms(bias, observed[a], specs[d]), "PositionTerms");
        InnocentScore prefix;
        ChernoffCurve curve{.lambda = ChernoffLambdas(),
                            .log_mgf = std::vector<double>(ChernoffLambdas().size(), 0.0)};
        size_t k = 0;
        for (int i = 0; i < m_max; ++i) {
          base[static_cast<size_t>(i) * kPairs + pair] = terms[i].if_zero;
          delta[static_cast<size_t>(i) * kPairs + pair] = terms[i].if_one - terms[i].if_zero;
          const InnocentScore one = TermMoments(terms[i], bias[i]);
          prefix.mean += one.mean;
          prefix.variance += one.variance;
          prefix.max_deviation = std::max(prefix.max_deviation, one.max_deviation);
          prefix.observed_positions = i + 1;
          for (size_t j = 0; j < curve.lambda.size(); ++j) {
            curve.log_mgf[j] += LogMgfTerm(terms[i], bias[i], curve.lambda[j]);
          }
          curve.observed_positions = i + 1;
          if (k < points && i + 1 == grid[k]) {
            threshold[(pair * kThresholds + 0) * points + k] =
                RigorousThreshold(prefix, n, kSimEpsilon);
            threshold[(pair * kThresholds + 1) * points + k] =
                GaussianThreshold(prefix, n, kSimEpsilon);
            threshold[(pair * kThresholds + 2) * points + k] =
                ChernoffThreshold(curve, n, kSimEpsilon);
            ++k;
          }
        }
      }
    }
    std::fill(innocent_max.begin(), innocent_max.end(), -HUGE_VAL);
    std::fill(colluder_max.begin(), colluder_max.end(), -HUGE_VAL);
    std::vector<uint8_t> row(m_max);
    for (int user = 0; user < n; ++user) {
      const bool guilty = user < c;
      if (guilty) {
        row = colluder[user];
      } else {
        for (int i = 0; i < m_max; ++i) row[i] = random.Next() < one_below[i] ? 1 : 0;
      }
      std::array<double, kPairs> sum{};
      std::vector<double>& best = guilty ? colluder_max : innocent_max;
      int i = 0;
      for (size_t k = 0; k < points; ++k) {
        for (; i < grid[k]; ++i) {
          const double x = row[i];
          const double* b = &base[static_cast<size_t>(i) * kPairs];
          const double* dl = &delta[static_cast<size_t>(i) * kPairs];
          for (int pair = 0; pair < kPairs; ++pair) sum[pair] += b[pair] + x * dl[pair];
        }
        for (int pair = 0; pair < kPairs; ++pair) {
          best[pair * points + k] = std::max(best[pair * points + k], sum[pair]);
        }
      }
    }
    for (int pair = 0; pair < kPairs; ++pair) {
      for (int h = 0; h < kThresholds; ++h) {
        for (size_t k = 0; k < points; ++k) {
          const double thr = threshold[(pair * kThresholds + h) * points + k];
          const bool caught = colluder_max[pair * points + k] >= thr;
          const bool innocent_accused = innocent_max[pair * points + k] >= thr;
          if (!caught) all_caught[pair][h][k] = 0;
          if (innocent_accused) ++framed[pair][h][k];
        }
      }
    }
  }

  for (int a = 0; a < kAttacks; ++a) {
    for (int d = 0; d < kDecoders; ++d) {
      for (int h = 0; h < kThresholds; ++h) {
        const auto& good = all_caught[a * kDecoders + d][h];
        const auto& bad = framed[a * kDecoders + d][h];
        for (size_t k = 0; k < points; ++k) {
          if (good[k] && result.m_first[a][d][h] == 0) result.m_first[a][d][h] = grid[k];
        }
        int64_t framed_sum = 0;
        for (size_t k = points; k-- > 0 && good[k];) {
          framed_sum += bad[k];
          if (bad[k] == 0) {
            result.m_sim[a][d][h] = grid[k];
            result.framed_after[a][d][h] = framed_sum;
            result.lengths_after[a][d][h] = static_cast<int>(points - k);
          }
        }
      }
    }
  }
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

void BM_LengthNeeded(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  const int c = static_cast<int>(state.range(1));
  const int trials = static_cast<int>(state.range(2));
  LengthResult result;
  const double cutoff = static_cast<double>(state.range(3)) / 1000.0;
  for (auto _ : state) result = SimulateLengthNeeded(n, c, trials, cutoff);
  state.counters["theory"] = result.theory;
  state.counters["cutoff_t"] = result.cutoff_t;
  state.counters["m_max"] = result.m_max;
  for (int a = 0; a < kAttacks; ++a) {
    for (int d = 0; d < kDecoders; ++d) {
      for (int h = 0; h < kThresholds; ++h) {
        const std::string name = fmt::format("{}_{}_{}", a == 0 ? "int" : "maj",
                                             d == 0 ? "sym" : "llr", kShortThresholdName[h]);
        state.counters["m_" + name] = result.m_sim[a][d][h];
        state.counters["ratio_" + name] = result.m_sim[a][d][h] / result.theory;
      }
    }
  }
  LengthResults().push_back(result);
}
BENCHMARK(BM_LengthNeeded)
    ->ArgsProduct({{100, 1000}, {1, 2, 3, 4}, {200}, {0, 100, 200, 300}})
    ->ArgsProduct({{10000}, {1, 2, 3, 4}, {kLargeTrials}, {0, 100, 200, 300}})
    ->Iterations(1)
    ->Unit(benchmark::kSecond);

std::string LengthCell(int m, double theory) {
  return m == 0 ? std::string(">max") : fmt::format("{} ({:.2f})", m, m / theory);
}

void PrintLengthTable() {
  if (LengthResults().empty()) return;
  fmt::print(
      "\nCode length needed for eps = {} (threshold at the per-user level eps/n); a colluder "
      "caught in every one of T trials, no innocent accused.\n"
      "Cutoff t of ChooseParams(n, c, eps). framed_after = (trial, length) pairs with an "
      "innocent accused over the grid lengths >= m_sim (`lengths` of them); an exact threshold "
      "would give about T (n-c) eps / n per length.\n",
      kSimEpsilon);
  fmt::print("{:>6} {:>2} {:>4} {:>12} {:>9} {:>9} {:>6} {:>7} {:>6} {:>7} {:>5} {:>12} {:>7}\n",
             "n", "c", "T", "attack", "decoder", "threshold", "m_sim", "2c2ln", "ratio", "m_first",
             "m_max", "framed_after", "lengths");
  for (const LengthResult& r : LengthResults()) {
    if (!r.design_cutoff) continue;
    for (int a = 0; a < kAttacks; ++a) {
      for (int d = 0; d < kDecoders; ++d) {
        for (int h = 0; h < kThresholds; ++h) {
          const int m = r.m_sim[a][d][h];
          fmt::print(
              "{:>6} {:>2} {:>4} {:>12} {:>9} {:>9} {:>6} {:>7.1f} {:>6} {:>7} {:>5} {:>12} "
              "{:>7}\n",
              r.n, r.c, r.trials, kAttackName[a], kDecoderName[d], kThresholdName[h],
              m == 0 ? std::string(">max") : std::to_string(m), r.theory,
              m == 0 ? std::string("-") : fmt::format("{:.2f}", m / r.theory), r.m_first[a][d][h],
              r.m_max, r.framed_after[a][d][h], r.lengths_after[a][d][h]);
        }
      }
    }
    fmt::print("{:>6} {:>2}: cutoff t = {:.4f}, worst-case drift mu(t) = {:.3f}, {:.1f} s\n", r.n,
               r.c, r.cutoff_t, r.drift, r.seconds);
  }

  fmt::print(
      "\nCutoff sweep, interleaving attack: m_sim (m_sim / 2c^2 ln(n/eps)) for each cutoff t; "
      "mu(t) = worst-case expected coalition score per position of the symmetric score over all "
      "attacks (CoalitionDrift; <= 0 means some attack defeats it).\n");
  for (const LengthResult& r : LengthResults()) {
    if (!r.design_cutoff) continue;
    std::vector<const LengthResult*> row;
    for (const LengthResult& other : LengthResults()) {
      if (other.n == r.n && other.c == r.c) row.push_back(&other);
    }
    std::string header = fmt::format("{:>6} {:>2} {:>9} {:>9}", "n", "c", "decoder", "threshold");
    for (const LengthResult* x : row) {
      header += fmt::format(" {:>17}", fmt::format("t={:.3f} mu={:.2f}", x->cutoff_t, x->drift));
    }
    fmt::print("{}\n", header);
    for (int d = 0; d < kDecoders; ++d) {
      for (int h = 0; h < kThresholds; ++h) {
        std::string line =
            fmt::format("{:>6} {:>2} {:>9} {:>9}", r.n, r.c, kDecoderName[d], kThresholdName[h]);
        for (const LengthResult* x : row) {
          line += fmt::format(" {:>17}", LengthCell(x->m_sim[0][d][h], x->theory));
        }
        fmt::print("{}\n", line);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Accusation throughput (BM_DecoderThroughput).

const TardosCode& ThroughputCode() {
  static const TardosCode code = [] {
    auto params = Must(ChooseParams(10000, 4, kSimEpsilon), "ChooseParams");
    params.code_length = 2000;
    params.threshold_z = AccusationThreshold(params, params.code_length);
    return Must(TardosCode::Create(params, KeyFromSeed(7)), "Create");
  }();
  return code;
}

void BM_DecoderThroughput(benchmark::State& state) {
  const TardosCode& code = ThroughputCode();
  Dice dice(8);
  const auto word = Merge(code, PickColluders(code.n_users(), 4, dice), /*majority=*/false, dice);
  const int kind = static_cast<int>(state.range(0));
  const ScoreSpec spec{
      .kind = kind == 1 ? ScoreKind::kInterleavingLogLikelihood : ScoreKind::kSymmetric,
      .coalition = 4};
  size_t accused = 0;
  for (auto _ : state) {
    if (kind == 2) {
      benchmark::DoNotOptimize(Must(code.Scores(word), "Scores"));
    } else {
      accused = Must(AccuseWith(code, word, spec), "AccuseWith").size();
    }
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(code.n_users()) *
                          code.length());
  state.counters["accused"] = static_cast<double>(accused);
}
BENCHMARK(BM_DecoderThroughput)->Arg(0)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace forewarn::trace

int main(int argc, char** argv) {
  if (!forewarn::crypto::Initialize().has_value()) return 1;
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  forewarn::trace::PrintLengthTable();
  benchmark::Shutdown();
  return 0;
}
