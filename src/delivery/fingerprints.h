// File: delivery/fingerprints.h
//
// Which copy of an artifact a partner receives: for sensitive text artifacts, the partner's
// fingerprinted variant (trace/fingerprint.h); for everything else, the stored bytes. Also the
// operator's view of an artifact's marks and the leak trace over an advisory's artifacts.
//
//   delivery::Fingerprints fingerprints(crypto::DeriveKey(secret, "fwtrace", 1), settings);
//   FW_ASSIGN_OR_RETURN(auto copy, fingerprints.CopyFor(artifact, stored_bytes, partner.id));
//   send(copy.bytes);  // record copy.sha256 and copy.fingerprint_id on the ledger
//
// An artifact's marks are found once per artifact id (its content never changes) and kept in
// a bounded cache. Thread safety: all methods may be called concurrently.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/advisory.h"
#include "core/auth.h"
#include "core/result.h"
#include "crypto/crypto.h"
#include "ledger/recorder.h"
#include "store/store.h"
#include "trace/fingerprint.h"

namespace forewarn::delivery {

struct ArtifactCopy {
  std::string bytes;
  std::string sha256;                         // hex digest of bytes
  std::optional<std::string> fingerprint_id;  // set when the copy is fingerprinted
};

class Fingerprints {
 public:
  // `trace_key`: 32 bytes derived from the program secret. Settings are validated by the
  // caller (trace::ValidateTraceSettings).
  Fingerprints(crypto::SecretBytes trace_key, trace::TraceSettings settings);

  const trace::TraceSettings& settings() const { return settings_; }

  // Whether `artifact` is fingerprinted: sensitive or holding explicit markup ("[[fw"), and
  // its content is text (UTF-8 without NUL bytes).
  static bool Fingerprinted(const Artifact& artifact, std::string_view content);

  // The copy `partner_id` receives. Errors: kInvalidArgument if the artifact's explicit markup
  // is malformed (it was checked when the artifact was added, so this means a bug).
  [[nodiscard]] Result<ArtifactCopy> CopyFor(const Artifact& artifact, const std::string& content,
                                             const std::string& partner_id) const;

  // The artifact's fingerprint (marks, code, tracing); nullptr when it is not fingerprinted.
  [[nodiscard]] Result<std::shared_ptr<const trace::ArtifactFingerprint>> For(
      const Artifact& artifact, const std::string& content) const;

 private:
  crypto::SecretBytes trace_key_;
  trace::TraceSettings settings_;
  mutable std::mutex mutex_;
  mutable std::map<std::string, std::shared_ptr<const trace::ArtifactFingerprint>> cache_;
};

// The language an artifact's text is embedded as (from its file name and media type).
trace::Language ArtifactLanguage(const Artifact& artifact);

}  // namespace forewarn::delivery

namespace forewarn::delivery {

// The operator side of fingerprinting, over the stored advisories, artifacts and partners:
// an artifact's marks and capacity, a preview of any partner's copy, and tracing a leaked text
// to partners. Every preview and trace is recorded on the ledger.
//
// Errors: kPermissionDenied (fingerprint.read for marks and previews, leak.trace for traces),
// kNotFound (advisory, artifact or partner), kFailedPrecondition (the artifact is not
// fingerprinted: not sensitive, or not text), kInvalidArgument (empty leaked text).
class FingerprintOperations {
 public:
  FingerprintOperations(store::Store& store, ledger::Recorder& recorder,
                        const Fingerprints& fingerprints);

  // {"advisory","artifact","filename","language","fingerprinted","capacity_bits",
  //  "recipients","needed_bits","single_leaker_bits","coalition","epsilon","warning"(string or
  //  null),"points":[{"index","family","description","line","bits","first_position"}],
  //  "canaries":[{"slot","kind","pattern","occurrences"}],"families":{family: bits}}.
  // Recipients = the program's partners that are not removed.
  [[nodiscard]] Result<nlohmann::json> Marks(const Principal& caller,
                                             const std::string& advisory_id,
                                             const std::string& artifact_id) const;

  // The partner's copy (exactly what it downloads), recorded as "artifact.variant_previewed"
  // with the partner, the fingerprint id and the copy's SHA-256.
  [[nodiscard]] Result<ArtifactCopy> Preview(const Principal& caller,
                                             const std::string& advisory_id,
                                             const std::string& artifact_id,
                                             const std::string& partner_id) const;

  // Traces `leaked` against every fingerprinted artifact of the advisory, over every partner
  // of the program (removed ones too: they may have leaked before removal):
  // {"advisory","leaked_sha256","candidates","epsilon",
  //  "accused":[{"partner","score","false_accusation_bound","artifact"}],
  //  "canary_hits":[{"partner","artifact","slot","value","whole_value_seen","offset"}],
  //  "artifacts":[{"artifact","filename","capacity_bits","positions_read","points_read",
  //                "points_erased","read_by_family","erased_by_family","threshold",
  //                "accused":[...],"top":[...]}]}.
  // A partner's bound is the smallest over the artifacts times the number of artifacts traced
  // (a union bound over the separate tests). Recorded as "leak.traced" with the leaked text's
  // hash, the accused partners and the canary hits.
  [[nodiscard]] Result<nlohmann::json> TraceLeak(const Principal& caller,
                                                 const std::string& advisory_id,
                                                 const std::string& leaked) const;

 private:
  store::Store& store_;
  ledger::Recorder& recorder_;
  const Fingerprints& fingerprints_;
};

}  // namespace forewarn::delivery
