// File: policy/policy.h
//
// The policy language (DESIGN.md capability 4): declarative `permit`, `forbid` and `substitute`
// rules over partner, advisory, artifact and time attributes, compiled into an immutable rule
// set that answers "may this partner see this advisory / receive this artifact, and in which
// form?". The grammar is documented in docs/policy.md.
//
//   FW_ASSIGN_OR_RETURN(auto policy, policy::Policy::Compile(text));
//   policy::Facts facts{.partner = &partner, .advisory = &advisory, .revision = &revision,
//                       .artifact = &artifact, .now = clock.Now()};
//   if (policy->Decide(policy::Resource::kArtifact, facts).verdict == Verdict::kSubstitute) ...
//
// Combination: default deny; forbid overrides substitute, substitute overrides permit.
// The policy only narrows what the embargo allows: waves, withdrawal and partner status are
// decided before a policy is asked (delivery/visibility.h), so no rule can open an embargo.
//
// Decisions index rules on the attributes their conditions require (e.g. `artifact.kind ==
// "poc"` files a rule under kind=poc), so a decision looks at the few rules that can apply
// rather than scanning all of them.
//
// Thread safety: a compiled Policy is immutable; all its const methods may be called
// concurrently.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/advisory.h"
#include "core/clock.h"
#include "core/partner.h"
#include "core/result.h"

namespace forewarn::policy {

enum class Effect { kPermit, kForbid, kSubstitute };
std::string_view ToString(Effect effect);

// What a rule is about: whether an advisory is visible at all, or what happens to one artifact.
enum class Resource { kAdvisory, kArtifact };
std::string_view ToString(Resource resource);

// The outcome of one decision. kDeny means no rule applied (default deny).
enum class Verdict { kPermit, kForbid, kSubstitute, kDeny };
std::string_view ToString(Verdict verdict);

// Everything a rule may ask about. Pointers are borrowed for the duration of the call;
// `partner`, `advisory` and `revision` are required, `artifact` only for artifact decisions.
struct Facts {
  const Partner* partner = nullptr;
  const Advisory* advisory = nullptr;
  const Revision* revision = nullptr;  // the revision the partner sees: cves, products
  const Artifact* artifact = nullptr;
  // The highest CVSS base score among the revision's vectors and its severity
  // ("none", "low", "medium", "high", "critical"); 0 and "none" when there are no vectors.
  // Computed by the caller (scoring lives above this module); see Policy::uses_cvss().
  double cvss = 0;
  std::string_view severity = "none";
  // When the partner's tier first got `revision`; unset if not known.
  std::optional<TimePoint> wave_opened_at;
  TimePoint now;
};

// A problem found in a policy text, at a 1-based line and column.
struct Diagnostic {
  enum class Severity { kError, kWarning };
  Severity severity = Severity::kError;
  int line = 0;
  int column = 0;
  std::string message;
};
// "line 3, column 17: unknown attribute 'partner.teir' (did you mean 'partner.tier'?)"
std::string ToString(const Diagnostic& diagnostic);

// One rule as written.
struct RuleInfo {
  std::string name;  // given with `rule NAME`, else "line N"
  Effect effect = Effect::kPermit;
  Resource resource = Resource::kArtifact;
  int line = 0;
  int column = 0;
  size_t begin = 0;  // byte offsets of the rule's text in the policy source, [begin, end),
  size_t end = 0;    // from its first token through the terminating ';'
  std::string text;  // the rule's source text, whitespace runs collapsed to one space
};

struct Decision {
  Verdict verdict = Verdict::kDeny;
  int rule = -1;  // index into rules() of a rule that decided, or -1 for default deny
};

struct Explanation {
  Verdict verdict = Verdict::kDeny;
  std::vector<int> matched;  // indexes into rules() of every rule whose condition held, in order
};

// Names and values that exist in the program, for warnings about values no partner or
// advisory has (a misspelt tier or label silently matches nothing).
struct Vocabulary {
  std::vector<std::string> tiers;
  std::vector<std::string> labels;  // every label some partner carries
  std::vector<std::string> partner_ids;
  std::vector<std::string> advisory_ids;
};

struct CompileOptions {
  // Index rules on their required attributes (the default). Off, every decision scans every
  // rule: the baseline the benchmark compares against, and a cross-check in tests.
  bool index = true;
};

class Policy {
 public:
  // Parses and type-checks `text`. kInvalidArgument with every error, one per line, each as
  // ToString(Diagnostic) — the first line names the first error. An empty text (or only
  // comments) is a valid policy that denies everything.
  [[nodiscard]] static Result<std::shared_ptr<const Policy>> Compile(std::string_view text,
                                                                     CompileOptions options = {});

  // Every error and warning in `text`, in source order (no Result: a linter's answer). With a
  // vocabulary, also warns about tiers, labels, partner and advisory ids that do not exist.
  static std::vector<Diagnostic> Check(std::string_view text,
                                       const Vocabulary* vocabulary = nullptr);

  // The decision for `resource` (artifact decisions need facts.artifact). Forbid overrides
  // substitute, substitute overrides permit, no matching rule is kDeny. Substitute rules are
  // not consulted for an artifact that is itself an alternative form (facts.artifact has
  // alternative_of set): it is the substitute, and needs a permit.
  Decision Decide(Resource resource, const Facts& facts) const;

  // The same decision with every rule whose condition held, for `policy explain`.
  Explanation Explain(Resource resource, const Facts& facts) const;

  const std::vector<RuleInfo>& rules() const;
  const std::string& text() const;
  // True if some rule reads advisory.cvss or advisory.severity (callers may skip scoring).
  bool uses_cvss() const;

  ~Policy();
  Policy(const Policy&) = delete;
  Policy& operator=(const Policy&) = delete;

 private:
  struct Impl;
  explicit Policy(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The policy of a new program: every advisory and artifact the embargo allows.
std::string_view DefaultPolicyText();

}  // namespace forewarn::policy
