#include "http/json_codec.h"

#include <fmt/format.h>

#include "core/time.h"
#include "crypto/crypto.h"

namespace forewarn::http {
namespace {

tl::unexpected<Error> BadField(std::string_view field, std::string_view expected) {
  return Fail(ErrorCode::kInvalidArgument, fmt::format("field '{}' must be {}", field, expected));
}

// {"version": "...", "accepted_at": "ISO 8601"} (accepted_at defaults to now) or null.
Result<std::optional<Agreement>> GetAgreement(const json& object, const std::string& key,
                                              TimePoint now) {
  const auto& value = object.at(key);
  if (value.is_null()) return std::optional<Agreement>();
  if (!value.is_object()) return BadField(key, "an object {version, accepted_at} or null");
  for (const auto& [k, v] : value.items()) {
    if (k != "version" && k != "accepted_at") {
      return Fail(ErrorCode::kInvalidArgument, fmt::format("unknown field '{}.{}'", key, k));
    }
  }
  if (!value.contains("version") || !value["version"].is_string()) {
    return BadField(key + ".version", "a string");
  }
  Agreement agreement{value["version"].get<std::string>(), now};
  if (value.contains("accepted_at")) {
    if (!value["accepted_at"].is_string()) return BadField(key + ".accepted_at", "a time string");
    auto t = ParseTime(value["accepted_at"].get<std::string>());
    if (!t) return BadField(key + ".accepted_at", "an ISO 8601 time");
    agreement.accepted_at = *t;
  }
  return std::optional<Agreement>(agreement);
}

Result<std::vector<Contact>> GetContacts(const json& object) {
  const auto& value = object.at("contacts");
  if (!value.is_array()) return BadField("contacts", "an array of {name, email, role}");
  std::vector<Contact> contacts;
  for (const auto& item : value) {
    if (!item.is_object()) return BadField("contacts", "an array of {name, email, role}");
    Contact c;
    for (const auto& [k, v] : item.items()) {
      if (!v.is_string()) return BadField("contacts." + k, "a string");
      if (k == "name") {
        c.name = v.get<std::string>();
      } else if (k == "email") {
        c.email = v.get<std::string>();
      } else if (k == "role") {
        c.role = v.get<std::string>();
      } else {
        return Fail(ErrorCode::kInvalidArgument, fmt::format("unknown field 'contacts.{}'", k));
      }
    }
    contacts.push_back(std::move(c));
  }
  return contacts;
}

json AgreementJson(const std::optional<Agreement>& agreement) {
  if (!agreement) return nullptr;
  return {{"version", agreement->version}, {"accepted_at", FormatTime(agreement->accepted_at)}};
}

}  // namespace

Result<std::string> GetString(const json& object, const std::string& key) {
  const auto& value = object.at(key);
  if (!value.is_string()) return BadField(key, "a string");
  return value.get<std::string>();
}

Result<std::vector<std::string>> GetStringArray(const json& object, const std::string& key) {
  const auto& value = object.at(key);
  if (!value.is_array()) return BadField(key, "an array of strings");
  std::vector<std::string> out;
  for (const auto& item : value) {
    if (!item.is_string()) return BadField(key, "an array of strings");
    out.push_back(item.get<std::string>());
  }
  return out;
}

Result<TimePoint> GetTime(const json& object, const std::string& key) {
  FW_ASSIGN_OR_RETURN(auto text, GetString(object, key));
  auto t = ParseTime(text);
  if (!t) {
    return Fail(ErrorCode::kInvalidArgument, fmt::format("field '{}': {}", key, t.error().message));
  }
  return *t;
}

Result<bool> GetBool(const json& object, const std::string& key) {
  const auto& value = object.at(key);
  if (!value.is_boolean()) return BadField(key, "true or false");
  return value.get<bool>();
}

Result<json> ParseObject(std::string_view body) {
  json parsed = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) {
    return Fail(ErrorCode::kInvalidArgument, "request body is not valid JSON");
  }
  if (!parsed.is_object()) {
    return Fail(ErrorCode::kInvalidArgument, "request body must be a JSON object");
  }
  return parsed;
}

Status CheckKnownFields(const json& object, const std::set<std::string>& allowed) {
  for (const auto& [key, value] : object.items()) {
    if (allowed.count(key) == 0) {
      return Fail(ErrorCode::kInvalidArgument,
                  fmt::format("unknown field '{}'", key.substr(0, 64)));
    }
  }
  return Ok();
}

json ToJson(const Partner& p) {
  json contacts = json::array();
  for (const auto& c : p.contacts) {
    contacts.push_back({{"name", c.name}, {"email", c.email}, {"role", c.role}});
  }
  return {{"id", p.id},
          {"name", p.name},
          {"country", p.country},
          {"tier", p.tier},
          {"labels", p.labels},
          {"status", ToString(p.status)},
          {"contract", AgreementJson(p.contract)},
          {"nda", AgreementJson(p.nda)},
          {"contacts", contacts},
          {"x25519_public_key", p.x25519_public_key},
          {"ed25519_public_key", p.ed25519_public_key},
          {"webhook_url", p.webhook_url},
          {"created_at", FormatTime(p.created_at)},
          {"updated_at", FormatTime(p.updated_at)}};
}

json ToJson(const StatusChange& c) {
  return {{"partner", c.partner_id}, {"from", ToString(c.from)}, {"to", ToString(c.to)},
          {"reason", c.reason},      {"actor", c.actor},         {"at", FormatTime(c.at)}};
}

