// The fingerprinting endpoints through the HTTP API: marks and capacity, variant preview, leak
// trace; roles; bad input answered with clear errors and nothing recorded; and the copies
// partners download being exactly the previews, fingerprinted and on the ledger.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "core/time.h"
#include "crypto/crypto.h"
#include "tests/testing/harness.h"

namespace forewarn::delivery {
namespace {

using nlohmann::json;
using std::chrono::hours;
using testing::Harness;
using testing::TestPartner;

std::string SamplePoc() {
  std::ifstream in(std::string(FOREWARN_SAMPLES_DIR) + "/fabrikam_portal_poc.py");
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_FALSE(text.str().empty());
  return text.str();
}

class FingerprintRoutesTest : public ::testing::Test {
 protected:
  FingerprintRoutesTest() {
    const TimePoint public_at = h.clock.Now() + hours{24 * 10};
    for (int i = 0; i < 4; ++i) partners.push_back(h.AddPartner(fmt::format("P{}", i), "early"));
    auto created = h.Call("POST", "/api/v1/advisories", h.admin_token,
                          json{{"title", "Portal RCE"},
                               {"cves", json::array({"CVE-2026-50011"})},
                               {"public_date", FormatTime(public_at)}});
    EXPECT_EQ(created.status, 201) << created.body;
    advisory = created.json.value("id", "");
    poc = Add({{"kind", "poc"}, {"filename", "poc.py"}, {"content", SamplePoc()}});
    rule = Add({{"kind", "detection"},
                {"filename", "rule.yar"},
                {"content", "rule x { condition: true }"}});
    h.clock.Set(public_at - hours{24 * 5});  // the early wave
    for (const auto& p : partners) {
      auto shown = h.Call("GET", "/api/v1/advisories/" + advisory, p.token);
      auto accepted = h.Call("POST", "/api/v1/advisories/" + advisory + "/terms", p.token,
                             json{{"terms_sha256", shown.json["terms"]["sha256"]}});
      EXPECT_EQ(accepted.status, 200) << accepted.body;
    }
  }

  std::string Add(const json& body) {
    auto answer =
        h.Call("POST", "/api/v1/advisories/" + advisory + "/artifacts", h.admin_token, body);
    EXPECT_EQ(answer.status, 201) << answer.body;
    return answer.json.value("id", "");
  }

  std::string Path(const std::string& artifact, const std::string& rest) const {
    return "/api/v1/advisories/" + advisory + "/artifacts/" + artifact + rest;
  }

