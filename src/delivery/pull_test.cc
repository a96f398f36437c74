// The partner pull API through the HTTP API: embargo boundaries on every read path (one tick
// before and at each wave, for each tier and revision ordering), identical 404s, terms,
// ledger records of every delivery, feed cursors, withdrawal, and the story end to end over a
// real socket.
#include "delivery/pull.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "core/time.h"
#include "tests/testing/harness.h"

namespace forewarn::delivery {
namespace {

using nlohmann::json;
using std::chrono::hours;
using std::chrono::microseconds;
using testing::Answer;
using testing::Harness;
using testing::TestPartner;

constexpr microseconds kTick{1};

// Everything one partner can learn about the program through its read paths.
struct Observation {
  std::map<std::string, int> listed;   // GET /advisories: id -> revision
  std::map<std::string, int> fetched;  // GET /advisories/{id}: id -> revision (200s only)
  std::set<std::pair<std::string, int>> released;  // feed "released" items
  std::set<std::string> public_items;              // feed "public" items
};

class PullTest : public ::testing::Test {
 protected:
  PullTest() {
    public_at = h.clock.Now() + hours{24 * 10};
    early = h.AddPartner("Early Bird Security", "early");
    standard = h.AddPartner("Standard Defense", "standard");
  }

  std::string CreateAdvisory(const json& extra = json::object()) {
    json body = {{"title", "RCE in Collaboration Server"},
                 {"cves", json::array({"CVE-2026-50001"})},
                 {"public_date", FormatTime(public_at)}};
    body.update(extra);
    auto answer = h.Call("POST", "/api/v1/advisories", h.admin_token, body);
    EXPECT_EQ(answer.status, 201) << answer.body;
    return answer.json.value("id", "");
  }

  std::string AddArtifact(const std::string& advisory, const json& body) {
    auto answer =
        h.Call("POST", "/api/v1/advisories/" + advisory + "/artifacts", h.admin_token, body);
    EXPECT_EQ(answer.status, 201) << answer.body;
    return answer.json.value("id", "");
  }

  Observation Observe(const TestPartner& p, const std::vector<std::string>& ids) {
    Observation o;
    auto list = h.Call("GET", "/api/v1/advisories", p.token);
    EXPECT_EQ(list.status, 200) << list.body;
    for (const auto& a : list.json["advisories"]) {
      o.listed[a["id"].get<std::string>()] = a["revision"].get<int>();
    }
    EXPECT_EQ(list.json["count"], o.listed.size());
    for (const auto& id : ids) {
      auto got = h.Call("GET", "/api/v1/advisories/" + id, p.token);
      if (got.status == 200) {
        o.fetched[id] = got.json["revision"].get<int>();
      } else {
        EXPECT_EQ(got.status, 404) << got.body;
      }
    }
    std::string cursor;
    for (int page = 0; page < 100; ++page) {
      auto feed = h.Call("GET", "/api/v1/feed?limit=2&cursor=" + cursor, p.token);
      EXPECT_EQ(feed.status, 200) << feed.body;
      for (const auto& item : feed.json["items"]) {
        const auto advisory = item["advisory"].get<std::string>();
        if (item["event"] == "released") o.released.insert({advisory, item["revision"].get<int>()});
        if (item["event"] == "public") o.public_items.insert(advisory);
      }
      cursor = feed.json["next_cursor"].get<std::string>();
      if (!feed.json["has_more"].get<bool>()) break;
    }
    return o;
  }

  std::string UnknownBody(const std::string& id) {
    auto answer = h.Call("GET", "/api/v1/advisories/" + id, early.token);
    EXPECT_EQ(answer.status, 404);
    return answer.body;
  }

  void AcceptTerms(const TestPartner& p, const std::string& id) {
    auto got = h.Call("GET", "/api/v1/advisories/" + id, p.token);
    ASSERT_EQ(got.status, 200) << got.body;
    auto accepted = h.Call("POST", "/api/v1/advisories/" + id + "/terms", p.token,
                           json{{"terms_sha256", got.json["terms"]["sha256"]}});
    ASSERT_EQ(accepted.status, 200) << accepted.body;
  }

