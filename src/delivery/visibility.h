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
//   auto facts = gate.FactsFor(partner, advisory, revision_number_n, releases, now);
//   if (number && gate.MaySee(facts)) { ... gate.DeliveredForm(facts, group) ... }
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

  // What the policy may ask about `revision` for `partner` at `now`: the tier's wave time, and
  // the CVSS score and severity when a rule reads them. Build it once per revision and pass it
  // to the decisions below; it points at its arguments, which must outlive it.
  policy::Facts FactsFor(const Partner& partner, const Advisory& advisory, const Revision& revision,
                         const std::vector<Release>& releases, TimePoint now) const;

  // Whether the advisory rules let the partner see the revision (one the embargo allows).
  bool MaySee(const policy::Facts& facts) const;

  // What the partner receives of `group` (a primary of a revision it may see): the primary,
  // one of its forms, or nullptr for nothing. Forbid or no permit: nothing. Substitute: the
  // first alternative form that the policy permits and that no substitute rule applies to
  // (a form the same restriction would withhold as a primary — say a PoC given as another
  // PoC's alternative — is never the substitute); else nothing. Permit: the original. A
  // withdrawn advisory delivers no artifacts. `facts` comes from FactsFor.
  const Artifact* DeliveredForm(const policy::Facts& facts, const ArtifactGroup& group) const;

  // The same decisions with every rule that applied, for `policy explain`.
  policy::Explanation ExplainAdvisory(const policy::Facts& facts) const;
  ArtifactDecision ExplainArtifact(const policy::Facts& facts, const ArtifactGroup& group) const;

  const policy::Policy& policy() const { return *policy_; }

 private:
  // Whether `form` may stand in for a substituted primary.
  bool SubstituteAllowed(policy::Facts facts, const Artifact& form) const;
  std::shared_ptr<const policy::Policy> policy_;
};

}  // namespace forewarn::delivery
