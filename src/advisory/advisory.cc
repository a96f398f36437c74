#include "advisory/advisory.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <set>

#include "core/time.h"
#include "standards/cvss.h"
#include "trace/embed.h"

namespace forewarn::advisory {
namespace {

using nlohmann::json;

constexpr size_t kDueBatch = 500;

tl::unexpected<Error> AdvisoryNotFound(const std::string& id) {
  return Fail(ErrorCode::kNotFound, fmt::format("advisory {} not found", id.substr(0, 64)));
}

std::string TermsHash(const std::string& terms) { return crypto::Hex(crypto::Sha256(terms)); }

json ContentJson(const AdvisoryContent& c) {
  json products = json::array();
  for (const auto& p : c.products) {
    products.push_back({{"name", p.name}, {"versions", p.versions}, {"fixed", p.fixed}});
  }
  return {{"title", c.title},     {"description", c.description}, {"cves", c.cves},
          {"products", products}, {"cvss", c.cvss_vectors},       {"terms", c.terms}};
}

std::string ContentHash(const AdvisoryContent& c) {
  return crypto::Hex(crypto::Sha256(ContentJson(c).dump()));
}

Status CheckSummary(const std::string& summary) {
  if (summary.size() > kMaxSummaryBytes) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("summary is too long (at most {} bytes)", kMaxSummaryBytes));
  }
  return Ok();
}

bool IsToken(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '+' || c == '.' || c == '_';
  });
}

Status CheckMediaType(const std::string& media_type) {
  const size_t slash = media_type.find('/');
  const std::string_view base = std::string_view(media_type).substr(0, media_type.find(';'));
  if (media_type.size() > 100 || slash == std::string::npos || !IsToken(base.substr(0, slash)) ||
      !IsToken(base.substr(slash + 1))) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("media_type '{}' is not a type/subtype", media_type.substr(0, 100)));
  }
  return Ok();
}

Status CheckFilename(const std::string& filename) {
  if (filename.size() > 255 || filename.find_first_of("/\\") != std::string::npos ||
      filename == "." || filename == ".." ||
      std::any_of(filename.begin(), filename.end(),
                  [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; })) {
    return Fail(ErrorCode::kInvalidArgument,
                "filename must be a plain file name (no path, at most 255 bytes)");
  }
  return Ok();
}

bool LooksLikeText(std::string_view bytes) {
  return std::none_of(bytes.begin(), bytes.end(), [](char c) { return c == '\0'; });
}

// Revision N+1 as a draft copy of revision N: same content and artifacts, not yet released.
Revision DraftAfter(const Revision& latest, const std::string& actor, const std::string& summary,
                    TimePoint now) {
  Revision next = latest;
  next.number = latest.number + 1;
  next.state = RevisionState::kDraft;
  next.summary = summary;
  next.created_by = actor;
  next.created_at = now;
  next.release_at.reset();
  return next;
}

const Release* FindPublicRow(const std::vector<Release>& releases, const std::string& tier) {
  for (const auto& r : releases) {
    if (r.kind == ReleaseKind::kPublic && r.tier == tier) return &r;
  }
  return nullptr;
}

}  // namespace

// An advisory with its revisions and releases, loaded in one transaction.
struct AdvisoryService::Loaded {
  Advisory advisory;
  std::vector<Revision> revisions;
  std::vector<Release> releases;

  Revision& Latest() { return revisions.back(); }
  const Revision& Latest() const { return revisions.back(); }
  bool Opened(int revision, TimePoint now) const {
    return std::any_of(releases.begin(), releases.end(), [&](const Release& r) {
      return r.kind == ReleaseKind::kWave && r.revision == revision && r.at <= now;
    });
  }
  bool Published() const {
    return std::any_of(revisions.begin(), revisions.end(),
                       [](const Revision& r) { return r.state == RevisionState::kPublished; });
  }
  bool IsPublic(TimePoint now) const { return Published() && advisory.public_at <= now; }
};

Status ValidateCvssVectors(const std::vector<std::string>& vectors) {
  std::set<std::string> seen;
  for (const auto& vector : vectors) {
    auto score = standards::ScoreCvss(vector);
    if (!score) {
      return Fail(ErrorCode::kInvalidArgument,
                  fmt::format("cvss: {}", score.error().message.substr(0, 300)));
    }
    if (!seen.insert(vector).second) {
      return Fail(ErrorCode::kInvalidArgument,
                  fmt::format("cvss: vector {} is listed twice", vector.substr(0, 200)));
    }
  }
  return Ok();
}

