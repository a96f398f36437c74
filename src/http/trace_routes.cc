// The fingerprinting endpoints for operators: an artifact's marks and capacity, a preview of
// any partner's copy, and tracing a leaked text to partners. Role checks are the
// FingerprintOperations', so each handler passes the caller on.
#include <fmt/format.h>

#include <string>

#include "delivery/fingerprints.h"
#include "http/api_internal.h"

namespace forewarn::http {
namespace {

class TraceHandlers {
 public:
  explicit TraceHandlers(delivery::FingerprintOperations& operations) : ops_(operations) {}

  Result<Response> Marks(Call& call) {
    FW_TRY(CheckKnownQuery(call.query, {}));
    FW_ASSIGN_OR_RETURN(auto marks, ops_.Marks(call.principal, call.path_params["id"],
                                               call.path_params["artifact"]));
    return JsonResponse(200, marks);
  }

  Result<Response> Variant(Call& call) {
    FW_TRY(CheckKnownQuery(call.query, {"partner"}));
    const auto partner = call.query.find("partner");
    if (partner == call.query.end() || partner->second.empty()) {
      return Fail(ErrorCode::kInvalidArgument,
                  "query parameter 'partner' (whose copy to preview) is required");
    }
    FW_ASSIGN_OR_RETURN(auto copy, ops_.Preview(call.principal, call.path_params["id"],
                                                call.path_params["artifact"], partner->second));
    Response response;
    response.status = 200;
    response.content_type = "text/plain; charset=utf-8";
    response.body = std::move(copy.bytes);
    response.headers.emplace_back("Cache-Control", "no-store");
    response.headers.emplace_back("X-Forewarn-Fingerprint", copy.fingerprint_id.value_or(""));
    response.headers.emplace_back("X-Forewarn-Sha256", copy.sha256);
    return response;
  }

  Result<Response> Trace(Call& call) {
    FW_TRY(CheckKnownQuery(call.query, {}));
    FW_ASSIGN_OR_RETURN(auto report,
                        ops_.TraceLeak(call.principal, call.path_params["id"], call.request.body));
    return JsonResponse(200, report);
  }

 private:
  delivery::FingerprintOperations& ops_;
};

}  // namespace

std::vector<RouteSpec> TraceRoutes(delivery::FingerprintOperations& operations) {
  const auto bind = HandlerBinder(std::make_shared<TraceHandlers>(operations));
  using H = TraceHandlers;
  return {
      {"GET", "/api/v1/advisories/{id}/artifacts/{artifact}/marks", Access::kAuthenticated,
       bind(&H::Marks),
       "An artifact's fingerprint marks: capacity in code bits against what the program's "
       "recipients, coalition and epsilon need (with a warning when short), every variation "
       "point (family, line, bits, code positions) and canary",
       "admin, analyst, investigator"},
      {"GET", "/api/v1/advisories/{id}/artifacts/{artifact}/variant", Access::kAuthenticated,
       bind(&H::Variant),
       "Preview of one partner's fingerprinted copy (?partner=ID), exactly as it downloads it; "
       "recorded on the ledger",
       "admin, analyst, investigator"},
      {"POST", "/api/v1/advisories/{id}/trace", Access::kAuthenticated, bind(&H::Trace),
       "Trace a leaked text (the request body, any text) to partners: accused partners with "
       "score and false-accusation bound, canary hits, and per artifact what could be read; "
       "recorded on the ledger",
       "admin, investigator"},
  };
}

}  // namespace forewarn::http
