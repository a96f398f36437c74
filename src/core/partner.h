// File: core/partner.h
//
// The partner registry's domain types (DESIGN.md capability 1): an organization that receives
// early warnings, its lifecycle, and the validation rules every entry path shares.
//
//   Partner p{.id = id, .name = "Contoso CERT", .country = "DE", .tier = "early"};
//   FW_TRY(ValidatePartner(p));
//   FW_TRY(CheckTransition(PartnerStatus::kActive, PartnerStatus::kSuspended));
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/result.h"

namespace forewarn {

// applicant -> active -> suspended -> active | removed. `removed` is final; the record and its
// history are kept.
enum class PartnerStatus { kApplicant, kActive, kSuspended, kRemoved };

std::string_view ToString(PartnerStatus status);
[[nodiscard]] Result<PartnerStatus> ParsePartnerStatus(std::string_view text);

// kFailedPrecondition naming both states when the lifecycle forbids `from -> to`.
[[nodiscard]] Status CheckTransition(PartnerStatus from, PartnerStatus to);

struct Contact {
  std::string name;
  std::string email;
  std::string role;  // free text: "security lead", "24x7 SOC"
};

// A signed agreement (contract or NDA): which version, and when it was accepted.
struct Agreement {
  std::string version;
  TimePoint accepted_at;
};

struct Partner {
  std::string id;
  std::string name;
  std::string country;              // ISO 3166-1 alpha-2, upper case
  std::string tier;                 // a tier name known to the program
  std::vector<std::string> labels;  // sorted, unique: "poc-restricted", "gov-reporting"
  PartnerStatus status = PartnerStatus::kActive;
  std::optional<Agreement> contract;
  std::optional<Agreement> nda;
  std::vector<Contact> contacts;
  std::string x25519_public_key;   // base64 of 32 bytes, or empty
  std::string ed25519_public_key;  // base64 of 32 bytes, or empty
  std::string webhook_url;         // http(s) URL, or empty
  TimePoint created_at;
  TimePoint updated_at;
};

// One recorded lifecycle change of a partner.
struct StatusChange {
  std::string partner_id;
  PartnerStatus from = PartnerStatus::kApplicant;
  PartnerStatus to = PartnerStatus::kApplicant;
  std::string reason;
  std::string actor;  // the token id (and name) that made the change
  TimePoint at;
};

// Checks every field's shape (not tier existence, which needs the store). Normalizes labels
// (sorted, deduplicated) and country (upper case) in place. kInvalidArgument names the field.
[[nodiscard]] Status ValidatePartner(Partner& partner);

// A label is 1..64 characters of [a-z0-9._:-].
bool IsValidLabel(std::string_view label);

}  // namespace forewarn
