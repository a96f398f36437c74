// The policy and alert endpoints, for operators: the policy in force and its versions,
// validation, apply, cohort restriction, explain and impact preview; alerts about unusual
// partner activity and their acknowledgement.
#include <fmt/format.h>

#include <charconv>
#include <limits>

#include "core/time.h"
#include "http/api_internal.h"
#include "http/json_codec.h"

namespace forewarn::http {
namespace {

using nlohmann::json;

json VersionJson(const PolicyVersion& v, bool with_text) {
  json out = {{"version", v.version},
              {"sha256", v.sha256},
              {"author", v.author},
              {"comment", v.comment},
              {"applied_at", v.version == 0 ? json(nullptr) : json(FormatTime(v.applied_at))}};
  if (with_text) out["text"] = v.text;
  return out;
}

json RulesJson(const policy::Policy& policy) {
  json rules = json::array();
  for (const auto& rule : policy.rules()) {
    rules.push_back({{"name", rule.name},
                     {"effect", policy::ToString(rule.effect)},
                     {"resource", policy::ToString(rule.resource)},
                     {"line", rule.line},
                     {"text", rule.text}});
  }
  return rules;
}

json DiagnosticJson(const policy::Diagnostic& d) {
  return {{"severity", d.severity == policy::Diagnostic::Severity::kError ? "error" : "warning"},
          {"line", d.line},
          {"column", d.column},
          {"message", d.message}};
}

json AlertJson(const Alert& a) {
  json evidence = json::parse(a.evidence, nullptr, false);
  if (evidence.is_discarded()) evidence = a.evidence;
  return {{"id", a.id},
          {"partner", a.partner_id},
          {"kind", ToString(a.kind)},
          {"state", ToString(a.state)},
          {"summary", a.summary},
          {"evidence", evidence},
          {"raised_at", FormatTime(a.raised_at)},
          {"updated_at", FormatTime(a.updated_at)},
          {"acknowledged_by", a.acknowledged_by.empty() ? json(nullptr) : json(a.acknowledged_by)},
          {"acknowledged_at", a.acknowledged_at ? json(FormatTime(*a.acknowledged_at)) : json()},
          {"note", a.note}};
}

Result<std::string> RequiredString(const json& body, const std::string& key,
                                   std::string_view what) {
  if (!body.contains(key)) {
    return Fail(ErrorCode::kInvalidArgument, fmt::format("field '{}' ({}) is required", key, what));
  }
  return GetString(body, key);
}

Result<std::optional<TimePoint>> OptionalTime(const json& body, const std::string& key) {
  if (!body.contains(key)) return std::optional<TimePoint>();
  FW_ASSIGN_OR_RETURN(auto t, GetTime(body, key));
  return std::optional<TimePoint>(t);
}

class PolicyHandlers {
 public:
  PolicyHandlers(policy::PolicyService& policies, delivery::PolicyInsight& insight)
      : policies_(policies), insight_(insight) {}

  Result<Response> Show(Call& call) {
    FW_TRY(CheckKnownQuery(call.query, {}));
    FW_ASSIGN_OR_RETURN(auto active, policies_.Current(call.principal));
    json body = VersionJson(active->version, true);
    body["rules"] = RulesJson(*active->policy);
    return JsonResponse(200, body);
  }

  Result<Response> Apply(Call& call) {
    FW_ASSIGN_OR_RETURN(auto body, ParseObject(call.request.body));
    FW_TRY(CheckKnownFields(body, {"text", "comment", "base_version"}));
    FW_ASSIGN_OR_RETURN(auto text, RequiredString(body, "text", "the policy source"));
    std::string comment;
    if (body.contains("comment")) {
      FW_ASSIGN_OR_RETURN(comment, GetString(body, "comment"));
    }
    std::optional<int> base;
    if (body.contains("base_version")) {
      const auto& value = body["base_version"];
      if (!value.is_number_integer() || value.get<int64_t>() < 0 ||
          value.get<int64_t>() > std::numeric_limits<int>::max()) {
        return Fail(ErrorCode::kInvalidArgument,
                    "field 'base_version' must be a non-negative integer (a policy version)");
      }
      base = static_cast<int>(value.get<int64_t>());
    }
    FW_ASSIGN_OR_RETURN(auto version,
                        policies_.Apply(call.principal, std::move(text), std::move(comment), base));
    return JsonResponse(200, VersionJson(version, false));
  }

  Result<Response> Validate(Call& call) {
    FW_ASSIGN_OR_RETURN(auto body, ParseObject(call.request.body));
    FW_TRY(CheckKnownFields(body, {"text"}));
    FW_ASSIGN_OR_RETURN(auto text, RequiredString(body, "text", "the policy source"));
    FW_ASSIGN_OR_RETURN(auto diagnostics, policies_.Validate(call.principal, text));
    json items = json::array();
    bool valid = true;
    for (const auto& d : diagnostics) {
      valid = valid && d.severity != policy::Diagnostic::Severity::kError;
      items.push_back(DiagnosticJson(d));
    }
    return JsonResponse(200, {{"valid", valid}, {"diagnostics", items}});
  }