  Harness h;
  TimePoint public_at;
  TestPartner early, standard;
};

TEST_F(PullTest, EveryReadPathOpensExactlyAtTheTiersWave) {
  const std::string id = CreateAdvisory();
  const TimePoint early_wave = public_at - hours{24 * 5};
  const TimePoint standard_wave = public_at - hours{24};
  struct Step {
    TimePoint at;
    int early_revision;  // 0 = not visible
    int standard_revision;
  };
  for (const Step& step : {Step{early_wave - kTick, 0, 0}, Step{early_wave, 1, 0},
                           Step{standard_wave - kTick, 1, 0}, Step{standard_wave, 1, 1}}) {
    h.clock.Set(step.at);
    SCOPED_TRACE(FormatTime(step.at));
    for (const auto& [partner, revision] :
         {std::pair{&early, step.early_revision}, std::pair{&standard, step.standard_revision}}) {
      const Observation o = Observe(*partner, {id});
      if (revision == 0) {
        EXPECT_TRUE(o.listed.empty());
        EXPECT_TRUE(o.fetched.empty());
        EXPECT_TRUE(o.released.empty());
        // Terms and downloads of an embargoed advisory are the same 404 as a missing one.
        auto terms = h.Call("POST", "/api/v1/advisories/" + id + "/terms", partner->token,
                            json{{"terms_sha256", std::string(64, '0')}});
        EXPECT_EQ(terms.status, 404);
      } else {
        EXPECT_EQ(o.listed.at(id), revision);
        EXPECT_EQ(o.fetched.at(id), revision);
        EXPECT_EQ(o.released, (std::set<std::pair<std::string, int>>{{id, revision}}));
      }
      EXPECT_TRUE(o.public_items.empty());
    }
  }
  h.clock.Set(public_at - kTick);
  EXPECT_TRUE(Observe(early, {id}).public_items.empty());
  h.clock.Set(public_at);
  EXPECT_EQ(Observe(early, {id}).public_items, std::set<std::string>{id});
  auto got = h.Call("GET", "/api/v1/advisories/" + id, standard.token);
  EXPECT_EQ(got.json["status"], "public");
}

TEST_F(PullTest, ALaterRevisionMayReachATierBeforeTheFirstDid) {
  // Revision 1 is early-only for now; revision 2 gets an explicit wave for standard that opens
  // before revision 1's standard wave: standard partners go straight to revision 2.
  const std::string id = CreateAdvisory({{"draft", true}});
  const TimePoint r1_early = public_at - hours{24 * 6};
  ASSERT_EQ(h.Call("POST", "/api/v1/advisories/" + id + "/publish", h.admin_token,
                   json{{"waves", {{"early", FormatTime(r1_early)}}}})
                .status,
            200);
  h.clock.Set(r1_early);
  ASSERT_EQ(h.Call("POST", "/api/v1/advisories/" + id + "/revise", h.admin_token,
                   json{{"summary", "bypass"}})
                .status,
            200);
  const TimePoint r2_standard = public_at - hours{48};
  const TimePoint r2_early = public_at - hours{24 * 3};
  ASSERT_EQ(h.Call("POST", "/api/v1/advisories/" + id + "/publish", h.admin_token,
                   json{{"waves",
                         {{"early", FormatTime(r2_early)}, {"standard", FormatTime(r2_standard)}}}})
                .status,
            200);
  // revision 1's standard wave (default lead time, 24h) comes after revision 2's (48h).
  const TimePoint r1_standard = public_at - hours{24};

  h.clock.Set(r2_early - kTick);
  EXPECT_EQ(Observe(early, {id}).fetched.at(id), 1);
  h.clock.Set(r2_early);
  auto o = Observe(early, {id});
  EXPECT_EQ(o.fetched.at(id), 2);
  EXPECT_EQ(o.released, (std::set<std::pair<std::string, int>>{{id, 1}, {id, 2}}));

  h.clock.Set(r2_standard - kTick);
  EXPECT_TRUE(Observe(standard, {id}).fetched.empty());
  h.clock.Set(r2_standard);
  o = Observe(standard, {id});
  EXPECT_EQ(o.fetched.at(id), 2);
  EXPECT_EQ(o.listed.at(id), 2);
  h.clock.Set(r1_standard);
  o = Observe(standard, {id});
  EXPECT_EQ(o.fetched.at(id), 2) << "an older revision's wave never takes a partner back";
  EXPECT_EQ(o.released, (std::set<std::pair<std::string, int>>{{id, 2}}))
      << "the feed does not announce revision 1 after revision 2";
}

TEST_F(PullTest, EmbargoedAndUnknownLookIdentical) {
  const std::string id = CreateAdvisory();
  const std::string artifact = AddArtifact(id, {{"kind", "poc"}, {"content", "print(1)\n"}});
  const std::string unknown = "adv_0123456789abcdef";
  for (const auto& path :
       {std::string("/api/v1/advisories/"), std::string("/api/v1/advisories/")}) {
    auto embargoed = h.Call("GET", path + id, early.token);
    auto missing = h.Call("GET", path + unknown, early.token);
    EXPECT_EQ(embargoed.status, 404);
    std::string expected = missing.body;
    expected.replace(expected.find(unknown), unknown.size(), id);
    EXPECT_EQ(embargoed.body, expected);
    EXPECT_EQ(embargoed.Header("ETag"), "");
  }
  auto content = h.Call("GET", "/api/v1/advisories/" + id + "/artifacts/" + artifact + "/content",
                        early.token);
  auto missing_content = h.Call(
      "GET", "/api/v1/advisories/" + unknown + "/artifacts/" + artifact + "/content", early.token);
  EXPECT_EQ(content.status, 404);
  std::string expected = missing_content.body;
  expected.replace(expected.find(unknown), unknown.size(), id);
  EXPECT_EQ(content.body, expected);
  // Searching by CVE finds nothing yet either.
  auto search = h.Call("GET", "/api/v1/advisories?cve=CVE-2026-50001", early.token);
  EXPECT_EQ(search.json["count"], 0);
  EXPECT_EQ(h.LedgerEvents("advisories.listed").size(), 0u);
}

TEST_F(PullTest, ContentNeedsAcceptedTermsAndEveryDeliveryIsOnTheLedger) {
  const std::string id = CreateAdvisory({{"terms", "Terms v1"}});
  const std::string poc =
      AddArtifact(id, {{"kind", "poc"}, {"filename", "poc.py"}, {"content", "print(1)\n"}});
  h.clock.Set(public_at - hours{24 * 5});
  const std::string content_path = "/api/v1/advisories/" + id + "/artifacts/" + poc + "/content";

  auto header = h.Call("GET", "/api/v1/advisories/" + id, early.token);
  ASSERT_EQ(header.status, 200);
  EXPECT_FALSE(header.json["terms"]["accepted"].get<bool>());
  EXPECT_EQ(header.json["terms"]["text"], "Terms v1");
  EXPECT_FALSE(header.json.contains("artifacts"));
  EXPECT_FALSE(header.json.contains("description"));
  EXPECT_EQ(h.Call("GET", content_path, early.token).status, 403);
  auto wrong = h.Call("POST", "/api/v1/advisories/" + id + "/terms", early.token,
                      json{{"terms_sha256", crypto::Hex(crypto::Sha256("other terms"))}});
  EXPECT_EQ(wrong.status, 409);
  AcceptTerms(early, id);
  AcceptTerms(early, id);  // idempotent
  auto accepted = h.LedgerEvents("terms.accepted");
  ASSERT_EQ(accepted.size(), 1u);
  EXPECT_EQ(accepted[0]["details"]["partner"], early.id);
  EXPECT_EQ(accepted[0]["details"]["terms_sha256"], crypto::Hex(crypto::Sha256("Terms v1")));

  auto full = h.Call("GET", "/api/v1/advisories/" + id, early.token);
  ASSERT_EQ(full.json["artifacts"].size(), 1u);
  EXPECT_EQ(full.json["artifacts"][0]["id"], poc);
  EXPECT_EQ(full.Header("ETag"), "\"sha256:" + crypto::Hex(crypto::Sha256(full.body)) + "\"");
  auto fetched = h.LedgerEvents("advisory.fetched");
  ASSERT_FALSE(fetched.empty());
  EXPECT_EQ(fetched.back()["payload_sha256"], crypto::Hex(crypto::Sha256(full.body)));
  EXPECT_EQ(fetched.back()["index"], std::stoull(full.Header("X-Forewarn-Ledger-Index")));

  auto bytes = h.Call("GET", content_path, early.token);
  ASSERT_EQ(bytes.status, 200);
  EXPECT_EQ(bytes.body, "print(1)\n");
  EXPECT_EQ(bytes.Header("Content-Type"), "text/x-python");
  EXPECT_EQ(bytes.Header("Cache-Control"), "no-store");
  auto downloads = h.LedgerEvents("artifact.fetched");
  ASSERT_EQ(downloads.size(), 1u);
  EXPECT_EQ(downloads[0]["subject"], poc);
  EXPECT_EQ(downloads[0]["details"]["partner"], early.id);
  EXPECT_EQ(downloads[0]["payload_sha256"], crypto::Hex(crypto::Sha256("print(1)\n")));

  // New terms in a new revision need a new acceptance; the old one does not carry over.
  ASSERT_EQ(h.Call("PATCH", "/api/v1/advisories/" + id, h.admin_token,
                   json{{"terms", "Terms v2"}, {"summary", "stricter terms"}})
                .status,
            200);
  EXPECT_EQ(h.Call("GET", content_path, early.token).status, 403);
  AcceptTerms(early, id);
  EXPECT_EQ(h.Call("GET", content_path, early.token).status, 200);
  // Another partner's acceptance is its own.
  h.clock.Set(public_at - hours{24});
  EXPECT_EQ(h.Call("GET", content_path, standard.token).status, 403);
}

TEST_F(PullTest, FeedCursorsArePositionsThatRevealNothing) {
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) ids.push_back(CreateAdvisory({{"title", fmt::format("A{}", i)}}));
  h.clock.Set(public_at - hours{24 * 5});
  auto first = h.Call("GET", "/api/v1/feed?limit=1", early.token);
  ASSERT_EQ(first.json["items"].size(), 1u);
  EXPECT_TRUE(first.json["has_more"].get<bool>());
  const std::string cursor = first.json["next_cursor"];
  EXPECT_EQ(cursor.find(std::to_string(ToUnixMicros(h.clock.Now()))), std::string::npos);
  auto rest = h.Call("GET", "/api/v1/feed?limit=10&cursor=" + cursor, early.token);
  EXPECT_EQ(rest.json["items"].size(), 2u);
  EXPECT_FALSE(rest.json["has_more"].get<bool>());
  // Nothing new: an empty page keeps the position and is not a delivery.
  const uint64_t before = h.LedgerSize();
  auto empty =
      h.Call("GET", "/api/v1/feed?cursor=" + std::string(rest.json["next_cursor"]), early.token);
  EXPECT_TRUE(empty.json["items"].empty());
  EXPECT_EQ(h.LedgerSize(), before);
  // A new advisory released later shows up after the old cursor.
  h.clock.Advance(hours{1});
  CreateAdvisory({{"title", "later"}, {"public_date", FormatTime(public_at + hours{1})}});
  auto later =
      h.Call("GET", "/api/v1/feed?cursor=" + std::string(rest.json["next_cursor"]), early.token);
  ASSERT_EQ(later.json["items"].size(), 1u);
  EXPECT_EQ(later.json["items"][0]["title"], "later");
  EXPECT_EQ(h.LedgerEvents("feed.read").size(), 3u);

