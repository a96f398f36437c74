// File: trace/decoder.h
//
// Score functions for a Tardos code beyond the symmetric score of TardosCode::Scores, each with
// a rigorous false-accusation bound. The one added here is the log-likelihood-ratio (LLR)
// decoder against the interleaving attack for an assumed coalition size c (Laarhoven 2016;
// Meerwald & Furon 2012), which needs shorter codes than the symmetric score for the same
// guarantee. The theory is in docs/tracing.md.
//
//   const ScoreSpec spec{.kind = ScoreKind::kInterleavingLogLikelihood, .coalition = 3};
//   auto accused = trace::AccuseWith(code, observed_bits, spec);   // like code.Accuse
//
// Model. A score adds one term per non-erased position i: g(x, y_i, p_i), where x is the user's
// bit, y_i the observed bit and p_i the position's bias (code.Bias(i)); erased positions
// (y = -1) add nothing.
//
// Guarantee. Given the biases, an innocent user's bits are independent Bernoulli(p_i) variables
// and independent of the observed word, whatever the colluders did. So, for a fixed observed
// word, the innocent's term at position i has an exactly computable mean mu_i, variance v_i, and
// largest deviation b_i = max over x of |g(x, y_i, p_i) - mu_i|. Bernstein's inequality for the
// centered sum, with M = mu_1 + ... + mu_m, V = v_1 + ... + v_m and b = max b_i, gives
//   P(S_innocent - M >= s) <= exp(-s^2 / (2 V + (2/3) b s))      for s > 0,
// and the union bound over the n users multiplies it by n. This holds for any bounded score
// function, so it covers both kinds. For the symmetric score mu_i = 0, v_i = 1 and
// b_i <= sqrt((1-t)/t), so the bound is never weaker than tardos.h's BernsteinBound.
//
// Thread safety: all functions are pure (they only read their arguments).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/result.h"
#include "trace/tardos.h"

