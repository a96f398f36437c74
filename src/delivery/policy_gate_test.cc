// The policy inside the visibility decision, through the HTTP API: the seed case (partners
// labelled poc-restricted receive the written description and never a byte of the PoC, on
// every read path, and explain says why), advisory rules, immediate effect of a change,
// impact preview, enforcement from the instant of suspension, and the endpoints' errors.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include "core/time.h"
#include "crypto/crypto.h"
#include "tests/testing/harness.h"

namespace forewarn::delivery {
namespace {

using nlohmann::json;
using std::chrono::hours;
using testing::Answer;
using testing::Harness;
using testing::TestPartner;

// A PoC whose bytes must never reach a restricted partner, and its written description.
constexpr std::string_view kPoc =
    "import requests\n"
    "MARKER = 'poc-bytes-7f3a9c'\n"
    "requests.post('https://target/_layouts/15/ToolPane.aspx', data={'x': MARKER})\n";
constexpr std::string_view kDescription =
    "The ToolPane endpoint deserializes attacker-controlled data before authentication.\n";
constexpr std::string_view kPocMarker = "poc-bytes-7f3a9c";

class PolicyGateTest : public ::testing::Test {
 protected:
  PolicyGateTest() {
    public_at = h.clock.Now() + hours{24 * 10};
    open = h.AddPartner("Open Early", "early");
    restricted = h.AddPartner("Restricted Early", "early", {"poc-restricted"});
    advisory = Create();
    poc = AddArtifact({{"kind", "poc"}, {"filename", "exploit.py"}, {"content", kPoc}});
    description = AddArtifact({{"kind", "technical-description"},
                               {"filename", "description.txt"},
                               {"content", kDescription},
                               {"alternative_of", poc}});
    detection = AddArtifact({{"kind", "detection"},
                             {"filename", "rule.yar"},
                             {"content", "rule x { condition: true }"}});
    h.clock.Set(public_at - hours{24 * 5});  // the early wave
    AcceptTerms(open);
    AcceptTerms(restricted);
  }

  std::string Create() {
    auto answer =
        h.Call("POST", "/api/v1/advisories", h.admin_token,
               json{{"title", "RCE in Collaboration Server"},
                    {"cves", json::array({"CVE-2026-50001"})},
                    {"cvss", json::array({"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"})},
                    {"public_date", FormatTime(public_at)}});
    EXPECT_EQ(answer.status, 201) << answer.body;
    return answer.json.value("id", "");
  }

  std::string AddArtifact(const json& body) {
    auto answer =
        h.Call("POST", "/api/v1/advisories/" + advisory + "/artifacts", h.admin_token, body);
    EXPECT_EQ(answer.status, 201) << answer.body;
    return answer.json.value("id", "");
  }

  void AcceptTerms(const TestPartner& p) {
    auto got = h.Call("GET", "/api/v1/advisories/" + advisory, p.token);
    ASSERT_EQ(got.status, 200) << got.body;
    auto accepted = h.Call("POST", "/api/v1/advisories/" + advisory + "/terms", p.token,
                           json{{"terms_sha256", got.json["terms"]["sha256"]}});
    ASSERT_EQ(accepted.status, 200) << accepted.body;
  }

  Answer ApplyPolicy(const std::string& text) {
    return h.Call("PUT", "/api/v1/policy", h.admin_token, json{{"text", text}});
  }

  Answer Restrict() {
    return h.Call("POST", "/api/v1/policy/restrict", h.admin_token,
                  json{{"label", "poc-restricted"}, {"reason", "contract requires it"}});
  }

  // The artifact ids the partner's advisory view lists, with their forms.
  std::map<std::string, std::string> Listed(const TestPartner& p) {
    auto got = h.Call("GET", "/api/v1/advisories/" + advisory, p.token);
    EXPECT_EQ(got.status, 200) << got.body;
    std::map<std::string, std::string> out;
    for (const auto& a : got.json["artifacts"]) {
      out[a["id"].get<std::string>()] = a["form"].get<std::string>();
    }
    return out;
  }

  Answer Download(const TestPartner& p, const std::string& artifact) {
    return h.Call("GET",
                  fmt::format("/api/v1/advisories/{}/artifacts/{}/content", advisory, artifact),
                  p.token);
  }

