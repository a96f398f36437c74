// forewarn: the one binary. Local commands (init, serve, demo, cvss, audit verify, verify) build
// the program's objects here, the composition root; every other subcommand talks to a running
// server over HTTP (--url/FOREWARN_URL, --token/FOREWARN_TOKEN).
#include <fmt/format.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>

#include "app/advisory_commands.h"
#include "app/cli.h"
#include "app/client.h"
#include "app/delivery_commands.h"
#include "app/demo.h"
#include "app/investigate_commands.h"
#include "app/policy_commands.h"
#include "app/program.h"
#include "core/time.h"
#include "crypto/crypto.h"
#include "delivery/package.h"
#include "delivery/receipt.h"
#include "ledger/ledger.h"
#include "standards/cvss.h"

namespace forewarn::app {
namespace {

using nlohmann::json;

// The one place an error becomes an exit code: bad input is usage (2), anything else 1.
int ExitCodeFor(ErrorCode code) { return code == ErrorCode::kInvalidArgument ? 2 : 1; }

void PrintPartner(const json& p) {
  for (const char* key : {"id", "name", "country", "tier", "status", "labels", "webhook_url",
                          "created_at", "updated_at"}) {
    std::cout << fmt::format("{:<12} {}\n", std::string(key) + ":", Str(p[key]));
  }
  for (const char* key : {"contract", "nda"}) {
    if (p[key].is_object()) {
      std::cout << fmt::format("{:<12} {} (accepted {})\n", std::string(key) + ":",
                               Str(p[key]["version"]), Str(p[key]["accepted_at"]));
    }
  }
  for (const auto& c : p["contacts"]) {
    std::cout << fmt::format("{:<12} {} <{}> {}\n", "contact:", Str(c["name"]), Str(c["email"]),
                             Str(c["role"]));
  }
}

struct Options {
  Endpoint endpoint;
  bool json_output = false;
  // local
  std::string data_dir;
  std::string listen;
  std::string program_name = "forewarn program";
  std::optional<std::string> tls_cert, tls_key;
  bool seed_only = false;
  // partner fields
  std::string id, name, country, tier, reason, webhook, x25519, ed25519, contract_version,
      nda_version;
  std::vector<std::string> labels, contacts;
  bool applicant = false, clear_labels = false;
  std::optional<std::string> filter_status, filter_tier, filter_label, filter_country;
  // tokens and tiers
  std::string role, partner, expires, lead_time, description;
  // audit
  std::string out_file, in_file, program_key, leaf_hash;
  // verify
  std::string secret_key_file, package_file;
  std::optional<uint64_t> index, tree_size, first, second;
  std::string vector;
};

Result<Contact> ParseContact(const std::string& text) {
  // "Name <email> [role]" or "email"
  Contact c;
  const size_t lt = text.find('<');
  const size_t gt = text.find('>');
  if (lt != std::string::npos && gt != std::string::npos && gt > lt) {
    c.name = text.substr(0, lt);
    while (!c.name.empty() && c.name.back() == ' ') c.name.pop_back();
    c.email = text.substr(lt + 1, gt - lt - 1);
    c.role = text.substr(gt + 1);
    while (!c.role.empty() && c.role.front() == ' ') c.role.erase(0, 1);
  } else {
    c.email = text;
  }
  if (c.email.find('@') == std::string::npos) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("contact '{}' must look like 'Name <email> [role]'", text));
  }
  return c;
}

Result<json> PartnerBody(const Options& o, bool creating) {
  json body = json::object();
  if (!o.name.empty()) body["name"] = o.name;
  if (!o.country.empty()) body["country"] = o.country;
  if (!o.tier.empty()) body["tier"] = o.tier;
  if (!o.labels.empty() || o.clear_labels) body["labels"] = o.labels;
  if (!o.webhook.empty()) body["webhook_url"] = o.webhook;
  if (!o.x25519.empty()) body["x25519_public_key"] = o.x25519;
  if (!o.ed25519.empty()) body["ed25519_public_key"] = o.ed25519;
  if (!o.contract_version.empty()) body["contract"] = {{"version", o.contract_version}};
  if (!o.nda_version.empty()) body["nda"] = {{"version", o.nda_version}};
  if (!o.contacts.empty()) {
    json contacts = json::array();
    for (const auto& text : o.contacts) {
      FW_ASSIGN_OR_RETURN(auto c, ParseContact(text));
      contacts.push_back({{"name", c.name}, {"email", c.email}, {"role", c.role}});
    }
    body["contacts"] = contacts;
  }
  if (creating && o.applicant) body["status"] = "applicant";
  if (!creating && body.empty()) {
    return Fail(ErrorCode::kInvalidArgument, "nothing to update: give at least one field option");
  }
  return body;
}

