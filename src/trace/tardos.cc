#include "trace/tardos.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <numbers>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace forewarn::trace {
namespace {

constexpr int kMaxCoalition = 1000;
constexpr int64_t kMaxCodeLength = int64_t{1} << 30;
constexpr int64_t kMaxMatrixBits = int64_t{1} << 31;
// Simpson intervals for CoalitionDrift (even). The integrand is smooth in r.
constexpr int kDriftIntervals = 2048;
// Domain-separation labels for the keyed pseudo-random function.
constexpr std::string_view kBiasLabel = "forewarn.trace.tardos.bias";
constexpr std::string_view kBitLabel = "forewarn.trace.tardos.bit";
// Each 32-byte KeyedHash output yields four 64-bit uniforms.
constexpr int kUniformsPerHash = 4;

double CutoffBound(double cutoff_t) { return std::sqrt((1.0 - cutoff_t) / cutoff_t); }

void AppendLe64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

uint64_t ReadLe64(std::string_view bytes, size_t offset) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8; ++i) {
    v |= static_cast<uint64_t>(static_cast<unsigned char>(bytes[offset + i])) << (8 * i);
  }
  return v;
}

// A uniform double in [0, 1) from 64 pseudo-random bits (53 bits of precision).
double ToUnit(uint64_t v) { return static_cast<double>(v >> 11) * 0x1.0p-53; }

// Four uniforms for (label, a, b): BLAKE2b keyed by `key` over label || le64(a) || le64(b).
std::array<double, kUniformsPerHash> KeyedUniforms(const crypto::SecretBytes& key,
                                                   std::string_view label, uint64_t a, uint64_t b) {
  std::string message(label);
  message.push_back('\0');
  AppendLe64(message, a);
  AppendLe64(message, b);
  const std::string digest = crypto::KeyedHash(key, message);
  std::array<double, kUniformsPerHash> out{};
  for (size_t k = 0; k < out.size(); ++k) out[k] = ToUnit(ReadLe64(digest, 8 * k));
  return out;
}

Status ValidateDesign(int n_users, int coalition, double epsilon_false) {
  if (n_users < 2) return Fail(ErrorCode::kInvalidArgument, "tardos: n_users must be >= 2");
  if (coalition < 1 || coalition > kMaxCoalition || coalition > n_users) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("tardos: coalition {} must be in [1, min(n_users, {})]", coalition,
                            kMaxCoalition));
  }
  if (!(epsilon_false > 0.0 && epsilon_false < 1.0)) {
    return Fail(ErrorCode::kInvalidArgument, "tardos: epsilon_false must be in (0, 1)");
  }
  return Ok();
}

// The biases p_i of a code of length m with cutoff t: arcsine density on [t, 1-t].
std::vector<double> Biases(int m, double t, const crypto::SecretBytes& key) {
  const double lo = std::asin(std::sqrt(t));
  const double hi = std::numbers::pi / 2.0 - lo;
  std::vector<double> bias(m);
  for (int block = 0; block * kUniformsPerHash < m; ++block) {
    const auto u = KeyedUniforms(key, kBiasLabel, static_cast<uint64_t>(block), 0);
    for (int k = 0; k < kUniformsPerHash && block * kUniformsPerHash + k < m; ++k) {
      const double s = std::sin(lo + u[k] * (hi - lo));
      // Clamp against rounding so that the documented [t, 1-t] range holds exactly.
      bias[block * kUniformsPerHash + k] = std::clamp(s * s, t, 1.0 - t);
    }
  }
  return bias;
}

// Sets the 1 bits of user `number`'s codeword in `row` (bit i = word i/64, bit i%64).
void FillRow(const crypto::SecretBytes& key, uint64_t number, const std::vector<double>& bias,
             uint64_t* row) {
  const int m = static_cast<int>(bias.size());
  for (int block = 0; block * kUniformsPerHash < m; ++block) {
    const auto u = KeyedUniforms(key, kBitLabel, number, static_cast<uint64_t>(block));
    for (int k = 0; k < kUniformsPerHash && block * kUniformsPerHash + k < m; ++k) {
      const int i = block * kUniformsPerHash + k;
      if (u[k] < bias[i]) row[i / 64] |= uint64_t{1} << (i % 64);
    }
  }
}

