// PolicyService over a real program: versions, the ledger record of each, validation against
// the program's vocabulary, optimistic concurrency, cohort restriction, roles, and that a
// rejected text changes nothing.
#include "policy/service.h"

#include <gtest/gtest.h>

#include "crypto/crypto.h"
#include "tests/testing/harness.h"

namespace forewarn::policy {
namespace {

using testing::Harness;

constexpr std::string_view kRestrictive =
    "permit advisory;\n"
    "permit artifact;\n"
    "forbid artifact when artifact.kind == \"poc\" and partner.country == \"XX\";\n";

class PolicyServiceTest : public ::testing::Test {
 protected:
  Principal Operator(Role role) {
    auto token = h.OperatorToken(role);
    return h.registry->Authenticate(token).value();
  }

  size_t Versions() { return h.policies->History(h.admin).value().size(); }

  Harness h;
};

TEST_F(PolicyServiceTest, ANewProgramRunsTheBuiltInDefault) {
  auto active = h.policies->Current(h.admin).value();
  EXPECT_EQ(active->version.version, 0);
  EXPECT_EQ(active->version.text, DefaultPolicyText());
  EXPECT_EQ(active->version.sha256, crypto::Hex(crypto::Sha256(DefaultPolicyText())));
  EXPECT_EQ(Versions(), 0u);
  EXPECT_EQ(h.policies->Get(h.admin, 0).value().text, DefaultPolicyText());
  EXPECT_EQ(h.policies->Get(h.admin, 1).error().code, ErrorCode::kNotFound);
}

TEST_F(PolicyServiceTest, ApplyRecordsEachVersionWithHashAndAuthor) {
  const uint64_t before = h.LedgerSize();
  h.clock.Advance(std::chrono::hours{1});
  auto applied = h.policies->Apply(h.admin, std::string(kRestrictive), "no PoC to XX", 0);
  ASSERT_TRUE(applied.has_value()) << applied.error().message;
  EXPECT_EQ(applied->version, 1);
  EXPECT_EQ(applied->author, h.admin.Actor());
  EXPECT_EQ(applied->applied_at, h.clock.Now());
  const std::string sha = crypto::Hex(crypto::Sha256(kRestrictive));
  EXPECT_EQ(applied->sha256, sha);
  EXPECT_EQ(h.LedgerSize(), before + 1);
  auto events = h.LedgerEvents("policy.applied");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["details"]["version"], 1);
  EXPECT_EQ(events[0]["details"]["previous"], 0);
  EXPECT_EQ(events[0]["details"]["sha256"], sha);
  EXPECT_EQ(events[0]["details"]["comment"], "no PoC to XX");
  EXPECT_EQ(events[0]["details"]["rules"], 3);
  EXPECT_EQ(events[0]["actor"], h.admin.Actor());
  EXPECT_EQ(events[0]["payload_sha256"], sha);

  auto current = h.policies->Current(h.admin).value();
  EXPECT_EQ(current->version.version, 1);
  EXPECT_EQ(current->policy->rules().size(), 3u);