Status RunServe(const Options& o, const Clock& clock, crypto::Random& random) {
  FW_ASSIGN_OR_RETURN(auto config, LoadServeConfig(o.data_dir));
  if (!o.listen.empty()) config.listen = o.listen;
  if (o.tls_cert) config.tls_cert = o.tls_cert;
  if (o.tls_key) config.tls_key = o.tls_key;
  if (config.tls_cert.has_value() != config.tls_key.has_value()) {
    return Fail(ErrorCode::kInvalidArgument, "give both --tls-cert and --tls-key, or neither");
  }
  spdlog::set_level(spdlog::level::from_str(config.log_level));
  FW_ASSIGN_OR_RETURN(
      auto program,
      Program::Open(o.data_dir, random, clock, static_cast<uint64_t>(config.max_artifact_bytes),
                    OutboxConfigFrom(config),
                    trace::TraceSettings{.coalition = config.trace_coalition,
                                         .epsilon_false = config.trace_epsilon}));
  http::ServerOptions options;
  FW_TRY(ApplyListen(config.listen, options));
  options.threads = config.threads;
  options.max_body_bytes = config.max_body_bytes;
  options.read_timeout = std::chrono::seconds{config.read_timeout_seconds};
  options.tls_certificate_file = config.tls_cert;
  options.tls_private_key_file = config.tls_key;
  http::Api& api = program->api();
  FW_ASSIGN_OR_RETURN(auto server, http::Server::Start(options, [&api](const http::Request& r) {
                        return api.Handle(r);
                      }));
  Program* p = program.get();
  PeriodicTask head_signer(std::chrono::seconds{config.tree_head_interval_seconds},
                           [p] { SignTreeHead(p->store(), p->ledger()); });
  PeriodicTask scheduler(std::chrono::seconds{config.scheduler_interval_seconds},
                         [p] { p->RunScheduler(); });
  PeriodicTask monitor(std::chrono::seconds{config.monitor_interval_seconds},
                       [p] { p->RunMonitor(); });
  PeriodicTask outbox(std::chrono::seconds{config.outbox_interval_seconds},
                      [p] { p->RunOutbox(); });
  const std::string scheme = config.tls_cert ? "https" : "http";
  spdlog::info("server.started url={}://{}:{} data={}", scheme, options.address, server->port(),
               o.data_dir);
  std::cout << fmt::format("forewarn listening on {}://{}:{}", scheme, options.address,
                           server->port())
            << std::endl;
  server->Wait();
  spdlog::info("server.stopped");
  return Ok();
}

// Text with surrounding whitespace removed (key files end with a newline).
std::string Trimmed(std::string text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return {};
  const auto last = text.find_last_not_of(" \t\r\n");
  return text.substr(first, last - first + 1);
}

// --program-key: a file holding base64 of the 32-byte Ed25519 public key (the data directory's
// signing.pub), or that base64 text itself.
Result<std::string> ProgramPublicKey(const std::string& arg) {
  std::string text = arg;
  std::error_code ec;
  if (std::filesystem::is_regular_file(arg, ec)) {
    FW_ASSIGN_OR_RETURN(text, ReadFile(arg));
  }
  auto raw = crypto::FromBase64(Trimmed(text));
  if (!raw || raw->size() != 32) {
    return Fail(ErrorCode::kInvalidArgument,
                "--program-key must be a signing.pub file or base64 of a 32-byte Ed25519 key");
  }
  return raw;
}

// --secret-key: a file holding base64 of the partner's 32-byte X25519 secret key.
Result<crypto::BoxKeyPair> PartnerKeys(const std::string& path) {
  FW_ASSIGN_OR_RETURN(auto text, ReadFile(path));
  std::string trimmed = Trimmed(text);
  crypto::Wipe(text);
  auto raw = crypto::FromBase64(trimmed);
  crypto::Wipe(trimmed);
  if (!raw || raw->size() != 32) {
    if (raw) crypto::Wipe(*raw);
    return Fail(
        ErrorCode::kInvalidArgument,
        fmt::format("--secret-key {} must hold base64 of a 32-byte X25519 secret key", path));
  }
  auto keys = crypto::BoxKeyPairFromSecret(*raw);
  crypto::Wipe(*raw);
  return keys;
}