std::string MediaTypeForFilename(std::string_view filename) {
  static constexpr std::pair<std::string_view, std::string_view> kTypes[] = {
      {".py", "text/x-python"},      {".ps1", "text/x-powershell"}, {".cs", "text/x-csharp"},
      {".yar", "text/x-yara"},       {".yara", "text/x-yara"},      {".rules", "text/x-snort"},
      {".rule", "text/x-snort"},     {".yml", "application/yaml"},  {".yaml", "application/yaml"},
      {".json", "application/json"}, {".md", "text/markdown"},      {".txt", "text/plain"},
      {".http", "message/http"},     {".html", "text/html"},        {".csv", "text/csv"},
      {".xml", "application/xml"},   {".zip", "application/zip"},   {".pdf", "application/pdf"},
  };
  for (const auto& [ext, type] : kTypes) {
    if (filename.size() > ext.size() && filename.ends_with(ext)) return std::string(type);
  }
  return "";
}

AdvisoryService::AdvisoryService(store::Store& store, const ledger::Ledger& ledger,
                                 const Clock& clock, crypto::Random& random,
                                 uint64_t max_artifact_bytes)
    : store_(store),
      ledger_(ledger),
      clock_(clock),
      random_(random),
      max_artifact_bytes_(max_artifact_bytes) {}

Status CommitChange(store::Transaction& tx) {
  const std::string key(kAdvisoryGenerationSetting);
  FW_ASSIGN_OR_RETURN(auto current, tx.GetSetting(key));
  int64_t generation = 0;
  if (current) {
    const auto [ptr, ec] =
        std::from_chars(current->data(), current->data() + current->size(), generation);
    if (ec != std::errc{}) return Fail(ErrorCode::kInternal, "stored generation is corrupt");
  }
  FW_TRY(tx.PutSetting(key, std::to_string(generation + 1)));
  return tx.Commit();
}

Result<AdvisoryService::Loaded> AdvisoryService::Load(store::Transaction& tx,
                                                      const std::string& id) const {
  FW_ASSIGN_OR_RETURN(auto advisory, tx.FindAdvisory(id));
  if (!advisory) return AdvisoryNotFound(id);
  Loaded loaded;
  loaded.advisory = std::move(*advisory);
  FW_ASSIGN_OR_RETURN(loaded.revisions, tx.ListRevisions(id));
  FW_ASSIGN_OR_RETURN(loaded.releases, tx.ListReleases(id));
  if (loaded.revisions.empty()) {
    return Fail(ErrorCode::kInternal, fmt::format("advisory {} has no revisions", id));
  }
  return loaded;
}

Result<AdvisoryRecord> AdvisoryService::Record(store::Transaction& tx,
                                               const std::string& id) const {
  FW_ASSIGN_OR_RETURN(auto loaded, Load(tx, id));
  AdvisoryRecord record;
  record.status = EffectiveStatus(loaded.advisory, loaded.releases, clock_.Now());
  record.advisory = std::move(loaded.advisory);
  record.revisions = std::move(loaded.revisions);
  record.releases = std::move(loaded.releases);
  FW_ASSIGN_OR_RETURN(record.artifacts, tx.ListArtifacts(id));
  return record;
}

Status AdvisoryService::PublishRevision(store::Transaction& tx, Loaded& loaded, Revision& revision,
                                        const Schedule& schedule, const std::string& actor) const {
  const TimePoint now = clock_.Now();
  const Advisory& advisory = loaded.advisory;
  if (advisory.withdrawn_at) {
    return Fail(ErrorCode::kFailedPrecondition,
                fmt::format("advisory {} is withdrawn", advisory.id));
  }
  const bool already_public = advisory.public_at <= now;
  if (already_public && !loaded.Published()) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("public date {} has passed; set a future public_date first",
                            FormatTime(advisory.public_at)));
  }
  const TimePoint release_at = schedule.release_at.value_or(now);
  if (release_at < now) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("release_at {} is in the past", FormatTime(release_at)));
  }
  if (!already_public && release_at > advisory.public_at) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("impossible schedule: release_at {} is after the public date {}",
                            FormatTime(release_at), FormatTime(advisory.public_at)));
  }
  if (already_public && !schedule.waves.empty()) {
    return Fail(ErrorCode::kInvalidArgument,
                "the advisory is public: a new revision reaches every tier at its release time");
  }
  FW_ASSIGN_OR_RETURN(auto tiers, tx.ListTiers());
  for (const auto& [tier, at] : schedule.waves) {
    const bool known =
        std::any_of(tiers.begin(), tiers.end(), [&](const Tier& t) { return t.name == tier; });
    if (!known) {
      return Fail(ErrorCode::kInvalidArgument,
                  fmt::format("waves: unknown tier '{}'", tier.substr(0, 64)));
    }
    if (at < release_at) {
      return Fail(ErrorCode::kInvalidArgument,
                  fmt::format("impossible schedule: wave for tier {} at {} is before the release "
                              "time {}",
                              tier, FormatTime(at), FormatTime(release_at)));
    }
    if (at > advisory.public_at) {
      return Fail(ErrorCode::kInvalidArgument,
                  fmt::format("impossible schedule: wave for tier {} at {} is after the public "
                              "date {}",
                              tier, FormatTime(at), FormatTime(advisory.public_at)));
    }
  }
  json waves = json::object();
  for (const auto& tier : tiers) {
    Release wave;
    wave.advisory_id = advisory.id;
    wave.revision = revision.number;
    wave.tier = tier.name;
    wave.kind = ReleaseKind::kWave;
    if (auto it = schedule.waves.find(tier.name); it != schedule.waves.end()) {
      wave.at = it->second;
      wave.explicit_time = true;
    } else {
      wave.at = already_public ? release_at
                               : DefaultWaveTime(advisory.public_at, tier.lead_time, release_at);
    }
    FW_ASSIGN_OR_RETURN(wave.seq, tx.InsertRelease(wave));
    waves[tier.name] = FormatTime(wave.at);
    loaded.releases.push_back(wave);
    if (FindPublicRow(loaded.releases, tier.name) == nullptr) {
      Release public_row = wave;
      public_row.kind = ReleaseKind::kPublic;
      public_row.revision = 0;
      public_row.explicit_time = false;
      public_row.at = std::max(advisory.public_at, now);
      FW_ASSIGN_OR_RETURN(public_row.seq, tx.InsertRelease(public_row));
      loaded.releases.push_back(public_row);
    }
  }
  revision.state = RevisionState::kPublished;
  revision.release_at = release_at;
  FW_TRY(ledger_.Append(tx, {.type = "advisory.published",
                             .actor = actor,
                             .subject = advisory.id,
                             .details = {{"revision", revision.number},
                                         {"release_at", FormatTime(release_at)},
                                         {"public_at", FormatTime(advisory.public_at)},
                                         {"waves", waves}},
                             .payload_sha256 = ContentHash(revision.content)}));
  return Ok();
}

