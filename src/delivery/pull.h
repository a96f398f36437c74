// File: delivery/pull.h
//
// The partner pull API (DESIGN.md capability 5, pull half): a partner's feed of what became
// available to it, its released advisories, embargo terms acceptance and artifact downloads.
// Every answer passes the VisibilityGate, and every answer that delivers something is on the
// audit ledger, with the SHA-256 of the exact bytes, before it is returned.
//
//   delivery::PullService pull(store, ledger, recorder, clock, random, gate, cursor_key);
//   FW_ASSIGN_OR_RETURN(auto page, pull.Feed(caller, cursor, 100));
//   send(page.body);   // already recorded
//
// Embargo: an advisory the partner may not see yet is kNotFound with the same message, the
// same store reads and the same response as an id that never existed; lists, counts and
// cursors are computed from visible rows only (cursors are encrypted, so they reveal nothing).
//
// Errors: kPermissionDenied (not a partner token; terms not accepted), kNotFound (unknown or
// embargoed), kInvalidArgument (bad cursor or limit), kConflict (terms changed since shown),
// kFailedPrecondition (advisory withdrawn), kUnavailable (store or ledger busy).
// Thread safety: all methods may be called concurrently.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "core/advisory.h"
#include "core/auth.h"
#include "core/clock.h"
#include "core/result.h"
#include "crypto/crypto.h"
#include "delivery/fingerprints.h"
#include "delivery/visibility.h"
#include "ledger/ledger.h"
#include "ledger/recorder.h"
#include "monitor/monitor.h"
#include "policy/service.h"
#include "store/store.h"

namespace forewarn::delivery {

// A response delivered to a partner: exact bytes, already recorded on the ledger when
// `ledger_index` is set.
struct Delivered {
  std::string body;
  std::string media_type = "application/json";
  std::string filename;        // for downloads
  std::string content_sha256;  // hex digest of body
  std::optional<uint64_t> ledger_index;
};

// JSON shapes shared by the partner views and the operator API: [{"vector","version",
// "base_score","severity"}] (vectors that no longer score are left out rather than failing a
// read) and [{"name","versions"[,"fixed"]}].
nlohmann::json CvssJson(const std::vector<std::string>& vectors);
nlohmann::json ProductsJson(const std::vector<Product>& products);

// A partner's package payload before signing: its view of one advisory revision.
struct PackageContent {
  nlohmann::json payload;
  int revision = 0;
};

// Called inside AcceptTerms' transaction after the acceptance is recorded (the outbox enqueues
// the full content for partners with a webhook).
using TermsAcceptedHook = std::function<Status(store::Transaction& tx, const Partner& partner,
                                               const std::string& advisory_id, int revision)>;

inline constexpr size_t kDefaultFeedLimit = 100;
inline constexpr size_t kMaxFeedLimit = 1000;

class PullService {
 public:
  // All references must outlive the service. `cursor_key` (32 bytes) encrypts feed cursors.
  // The policy in force is read from `policies` at the start of every request, so an applied
  // change holds for the next request. `monitor` (optional) counts every advisory and artifact
  // delivery for the unusual-activity alerts.
  PullService(store::Store& store, const ledger::Ledger& ledger, ledger::Recorder& recorder,
              const Clock& clock, crypto::Random& random, const policy::PolicyService& policies,
              crypto::SecretBytes cursor_key, monitor::ActivityMonitor* monitor = nullptr,
              const crypto::SigningKeyPair* package_key = nullptr);

  // Sets the hook AcceptTerms calls; set once, before serving.
  void OnTermsAccepted(TermsAcceptedHook hook) { terms_hook_ = std::move(hook); }

  // Serves each partner its fingerprinted copy of sensitive artifacts (downloads and packages);
  // without it partners get the stored bytes. Set once, before serving; must outlive the service.
  void UseFingerprints(const Fingerprints* fingerprints) { fingerprints_ = fingerprints; }

  // What became available to the partner after `cursor` ("" = from the beginning), oldest
  // first: {"items":[{"advisory","revision","event":"released"|"public"|"withdrawn","at",
  // "title","url"}],"next_cursor","has_more"}. Pass next_cursor back to continue; it is valid
  // forever. Recorded as "feed.read" when it holds at least one item.
  [[nodiscard]] Result<Delivered> Feed(const Principal& caller, const std::string& cursor,
                                       size_t limit) const;

  // The partner's released advisories (optionally those listing `cve`):
  // {"advisories":[{"id","revision","status","title","cves","public_at","released_at",
  // "terms_accepted"}],"count"}. Recorded as "advisories.listed" when not empty.
  [[nodiscard]] Result<Delivered> ListAdvisories(const Principal& caller,
                                                 const std::optional<std::string>& cve) const;

  // One advisory as the partner sees it. Before the partner accepts the revision's terms it
  // shows the header (id, revision, status, dates, title, CVE ids) and the terms; after, also
  // the description, products, CVSS scores, artifacts and revision history. Recorded as
  // "advisory.fetched".
  [[nodiscard]] Result<Delivered> GetAdvisory(const Principal& caller,
                                              const std::string& advisory_id) const;

  // Accepts the embargo terms of the revision the partner sees; `terms_sha256` must be the
  // hex digest of the terms it was shown (kConflict otherwise). Recorded as "terms.accepted"
  // in the same transaction; accepting again returns the first acceptance.
  [[nodiscard]] Result<TermsAcceptance> AcceptTerms(const Principal& caller,
                                                    const std::string& advisory_id,
                                                    const std::string& terms_sha256) const;