// `forewarn verify RECEIPT`: checks a delivery receipt offline (its ledger entry, the inclusion
// proof and the tree head's signature), and with --package that the package is the one the
// receipt names. Prints what it proved.
Status RunVerifyReceipt(const Options& o, const json& receipt, const std::string& program_key) {
  std::optional<std::string> package;
  if (!o.package_file.empty()) {
    FW_ASSIGN_OR_RETURN(package, ReadFile(o.package_file));
  }
  auto checked = delivery::VerifyReceipt(
      receipt, program_key, package ? std::optional<std::string_view>(*package) : std::nullopt);
  if (!checked) {
    return Fail(ErrorCode::kFailedPrecondition,
                "receipt does not verify: " + checked.error().message);
  }
  std::cout << json{{"receipt", "valid"},
                    {"delivery", checked->delivery},
                    {"ledger_index", checked->ledger_index},
                    {"tree_size", checked->tree_size},
                    {"tree_head_timestamp", checked->tree_head_timestamp},
                    {"package_checked", package.has_value()}}
                   .dump(2)
            << "\n";
  return Ok();
}

// `forewarn verify`: checks a signed or sealed package, or a delivery receipt, offline and
// prints what it proved. Bad arguments or unreadable files are usage errors (2); a package or
// receipt that does not verify is 1.
Status RunVerify(const Options& o) {
  FW_ASSIGN_OR_RETURN(auto program_key, ProgramPublicKey(o.program_key));
  FW_ASSIGN_OR_RETURN(auto package, ReadFile(o.in_file));
  if (const auto parsed = json::parse(package, nullptr, false);
      parsed.is_object() && parsed.value("format", "") == delivery::kReceiptFormat) {
    return RunVerifyReceipt(o, parsed, program_key);
  }
  if (!o.package_file.empty()) {
    return Fail(ErrorCode::kInvalidArgument, "--package goes with a receipt, not a package");
  }
  std::optional<crypto::BoxKeyPair> recipient;
  if (!o.secret_key_file.empty()) {
    FW_ASSIGN_OR_RETURN(recipient, PartnerKeys(o.secret_key_file));
  }
  auto verified = delivery::VerifyPackage(package, program_key, recipient ? &*recipient : nullptr);
  if (!verified) {
    return Fail(ErrorCode::kFailedPrecondition,
                "package does not verify: " + verified.error().message);
  }
  std::cout << verified->payload.dump(2, ' ', false, json::error_handler_t::replace) << "\n";
  return Ok();
}

Status RunAuditVerify(const Options& o) {
  FW_ASSIGN_OR_RETURN(auto exported, ledger::ReadExportFile(o.in_file));
  std::optional<std::string> key;
  if (!o.program_key.empty()) {
    auto raw = crypto::FromBase64(o.program_key);
    if (!raw || raw->size() != 32) {
      return Fail(ErrorCode::kInvalidArgument, "--program-key must be base64 of 32 bytes");
    }
    key = *raw;
  }
  const auto report = ledger::VerifyExport(exported, key);
  if (o.json_output) {
    std::cout << json{{"intact", report.intact},
                      {"entries", report.entries},
                      {"tree_heads", report.tree_heads},
                      {"problem", report.problem}}
                     .dump(2)
              << "\n";
  }
  if (!report.intact) {
    return Fail(ErrorCode::kFailedPrecondition, "ledger NOT intact: " + report.problem);
  }
  if (!o.json_output) {
    std::cout << fmt::format("ledger intact: {} entries, {} signed tree heads verified\n",
                             report.entries, report.tree_heads);
  }
  return Ok();
}