  Result<Response> Versions(Call& call) {
    FW_TRY(CheckKnownQuery(call.query, {}));
    FW_ASSIGN_OR_RETURN(auto versions, policies_.History(call.principal));
    json items = json::array();
    for (const auto& v : versions) items.push_back(VersionJson(v, false));
    return JsonResponse(200, {{"versions", items}});
  }

  Result<Response> Version(Call& call) {
    const std::string& text = call.path_params["version"];
    int version = -1;
    const auto parsed = std::from_chars(text.data(), text.data() + text.size(), version);
    if (parsed.ec != std::errc{} || parsed.ptr != text.data() + text.size() || version < 0) {
      return Fail(ErrorCode::kNotFound,
                  fmt::format("policy version {} not found", text.substr(0, 32)));
    }
    FW_ASSIGN_OR_RETURN(auto found, policies_.Get(call.principal, version));
    return JsonResponse(200, VersionJson(found, true));
  }

  Result<Response> Restrict(Call& call) {
    FW_ASSIGN_OR_RETURN(auto body, ParseObject(call.request.body));
    FW_TRY(CheckKnownFields(body, {"label", "kinds", "reason"}));
    FW_ASSIGN_OR_RETURN(auto label, RequiredString(body, "label", "the cohort's label"));
    FW_ASSIGN_OR_RETURN(auto reason, RequiredString(body, "reason", "why"));
    std::vector<ArtifactKind> kinds;
    if (body.contains("kinds")) {
      FW_ASSIGN_OR_RETURN(auto names, GetStringArray(body, "kinds"));
      for (const auto& name : names) {
        FW_ASSIGN_OR_RETURN(auto kind, ParseArtifactKind(name));
        kinds.push_back(kind);
      }
    }
    FW_ASSIGN_OR_RETURN(auto version, policies_.Restrict(call.principal, label, std::move(kinds),
                                                         std::move(reason)));
    return JsonResponse(200, VersionJson(version, false));
  }

  Result<Response> Unrestrict(Call& call) {
    FW_ASSIGN_OR_RETURN(auto body, ParseObject(call.request.body));
    FW_TRY(CheckKnownFields(body, {"label", "reason"}));
    FW_ASSIGN_OR_RETURN(auto label, RequiredString(body, "label", "the cohort's label"));
    FW_ASSIGN_OR_RETURN(auto reason, RequiredString(body, "reason", "why"));
    FW_ASSIGN_OR_RETURN(auto version,
                        policies_.Unrestrict(call.principal, label, std::move(reason)));
    return JsonResponse(200, VersionJson(version, false));
  }

  Result<Response> Explain(Call& call) {
    FW_ASSIGN_OR_RETURN(auto body, ParseObject(call.request.body));
    FW_TRY(CheckKnownFields(body, {"partner", "advisory", "artifact", "at", "text"}));
    delivery::ExplainRequest request;
    FW_ASSIGN_OR_RETURN(request.partner_id, RequiredString(body, "partner", "a partner id"));
    FW_ASSIGN_OR_RETURN(request.advisory_id, RequiredString(body, "advisory", "an advisory id"));
    if (body.contains("artifact")) {
      FW_ASSIGN_OR_RETURN(request.artifact_id, GetString(body, "artifact"));
    }
    FW_ASSIGN_OR_RETURN(request.at, OptionalTime(body, "at"));
    if (body.contains("text")) {
      FW_ASSIGN_OR_RETURN(auto text, GetString(body, "text"));
      request.text = std::move(text);
    }
    FW_ASSIGN_OR_RETURN(auto explained, insight_.Explain(call.principal, request));
    return JsonResponse(200, explained);
  }

  Result<Response> Preview(Call& call) {
    FW_ASSIGN_OR_RETURN(auto body, ParseObject(call.request.body));
    FW_TRY(CheckKnownFields(body, {"text", "at"}));
    FW_ASSIGN_OR_RETURN(auto text, RequiredString(body, "text", "the candidate policy source"));
    FW_ASSIGN_OR_RETURN(auto at, OptionalTime(body, "at"));
    FW_ASSIGN_OR_RETURN(auto impact, insight_.PreviewImpact(call.principal, text, at));
    return JsonResponse(200, impact);
  }

 private:
  policy::PolicyService& policies_;
  delivery::PolicyInsight& insight_;
};

class AlertHandlers {
 public:
  explicit AlertHandlers(monitor::ActivityMonitor& monitor) : monitor_(monitor) {}

