#include "app/advisory_commands.h"

#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include "crypto/crypto.h"

namespace forewarn::app {
namespace {

using nlohmann::json;

struct AdvisoryOptions {
  Endpoint endpoint;
  bool json_output = false;
  std::string id, advisory, artifact;
  std::string title, description, description_file, terms_file, public_date, release_at, summary;
  std::vector<std::string> cves, cvss, products, waves;
  bool draft = false;
  std::string reason, cursor, status, cve, out_file;
  size_t limit = 100;
  // artifacts
  std::string kind, file, alternative_of, replaces, media_type, sensitivity;
  std::string partner;  // variant preview
};

// "NAME=RANGE" or "NAME=RANGE=FIXED" (the name may not contain '=').
Result<json> ParseProduct(const std::string& text) {
  const size_t eq = text.find('=');
  json product = {{"name", text.substr(0, eq)}};
  if (eq != std::string::npos) {
    const std::string rest = text.substr(eq + 1);
    const size_t eq2 = rest.find('=');
    product["versions"] = rest.substr(0, eq2);
    if (eq2 != std::string::npos) product["fixed"] = rest.substr(eq2 + 1);
  }
  if (product["name"].get<std::string>().empty()) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("--product '{}' must be NAME=VERSIONS[=FIXED]", text));
  }
  return product;
}

// "TIER=ISO8601" pairs into {"tier": "time"}.
Result<json> ParseWaves(const std::vector<std::string>& waves) {
  json out = json::object();
  for (const auto& text : waves) {
    const size_t eq = text.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == text.size()) {
      return Fail(ErrorCode::kInvalidArgument,
                  fmt::format("--wave '{}' must be TIER=TIME (ISO 8601)", text));
    }
    out[text.substr(0, eq)] = text.substr(eq + 1);
  }
  return out;
}

// The content fields shared by create and update.
Status AddContentFields(const AdvisoryOptions& o, json& body) {
  if (!o.title.empty()) body["title"] = o.title;
  if (!o.cves.empty()) body["cves"] = o.cves;
  if (!o.cvss.empty()) body["cvss"] = o.cvss;
  if (!o.public_date.empty()) body["public_date"] = o.public_date;
  if (!o.summary.empty()) body["summary"] = o.summary;
  if (!o.description.empty()) body["description"] = o.description;
  if (!o.description_file.empty()) {
    FW_ASSIGN_OR_RETURN(body["description"], ReadFile(o.description_file));
  }
  if (!o.terms_file.empty()) {
    FW_ASSIGN_OR_RETURN(body["terms"], ReadFile(o.terms_file));
  }
  if (!o.products.empty()) {
    json products = json::array();
    for (const auto& text : o.products) {
      FW_ASSIGN_OR_RETURN(auto p, ParseProduct(text));
      products.push_back(p);
    }
    body["products"] = products;
  }
  if (o.draft) body["draft"] = true;
  return Ok();
}

void PrintOperatorAdvisory(const json& a) {
  std::cout << fmt::format("{:<13} {}\n", "id:", Str(a["id"]));
  std::cout << fmt::format("{:<13} {}\n", "title:", Str(a["title"]));
  std::cout << fmt::format("{:<13} {}\n", "status:", Str(a["status"]));
  std::cout << fmt::format("{:<13} {}\n", "cves:", Str(a["cves"]));
  for (const auto& c : a["cvss"]) {
    std::cout << fmt::format("{:<13} {} {} ({})\n", "cvss:", Str(c["base_score"]),
                             Str(c["severity"]), Str(c["vector"]));
  }
  std::cout << fmt::format("{:<13} {}\n", "public at:", Str(a["public_at"]));
  for (const auto& r : a["revisions"]) {
    std::cout << fmt::format("{:<13} {} {} release {} — {}\n", "revision:", Str(r["revision"]),
                             Str(r["state"]), Str(r["release_at"]), Str(r["summary"]));
  }
  for (const auto& w : a["schedule"]) {
    if (w["kind"] != "wave") continue;
    std::cout << fmt::format("{:<13} revision {} tier {:<10} opens {}{}\n",
                             "wave:", Str(w["revision"]), Str(w["tier"]), Str(w["at"]),
                             w["explicit"].get<bool>() ? " (explicit)" : "");
  }
  for (const auto& art : a["artifacts"]) {
    std::cout << fmt::format("{:<13} {} {:<22} {} {} bytes{}\n", "artifact:", Str(art["id"]),
                             Str(art["kind"]), Str(art["title"]), Str(art["size"]),
                             art["alternative_of"].is_null()
                                 ? ""
                                 : " (alternative of " + Str(art["alternative_of"]) + ")");
  }
}

