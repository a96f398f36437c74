#include "app/delivery_commands.h"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>

namespace forewarn::app {
namespace {

using nlohmann::json;

struct DeliveryOptions {
  Endpoint endpoint;
  bool json_output = false;
  std::string id, advisory, partner, state, url, out_file;
  bool unacknowledged = false;
  size_t limit = 100;
};

std::string DeliveryPath(const std::string& id) { return "/api/v1/deliveries/" + UrlEncode(id); }

std::string WebhookPath(const std::string& partner_id) {
  return "/api/v1/partners/" + UrlEncode(partner_id) + "/webhook";
}

// A text cell: "-" for an empty string or null, so every column has something.
std::string Cell(const json& value) {
  const std::string text = Str(value);
  return text.empty() ? "-" : text;
}

void PrintDelivery(const json& d) {
  for (const char* key :
       {"id", "partner", "advisory", "revision", "trigger", "state", "attempts", "created_at",
        "next_attempt_at", "last_attempt_at", "last_error", "delivered_at", "package_sha256",
        "ledger_index", "acknowledged_at", "acknowledged_via", "cancel_reason"}) {
    if (!d.contains(key)) continue;
    std::cout << fmt::format("{:<17} {}\n", std::string(key) + ":", Cell(d[key]));
  }
}

// Writes `text` to `path` through a temporary file, so a failed write leaves no half file.
Status WriteOutput(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".part";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out) return Fail(ErrorCode::kUnavailable, "cannot write " + tmp);
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec)
    return Fail(ErrorCode::kUnavailable, fmt::format("cannot write {}: {}", path, ec.message()));
  return Ok();
}

void AddListShow(CLI::App* delivery, std::shared_ptr<DeliveryOptions> o, Command& command) {
  auto* list = delivery->add_subcommand("list", "Push deliveries, newest first");
  list->add_option("--advisory", o->advisory, "Only this advisory's");
  list->add_option("--partner", o->partner, "Only this partner's (operators)");
  list->add_option("--state", o->state, "pending, sending, delivered, cancelled or failed");
  list->add_flag("--unacknowledged", o->unacknowledged,
                 "Only delivered ones the partner has not acknowledged");
  list->add_option("--limit", o->limit, "At most this many (1..1000)");
  list->add_flag("--json", o->json_output, "Print JSON");
  AddEndpointOptions(list, o->endpoint);
  list->callback([o, &command] {
    command = [o]() -> Status {
      std::string query = fmt::format("?limit={}", o->limit);
      if (!o->advisory.empty()) query += "&advisory=" + UrlEncode(o->advisory);
      if (!o->partner.empty()) query += "&partner=" + UrlEncode(o->partner);
      if (!o->state.empty()) query += "&state=" + UrlEncode(o->state);
      if (o->unacknowledged) query += "&unacknowledged=true";
      FW_ASSIGN_OR_RETURN(auto answer, CallApi(o->endpoint, "GET", "/api/v1/deliveries" + query));
      return PrintJsonOr(o->json_output, answer["deliveries"], [&] {
        std::vector<std::vector<std::string>> rows;
        for (const auto& d : answer["deliveries"]) {
          rows.push_back({Cell(d["id"]), Cell(d["partner"]), Cell(d["advisory"]),
                          Cell(d["revision"]), Cell(d["trigger"]), Cell(d["state"]),
                          Cell(d["attempts"]), Cell(d["last_error"]), Cell(d["acknowledged_at"])});
        }
        PrintTable({"ID", "PARTNER", "ADVISORY", "REV", "TRIGGER", "STATE", "ATTEMPTS",
                    "LAST ERROR", "ACKNOWLEDGED"},
                   rows);
      });
    };
  });

  auto* show =
      delivery->add_subcommand("show", "One delivery with its attempts and receipt anchor");
  show->add_option("id", o->id, "Delivery id (dlv_...)")->required();
  show->add_flag("--json", o->json_output, "Print JSON");
  AddEndpointOptions(show, o->endpoint);
  show->callback([o, &command] {
    command = [o]() -> Status {
      FW_ASSIGN_OR_RETURN(auto d, CallApi(o->endpoint, "GET", DeliveryPath(o->id)));
      return PrintJsonOr(o->json_output, d, [&] { PrintDelivery(d); });
    };
  });
}

