// The API over real sockets on 127.0.0.1: authentication, roles, strict bodies, lifecycle,
// ledger endpoints, health, metrics and the OpenAPI document.
#include "http/api.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/time.h"
#include "ledger/merkle.h"
#include "tests/testing/testing.h"

namespace forewarn::http {
namespace {

using nlohmann::json;

class ApiTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { ASSERT_TRUE(crypto::Initialize().has_value()); }

  ApiTest()
      : random_(21),
        keys_(crypto::GenerateProgramKeys(random_)),
        store_(store::OpenSqlite(dir_.path() / "db").value()),
        ledger_(keys_.signing, clock_),
        registry_(*store_, ledger_, clock_, random_, keys_.program_secret),
        api_({*store_, registry_, ledger_, clock_, keys_.signing.public_key}) {
    admin_ = registry_.InitializeProgram("API test").value().token;
    ServerOptions options;
    options.max_body_bytes = 64 * 1024;
    server_ = Server::Start(options, [this](const Request& r) { return api_.Handle(r); }).value();
  }

  ClientResponse Call(const std::string& method, const std::string& path, const std::string& token,
                      const std::string& body = "") {
    ClientRequest request;
    request.method = method;
    request.url = "http://127.0.0.1:" + std::to_string(server_->port()) + path;
    if (!token.empty()) request.headers.emplace_back("Authorization", "Bearer " + token);
    request.body = body;
    auto response = Fetch(request);
    EXPECT_TRUE(response.has_value()) << response.error().message;
    return response.value_or(ClientResponse{});
  }

  json CallJson(const std::string& method, const std::string& path, const std::string& token,
                const json& body = nullptr, int expected_status = 200) {
    auto response = Call(method, path, token, body.is_null() ? "" : body.dump());
    EXPECT_EQ(response.status, expected_status) << method << " " << path << ": " << response.body;
    auto parsed = json::parse(response.body, nullptr, false);
    EXPECT_FALSE(parsed.is_discarded()) << response.body;
    return parsed;
  }

  std::string AddPartner(const std::string& name) {
    auto p = CallJson("POST", "/api/v1/partners", admin_,
                      {{"name", name}, {"country", "DE"}, {"tier", "early"}}, 201);
    return p["id"];
  }

  std::string PartnerToken(const std::string& id) {
    return CallJson("POST", "/api/v1/tokens", admin_, {{"partner", id}}, 201)["token"];
  }

  uint64_t LedgerSize() {
    return store_->Begin(store::TxMode::kRead).value()->LedgerSize().value();
  }

  size_t PartnerCount() {
    return store_->Begin(store::TxMode::kRead).value()->ListPartners({}).value().size();
  }

