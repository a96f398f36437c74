#include "tests/testing/harness.h"

#include <stdexcept>

namespace forewarn::testing {

using nlohmann::json;

namespace {

template <class T>
T Must(Result<T> result, const char* what) {
  if (!result) throw std::runtime_error(std::string(what) + ": " + result.error().message);
  return std::move(*result);
}

Answer ToAnswer(int status, std::string body, http::Headers headers) {
  Answer answer{status, std::move(body), json(), std::move(headers)};
  answer.json = json::parse(answer.body, nullptr, false);
  return answer;
}

}  // namespace

std::string Answer::Header(std::string_view name) const {
  return std::string(http::FindHeader(headers, name));
}

Harness::Harness(uint64_t seed) : random(seed) {
  if (!crypto::Initialize()) throw std::runtime_error("libsodium failed to initialize");
  const auto data = dir.path() / "program";
  admin_token = Must(app::Program::Init(data, "harness", random, clock), "init");
  program = Must(app::Program::Open(data, random, clock), "open");
  store = &program->store();
  registry = &program->registry();
  advisories = &program->advisories();
  scheduler = &program->scheduler();
  policies = &program->policies();
  monitor = &program->monitor();
  api = &program->api();
  admin = Must(registry->Authenticate(admin_token), "authenticate admin");
}

Harness::~Harness() {
  if (server_) server_->Stop();
}

TestPartner Harness::AddPartner(const std::string& name, const std::string& tier,
                                const std::vector<std::string>& labels) {
  registry::PartnerFields fields;
  fields.name = name;
  fields.country = "DE";
  fields.tier = tier;
  fields.labels = labels;
  auto partner = Must(registry->AddPartner(admin, fields), "add partner");
  registry::TokenRequest request;
  request.partner_id = partner.id;
  request.name = name;
  auto issued = Must(registry->CreateToken(admin, request), "create token");
  auto principal = Must(registry->Authenticate(issued.token), "authenticate partner");
  return TestPartner{partner.id, issued.token, principal};
}

std::string Harness::OperatorToken(Role role) {
  registry::TokenRequest request;
  request.role = role;
  request.name = std::string(ToString(role));
  return Must(registry->CreateToken(admin, request), "create operator token").token;
}

Answer Harness::Call(const std::string& method, const std::string& target, const std::string& token,
                     const std::string& body) {
  http::Request request;
  request.method = method;
  request.target = target;
  if (!token.empty()) request.headers.emplace_back("Authorization", "Bearer " + token);
  request.body = body;
  auto response = api->Handle(request);
  http::Headers headers = response.headers;
  headers.emplace_back("Content-Type", response.content_type);
  return ToAnswer(response.status, std::move(response.body), std::move(headers));
}

Answer Harness::Call(const std::string& method, const std::string& target, const std::string& token,
                     const json& body) {
  return Call(method, target, token, body.dump());
}

uint16_t Harness::Serve() {
  if (!server_) {
    http::ServerOptions options;
    options.threads = 4;
    options.max_body_bytes = 16 << 20;
    server_ = Must(
        http::Server::Start(options, [this](const http::Request& r) { return api->Handle(r); }),
        "start server");
  }
  return server_->port();
}

Answer Harness::Fetch(const std::string& method, const std::string& target,
                      const std::string& token, const std::string& body) {
  http::ClientRequest request;
  request.method = method;
  request.url = "http://127.0.0.1:" + std::to_string(Serve()) + target;
  if (!token.empty()) request.headers.emplace_back("Authorization", "Bearer " + token);
  request.body = body;
  auto response = Must(http::Fetch(request), "fetch");
  return ToAnswer(response.status, std::move(response.body), std::move(response.headers));
}

uint64_t Harness::LedgerSize() {
  auto tx = Must(store->Begin(store::TxMode::kRead), "begin");
  return Must(tx->LedgerSize(), "ledger size");
}

std::vector<json> Harness::LedgerEvents(const std::string& type) {
  auto tx = Must(store->Begin(store::TxMode::kRead), "begin");
  const uint64_t size = Must(tx->LedgerSize(), "ledger size");
  auto leaves = Must(tx->ListLedgerLeaves(0, size), "leaves");
  std::vector<json> events;
  for (const auto& leaf : leaves) {
    json event = json::parse(leaf.data);
    if (event["type"] == type) events.push_back(std::move(event));
  }
  return events;
}

}  // namespace forewarn::testing
