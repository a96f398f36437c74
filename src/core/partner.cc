#include "core/partner.h"

#include <fmt/format.h>

#include <algorithm>

namespace forewarn {
namespace {

bool IsBase64Of32Bytes(std::string_view text) {
  // 32 bytes encode to 44 characters of standard base64 with one '=' of padding.
  if (text.size() != 44 || text[43] != '=') return false;
  return std::all_of(text.begin(), text.end() - 1, [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '/';
  });
}

bool HasControlCharacters(std::string_view text) {
  return std::any_of(text.begin(), text.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

Status CheckText(std::string_view field, std::string_view value, size_t max, bool required) {
  if (required && value.empty()) {
    return Fail(ErrorCode::kInvalidArgument, fmt::format("{} is required", field));
  }
  if (value.size() > max) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("{} is too long ({} bytes, at most {})", field, value.size(), max));
  }
  if (HasControlCharacters(value)) {
    return Fail(ErrorCode::kInvalidArgument, fmt::format("{} contains control characters", field));
  }
  return Ok();
}

bool IsHttpUrl(std::string_view url) {
  const bool scheme_ok = url.starts_with("https://") || url.starts_with("http://");
  if (!scheme_ok) return false;
  const auto host_start = url.find("://") + 3;
  return host_start < url.size() && url[host_start] != '/' &&
         url.find_first_of(" \t\r\n\"<>\\") == std::string_view::npos;
}

}  // namespace

std::string_view ToString(PartnerStatus status) {
  switch (status) {
    case PartnerStatus::kApplicant:
      return "applicant";
    case PartnerStatus::kActive:
      return "active";
    case PartnerStatus::kSuspended:
      return "suspended";
    case PartnerStatus::kRemoved:
      return "removed";
  }
  return "removed";
}

Result<PartnerStatus> ParsePartnerStatus(std::string_view text) {
  if (text == "applicant") return PartnerStatus::kApplicant;
  if (text == "active") return PartnerStatus::kActive;
  if (text == "suspended") return PartnerStatus::kSuspended;
  if (text == "removed") return PartnerStatus::kRemoved;
  return Fail(ErrorCode::kInvalidArgument,
              fmt::format("unknown partner status '{}': expected applicant, active, suspended or "
                          "removed",
                          text.substr(0, 32)));
}

Status CheckTransition(PartnerStatus from, PartnerStatus to) {
  using S = PartnerStatus;
  const bool allowed = (from == S::kApplicant && (to == S::kActive || to == S::kRemoved)) ||
                       (from == S::kActive && (to == S::kSuspended || to == S::kRemoved)) ||
                       (from == S::kSuspended && (to == S::kActive || to == S::kRemoved));
  if (allowed) return Ok();
  return Fail(
      ErrorCode::kFailedPrecondition,
      fmt::format("partner status cannot change from {} to {}", ToString(from), ToString(to)));
}

bool IsValidLabel(std::string_view label) {
  if (label.empty() || label.size() > 64) return false;
  return std::all_of(label.begin(), label.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == ':' ||
           c == '-';
  });
}

Status ValidatePartner(Partner& partner) {
  FW_TRY(CheckText("name", partner.name, 200, true));
  std::string country = partner.country;
  std::transform(country.begin(), country.end(), country.begin(),
                 [](char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c; });
  if (country.size() != 2 || !std::isupper(static_cast<unsigned char>(country[0])) ||
      !std::isupper(static_cast<unsigned char>(country[1]))) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("country '{}' is not an ISO 3166-1 alpha-2 code such as DE",
                            partner.country.substr(0, 16)));
  }
  partner.country = country;
  FW_TRY(CheckText("tier", partner.tier, 32, true));
  if (partner.labels.size() > 64) {
    return Fail(ErrorCode::kInvalidArgument, "too many labels (at most 64)");
  }
  for (const auto& label : partner.labels) {
    if (!IsValidLabel(label)) {
      return Fail(ErrorCode::kInvalidArgument,
                  fmt::format("label '{}' must be 1-64 characters of a-z 0-9 . _ : -",
                              label.substr(0, 64)));
    }
  }
  std::sort(partner.labels.begin(), partner.labels.end());
  partner.labels.erase(std::unique(partner.labels.begin(), partner.labels.end()),
                       partner.labels.end());
  for (const auto* agreement : {&partner.contract, &partner.nda}) {
    if (agreement->has_value()) {
      FW_TRY(CheckText(agreement == &partner.contract ? "contract version" : "nda version",
                       (*agreement)->version, 64, true));
    }
  }
  if (partner.contacts.size() > 32) {
    return Fail(ErrorCode::kInvalidArgument, "too many contacts (at most 32)");
  }
  for (const auto& contact : partner.contacts) {
    FW_TRY(CheckText("contact name", contact.name, 200, false));
    FW_TRY(CheckText("contact role", contact.role, 100, false));
    FW_TRY(CheckText("contact email", contact.email, 254, true));
    const auto at = contact.email.find('@');
    if (at == std::string::npos || at == 0 || at + 1 >= contact.email.size() ||
        contact.email.find(' ') != std::string::npos) {
      return Fail(
          ErrorCode::kInvalidArgument,
          fmt::format("contact email '{}' is not an email address", contact.email.substr(0, 64)));
    }
  }
  if (!partner.x25519_public_key.empty() && !IsBase64Of32Bytes(partner.x25519_public_key)) {
    return Fail(ErrorCode::kInvalidArgument, "x25519_public_key must be base64 of 32 bytes");
  }
  if (!partner.ed25519_public_key.empty() && !IsBase64Of32Bytes(partner.ed25519_public_key)) {
    return Fail(ErrorCode::kInvalidArgument, "ed25519_public_key must be base64 of 32 bytes");
  }
  if (!partner.webhook_url.empty() &&
      (partner.webhook_url.size() > 2048 || !IsHttpUrl(partner.webhook_url))) {
    return Fail(ErrorCode::kInvalidArgument, "webhook_url must be an http:// or https:// URL");
  }
  return Ok();
}

}  // namespace forewarn
