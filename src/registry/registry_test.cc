#include "registry/registry.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <map>
#include <set>

#include "core/time.h"
#include "tests/testing/testing.h"

namespace forewarn::registry {
namespace {

class RegistryTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { ASSERT_TRUE(crypto::Initialize().has_value()); }

  RegistryTest()
      : random_(11),
        keys_(crypto::GenerateProgramKeys(random_)),
        store_(store::OpenSqlite(dir_.path() / "db").value()),
        ledger_(keys_.signing, clock_),
        registry_(*store_, ledger_, clock_, random_, keys_.program_secret) {
    auto issued = registry_.InitializeProgram("Test program");
    EXPECT_TRUE(issued.has_value());
    admin_token_ = issued->token;
    admin_ = registry_.Authenticate(admin_token_).value();
  }

  PartnerFields Fields(std::string name, std::string tier = "early") {
    PartnerFields f;
    f.name = std::move(name);
    f.country = "NL";
    f.tier = std::move(tier);
    return f;
  }

  Principal Operator(Role role) {
    auto issued = registry_.CreateToken(admin_, {.role = role, .name = "op"}).value();
    return registry_.Authenticate(issued.token).value();
  }

  uint64_t LedgerSize() {
    return store_->Begin(store::TxMode::kRead).value()->LedgerSize().value();
  }

