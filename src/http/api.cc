#include "http/api.h"

#include <fmt/format.h>

#include <array>
#include <atomic>
#include <charconv>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <vector>

#include "core/time.h"
#include "crypto/crypto.h"
#include "http/api_internal.h"
#include "http/json_codec.h"

namespace forewarn::http {
namespace {

using nlohmann::json;

// Request counts and latency by route template and status, in Prometheus text format.
class Metrics {
 public:
  static constexpr std::array<double, 10> kBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01,
                                                      0.025,  0.05,  0.1,    0.5,   1.0};

  void Record(const std::string& route, int status, double seconds) {
    std::lock_guard lock(mutex_);
    ++requests_[{route, status}];
    auto& histogram = latency_[route];
    for (size_t i = 0; i < kBuckets.size(); ++i) {
      if (seconds <= kBuckets[i]) ++histogram.buckets[i];
    }
    ++histogram.count;
    histogram.sum += seconds;
  }

  std::string Render() const {
    std::lock_guard lock(mutex_);
    std::string out =
        "# HELP forewarn_http_requests_total HTTP requests by route and status.\n"
        "# TYPE forewarn_http_requests_total counter\n";
    for (const auto& [key, count] : requests_) {
      out += fmt::format("forewarn_http_requests_total{{route=\"{}\",status=\"{}\"}} {}\n",
                         key.first, key.second, count);
    }
    out +=
        "# HELP forewarn_http_request_duration_seconds Time to answer a request.\n"
        "# TYPE forewarn_http_request_duration_seconds histogram\n";
    for (const auto& [route, h] : latency_) {
      for (size_t i = 0; i < kBuckets.size(); ++i) {
        out += fmt::format(
            "forewarn_http_request_duration_seconds_bucket{{route=\"{}\",le=\"{}\"}} {}\n", route,
            kBuckets[i], h.buckets[i]);
      }
      out += fmt::format(
          "forewarn_http_request_duration_seconds_bucket{{route=\"{}\",le=\"+Inf\"}} {}\n", route,
          h.count);
      out += fmt::format("forewarn_http_request_duration_seconds_sum{{route=\"{}\"}} {}\n", route,
                         h.sum);
      out += fmt::format("forewarn_http_request_duration_seconds_count{{route=\"{}\"}} {}\n", route,
                         h.count);
    }
    return out;
  }

 private:
  struct Histogram {
    std::array<uint64_t, kBuckets.size()> buckets{};
    uint64_t count = 0;
    double sum = 0;
  };
  mutable std::mutex mutex_;
  std::map<std::pair<std::string, int>, uint64_t> requests_;
  std::map<std::string, Histogram> latency_;
};

}  // namespace

int HttpStatusFor(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument:
      return 400;
    case ErrorCode::kUnauthenticated:
      return 401;
    case ErrorCode::kPermissionDenied:
      return 403;
    case ErrorCode::kNotFound:
      return 404;
    case ErrorCode::kConflict:
      return 409;
    case ErrorCode::kFailedPrecondition:
      return 409;
    case ErrorCode::kUnavailable:
      return 503;
    case ErrorCode::kInternal:
      return 500;
  }
  return 500;
}

struct Api::Impl {
  using HandlerFn = Result<Response> (Impl::*)(Call&);

  struct Route : RouteSpec {
    std::vector<std::string_view> segments;
  };

