#include "core/advisory.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <set>
#include <utility>

namespace forewarn {
namespace {

// One table per enum gives both directions of the wire name mapping.
template <class E, size_t N>
using NameTable = std::array<std::pair<E, std::string_view>, N>;

template <class E, size_t N>
std::string_view NameIn(const NameTable<E, N>& table, E value) {
  for (const auto& [v, name] : table) {
    if (v == value) return name;
  }
  return "unknown";
}

template <class E, size_t N>
Result<E> ParseIn(const NameTable<E, N>& table, std::string_view text, std::string_view what) {
  for (const auto& [v, name] : table) {
    if (name == text) return v;
  }
  std::string names;
  for (const auto& entry : table) names += (names.empty() ? "" : ", ") + std::string(entry.second);
  return Fail(ErrorCode::kInvalidArgument, fmt::format("unknown {} '{}' (expected one of: {})",
                                                       what, text.substr(0, 64), names));
}

constexpr NameTable<AdvisoryStatus, 5> kStatusNames = {{
    {AdvisoryStatus::kDraft, "draft"},
    {AdvisoryStatus::kScheduled, "scheduled"},
    {AdvisoryStatus::kPartnerReleased, "partner-released"},
    {AdvisoryStatus::kPublic, "public"},
    {AdvisoryStatus::kWithdrawn, "withdrawn"},
}};

constexpr NameTable<ArtifactKind, 6> kKindNames = {{
    {ArtifactKind::kSummary, "summary"},
    {ArtifactKind::kTechnicalDescription, "technical-description"},
    {ArtifactKind::kDetection, "detection"},
    {ArtifactKind::kIoc, "ioc"},
    {ArtifactKind::kMitigation, "mitigation"},
    {ArtifactKind::kPoc, "poc"},
}};

constexpr NameTable<Sensitivity, 2> kSensitivityNames = {{
    {Sensitivity::kNormal, "normal"},
    {Sensitivity::kSensitive, "sensitive"},
}};

constexpr NameTable<RevisionState, 2> kRevisionStateNames = {{
    {RevisionState::kDraft, "draft"},
    {RevisionState::kPublished, "published"},
}};

constexpr NameTable<ReleaseKind, 3> kReleaseKindNames = {{
    {ReleaseKind::kWave, "wave"},
    {ReleaseKind::kPublic, "public"},
    {ReleaseKind::kWithdrawn, "withdrawn"},
}};

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Control characters other than newline and tab (allowed in long text).
bool HasBadControl(std::string_view text, bool allow_newlines) {
  return std::any_of(text.begin(), text.end(), [&](char c) {
    const auto u = static_cast<unsigned char>(c);
    if (allow_newlines && (c == '\n' || c == '\t' || c == '\r')) return false;
    return u < 0x20 || u == 0x7f;
  });
}

Status CheckField(std::string_view field, std::string_view value, size_t max, bool required,
                  bool multiline) {
  if (required && value.empty()) {
    return Fail(ErrorCode::kInvalidArgument, fmt::format("{} is required", field));
  }
  if (value.size() > max) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("{} is too long ({} bytes, at most {})", field, value.size(), max));
  }
  if (HasBadControl(value, multiline)) {
    return Fail(ErrorCode::kInvalidArgument, fmt::format("{} contains control characters", field));
  }
  return Ok();
}

}  // namespace

std::string_view ToString(AdvisoryStatus status) { return NameIn(kStatusNames, status); }
Result<AdvisoryStatus> ParseAdvisoryStatus(std::string_view text) {
  return ParseIn(kStatusNames, text, "advisory status");
}
std::string_view ToString(ArtifactKind kind) { return NameIn(kKindNames, kind); }
Result<ArtifactKind> ParseArtifactKind(std::string_view text) {
  return ParseIn(kKindNames, text, "artifact kind");
}
std::string_view ToString(Sensitivity sensitivity) {
  return NameIn(kSensitivityNames, sensitivity);
}
Result<Sensitivity> ParseSensitivity(std::string_view text) {
  return ParseIn(kSensitivityNames, text, "sensitivity");
}
std::string_view ToString(RevisionState state) { return NameIn(kRevisionStateNames, state); }
Result<RevisionState> ParseRevisionState(std::string_view text) {
  return ParseIn(kRevisionStateNames, text, "revision state");
}
std::string_view ToString(ReleaseKind kind) { return NameIn(kReleaseKindNames, kind); }
Result<ReleaseKind> ParseReleaseKind(std::string_view text) {
  return ParseIn(kReleaseKindNames, text, "release kind");
}

