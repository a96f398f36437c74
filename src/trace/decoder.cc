#include "trace/decoder.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace forewarn::trace {
namespace {

constexpr double kInfinity = std::numeric_limits<double>::infinity();
// ChernoffLambdas has kChernoffGridSize + 1 values.
constexpr int kChernoffGridSize = 44;

// 1 / c_eff: the probability that the observed bit is copied from one given colluder.
//
// Derivation of the log-likelihood terms. In a size-c interleaving attack, each position's
// observed bit is the bit of a colluder chosen uniformly at random. For a colluder j with bit x,
//   P(y = 1 | x, p) = x / c + (1 - 1/c) p      (j chosen with probability 1/c; otherwise another
//                                               colluder, whose bit is Bernoulli(p)),
// while for an innocent user y is independent of his bit and P(y = 1 | p) = p (every colluder's
// bit is Bernoulli(p), whichever is copied). The log-likelihood ratio ln P(y | x) / P(y) is
//   x=1,y=1: ln(1 + (1-p)/(c p))       x=0,y=1: ln(1 - 1/c)
//   x=0,y=0: ln(1 + p/(c (1-p)))       x=1,y=0: ln(1 - 1/c),
// the decoder of Laarhoven (2016) and Meerwald & Furon (2012). With c = 1 and a noise floor
// delta (y = x with probability 1 - delta, else a fresh Bernoulli(p) bit) the same algebra gives
// P(y = 1 | x, p) = (1 - delta) x + delta p, i.e. the terms above with 1/c = 1 - delta.
double CopyProbability(const ScoreSpec& spec) {
  return spec.coalition == 1 ? 1.0 - spec.single_user_noise : 1.0 / spec.coalition;
}

// The standard normal upper quantile: z with P(N(0,1) >= z) = q, for 0 < q < 1/2.
double NormalUpperQuantile(double q) {
  double lo = 0.0;
  double hi = 40.0;
  for (int step = 0; step < 200 && hi - lo > 1e-12; ++step) {
    const double mid = (lo + hi) / 2.0;
    if (0.5 * std::erfc(mid / std::sqrt(2.0)) > q) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
  return (lo + hi) / 2.0;
}

bool ThresholdArgsValid(const InnocentScore& innocent, int n_users, double epsilon) {
  return innocent.observed_positions > 0 && n_users >= 1 && epsilon > 0.0 && epsilon < 1.0;
}

// The code's biases as a vector (TardosCode exposes them one at a time).
std::vector<double> BiasesOf(const TardosCode& code) {
  std::vector<double> bias(code.length());
  for (int i = 0; i < code.length(); ++i) bias[i] = code.Bias(i);
  return bias;
}

// Every row's score: the sum over positions of the term for the row's bit (erased positions
// have {0, 0}). The same summation order as TardosCode::Scores, so symmetric scores match it.
std::vector<double> RowScores(const TardosCode& code, const std::vector<PositionTerm>& terms) {
  std::vector<double> scores(code.n_users(), 0.0);
  for (int row = 0; row < code.n_users(); ++row) {
    const std::vector<uint8_t> word = code.Codeword(row);
    double sum = 0.0;
    for (size_t i = 0; i < terms.size(); ++i) {
      sum += word[i] != 0 ? terms[i].if_one : terms[i].if_zero;
    }
    scores[row] = sum;
  }
  return scores;
}

}  // namespace

Status ValidateScoreSpec(const ScoreSpec& spec) {
  if (spec.coalition < 1) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("decoder: coalition {} must be >= 1", spec.coalition));
  }
  if (!(spec.single_user_noise > 0.0 && spec.single_user_noise < 1.0)) {
    return Fail(ErrorCode::kInvalidArgument, "decoder: single_user_noise must be in (0, 1)");
  }
  return Ok();
}