namespace forewarn::trace {

enum class ScoreKind {
  // Skoric-Katzenbeisser-Celik symmetric score, the same values as TardosCode::Scores.
  kSymmetric,
  // Log-likelihood ratio of "colluder in a size-c interleaving coalition" against "innocent":
  //   g(1,1,p) = ln(1 + (1-p)/(c p)),   g(0,1,p) = ln(1 - 1/c),
  //   g(0,0,p) = ln(1 + p/(c (1-p))),   g(1,0,p) = ln(1 - 1/c),
  // for user bit x and observed bit y (Laarhoven 2016: the simple decoder built against the
  // interleaving attack).
  // For c = 1 the second and fourth terms are -infinity; see ScoreSpec::single_user_noise.
  kInterleavingLogLikelihood,
};

// The default noise floor delta of the c = 1 log-likelihood decoder (see ScoreSpec).
inline constexpr double kDefaultSingleUserNoise = 0.05;

struct ScoreSpec {
  ScoreKind kind = ScoreKind::kSymmetric;
  // The coalition size c the log-likelihood decoder assumes (>= 1). Ignored by kSymmetric.
  int coalition = 1;
  // For c = 1 only: the log-likelihood decoder assumes the observed bit is the leaker's bit
  // with probability 1 - delta and an independent Bernoulli(p) bit with probability delta,
  // which keeps every term finite (a single mismatch no longer clears a user). The terms are
  // then those above with c replaced by 1 / (1 - delta). Must be in (0, 1).
  double single_user_noise = kDefaultSingleUserNoise;
};

// What a user earns at one position: `if_one` when his bit is 1, `if_zero` when it is 0.
struct PositionTerm {
  double if_one = 0;
  double if_zero = 0;
};

// The distribution of an innocent user's score for one observed word (sums over the non-erased
// positions; see "Guarantee" above).
struct InnocentScore {
  double mean = 0;           // M, the expected score
  double variance = 0;       // V
  double max_deviation = 0;  // b, the largest |term - mean of that term| over positions
  int observed_positions = 0;
};

// Checks a ScoreSpec: kInvalidArgument if coalition < 1 or single_user_noise is not in (0, 1).
[[nodiscard]] Status ValidateScoreSpec(const ScoreSpec& spec);

// The term of a position with bias p (0 < p < 1) for observed bit y: {0, 0} when y = -1.
// Preconditions (not checked): spec is valid, y is -1, 0 or 1.
PositionTerm TermAt(const ScoreSpec& spec, double p, int y);

// Mean, variance and largest deviation of the term of a user whose bit is Bernoulli(p):
// mean = p if_one + (1-p) if_zero, variance = p (1-p) (if_one - if_zero)^2,
// max_deviation = max(p, 1-p) |if_one - if_zero|. observed_positions is 1.
InnocentScore TermMoments(const PositionTerm& term, double p);

// Per-position terms for an observed word under the given biases (same length). Errors:
// kInvalidArgument if the sizes differ, a value of `observed` is not -1, 0 or 1, a bias is not
// in (0, 1), or the spec is invalid.
[[nodiscard]] Result<std::vector<PositionTerm>> PositionTerms(std::span<const double> bias,
                                                              std::span<const int8_t> observed,
                                                              const ScoreSpec& spec);

// Sums TermMoments over the positions whose observed value is not -1. Sizes must match (the
// shorter length is used otherwise).
InnocentScore InnocentScoreOf(std::span<const PositionTerm> terms, std::span<const double> bias,
                              std::span<const int8_t> observed);

// min(1, n_users * exp(-d^2 / (2 V + (2/3) b d))) with d = score - M, for d > 0; 1 for d <= 0,
// for no observed position, or for n_users < 1. Non-increasing in `score`.
double FalseAccusationBound(const InnocentScore& innocent, int n_users, double score);

// The smallest score whose FalseAccusationBound is <= epsilon:
// M + a + sqrt(a^2 + 2 V L), a = b L / 3, L = ln(n_users / epsilon). +infinity when no position
// is observed or the arguments are out of range (n_users < 1, epsilon not in (0, 1)).
double RigorousThreshold(const InnocentScore& innocent, int n_users, double epsilon);

// A heuristic threshold, NOT a guarantee: M + z sqrt(V) with z the standard normal quantile of
// 1 - epsilon / n_users, i.e. treating the innocent score as Gaussian. Used by the benchmark to
// show how much length the rigorous bound costs. +infinity on the same conditions as above.
double GaussianThreshold(const InnocentScore& innocent, int n_users, double epsilon);

// A second rigorous bound, often much tighter for the log-likelihood score: Chernoff's. For any
// lambda > 0, Markov's inequality applied to exp(lambda S) gives
//   P(S_innocent >= s) <= exp(K(lambda) - lambda s),
//   K(lambda) = sum over non-erased i of ln(p_i exp(lambda if_one_i) + (1-p_i) exp(lambda
//   if_zero_i)),
// the exact log moment generating function of the innocent's score (same independence argument
// as above). For the log-likelihood score K(1) = 0 (E exp(term) = 1 for a likelihood ratio), so
// the threshold is at most ln(n / epsilon) (the Neyman-Pearson threshold of Laarhoven 2016).
// The bound is taken as the minimum over a fixed grid of lambda values (ChernoffLambdas), so
// every value reported is a valid bound.
struct ChernoffCurve {
  std::vector<double> lambda;   // ChernoffLambdas()
  std::vector<double> log_mgf;  // K(lambda) for each lambda
  int observed_positions = 0;
};

// The lambda grid: 0.02 * 1.15^j for j = 0 .. 44 (0.02 to about 9.3).
const std::vector<double>& ChernoffLambdas();

// ln(p exp(lambda if_one) + (1-p) exp(lambda if_zero)), computed without overflow.
double LogMgfTerm(const PositionTerm& term, double p, double lambda);

// K(lambda) on the grid, summed over the positions whose observed value is not -1.
ChernoffCurve ChernoffCurveOf(std::span<const PositionTerm> terms, std::span<const double> bias,
                              std::span<const int8_t> observed);

// min(1, n_users * min over the grid of exp(K(lambda) - lambda score)); 1 if nothing is
// observed or n_users < 1. Non-increasing in `score`.
double ChernoffBound(const ChernoffCurve& curve, int n_users, double score);

// The smallest score whose ChernoffBound is <= epsilon: min over the grid of
// (K(lambda) + ln(n_users / epsilon)) / lambda. +infinity on the conditions of RigorousThreshold.
double ChernoffThreshold(const ChernoffCurve& curve, int n_users, double epsilon);

// Every row's score (rows of `code`, in order) for the observed word (code.length() values,
// each 0, 1, or -1 = erased). With ScoreKind::kSymmetric the values equal code.Scores. Errors:
// as PositionTerms.
[[nodiscard]] Result<std::vector<double>> DecoderScores(const TardosCode& code,
                                                        const std::vector<int8_t>& observed,
                                                        const ScoreSpec& spec);

// The innocent-score distribution of `code` for the observed word. Errors: as PositionTerms.
[[nodiscard]] Result<InnocentScore> InnocentScoreFor(const TardosCode& code,
                                                     const std::vector<int8_t>& observed,
                                                     const ScoreSpec& spec);

// Which rigorous bound AccuseWith applies. Both are guarantees; Chernoff is usually tighter
// (much tighter for the log-likelihood score), Bernstein is the one tardos.h uses.
enum class BoundKind { kBernstein, kChernoff };

// Like TardosCode::Accuse, with the chosen score: the rows whose false-accusation bound (over
// code.n_users() users; FalseAccusationBound or ChernoffBound) is <= code.params().epsilon_false,
// sorted by decreasing score. Each Accusation carries the row's score of this kind (not the
// symmetric score unless kind is kSymmetric) and its bound, so P(any innocent accused) <=
// epsilon_false. Empty if every position is erased. Errors: as PositionTerms.
[[nodiscard]] Result<std::vector<Accusation>> AccuseWith(const TardosCode& code,
                                                         const std::vector<int8_t>& observed,
                                                         const ScoreSpec& spec,
                                                         BoundKind bound = BoundKind::kBernstein);

}  // namespace forewarn::trace