  explicit Impl(ApiContext c) : ctx(std::move(c)) {
    Add("GET", "/healthz", Access::kPublic, &Impl::Healthz, "Liveness and store check", "anyone");
    Add("GET", "/metrics", Access::kPublic, &Impl::MetricsText,
        "Prometheus metrics: requests by route and status, latency histogram, alert and "
        "delivery gauges",
        "anyone");
    Add("GET", "/api/v1/openapi.json", Access::kPublic, &Impl::OpenApi, "This document", "anyone");
    Add("GET", "/api/v1/whoami", Access::kAuthenticated, &Impl::WhoAmI, "The authenticated caller",
        "any token");
    Add("GET", "/api/v1/me", Access::kAuthenticated, &Impl::Me, "The calling partner's own record",
        "partner");
    Add("GET", "/api/v1/partners", Access::kAuthenticated, &Impl::ListPartners,
        "List partners; filters: status, tier, label, country",
        "admin, analyst, investigator, auditor");
    Add("POST", "/api/v1/partners", Access::kAuthenticated, &Impl::CreatePartner,
        "Register a partner", "admin");
    Add("GET", "/api/v1/partners/{id}", Access::kAuthenticated, &Impl::GetPartner, "One partner",
        "operators; a partner for itself");
    Add("PATCH", "/api/v1/partners/{id}", Access::kAuthenticated, &Impl::UpdatePartner,
        "Change a partner's fields", "admin");
    Add("GET", "/api/v1/partners/{id}/history", Access::kAuthenticated, &Impl::PartnerHistory,
        "Lifecycle changes with reason and actor", "admin, investigator, auditor");
    for (const char* action : {"activate", "suspend", "reinstate", "remove"}) {
      Add("POST", fmt::format("/api/v1/partners/{{id}}/{}", action), Access::kAuthenticated,
          &Impl::ChangeStatus, fmt::format("Lifecycle: {} (body: {{\"reason\"}})", action),
          "admin");
    }
    Add("GET", "/api/v1/tokens", Access::kAuthenticated, &Impl::ListTokens,
        "Token metadata (never secrets); filter: partner", "admin, auditor");
    Add("POST", "/api/v1/tokens", Access::kAuthenticated, &Impl::CreateToken,
        "Issue a token; the secret is in this response only", "admin");
    Add("DELETE", "/api/v1/tokens/{id}", Access::kAuthenticated, &Impl::RevokeToken,
        "Revoke a token", "admin");
    Add("GET", "/api/v1/tiers", Access::kAuthenticated, &Impl::ListTiers,
        "Tiers and their lead times", "any token");
    Add("PUT", "/api/v1/tiers/{name}", Access::kAuthenticated, &Impl::PutTier,
        "Create or change a tier (body: {\"lead_time\":\"5d\"})", "admin");
    Add("GET", "/api/v1/ledger/head", Access::kAuthenticated, &Impl::LedgerHead,
        "Sign and return the current tree head", "admin, investigator, auditor");
    Add("GET", "/api/v1/ledger/entries", Access::kAuthenticated, &Impl::LedgerEntries,
        "Entries start <= index < end (at most 1000)", "admin, investigator, auditor");
    Add("GET", "/api/v1/ledger/proof/inclusion", Access::kAuthenticated, &Impl::InclusionProof,
        "Inclusion proof by index or leaf_hash, for tree_size",
        "admin, investigator, auditor; partners for their own entries");
    Add("GET", "/api/v1/ledger/proof/consistency", Access::kAuthenticated, &Impl::ConsistencyProof,
        "Consistency proof between tree sizes first and second",
        "admin, investigator, auditor, partner");
    Add("GET", "/api/v1/ledger/export", Access::kAuthenticated, &Impl::LedgerExport,
        "The whole ledger with signed heads, for offline `audit verify`",
        "admin, investigator, auditor");
    if (ctx.advisories != nullptr && ctx.pull != nullptr) {
      for (auto& spec : AdvisoryRoutes(*ctx.advisories, *ctx.pull)) Add(std::move(spec));
    }
    if (ctx.policies != nullptr && ctx.insight != nullptr) {
      for (auto& spec : PolicyRoutes(*ctx.policies, *ctx.insight)) Add(std::move(spec));
    }
    if (ctx.monitor != nullptr) {
      for (auto& spec : AlertRoutes(*ctx.monitor)) Add(std::move(spec));
    }
    if (ctx.outbox != nullptr) {
      for (auto& spec : DeliveryRoutes(*ctx.outbox)) Add(std::move(spec));
    }
    if (ctx.fingerprints != nullptr) {
      for (auto& spec : TraceRoutes(*ctx.fingerprints)) Add(std::move(spec));
    }
  }

  void Add(std::string method, std::string pattern, Access access, HandlerFn handler,
           std::string summary, std::string roles) {
    Add(RouteSpec{std::move(method), std::move(pattern), access,
                  [this, handler](Call& call) { return (this->*handler)(call); },
                  std::move(summary), std::move(roles)});
  }

  void Add(RouteSpec spec) { routes.push_back(Route{std::move(spec), {}}); }

