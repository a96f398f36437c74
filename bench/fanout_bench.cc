// Benchmarks of push-delivery fan-out: one ~200 KB advisory package personalized, signed and
// sealed for each of 10,000 partners, on one thread ("per core"), against memcpy + SHA-512 of
// the same bytes in the same run.
//   BM_FanOut           per partner what Outbox::Attempt does minus the HTTP post: a read
//                       transaction, FindPartner, PullService::PackagePayload (the partner's
//                       policy-gated view with artifact contents in base64),
//                       delivery::SignPackage, delivery::SealPackage to the partner's X25519
//                       key. One iteration = one partner; one run = all 10,000 partners.
//   BM_MemcpySha512     the baseline: memcpy of the partner's signed package bytes into a
//                       buffer and crypto::Sha512 of them, for the same 10,000 partners
//   BM_Payload          the breakdown: read transaction + FindPartner + PackagePayload alone,
//   BM_Sign             SignPackage alone (over precomputed payloads of 200 partners),
//   BM_Seal             SealPackage alone (over their precomputed signed packages)
// Setup (untimed, once): a real app::Program (testing::Harness: SQLite store in a temp dir,
// keys, FakeClock), 10,000 active partners in tier early, each with its own X25519 key pair,
// every 20th labelled poc-restricted; a policy restricting that label's PoCs (the default
// policy plus one substitute rule); one published advisory whose early wave is open, with a
// ~150 KB PoC, a ~40 KB technical description, a ~10 KB detection rule set and a ~12 KB written
// walkthrough (the PoC's alternative form, which restricted partners get instead); the terms
// accepted by every partner. Artifact text comes from ../shared/samples, repeated.
// After the table, the reporter prints packages/s, MB/s and fan-out ÷ baseline.
#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "console_color.h"
#include "core/time.h"
#include "crypto/crypto.h"
#include "delivery/package.h"
#include "delivery/pull.h"
#include "run_filter.h"
#include "store/store.h"
#include "tests/testing/harness.h"

#ifndef FOREWARN_SAMPLES_DIR
#define FOREWARN_SAMPLES_DIR "../shared/samples"
#endif

namespace forewarn::bench {
namespace {

using nlohmann::json;

constexpr int kPartners = 10000;
constexpr int kRestrictedEvery = 20;  // every 20th partner carries the poc-restricted label
constexpr int kSample = 200;          // partners whose payloads/packages BM_Sign/BM_Seal reuse
const char* const kRestrictedLabel = "poc-restricted";

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "fanout_bench: %s\n", what.c_str());
  std::exit(1);
}

template <class T>
T Must(Result<T> result, const std::string& what) {
  if (!result) Die(what + ": " + result.error().message);
  return std::move(*result);
}

void MustOk(const Status& status, const std::string& what) {
  if (!status) Die(what + ": " + status.error().message);
}

// A sample file's text, or `fallback` when ../shared/samples is not there.
std::string Sample(const std::string& name, const std::string& fallback) {
  std::ifstream in(std::filesystem::path(FOREWARN_SAMPLES_DIR) / name, std::ios::binary);
  if (!in) return fallback;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str().empty() ? fallback : text.str();
}

// `piece(n)` for n = 0, 1, ... concatenated until the text holds `bytes` (cut there).
template <class Piece>
std::string Repeat(size_t bytes, Piece piece) {
  std::string text;
  for (int n = 0; text.size() < bytes; ++n) text += piece(n);
  text.resize(bytes);
  return text;
}

std::string ReplaceAll(std::string text, const std::string& from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
  return text;
}

// What the benchmarks share: the program, its partners and the advisory.
struct Fixture {
  testing::Harness h{2026};
  std::vector<std::string> partner_ids;
  std::string advisory_id;
  int revision = 0;
  TimePoint now;
  // For the first kSample partners: payloads, signed packages and raw X25519 public keys.
  std::vector<json> payloads;
  std::vector<std::string> signed_packages;
  std::vector<std::string> public_keys;
  // Per partner (all of them): the signed package size, for the baseline.
  std::vector<size_t> signed_sizes;
};

