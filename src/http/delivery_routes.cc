// The push-delivery endpoints: operators list, inspect and retry deliveries and approve, rotate
// or remove a partner's webhook; a partner sees its own deliveries, acknowledges them and
// fetches their receipts. Role checks are the Outbox's, so each handler passes the caller on.
#include <fmt/format.h>

#include <iterator>
#include <string>
#include <vector>

#include "delivery/outbox.h"
#include "http/api_internal.h"
#include "http/json_codec.h"

namespace forewarn::http {
namespace {

using nlohmann::json;

// The setup answer; the secret is shown here only.
json WebhookJson(const delivery::WebhookSetup& setup) {
  return {{"partner", setup.partner_id},
          {"url", setup.url},
          {"generation", setup.generation},
          {"secret", setup.secret}};
}

// "true"/"false" (or "1"/"0"); absent is false. kInvalidArgument for anything else.
Result<bool> QueryFlag(const Params& query, const std::string& key) {
  const auto it = query.find(key);
  if (it == query.end()) return false;
  if (it->second == "true" || it->second == "1") return true;
  if (it->second == "false" || it->second == "0") return false;
  return Fail(ErrorCode::kInvalidArgument,
              fmt::format("query parameter '{}' must be true or false", key));
}

// A POST without meaningful body may still send "{}"; anything else is a mistake worth a 400.
Status EmptyBody(const Call& call) {
  FW_ASSIGN_OR_RETURN(auto body, ParseObject(call.request.body.empty() ? "{}" : call.request.body));
  return CheckKnownFields(body, {});
}

class DeliveryHandlers {
 public:
  explicit DeliveryHandlers(delivery::Outbox& outbox) : outbox_(outbox) {}

  Result<Response> List(Call& call) {
    FW_TRY(
        CheckKnownQuery(call.query, {"advisory", "partner", "state", "unacknowledged", "limit"}));
    store::DeliveryFilter filter;
    if (auto it = call.query.find("advisory"); it != call.query.end()) {
      filter.advisory_id = it->second;
    }
    if (auto it = call.query.find("partner"); it != call.query.end()) {
      filter.partner_id = it->second;
    }
    if (auto it = call.query.find("state"); it != call.query.end()) {
      FW_ASSIGN_OR_RETURN(filter.state, ParseDeliveryState(it->second));
    }
    FW_ASSIGN_OR_RETURN(filter.unacknowledged_only, QueryFlag(call.query, "unacknowledged"));
    FW_ASSIGN_OR_RETURN(auto limit, QueryNumber(call.query, "limit", 100));
    if (limit == 0 || limit > 1000) {
      return Fail(ErrorCode::kInvalidArgument, "limit must be between 1 and 1000");
    }
    filter.limit = limit;
    FW_ASSIGN_OR_RETURN(auto deliveries, outbox_.List(call.principal, std::move(filter)));
    json items = json::array();
    for (const auto& d : deliveries) items.push_back(delivery::DeliveryJson(d));
    return JsonResponse(200, {{"deliveries", items}, {"count", items.size()}});
  }

  Result<Response> Get(Call& call) {
    FW_ASSIGN_OR_RETURN(auto found, outbox_.Get(call.principal, call.path_params["id"]));
    return JsonResponse(200, delivery::DeliveryJson(found));
  }

  Result<Response> Retry(Call& call) {
    FW_TRY(EmptyBody(call));
    FW_ASSIGN_OR_RETURN(auto retried, outbox_.Retry(call.principal, call.path_params["id"]));
    return JsonResponse(200, delivery::DeliveryJson(retried));
  }

  Result<Response> Acknowledge(Call& call) {
    FW_TRY(EmptyBody(call));
    FW_ASSIGN_OR_RETURN(auto acknowledged,
                        outbox_.Acknowledge(call.principal, call.path_params["id"]));
    return JsonResponse(200, delivery::DeliveryJson(acknowledged));
  }

  Result<Response> Receipt(Call& call) {
    FW_ASSIGN_OR_RETURN(auto receipt, outbox_.Receipt(call.principal, call.path_params["id"]));
    return JsonResponse(200, receipt);
  }

