// File: delivery/impact.h
//
// What a policy means for real partners (DESIGN.md capability 4), for operators:
//   - Explain: why a partner can or cannot see an advisory and receive each artifact — the
//     embargo state of its tier's waves, then every policy rule that applied;
//   - PreviewImpact: before a policy is applied, which partners gain or lose which advisories,
//     artifacts or forms, compared with the policy in force.
// Both use the same VisibilityGate as every read path, so what they say is what partners get.
//
//   delivery::PolicyInsight insight(store, policies, clock);
//   FW_ASSIGN_OR_RETURN(auto why, insight.Explain(operator, {.partner_id = p, .advisory_id = a}));
//   FW_ASSIGN_OR_RETURN(auto impact, insight.PreviewImpact(operator, candidate_text,
//   std::nullopt));
//
// Errors: kPermissionDenied (needs kPolicyRead), kNotFound (partner, advisory or artifact),
// kInvalidArgument (the candidate text does not compile), kUnavailable (store).
// Thread safety: all methods may be called concurrently.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "core/auth.h"
#include "core/clock.h"
#include "core/result.h"
#include "policy/service.h"
#include "store/store.h"

namespace forewarn::delivery {

struct ExplainRequest {
  std::string partner_id;
  std::string advisory_id;
  std::string artifact_id;          // "" = every artifact of the visible revision
  std::optional<TimePoint> at;      // default: now
  std::optional<std::string> text;  // a candidate policy instead of the one in force
};

class PolicyInsight {
 public:
  PolicyInsight(store::Store& store, const policy::PolicyService& policies, const Clock& clock);

  // {"partner":{...},"advisory":{id, revision|null, ...},"at","policy":{version|"candidate"},
  //  "embargo":{"visible","reason"},"decision":{"verdict","reason","rules":[...]}|null,
  //  "artifacts":[{"artifact","kind","verdict","rules":[...],"alternatives":[...],
  //  "delivered":{"id","form"}|null,"reason"}]}
  [[nodiscard]] Result<nlohmann::json> Explain(const Principal& caller,
                                               const ExplainRequest& request) const;

  // Every change between the policy in force and `candidate_text` at `at` (default now), for
  // every active partner and every advisory its embargo allows:
  // {"at","current_version","changes":[{"partner","partner_name","advisory","revision",
  //  "artifact","kind","before":{"id","form"}|null,"after":{"id","form"}|null,"change":
  //  "gains"|"loses"|"form"}], "advisories":[{"partner","advisory","change":"gains"|"loses"}],
  //  "summary":{"partners_affected","gains","losses","form_changes","decisions"}}
  [[nodiscard]] Result<nlohmann::json> PreviewImpact(const Principal& caller,
                                                     const std::string& candidate_text,
                                                     std::optional<TimePoint> at) const;

 private:
  store::Store& store_;
  const policy::PolicyService& policies_;
  const Clock& clock_;
};

}  // namespace forewarn::delivery