void SeedPartners(Fixture& f) {
  testing::SeededRandom key_random(7);
  auto tx = Must(f.h.store->Begin(store::TxMode::kWrite), "begin");
  for (int i = 0; i < kPartners; ++i) {
    const crypto::BoxKeyPair keys = crypto::GenerateBoxKeyPair(key_random);
    Partner p{.id = crypto::NewId(f.h.random, "prt"),
              .name = fmt::format("Fan-out Partner {:05}", i),
              .country = i % 3 == 0 ? "DE" : "US",
              .tier = "early"};
    if (i % kRestrictedEvery == kRestrictedEvery - 1) p.labels = {kRestrictedLabel};
    p.contract = Agreement{"MAPP-2026.1", f.now};
    p.nda = Agreement{"NDA-7", f.now};
    p.contacts = {Contact{"Security lead", fmt::format("psirt{}@p{}.example", i, i), "primary"}};
    p.x25519_public_key = crypto::Base64(keys.public_key);
    p.webhook_url = fmt::format("https://hooks.p{}.example/forewarn", i);
    p.created_at = p.updated_at = f.now;
    MustOk(ValidatePartner(p), "partner");
    MustOk(tx->InsertPartner(p), "insert partner");
    f.partner_ids.push_back(p.id);
  }
  MustOk(tx->Commit(), "commit partners");
}

void SeedAdvisory(Fixture& f) {
  auto& advisories = *f.h.advisories;
  const std::string probe = Sample("FabrikamProbe.cs", "// Fabrikam Portal probe\n");
  const std::string description = Sample("fabrikam_description.md", "# Fabrikam Portal\n");
  const std::string rules = Sample("fabrikam_exploit.rules", "# rules\n");
  const std::string mitigation = Sample("fabrikam_mitigation.md", "# Mitigation\n");

  advisory::AdvisoryInput input;
  input.content.title = "FW-2026-0417: Authentication bypass in Fabrikam Portal Server layouts";
  input.content.description =
      description + "\n" + mitigation + "\n" + Repeat(2048, [&](int n) {
        return fmt::format("- Affected build 4.{}.{}: layouts editor reachable after logout.\n",
                           n / 10, n % 10);
      });
  input.content.cves = {"CVE-2026-41701", "CVE-2026-41702"};
  input.content.products = {Product{.name = "Fabrikam Portal Server"}};
  input.content.cvss_vectors = {"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"};
  input.public_at = f.now + std::chrono::hours{72};  // the early wave (5 days ahead) is open
  input.draft = true;
  const auto record = Must(advisories.Create(f.h.admin, input), "create advisory");
  f.advisory_id = record.advisory.id;

  auto add = [&](ArtifactKind kind, const std::string& filename, std::string content,
                 const std::string& alternative_of) {
    advisory::ArtifactInput a;
    a.kind = kind;
    a.filename = filename;
    a.content = std::move(content);
    a.alternative_of = alternative_of;
    return Must(advisories.AddArtifact(f.h.admin, f.advisory_id, a), "add " + filename);
  };
  const auto poc = add(
      ArtifactKind::kPoc, "FabrikamProbe.cs",
      Repeat(150 * 1000,
             [&](int n) {
               return fmt::format("// ---- probe variant {} (layout p{:04}.aspx) ----\n", n, n) +
                      ReplaceAll(probe, "fabrikam-check-7731",
                                 fmt::format("fabrikam-check-{}", 7731 + n));
             }),
      "");
  add(ArtifactKind::kTechnicalDescription, "fabrikam_description.md",
      Repeat(40 * 1000,
             [&](int n) {
               return fmt::format("\n## Variant {} (build 4.{}.{})\n\n", n, n / 10, n % 10) +
                      description;
             }),
      "");
  add(ArtifactKind::kDetection, "fabrikam_exploit.rules",
      Repeat(10 * 1000,
             [&](int n) {
               return fmt::format("# rule set {}\n", n) +
                      ReplaceAll(rules, "sid:9000", fmt::format("sid:{}", 9100 + n));
             }),
      "");
  add(ArtifactKind::kTechnicalDescription, "fabrikam_walkthrough.md",
      Repeat(12 * 1000,
             [&](int n) { return fmt::format("\n### Step {}\n\n", n + 1) + description; }),
      poc.id);
  const auto published = Must(advisories.Publish(f.h.admin, f.advisory_id, {}), "publish");
  f.revision = published.revisions.back().number;
  const std::string terms_sha256 = published.revisions.back().terms_sha256;

  // Every partner accepted the terms (rows written directly: one transaction).
  auto tx = Must(f.h.store->Begin(store::TxMode::kWrite), "begin");
  for (const auto& id : f.partner_ids) {
    MustOk(tx->InsertTermsAcceptance(TermsAcceptance{.advisory_id = f.advisory_id,
                                                     .revision = f.revision,
                                                     .partner_id = id,
                                                     .terms_sha256 = terms_sha256,
                                                     .actor = "fanout_bench",
                                                     .accepted_at = f.now}),
           "terms");
  }
  MustOk(tx->Commit(), "commit terms");
  // One substitute rule on top of the default policy: restricted partners get the walkthrough.
  Must(f.h.policies->Restrict(f.h.admin, kRestrictedLabel, {ArtifactKind::kPoc}, "benchmark"),
       "restrict");
}

