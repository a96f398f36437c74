// Benchmarks of policy decisions (policy/policy.h):
//   BM_DecideIndexed/rules   Policy::Decide with the rule index (the default), one decision per
//                            iteration over 4,096 precomputed (resource, facts) pairs
//   BM_DecideScan/rules      the same decisions with CompileOptions{.index = false}: every rule
//                            of the resource is checked (forbid first, stopping at the first
//                            forbid that holds): the baseline
//   BM_Compile/rules         Policy::Compile of the same text (parse, check, build the index)
// Policies of 10, 100 and 1,000 rules are generated from a fixed seed, mostly keyed on partner
// ids, labels, countries, CVEs and artifact kinds, with a few rules no index can help with.
// After the table, the reporter prints scan ÷ indexed per policy size. The goal: well under
// 1 µs per decision at 1,000 rules.
#include <benchmark/benchmark.h>
#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "console_color.h"
#include "core/time.h"
#include "policy/policy.h"
#include "run_filter.h"

namespace forewarn::policy {
namespace {

constexpr int kPartners = 500;
constexpr int kAdvisories = 200;
constexpr int kCvePool = 600;
constexpr int kProductPool = 60;
constexpr int kLabelPool = 60;
constexpr int kDecisions = 4096;  // a power of two: the benchmark loops with a mask

// 40 country codes: AA, AB, ... (only their number matters here).
const std::vector<std::string>& Countries() {
  static const std::vector<std::string>* const kCountries = [] {
    auto* codes = new std::vector<std::string>();
    for (int i = 0; i < 40; ++i)
      codes->push_back({static_cast<char>('A' + i / 26), static_cast<char>('A' + i % 26)});
    return codes;
  }();
  return *kCountries;
}
const std::vector<std::string> kTiers = {"early", "standard", "late"};
const std::vector<std::string> kKinds = {
    "summary", "technical-description", "detection", "ioc", "mitigation", "poc"};

std::string PartnerId(int i) { return fmt::format("prt_{:04d}", i); }
std::string Label(int i) { return fmt::format("label-{:02d}", i); }
std::string Cve(int i) { return fmt::format("CVE-2026-{:05d}", 10000 + i); }
std::string ProductName(int i) { return fmt::format("Product {:02d}", i); }

// A deterministic source of small choices (benchmark data only; not security relevant).
class Dice {
 public:
  explicit Dice(uint64_t seed) : engine_(seed) {}
  int Next(int bound) { return static_cast<int>(engine_() % static_cast<uint64_t>(bound)); }
  bool Chance(int percent) { return Next(100) < percent; }
  template <class C>
  const auto& OneOf(const C& pool) {
    return pool[Next(static_cast<int>(pool.size()))];
  }