  void IndexRoutes() {
    for (auto& route : routes) route.segments = SplitPath(route.pattern);
  }

  // The route matching the path (any method), with path parameters; nullptr if none.
  const Route* Match(std::string_view path, std::string_view method, Params& params,
                     bool& path_known) const {
    const auto segments = SplitPath(path);
    path_known = false;
    for (const auto& route : routes) {
      if (route.segments.size() != segments.size()) continue;
      Params captured;
      bool match = true;
      for (size_t i = 0; i < segments.size() && match; ++i) {
        const auto& pattern = route.segments[i];
        if (pattern.size() > 2 && pattern.front() == '{' && pattern.back() == '}') {
          if (segments[i].empty()) match = false;
          captured[std::string(pattern.substr(1, pattern.size() - 2))] =
              PercentDecode(segments[i], false);
        } else if (pattern != segments[i]) {
          match = false;
        }
      }
      if (!match) continue;
      path_known = true;
      if (route.method == method || (method == "HEAD" && route.method == "GET")) {
        params = std::move(captured);
        return &route;
      }
    }
    return nullptr;
  }

  Response Handle(const Request& request) {
    const TimePoint started = ctx.clock.Now();
    std::string route_label = "unmatched";
    Response response = Dispatch(request, route_label);
    const double seconds = std::chrono::duration<double>(ctx.clock.Now() - started).count();
    metrics.Record(route_label, response.status, seconds);
    return response;
  }

  Response Dispatch(const Request& request, std::string& route_label) {
    const std::string_view target = request.target;
    const size_t question = target.find('?');
    Call call{
        request,
        std::string(target.substr(0, question)),
        question == std::string_view::npos ? Params{} : ParseQuery(target.substr(question + 1)),
        {},
        {}};
    if (call.path.size() > 1 && call.path.back() == '/') call.path.pop_back();
    bool path_known = false;
    const Route* route = Match(call.path, request.method, call.path_params, path_known);
    if (route == nullptr) {
      if (path_known) return MethodNotAllowed(request.method, call.path);
      return ErrorResponse(
          {ErrorCode::kNotFound, fmt::format("no such endpoint: {}", call.path.substr(0, 200))});
    }
    route_label = route->method + " " + route->pattern;
    if (route->access == Access::kAuthenticated) {
      const std::string_view header = FindHeader(request.headers, "Authorization");
      if (header.empty()) {
        return ErrorResponse(
            {ErrorCode::kUnauthenticated, "missing Authorization: Bearer <token> header"});
      }
      if (!header.starts_with("Bearer ")) {
        return ErrorResponse(
            {ErrorCode::kUnauthenticated, "Authorization header must be 'Bearer <token>'"});
      }
      auto principal = ctx.registry.Authenticate(header);
      if (!principal) return ErrorResponse(principal.error());
      call.principal = std::move(*principal);
    }
    auto result = route->handler(call);
    if (!result) return ErrorResponse(result.error());
    return std::move(*result);
  }

  static Response MethodNotAllowed(const std::string& method, const std::string& path) {
    Response response = JsonResponse(
        405, {{"error",
               {{"code", "method_not_allowed"},
                {"message", fmt::format("method {} is not allowed on {}", method.substr(0, 16),
                                        path.substr(0, 200))}}}});
    return response;
  }

  Result<json> Body(const Call& call) { return ParseObject(call.request.body); }

  // --- operations ---

  Result<Response> Healthz(Call&) {
    auto ping = ctx.store.Ping();
    if (!ping) return JsonResponse(503, {{"status", "unavailable"}});
    return JsonResponse(200, {{"status", "ok"}, {"schema_version", ctx.store.SchemaVersion()}});
  }

  Result<Response> MetricsText(Call&) {
    Response response;
    response.content_type = "text/plain; version=0.0.4";
    response.body = metrics.Render() + AlertMetrics();
    if (ctx.outbox != nullptr) response.body += DeliveryMetrics(*ctx.outbox);
    return response;
  }

