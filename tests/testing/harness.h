// File: tests/testing/harness.h
//
// A whole program in one test process, wired exactly as `forewarn serve` wires it
// (app::Program: SQLite store in a temp dir, ledger, registry, advisories, scheduler, the
// partner pull API and the HTTP API), on a FakeClock and a seeded random source. Call() drives
// the API in-process; Serve() also puts it on a real socket.
//
//   testing::Harness h;
//   auto partner = h.AddPartner("Contoso", "early");
//   auto answer = h.Call("GET", "/api/v1/feed", partner.token);
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "app/program.h"
#include "http/transport.h"
#include "tests/testing/testing.h"

namespace forewarn::testing {

struct TestPartner {
  std::string id;
  std::string token;
  Principal principal;
};

struct Answer {
  int status = 0;
  std::string body;
  nlohmann::json json;  // parsed body, or discarded if not JSON
  http::Headers headers;
  std::string Header(std::string_view name) const;
};

class Harness {
 public:
  explicit Harness(uint64_t seed = 1);
  ~Harness();

  // A partner (active, or applicant if `active` is false) with a fresh token.
  TestPartner AddPartner(const std::string& name, const std::string& tier,
                         const std::vector<std::string>& labels = {});
  // An operator token of `role`.
  std::string OperatorToken(Role role);

  // One request through the API in-process; `body` is sent as given.
  Answer Call(const std::string& method, const std::string& target, const std::string& token,
              const std::string& body = "");
  Answer Call(const std::string& method, const std::string& target, const std::string& token,
              const nlohmann::json& body);

  // Starts the HTTP server on 127.0.0.1:0 (once) and returns its port; Fetch() goes over it.
  uint16_t Serve();
  Answer Fetch(const std::string& method, const std::string& target, const std::string& token,
               const std::string& body = "");

  uint64_t LedgerSize();
  // Every ledger event (parsed leaf JSON) of `type`, oldest first.
  std::vector<nlohmann::json> LedgerEvents(const std::string& type);

  FakeClock clock;
  SeededRandom random;
  TempDir dir;
  std::unique_ptr<app::Program> program;
  // The program's parts, owned by `program`.
  store::Store* store = nullptr;
  registry::Registry* registry = nullptr;
  advisory::AdvisoryService* advisories = nullptr;
  const advisory::Scheduler* scheduler = nullptr;
  policy::PolicyService* policies = nullptr;
  monitor::ActivityMonitor* monitor = nullptr;
  http::Api* api = nullptr;
  std::string admin_token;
  Principal admin;

 private:
  std::unique_ptr<http::Server> server_;
};

}  // namespace forewarn::testing
