// End to end over a real socket: the forewarn binary initializes a program, serves it, and the
// CLI registers partners, issues tokens, changes status and exports and verifies the ledger.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "crypto/crypto.h"
#include "http/transport.h"
#include "tests/e2e/e2e_fixture.h"
#include "tests/testing/testing.h"

namespace forewarn {
namespace {

using nlohmann::json;

using e2e::InDays;
using e2e::LastLine;
using e2e::Quote;
using e2e::ReadFile;
using e2e::RunResult;

class E2eTest : public e2e::E2eFixture {};

TEST_F(E2eTest, RegistryStoryOverTheCli) {
  auto init = Run({"init", "--data", data_});
  ASSERT_EQ(init.exit_code, 0) << init.err;
  const std::string admin = LastLine(init.out);
  ASSERT_EQ(admin.rfind("fwt_", 0), 0u) << init.out;

  auto again = Run({"init", "--data", data_});
  EXPECT_EQ(again.exit_code, 1);
  ExpectOneLineError(again);

  StartServer();

  auto health = http::Fetch({.url = url_ + "/healthz"});
  ASSERT_TRUE(health.has_value());
  EXPECT_EQ(health->status, 200);

  auto add =
      Run({"partner", "add", "--name", "Contoso CERT", "--country", "de", "--tier", "early",
           "--label", "poc-restricted", "--contact", "Ada Lovelace <ada@contoso.example> lead"},
          admin);
  ASSERT_EQ(add.exit_code, 0) << add.err;
  const std::string contoso = LastLine(add.out);
  EXPECT_EQ(contoso.rfind("prt_", 0), 0u);
  auto add2 = Run(
      {"partner", "add", "--name", "Northwind", "--country", "FR", "--tier", "standard"}, admin);
  ASSERT_EQ(add2.exit_code, 0) << add2.err;
  const std::string northwind = LastLine(add2.out);

  // Bad input: exit 2 with one line, nothing created.
  auto bad_tier =
      Run({"partner", "add", "--name", "X", "--country", "DE", "--tier", "gold"}, admin);
  EXPECT_EQ(bad_tier.exit_code, 2);
  ExpectOneLineError(bad_tier);
  EXPECT_NE(bad_tier.err.find("gold"), std::string::npos);
  auto missing_flag = Run({"partner", "add", "--country", "DE", "--tier", "early"}, admin);
  EXPECT_EQ(missing_flag.exit_code, 2);
  ExpectOneLineError(missing_flag);

  auto list = Run({"partner", "list", "--json"}, admin);
  ASSERT_EQ(list.exit_code, 0) << list.err;
  auto partners = json::parse(list.out);
  ASSERT_TRUE(partners.is_array());
  ASSERT_EQ(partners.size(), 2u);
  EXPECT_EQ(partners[0]["country"], "DE");
  EXPECT_EQ(partners[0]["labels"], json::array({"poc-restricted"}));
  EXPECT_EQ(partners[0]["contacts"][0]["email"], "ada@contoso.example");

  auto token = Run({"token", "create", "--partner", contoso}, admin);
  ASSERT_EQ(token.exit_code, 0) << token.err;
  const std::string partner_token = LastLine(token.out);

  auto whoami = Run({"whoami"}, partner_token);
  ASSERT_EQ(whoami.exit_code, 0) << whoami.err;
  EXPECT_EQ(json::parse(whoami.out)["partner"], contoso);
  // The partner sees itself, not the other partner, and no operator function.
  EXPECT_EQ(Run({"partner", "show", contoso, "--json"}, partner_token).exit_code, 0);
  auto peek = Run({"partner", "show", northwind}, partner_token);
  EXPECT_EQ(peek.exit_code, 1);
  EXPECT_NE(peek.err.find("not found"), std::string::npos);
  EXPECT_EQ(Run({"partner", "list"}, partner_token).exit_code, 1);
  EXPECT_EQ(Run({"partner", "suspend", northwind, "--reason", "x"}, partner_token).exit_code, 1);

  // Suspension revokes the partner's tokens at once.
  auto suspend = Run({"partner", "suspend", contoso, "--reason", "suspected leak"}, admin);
  ASSERT_EQ(suspend.exit_code, 0) << suspend.err;
  auto revoked = Run({"whoami"}, partner_token);
  EXPECT_EQ(revoked.exit_code, 1);
  ExpectOneLineError(revoked);
  auto reinstate = Run({"partner", "reinstate", contoso, "--reason", "cleared"}, admin);
  ASSERT_EQ(reinstate.exit_code, 0) << reinstate.err;
  EXPECT_EQ(Run({"whoami"}, partner_token).exit_code, 1);
  auto no_reason = Run({"partner", "suspend", contoso}, admin);
  EXPECT_EQ(no_reason.exit_code, 2);
  auto remove = Run({"partner", "remove", northwind, "--reason", "contract ended"}, admin);
  ASSERT_EQ(remove.exit_code, 0) << remove.err;
  auto back = Run({"partner", "reinstate", northwind, "--reason", "oops"}, admin);
  EXPECT_EQ(back.exit_code, 1);
  ExpectOneLineError(back);
  auto history = Run({"partner", "history", contoso, "--json"}, admin);
  ASSERT_EQ(history.exit_code, 0);
  EXPECT_EQ(json::parse(history.out).size(), 2u);

  // The ledger recorded everything and verifies offline; tampering is caught.
  const std::string export_file = (dir_.path() / "ledger.json").string();
  auto ledger = ExportAndVerify(admin, export_file);
  ASSERT_TRUE(ledger.is_object());
  std::vector<std::string> types;
  for (const auto& e : ledger["entries"])
    types.push_back(json::parse(e["data"].get<std::string>())["type"]);
  EXPECT_EQ(std::count(types.begin(), types.end(), "partner.status_changed"), 3);
  EXPECT_EQ(std::count(types.begin(), types.end(), "partner.created"), 2);
  std::string data = ledger["entries"][2]["data"];
  data[data.find("partner")] = 'P';
  ledger["entries"][2]["data"] = data;
  std::ofstream(export_file, std::ios::trunc) << ledger.dump();
  auto tampered = Run({"audit", "verify", export_file});
  EXPECT_EQ(tampered.exit_code, 1);
  EXPECT_NE(tampered.err.find("entry 2"), std::string::npos) << tampered.err;

  EXPECT_EQ(StopServer(), 0);  // graceful shutdown on SIGTERM
}

TEST_F(E2eTest, LocalCommandsAndUsageErrors) {
  auto cvss = Run({"cvss", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"});
  ASSERT_EQ(cvss.exit_code, 0) << cvss.err;
  auto score = json::parse(cvss.out);
  EXPECT_EQ(score["version"], "3.1");
  EXPECT_DOUBLE_EQ(score["base_score"].get<double>(), 9.8);
  EXPECT_EQ(score["severity"], "Critical");
  auto bad = Run({"cvss", "CVSS:3.1/AV:Q"});
  EXPECT_EQ(bad.exit_code, 2);
  ExpectOneLineError(bad);
  EXPECT_EQ(Run({"no-such-command"}).exit_code, 2);
  auto unreachable = Run({"partner", "list", "--url", "http://127.0.0.1:1"}, "fwt_x");
  EXPECT_EQ(unreachable.exit_code, 1);
  ExpectOneLineError(unreachable);
  EXPECT_EQ(Run({"serve", "--data", (dir_.path() / "nothing").string()}).exit_code, 1);
  // A refused init leaves nothing behind, so a corrected retry succeeds.
  auto bad_name = Run({"init", "--data", data_, "--name", "bad\xff name"});
  EXPECT_EQ(bad_name.exit_code, 2);
  ExpectOneLineError(bad_name);
  EXPECT_EQ(Run({"init", "--data", data_}).exit_code, 0);
}

// `forewarn verify` offline, on packages built here from the documented formats (with the
// crypto primitives only, independently of delivery/package.cc) and signed with the program
// key `init` wrote.
TEST_F(E2eTest, VerifyChecksSignedAndSealedPackages) {
  ASSERT_TRUE(crypto::Initialize().has_value());
  auto init = Run({"init", "--data", data_});
  ASSERT_EQ(init.exit_code, 0) << init.err;
  auto keys = crypto::LoadProgramKeys(data_);
  ASSERT_TRUE(keys.has_value()) << keys.error().message;
  testing::SeededRandom random(31);
  const auto partner = crypto::GenerateBoxKeyPair(random);
  const json view = {{"id", "adv_0123456789abcdef"},
                     {"title", "RCE in Collaboration Server"},
                     {"description", std::string(5000, 'd')}};
  const std::string payload = view.dump();
  const std::string signed_package =
      json{{"format", "forewarn-package/1"},
           {"program_key", crypto::Base64(keys->signing.public_key)},
           {"payload", crypto::Base64(payload)},
           {"payload_sha256", crypto::Hex(crypto::Sha256(payload))},
           {"signature", crypto::Base64(crypto::Sign(keys->signing.secret_key, payload))}}
          .dump();
  const std::string stream_key = crypto::RandomBytes(random, crypto::kStreamKeyBytes);
  const std::string sealed_package = json{
      {"format", "forewarn-sealed/1"},
      {"recipient_key", crypto::Base64(partner.public_key)},
      {"sealed_key", crypto::Base64(crypto::Seal(partner.public_key, stream_key).value())},
      {"stream", crypto::Base64(crypto::EncryptStream(
                     crypto::SecretBytes::CopyFrom(stream_key), signed_package,
                     1024))}}.dump();
  const std::string signed_file = (dir_.path() / "signed.json").string();
  const std::string sealed_file = (dir_.path() / "sealed.json").string();
  const std::string secret_file = (dir_.path() / "partner.key").string();
  std::ofstream(signed_file) << signed_package;
  std::ofstream(sealed_file) << sealed_package;
  std::ofstream(secret_file) << crypto::Base64(partner.secret_key.view()) << "\n";
  const std::string pub = data_ + "/signing.pub";

  auto plain = Run({"verify", signed_file, "--program-key", pub});
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  EXPECT_EQ(json::parse(plain.out), view);
  auto opened = Run({"verify", sealed_file, "--program-key", pub, "--secret-key", secret_file});
  ASSERT_EQ(opened.exit_code, 0) << opened.err;
  EXPECT_EQ(json::parse(opened.out), view);
  // The key may also be given as base64 text.
  auto bare =
      Run({"verify", signed_file, "--program-key", crypto::Base64(keys->signing.public_key)});
  EXPECT_EQ(bare.exit_code, 0) << bare.err;

  // One byte changed anywhere in the file: exit 1, one line.
  for (const auto& [file, text] :
       {std::pair{signed_file, signed_package}, std::pair{sealed_file, sealed_package}}) {
    for (size_t pos : {text.size() / 3, text.size() / 2, text.size() - 10}) {
      std::string altered = text;
      altered[pos] = altered[pos] == 'A' ? 'B' : 'A';
      const std::string altered_file = file + ".altered";
      std::ofstream(altered_file, std::ios::trunc) << altered;
      auto bad = Run({"verify", altered_file, "--program-key", pub, "--secret-key", secret_file});
      EXPECT_EQ(bad.exit_code, 1) << file << " @" << pos;
      ExpectOneLineError(bad);
      EXPECT_NE(bad.err.find("package does not verify"), std::string::npos) << bad.err;
    }
  }
  // Sealed without the secret key, or checked against another key: exit 1.
  auto no_secret = Run({"verify", sealed_file, "--program-key", pub});
  EXPECT_EQ(no_secret.exit_code, 1);
  EXPECT_NE(no_secret.err.find("--secret-key"), std::string::npos) << no_secret.err;
  auto other_key = Run({"verify", signed_file, "--program-key", data_ + "/box.pub"});
  EXPECT_EQ(other_key.exit_code, 1);
  EXPECT_NE(other_key.err.find("different key"), std::string::npos) << other_key.err;

  // Unreadable files and bad arguments: exit 2, one line.
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"verify", (dir_.path() / "missing.json").string(), "--program-key", pub},
           {"verify", signed_file, "--program-key", "not a key"},
           {"verify", signed_file, "--program-key", pub, "--secret-key", signed_file},
           {"verify", sealed_file, "--program-key", pub, "--secret-key",
            (dir_.path() / "missing.key").string()},
           {"verify", signed_file}}) {
    auto usage = Run(args);
    EXPECT_EQ(usage.exit_code, 2) << args.back();
    ExpectOneLineError(usage);
  }
}

TEST_F(E2eTest, DemoSeedOnlyPrintsTheScenario) {
  auto demo = Run({"demo", "--data", data_, "--seed-only", "--json"});
  ASSERT_EQ(demo.exit_code, 0) << demo.err;
  auto facts = json::parse(demo.out);
  EXPECT_EQ(facts["admin_token"].get<std::string>().rfind("fwt_", 0), 0u);
  for (const char* key : {"advisory", "leaked_file", "indicators_file", "leaker"}) {
    EXPECT_TRUE(facts.contains(key)) << key;
  }
  ASSERT_EQ(facts["partners"].size(), 12u);
  std::set<std::string> countries;
  for (const auto& p : facts["partners"]) countries.insert(p["country"]);
  EXPECT_EQ(countries.size(), 6u);
  // The story's advisory: three revisions, released to both tiers by today (day -1).
  const std::string advisory = facts["advisory"];
  StartServer();
  // The story's leak: an early-tier partner's PoC copy, pasted without its comments, and the
  // attacks' indicators carrying that copy's canaries. Tracing names the leaker on its own.
  const std::string leaker = facts["leaker"];
  ASSERT_FALSE(leaker.empty());
  const json indicators = json::parse(ReadFile(facts["indicators_file"].get<std::string>()));
  EXPECT_EQ(indicators["advisory"], advisory);
  ASSERT_FALSE(indicators["observed"].empty());
  auto traced = Run({"investigate", "leak", "--advisory", advisory, "--file",
                     facts["leaked_file"].get<std::string>(), "--format", "json"},
                    facts["admin_token"]);
  ASSERT_EQ(traced.exit_code, 0) << traced.err;
  const json report = json::parse(traced.out);
  ASSERT_EQ(report["accused"].size(), 1u) << traced.out;
  EXPECT_EQ(report["accused"][0]["partner"], leaker);
  EXPECT_LE(report["accused"][0]["false_accusation_bound"].get<double>(), 1e-6);
  std::set<std::string> hit_values;
  for (const auto& hit : report["canary_hits"]) {
    EXPECT_EQ(hit["partner"], leaker);
    hit_values.insert(hit["value"]);
  }
  for (const auto& seen : indicators["observed"]) {
    if (seen["kind"] == "file-name" || seen["kind"] == "user-agent") {
      EXPECT_EQ(hit_values.count(seen["value"]), 1u) << seen.dump();
    }
  }
  bool leaker_is_early = false;
  for (const auto& p : facts["partners"]) {
    if (p["id"] == leaker) leaker_is_early = p["tier"] == "early" && p["labels"].empty();
  }
  EXPECT_TRUE(leaker_is_early);
  auto shown = Run({"advisory", "show", advisory, "--json"}, facts["admin_token"]);
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  const json a = json::parse(shown.out);
  EXPECT_EQ(a["revisions"].size(), 3u);
  EXPECT_EQ(a["status"], "partner-released");
  EXPECT_EQ(a["cves"], json({"CVE-2026-31337", "CVE-2026-31338"}));
  EXPECT_EQ(a["cvss"][0]["base_score"], 9.8);
  EXPECT_EQ(a["cvss"][1]["base_score"], 6.5);
  for (const auto& p : facts["partners"]) {
    ASSERT_EQ(Run({"advisory", "accept-terms", advisory}, p["token"]).exit_code, 0);
    auto partner_view = Run({"advisory", "show", advisory, "--json"}, p["token"]);
    ASSERT_EQ(partner_view.exit_code, 0) << partner_view.err;
    const json view = json::parse(partner_view.out);
    EXPECT_EQ(view["revision"], 3);
    // The story's policy: PoC code to the early tier, the written description to the standard
    // tier and to partners labelled poc-restricted.
    const bool restricted = p["tier"] != "early" ||
                            p["labels"].get<std::set<std::string>>().count("poc-restricted") > 0;
    std::map<std::string, std::string> forms;
    for (const auto& art : view["artifacts"]) forms[art["kind"]] = art["form"];
    SCOPED_TRACE(p["name"].get<std::string>());
    if (restricted) {
      EXPECT_EQ(forms.count("poc"), 0u);
      EXPECT_EQ(forms["technical-description"], "alternative");
    } else {
      EXPECT_EQ(forms["poc"], "original");
      EXPECT_EQ(forms.count("technical-description"), 0u);
    }
    EXPECT_EQ(forms["detection"], "original");
  }
  auto history = Run({"policy", "history", "--json"}, facts["admin_token"]);
  ASSERT_EQ(history.exit_code, 0) << history.err;
  EXPECT_EQ(json::parse(history.out).size(), 2u);
  StopServer();
  // Seeding again into the same directory is refused.
  EXPECT_EQ(Run({"demo", "--data", data_, "--seed-only"}).exit_code, 1);
}

TEST_F(E2eTest, PolicyOverTheCli) {
  auto init = Run({"init", "--data", data_});
  ASSERT_EQ(init.exit_code, 0) << init.err;
  const std::string admin = LastLine(init.out);
  StartServer();
  const std::string partner = LastLine(Run({"partner", "add", "--name", "Coho", "--country", "CN",
                                            "--tier", "early", "--label", "poc-restricted"},
                                           admin)
                                           .out);
  const auto bad = dir_.path() / "bad.policy";
  std::ofstream(bad) << "permit advisory;\nforbid artifact when artifact.kind == \"pco\";\n";
  auto invalid = Run({"policy", "validate", bad.string()}, admin);
  EXPECT_EQ(invalid.exit_code, 2);
  EXPECT_NE(invalid.err.find("bad.policy:2:"), std::string::npos) << invalid.err;
  auto refused = Run({"policy", "apply", bad.string()}, admin);
  EXPECT_EQ(refused.exit_code, 2);
  ExpectOneLineError(refused);
  EXPECT_NE(refused.err.find("line 2, column"), std::string::npos) << refused.err;

  const auto good = dir_.path() / "good.policy";
  std::ofstream(good) << "permit advisory;\npermit artifact;\n"
                         "forbid artifact when artifact.kind == \"poc\" and partner.country == "
                         "\"CN\";\n";
  auto valid = Run({"policy", "validate", good.string()}, admin);
  EXPECT_EQ(valid.exit_code, 0) << valid.err;
  auto preview = Run({"policy", "preview", good.string(), "--json"}, admin);
  ASSERT_EQ(preview.exit_code, 0) << preview.err;
  EXPECT_EQ(json::parse(preview.out)["summary"]["partners_affected"], 0);  // nothing released yet
  auto applied =
      Run({"policy", "apply", good.string(), "--comment", "no PoC to CN", "--base-version", "0"},
          admin);
  ASSERT_EQ(applied.exit_code, 0) << applied.err;
  EXPECT_NE(applied.out.find("applied policy version 1"), std::string::npos) << applied.out;
  EXPECT_EQ(Run({"policy", "apply", good.string(), "--base-version", "0"}, admin).exit_code, 1);
  auto restricted =
      Run({"policy", "restrict", "--label", "poc-restricted", "--reason", "review"}, admin);
  ASSERT_EQ(restricted.exit_code, 0) << restricted.err;
  auto shown = Run({"policy", "show"}, admin);
  ASSERT_EQ(shown.exit_code, 0);
  EXPECT_NE(shown.out.find("rule \"restrict-poc-restricted\" substitute artifact"),
            std::string::npos);
  auto history = Run({"policy", "history", "--json"}, admin);
  ASSERT_EQ(history.exit_code, 0);
  EXPECT_EQ(json::parse(history.out).size(), 2u);
  auto created = Run({"advisory", "create", "--title", "RCE", "--cve", "CVE-2026-60009",
                      "--public-date", InDays(3)},
                     admin);
  ASSERT_EQ(created.exit_code, 0) << created.err;
  auto explained = Run(
      {"policy", "explain", "--partner", partner, "--advisory", LastLine(created.out), "--json"},
      admin);
  ASSERT_EQ(explained.exit_code, 0) << explained.err;
  EXPECT_EQ(json::parse(explained.out)["embargo"]["visible"], true);
  EXPECT_EQ(Run({"policy", "explain", "--partner", "prt_missing", "--advisory", "adv_x"}, admin)
                .exit_code,
            1);
  auto alerts = Run({"alert", "list", "--json"}, admin);
  ASSERT_EQ(alerts.exit_code, 0) << alerts.err;
  EXPECT_TRUE(json::parse(alerts.out).empty());
  const json ledger = ExportAndVerify(admin, (dir_.path() / "ledger.json").string());
  int applied_events = 0;
  for (const auto& entry : ledger["entries"]) {
    if (json::parse(entry["data"].get<std::string>())["type"] == "policy.applied") {
      ++applied_events;
    }
  }
  EXPECT_EQ(applied_events, 2) << ledger.dump().substr(0, 2000);
  StopServer();
}

// kill -9 while partners are being created: after a restart the ledger verifies and every
// creation the server acknowledged has its ledger entry.
TEST_F(E2eTest, KillNineDuringAppendsLosesNoCommittedEntry) {
  auto init = Run({"init", "--data", data_});
  ASSERT_EQ(init.exit_code, 0) << init.err;
  const std::string admin = LastLine(init.out);
  std::vector<std::string> acknowledged;
  for (int round = 0; round < 3; ++round) {
    StartServer();
    std::mutex mutex;
    std::atomic<bool> stop{false};
    const std::string url = url_;
    std::thread writer([&] {
      for (int i = 0; i < 2000 && !stop; ++i) {
        http::ClientRequest request;
        request.method = "POST";
        request.url = url + "/api/v1/partners";
        request.headers = {{"Authorization", "Bearer " + admin}};
        request.body =
            json{{"name", fmt::format("P{}-{}", round, i)}, {"country", "DE"}, {"tier", "standard"}}
                .dump();
        auto response = http::Fetch(request);
        if (!response) break;  // the server is gone
        if (response->status == 201) {
          std::lock_guard lock(mutex);
          acknowledged.push_back(json::parse(response->body)["id"]);
        }
      }
    });
    // Wait (bounded) until some creations were acknowledged in this round, then kill -9.
    const size_t target = acknowledged.size() + 20;
    for (int poll = 0; poll < 400; ++poll) {
      {
        std::lock_guard lock(mutex);
        if (acknowledged.size() >= target) break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    StopServer(SIGKILL);
    stop = true;
    writer.join();
  }
  StartServer();
  auto ledger = ExportAndVerify(admin, (dir_.path() / "ledger.json").string());
  ASSERT_TRUE(ledger.is_object());
  std::set<std::string> recorded;
  for (const auto& e : ledger["entries"]) {
    auto event = json::parse(e["data"].get<std::string>());
    if (event["type"] == "partner.created") recorded.insert(event["subject"]);
  }
  ASSERT_GE(acknowledged.size(), 60u);
  for (const auto& id : acknowledged) EXPECT_TRUE(recorded.count(id) > 0) << id;
  auto list = Run({"partner", "list", "--json"}, admin);
  EXPECT_EQ(json::parse(list.out).size(), recorded.size());
}

TEST_F(E2eTest, ServesHttpsWithTheGivenCertificate) {
  const auto cert = dir_.path() / "cert.pem";
  const auto key = dir_.path() / "key.pem";
  const std::string openssl =
      "openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost -addext "
      "subjectAltName=IP:127.0.0.1 -days 1 -keyout " +
      Quote(key.string()) + " -out " + Quote(cert.string()) + " >/dev/null 2>&1";
  ASSERT_EQ(std::system(openssl.c_str()), 0);
  auto init = Run({"init", "--data", data_});
  ASSERT_EQ(init.exit_code, 0);
  const std::string admin = LastLine(init.out);
  StartServer({"--tls-cert", cert.string(), "--tls-key", key.string()});
  ASSERT_EQ(url_.rfind("https://", 0), 0u) << url_;
  auto whoami = Run({"whoami", "--ca-file", cert.string()}, admin);
  EXPECT_EQ(whoami.exit_code, 0) << whoami.err;
  auto untrusted = Run({"whoami"}, admin);  // system trust store does not know this cert
  EXPECT_EQ(untrusted.exit_code, 1);
  ExpectOneLineError(untrusted);
}

}  // namespace
}  // namespace forewarn

namespace forewarn {
namespace {

TEST_F(E2eTest, AdvisoryStoryOverTheCli) {
  auto init = Run({"init", "--data", data_});
  ASSERT_EQ(init.exit_code, 0) << init.err;
  const std::string admin = LastLine(init.out);
  StartServer();
  const std::string early = LastLine(
      Run({"partner", "add", "--name", "Early", "--country", "FR", "--tier", "early"}, admin).out);
  const std::string standard = LastLine(
      Run({"partner", "add", "--name", "Std", "--country", "JP", "--tier", "standard"}, admin).out);
  const std::string early_token = LastLine(Run({"token", "create", "--partner", early}, admin).out);
  const std::string standard_token =
      LastLine(Run({"token", "create", "--partner", standard}, admin).out);

  // Public in three days: the early tier's wave (5 days before) is open now, standard's is not.
  const std::string public_date = InDays(3);
  auto created = Run({"advisory", "create", "--title", "Collaboration Server RCE", "--cve",
                      "CVE-2026-60001", "--cve", "CVE-2026-60002", "--public-date", public_date,
                      "--cvss", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"},
                     admin);
  ASSERT_EQ(created.exit_code, 0) << created.err;
  const std::string advisory = LastLine(created.out);
  EXPECT_EQ(advisory.rfind("adv_", 0), 0u) << advisory;
  const auto poc_file = dir_.path() / "exploit.py";
  std::ofstream(poc_file) << "import requests\nrequests.post('https://target/_layouts/x')\n";
  auto added =
      Run({"artifact", "add", "--advisory", advisory, "--kind", "poc", "--file", poc_file.string()},
          admin);
  ASSERT_EQ(added.exit_code, 0) << added.err;
  const std::string artifact = LastLine(added.out);

  // Bad input: exit 2, one line, nothing stored.
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"advisory", "create", "--title", "x", "--cve", "CVE-2026-1", "--public-date",
            public_date},
           {"advisory", "create", "--title", "x", "--cve", "CVE-2026-60001", "--cve",
            "CVE-2026-60001", "--public-date", public_date},
           {"advisory", "create", "--title", "x", "--public-date", "2020-01-01T00:00:00Z"},
           {"advisory", "create", "--title", "x", "--public-date", public_date, "--cvss",
            "CVSS:3.1/AV:Q/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"},
           {"advisory", "create", "--title", "x", "--public-date", public_date, "--wave",
            "gold=" + public_date},
           {"artifact", "add", "--advisory", advisory, "--kind", "exploit", "--file",
            poc_file.string()}}) {
    auto bad = Run(args, admin);
    EXPECT_EQ(bad.exit_code, 2) << args[1] << " " << bad.err;
    ExpectOneLineError(bad);
  }
  auto listed = Run({"advisory", "list", "--json"}, admin);
  EXPECT_EQ(json::parse(listed.out).size(), 1u) << "rejected advisories left nothing behind";