  Harness h;
  std::vector<TestPartner> partners;
  std::string advisory, poc, rule;
};

TEST_F(FingerprintRoutesTest, MarksShowCapacityPointsAndCanaries) {
  auto marks = h.Call("GET", Path(poc, "/marks"), h.admin_token);
  ASSERT_EQ(marks.status, 200) << marks.body;
  EXPECT_TRUE(marks.json["fingerprinted"].get<bool>());
  EXPECT_EQ(marks.json["language"], "python");
  EXPECT_EQ(marks.json["recipients"], 4);
  EXPECT_GE(marks.json["capacity_bits"].get<int>(), 100);
  // 102 bits trace a single leaker but fall short of what pairs need: the operator is told.
  EXPECT_GT(marks.json["needed_bits"].get<int>(), marks.json["capacity_bits"].get<int>());
  ASSERT_TRUE(marks.json["warning"].is_string()) << marks.body;
  EXPECT_NE(marks.json["warning"].get<std::string>().find("A single leaker of the whole copy is "
                                                          "still traced"),
            std::string::npos);
  int bits = 0;
  for (const auto& p : marks.json["points"]) bits += p["bits"].get<int>();
  EXPECT_EQ(bits, marks.json["capacity_bits"].get<int>());
  EXPECT_EQ(marks.json["canaries"].size(), 3u);
  // A detection rule is normal, not sensitive: not fingerprinted, and it says so.
  auto normal = h.Call("GET", Path(rule, "/marks"), h.admin_token);
  ASSERT_EQ(normal.status, 200);
  EXPECT_FALSE(normal.json["fingerprinted"].get<bool>());
  auto preview = h.Call("GET", Path(rule, "/variant?partner=" + partners[0].id), h.admin_token);
  EXPECT_EQ(preview.status, 409) << preview.body;
  EXPECT_NE(preview.body.find("not fingerprinted"), std::string::npos);
}

TEST_F(FingerprintRoutesTest, DownloadsArePreviewsAndTracesNameTheLeaker) {
  const uint64_t before = h.LedgerSize();
  std::vector<std::string> copies;
  for (const auto& p : partners) {
    auto got = h.Call("GET", Path(poc, "/content"), p.token);
    ASSERT_EQ(got.status, 200) << got.body;
    auto preview = h.Call("GET", Path(poc, "/variant?partner=" + p.id), h.admin_token);
    ASSERT_EQ(preview.status, 200) << preview.body;
    EXPECT_EQ(preview.body, got.body);
    EXPECT_EQ(preview.Header("X-Forewarn-Sha256"), crypto::Hex(crypto::Sha256(got.body)));
    copies.push_back(got.body);
  }
  EXPECT_EQ(std::set<std::string>(copies.begin(), copies.end()).size(), partners.size());
  const auto fetched = h.LedgerEvents("artifact.fetched");
  ASSERT_EQ(fetched.size(), partners.size());
  for (size_t i = 0; i < fetched.size(); ++i) {
    EXPECT_EQ(fetched[i]["payload_sha256"], crypto::Hex(crypto::Sha256(copies[i])));
    EXPECT_EQ(fetched[i]["details"]["fingerprint"].get<std::string>().rfind("fp_", 0), 0u);
  }
  EXPECT_EQ(h.LedgerEvents("artifact.variant_previewed").size(), partners.size());
  EXPECT_EQ(h.LedgerSize(), before + 2 * partners.size());

  // Half of partner 2's copy leaks.
  const std::string leaked = copies[2].substr(0, copies[2].size() / 2);
  auto traced = h.Call("POST", "/api/v1/advisories/" + advisory + "/trace",
                       h.OperatorToken(Role::kInvestigator), leaked);
  ASSERT_EQ(traced.status, 200) << traced.body;
  ASSERT_EQ(traced.json["accused"].size(), 1u) << traced.body;
  EXPECT_EQ(traced.json["accused"][0]["partner"], partners[2].id);
  EXPECT_LE(traced.json["accused"][0]["false_accusation_bound"].get<double>(), 1e-6);
  EXPECT_EQ(traced.json["accused"][0]["artifact"], poc);
  EXPECT_EQ(traced.json["candidates"], 4);
  for (const auto& hit : traced.json["canary_hits"]) EXPECT_EQ(hit["partner"], partners[2].id);
  const auto recorded = h.LedgerEvents("leak.traced");
  ASSERT_EQ(recorded.size(), 1u);
  EXPECT_EQ(recorded[0]["details"]["accused"], json::array({partners[2].id}));
  EXPECT_EQ(recorded[0]["payload_sha256"], crypto::Hex(crypto::Sha256(leaked)));
}

TEST_F(FingerprintRoutesTest, RolesAndBadInputGetClearErrorsAndRecordNothing) {
  const std::string analyst = h.OperatorToken(Role::kAnalyst);
  const std::string auditor = h.OperatorToken(Role::kAuditor);
  const uint64_t before = h.LedgerSize();
  const std::string trace = "/api/v1/advisories/" + advisory + "/trace";
  struct Case {
    std::string method, target, token, body;
    int status;
  };
  const std::vector<Case> cases = {
      // Partners and auditors see no marks, previews or traces (403 before any lookup).
      {"GET", Path(poc, "/marks"), partners[0].token, "", 403},
      {"GET", Path(poc, "/variant?partner=" + partners[0].id), partners[0].token, "", 403},
      {"POST", trace, partners[0].token, "leak", 403},
      {"GET", Path(poc, "/variant?partner=" + partners[0].id), auditor, "", 403},
      {"POST", trace, analyst, "leak", 403},  // analysts preview, investigators trace
      {"GET", Path(poc, "/marks"), "", "", 401},
      // Bad input.
      {"GET", Path(poc, "/variant"), h.admin_token, "", 400},
      {"GET", Path(poc, "/variant?partner="), h.admin_token, "", 400},
      {"GET", Path(poc, "/variant?partner=" + partners[0].id + "&x=1"), h.admin_token, "", 400},
      {"GET", Path(poc, "/marks?verbose=1"), h.admin_token, "", 400},
      {"POST", trace, h.admin_token, "", 400},
      {"POST", trace + "?x=1", h.admin_token, "leak", 400},
      // Unknown or mismatched ids.
      {"GET", Path(poc, "/variant?partner=prt_nobody"), h.admin_token, "", 404},
      {"GET", Path("art_0000000000000000", "/marks"), h.admin_token, "", 404},
      {"GET", "/api/v1/advisories/adv_0000000000000000/artifacts/" + poc + "/marks", h.admin_token,
       "", 404},
      {"POST", "/api/v1/advisories/adv_0000000000000000/trace", h.admin_token, "leak", 404},
  };
  for (const auto& c : cases) {
    auto answer = h.Call(c.method, c.target, c.token, c.body);
    EXPECT_EQ(answer.status, c.status) << c.method << " " << c.target << ": " << answer.body;
    EXPECT_TRUE(answer.json.contains("error")) << answer.body;
    EXPECT_FALSE(answer.json["error"].value("message", "").empty());
  }
  EXPECT_EQ(h.LedgerSize(), before) << "a refused request recorded something";
  // Malformed explicit markup is refused when the artifact is added, naming the line.
  auto refused = h.Call("POST", "/api/v1/advisories/" + advisory + "/artifacts", h.admin_token,
                        json{{"kind", "poc"},
                             {"filename", "marked.py"},
                             {"content", "x = 1\nprint('[[fw: only one]]')\n"}});
  EXPECT_EQ(refused.status, 400);
  EXPECT_NE(refused.body.find("markup on line 2"), std::string::npos) << refused.body;
}

// Markup in a normal (not sensitive) artifact is still replaced: partners never see "[[fw".
TEST_F(FingerprintRoutesTest, MarkupNeverReachesAPartnerAsWritten) {
  const std::string marked = Add({{"kind", "mitigation"},
                                  {"filename", "steps.txt"},
                                  {"sensitivity", "normal"},
                                  {"content",
                                   "Block [[fw: POST | post]] requests to "
                                   "[[fw-canary: path url-path /_layouts/{id}.aspx]]."}});
  auto revised = h.Call("GET", "/api/v1/advisories/" + advisory, partners[1].token);
  ASSERT_EQ(revised.status, 200) << revised.body;
  if (!revised.json.value("terms_accepted", true)) {
    ASSERT_EQ(h.Call("POST", "/api/v1/advisories/" + advisory + "/terms", partners[1].token,
                     json{{"terms_sha256", revised.json["terms"]["sha256"]}})
                  .status,
              200);
  }
  auto got = h.Call("GET", Path(marked, "/content"), partners[1].token);
  ASSERT_EQ(got.status, 200) << got.body;
  EXPECT_EQ(got.body.find("[[fw"), std::string::npos) << got.body;
  EXPECT_EQ(got.body.rfind("Block ", 0), 0u) << got.body;
  EXPECT_NE(got.body.find("/_layouts/"), std::string::npos) << got.body;
}

}  // namespace
}  // namespace forewarn::delivery