  testing::TempDir dir_;
  testing::FakeClock clock_;
  testing::SeededRandom random_;
  crypto::ProgramKeys keys_;
  std::unique_ptr<store::Store> store_;
  ledger::Ledger ledger_;
  registry::Registry registry_;
  Api api_;
  std::unique_ptr<Server> server_;
  std::string admin_;
};

TEST_F(ApiTest, HealthAndOpenApiArePublic) {
  auto health = CallJson("GET", "/healthz", "");
  EXPECT_EQ(health["status"], "ok");
  auto doc = CallJson("GET", "/api/v1/openapi.json", "");
  EXPECT_EQ(doc["openapi"], "3.1.0");
  for (const char* path :
       {"/api/v1/partners", "/api/v1/partners/{id}", "/api/v1/partners/{id}/suspend",
        "/api/v1/tokens", "/api/v1/ledger/head", "/api/v1/ledger/proof/inclusion"}) {
    EXPECT_TRUE(doc["paths"].contains(path)) << path;
  }
}

TEST_F(ApiTest, MetricsCountRequestsByRouteAndStatus) {
  CallJson("GET", "/healthz", "");
  Call("GET", "/api/v1/partners", "");
  auto metrics = Call("GET", "/metrics", "");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_NE(
      metrics.body.find("forewarn_http_requests_total{route=\"GET /healthz\",status=\"200\"} 1"),
      std::string::npos)
      << metrics.body;
  EXPECT_NE(metrics.body.find("route=\"GET /api/v1/partners\",status=\"401\""), std::string::npos);
  EXPECT_NE(metrics.body.find("forewarn_http_request_duration_seconds_bucket"), std::string::npos);
}

TEST_F(ApiTest, WithoutAnOutboxThereAreNoDeliveryRoutesOrGauges) {
  EXPECT_EQ(Call("GET", "/api/v1/deliveries", admin_).status, 404);
  EXPECT_EQ(Call("PUT", "/api/v1/partners/prt_x/webhook", admin_, R"({"url":"https://a.example"})")
                .status,
            404);
  auto doc = CallJson("GET", "/api/v1/openapi.json", "");
  EXPECT_FALSE(doc["paths"].contains("/api/v1/deliveries"));
  EXPECT_EQ(Call("GET", "/metrics", "").body.find("forewarn_deliveries"), std::string::npos);
}

TEST_F(ApiTest, MissingOrBadTokensAre401WithJson) {
  for (const std::string& token : {std::string(""), std::string("garbage"),
                                   std::string("fwt_0123456789abcdef_") + std::string(43, 'x')}) {
    auto response = Call("GET", "/api/v1/partners", token);
    EXPECT_EQ(response.status, 401);
    auto body = json::parse(response.body);
    EXPECT_EQ(body["error"]["code"], "unauthenticated");
    EXPECT_FALSE(FindHeader(response.headers, "WWW-Authenticate").empty());
  }
}

TEST_F(ApiTest, InvalidUtf8InEchoedInputIsAClientErrorNotA500) {
  auto path = Call("GET", "/api/v1/partners/%FF%FE", admin_);
  EXPECT_EQ(path.status, 404) << path.body;
  EXPECT_FALSE(json::parse(path.body, nullptr, false).is_discarded());
  auto query = Call("GET", "/api/v1/partners?%FF=1", admin_);
  EXPECT_EQ(query.status, 400) << query.body;
  auto unknown = Call("GET", "/%FF", "");
  EXPECT_EQ(unknown.status, 404) << unknown.body;
}

TEST_F(ApiTest, UnknownRoutesAndMethods) {
  EXPECT_EQ(Call("GET", "/api/v1/nothing", admin_).status, 404);
  EXPECT_EQ(Call("DELETE", "/api/v1/partners", admin_).status, 405);
}

TEST_F(ApiTest, BadBodiesAre400NamingTheProblemAndWriteNothing) {
  const uint64_t ledger_before = LedgerSize();
  struct Case {
    std::string body;
    std::string expect_in_message;
  };
  const Case cases[] = {
      {"{not json", "not valid JSON"},
      {"[1,2]", "JSON object"},
      {R"({"name":"A","country":"DE","tier":"early","colour":"red"})", "colour"},
      {R"({"name":42,"country":"DE","tier":"early"})", "name"},
      {R"({"name":"A","country":"DE"})", "tier"},
      {R"({"name":"A","country":"DEU","tier":"early"})", "country"},
      {R"({"name":"A","country":"DE","tier":"gold"})", "gold"},
      {R"({"name":"A","country":"DE","tier":"early","labels":"x"})", "labels"},
      {R"({"name":"A","country":"DE","tier":"early","contacts":[{"email":"nope"}]})", "email"},
      {R"({"name":"A","country":"DE","tier":"early","status":"removed"})", "status"},
  };
  for (const auto& c : cases) {
    auto response = Call("POST", "/api/v1/partners", admin_, c.body);
    EXPECT_EQ(response.status, 400) << c.body;
    auto error = json::parse(response.body, nullptr, false);
    ASSERT_FALSE(error.is_discarded());
    EXPECT_EQ(error["error"]["code"], "invalid_argument");
    EXPECT_NE(error["error"]["message"].get<std::string>().find(c.expect_in_message),
              std::string::npos)
        << error["error"]["message"];
  }
  // Oversized bodies are refused by the transport before any handler runs.
  auto big = Call("POST", "/api/v1/partners", admin_, std::string(100 * 1024, ' '));
  EXPECT_EQ(big.status, 413);
  EXPECT_EQ(PartnerCount(), 0u);
  EXPECT_EQ(LedgerSize(), ledger_before);
}

TEST_F(ApiTest, PartnerLifecycleOverHttp) {
  const std::string id = AddPartner("Contoso");
  const std::string token = PartnerToken(id);
  EXPECT_EQ(CallJson("GET", "/api/v1/me", token)["id"], id);

  // A reason is required; illegal steps are 409 and change nothing.
  EXPECT_EQ(Call("POST", "/api/v1/partners/" + id + "/suspend", admin_, "{}").status, 400);
  EXPECT_EQ(
      Call("POST", "/api/v1/partners/" + id + "/reinstate", admin_, R"({"reason":"x"})").status,
      409);
  auto suspended = CallJson("POST", "/api/v1/partners/" + id + "/suspend", admin_,
                            {{"reason", "suspected leak"}});
  EXPECT_EQ(suspended["status"], "suspended");
  EXPECT_EQ(Call("GET", "/api/v1/me", token).status, 401);  // revoked at once
  CallJson("POST", "/api/v1/partners/" + id + "/reinstate", admin_, {{"reason", "cleared"}});
  EXPECT_EQ(Call("GET", "/api/v1/me", token).status, 401);  // stays revoked
  CallJson("POST", "/api/v1/partners/" + id + "/remove", admin_, {{"reason", "contract"}});
  auto history = CallJson("GET", "/api/v1/partners/" + id + "/history", admin_);
  ASSERT_EQ(history["history"].size(), 3u);
  EXPECT_EQ(history["history"][0]["reason"], "suspected leak");
  EXPECT_EQ(CallJson("GET", "/api/v1/partners/" + id, admin_)["status"], "removed");
  EXPECT_EQ(Call("PATCH", "/api/v1/partners/" + id, admin_, R"({"name":"X"})").status, 409);
}

TEST_F(ApiTest, PartnerTokenSeesOnlyItself) {
  const std::string own = AddPartner("Own");
  const std::string other = AddPartner("Other");
  const std::string token = PartnerToken(own);
  EXPECT_EQ(CallJson("GET", "/api/v1/partners/" + own, token)["name"], "Own");
  auto other_response = Call("GET", "/api/v1/partners/" + other, token);
  auto missing_response = Call("GET", "/api/v1/partners/prt_0000000000000000", token);
  EXPECT_EQ(other_response.status, 404);
  EXPECT_EQ(missing_response.status, 404);
  // Every operator route is closed to a partner token.
  const std::pair<const char*, std::string> operator_routes[] = {
      {"GET", "/api/v1/partners"},
      {"POST", "/api/v1/partners"},
      {"PATCH", "/api/v1/partners/" + other},
      {"PATCH", "/api/v1/partners/" + own},
      {"POST", "/api/v1/partners/" + other + "/suspend"},
      {"POST", "/api/v1/partners/" + own + "/remove"},
      {"GET", "/api/v1/partners/" + own + "/history"},
      {"GET", "/api/v1/tokens"},
      {"POST", "/api/v1/tokens"},
      {"DELETE", "/api/v1/tokens/tok_0000000000000000"},
      {"PUT", "/api/v1/tiers/early"},
      {"GET", "/api/v1/ledger/head"},
      {"GET", "/api/v1/ledger/entries"},
      {"GET", "/api/v1/ledger/export"},
  };
  for (const auto& [method, path] : operator_routes) {
    auto response = Call(method, path, token, R"({"reason":"x","name":"y","role":"admin"})");
    EXPECT_EQ(response.status, 403) << method << " " << path << ": " << response.body;
  }
  EXPECT_EQ(PartnerCount(), 2u);
}

TEST_F(ApiTest, LedgerHeadProofsAndExportVerify) {
  const std::string id = AddPartner("Contoso");
  PartnerToken(id);
  auto head = CallJson("GET", "/api/v1/ledger/head", admin_);
  const uint64_t size = head["tree_size"];
  ASSERT_GE(size, 3u);
  const auto root = crypto::FromHex(head["root_hash"].get<std::string>()).value();
  const auto signature = crypto::FromBase64(head["signature"].get<std::string>()).value();
  EXPECT_TRUE(crypto::VerifySignature(
      keys_.signing.public_key,
      ledger::TreeHeadSigningBytes(size, root,
                                   ParseTime(head["timestamp"].get<std::string>()).value()),
      signature));

  auto proof = CallJson("GET", "/api/v1/ledger/proof/inclusion?index=1", admin_);
  std::vector<std::string> path;
  for (const auto& node : proof["audit_path"]) {
    path.push_back(crypto::FromHex(node.get<std::string>()).value());
  }
  EXPECT_TRUE(ledger::VerifyInclusion(
      crypto::FromHex(proof["leaf_hash"].get<std::string>()).value(), 1, size, path, root));
  // The partner may prove its own creation entry, not others'.
  const std::string partner_token = PartnerToken(id);
  auto entries =
      CallJson("GET", "/api/v1/ledger/entries?start=0&end=" + std::to_string(size), admin_);
  std::string own_leaf;
  for (const auto& e : entries["entries"]) {
    if (e["event"]["subject"] == id) own_leaf = e["leaf_hash"];
  }
  ASSERT_FALSE(own_leaf.empty());
  EXPECT_EQ(
      Call("GET", "/api/v1/ledger/proof/inclusion?leaf_hash=" + own_leaf, partner_token).status,
      200);
  EXPECT_EQ(Call("GET", "/api/v1/ledger/proof/inclusion?index=0", partner_token).status, 404);
  EXPECT_EQ(Call("GET", "/api/v1/ledger/proof/inclusion?index=zz", admin_).status, 400);

  auto consistency = CallJson(
      "GET", "/api/v1/ledger/proof/consistency?first=1&second=" + std::to_string(size), admin_);
  EXPECT_FALSE(consistency["proof"].empty());

  auto exported = CallJson("GET", "/api/v1/ledger/export", admin_);
  auto report = ledger::VerifyExport(exported, keys_.signing.public_key);
  EXPECT_TRUE(report.intact) << report.problem;
  exported["entries"][1]["data"] = "{\"tampered\":true}";
  EXPECT_FALSE(ledger::VerifyExport(exported, keys_.signing.public_key).intact);
}

TEST_F(ApiTest, OperatorRolesAreEnforced) {
  auto analyst = CallJson("POST", "/api/v1/tokens", admin_, {{"role", "analyst"}}, 201)["token"];
  auto auditor = CallJson("POST", "/api/v1/tokens", admin_, {{"role", "auditor"}}, 201)["token"];
  EXPECT_EQ(Call("GET", "/api/v1/partners", analyst).status, 200);
  EXPECT_EQ(
      Call("POST", "/api/v1/partners", analyst, R"({"name":"A","country":"DE","tier":"early"})")
          .status,
      403);
  EXPECT_EQ(Call("GET", "/api/v1/ledger/head", analyst).status, 403);
  EXPECT_EQ(Call("GET", "/api/v1/ledger/head", auditor).status, 200);
  EXPECT_EQ(Call("GET", "/api/v1/tokens", auditor).status, 200);
  EXPECT_EQ(Call("POST", "/api/v1/tokens", auditor, R"({"role":"admin"})").status, 403);
}

TEST_F(ApiTest, TokensListNeverShowsSecrets) {
  const std::string id = AddPartner("Contoso");
  const std::string token = PartnerToken(id);
  auto list = Call("GET", "/api/v1/tokens", admin_);
  EXPECT_EQ(list.status, 200);
  EXPECT_EQ(list.body.find(token.substr(21)), std::string::npos);
  EXPECT_EQ(list.body.find(admin_.substr(21)), std::string::npos);
}

}  // namespace
}  // namespace forewarn::http