  Result<Response> List(Call& call) {
    FW_TRY(CheckKnownQuery(call.query, {"state", "partner", "limit"}));
    store::AlertFilter filter;
    if (auto it = call.query.find("state"); it != call.query.end()) {
      FW_ASSIGN_OR_RETURN(filter.state, ParseAlertState(it->second));
    }
    if (auto it = call.query.find("partner"); it != call.query.end()) {
      filter.partner_id = it->second;
    }
    FW_ASSIGN_OR_RETURN(auto limit, QueryNumber(call.query, "limit", 100));
    if (limit == 0 || limit > 1000) {
      return Fail(ErrorCode::kInvalidArgument, "limit must be between 1 and 1000");
    }
    filter.limit = limit;
    FW_ASSIGN_OR_RETURN(auto alerts, monitor_.List(call.principal, filter));
    json items = json::array();
    for (const auto& a : alerts) items.push_back(AlertJson(a));
    return JsonResponse(200, {{"alerts", items}, {"count", items.size()}});
  }

  Result<Response> Get(Call& call) {
    FW_ASSIGN_OR_RETURN(auto alert, monitor_.Get(call.principal, call.path_params["id"]));
    return JsonResponse(200, AlertJson(alert));
  }

  Result<Response> Acknowledge(Call& call) {
    FW_ASSIGN_OR_RETURN(auto body, ParseObject(call.request.body));
    FW_TRY(CheckKnownFields(body, {"note"}));
    FW_ASSIGN_OR_RETURN(auto note, RequiredString(body, "note", "what was done about it"));
    FW_ASSIGN_OR_RETURN(auto alert,
                        monitor_.Acknowledge(call.principal, call.path_params["id"], note));
    return JsonResponse(200, AlertJson(alert));
  }

 private:
  monitor::ActivityMonitor& monitor_;
};

}  // namespace

std::vector<RouteSpec> PolicyRoutes(policy::PolicyService& policies,
                                    delivery::PolicyInsight& insight) {
  const auto bind = HandlerBinder(std::make_shared<PolicyHandlers>(policies, insight));
  const std::string readers = "admin, analyst, investigator, auditor";
  using H = PolicyHandlers;
  return {
      {"GET", "/api/v1/policy", Access::kAuthenticated, bind(&H::Show),
       "The policy in force: version, text, SHA-256, author, comment and its rules", readers},
      {"PUT", "/api/v1/policy", Access::kAuthenticated, bind(&H::Apply),
       "Apply a new policy version (body: text, comment, base_version); 400 lists every error "
       "with line and column; 409 if base_version is not current",
       "admin"},
      {"POST", "/api/v1/policy/validate", Access::kAuthenticated, bind(&H::Validate),
       "Errors and warnings for a policy text (body: text), checked against the program's "
       "tiers, labels, partners and advisories",
       readers},
      {"GET", "/api/v1/policy/versions", Access::kAuthenticated, bind(&H::Versions),
       "Every applied version, oldest first (without text)", readers},
      {"GET", "/api/v1/policy/versions/{version}", Access::kAuthenticated, bind(&H::Version),
       "One version with its text (0: the built-in default)", readers},
      {"POST", "/api/v1/policy/restrict", Access::kAuthenticated, bind(&H::Restrict),
       "Restrict the partners carrying a label (body: label, kinds (default [poc]), reason): "
       "they receive an artifact's alternative form or nothing; applied as a new version",
       "admin"},
      {"POST", "/api/v1/policy/unrestrict", Access::kAuthenticated, bind(&H::Unrestrict),
       "Lift a label's restriction (body: label, reason); applied as a new version", "admin"},
      {"POST", "/api/v1/policy/explain", Access::kAuthenticated, bind(&H::Explain),
       "Why a partner can or cannot see an advisory and receive each artifact (body: partner, "
       "advisory, artifact, at, text for a candidate policy)",
       readers},
      {"POST", "/api/v1/policy/preview", Access::kAuthenticated, bind(&H::Preview),
       "Which partners would gain or lose which advisories, artifacts or forms under a candidate "
       "policy (body: text, at)",
       readers},
  };
}

std::vector<RouteSpec> AlertRoutes(monitor::ActivityMonitor& monitor) {
  const auto bind = HandlerBinder(std::make_shared<AlertHandlers>(monitor));
  using H = AlertHandlers;
  return {
      {"GET", "/api/v1/alerts", Access::kAuthenticated, bind(&H::List),
       "Alerts about unusual partner activity, newest first (state, partner, limit)",
       "admin, investigator, auditor"},
      {"GET", "/api/v1/alerts/{id}", Access::kAuthenticated, bind(&H::Get),
       "One alert with its evidence", "admin, investigator, auditor"},
      {"POST", "/api/v1/alerts/{id}/acknowledge", Access::kAuthenticated, bind(&H::Acknowledge),
       "Acknowledge an alert (body: note); recorded on the ledger", "admin, investigator"},
  };
}

}  // namespace forewarn::http