Status ValidateParams(const TardosParams& p) {
  FW_TRY(ValidateDesign(p.n_users, p.coalition, p.epsilon_false));
  if (p.code_length < 1) return Fail(ErrorCode::kInvalidArgument, "tardos: code_length < 1");
  if (!(p.cutoff_t > 0.0 && p.cutoff_t < 0.5)) {
    return Fail(ErrorCode::kInvalidArgument, "tardos: cutoff_t must be in (0, 1/2)");
  }
  if (!std::isfinite(p.threshold_z)) {
    return Fail(ErrorCode::kInvalidArgument, "tardos: threshold_z must be finite");
  }
  if (static_cast<int64_t>(p.n_users) * p.code_length > kMaxMatrixBits) {
    return Fail(ErrorCode::kInvalidArgument, "tardos: n_users * code_length exceeds 2^31");
  }
  return Ok();
}

// Z(m) for a false-accusation budget log(n / eps) = l1 and per-term bound b.
double BernsteinThreshold(double b, double l1, double m) {
  const double a = b * l1 / 3.0;
  return a + std::sqrt(a * a + 2.0 * m * l1);
}

// True if length m meets the design condition of ChooseParams (see tardos.h).
bool LengthSuffices(int c, double b, double mu, double l1, double l2, double m) {
  const double margin = BernsteinThreshold(c * b, l2, c * m);  // Bernstein deviation, variance c m
  return mu * m - c * BernsteinThreshold(b, l1, m) >= margin;
}

// Smallest m in [1, kMaxCodeLength] satisfying LengthSuffices, or 0 if none. The condition is
// monotone: mu m minus terms growing like sqrt(m) is convex in m and negative at m = 0.
int64_t SmallestLength(int c, double b, double mu, double l1, double l2) {
  if (!LengthSuffices(c, b, mu, l1, l2, static_cast<double>(kMaxCodeLength))) return 0;
  int64_t lo = 1;
  int64_t hi = kMaxCodeLength;
  while (lo < hi) {
    const int64_t mid = lo + (hi - lo) / 2;
    if (LengthSuffices(c, b, mu, l1, l2, static_cast<double>(mid))) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  return lo;
}

}  // namespace

double CoalitionDrift(int coalition, double cutoff_t) {
  if (coalition < 1 || !(cutoff_t > 0.0 && cutoff_t < 0.5)) {
    return std::numeric_limits<double>::quiet_NaN();
  }
  const int c = coalition;
  const double lo = std::asin(std::sqrt(cutoff_t));
  const double hi = std::numbers::pi / 2.0 - lo;
  const double h = (hi - lo) / kDriftIntervals;
  // integral[s] = E_r[ C(c,s) p^s (1-p)^(c-s) (s - c p) / sqrt(p (1-p)) ], r uniform on [lo, hi].
  std::vector<double> integral(static_cast<size_t>(c) + 1, 0.0);
  std::vector<double> log_choose(static_cast<size_t>(c) + 1);
  for (int s = 0; s <= c; ++s) {
    log_choose[s] = std::lgamma(c + 1.0) - std::lgamma(s + 1.0) - std::lgamma(c - s + 1.0);
  }
  for (int k = 0; k <= kDriftIntervals; ++k) {
    const double weight = (k == 0 || k == kDriftIntervals) ? 1.0 : (k % 2 == 1 ? 4.0 : 2.0);
    const double r = lo + h * k;
    const double p = std::sin(r) * std::sin(r);
    const double sd = std::sqrt(p * (1.0 - p));
    const double lp = std::log(p);
    const double lq = std::log1p(-p);
    for (int s = 0; s <= c; ++s) {
      const double prob = std::exp(log_choose[s] + s * lp + (c - s) * lq);
      integral[s] += weight * prob * (s - c * p) / sd;
    }
  }
  const double scale = h / 3.0 / (hi - lo);
  // sigma = 0 forces y = 0 and sigma = c forces y = 1 (marking assumption); elsewhere the
  // coalition picks the symbol that makes the expected score smallest: -|integral|.
  double mu = -integral[0] * scale + integral[c] * scale;
  for (int s = 1; s < c; ++s) mu -= std::abs(integral[s] * scale);
  return mu;
}