  Result<Response> SetWebhook(Call& call) {
    FW_ASSIGN_OR_RETURN(auto body, ParseObject(call.request.body));
    FW_TRY(CheckKnownFields(body, {"url"}));
    if (!body.contains("url")) {
      return Fail(ErrorCode::kInvalidArgument, "field 'url' (the webhook's URL) is required");
    }
    FW_ASSIGN_OR_RETURN(auto url, GetString(body, "url"));
    FW_ASSIGN_OR_RETURN(auto setup,
                        outbox_.SetWebhook(call.principal, call.path_params["id"], url));
    return JsonResponse(200, WebhookJson(setup));
  }

  Result<Response> RotateWebhook(Call& call) {
    FW_TRY(EmptyBody(call));
    FW_ASSIGN_OR_RETURN(auto setup,
                        outbox_.RotateWebhookSecret(call.principal, call.path_params["id"]));
    return JsonResponse(200, WebhookJson(setup));
  }

  Result<Response> RemoveWebhook(Call& call) {
    const std::string& partner_id = call.path_params["id"];
    FW_TRY(outbox_.RemoveWebhook(call.principal, partner_id));
    return JsonResponse(200, {{"partner", partner_id}, {"removed", true}});
  }

 private:
  delivery::Outbox& outbox_;
};

}  // namespace

std::vector<RouteSpec> DeliveryRoutes(delivery::Outbox& outbox) {
  const auto bind = HandlerBinder(std::make_shared<DeliveryHandlers>(outbox));
  const std::string readers = "admin, analyst, investigator, auditor; partner (own)";
  using H = DeliveryHandlers;
  return {
      {"GET", "/api/v1/deliveries", Access::kAuthenticated, bind(&H::List),
       "Push deliveries, newest first; filters: advisory, partner, state (pending, sending, "
       "delivered, cancelled, failed), unacknowledged=true, limit (1..1000, default 100)",
       readers},
      {"GET", "/api/v1/deliveries/{id}", Access::kAuthenticated, bind(&H::Get),
       "One delivery: state, attempts, last error, ledger index, acknowledgement", readers},
      {"POST", "/api/v1/deliveries/{id}/retry", Access::kAuthenticated, bind(&H::Retry),
       "Make a pending or failed delivery due now; 409 for delivered, cancelled or sending ones",
       "admin"},
      {"POST", "/api/v1/deliveries/{id}/acknowledge", Access::kAuthenticated, bind(&H::Acknowledge),
       "Confirm receipt of a delivered package (idempotent); recorded on the ledger", "partner"},
      {"GET", "/api/v1/deliveries/{id}/receipt", Access::kAuthenticated, bind(&H::Receipt),
       "The receipt of a delivered package: its ledger entry, inclusion proof and signed tree "
       "head",
       readers},
      {"PUT", "/api/v1/partners/{id}/webhook", Access::kAuthenticated, bind(&H::SetWebhook),
       "Approve the partner's webhook (body: {\"url\"}); the signing secret is in this response "
       "only",
       "admin"},
      {"POST", "/api/v1/partners/{id}/webhook/rotate", Access::kAuthenticated,
       bind(&H::RotateWebhook),
       "A new signing secret for the partner's webhook (shown once); the old one stops working",
       "admin"},
      {"DELETE", "/api/v1/partners/{id}/webhook", Access::kAuthenticated, bind(&H::RemoveWebhook),
       "Remove the partner's webhook; its pending deliveries are cancelled", "admin"},
  };
}

std::string DeliveryMetrics(const delivery::Outbox& outbox) {
  auto counts = outbox.Counts();
  // One per state, in enum order, then the unacknowledged delivered ones.
  constexpr DeliveryState kStates[] = {DeliveryState::kPending, DeliveryState::kSending,
                                       DeliveryState::kDelivered, DeliveryState::kCancelled,
                                       DeliveryState::kFailed};
  if (!counts || counts->size() != std::size(kStates) + 1) return "";
  std::string out =
      "# HELP forewarn_deliveries Push deliveries by state.\n"
      "# TYPE forewarn_deliveries gauge\n";
  for (size_t i = 0; i < std::size(kStates); ++i) {
    out +=
        fmt::format("forewarn_deliveries{{state=\"{}\"}} {}\n", ToString(kStates[i]), (*counts)[i]);
  }
  out += fmt::format(
      "# HELP forewarn_deliveries_unacknowledged Delivered packages the partner has not "
      "acknowledged.\n"
      "# TYPE forewarn_deliveries_unacknowledged gauge\nforewarn_deliveries_unacknowledged {}\n",
      counts->back());
  return out;
}

}  // namespace forewarn::http