int Main(int argc, char** argv) {
  if (auto init = crypto::Initialize(); !init) {
    std::cerr << "forewarn: " << init.error().message << "\n";
    return 1;
  }
  // Logs go to stderr, one event per line; stdout is for command output.
  spdlog::set_default_logger(spdlog::stderr_color_mt("forewarn"));
  SystemClock clock;
  crypto::SystemRandom random;
  Options o;
  o.endpoint.url = EnvOr("FOREWARN_URL", "");
  o.endpoint.token = EnvOr("FOREWARN_TOKEN", "");
  o.data_dir = EnvOr("FOREWARN_DATA", "forewarn-data");
  Command command;

  CLI::App app{"forewarn: early-warning vulnerability distribution to vetted partners"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "forewarn 0.1.0");

  // --- local commands ---
  auto* init = app.add_subcommand("init", "Create a program in a data directory");
  init->add_option("--data", o.data_dir, "Data directory (env FOREWARN_DATA)");
  init->add_option("--name", o.program_name, "Program name");
  init->add_flag("--json", o.json_output, "Print JSON");
  init->callback([&] {
    command = [&]() -> Status {
      FW_ASSIGN_OR_RETURN(auto token, Program::Init(o.data_dir, o.program_name, random, clock));
      if (o.json_output) {
        std::cout << json{{"admin_token", token}, {"data", o.data_dir}}.dump(2) << "\n";
      } else {
        std::cout << "Program created in " << o.data_dir << ".\n"
                  << "Admin token (shown once, store it safely):\n"
                  << token << "\n";
      }
      return Ok();
    };
  });

  auto* serve = app.add_subcommand("serve", "Serve the API and console");
  serve->add_option("--data", o.data_dir, "Data directory (env FOREWARN_DATA)");
  serve->add_option("--listen", o.listen,
                    "HOST:PORT (default 127.0.0.1:8080; env FOREWARN_LISTEN)");
  serve->add_option("--tls-cert", o.tls_cert, "PEM certificate chain (enables https)");
  serve->add_option("--tls-key", o.tls_key, "PEM private key");
  serve->callback([&] { command = [&] { return RunServe(o, clock, random); }; });

  auto* demo =
      app.add_subcommand("demo", "Seed the demo scenario into a fresh directory and serve it");
  demo->add_option("--data", o.data_dir, "Fresh data directory (default: a new temp dir)");
  demo->add_option("--listen", o.listen, "HOST:PORT (default 127.0.0.1:8080)");
  demo->add_flag("--seed-only", o.seed_only, "Seed and exit without serving");
  demo->add_flag("--json", o.json_output, "Print the seeded facts as JSON");
  bool demo_data_given = false;
  demo->callback([&] {
    demo_data_given = demo->count("--data") > 0;
    command = [&]() -> Status {
      std::string dir = o.data_dir;
      if (!demo_data_given) {
        std::string pattern =
            (std::filesystem::temp_directory_path() / "forewarn-demo-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr) {
          return Fail(ErrorCode::kUnavailable, "cannot create a temporary demo directory");
        }
        dir = pattern;
      }
      FW_ASSIGN_OR_RETURN(auto facts, SeedDemo(dir, random, clock));
      if (o.json_output) {
        std::cout << facts.dump(2) << "\n";
      } else {
        std::cout << fmt::format("Demo program seeded in {}\nAdmin token: {}\n", dir,
                                 facts["admin_token"].get<std::string>());
        for (const auto& p : facts["partners"]) {
          std::cout << fmt::format("  partner {:<26} {:<3} {:<9} token {}\n", Str(p["name"]),
                                   Str(p["country"]), Str(p["tier"]), Str(p["token"]));
        }
      }
      if (o.seed_only) return Ok();
      Options serve_options = o;
      serve_options.data_dir = dir;
      std::cout << "Try: export FOREWARN_URL=<the URL below> FOREWARN_TOKEN=<admin token>; "
                   "forewarn partner list"
                << std::endl;
      return RunServe(serve_options, clock, random);
    };
  });

  auto* cvss = app.add_subcommand("cvss", "Score a CVSS 3.1 or 4.0 vector");
  cvss->add_option("vector", o.vector, "CVSS:3.1/... or CVSS:4.0/...")->required();
  cvss->callback([&] {
    command = [&]() -> Status {
      FW_ASSIGN_OR_RETURN(auto score, standards::ScoreCvss(o.vector));
      std::cout << json{{"version", standards::VersionString(score.version)},
                        {"base_score", score.base_score},
                        {"severity", score.severity},
                        {"vector", score.vector}}
                       .dump()
                << "\n";
      return Ok();
    };
  });

  // --- remote commands ---
  auto* whoami = app.add_subcommand("whoami", "Show who the token belongs to");
  AddEndpointOptions(whoami, o.endpoint);
  whoami->callback([&] {
    command = [&]() -> Status {
      FW_ASSIGN_OR_RETURN(auto me, CallApi(o.endpoint, "GET", "/api/v1/whoami"));
      std::cout << me.dump(2) << "\n";
      return Ok();
    };
  });

  auto* partner = app.add_subcommand("partner", "Manage partners");
  partner->require_subcommand(1);
  auto add_fields = [&](CLI::App* cmd, bool creating) {
    cmd->add_option("--name", o.name, "Organization name")->required(creating);
    cmd->add_option("--country", o.country, "ISO 3166-1 alpha-2 country code")->required(creating);
    cmd->add_option("--tier", o.tier, "Tier (e.g. early, standard)")->required(creating);
    cmd->add_option("--label", o.labels, "Label such as poc-restricted (repeatable)");
    cmd->add_option("--contact", o.contacts, "'Name <email> [role]' (repeatable)");
    cmd->add_option("--contract-version", o.contract_version, "Accepted contract version");
    cmd->add_option("--nda-version", o.nda_version, "Accepted NDA version");
    cmd->add_option("--webhook", o.webhook, "Webhook URL (http/https)");
    cmd->add_option("--x25519", o.x25519, "X25519 public key, base64");
    cmd->add_option("--ed25519", o.ed25519, "Ed25519 public key, base64");
    cmd->add_flag("--json", o.json_output, "Print JSON");
    AddEndpointOptions(cmd, o.endpoint);
  };
  auto* partner_add = partner->add_subcommand("add", "Register a partner; prints its id");
  add_fields(partner_add, true);
  partner_add->add_flag("--applicant", o.applicant, "Register as applicant (not yet active)");
  partner_add->callback([&] {
    command = [&]() -> Status {
      FW_ASSIGN_OR_RETURN(auto body, PartnerBody(o, true));
      FW_ASSIGN_OR_RETURN(auto p, CallApi(o.endpoint, "POST", "/api/v1/partners", body));
      return PrintJsonOr(o.json_output, p, [&] { std::cout << Str(p["id"]) << "\n"; });
    };
  });
  auto* partner_update = partner->add_subcommand("update", "Change a partner's fields");
  partner_update->add_option("id", o.id, "Partner id")->required();
  add_fields(partner_update, false);
  partner_update->add_flag("--clear-labels", o.clear_labels,
                           "Replace labels with --label values (or none)");
  partner_update->callback([&] {
    command = [&]() -> Status {
      FW_ASSIGN_OR_RETURN(auto body, PartnerBody(o, false));
      FW_ASSIGN_OR_RETURN(
          auto p, CallApi(o.endpoint, "PATCH", "/api/v1/partners/" + UrlEncode(o.id), body));
      return PrintJsonOr(o.json_output, p, [&] { PrintPartner(p); });
    };
  });
  auto* partner_list = partner->add_subcommand("list", "List partners");
  partner_list->add_option("--status", o.filter_status, "applicant|active|suspended|removed");
  partner_list->add_option("--tier", o.filter_tier, "Only this tier");
  partner_list->add_option("--label", o.filter_label, "Only partners with this label");
  partner_list->add_option("--country", o.filter_country, "Only this country");
  partner_list->add_flag("--json", o.json_output, "Print a JSON array");
  AddEndpointOptions(partner_list, o.endpoint);
  partner_list->callback([&] {
    command = [&]() -> Status {
      std::string query;
      auto add = [&](const char* key, const std::optional<std::string>& v) {
        if (v) query += fmt::format("{}{}={}", query.empty() ? "?" : "&", key, UrlEncode(*v));
      };
      add("status", o.filter_status);
      add("tier", o.filter_tier);
      add("label", o.filter_label);
      add("country", o.filter_country);
      FW_ASSIGN_OR_RETURN(auto list, CallApi(o.endpoint, "GET", "/api/v1/partners" + query));
      return PrintJsonOr(o.json_output, list["partners"], [&] {
        std::vector<std::vector<std::string>> rows;
        for (const auto& p : list["partners"]) {
          rows.push_back({Str(p["id"]), Str(p["name"]), Str(p["country"]), Str(p["tier"]),
                          Str(p["status"]), Str(p["labels"])});
        }
        PrintTable({"ID", "NAME", "COUNTRY", "TIER", "STATUS", "LABELS"}, rows);
      });
    };
  });
  auto* partner_show = partner->add_subcommand("show", "Show one partner");
  partner_show->add_option("id", o.id, "Partner id")->required();
  partner_show->add_flag("--json", o.json_output, "Print JSON");
  AddEndpointOptions(partner_show, o.endpoint);
  partner_show->callback([&] {
    command = [&]() -> Status {
      FW_ASSIGN_OR_RETURN(auto p,
                          CallApi(o.endpoint, "GET", "/api/v1/partners/" + UrlEncode(o.id)));
      return PrintJsonOr(o.json_output, p, [&] { PrintPartner(p); });
    };
  });
  auto* partner_history = partner->add_subcommand("history", "Lifecycle changes of a partner");
  partner_history->add_option("id", o.id, "Partner id")->required();
  partner_history->add_flag("--json", o.json_output, "Print JSON");
  AddEndpointOptions(partner_history, o.endpoint);
  partner_history->callback([&] {
    command = [&]() -> Status {
      FW_ASSIGN_OR_RETURN(
          auto h, CallApi(o.endpoint, "GET", "/api/v1/partners/" + UrlEncode(o.id) + "/history"));
      return PrintJsonOr(o.json_output, h["history"], [&] {
        std::vector<std::vector<std::string>> rows;
        for (const auto& c : h["history"]) {
          rows.push_back({Str(c["at"]), Str(c["from"]) + " -> " + Str(c["to"]), Str(c["actor"]),
                          Str(c["reason"])});
        }
        PrintTable({"AT", "CHANGE", "ACTOR", "REASON"}, rows);
      });
    };
  });
  for (const char* action : {"activate", "suspend", "reinstate", "remove"}) {
    auto* cmd = partner->add_subcommand(action, fmt::format("Lifecycle: {} a partner", action));
    cmd->add_option("id", o.id, "Partner id")->required();
    cmd->add_option("--reason", o.reason, "Why (recorded on the ledger)")->required();
    cmd->add_flag("--json", o.json_output, "Print JSON");
    AddEndpointOptions(cmd, o.endpoint);
    const std::string verb = action;
    cmd->callback([&, verb] {
      command = [&, verb]() -> Status {
        FW_ASSIGN_OR_RETURN(
            auto p, CallApi(o.endpoint, "POST", "/api/v1/partners/" + UrlEncode(o.id) + "/" + verb,
                            json{{"reason", o.reason}}));
        return PrintJsonOr(o.json_output, p, [&] {
          std::cout << fmt::format("{} is now {}\n", Str(p["id"]), Str(p["status"]));
        });
      };
    });
  }

  auto* token = app.add_subcommand("token", "Manage API tokens");
  token->require_subcommand(1);
  auto* token_create = token->add_subcommand("create", "Issue a token; prints it once");
  token_create->add_option("--partner", o.partner, "Partner id (partner token)");
  token_create->add_option("--role", o.role, "admin|analyst|investigator|auditor (operator token)");
  token_create->add_option("--name", o.name, "A label for people");
  token_create->add_option("--expires", o.expires, "Lifetime such as 90d or 12h");
  token_create->add_flag("--json", o.json_output, "Print JSON");
  AddEndpointOptions(token_create, o.endpoint);
  token_create->callback([&] {
    command = [&]() -> Status {
      if (o.partner.empty() == o.role.empty()) {
        return Fail(ErrorCode::kInvalidArgument, "give exactly one of --partner or --role");
      }
      json body = json::object();
      if (!o.partner.empty()) body["partner"] = o.partner;
      if (!o.role.empty()) body["role"] = o.role;
      if (!o.name.empty()) body["name"] = o.name;
      if (!o.expires.empty()) body["expires_in"] = o.expires;
      FW_ASSIGN_OR_RETURN(auto t, CallApi(o.endpoint, "POST", "/api/v1/tokens", body));
      return PrintJsonOr(o.json_output, t, [&] { std::cout << Str(t["token"]) << "\n"; });
    };
  });
  auto* token_list = token->add_subcommand("list", "List tokens (no secrets)");
  token_list->add_option("--partner", o.partner, "Only this partner's tokens");
  token_list->add_flag("--json", o.json_output, "Print JSON");
  AddEndpointOptions(token_list, o.endpoint);
  token_list->callback([&] {
    command = [&]() -> Status {
      std::string path = "/api/v1/tokens";
      if (!o.partner.empty()) path += "?partner=" + UrlEncode(o.partner);
      FW_ASSIGN_OR_RETURN(auto list, CallApi(o.endpoint, "GET", path));
      return PrintJsonOr(o.json_output, list["tokens"], [&] {
        std::vector<std::vector<std::string>> rows;
        for (const auto& t : list["tokens"]) {
          rows.push_back({Str(t["id"]), Str(t["role"]), Str(t["partner"]), Str(t["name"]),
                          Str(t["state"]), Str(t["expires_at"])});
        }
        PrintTable({"ID", "ROLE", "PARTNER", "NAME", "STATE", "EXPIRES"}, rows);
      });
    };
  });
  auto* token_revoke = token->add_subcommand("revoke", "Revoke a token");
  token_revoke->add_option("id", o.id, "Token id (tok_...)")->required();
  AddEndpointOptions(token_revoke, o.endpoint);
  token_revoke->callback([&] {
    command = [&]() -> Status {
      FW_TRY(CallApi(o.endpoint, "DELETE", "/api/v1/tokens/" + UrlEncode(o.id)));
      std::cout << o.id << " revoked\n";
      return Ok();
    };
  });

  auto* tier = app.add_subcommand("tier", "Manage tiers");
  tier->require_subcommand(1);
  auto* tier_list = tier->add_subcommand("list", "List tiers");
  tier_list->add_flag("--json", o.json_output, "Print JSON");
  AddEndpointOptions(tier_list, o.endpoint);
  tier_list->callback([&] {
    command = [&]() -> Status {
      FW_ASSIGN_OR_RETURN(auto list, CallApi(o.endpoint, "GET", "/api/v1/tiers"));
      return PrintJsonOr(o.json_output, list["tiers"], [&] {
        std::vector<std::vector<std::string>> rows;
        for (const auto& t : list["tiers"]) {
          const int64_t hours = t["lead_time_seconds"].get<int64_t>() / 3600;
          rows.push_back({Str(t["name"]), fmt::format("{}h", hours), Str(t["description"])});
        }
        PrintTable({"TIER", "LEAD TIME", "DESCRIPTION"}, rows);
      });
    };
  });
  auto* tier_set = tier->add_subcommand("set", "Create or change a tier");
  tier_set->add_option("name", o.name, "Tier name")->required();
  tier_set->add_option("--lead-time", o.lead_time, "How long before the public date, e.g. 5d")
      ->required();
  tier_set->add_option("--description", o.description, "Description");
  AddEndpointOptions(tier_set, o.endpoint);
  tier_set->callback([&] {
    command = [&]() -> Status {
      json body = {{"lead_time", o.lead_time}};
      if (!o.description.empty()) body["description"] = o.description;
      FW_ASSIGN_OR_RETURN(auto t,
                          CallApi(o.endpoint, "PUT", "/api/v1/tiers/" + UrlEncode(o.name), body));
      std::cout << fmt::format("tier {}: lead time {}s\n", Str(t["name"]),
                               t["lead_time_seconds"].get<int64_t>());
      return Ok();
    };
  });

  AddAdvisoryCommands(app, command);
  AddPolicyCommands(app, command);
  AddDeliveryCommands(app, command);
  AddInvestigateCommands(app, command);

  auto* audit = app.add_subcommand("audit", "The tamper-evident audit ledger");
  audit->require_subcommand(1);
  auto* audit_export = audit->add_subcommand("export", "Download the ledger with signed heads");
  audit_export->add_option("--out", o.out_file, "Output file")->required();
  AddEndpointOptions(audit_export, o.endpoint);
  audit_export->callback([&] {
    command = [&]() -> Status {
      FW_ASSIGN_OR_RETURN(auto exported, CallApi(o.endpoint, "GET", "/api/v1/ledger/export"));
      const std::string tmp = o.out_file + ".part";
      {
        std::ofstream out(tmp, std::ios::trunc);
        out << exported.dump() << "\n";
        if (!out) return Fail(ErrorCode::kUnavailable, "cannot write " + tmp);
      }
      std::filesystem::rename(tmp, o.out_file);
      std::cout << fmt::format("{} entries written to {}\n", exported["entries"].size(),
                               o.out_file);
      return Ok();
    };
  });
  auto* audit_verify =
      audit->add_subcommand("verify", "Verify an export offline (exit 0 only if intact)");
  audit_verify->add_option("file", o.in_file, "Export file")->required();
  audit_verify->add_option("--program-key", o.program_key,
                           "Expected program Ed25519 public key (base64); default: the export's");
  audit_verify->add_flag("--json", o.json_output, "Print JSON");
  audit_verify->callback([&] { command = [&] { return RunAuditVerify(o); }; });
  auto* verify = app.add_subcommand(
      "verify",
      "Verify a signed or sealed delivery package (prints its payload) or a delivery receipt "
      "offline");
  verify->add_option("file", o.in_file, "Package or receipt file")->required();
  verify
      ->add_option("--program-key", o.program_key,
                   "The program's Ed25519 public key: its signing.pub file or base64 text")
      ->required();
  verify->add_option("--secret-key", o.secret_key_file,
                     "File with your X25519 secret key (base64), for sealed packages");
  verify->add_option("--package", o.package_file,
                     "With a receipt: the package file it should name (checks its SHA-256)");
  verify->callback([&] { command = [&] { return RunVerify(o); }; });
  auto* audit_head = audit->add_subcommand("head", "Sign and show the current tree head");
  audit_head->add_flag("--json", o.json_output, "Print JSON");
  AddEndpointOptions(audit_head, o.endpoint);
  audit_head->callback([&] {
    command = [&]() -> Status {
      FW_ASSIGN_OR_RETURN(auto head, CallApi(o.endpoint, "GET", "/api/v1/ledger/head"));
      return PrintJsonOr(o.json_output, head, [&] {
        std::cout << fmt::format("tree size {}\nroot      {}\nsigned at {}\nsignature {}\n",
                                 head["tree_size"].get<uint64_t>(), Str(head["root_hash"]),
                                 Str(head["timestamp"]), Str(head["signature"]));
      });
    };
  });
  auto* audit_proof = audit->add_subcommand("proof", "Inclusion proof of an entry");
  audit_proof->add_option("--index", o.index, "Entry index");
  audit_proof->add_option("--leaf-hash", o.leaf_hash, "Entry leaf hash (hex)");
  audit_proof->add_option("--tree-size", o.tree_size, "Tree size (default: current)");
  AddEndpointOptions(audit_proof, o.endpoint);
  audit_proof->callback([&] {
    command = [&]() -> Status {
      if (o.index.has_value() == !o.leaf_hash.empty()) {
        return Fail(ErrorCode::kInvalidArgument, "give exactly one of --index or --leaf-hash");
      }
      std::string path = "/api/v1/ledger/proof/inclusion?";
      path += o.index ? fmt::format("index={}", *o.index) : "leaf_hash=" + UrlEncode(o.leaf_hash);
      if (o.tree_size) path += fmt::format("&tree_size={}", *o.tree_size);
      FW_ASSIGN_OR_RETURN(auto proof, CallApi(o.endpoint, "GET", path));
      std::cout << proof.dump(2) << "\n";
      return Ok();
    };
  });
  auto* audit_consistency =
      audit->add_subcommand("consistency", "Consistency proof between two sizes");
  audit_consistency->add_option("--first", o.first, "Older tree size")->required();
  audit_consistency->add_option("--second", o.second, "Newer tree size")->required();
  AddEndpointOptions(audit_consistency, o.endpoint);
  audit_consistency->callback([&] {
    command = [&]() -> Status {
      FW_ASSIGN_OR_RETURN(auto proof, CallApi(o.endpoint, "GET",
                                              fmt::format("/api/v1/ledger/proof/consistency?"
                                                          "first={}&second={}",
                                                          *o.first, *o.second)));
      std::cout << proof.dump(2) << "\n";
      return Ok();
    };
  });

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::string message = e.what();
    std::replace(message.begin(), message.end(), '\n', ' ');
    std::cerr << "forewarn: " << message << " (see --help)\n";
    return 2;
  }
  if (!command) return 2;
  auto status = command();
  if (!status) {
    std::string message = status.error().message;
    std::replace(message.begin(), message.end(), '\n', ' ');
    std::cerr << "forewarn: " << message << "\n";
    return ExitCodeFor(status.error().code);
  }
  return 0;
}

}  // namespace
}  // namespace forewarn::app

int main(int argc, char** argv) {
  try {
    return forewarn::app::Main(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "forewarn: internal error: " << e.what() << "\n";
    return 1;
  }
}
