// File: advisory/advisory.h
//
// Writing and scheduling advisories (DESIGN.md capabilities 2 and 3), for analysts and admins:
// create an advisory, change it, add artifacts, publish revisions with a wave per tier,
// withdraw, and the release scheduler that records waves opening and advisories going public.
// Every change is authorized and recorded on the audit ledger in the same transaction.
//
//   advisory::AdvisoryService advisories(store, ledger, clock, random);
//   FW_ASSIGN_OR_RETURN(auto record, advisories.Create(caller, {.content = c, .public_at = p}));
//   FW_ASSIGN_OR_RETURN(auto art, advisories.AddArtifact(caller, record.advisory.id, poc));
//
// Revisions: the newest revision takes changes in place while it is a draft or while none of
// its waves has opened; once any tier has seen it, a change starts revision N+1, which is
// published at once (a new wave per tier) unless the change asks for a draft.
//
// Errors: kPermissionDenied (role), kNotFound (no such advisory/artifact), kInvalidArgument
// (bad field or impossible schedule, named), kFailedPrecondition (withdrawn, already public,
// draft state), kUnavailable (store). Nothing is stored when an error is returned.
// Thread safety: all methods may be called concurrently.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/advisory.h"
#include "core/auth.h"
#include "core/clock.h"
#include "core/result.h"
#include "crypto/crypto.h"
#include "ledger/ledger.h"
#include "store/store.h"

namespace forewarn::advisory {

// When a revision's waves open. Without explicit times each tier opens at its lead time before
// the public date, but not before `release_at` (default: now).
struct Schedule {
  std::optional<TimePoint> release_at;
  std::map<std::string, TimePoint> waves;  // tier -> explicit opening time
};

struct AdvisoryInput {
  AdvisoryContent content;  // empty terms mean the program's default terms
  TimePoint public_at;
  bool draft = false;   // keep revision 1 unpublished until Publish()
  Schedule schedule;    // ignored for drafts
  std::string summary;  // default "Initial release"
};

// A change to an advisory; unset fields stay as they are.
struct AdvisoryChange {
  std::optional<std::string> title;
  std::optional<std::string> description;
  std::optional<std::vector<std::string>> cves;
  std::optional<std::vector<Product>> products;
  std::optional<std::vector<std::string>> cvss_vectors;
  std::optional<std::string> terms;
  std::optional<TimePoint> public_at;
  std::string summary;  // the change summary partners see when this starts a new revision
  bool draft = false;   // if this starts a new revision, leave it unpublished
};

struct ArtifactInput {
  ArtifactKind kind = ArtifactKind::kSummary;
  std::string title;       // default: the kind and file name
  std::string media_type;  // default: from the file name, else text/plain or octet-stream
  std::optional<Sensitivity> sensitivity;  // default: DefaultSensitivity(kind)
  std::string filename;
  std::string content;         // the bytes, 1..max_artifact_bytes
  std::string alternative_of;  // an artifact of the same advisory this is a form of
  std::string replaces;        // an artifact this one supersedes in the new revision
  std::string summary;
  bool draft = false;
};

// The operator's whole view of an advisory.
struct AdvisoryRecord {
  Advisory advisory;
  AdvisoryStatus status = AdvisoryStatus::kDraft;  // effective at the time of reading
  std::vector<Revision> revisions;                 // oldest first
  std::vector<Release> releases;                   // (at, seq) order
  std::vector<Artifact> artifacts;                 // oldest first
};

class AdvisoryService {
 public:
  // All references must outlive the service.
  AdvisoryService(store::Store& store, const ledger::Ledger& ledger, const Clock& clock,
                  crypto::Random& random, uint64_t max_artifact_bytes = kDefaultMaxArtifactBytes);

  // A new advisory with revision 1, published unless input.draft. The public date must be in
  // the future; explicit waves must name known tiers and lie between the release time and the
  // public date.
  [[nodiscard]] Result<AdvisoryRecord> Create(const Principal& caller, const AdvisoryInput& input);
  [[nodiscard]] Result<AdvisoryRecord> Get(const Principal& caller, const std::string& id) const;
  [[nodiscard]] Result<std::vector<AdvisoryRecord>> List(const Principal& caller,
                                                         const store::AdvisoryFilter& filter) const;
  // Applies the change (see the file comment for which revision takes it). A new public date
  // reschedules every wave that has not opened yet; it must be in the future and the advisory
  // must not be public yet.
  [[nodiscard]] Result<AdvisoryRecord> Update(const Principal& caller, const std::string& id,
                                              const AdvisoryChange& change);
  // Starts revision N+1 as a draft copy of revision N (which must be published).
  [[nodiscard]] Result<AdvisoryRecord> Revise(const Principal& caller, const std::string& id,
                                              const std::string& summary);
  // Publishes the newest revision, which must be a draft.
  [[nodiscard]] Result<AdvisoryRecord> Publish(const Principal& caller, const std::string& id,
                                               const Schedule& schedule);
  // Withdraws the advisory: waves that have not opened are cancelled, partners that had it see
  // it withdrawn, and no artifact is served any more. `reason` is required.
  [[nodiscard]] Result<AdvisoryRecord> Withdraw(const Principal& caller, const std::string& id,
                                                const std::string& reason);