  // Every answer a partner can get about the advisory, concatenated.
  std::string EverythingSeenBy(const TestPartner& p) {
    std::string all;
    for (const std::string& target : std::vector<std::string>{
             "/api/v1/feed", "/api/v1/advisories", "/api/v1/advisories/" + advisory,
             "/api/v1/advisories?cve=CVE-2026-50001",
             fmt::format("/api/v1/advisories/{}/artifacts/{}/content", advisory, poc),
             fmt::format("/api/v1/advisories/{}/artifacts/{}/content", advisory, description),
             fmt::format("/api/v1/advisories/{}/artifacts/{}/content", advisory, detection),
             fmt::format("/api/v1/advisories/{}/artifacts", advisory)}) {
      all += h.Call("GET", target, p.token).body;
    }
    return all;
  }

  Harness h;
  TimePoint public_at;
  TestPartner open, restricted;
  std::string advisory, poc, description, detection;
};

TEST_F(PolicyGateTest, RestrictedPartnersGetTheDescriptionAndNeverAByteOfThePoc) {
  auto applied = Restrict();
  ASSERT_EQ(applied.status, 200) << applied.body;

  EXPECT_EQ(Listed(restricted), (std::map<std::string, std::string>{{description, "alternative"},
                                                                    {detection, "original"}}));
  EXPECT_EQ(Listed(open),
            (std::map<std::string, std::string>{{poc, "original"}, {detection, "original"}}));

  auto denied = Download(restricted, poc);
  EXPECT_EQ(denied.status, 404) << denied.body;
  auto got = Download(restricted, description);
  ASSERT_EQ(got.status, 200) << got.body;
  EXPECT_EQ(got.body, kDescription);
  // The open partner gets the PoC as its own fingerprinted copy: exactly the operator's preview
  // of that partner's variant, with the PoC's content (the marker's stem, the target path).
  const std::string copy = Download(open, poc).body;
  EXPECT_NE(copy, kPoc);
  EXPECT_NE(copy.find("poc-bytes-7f3a9c"), std::string::npos);
  EXPECT_NE(copy.find("ToolPane.aspx"), std::string::npos);
  EXPECT_EQ(copy, h.Call("GET",
                         "/api/v1/advisories/" + advisory + "/artifacts/" + poc +
                             "/variant?partner=" + open.id,
                         h.admin_token)
                      .body);
  EXPECT_EQ(Download(open, description).status, 404);  // the original partner gets the original

  // Not even the PoC's id or file name appears in what the restricted partner reads.
  for (const std::string& target : std::vector<std::string>{
           "/api/v1/feed", "/api/v1/advisories", "/api/v1/advisories/" + advisory,
           "/api/v1/advisories?cve=CVE-2026-50001"}) {
    const std::string body = h.Call("GET", target, restricted.token).body;
    EXPECT_EQ(body.find(poc), std::string::npos) << target;
    EXPECT_EQ(body.find("exploit.py"), std::string::npos) << target;
  }
  EXPECT_NE(h.Call("GET", "/api/v1/advisories/" + advisory, open.token).body.find("exploit.py"),
            std::string::npos);
  const std::string seen = EverythingSeenBy(restricted);
  EXPECT_EQ(seen.find(kPocMarker), std::string::npos);
  EXPECT_EQ(seen.find("ToolPane.aspx"), std::string::npos);
  EXPECT_NE(EverythingSeenBy(open).find(kPocMarker), std::string::npos);

  // The ledger says which form went where, with the hash of the bytes.
  bool found = false;
  for (const auto& event : h.LedgerEvents("artifact.fetched")) {
    if (event["details"]["partner"] != restricted.id) continue;
    EXPECT_NE(event["subject"], poc);
    if (event["subject"] == description) {
      found = true;
      EXPECT_EQ(event["details"]["form"], "alternative");
      EXPECT_EQ(event["details"]["primary"], poc);
      EXPECT_EQ(event["payload_sha256"], crypto::Hex(crypto::Sha256(kDescription)));
    }
  }
  EXPECT_TRUE(found);
}

TEST_F(PolicyGateTest, ExplainSaysWhichRulesDecided) {
  ASSERT_EQ(Restrict().status, 200);
  auto why = h.Call("POST", "/api/v1/policy/explain", h.admin_token,
                    json{{"partner", restricted.id}, {"advisory", advisory}, {"artifact", poc}});
  ASSERT_EQ(why.status, 200) << why.body;
  EXPECT_EQ(why.json["embargo"]["visible"], true);
  EXPECT_EQ(why.json["decision"]["verdict"], "permit");
  ASSERT_EQ(why.json["artifacts"].size(), 1u);
  const auto& item = why.json["artifacts"][0];
  EXPECT_EQ(item["artifact"], poc);
  EXPECT_EQ(item["verdict"], "substitute");
  EXPECT_EQ(item["delivered"]["id"], description);
  EXPECT_EQ(item["delivered"]["form"], "alternative");
  const std::string reason = item["reason"].get<std::string>();
  EXPECT_NE(reason.find("restrict-poc-restricted"), std::string::npos) << reason;
  EXPECT_NE(reason.find(description), std::string::npos) << reason;
  std::set<std::string> rules;
  for (const auto& r : item["rules"]) rules.insert(r["name"].get<std::string>());
  EXPECT_TRUE(rules.count("restrict-poc-restricted") > 0) << item.dump();
  ASSERT_EQ(item["alternatives"].size(), 1u);
  EXPECT_EQ(item["alternatives"][0]["verdict"], "permit");

  auto plain = h.Call("POST", "/api/v1/policy/explain", h.admin_token,
                      json{{"partner", open.id}, {"advisory", advisory}, {"artifact", poc}});
  ASSERT_EQ(plain.status, 200) << plain.body;
  EXPECT_EQ(plain.json["artifacts"][0]["verdict"], "permit");
  EXPECT_EQ(plain.json["artifacts"][0]["delivered"]["id"], poc);

  // Before the wave, explain names the embargo, not a rule.
  auto early = h.Call("POST", "/api/v1/policy/explain", h.admin_token,
                      json{{"partner", restricted.id},
                           {"advisory", advisory},
                           {"at", FormatTime(public_at - hours{24 * 6})}});
  ASSERT_EQ(early.status, 200) << early.body;
  EXPECT_EQ(early.json["embargo"]["visible"], false);
  EXPECT_NE(early.json["embargo"]["reason"].get<std::string>().find("embargoed"),
            std::string::npos);
  EXPECT_TRUE(early.json["decision"].is_null());

  for (const json& bad : {json{{"partner", "prt_missing"}, {"advisory", advisory}},
                          json{{"partner", open.id}, {"advisory", "adv_missing"}},
                          json{{"partner", open.id}, {"advisory", advisory}, {"artifact", "x"}}}) {
    EXPECT_EQ(h.Call("POST", "/api/v1/policy/explain", h.admin_token, bad).status, 404)
        << bad.dump();
  }
  auto unknown_field = h.Call("POST", "/api/v1/policy/explain", h.admin_token,
                              json{{"partner", open.id}, {"advisory", advisory}, {"x", 1}});
  EXPECT_EQ(unknown_field.status, 400);
}

TEST_F(PolicyGateTest, AChangeTakesEffectOnTheNextRequest) {
  EXPECT_EQ(Download(restricted, poc).status, 200);
  ASSERT_EQ(Restrict().status, 200);
  EXPECT_EQ(Download(restricted, poc).status, 404);
  EXPECT_EQ(Download(restricted, description).status, 200);
  auto lifted = h.Call("POST", "/api/v1/policy/unrestrict", h.admin_token,
                       json{{"label", "poc-restricted"}, {"reason", "review closed"}});
  ASSERT_EQ(lifted.status, 200) << lifted.body;
  EXPECT_EQ(Download(restricted, poc).status, 200);
  EXPECT_EQ(Download(restricted, description).status, 404);
}

TEST_F(PolicyGateTest, AdvisoryRulesHideAnAdvisoryLikeTheEmbargoDoes) {
  auto moved =
      h.Call("PATCH", "/api/v1/partners/" + open.id, h.admin_token, json{{"country", "CN"}});
  ASSERT_EQ(moved.status, 200) << moved.body;
  auto unknown = h.Call("GET", "/api/v1/advisories/adv_0000000000000000", open.token);
  ASSERT_EQ(unknown.status, 404);
  auto applied = ApplyPolicy(
      "permit advisory;\npermit artifact;\nforbid advisory when partner.country == \"CN\";\n");
  ASSERT_EQ(applied.status, 200) << applied.body;
  auto hidden = h.Call("GET", "/api/v1/advisories/" + advisory, open.token);
  EXPECT_EQ(hidden.status, 404);
  EXPECT_EQ(hidden.body,
            fmt::format(R"({{"error":{{"code":"not_found","message":"advisory {} not found"}}}})",
                        advisory) +
                "\n")
      << hidden.body;
  EXPECT_EQ(h.Call("GET", "/api/v1/advisories", open.token).json["count"], 0);
  EXPECT_TRUE(h.Call("GET", "/api/v1/feed", open.token).json["items"].empty());
  EXPECT_EQ(Download(open, poc).status, 404);
  EXPECT_EQ(h.Call("GET", "/api/v1/advisories", restricted.token).json["count"], 1);

  // A policy can use severity and time: the PoC only two days after the wave.
  applied = ApplyPolicy(
      "permit advisory;\n"
      "permit artifact when artifact.kind != \"poc\";\n"
      "permit artifact when advisory.severity == \"critical\" and now >= wave.opened_at + 2d;\n");
  ASSERT_EQ(applied.status, 200) << applied.body;
  EXPECT_EQ(Download(restricted, poc).status, 404);
  h.clock.Advance(hours{48} - std::chrono::microseconds{1});
  EXPECT_EQ(Download(restricted, poc).status, 404);
  h.clock.Advance(std::chrono::microseconds{1});
  EXPECT_EQ(Download(restricted, poc).status, 200);
}

TEST_F(PolicyGateTest, PreviewListsWhoGainsAndLosesBeforeApplying) {
  const uint64_t before = h.LedgerSize();
  auto current = h.Call("GET", "/api/v1/policy", h.admin_token);
  ASSERT_EQ(current.status, 200);
  const std::string candidate =
      current.json["text"].get<std::string>() +
      "substitute artifact when partner.labels contains \"poc-restricted\" and "
      "artifact.kind == \"poc\";\n"
      "forbid artifact when artifact.kind == \"detection\" and partner.name == \"Open Early\";\n";
  auto preview = h.Call("POST", "/api/v1/policy/preview", h.admin_token, json{{"text", candidate}});
  ASSERT_EQ(preview.status, 200) << preview.body;
  EXPECT_EQ(h.LedgerSize(), before);  // a preview changes nothing
  const auto& changes = preview.json["changes"];
  ASSERT_EQ(changes.size(), 2u) << preview.body;
  std::map<std::string, json> by_partner;
  for (const auto& c : changes) by_partner[c["partner"].get<std::string>()] = c;
  const auto& r = by_partner.at(restricted.id);
  EXPECT_EQ(r["change"], "form");
  EXPECT_EQ(r["artifact"], poc);
  EXPECT_EQ(r["before"]["id"], poc);
  EXPECT_EQ(r["after"]["id"], description);
  const auto& o = by_partner.at(open.id);
  EXPECT_EQ(o["change"], "loses");
  EXPECT_EQ(o["artifact"], detection);
  EXPECT_TRUE(o["after"].is_null());
  EXPECT_EQ(preview.json["summary"]["partners_affected"], 2);
  EXPECT_EQ(preview.json["summary"]["losses"], 1);
  EXPECT_EQ(preview.json["summary"]["form_changes"], 1);

  // Previewing before the wave sees nothing to change yet.
  auto earlier = h.Call("POST", "/api/v1/policy/preview", h.admin_token,
                        json{{"text", candidate}, {"at", FormatTime(public_at - hours{24 * 6})}});
  ASSERT_EQ(earlier.status, 200);
  EXPECT_TRUE(earlier.json["changes"].empty());
}

TEST_F(PolicyGateTest, SuspensionCutsEveryPathAtThatInstant) {
  const Principal stale = restricted.principal;  // as a request in flight would hold it
  ASSERT_TRUE(h.program->pull().GetAdvisory(stale, advisory).has_value());
  auto suspended = h.Call("POST", "/api/v1/partners/" + restricted.id + "/suspend", h.admin_token,
                          json{{"reason", "suspected leak"}});
  ASSERT_EQ(suspended.status, 200) << suspended.body;
  // The token no longer authenticates...
  for (const std::string& target : std::vector<std::string>{
           "/api/v1/feed", "/api/v1/advisories", "/api/v1/advisories/" + advisory,
           fmt::format("/api/v1/advisories/{}/artifacts/{}/content", advisory, detection)}) {
    EXPECT_EQ(h.Call("GET", target, restricted.token).status, 401) << target;
  }
  // ...and even a principal authenticated before the suspension gets nothing.
  auto& pull = h.program->pull();
  EXPECT_EQ(pull.GetAdvisory(stale, advisory).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(pull.FetchArtifact(stale, advisory, detection).error().code, ErrorCode::kNotFound);
  auto list = pull.ListAdvisories(stale, std::nullopt);
  ASSERT_TRUE(list.has_value());
  EXPECT_EQ(json::parse(list->body)["count"], 0);
  auto feed = pull.Feed(stale, "", 100);
  ASSERT_TRUE(feed.has_value());
  EXPECT_TRUE(json::parse(feed->body)["items"].empty());
  auto why = h.Call("POST", "/api/v1/policy/explain", h.admin_token,
                    json{{"partner", restricted.id}, {"advisory", advisory}});
  ASSERT_EQ(why.status, 200);
  EXPECT_NE(why.json["embargo"]["reason"].get<std::string>().find("suspended"), std::string::npos);
}

TEST_F(PolicyGateTest, PolicyEndpointsCheckRolesAndInput) {
  const std::string analyst = h.OperatorToken(Role::kAnalyst);
  const std::string auditor = h.OperatorToken(Role::kAuditor);
  EXPECT_EQ(h.Call("GET", "/api/v1/policy", auditor).status, 200);
  EXPECT_EQ(h.Call("GET", "/api/v1/policy", open.token).status, 403);
  EXPECT_EQ(h.Call("GET", "/api/v1/policy", "").status, 401);
  EXPECT_EQ(h.Call("PUT", "/api/v1/policy", analyst, json{{"text", "permit advisory;"}}).status,
            403);
  EXPECT_EQ(h.Call("POST", "/api/v1/policy/preview", open.token, json{{"text", ""}}).status, 403);
  auto bad = ApplyPolicy("permit advisory;\nforbid artifact when artifact.kind == \"pco\";\n");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.json["error"]["code"], "invalid_argument");
  EXPECT_NE(bad.json["error"]["message"].get<std::string>().find("line 2, column"),
            std::string::npos)
      << bad.body;
  EXPECT_EQ(h.Call("PUT", "/api/v1/policy", h.admin_token, json{{"comment", "x"}}).status, 400);
  EXPECT_EQ(h.Call("PUT", "/api/v1/policy", h.admin_token, std::string("not json")).status, 400);
  auto stale = h.Call("PUT", "/api/v1/policy", h.admin_token,
                      json{{"text", "permit advisory;\n"}, {"base_version", 7}});
  EXPECT_EQ(stale.status, 409);
  auto validate = h.Call("POST", "/api/v1/policy/validate", auditor,
                         json{{"text", "permit advisory\npermit artifact;"}});
  ASSERT_EQ(validate.status, 200);
  EXPECT_EQ(validate.json["valid"], false);
  EXPECT_EQ(validate.json["diagnostics"][0]["line"], 2);
  EXPECT_EQ(h.Call("GET", "/api/v1/policy/versions/9", auditor).status, 404);
  EXPECT_EQ(h.Call("GET", "/api/v1/policy/versions/x", auditor).status, 404);
  EXPECT_EQ(h.Call("GET", "/api/v1/policy/versions/0", auditor).status, 200);
  ASSERT_EQ(ApplyPolicy("permit advisory;\npermit artifact;\n").status, 200);
  auto versions = h.Call("GET", "/api/v1/policy/versions", auditor);
  ASSERT_EQ(versions.status, 200);
  ASSERT_EQ(versions.json["versions"].size(), 1u);
  EXPECT_FALSE(versions.json["versions"][0].contains("text"));
}

TEST_F(PolicyGateTest, BulkDownloadsRaiseAnAlertOperatorsSeeAndAcknowledge) {
  const std::string auditor = h.OperatorToken(Role::kAuditor);
  const std::string investigator = h.OperatorToken(Role::kInvestigator);
  for (int i = 0; i < 201; ++i) ASSERT_EQ(Download(open, detection).status, 200);
  EXPECT_EQ(Download(restricted, detection).status, 200);
  auto flushed = h.monitor->Flush();
  ASSERT_TRUE(flushed.has_value()) << flushed.error().message;
  ASSERT_EQ(flushed->size(), 1u);

  auto alerts = h.Call("GET", "/api/v1/alerts?state=open", auditor);
  ASSERT_EQ(alerts.status, 200) << alerts.body;
  ASSERT_EQ(alerts.json["count"], 1);
  const json alert = alerts.json["alerts"][0];
  EXPECT_EQ(alert["partner"], open.id);
  EXPECT_EQ(alert["kind"], "volume");
  EXPECT_GE(alert["evidence"]["fetches"].get<int>(), 201);
  ASSERT_FALSE(alert["evidence"]["ledger_indexes"].empty());
  // The evidence points at real deliveries on the ledger.
  const uint64_t first = alert["evidence"]["ledger_indexes"][0];
  auto entry = h.Call(
      "GET", fmt::format("/api/v1/ledger/entries?start={}&end={}", first, first + 1), auditor);
  ASSERT_EQ(entry.status, 200) << entry.body;
  ASSERT_EQ(entry.json["entries"].size(), 1u);
  const json event = entry.json["entries"][0]["event"];
  EXPECT_EQ(event["details"]["partner"], open.id);
  EXPECT_TRUE(event["type"] == "artifact.fetched" || event["type"] == "advisory.fetched") << event;
  EXPECT_EQ(h.LedgerEvents("alert.raised").size(), 1u);

  auto metrics = h.Call("GET", "/metrics", "");
  EXPECT_NE(metrics.body.find("forewarn_alerts_raised_total{kind=\"volume\"} 1"),
            std::string::npos);
  EXPECT_NE(metrics.body.find("forewarn_alerts_open 1"), std::string::npos);

  const std::string path = "/api/v1/alerts/" + alert["id"].get<std::string>();
  EXPECT_EQ(h.Call("GET", "/api/v1/alerts", open.token).status, 403);
  EXPECT_EQ(h.Call("POST", path + "/acknowledge", auditor, json{{"note", "x"}}).status, 403);
  EXPECT_EQ(h.Call("POST", path + "/acknowledge", investigator, json::object()).status, 400);
  auto acked = h.Call("POST", path + "/acknowledge", investigator,
                      json{{"note", "partner confirmed a mirror rebuild"}});
  ASSERT_EQ(acked.status, 200) << acked.body;
  EXPECT_EQ(acked.json["state"], "acknowledged");
  EXPECT_EQ(h.Call("POST", path + "/acknowledge", investigator, json{{"note", "again"}}).status,
            409);
  EXPECT_EQ(h.Call("GET", "/api/v1/alerts/alr_missing", auditor).status, 404);
  EXPECT_EQ(h.Call("GET", "/api/v1/alerts?state=bogus", auditor).status, 400);
  EXPECT_NE(h.Call("GET", "/metrics", "").body.find("forewarn_alerts_open 0"), std::string::npos);
}

// A property over every read path: random policies built from rule templates, applied through
// the API; each partner's advisory view, downloads and 404s match a reference written here
// directly from the documented semantics (default deny, forbid > substitute > permit,
// substitute = first permitted alternative form, advisory rules hide the advisory).
struct TemplateRule {
  enum Kind {
    kPermitAdvisory,
    kForbidAdvisoryLabel,
    kPermitArtifact,
    kPermitKind,
    kForbidKind,
    kForbidKindCountry,
    kSubstituteLabel,
    kSubstituteLabelKind
  } kind;
  std::string label;    // "poc-restricted" or "gov"
  std::string country;  // "DE" or "CN"
  std::string artifact_kind;
};

std::string Render(const TemplateRule& r) {
  switch (r.kind) {
    case TemplateRule::kPermitAdvisory:
      return "permit advisory;";
    case TemplateRule::kForbidAdvisoryLabel:
      return fmt::format("forbid advisory when partner.labels contains \"{}\";", r.label);
    case TemplateRule::kPermitArtifact:
      return "permit artifact;";
    case TemplateRule::kPermitKind:
      return fmt::format("permit artifact when artifact.kind == \"{}\";", r.artifact_kind);
    case TemplateRule::kForbidKind:
      return fmt::format("forbid artifact when artifact.kind == \"{}\";", r.artifact_kind);
    case TemplateRule::kForbidKindCountry:
      return fmt::format(
          "forbid artifact when artifact.kind == \"{}\" and partner.country == "
          "\"{}\";",
          r.artifact_kind, r.country);
    case TemplateRule::kSubstituteLabel:
      return fmt::format("substitute artifact when partner.labels contains \"{}\";", r.label);
    case TemplateRule::kSubstituteLabelKind:
      return fmt::format(
          "substitute artifact when partner.labels contains \"{}\" and artifact.kind == "
          "\"{}\";",
          r.label, r.artifact_kind);
  }
  return "";
}

struct RefPartner {
  std::set<std::string> labels;
  std::string country;
};

// What the reference says one artifact decision is: 'F'orbid, 'S'ubstitute, 'P'ermit, 'D'eny.
char RefDecide(const std::vector<TemplateRule>& rules, const RefPartner& p,
               const std::string& kind) {
  bool forbid = false, substitute = false, permit = false;
  for (const auto& r : rules) {
    const bool label = p.labels.count(r.label) > 0;
    switch (r.kind) {
      case TemplateRule::kPermitArtifact:
        permit = true;
        break;
      case TemplateRule::kPermitKind:
        permit = permit || kind == r.artifact_kind;
        break;
      case TemplateRule::kForbidKind:
        forbid = forbid || kind == r.artifact_kind;
        break;
      case TemplateRule::kForbidKindCountry:
        forbid = forbid || (kind == r.artifact_kind && p.country == r.country);
        break;
      case TemplateRule::kSubstituteLabel:
        substitute = substitute || label;
        break;
      case TemplateRule::kSubstituteLabelKind:
        substitute = substitute || (label && kind == r.artifact_kind);
        break;
      default:
        break;
    }
  }
  return forbid ? 'F' : substitute ? 'S' : permit ? 'P' : 'D';
}

bool RefSeesAdvisory(const std::vector<TemplateRule>& rules, const RefPartner& p) {
  bool permit = false, forbid = false;
  for (const auto& r : rules) {
    if (r.kind == TemplateRule::kPermitAdvisory) permit = true;
    if (r.kind == TemplateRule::kForbidAdvisoryLabel && p.labels.count(r.label) > 0) forbid = true;
  }
  return permit && !forbid;
}

TEST_F(PolicyGateTest, EveryReadPathMatchesTheReferenceForRandomPolicies) {
  // The same cases every run unless RC_PARAMS is set (e.g. "seed=7 max_success=500").
  ASSERT_EQ(::setenv("RC_PARAMS", "seed=20261123 max_success=100", /*overwrite=*/0), 0);
  // Primaries and their forms: poc -> description; detection -> a second, ioc-kind form.
  const std::string ioc_form = AddArtifact({{"kind", "ioc"},
                                            {"filename", "iocs.txt"},
                                            {"content", "evil.example\n"},
                                            {"alternative_of", detection}});
  // A PoC given as an alternative form: a substitution must never deliver it to a partner
  // whom a substitute rule restricts for PoCs.
  const std::string poc_form = AddArtifact({{"kind", "poc"},
                                            {"filename", "variant.py"},
                                            {"content", "print('variant')\n"},
                                            {"alternative_of", detection}});
  AcceptTerms(open);  // the artifacts started revision 2, whose terms are the same
  AcceptTerms(restricted);
  auto moved = h.Call("PATCH", "/api/v1/partners/" + open.id, h.admin_token,
                      json{{"country", "CN"}, {"labels", json::array({"gov"})}});
  ASSERT_EQ(moved.status, 200) << moved.body;
  const std::map<std::string, RefPartner> partners = {{open.id, {{"gov"}, "CN"}},
                                                      {restricted.id, {{"poc-restricted"}, "DE"}}};
  const std::map<std::string, const TestPartner*> tokens = {{open.id, &open},
                                                            {restricted.id, &restricted}};
  struct Group {
    std::string primary, kind;
    std::vector<std::pair<std::string, std::string>> forms;  // id, kind
  };
  const std::vector<Group> groups = {
      {poc, "poc", {{description, "technical-description"}}},
      {detection, "detection", {{ioc_form, "ioc"}, {poc_form, "poc"}}}};
  const std::vector<std::string> all = {poc, description, detection, ioc_form, poc_form};

  const bool held = rc::check("partners receive exactly what the reference decides", [&] {
    // Mostly visible advisories and several artifact rules, so decisions often combine
    // effects on the same artifact.
    const auto kind =
        rc::gen::weightedElement<TemplateRule::Kind>({{1, TemplateRule::kForbidAdvisoryLabel},
                                                      {2, TemplateRule::kPermitArtifact},
                                                      {3, TemplateRule::kPermitKind},
                                                      {2, TemplateRule::kForbidKind},
                                                      {2, TemplateRule::kForbidKindCountry},
                                                      {2, TemplateRule::kSubstituteLabel},
                                                      {3, TemplateRule::kSubstituteLabelKind}});
    auto rules = *rc::gen::container<std::vector<TemplateRule>>(
        *rc::gen::inRange(1, 9),
        rc::gen::build<TemplateRule>(
            rc::gen::set(&TemplateRule::kind, kind),
            rc::gen::set(&TemplateRule::label,
                         rc::gen::element<std::string>("poc-restricted", "gov")),
            rc::gen::set(&TemplateRule::country, rc::gen::element<std::string>("DE", "CN")),
            rc::gen::set(&TemplateRule::artifact_kind,
                         rc::gen::element<std::string>("poc", "technical-description", "detection",
                                                       "ioc"))));
    if (*rc::gen::inRange(0, 10) > 0) {
      rules.insert(rules.begin() + *rc::gen::inRange<size_t>(0, rules.size() + 1),
                   TemplateRule{.kind = TemplateRule::kPermitAdvisory});
    }
    std::string text = "# generated\n";
    for (const auto& r : rules) text += Render(r) + "\n";
    auto applied = ApplyPolicy(text);
    RC_LOG() << text << applied.body;
    RC_ASSERT(applied.status == 200);
    for (const auto& [id, ref] : partners) {
      const TestPartner& p = *tokens.at(id);
      auto got = h.Call("GET", "/api/v1/advisories/" + advisory, p.token);
      const bool sees = RefSeesAdvisory(rules, ref);
      RC_ASSERT(got.status == (sees ? 200 : 404));
      auto list = h.Call("GET", "/api/v1/advisories", p.token);
      RC_ASSERT(list.json["count"] == (sees ? 1 : 0));
      auto feed = h.Call("GET", "/api/v1/feed", p.token);
      RC_ASSERT(feed.json["items"].empty() == !sees);
      std::set<std::string> expected;
      for (const auto& g : groups) {
        if (!sees) break;
        const char verdict = RefDecide(rules, ref, g.kind);
        if (verdict == 'P') expected.insert(g.primary);
        if (verdict == 'S') {
          // A form stands in only if, judged as an original, it would be permitted: no
          // forbid, no substitute, some permit.
          for (const auto& [form, form_kind] : g.forms) {
            if (RefDecide(rules, ref, form_kind) == 'P') {
              expected.insert(form);
              break;
            }
          }
        }
      }
      std::set<std::string> listed;
      if (sees) {
        for (const auto& a : got.json["artifacts"]) listed.insert(a["id"].get<std::string>());
      }
      RC_ASSERT(listed == expected);
      for (const auto& artifact : all) {
        RC_ASSERT(Download(p, artifact).status == (expected.count(artifact) > 0 ? 200 : 404));
      }
    }
  });
  EXPECT_TRUE(held) << "a property failed; see the counterexample above";
}

}  // namespace
}  // namespace forewarn::delivery
