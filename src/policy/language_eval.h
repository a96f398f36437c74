// File: policy/language_eval.h (internal to policy/)
//
// Evaluates compiled rules against Facts, and the rule index that picks the few rules that
// can apply to a decision (docs/policy.md, "Indexing").
//
//   RuleSet set(std::move(compiled_rules), /*index=*/true);
//   Decision d = set.Decide(Resource::kArtifact, facts);
//
// A RuleSet is immutable after construction; Decide and Explain may run concurrently and do
// not allocate (Explain allocates its result).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "policy/language_expr.h"
#include "policy/policy.h"

namespace forewarn::policy::language {

struct CompiledRule {
  Effect effect = Effect::kPermit;
  Resource resource = Resource::kAdvisory;
  Expr condition;
};

// True if `expr` holds for `facts` (the pointers its attributes need must be set).
bool Eval(const Expr& expr, const Facts& facts);

class RuleSet {
 public:
  // With `index` false every decision checks every rule of its resource.
  RuleSet(std::vector<CompiledRule> rules, bool index);

  Decision Decide(Resource resource, const Facts& facts) const;
  Explanation Explain(Resource resource, const Facts& facts) const;

 private:
  // Effects in the order they are consulted.
  static constexpr int kForbidSlot = 0;
  static constexpr int kSubstituteSlot = 1;
  static constexpr int kPermitSlot = 2;

  // Rule numbers, ascending within each effect: [0, substitute) forbid,
  // [substitute, permit) substitute, [permit, size) permit.
  struct Bucket {
    std::vector<int> rules;
    uint32_t substitute = 0;
    uint32_t permit = 0;
    bool keyed = false;  // found by a key: evaluate residuals
  };
  // Built per slot, then packed into a Bucket.
  struct BucketBuilder {
    std::array<std::vector<int>, 3> by_slot;
  };
  // An immutable open-addressing hash table from key to bucket with string_view lookup and
  // no allocation (linear probing, at most half full).
  class KeyTable {
   public:
    void Build(std::vector<std::pair<std::string, BucketBuilder>> entries);
    const Bucket* Find(std::string_view key) const;

   private:
    struct Slot {
      uint64_t hash = 0;
      uint32_t entry = 0;  // 1 + index into entries_, 0 for an empty slot
    };
    // A key next to its bucket: a hit reads one entry, then the bucket's rules.
    struct Entry {
      std::string key;
      Bucket bucket;
    };
    std::vector<Slot> slots_;
    uint64_t mask_ = 0;
    std::vector<Entry> entries_;
  };
  // The rules filed under the values of one attribute.
  struct AttrIndex {
    Attr attr = Attr::kPartnerId;
    bool is_set = false;
    KeyTable table;
  };
  struct ResourceIndex {
    std::vector<AttrIndex> attrs;  // only attributes some rule is filed under
    Bucket always;                 // rules with no indexable conjunct
    Bucket all;                    // every rule: the fallback when too many buckets match
  };
  // At most this many buckets are consulted per decision; more (e.g. an advisory with many
  // products that rules are filed under) falls back to checking every rule.
  static constexpr int kMaxBuckets = 48;
  struct Candidates {
    std::array<const Bucket*, kMaxBuckets> buckets{};
    int size = 0;
  };

  static Bucket Pack(const BucketBuilder& builder, bool keyed);
  void BuildIndex(const std::vector<CompiledRule>& rules, Resource resource, bool use_index,
                  ResourceIndex& index);
  Candidates Gather(const ResourceIndex& index, const Facts& facts) const;
  // The lowest rule among the candidates' `slot` lists whose condition holds, or -1.
  int FirstMatch(const Candidates& candidates, int slot, const Facts& facts) const;
  // Whether `rule`, found in `bucket`, holds: when the rule was found through its index key,
  // the conjunct it was filed under is known to hold and only the residual (the other
  // conjuncts) is evaluated.
  bool Holds(const Bucket& bucket, int rule, const Facts& facts) const {
    return Eval(bucket.keyed ? residuals_[rule] : conditions_[rule], facts);
  }
  const ResourceIndex& For(Resource resource) const;

  std::vector<Effect> effects_;   // per rule
  std::vector<Expr> conditions_;  // per rule
  std::vector<Expr> residuals_;   // per rule filed under a key (else unused)
  ResourceIndex advisory_;
  ResourceIndex artifact_;
};

}  // namespace forewarn::policy::language
