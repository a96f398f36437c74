// File: trace/tardos.h
//
// Binary symmetric Tardos fingerprinting codes: each partner's copy of a document carries a
// codeword of `code_length` bits; when a copy leaks (possibly merged from several partners'
// copies, possibly with unreadable positions), `Accuse` names the partners whose codewords
// correlate with it, each with a rigorous bound on the chance that an innocent partner scores
// that high. The theory and the references are in docs/tracing.md.
//
//   auto params = trace::ChooseParams(/*n_users=*/100, /*coalition=*/3, /*epsilon_false=*/1e-6);
//   auto code = trace::TardosCode::Create(params.value(), crypto::DeriveKey(secret, "tardos", id));
//   std::vector<uint8_t> bits = code->Codeword(partner_index);          // embed these
//   auto accused = code->Accuse(observed_bits);                          // after a leak
//
// Model. Position i has a secret bias p_i drawn from Tardos' arcsine density with cutoff t
// (p = sin^2 r, r uniform on [r_t, pi/2 - r_t], r_t = arcsin(sqrt(t)), so t <= p_i <= 1 - t);
// user u's bit i is 1 with probability p_i, independently. Both come from a keyed pseudo-random
// function of the key (BLAKE2b via crypto::KeyedHash), so the same key gives the same code, and
// without the key the biases and codewords cannot be predicted.
//
// Score (Skoric, Katzenbeisser, Celik 2008, symmetric version): with g1(p) = sqrt((1-p)/p) and
// g0(p) = -sqrt(p/(1-p)), user j earns at position i, for observed y_i and his bit x_ji,
//   y=1: x=1 -> g1(p_i),   x=0 -> g0(p_i);     y=0: x=0 -> g1(1-p_i),   x=1 -> g0(1-p_i);
// erased positions (y = -1) earn nothing. For an innocent user each term has mean 0, variance 1
// and is at most B = sqrt((1-t)/t).
//
// False accusations. An innocent user's codeword is independent of the observed word (given the
// biases), whatever the colluders did, so Bernstein's inequality gives, for a score s > 0 over m'
// non-erased positions,
//   P(S_innocent >= s) <= exp(-s^2 / (2 m' + (2/3) B s)),
// and the union bound over the n users multiplies it by n. `BernsteinBound` returns
// min(1, n * exp(...)); `Accuse` accuses a user when that bound is <= epsilon_false, i.e. when
// the score reaches AccusationThreshold(m') (the formula below). This is a guarantee, not an
// approximation: the probability that any innocent user is accused is at most epsilon_false.
//
// Thread safety: TardosCode is immutable after Create; all const methods may be called from any
// number of threads at once.
#pragma once

#include <cstdint>
#include <vector>

#include "core/result.h"
#include "crypto/crypto.h"