  // Alert counters and the open-alert gauge (counts only: no partner ids on a public page).
  std::string AlertMetrics() const {
    if (ctx.monitor == nullptr) return "";
    const auto stats = ctx.monitor->stats();
    std::string out =
        "# HELP forewarn_alerts_raised_total Alerts raised about unusual partner activity.\n"
        "# TYPE forewarn_alerts_raised_total counter\n";
    for (AlertKind kind : {AlertKind::kVolume, AlertKind::kOffHours, AlertKind::kBreadth}) {
      out += fmt::format("forewarn_alerts_raised_total{{kind=\"{}\"}} {}\n", ToString(kind),
                         stats.alerts_raised[static_cast<size_t>(kind)]);
    }
    if (auto open = ctx.monitor->OpenCount()) {
      out += fmt::format(
          "# HELP forewarn_alerts_open Alerts not yet acknowledged.\n"
          "# TYPE forewarn_alerts_open gauge\nforewarn_alerts_open {}\n",
          *open);
    }
    return out;
  }

  Result<Response> OpenApi(Call&) {
    Response response;
    response.body = OpenApiDocument();
    return response;
  }

  Result<Response> WhoAmI(Call& call) {
    const auto& p = call.principal;
    json body = {{"token", p.token_id}, {"name", p.name}, {"role", ToString(p.role)}};
    if (p.IsPartner()) body["partner"] = p.partner_id;
    return JsonResponse(200, body);
  }

  Result<Response> Me(Call& call) {
    FW_TRY(Authorize(call.principal, Action::kSelfRead));
    FW_ASSIGN_OR_RETURN(auto partner,
                        ctx.registry.GetPartner(call.principal, call.principal.partner_id));
    return JsonResponse(200, ToJson(partner));
  }

  Result<Response> ListPartners(Call& call) {
    store::PartnerFilter filter;
    for (const auto& [key, value] : call.query) {
      if (key == "status") {
        FW_ASSIGN_OR_RETURN(auto status, ParsePartnerStatus(value));
        filter.status = status;
      } else if (key == "tier") {
        filter.tier = value;
      } else if (key == "label") {
        filter.label = value;
      } else if (key == "country") {
        filter.country = value;
      } else {
        return Fail(ErrorCode::kInvalidArgument,
                    fmt::format("unknown query parameter '{}'", key.substr(0, 64)));
      }
    }
    FW_ASSIGN_OR_RETURN(auto partners, ctx.registry.ListPartners(call.principal, filter));
    json items = json::array();
    for (const auto& p : partners) items.push_back(ToJson(p));
    return JsonResponse(200, {{"partners", items}, {"count", partners.size()}});
  }

  Result<Response> CreatePartner(Call& call) {
    FW_TRY(Authorize(call.principal, Action::kPartnerCreate));
    FW_ASSIGN_OR_RETURN(auto body, Body(call));
    FW_ASSIGN_OR_RETURN(auto fields, PartnerFieldsFromJson(body, true, ctx.clock.Now()));
    FW_ASSIGN_OR_RETURN(auto partner, ctx.registry.AddPartner(call.principal, fields));
    Response response = JsonResponse(201, ToJson(partner));
    response.headers.emplace_back("Location", "/api/v1/partners/" + partner.id);
    return response;
  }

  Result<Response> GetPartner(Call& call) {
    FW_ASSIGN_OR_RETURN(auto partner,
                        ctx.registry.GetPartner(call.principal, call.path_params["id"]));
    return JsonResponse(200, ToJson(partner));
  }

  Result<Response> UpdatePartner(Call& call) {
    FW_TRY(Authorize(call.principal, Action::kPartnerUpdate));
    FW_ASSIGN_OR_RETURN(auto body, Body(call));
    FW_ASSIGN_OR_RETURN(auto fields, PartnerFieldsFromJson(body, false, ctx.clock.Now()));
    FW_ASSIGN_OR_RETURN(auto partner,
                        ctx.registry.UpdatePartner(call.principal, call.path_params["id"], fields));
    return JsonResponse(200, ToJson(partner));
  }

  Result<Response> PartnerHistory(Call& call) {
    FW_ASSIGN_OR_RETURN(auto changes,
                        ctx.registry.StatusHistory(call.principal, call.path_params["id"]));
    json items = json::array();
    for (const auto& c : changes) items.push_back(ToJson(c));
    return JsonResponse(200, {{"history", items}});
  }

