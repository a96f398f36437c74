#include "app/investigate_commands.h"

#include <fmt/format.h>

#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "app/client.h"

namespace forewarn::app {
namespace {

using nlohmann::json;

struct InvestigateOptions {
  Endpoint endpoint;
  std::string advisory, file, format = "text";
};

void PrintLeakReport(const json& report) {
  const auto& accused = report["accused"];
  if (accused.empty()) {
    std::cout << fmt::format("no partner accused (false-accusation bound {} over {} partners)\n",
                             Str(report["epsilon"]), Str(report["candidates"]));
  }
  for (const auto& a : accused) {
    std::cout << fmt::format("accused: {} (score {:.1f}, false-accusation bound {:.3g}, from {})\n",
                             Str(a["partner"]), a["score"].get<double>(),
                             a["false_accusation_bound"].get<double>(), Str(a["artifact"]));
  }
  for (const auto& hit : report["canary_hits"]) {
    std::cout << fmt::format("canary: {} ({} in {}: {})\n", Str(hit["partner"]), Str(hit["slot"]),
                             Str(hit["artifact"]), Str(hit["value"]));
  }
  for (const auto& a : report["artifacts"]) {
    std::cout << fmt::format("artifact {} ({}): {} of {} code bits read, {} points erased\n",
                             Str(a["artifact"]), Str(a["filename"]), Str(a["positions_read"]),
                             Str(a["capacity_bits"]), Str(a["points_erased"]));
  }
}

}  // namespace

void AddInvestigateCommands(CLI::App& app, Command& command) {
  auto o = std::make_shared<InvestigateOptions>();
  o->endpoint.url = EnvOr("FOREWARN_URL", "");
  o->endpoint.token = EnvOr("FOREWARN_TOKEN", "");
  auto* investigate = app.add_subcommand("investigate", "Leak investigations (investigators)");
  investigate->require_subcommand(1);
  auto* leak = investigate->add_subcommand(
      "leak", "Trace a leaked document to partners: accused partners with bounds, canary hits");
  leak->add_option("--advisory", o->advisory, "Advisory id")->required();
  leak->add_option("--file", o->file, "The leaked document or fragment")->required();
  leak->add_option("--format", o->format, "json or text (default text)")
      ->check(CLI::IsMember({"json", "text"}));
  AddEndpointOptions(leak, o->endpoint);
  leak->callback([o, &command] {
    command = [o]() -> Status {
      FW_ASSIGN_OR_RETURN(auto text, ReadFile(o->file));
      FW_ASSIGN_OR_RETURN(auto report,
                          CallApiWithText(o->endpoint, "POST",
                                          "/api/v1/advisories/" + UrlEncode(o->advisory) + "/trace",
                                          std::move(text)));
      return PrintJsonOr(o->format == "json", report, [&] { PrintLeakReport(report); });
    };
  });
}

}  // namespace forewarn::app
