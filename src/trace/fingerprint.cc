#include "trace/fingerprint.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "trace/decoder.h"
#include "trace/embed.h"

namespace forewarn::trace {
namespace {

constexpr int kMaxCoalitionSetting = 10;
constexpr size_t kTopSuspects = 5;
// A recipient number no partner id maps to in practice, to pad a single candidate.
constexpr uint64_t kStandInRecipient = 0x5354414e44494eULL;

TardosParams CodeParams(const TraceSettings& settings, int n_users, int length) {
  TardosParams params{.n_users = std::max({n_users, settings.coalition, 2}),
                      .coalition = settings.coalition,
                      .epsilon_false = settings.epsilon_false,
                      .code_length = length,
                      .cutoff_t = CutoffForCoalition(settings.coalition)};
  params.threshold_z = AccusationThreshold(params, length);
  return params;
}

}  // namespace

Status ValidateTraceSettings(const TraceSettings& settings) {
  if (settings.coalition < 1 || settings.coalition > kMaxCoalitionSetting) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("trace coalition must be 1..{}", kMaxCoalitionSetting));
  }
  if (!(settings.epsilon_false > 0.0 && settings.epsilon_false < 0.5)) {
    return Fail(ErrorCode::kInvalidArgument, "trace epsilon must be in (0, 0.5)");
  }
  return Ok();
}

double CutoffForCoalition(int coalition) {
  static const std::vector<double> cutoffs = [] {
    std::vector<double> out;
    for (int c = 1; c <= kMaxCoalitionSetting; ++c) {
      auto params = ChooseParams(100, c, 1e-6);
      out.push_back(params ? params->cutoff_t : 1.0 / (300.0 * c));
    }
    return out;
  }();
  const int c = std::clamp(coalition, 1, kMaxCoalitionSetting);
  return cutoffs[c - 1];
}

uint64_t RecipientNumber(std::string_view partner_id) {
  const std::string digest = crypto::Sha256(fmt::format("forewarn-recipient/v1\n{}", partner_id));
  uint64_t number = 0;
  for (int i = 7; i >= 0; --i) number = (number << 8) | static_cast<unsigned char>(digest[i]);
  return number;
}

Result<ArtifactFingerprint> ArtifactFingerprint::Create(const crypto::SecretBytes& trace_key,
                                                        std::string advisory_id,
                                                        std::string artifact_id, std::string text,
                                                        Language language,
                                                        const TraceSettings& settings) {
  FW_TRY(ValidateTraceSettings(settings));
  if (trace_key.size() < 16 || trace_key.size() > 64) {
    return Fail(ErrorCode::kInvalidArgument, "trace key must be 16..64 bytes");
  }
  FW_ASSIGN_OR_RETURN(MarkedDocument marks, FindMarks(std::move(text), language));
  auto code_key = crypto::SecretBytes::CopyFrom(crypto::KeyedHash(
      trace_key, fmt::format("forewarn-code/v1\n{}\n{}", advisory_id, artifact_id)));
  auto canary_key = crypto::SecretBytes::CopyFrom(trace_key.view());
  return ArtifactFingerprint(std::move(marks), std::move(code_key), std::move(canary_key),
                             std::move(advisory_id), std::move(artifact_id), settings);
}

Capacity ArtifactFingerprint::CapacityFor(int recipients) const {
  Capacity capacity{.capacity_bits = marks_.CapacityBits(), .recipients = recipients};
  const int n = std::max(2, recipients);
  auto needed = ChooseParams(n, std::min(settings_.coalition, n), settings_.epsilon_false);
  auto single = ChooseParams(n, 1, settings_.epsilon_false);
  capacity.needed_bits = needed ? needed->code_length : 0;
  capacity.single_leaker_bits = single ? single->code_length : 0;
  capacity.warning = capacity.capacity_bits < capacity.needed_bits;
  if (capacity.warning) {
    capacity.message = fmt::format(
        "this artifact carries {} code bits; {} recipients, coalitions of {} and a "
        "false-accusation bound of {:g} need {}. {}",
        capacity.capacity_bits, n, settings_.coalition, settings_.epsilon_false,
        capacity.needed_bits,
        capacity.capacity_bits >= capacity.single_leaker_bits
            ? fmt::format("A single leaker of the whole copy is still traced ({} bits suffice); "
                          "a coalition or an excerpt may not be.",
                          capacity.single_leaker_bits)
            : fmt::format("Even a single leaker may not be traced ({} bits needed): add "
                          "variation points with explicit markup or canaries.",
                          capacity.single_leaker_bits));
  }
  return capacity;
}

std::vector<uint8_t> ArtifactFingerprint::Codeword(std::string_view partner_id) const {
  if (marks_.CapacityBits() == 0) return {};
  return CodewordOf(marks_.CapacityBits(), CutoffForCoalition(settings_.coalition), code_key_,
                    RecipientNumber(partner_id));
}

std::map<std::string, std::string> ArtifactFingerprint::CanaryValues(
    std::string_view partner_id) const {
  std::map<std::string, std::string> values;
  for (const CanaryPlacement& canary : marks_.canaries()) {
    const std::string token =
        CanaryToken(canary_key_, advisory_id_, artifact_id_, canary.slot.name, partner_id);
    auto value = RenderCanary(canary.slot, token);
    if (value) values[canary.slot.name] = *value;
  }
  return values;
}