void PrintPartnerAdvisory(const json& a) {
  std::cout << fmt::format("{:<13} {} (revision {})\n", "id:", Str(a["id"]), Str(a["revision"]));
  std::cout << fmt::format("{:<13} {}\n", "title:", Str(a["title"]));
  std::cout << fmt::format("{:<13} {}\n", "status:", Str(a["status"]));
  std::cout << fmt::format("{:<13} {}\n", "cves:", Str(a["cves"]));
  std::cout << fmt::format("{:<13} {}\n", "released at:", Str(a["released_at"]));
  std::cout << fmt::format("{:<13} {}\n", "public at:", Str(a["public_at"]));
  const auto& terms = a["terms"];
  if (!terms["accepted"].get<bool>()) {
    std::cout << "\nEmbargo terms (accept with `forewarn advisory accept-terms " << Str(a["id"])
              << "`):\n"
              << Str(terms["text"]) << "\n";
    return;
  }
  if (a.contains("description")) std::cout << "\n" << Str(a["description"]) << "\n\n";
  if (a.contains("artifacts")) {
    for (const auto& art : a["artifacts"]) {
      std::cout << fmt::format("{:<13} {} {:<22} {} ({})\n", "artifact:", Str(art["id"]),
                               Str(art["kind"]), Str(art["title"]), Str(art["form"]));
    }
  }
}

std::string AdvisoryPath(const std::string& id) { return "/api/v1/advisories/" + UrlEncode(id); }

void AddCreate(CLI::App* advisory, std::shared_ptr<AdvisoryOptions> o, Command& command) {
  auto* cmd = advisory->add_subcommand("create", "Create an advisory; prints its id");
  cmd->add_option("--title", o->title, "Title")->required();
  cmd->add_option("--cve", o->cves, "CVE id (repeatable)");
  cmd->add_option("--public-date", o->public_date, "Public release date (ISO 8601)")->required();
  cmd->add_option("--cvss", o->cvss, "CVSS 3.1 or 4.0 vector (repeatable)");
  cmd->add_option("--product", o->products, "Affected product NAME=VERSIONS[=FIXED] (repeatable)");
  cmd->add_option("--description", o->description, "Description text");
  cmd->add_option("--description-file", o->description_file, "Read the description from a file");
  cmd->add_option("--terms-file", o->terms_file, "Embargo terms (default: the program's)");
  cmd->add_option("--summary", o->summary, "Revision summary (default \"Initial release\")");
  cmd->add_option("--release-at", o->release_at, "No wave opens before this time (ISO 8601)");
  cmd->add_option("--wave", o->waves, "Explicit wave TIER=TIME (repeatable)");
  cmd->add_flag("--draft", o->draft, "Keep it a draft until `advisory publish`");
  cmd->add_flag("--json", o->json_output, "Print the advisory as JSON");
  AddEndpointOptions(cmd, o->endpoint);
  cmd->callback([o, &command] {
    command = [o]() -> Status {
      json body = json::object();
      FW_TRY(AddContentFields(*o, body));
      if (!o->release_at.empty()) body["release_at"] = o->release_at;
      if (!o->waves.empty()) {
        FW_ASSIGN_OR_RETURN(body["waves"], ParseWaves(o->waves));
      }
      FW_ASSIGN_OR_RETURN(auto a, CallApi(o->endpoint, "POST", "/api/v1/advisories", body));
      return PrintJsonOr(o->json_output, a, [&] { std::cout << Str(a["id"]) << "\n"; });
    };
  });
}