  auto second = h.policies->Apply(h.admin, "permit advisory;\n", "", std::nullopt).value();
  EXPECT_EQ(second.version, 2);
  auto history = h.policies->History(h.admin).value();
  ASSERT_EQ(history.size(), 2u);
  EXPECT_EQ(history[0].text, kRestrictive);
  EXPECT_EQ(history[1].text, "permit advisory;\n");
  EXPECT_EQ(h.policies->Get(h.admin, 1).value().comment, "no PoC to XX");
}

TEST_F(PolicyServiceTest, ABadTextChangesNothingAndNamesLineAndColumn) {
  const uint64_t before = h.LedgerSize();
  auto applied = h.policies->Apply(
      h.admin, "permit advisory;\npermit artifact when partner.teir == \"early\";\n", "",
      std::nullopt);
  ASSERT_FALSE(applied.has_value());
  EXPECT_EQ(applied.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(applied.error().message.find("line 2, column 22"), std::string::npos)
      << applied.error().message;
  EXPECT_NE(applied.error().message.find("partner.tier"), std::string::npos);
  EXPECT_EQ(h.LedgerSize(), before);
  EXPECT_EQ(Versions(), 0u);
  EXPECT_EQ(h.policies->Current(h.admin).value()->version.version, 0);
}

TEST_F(PolicyServiceTest, BaseVersionGuardsAgainstLostUpdates) {
  ASSERT_TRUE(h.policies->Apply(h.admin, std::string(kRestrictive), "", 0).has_value());
  auto stale = h.policies->Apply(h.admin, "permit advisory;\n", "", 0);
  ASSERT_FALSE(stale.has_value());
  EXPECT_EQ(stale.error().code, ErrorCode::kConflict);
  EXPECT_EQ(Versions(), 1u);
  EXPECT_TRUE(h.policies->Apply(h.admin, "permit advisory;\n", "", 1).has_value());
}

TEST_F(PolicyServiceTest, ApplyingTheSameTextAddsNoVersion) {
  auto first = h.policies->Apply(h.admin, std::string(kRestrictive), "", std::nullopt).value();
  const uint64_t size = h.LedgerSize();
  auto again = h.policies->Apply(h.admin, std::string(kRestrictive), "again", std::nullopt).value();
  EXPECT_EQ(again.version, first.version);
  EXPECT_EQ(h.LedgerSize(), size);
  EXPECT_EQ(Versions(), 1u);
}

TEST_F(PolicyServiceTest, OnlyAdminsApplyAndPartnersSeeNoPolicy) {
  const auto partner = h.AddPartner("Contoso", "early");
  for (Role role : {Role::kAnalyst, Role::kInvestigator, Role::kAuditor}) {
    const Principal p = Operator(role);
    EXPECT_TRUE(h.policies->Current(p).has_value()) << ToString(role);
    EXPECT_TRUE(h.policies->History(p).has_value()) << ToString(role);
    EXPECT_TRUE(h.policies->Validate(p, kRestrictive).has_value()) << ToString(role);
    EXPECT_EQ(h.policies->Apply(p, std::string(kRestrictive), "", std::nullopt).error().code,
              ErrorCode::kPermissionDenied);
    EXPECT_EQ(h.policies->Restrict(p, "poc-restricted", {}, "r").error().code,
              ErrorCode::kPermissionDenied);
  }
  EXPECT_EQ(h.policies->Current(partner.principal).error().code, ErrorCode::kPermissionDenied);
  EXPECT_EQ(h.policies->History(partner.principal).error().code, ErrorCode::kPermissionDenied);
  EXPECT_EQ(h.policies->Validate(partner.principal, "").error().code, ErrorCode::kPermissionDenied);
  EXPECT_EQ(Versions(), 0u);
}

TEST_F(PolicyServiceTest, ValidateWarnsAboutNamesTheProgramDoesNotHave) {
  h.AddPartner("Contoso", "early", {"poc-restricted"});
  auto diagnostics =
      h.policies
          ->Validate(h.admin,
                     "permit advisory;\n"
                     "substitute artifact when partner.labels contains "
                     "\"poc-restricted\";\n"
                     "forbid artifact when partner.labels contains \"poc-restriced\";\n"
                     "forbid artifact when partner.tier == \"erly\";\n")
          .value();
  std::vector<std::string> warnings;
  for (const auto& d : diagnostics) {
    EXPECT_EQ(d.severity, Diagnostic::Severity::kWarning) << ToString(d);
    warnings.push_back(ToString(d));
  }
  ASSERT_EQ(warnings.size(), 2u) << ::testing::PrintToString(warnings);
  EXPECT_NE(warnings[0].find("line 3"), std::string::npos) << warnings[0];
  EXPECT_NE(warnings[0].find("poc-restriced"), std::string::npos) << warnings[0];
  EXPECT_NE(warnings[1].find("line 4"), std::string::npos) << warnings[1];
  EXPECT_NE(warnings[1].find("erly"), std::string::npos) << warnings[1];

  auto silent = h.policies->Validate(h.admin, "permit artifact;\n").value();
  ASSERT_EQ(silent.size(), 1u);
  EXPECT_NE(silent[0].message.find("no rule permits an advisory"), std::string::npos);

  auto broken = h.policies->Validate(h.admin, "permit advisory\npermit artifact;").value();
  ASSERT_FALSE(broken.empty());
  EXPECT_EQ(broken[0].severity, Diagnostic::Severity::kError);
  EXPECT_EQ(broken[0].line, 2);
}

TEST_F(PolicyServiceTest, RestrictAndUnrestrictACohortAreVersions) {
  ASSERT_TRUE(h.policies->Apply(h.admin, std::string(kRestrictive), "", std::nullopt).has_value());
  auto restricted = h.policies->Restrict(h.admin, "poc-restricted", {}, "leak under review");
  ASSERT_TRUE(restricted.has_value()) << restricted.error().message;
  EXPECT_EQ(restricted->version, 2);
  EXPECT_EQ(restricted->comment, "leak under review");
  EXPECT_EQ(restricted->text.substr(0, kRestrictive.size()), kRestrictive);
  EXPECT_NE(restricted->text.find("rule \"restrict-poc-restricted\" substitute artifact when "
                                  "partner.labels contains \"poc-restricted\" and "
                                  "artifact.kind in [\"poc\"];"),
            std::string::npos)
      << restricted->text;
  EXPECT_EQ(h.policies->Restrict(h.admin, "poc-restricted", {}, "again").error().code,
            ErrorCode::kConflict);
  EXPECT_EQ(h.policies->Restrict(h.admin, "Bad Label", {}, "x").error().code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(h.policies->Restrict(h.admin, "gov", {}, "").error().code, ErrorCode::kInvalidArgument);
  auto both = h.policies->Restrict(h.admin, "gov-reporting",
                                   {ArtifactKind::kTechnicalDescription, ArtifactKind::kPoc},
                                   "reporting law");
  ASSERT_TRUE(both.has_value()) << both.error().message;
  EXPECT_NE(both->text.find("artifact.kind in [\"technical-description\", \"poc\"]"),
            std::string::npos)
      << both->text;

  auto lifted = h.policies->Unrestrict(h.admin, "poc-restricted", "review closed");
  ASSERT_TRUE(lifted.has_value()) << lifted.error().message;
  EXPECT_EQ(lifted->text.find("restrict-poc-restricted"), std::string::npos) << lifted->text;
  EXPECT_NE(lifted->text.find("restrict-gov-reporting"), std::string::npos);
  EXPECT_EQ(lifted->text.substr(0, kRestrictive.size()), kRestrictive);
  EXPECT_EQ(h.policies->Unrestrict(h.admin, "poc-restricted", "again").error().code,
            ErrorCode::kNotFound);
  EXPECT_EQ(h.LedgerEvents("policy.applied").size(), 4u);

  // Any valid label works, including characters an unquoted rule name could not hold.
  auto regional = h.policies->Restrict(h.admin, "region:eu.west", {}, "regional law");
  ASSERT_TRUE(regional.has_value()) << regional.error().message;
  EXPECT_TRUE(h.policies->Unrestrict(h.admin, "region:eu.west", "lifted").has_value());
}

TEST_F(PolicyServiceTest, ADamagedVersionSettingFailsClosed) {
  ASSERT_TRUE(h.policies->Apply(h.admin, std::string(kRestrictive), "", std::nullopt).has_value());
  for (const char* damaged : {"", "x", "0", "-1", "1x"}) {
    {
      auto tx = h.store->Begin(store::TxMode::kWrite).value();
      ASSERT_TRUE(tx->PutSetting(std::string(kPolicyVersionSetting), damaged).has_value());
      ASSERT_TRUE(tx->Commit().has_value());
    }
    auto tx = h.store->Begin(store::TxMode::kRead).value();
    auto current = h.policies->Current(*tx);
    ASSERT_FALSE(current.has_value()) << damaged;
    EXPECT_EQ(current.error().code, ErrorCode::kInternal);
  }
}

TEST_F(PolicyServiceTest, AMissingVersionSettingWithVersionsStoredFailsClosed) {
  Harness fresh(7);
  {
    auto tx = fresh.store->Begin(store::TxMode::kWrite).value();
    ASSERT_TRUE(
        tx->InsertPolicyVersion({1, "permit advisory;\n", "h", "x", "", TimePoint{}}).has_value());
    ASSERT_TRUE(tx->Commit().has_value());
  }
  auto tx = fresh.store->Begin(store::TxMode::kRead).value();
  auto current = fresh.policies->Current(*tx);
  ASSERT_FALSE(current.has_value());
  EXPECT_EQ(current.error().code, ErrorCode::kInternal);
}

}  // namespace
}  // namespace forewarn::policy