  // The bytes of an artifact the partner receives (an original or the alternative form the
  // gate chose, by the id the advisory view lists). Requires accepted terms. Recorded as
  // "artifact.fetched" with the hash of the delivered bytes and, for a fingerprinted copy, its
  // "fingerprint" id.
  [[nodiscard]] Result<Delivered> FetchArtifact(const Principal& caller,
                                                const std::string& advisory_id,
                                                const std::string& artifact_id) const;

  // The partner's package of an advisory (delivery/package.h): the payload of PackagePayload,
  // signed by the program and sealed to the partner's X25519 key when it registered one.
  // Recorded as "package.fetched" with the package's hash. kFailedPrecondition without a
  // package key.
  [[nodiscard]] Result<Delivered> Package(const Principal& caller,
                                          const std::string& advisory_id) const;

  // What `partner` receives of the advisory as of `tx` and `now`, or nullopt when it may not
  // see it (embargo, status, policy). Records nothing. The payload:
  // {"format":"forewarn-advisory/1","partner","generated_at","delivery" (or null),
  //  "advisory": the view GetAdvisory shows,
  //  "contents":[{"id","filename","media_type","sha256","content_base64"[,"fingerprint"]}]
  //  (the partner's own copy of each artifact the
  //  partner may download; empty until it accepted the terms or once withdrawn)}.
  [[nodiscard]] Result<std::optional<PackageContent>> PackagePayload(
      store::Transaction& tx, const Partner& partner, const std::string& advisory_id, TimePoint now,
      const std::optional<std::string>& delivery_id) const;

 private:
  struct View;
  struct CallerView;
  // GetAdvisory's body for `partner`, and the artifact forms it lists (with the terms accepted).
  // The partner's copy of an artifact's content (fingerprinted when configured).
  [[nodiscard]] Result<ArtifactCopy> CopyFor(const Artifact& artifact, std::string content,
                                             const std::string& partner_id) const;
  struct AdvisoryBody {
    nlohmann::json body;
    bool terms_accepted = false;
    std::vector<Artifact> artifacts;
  };
  [[nodiscard]] Result<AdvisoryBody> BuildAdvisoryBody(store::Transaction& tx,
                                                       const VisibilityGate& gate,
                                                       const Partner& partner, const View& view,
                                                       TimePoint now) const;
  [[nodiscard]] Result<CallerView> RequireVisible(store::Transaction& tx, const Principal& caller,
                                                  const std::string& advisory_id,
                                                  TimePoint now) const;
  [[nodiscard]] Result<Partner> LoadPartner(store::Transaction& tx, const Principal& caller) const;
  // An advisory with all its release rows (or nullopt), as of `tx`.
  struct Schedule {
    std::optional<Advisory> advisory;
    std::vector<Release> releases;
  };
  // The advisory generation `tx` sees (kAdvisoryGenerationSetting).
  [[nodiscard]] Result<int64_t> Generation(store::Transaction& tx) const;
  // Served from the cache when it holds `generation`'s state; loaded (and cached) otherwise.
  [[nodiscard]] Result<std::shared_ptr<const Schedule>> LoadSchedule(store::Transaction& tx,
                                                                     const std::string& advisory_id,
                                                                     int64_t generation) const;
  // The gate of the policy in force as of `tx`.
  [[nodiscard]] Result<VisibilityGate> Gate(store::Transaction& tx) const;
  [[nodiscard]] Result<std::optional<View>> Visible(store::Transaction& tx,
                                                    const VisibilityGate& gate,
                                                    const Partner& partner,
                                                    const std::string& advisory_id, TimePoint now,
                                                    int64_t generation) const;
  // Tells the monitor about a recorded delivery.
  void Observe(const Principal& caller, const std::string& advisory_id, std::string_view type,
               const Delivered& delivered) const;
  [[nodiscard]] Result<Delivered> Record(const Principal& caller, std::string type,
                                         std::string subject, nlohmann::json details,
                                         Delivered delivered) const;
  [[nodiscard]] Result<std::optional<store::ReleaseCursor>> DecodeCursor(
      const std::string& cursor) const;
  std::string EncodeCursor(const store::ReleaseCursor& cursor) const;
  // A revision the partner may see. Opened revisions never change (a change to a released
  // revision starts a new one), so they are cached across requests.
  [[nodiscard]] Result<std::shared_ptr<const Revision>> OpenedRevision(
      store::Transaction& tx, const std::string& advisory_id, int number) const;

  store::Store& store_;
  const ledger::Ledger& ledger_;
  ledger::Recorder& recorder_;
  const Clock& clock_;
  crypto::Random& random_;
  const policy::PolicyService& policies_;
  crypto::SecretBytes cursor_key_;
  monitor::ActivityMonitor* monitor_;
  const crypto::SigningKeyPair* package_key_;
  const Fingerprints* fingerprints_ = nullptr;
  TermsAcceptedHook terms_hook_;
  static constexpr size_t kRevisionCacheSize = 4096;
  static constexpr size_t kScheduleCacheSize = 16384;
  mutable std::mutex cache_mutex_;
  mutable std::map<std::pair<std::string, int>, std::shared_ptr<const Revision>>
      revisions_;  // guarded by cache_mutex_
  // Advisory schedules as of schedules_generation_; every advisory change bumps the generation.
  mutable int64_t schedules_generation_ = -1;  // guarded by cache_mutex_
  mutable std::map<std::string, std::shared_ptr<const Schedule>> schedules_;  // cache_mutex_
};

}  // namespace forewarn::delivery