void AddListShow(CLI::App* advisory, std::shared_ptr<AdvisoryOptions> o, Command& command) {
  auto* list = advisory->add_subcommand("list", "List advisories (partners: released to them)");
  list->add_option("--cve", o->cve, "Only advisories listing this CVE id");
  list->add_option("--status", o->status, "Only this status (operators)");
  list->add_flag("--json", o->json_output, "Print JSON");
  AddEndpointOptions(list, o->endpoint);
  list->callback([o, &command] {
    command = [o]() -> Status {
      std::string query;
      if (!o->cve.empty()) query += "&cve=" + UrlEncode(o->cve);
      if (!o->status.empty()) query += "&status=" + UrlEncode(o->status);
      if (!query.empty()) query[0] = '?';
      FW_ASSIGN_OR_RETURN(auto answer, CallApi(o->endpoint, "GET", "/api/v1/advisories" + query));
      return PrintJsonOr(o->json_output, answer["advisories"], [&] {
        std::vector<std::vector<std::string>> rows;
        for (const auto& a : answer["advisories"]) {
          const json revision = a.contains("revision") ? a["revision"] : a["latest_revision"];
          rows.push_back({Str(a["id"]), Str(a["status"]), Str(revision), Str(a["public_at"]),
                          Str(a["cves"]), Str(a["title"])});
        }
        PrintTable({"ID", "STATUS", "REV", "PUBLIC AT", "CVES", "TITLE"}, rows);
      });
    };
  });
  auto* show = advisory->add_subcommand("show", "Show one advisory");
  show->add_option("id", o->id, "Advisory id")->required();
  show->add_flag("--json", o->json_output, "Print JSON");
  AddEndpointOptions(show, o->endpoint);
  show->callback([o, &command] {
    command = [o]() -> Status {
      FW_ASSIGN_OR_RETURN(auto a, CallApi(o->endpoint, "GET", AdvisoryPath(o->id)));
      return PrintJsonOr(o->json_output, a, [&] {
        if (a.contains("schedule")) {
          PrintOperatorAdvisory(a);
        } else {
          PrintPartnerAdvisory(a);
        }
      });
    };
  });
}

