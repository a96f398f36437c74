// The advisory endpoints: operators write and schedule advisories and artifacts; partners read
// their feed and released advisories, accept terms and download artifacts and packages. The
// same path serves both audiences, by role: a partner token always gets the partner view.
#include <fmt/format.h>

#include "core/time.h"
#include "crypto/crypto.h"
#include "http/api_internal.h"
#include "http/json_codec.h"

namespace forewarn::http {
namespace {

using nlohmann::json;

// --- request parsing ---

Result<std::vector<Product>> ProductsField(const json& object) {
  const auto& value = object.at("products");
  if (!value.is_array()) {
    return Fail(ErrorCode::kInvalidArgument, "field 'products' must be an array of objects");
  }
  std::vector<Product> products;
  for (const auto& item : value) {
    if (!item.is_object()) {
      return Fail(ErrorCode::kInvalidArgument, "field 'products' must be an array of objects");
    }
    FW_TRY(CheckKnownFields(item, {"name", "versions", "fixed"}));
    Product p;
    if (item.contains("name")) {
      FW_ASSIGN_OR_RETURN(p.name, GetString(item, "name"));
    }
    if (item.contains("versions")) {
      FW_ASSIGN_OR_RETURN(p.versions, GetString(item, "versions"));
    }
    if (item.contains("fixed")) {
      FW_ASSIGN_OR_RETURN(p.fixed, GetString(item, "fixed"));
    }
    products.push_back(std::move(p));
  }
  return products;
}

Result<advisory::Schedule> ScheduleFields(const json& object) {
  advisory::Schedule schedule;
  if (object.contains("release_at")) {
    FW_ASSIGN_OR_RETURN(schedule.release_at, GetTime(object, "release_at"));
  }
  if (object.contains("waves")) {
    const auto& waves = object.at("waves");
    if (!waves.is_object()) {
      return Fail(ErrorCode::kInvalidArgument,
                  "field 'waves' must be an object of tier name -> ISO 8601 time");
    }
    for (const auto& [tier, at] : waves.items()) {
      FW_ASSIGN_OR_RETURN(auto t, GetTime(waves, tier));
      schedule.waves[tier] = t;
    }
  }
  return schedule;
}

// "public_date" is the CLI's and DESIGN's word; "public_at" matches the responses.
Result<std::optional<TimePoint>> PublicDate(const json& body) {
  if (body.contains("public_date") && body.contains("public_at")) {
    return Fail(ErrorCode::kInvalidArgument, "give either public_date or public_at, not both");
  }
  for (const char* key : {"public_date", "public_at"}) {
    if (body.contains(key)) {
      FW_ASSIGN_OR_RETURN(auto t, GetTime(body, key));
      return std::optional<TimePoint>(t);
    }
  }
  return std::optional<TimePoint>();
}

Result<advisory::AdvisoryInput> AdvisoryInputFromJson(const json& body) {
  FW_TRY(CheckKnownFields(
      body, {"title", "description", "cves", "products", "cvss", "terms", "public_date",
             "public_at", "draft", "release_at", "waves", "summary"}));
  advisory::AdvisoryInput input;
  if (!body.contains("title"))
    return Fail(ErrorCode::kInvalidArgument, "field 'title' is required");
  FW_ASSIGN_OR_RETURN(input.content.title, GetString(body, "title"));
  if (body.contains("description")) {
    FW_ASSIGN_OR_RETURN(input.content.description, GetString(body, "description"));
  }
  if (body.contains("cves")) {
    FW_ASSIGN_OR_RETURN(input.content.cves, GetStringArray(body, "cves"));
  }
  if (body.contains("products")) {
    FW_ASSIGN_OR_RETURN(input.content.products, ProductsField(body));
  }
  if (body.contains("cvss")) {
    FW_ASSIGN_OR_RETURN(input.content.cvss_vectors, GetStringArray(body, "cvss"));
  }
  if (body.contains("terms")) {
    FW_ASSIGN_OR_RETURN(input.content.terms, GetString(body, "terms"));
  }
  FW_ASSIGN_OR_RETURN(auto public_at, PublicDate(body));
  if (!public_at) {
    return Fail(ErrorCode::kInvalidArgument, "field 'public_date' (ISO 8601) is required");
  }
  input.public_at = *public_at;
  if (body.contains("draft")) {
    FW_ASSIGN_OR_RETURN(input.draft, GetBool(body, "draft"));
  }
  FW_ASSIGN_OR_RETURN(input.schedule, ScheduleFields(body));
  if (body.contains("summary")) {
    FW_ASSIGN_OR_RETURN(input.summary, GetString(body, "summary"));
  }
  return input;
}

Result<advisory::AdvisoryChange> AdvisoryChangeFromJson(const json& body) {
  FW_TRY(CheckKnownFields(body, {"title", "description", "cves", "products", "cvss", "terms",
                                 "public_date", "public_at", "summary", "draft"}));
  advisory::AdvisoryChange change;
  if (body.contains("title")) {
    FW_ASSIGN_OR_RETURN(change.title, GetString(body, "title"));
  }
  if (body.contains("description")) {
    FW_ASSIGN_OR_RETURN(change.description, GetString(body, "description"));
  }
  if (body.contains("cves")) {
    FW_ASSIGN_OR_RETURN(change.cves, GetStringArray(body, "cves"));
  }
  if (body.contains("products")) {
    FW_ASSIGN_OR_RETURN(change.products, ProductsField(body));
  }
  if (body.contains("cvss")) {
    FW_ASSIGN_OR_RETURN(change.cvss_vectors, GetStringArray(body, "cvss"));
  }
  if (body.contains("terms")) {
    FW_ASSIGN_OR_RETURN(change.terms, GetString(body, "terms"));
  }
  FW_ASSIGN_OR_RETURN(change.public_at, PublicDate(body));
  if (body.contains("summary")) {
    FW_ASSIGN_OR_RETURN(change.summary, GetString(body, "summary"));
  }
  if (body.contains("draft")) {
    FW_ASSIGN_OR_RETURN(change.draft, GetBool(body, "draft"));
  }
  return change;
}

Result<advisory::ArtifactInput> ArtifactInputFromJson(const json& body) {
  FW_TRY(
      CheckKnownFields(body, {"kind", "title", "media_type", "sensitivity", "filename", "content",
                              "content_base64", "alternative_of", "replaces", "summary", "draft"}));
  advisory::ArtifactInput input;
  if (!body.contains("kind")) return Fail(ErrorCode::kInvalidArgument, "field 'kind' is required");
  FW_ASSIGN_OR_RETURN(auto kind, GetString(body, "kind"));
  FW_ASSIGN_OR_RETURN(input.kind, ParseArtifactKind(kind));
  if (body.contains("title")) {
    FW_ASSIGN_OR_RETURN(input.title, GetString(body, "title"));
  }
  if (body.contains("media_type")) {
    FW_ASSIGN_OR_RETURN(input.media_type, GetString(body, "media_type"));
  }
  if (body.contains("sensitivity")) {
    FW_ASSIGN_OR_RETURN(auto text, GetString(body, "sensitivity"));
    FW_ASSIGN_OR_RETURN(input.sensitivity, ParseSensitivity(text));
  }
  if (body.contains("filename")) {
    FW_ASSIGN_OR_RETURN(input.filename, GetString(body, "filename"));
  }
  if (body.contains("content") == body.contains("content_base64")) {
    return Fail(ErrorCode::kInvalidArgument,
                "exactly one of 'content' (text) or 'content_base64' is required");
  }
  if (body.contains("content")) {
    FW_ASSIGN_OR_RETURN(input.content, GetString(body, "content"));
  } else {
    FW_ASSIGN_OR_RETURN(auto encoded, GetString(body, "content_base64"));
    auto decoded = crypto::FromBase64(encoded);
    if (!decoded) {
      return Fail(ErrorCode::kInvalidArgument, "field 'content_base64' is not valid base64");
    }
    input.content = std::move(*decoded);
  }
  if (body.contains("alternative_of")) {
    FW_ASSIGN_OR_RETURN(input.alternative_of, GetString(body, "alternative_of"));
  }
  if (body.contains("replaces")) {
    FW_ASSIGN_OR_RETURN(input.replaces, GetString(body, "replaces"));
  }
  if (body.contains("summary")) {
    FW_ASSIGN_OR_RETURN(input.summary, GetString(body, "summary"));
  }
  if (body.contains("draft")) {
    FW_ASSIGN_OR_RETURN(input.draft, GetBool(body, "draft"));
  }
  return input;
}

// --- operator views ---

json OptionalTimeJson(const std::optional<TimePoint>& t) {
  return t ? json(FormatTime(*t)) : json(nullptr);
}

json ContentJson(const AdvisoryContent& c) {
  return {{"title", c.title},
          {"description", c.description},
          {"cves", c.cves},
          {"products", delivery::ProductsJson(c.products)},
          {"cvss", delivery::CvssJson(c.cvss_vectors)},
          {"terms", c.terms}};
}

json ArtifactJson(const Artifact& a) {
  return {{"id", a.id},
          {"advisory", a.advisory_id},
          {"revision", a.revision},
          {"kind", ToString(a.kind)},
          {"title", a.title},
          {"media_type", a.media_type},
          {"sensitivity", ToString(a.sensitivity)},
          {"filename", a.filename},
          {"sha256", a.content_sha256},
          {"size", a.size},
          {"alternative_of", a.alternative_of.empty() ? json(nullptr) : json(a.alternative_of)},
          {"replaces", a.replaces.empty() ? json(nullptr) : json(a.replaces)},
          {"created_by", a.created_by},
          {"created_at", FormatTime(a.created_at)}};
}

json RecordJson(const advisory::AdvisoryRecord& record) {
  const Advisory& a = record.advisory;
  const Revision& latest = record.revisions.back();
  json out = ContentJson(latest.content);
  out["id"] = a.id;
  out["status"] = ToString(record.status);
  out["public_at"] = FormatTime(a.public_at);
  out["latest_revision"] = a.latest_revision;
  out["created_by"] = a.created_by;
  out["created_at"] = FormatTime(a.created_at);
  out["updated_at"] = FormatTime(a.updated_at);
  out["withdrawn_at"] = OptionalTimeJson(a.withdrawn_at);
  if (a.withdrawn_at) out["withdrawn_reason"] = a.withdrawn_reason;
  json revisions = json::array();
  for (const auto& r : record.revisions) {
    revisions.push_back({{"revision", r.number},
                         {"state", ToString(r.state)},
                         {"summary", r.summary},
                         {"release_at", OptionalTimeJson(r.release_at)},
                         {"terms_sha256", r.terms_sha256},
                         {"artifacts", r.artifact_ids},
                         {"title", r.content.title},
                         {"created_by", r.created_by},
                         {"created_at", FormatTime(r.created_at)}});
  }
  out["revisions"] = revisions;
  json schedule = json::array();
  for (const auto& r : record.releases) {
    json row = {{"kind", ToString(r.kind)},
                {"tier", r.tier},
                {"at", FormatTime(r.at)},
                {"explicit", r.explicit_time},
                {"recorded_at", OptionalTimeJson(r.recorded_at)}};
    if (r.kind == ReleaseKind::kWave) row["revision"] = r.revision;
    schedule.push_back(row);
  }
  out["schedule"] = schedule;
  json artifacts = json::array();
  for (const auto& art : record.artifacts) artifacts.push_back(ArtifactJson(art));
  out["artifacts"] = artifacts;
  return out;
}

Response Delivery(delivery::Delivered d) {
  Response response;
  response.status = 200;
  response.content_type = std::move(d.media_type);
  response.body = std::move(d.body);
  response.headers.emplace_back("ETag", "\"sha256:" + d.content_sha256 + "\"");
  response.headers.emplace_back("Cache-Control", "no-store");
  if (d.ledger_index) {
    response.headers.emplace_back("X-Forewarn-Ledger-Index", std::to_string(*d.ledger_index));
  }
  return response;
}

// Offers the body as a download named `filename` (quotes, backslashes and control characters
// replaced, so the header stays one well-formed line).
void AddAttachment(Response& response, std::string_view filename) {
  if (filename.empty()) return;
  std::string safe(filename);
  for (char& c : safe) {
    if (c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '_';
  }
  response.headers.emplace_back("Content-Disposition",
                                fmt::format("attachment; filename=\"{}\"", safe));
}

// --- handlers ---

class AdvisoryHandlers {
 public:
  AdvisoryHandlers(advisory::AdvisoryService& advisories, delivery::PullService& pull)
      : advisories_(advisories), pull_(pull) {}

  Result<Response> List(Call& call) {
    if (call.principal.IsPartner()) {
      FW_TRY(CheckKnownQuery(call.query, {"cve"}));
      std::optional<std::string> cve;
      if (auto it = call.query.find("cve"); it != call.query.end()) cve = it->second;
      FW_ASSIGN_OR_RETURN(auto delivered, pull_.ListAdvisories(call.principal, cve));
      return Delivery(std::move(delivered));
    }
    FW_TRY(CheckKnownQuery(call.query, {"cve", "status"}));
    store::AdvisoryFilter filter;
    if (auto it = call.query.find("cve"); it != call.query.end()) filter.cve = it->second;
    std::optional<AdvisoryStatus> status;
    if (auto it = call.query.find("status"); it != call.query.end()) {
      FW_ASSIGN_OR_RETURN(status, ParseAdvisoryStatus(it->second));
    }
    FW_ASSIGN_OR_RETURN(auto records, advisories_.List(call.principal, filter));
    json items = json::array();
    for (const auto& r : records) {
      if (status && r.status != *status) continue;
      items.push_back(RecordJson(r));
    }
    const size_t count = items.size();
    return JsonResponse(200, {{"advisories", items}, {"count", count}});
  }

  Result<Response> Create(Call& call) {
    FW_TRY(Authorize(call.principal, Action::kAdvisoryWrite));
    FW_ASSIGN_OR_RETURN(auto body, ParseObject(call.request.body));
    FW_ASSIGN_OR_RETURN(auto input, AdvisoryInputFromJson(body));
    FW_ASSIGN_OR_RETURN(auto record, advisories_.Create(call.principal, input));
    Response response = JsonResponse(201, RecordJson(record));
    response.headers.emplace_back("Location", "/api/v1/advisories/" + record.advisory.id);
    return response;
  }

  Result<Response> Get(Call& call) {
    const std::string& id = call.path_params["id"];
    if (call.principal.IsPartner()) {
      FW_ASSIGN_OR_RETURN(auto delivered, pull_.GetAdvisory(call.principal, id));
      return Delivery(std::move(delivered));
    }
    FW_ASSIGN_OR_RETURN(auto record, advisories_.Get(call.principal, id));
    return JsonResponse(200, RecordJson(record));
  }

  Result<Response> Update(Call& call) {
    FW_TRY(Authorize(call.principal, Action::kAdvisoryWrite));
    FW_ASSIGN_OR_RETURN(auto body, ParseObject(call.request.body));
    FW_ASSIGN_OR_RETURN(auto change, AdvisoryChangeFromJson(body));
    FW_ASSIGN_OR_RETURN(auto record,
                        advisories_.Update(call.principal, call.path_params["id"], change));
    return JsonResponse(200, RecordJson(record));
  }

  Result<Response> Publish(Call& call) {
    FW_TRY(Authorize(call.principal, Action::kAdvisoryWrite));
    FW_ASSIGN_OR_RETURN(auto body,
                        ParseObject(call.request.body.empty() ? "{}" : call.request.body));
    FW_TRY(CheckKnownFields(body, {"release_at", "waves"}));
    FW_ASSIGN_OR_RETURN(auto schedule, ScheduleFields(body));
    FW_ASSIGN_OR_RETURN(auto record,
                        advisories_.Publish(call.principal, call.path_params["id"], schedule));
    return JsonResponse(200, RecordJson(record));
  }

  Result<Response> Revise(Call& call) {
    FW_TRY(Authorize(call.principal, Action::kAdvisoryWrite));
    FW_ASSIGN_OR_RETURN(auto body,
                        ParseObject(call.request.body.empty() ? "{}" : call.request.body));
    FW_TRY(CheckKnownFields(body, {"summary"}));
    std::string summary;
    if (body.contains("summary")) {
      FW_ASSIGN_OR_RETURN(summary, GetString(body, "summary"));
    }
    FW_ASSIGN_OR_RETURN(auto record,
                        advisories_.Revise(call.principal, call.path_params["id"], summary));
    return JsonResponse(200, RecordJson(record));
  }

  Result<Response> Withdraw(Call& call) {
    FW_TRY(Authorize(call.principal, Action::kAdvisoryWrite));
    FW_ASSIGN_OR_RETURN(auto body, ParseObject(call.request.body));
    FW_TRY(CheckKnownFields(body, {"reason"}));
    if (!body.contains("reason")) {
      return Fail(ErrorCode::kInvalidArgument, "field 'reason' (a string) is required");
    }
    FW_ASSIGN_OR_RETURN(auto reason, GetString(body, "reason"));
    FW_ASSIGN_OR_RETURN(auto record,
                        advisories_.Withdraw(call.principal, call.path_params["id"], reason));
    return JsonResponse(200, RecordJson(record));
  }

  Result<Response> AcceptTerms(Call& call) {
    FW_TRY(Authorize(call.principal, Action::kPartnerView));
    FW_ASSIGN_OR_RETURN(auto body, ParseObject(call.request.body));
    FW_TRY(CheckKnownFields(body, {"terms_sha256"}));
    if (!body.contains("terms_sha256")) {
      return Fail(ErrorCode::kInvalidArgument,
                  "field 'terms_sha256' (hex SHA-256 of the terms shown) is required");
    }
    FW_ASSIGN_OR_RETURN(auto hash, GetString(body, "terms_sha256"));
    FW_ASSIGN_OR_RETURN(auto acceptance,
                        pull_.AcceptTerms(call.principal, call.path_params["id"], hash));
    return JsonResponse(200, {{"advisory", acceptance.advisory_id},
                              {"revision", acceptance.revision},
                              {"terms_sha256", acceptance.terms_sha256},
                              {"accepted_at", FormatTime(acceptance.accepted_at)}});
  }

  Result<Response> ListArtifacts(Call& call) {
    FW_ASSIGN_OR_RETURN(auto record, advisories_.Get(call.principal, call.path_params["id"]));
    json items = json::array();
    for (const auto& a : record.artifacts) items.push_back(ArtifactJson(a));
    return JsonResponse(200, {{"artifacts", items}});
  }

  Result<Response> AddArtifact(Call& call) {
    FW_TRY(Authorize(call.principal, Action::kAdvisoryWrite));
    FW_ASSIGN_OR_RETURN(auto body, ParseObject(call.request.body));
    FW_ASSIGN_OR_RETURN(auto input, ArtifactInputFromJson(body));
    FW_ASSIGN_OR_RETURN(auto artifact,
                        advisories_.AddArtifact(call.principal, call.path_params["id"], input));
    Response response = JsonResponse(201, ArtifactJson(artifact));
    response.headers.emplace_back("Location", fmt::format("/api/v1/advisories/{}/artifacts/{}",
                                                          artifact.advisory_id, artifact.id));
    return response;
  }

  Result<Response> ArtifactContent(Call& call) {
    const std::string& advisory_id = call.path_params["id"];
    const std::string& artifact_id = call.path_params["artifact"];
    if (call.principal.IsPartner()) {
      FW_ASSIGN_OR_RETURN(auto delivered,
                          pull_.FetchArtifact(call.principal, advisory_id, artifact_id));
      const std::string filename = delivered.filename;
      Response response = Delivery(std::move(delivered));
      AddAttachment(response, filename);
      return response;
    }
    FW_ASSIGN_OR_RETURN(auto found,
                        advisories_.ArtifactContent(call.principal, advisory_id, artifact_id));
    delivery::Delivered d;
    d.body = std::move(found.second);
    d.media_type = found.first.media_type;
    d.content_sha256 = found.first.content_sha256;
    return Delivery(std::move(d));
  }

  Result<Response> Package(Call& call) {
    FW_TRY(CheckKnownQuery(call.query, {}));
    FW_ASSIGN_OR_RETURN(auto delivered, pull_.Package(call.principal, call.path_params["id"]));
    const std::string filename = delivered.filename;
    Response response = Delivery(std::move(delivered));
    response.content_type = "application/json";
    AddAttachment(response, filename);
    return response;
  }

  Result<Response> Feed(Call& call) {
    FW_TRY(Authorize(call.principal, Action::kPartnerView));
    FW_TRY(CheckKnownQuery(call.query, {"cursor", "limit"}));
    FW_ASSIGN_OR_RETURN(uint64_t limit,
                        QueryNumber(call.query, "limit", delivery::kDefaultFeedLimit));
    const std::string cursor = call.query.count("cursor") > 0 ? call.query["cursor"] : "";
    FW_ASSIGN_OR_RETURN(auto delivered, pull_.Feed(call.principal, cursor, limit));
    return Delivery(std::move(delivered));
  }

 private:
  advisory::AdvisoryService& advisories_;
  delivery::PullService& pull_;
};

}  // namespace

std::vector<RouteSpec> AdvisoryRoutes(advisory::AdvisoryService& advisories,
                                      delivery::PullService& pull) {
  const auto bind = HandlerBinder(std::make_shared<AdvisoryHandlers>(advisories, pull));
  const std::string operators = "admin, analyst, investigator, auditor";
  const std::string writers = "admin, analyst";
  using H = AdvisoryHandlers;
  return {
      {"GET", "/api/v1/feed", Access::kAuthenticated, bind(&H::Feed),
       "What became available to the calling partner since ?cursor= (limit 1..1000, default "
       "100): releases, public dates, withdrawals",
       "partner"},
      {"GET", "/api/v1/advisories", Access::kAuthenticated, bind(&H::List),
       "Advisories; filters: cve, status (operators). Partners see only released ones",
       operators + "; partner (own view)"},
      {"POST", "/api/v1/advisories", Access::kAuthenticated, bind(&H::Create),
       "Create an advisory: title, cves, products, cvss, terms, public_date; published unless "
       "draft (optional release_at, waves {tier: time})",
       writers},
      {"GET", "/api/v1/advisories/{id}", Access::kAuthenticated, bind(&H::Get),
       "One advisory: operators get every revision and the schedule; a partner gets the "
       "revision released to it (content after accepting the terms)",
       operators + "; partner (own view)"},
      {"PATCH", "/api/v1/advisories/{id}", Access::kAuthenticated, bind(&H::Update),
       "Change content or public_date; starts a new revision if the current one was released",
       writers},
      {"POST", "/api/v1/advisories/{id}/publish", Access::kAuthenticated, bind(&H::Publish),
       "Publish the draft revision (optional release_at, waves {tier: time})", writers},
      {"POST", "/api/v1/advisories/{id}/revise", Access::kAuthenticated, bind(&H::Revise),
       "Start a new draft revision (body: {\"summary\"})", writers},
      {"POST", "/api/v1/advisories/{id}/withdraw", Access::kAuthenticated, bind(&H::Withdraw),
       "Withdraw the advisory (body: {\"reason\"})", writers},
      {"POST", "/api/v1/advisories/{id}/terms", Access::kAuthenticated, bind(&H::AcceptTerms),
       "Accept the embargo terms shown (body: {\"terms_sha256\"})", "partner"},
      {"GET", "/api/v1/advisories/{id}/artifacts", Access::kAuthenticated, bind(&H::ListArtifacts),
       "Every artifact of the advisory with its hash and size", operators},
      {"POST", "/api/v1/advisories/{id}/artifacts", Access::kAuthenticated, bind(&H::AddArtifact),
       "Add an artifact: kind, content or content_base64, filename, media_type, sensitivity, "
       "alternative_of, replaces",
       writers},
      {"GET", "/api/v1/advisories/{id}/artifacts/{artifact}/content", Access::kAuthenticated,
       bind(&H::ArtifactContent),
       "Download an artifact. Partners get their delivered form after accepting the terms; "
       "every download is on the ledger",
       "admin, analyst, investigator; partner (own view)"},
      {"GET", "/api/v1/advisories/{id}/package", Access::kAuthenticated, bind(&H::Package),
       "The calling partner's package of the advisory: its view and artifacts, signed by the "
       "program (sealed to its X25519 key if registered); on the ledger as package.fetched",
       "partner"},
  };
}

}  // namespace forewarn::http