Result<AdvisoryRecord> AdvisoryService::Create(const Principal& caller,
                                               const AdvisoryInput& input) {
  FW_TRY(Authorize(caller, Action::kAdvisoryWrite));
  AdvisoryContent content = input.content;
  if (content.terms.empty()) content.terms = std::string(DefaultEmbargoTerms());
  FW_TRY(ValidateContent(content));
  FW_TRY(ValidateCvssVectors(content.cvss_vectors));
  FW_TRY(CheckSummary(input.summary));
  const TimePoint now = clock_.Now();
  if (input.public_at <= now) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("public_date {} is not in the future", FormatTime(input.public_at)));
  }
  Loaded loaded;
  Advisory& advisory = loaded.advisory;
  advisory.id = crypto::NewId(random_, "adv");
  advisory.public_at = input.public_at;
  advisory.latest_revision = 1;
  advisory.created_by = caller.Actor();
  advisory.created_at = now;
  advisory.updated_at = now;
  Revision revision;
  revision.advisory_id = advisory.id;
  revision.number = 1;
  revision.summary = input.summary.empty() ? "Initial release" : input.summary;
  revision.content = std::move(content);
  revision.terms_sha256 = TermsHash(revision.content.terms);
  revision.created_by = caller.Actor();
  revision.created_at = now;

  FW_ASSIGN_OR_RETURN(auto tx, store_.Begin(store::TxMode::kWrite));
  FW_TRY(tx->InsertAdvisory(advisory));
  FW_TRY(ledger_.Append(*tx, {.type = "advisory.created",
                              .actor = caller.Actor(),
                              .subject = advisory.id,
                              .details = {{"cves", revision.content.cves},
                                          {"public_at", FormatTime(advisory.public_at)},
                                          {"terms_sha256", revision.terms_sha256}},
                              .payload_sha256 = ContentHash(revision.content)}));
  FW_TRY(tx->InsertRevision(revision));
  loaded.revisions.push_back(revision);
  if (!input.draft) {
    FW_TRY(PublishRevision(*tx, loaded, revision, input.schedule, caller.Actor()));
    FW_TRY(tx->UpdateRevision(revision));
  }
  FW_ASSIGN_OR_RETURN(auto record, Record(*tx, advisory.id));
  FW_TRY(CommitChange(*tx));
  return record;
}

Result<AdvisoryRecord> AdvisoryService::Get(const Principal& caller, const std::string& id) const {
  FW_TRY(Authorize(caller, Action::kAdvisoryRead));
  FW_ASSIGN_OR_RETURN(auto tx, store_.Begin(store::TxMode::kRead));
  return Record(*tx, id);
}

Result<std::vector<AdvisoryRecord>> AdvisoryService::List(
    const Principal& caller, const store::AdvisoryFilter& filter) const {
  FW_TRY(Authorize(caller, Action::kAdvisoryRead));
  FW_ASSIGN_OR_RETURN(auto tx, store_.Begin(store::TxMode::kRead));
  FW_ASSIGN_OR_RETURN(auto advisories, tx->ListAdvisories(filter));
  std::vector<AdvisoryRecord> records;
  records.reserve(advisories.size());
  for (const auto& a : advisories) {
    FW_ASSIGN_OR_RETURN(auto record, Record(*tx, a.id));
    records.push_back(std::move(record));
  }
  return records;
}