void AddChanges(CLI::App* advisory, std::shared_ptr<AdvisoryOptions> o, Command& command) {
  auto* update = advisory->add_subcommand(
      "update", "Change an advisory (a new revision if the current one was released)");
  update->add_option("id", o->id, "Advisory id")->required();
  update->add_option("--title", o->title, "Title");
  update->add_option("--cve", o->cves, "CVE ids (replace the list; repeatable)");
  update->add_option("--cvss", o->cvss, "CVSS vectors (replace the list; repeatable)");
  update->add_option("--product", o->products, "Products NAME=VERSIONS[=FIXED] (replace)");
  update->add_option("--public-date", o->public_date, "New public date (reschedules waves)");
  update->add_option("--description", o->description, "Description text");
  update->add_option("--description-file", o->description_file, "Description from a file");
  update->add_option("--terms-file", o->terms_file, "New embargo terms");
  update->add_option("--summary", o->summary, "What changed, for partners");
  update->add_flag("--draft", o->draft, "If a new revision starts, keep it a draft");
  update->add_flag("--json", o->json_output, "Print JSON");
  AddEndpointOptions(update, o->endpoint);
  update->callback([o, &command] {
    command = [o]() -> Status {
      json body = json::object();
      FW_TRY(AddContentFields(*o, body));
      FW_ASSIGN_OR_RETURN(auto a, CallApi(o->endpoint, "PATCH", AdvisoryPath(o->id), body));
      return PrintJsonOr(o->json_output, a, [&] {
        std::cout << fmt::format("{} revision {} ({})\n", Str(a["id"]), Str(a["latest_revision"]),
                                 Str(a["status"]));
      });
    };
  });
  auto* publish = advisory->add_subcommand("publish", "Publish the draft revision");
  publish->add_option("id", o->id, "Advisory id")->required();
  publish->add_option("--release-at", o->release_at, "No wave opens before this time");
  publish->add_option("--wave", o->waves, "Explicit wave TIER=TIME (repeatable)");
  publish->add_flag("--json", o->json_output, "Print JSON");
  AddEndpointOptions(publish, o->endpoint);
  publish->callback([o, &command] {
    command = [o]() -> Status {
      json body = json::object();
      if (!o->release_at.empty()) body["release_at"] = o->release_at;
      if (!o->waves.empty()) {
        FW_ASSIGN_OR_RETURN(body["waves"], ParseWaves(o->waves));
      }
      FW_ASSIGN_OR_RETURN(auto a,
                          CallApi(o->endpoint, "POST", AdvisoryPath(o->id) + "/publish", body));
      return PrintJsonOr(o->json_output, a, [&] { PrintOperatorAdvisory(a); });
    };
  });
  auto* revise = advisory->add_subcommand("revise", "Start a new draft revision");
  revise->add_option("id", o->id, "Advisory id")->required();
  revise->add_option("--summary", o->summary, "What the revision changes")->required();
  revise->add_flag("--json", o->json_output, "Print JSON");
  AddEndpointOptions(revise, o->endpoint);
  revise->callback([o, &command] {
    command = [o]() -> Status {
      FW_ASSIGN_OR_RETURN(auto a, CallApi(o->endpoint, "POST", AdvisoryPath(o->id) + "/revise",
                                          json{{"summary", o->summary}}));
      return PrintJsonOr(o->json_output, a, [&] {
        std::cout << fmt::format("{} revision {} is a draft\n", Str(a["id"]),
                                 Str(a["latest_revision"]));
      });
    };
  });
  auto* withdraw = advisory->add_subcommand("withdraw", "Withdraw an advisory");
  withdraw->add_option("id", o->id, "Advisory id")->required();
  withdraw->add_option("--reason", o->reason, "Why (recorded on the ledger)")->required();
  AddEndpointOptions(withdraw, o->endpoint);
  withdraw->callback([o, &command] {
    command = [o]() -> Status {
      FW_ASSIGN_OR_RETURN(auto a, CallApi(o->endpoint, "POST", AdvisoryPath(o->id) + "/withdraw",
                                          json{{"reason", o->reason}}));
      std::cout << fmt::format("{} is now {}\n", Str(a["id"]), Str(a["status"]));
      return Ok();
    };
  });
  auto* accept = advisory->add_subcommand(
      "accept-terms", "Partner: accept the embargo terms of the advisory's current revision");
  accept->add_option("id", o->id, "Advisory id")->required();
  AddEndpointOptions(accept, o->endpoint);
  accept->callback([o, &command] {
    command = [o]() -> Status {
      FW_ASSIGN_OR_RETURN(auto a, CallApi(o->endpoint, "GET", AdvisoryPath(o->id)));
      if (!a.contains("terms") || !a["terms"].is_object()) {
        return Fail(ErrorCode::kFailedPrecondition, "only partners accept embargo terms");
      }
      FW_ASSIGN_OR_RETURN(auto accepted,
                          CallApi(o->endpoint, "POST", AdvisoryPath(o->id) + "/terms",
                                  json{{"terms_sha256", a["terms"]["sha256"]}}));
      std::cout << fmt::format("accepted the terms of {} revision {} (sha256 {})\n",
                               Str(accepted["advisory"]), Str(accepted["revision"]),
                               Str(accepted["terms_sha256"]));
      return Ok();
    };
  });
}