  Result<Response> ChangeStatus(Call& call) {
    FW_TRY(Authorize(call.principal, Action::kPartnerStatus));
    const std::string action = call.path.substr(call.path.rfind('/') + 1);
    const PartnerStatus to = action == "suspend"  ? PartnerStatus::kSuspended
                             : action == "remove" ? PartnerStatus::kRemoved
                                                  : PartnerStatus::kActive;
    FW_ASSIGN_OR_RETURN(auto body, Body(call));
    FW_TRY(CheckKnownFields(body, {"reason"}));
    if (!body.contains("reason") || !body["reason"].is_string()) {
      return Fail(ErrorCode::kInvalidArgument, "field 'reason' (a string) is required");
    }
    const std::string& id = call.path_params["id"];
    // "reinstate" and "activate" both lead to active; each names the state it starts from.
    std::optional<PartnerStatus> expected_from;
    if (action == "reinstate") expected_from = PartnerStatus::kSuspended;
    if (action == "activate") expected_from = PartnerStatus::kApplicant;
    FW_ASSIGN_OR_RETURN(
        auto partner, ctx.registry.ChangeStatus(call.principal, id, to,
                                                body["reason"].get<std::string>(), expected_from));
    return JsonResponse(200, ToJson(partner));
  }

  Result<Response> ListTokens(Call& call) {
    std::optional<std::string> partner;
    for (const auto& [key, value] : call.query) {
      if (key != "partner") {
        return Fail(ErrorCode::kInvalidArgument,
                    fmt::format("unknown query parameter '{}'", key.substr(0, 64)));
      }
      partner = value;
    }
    FW_ASSIGN_OR_RETURN(auto tokens, ctx.registry.ListTokens(call.principal, partner));
    json items = json::array();
    const TimePoint now = ctx.clock.Now();
    for (const auto& t : tokens) items.push_back(ToJson(t, now));
    return JsonResponse(200, {{"tokens", items}});
  }

  Result<Response> CreateToken(Call& call) {
    FW_TRY(Authorize(call.principal, Action::kTokenCreate));
    FW_ASSIGN_OR_RETURN(auto body, Body(call));
    FW_ASSIGN_OR_RETURN(auto request, TokenRequestFromJson(body));
    FW_ASSIGN_OR_RETURN(auto issued, ctx.registry.CreateToken(call.principal, request));
    json out = ToJson(issued.record, ctx.clock.Now());
    out["token"] = issued.token;
    return JsonResponse(201, out);
  }

  Result<Response> RevokeToken(Call& call) {
    FW_TRY(ctx.registry.RevokeToken(call.principal, call.path_params["id"]));
    return JsonResponse(200, {{"id", call.path_params["id"]}, {"state", "revoked"}});
  }

  Result<Response> ListTiers(Call& call) {
    FW_ASSIGN_OR_RETURN(auto tiers, ctx.registry.ListTiers(call.principal));
    json items = json::array();
    for (const auto& t : tiers) items.push_back(ToJson(t));
    return JsonResponse(200, {{"tiers", items}});
  }

  Result<Response> PutTier(Call& call) {
    FW_TRY(Authorize(call.principal, Action::kTierWrite));
    FW_ASSIGN_OR_RETURN(auto body, Body(call));
    FW_ASSIGN_OR_RETURN(auto tier, TierFromJson(call.path_params["name"], body));
    FW_ASSIGN_OR_RETURN(auto stored, ctx.registry.PutTier(call.principal, tier));
    // Waves not yet opened follow the tier's new lead time; a new tier gets its waves.
    if (ctx.advisories != nullptr) FW_TRY(ctx.advisories->ReconcileTiers(call.principal.Actor()));
    return JsonResponse(200, ToJson(stored));
  }

  // --- ledger ---

  Result<Response> LedgerHead(Call& call) {
    FW_TRY(Authorize(call.principal, Action::kLedgerRead));
    FW_ASSIGN_OR_RETURN(auto tx, ctx.store.Begin(store::TxMode::kWrite));
    FW_ASSIGN_OR_RETURN(auto head, ctx.ledger.SignHead(*tx));
    FW_TRY(tx->Commit());
    json out = ToJson(head);
    out["program_public_key"] = crypto::Base64(ctx.program_public_key);
    return JsonResponse(200, out);
  }

