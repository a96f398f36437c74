// JSON <-> domain conversions for the API, with strict parsing: unknown fields and wrong
// types are kInvalidArgument errors naming the field. Internal to http/.
#pragma once

#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "core/auth.h"
#include "core/partner.h"
#include "core/result.h"
#include "core/tier.h"
#include "registry/registry.h"
#include "store/store.h"

namespace forewarn::http {

using nlohmann::json;

// Parses a request body as a JSON object. kInvalidArgument for malformed JSON or non-objects.
[[nodiscard]] Result<json> ParseObject(std::string_view body);

// kInvalidArgument naming the first key of `object` not in `allowed`.
[[nodiscard]] Status CheckKnownFields(const json& object, const std::set<std::string>& allowed);

// Field readers: kInvalidArgument naming the field if `object[key]` (which must exist) has the
// wrong type or, for times, is not ISO 8601.
[[nodiscard]] Result<std::string> GetString(const json& object, const std::string& key);
[[nodiscard]] Result<std::vector<std::string>> GetStringArray(const json& object,
                                                              const std::string& key);
[[nodiscard]] Result<TimePoint> GetTime(const json& object, const std::string& key);
[[nodiscard]] Result<bool> GetBool(const json& object, const std::string& key);

json ToJson(const Partner& partner);
json ToJson(const StatusChange& change);
json ToJson(const TokenRecord& token, TimePoint now);
json ToJson(const Tier& tier);
json ToJson(const store::TreeHead& head);

[[nodiscard]] Result<registry::PartnerFields> PartnerFieldsFromJson(const json& object,
                                                                    bool creating, TimePoint now);
[[nodiscard]] Result<registry::TokenRequest> TokenRequestFromJson(const json& object);
[[nodiscard]] Result<Tier> TierFromJson(const std::string& name, const json& object);

}  // namespace forewarn::http
