#include "delivery/visibility.h"

namespace forewarn::delivery {

std::optional<int> WaveGate::VisibleRevision(const Partner& partner, const Advisory& advisory,
                                             const std::vector<Release>& releases,
                                             TimePoint now) const {
  if (partner.status != PartnerStatus::kActive) return std::nullopt;
  std::optional<int> newest;
  for (const auto& release : releases) {
    if (release.kind != ReleaseKind::kWave || release.tier != partner.tier || release.at > now) {
      continue;
    }
    // Waves that had not opened when the advisory was withdrawn never open.
    if (advisory.withdrawn_at && release.at > *advisory.withdrawn_at) continue;
    if (!newest || release.revision > *newest) newest = release.revision;
  }
  return newest;
}

std::optional<std::string> WaveGate::DeliveredForm(const Partner& partner, const Advisory& advisory,
                                                   const Revision& revision,
                                                   const Artifact& artifact,
                                                   const std::vector<Artifact>& alternatives,
                                                   TimePoint now) const {
  (void)partner;
  (void)revision;
  (void)alternatives;
  (void)now;
  if (!artifact.alternative_of.empty() || advisory.withdrawn_at) return std::nullopt;
  return artifact.id;
}

}  // namespace forewarn::delivery
