// File: delivery/visibility.h
//
// The single decision of what a partner may see (DESIGN.md capability 3, and later 4): every
// partner read path and every delivery asks a VisibilityGate, and nothing else decides.
// Before a partner's wave opens the advisory does not exist for it; the policy engine plugs in
// here by wrapping or replacing the gate.
//
//   delivery::WaveGate gate;
//   if (auto revision = gate.VisibleRevision(partner, advisory, releases, now)) { ... }
//
// Thread safety: gates are immutable; their const methods may be called concurrently.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/advisory.h"
#include "core/clock.h"
#include "core/partner.h"

namespace forewarn::delivery {

class VisibilityGate {
 public:
  virtual ~VisibilityGate() = default;

  // The newest revision of `advisory` that `partner` may see at `now`, or nullopt if, for
  // this partner, the advisory must not appear to exist. `releases` are all of the advisory's
  // release rows.
  virtual std::optional<int> VisibleRevision(const Partner& partner, const Advisory& advisory,
                                             const std::vector<Release>& releases,
                                             TimePoint now) const = 0;

  // Which artifact the partner receives for the primary artifact `artifact` of a revision it
  // may see: the artifact's own id, the id of one of `alternatives` (its alternative forms in
  // the same revision), or nullopt for nothing.
  virtual std::optional<std::string> DeliveredForm(const Partner& partner, const Advisory& advisory,
                                                   const Revision& revision,
                                                   const Artifact& artifact,
                                                   const std::vector<Artifact>& alternatives,
                                                   TimePoint now) const = 0;
};

// Visibility by partner status, tier and wave time alone: an active partner sees the newest
// revision whose wave for its tier has opened, and every primary artifact in its original form.
// A withdrawn advisory stays visible (as withdrawn) only to tiers whose wave had opened.
class WaveGate final : public VisibilityGate {
 public:
  std::optional<int> VisibleRevision(const Partner& partner, const Advisory& advisory,
                                     const std::vector<Release>& releases,
                                     TimePoint now) const override;
  std::optional<std::string> DeliveredForm(const Partner& partner, const Advisory& advisory,
                                           const Revision& revision, const Artifact& artifact,
                                           const std::vector<Artifact>& alternatives,
                                           TimePoint now) const override;
};

}  // namespace forewarn::delivery
