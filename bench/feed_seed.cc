// feed_seed: builds the data set of the partner feed / artifact fetch benchmark
// (bench/feed_bench.sh) through the services directly, not over HTTP.
//
//   feed_seed OUT_DIR [--partners 300] [--advisories 3000] [--shared 1000] [--artifacts 20]
//
// OUT_DIR/data           a fresh program (the server's --data)
// OUT_DIR/admin_token    the admin token (for GET /api/v1/ledger/head)
// OUT_DIR/tokens         one partner token per line, early and standard tier alternating
// OUT_DIR/artifacts      "<advisory id> <artifact id>" per line: artifacts every partner may fetch
// OUT_DIR/feed_cursor    a feed cursor after which both tiers see the same page
// OUT_DIR/seed.json      counts and timings
//
// Data: `--partners` active partners, half "early" (wave opens 5 days before the public date)
// and half "standard" (24 hours), each with one partner token. `--advisories` published
// advisories; the first `--shared` have public dates 6-22 hours ahead, so both tiers' waves are
// open (clamped to the creation time, so both tiers list them identically), the rest 25 hours to
// 4 days ahead, so only the early tier sees them. `--artifacts` of the shared advisories carry a
// ~4 KiB PoC (kind poc), and every partner has accepted their embargo terms.
#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "app/program.h"
#include "core/clock.h"
#include "crypto/crypto.h"

namespace forewarn::bench {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

struct Options {
  fs::path out;
  int partners = 300;
  int advisories = 3000;
  int shared = 1000;
  int artifacts = 20;
  int cursor_after = 500;  // the feed cursor sits after this many items of the shared prefix
};

const char* const kComponents[] = {"upload handler", "session cookie parser", "SAML endpoint",
                                   "report export",  "template engine",       "REST gateway",
                                   "update service", "admin console"};
const char* const kClasses[] = {"Remote code execution", "Authentication bypass",
                                "SQL injection",         "Path traversal",
                                "Privilege escalation",  "Server-side request forgery"};

std::string Title(int i) {
  return fmt::format("FW-2026-{:04}: {} in Fabrikam Portal 4.{} {}", i + 1, kClasses[i % 6], i % 10,
                     kComponents[i % 8]);
}

// A PoC of about 4 KiB, different for each advisory.
std::string PocText(const std::string& advisory_id, int i) {
  std::string text = fmt::format(
      "#!/usr/bin/env python3\n# Proof of concept for {} ({})\n"
      "# Embargoed material: do not redistribute.\nimport sys\nimport urllib.request\n\n"
      "TARGET = sys.argv[1] if len(sys.argv) > 1 else 'http://127.0.0.1:8080'\n\n",
      advisory_id, Title(i));
  int line = 0;
  while (text.size() < 4000) {
    text += fmt::format(
        "def step_{:03}(session):\n    payload = b'{:064x}'\n"
        "    return session.post(TARGET + '/upload?part={}', data=payload)\n\n",
        line, static_cast<uint64_t>(i) * 2654435761u + static_cast<uint64_t>(line), line);
    ++line;
  }
  text += "if __name__ == '__main__':\n    print('see the advisory for the steps')\n";
  return text;
}

Status WriteFile(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) return Fail(ErrorCode::kUnavailable, fmt::format("cannot write {}", path.string()));
  return Ok();
}

Result<json> Items(const std::string& body) {
  json page = json::parse(body, nullptr, false);
  if (page.is_discarded() || !page.contains("items")) {
    return Fail(ErrorCode::kInternal, "feed body is not a feed page");
  }
  return page;
}