  std::string tampered = cursor;
  tampered[5] = tampered[5] == 'A' ? 'B' : 'A';
  EXPECT_EQ(h.Call("GET", "/api/v1/feed?cursor=" + tampered, early.token).status, 400);
  EXPECT_EQ(h.Call("GET", "/api/v1/feed?limit=0", early.token).status, 400);
  EXPECT_EQ(h.Call("GET", "/api/v1/feed?limit=1001", early.token).status, 400);
  EXPECT_EQ(h.Call("GET", "/api/v1/feed?since=1", early.token).status, 400);
  EXPECT_EQ(h.Call("GET", "/api/v1/feed", h.admin_token).status, 403);
}

TEST_F(PullTest, WithdrawnAdvisoriesStayVisibleOnlyToThoseWhoHadThem) {
  const std::string id = CreateAdvisory();
  const std::string poc = AddArtifact(id, {{"kind", "poc"}, {"content", "x"}});
  h.clock.Set(public_at - hours{24 * 5});
  AcceptTerms(early, id);
  ASSERT_EQ(h.Call("POST", "/api/v1/advisories/" + id + "/withdraw", h.admin_token,
                   json{{"reason", "not a vulnerability"}})
                .status,
            200);
  auto seen = h.Call("GET", "/api/v1/advisories/" + id, early.token);
  EXPECT_EQ(seen.json["status"], "withdrawn");
  EXPECT_FALSE(seen.json.contains("artifacts"));
  EXPECT_EQ(
      h.Call("GET", "/api/v1/advisories/" + id + "/artifacts/" + poc + "/content", early.token)
          .status,
      409);
  bool withdrawn_item = false;
  auto feed = h.Call("GET", "/api/v1/feed", early.token);
  SCOPED_TRACE(feed.body);
  for (const auto& item : feed.json["items"]) {
    withdrawn_item |= item["event"] == "withdrawn";
  }
  EXPECT_TRUE(withdrawn_item);
  h.clock.Set(public_at + hours{1});
  EXPECT_EQ(h.Call("GET", "/api/v1/advisories/" + id, standard.token).status, 404);
  EXPECT_TRUE(h.Call("GET", "/api/v1/feed", standard.token).json["items"].empty());
}

TEST_F(PullTest, SuspendedPartnersGetNothingFromThatInstant) {
  const std::string id = CreateAdvisory();
  h.clock.Set(public_at - hours{24 * 5});
  EXPECT_EQ(h.Call("GET", "/api/v1/advisories/" + id, early.token).status, 200);
  ASSERT_TRUE(
      h.registry->ChangeStatus(h.admin, early.id, PartnerStatus::kSuspended, "leak").has_value());
  EXPECT_EQ(h.Call("GET", "/api/v1/advisories/" + id, early.token).status, 401);
  EXPECT_EQ(h.Call("GET", "/api/v1/feed", early.token).status, 401);
}

TEST_F(PullTest, StoryOverARealSocket) {
  // Schedule, advance the clock, partners see their waves, terms accepted, fetches on the
  // ledger, the advisory turns public on time.
  auto created = h.Fetch("POST", "/api/v1/advisories", h.admin_token,
                         json{{"title", "Collaboration Server RCE chain"},
                              {"cves", {"CVE-2026-50001", "CVE-2026-50002"}},
                              {"cvss",
                               {"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
                                "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:L/I:L/A:L"}},
                              {"public_date", FormatTime(public_at)}}
                             .dump());
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string id = created.json["id"];
  auto art = h.Fetch(
      "POST", "/api/v1/advisories/" + id + "/artifacts", h.admin_token,
      json{{"kind", "detection"}, {"filename", "rule.yar"}, {"content", "rule x {}"}}.dump());
  ASSERT_EQ(art.status, 201) << art.body;
  EXPECT_EQ(h.Fetch("GET", "/api/v1/feed", early.token).json["items"].size(), 0u);

  h.clock.Set(public_at - hours{24 * 5});
  ASSERT_EQ(h.scheduler->RunDue().value(), 1u);
  auto feed = h.Fetch("GET", "/api/v1/feed", early.token);
  ASSERT_EQ(feed.json["items"].size(), 1u);
  EXPECT_EQ(feed.json["items"][0]["advisory"], id);
  auto view = h.Fetch("GET", "/api/v1/advisories/" + id, early.token);
  auto accept = h.Fetch("POST", "/api/v1/advisories/" + id + "/terms", early.token,
                        json{{"terms_sha256", view.json["terms"]["sha256"]}}.dump());
  ASSERT_EQ(accept.status, 200) << accept.body;
  view = h.Fetch("GET", "/api/v1/advisories/" + id, early.token);
  ASSERT_EQ(view.json["cvss"].size(), 2u);
  EXPECT_EQ(view.json["cvss"][0]["base_score"], 9.8);
  EXPECT_EQ(view.json["cvss"][1]["base_score"], 6.3);
  auto rule = h.Fetch("GET", std::string(view.json["artifacts"][0]["url"]), early.token);
  EXPECT_EQ(rule.body, "rule x {}");
  EXPECT_EQ(h.Fetch("GET", "/api/v1/feed", standard.token).json["items"].size(), 0u);

  h.clock.Set(public_at);
  ASSERT_EQ(h.scheduler->RunDue().value(), 3u);  // standard's wave and both public rows
  ASSERT_EQ(h.LedgerEvents("advisory.public").size(), 1u);
  EXPECT_EQ(h.Fetch("GET", "/api/v1/advisories/" + id, standard.token).json["status"], "public");
  EXPECT_EQ(h.Fetch("GET", "/api/v1/advisories/" + id, h.admin_token).json["status"], "public");
  EXPECT_EQ(h.LedgerEvents("artifact.fetched").size(), 1u);
  EXPECT_GE(h.LedgerEvents("advisory.fetched").size(), 3u);
  EXPECT_EQ(h.LedgerEvents("feed.read").size(), 1u);
}

TEST_F(PullTest, AdvisoryEndpointsRejectBadBodiesWithTheFieldNamed) {
  const auto before = h.LedgerSize();
  struct Case {
    json body;
    std::string fragment;
  };
  const std::string date = FormatTime(public_at);
  for (const Case& c : std::vector<Case>{
           {{{"title", "x"}, {"public_date", date}, {"severity", "high"}}, "severity"},
           {{{"public_date", date}}, "title"},
           {{{"title", "x"}}, "public_date"},
           {{{"title", "x"}, {"public_date", "next tuesday"}}, "public_date"},
           {{{"title", "x"}, {"public_date", date}, {"cves", "CVE-2026-1"}}, "cves"},
           {{{"title", "x"}, {"public_date", date}, {"waves", {{"early", 5}}}}, "early"},
           {{{"title", 7}, {"public_date", date}}, "title"}}) {
    auto answer = h.Call("POST", "/api/v1/advisories", h.admin_token, c.body);
    EXPECT_EQ(answer.status, 400) << c.body.dump();
    EXPECT_NE(answer.json["error"]["message"].get<std::string>().find(c.fragment),
              std::string::npos)
        << answer.body;
  }
  EXPECT_EQ(h.Call("POST", "/api/v1/advisories", h.admin_token, std::string("{not json")).status,
            400);
  EXPECT_EQ(
      h.Call("POST", "/api/v1/advisories", early.token, json{{"title", "x"}, {"public_date", date}})
          .status,
      403);
  const std::string id = CreateAdvisory();
  const std::string artifacts = "/api/v1/advisories/" + id + "/artifacts";
  EXPECT_EQ(h.Call("POST", artifacts, h.admin_token,
                   json{{"kind", "poc"}, {"content", "a"}, {"content_base64", "YQ=="}})
                .status,
            400);
  EXPECT_EQ(
      h.Call("POST", artifacts, h.admin_token, json{{"kind", "poc"}, {"content_base64", "%%%"}})
          .status,
      400);
  auto binary =
      h.Call("POST", artifacts, h.admin_token,
             json{{"kind", "ioc"}, {"content_base64", crypto::Base64(std::string("\0\1", 2))}});
  EXPECT_EQ(binary.status, 201) << binary.body;
  EXPECT_EQ(binary.json["media_type"], "application/octet-stream");
  EXPECT_EQ(h.Call("POST", artifacts, early.token, json{{"kind", "poc"}, {"content", "a"}}).status,
            403);
  EXPECT_EQ(h.LedgerSize(), before + 3) << "created, published, artifact added: nothing else";
  const std::string openapi = h.Call("GET", "/api/v1/openapi.json", "").body;
  for (const char* path : {"/api/v1/feed", "/api/v1/advisories/{id}/terms",
                           "/api/v1/advisories/{id}/artifacts/{artifact}/content"}) {
    EXPECT_NE(openapi.find(path), std::string::npos) << path;
  }
}

}  // namespace
}  // namespace forewarn::delivery