void AddFingerprintCommands(CLI::App* artifact, std::shared_ptr<AdvisoryOptions> o,
                            Command& command);

void AddArtifactCommands(CLI::App& app, std::shared_ptr<AdvisoryOptions> o, Command& command) {
  auto* artifact = app.add_subcommand("artifact", "Artifacts of an advisory");
  artifact->require_subcommand(1);
  auto* add = artifact->add_subcommand("add", "Add an artifact from a file; prints its id");
  add->add_option("--advisory", o->advisory, "Advisory id")->required();
  add->add_option("--kind", o->kind,
                  "summary, technical-description, detection, ioc, mitigation or poc")
      ->required();
  add->add_option("--file", o->file, "The content")->required();
  add->add_option("--alternative-of", o->alternative_of,
                  "Artifact this is an alternative form of (e.g. a PoC's description)");
  add->add_option("--replaces", o->replaces, "Artifact this one supersedes");
  add->add_option("--title", o->title, "Title (default: kind and file name)");
  add->add_option("--media-type", o->media_type, "Media type (default: from the file name)");
  add->add_option("--sensitivity", o->sensitivity, "normal or sensitive (default by kind)");
  add->add_option("--summary", o->summary, "Revision summary if this starts a new revision");
  add->add_flag("--draft", o->draft, "If a new revision starts, keep it a draft");
  add->add_flag("--json", o->json_output, "Print JSON");
  AddEndpointOptions(add, o->endpoint);
  add->callback([o, &command] {
    command = [o]() -> Status {
      FW_ASSIGN_OR_RETURN(auto content, ReadFile(o->file));
      json body = {{"kind", o->kind},
                   {"filename", std::filesystem::path(o->file).filename().string()}};
      // Text travels as text; anything else (or invalid UTF-8) as base64.
      bool text = content.find('\0') == std::string::npos;
      if (text) {
        try {
          (void)json(content).dump();
        } catch (const json::type_error&) {
          text = false;
        }
      }
      if (text) {
        body["content"] = content;
      } else {
        body["content_base64"] = crypto::Base64(content);
      }
      for (const auto& [key, value] :
           {std::pair{"alternative_of", &o->alternative_of}, std::pair{"replaces", &o->replaces},
            std::pair{"title", &o->title}, std::pair{"media_type", &o->media_type},
            std::pair{"sensitivity", &o->sensitivity}, std::pair{"summary", &o->summary}}) {
        if (!value->empty()) body[key] = *value;
      }
      if (o->draft) body["draft"] = true;
      FW_ASSIGN_OR_RETURN(
          auto a, CallApi(o->endpoint, "POST", AdvisoryPath(o->advisory) + "/artifacts", body));
      return PrintJsonOr(o->json_output, a, [&] { std::cout << Str(a["id"]) << "\n"; });
    };
  });
  auto* list = artifact->add_subcommand("list", "List an advisory's artifacts (operators)");
  list->add_option("--advisory", o->advisory, "Advisory id")->required();
  list->add_flag("--json", o->json_output, "Print JSON");
  AddEndpointOptions(list, o->endpoint);
  list->callback([o, &command] {
    command = [o]() -> Status {
      FW_ASSIGN_OR_RETURN(auto answer,
                          CallApi(o->endpoint, "GET", AdvisoryPath(o->advisory) + "/artifacts"));
      return PrintJsonOr(o->json_output, answer["artifacts"], [&] {
        std::vector<std::vector<std::string>> rows;
        for (const auto& a : answer["artifacts"]) {
          rows.push_back({Str(a["id"]), Str(a["revision"]), Str(a["kind"]), Str(a["sensitivity"]),
                          Str(a["size"]), Str(a["alternative_of"]), Str(a["title"])});
        }
        PrintTable({"ID", "REV", "KIND", "SENSITIVITY", "BYTES", "ALTERNATIVE OF", "TITLE"}, rows);
      });
    };
  });
  AddFingerprintCommands(artifact, o, command);
  auto* get = artifact->add_subcommand("get", "Download an artifact (to --out or stdout)");
  get->add_option("--advisory", o->advisory, "Advisory id")->required();
  get->add_option("--artifact", o->artifact, "Artifact id")->required();
  get->add_option("--out", o->out_file, "Write to this file instead of stdout");
  AddEndpointOptions(get, o->endpoint);
  get->callback([o, &command] {
    command = [o]() -> Status {
      FW_ASSIGN_OR_RETURN(auto answer, CallApiRaw(o->endpoint, "GET",
                                                  AdvisoryPath(o->advisory) + "/artifacts/" +
                                                      UrlEncode(o->artifact) + "/content"));
      if (o->out_file.empty()) {
        std::cout << answer.body << std::flush;
        return Ok();
      }
      std::ofstream out(o->out_file, std::ios::binary | std::ios::trunc);
      out << answer.body;
      if (!out) return Fail(ErrorCode::kUnavailable, "cannot write " + o->out_file);
      std::cerr << fmt::format("{} bytes written to {}\n", answer.body.size(), o->out_file);
      return Ok();
    };
  });
}