  // The early partner sees it; the standard partner does not, on any path.
  auto feed = Run({"feed", "--json"}, early_token);
  ASSERT_EQ(feed.exit_code, 0) << feed.err;
  EXPECT_EQ(json::parse(feed.out)["items"][0]["advisory"], advisory);
  auto hidden = Run({"advisory", "show", advisory}, standard_token);
  EXPECT_EQ(hidden.exit_code, 1);
  EXPECT_NE(hidden.err.find("not found"), std::string::npos) << hidden.err;
  EXPECT_TRUE(json::parse(Run({"feed", "--json"}, standard_token).out)["items"].empty());

  auto before_terms =
      Run({"artifact", "get", "--advisory", advisory, "--artifact", artifact}, early_token);
  EXPECT_EQ(before_terms.exit_code, 1);
  ExpectOneLineError(before_terms);
  ASSERT_EQ(Run({"advisory", "accept-terms", advisory}, early_token).exit_code, 0);
  auto shown = json::parse(Run({"advisory", "show", advisory, "--json"}, early_token).out);
  EXPECT_EQ(shown["cvss"][0]["base_score"], 9.8);
  const auto copy = dir_.path() / "copy.py";
  auto got = Run({"artifact", "get", "--advisory", advisory, "--artifact",
                  shown["artifacts"][0]["id"], "--out", copy.string()},
                 early_token);
  ASSERT_EQ(got.exit_code, 0) << got.err;
  // The partner's own copy is what the operator previews for it (a tiny PoC carries few marks).
  auto preview = Run(
      {"artifact", "variant", "--advisory", advisory, "--artifact", artifact, "--partner", early},
      admin);
  ASSERT_EQ(preview.exit_code, 0) << preview.err;
  EXPECT_EQ(preview.out, ReadFile(copy));