Revision AdvisoryService::RevisionForChange(const Loaded& loaded, const Principal& caller,
                                            const std::string& summary, bool& is_new) const {
  const TimePoint now = clock_.Now();
  const Revision& latest = loaded.Latest();
  if (latest.state == RevisionState::kDraft || !loaded.Opened(latest.number, now)) {
    // Nobody has seen the newest revision yet: it can still change in place.
    is_new = false;
    Revision same = latest;
    if (!summary.empty()) same.summary = summary;
    return same;
  }
  is_new = true;
  return DraftAfter(latest, caller.Actor(), summary, now);
}

Status AdvisoryService::SaveRevision(store::Transaction& tx, Loaded& loaded, Revision& revision,
                                     bool is_new, const Principal& caller, bool publish) const {
  if (is_new) {
    FW_TRY(tx.InsertRevision(revision));
    loaded.advisory.latest_revision = revision.number;
    loaded.revisions.push_back(revision);
    if (publish) FW_TRY(PublishRevision(tx, loaded, revision, {}, caller.Actor()));
  }
  if (!is_new || publish) FW_TRY(tx.UpdateRevision(revision));
  loaded.Latest() = revision;
  loaded.advisory.updated_at = clock_.Now();
  return tx.UpdateAdvisory(loaded.advisory);
}

Result<AdvisoryRecord> AdvisoryService::Update(const Principal& caller, const std::string& id,
                                               const AdvisoryChange& change) {
  FW_TRY(Authorize(caller, Action::kAdvisoryWrite));
  FW_TRY(CheckSummary(change.summary));
  const TimePoint now = clock_.Now();
  FW_ASSIGN_OR_RETURN(auto tx, store_.Begin(store::TxMode::kWrite));
  FW_ASSIGN_OR_RETURN(auto loaded, Load(*tx, id));
  if (loaded.advisory.withdrawn_at) {
    return Fail(ErrorCode::kFailedPrecondition, fmt::format("advisory {} is withdrawn", id));
  }
  json changed = json::object();
  if (change.public_at && *change.public_at != loaded.advisory.public_at) {
    if (loaded.IsPublic(now)) {
      return Fail(ErrorCode::kFailedPrecondition,
                  fmt::format("advisory {} is already public; its public date cannot change", id));
    }
    if (*change.public_at <= now) {
      return Fail(ErrorCode::kInvalidArgument, fmt::format("public_date {} is not in the future",
                                                           FormatTime(*change.public_at)));
    }
    loaded.advisory.public_at = *change.public_at;
    FW_ASSIGN_OR_RETURN(auto tiers, tx->ListTiers());
    FW_TRY(Reschedule(*tx, loaded, tiers));
    changed["public_at"] = FormatTime(loaded.advisory.public_at);
  }
  AdvisoryContent content = loaded.Latest().content;
  if (change.title) content.title = *change.title;
  if (change.description) content.description = *change.description;
  if (change.cves) content.cves = *change.cves;
  if (change.products) content.products = *change.products;
  if (change.cvss_vectors) content.cvss_vectors = *change.cvss_vectors;
  if (change.terms) {
    content.terms = change.terms->empty() ? std::string(DefaultEmbargoTerms()) : *change.terms;
  }
  FW_TRY(ValidateContent(content));
  if (change.cvss_vectors) FW_TRY(ValidateCvssVectors(content.cvss_vectors));
  const bool content_changed = !(content == loaded.Latest().content);
  if (!content_changed && changed.empty()) {
    return Fail(ErrorCode::kInvalidArgument, "the change changes nothing");
  }
  if (content_changed) {
    bool is_new = false;
    Revision revision = RevisionForChange(loaded, caller, change.summary, is_new);
    if (is_new && revision.summary.empty()) revision.summary = "Advisory updated";
    revision.content = content;
    revision.terms_sha256 = TermsHash(content.terms);
    FW_TRY(SaveRevision(*tx, loaded, revision, is_new, caller, !change.draft));
    changed["revision"] = revision.number;
    changed["new_revision"] = is_new;
    changed["terms_sha256"] = revision.terms_sha256;
    if (change.cves) changed["cves"] = content.cves;
  } else {
    loaded.advisory.updated_at = now;
    FW_TRY(tx->UpdateAdvisory(loaded.advisory));
  }
  FW_TRY(ledger_.Append(*tx, {.type = "advisory.updated",
                              .actor = caller.Actor(),
                              .subject = id,
                              .details = changed,
                              .payload_sha256 = ContentHash(content)}));
  FW_ASSIGN_OR_RETURN(auto record, Record(*tx, id));
  FW_TRY(CommitChange(*tx));
  return record;
}