// `artifact marks` and `artifact variant`: the operator's view of an artifact's fingerprint.
void AddFingerprintCommands(CLI::App* artifact, std::shared_ptr<AdvisoryOptions> o,
                            Command& command) {
  auto* marks = artifact->add_subcommand(
      "marks", "Where an artifact's fingerprint marks are, and whether they carry enough bits");
  marks->add_option("--advisory", o->advisory, "Advisory id")->required();
  marks->add_option("--artifact", o->artifact, "Artifact id")->required();
  marks->add_flag("--json", o->json_output, "Print JSON");
  AddEndpointOptions(marks, o->endpoint);
  marks->callback([o, &command] {
    command = [o]() -> Status {
      FW_ASSIGN_OR_RETURN(auto m, CallApi(o->endpoint, "GET",
                                          AdvisoryPath(o->advisory) + "/artifacts/" +
                                              UrlEncode(o->artifact) + "/marks"));
      return PrintJsonOr(o->json_output, m, [&] {
        if (!m.value("fingerprinted", false)) {
          std::cout << "not fingerprinted (only sensitive text artifacts are)\n";
          return;
        }
        std::cout << fmt::format(
            "{} ({}): {} code bits; {} recipients, coalitions of {}, epsilon {} need {}\n",
            Str(m["artifact"]), Str(m["language"]), Str(m["capacity_bits"]), Str(m["recipients"]),
            Str(m["coalition"]), Str(m["epsilon"]), Str(m["needed_bits"]));
        if (m["warning"].is_string()) std::cout << "warning: " << Str(m["warning"]) << "\n";
        std::vector<std::vector<std::string>> rows;
        for (const auto& p : m["points"]) {
          rows.push_back({Str(p["line"]), Str(p["family"]), Str(p["bits"]),
                          Str(p["first_position"]), Str(p["description"])});
        }
        PrintTable({"LINE", "FAMILY", "BITS", "POSITION", "WHAT"}, rows);
        for (const auto& c : m["canaries"]) {
          std::cout << fmt::format("canary {} ({}): {} -> {} ({} places)\n", Str(c["slot"]),
                                   Str(c["kind"]), Str(c["original"]), Str(c["pattern"]),
                                   Str(c["occurrences"]));
        }
      });
    };
  });
  auto* variant = artifact->add_subcommand(
      "variant", "Print one partner's fingerprinted copy of an artifact (recorded on the ledger)");
  variant->add_option("--advisory", o->advisory, "Advisory id")->required();
  variant->add_option("--artifact", o->artifact, "Artifact id")->required();
  variant->add_option("--partner", o->partner, "Partner id")->required();
  AddEndpointOptions(variant, o->endpoint);
  variant->callback([o, &command] {
    command = [o]() -> Status {
      FW_ASSIGN_OR_RETURN(auto answer, CallApiRaw(o->endpoint, "GET",
                                                  AdvisoryPath(o->advisory) + "/artifacts/" +
                                                      UrlEncode(o->artifact) +
                                                      "/variant?partner=" + UrlEncode(o->partner)));
      std::cout << answer.body << std::flush;
      return Ok();
    };
  });
}

