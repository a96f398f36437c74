#include "delivery/fingerprints.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace forewarn::delivery {
namespace {

constexpr size_t kCacheLimit = 256;

bool IsUtf8Text(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == 0) return false;
    int follow = 0;
    if (c < 0x80) {
      follow = 0;
    } else if ((c & 0xE0) == 0xC0 && c >= 0xC2) {
      follow = 1;
    } else if ((c & 0xF0) == 0xE0) {
      follow = 2;
    } else if ((c & 0xF8) == 0xF0 && c <= 0xF4) {
      follow = 3;
    } else {
      return false;
    }
    if (i + static_cast<size_t>(follow) >= text.size() && follow > 0) return false;
    for (int k = 1; k <= follow; ++k) {
      if ((static_cast<unsigned char>(text[i + k]) & 0xC0) != 0x80) return false;
    }
    i += 1 + follow;
  }
  return true;
}

}  // namespace

trace::Language ArtifactLanguage(const Artifact& artifact) {
  return trace::GuessLanguage(artifact.filename, artifact.media_type);
}

Fingerprints::Fingerprints(crypto::SecretBytes trace_key, trace::TraceSettings settings)
    : trace_key_(std::move(trace_key)), settings_(settings) {}

bool Fingerprints::Fingerprinted(const Artifact& artifact, std::string_view content) {
  // Explicit markup must never reach a partner as written, whatever the sensitivity.
  const bool marked = content.find("[[fw") != std::string_view::npos;
  return (artifact.sensitivity == Sensitivity::kSensitive || marked) && IsUtf8Text(content);
}

Result<std::shared_ptr<const trace::ArtifactFingerprint>> Fingerprints::For(
    const Artifact& artifact, const std::string& content) const {
  if (!Fingerprinted(artifact, content)) {
    return std::shared_ptr<const trace::ArtifactFingerprint>();
  }
  {
    std::lock_guard lock(mutex_);
    if (auto it = cache_.find(artifact.id); it != cache_.end()) return it->second;
  }
  FW_ASSIGN_OR_RETURN(auto fingerprint, trace::ArtifactFingerprint::Create(
                                            trace_key_, artifact.advisory_id, artifact.id, content,
                                            ArtifactLanguage(artifact), settings_));
  auto shared = std::make_shared<const trace::ArtifactFingerprint>(std::move(fingerprint));
  std::lock_guard lock(mutex_);
  if (cache_.size() >= kCacheLimit) cache_.clear();  // bounded; rebuilt on demand
  cache_.emplace(artifact.id, shared);
  return shared;
}

Result<ArtifactCopy> Fingerprints::CopyFor(const Artifact& artifact, const std::string& content,
                                           const std::string& partner_id) const {
  FW_ASSIGN_OR_RETURN(auto fingerprint, For(artifact, content));
  ArtifactCopy copy;
  if (fingerprint == nullptr) {
    copy.bytes = content;
    copy.sha256 = artifact.content_sha256;
    return copy;
  }
  copy.bytes = fingerprint->Variant(partner_id);
  copy.sha256 = crypto::Hex(crypto::Sha256(copy.bytes));
  copy.fingerprint_id = fingerprint->FingerprintId(partner_id);
  return copy;
}

}  // namespace forewarn::delivery