PositionTerm TermAt(const ScoreSpec& spec, double p, int y) {
  if (y != 0 && y != 1) return {};
  if (spec.kind == ScoreKind::kSymmetric) {
    const double g1 = std::sqrt((1.0 - p) / p);   // g1(p)
    const double g0 = -std::sqrt(p / (1.0 - p));  // g0(p)
    // y=1: x=1 -> g1(p), x=0 -> g0(p).  y=0: x=0 -> g1(1-p) = -g0(p), x=1 -> g0(1-p) = -g1(p).
    return y == 1 ? PositionTerm{.if_one = g1, .if_zero = g0}
                  : PositionTerm{.if_one = -g1, .if_zero = -g0};
  }
  const double a = CopyProbability(spec);
  const double mismatch = std::log1p(-a);  // ln(1 - 1/c)
  return y == 1 ? PositionTerm{.if_one = std::log1p(a * (1.0 - p) / p), .if_zero = mismatch}
                : PositionTerm{.if_one = mismatch, .if_zero = std::log1p(a * p / (1.0 - p))};
}

InnocentScore TermMoments(const PositionTerm& term, double p) {
  const double d = term.if_one - term.if_zero;
  return InnocentScore{.mean = p * term.if_one + (1.0 - p) * term.if_zero,
                       .variance = p * (1.0 - p) * d * d,
                       .max_deviation = std::max(p, 1.0 - p) * std::abs(d),
                       .observed_positions = 1};
}

Result<std::vector<PositionTerm>> PositionTerms(std::span<const double> bias,
                                                std::span<const int8_t> observed,
                                                const ScoreSpec& spec) {
  FW_TRY(ValidateScoreSpec(spec));
  if (bias.size() != observed.size()) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("decoder: observed word has {} positions, code has {}", observed.size(),
                            bias.size()));
  }
  std::vector<PositionTerm> terms(bias.size());
  for (size_t i = 0; i < bias.size(); ++i) {
    const int8_t y = observed[i];
    if (y != -1 && y != 0 && y != 1) {
      return Fail(ErrorCode::kInvalidArgument,
                  fmt::format("decoder: observed value {} at position {} is not -1, 0 or 1",
                              static_cast<int>(y), i));
    }
    if (!(bias[i] > 0.0 && bias[i] < 1.0)) {
      return Fail(ErrorCode::kInvalidArgument,
                  fmt::format("decoder: bias at position {} is not in (0, 1)", i));
    }
    terms[i] = TermAt(spec, bias[i], y);
  }
  return terms;
}

InnocentScore InnocentScoreOf(std::span<const PositionTerm> terms, std::span<const double> bias,
                              std::span<const int8_t> observed) {
  InnocentScore total;
  const size_t m = std::min({terms.size(), bias.size(), observed.size()});
  for (size_t i = 0; i < m; ++i) {
    if (observed[i] == -1) continue;
    const InnocentScore one = TermMoments(terms[i], bias[i]);
    total.mean += one.mean;
    total.variance += one.variance;
    total.max_deviation = std::max(total.max_deviation, one.max_deviation);
    ++total.observed_positions;
  }
  return total;
}

double FalseAccusationBound(const InnocentScore& innocent, int n_users, double score) {
  const double d = score - innocent.mean;
  if (innocent.observed_positions <= 0 || n_users < 1 || !(d > 0.0)) return 1.0;
  const double exponent =
      d * d / (2.0 * innocent.variance + (2.0 / 3.0) * innocent.max_deviation * d);
  // Union bound over the users, in the log domain so that tiny bounds do not underflow early.
  return std::min(1.0, std::exp(std::log(static_cast<double>(n_users)) - exponent));
}

double RigorousThreshold(const InnocentScore& innocent, int n_users, double epsilon) {
  if (!ThresholdArgsValid(innocent, n_users, epsilon)) return kInfinity;
  const double l = std::log(n_users / epsilon);
  const double a = innocent.max_deviation * l / 3.0;
  return innocent.mean + a + std::sqrt(a * a + 2.0 * innocent.variance * l);
}

double GaussianThreshold(const InnocentScore& innocent, int n_users, double epsilon) {
  if (!ThresholdArgsValid(innocent, n_users, epsilon)) return kInfinity;
  const double q = epsilon / n_users;
  return innocent.mean + NormalUpperQuantile(q) * std::sqrt(innocent.variance);
}

const std::vector<double>& ChernoffLambdas() {
  static const std::vector<double> grid = [] {
    std::vector<double> out;
    for (int j = 0; j <= kChernoffGridSize; ++j) out.push_back(0.02 * std::pow(1.15, j));
    return out;
  }();
  return grid;
}