void AddPackageCommand(CLI::App* advisory, std::shared_ptr<AdvisoryOptions> o, Command& command) {
  auto* package = advisory->add_subcommand(
      "package", "Partner: download your signed (or sealed) package of an advisory");
  package->add_option("id", o->id, "Advisory id")->required();
  package->add_option("--out", o->out_file, "Write to this file instead of stdout");
  AddEndpointOptions(package, o->endpoint);
  package->callback([o, &command] {
    command = [o]() -> Status {
      FW_ASSIGN_OR_RETURN(auto answer,
                          CallApiRaw(o->endpoint, "GET", AdvisoryPath(o->id) + "/package"));
      if (o->out_file.empty()) {
        std::cout << answer.body << std::flush;
        return Ok();
      }
      std::ofstream out(o->out_file, std::ios::binary | std::ios::trunc);
      out << answer.body;
      if (!out) return Fail(ErrorCode::kUnavailable, "cannot write " + o->out_file);
      std::cerr << fmt::format("{} bytes written to {} (check it with `forewarn verify`)\n",
                               answer.body.size(), o->out_file);
      return Ok();
    };
  });
}

void AddFeedCommand(CLI::App& app, std::shared_ptr<AdvisoryOptions> o, Command& command) {
  auto* feed = app.add_subcommand("feed", "Partner: what became available since a cursor");
  feed->add_option("--cursor", o->cursor, "Continue after this cursor (from the last page)");
  feed->add_option("--limit", o->limit, "At most this many items (1..1000)");
  feed->add_flag("--json", o->json_output, "Print the page as JSON");
  AddEndpointOptions(feed, o->endpoint);
  feed->callback([o, &command] {
    command = [o]() -> Status {
      std::string path = fmt::format("/api/v1/feed?limit={}", o->limit);
      if (!o->cursor.empty()) path += "&cursor=" + UrlEncode(o->cursor);
      FW_ASSIGN_OR_RETURN(auto page, CallApi(o->endpoint, "GET", path));
      return PrintJsonOr(o->json_output, page, [&] {
        std::vector<std::vector<std::string>> rows;
        for (const auto& item : page["items"]) {
          rows.push_back({Str(item["at"]), Str(item["event"]), Str(item["advisory"]),
                          Str(item["revision"]), Str(item["title"])});
        }
        PrintTable({"AT", "EVENT", "ADVISORY", "REV", "TITLE"}, rows);
        std::cout << "next cursor: " << Str(page["next_cursor"]) << "\n";
      });
    };
  });
}

}  // namespace

void AddAdvisoryCommands(CLI::App& app, Command& command) {
  auto o = std::make_shared<AdvisoryOptions>();
  o->endpoint.url = EnvOr("FOREWARN_URL", "");
  o->endpoint.token = EnvOr("FOREWARN_TOKEN", "");
  auto* advisory = app.add_subcommand("advisory", "Advisories: write, schedule, read");
  advisory->require_subcommand(1);
  AddCreate(advisory, o, command);
  AddListShow(advisory, o, command);
  AddChanges(advisory, o, command);
  AddPackageCommand(advisory, o, command);
  AddArtifactCommands(app, o, command);
  AddFeedCommand(app, o, command);
}

}  // namespace forewarn::app