Result<TardosParams> ChooseParams(int n_users, int coalition, double epsilon_false) {
  FW_TRY(ValidateDesign(n_users, coalition, epsilon_false));
  const int c = coalition;
  const double l1 = std::log(n_users / epsilon_false);
  const double l2 = std::log(1.0 / kDesignMissProbability);
  TardosParams best{.n_users = n_users, .coalition = c, .epsilon_false = epsilon_false};
  int64_t best_m = 0;
  // t = 1 / (d_t c) on a geometric grid of d_t, keeping the d_t that needs the shortest code.
  for (double d_t = 1.0; d_t <= 2000.0; d_t *= 1.15) {
    const double t = 1.0 / (d_t * c);
    if (t >= 0.5) continue;
    const double mu = CoalitionDrift(c, t);
    if (!(mu > 0.0)) continue;
    const int64_t m = SmallestLength(c, CutoffBound(t), mu, l1, l2);
    if (m > 0 && (best_m == 0 || m < best_m)) {
      best_m = m;
      best.cutoff_t = t;
    }
  }
  if (best_m == 0) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("tardos: no code length up to 2^30 for n={} c={} eps={}", n_users, c,
                            epsilon_false));
  }
  best.code_length = static_cast<int>(best_m);
  best.threshold_z = AccusationThreshold(best, best.code_length);
  return best;
}

double AccusationThreshold(const TardosParams& params, int observed_positions) {
  if (observed_positions <= 0) return std::numeric_limits<double>::infinity();
  const double l1 = std::log(params.n_users / params.epsilon_false);
  return BernsteinThreshold(CutoffBound(params.cutoff_t), l1, observed_positions);
}

double BernsteinBound(const TardosParams& params, int observed_positions, double score) {
  if (observed_positions <= 0 || !(score > 0.0)) return 1.0;
  const double b = CutoffBound(params.cutoff_t);
  const double exponent = score * score / (2.0 * observed_positions + (2.0 / 3.0) * b * score);
  // Union bound over the n users, in the log domain so that tiny bounds do not underflow early.
  return std::min(1.0, std::exp(std::log(static_cast<double>(params.n_users)) - exponent));
}

Result<TardosCode> TardosCode::Create(const TardosParams& params, const crypto::SecretBytes& key) {
  std::vector<uint64_t> numbers(params.n_users > 0 ? static_cast<size_t>(params.n_users) : 0);
  for (size_t u = 0; u < numbers.size(); ++u) numbers[u] = u;
  return CreateForUsers(params, key, numbers);
}

Result<TardosCode> TardosCode::CreateForUsers(const TardosParams& params,
                                              const crypto::SecretBytes& key,
                                              const std::vector<uint64_t>& user_numbers) {
  FW_TRY(ValidateParams(params));
  if (key.size() < 16 || key.size() > 64) {
    return Fail(ErrorCode::kInvalidArgument, "tardos: key must be 16..64 bytes");
  }
  if (user_numbers.size() != static_cast<size_t>(params.n_users)) {
    return Fail(ErrorCode::kInvalidArgument, "tardos: one user number per user is required");
  }
  TardosCode code(params);
  code.bias_ = Biases(params.code_length, params.cutoff_t, key);
  code.words_per_user_ = (static_cast<size_t>(params.code_length) + 63) / 64;
  code.bits_.assign(code.words_per_user_ * params.n_users, 0);
  for (int user = 0; user < params.n_users; ++user) {
    FillRow(key, user_numbers[user], code.bias_, code.bits_.data() + code.words_per_user_ * user);
  }
  return code;
}

