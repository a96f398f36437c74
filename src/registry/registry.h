// File: registry/registry.h
//
// The partner registry (DESIGN.md capability 1) and API credentials: partners and their
// lifecycle, operator and partner tokens, tiers, and authentication of bearer tokens. Every
// change is authorized against the caller's role and recorded on the audit ledger in the same
// store transaction as the change itself.
//
//   registry::Registry registry(store, ledger, clock, random, keys.program_secret);
//   FW_ASSIGN_OR_RETURN(Principal caller, registry.Authenticate(bearer_token));
//   FW_ASSIGN_OR_RETURN(Partner p, registry.AddPartner(caller, input));
//
// Errors: kUnauthenticated (bad token), kPermissionDenied (role may not), kNotFound (no such
// id — also for a partner asking about another partner), kInvalidArgument (bad field, named),
// kFailedPrecondition (illegal lifecycle step), kConflict, kUnavailable (store).
// Thread safety: all methods may be called concurrently.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/auth.h"
#include "core/clock.h"
#include "core/partner.h"
#include "core/result.h"
#include "core/tier.h"
#include "crypto/crypto.h"
#include "ledger/ledger.h"
#include "store/store.h"

namespace forewarn::registry {

// Fields an operator may set when creating or updating a partner. Unset optionals are left
// unchanged on update.
struct PartnerFields {
  std::optional<std::string> name;
  std::optional<std::string> country;
  std::optional<std::string> tier;
  std::optional<std::vector<std::string>> labels;
  std::optional<std::optional<Agreement>> contract;  // inner nullopt clears it
  std::optional<std::optional<Agreement>> nda;
  std::optional<std::vector<Contact>> contacts;
  std::optional<std::string> x25519_public_key;
  std::optional<std::string> ed25519_public_key;
  std::optional<std::string> webhook_url;
  std::optional<PartnerStatus> status;  // create only: kActive (default) or kApplicant
};

struct TokenRequest {
  Role role = Role::kPartner;
  std::string partner_id;  // required iff role == kPartner
  std::string name;
  std::optional<std::chrono::seconds> expires_in;  // default: 90 days for partners, none else
};

// A newly issued token: the only time its secret text exists outside the caller.
struct IssuedToken {
  TokenRecord record;
  std::string token;  // "fwt_<16 hex>_<43 base64url>"; show once, never store
};

class Registry {
 public:
  // All references must outlive the Registry. `program_secret` keys the token hashes.
  Registry(store::Store& store, const ledger::Ledger& ledger, const Clock& clock,
           crypto::Random& random, const crypto::SecretBytes& program_secret);

  // Creates tiers, settings and the first admin token of a new program. kFailedPrecondition
  // if the store already holds a program.
  [[nodiscard]] Result<IssuedToken> InitializeProgram(std::string_view program_name);

  // Resolves "Bearer <token>" text (or the bare token) to a principal: the token must exist,
  // match in constant time, be unexpired and unrevoked, and a partner token's partner must be
  // active (an applicant's token starts working when the applicant is activated). Any failure is
  // kUnauthenticated with a message that reveals nothing about other tokens.
  [[nodiscard]] Result<Principal> Authenticate(std::string_view token_text) const;

  // --- partners ---
  [[nodiscard]] Result<Partner> AddPartner(const Principal& caller, const PartnerFields& fields);
  [[nodiscard]] Result<Partner> GetPartner(const Principal& caller, const std::string& id) const;
  [[nodiscard]] Result<std::vector<Partner>> ListPartners(const Principal& caller,
                                                          const store::PartnerFilter& filter) const;
  [[nodiscard]] Result<Partner> UpdatePartner(const Principal& caller, const std::string& id,
                                              const PartnerFields& fields);
  // Moves the partner along its lifecycle; `reason` is required (1..1000 bytes). Suspension
  // and removal revoke every token of the partner in the same transaction.
  // If `expected_from` is set, the partner must currently be in that state (checked in the
  // same transaction), else kFailedPrecondition.
  [[nodiscard]] Result<Partner> ChangeStatus(const Principal& caller, const std::string& id,
                                             PartnerStatus to, const std::string& reason,
                                             std::optional<PartnerStatus> expected_from = {});
  [[nodiscard]] Result<std::vector<StatusChange>> StatusHistory(const Principal& caller,
                                                                const std::string& id) const;

  // --- tokens ---
  [[nodiscard]] Result<IssuedToken> CreateToken(const Principal& caller,
                                                const TokenRequest& request);
  [[nodiscard]] Result<std::vector<TokenRecord>> ListTokens(
      const Principal& caller, const std::optional<std::string>& partner_id) const;
  [[nodiscard]] Status RevokeToken(const Principal& caller, const std::string& token_id);

  // --- tiers ---
  [[nodiscard]] Result<std::vector<Tier>> ListTiers(const Principal& caller) const;
  [[nodiscard]] Result<Tier> PutTier(const Principal& caller, const Tier& tier);

 private:
  [[nodiscard]] Result<IssuedToken> IssueToken(store::Transaction& tx, const std::string& actor,
                                               const TokenRequest& request);
  std::string HashSecret(std::string_view secret) const;

  store::Store& store_;
  const ledger::Ledger& ledger_;
  const Clock& clock_;
  crypto::Random& random_;
  crypto::SecretBytes token_key_;
};

// Splits "fwt_<id hex>_<secret>" into ("tok_<id hex>", secret). kUnauthenticated otherwise.
[[nodiscard]] Result<std::pair<std::string, std::string>> ParseTokenText(std::string_view text);

}  // namespace forewarn::registry