Status Seed(const Options& o) {
  using std::chrono::hours;
  using std::chrono::minutes;
  const auto started = std::chrono::steady_clock::now();
  crypto::SystemRandom random;
  SystemClock clock;
  const fs::path data = o.out / "data";
  fs::create_directories(o.out);
  FW_ASSIGN_OR_RETURN(auto admin_token,
                      app::Program::Init(data, "Fabrikam (feed benchmark)", random, clock));
  FW_ASSIGN_OR_RETURN(auto program, app::Program::Open(data, random, clock));
  auto& registry = program->registry();
  FW_ASSIGN_OR_RETURN(auto admin, registry.Authenticate(admin_token));

  // Partners and tokens, tiers alternating.
  std::vector<std::string> tokens;
  std::vector<Principal> principals;
  for (int i = 0; i < o.partners; ++i) {
    registry::PartnerFields fields;
    fields.name = fmt::format("Bench Partner {:03}", i);
    fields.country = i % 3 == 0 ? "DE" : "US";
    fields.tier = i % 2 == 0 ? "early" : "standard";
    fields.contract = Agreement{"MAPP-2026.1", clock.Now()};
    fields.nda = Agreement{"NDA-7", clock.Now()};
    fields.contacts =
        std::vector<Contact>{{"Security lead", fmt::format("psirt{}@p.example", i), "primary"}};
    FW_ASSIGN_OR_RETURN(auto partner, registry.AddPartner(admin, fields));
    FW_ASSIGN_OR_RETURN(auto token, registry.CreateToken(admin, {.role = Role::kPartner,
                                                                 .partner_id = partner.id,
                                                                 .name = "feed benchmark"}));
    FW_ASSIGN_OR_RETURN(auto principal, registry.Authenticate(token.token));
    tokens.push_back(token.token);
    principals.push_back(std::move(principal));
  }
  const auto partners_done = std::chrono::steady_clock::now();

  // Advisories: the shared prefix first (both tiers' waves open at creation), then early-only.
  auto& advisories = program->advisories();
  const int artifact_every = o.artifacts > 0 ? std::max(1, o.shared / o.artifacts) : 0;
  std::vector<std::pair<std::string, std::string>> artifacts;  // advisory, artifact
  std::vector<std::string> artifact_terms;
  for (int i = 0; i < o.advisories; ++i) {
    const bool shared = i < o.shared;
    const auto ahead = shared ? hours{6} + minutes{(i * 7) % (16 * 60)}
                              : hours{25} + minutes{(i * 13) % (71 * 60)};
    advisory::AdvisoryInput input;
    input.content.title = Title(i);
    input.content.cves = {fmt::format("CVE-2026-{:05}", 20000 + i)};
    input.public_at = clock.Now() + ahead;
    const bool with_artifact = shared && artifact_every > 0 && i % artifact_every == 0 &&
                               static_cast<int>(artifacts.size()) < o.artifacts;
    input.draft = with_artifact;  // add the artifact to revision 1 before it is released
    FW_ASSIGN_OR_RETURN(auto record, advisories.Create(admin, input));
    if (!with_artifact) continue;
    const std::string id = record.advisory.id;
    advisory::ArtifactInput poc;
    poc.kind = ArtifactKind::kPoc;
    poc.filename = "poc.py";
    poc.content = PocText(id, i);
    FW_ASSIGN_OR_RETURN(auto artifact, advisories.AddArtifact(admin, id, poc));
    FW_ASSIGN_OR_RETURN(auto published, advisories.Publish(admin, id, {}));
    artifacts.emplace_back(id, artifact.id);
    artifact_terms.push_back(published.revisions.back().terms_sha256);
  }
  const auto advisories_done = std::chrono::steady_clock::now();

  // Every partner accepts the terms of every advisory with an artifact.
  auto& pull = program->pull();
  for (const auto& principal : principals) {
    for (size_t a = 0; a < artifacts.size(); ++a) {
      FW_TRY(pull.AcceptTerms(principal, artifacts[a].first, artifact_terms[a]).map([](auto&&) {}));
    }
  }
  const auto terms_done = std::chrono::steady_clock::now();

  // A cursor after which an early and a standard partner see the same page.
  std::string cursor;
  if (o.partners >= 2 && o.shared > o.cursor_after + 50) {
    const Principal& early = principals[0];
    const Principal& standard = principals[1];
    std::vector<std::string> candidates;
    for (const Principal* p : {&standard, &early}) {
      FW_ASSIGN_OR_RETURN(auto skip, pull.Feed(*p, "", static_cast<size_t>(o.cursor_after)));
      FW_ASSIGN_OR_RETURN(auto page, Items(skip.body));
      candidates.push_back(page["next_cursor"].get<std::string>());
    }
    for (const auto& candidate : candidates) {
      FW_ASSIGN_OR_RETURN(auto a, pull.Feed(early, candidate, 50));
      FW_ASSIGN_OR_RETURN(auto b, pull.Feed(standard, candidate, 50));
      FW_ASSIGN_OR_RETURN(auto page_a, Items(a.body));
      FW_ASSIGN_OR_RETURN(auto page_b, Items(b.body));
      if (page_a["items"].size() == 50 && page_a["items"] == page_b["items"]) {
        cursor = candidate;
        break;
      }
    }
    if (cursor.empty()) {
      return Fail(ErrorCode::kInternal, "no cursor gives both tiers the same feed page");
    }
  }

  std::string token_lines;
  for (const auto& t : tokens) token_lines += t + "\n";
  std::string artifact_lines;
  for (const auto& [adv, art] : artifacts) artifact_lines += adv + " " + art + "\n";
  FW_TRY(WriteFile(o.out / "admin_token", admin_token + "\n"));
  FW_TRY(WriteFile(o.out / "tokens", token_lines));
  FW_TRY(WriteFile(o.out / "artifacts", artifact_lines));
  FW_TRY(WriteFile(o.out / "feed_cursor", cursor + "\n"));

  FW_ASSIGN_OR_RETURN(auto read, program->store().Begin(store::TxMode::kRead));
  FW_ASSIGN_OR_RETURN(uint64_t ledger_size, read->LedgerSize());
  read.reset();
  const auto seconds = [](auto from, auto to) {
    return std::chrono::duration<double>(to - from).count();
  };
  json summary = {{"partners", o.partners},
                  {"advisories", o.advisories},
                  {"shared_advisories", o.shared},
                  {"artifacts", artifacts.size()},
                  {"terms_acceptances", artifacts.size() * principals.size()},
                  {"ledger_size", ledger_size},
                  {"seconds",
                   {{"partners", seconds(started, partners_done)},
                    {"advisories", seconds(partners_done, advisories_done)},
                    {"terms", seconds(advisories_done, terms_done)},
                    {"total", seconds(started, std::chrono::steady_clock::now())}}}};
  FW_TRY(WriteFile(o.out / "seed.json", summary.dump(2) + "\n"));
  std::cout << summary.dump() << std::endl;
  return Ok();
}