std::string DeliveryId(size_t i) { return fmt::format("dlv_{:016x}", 0xfa000000u + i); }

// Read transaction, FindPartner, PackagePayload: what Outbox::Attempt reads per delivery.
Result<std::pair<Partner, delivery::PackageContent>> BuildPayload(const Fixture& f, size_t i) {
  FW_ASSIGN_OR_RETURN(auto tx, f.h.store->Begin(store::TxMode::kRead));
  FW_ASSIGN_OR_RETURN(auto partner, tx->FindPartner(f.partner_ids[i]));
  if (!partner) return Fail(ErrorCode::kInternal, "partner missing");
  FW_ASSIGN_OR_RETURN(auto content, f.h.program->pull().PackagePayload(*tx, *partner, f.advisory_id,
                                                                       f.now, DeliveryId(i)));
  if (!content) return Fail(ErrorCode::kInternal, "advisory not visible to the partner");
  return std::make_pair(std::move(*partner), std::move(*content));
}

// The whole delivery minus the HTTP post; `signed_size` gets the signed package's size.
Result<std::string> BuildPackage(const Fixture& f, size_t i, crypto::Random& random,
                                 size_t* signed_size) {
  FW_ASSIGN_OR_RETURN(auto built, BuildPayload(f, i));
  const std::string body = delivery::SignPackage(built.second.payload, f.h.program->keys().signing);
  if (signed_size != nullptr) *signed_size = body.size();
  FW_ASSIGN_OR_RETURN(auto key, crypto::FromBase64(built.first.x25519_public_key));
  return delivery::SealPackage(body, key, random);
}

std::unique_ptr<Fixture> MakeFixture() {
  auto f = std::make_unique<Fixture>();
  f->now = f->h.clock.Now();
  SeedPartners(*f);
  SeedAdvisory(*f);
  // Check what partners receive, and keep the sample the breakdown benchmarks reuse.
  const auto& signing = f->h.program->keys().signing;
  for (int i = 0; i < kSample; ++i) {
    auto built = Must(BuildPayload(*f, i), "payload");
    const json& contents = built.second.payload["contents"];
    const bool restricted = i % kRestrictedEvery == kRestrictedEvery - 1;
    if (contents.size() != 3) {
      Die(fmt::format("partner {} receives {} artifacts, expected 3", i, contents.size()));
    }
    const bool got_poc = contents.dump().find("FabrikamProbe.cs") != std::string::npos;
    if (got_poc == restricted) Die(fmt::format("partner {}: the policy was not applied", i));
    f->signed_packages.push_back(delivery::SignPackage(built.second.payload, signing));
    f->public_keys.push_back(Must(crypto::FromBase64(built.first.x25519_public_key), "key"));
    f->payloads.push_back(std::move(built.second.payload));
  }
  // The baseline hashes partner i's package bytes; partners differ by their label pattern
  // (period 20, which divides kSample), so partner i's size equals sample i % kSample's.
  for (int i = 0; i < kPartners; ++i) {
    f->signed_sizes.push_back(f->signed_packages[i % kSample].size());
  }
  return f;
}

