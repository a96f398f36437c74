#include "policy/language_eval.h"

#include <algorithm>
#include <climits>
#include <cstring>
#include <iterator>
#include <map>
#include <optional>
#include <utility>

namespace forewarn::policy::language {
namespace {

// Applies `op` with the language's meaning to two values of one type (for doubles, NaN
// compares unequal to everything, as in C++).
template <class T>
bool Apply(CmpOp op, const T& a, const T& b) {
  switch (op) {
    case CmpOp::kEq:
      return a == b;
    case CmpOp::kNe:
      return a != b;
    case CmpOp::kLt:
      return a < b;
    case CmpOp::kLe:
      return a <= b;
    case CmpOp::kGt:
      return a > b;
    case CmpOp::kGe:
      return a >= b;
  }
  return false;
}

std::string_view StringOf(Attr attr, const Facts& facts) {
  switch (attr) {
    case Attr::kPartnerId:
      return facts.partner->id;
    case Attr::kPartnerName:
      return facts.partner->name;
    case Attr::kPartnerTier:
      return facts.partner->tier;
    case Attr::kPartnerCountry:
      return facts.partner->country;
    case Attr::kPartnerContractVersion:
      return facts.partner->contract.has_value()
                 ? std::string_view(facts.partner->contract->version)
                 : std::string_view();
    case Attr::kPartnerNdaVersion:
      return facts.partner->nda.has_value() ? std::string_view(facts.partner->nda->version)
                                            : std::string_view();
    case Attr::kAdvisoryId:
      return facts.advisory->id;
    case Attr::kArtifactId:
      return facts.artifact->id;
    case Attr::kArtifactMediaType:
      return facts.artifact->media_type;
    // The enums, by name (the index files enum rules under their value's name).
    case Attr::kPartnerStatus:
      return ToString(facts.partner->status);
    case Attr::kAdvisorySeverity:
      return facts.severity;
    case Attr::kArtifactKind:
      return ToString(facts.artifact->kind);
    case Attr::kArtifactSensitivity:
      return ToString(facts.artifact->sensitivity);
    default:
      return {};
  }
}

// The rank of an enum attribute's value; -1 for a severity string that is not a known value.
int RankOf(Attr attr, const Facts& facts) {
  switch (attr) {
    case Attr::kPartnerStatus:
      return static_cast<int>(facts.partner->status);
    case Attr::kArtifactKind:
      return static_cast<int>(facts.artifact->kind);
    case Attr::kArtifactSensitivity:
      return static_cast<int>(facts.artifact->sensitivity);
    case Attr::kAdvisorySeverity:
      return EnumRank(Info(Attr::kAdvisorySeverity), facts.severity);
    default:
      return -1;
  }
}

double NumberOf(Attr attr, const Facts& facts) {
  return attr == Attr::kAdvisoryCvss ? facts.cvss : static_cast<double>(facts.revision->number);
}

std::optional<TimePoint> TimeOf(Attr attr, const Facts& facts) {
  switch (attr) {
    case Attr::kAdvisoryPublicAt:
      return facts.advisory->public_at;
    case Attr::kWaveOpenedAt:
      return facts.wave_opened_at;
    default:
      return facts.now;
  }
}

bool BoolOf(Attr attr, const Facts& facts) {
  if (attr == Attr::kAdvisoryPublic) return facts.now >= facts.advisory->public_at;
  return !facts.artifact->alternative_of.empty();
}

// True if `pred` holds for some element of a set attribute.
template <class Pred>
bool AnyElement(Attr attr, const Facts& facts, const Pred& pred) {
  switch (attr) {
    case Attr::kPartnerLabels:
      return std::any_of(facts.partner->labels.begin(), facts.partner->labels.end(), pred);
    case Attr::kAdvisoryCves:
      return std::any_of(facts.revision->content.cves.begin(), facts.revision->content.cves.end(),
                         pred);
    case Attr::kAdvisoryProducts:
      return std::any_of(facts.revision->content.products.begin(),
                         facts.revision->content.products.end(),
                         [&pred](const Product& product) { return pred(product.name); });
    default:
      return false;
  }
}

bool SetContains(Attr attr, const Facts& facts, std::string_view value) {
  return AnyElement(attr, facts, [value](std::string_view element) { return element == value; });
}

template <class T>
bool Member(const std::vector<T>& list, const T& value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

bool EvalTime(const Expr& expr, const Facts& facts) {
  const std::optional<TimePoint> left = TimeOf(expr.attr, facts);
  if (!left.has_value()) return false;  // an unset time makes the comparison false
  if (expr.kind == Expr::Kind::kTimeLiteral) return Apply(expr.op, *left + expr.offset, expr.time);
  const std::optional<TimePoint> right = TimeOf(expr.attr2, facts);
  if (!right.has_value()) return false;
  return Apply(expr.op, *left + expr.offset, *right + expr.offset2);
}

// The keys a conjunct files its rule under, or false if it cannot be indexed. `implied` tells
// whether finding the rule under one of the keys proves the conjunct.
bool IndexKeys(const Expr& expr, std::vector<std::string_view>& keys, bool& implied) {
  if (Info(expr.attr).index_rank < 0) return false;
  implied = true;
  switch (expr.kind) {
    case Expr::Kind::kString:
    case Expr::Kind::kVersion:
    case Expr::Kind::kEnum:
      if (expr.op != CmpOp::kEq) return false;
      keys.push_back(expr.str);
      return true;
    case Expr::Kind::kContains:
      keys.push_back(expr.str);
      return true;
    case Expr::Kind::kStringIn:
    case Expr::Kind::kEnumIn:
    case Expr::Kind::kContainsAny:
      if ((expr.kind != Expr::Kind::kContainsAny && expr.negate) || expr.strings.empty()) {
        return false;
      }
      keys.assign(expr.strings.begin(), expr.strings.end());
      return true;
    case Expr::Kind::kContainsAll:
      // Every element is required; any one of them will do as the key.
      if (expr.strings.empty()) return false;
      keys.push_back(expr.strings.front());
      implied = expr.strings.size() == 1;
      return true;
    default:
      return false;
  }
}

// The top-level conjuncts of a condition (itself if it is not an `and`).
void Conjuncts(const Expr& expr, std::vector<const Expr*>& out) {
  if (expr.kind == Expr::Kind::kAnd) {
    for (const Expr& child : expr.children) Conjuncts(child, out);
  } else {
    out.push_back(&expr);
  }
}

// `conjuncts` without `skip`, as one condition.
Expr AndOfAllBut(const std::vector<const Expr*>& conjuncts, const Expr* skip) {
  Expr out{.kind = Expr::Kind::kAnd};
  for (const Expr* conjunct : conjuncts) {
    if (conjunct != skip) out.children.push_back(*conjunct);
  }
  if (out.children.empty()) return Expr{.kind = Expr::Kind::kConst, .value = true};
  if (out.children.size() == 1) return std::move(out.children.front());
  return out;
}

int SlotOf(Effect effect) {
  switch (effect) {
    case Effect::kForbid:
      return 0;
    case Effect::kSubstitute:
      return 1;
    case Effect::kPermit:
      return 2;
  }
  return 2;
}

// The facts a decision about `resource` needs; without them it is a default deny.
bool Complete(Resource resource, const Facts& facts) {
  if (facts.partner == nullptr || facts.advisory == nullptr || facts.revision == nullptr) {
    return false;
  }
  return resource == Resource::kAdvisory || facts.artifact != nullptr;
}

// Substitute rules are not consulted for an artifact that is itself an alternative form.
bool SkipsSubstitute(Resource resource, const Facts& facts) {
  return resource == Resource::kArtifact && !facts.artifact->alternative_of.empty();
}

uint64_t Load64(const char* p) {
  uint64_t word = 0;
  std::memcpy(&word, p, sizeof(word));
  return word;
}
uint64_t Load32(const char* p) {
  uint32_t word = 0;
  std::memcpy(&word, p, sizeof(word));
  return word;
}

// A fast hash of short keys (ids, labels, CVE names): eight bytes at a time, multiply and
// fold; the last bytes are read with (possibly overlapping) fixed-size loads, never a
// variable-length copy. Only speed depends on its quality: lookups compare whole keys.
uint64_t HashKey(std::string_view key) {
  constexpr uint64_t kMul = 0x9e3779b97f4a7c15ULL;
  const char* p = key.data();
  const size_t n = key.size();
  uint64_t h = (n + 1) * kMul;
  const auto mix = [&h](uint64_t word) {
    h = (h ^ word) * kMul;
    h ^= h >> 32;
  };
  size_t i = 0;
  for (; i + 8 <= n; i += 8) mix(Load64(p + i));
  if (i < n) {
    if (n >= 8) {
      mix(Load64(p + n - 8));
    } else if (n >= 4) {
      mix(Load32(p) | (Load32(p + n - 4) << 32));
    } else {
      mix(static_cast<uint64_t>(static_cast<unsigned char>(p[0])) |
          static_cast<uint64_t>(static_cast<unsigned char>(p[n / 2])) << 8 |
          static_cast<uint64_t>(static_cast<unsigned char>(p[n - 1])) << 16);
    }
  }
  h *= kMul;
  return h ^ (h >> 29);
}

}  // namespace

bool Eval(const Expr& expr, const Facts& facts) {
  switch (expr.kind) {
    case Expr::Kind::kConst:
      return expr.value;
    case Expr::Kind::kAnd:
      for (const Expr& child : expr.children) {
        if (!Eval(child, facts)) return false;
      }
      return true;
    case Expr::Kind::kOr:
      for (const Expr& child : expr.children) {
        if (Eval(child, facts)) return true;
      }
      return false;
    case Expr::Kind::kNot:
      return !Eval(expr.children[0], facts);
    case Expr::Kind::kBool:
      return BoolOf(expr.attr, facts);
    case Expr::Kind::kString:
      return Apply(expr.op, StringOf(expr.attr, facts), std::string_view(expr.str));
    case Expr::Kind::kVersion:
      return Holds(expr.op, CompareVersions(StringOf(expr.attr, facts), expr.str));
    case Expr::Kind::kEnum:
      return Apply(expr.op, RankOf(expr.attr, facts), expr.rank);
    case Expr::Kind::kNumber:
      return Apply(expr.op, NumberOf(expr.attr, facts), expr.number);
    case Expr::Kind::kTimeLiteral:
    case Expr::Kind::kTimeAttr:
      return EvalTime(expr, facts);
    case Expr::Kind::kStringIn: {
      const std::string_view value = StringOf(expr.attr, facts);
      const bool found = std::any_of(expr.strings.begin(), expr.strings.end(),
                                     [value](const std::string& s) { return s == value; });
      return found != expr.negate;
    }
    case Expr::Kind::kEnumIn:
      return Member(expr.ranks, RankOf(expr.attr, facts)) != expr.negate;
    case Expr::Kind::kNumberIn:
      return Member(expr.numbers, NumberOf(expr.attr, facts)) != expr.negate;
    case Expr::Kind::kContains:
      return SetContains(expr.attr, facts, expr.str);
    case Expr::Kind::kContainsAny:
      return std::any_of(expr.strings.begin(), expr.strings.end(),
                         [&](const std::string& s) { return SetContains(expr.attr, facts, s); });
    case Expr::Kind::kContainsAll:
      return std::all_of(expr.strings.begin(), expr.strings.end(),
                         [&](const std::string& s) { return SetContains(expr.attr, facts, s); });
  }
  return false;
}

RuleSet::RuleSet(std::vector<CompiledRule> rules, bool index) {
  residuals_.resize(rules.size());
  BuildIndex(rules, Resource::kAdvisory, index, advisory_);
  BuildIndex(rules, Resource::kArtifact, index, artifact_);
  for (CompiledRule& rule : rules) {
    effects_.push_back(rule.effect);
    conditions_.push_back(std::move(rule.condition));
  }
}

RuleSet::Bucket RuleSet::Pack(const BucketBuilder& builder, bool keyed) {
  Bucket bucket{.keyed = keyed};
  for (int slot = 0; slot < 3; ++slot) {
    if (slot == kSubstituteSlot) bucket.substitute = static_cast<uint32_t>(bucket.rules.size());
    if (slot == kPermitSlot) bucket.permit = static_cast<uint32_t>(bucket.rules.size());
    bucket.rules.insert(bucket.rules.end(), builder.by_slot[slot].begin(),
                        builder.by_slot[slot].end());
  }
  return bucket;
}

// Files each rule of `resource` under the most selective of its indexable conjuncts (the lowest
// rank; the first on ties), or in `always`; then freezes the tables.
void RuleSet::BuildIndex(const std::vector<CompiledRule>& rules, Resource resource, bool use_index,
                         ResourceIndex& index) {
  BucketBuilder always;
  BucketBuilder all;
  std::vector<std::pair<Attr, std::map<std::string, BucketBuilder, std::less<>>>> keyed;
  for (int rule = 0; rule < static_cast<int>(rules.size()); ++rule) {
    if (rules[rule].resource != resource) continue;
    const int slot = SlotOf(rules[rule].effect);
    all.by_slot[slot].push_back(rule);
    const Expr* chosen = nullptr;
    std::vector<std::string_view> chosen_keys;
    bool chosen_implied = false;
    std::vector<const Expr*> conjuncts;
    if (use_index) Conjuncts(rules[rule].condition, conjuncts);
    for (const Expr* conjunct : conjuncts) {
      std::vector<std::string_view> keys;
      bool implied = false;
      if (!IndexKeys(*conjunct, keys, implied)) continue;
      if (chosen == nullptr || Info(conjunct->attr).index_rank < Info(chosen->attr).index_rank) {
        chosen = conjunct;
        chosen_keys = std::move(keys);
        chosen_implied = implied;
      }
    }
    if (chosen == nullptr) {
      always.by_slot[slot].push_back(rule);
      continue;
    }
    residuals_[rule] = chosen_implied ? AndOfAllBut(conjuncts, chosen) : rules[rule].condition;
    auto attr_keys = std::find_if(keyed.begin(), keyed.end(),
                                  [&](const auto& entry) { return entry.first == chosen->attr; });
    if (attr_keys == keyed.end()) {
      keyed.emplace_back(chosen->attr, std::map<std::string, BucketBuilder, std::less<>>());
      attr_keys = std::prev(keyed.end());
    }
    for (std::string_view key : chosen_keys) {
      std::vector<int>& list = attr_keys->second[std::string(key)].by_slot[slot];
      // A list may repeat a value; file the rule once per key.
      if (list.empty() || list.back() != rule) list.push_back(rule);
    }
  }
  index.always = Pack(always, /*keyed=*/false);
  index.all = Pack(all, /*keyed=*/false);
  for (auto& [attr, buckets] : keyed) {
    AttrIndex& attr_index = index.attrs.emplace_back();
    attr_index.attr = attr;
    attr_index.is_set = Info(attr).type == Type::kSet;
    attr_index.table.Build(
        {std::make_move_iterator(buckets.begin()), std::make_move_iterator(buckets.end())});
  }
}

void RuleSet::KeyTable::Build(std::vector<std::pair<std::string, BucketBuilder>> entries) {
  size_t capacity = 4;
  while (capacity < 2 * entries.size()) capacity *= 2;
  slots_.assign(capacity, Slot{});
  mask_ = capacity - 1;
  for (auto& [key, builder] : entries) {
    const uint64_t hash = HashKey(key);
    uint64_t i = hash & mask_;
    while (slots_[i].entry != 0) i = (i + 1) & mask_;
    entries_.push_back(Entry{.key = std::move(key), .bucket = Pack(builder, /*keyed=*/true)});
    slots_[i] = Slot{.hash = hash, .entry = static_cast<uint32_t>(entries_.size())};
  }
}

const RuleSet::Bucket* RuleSet::KeyTable::Find(std::string_view key) const {
  if (slots_.empty()) return nullptr;
  const uint64_t hash = HashKey(key);
  for (uint64_t i = hash & mask_;; i = (i + 1) & mask_) {
    const Slot& slot = slots_[i];
    if (slot.entry == 0) return nullptr;
    if (slot.hash != hash) continue;
    const Entry& entry = entries_[slot.entry - 1];
    if (entry.key == key) return &entry.bucket;
  }
}

const RuleSet::ResourceIndex& RuleSet::For(Resource resource) const {
  return resource == Resource::kAdvisory ? advisory_ : artifact_;
}

RuleSet::Candidates RuleSet::Gather(const ResourceIndex& index, const Facts& facts) const {
  Candidates out;
  bool overflow = false;
  const auto add = [&](const AttrIndex& attr_index, std::string_view key) {
    const Bucket* bucket = attr_index.table.Find(key);
    if (bucket == nullptr) return;
    if (out.size == kMaxBuckets) {
      overflow = true;
      return;
    }
    out.buckets[out.size++] = bucket;
  };
  out.buckets[out.size++] = &index.always;
  for (const AttrIndex& attr_index : index.attrs) {
    if (attr_index.is_set) {
      AnyElement(attr_index.attr, facts, [&](std::string_view element) {
        add(attr_index, element);
        return overflow;  // stop early once the buffer is full
      });
    } else {
      add(attr_index, StringOf(attr_index.attr, facts));
    }
    if (overflow) break;
  }
  if (overflow) {
    out.size = 1;
    out.buckets[0] = &index.all;
  }
  return out;
}

int RuleSet::FirstMatch(const Candidates& candidates, int slot, const Facts& facts) const {
  int best = INT_MAX;
  for (int b = 0; b < candidates.size; ++b) {
    const Bucket& bucket = *candidates.buckets[b];
    const uint32_t begin = slot == kForbidSlot       ? 0U
                           : slot == kSubstituteSlot ? bucket.substitute
                                                     : bucket.permit;
    const uint32_t end = slot == kForbidSlot       ? bucket.substitute
                         : slot == kSubstituteSlot ? bucket.permit
                                                   : static_cast<uint32_t>(bucket.rules.size());
    for (uint32_t i = begin; i < end; ++i) {
      const int rule = bucket.rules[i];
      if (rule >= best) break;  // ascending: nothing lower left in this bucket
      if (Holds(bucket, rule, facts)) {
        best = rule;
        break;
      }
    }
  }
  return best == INT_MAX ? -1 : best;
}

Decision RuleSet::Decide(Resource resource, const Facts& facts) const {
  if (!Complete(resource, facts)) return Decision{};
  const Candidates candidates = Gather(For(resource), facts);
  if (const int rule = FirstMatch(candidates, kForbidSlot, facts); rule >= 0) {
    return Decision{.verdict = Verdict::kForbid, .rule = rule};
  }
  if (!SkipsSubstitute(resource, facts)) {
    if (const int rule = FirstMatch(candidates, kSubstituteSlot, facts); rule >= 0) {
      return Decision{.verdict = Verdict::kSubstitute, .rule = rule};
    }
  }
  if (const int rule = FirstMatch(candidates, kPermitSlot, facts); rule >= 0) {
    return Decision{.verdict = Verdict::kPermit, .rule = rule};
  }
  return Decision{};
}

Explanation RuleSet::Explain(Resource resource, const Facts& facts) const {
  Explanation out;
  if (!Complete(resource, facts)) return out;
  const Candidates candidates = Gather(For(resource), facts);
  for (int b = 0; b < candidates.size; ++b) {
    const Bucket& bucket = *candidates.buckets[b];
    for (const int rule : bucket.rules) {
      if (Holds(bucket, rule, facts)) out.matched.push_back(rule);
    }
  }
  // A rule filed under several keys (contains any) can be found more than once.
  std::sort(out.matched.begin(), out.matched.end());
  out.matched.erase(std::unique(out.matched.begin(), out.matched.end()), out.matched.end());
  std::array<bool, 3> effect_matched{};
  for (const int rule : out.matched) effect_matched[SlotOf(effects_[rule])] = true;
  if (effect_matched[kForbidSlot]) {
    out.verdict = Verdict::kForbid;
  } else if (effect_matched[kSubstituteSlot] && !SkipsSubstitute(resource, facts)) {
    out.verdict = Verdict::kSubstitute;
  } else if (effect_matched[kPermitSlot]) {
    out.verdict = Verdict::kPermit;
  }
  return out;
}

}  // namespace forewarn::policy::language