int Usage() {
  std::cerr << "usage: feed_seed OUT_DIR [--partners N] [--advisories N] [--shared N] "
               "[--artifacts N]\n";
  return 2;
}

int Main(int argc, char** argv) {
  if (argc < 2) return Usage();
  Options o;
  o.out = argv[1];
  for (int i = 2; i < argc; i += 2) {
    if (i + 1 >= argc) return Usage();
    const std::string flag = argv[i];
    const int value = std::atoi(argv[i + 1]);
    if (value < 0) return Usage();
    if (flag == "--partners") {
      o.partners = value;
    } else if (flag == "--advisories") {
      o.advisories = value;
    } else if (flag == "--shared") {
      o.shared = value;
    } else if (flag == "--artifacts") {
      o.artifacts = value;
    } else {
      return Usage();
    }
  }
  if (o.shared > o.advisories) o.shared = o.advisories;
  if (fs::exists(o.out / "data")) {
    std::cerr << "feed_seed: " << (o.out / "data").string() << " already exists\n";
    return 1;
  }
  if (auto init = crypto::Initialize(); !init) {
    std::cerr << "feed_seed: " << init.error().message << "\n";
    return 1;
  }
  if (auto seeded = Seed(o); !seeded) {
    std::cerr << "feed_seed: " << seeded.error().message << "\n";
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace forewarn::bench

int main(int argc, char** argv) { return forewarn::bench::Main(argc, argv); }
