// File: trace/fingerprint.h
//
// Fingerprinting one artifact for many recipients: its marks (variation points and canaries),
// a Tardos code keyed by the program's trace key, the advisory and the artifact, each
// recipient's variant, the operator's capacity check, and tracing a leaked copy back to
// recipients with a false-accusation bound.
//
//   FW_ASSIGN_OR_RETURN(auto fp, ArtifactFingerprint::Create(trace_key, adv, art, text,
//                                                             Language::kPython, settings));
//   std::string copy = fp.Variant("prt_...");            // what that partner receives
//   auto capacity = fp.CapacityFor(/*recipients=*/100);   // warns if the marks are too few
//   FW_ASSIGN_OR_RETURN(auto report, fp.Trace(leaked_text, all_partner_ids));
//
// Codewords. A recipient's codeword has CapacityBits() positions; position i of partner P is
// the Tardos bit of P's *recipient number* (from its id) at position i, with biases drawn with
// the cutoff fixed by the coalition setting (CutoffForCoalition). So a partner's copy depends
// only on the key, the artifact's marks, the coalition setting and its own id: adding partners
// never changes existing copies, and tracing can recompute every copy later.
//
// Accusation. Tracing reads the bits the leaked text still carries (MarkedDocument::Read) and
// scores every candidate with the symmetric Tardos score; a candidate is accused when the bound
// on an innocent reaching its score, union-bounded over all candidates, is at most
// settings.epsilon_false. The bound is the smaller of two rigorous ones: Bernstein's
// (trace/tardos.h) and Chernoff's with the exact moment generating function of an innocent's
// score for the word read (trace/decoder.h). Canary tokens of every candidate are looked up in
// the text too (trace/canary.h).
//
// Thread safety: immutable after Create; const methods may be called concurrently.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "crypto/crypto.h"
#include "trace/canary.h"
#include "trace/marks.h"
#include "trace/tardos.h"
#include "trace/tokens.h"

namespace forewarn::trace {

struct TraceSettings {
  int coalition = 2;            // largest coalition the codes are designed against (1..10)
  double epsilon_false = 1e-6;  // bound on accusing any innocent recipient, per trace
};
// kInvalidArgument unless 1 <= coalition <= 10 and 0 < epsilon_false < 0.5.
[[nodiscard]] Status ValidateTraceSettings(const TraceSettings& settings);

// The bias cutoff t used for a coalition setting: the t ChooseParams picks for 100 recipients
// and epsilon 1e-6. A pure function of the coalition, so copies made today stay traceable.
double CutoffForCoalition(int coalition);

// The number a partner id maps to in every code: the first 8 bytes of
// SHA-256("forewarn-recipient/v1\n" id), little-endian.
uint64_t RecipientNumber(std::string_view partner_id);

// Whether an artifact's marks carry enough code positions for `recipients` partners.
struct Capacity {
  int capacity_bits = 0;       // code positions the artifact carries
  int needed_bits = 0;         // ChooseParams(recipients, coalition, epsilon).code_length
  int single_leaker_bits = 0;  // the same for a coalition of 1
  int recipients = 0;
  bool warning = false;  // capacity_bits < needed_bits
  std::string message;   // plain words for the operator (empty when no warning)
};

struct Suspect {
  std::string partner_id;
  double score = 0;
  double false_accusation_bound = 1;  // bound over all candidates; accused when <= epsilon
};

struct TraceReport {
  ReadResult read;               // what the leaked text still carries
  int candidates = 0;            // recipients scored (the union bound's n)
  double threshold = 0;          // score needed for accusation at this many positions
  std::vector<Suspect> accused;  // bound <= epsilon_false, highest score first
  std::vector<Suspect> top;      // the 5 highest scores, accused or not (for context)
  std::vector<CanaryHit> canary_hits;
};

class ArtifactFingerprint {
 public:
  // Finds the artifact's marks (trace::FindMarks) and derives its code key. `trace_key` is
  // 32 bytes derived from the program secret. Errors: kInvalidArgument for bad settings, a bad
  // key or malformed explicit markup.
  [[nodiscard]] static Result<ArtifactFingerprint> Create(const crypto::SecretBytes& trace_key,
                                                          std::string advisory_id,
                                                          std::string artifact_id, std::string text,
                                                          Language language,
                                                          const TraceSettings& settings);

  const MarkedDocument& marks() const { return marks_; }
  const TraceSettings& settings() const { return settings_; }
  Capacity CapacityFor(int recipients) const;

  // The partner's code bits (CapacityBits() values) and canary values.
  std::vector<uint8_t> Codeword(std::string_view partner_id) const;
  std::map<std::string, std::string> CanaryValues(std::string_view partner_id) const;
  // The partner's copy.
  std::string Variant(std::string_view partner_id) const;
  // A stable id of the partner's copy for ledger entries: "fp_" + 16 hex characters of a keyed
  // hash over the artifact, the partner and the code version (reveals nothing of the bits).
  std::string FingerprintId(std::string_view partner_id) const;

  // Traces `leaked` to the candidates (every partner who could hold a copy; fewer than 2 are
  // padded with a stand-in so the bound stays meaningful). Errors: kInvalidArgument if a
  // candidate id is empty or repeated.
  [[nodiscard]] Result<TraceReport> Trace(std::string_view leaked,
                                          const std::vector<std::string>& candidates) const;

  // The accusation step of Trace alone, for a read result obtained otherwise (tests and
  // simulations erase or combine reads). canary_hits stays empty. Errors: as Trace, and
  // kInvalidArgument if read.bits does not have CapacityBits() values.
  [[nodiscard]] Result<TraceReport> Accuse(ReadResult read,
                                           const std::vector<std::string>& candidates) const;

 private:
  ArtifactFingerprint(MarkedDocument marks, crypto::SecretBytes code_key,
                      crypto::SecretBytes canary_key, std::string advisory_id,
                      std::string artifact_id, TraceSettings settings)
      : marks_(std::move(marks)),
        code_key_(std::move(code_key)),
        canary_key_(std::move(canary_key)),
        advisory_id_(std::move(advisory_id)),
        artifact_id_(std::move(artifact_id)),
        settings_(settings) {}

  MarkedDocument marks_;
  crypto::SecretBytes code_key_;
  crypto::SecretBytes canary_key_;
  std::string advisory_id_;
  std::string artifact_id_;
  TraceSettings settings_;
};

}  // namespace forewarn::trace
