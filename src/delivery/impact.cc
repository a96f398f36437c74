#include "delivery/impact.h"

#include <fmt/format.h>

#include <map>
#include <set>

#include "core/time.h"
#include "delivery/visibility.h"

namespace forewarn::delivery {
namespace {

using nlohmann::json;

// Preview answers list at most this many changes (the summary still counts all of them).
constexpr size_t kMaxListedChanges = 5000;

json RuleJson(const policy::Policy& policy, int index) {
  const auto& rule = policy.rules().at(static_cast<size_t>(index));
  return {{"index", index},
          {"name", rule.name},
          {"effect", policy::ToString(rule.effect)},
          {"resource", policy::ToString(rule.resource)},
          {"line", rule.line},
          {"text", rule.text}};
}

json RulesJson(const policy::Policy& policy, const std::vector<int>& matched) {
  json out = json::array();
  for (int index : matched) out.push_back(RuleJson(policy, index));
  return out;
}

// The first matched rule with `effect`, by name and line, for reasons.
std::string FirstRule(const policy::Policy& policy, const std::vector<int>& matched,
                      policy::Effect effect) {
  for (int index : matched) {
    const auto& rule = policy.rules().at(static_cast<size_t>(index));
    if (rule.effect != effect) continue;
    // Unnamed rules are named after their line already.
    if (rule.name == fmt::format("line {}", rule.line)) return rule.name;
    return fmt::format("'{}' (line {})", rule.name, rule.line);
  }
  return "?";
}

json FormJson(const Artifact* delivered, const Artifact* primary) {
  if (delivered == nullptr) return nullptr;
  return {{"id", delivered->id},
          {"kind", ToString(delivered->kind)},
          {"form", delivered == primary ? "original" : "alternative"}};
}

std::string ArtifactReason(const policy::Policy& policy, const ArtifactDecision& decision,
                           const Advisory& advisory) {
  if (advisory.withdrawn_at) return "the advisory was withdrawn: no artifacts are served";
  const auto& matched = decision.primary.matched;
  switch (decision.primary.verdict) {
    case policy::Verdict::kForbid:
      return "forbidden by rule " + FirstRule(policy, matched, policy::Effect::kForbid);
    case policy::Verdict::kDeny:
      return "no rule permits it (default deny)";
    case policy::Verdict::kPermit:
      return "permitted by rule " + FirstRule(policy, matched, policy::Effect::kPermit);
    case policy::Verdict::kSubstitute: {
      const std::string by = FirstRule(policy, matched, policy::Effect::kSubstitute);
      if (decision.delivered == nullptr) {
        return fmt::format(
            "rule {} substitutes an alternative form, but none of its {} forms "
            "is permitted: nothing is delivered",
            by, decision.alternatives.size());
      }
      for (const auto& [form, why] : decision.alternatives) {
        if (form == decision.delivered) {
          return fmt::format(
              "rule {} substitutes the alternative form {} ({}), permitted by rule {}", by,
              form->id, ToString(form->kind),
              FirstRule(policy, why.matched, policy::Effect::kPermit));
        }
      }
      return "rule " + by + " substitutes an alternative form";
    }
  }
  return "";
}

// Why the embargo does or does not let the partner see the advisory at `at`.
std::string EmbargoReason(const Partner& partner, const Advisory& advisory,
                          const std::vector<Release>& releases, std::optional<int> revision,
                          TimePoint at) {
  if (partner.status != PartnerStatus::kActive) {
    return fmt::format("partner is {}: it receives nothing", ToString(partner.status));
  }
  if (revision) {
    const Release* wave = FindWave(releases, *revision, partner.tier);
    return fmt::format("revision {} reached tier {} at {}", *revision, partner.tier,
                       wave != nullptr ? FormatTime(wave->at) : "?");
  }
  const Release* next = nullptr;
  for (const auto& release : releases) {
    if (release.kind != ReleaseKind::kWave || release.tier != partner.tier || release.at <= at) {
      continue;
    }
    if (next == nullptr || release.at < next->at) next = &release;
  }
  if (next == nullptr) return fmt::format("no wave is scheduled for tier {}", partner.tier);
  if (advisory.withdrawn_at && next->at > *advisory.withdrawn_at) {
    return fmt::format("withdrawn at {} before any wave of tier {} opened",
                       FormatTime(*advisory.withdrawn_at), partner.tier);
  }
  return fmt::format("embargoed: no wave of tier {} has opened; revision {}'s opens at {}",
                     partner.tier, next->revision, FormatTime(next->at));
}

}  // namespace

PolicyInsight::PolicyInsight(store::Store& store, const policy::PolicyService& policies,
                             const Clock& clock)
    : store_(store), policies_(policies), clock_(clock) {}

Result<json> PolicyInsight::Explain(const Principal& caller, const ExplainRequest& request) const {
  FW_TRY(Authorize(caller, Action::kPolicyRead));
  const TimePoint at = request.at.value_or(clock_.Now());
  std::shared_ptr<const policy::Policy> policy;
  json policy_json;
  if (request.text) {
    FW_ASSIGN_OR_RETURN(policy, policy::Policy::Compile(*request.text));
    policy_json = {{"version", "candidate"}};
  }
  FW_ASSIGN_OR_RETURN(auto tx, store_.Begin(store::TxMode::kRead));
  if (!policy) {
    FW_ASSIGN_OR_RETURN(auto active, policies_.Current(*tx));
    policy = active->policy;
    policy_json = {{"version", active->version.version}, {"sha256", active->version.sha256}};
  }
  FW_ASSIGN_OR_RETURN(auto partner, tx->FindPartner(request.partner_id));
  if (!partner) {
    return Fail(ErrorCode::kNotFound,
                fmt::format("partner {} not found", request.partner_id.substr(0, 64)));
  }
  FW_ASSIGN_OR_RETURN(auto advisory, tx->FindAdvisory(request.advisory_id));
  if (!advisory) {
    return Fail(ErrorCode::kNotFound,
                fmt::format("advisory {} not found", request.advisory_id.substr(0, 64)));
  }
  FW_ASSIGN_OR_RETURN(auto releases, tx->ListReleases(advisory->id));
  const auto number = EmbargoRevision(*partner, *advisory, releases, at);
  json out = {{"partner",
               {{"id", partner->id},
                {"name", partner->name},
                {"status", ToString(partner->status)},
                {"tier", partner->tier},
                {"country", partner->country},
                {"labels", partner->labels}}},
              {"advisory", {{"id", advisory->id}, {"revision", number ? json(*number) : json()}}},
              {"at", FormatTime(at)},
              {"policy", policy_json},
              {"embargo",
               {{"visible", number.has_value()},
                {"reason", EmbargoReason(*partner, *advisory, releases, number, at)}}},
              {"decision", nullptr},
              {"artifacts", json::array()}};
  if (!number) {
    if (!request.artifact_id.empty()) {
      // Still check the id, so a typo is not mistaken for an embargo.
      FW_ASSIGN_OR_RETURN(auto artifact, tx->FindArtifact(request.artifact_id));
      if (!artifact || artifact->advisory_id != advisory->id) {
        return Fail(ErrorCode::kNotFound,
                    fmt::format("artifact {} not found in advisory {}",
                                request.artifact_id.substr(0, 64), advisory->id));
      }
    }
    return out;
  }
  FW_ASSIGN_OR_RETURN(auto revision, tx->FindRevision(advisory->id, *number));
  if (!revision) {
    return Fail(ErrorCode::kInternal,
                fmt::format("revision {} of {} is missing", *number, advisory->id));
  }
  const VisibilityGate gate(policy);
  const auto facts = gate.FactsFor(*partner, *advisory, *revision, releases, at);
  const auto seen = gate.ExplainAdvisory(facts);
  const bool visible = seen.verdict == policy::Verdict::kPermit;
  out["advisory"]["title"] = revision->content.title;
  out["decision"] = {
      {"verdict", policy::ToString(seen.verdict)},
      {"visible", visible},
      {"reason",
       visible ? "permitted by rule " + FirstRule(*policy, seen.matched, policy::Effect::kPermit)
       : seen.verdict == policy::Verdict::kForbid
           ? "forbidden by rule " + FirstRule(*policy, seen.matched, policy::Effect::kForbid)
           : std::string("no rule permits the advisory (default deny): it does not "
                         "exist for this partner")},
      {"rules", RulesJson(*policy, seen.matched)}};
  FW_ASSIGN_OR_RETURN(auto artifacts, tx->ListArtifacts(advisory->id));
  const auto groups = GroupArtifacts(*revision, artifacts);
  bool found_artifact = request.artifact_id.empty();
  for (const auto& group : groups) {
    if (!request.artifact_id.empty()) {
      bool match = group.primary->id == request.artifact_id;
      for (const Artifact* form : group.forms) match = match || form->id == request.artifact_id;
      if (!match) continue;
      found_artifact = true;
    }
    json item = {{"artifact", group.primary->id},
                 {"kind", ToString(group.primary->kind)},
                 {"sensitivity", ToString(group.primary->sensitivity)},
                 {"title", group.primary->title}};
    if (!visible) {
      item["verdict"] = nullptr;
      item["delivered"] = nullptr;
      item["reason"] = "the advisory is not visible to this partner";
      out["artifacts"].push_back(item);
      continue;
    }
    const auto decision = gate.ExplainArtifact(facts, group);
    item["verdict"] = policy::ToString(decision.primary.verdict);
    item["rules"] = RulesJson(*policy, decision.primary.matched);
    json forms = json::array();
    for (const auto& [form, why] : decision.alternatives) {
      forms.push_back({{"id", form->id},
                       {"kind", ToString(form->kind)},
                       {"verdict", policy::ToString(why.verdict)},
                       {"rules", RulesJson(*policy, why.matched)}});
    }
    item["alternatives"] = forms;
    item["delivered"] = FormJson(decision.delivered, group.primary);
    item["reason"] = ArtifactReason(*policy, decision, *advisory);
    out["artifacts"].push_back(item);
  }
  if (!found_artifact) {
    return Fail(ErrorCode::kNotFound,
                fmt::format("artifact {} is not in revision {} of advisory {}",
                            request.artifact_id.substr(0, 64), *number, advisory->id));
  }
  return out;
}

Result<json> PolicyInsight::PreviewImpact(const Principal& caller,
                                          const std::string& candidate_text,
                                          std::optional<TimePoint> at_opt) const {
  FW_TRY(Authorize(caller, Action::kPolicyRead));
  const TimePoint at = at_opt.value_or(clock_.Now());
  FW_ASSIGN_OR_RETURN(auto candidate, policy::Policy::Compile(candidate_text));
  FW_ASSIGN_OR_RETURN(auto tx, store_.Begin(store::TxMode::kRead));
  FW_ASSIGN_OR_RETURN(auto active, policies_.Current(*tx));
  const VisibilityGate before(active->policy);
  const VisibilityGate after(candidate);

  // Everything about one advisory that the decisions need, loaded once.
  struct Loaded {
    Advisory advisory;
    std::vector<Release> releases;
    std::vector<Artifact> artifacts;
    std::map<int, Revision> revisions;
  };
  std::map<std::string, Loaded> advisories;
  std::map<std::string, std::vector<std::string>> opened_by_tier;
  FW_ASSIGN_OR_RETURN(auto partners, tx->ListPartners({.status = PartnerStatus::kActive}));

  json changes = json::array();
  json advisory_changes = json::array();
  std::set<std::string> affected;
  size_t gains = 0;
  size_t losses = 0;
  size_t form_changes = 0;
  size_t decisions = 0;
  size_t listed = 0;
  const auto note = [&](json entry) {
    if (listed++ < kMaxListedChanges) changes.push_back(std::move(entry));
  };
  for (const auto& partner : partners) {
    auto [tier_it, new_tier] = opened_by_tier.try_emplace(partner.tier);
    if (new_tier) {
      FW_ASSIGN_OR_RETURN(tier_it->second, tx->ListAdvisoriesOpenedFor(partner.tier, at));
    }
    for (const auto& id : tier_it->second) {
      auto it = advisories.find(id);
      if (it == advisories.end()) {
        FW_ASSIGN_OR_RETURN(auto advisory, tx->FindAdvisory(id));
        if (!advisory) continue;  // cannot happen in one snapshot; nothing to decide if it does
        it = advisories.try_emplace(id).first;
        Loaded& loaded = it->second;
        loaded.advisory = std::move(*advisory);
        FW_ASSIGN_OR_RETURN(loaded.releases, tx->ListReleases(id));
        FW_ASSIGN_OR_RETURN(loaded.artifacts, tx->ListArtifacts(id));
      }
      Loaded& loaded = it->second;
      const auto number = EmbargoRevision(partner, loaded.advisory, loaded.releases, at);
      if (!number) continue;
      auto rev_it = loaded.revisions.find(*number);
      if (rev_it == loaded.revisions.end()) {
        FW_ASSIGN_OR_RETURN(auto revision, tx->FindRevision(id, *number));
        if (!revision) continue;
        rev_it = loaded.revisions.emplace(*number, std::move(*revision)).first;
      }
      const Revision& revision = rev_it->second;
      const auto facts_before =
          before.FactsFor(partner, loaded.advisory, revision, loaded.releases, at);
      const auto facts_after =
          after.FactsFor(partner, loaded.advisory, revision, loaded.releases, at);
      const bool saw = before.MaySee(facts_before);
      const bool sees = after.MaySee(facts_after);
      ++decisions;
      if (saw != sees) {
        affected.insert(partner.id);
        advisory_changes.push_back({{"partner", partner.id},
                                    {"partner_name", partner.name},
                                    {"advisory", id},
                                    {"revision", revision.number},
                                    {"change", sees ? "gains" : "loses"}});
      }
      for (const auto& group : GroupArtifacts(revision, loaded.artifacts)) {
        const Artifact* had = saw ? before.DeliveredForm(facts_before, group) : nullptr;
        const Artifact* gets = sees ? after.DeliveredForm(facts_after, group) : nullptr;
        ++decisions;
        if (had == gets) continue;
        affected.insert(partner.id);
        std::string change = "form";
        if (had == nullptr) {
          change = "gains";
          ++gains;
        } else if (gets == nullptr) {
          change = "loses";
          ++losses;
        } else {
          ++form_changes;
        }
        note({{"partner", partner.id},
              {"partner_name", partner.name},
              {"advisory", id},
              {"revision", revision.number},
              {"artifact", group.primary->id},
              {"kind", ToString(group.primary->kind)},
              {"before", FormJson(had, group.primary)},
              {"after", FormJson(gets, group.primary)},
              {"change", change}});
      }
    }
  }
  return json{{"at", FormatTime(at)},
              {"current_version", active->version.version},
              {"changes", changes},
              {"truncated", listed > kMaxListedChanges},
              {"advisories", advisory_changes},
              {"summary",
               {{"partners_affected", affected.size()},
                {"gains", gains},
                {"losses", losses},
                {"form_changes", form_changes},
                {"advisory_changes", advisory_changes.size()},
                {"decisions", decisions}}}};
}

}  // namespace forewarn::delivery