  Result<Response> LedgerEntries(Call& call) {
    FW_TRY(Authorize(call.principal, Action::kLedgerRead));
    FW_ASSIGN_OR_RETURN(auto tx, ctx.store.Begin(store::TxMode::kRead));
    FW_ASSIGN_OR_RETURN(uint64_t size, tx->LedgerSize());
    FW_ASSIGN_OR_RETURN(uint64_t start, QueryNumber(call.query, "start", 0));
    FW_ASSIGN_OR_RETURN(uint64_t end, QueryNumber(call.query, "end", std::min(size, start + 100)));
    if (start > end) return Fail(ErrorCode::kInvalidArgument, "start must not exceed end");
    if (end - start > 1000) {
      return Fail(ErrorCode::kInvalidArgument, "at most 1000 entries per request");
    }
    FW_ASSIGN_OR_RETURN(auto leaves, tx->ListLedgerLeaves(start, end));
    json items = json::array();
    for (const auto& leaf : leaves) {
      json data = json::parse(leaf.data, nullptr, false);
      items.push_back(
          {{"index", leaf.index}, {"leaf_hash", crypto::Hex(leaf.leaf_hash)}, {"event", data}});
    }
    return JsonResponse(200, {{"tree_size", size}, {"entries", items}});
  }

  Result<Response> InclusionProof(Call& call) {
    FW_ASSIGN_OR_RETURN(auto tx, ctx.store.Begin(store::TxMode::kRead));
    FW_ASSIGN_OR_RETURN(uint64_t size, tx->LedgerSize());
    std::optional<store::LedgerLeaf> leaf;
    if (call.query.count("leaf_hash") > 0) {
      auto raw = crypto::FromHex(call.query["leaf_hash"]);
      if (!raw || raw->size() != 32) {
        return Fail(ErrorCode::kInvalidArgument, "leaf_hash must be 64 hexadecimal characters");
      }
      FW_ASSIGN_OR_RETURN(leaf, tx->FindLedgerLeafByHash(*raw));
    } else {
      FW_ASSIGN_OR_RETURN(uint64_t index, QueryNumber(call.query, "index"));
      if (index < size) {
        FW_ASSIGN_OR_RETURN(auto leaves, tx->ListLedgerLeaves(index, index + 1));
        if (!leaves.empty()) leaf = leaves.front();
      }
    }
    if (!leaf || !MayReadEntry(call.principal, *leaf)) {
      return Fail(ErrorCode::kNotFound, "no such ledger entry");
    }
    FW_ASSIGN_OR_RETURN(uint64_t tree_size, QueryNumber(call.query, "tree_size", size));
    FW_ASSIGN_OR_RETURN(auto proof, ctx.ledger.InclusionProof(*tx, leaf->index, tree_size));
    FW_ASSIGN_OR_RETURN(auto root, ctx.ledger.RootAt(*tx, tree_size));
    json path = json::array();
    for (const auto& node : proof) path.push_back(crypto::Hex(node));
    return JsonResponse(200, {{"index", leaf->index},
                              {"leaf_hash", crypto::Hex(leaf->leaf_hash)},
                              {"tree_size", tree_size},
                              {"root_hash", crypto::Hex(root)},
                              {"audit_path", path}});
  }

  // Operators with ledger access see every entry; a partner sees entries about itself.
  static bool MayReadEntry(const Principal& principal, const store::LedgerLeaf& leaf) {
    if (Allowed(principal.role, Action::kLedgerRead)) return true;
    if (!principal.IsPartner()) return false;
    const json event = json::parse(leaf.data, nullptr, false);
    if (!event.is_object()) return false;
    const auto is_partner = [&](const json& value) {
      return value.is_string() && value.get<std::string>() == principal.partner_id;
    };
    if (event.contains("subject") && is_partner(event["subject"])) return true;
    return event.contains("details") && event["details"].is_object() &&
           event["details"].contains("partner") && is_partner(event["details"]["partner"]);
  }

