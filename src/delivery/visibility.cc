#include "delivery/visibility.h"

#include <algorithm>
#include <map>

#include "standards/cvss.h"

namespace forewarn::delivery {
namespace {

// The policy language's severity names, as constants the facts can point at.
std::string_view SeverityName(double score) {
  if (score >= 9.0) return "critical";
  if (score >= 7.0) return "high";
  if (score >= 4.0) return "medium";
  if (score > 0.0) return "low";
  return "none";
}

}  // namespace

std::optional<int> EmbargoRevision(const Partner& partner, const Advisory& advisory,
                                   const std::vector<Release>& releases, TimePoint now) {
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

std::vector<ArtifactGroup> GroupArtifacts(const Revision& revision,
                                          const std::vector<Artifact>& artifacts) {
  std::map<std::string_view, const Artifact*> in_revision;
  for (const auto& id : revision.artifact_ids) in_revision.emplace(id, nullptr);
  for (const auto& a : artifacts) {
    if (auto it = in_revision.find(a.id); it != in_revision.end()) it->second = &a;
  }
  std::vector<ArtifactGroup> groups;
  for (const auto& id : revision.artifact_ids) {
    const Artifact* primary = in_revision[id];
    if (primary == nullptr || !primary->alternative_of.empty()) continue;
    ArtifactGroup group{.primary = primary, .forms = {}};
    for (const auto& other : revision.artifact_ids) {
      const Artifact* form = in_revision[other];
      if (form != nullptr && form->alternative_of == id) group.forms.push_back(form);
    }
    groups.push_back(std::move(group));
  }
  return groups;
}

VisibilityGate::VisibilityGate(std::shared_ptr<const policy::Policy> policy)
    : policy_(std::move(policy)) {}

policy::Facts VisibilityGate::FactsFor(const Partner& partner, const Advisory& advisory,
                                       const Revision& revision,
                                       const std::vector<Release>& releases, TimePoint now) const {
  policy::Facts facts{.partner = &partner,
                      .advisory = &advisory,
                      .revision = &revision,
                      .artifact = nullptr,
                      .now = now};
  if (const Release* wave = FindWave(releases, revision.number, partner.tier)) {
    facts.wave_opened_at = wave->at;
  }
  if (policy_->uses_cvss()) {
    // Scored only when a rule asks: most policies never look at CVSS.
    for (const auto& vector : revision.content.cvss_vectors) {
      auto score = standards::ScoreCvss(vector);
      if (score && score->base_score > facts.cvss) facts.cvss = score->base_score;
    }
    facts.severity = SeverityName(facts.cvss);
  }
  return facts;
}

bool VisibilityGate::MaySee(const policy::Facts& facts) const {
  return policy_->Decide(policy::Resource::kAdvisory, facts).verdict == policy::Verdict::kPermit;
}

bool VisibilityGate::SubstituteAllowed(policy::Facts facts, const Artifact& form) const {
  facts.artifact = &form;
  // Explain lists substitute rules that held even though they do not decide for a form.
  const auto why = policy_->Explain(policy::Resource::kArtifact, facts);
  if (why.verdict != policy::Verdict::kPermit) return false;
  const auto& rules = policy_->rules();
  return std::none_of(why.matched.begin(), why.matched.end(), [&](int index) {
    return rules[static_cast<size_t>(index)].effect == policy::Effect::kSubstitute;
  });
}

const Artifact* VisibilityGate::DeliveredForm(const policy::Facts& base,
                                              const ArtifactGroup& group) const {
  if (group.primary == nullptr || !group.primary->alternative_of.empty() ||
      base.advisory->withdrawn_at) {
    return nullptr;
  }
  policy::Facts facts = base;
  facts.artifact = group.primary;
  switch (policy_->Decide(policy::Resource::kArtifact, facts).verdict) {
    case policy::Verdict::kPermit:
      return group.primary;
    case policy::Verdict::kSubstitute:
      for (const Artifact* form : group.forms) {
        if (SubstituteAllowed(base, *form)) return form;
      }
      return nullptr;
    case policy::Verdict::kForbid:
    case policy::Verdict::kDeny:
      return nullptr;
  }
  return nullptr;
}

policy::Explanation VisibilityGate::ExplainAdvisory(const policy::Facts& facts) const {
  return policy_->Explain(policy::Resource::kAdvisory, facts);
}

ArtifactDecision VisibilityGate::ExplainArtifact(const policy::Facts& base,
                                                 const ArtifactGroup& group) const {
  policy::Facts facts = base;
  facts.artifact = group.primary;
  ArtifactDecision decision;
  decision.primary = policy_->Explain(policy::Resource::kArtifact, facts);
  if (decision.primary.verdict == policy::Verdict::kSubstitute) {
    for (const Artifact* form : group.forms) {
      facts.artifact = form;
      decision.alternatives.emplace_back(form,
                                         policy_->Explain(policy::Resource::kArtifact, facts));
    }
  }
  // The delivered form comes from the same function every read path uses.
  decision.delivered = DeliveredForm(base, group);
  return decision;
}

}  // namespace forewarn::delivery
