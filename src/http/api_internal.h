// Pieces the API's route files share: the parsed request handlers see, JSON responses and
// errors, query parsing, and the route description each file contributes. Internal to http/.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "advisory/advisory.h"
#include "core/auth.h"
#include "core/result.h"
#include "delivery/impact.h"
#include "delivery/pull.h"
#include "http/transport.h"
#include "monitor/monitor.h"
#include "policy/service.h"

namespace forewarn::delivery {
class Outbox;
class FingerprintOperations;
}  // namespace forewarn::delivery

namespace forewarn::http {

// Who may reach a route before the handler's own role checks run.
enum class Access { kPublic, kAuthenticated };

using Params = std::map<std::string, std::string>;

// A parsed request as handlers see it.
struct Call {
  const Request& request;
  std::string path;
  Params query;
  Params path_params;
  Principal principal;
};

using RouteHandler = std::function<Result<Response>(Call&)>;

// One endpoint: what the router matches and what the OpenAPI document says about it.
struct RouteSpec {
  std::string method;
  std::string pattern;  // "/api/v1/partners/{id}"
  Access access = Access::kAuthenticated;
  RouteHandler handler;
  std::string summary;
  std::string roles;
};

std::string PercentDecode(std::string_view text, bool plus_is_space);
Params ParseQuery(std::string_view query);
std::vector<std::string_view> SplitPath(std::string_view path);

// A JSON body (UTF-8-safe: invalid bytes in echoed input are replaced, never thrown on).
Response JsonResponse(int status, const nlohmann::json& body);
// {"error":{"code","message"}} with the mapped HTTP status.
Response ErrorResponse(const Error& error);

// A non-negative integer query parameter; `fallback` when absent, else kInvalidArgument.
[[nodiscard]] Result<uint64_t> QueryNumber(const Params& query, const std::string& key,
                                           std::optional<uint64_t> fallback = std::nullopt);
// kInvalidArgument naming the first query parameter not in `allowed`.
[[nodiscard]] Status CheckKnownQuery(const Params& query,
                                     std::initializer_list<std::string_view> allowed);

// Turns a handler object's member functions into RouteHandlers that share the object:
//   auto bind = HandlerBinder(std::make_shared<MyHandlers>(...));  bind(&MyHandlers::Get)
template <class Handlers>
auto HandlerBinder(std::shared_ptr<Handlers> handlers) {
  return [handlers](Result<Response> (Handlers::*fn)(Call&)) -> RouteHandler {
    return [handlers, fn](Call& call) { return ((*handlers).*fn)(call); };
  };
}

// The advisory, artifact, terms, feed and package endpoints (advisory_routes.cc).
std::vector<RouteSpec> AdvisoryRoutes(advisory::AdvisoryService& advisories,
                                      delivery::PullService& pull);

// The policy endpoints: versions, validate, apply, restrict, explain, preview (policy_routes.cc).
std::vector<RouteSpec> PolicyRoutes(policy::PolicyService& policies,
                                    delivery::PolicyInsight& insight);
// The alert endpoints (policy_routes.cc).
std::vector<RouteSpec> AlertRoutes(monitor::ActivityMonitor& monitor);

// The push-delivery endpoints: deliveries, their acknowledgement and receipts, and partners'
// webhooks (delivery_routes.cc).
std::vector<RouteSpec> DeliveryRoutes(delivery::Outbox& outbox);
// The fingerprinting endpoints: marks, variant preview, leak trace (trace_routes.cc).
std::vector<RouteSpec> TraceRoutes(delivery::FingerprintOperations& operations);
// The delivery gauges for /metrics: forewarn_deliveries{state} and
// forewarn_deliveries_unacknowledged; empty if the counts cannot be read.
std::string DeliveryMetrics(const delivery::Outbox& outbox);

}  // namespace forewarn::http
