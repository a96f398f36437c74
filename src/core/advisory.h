// File: core/advisory.h
//
// Advisories (cases), their revisions, artifacts and release schedule (DESIGN.md capabilities
// 2 and 3) as plain values, with the validation every writer applies. The services that change
// them live in advisory/, the partner-facing views in delivery/.
//
//   AdvisoryContent content{.title = "RCE in Collab Server", .cves = {"CVE-2026-1234"}};
//   FW_TRY(ValidateContent(content));
//   TimePoint opens = DefaultWaveTime(public_at, tier.lead_time, release_at);
//
// An advisory's content is versioned by revision: revision N is a snapshot of the text fields
// and of the set of artifacts. A published revision opens one wave per tier; a partner sees
// the newest revision whose wave for its tier has opened.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/result.h"

namespace forewarn {

// The life of an advisory, derived from its schedule and the time (see EffectiveStatus).
enum class AdvisoryStatus {
  kDraft,            // no revision published yet; nothing is scheduled
  kScheduled,        // published, but no wave has opened
  kPartnerReleased,  // at least one tier's wave has opened
  kPublic,           // the public date has passed
  kWithdrawn,        // withdrawn by the program; no further content is served
};
std::string_view ToString(AdvisoryStatus status);
[[nodiscard]] Result<AdvisoryStatus> ParseAdvisoryStatus(std::string_view text);

enum class ArtifactKind { kSummary, kTechnicalDescription, kDetection, kIoc, kMitigation, kPoc };
std::string_view ToString(ArtifactKind kind);
[[nodiscard]] Result<ArtifactKind> ParseArtifactKind(std::string_view text);

// How carefully a copy must be handled. Sensitive artifacts are fingerprinted per recipient and
// are the ones policy may replace with an alternative form.
enum class Sensitivity { kNormal, kSensitive };
std::string_view ToString(Sensitivity sensitivity);
[[nodiscard]] Result<Sensitivity> ParseSensitivity(std::string_view text);
// poc and technical-description default to sensitive, everything else to normal.
Sensitivity DefaultSensitivity(ArtifactKind kind);

enum class RevisionState { kDraft, kPublished };
std::string_view ToString(RevisionState state);
[[nodiscard]] Result<RevisionState> ParseRevisionState(std::string_view text);

// One affected product: a name and the affected version range as the vendor writes it
// (e.g. "< 16.0.10417.20037"), with the first fixed version if known.
struct Product {
  std::string name;
  std::string versions;
  std::string fixed;
  bool operator==(const Product&) const = default;
};

// The text fields a revision snapshots.
struct AdvisoryContent {
  std::string title;        // 1..300 bytes
  std::string description;  // 0..64 KiB
  std::vector<std::string> cves;
  std::vector<Product> products;
  std::vector<std::string> cvss_vectors;  // CVSS 3.1 or 4.0 vector strings, scored on read
  std::string terms;                      // embargo terms partners accept before content
  bool operator==(const AdvisoryContent&) const = default;
};

struct Advisory {
  std::string id;  // "adv_<16 hex>"
  TimePoint public_at;
  int latest_revision = 1;
  std::string created_by;  // actor
  TimePoint created_at;
  TimePoint updated_at;
  std::optional<TimePoint> withdrawn_at;
  std::string withdrawn_reason;
  // The last status the release scheduler recorded on the ledger (the effective status is
  // derived from the schedule and the clock; this is what has been announced).
  AdvisoryStatus recorded_status = AdvisoryStatus::kDraft;
};

struct Revision {
  std::string advisory_id;
  int number = 1;
  RevisionState state = RevisionState::kDraft;
  std::string summary;  // what changed, for partners
  AdvisoryContent content;
  std::string terms_sha256;               // hex digest of content.terms
  std::vector<std::string> artifact_ids;  // the artifacts in this snapshot, primaries and forms
  std::string created_by;
  TimePoint created_at;
  std::optional<TimePoint> release_at;  // set when published: no wave opens earlier
};

struct Artifact {
  std::string id;  // "art_<16 hex>"
  std::string advisory_id;
  int revision = 1;  // the revision that introduced it
  ArtifactKind kind = ArtifactKind::kSummary;
  std::string title;
  std::string media_type;  // "text/plain", "text/x-python", "application/octet-stream", ...
  Sensitivity sensitivity = Sensitivity::kNormal;
  std::string filename;        // suggested download name; may be empty
  std::string content_sha256;  // hex; the content is stored once under this digest
  uint64_t size = 0;
  std::string alternative_of;  // id of the artifact this is an alternative form of, or ""
  std::string replaces;        // id of the artifact this one superseded, or ""
  std::string created_by;
  TimePoint created_at;
};

// A row of the release schedule. For every tier, a published revision has one kWave row (when
// the tier may first see that revision); an advisory has one kPublic row per tier at its
// public date, and withdrawal adds one kWithdrawn row per tier. The partner feed is this table
// read in (at, seq) order.
enum class ReleaseKind { kWave, kPublic, kWithdrawn };
std::string_view ToString(ReleaseKind kind);
[[nodiscard]] Result<ReleaseKind> ParseReleaseKind(std::string_view text);

struct Release {
  int64_t seq = 0;  // assigned by the store; increases with every insert
  std::string advisory_id;
  int revision = 0;
  std::string tier;
  ReleaseKind kind = ReleaseKind::kWave;
  TimePoint at;
  bool explicit_time = false;            // set by the analyst rather than from the lead time
  std::optional<TimePoint> recorded_at;  // when the scheduler put it on the ledger
};

struct TermsAcceptance {
  std::string advisory_id;
  int revision = 0;  // the revision whose terms were shown
  std::string partner_id;
  std::string terms_sha256;
  std::string actor;
  TimePoint accepted_at;
};

// Limits enforced by every writer.
inline constexpr size_t kMaxTitleBytes = 300;
inline constexpr size_t kMaxDescriptionBytes = 64 * 1024;
inline constexpr size_t kMaxTermsBytes = 16 * 1024;
inline constexpr size_t kMaxSummaryBytes = 2000;
inline constexpr size_t kMaxCves = 50;
inline constexpr size_t kMaxProducts = 100;
inline constexpr size_t kMaxCvssVectors = 10;
inline constexpr uint64_t kDefaultMaxArtifactBytes = 8 * 1024 * 1024;

// kInvalidArgument naming the field: CVE ids must be CVE-YYYY-NNNN+ and unique within the
// advisory; titles non-empty; sizes within the limits above; products named; CVSS vectors are
// checked by the caller (standards/cvss sits above core).
[[nodiscard]] Status ValidateContent(const AdvisoryContent& content);

// "CVE-2026-12345" (year 1999..2999, 4 to 19 digits).
bool IsCveId(std::string_view text);

// When a tier's wave for a revision opens if the analyst did not set it: the lead time before
// the public date, but never before the revision's release time.
TimePoint DefaultWaveTime(TimePoint public_at, std::chrono::seconds lead_time,
                          TimePoint release_at);

// The kWave row of `tier` for `revision` among an advisory's releases, or nullptr.
const Release* FindWave(const std::vector<Release>& releases, int revision, std::string_view tier);

// True if a newer revision's wave for `tier` had opened by `at`, the time `revision`'s wave
// opened: that revision was overtaken and never reached the tier as news (the feed does not
// announce it, the history does not list it).
bool Overtaken(const std::vector<Release>& releases, std::string_view tier, int revision,
               TimePoint at);

// The status an advisory has at `now`, from its releases (all rows of this advisory).
AdvisoryStatus EffectiveStatus(const Advisory& advisory, const std::vector<Release>& releases,
                               TimePoint now);

// The program setting that counts changes to advisories and their schedules. Every writer of
// advisories, revisions, artifacts or releases increments it in the same transaction, so a
// reader that sees the same value in its own transaction may reuse what it read before.
inline constexpr std::string_view kAdvisoryGenerationSetting = "advisories.generation";

// The terms a new advisory carries when the analyst gives none.
std::string_view DefaultEmbargoTerms();

}  // namespace forewarn