  [[nodiscard]] Result<Artifact> AddArtifact(const Principal& caller,
                                             const std::string& advisory_id,
                                             const ArtifactInput& input);
  // The original bytes of an artifact, for operators (recorded on the ledger).
  [[nodiscard]] Result<std::pair<Artifact, std::string>> ArtifactContent(
      const Principal& caller, const std::string& advisory_id,
      const std::string& artifact_id) const;

  // Brings the schedule in line with the current tiers: adds waves for tiers that are new and
  // moves waves that have not opened yet to the tier's current lead time. Called after a tier
  // changes and when the server starts.
  [[nodiscard]] Status ReconcileTiers(const std::string& actor);

 private:
  struct Loaded;
  [[nodiscard]] Result<Loaded> Load(store::Transaction& tx, const std::string& id) const;
  [[nodiscard]] Result<AdvisoryRecord> Record(store::Transaction& tx, const std::string& id) const;
  // The revision a change goes into: the newest if it has not reached anyone, else a new one.
  Revision RevisionForChange(const Loaded& loaded, const Principal& caller,
                             const std::string& summary, bool& is_new) const;
  [[nodiscard]] Status PublishRevision(store::Transaction& tx, Loaded& loaded, Revision& revision,
                                       const Schedule& schedule, const std::string& actor) const;
  // Stores a changed or new revision (publishing a new one if `publish`) and the advisory.
  [[nodiscard]] Status SaveRevision(store::Transaction& tx, Loaded& loaded, Revision& revision,
                                    bool is_new, const Principal& caller, bool publish) const;
  [[nodiscard]] Status Reschedule(store::Transaction& tx, Loaded& loaded,
                                  const std::vector<Tier>& tiers) const;

  store::Store& store_;
  const ledger::Ledger& ledger_;
  const Clock& clock_;
  crypto::Random& random_;
  uint64_t max_artifact_bytes_;
};

// Records every release that has come due and was not recorded yet: "wave.opened" for each
// tier's wave, "advisory.public" once per advisory, and the advisory's recorded status. Reads
// the time from the injected clock only; run it at start (to catch up on schedules missed
// while the server was down) and whenever a timer wakes it.
class Scheduler {
 public:
  Scheduler(store::Store& store, const ledger::Ledger& ledger, const Clock& clock);
  // Called inside the recording transaction for every wave that opens (the outbox enqueues
  // the pushes to that tier's partners). Set once, before the first RunDue.
  using WaveHook = std::function<Status(store::Transaction& tx, const Release& wave)>;
  void OnWaveOpened(WaveHook hook) { wave_hook_ = std::move(hook); }

  // Returns how many releases it recorded.
  [[nodiscard]] Result<size_t> RunDue() const;
  // The time of the next unrecorded release, if any (so a timer can sleep until then).
  [[nodiscard]] Result<std::optional<TimePoint>> NextDue() const;

 private:
  store::Store& store_;
  const ledger::Ledger& ledger_;
  const Clock& clock_;
  WaveHook wave_hook_;
};

// Increments the advisory generation (kAdvisoryGenerationSetting) and commits: how every
// advisory change ends, so readers' caches know what changed.
[[nodiscard]] Status CommitChange(store::Transaction& tx);

// CVSS vectors are validated (and later scored) by standards/cvss; kInvalidArgument names the
// vector and the bad metric.
[[nodiscard]] Status ValidateCvssVectors(const std::vector<std::string>& vectors);

// A media type for a file name: .py text/x-python, .ps1 text/x-powershell, .cs text/x-csharp,
// .yar/.yara text/x-yara, .rules text/x-snort, .yml/.yaml application/yaml, .json
// application/json, .md text/markdown, .txt text/plain, .http message/http; "" if unknown.
std::string MediaTypeForFilename(std::string_view filename);

}  // namespace forewarn::advisory
