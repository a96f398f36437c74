// File: http/api.h
//
// forewarn's HTTP API: routing, bearer authentication, role checks, JSON bodies and errors,
// /healthz, /metrics and the OpenAPI document, on top of the registry and ledger services.
// Transport-independent: it maps a Request to a Response and is driven by http::Server.
//
//   http::Api api({.store = store, .registry = registry, .ledger = ledger, .clock = clock});
//   auto server = http::Server::Start(options, [&](const Request& r) { return api.Handle(r); });
//
// Thread safety: Handle() may be called from many threads at once.
#pragma once

#include <memory>
#include <string>

#include "advisory/advisory.h"
#include "core/clock.h"
#include "delivery/impact.h"
#include "delivery/pull.h"
#include "http/transport.h"
#include "ledger/ledger.h"
#include "monitor/monitor.h"
#include "policy/service.h"
#include "registry/registry.h"
#include "store/store.h"

namespace forewarn::delivery {
class Outbox;
class FingerprintOperations;
}  // namespace forewarn::delivery

namespace forewarn::http {

struct ApiContext {
  store::Store& store;
  registry::Registry& registry;
  const ledger::Ledger& ledger;
  const Clock& clock;
  std::string program_public_key;  // raw Ed25519 public key, published in the ledger head
  // Advisories (operators) and the partner pull API; both or neither (then no such routes).
  advisory::AdvisoryService* advisories = nullptr;
  delivery::PullService* pull = nullptr;
  // The policy endpoints (both or neither) and the alert endpoints and metrics.
  policy::PolicyService* policies = nullptr;
  delivery::PolicyInsight* insight = nullptr;
  monitor::ActivityMonitor* monitor = nullptr;
  // Push delivery: the delivery and webhook endpoints and the delivery gauges in /metrics
  // (none of them without it). Not owned; must outlive the Api.
  delivery::Outbox* outbox = nullptr;
  // Fingerprinting: marks, variant preview and leak trace endpoints (none without it).
  delivery::FingerprintOperations* fingerprints = nullptr;
};

class Api {
 public:
  explicit Api(ApiContext context);
  ~Api();
  Api(const Api&) = delete;
  Api& operator=(const Api&) = delete;

  // Answers one request. Never throws for bad input: every failure is a JSON error response
  // {"error":{"code","message"}} with the HTTP status mapped from the error code.
  Response Handle(const Request& request);

  // The OpenAPI 3.1 document, generated from the route table so it cannot drift.
  std::string OpenApiDocument() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The one place an ErrorCode becomes an HTTP status.
int HttpStatusFor(ErrorCode code);

}  // namespace forewarn::http
