#include "app/policy_commands.h"

#include <fmt/format.h>

#include <iostream>
#include <memory>

namespace forewarn::app {
namespace {

using nlohmann::json;

struct PolicyOptions {
  Endpoint endpoint;
  bool json_output = false;
  std::string file, comment, at, partner, advisory, artifact, label, reason, id, state, note;
  std::vector<std::string> kinds;
  int version = -1;
  int base_version = -1;
  size_t limit = 100;
};

// Prints the server's diagnostics compiler-style ("FILE:LINE:COL: error: ...") to stderr and
// returns how many were errors.
size_t PrintDiagnostics(const std::string& file, const json& diagnostics) {
  size_t errors = 0;
  for (const auto& d : diagnostics) {
    if (d["severity"] == "error") ++errors;
    std::cerr << fmt::format("{}:{}:{}: {}: {}\n", file, Str(d["line"]), Str(d["column"]),
                             Str(d["severity"]), Str(d["message"]));
  }
  return errors;
}

void PrintVersion(const json& v, std::string_view verb) {
  std::cout << fmt::format("{} policy version {} (sha256 {})\n", verb, Str(v["version"]),
                           Str(v["sha256"]));
}

std::string RulesText(const json& rules) {
  std::string out;
  for (const auto& r : rules) {
    const std::string name = Str(r["name"]);
    const std::string line = Str(r["line"]);
    out += out.empty() ? "" : "; ";
    out += name == "line " + line ? name : fmt::format("{} (line {})", name, line);
  }
  return out.empty() ? "-" : out;
}

void PrintExplanation(const json& e) {
  std::cout << fmt::format("partner   {} ({}, tier {}, {}, labels {})\n", Str(e["partner"]["id"]),
                           Str(e["partner"]["name"]), Str(e["partner"]["tier"]),
                           Str(e["partner"]["status"]), Str(e["partner"]["labels"]));
  std::cout << fmt::format("advisory  {} at {} (policy version {})\n", Str(e["advisory"]["id"]),
                           Str(e["at"]), Str(e["policy"]["version"]));
  std::cout << fmt::format("embargo   {}\n", Str(e["embargo"]["reason"]));
  if (e["decision"].is_null()) return;
  std::cout << fmt::format("advisory  {}: {}\n", Str(e["decision"]["verdict"]),
                           Str(e["decision"]["reason"]));
  for (const auto& a : e["artifacts"]) {
    std::string delivered = "nothing";
    if (a["delivered"].is_object()) {
      delivered = fmt::format("{} ({})", Str(a["delivered"]["id"]), Str(a["delivered"]["form"]));
    }
    std::cout << fmt::format("artifact  {} {} -> {}\n", Str(a["artifact"]), Str(a["kind"]),
                             delivered);
    std::cout << fmt::format("          {}\n", Str(a["reason"]));
    if (a.contains("rules")) {
      std::cout << fmt::format("          rules that applied: {}\n", RulesText(a["rules"]));
    }
    if (a.contains("alternatives")) {
      for (const auto& f : a["alternatives"]) {
        std::cout << fmt::format("          form {} {}: {} by {}\n", Str(f["id"]), Str(f["kind"]),
                                 Str(f["verdict"]), RulesText(f["rules"]));
      }
    }
  }
}

std::string FormText(const json& form) {
  if (!form.is_object()) return "nothing";
  return fmt::format("{} ({})", Str(form["id"]), Str(form["form"]));
}

void PrintImpact(const json& impact) {
  const auto& s = impact["summary"];
  std::cout << fmt::format(
      "at {} against version {}: {} partners affected, {} gains, {} losses, {} form changes, "
      "{} advisory visibility changes\n",
      Str(impact["at"]), Str(impact["current_version"]), Str(s["partners_affected"]),
      Str(s["gains"]), Str(s["losses"]), Str(s["form_changes"]), Str(s["advisory_changes"]));
  std::vector<std::vector<std::string>> rows;
  for (const auto& a : impact["advisories"]) {
    rows.push_back({Str(a["partner"]), Str(a["partner_name"]), Str(a["advisory"]), "(advisory)",
                    Str(a["change"]), "", ""});
  }
  for (const auto& c : impact["changes"]) {
    rows.push_back({Str(c["partner"]), Str(c["partner_name"]), Str(c["advisory"]),
                    fmt::format("{} {}", Str(c["artifact"]), Str(c["kind"])), Str(c["change"]),
                    FormText(c["before"]), FormText(c["after"])});
  }
  if (!rows.empty()) {
    PrintTable({"PARTNER", "NAME", "ADVISORY", "ARTIFACT", "CHANGE", "BEFORE", "AFTER"}, rows);
  }
  if (impact.value("truncated", false)) std::cout << "(list truncated; the summary counts all)\n";
}

void AddReadCommands(CLI::App* policy, std::shared_ptr<PolicyOptions> o, Command& command) {
  auto* validate = policy->add_subcommand(
      "validate", "Check a policy file against the program; errors and warnings with line:column");
  validate->add_option("file", o->file, "Policy file")->required();
  validate->add_flag("--json", o->json_output, "Print the diagnostics as JSON");
  AddEndpointOptions(validate, o->endpoint);
  validate->callback([o, &command] {
    command = [o]() -> Status {
      FW_ASSIGN_OR_RETURN(auto text, ReadFile(o->file));
      FW_ASSIGN_OR_RETURN(auto answer, CallApi(o->endpoint, "POST", "/api/v1/policy/validate",
                                               json{{"text", text}}));
      if (o->json_output) std::cout << answer.dump(2) << "\n";
      const size_t errors = o->json_output ? 0 : PrintDiagnostics(o->file, answer["diagnostics"]);
      if (!answer["valid"].get<bool>()) {
        return Fail(
            ErrorCode::kInvalidArgument,
            fmt::format(
                "{}: not a valid policy{}", o->file,
                errors > 0 ? fmt::format(" ({} error{})", errors, errors == 1 ? "" : "s") : ""));
      }
      if (!o->json_output) std::cout << fmt::format("{}: valid\n", o->file);
      return Ok();
    };
  });

  auto* show = policy->add_subcommand("show", "Print the policy in force (or --version N)");
  show->add_option("--version", o->version, "A past version (0: the built-in default)");
  show->add_flag("--json", o->json_output, "Print JSON");
  AddEndpointOptions(show, o->endpoint);
  show->callback([o, &command] {
    command = [o]() -> Status {
      const std::string path = o->version >= 0
                                   ? fmt::format("/api/v1/policy/versions/{}", o->version)
                                   : std::string("/api/v1/policy");
      FW_ASSIGN_OR_RETURN(auto v, CallApi(o->endpoint, "GET", path));
      if (o->json_output) {
        std::cout << v.dump(2) << "\n";
      } else {
        std::cerr << fmt::format("# version {} by {} at {} (sha256 {})\n", Str(v["version"]),
                                 Str(v["author"]), Str(v["applied_at"]), Str(v["sha256"]));
        std::cout << v["text"].get<std::string>();
      }
      return Ok();
    };
  });

  auto* history = policy->add_subcommand("history", "Every applied policy version");
  history->add_flag("--json", o->json_output, "Print JSON");
  AddEndpointOptions(history, o->endpoint);
  history->callback([o, &command] {
    command = [o]() -> Status {
      FW_ASSIGN_OR_RETURN(auto answer, CallApi(o->endpoint, "GET", "/api/v1/policy/versions"));
      if (o->json_output) {
        std::cout << answer["versions"].dump(2) << "\n";
        return Ok();
      }
      std::vector<std::vector<std::string>> rows;
      for (const auto& v : answer["versions"]) {
        rows.push_back({Str(v["version"]), Str(v["applied_at"]), Str(v["author"]),
                        Str(v["sha256"]).substr(0, 16), Str(v["comment"])});
      }
      PrintTable({"VERSION", "APPLIED", "AUTHOR", "SHA256", "COMMENT"}, rows);
      return Ok();
    };
  });

  auto* explain = policy->add_subcommand(
      "explain", "Why a partner can or cannot see an advisory and receive its artifacts");
  explain->add_option("--partner", o->partner, "Partner id")->required();
  explain->add_option("--advisory", o->advisory, "Advisory id")->required();
  explain->add_option("--artifact", o->artifact, "Only this artifact (or one of its forms)");
  explain->add_option("--at", o->at, "At this time (ISO 8601; default now)");
  explain->add_option("--file", o->file, "Explain under a candidate policy file instead");
  explain->add_flag("--json", o->json_output, "Print JSON");
  AddEndpointOptions(explain, o->endpoint);
  explain->callback([o, &command] {
    command = [o]() -> Status {
      json body = {{"partner", o->partner}, {"advisory", o->advisory}};
      if (!o->artifact.empty()) body["artifact"] = o->artifact;
      if (!o->at.empty()) body["at"] = o->at;
      if (!o->file.empty()) {
        FW_ASSIGN_OR_RETURN(body["text"], ReadFile(o->file));
      }
      FW_ASSIGN_OR_RETURN(auto e, CallApi(o->endpoint, "POST", "/api/v1/policy/explain", body));
      if (o->json_output) {
        std::cout << e.dump(2) << "\n";
      } else {
        PrintExplanation(e);
      }
      return Ok();
    };
  });

  auto* preview = policy->add_subcommand(
      "preview", "Which partners would gain or lose which artifacts or forms under FILE");
  preview->add_option("file", o->file, "Candidate policy file")->required();
  preview->add_option("--at", o->at, "At this time (ISO 8601; default now)");
  preview->add_flag("--json", o->json_output, "Print JSON");
  AddEndpointOptions(preview, o->endpoint);
  preview->callback([o, &command] {
    command = [o]() -> Status {
      FW_ASSIGN_OR_RETURN(auto text, ReadFile(o->file));
      json body = {{"text", text}};
      if (!o->at.empty()) body["at"] = o->at;
      FW_ASSIGN_OR_RETURN(auto impact,
                          CallApi(o->endpoint, "POST", "/api/v1/policy/preview", body));
      if (o->json_output) {
        std::cout << impact.dump(2) << "\n";
      } else {
        PrintImpact(impact);
      }
      return Ok();
    };
  });
}

void AddWriteCommands(CLI::App* policy, std::shared_ptr<PolicyOptions> o, Command& command) {
  auto* apply = policy->add_subcommand("apply", "Apply a policy file as the next version");
  apply->add_option("file", o->file, "Policy file")->required();
  apply->add_option("--comment", o->comment, "Why (kept with the version and on the ledger)");
  apply->add_option("--base-version", o->base_version,
                    "Refuse unless this is the version in force (no lost updates)");
  apply->add_flag("--json", o->json_output, "Print JSON");
  AddEndpointOptions(apply, o->endpoint);
  apply->callback([o, &command] {
    command = [o]() -> Status {
      FW_ASSIGN_OR_RETURN(auto text, ReadFile(o->file));
      json body = {{"text", text}, {"comment", o->comment}};
      if (o->base_version >= 0) body["base_version"] = o->base_version;
      FW_ASSIGN_OR_RETURN(auto v, CallApi(o->endpoint, "PUT", "/api/v1/policy", body));
      if (o->json_output) {
        std::cout << v.dump(2) << "\n";
      } else {
        PrintVersion(v, "applied");
      }
      return Ok();
    };
  });

  auto* restrict = policy->add_subcommand(
      "restrict", "Give partners with a label alternative forms (or nothing) instead of --kind");
  restrict->add_option("--label", o->label, "The cohort's label, e.g. poc-restricted")->required();
  restrict->add_option("--kind", o->kinds, "Artifact kinds to withhold (default: poc)");
  restrict->add_option("--reason", o->reason, "Why (kept with the version)")->required();
  AddEndpointOptions(restrict, o->endpoint);
  restrict->callback([o, &command] {
    command = [o]() -> Status {
      json body = {{"label", o->label}, {"reason", o->reason}};
      if (!o->kinds.empty()) body["kinds"] = o->kinds;
      FW_ASSIGN_OR_RETURN(auto v, CallApi(o->endpoint, "POST", "/api/v1/policy/restrict", body));
      PrintVersion(v, "applied");
      return Ok();
    };
  });

  auto* unrestrict = policy->add_subcommand("unrestrict", "Lift a label's restriction");
  unrestrict->add_option("--label", o->label, "The cohort's label")->required();
  unrestrict->add_option("--reason", o->reason, "Why (kept with the version)")->required();
  AddEndpointOptions(unrestrict, o->endpoint);
  unrestrict->callback([o, &command] {
    command = [o]() -> Status {
      FW_ASSIGN_OR_RETURN(auto v, CallApi(o->endpoint, "POST", "/api/v1/policy/unrestrict",
                                          json{{"label", o->label}, {"reason", o->reason}}));
      PrintVersion(v, "applied");
      return Ok();
    };
  });
}

void AddAlertCommands(CLI::App& app, std::shared_ptr<PolicyOptions> o, Command& command) {
  auto* alert = app.add_subcommand("alert", "Alerts about unusual partner activity");
  alert->require_subcommand(1);
  auto* list = alert->add_subcommand("list", "Alerts, newest first");
  list->add_option("--state", o->state, "open or acknowledged");
  list->add_option("--partner", o->partner, "Only this partner's");
  list->add_option("--limit", o->limit, "At most this many (1..1000)");
  list->add_flag("--json", o->json_output, "Print JSON");
  AddEndpointOptions(list, o->endpoint);
  list->callback([o, &command] {
    command = [o]() -> Status {
      std::string query = fmt::format("?limit={}", o->limit);
      if (!o->state.empty()) query += "&state=" + UrlEncode(o->state);
      if (!o->partner.empty()) query += "&partner=" + UrlEncode(o->partner);
      FW_ASSIGN_OR_RETURN(auto answer, CallApi(o->endpoint, "GET", "/api/v1/alerts" + query));
      if (o->json_output) {
        std::cout << answer["alerts"].dump(2) << "\n";
        return Ok();
      }
      std::vector<std::vector<std::string>> rows;
      for (const auto& a : answer["alerts"]) {
        rows.push_back({Str(a["id"]), Str(a["raised_at"]), Str(a["partner"]), Str(a["kind"]),
                        Str(a["state"]), Str(a["summary"])});
      }
      PrintTable({"ID", "RAISED", "PARTNER", "KIND", "STATE", "SUMMARY"}, rows);
      return Ok();
    };
  });
  auto* show = alert->add_subcommand("show", "One alert with its evidence (JSON)");
  show->add_option("id", o->id, "Alert id")->required();
  AddEndpointOptions(show, o->endpoint);
  show->callback([o, &command] {
    command = [o]() -> Status {
      FW_ASSIGN_OR_RETURN(auto a,
                          CallApi(o->endpoint, "GET", "/api/v1/alerts/" + UrlEncode(o->id)));
      std::cout << a.dump(2) << "\n";
      return Ok();
    };
  });
  auto* ack = alert->add_subcommand("ack", "Acknowledge an alert");
  ack->add_option("id", o->id, "Alert id")->required();
  ack->add_option("--note", o->note, "What was done about it")->required();
  AddEndpointOptions(ack, o->endpoint);
  ack->callback([o, &command] {
    command = [o]() -> Status {
      FW_ASSIGN_OR_RETURN(auto a, CallApi(o->endpoint, "POST",
                                          "/api/v1/alerts/" + UrlEncode(o->id) + "/acknowledge",
                                          json{{"note", o->note}}));
      std::cout << fmt::format("{} acknowledged\n", Str(a["id"]));
      return Ok();
    };
  });
}

}  // namespace

void AddPolicyCommands(CLI::App& app, Command& command) {
  auto o = std::make_shared<PolicyOptions>();
  o->endpoint.url = EnvOr("FOREWARN_URL", "");
  o->endpoint.token = EnvOr("FOREWARN_TOKEN", "");
  auto* policy = app.add_subcommand("policy", "The policy: who gets which advisories and forms");
  policy->require_subcommand(1);
  AddReadCommands(policy, o, command);
  AddWriteCommands(policy, o, command);
  AddAlertCommands(app, o, command);
}

}  // namespace forewarn::app