  testing::TempDir dir_;
  testing::FakeClock clock_;
  testing::SeededRandom random_;
  crypto::ProgramKeys keys_;
  std::unique_ptr<store::Store> store_;
  ledger::Ledger ledger_;
  Registry registry_;
  std::string admin_token_;
  Principal admin_;
};

TEST_F(RegistryTest, InitializeTwiceIsRefused) {
  auto again = registry_.InitializeProgram("Again");
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(admin_.role, Role::kAdmin);
}

TEST_F(RegistryTest, TokensAreStoredOnlyAsKeyedHashes) {
  auto [id, secret] = ParseTokenText(admin_token_).value();
  auto record = store_->Begin(store::TxMode::kRead).value()->FindToken(id).value();
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(record->secret_hash.size(), 32u);
  EXPECT_EQ(record->secret_hash.find(secret), std::string::npos);
  EXPECT_NE(record->secret_hash, crypto::Sha256(secret));
}

TEST_F(RegistryTest, AuthenticationRejectsEveryKindOfBadToken) {
  std::string tampered = admin_token_;
  tampered.back() = tampered.back() == 'A' ? 'B' : 'A';
  for (const std::string& bad :
       {std::string(""), std::string("Bearer "), std::string("fwt_nothex"), tampered,
        std::string("fwt_0000000000000000_") + std::string(43, 'A'), admin_token_ + "x"}) {
    auto principal = registry_.Authenticate(bad);
    ASSERT_FALSE(principal.has_value()) << bad;
    EXPECT_EQ(principal.error().code, ErrorCode::kUnauthenticated);
  }
  EXPECT_TRUE(registry_.Authenticate("Bearer " + admin_token_).has_value());
}

TEST_F(RegistryTest, TokensExpireByTheInjectedClock) {
  auto partner = registry_.AddPartner(admin_, Fields("Contoso")).value();
  auto issued = registry_
                    .CreateToken(admin_, {.role = Role::kPartner,
                                          .partner_id = partner.id,
                                          .expires_in = std::chrono::hours{1}})
                    .value();
  clock_.Advance(std::chrono::minutes{59});
  EXPECT_TRUE(registry_.Authenticate(issued.token).has_value());
  clock_.Advance(std::chrono::minutes{1});
  auto expired = registry_.Authenticate(issued.token);
  ASSERT_FALSE(expired.has_value());
  EXPECT_EQ(expired.error().code, ErrorCode::kUnauthenticated);
}

TEST_F(RegistryTest, SuspensionRevokesTokensAtOnceAndReinstatementDoesNotRestoreThem) {
  auto partner = registry_.AddPartner(admin_, Fields("Contoso")).value();
  auto issued =
      registry_.CreateToken(admin_, {.role = Role::kPartner, .partner_id = partner.id}).value();
  ASSERT_TRUE(registry_.Authenticate(issued.token).has_value());
  ASSERT_TRUE(
      registry_.ChangeStatus(admin_, partner.id, PartnerStatus::kSuspended, "leak").has_value());
  EXPECT_EQ(registry_.Authenticate(issued.token).error().code, ErrorCode::kUnauthenticated);
  // No new tokens while suspended.
  EXPECT_EQ(registry_.CreateToken(admin_, {.role = Role::kPartner, .partner_id = partner.id})
                .error()
                .code,
            ErrorCode::kFailedPrecondition);
  ASSERT_TRUE(
      registry_.ChangeStatus(admin_, partner.id, PartnerStatus::kActive, "cleared").has_value());
  EXPECT_FALSE(registry_.Authenticate(issued.token).has_value());
  auto history = registry_.StatusHistory(admin_, partner.id).value();
  ASSERT_EQ(history.size(), 2u);
  EXPECT_EQ(history[0].reason, "leak");
  EXPECT_EQ(history[0].actor, admin_.Actor());
}

TEST_F(RegistryTest, ApplicantTokensWorkOnlyOnceActivated) {
  PartnerFields fields = Fields("Applicant");
  fields.status = PartnerStatus::kApplicant;
  auto partner = registry_.AddPartner(admin_, fields).value();
  auto issued =
      registry_.CreateToken(admin_, {.role = Role::kPartner, .partner_id = partner.id}).value();
  EXPECT_EQ(registry_.Authenticate(issued.token).error().code, ErrorCode::kUnauthenticated);
  // The expected starting state is checked in the same transaction as the change.
  EXPECT_EQ(registry_
                .ChangeStatus(admin_, partner.id, PartnerStatus::kActive, "vetted",
                              PartnerStatus::kSuspended)
                .error()
                .code,
            ErrorCode::kFailedPrecondition);
  ASSERT_TRUE(registry_
                  .ChangeStatus(admin_, partner.id, PartnerStatus::kActive, "vetted",
                                PartnerStatus::kApplicant)
                  .has_value());
  EXPECT_TRUE(registry_.Authenticate(issued.token).has_value());
}

TEST_F(RegistryTest, IllegalTransitionsAndMissingReasonsChangeNothing) {
  auto partner = registry_.AddPartner(admin_, Fields("Contoso")).value();
  const uint64_t before = LedgerSize();
  EXPECT_EQ(registry_.ChangeStatus(admin_, partner.id, PartnerStatus::kSuspended, "").error().code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(
      registry_.ChangeStatus(admin_, partner.id, PartnerStatus::kActive, "again").error().code,
      ErrorCode::kFailedPrecondition);
  ASSERT_TRUE(
      registry_.ChangeStatus(admin_, partner.id, PartnerStatus::kRemoved, "contract").has_value());
  EXPECT_EQ(registry_.ChangeStatus(admin_, partner.id, PartnerStatus::kActive, "oops").error().code,
            ErrorCode::kFailedPrecondition);
  EXPECT_EQ(registry_.UpdatePartner(admin_, partner.id, Fields("New name")).error().code,
            ErrorCode::kFailedPrecondition);
  EXPECT_EQ(LedgerSize(), before + 1);  // only the removal was recorded
  // A removed partner keeps its record and history.
  EXPECT_EQ(registry_.GetPartner(admin_, partner.id).value().status, PartnerStatus::kRemoved);
}

TEST_F(RegistryTest, BadInputIsRejectedWithTheFieldNamedAndNothingWritten) {
  const uint64_t before = LedgerSize();
  auto unknown_tier = registry_.AddPartner(admin_, Fields("Contoso", "platinum"));
  ASSERT_FALSE(unknown_tier.has_value());
  EXPECT_EQ(unknown_tier.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(unknown_tier.error().message.find("platinum"), std::string::npos);
  PartnerFields no_name = Fields("");
  EXPECT_EQ(registry_.AddPartner(admin_, no_name).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(LedgerSize(), before);
  EXPECT_TRUE(registry_.ListPartners(admin_, {}).value().empty());
}

TEST_F(RegistryTest, EveryChangeIsOnTheLedger) {
  const uint64_t before = LedgerSize();
  auto partner = registry_.AddPartner(admin_, Fields("Contoso")).value();
  PartnerFields update;
  update.labels = std::vector<std::string>{"poc-restricted"};
  ASSERT_TRUE(registry_.UpdatePartner(admin_, partner.id, update).has_value());
  auto token =
      registry_.CreateToken(admin_, {.role = Role::kPartner, .partner_id = partner.id}).value();
  ASSERT_TRUE(registry_.RevokeToken(admin_, token.record.id).has_value());
  ASSERT_TRUE(registry_.PutTier(admin_, {"gov", std::chrono::hours{48}, ""}).has_value());
  EXPECT_EQ(LedgerSize(), before + 5);
  auto leaves =
      store_->Begin(store::TxMode::kRead).value()->ListLedgerLeaves(before, before + 5).value();
  std::vector<std::string> types;
  for (const auto& leaf : leaves) {
    auto event = nlohmann::json::parse(leaf.data);
    types.push_back(event["type"]);
    EXPECT_EQ(leaf.data.find(token.token.substr(21)), std::string::npos);  // no secret
  }
  EXPECT_EQ(types, (std::vector<std::string>{"partner.created", "partner.updated", "token.created",
                                             "token.revoked", "tier.updated"}));
}

TEST_F(RegistryTest, PartnerSeesOnlyItselfAndNoOperatorFunction) {
  auto a = registry_.AddPartner(admin_, Fields("A")).value();
  auto b = registry_.AddPartner(admin_, Fields("B")).value();
  auto token = registry_.CreateToken(admin_, {.role = Role::kPartner, .partner_id = a.id}).value();
  Principal partner = registry_.Authenticate(token.token).value();
  EXPECT_EQ(registry_.GetPartner(partner, a.id).value().name, "A");
  auto other = registry_.GetPartner(partner, b.id);
  auto missing = registry_.GetPartner(partner, "prt_doesnotexist00");
  ASSERT_FALSE(other.has_value());
  // Another partner's id looks exactly like an id that does not exist.
  EXPECT_EQ(other.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(other.error().message, fmt::format("partner {} not found", b.id));
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(registry_.ListPartners(partner, {}).error().code, ErrorCode::kPermissionDenied);
  EXPECT_EQ(registry_.AddPartner(partner, Fields("C")).error().code, ErrorCode::kPermissionDenied);
  EXPECT_EQ(registry_.CreateToken(partner, {.role = Role::kAdmin}).error().code,
            ErrorCode::kPermissionDenied);
  EXPECT_EQ(registry_.StatusHistory(partner, a.id).error().code, ErrorCode::kPermissionDenied);
}

// The reference model of who may do what, written as the README's role table. The property
// test below drives the real Registry and checks each outcome against it.
enum class Op {
  kAdd,
  kList,
  kGetOwn,
  kGetOther,
  kUpdate,
  kSuspend,
  kHistory,
  kToken,
  kListTokens,
  kTiers,
  kPutTier
};

bool ReferenceAllows(Role role, Op op) {
  static const std::map<Role, std::set<Op>> table = {
      {Role::kAdmin,
       {Op::kAdd, Op::kList, Op::kGetOwn, Op::kGetOther, Op::kUpdate, Op::kSuspend, Op::kHistory,
        Op::kToken, Op::kListTokens, Op::kTiers, Op::kPutTier}},
      {Role::kAnalyst, {Op::kList, Op::kGetOwn, Op::kGetOther, Op::kTiers}},
      {Role::kInvestigator, {Op::kList, Op::kGetOwn, Op::kGetOther, Op::kHistory, Op::kTiers}},
      {Role::kAuditor,
       {Op::kList, Op::kGetOwn, Op::kGetOther, Op::kHistory, Op::kListTokens, Op::kTiers}},
      {Role::kPartner, {Op::kGetOwn, Op::kTiers}},
  };
  return table.at(role).count(op) > 0;
}

TEST_F(RegistryTest, AuthorizationMatchesTheReferenceModel) {
  // The same cases every run unless RC_PARAMS is set.
  ASSERT_EQ(::setenv("RC_PARAMS", "seed=20261123", /*overwrite=*/0), 0);
  auto own = registry_.AddPartner(admin_, Fields("Own")).value();
  auto other = registry_.AddPartner(admin_, Fields("Other")).value();
  std::map<Role, Principal> principals;
  for (Role role : {Role::kAnalyst, Role::kInvestigator, Role::kAuditor}) {
    principals[role] = Operator(role);
  }
  principals[Role::kAdmin] = admin_;
  auto partner_token =
      registry_.CreateToken(admin_, {.role = Role::kPartner, .partner_id = own.id}).value();
  principals[Role::kPartner] = registry_.Authenticate(partner_token.token).value();

  const bool held =
      rc::check("each operation is allowed exactly when the reference table says so", [&] {
        const Role role = *rc::gen::element(Role::kAdmin, Role::kAnalyst, Role::kInvestigator,
                                            Role::kAuditor, Role::kPartner);
        const Op op = *rc::gen::element(Op::kAdd, Op::kList, Op::kGetOwn, Op::kGetOther,
                                        Op::kUpdate, Op::kSuspend, Op::kHistory, Op::kToken,
                                        Op::kListTokens, Op::kTiers, Op::kPutTier);
        const Principal& p = principals.at(role);
        // For operators "own" has no meaning; both ids are just partners.
        Status outcome = [&]() -> Status {
          switch (op) {
            case Op::kAdd: {
              auto r = registry_.AddPartner(p, Fields("New"));
              if (!r) return Forward(r);
              return Ok();
            }
            case Op::kList: {
              auto r = registry_.ListPartners(p, {});
              if (!r) return Forward(r);
              return Ok();
            }
            case Op::kGetOwn: {
              auto r = registry_.GetPartner(p, own.id);
              if (!r) return Forward(r);
              return Ok();
            }
            case Op::kGetOther: {
              auto r = registry_.GetPartner(p, other.id);
              if (!r) return Forward(r);
              return Ok();
            }
            case Op::kUpdate: {
              PartnerFields f;
              f.name = "Renamed";
              auto r = registry_.UpdatePartner(p, other.id, f);
              if (!r) return Forward(r);
              return Ok();
            }
            case Op::kSuspend: {
              auto r = registry_.ChangeStatus(p, other.id, PartnerStatus::kSuspended, "test");
              if (!r) return Forward(r);
              // Put it back so later draws start from the same state.
              auto back = registry_.ChangeStatus(admin_, other.id, PartnerStatus::kActive, "undo");
              if (!back) return Forward(back);
              return Ok();
            }
            case Op::kHistory: {
              auto r = registry_.StatusHistory(p, own.id);
              if (!r) return Forward(r);
              return Ok();
            }
            case Op::kToken: {
              auto r = registry_.CreateToken(p, {.role = Role::kAuditor});
              if (!r) return Forward(r);
              return Ok();
            }
            case Op::kListTokens: {
              auto r = registry_.ListTokens(p, std::nullopt);
              if (!r) return Forward(r);
              return Ok();
            }
            case Op::kTiers: {
              auto r = registry_.ListTiers(p);
              if (!r) return Forward(r);
              return Ok();
            }
            case Op::kPutTier: {
              auto r = registry_.PutTier(p, {"early", std::chrono::hours{120}, ""});
              if (!r) return Forward(r);
              return Ok();
            }
          }
          return Ok();
        }();
        const bool allowed = ReferenceAllows(role, op);
        RC_ASSERT(outcome.has_value() == allowed);
        if (!allowed) {
          RC_ASSERT(outcome.error().code == ErrorCode::kPermissionDenied ||
                    outcome.error().code == ErrorCode::kNotFound);
        }
      });
  EXPECT_TRUE(held) << "a property failed; see the counterexample above";
}

}  // namespace
}  // namespace forewarn::registry