namespace forewarn::trace {

// Design target for a missed coalition used by ChooseParams (not a guarantee; see ChooseParams).
inline constexpr double kDesignMissProbability = 1e-3;

struct TardosParams {
  int n_users = 0;           // number of codewords (partners); users are 0 .. n_users-1
  int coalition = 0;         // largest coalition size c the code is designed against
  double epsilon_false = 0;  // bound on P(any innocent user accused), over all n users
  int code_length = 0;       // m, bits per codeword
  double cutoff_t = 0;       // t: every bias lies in [t, 1-t]; 0 < t < 1/2
  double threshold_z = 0;    // Z: accusation threshold when no position is erased
};

// Chooses code length, cutoff and threshold for n_users partners, coalitions of up to
// `coalition` members, and a total false-accusation probability of at most `epsilon_false`.
//
// Rule (docs/tracing.md, section "Choosing parameters"):
//   L1 = ln(n / epsilon_false)     (per-user bound epsilon_false / n, union bound over n users)
//   L2 = ln(1 / kDesignMissProbability)
//   t  = 1 / (d_t c), B = sqrt((1-t)/t)
//   Z(m)  = B L1 / 3 + sqrt((B L1 / 3)^2 + 2 m L1)          (solves n exp(-Z^2/(2m+2BZ/3)) = eps)
//   mu(t) = worst-case expected coalition score per position, over every collusion strategy
//           obeying the marking assumption, computed by numerical integration (2/pi at t -> 0,
//           the symmetric-score value of Skoric et al. 2008 and Laarhoven & de Weger 2014)
//   m = smallest m with  mu m - c Z(m) >= c B L2 / 3 + sqrt((c B L2 / 3)^2 + 2 c m L2),
// i.e. the coalition's expected total score exceeds c Z by a Bernstein margin for a miss
// probability of about kDesignMissProbability (then some colluder scores >= Z). d_t is chosen
// from a grid on [1, 2000] to minimise m (for c <= 2 this pushes t towards 1/2: biases near 1/2
// are optimal there). Compared with the published asymptotic length (pi^2 / 2) c^2 ln(n / eps)
// of Laarhoven & de Weger, m is shorter for c <= 2 and about 2.1x (c = 3) to 1.7x (c = 20)
// longer, because both sides here are finite-length Bernstein bounds. The miss side is a design
// target only (colluders may adapt); the false-accusation side is a guarantee.
//
// Errors: kInvalidArgument if n_users < 2, coalition < 1, coalition > n_users, coalition > 1000,
// or epsilon_false is not in (0, 1); kInvalidArgument if no length up to 2^30 suffices.
// Pure function; thread-safe.
[[nodiscard]] Result<TardosParams> ChooseParams(int n_users, int coalition, double epsilon_false);

// Z(m') for m' non-erased positions: the smallest score s with
// n * exp(-s^2 / (2 m' + (2/3) B s)) <= epsilon_false, B = sqrt((1-t)/t). Equal to
// params.threshold_z when m' = code_length. Returns +infinity when m' <= 0.
double AccusationThreshold(const TardosParams& params, int observed_positions);

// min(1, n_users * exp(-s^2 / (2 m' + (2/3) B s))) for s > 0; 1 for s <= 0 or m' <= 0.
// Non-increasing in `score`.
double BernsteinBound(const TardosParams& params, int observed_positions, double score);

// The worst-case expected coalition score per position, mu(t) above (exposed for tests and the
// benchmark). Requires coalition >= 1 and 0 < cutoff_t < 1/2; returns NaN otherwise.
double CoalitionDrift(int coalition, double cutoff_t);

// One user's codeword (code_length values of 0/1) without building a matrix: the same bits as
// CreateForUsers gives the row of `user_number` for a code with this length, cutoff and key.
// Empty if code_length < 1, cutoff_t is not in (0, 1/2) or the key is not 16..64 bytes.
std::vector<uint8_t> CodewordOf(int code_length, double cutoff_t, const crypto::SecretBytes& key,
                                uint64_t user_number);

struct Accusation {
  int user = 0;                       // index in 0 .. n_users-1
  double score = 0;                   // the user's symmetric Tardos score
  double false_accusation_bound = 0;  // BernsteinBound at this score (over all n users)
};

// One code: the biases and every user's codeword, fixed by (params, key). The key itself is not
// kept; the object holds only derived values (which are secret too: never log them).
class TardosCode {
 public:
  // Builds the code. `key` is only read during the call; it must be 16..64 bytes (derive one key
  // per advisory with crypto::DeriveKey). The codeword matrix (n_users * code_length bits) is
  // computed here. Errors: kInvalidArgument if the key size is wrong, or params are inconsistent
  // (n_users < 2, coalition < 1, code_length < 1, cutoff_t not in (0, 1/2), epsilon_false not in
  // (0, 1), threshold_z not finite) or n_users * code_length > 2^31.
  [[nodiscard]] static Result<TardosCode> Create(const TardosParams& params,
                                                 const crypto::SecretBytes& key);

  // The same code restricted to the given users: row r holds the codeword of user number
  // `user_numbers[r]` (any 64-bit value, e.g. derived from a partner id), so a user's codeword
  // depends only on (key, cutoff_t, its number) and not on who else is in the set. n_users must
  // equal user_numbers.size(); Codeword, Scores and Accuse index rows. Create(params, key) is
  // CreateForUsers with numbers 0 .. n_users-1. Errors: as Create.
  [[nodiscard]] static Result<TardosCode> CreateForUsers(const TardosParams& params,
                                                         const crypto::SecretBytes& key,
                                                         const std::vector<uint64_t>& user_numbers);

  const TardosParams& params() const { return params_; }
  int length() const { return params_.code_length; }
  int n_users() const { return params_.n_users; }

  // User `user`'s codeword: code_length values, each 0 or 1. Precondition 0 <= user < n_users;
  // returns an empty vector otherwise.
  std::vector<uint8_t> Codeword(int user) const;

  // The bias p_i of position i, in [cutoff_t, 1 - cutoff_t]. Precondition 0 <= i < length();
  // returns NaN otherwise.
  double Bias(int i) const;

  // Every user's score for the observed word (code_length values, each 0, 1, or -1 = erased).
  // Errors: kInvalidArgument if the size differs from code_length or a value is not -1, 0 or 1.
  [[nodiscard]] Result<std::vector<double>> Scores(const std::vector<int8_t>& observed) const;

  // The users whose score reaches AccusationThreshold(params, m'), m' = number of non-erased
  // positions, sorted by decreasing score; each carries BernsteinBound(score) <= epsilon_false.
  // Empty if every position is erased. Errors: as Scores.
  [[nodiscard]] Result<std::vector<Accusation>> Accuse(const std::vector<int8_t>& observed) const;

 private:
  explicit TardosCode(const TardosParams& params) : params_(params) {}
  bool Bit(int user, int i) const;

  TardosParams params_;
  std::vector<double> bias_;    // p_i
  std::vector<uint64_t> bits_;  // user-major, row stride words_per_user_
  size_t words_per_user_ = 0;
};

}  // namespace forewarn::trace