json ToJson(const TokenRecord& t, TimePoint now) {
  std::string state = "active";
  if (t.revoked_at) {
    state = "revoked";
  } else if (t.expires_at && now >= *t.expires_at) {
    state = "expired";
  }
  return {{"id", t.id},
          {"role", ToString(t.role)},
          {"partner", t.partner_id.empty() ? json(nullptr) : json(t.partner_id)},
          {"name", t.name},
          {"created_by", t.created_by},
          {"created_at", FormatTime(t.created_at)},
          {"expires_at", t.expires_at ? json(FormatTime(*t.expires_at)) : json(nullptr)},
          {"revoked_at", t.revoked_at ? json(FormatTime(*t.revoked_at)) : json(nullptr)},
          {"state", state}};
}

json ToJson(const Tier& tier) {
  return {{"name", tier.name},
          {"lead_time_seconds", tier.lead_time.count()},
          {"description", tier.description}};
}

json ToJson(const store::TreeHead& head) {
  return {{"tree_size", head.tree_size},
          {"root_hash", crypto::Hex(head.root_hash)},
          {"timestamp", FormatTime(head.timestamp)},
          {"signature", crypto::Base64(head.signature)}};
}

Result<registry::PartnerFields> PartnerFieldsFromJson(const json& object, bool creating,
                                                      TimePoint now) {
  std::set<std::string> allowed = {"name",       "country",           "tier",
                                   "labels",     "contract",          "nda",
                                   "contacts",   "x25519_public_key", "ed25519_public_key",
                                   "webhook_url"};
  if (creating) allowed.insert("status");
  FW_TRY(CheckKnownFields(object, allowed));
  registry::PartnerFields f;
  for (const char* key : {"name", "country", "tier", "x25519_public_key", "ed25519_public_key",
                          "webhook_url", "status"}) {
    if (!object.contains(key)) continue;
    FW_ASSIGN_OR_RETURN(auto value, GetString(object, key));
    const std::string_view k = key;
    if (k == "name") f.name = value;
    if (k == "country") f.country = value;
    if (k == "tier") f.tier = value;
    if (k == "x25519_public_key") f.x25519_public_key = value;
    if (k == "ed25519_public_key") f.ed25519_public_key = value;
    if (k == "webhook_url") f.webhook_url = value;
    if (k == "status") {
      FW_ASSIGN_OR_RETURN(auto status, ParsePartnerStatus(value));
      f.status = status;
    }
  }
  if (object.contains("labels")) {
    FW_ASSIGN_OR_RETURN(auto labels, GetStringArray(object, "labels"));
    f.labels = std::move(labels);
  }
  if (object.contains("contract")) {
    FW_ASSIGN_OR_RETURN(auto contract, GetAgreement(object, "contract", now));
    f.contract = contract;
  }
  if (object.contains("nda")) {
    FW_ASSIGN_OR_RETURN(auto nda, GetAgreement(object, "nda", now));
    f.nda = nda;
  }
  if (object.contains("contacts")) {
    FW_ASSIGN_OR_RETURN(auto contacts, GetContacts(object));
    f.contacts = std::move(contacts);
  }
  if (creating) {
    for (const char* required : {"name", "country", "tier"}) {
      if (!object.contains(required)) {
        return Fail(ErrorCode::kInvalidArgument, fmt::format("field '{}' is required", required));
      }
    }
  }
  return f;
}

Result<registry::TokenRequest> TokenRequestFromJson(const json& object) {
  FW_TRY(CheckKnownFields(object, {"role", "partner", "name", "expires_in"}));
  registry::TokenRequest request;
  if (object.contains("partner")) {
    FW_ASSIGN_OR_RETURN(request.partner_id, GetString(object, "partner"));
  }
  if (object.contains("role")) {
    FW_ASSIGN_OR_RETURN(auto role, GetString(object, "role"));
    FW_ASSIGN_OR_RETURN(request.role, ParseRole(role));
  } else if (request.partner_id.empty()) {
    return Fail(ErrorCode::kInvalidArgument, "give 'partner' for a partner token or 'role'");
  }
  if (request.role == Role::kPartner && request.partner_id.empty()) {
    return Fail(ErrorCode::kInvalidArgument, "a partner token needs field 'partner'");
  }
  if (object.contains("name")) {
    FW_ASSIGN_OR_RETURN(request.name, GetString(object, "name"));
  }
  if (object.contains("expires_in")) {
    FW_ASSIGN_OR_RETURN(auto text, GetString(object, "expires_in"));
    FW_ASSIGN_OR_RETURN(auto lifetime, ParseDuration(text));
    request.expires_in = lifetime;
  }
  return request;
}

Result<Tier> TierFromJson(const std::string& name, const json& object) {
  FW_TRY(CheckKnownFields(object, {"lead_time", "lead_time_seconds", "description"}));
  Tier tier;
  tier.name = name;
  if (object.contains("lead_time")) {
    FW_ASSIGN_OR_RETURN(auto text, GetString(object, "lead_time"));
    FW_ASSIGN_OR_RETURN(tier.lead_time, ParseDuration(text));
  } else if (object.contains("lead_time_seconds")) {
    if (!object["lead_time_seconds"].is_number_integer()) {
      return BadField("lead_time_seconds", "an integer");
    }
    tier.lead_time = std::chrono::seconds{object["lead_time_seconds"].get<int64_t>()};
  } else {
    return Fail(ErrorCode::kInvalidArgument, "field 'lead_time' (e.g. \"5d\") is required");
  }
  if (object.contains("description")) {
    FW_ASSIGN_OR_RETURN(tier.description, GetString(object, "description"));
  }
  return tier;
}

}  // namespace forewarn::http