Result<AdvisoryRecord> AdvisoryService::Revise(const Principal& caller, const std::string& id,
                                               const std::string& summary) {
  FW_TRY(Authorize(caller, Action::kAdvisoryWrite));
  FW_TRY(CheckSummary(summary));
  FW_ASSIGN_OR_RETURN(auto tx, store_.Begin(store::TxMode::kWrite));
  FW_ASSIGN_OR_RETURN(auto loaded, Load(*tx, id));
  if (loaded.advisory.withdrawn_at) {
    return Fail(ErrorCode::kFailedPrecondition, fmt::format("advisory {} is withdrawn", id));
  }
  const Revision& latest = loaded.Latest();
  if (latest.state == RevisionState::kDraft) {
    return Fail(
        ErrorCode::kFailedPrecondition,
        fmt::format("revision {} of {} is still a draft: change or publish it", latest.number, id));
  }
  Revision next = DraftAfter(latest, caller.Actor(), summary, clock_.Now());
  FW_TRY(SaveRevision(*tx, loaded, next, true, caller, false));
  FW_TRY(ledger_.Append(*tx, {.type = "advisory.revised",
                              .actor = caller.Actor(),
                              .subject = id,
                              .details = {{"revision", next.number}, {"summary", summary}}}));
  FW_ASSIGN_OR_RETURN(auto record, Record(*tx, id));
  FW_TRY(CommitChange(*tx));
  return record;
}

Result<AdvisoryRecord> AdvisoryService::Publish(const Principal& caller, const std::string& id,
                                                const Schedule& schedule) {
  FW_TRY(Authorize(caller, Action::kAdvisoryWrite));
  FW_ASSIGN_OR_RETURN(auto tx, store_.Begin(store::TxMode::kWrite));
  FW_ASSIGN_OR_RETURN(auto loaded, Load(*tx, id));
  Revision revision = loaded.Latest();
  if (revision.state != RevisionState::kDraft) {
    return Fail(ErrorCode::kFailedPrecondition,
                fmt::format("revision {} of {} is already published; change the advisory or "
                            "start a new revision",
                            revision.number, id));
  }
  FW_TRY(PublishRevision(*tx, loaded, revision, schedule, caller.Actor()));
  FW_TRY(tx->UpdateRevision(revision));
  loaded.advisory.updated_at = clock_.Now();
  FW_TRY(tx->UpdateAdvisory(loaded.advisory));
  FW_ASSIGN_OR_RETURN(auto record, Record(*tx, id));
  FW_TRY(CommitChange(*tx));
  return record;
}

Result<AdvisoryRecord> AdvisoryService::Withdraw(const Principal& caller, const std::string& id,
                                                 const std::string& reason) {
  FW_TRY(Authorize(caller, Action::kAdvisoryWrite));
  if (reason.empty() || reason.size() > 1000) {
    return Fail(ErrorCode::kInvalidArgument, "a reason (1..1000 bytes) is required");
  }
  const TimePoint now = clock_.Now();
  FW_ASSIGN_OR_RETURN(auto tx, store_.Begin(store::TxMode::kWrite));
  FW_ASSIGN_OR_RETURN(auto loaded, Load(*tx, id));
  if (loaded.advisory.withdrawn_at) {
    return Fail(ErrorCode::kFailedPrecondition,
                fmt::format("advisory {} is already withdrawn", id));
  }
  // Waves that have not opened never will; tiers that saw the advisory learn it was withdrawn.
  std::set<std::string> tiers;
  int cancelled = 0;
  for (const auto& r : loaded.releases) {
    tiers.insert(r.tier);
    if (r.at > now) {
      FW_TRY(tx->DeleteRelease(r.seq));
      ++cancelled;
    }
  }
  for (const auto& tier : tiers) {
    Release row{.advisory_id = id,
                .revision = loaded.advisory.latest_revision,
                .tier = tier,
                .kind = ReleaseKind::kWithdrawn,
                .at = now,
                .recorded_at = now};
    FW_TRY(tx->InsertRelease(row));
  }
  loaded.advisory.withdrawn_at = now;
  loaded.advisory.withdrawn_reason = reason;
  loaded.advisory.recorded_status = AdvisoryStatus::kWithdrawn;
  loaded.advisory.updated_at = now;
  FW_TRY(tx->UpdateAdvisory(loaded.advisory));
  FW_TRY(ledger_.Append(*tx, {.type = "advisory.withdrawn",
                              .actor = caller.Actor(),
                              .subject = id,
                              .details = {{"reason", reason}, {"cancelled_releases", cancelled}}}));
  FW_ASSIGN_OR_RETURN(auto record, Record(*tx, id));
  FW_TRY(CommitChange(*tx));
  return record;
}