  // The download is on the ledger with the hash of the bytes delivered, and the ledger verifies.
  const json exported = ExportAndVerify(admin, (dir_.path() / "ledger.json").string());
  std::set<std::string> types;
  std::string fetched_hash;
  std::string fingerprint;
  for (const auto& entry : exported["entries"]) {
    const json event = json::parse(entry["data"].get<std::string>());
    types.insert(event["type"]);
    if (event["type"] == "artifact.fetched") {
      fetched_hash = event["payload_sha256"];
      fingerprint = event["details"].value("fingerprint", "");
    }
  }
  for (const char* type :
       {"advisory.created", "advisory.published", "artifact.added", "terms.accepted",
        "advisory.fetched", "feed.read", "artifact.fetched", "artifact.variant_previewed"}) {
    EXPECT_EQ(types.count(type), 1u) << type;
  }
  EXPECT_EQ(fetched_hash, crypto::Hex(crypto::Sha256(ReadFile(copy))));
  EXPECT_EQ(fingerprint.rfind("fp_", 0), 0u) << fingerprint;
}

// Fingerprinting over the CLI: the operator's view of a PoC's marks, every partner's distinct
// copy, and a leaked copy traced back to its partner (and its canary) with a bound.
TEST_F(E2eTest, FingerprintStoryOverTheCli) {
  auto init = Run({"init", "--data", data_});
  ASSERT_EQ(init.exit_code, 0) << init.err;
  const std::string admin = LastLine(init.out);
  StartServer();
  std::vector<std::string> partners;
  std::vector<std::string> tokens;
  for (int i = 0; i < 6; ++i) {
    partners.push_back(LastLine(Run({"partner", "add", "--name", fmt::format("P{}", i), "--country",
                                     "DE", "--tier", "early"},
                                    admin)
                                    .out));
    tokens.push_back(LastLine(Run({"token", "create", "--partner", partners.back()}, admin).out));
  }
  const std::string advisory = LastLine(Run({"advisory", "create", "--title", "Portal RCE", "--cve",
                                             "CVE-2026-60003", "--public-date", InDays(3)},
                                            admin)
                                            .out);
  const auto poc_file = dir_.path() / "fabrikam_portal_poc.py";
  std::filesystem::copy_file(std::string(FOREWARN_SAMPLES_DIR) + "/fabrikam_portal_poc.py",
                             poc_file);
  auto added =
      Run({"artifact", "add", "--advisory", advisory, "--kind", "poc", "--file", poc_file.string()},
          admin);
  ASSERT_EQ(added.exit_code, 0) << added.err;
  const std::string artifact = LastLine(added.out);

  auto marks =
      Run({"artifact", "marks", "--advisory", advisory, "--artifact", artifact, "--json"}, admin);
  ASSERT_EQ(marks.exit_code, 0) << marks.err;
  const json view = json::parse(marks.out);
  EXPECT_TRUE(view["fingerprinted"].get<bool>());
  EXPECT_GE(view["capacity_bits"].get<int>(), 100);
  EXPECT_EQ(view["recipients"], 6);
  EXPECT_EQ(view["canaries"].size(), 3u);
  EXPECT_GT(view["points"].size(), 20u);
  auto table = Run({"artifact", "marks", "--advisory", advisory, "--artifact", artifact}, admin);
  EXPECT_NE(table.out.find("import-order"), std::string::npos) << table.out;

  // Each partner downloads its own copy.
  std::set<std::string> copies;
  std::string leaked_copy;
  for (size_t i = 0; i < partners.size(); ++i) {
    ASSERT_EQ(Run({"advisory", "accept-terms", advisory}, tokens[i]).exit_code, 0);
    const auto out = dir_.path() / fmt::format("copy{}.py", i);
    ASSERT_EQ(Run({"artifact", "get", "--advisory", advisory, "--artifact", artifact, "--out",
                   out.string()},
                  tokens[i])
                  .exit_code,
              0);
    copies.insert(ReadFile(out));
    if (i == 4) leaked_copy = out.string();
  }
  EXPECT_EQ(copies.size(), partners.size());

  // Partner 4's copy leaks: the investigator's trace names it, and its canaries.
  auto traced = Run(
      {"investigate", "leak", "--advisory", advisory, "--file", leaked_copy, "--format", "json"},
      admin);
  ASSERT_EQ(traced.exit_code, 0) << traced.err;
  const json report = json::parse(traced.out);
  ASSERT_EQ(report["accused"].size(), 1u) << traced.out;
  EXPECT_EQ(report["accused"][0]["partner"], partners[4]);
  EXPECT_LE(report["accused"][0]["false_accusation_bound"].get<double>(), 1e-6);
  ASSERT_FALSE(report["canary_hits"].empty());
  for (const auto& hit : report["canary_hits"]) EXPECT_EQ(hit["partner"], partners[4]);
  auto text = Run({"investigate", "leak", "--advisory", advisory, "--file", leaked_copy}, admin);
  EXPECT_NE(text.out.find("accused: " + partners[4]), std::string::npos) << text.out;

  // Roles and bad input: a partner may not trace or preview; a missing file is one line.
  EXPECT_EQ(Run({"investigate", "leak", "--advisory", advisory, "--file", leaked_copy}, tokens[0])
                .exit_code,
            1);
  auto missing =
      Run({"investigate", "leak", "--advisory", advisory, "--file", "/nonexistent"}, admin);
  EXPECT_NE(missing.exit_code, 0);
  ExpectOneLineError(missing);
  auto no_partner = Run({"artifact", "variant", "--advisory", advisory, "--artifact", artifact,
                         "--partner", "prt_unknown"},
                        admin);
  EXPECT_EQ(no_partner.exit_code, 1);
  ExpectOneLineError(no_partner);
  // Malformed explicit markup is refused when the artifact is added.
  const auto marked = dir_.path() / "marked.py";
  std::ofstream(marked) << "print('[[fw: only one form]]')\n";
  auto refused =
      Run({"artifact", "add", "--advisory", advisory, "--kind", "poc", "--file", marked.string()},
          admin);
  EXPECT_EQ(refused.exit_code, 2) << refused.err;
  EXPECT_NE(refused.err.find("markup on line 1"), std::string::npos) << refused.err;
  ExportAndVerify(admin, (dir_.path() / "ledger.json").string());
}

}  // namespace
}  // namespace forewarn