namespace forewarn::delivery {
namespace {

using nlohmann::json;

constexpr size_t kMaxLeakedBytes = 16 * 1024 * 1024;

struct LoadedArtifact {
  Artifact artifact;
  std::string content;
};

Result<LoadedArtifact> LoadArtifact(store::Transaction& tx, const std::string& advisory_id,
                                    const std::string& artifact_id) {
  FW_ASSIGN_OR_RETURN(auto advisory, tx.FindAdvisory(advisory_id));
  if (!advisory) {
    return Fail(ErrorCode::kNotFound, fmt::format("advisory {} not found", advisory_id));
  }
  FW_ASSIGN_OR_RETURN(auto artifact, tx.FindArtifact(artifact_id));
  if (!artifact || artifact->advisory_id != advisory_id) {
    return Fail(ErrorCode::kNotFound,
                fmt::format("artifact {} not found in advisory {}", artifact_id, advisory_id));
  }
  FW_ASSIGN_OR_RETURN(auto content, tx.GetContent(artifact->content_sha256));
  if (!content) {
    return Fail(ErrorCode::kInternal,
                fmt::format("content of artifact {} is missing from the store", artifact_id));
  }
  return LoadedArtifact{.artifact = std::move(*artifact), .content = std::move(*content)};
}

tl::unexpected<Error> NotFingerprinted(const Artifact& artifact) {
  return Fail(ErrorCode::kFailedPrecondition,
              fmt::format("artifact {} is not fingerprinted (only sensitive text artifacts are; "
                          "its sensitivity is {})",
                          artifact.id, ToString(artifact.sensitivity)));
}

json SuspectJson(const trace::Suspect& suspect) {
  return {{"partner", suspect.partner_id},
          {"score", suspect.score},
          {"false_accusation_bound", suspect.false_accusation_bound}};
}

}  // namespace

FingerprintOperations::FingerprintOperations(store::Store& store, ledger::Recorder& recorder,
                                             const Fingerprints& fingerprints)
    : store_(store), recorder_(recorder), fingerprints_(fingerprints) {}

Result<json> FingerprintOperations::Marks(const Principal& caller, const std::string& advisory_id,
                                          const std::string& artifact_id) const {
  FW_TRY(Authorize(caller, Action::kFingerprintRead));
  FW_ASSIGN_OR_RETURN(auto tx, store_.Begin(store::TxMode::kRead));
  FW_ASSIGN_OR_RETURN(auto loaded, LoadArtifact(*tx, advisory_id, artifact_id));
  FW_ASSIGN_OR_RETURN(auto partners, tx->ListPartners({}));
  tx.reset();
  const int recipients =
      static_cast<int>(std::count_if(partners.begin(), partners.end(), [](const Partner& p) {
        return p.status != PartnerStatus::kRemoved;
      }));
  const auto& settings = fingerprints_.settings();
  json out = {{"advisory", advisory_id},
              {"artifact", artifact_id},
              {"filename", loaded.artifact.filename},
              {"language", trace::ToString(ArtifactLanguage(loaded.artifact))},
              {"coalition", settings.coalition},
              {"epsilon", settings.epsilon_false},
              {"recipients", recipients}};
  FW_ASSIGN_OR_RETURN(auto fingerprint, fingerprints_.For(loaded.artifact, loaded.content));
  out["fingerprinted"] = fingerprint != nullptr;
  if (fingerprint == nullptr) {
    out["capacity_bits"] = 0;
    out["points"] = json::array();
    out["canaries"] = json::array();
    return out;
  }
  const trace::Capacity capacity = fingerprint->CapacityFor(recipients);
  out["capacity_bits"] = capacity.capacity_bits;
  out["needed_bits"] = capacity.needed_bits;
  out["single_leaker_bits"] = capacity.single_leaker_bits;
  out["warning"] = capacity.warning ? json(capacity.message) : json(nullptr);
  json points = json::array();
  json families = json::object();
  for (const trace::PointView& point : fingerprint->marks().View()) {
    points.push_back({{"index", point.index},
                      {"family", point.family},
                      {"description", point.description},
                      {"line", point.line},
                      {"bits", point.bits},
                      {"first_position", point.first_position}});
    families[point.family] = families.value(point.family, 0) + point.bits;
  }
  out["points"] = std::move(points);
  out["families"] = std::move(families);
  json canaries = json::array();
  for (const auto& canary : fingerprint->marks().canaries()) {
    canaries.push_back({{"slot", canary.slot.name},
                        {"kind", trace::ToString(canary.slot.kind)},
                        {"pattern", canary.slot.pattern},
                        {"original", canary.original},
                        {"occurrences", canary.spans.size()}});
  }
  out["canaries"] = std::move(canaries);
  return out;
}

Result<ArtifactCopy> FingerprintOperations::Preview(const Principal& caller,
                                                    const std::string& advisory_id,
                                                    const std::string& artifact_id,
                                                    const std::string& partner_id) const {
  FW_TRY(Authorize(caller, Action::kFingerprintRead));
  FW_ASSIGN_OR_RETURN(auto tx, store_.Begin(store::TxMode::kRead));
  FW_ASSIGN_OR_RETURN(auto loaded, LoadArtifact(*tx, advisory_id, artifact_id));
  FW_ASSIGN_OR_RETURN(auto partner, tx->FindPartner(partner_id));
  tx.reset();
  if (!partner) return Fail(ErrorCode::kNotFound, fmt::format("partner {} not found", partner_id));
  if (!Fingerprints::Fingerprinted(loaded.artifact, loaded.content)) {
    return NotFingerprinted(loaded.artifact);
  }
  FW_ASSIGN_OR_RETURN(auto copy,
                      fingerprints_.CopyFor(loaded.artifact, loaded.content, partner_id));
  FW_TRY(recorder_
             .Record({.type = "artifact.variant_previewed",
                      .actor = caller.Actor(),
                      .subject = artifact_id,
                      .details = {{"advisory", advisory_id},
                                  {"partner", partner_id},
                                  {"fingerprint", copy.fingerprint_id.value_or("")}},
                      .payload_sha256 = copy.sha256})
             .transform([](auto&&) {}));
  return copy;
}

Result<json> FingerprintOperations::TraceLeak(const Principal& caller,
                                              const std::string& advisory_id,
                                              const std::string& leaked) const {
  FW_TRY(Authorize(caller, Action::kLeakTrace));
  if (leaked.empty()) return Fail(ErrorCode::kInvalidArgument, "the leaked text is empty");
  if (leaked.size() > kMaxLeakedBytes) {
    return Fail(ErrorCode::kInvalidArgument, "the leaked text is larger than 16 MiB");
  }
  FW_ASSIGN_OR_RETURN(auto tx, store_.Begin(store::TxMode::kRead));
  FW_ASSIGN_OR_RETURN(auto advisory, tx->FindAdvisory(advisory_id));
  if (!advisory) {
    return Fail(ErrorCode::kNotFound, fmt::format("advisory {} not found", advisory_id));
  }
  FW_ASSIGN_OR_RETURN(auto artifacts, tx->ListArtifacts(advisory_id));
  FW_ASSIGN_OR_RETURN(auto partners, tx->ListPartners({}));
  std::vector<LoadedArtifact> loaded;
  for (auto& artifact : artifacts) {
    FW_ASSIGN_OR_RETURN(auto content, tx->GetContent(artifact.content_sha256));
    if (content && Fingerprints::Fingerprinted(artifact, *content)) {
      loaded.push_back({.artifact = std::move(artifact), .content = std::move(*content)});
    }
  }
  tx.reset();
  std::vector<std::string> candidates;
  for (const auto& p : partners) candidates.push_back(p.id);

  const double epsilon = fingerprints_.settings().epsilon_false;
  std::map<std::string, trace::Suspect> best;  // partner -> lowest per-artifact bound
  std::map<std::string, std::string> best_artifact;
  json artifact_reports = json::array();
  json canary_hits = json::array();
  std::vector<trace::TraceReport> reports;
  for (const auto& item : loaded) {
    FW_ASSIGN_OR_RETURN(auto fingerprint, fingerprints_.For(item.artifact, item.content));
    FW_ASSIGN_OR_RETURN(auto report, fingerprint->Trace(leaked, candidates));
    json accused = json::array();
    for (const auto& s : report.accused) accused.push_back(SuspectJson(s));
    json top = json::array();
    for (const auto& s : report.top) top.push_back(SuspectJson(s));
    std::vector<trace::Suspect> considered = report.accused;
    considered.insert(considered.end(), report.top.begin(), report.top.end());
    for (const auto& s : considered) {
      auto it = best.find(s.partner_id);
      if (it == best.end() || s.false_accusation_bound < it->second.false_accusation_bound) {
        best[s.partner_id] = s;
        best_artifact[s.partner_id] = item.artifact.id;
      }
    }
    const int points_read = static_cast<int>(
        std::count(report.read.point_read.begin(), report.read.point_read.end(), true));
    artifact_reports.push_back(
        {{"artifact", item.artifact.id},
         {"filename", item.artifact.filename},
         {"capacity_bits", fingerprint->marks().CapacityBits()},
         {"positions_read", report.read.positions_read},
         {"points_read", points_read},
         {"points_erased", static_cast<int>(report.read.point_read.size()) - points_read},
         {"read_by_family", report.read.read_by_family},
         {"erased_by_family", report.read.erased_by_family},
         {"threshold", std::isfinite(report.threshold) ? json(report.threshold) : json(nullptr)},
         {"accused", std::move(accused)},
         {"top", std::move(top)}});
    for (const auto& hit : report.canary_hits) {
      canary_hits.push_back({{"partner", hit.canary.partner_id},
                             {"artifact", item.artifact.id},
                             {"slot", hit.canary.slot},
                             {"value", hit.canary.value},
                             {"whole_value_seen", hit.whole_value_seen},
                             {"offset", hit.offset}});
    }
  }
  // Union bound over the artifacts traced: each was a separate test of every partner.
  const double tests = std::max<double>(1.0, static_cast<double>(loaded.size()));
  std::vector<trace::Suspect> accused;
  for (auto& [partner, suspect] : best) {
    suspect.false_accusation_bound = std::min(1.0, suspect.false_accusation_bound * tests);
    if (suspect.score > 0 && suspect.false_accusation_bound <= epsilon) accused.push_back(suspect);
  }
  std::sort(accused.begin(), accused.end(), [](const auto& a, const auto& b) {
    return a.false_accusation_bound < b.false_accusation_bound;
  });
  json accused_json = json::array();
  json accused_ids = json::array();
  for (const auto& s : accused) {
    json entry = SuspectJson(s);
    entry["artifact"] = best_artifact[s.partner_id];
    accused_json.push_back(std::move(entry));
    accused_ids.push_back(s.partner_id);
  }
  const std::string leaked_sha256 = crypto::Hex(crypto::Sha256(leaked));
  json hit_partners = json::array();
  for (const auto& hit : canary_hits) hit_partners.push_back(hit["partner"]);
  FW_TRY(recorder_
             .Record({.type = "leak.traced",
                      .actor = caller.Actor(),
                      .subject = advisory_id,
                      .details = {{"accused", accused_ids},
                                  {"canary_hits", hit_partners},
                                  {"artifacts", loaded.size()},
                                  {"candidates", candidates.size()}},
                      .payload_sha256 = leaked_sha256})
             .transform([](auto&&) {}));
  return json{{"advisory", advisory_id},
              {"leaked_sha256", leaked_sha256},
              {"candidates", candidates.size()},
              {"epsilon", epsilon},
              {"accused", std::move(accused_json)},
              {"canary_hits", std::move(canary_hits)},
              {"artifacts", std::move(artifact_reports)}};
}

}  // namespace forewarn::delivery