Result<Artifact> AdvisoryService::AddArtifact(const Principal& caller,
                                              const std::string& advisory_id,
                                              const ArtifactInput& input) {
  FW_TRY(Authorize(caller, Action::kAdvisoryWrite));
  if (input.content.empty()) return Fail(ErrorCode::kInvalidArgument, "content is empty");
  if (input.content.size() > max_artifact_bytes_) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("artifact is too large ({} bytes, at most {})", input.content.size(),
                            max_artifact_bytes_));
  }
  FW_TRY(CheckFilename(input.filename));
  FW_TRY(CheckSummary(input.summary));
  Artifact artifact;
  artifact.kind = input.kind;
  artifact.filename = input.filename;
  artifact.title =
      input.title.empty()
          ? (input.filename.empty() ? std::string(ToString(input.kind))
                                    : fmt::format("{} ({})", ToString(input.kind), input.filename))
          : input.title;
  if (artifact.title.size() > kMaxTitleBytes) {
    return Fail(ErrorCode::kInvalidArgument, "title is too long (at most 300 bytes)");
  }
  artifact.media_type = input.media_type;
  if (artifact.media_type.empty()) artifact.media_type = MediaTypeForFilename(input.filename);
  if (artifact.media_type.empty()) {
    artifact.media_type = LooksLikeText(input.content) ? "text/plain" : "application/octet-stream";
  }
  FW_TRY(CheckMediaType(artifact.media_type));
  artifact.sensitivity = input.sensitivity.value_or(DefaultSensitivity(input.kind));
  artifact.content_sha256 = crypto::Hex(crypto::Sha256(input.content));
  artifact.size = input.content.size();
  artifact.alternative_of = input.alternative_of;
  artifact.replaces = input.replaces;
  artifact.created_by = caller.Actor();
  artifact.created_at = clock_.Now();
  artifact.advisory_id = advisory_id;
  // Sensitive or marked-up text is fingerprinted per recipient: malformed explicit markup is
  // the author's mistake, reported now rather than when a partner first downloads it.
  if ((artifact.sensitivity == Sensitivity::kSensitive ||
       input.content.find("[[fw") != std::string::npos) &&
      LooksLikeText(input.content)) {
    auto marks = trace::FindMarks(input.content,
                                  trace::GuessLanguage(artifact.filename, artifact.media_type));
    if (!marks) {
      return Fail(ErrorCode::kInvalidArgument,
                  fmt::format("artifact fingerprint {}", marks.error().message));
    }
  }
  if (!input.alternative_of.empty() && !input.replaces.empty()) {
    return Fail(ErrorCode::kInvalidArgument,
                "an artifact is either an alternative form or a replacement, not both");
  }

  FW_ASSIGN_OR_RETURN(auto tx, store_.Begin(store::TxMode::kWrite));
  FW_ASSIGN_OR_RETURN(auto loaded, Load(*tx, advisory_id));
  if (loaded.advisory.withdrawn_at) {
    return Fail(ErrorCode::kFailedPrecondition,
                fmt::format("advisory {} is withdrawn", advisory_id));
  }
  bool is_new = false;
  Revision revision = RevisionForChange(loaded, caller, input.summary, is_new);
  if (is_new && revision.summary.empty()) {
    revision.summary = fmt::format("Added {}", artifact.title);
  }
  FW_ASSIGN_OR_RETURN(auto existing, tx->ListArtifacts(advisory_id));
  const auto in_snapshot = [&](const std::string& id) -> const Artifact* {
    if (std::find(revision.artifact_ids.begin(), revision.artifact_ids.end(), id) ==
        revision.artifact_ids.end()) {
      return nullptr;
    }
    for (const auto& a : existing) {
      if (a.id == id) return &a;
    }
    return nullptr;
  };
  for (const std::string* ref : {&input.alternative_of, &input.replaces}) {
    if (ref->empty()) continue;
    const Artifact* target = in_snapshot(*ref);
    const char* field = ref == &input.alternative_of ? "alternative_of" : "replaces";
    if (target == nullptr) {
      return Fail(ErrorCode::kInvalidArgument,
                  fmt::format("{}: artifact '{}' is not in revision {} of {}", field,
                              ref->substr(0, 64), revision.number, advisory_id));
    }
    if (!target->alternative_of.empty()) {
      return Fail(ErrorCode::kInvalidArgument,
                  fmt::format("{}: artifact {} is itself an alternative form", field, *ref));
    }
  }
  if (!input.replaces.empty()) {
    // The replaced artifact leaves the snapshot together with its alternative forms.
    std::erase_if(revision.artifact_ids, [&](const std::string& id) {
      if (id == input.replaces) return true;
      const Artifact* a = in_snapshot(id);
      return a != nullptr && a->alternative_of == input.replaces;
    });
  }
  artifact.id = crypto::NewId(random_, "art");
  artifact.revision = revision.number;
  revision.artifact_ids.push_back(artifact.id);
  FW_TRY(tx->PutContent(artifact.content_sha256, input.content));
  FW_TRY(tx->InsertArtifact(artifact));
  FW_TRY(SaveRevision(*tx, loaded, revision, is_new, caller, !input.draft));
  FW_TRY(ledger_.Append(*tx, {.type = "artifact.added",
                              .actor = caller.Actor(),
                              .subject = artifact.id,
                              .details = {{"advisory", advisory_id},
                                          {"revision", revision.number},
                                          {"new_revision", is_new},
                                          {"kind", ToString(artifact.kind)},
                                          {"sensitivity", ToString(artifact.sensitivity)},
                                          {"size", artifact.size},
                                          {"alternative_of", artifact.alternative_of},
                                          {"replaces", artifact.replaces}},
                              .payload_sha256 = artifact.content_sha256}));
  FW_TRY(CommitChange(*tx));
  return artifact;
}