std::string ArtifactFingerprint::Variant(std::string_view partner_id) const {
  return marks_.Render(Codeword(partner_id), CanaryValues(partner_id));
}

std::string ArtifactFingerprint::FingerprintId(std::string_view partner_id) const {
  const std::string digest = crypto::KeyedHash(
      code_key_,
      fmt::format("forewarn-fingerprint-id/v1\nc={}\n{}", settings_.coalition, partner_id));
  return "fp_" + crypto::Hex(digest).substr(0, 16);
}

Result<TraceReport> ArtifactFingerprint::Trace(std::string_view leaked,
                                               const std::vector<std::string>& candidates) const {
  FW_ASSIGN_OR_RETURN(TraceReport report, Accuse(marks_.Read(leaked), candidates));
  // Canaries of every candidate.
  CanaryIndex index;
  for (const auto& partner : candidates) {
    for (const CanaryPlacement& canary : marks_.canaries()) {
      const std::string token =
          CanaryToken(canary_key_, advisory_id_, artifact_id_, canary.slot.name, partner);
      auto value = RenderCanary(canary.slot, token);
      if (!value) continue;
      // A colliding token names no one (kConflict): leave it out rather than guess.
      (void)index.Add(IssuedCanary{
          .partner_id = partner, .slot = canary.slot.name, .value = *value, .token = token});
    }
  }
  report.canary_hits = index.Find(leaked);
  return report;
}

Result<TraceReport> ArtifactFingerprint::Accuse(ReadResult read,
                                                const std::vector<std::string>& candidates) const {
  std::set<std::string> distinct;
  for (const auto& id : candidates) {
    if (id.empty() || !distinct.insert(id).second) {
      return Fail(ErrorCode::kInvalidArgument, "trace candidates must be distinct, non-empty ids");
    }
  }
  const int length = marks_.CapacityBits();
  if (read.bits.size() != static_cast<size_t>(length)) {
    return Fail(
        ErrorCode::kInvalidArgument,
        fmt::format("a read of {} positions for an artifact of {}", read.bits.size(), length));
  }
  read.positions_read = static_cast<int>(
      std::count_if(read.bits.begin(), read.bits.end(), [](int8_t b) { return b >= 0; }));
  TraceReport report;
  report.read = std::move(read);
  report.candidates = static_cast<int>(candidates.size());
  if (length == 0 || candidates.empty()) return report;
  std::vector<uint64_t> numbers;
  for (const auto& partner : candidates) numbers.push_back(RecipientNumber(partner));
  // Pad to at least max(2, c) rows: the stand-ins are never reported, and the union bound
  // counts them, which only makes it more conservative.
  const TardosParams params = CodeParams(settings_, static_cast<int>(numbers.size()), length);
  for (uint64_t pad = 0; numbers.size() < static_cast<size_t>(params.n_users); ++pad) {
    numbers.push_back(kStandInRecipient + pad);
  }
  FW_ASSIGN_OR_RETURN(TardosCode code, TardosCode::CreateForUsers(params, code_key_, numbers));
  FW_ASSIGN_OR_RETURN(std::vector<double> scores, code.Scores(report.read.bits));
  const int observed = report.read.positions_read;
  // Two rigorous bounds on an innocent reaching a score: Bernstein's (trace/tardos.h) and
  // Chernoff's with the exact moment generating function of the innocent's score for this
  // word (trace/decoder.h). Each holds on its own, so their minimum does too; Chernoff's is
  // much tighter when few positions are read (an excerpt).
  std::vector<double> bias(length);
  for (int i = 0; i < length; ++i) bias[i] = code.Bias(i);
  FW_ASSIGN_OR_RETURN(auto terms, PositionTerms(bias, report.read.bits, ScoreSpec{}));
  const ChernoffCurve curve = ChernoffCurveOf(terms, bias, report.read.bits);
  report.threshold = std::min(AccusationThreshold(params, observed),
                              ChernoffThreshold(curve, params.n_users, settings_.epsilon_false));
  std::vector<Suspect> all;
  for (size_t row = 0; row < candidates.size(); ++row) {
    const double bound = std::min(BernsteinBound(params, observed, scores[row]),
                                  ChernoffBound(curve, params.n_users, scores[row]));
    all.push_back(Suspect{
        .partner_id = candidates[row], .score = scores[row], .false_accusation_bound = bound});
  }
  std::sort(all.begin(), all.end(), [](const Suspect& a, const Suspect& b) {
    return a.score != b.score ? a.score > b.score : a.partner_id < b.partner_id;
  });
  for (const Suspect& suspect : all) {
    if (suspect.score > 0 && suspect.false_accusation_bound <= settings_.epsilon_false) {
      report.accused.push_back(suspect);
    }
  }
  report.top.assign(all.begin(),
                    all.begin() + static_cast<std::ptrdiff_t>(std::min(kTopSuspects, all.size())));
  return report;
}

}  // namespace forewarn::trace