Sensitivity DefaultSensitivity(ArtifactKind kind) {
  return kind == ArtifactKind::kPoc || kind == ArtifactKind::kTechnicalDescription
             ? Sensitivity::kSensitive
             : Sensitivity::kNormal;
}

bool IsCveId(std::string_view text) {
  if (!text.starts_with("CVE-") || text.size() < 13 || text.size() > 28) return false;
  const std::string_view year = text.substr(4, 4);
  if (!std::all_of(year.begin(), year.end(), IsDigit) || year < "1999" || text[8] != '-') {
    return false;
  }
  const std::string_view number = text.substr(9);
  return number.size() >= 4 && std::all_of(number.begin(), number.end(), IsDigit);
}

Status ValidateContent(const AdvisoryContent& content) {
  FW_TRY(CheckField("title", content.title, kMaxTitleBytes, true, false));
  FW_TRY(CheckField("description", content.description, kMaxDescriptionBytes, false, true));
  FW_TRY(CheckField("terms", content.terms, kMaxTermsBytes, false, true));
  if (content.cves.size() > kMaxCves) {
    return Fail(ErrorCode::kInvalidArgument, fmt::format("at most {} CVE ids", kMaxCves));
  }
  std::set<std::string> seen;
  for (const auto& cve : content.cves) {
    if (!IsCveId(cve)) {
      return Fail(ErrorCode::kInvalidArgument,
                  fmt::format("cves: '{}' is not a CVE id (CVE-YYYY-NNNN)", cve.substr(0, 40)));
    }
    if (!seen.insert(cve).second) {
      return Fail(ErrorCode::kInvalidArgument, fmt::format("cves: {} is listed twice", cve));
    }
  }
  if (content.products.size() > kMaxProducts) {
    return Fail(ErrorCode::kInvalidArgument, fmt::format("at most {} products", kMaxProducts));
  }
  for (const auto& product : content.products) {
    FW_TRY(CheckField("products[].name", product.name, 200, true, false));
    FW_TRY(CheckField("products[].versions", product.versions, 200, false, false));
    FW_TRY(CheckField("products[].fixed", product.fixed, 200, false, false));
  }
  if (content.cvss_vectors.size() > kMaxCvssVectors) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("at most {} CVSS vectors", kMaxCvssVectors));
  }
  return Ok();
}

TimePoint DefaultWaveTime(TimePoint public_at, std::chrono::seconds lead_time,
                          TimePoint release_at) {
  return std::max(public_at - lead_time, release_at);
}

const Release* FindWave(const std::vector<Release>& releases, int revision, std::string_view tier) {
  for (const auto& r : releases) {
    if (r.kind == ReleaseKind::kWave && r.revision == revision && r.tier == tier) return &r;
  }
  return nullptr;
}

bool Overtaken(const std::vector<Release>& releases, std::string_view tier, int revision,
               TimePoint at) {
  return std::any_of(releases.begin(), releases.end(), [&](const Release& r) {
    return r.kind == ReleaseKind::kWave && r.tier == tier && r.revision > revision && r.at <= at;
  });
}

AdvisoryStatus EffectiveStatus(const Advisory& advisory, const std::vector<Release>& releases,
                               TimePoint now) {
  if (advisory.withdrawn_at && *advisory.withdrawn_at <= now) return AdvisoryStatus::kWithdrawn;
  bool published = false;
  bool opened = false;
  for (const auto& r : releases) {
    if (r.kind != ReleaseKind::kWave) continue;
    published = true;
    if (r.at <= now) opened = true;
  }
  if (!published) return AdvisoryStatus::kDraft;
  if (advisory.public_at <= now) return AdvisoryStatus::kPublic;
  return opened ? AdvisoryStatus::kPartnerReleased : AdvisoryStatus::kScheduled;
}

std::string_view DefaultEmbargoTerms() {
  return "This advisory is shared under embargo until its public date. Use it only to protect "
         "your customers and your own systems. Do not publish, forward or discuss it outside "
         "your organization's staff who need it for that purpose, and do not use it in any "
         "offensive activity. Every copy is fingerprinted to its recipient and every access is "
         "recorded.";
}

}  // namespace forewarn