void AddActions(CLI::App* delivery, std::shared_ptr<DeliveryOptions> o, Command& command) {
  auto* retry = delivery->add_subcommand("retry", "Make a pending or failed delivery due now");
  retry->add_option("id", o->id, "Delivery id (dlv_...)")->required();
  retry->add_flag("--json", o->json_output, "Print JSON");
  AddEndpointOptions(retry, o->endpoint);
  retry->callback([o, &command] {
    command = [o]() -> Status {
      FW_ASSIGN_OR_RETURN(
          auto d, CallApi(o->endpoint, "POST", DeliveryPath(o->id) + "/retry", json::object()));
      return PrintJsonOr(o->json_output, d, [&] {
        std::cout << fmt::format("{} is {}, due {} ({} attempts so far)\n", Cell(d["id"]),
                                 Cell(d["state"]), Cell(d["next_attempt_at"]), Cell(d["attempts"]));
      });
    };
  });

  auto* ack = delivery->add_subcommand("ack", "Partner: confirm a delivered package arrived");
  ack->add_option("id", o->id, "Delivery id (dlv_...)")->required();
  ack->add_flag("--json", o->json_output, "Print JSON");
  AddEndpointOptions(ack, o->endpoint);
  ack->callback([o, &command] {
    command = [o]() -> Status {
      FW_ASSIGN_OR_RETURN(auto d, CallApi(o->endpoint, "POST", DeliveryPath(o->id) + "/acknowledge",
                                          json::object()));
      return PrintJsonOr(o->json_output, d, [&] {
        std::cout << fmt::format("{} acknowledged at {}\n", Cell(d["id"]),
                                 Cell(d["acknowledged_at"]));
      });
    };
  });

  auto* receipt = delivery->add_subcommand(
      "receipt", "The receipt of a delivered package (JSON, to --out or stdout)");
  receipt->add_option("id", o->id, "Delivery id (dlv_...)")->required();
  receipt->add_option("--out", o->out_file, "Write to this file instead of stdout");
  AddEndpointOptions(receipt, o->endpoint);
  receipt->callback([o, &command] {
    command = [o]() -> Status {
      FW_ASSIGN_OR_RETURN(auto r, CallApi(o->endpoint, "GET", DeliveryPath(o->id) + "/receipt"));
      const std::string text = r.dump(2) + "\n";
      if (o->out_file.empty()) {
        std::cout << text;
        return Ok();
      }
      FW_TRY(WriteOutput(o->out_file, text));
      std::cerr << fmt::format("receipt of {} written to {}\n", o->id, o->out_file);
      return Ok();
    };
  });
}

// Prints an approved webhook and its secret, which the server shows this once.
void PrintWebhook(const json& w, std::string_view verb) {
  std::cout << fmt::format("webhook of {} {}: {} (secret generation {})\n", Cell(w["partner"]),
                           verb, Cell(w["url"]), Cell(w["generation"]));
  std::cout << fmt::format("secret: {}\n", Cell(w["secret"]));
  std::cout << "The secret is shown once: give it to the partner now (a new one: forewarn webhook "
               "rotate).\n";
}

void AddWebhookCommands(CLI::App& app, std::shared_ptr<DeliveryOptions> o, Command& command) {
  auto* webhook = app.add_subcommand("webhook", "Partners' approved webhooks for push delivery");
  webhook->require_subcommand(1);
  auto* set = webhook->add_subcommand("set", "Approve a partner's webhook URL; prints its secret");
  set->add_option("--partner", o->partner, "Partner id")->required();
  // --url is the server's, as in every client command; the webhook is --endpoint.
  set->add_option("--endpoint", o->url, "The webhook URL: https://... (http for testing)")
      ->required();
  set->add_flag("--json", o->json_output, "Print JSON");
  AddEndpointOptions(set, o->endpoint);
  set->callback([o, &command] {
    command = [o]() -> Status {
      FW_ASSIGN_OR_RETURN(
          auto w, CallApi(o->endpoint, "PUT", WebhookPath(o->partner), json{{"url", o->url}}));
      return PrintJsonOr(o->json_output, w, [&] { PrintWebhook(w, "approved"); });
    };
  });

  auto* rotate = webhook->add_subcommand(
      "rotate", "A new secret for a partner's webhook; the old one stops working");
  rotate->add_option("--partner", o->partner, "Partner id")->required();
  rotate->add_flag("--json", o->json_output, "Print JSON");
  AddEndpointOptions(rotate, o->endpoint);
  rotate->callback([o, &command] {
    command = [o]() -> Status {
      FW_ASSIGN_OR_RETURN(auto w, CallApi(o->endpoint, "POST", WebhookPath(o->partner) + "/rotate",
                                          json::object()));
      return PrintJsonOr(o->json_output, w, [&] { PrintWebhook(w, "rotated"); });
    };
  });

  auto* remove = webhook->add_subcommand(
      "remove", "Remove a partner's webhook; its pending deliveries are cancelled");
  remove->add_option("--partner", o->partner, "Partner id")->required();
  remove->add_flag("--json", o->json_output, "Print JSON");
  AddEndpointOptions(remove, o->endpoint);
  remove->callback([o, &command] {
    command = [o]() -> Status {
      FW_ASSIGN_OR_RETURN(auto answer, CallApi(o->endpoint, "DELETE", WebhookPath(o->partner)));
      return PrintJsonOr(o->json_output, answer, [&] {
        std::cout << fmt::format("webhook of {} removed; its pending deliveries are cancelled\n",
                                 o->partner);
      });
    };
  });
}

}  // namespace

void AddDeliveryCommands(CLI::App& app, Command& command) {
  auto o = std::make_shared<DeliveryOptions>();
  o->endpoint.url = EnvOr("FOREWARN_URL", "");
  o->endpoint.token = EnvOr("FOREWARN_TOKEN", "");
  auto* delivery =
      app.add_subcommand("delivery", "Push deliveries: state, retries, acknowledgements, receipts");
  delivery->require_subcommand(1);
  AddListShow(delivery, o, command);
  AddActions(delivery, o, command);
  AddWebhookCommands(app, o, command);
}

}  // namespace forewarn::app