 private:
  std::mt19937_64 engine_;
};

// One rule of the generated mix. A large program's policy is mostly exceptions for single
// partners and single vulnerabilities, label-based cohorts, and some country rules; rules
// that no index helps with are rare. Shares of the rules:
//   38%   partner.id == / in [...]           (500 partners)
//   17%   advisory.cves contains (any) ...   (600 CVEs; an advisory has 1-3)
//    5%   advisory.id ==                     (200 advisories)
//   18%   partner.labels contains ...        (60 labels; a partner has 0-3)
//    8%   partner.country == / in [...]      (40 countries)
//    5%   advisory.products contains ...     (60 products; an advisory has 1-2)
//    4%   artifact.kind == ... only          (artifact rules; advisory rules: products)
//    2%   partner.tier ==                    (3 tiers)
//  1.5%   partner.contract_version ==        (3 versions)
//  1.5%   nothing indexable (cvss, time and severity conditions)
std::string RandomRule(Dice& dice) {
  const bool artifact = dice.Chance(70);
  std::string effect = "permit";
  if (dice.Chance(30)) {
    effect = "forbid";
  } else if (artifact && dice.Chance(25)) {
    effect = "substitute";
  }
  const std::string head = effect + (artifact ? " artifact when " : " advisory when ");
  // What an artifact rule usually adds: the kinds it is about.
  const std::string kinds = artifact ? (dice.Chance(50) ? " and artifact.kind == \"poc\""
                                                        : " and artifact.kind in [\"poc\", "
                                                          "\"technical-description\"]")
                                     : "";
  const int pick = dice.Next(1000);
  if (pick < 380) {
    if (dice.Chance(75)) {
      return head + fmt::format("partner.id == \"{}\"", PartnerId(dice.Next(kPartners))) + kinds +
             ";";
    }
    return head +
           fmt::format("partner.id in [\"{}\", \"{}\", \"{}\"] and advisory.cvss >= {}",
                       PartnerId(dice.Next(kPartners)), PartnerId(dice.Next(kPartners)),
                       PartnerId(dice.Next(kPartners)), 4 + dice.Next(6)) +
           ";";
  }
  if (pick < 550) {
    return head +
           fmt::format(
               "advisory.cves contains any [\"{}\", \"{}\"] and partner.tier != "
               "\"early\"",
               Cve(dice.Next(kCvePool)), Cve(dice.Next(kCvePool))) +
           kinds + ";";
  }
  if (pick < 600) {
    return head + fmt::format("advisory.id == \"adv_{:04d}\"", dice.Next(kAdvisories)) + kinds +
           ";";
  }
  if (pick < 780) {
    return head + fmt::format("partner.labels contains \"{}\"", Label(dice.Next(kLabelPool))) +
           (artifact ? kinds : " and advisory.severity >= \"high\"") + ";";
  }
  if (pick < 860) {
    return head +
           fmt::format("partner.country == \"{}\" and advisory.cvss >= {}", dice.OneOf(Countries()),
                       5 + dice.Next(5)) +
           kinds + ";";
  }
  if (pick < 910) {
    return head +
           fmt::format("advisory.products contains \"{}\"", ProductName(dice.Next(kProductPool))) +
           kinds + ";";
  }
  if (pick < 950) {
    if (!artifact) {
      return head +
             fmt::format("advisory.products contains any [\"{}\", \"{}\"]",
                         ProductName(dice.Next(kProductPool)),
                         ProductName(dice.Next(kProductPool))) +
             ";";
    }
    return head +
           fmt::format("artifact.kind == \"{}\" and now < wave.opened_at + {}h", dice.OneOf(kKinds),
                       6 + dice.Next(48)) +
           ";";
  }
  if (pick < 970) {
    return head +
           fmt::format("partner.tier == \"{}\" and advisory.cvss >= 9.5", dice.OneOf(kTiers)) +
           kinds + ";";
  }
  if (pick < 985) {
    return head +
           fmt::format("partner.contract_version == \"{}.0\" and not advisory.public",
                       1 + dice.Next(3)) +
           kinds + ";";
  }
  if (dice.Chance(50)) {
    return head +
           fmt::format("advisory.cvss >= 9.{} and now >= wave.opened_at + {}d", dice.Next(10),
                       2 + dice.Next(3)) +
           ";";
  }
  return head +
         "not advisory.public and (advisory.severity == \"critical\" or advisory.revision > "
         "2) and now < wave.opened_at + 12h;";
}

std::string RandomPolicy(int rules, uint64_t seed) {
  Dice dice(seed);
  std::string text = "# generated for bench/policy_bench.cc\n";
  for (int i = 0; i + 2 < rules; ++i) text += RandomRule(dice) + "\n";
  // What the embargo allows stays the fallback, as in DefaultPolicyText().
  text += "permit advisory;\npermit artifact;\n";
  return text;
}

// The partners, advisories and artifacts the decisions are about, and the decisions.
struct World {
  std::vector<Partner> partners;
  std::vector<Advisory> advisories;
  std::vector<Revision> revisions;
  std::vector<Artifact> artifacts;
  std::vector<std::pair<Resource, Facts>> decisions;
  std::vector<std::string> severities = {"none", "low", "medium", "high", "critical"};
};

std::unique_ptr<World> MakeWorld() {
  auto world = std::make_unique<World>();
  Dice dice(7);
  const TimePoint base = ParseTime("2026-07-01T00:00:00Z").value();
  for (int i = 0; i < kPartners; ++i) {
    Partner p{.id = PartnerId(i),
              .name = fmt::format("Partner {}", i),
              .country = dice.OneOf(Countries()),
              .tier = dice.OneOf(kTiers)};
    std::set<std::string> labels;
    for (int n = dice.Next(4); n > 0; --n) labels.insert(Label(dice.Next(kLabelPool)));
    p.labels.assign(labels.begin(), labels.end());
    if (dice.Chance(80)) p.contract = Agreement{.version = fmt::format("{}.0", 1 + dice.Next(3))};
    world->partners.push_back(std::move(p));
  }
  for (int i = 0; i < kAdvisories; ++i) {
    world->advisories.push_back(Advisory{.id = fmt::format("adv_{:04d}", i),
                                         .public_at = base + std::chrono::hours(dice.Next(240))});
    Revision r;
    r.advisory_id = world->advisories.back().id;
    r.number = 1 + dice.Next(3);
    for (int n = 1 + dice.Next(3); n > 0; --n) r.content.cves.push_back(Cve(dice.Next(kCvePool)));
    for (int n = 1 + dice.Next(2); n > 0; --n) {
      r.content.products.push_back(Product{.name = ProductName(dice.Next(kProductPool))});
    }
    world->revisions.push_back(std::move(r));
    for (int k = 0; k < 6; ++k) {
      Artifact a{.id = fmt::format("art_{:04d}_{}", i, k),
                 .advisory_id = world->advisories.back().id,
                 .kind = static_cast<ArtifactKind>(k),
                 .media_type = "text/plain",
                 .sensitivity = DefaultSensitivity(static_cast<ArtifactKind>(k))};
      if (k == 1 && dice.Chance(50)) a.alternative_of = fmt::format("art_{:04d}_5", i);
      world->artifacts.push_back(std::move(a));
    }
  }
  for (int d = 0; d < kDecisions; ++d) {
    const int adv = dice.Next(kAdvisories);
    const Resource resource = dice.Chance(50) ? Resource::kAdvisory : Resource::kArtifact;
    Facts facts{.partner = &world->partners[dice.Next(kPartners)],
                .advisory = &world->advisories[adv],
                .revision = &world->revisions[adv],
                .artifact = &world->artifacts[adv * 6 + dice.Next(6)],
                .cvss = dice.Next(101) / 10.0,
                .severity = dice.OneOf(world->severities),
                .wave_opened_at = base + std::chrono::hours(dice.Next(120)),
                .now = base + std::chrono::hours(dice.Next(240))};
    world->decisions.emplace_back(resource, facts);
  }
  return world;
}

const World& SharedWorld() {
  static const World* const kWorld = MakeWorld().release();
  return *kWorld;
}

std::shared_ptr<const Policy> MustCompile(const std::string& text, bool index) {
  auto policy = Policy::Compile(text, CompileOptions{.index = index});
  if (!policy.has_value()) {
    fmt::print(stderr, "policy does not compile: {}\n", policy.error().message);
    std::abort();
  }
  return *policy;
}

constexpr uint64_t kPolicySeed = 2026;

void RunDecisions(benchmark::State& state, bool index) {
  const World& world = SharedWorld();
  const std::string text = RandomPolicy(static_cast<int>(state.range(0)), kPolicySeed);
  const auto policy = MustCompile(text, index);
  // The index must not change any decision: check them all against the scan first.
  const auto baseline = MustCompile(text, /*index=*/false);
  std::map<Verdict, int> verdicts;
  for (const auto& [resource, facts] : world.decisions) {
    const Decision a = policy->Decide(resource, facts);
    const Decision b = baseline->Decide(resource, facts);
    if (a.verdict != b.verdict || a.rule != b.rule) {
      state.SkipWithError("indexed and scanned decisions differ");
      return;
    }
    ++verdicts[a.verdict];
  }
  size_t i = 0;
  for (auto _ : state) {
    const auto& [resource, facts] = world.decisions[i++ & (kDecisions - 1)];
    benchmark::DoNotOptimize(policy->Decide(resource, facts));
  }
  state.counters["forbid_pct"] = 100.0 * verdicts[Verdict::kForbid] / kDecisions;
  state.counters["substitute_pct"] = 100.0 * verdicts[Verdict::kSubstitute] / kDecisions;
}

void BM_DecideIndexed(benchmark::State& state) { RunDecisions(state, /*index=*/true); }
void BM_DecideScan(benchmark::State& state) { RunDecisions(state, /*index=*/false); }

void BM_Compile(benchmark::State& state) {
  const std::string text = RandomPolicy(static_cast<int>(state.range(0)), kPolicySeed);
  for (auto _ : state) benchmark::DoNotOptimize(MustCompile(text, /*index=*/true));
  state.counters["text_bytes"] = static_cast<double>(text.size());
}

BENCHMARK(BM_DecideIndexed)->ArgName("rules")->Arg(10)->Arg(100)->Arg(1000);
BENCHMARK(BM_DecideScan)->ArgName("rules")->Arg(10)->Arg(100)->Arg(1000);
BENCHMARK(BM_Compile)
    ->ArgName("rules")
    ->Arg(10)
    ->Arg(100)
    ->Arg(1000)
    ->Unit(benchmark::kMicrosecond);

// The console reporter, plus scan ÷ indexed per policy size after the last run (medians with
// --benchmark_repetitions).
class SpeedupReporter final : public benchmark::ConsoleReporter {
 public:
  explicit SpeedupReporter(OutputOptions options) : ConsoleReporter(options) {}

  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& run : runs) {
      const std::string name = run.run_name.function_name + "/" + run.run_name.args;
      if (!runs_.Keep(run, name)) continue;
      ns_[name] = run.GetAdjustedRealTime() / benchmark::GetTimeUnitMultiplier(run.time_unit) * 1e9;
    }
    ConsoleReporter::ReportRuns(runs);
  }

  void Finalize() override {
    ConsoleReporter::Finalize();
    std::string out = "\nPolicy decisions (real time per decision):\n";
    out += "  rules   indexed ns   scan ns   speed-up\n";
    for (const int rules : {10, 100, 1000}) {
      const auto a = ns_.find(fmt::format("BM_DecideIndexed/rules:{}", rules));
      const auto b = ns_.find(fmt::format("BM_DecideScan/rules:{}", rules));
      if (a == ns_.end() || b == ns_.end() || a->second <= 0) continue;
      out += fmt::format("  {:>5}   {:>10.1f}   {:>7.1f}   {:>7.2f}x\n", rules, a->second,
                         b->second, b->second / a->second);
    }
    GetOutputStream() << out << std::flush;
  }

 private:
  std::map<std::string, double> ns_;
  bench::RunFilter runs_;
};

}  // namespace
}  // namespace forewarn::policy

int main(int argc, char** argv) {
  const bool color = forewarn::bench::ConsoleColor(argc, argv);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  forewarn::policy::SpeedupReporter reporter(color ? benchmark::ConsoleReporter::OO_Color
                                                   : benchmark::ConsoleReporter::OO_None);
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return 0;
}