  Result<Response> ConsistencyProof(Call& call) {
    if (!Allowed(call.principal.role, Action::kLedgerRead) && !call.principal.IsPartner()) {
      return Fail(ErrorCode::kPermissionDenied,
                  fmt::format("role {} may not read the ledger", ToString(call.principal.role)));
    }
    FW_ASSIGN_OR_RETURN(uint64_t first, QueryNumber(call.query, "first"));
    FW_ASSIGN_OR_RETURN(uint64_t second, QueryNumber(call.query, "second"));
    FW_ASSIGN_OR_RETURN(auto tx, ctx.store.Begin(store::TxMode::kRead));
    FW_ASSIGN_OR_RETURN(auto proof, ctx.ledger.ConsistencyProof(*tx, first, second));
    json nodes = json::array();
    for (const auto& node : proof) nodes.push_back(crypto::Hex(node));
    return JsonResponse(200, {{"first", first}, {"second", second}, {"proof", nodes}});
  }

  Result<Response> LedgerExport(Call& call) {
    FW_TRY(Authorize(call.principal, Action::kLedgerRead));
    {
      // Sign in a short write transaction so the (long) export does not hold the writer lock.
      FW_ASSIGN_OR_RETURN(auto tx, ctx.store.Begin(store::TxMode::kWrite));
      FW_TRY(ctx.ledger.SignHead(*tx));
      FW_TRY(tx->Commit());
    }
    FW_ASSIGN_OR_RETURN(auto tx, ctx.store.Begin(store::TxMode::kRead));
    FW_ASSIGN_OR_RETURN(auto exported, ctx.ledger.Export(*tx));
    return JsonResponse(200, exported);
  }

  std::string OpenApiDocument() const {
    json paths = json::object();
    for (const auto& route : routes) {
      std::string method = route.method;
      std::transform(method.begin(), method.end(), method.begin(),
                     [](char c) { return static_cast<char>(std::tolower(c)); });
      json operation = {
          {"summary", route.summary},
          {"description", "Roles: " + route.roles},
          {"responses",
           {{"200", {{"description", "Success"}}},
            {"default",
             {{
                  "description",
                  "Error",
              },
              {"content",
               {{"application/json", {{"schema", {{"$ref", "#/components/schemas/Error"}}}}}}}}}}}};
      if (route.access == Access::kAuthenticated) {
        operation["security"] = json::array({{{"bearer", json::array()}}});
      }
      json parameters = json::array();
      for (const auto& segment : route.segments) {
        if (segment.size() > 2 && segment.front() == '{') {
          parameters.push_back({{"name", std::string(segment.substr(1, segment.size() - 2))},
                                {"in", "path"},
                                {"required", true},
                                {"schema", {{"type", "string"}}}});
        }
      }
      if (!parameters.empty()) operation["parameters"] = parameters;
      if (route.method == "POST" || route.method == "PATCH" || route.method == "PUT") {
        operation["requestBody"] = {
            {"content", {{"application/json", {{"schema", {{"type", "object"}}}}}}}};
      }
      paths[route.pattern][method] = operation;
    }
    json document = {
        {"openapi", "3.1.0"},
        {"info",
         {{"title", "forewarn API"},
          {"version", "1"},
          {"description",
           "Early-warning vulnerability distribution: partner registry, tokens, tiers and "
           "the tamper-evident audit ledger. Errors are {\"error\":{\"code\",\"message\"}}."}}},
        {"paths", paths},
        {"components",
         {{"securitySchemes", {{"bearer", {{"type", "http"}, {"scheme", "bearer"}}}}},
          {"schemas",
           {{"Error",
             {{"type", "object"},
              {"required", {"error"}},
              {"properties",
               {{"error",
                 {{"type", "object"},
                  {"required", {"code", "message"}},
                  {"properties",
                   {{"code", {{"type", "string"}}}, {"message", {{"type", "string"}}}}}}}}}}}}}}}};
    return document.dump(2);
  }

  ApiContext ctx;
  std::vector<Route> routes;
  Metrics metrics;
};

Api::Api(ApiContext context) : impl_(std::make_unique<Impl>(std::move(context))) {
  impl_->IndexRoutes();
}

Api::~Api() = default;

Response Api::Handle(const Request& request) { return impl_->Handle(request); }

std::string Api::OpenApiDocument() const { return impl_->OpenApiDocument(); }

}  // namespace forewarn::http
