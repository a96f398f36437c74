#include "core/partner.h"

#include <gtest/gtest.h>

#include "core/auth.h"
#include "core/tier.h"

namespace forewarn {
namespace {

Partner ValidPartner() {
  Partner p;
  p.id = "prt_0000000000000001";
  p.name = "Contoso CERT";
  p.country = "de";
  p.tier = "early";
  p.labels = {"poc-restricted", "gov-reporting", "poc-restricted"};
  return p;
}

TEST(PartnerTest, ValidationNormalizesCountryAndLabels) {
  Partner p = ValidPartner();
  ASSERT_TRUE(ValidatePartner(p).has_value());
  EXPECT_EQ(p.country, "DE");
  EXPECT_EQ(p.labels, (std::vector<std::string>{"gov-reporting", "poc-restricted"}));
}

TEST(PartnerTest, ValidationNamesTheBadField) {
  struct Case {
    void (*mutate)(Partner&);
    const char* field;
  };
  const Case cases[] = {
      {[](Partner& p) { p.name.clear(); }, "name"},
      {[](Partner& p) { p.name = std::string(201, 'x'); }, "name"},
      {[](Partner& p) { p.name = "bad\nname"; }, "name"},
      {[](Partner& p) { p.country = "DEU"; }, "country"},
      {[](Partner& p) { p.country = "1A"; }, "country"},
      {[](Partner& p) { p.labels = {"Has Space"}; }, "label"},
      {[](Partner& p) {
         p.contacts = {{"A", "not-an-email", ""}};
       },
       "email"},
      {[](Partner& p) { p.x25519_public_key = "abc"; }, "x25519"},
      {[](Partner& p) { p.webhook_url = "ftp://example.org/hook"; }, "webhook_url"},
      {[](Partner& p) {
         p.contract = Agreement{"", {}};
       },
       "contract"},
  };
  for (const auto& c : cases) {
    Partner p = ValidPartner();
    c.mutate(p);
    auto status = ValidatePartner(p);
    ASSERT_FALSE(status.has_value()) << c.field;
    EXPECT_EQ(status.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(status.error().message.find(c.field), std::string::npos) << status.error().message;
  }
}

TEST(PartnerTest, LifecycleAllowsOnlyDesignedTransitions) {
  using S = PartnerStatus;
  const S all[] = {S::kApplicant, S::kActive, S::kSuspended, S::kRemoved};
  int allowed = 0;
  for (S from : all) {
    for (S to : all) {
      if (CheckTransition(from, to).has_value()) ++allowed;
    }
  }
  EXPECT_EQ(allowed, 6);
  EXPECT_TRUE(CheckTransition(S::kActive, S::kSuspended).has_value());
  EXPECT_TRUE(CheckTransition(S::kSuspended, S::kActive).has_value());
  EXPECT_TRUE(CheckTransition(S::kSuspended, S::kRemoved).has_value());
  EXPECT_FALSE(CheckTransition(S::kRemoved, S::kActive).has_value());
  EXPECT_FALSE(CheckTransition(S::kActive, S::kActive).has_value());
  EXPECT_EQ(CheckTransition(S::kRemoved, S::kActive).error().code, ErrorCode::kFailedPrecondition);
}

TEST(PartnerTest, StatusAndRoleNamesRoundTrip) {
  for (auto s : {PartnerStatus::kApplicant, PartnerStatus::kActive, PartnerStatus::kSuspended,
                 PartnerStatus::kRemoved}) {
    EXPECT_EQ(ParsePartnerStatus(ToString(s)).value(), s);
  }
  for (auto r :
       {Role::kAdmin, Role::kAnalyst, Role::kInvestigator, Role::kAuditor, Role::kPartner}) {
    EXPECT_EQ(ParseRole(ToString(r)).value(), r);
  }
  EXPECT_FALSE(ParseRole("root").has_value());
}

TEST(TierTest, DefaultsMatchTheDesign) {
  auto tiers = DefaultTiers();
  ASSERT_EQ(tiers.size(), 2u);
  EXPECT_EQ(tiers[0].name, "early");
  EXPECT_EQ(tiers[0].lead_time, std::chrono::hours{120});
  EXPECT_EQ(tiers[1].name, "standard");
  EXPECT_EQ(tiers[1].lead_time, std::chrono::hours{24});
  EXPECT_FALSE(ValidateTier(Tier{"Early!", std::chrono::hours{1}, ""}).has_value());
}

}  // namespace
}  // namespace forewarn
