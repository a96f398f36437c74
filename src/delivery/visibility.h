// File: delivery/visibility.h
//
// The single decision of what a partner may see and receive (DESIGN.md capabilities 3 and 4):
// every partner read path and every delivery asks a VisibilityGate, and nothing else decides.
// Two layers, always in this order:
//   1. the embargo — an active partner, the newest revision whose wave for its tier has opened,
//      nothing of a withdrawn advisory's unopened waves (EmbargoRevision);
//   2. the policy — advisory rules decide whether that revision is visible at all; artifact
//      rules decide, per primary artifact, the original, a permitted alternative form, or
//      nothing.
// No policy can open an embargo; a policy can only narrow what the embargo allows.
//
//   delivery::VisibilityGate gate(active_policy);
//   auto number = delivery::EmbargoRevision(partner, advisory, releases, now);
//   if (number && gate.MaySee(partner, advisory, revision, releases, now)) { ... }
//
// Thread safety: gates are immutable; their const methods may be called concurrently.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/advisory.h"
#include "core/clock.h"
#include "core/partner.h"
#include "policy/policy.h"

namespace forewarn::delivery {

// The newest revision of `advisory` whose wave for the partner's tier has opened by `now`, or
// nullopt (the advisory must not appear to exist for this partner). Only active partners see
// anything; waves that had not opened when the advisory was withdrawn never open.
std::optional<int> EmbargoRevision(const Partner& partner, const Advisory& advisory,
                                   const std::vector<Release>& releases, TimePoint now);

// A primary artifact of a revision with its alternative forms in that revision, in the
// revision's order. Pointers point into the artifact list the group was made from.
struct ArtifactGroup {
  const Artifact* primary = nullptr;
  std::vector<const Artifact*> forms;
};

// The groups of `revision`: every primary in its artifact set, in order, with its forms.
std::vector<ArtifactGroup> GroupArtifacts(const Revision& revision,
                                          const std::vector<Artifact>& artifacts);

// How one primary artifact reaches a partner, and why.
struct ArtifactDecision {
  policy::Explanation primary;  // the policy's answer for the original
  // For each alternative form (in the revision's order), the policy's answer for it; filled
  // only when the primary was substituted.
  std::vector<std::pair<const Artifact*, policy::Explanation>> alternatives;
  const Artifact* delivered = nullptr;  // the original, an alternative form, or nothing
};

class VisibilityGate {
 public:
  explicit VisibilityGate(std::shared_ptr<const policy::Policy> policy);

  // Whether the advisory rules let `partner` see `revision` (one the embargo already allows).
  bool MaySee(const Partner& partner, const Advisory& advisory, const Revision& revision,
              const std::vector<Release>& releases, TimePoint now) const;

  // What the partner receives of `group` (a primary of a revision it may see): the primary,
  // one of its forms, or nullptr for nothing. Forbid or no permit: nothing; substitute: the
  // first alternative form the policy permits, else nothing; permit: the original. A
  // withdrawn advisory delivers no artifacts.
  const Artifact* DeliveredForm(const Partner& partner, const Advisory& advisory,
                                const Revision& revision, const ArtifactGroup& group,
                                const std::vector<Release>& releases, TimePoint now) const;

  // The same decisions with every rule that applied, for `policy explain`.
  policy::Explanation ExplainAdvisory(const Partner& partner, const Advisory& advisory,
                                      const Revision& revision,
                                      const std::vector<Release>& releases, TimePoint now) const;
  ArtifactDecision ExplainArtifact(const Partner& partner, const Advisory& advisory,
                                   const Revision& revision, const ArtifactGroup& group,
                                   const std::vector<Release>& releases, TimePoint now) const;

  const policy::Policy& policy() const { return *policy_; }

 private:
  policy::Facts MakeFacts(const Partner& partner, const Advisory& advisory,
                          const Revision& revision, const std::vector<Release>& releases,
                          TimePoint now) const;
  std::shared_ptr<const policy::Policy> policy_;
};

}  // namespace forewarn::delivery