Fixture& Shared() {
  static Fixture* const kFixture = MakeFixture().release();
  return *kFixture;
}

void BM_FanOut(benchmark::State& state) {
  const Fixture& f = Shared();
  crypto::SystemRandom random;  // as in production
  size_t i = 0;
  int64_t sealed_bytes = 0;
  int64_t signed_bytes = 0;
  for (auto _ : state) {
    size_t signed_size = 0;
    auto package = BuildPackage(f, i, random, &signed_size);
    if (!package) {
      state.SkipWithError(package.error().message.c_str());
      return;
    }
    sealed_bytes += static_cast<int64_t>(package->size());
    signed_bytes += static_cast<int64_t>(signed_size);
    benchmark::DoNotOptimize(package->data());
    if (++i == f.partner_ids.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(sealed_bytes);
  state.counters["bytes"] = static_cast<double>(sealed_bytes) / state.iterations();
  state.counters["signed_bytes"] = static_cast<double>(signed_bytes) / state.iterations();
}

void BM_MemcpySha512(benchmark::State& state) {
  const Fixture& f = Shared();
  std::string buffer(*std::max_element(f.signed_sizes.begin(), f.signed_sizes.end()), '\0');
  size_t i = 0;
  int64_t bytes = 0;
  for (auto _ : state) {
    const std::string& source = f.signed_packages[i % kSample];
    const size_t n = f.signed_sizes[i];
    std::memcpy(buffer.data(), source.data(), n);
    benchmark::ClobberMemory();
    const std::string digest = crypto::Sha512(std::string_view(buffer.data(), n));
    benchmark::DoNotOptimize(digest.data());
    bytes += static_cast<int64_t>(n);
    if (++i == f.signed_sizes.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(bytes);
  state.counters["bytes"] = static_cast<double>(bytes) / state.iterations();
}

void BM_Payload(benchmark::State& state) {
  const Fixture& f = Shared();
  size_t i = 0;
  for (auto _ : state) {
    auto built = BuildPayload(f, i);
    if (!built) {
      state.SkipWithError(built.error().message.c_str());
      return;
    }
    benchmark::DoNotOptimize(built->second.payload);
    if (++i == f.partner_ids.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_Sign(benchmark::State& state) {
  const Fixture& f = Shared();
  const auto& signing = f.h.program->keys().signing;
  size_t i = 0;
  int64_t bytes = 0;
  for (auto _ : state) {
    const std::string body = delivery::SignPackage(f.payloads[i], signing);
    bytes += static_cast<int64_t>(body.size());
    benchmark::DoNotOptimize(body.data());
    if (++i == f.payloads.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(bytes);
  state.counters["bytes"] = static_cast<double>(bytes) / state.iterations();
}

void BM_Seal(benchmark::State& state) {
  const Fixture& f = Shared();
  crypto::SystemRandom random;
  size_t i = 0;
  int64_t bytes = 0;
  for (auto _ : state) {
    auto sealed = delivery::SealPackage(f.signed_packages[i], f.public_keys[i], random);
    if (!sealed) {
      state.SkipWithError(sealed.error().message.c_str());
      return;
    }
    bytes += static_cast<int64_t>(sealed->size());
    benchmark::DoNotOptimize(sealed->data());
    if (++i == f.signed_packages.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(bytes);
  state.counters["bytes"] = static_cast<double>(bytes) / state.iterations();
}

// BM_FanOut and the baseline: exactly one pass over the 10,000 partners each (whatever
// --benchmark_min_time says). The breakdown runs for --benchmark_min_time.
BENCHMARK(BM_FanOut)->Iterations(kPartners)->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_MemcpySha512)->Iterations(kPartners)->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Payload)->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Sign)->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Seal)->UseRealTime()->Unit(benchmark::kMicrosecond);

// The console reporter, plus packages/s, MB/s and fan-out ÷ baseline after the last run
// (medians with --benchmark_repetitions).
class FanOutReporter final : public benchmark::ConsoleReporter {
 public:
  explicit FanOutReporter(OutputOptions options) : ConsoleReporter(options) {}

  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& run : runs) {
      const std::string name = run.run_name.function_name;
      if (!runs_.Keep(run, name)) continue;
      Numbers& n = numbers_[name];
      const double unit = benchmark::GetTimeUnitMultiplier(run.time_unit);
      n.us = run.GetAdjustedRealTime() / unit * 1e6;
      n.cpu_us = run.GetAdjustedCPUTime() / unit * 1e6;
      // MB/s of each package's output bytes (bytes per µs).
      const auto bytes = run.counters.find("bytes");
      n.mb_per_s = bytes == run.counters.end() || n.us <= 0 ? 0 : bytes->second.value / n.us;
    }
    ConsoleReporter::ReportRuns(runs);
  }

  void Finalize() override {
    ConsoleReporter::Finalize();
    std::string out =
        "\nPush fan-out, one thread (per package; packages/s and MB/s from real time):\n";
    out += "  benchmark          real µs     CPU µs   packages/s      MB/s\n";
    for (const char* name : {"BM_FanOut", "BM_MemcpySha512", "BM_Payload", "BM_Sign", "BM_Seal"}) {
      const auto it = numbers_.find(name);
      if (it == numbers_.end() || it->second.us <= 0) continue;
      const Numbers& n = it->second;
      const std::string mb = n.mb_per_s > 0 ? fmt::format("{:.1f}", n.mb_per_s) : "-";
      out += fmt::format("  {:<16}   {:>8.1f}   {:>8.1f}   {:>10.1f}   {:>7}\n", name, n.us,
                         n.cpu_us, 1e6 / n.us, mb);
    }
    const auto fan = numbers_.find("BM_FanOut");
    const auto base = numbers_.find("BM_MemcpySha512");
    if (fan != numbers_.end() && base != numbers_.end() && fan->second.us > 0 &&
        fan->second.cpu_us > 0) {
      out += fmt::format(
          "  fan-out ÷ baseline (packages/s): {:.4f} real ({:.4f} CPU); the baseline is {:.1f}x "
          "faster\n",
          base->second.us / fan->second.us, base->second.cpu_us / fan->second.cpu_us,
          fan->second.us / base->second.us);
      double parts = 0;
      for (const char* name : {"BM_Payload", "BM_Sign", "BM_Seal"}) {
        const auto it = numbers_.find(name);
        if (it != numbers_.end()) parts += it->second.us;
      }
      if (parts > 0) {
        out += fmt::format("  payload + sign + seal = {:.1f} µs ({:.0f}% of the fan-out time)\n",
                           parts, 100 * parts / fan->second.us);
      }
    }
    GetOutputStream() << out << std::flush;
  }

 private:
  struct Numbers {
    double us = 0;
    double cpu_us = 0;
    double mb_per_s = 0;
  };
  std::map<std::string, Numbers> numbers_;
  RunFilter runs_;
};

}  // namespace
}  // namespace forewarn::bench

int main(int argc, char** argv) {
  const bool color = forewarn::bench::ConsoleColor(argc, argv);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  forewarn::bench::FanOutReporter reporter(color ? benchmark::ConsoleReporter::OO_Color
                                                 : benchmark::ConsoleReporter::OO_None);
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return 0;
}