Result<std::pair<Artifact, std::string>> AdvisoryService::ArtifactContent(
    const Principal& caller, const std::string& advisory_id, const std::string& artifact_id) const {
  FW_TRY(Authorize(caller, Action::kArtifactContentRead));
  FW_ASSIGN_OR_RETURN(auto tx, store_.Begin(store::TxMode::kWrite));
  FW_ASSIGN_OR_RETURN(auto artifact, tx->FindArtifact(artifact_id));
  if (!artifact || artifact->advisory_id != advisory_id) {
    return Fail(ErrorCode::kNotFound,
                fmt::format("artifact {} not found in advisory {}", artifact_id.substr(0, 64),
                            advisory_id.substr(0, 64)));
  }
  FW_ASSIGN_OR_RETURN(auto content, tx->GetContent(artifact->content_sha256));
  if (!content) {
    return Fail(ErrorCode::kInternal,
                fmt::format("content of artifact {} is missing from the store", artifact_id));
  }
  FW_TRY(ledger_.Append(*tx, {.type = "artifact.read",
                              .actor = caller.Actor(),
                              .subject = artifact_id,
                              .details = {{"advisory", advisory_id}},
                              .payload_sha256 = artifact->content_sha256}));
  FW_TRY(tx->Commit());
  return std::make_pair(std::move(*artifact), std::move(*content));
}

Status AdvisoryService::Reschedule(store::Transaction& tx, Loaded& loaded,
                                   const std::vector<Tier>& tiers) const {
  const TimePoint now = clock_.Now();
  const Advisory& advisory = loaded.advisory;
  if (advisory.withdrawn_at) return Ok();
  std::vector<Release> updated;
  const auto move_row = [&](const Release& row, TimePoint at) -> Status {
    if (row.at == at) return Ok();
    // A moved row gets a new seq, so feed cursors handed out before never skip it.
    FW_TRY(tx.DeleteRelease(row.seq));
    Release moved = row;
    moved.at = at;
    FW_ASSIGN_OR_RETURN(moved.seq, tx.InsertRelease(moved));
    std::replace_if(
        loaded.releases.begin(), loaded.releases.end(),
        [&](const Release& r) { return r.seq == row.seq; }, moved);
    return Ok();
  };
  const auto insert_row = [&](Release row) -> Status {
    FW_ASSIGN_OR_RETURN(row.seq, tx.InsertRelease(row));
    loaded.releases.push_back(row);
    return Ok();
  };
  const bool is_public = advisory.public_at <= now;
  for (const auto& revision : loaded.revisions) {
    if (revision.state != RevisionState::kPublished || !revision.release_at) continue;
    for (const auto& tier : tiers) {
      const TimePoint wanted =
          is_public
              ? std::max(*revision.release_at, now)
              : std::max(DefaultWaveTime(advisory.public_at, tier.lead_time, *revision.release_at),
                         now);
      const Release* wave = FindWave(loaded.releases, revision.number, tier.name);
      if (wave == nullptr) {
        FW_TRY(insert_row({.advisory_id = advisory.id,
                           .revision = revision.number,
                           .tier = tier.name,
                           .kind = ReleaseKind::kWave,
                           .at = wanted}));
        continue;
      }
      if (wave->at <= now) continue;  // opened: history does not change
      if (wave->explicit_time) {
        if (wave->at > advisory.public_at) {
          return Fail(ErrorCode::kInvalidArgument,
                      fmt::format("impossible schedule: revision {}'s wave for tier {} at {} is "
                                  "after the public date {}",
                                  revision.number, tier.name, FormatTime(wave->at),
                                  FormatTime(advisory.public_at)));
        }
        continue;
      }
      FW_TRY(move_row(*wave, wanted));
    }
  }
  if (!loaded.Published()) return Ok();
  for (const auto& tier : tiers) {
    const TimePoint wanted = std::max(advisory.public_at, now);
    const Release* row = FindPublicRow(loaded.releases, tier.name);
    if (row == nullptr) {
      FW_TRY(insert_row({.advisory_id = advisory.id,
                         .tier = tier.name,
                         .kind = ReleaseKind::kPublic,
                         .at = wanted}));
    } else if (row->at > now) {
      FW_TRY(move_row(*row, wanted));
    }
  }
  return Ok();
}