double LogMgfTerm(const PositionTerm& term, double p, double lambda) {
  const double a = lambda * term.if_one;
  const double b = lambda * term.if_zero;
  const double top = std::max(a, b);
  return top + std::log(p * std::exp(a - top) + (1.0 - p) * std::exp(b - top));
}

ChernoffCurve ChernoffCurveOf(std::span<const PositionTerm> terms, std::span<const double> bias,
                              std::span<const int8_t> observed) {
  ChernoffCurve curve{.lambda = ChernoffLambdas(),
                      .log_mgf = std::vector<double>(ChernoffLambdas().size(), 0.0)};
  const size_t m = std::min({terms.size(), bias.size(), observed.size()});
  for (size_t i = 0; i < m; ++i) {
    if (observed[i] == -1) continue;
    for (size_t j = 0; j < curve.lambda.size(); ++j) {
      curve.log_mgf[j] += LogMgfTerm(terms[i], bias[i], curve.lambda[j]);
    }
    ++curve.observed_positions;
  }
  return curve;
}

double ChernoffBound(const ChernoffCurve& curve, int n_users, double score) {
  if (curve.observed_positions <= 0 || n_users < 1) return 1.0;
  double exponent = kInfinity;
  for (size_t j = 0; j < curve.lambda.size() && j < curve.log_mgf.size(); ++j) {
    exponent = std::min(exponent, curve.log_mgf[j] - curve.lambda[j] * score);
  }
  return std::min(1.0, std::exp(std::log(static_cast<double>(n_users)) + exponent));
}

double ChernoffThreshold(const ChernoffCurve& curve, int n_users, double epsilon) {
  if (curve.observed_positions <= 0 || n_users < 1 || !(epsilon > 0.0 && epsilon < 1.0)) {
    return kInfinity;
  }
  const double l = std::log(n_users / epsilon);
  double best = kInfinity;
  for (size_t j = 0; j < curve.lambda.size() && j < curve.log_mgf.size(); ++j) {
    best = std::min(best, (curve.log_mgf[j] + l) / curve.lambda[j]);
  }
  return best;
}

Result<std::vector<double>> DecoderScores(const TardosCode& code,
                                          const std::vector<int8_t>& observed,
                                          const ScoreSpec& spec) {
  const std::vector<double> bias = BiasesOf(code);
  FW_ASSIGN_OR_RETURN(std::vector<PositionTerm> terms, PositionTerms(bias, observed, spec));
  return RowScores(code, terms);
}

Result<InnocentScore> InnocentScoreFor(const TardosCode& code, const std::vector<int8_t>& observed,
                                       const ScoreSpec& spec) {
  const std::vector<double> bias = BiasesOf(code);
  FW_ASSIGN_OR_RETURN(std::vector<PositionTerm> terms, PositionTerms(bias, observed, spec));
  return InnocentScoreOf(terms, bias, observed);
}

Result<std::vector<Accusation>> AccuseWith(const TardosCode& code,
                                           const std::vector<int8_t>& observed,
                                           const ScoreSpec& spec, BoundKind bound_kind) {
  const std::vector<double> bias = BiasesOf(code);
  FW_ASSIGN_OR_RETURN(std::vector<PositionTerm> terms, PositionTerms(bias, observed, spec));
  const InnocentScore innocent = InnocentScoreOf(terms, bias, observed);
  ChernoffCurve curve;
  if (bound_kind == BoundKind::kChernoff) curve = ChernoffCurveOf(terms, bias, observed);
  const std::vector<double> scores = RowScores(code, terms);
  const double epsilon = code.params().epsilon_false;
  std::vector<Accusation> accused;
  for (int row = 0; row < code.n_users(); ++row) {
    const double bound = bound_kind == BoundKind::kChernoff
                             ? ChernoffBound(curve, code.n_users(), scores[row])
                             : FalseAccusationBound(innocent, code.n_users(), scores[row]);
    if (scores[row] > innocent.mean && bound <= epsilon) {
      accused.push_back(
          Accusation{.user = row, .score = scores[row], .false_accusation_bound = bound});
    }
  }
  std::sort(accused.begin(), accused.end(),
            [](const Accusation& a, const Accusation& b) { return a.score > b.score; });
  return accused;
}

}  // namespace forewarn::trace
