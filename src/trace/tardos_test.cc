#include "trace/tardos.h"

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numbers>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "tests/testing/testing.h"

namespace forewarn::trace {
namespace {

crypto::SecretBytes KeyFromSeed(uint64_t seed) {
  testing::SeededRandom random(seed);
  return crypto::SecretBytes::CopyFrom(crypto::RandomBytes(random, 32));
}

// A deterministic stream of small integers for the simulations (not security relevant).
class Dice {
 public:
  explicit Dice(uint64_t seed) : random_(seed) {}
  uint32_t Next(uint32_t bound) {
    std::string bytes = crypto::RandomBytes(random_, 4);
    uint32_t v = 0;
    for (char ch : bytes) v = (v << 8) | static_cast<unsigned char>(ch);
    return v % bound;
  }

 private:
  testing::SeededRandom random_;
};

enum class Strategy { kMajority, kMinority, kRandomSymbol, kInterleave };

const char* StrategyName(Strategy s) {
  switch (s) {
    case Strategy::kMajority:
      return "majority";
    case Strategy::kMinority:
      return "minority";
    case Strategy::kRandomSymbol:
      return "random";
    case Strategy::kInterleave:
      return "interleave";
  }
  return "?";
}

// The word a coalition produces. Under the marking assumption positions where all colluders
// agree keep that bit; elsewhere the strategy decides.
std::vector<int8_t> Collude(const TardosCode& code, const std::vector<int>& colluders,
                            Strategy strategy, Dice& dice) {
  std::vector<std::vector<uint8_t>> words;
  for (int u : colluders) words.push_back(code.Codeword(u));
  std::vector<int8_t> out(code.length());
  for (int i = 0; i < code.length(); ++i) {
    int ones = 0;
    for (const auto& w : words) ones += w[i];
    const int c = static_cast<int>(words.size());
    if (ones == 0 || ones == c) {
      out[i] = static_cast<int8_t>(ones == c ? 1 : 0);
      continue;
    }
    switch (strategy) {
      case Strategy::kMajority:
        out[i] = static_cast<int8_t>(2 * ones == c ? dice.Next(2) : (2 * ones > c ? 1 : 0));
        break;
      case Strategy::kMinority:
        out[i] = static_cast<int8_t>(2 * ones == c ? dice.Next(2) : (2 * ones < c ? 1 : 0));
        break;
      case Strategy::kRandomSymbol:
        out[i] = static_cast<int8_t>(dice.Next(2));
        break;
      case Strategy::kInterleave:
        out[i] = static_cast<int8_t>(words[dice.Next(c)][i]);
        break;
    }
  }
  return out;
}

std::vector<int8_t> AsObserved(const std::vector<uint8_t>& word) {
  return {word.begin(), word.end()};
}

class TardosTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { ASSERT_TRUE(crypto::Initialize().has_value()); }
};

TEST_F(TardosTest, ChooseParamsRejectsBadInput) {
  for (auto [n, c, eps] : std::vector<std::tuple<int, int, double>>{{1, 1, 1e-3},
                                                                    {0, 1, 1e-3},
                                                                    {100, 0, 1e-3},
                                                                    {100, -2, 1e-3},
                                                                    {100, 2, 0.0},
                                                                    {100, 2, 1.0},
                                                                    {100, 2, -0.5},
                                                                    {100, 2, std::nan("")},
                                                                    {10, 11, 1e-3}}) {
    auto p = ChooseParams(n, c, eps);
    ASSERT_FALSE(p.has_value()) << n << " " << c << " " << eps;
    EXPECT_EQ(p.error().code, ErrorCode::kInvalidArgument);
  }
}

TEST_F(TardosTest, ChooseParamsIsConsistent) {
  for (int c : {1, 2, 3, 5, 10}) {
    auto p = ChooseParams(100, c, 1e-6);
    ASSERT_TRUE(p.has_value());
    EXPECT_EQ(p->n_users, 100);
    EXPECT_EQ(p->coalition, c);
    EXPECT_GT(p->cutoff_t, 0.0);
    EXPECT_LT(p->cutoff_t, 0.5);
    // Same order as the asymptotic (pi^2/2) c^2 ln(n/eps) of Laarhoven & de Weger: shorter for
    // c <= 2 (biases near 1/2 are optimal there), longer for small c > 2 (rigorous bounds).
    const double asymptotic = std::numbers::pi * std::numbers::pi / 2 * c * c * std::log(1e8);
    EXPECT_GE(p->code_length, 0.5 * asymptotic);
    EXPECT_LE(p->code_length, 3.0 * asymptotic);
    EXPECT_DOUBLE_EQ(p->threshold_z, AccusationThreshold(*p, p->code_length));
    // The threshold is where the Bernstein bound meets epsilon_false.
    EXPECT_NEAR(BernsteinBound(*p, p->code_length, p->threshold_z), 1e-6, 1e-9);
    RecordProperty("code_length_c" + std::to_string(c), p->code_length);
    RecordProperty("cutoff_inverse_c" + std::to_string(c),
                   static_cast<int>(std::lround(1.0 / p->cutoff_t)));
  }
  // Longer codes for bigger coalitions, more users and smaller epsilon.
  EXPECT_LT(ChooseParams(100, 2, 1e-6)->code_length, ChooseParams(100, 3, 1e-6)->code_length);
  EXPECT_LT(ChooseParams(100, 2, 1e-6)->code_length, ChooseParams(10000, 2, 1e-6)->code_length);
  EXPECT_LT(ChooseParams(100, 2, 1e-3)->code_length, ChooseParams(100, 2, 1e-6)->code_length);
}

TEST_F(TardosTest, CoalitionDriftMatchesKnownValues) {
  // Without cutoff the symmetric score gives every coalition the same drift, 2/pi per position
  // (for c = 1 it is 2 E[sqrt(p(1-p))] under the arcsine density).
  for (int c : {1, 2, 3, 5, 10}) {
    EXPECT_NEAR(CoalitionDrift(c, 1e-9), 2 / std::numbers::pi, 1e-3) << c;
    EXPECT_GT(CoalitionDrift(c, 1.0 / (30.0 * c)), 0.0) << c;
  }
  // All biases 1/2 and c = 2: undetectable positions score 2 (probability 1/2), the others 0.
  EXPECT_NEAR(CoalitionDrift(2, 0.5 - 1e-9), 1.0, 1e-3);
  EXPECT_TRUE(std::isnan(CoalitionDrift(0, 0.1)));
  EXPECT_TRUE(std::isnan(CoalitionDrift(2, 0.5)));
}

TEST_F(TardosTest, CreateRejectsBadKeysAndParams) {
  auto params = ChooseParams(10, 2, 1e-3).value();
  auto short_key = crypto::SecretBytes::CopyFrom("too short");
  auto bad = TardosCode::Create(params, short_key);
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
  TardosParams broken = params;
  broken.cutoff_t = 0.5;
  EXPECT_FALSE(TardosCode::Create(broken, KeyFromSeed(1)).has_value());
  broken = params;
  broken.code_length = 0;
  EXPECT_FALSE(TardosCode::Create(broken, KeyFromSeed(1)).has_value());
}

TEST_F(TardosTest, SameKeySameCodeDifferentKeyDifferentCode) {
  auto params = ChooseParams(20, 2, 1e-4).value();
  auto a = TardosCode::Create(params, KeyFromSeed(7)).value();
  auto b = TardosCode::Create(params, KeyFromSeed(7)).value();
  auto other = TardosCode::Create(params, KeyFromSeed(8)).value();
  for (int u = 0; u < params.n_users; ++u) {
    EXPECT_EQ(a.Codeword(u), b.Codeword(u));
    EXPECT_NE(a.Codeword(u), other.Codeword(u));
    EXPECT_EQ(a.Codeword(u).size(), static_cast<size_t>(params.code_length));
  }
  for (int i = 0; i < params.code_length; ++i) EXPECT_EQ(a.Bias(i), b.Bias(i));
  EXPECT_NE(a.Bias(0), other.Bias(0));
  // Users get distinct codewords.
  EXPECT_NE(a.Codeword(0), a.Codeword(1));
  EXPECT_TRUE(a.Codeword(-1).empty());
  EXPECT_TRUE(a.Codeword(params.n_users).empty());
  EXPECT_TRUE(std::isnan(a.Bias(params.code_length)));
}

TEST_F(TardosTest, UserNumbersFixCodewordsWhateverTheSet) {
  auto params = ChooseParams(3, 2, 1e-4).value();
  const auto key = KeyFromSeed(11);
  auto small = TardosCode::CreateForUsers(params, key, {5, 900, 77}).value();
  params.n_users = 4;
  auto large = TardosCode::CreateForUsers(params, key, {1234, 77, 900, 5}).value();
  EXPECT_EQ(small.Codeword(0), large.Codeword(3));
  EXPECT_EQ(small.Codeword(2), large.Codeword(1));
  EXPECT_EQ(CodewordOf(params.code_length, params.cutoff_t, key, 900), small.Codeword(1));
  // Create numbers users 0 .. n-1.
  auto plain = TardosCode::Create(params, key).value();
  auto numbered = TardosCode::CreateForUsers(params, key, {0, 1, 2, 3}).value();
  EXPECT_EQ(plain.Codeword(2), numbered.Codeword(2));
  EXPECT_FALSE(TardosCode::CreateForUsers(params, key, {1, 2}).has_value());
  EXPECT_TRUE(CodewordOf(0, params.cutoff_t, key, 1).empty());
  EXPECT_TRUE(CodewordOf(10, 0.5, key, 1).empty());
}

RC_GTEST_PROP(TardosProperties, BiasesWithinCutoffAndBitsMatchBias, (uint64_t seed)) {
  RC_ASSERT(crypto::Initialize().has_value());
  TardosParams params{.n_users = 4,
                      .coalition = 2,
                      .epsilon_false = 1e-3,
                      .code_length = 257,
                      .cutoff_t = 0.01,
                      .threshold_z = 1.0};
  auto code = TardosCode::Create(params, KeyFromSeed(seed)).value();
  for (int i = 0; i < code.length(); ++i) {
    RC_ASSERT(code.Bias(i) >= params.cutoff_t);
    RC_ASSERT(code.Bias(i) <= 1.0 - params.cutoff_t);
  }
  for (int u = 0; u < params.n_users; ++u) {
    for (uint8_t bit : code.Codeword(u)) RC_ASSERT(bit <= 1);
  }
}

TEST_F(TardosTest, BitFrequencyFollowsBias) {
  // Over many users, the fraction of ones at position i approaches p_i.
  TardosParams params{.n_users = 4000,
                      .coalition = 2,
                      .epsilon_false = 1e-3,
                      .code_length = 16,
                      .cutoff_t = 0.01,
                      .threshold_z = 1.0};
  auto code = TardosCode::Create(params, KeyFromSeed(3)).value();
  std::vector<int> ones(params.code_length, 0);
  for (int u = 0; u < params.n_users; ++u) {
    auto w = code.Codeword(u);
    for (int i = 0; i < params.code_length; ++i) ones[i] += w[i];
  }
  for (int i = 0; i < params.code_length; ++i) {
    const double p = code.Bias(i);
    const double sd = std::sqrt(p * (1 - p) / params.n_users);
    EXPECT_NEAR(static_cast<double>(ones[i]) / params.n_users, p, 5 * sd) << i;
  }
}

RC_GTEST_PROP(TardosProperties, BernsteinBoundIsMonotoneInScore,
              (int observed_raw, double s1_raw, double s2_raw)) {
  auto params = ChooseParams(100, 2, 1e-6).value();
  const int observed = 1 + std::abs(observed_raw % params.code_length);
  const double s1 = std::isfinite(s1_raw) ? std::fmod(std::abs(s1_raw), 2000.0) : 1.0;
  const double s2 = std::isfinite(s2_raw) ? std::fmod(std::abs(s2_raw), 2000.0) : 2.0;
  const double lo = std::min(s1, s2);
  const double hi = std::max(s1, s2);
  RC_ASSERT(BernsteinBound(params, observed, hi) <= BernsteinBound(params, observed, lo));
  RC_ASSERT(BernsteinBound(params, observed, lo) <= 1.0);
  RC_ASSERT(BernsteinBound(params, observed, hi) >= 0.0);
}

TEST_F(TardosTest, BernsteinBoundEdgeCases) {
  auto params = ChooseParams(100, 2, 1e-6).value();
  EXPECT_EQ(BernsteinBound(params, params.code_length, 0.0), 1.0);
  EXPECT_EQ(BernsteinBound(params, params.code_length, -5.0), 1.0);
  EXPECT_EQ(BernsteinBound(params, 0, 100.0), 1.0);
  EXPECT_TRUE(std::isinf(AccusationThreshold(params, 0)));
  // Fewer observed positions: a lower threshold, but never below the rigorous level.
  EXPECT_LT(AccusationThreshold(params, params.code_length / 2), params.threshold_z);
  EXPECT_NEAR(BernsteinBound(params, params.code_length / 2,
                             AccusationThreshold(params, params.code_length / 2)),
              1e-6, 1e-9);
}

TEST_F(TardosTest, ScoresRejectMalformedWords) {
  auto params = ChooseParams(10, 2, 1e-3).value();
  auto code = TardosCode::Create(params, KeyFromSeed(1)).value();
  std::vector<int8_t> short_word(params.code_length - 1, 0);
  auto r = code.Scores(short_word);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  std::vector<int8_t> bad_value(params.code_length, 0);
  bad_value[3] = 2;
  EXPECT_FALSE(code.Scores(bad_value).has_value());
  EXPECT_FALSE(code.Accuse(bad_value).has_value());
  std::vector<int8_t> all_erased(params.code_length, -1);
  EXPECT_TRUE(code.Accuse(all_erased).value().empty());
  const std::vector<double> zero_scores = code.Scores(all_erased).value();
  for (double s : zero_scores) EXPECT_EQ(s, 0.0);
}

TEST_F(TardosTest, InnocentScoresHaveMeanZeroAndVarianceObservedLength) {
  // Observed words independent of the code (as an innocent user's codeword is independent of
  // whatever the colluders produce): every score is a sum of m' terms of mean 0, variance 1.
  TardosParams params{.n_users = 50,
                      .coalition = 2,
                      .epsilon_false = 1e-6,
                      .code_length = 400,
                      .cutoff_t = 1.0 / 60,
                      .threshold_z = 0};
  params.threshold_z = AccusationThreshold(params, params.code_length);
  auto code = TardosCode::Create(params, KeyFromSeed(11)).value();
  Dice dice(12);
  double sum = 0;
  double sum_sq = 0;
  int samples = 0;
  int kept_total = 0;
  for (int trial = 0; trial < 1000; ++trial) {
    std::vector<int8_t> word(params.code_length);
    int kept = 0;
    for (auto& y : word) {
      const uint32_t v = dice.Next(10);
      y = static_cast<int8_t>(v == 0 ? -1 : static_cast<int>(v % 2));  // 10% erasures
      kept += (y != -1);
    }
    kept_total += kept;
    const std::vector<double> scores = code.Scores(word).value();
    for (double s : scores) {
      // Normalise by sqrt(m') so that every sample has variance 1.
      const double z = s / std::sqrt(static_cast<double>(kept));
      sum += z;
      sum_sq += z * z;
      ++samples;
    }
    EXPECT_TRUE(code.Accuse(word).value().empty()) << trial;
  }
  const double mean = sum / samples;
  const double variance = sum_sq / samples - mean * mean;
  RecordProperty("innocent_mean_x1000", static_cast<int>(std::lround(mean * 1000)));
  RecordProperty("innocent_variance_x1000", static_cast<int>(std::lround(variance * 1000)));
  RecordProperty("mean_observed_positions", kept_total / 1000);
  EXPECT_NEAR(mean, 0.0, 0.05);
  EXPECT_NEAR(variance, 1.0, 0.1);
}

TEST_F(TardosTest, SingleLeakerIsAccusedAlone) {
  auto params = ChooseParams(100, 2, 1e-6).value();
  RecordProperty("code_length", params.code_length);
  for (int trial = 0; trial < 10; ++trial) {
    auto code = TardosCode::Create(params, KeyFromSeed(100 + trial)).value();
    const int leaker = (trial * 37) % params.n_users;
    auto accused = code.Accuse(AsObserved(code.Codeword(leaker))).value();
    ASSERT_EQ(accused.size(), 1U) << trial;
    EXPECT_EQ(accused[0].user, leaker);
    EXPECT_GE(accused[0].score, params.threshold_z);
    EXPECT_LE(accused[0].false_accusation_bound, 1e-6);
  }
}

TEST_F(TardosTest, SingleLeakerIsAccusedWithHalfThePositionsErased) {
  auto params = ChooseParams(100, 2, 1e-6).value();
  Dice dice(5);
  for (int trial = 0; trial < 10; ++trial) {
    auto code = TardosCode::Create(params, KeyFromSeed(200 + trial)).value();
    const int leaker = (trial * 53) % params.n_users;
    auto word = AsObserved(code.Codeword(leaker));
    // Erase a random half of the positions.
    for (int erased = 0; erased < params.code_length / 2;) {
      auto& y = word[dice.Next(params.code_length)];
      if (y != -1) {
        y = -1;
        ++erased;
      }
    }
    auto accused = code.Accuse(word).value();
    ASSERT_EQ(accused.size(), 1U) << trial;
    EXPECT_EQ(accused[0].user, leaker);
    EXPECT_LE(accused[0].false_accusation_bound, 1e-6);
  }
}

// Runs kTrials deterministic collusions of `size` users against codes designed for
// `designed` colluders; returns how many trials caught a colluder and how many innocent
// accusations there were in total.
std::pair<int, int> SimulateCollusions(const std::vector<TardosCode>& codes, int size,
                                       Strategy strategy, uint64_t seed) {
  Dice dice(seed);
  int caught = 0;
  int framed = 0;
  for (const TardosCode& code : codes) {
    std::vector<int> colluders;
    while (static_cast<int>(colluders.size()) < size) {
      const int u = static_cast<int>(dice.Next(code.n_users()));
      if (std::find(colluders.begin(), colluders.end(), u) == colluders.end()) {
        colluders.push_back(u);
      }
    }
    auto accused = code.Accuse(Collude(code, colluders, strategy, dice)).value();
    bool any_colluder = false;
    for (const auto& a : accused) {
      const bool guilty = std::find(colluders.begin(), colluders.end(), a.user) != colluders.end();
      any_colluder = any_colluder || guilty;
      if (!guilty) ++framed;
    }
    caught += any_colluder ? 1 : 0;
  }
  return {caught, framed};
}

TEST_F(TardosTest, CoalitionsAreTracedWithoutAccusingInnocents) {
  constexpr int kTrials = 50;
  for (int designed : {2, 3}) {
    auto params = ChooseParams(100, designed, 1e-4).value();
    RecordProperty("code_length_designed_c" + std::to_string(designed), params.code_length);
    std::vector<TardosCode> codes;
    for (int trial = 0; trial < kTrials; ++trial) {
      codes.push_back(TardosCode::Create(params, KeyFromSeed(1000 * designed + trial)).value());
    }
    for (int size = 2; size <= designed; ++size) {
      for (Strategy strategy : {Strategy::kMajority, Strategy::kMinority, Strategy::kRandomSymbol,
                                Strategy::kInterleave}) {
        const uint64_t seed = 100 * designed + 10 * size + static_cast<uint64_t>(strategy);
        auto [caught, framed] = SimulateCollusions(codes, size, strategy, seed);
        const std::string name = "designed_c" + std::to_string(designed) + "_coalition" +
                                 std::to_string(size) + "_" + StrategyName(strategy);
        RecordProperty(name + "_caught_of_50", caught);
        RecordProperty(name + "_innocents_accused", framed);
        EXPECT_EQ(caught, kTrials) << name;
        EXPECT_EQ(framed, 0) << name;
      }
    }
  }
}

}  // namespace
}  // namespace forewarn::trace