Status AdvisoryService::ReconcileTiers(const std::string& actor) {
  FW_ASSIGN_OR_RETURN(auto tx, store_.Begin(store::TxMode::kWrite));
  FW_ASSIGN_OR_RETURN(auto tiers, tx->ListTiers());
  FW_ASSIGN_OR_RETURN(auto advisories, tx->ListAdvisories({}));
  json changed = json::array();
  for (const auto& a : advisories) {
    if (a.withdrawn_at) continue;
    FW_ASSIGN_OR_RETURN(auto loaded, Load(*tx, a.id));
    const auto before = loaded.releases;
    FW_TRY(Reschedule(*tx, loaded, tiers));
    const bool same = before.size() == loaded.releases.size() &&
                      std::equal(before.begin(), before.end(), loaded.releases.begin(),
                                 [](const Release& x, const Release& y) {
                                   return x.seq == y.seq && x.at == y.at;
                                 });
    if (!same) changed.push_back(a.id);
  }
  if (changed.empty()) return Ok();  // nothing moved: no transaction to record
  FW_TRY(ledger_.Append(*tx, {.type = "schedule.reconciled",
                              .actor = actor,
                              .subject = "tiers",
                              .details = {{"advisories", changed}}}));
  return CommitChange(*tx);
}

// --- scheduler ---

Scheduler::Scheduler(store::Store& store, const ledger::Ledger& ledger, const Clock& clock)
    : store_(store), ledger_(ledger), clock_(clock) {}

Result<size_t> Scheduler::RunDue() const {
  // The timer ticks every second; a read is enough to learn that nothing is due, so an idle
  // tick never takes the store's single writer.
  FW_ASSIGN_OR_RETURN(auto next, NextDue());
  if (!next || *next > clock_.Now()) return size_t{0};
  size_t recorded = 0;
  while (true) {
    const TimePoint now = clock_.Now();
    FW_ASSIGN_OR_RETURN(auto tx, store_.Begin(store::TxMode::kWrite));
    FW_ASSIGN_OR_RETURN(auto due, tx->ListDueReleases(now, kDueBatch));
    if (due.empty()) return recorded;
    std::set<std::string> announced_public;
    for (const auto& release : due) {
      FW_ASSIGN_OR_RETURN(auto advisory, tx->FindAdvisory(release.advisory_id));
      if (!advisory) {
        return Fail(ErrorCode::kInternal,
                    fmt::format("release {} names a missing advisory", release.seq));
      }
      const std::string late = fmt::format(
          "{}s", std::chrono::duration_cast<std::chrono::seconds>(now - release.at).count());
      if (release.kind == ReleaseKind::kWave) {
        FW_TRY(ledger_.Append(*tx, {.type = "wave.opened",
                                    .actor = "scheduler",
                                    .subject = release.advisory_id,
                                    .details = {{"revision", release.revision},
                                                {"tier", release.tier},
                                                {"scheduled_at", FormatTime(release.at)},
                                                {"late_by", late}}}));
        if (wave_hook_) {
          FW_TRY(wave_hook_(*tx, release));
        }
        if (advisory->recorded_status == AdvisoryStatus::kDraft ||
            advisory->recorded_status == AdvisoryStatus::kScheduled) {
          advisory->recorded_status = AdvisoryStatus::kPartnerReleased;
          FW_TRY(tx->UpdateAdvisory(*advisory));
        }
      } else if (release.kind == ReleaseKind::kPublic &&
                 announced_public.insert(release.advisory_id).second &&
                 advisory->recorded_status != AdvisoryStatus::kPublic) {
        FW_TRY(ledger_.Append(
            *tx, {.type = "advisory.public",
                  .actor = "scheduler",
                  .subject = release.advisory_id,
                  .details = {{"public_at", FormatTime(release.at)}, {"late_by", late}}}));
        advisory->recorded_status = AdvisoryStatus::kPublic;
        FW_TRY(tx->UpdateAdvisory(*advisory));
      }
      FW_TRY(tx->MarkReleaseRecorded(release.seq, now));
      ++recorded;
    }
    FW_TRY(tx->Commit());
  }
}

Result<std::optional<TimePoint>> Scheduler::NextDue() const {
  FW_ASSIGN_OR_RETURN(auto tx, store_.Begin(store::TxMode::kRead));
  // 2200-01-01: later than any schedule, and representable in a nanosecond TimePoint.
  FW_ASSIGN_OR_RETURN(auto next, tx->ListDueReleases(FromUnixMicros(7258118400000000), 1));
  if (next.empty()) return std::optional<TimePoint>();
  return std::optional<TimePoint>(next.front().at);
}

}  // namespace forewarn::advisory