std::vector<uint8_t> CodewordOf(int code_length, double cutoff_t, const crypto::SecretBytes& key,
                                uint64_t user_number) {
  if (code_length < 1 || !(cutoff_t > 0.0 && cutoff_t < 0.5) || key.size() < 16 ||
      key.size() > 64) {
    return {};
  }
  const std::vector<double> bias = Biases(code_length, cutoff_t, key);
  std::vector<uint64_t> row((static_cast<size_t>(code_length) + 63) / 64, 0);
  FillRow(key, user_number, bias, row.data());
  std::vector<uint8_t> word(code_length);
  for (int i = 0; i < code_length; ++i)
    word[i] = static_cast<uint8_t>((row[i / 64] >> (i % 64)) & 1U);
  return word;
}

bool TardosCode::Bit(int user, int i) const {
  return ((bits_[words_per_user_ * user + i / 64] >> (i % 64)) & 1U) != 0;
}

std::vector<uint8_t> TardosCode::Codeword(int user) const {
  if (user < 0 || user >= params_.n_users) return {};
  std::vector<uint8_t> word(params_.code_length);
  for (int i = 0; i < params_.code_length; ++i) word[i] = Bit(user, i) ? 1 : 0;
  return word;
}

double TardosCode::Bias(int i) const {
  if (i < 0 || i >= params_.code_length) return std::numeric_limits<double>::quiet_NaN();
  return bias_[i];
}

Result<std::vector<double>> TardosCode::Scores(const std::vector<int8_t>& observed) const {
  const int m = params_.code_length;
  if (observed.size() != static_cast<size_t>(m)) {
    return Fail(
        ErrorCode::kInvalidArgument,
        fmt::format("tardos: observed word has {} positions, code has {}", observed.size(), m));
  }
  // Per position, the score of a user holding 1 and of one holding 0 (symmetric score).
  std::vector<double> if_one(m, 0.0);
  std::vector<double> if_zero(m, 0.0);
  for (int i = 0; i < m; ++i) {
    const int8_t y = observed[i];
    if (y != -1 && y != 0 && y != 1) {
      return Fail(ErrorCode::kInvalidArgument,
                  fmt::format("tardos: observed value {} at position {} is not -1, 0 or 1",
                              static_cast<int>(y), i));
    }
    if (y == -1) continue;
    const double p = bias_[i];
    const double g1 = std::sqrt((1.0 - p) / p);   // g1(p)
    const double g0 = -std::sqrt(p / (1.0 - p));  // g0(p)
    // y=1: x=1 -> g1(p), x=0 -> g0(p).  y=0: x=0 -> g1(1-p) = -g0(p), x=1 -> g0(1-p) = -g1(p).
    if_one[i] = (y == 1) ? g1 : -g1;
    if_zero[i] = (y == 1) ? g0 : -g0;
  }
  std::vector<double> scores(params_.n_users, 0.0);
  for (int user = 0; user < params_.n_users; ++user) {
    double sum = 0.0;
    for (int i = 0; i < m; ++i) sum += Bit(user, i) ? if_one[i] : if_zero[i];
    scores[user] = sum;
  }
  return scores;
}

Result<std::vector<Accusation>> TardosCode::Accuse(const std::vector<int8_t>& observed) const {
  FW_ASSIGN_OR_RETURN(std::vector<double> scores, Scores(observed));
  const int kept = static_cast<int>(
      std::count_if(observed.begin(), observed.end(), [](int8_t y) { return y != -1; }));
  std::vector<Accusation> accused;
  for (int user = 0; user < params_.n_users; ++user) {
    const double bound = BernsteinBound(params_, kept, scores[user]);
    if (scores[user] > 0.0 && bound <= params_.epsilon_false) {
      accused.push_back(
          Accusation{.user = user, .score = scores[user], .false_accusation_bound = bound});
    }
  }
  std::sort(accused.begin(), accused.end(),
            [](const Accusation& a, const Accusation& b) { return a.score > b.score; });
  return accused;
}

}  // namespace forewarn::trace
