// Unit tests of the policy language (policy/policy.h): every grammar construct and attribute,
// each type rule with its message and position, warnings, combination, and the index.
#include "policy/policy.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "core/time.h"

namespace forewarn::policy {
namespace {

using std::chrono::hours;
using std::chrono::microseconds;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

TimePoint T(std::string_view text) { return ParseTime(text).value(); }

// One partner, advisory, revision and artifact with every attribute set to a known value.
class PolicyTest : public ::testing::Test {
 protected:
  PolicyTest() {
    partner_ = Partner{.id = "prt_acme",
                       .name = "Acme \"Red\" CERT",
                       .country = "DE",
                       .tier = "early",
                       .labels = {"gov-reporting", "poc-restricted"},
                       .status = PartnerStatus::kActive,
                       .contract = Agreement{.version = "2.10"}};
    advisory_ = Advisory{.id = "adv_0001", .public_at = T("2026-08-01T00:00:00Z")};
    revision_.advisory_id = "adv_0001";
    revision_.number = 3;
    revision_.content.cves = {"CVE-2026-1234", "CVE-2026-5678"};
    revision_.content.products = {Product{.name = "Collab Server", .versions = "< 16.0"},
                                  Product{.name = "Mail Gateway"}};
    artifact_ = Artifact{.id = "art_poc",
                         .advisory_id = "adv_0001",
                         .kind = ArtifactKind::kPoc,
                         .media_type = "text/x-python",
                         .sensitivity = Sensitivity::kSensitive};
    alternative_ = Artifact{.id = "art_desc",
                            .advisory_id = "adv_0001",
                            .kind = ArtifactKind::kTechnicalDescription,
                            .media_type = "text/markdown",
                            .sensitivity = Sensitivity::kNormal,
                            .alternative_of = "art_poc"};
  }

  Facts MakeFacts(const Artifact* artifact) const {
    return Facts{.partner = &partner_,
                 .advisory = &advisory_,
                 .revision = &revision_,
                 .artifact = artifact,
                 .cvss = 9.8,
                 .severity = "critical",
                 .wave_opened_at = T("2026-07-01T00:00:00Z"),
                 .now = T("2026-07-02T12:00:00Z")};
  }
  Facts MakeFacts() const { return MakeFacts(&artifact_); }

  static std::shared_ptr<const Policy> MustCompile(std::string_view text,
                                                   CompileOptions options = {}) {
    auto policy = Policy::Compile(text, options);
    EXPECT_TRUE(policy.has_value()) << text << "\n" << policy.error().message;
    if (!policy.has_value()) return nullptr;
    return *policy;
  }

  // The decision with the index on, after checking that the linear scan agrees with it.
  static Decision DecideBoth(std::string_view text, Resource resource, const Facts& facts) {
    const auto indexed = MustCompile(text);
    const auto scanned = MustCompile(text, CompileOptions{.index = false});
    if (indexed == nullptr || scanned == nullptr) return Decision{.rule = -2};
    const Decision a = indexed->Decide(resource, facts);
    const Decision b = scanned->Decide(resource, facts);
    EXPECT_EQ(a.verdict, b.verdict) << text;
    EXPECT_EQ(a.rule, b.rule) << text;
    const Explanation explained = indexed->Explain(resource, facts);
    EXPECT_EQ(explained.verdict, a.verdict) << text;
    EXPECT_EQ(explained.matched, scanned->Explain(resource, facts).matched) << text;
    return a;
  }

  Verdict ArtifactVerdict(std::string_view text) const {
    return DecideBoth(text, Resource::kArtifact, MakeFacts()).verdict;
  }

  // True if `condition` holds for the fixture's facts (as an artifact rule).
  bool Holds(std::string_view condition) const {
    const std::string text = "permit artifact when " + std::string(condition) + ";";
    return ArtifactVerdict(text) == Verdict::kPermit;
  }

  // The error message of a text that must not compile.
  static std::string CompileError(std::string_view text) {
    auto policy = Policy::Compile(text);
    EXPECT_FALSE(policy.has_value()) << text;
    if (policy.has_value()) return "";
    EXPECT_EQ(policy.error().code, ErrorCode::kInvalidArgument);
    return policy.error().message;
  }

  Partner partner_;
  Advisory advisory_;
  Revision revision_;
  Artifact artifact_;
  Artifact alternative_;
};

// ---------------------------------------------------------------------------------------------
// Grammar.

TEST_F(PolicyTest, EmptyOrCommentOnlyPolicyDeniesEverything) {
  for (std::string_view text : {"", "   \n\t\n", "# nothing here\n# at all", "#"}) {
    const auto policy = MustCompile(text);
    ASSERT_NE(policy, nullptr);
    EXPECT_TRUE(policy->rules().empty());
    EXPECT_EQ(policy->Decide(Resource::kAdvisory, MakeFacts()).verdict, Verdict::kDeny);
    const Decision d = policy->Decide(Resource::kArtifact, MakeFacts());
    EXPECT_EQ(d.verdict, Verdict::kDeny);
    EXPECT_EQ(d.rule, -1);
    EXPECT_TRUE(policy->Explain(Resource::kArtifact, MakeFacts()).matched.empty());
    EXPECT_TRUE(Policy::Check(text).empty());
  }
}

TEST_F(PolicyTest, RuleWithoutWhenAlwaysAppliesToItsResourceOnly) {
  const Decision d = DecideBoth("permit advisory;", Resource::kAdvisory, MakeFacts());
  EXPECT_EQ(d.verdict, Verdict::kPermit);
  EXPECT_EQ(d.rule, 0);
  EXPECT_EQ(DecideBoth("permit advisory;", Resource::kArtifact, MakeFacts()).verdict,
            Verdict::kDeny);
  EXPECT_EQ(DecideBoth("permit artifact;", Resource::kAdvisory, MakeFacts()).verdict,
            Verdict::kDeny);
  EXPECT_EQ(DecideBoth("forbid artifact;", Resource::kArtifact, MakeFacts()).verdict,
            Verdict::kForbid);
  EXPECT_EQ(DecideBoth("substitute artifact;", Resource::kArtifact, MakeFacts()).verdict,
            Verdict::kSubstitute);
}

TEST_F(PolicyTest, DefaultPolicyPermitsEveryAdvisoryAndArtifact) {
  const auto policy = MustCompile(DefaultPolicyText());
  ASSERT_NE(policy, nullptr);
  ASSERT_EQ(policy->rules().size(), 2U);
  EXPECT_EQ(policy->rules()[0].text, "permit advisory;");
  EXPECT_EQ(policy->rules()[1].text, "permit artifact;");
  EXPECT_EQ(policy->Decide(Resource::kAdvisory, MakeFacts()).verdict, Verdict::kPermit);
  EXPECT_EQ(policy->Decide(Resource::kArtifact, MakeFacts()).verdict, Verdict::kPermit);
  EXPECT_EQ(policy->Decide(Resource::kArtifact, MakeFacts(&alternative_)).verdict,
            Verdict::kPermit);
  EXPECT_FALSE(policy->uses_cvss());
  EXPECT_TRUE(Policy::Check(DefaultPolicyText()).empty());
}

TEST_F(PolicyTest, RuleNamesAndDefaultNames) {
  const auto policy = MustCompile(
      "rule poc-rule.v2 forbid artifact;\n"
      "rule \"no \\\"PoC\\\" abroad\" forbid artifact when partner.country != \"DE\";\n"
      "permit advisory;  permit artifact when true;\n"
      "rule _x permit advisory;\n");
  ASSERT_NE(policy, nullptr);
  ASSERT_EQ(policy->rules().size(), 5U);
  EXPECT_EQ(policy->rules()[0].name, "poc-rule.v2");
  EXPECT_EQ(policy->rules()[1].name, "no \"PoC\" abroad");
  EXPECT_EQ(policy->rules()[2].name, "line 3");
  EXPECT_EQ(policy->rules()[3].name, "line 3");
  EXPECT_EQ(policy->rules()[4].name, "_x");
  EXPECT_EQ(policy->rules()[0].effect, Effect::kForbid);
  EXPECT_EQ(policy->rules()[0].resource, Resource::kArtifact);
  EXPECT_EQ(policy->rules()[2].effect, Effect::kPermit);
  EXPECT_EQ(policy->rules()[2].resource, Resource::kAdvisory);
  EXPECT_EQ(policy->rules()[3].column, 19);
}

TEST_F(PolicyTest, RuleInfoOffsetsSliceOutExactlyTheRuleText) {
  const std::string text =
      "# header comment\n"
      "rule   poc   # why: PoCs stay home\n"
      "  substitute artifact\n"
      "    when partner.labels contains \"poc-restricted\"   # the label\n"
      "     and artifact.kind == \"poc\"  ;   # trailing\n"
      "\tpermit artifact when partner.name == \"a  b # not a comment\";permit advisory;";
  const auto policy = MustCompile(text);
  ASSERT_NE(policy, nullptr);
  const auto& rules = policy->rules();
  ASSERT_EQ(rules.size(), 3U);
  EXPECT_EQ(policy->text(), text);

  EXPECT_EQ(text.substr(rules[0].begin, rules[0].end - rules[0].begin),
            "rule   poc   # why: PoCs stay home\n"
            "  substitute artifact\n"
            "    when partner.labels contains \"poc-restricted\"   # the label\n"
            "     and artifact.kind == \"poc\"  ;");
  EXPECT_EQ(rules[0].text,
            "rule poc substitute artifact when partner.labels contains \"poc-restricted\" and "
            "artifact.kind == \"poc\" ;");
  EXPECT_EQ(rules[0].line, 2);
  EXPECT_EQ(rules[0].column, 1);
  EXPECT_EQ(rules[0].name, "poc");
  EXPECT_EQ(rules[0].effect, Effect::kSubstitute);

  EXPECT_EQ(text.substr(rules[1].begin, rules[1].end - rules[1].begin),
            "permit artifact when partner.name == \"a  b # not a comment\";");
  EXPECT_EQ(rules[1].text, "permit artifact when partner.name == \"a  b # not a comment\";");
  EXPECT_EQ(rules[1].line, 6);
  EXPECT_EQ(rules[1].column, 2);

  EXPECT_EQ(text.substr(rules[2].begin, rules[2].end - rules[2].begin), "permit advisory;");
  EXPECT_EQ(rules[2].end, text.size());
  EXPECT_EQ(rules[2].line, 6);
}

TEST_F(PolicyTest, TrueAndFalse) {
  EXPECT_TRUE(Holds("true"));
  EXPECT_FALSE(Holds("false"));
  EXPECT_TRUE(Holds("not false"));
  EXPECT_FALSE(Holds("not not false"));
}

TEST_F(PolicyTest, PrecedenceIsNotThenAndThenOr) {
  EXPECT_TRUE(Holds("true or false and false"));     // true or (false and false)
  EXPECT_FALSE(Holds("(true or false) and false"));  // parentheses regroup
  EXPECT_FALSE(Holds("not true and false"));         // (not true) and false
  EXPECT_TRUE(Holds("not (true and false)"));
  EXPECT_TRUE(Holds("false or not false"));
  EXPECT_TRUE(Holds("false or false or true"));
  EXPECT_FALSE(Holds("true and true and false"));
  EXPECT_TRUE(Holds("((((true))))"));
  EXPECT_FALSE(Holds("not (false or true) or false and true"));
}

TEST_F(PolicyTest, CommentsRunToEndOfLineButNotInsideStrings) {
  EXPECT_EQ(ArtifactVerdict("# c\nforbid artifact # when false;\n;# end"), Verdict::kForbid);
  EXPECT_TRUE(Holds("partner.name != \"#\" # comment after a condition\n"));
  EXPECT_EQ(ArtifactVerdict("permit artifact when artifact.media_type == \"text/x-python\"#x\n;"),
            Verdict::kPermit);
}

TEST_F(PolicyTest, StringEscapes) {
  EXPECT_TRUE(Holds(R"(partner.name == "Acme \"Red\" CERT")"));
  EXPECT_FALSE(Holds(R"(partner.name == "Acme \"Red\\\" CERT")"));
  partner_.name = "back\\slash";
  EXPECT_TRUE(Holds(R"(partner.name == "back\\slash")"));
}

TEST_F(PolicyTest, ListsAllowATrailingCommaAndMayBeEmpty) {
  EXPECT_TRUE(Holds(R"(partner.tier in ["standard", "early",])"));
  EXPECT_TRUE(Holds(R"(partner.tier in ["early"])"));
  EXPECT_FALSE(Holds(R"(partner.tier in [])"));
  EXPECT_TRUE(Holds(R"(partner.tier not in [])"));
  EXPECT_FALSE(Holds(R"(partner.labels contains any [])"));
  EXPECT_TRUE(Holds(R"(partner.labels contains all [])"));
}

TEST_F(PolicyTest, InAndNotIn) {
  EXPECT_TRUE(Holds(R"(partner.country in ["FR", "DE"])"));
  EXPECT_FALSE(Holds(R"(partner.country not in ["FR", "DE"])"));
  EXPECT_TRUE(Holds(R"(partner.country not in ["FR", "US"])"));
  EXPECT_TRUE(Holds(R"(artifact.kind in ["ioc", "poc"])"));
  EXPECT_FALSE(Holds(R"(artifact.kind not in ["ioc", "poc"])"));
  EXPECT_TRUE(Holds(R"(advisory.revision in [1, 3])"));
  EXPECT_TRUE(Holds(R"(advisory.revision not in [1, 2])"));
  EXPECT_TRUE(Holds(R"(advisory.cvss in [9.8])"));
  EXPECT_TRUE(Holds(R"(partner.contract_version in ["2.10", "3"])"));
  EXPECT_TRUE(Holds(R"(partner.nda_version in [""])"));
}

TEST_F(PolicyTest, ContainsAnyAll) {
  EXPECT_TRUE(Holds(R"(partner.labels contains "poc-restricted")"));
  EXPECT_FALSE(Holds(R"(partner.labels contains "poc")"));
  EXPECT_TRUE(Holds(R"(partner.labels contains any ["x", "gov-reporting"])"));
  EXPECT_FALSE(Holds(R"(partner.labels contains any ["x", "y"])"));
  EXPECT_TRUE(Holds(R"(partner.labels contains all ["gov-reporting", "poc-restricted"])"));
  EXPECT_FALSE(Holds(R"(partner.labels contains all ["gov-reporting", "x"])"));
  EXPECT_TRUE(Holds(R"(not partner.labels contains "x")"));
}

// ---------------------------------------------------------------------------------------------
// Attributes: each one reads its fact.

TEST_F(PolicyTest, EveryAttributeReadsItsFact) {
  struct Case {
    std::string_view condition;
    bool expected;
  };
  const std::vector<Case> cases = {
      {R"(partner.id == "prt_acme")", true},
      {R"(partner.id == "prt_other")", false},
      {R"(partner.name == "Acme \"Red\" CERT")", true},
      {R"(partner.status == "active")", true},
      {R"(partner.status == "suspended")", false},
      {R"(partner.tier == "early")", true},
      {R"(partner.tier != "early")", false},
      {R"(partner.country == "DE")", true},
      {R"(partner.country == "FR")", false},
      {R"(partner.labels contains "gov-reporting")", true},
      {R"(partner.contract_version == "2.10")", true},
      {R"(partner.contract_version > "2.9")", true},
      {R"(partner.nda_version == "")", true},
      {R"(partner.nda_version < "0")", true},
      {R"(advisory.id == "adv_0001")", true},
      {R"(advisory.cves contains "CVE-2026-5678")", true},
      {R"(advisory.cves contains "CVE-2026-0001")", false},
      {R"(advisory.products contains "Mail Gateway")", true},
      {R"(advisory.products contains "< 16.0")", false},
      {R"(advisory.cvss == 9.8)", true},
      {R"(advisory.cvss >= 9)", true},
      {R"(advisory.cvss < 9.8)", false},
      {R"(advisory.severity == "critical")", true},
      {R"(advisory.revision == 3)", true},
      {R"(advisory.revision > 3)", false},
      {R"(advisory.public_at == "2026-08-01T00:00:00Z")", true},
      {R"(advisory.public_at == "2026-08-01")", true},
      {R"(advisory.public_at > "2026-08-01T00:00:00.000001Z")", false},
      {R"(advisory.public)", false},
      {R"(not advisory.public)", true},
      {R"(artifact.id == "art_poc")", true},
      {R"(artifact.kind == "poc")", true},
      {R"(artifact.kind == "technical-description")", false},
      {R"(artifact.sensitivity == "sensitive")", true},
      {R"(artifact.media_type == "text/x-python")", true},
      {R"(artifact.alternative)", false},
      {R"(wave.opened_at == "2026-07-01T00:00:00Z")", true},
      {R"(now == "2026-07-02T12:00:00Z")", true},
      {R"(now == "2026-07-02T14:00:00+02:00")", true},
      {R"(now > wave.opened_at)", true},
      {R"(wave.opened_at > now)", false},
  };
  for (const Case& c : cases) EXPECT_EQ(Holds(c.condition), c.expected) << c.condition;
}

TEST_F(PolicyTest, AdvisoryPublicAndAlternativeFollowTheirFacts) {
  const std::string_view text = "permit artifact when advisory.public and artifact.alternative;";
  Facts facts = MakeFacts(&alternative_);
  EXPECT_EQ(DecideBoth(text, Resource::kArtifact, facts).verdict, Verdict::kDeny);
  facts.now = advisory_.public_at;  // public from the instant itself
  EXPECT_EQ(DecideBoth(text, Resource::kArtifact, facts).verdict, Verdict::kPermit);
  facts.now = advisory_.public_at - microseconds(1);
  EXPECT_EQ(DecideBoth(text, Resource::kArtifact, facts).verdict, Verdict::kDeny);
}

TEST_F(PolicyTest, AdvisoryRulesUseAdvisoryAndPartnerAttributes) {
  const std::string_view text =
      "forbid advisory when partner.country == \"DE\" and advisory.cves contains \"CVE-2026-1234\""
      " and advisory.severity >= \"high\" and now < advisory.public_at - 1d;\n"
      "permit advisory;";
  const Decision d = DecideBoth(text, Resource::kAdvisory, MakeFacts(nullptr));
  EXPECT_EQ(d.verdict, Verdict::kForbid);
  EXPECT_EQ(d.rule, 0);
  partner_.country = "FR";
  const Decision d2 = DecideBoth(text, Resource::kAdvisory, MakeFacts(nullptr));
  EXPECT_EQ(d2.verdict, Verdict::kPermit);
  EXPECT_EQ(d2.rule, 1);
}

TEST_F(PolicyTest, SeverityIsOrderedByRank) {
  EXPECT_TRUE(Holds(R"(advisory.severity >= "high")"));
  EXPECT_TRUE(Holds(R"(advisory.severity > "high")"));
  EXPECT_FALSE(Holds(R"(advisory.severity < "critical")"));
  EXPECT_TRUE(Holds(R"("medium" < advisory.severity)"));
  EXPECT_TRUE(Holds(R"(advisory.severity in ["high", "critical"])"));
  // "critical" > "high" by rank although "c" < "h" alphabetically; and "low" < "medium".
  struct Case {
    std::string_view severity;
    bool at_least_medium;
  };
  for (const Case& c : {Case{"none", false}, Case{"low", false}, Case{"medium", true},
                        Case{"high", true}, Case{"critical", true}}) {
    Facts facts = MakeFacts();
    facts.severity = c.severity;
    EXPECT_EQ(DecideBoth(R"(permit artifact when advisory.severity >= "medium";)",
                         Resource::kArtifact, facts)
                  .verdict,
              c.at_least_medium ? Verdict::kPermit : Verdict::kDeny)
        << c.severity;
  }
}

TEST_F(PolicyTest, VersionsCompareBySegments) {
  struct Case {
    std::string_view partner_version;  // "-" for no contract
    std::string_view condition;
    bool expected;
  };
  const std::vector<Case> cases = {
      {"1.10", R"(partner.contract_version > "1.9")", true},  // numerically, not "1.1" < "1.9"
      {"1.10", R"(partner.contract_version < "1.9")", false},
      {"1.2", R"(partner.contract_version < "1.2.0")", true},  // a missing segment sorts first
      {"1.2.0", R"(partner.contract_version > "1.2")", true},
      {"2", R"(partner.contract_version >= "2")", true},
      {"2", R"(partner.contract_version <= "2")", true},
      {"2", R"(partner.contract_version == "2")", true},
      {"2.0-rc1", R"(partner.contract_version < "2.0-rc2")", true},  // lexical segment
      {"2.b", R"(partner.contract_version > "2.a")", true},
      {"10.0", R"(partner.contract_version > "9.9.9")", true},
      {"1.0", R"(partner.contract_version < "1.00")", true},  // equal segments: whole string
      {"1.0", R"(partner.contract_version != "1.00")", true},
      {"", R"(partner.contract_version < "0")", true},  // "" is lowest
      {"-", R"(partner.contract_version == "")", true},
      {"-", R"(partner.contract_version < "0.0.1")", true},
      {"-", R"(partner.contract_version >= "")", true},
      {"3", R"("2.5" < partner.contract_version)", true},
      {"3", R"("2.5" >= partner.contract_version)", false},
  };
  for (const Case& c : cases) {
    if (c.partner_version == "-") {
      partner_.contract.reset();
    } else {
      partner_.contract = Agreement{.version = std::string(c.partner_version)};
    }
    EXPECT_EQ(Holds(c.condition), c.expected) << c.partner_version << ": " << c.condition;
  }
  partner_.nda = Agreement{.version = "4.1"};
  EXPECT_TRUE(Holds(R"(partner.nda_version >= "4.0.9")"));
}

TEST_F(PolicyTest, WaveTimePlusDurationAtTheBoundary) {
  const std::string_view text = "permit artifact when now >= wave.opened_at + 48h;";
  Facts facts = MakeFacts();
  facts.now = *facts.wave_opened_at + hours(48);
  const Decision at = DecideBoth(text, Resource::kArtifact, facts);
  EXPECT_EQ(at.verdict, Verdict::kPermit);
  EXPECT_EQ(at.rule, 0);
  facts.now -= microseconds(1);
  EXPECT_EQ(DecideBoth(text, Resource::kArtifact, facts).verdict, Verdict::kDeny);
  // The same boundary written from the other side, and with `-` on the left.
  facts.now = *facts.wave_opened_at + hours(48);
  EXPECT_EQ(
      DecideBoth("permit artifact when wave.opened_at + 2d <= now;", Resource::kArtifact, facts)
          .verdict,
      Verdict::kPermit);
  EXPECT_EQ(
      DecideBoth("permit artifact when now - 48h >= wave.opened_at;", Resource::kArtifact, facts)
          .verdict,
      Verdict::kPermit);
  EXPECT_EQ(
      DecideBoth("permit artifact when wave.opened_at <= now - 48h;", Resource::kArtifact, facts)
          .verdict,
      Verdict::kPermit);
  EXPECT_EQ(DecideBoth("permit artifact when wave.opened_at + 1d <= now - 1d;", Resource::kArtifact,
                       facts)
                .verdict,
            Verdict::kPermit);
  facts.now -= microseconds(1);
  EXPECT_EQ(
      DecideBoth("permit artifact when now - 2880m >= wave.opened_at;", Resource::kArtifact, facts)
          .verdict,
      Verdict::kDeny);
  EXPECT_EQ(DecideBoth("permit artifact when wave.opened_at + 1d <= now - 1d;", Resource::kArtifact,
                       facts)
                .verdict,
            Verdict::kDeny);
}

TEST_F(PolicyTest, ComparisonsWithAnUnsetWaveTimeAreFalse) {
  Facts facts = MakeFacts();
  facts.wave_opened_at.reset();
  for (std::string_view text :
       {"permit artifact when now >= wave.opened_at;", "permit artifact when now < wave.opened_at;",
        "permit artifact when wave.opened_at != now;",
        "permit artifact when wave.opened_at < \"2100-01-01\";"}) {
    EXPECT_EQ(DecideBoth(text, Resource::kArtifact, facts).verdict, Verdict::kDeny) << text;
  }
  // `not` negates the false comparison.
  EXPECT_EQ(DecideBoth("permit artifact when not (now < wave.opened_at + 1w);", Resource::kArtifact,
                       facts)
                .verdict,
            Verdict::kPermit);
}

TEST_F(PolicyTest, DurationsInEveryUnit) {
  Facts facts = MakeFacts();  // now is 1.5 days after the wave opened
  for (std::string_view text : {"permit artifact when now >= wave.opened_at + 129600s;",
                                "permit artifact when now >= wave.opened_at + 2160m;",
                                "permit artifact when now >= wave.opened_at + 36h;",
                                "permit artifact when now >= wave.opened_at + 1d;",
                                "permit artifact when now < wave.opened_at + 1w;"}) {
    EXPECT_EQ(DecideBoth(text, Resource::kArtifact, facts).verdict, Verdict::kPermit) << text;
  }
  EXPECT_EQ(DecideBoth("permit artifact when now >= wave.opened_at + 129601s;", Resource::kArtifact,
                       facts)
                .verdict,
            Verdict::kDeny);
}

// ---------------------------------------------------------------------------------------------
// Combination.

TEST_F(PolicyTest, SeedCasePocRestrictedPartnersGetTheDescription) {
  const std::string text =
      "rule poc-restricted\n"
      "  substitute artifact when partner.labels contains \"poc-restricted\"\n"
      "                        and artifact.kind == \"poc\";\n"
      "rule everything permit artifact;\n";
  // A poc-restricted partner: the PoC is substituted ...
  const Decision poc = DecideBoth(text, Resource::kArtifact, MakeFacts(&artifact_));
  EXPECT_EQ(poc.verdict, Verdict::kSubstitute);
  EXPECT_EQ(poc.rule, 0);
  // ... and the alternative form (a technical description) is permitted.
  const Decision description = DecideBoth(text, Resource::kArtifact, MakeFacts(&alternative_));
  EXPECT_EQ(description.verdict, Verdict::kPermit);
  EXPECT_EQ(description.rule, 1);
  // An unrestricted partner gets the PoC itself.
  partner_.labels = {"gov-reporting"};
  const Decision unrestricted = DecideBoth(text, Resource::kArtifact, MakeFacts(&artifact_));
  EXPECT_EQ(unrestricted.verdict, Verdict::kPermit);
  EXPECT_EQ(unrestricted.rule, 1);
}

TEST_F(PolicyTest, SeedCaseExplainNamesTheRules) {
  const auto policy = MustCompile(
      "rule poc-restricted substitute artifact when partner.labels contains \"poc-restricted\" "
      "and artifact.kind == \"poc\";\n"
      "rule everything permit artifact;\n");
  ASSERT_NE(policy, nullptr);
  const Explanation poc = policy->Explain(Resource::kArtifact, MakeFacts());
  EXPECT_EQ(poc.verdict, Verdict::kSubstitute);
  ASSERT_THAT(poc.matched, ElementsAre(0, 1));
  EXPECT_EQ(policy->rules()[poc.matched[0]].name, "poc-restricted");
  EXPECT_EQ(policy->rules()[poc.matched[1]].name, "everything");
  EXPECT_EQ(poc.verdict, policy->Decide(Resource::kArtifact, MakeFacts()).verdict);

  const Explanation description = policy->Explain(Resource::kArtifact, MakeFacts(&alternative_));
  EXPECT_EQ(description.verdict, Verdict::kPermit);
  EXPECT_THAT(description.matched, ElementsAre(1));

  partner_.labels.clear();
  const Explanation unrestricted = policy->Explain(Resource::kArtifact, MakeFacts());
  EXPECT_EQ(unrestricted.verdict, Verdict::kPermit);
  EXPECT_THAT(unrestricted.matched, ElementsAre(1));
}

TEST_F(PolicyTest, ForbidOverridesSubstituteOverridesPermit) {
  const std::string text =
      "permit artifact;\n"                                          // 0
      "substitute artifact when artifact.kind == \"poc\";\n"        // 1
      "permit artifact when partner.tier == \"early\";\n"           // 2
      "substitute artifact when partner.country == \"DE\";\n"       // 3
      "forbid artifact when partner.labels contains \"banned\";\n"  // 4
      "forbid artifact when advisory.cvss > 9.5;\n"                 // 5
      "forbid artifact when artifact.id == \"art_poc\";\n";         // 6
  const Decision d = DecideBoth(text, Resource::kArtifact, MakeFacts());
  EXPECT_EQ(d.verdict, Verdict::kForbid);
  EXPECT_EQ(d.rule, 5);  // the first forbid rule that holds
  const auto policy = MustCompile(text);
  ASSERT_NE(policy, nullptr);
  const Explanation e = policy->Explain(Resource::kArtifact, MakeFacts());
  EXPECT_THAT(e.matched, ElementsAre(0, 1, 2, 3, 5, 6));
  EXPECT_EQ(e.verdict, Verdict::kForbid);

  Facts facts = MakeFacts();
  facts.cvss = 5;
  artifact_.id = "art_other";
  const Decision s = DecideBoth(text, Resource::kArtifact, facts);
  EXPECT_EQ(s.verdict, Verdict::kSubstitute);
  EXPECT_EQ(s.rule, 1);
  artifact_.kind = ArtifactKind::kIoc;
  const Decision s3 = DecideBoth(text, Resource::kArtifact, facts);
  EXPECT_EQ(s3.verdict, Verdict::kSubstitute);
  EXPECT_EQ(s3.rule, 3);
  partner_.country = "FR";
  const Decision p = DecideBoth(text, Resource::kArtifact, facts);
  EXPECT_EQ(p.verdict, Verdict::kPermit);
  EXPECT_EQ(p.rule, 0);
}

TEST_F(PolicyTest, SubstituteRulesAreSkippedForAlternativeForms) {
  const std::string text =
      "substitute artifact;\n"
      "permit artifact when artifact.alternative;\n";
  const Decision primary = DecideBoth(text, Resource::kArtifact, MakeFacts(&artifact_));
  EXPECT_EQ(primary.verdict, Verdict::kSubstitute);
  const Decision alternative = DecideBoth(text, Resource::kArtifact, MakeFacts(&alternative_));
  EXPECT_EQ(alternative.verdict, Verdict::kPermit);
  EXPECT_EQ(alternative.rule, 1);
  // Explain still lists the substitute rule whose condition held; the verdict skips it.
  const auto policy = MustCompile(text);
  ASSERT_NE(policy, nullptr);
  const Explanation e = policy->Explain(Resource::kArtifact, MakeFacts(&alternative_));
  EXPECT_THAT(e.matched, ElementsAre(0, 1));
  EXPECT_EQ(e.verdict, Verdict::kPermit);
  // Without a permit, an alternative form is denied.
  EXPECT_EQ(
      DecideBoth("substitute artifact;", Resource::kArtifact, MakeFacts(&alternative_)).verdict,
      Verdict::kDeny);
}

TEST_F(PolicyTest, MissingFactsDeny) {
  const auto policy = MustCompile("permit advisory; permit artifact;");
  ASSERT_NE(policy, nullptr);
  EXPECT_EQ(policy->Decide(Resource::kArtifact, MakeFacts(nullptr)).verdict, Verdict::kDeny);
  EXPECT_EQ(policy->Decide(Resource::kAdvisory, MakeFacts(nullptr)).verdict, Verdict::kPermit);
  Facts facts = MakeFacts();
  facts.partner = nullptr;
  EXPECT_EQ(policy->Decide(Resource::kAdvisory, facts).verdict, Verdict::kDeny);
  EXPECT_TRUE(policy->Explain(Resource::kAdvisory, facts).matched.empty());
  facts = MakeFacts();
  facts.revision = nullptr;
  EXPECT_EQ(policy->Decide(Resource::kArtifact, facts).verdict, Verdict::kDeny);
}

TEST_F(PolicyTest, UnknownSeverityStringMatchesNoValue) {
  Facts facts = MakeFacts();
  facts.severity = "High";  // not one of the lower-case names
  for (std::string_view text : {R"(permit artifact when advisory.severity == "high";)",
                                R"(permit artifact when advisory.severity >= "none";)",
                                R"(permit artifact when advisory.severity in ["high"];)"}) {
    EXPECT_EQ(DecideBoth(text, Resource::kArtifact, facts).verdict, Verdict::kDeny) << text;
  }
  EXPECT_EQ(
      DecideBoth(R"(permit artifact when advisory.severity != "high";)", Resource::kArtifact, facts)
          .verdict,
      Verdict::kPermit);
}

TEST_F(PolicyTest, UsesCvss) {
  EXPECT_FALSE(MustCompile("permit advisory when partner.tier == \"early\";")->uses_cvss());
  EXPECT_TRUE(MustCompile("permit advisory when advisory.cvss >= 7;")->uses_cvss());
  EXPECT_TRUE(MustCompile("permit advisory; forbid advisory when not advisory.severity == \"low\";")
                  ->uses_cvss());
}

TEST_F(PolicyTest, ToStrings) {
  EXPECT_EQ(ToString(Effect::kPermit), "permit");
  EXPECT_EQ(ToString(Effect::kForbid), "forbid");
  EXPECT_EQ(ToString(Effect::kSubstitute), "substitute");
  EXPECT_EQ(ToString(Resource::kAdvisory), "advisory");
  EXPECT_EQ(ToString(Resource::kArtifact), "artifact");
  EXPECT_EQ(ToString(Verdict::kPermit), "permit");
  EXPECT_EQ(ToString(Verdict::kForbid), "forbid");
  EXPECT_EQ(ToString(Verdict::kSubstitute), "substitute");
  EXPECT_EQ(ToString(Verdict::kDeny), "deny");
  EXPECT_EQ(ToString(Diagnostic{.line = 3, .column = 17, .message = "boom"}),
            "line 3, column 17: boom");
  EXPECT_EQ(
      ToString(Diagnostic{
          .severity = Diagnostic::Severity::kWarning, .line = 1, .column = 2, .message = "hm"}),
      "line 1, column 2: warning: hm");
}

// ---------------------------------------------------------------------------------------------
// Index.

TEST_F(PolicyTest, IndexAndScanAgreeWhenRulesShareKeys) {
  const std::string text =
      "forbid artifact when partner.labels contains any [\"gov-reporting\", \"poc-restricted\"] "
      "and advisory.cvss > 9.9;\n"  // 0
      "permit artifact when partner.labels contains any [\"gov-reporting\", \"poc-restricted\"];\n"
      "permit artifact when partner.labels contains all [\"x\", \"poc-restricted\"];\n"  // 2
      "permit artifact when partner.id in [\"prt_acme\", \"prt_acme\"];\n"               // 3
      "substitute artifact when artifact.kind in [\"poc\", \"ioc\"] and partner.id == \"p\";\n"
      "permit artifact when advisory.products contains \"Collab Server\" or false;\n"   // 5
      "permit artifact when partner.country == \"DE\" and partner.id != \"prt_x\";\n";  // 6
  const auto indexed = MustCompile(text);
  const auto scanned = MustCompile(text, CompileOptions{.index = false});
  ASSERT_NE(indexed, nullptr);
  ASSERT_NE(scanned, nullptr);
  const Explanation e = indexed->Explain(Resource::kArtifact, MakeFacts());
  EXPECT_THAT(e.matched, ElementsAre(1, 3, 5, 6));  // rule 1 is found under two labels, once
  EXPECT_EQ(e.matched, scanned->Explain(Resource::kArtifact, MakeFacts()).matched);
  EXPECT_EQ(indexed->Decide(Resource::kArtifact, MakeFacts()).rule, 1);
  EXPECT_EQ(scanned->Decide(Resource::kArtifact, MakeFacts()).rule, 1);
}

TEST_F(PolicyTest, ManyMatchingBucketsFallBackToAScan) {
  // An advisory with 100 products, each a key some rule is filed under.
  std::string text;
  revision_.content.products.clear();
  for (int i = 0; i < 100; ++i) {
    revision_.content.products.push_back(Product{.name = "product " + std::to_string(i)});
    text += "permit artifact when advisory.products contains \"product " + std::to_string(i) +
            "\" and advisory.revision == " + std::to_string(i % 5) + ";\n";
  }
  text += "forbid artifact when advisory.products contains \"product 99\" and false;\n";
  const Decision d = DecideBoth(text, Resource::kArtifact, MakeFacts());  // revision 3
  EXPECT_EQ(d.verdict, Verdict::kPermit);
  EXPECT_EQ(d.rule, 3);
  const auto policy = MustCompile(text);
  ASSERT_NE(policy, nullptr);
  EXPECT_EQ(policy->Explain(Resource::kArtifact, MakeFacts()).matched.size(), 20U);
}

// ---------------------------------------------------------------------------------------------
// Errors: messages and positions.

TEST_F(PolicyTest, UnknownAttributeSuggestsTheClosestName) {
  EXPECT_EQ(CompileError("# tiers\n"
                         "permit advisory\n"
                         "  when true and partner.teir == \"early\";\n"),
            "line 3, column 17: unknown attribute 'partner.teir' (did you mean 'partner.tier'?)");
  EXPECT_EQ(CompileError("permit advisory when advisory.cve contains \"x\";"),
            "line 1, column 22: unknown attribute 'advisory.cve' (did you mean 'advisory.cves'?)");
  EXPECT_EQ(CompileError("permit advisory when bogus == \"x\";"),
            "line 1, column 22: unknown attribute 'bogus'");
  EXPECT_EQ(CompileError("permit advisory when now-1d > advisory.public_at;"),
            "line 1, column 22: unknown attribute 'now-1d' (write spaces around '-': now - 1d)");
}

TEST_F(PolicyTest, EnumValuesAreChecked) {
  EXPECT_EQ(CompileError("permit artifact when artifact.kind == \"exploit\";"),
            "line 1, column 39: invalid value \"exploit\" for artifact.kind: expected one of "
            "summary, technical-description, detection, ioc, mitigation, poc");
  EXPECT_EQ(CompileError("permit advisory when advisory.severity >= \"hihg\";"),
            "line 1, column 43: invalid value \"hihg\" for advisory.severity (did you mean "
            "\"high\"?): expected one of none, low, medium, high, critical");
  EXPECT_EQ(CompileError("permit advisory when partner.status in [\"active\", \"gone\"];"),
            "line 1, column 51: invalid value \"gone\" for partner.status: expected one of "
            "applicant, active, suspended, removed");
  EXPECT_EQ(CompileError("permit artifact when artifact.sensitivity == 1;"),
            "line 1, column 46: artifact.sensitivity is an enum: expected a string, found 1");
  EXPECT_EQ(CompileError("permit artifact when artifact.kind < \"poc\";"),
            "line 1, column 36: '<' is not defined for artifact.kind (an enum): use ==, != or in "
            "(only advisory.severity is ordered)");
}

TEST_F(PolicyTest, StringsAreOnlyOrderedForVersions) {
  EXPECT_EQ(CompileError("permit advisory when partner.tier >= \"early\";"),
            "line 1, column 35: '>=' is not defined for partner.tier (a string): use ==, != or in "
            "(only version attributes are ordered)");
  EXPECT_EQ(CompileError("permit advisory when partner.id == 7;"),
            "line 1, column 36: partner.id is a string: expected a string, found 7");
  EXPECT_TRUE(Policy::Compile("permit advisory when partner.nda_version >= \"1\";").has_value());
}

TEST_F(PolicyTest, CountryLiteralsMustBeTwoUpperCaseLetters) {
  EXPECT_EQ(CompileError("permit advisory when partner.country == \"de\";"),
            "line 1, column 41: invalid country \"de\" for partner.country: expected two "
            "upper-case letters (ISO 3166-1 alpha-2) such as \"DE\"");
  EXPECT_EQ(CompileError("permit advisory when partner.country in [\"DE\", \"DEU\"];"),
            "line 1, column 48: invalid country \"DEU\" for partner.country: expected two "
            "upper-case letters (ISO 3166-1 alpha-2) such as \"DE\"");
}

TEST_F(PolicyTest, NumbersNeedNumberLiterals) {
  EXPECT_EQ(CompileError("permit advisory when advisory.cvss > \"9\";"),
            "line 1, column 38: advisory.cvss is a number: expected a number, found \"9\"");
  EXPECT_EQ(CompileError("permit advisory when advisory.revision in [1, \"2\"];"),
            "line 1, column 47: advisory.revision is a number: expected a number, found \"2\"");
}

TEST_F(PolicyTest, TimesNeedIsoStringsOrTimeAttributes) {
  EXPECT_EQ(CompileError("permit advisory when now > \"tomorrow\";"),
            "line 1, column 28: invalid time \"tomorrow\": expected ISO 8601 such as "
            "\"2026-07-08T17:00:00Z\" or \"2026-07-08\"");
  EXPECT_EQ(CompileError("permit advisory when now > 5;"),
            "line 1, column 28: now is a time: expected a time such as \"2026-07-08T17:00:00Z\", "
            "found 5");
  EXPECT_EQ(CompileError("permit advisory when now in [\"2026-07-08\"];"),
            "line 1, column 26: 'in' is not defined for now (a time): compare it with <, <=, >, "
            ">=, == or !=");
  EXPECT_TRUE(Policy::Compile("permit advisory when now - 1d > wave.opened_at + 1h;").has_value());
}

TEST_F(PolicyTest, DurationsApplyOnlyToTimes) {
  EXPECT_EQ(CompileError("permit advisory when advisory.cvss + 2d > 3;"),
            "line 1, column 36: '+ 2d' applies only to time attributes; advisory.cvss is a number");
  EXPECT_EQ(CompileError("permit advisory when now > wave.opened_at + 0h;"),
            "line 1, column 45: invalid duration '0h': expected e.g. 90d, 24h, 30m");
  EXPECT_EQ(CompileError("permit advisory when now > wave.opened_at + 2;"),
            "line 1, column 45: expected a duration such as 48h or 2d after '+', found '2'");
  EXPECT_EQ(CompileError("permit advisory when now > 2d;"),
            "line 1, column 28: a duration (2d) must follow a time attribute and '+' or '-', as "
            "in wave.opened_at + 2d");
  EXPECT_EQ(CompileError("permit advisory when now > wave.opened_at + 2y;"),
            "line 1, column 45: invalid duration '2y': the unit must be s, m, h, d or w");
  EXPECT_EQ(CompileError("permit advisory when now > wave.opened_at + 1.5h;"),
            "line 1, column 45: invalid duration '1.5h': use a whole number of units such as 90m");
}

TEST_F(PolicyTest, BoolAttributesOnlyStandAlone) {
  EXPECT_EQ(CompileError("permit advisory when advisory.public == \"true\";"),
            "line 1, column 22: advisory.public is a bool: use it alone as a condition, or under "
            "'not'");
  EXPECT_EQ(CompileError("permit advisory when partner.tier;"),
            "line 1, column 22: partner.tier is a string, not a condition: compare it with a "
            "value");
  EXPECT_EQ(CompileError("permit advisory when \"early\";"),
            "line 1, column 22: a value alone (\"early\") is not a condition: compare an attribute "
            "with it");
  EXPECT_TRUE(Policy::Compile("permit artifact when not artifact.alternative;").has_value());
}

TEST_F(PolicyTest, SetsOnlyWithContains) {
  EXPECT_EQ(CompileError("permit advisory when partner.labels == \"x\";"),
            "line 1, column 37: '==' is not defined for partner.labels (a set): use contains, "
            "contains any [...] or contains all [...]");
  EXPECT_EQ(CompileError("permit advisory when advisory.cves in [\"CVE-2026-1\"];"),
            "line 1, column 36: 'in' is not defined for advisory.cves (a set): use contains any "
            "[...]");
  EXPECT_EQ(CompileError("permit advisory when partner.tier contains \"e\";"),
            "line 1, column 35: 'contains' needs a set attribute; partner.tier is a string (use "
            "== or in)");
  EXPECT_EQ(CompileError("permit advisory when advisory.products contains any [\"a\", 2];"),
            "line 1, column 59: advisory.products is a set of strings: expected a string, found 2");
  EXPECT_EQ(CompileError("permit advisory when \"x\" contains \"x\";"),
            "line 1, column 22: expected an attribute before 'contains', found \"x\"");
  EXPECT_EQ(CompileError("permit advisory when \"x\" in [\"x\"];"),
            "line 1, column 22: expected an attribute before 'in', found \"x\"");
}

TEST_F(PolicyTest, ComparisonsNeedOneAttributeAndTwoAttributesMustBeTimes) {
  EXPECT_EQ(CompileError("permit advisory when \"a\" == \"a\";"),
            "line 1, column 22: \"a\" == \"a\" compares two values: one side must be an "
            "attribute");
  EXPECT_EQ(CompileError("permit advisory when partner.tier == partner.name;"),
            "line 1, column 35: only time attributes can be compared with each other; "
            "partner.tier is a string");
  EXPECT_EQ(CompileError("permit advisory when now > advisory.cvss;"),
            "line 1, column 26: only time attributes can be compared with each other; "
            "advisory.cvss is a number");
  EXPECT_TRUE(Policy::Compile("permit advisory when advisory.public_at <= now;").has_value());
}

TEST_F(PolicyTest, AdvisoryRulesCannotUseArtifactsOrSubstitute) {
  EXPECT_EQ(CompileError("forbid advisory when artifact.kind == \"poc\";"),
            "line 1, column 22: artifact.kind cannot be used in an advisory rule: advisory "
            "decisions have no artifact");
  EXPECT_EQ(CompileError("substitute advisory;"),
            "line 1, column 12: 'substitute' applies only to artifacts: an advisory has no "
            "alternative form (use forbid or permit)");
}

TEST_F(PolicyTest, DuplicateRuleNames) {
  EXPECT_EQ(CompileError("rule a permit advisory;\n"
                         "rule b permit advisory;\n"
                         "rule \"a\" forbid artifact;\n"),
            "line 3, column 6: duplicate rule name 'a' (first used on line 1)");
}

TEST_F(PolicyTest, LexicalErrors) {
  EXPECT_EQ(CompileError("permit advisory when partner.tier = \"x\";"),
            "line 1, column 35: unexpected character '=' (did you mean '=='?)");
  EXPECT_EQ(CompileError("permit advisory when partner.tier == \"x;\npermit artifact;"),
            "line 1, column 38: unterminated string");
  EXPECT_EQ(CompileError("permit advisory when partner.tier == \"a\\tb\";"),
            "line 1, column 40: invalid escape '\\t': only \\\" and \\\\ are allowed");
  EXPECT_EQ(CompileError("permit advisory when true && true;"),
            "line 1, column 27: unexpected character '&' (use 'and')");
  EXPECT_EQ(CompileError("permit advisory when !true;"),
            "line 1, column 22: unexpected character '!' (use 'not' or '!=')");
  EXPECT_EQ(CompileError("permit advisory; @"), "line 1, column 18: unexpected character '@'");
  EXPECT_EQ(CompileError("permit advisory when partner.name == \"\xc3\xa9\" or \xc3;"),
            "line 1, column 46: unexpected byte 0xc3");
  EXPECT_EQ(CompileError("permit advisory when advisory.cvss > 9x;"),
            "line 1, column 38: invalid duration '9x': the unit must be s, m, h, d or w");
  EXPECT_EQ(CompileError("permit advisory when advisory.cvss > 9.5.1;"),
            "line 1, column 38: invalid number '9.5.1'");
  EXPECT_EQ(CompileError("permit advisory when advisory.cvss > 9.;"),
            "line 1, column 38: invalid number '9.'");
}

TEST_F(PolicyTest, SyntaxErrors) {
  EXPECT_EQ(CompileError("permit advisory"),
            "line 1, column 16: expected 'when' or ';' after 'advisory', found end of input");
  EXPECT_EQ(CompileError("permitt advisory;"),
            "line 1, column 1: expected a rule (permit, forbid, substitute or rule NAME), found "
            "'permitt' (did you mean 'permit'?)");
  EXPECT_EQ(CompileError("permit artefact;"),
            "line 1, column 8: expected 'advisory' or 'artifact' after 'permit', found "
            "'artefact' (did you mean 'artifact'?)");
  EXPECT_EQ(CompileError("rule x allow artifact;"),
            "line 1, column 8: expected 'permit', 'forbid' or 'substitute', found 'allow'");
  EXPECT_EQ(CompileError("rule permit artifact;"),
            "line 1, column 6: expected a rule name after 'rule', found 'permit'");
  EXPECT_EQ(CompileError("rule \"\" permit artifact;"),
            "line 1, column 6: a rule name cannot be empty");
  EXPECT_EQ(CompileError("permit artifact when;"),
            "line 1, column 21: expected a condition, found ';'");
  EXPECT_EQ(CompileError("permit artifact when (true;"),
            "line 1, column 27: expected ')', found ';'");
  EXPECT_EQ(CompileError("permit artifact when true)"),
            "line 1, column 26: expected ';' at the end of the rule, found ')'");
  EXPECT_EQ(CompileError("permit artifact when partner.tier \"early\";"),
            "line 1, column 35: expected an operator (==, !=, <, <=, >, >=, in or contains) after "
            "'partner.tier', found \"early\"");
  EXPECT_EQ(CompileError("permit artifact when partner.labels not contains \"x\";"),
            "line 1, column 41: expected 'in' after 'not', found 'contains' (write: not ATTRIBUTE "
            "contains ...)");
  EXPECT_EQ(CompileError("permit artifact when partner.tier in \"early\";"),
            "line 1, column 38: expected '[' to start a list, found \"early\"");
  EXPECT_EQ(CompileError("permit artifact when partner.tier in [\"a\" \"b\"];"),
            "line 1, column 43: expected ',' or ']' in the list, found \"b\"");
  EXPECT_EQ(CompileError("permit artifact when partner.tier in [partner.id];"),
            "line 1, column 39: expected a string or a number in the list, found 'partner.id'");
  EXPECT_EQ(CompileError("permit artifact when partner.labels contains;"),
            "line 1, column 45: expected a value, 'any' or 'all' after 'contains', found ';'");
  EXPECT_EQ(CompileError("permit artifact when partner.tier == ;"),
            "line 1, column 38: expected an attribute or a value after '==', found ';'");
  EXPECT_EQ(CompileError("when true;"),
            "line 1, column 1: expected a rule (permit, forbid, substitute or rule NAME), found "
            "'when'");
}

TEST_F(PolicyTest, DeepNestingIsAnErrorNotACrash) {
  const std::string text =
      "permit artifact when " + std::string(500, '(') + "true" + std::string(500, ')') + ";";
  EXPECT_THAT(CompileError(text), HasSubstr("the condition nests too deeply"));
  std::string nots = "permit artifact when ";
  for (int i = 0; i < 500; ++i) nots += "not ";
  EXPECT_THAT(CompileError(nots + "true;"), HasSubstr("the condition nests too deeply"));
  // Fifty levels are fine.
  EXPECT_TRUE(Holds(std::string(50, '(') + "true" + std::string(50, ')')));
}

TEST_F(PolicyTest, AllErrorsAreReportedInSourceOrder) {
  const std::string text =
      "permit advisory when partner.teir == \"x\";\n"                     // line 1: unknown attr
      "forbid artifact when artifact.kind == \"exploit\" and now > 5;\n"  // line 2: two errors
      "permit advisory\n"                                                 // line 3: missing ';'
      "substitute advisory;\n"                                            // line 4
      "permit artifact when partner.id = \"a\";\n"                        // line 5: lexical
      "permit artifact;\n";                                               // fine
  const std::string message = CompileError(text);
  EXPECT_EQ(message,
            "line 1, column 22: unknown attribute 'partner.teir' (did you mean 'partner.tier'?)\n"
            "line 2, column 39: invalid value \"exploit\" for artifact.kind: expected one of "
            "summary, technical-description, detection, ioc, mitigation, poc\n"
            "line 2, column 59: now is a time: expected a time such as \"2026-07-08T17:00:00Z\", "
            "found 5\n"
            "line 4, column 1: expected 'when' or ';' after 'advisory', found 'substitute'\n"
            "line 4, column 12: 'substitute' applies only to artifacts: an advisory has no "
            "alternative form (use forbid or permit)\n"
            "line 5, column 33: unexpected character '=' (did you mean '=='?)");
  // Check reports the same errors, as diagnostics.
  const std::vector<Diagnostic> diagnostics = Policy::Check(text);
  ASSERT_EQ(diagnostics.size(), 6U);
  EXPECT_EQ(diagnostics[3].line, 4);
  EXPECT_EQ(diagnostics[3].column, 1);
  for (const Diagnostic& d : diagnostics) EXPECT_EQ(d.severity, Diagnostic::Severity::kError);
}

TEST_F(PolicyTest, ErrorsInOneRuleDoNotHideLaterRules) {
  // After a syntax error the parser resumes after ';' and reports the next rule's error too.
  EXPECT_EQ(CompileError("permit artifact when partner.tier == == \"x\"; forbid advisory when "
                         "advisory.cvss > \"high\";"),
            "line 1, column 38: expected an attribute or a value after '==', found '=='\n"
            "line 1, column 83: advisory.cvss is a number: expected a number, found \"high\"");
}

// ---------------------------------------------------------------------------------------------
// Warnings.

TEST_F(PolicyTest, StatusTestsOtherThanActiveWarn) {
  const std::string text =
      "forbid advisory when partner.status == \"suspended\";\n"
      "permit advisory when partner.status == \"active\";\n"
      "forbid advisory when partner.status != \"active\" or partner.tier == \"x\";\n"
      "permit artifact when partner.status in [\"active\", \"applicant\"];\n";
  ASSERT_TRUE(Policy::Compile(text).has_value());  // warnings never fail Compile
  const std::vector<Diagnostic> diagnostics = Policy::Check(text);
  ASSERT_EQ(diagnostics.size(), 3U);
  EXPECT_EQ(ToString(diagnostics[0]),
            "line 1, column 22: warning: only active partners reach the policy, so "
            "partner.status is always \"active\" and this test is always false: the rule can "
            "never apply");
  EXPECT_EQ(ToString(diagnostics[1]),
            "line 3, column 22: warning: only active partners reach the policy, so "
            "partner.status is always \"active\" and this test is always false");
  EXPECT_EQ(ToString(diagnostics[2]),
            "line 4, column 22: warning: only active partners reach the policy, so "
            "partner.status is always \"active\" and this test is always true");
  for (const Diagnostic& d : diagnostics) EXPECT_EQ(d.severity, Diagnostic::Severity::kWarning);
}

TEST_F(PolicyTest, VocabularyWarnsAboutUnknownValues) {
  const Vocabulary vocabulary{.tiers = {"early", "standard"},
                              .labels = {"poc-restricted", "gov-reporting"},
                              .partner_ids = {"prt_acme"},
                              .advisory_ids = {"adv_0001"}};
  const std::string text =
      "permit advisory when partner.tier in [\"early\", \"standrd\"];\n"
      "substitute artifact when partner.labels contains \"poc-restricetd\";\n"
      "forbid artifact when partner.id == \"prt_nobody\" or advisory.id != \"adv_0002\";\n"
      "permit artifact when partner.labels contains any [\"gov-reporting\"] and partner.id == "
      "\"prt_acme\" and advisory.id == \"adv_0001\";\n";
  ASSERT_TRUE(Policy::Compile(text).has_value());
  EXPECT_TRUE(Policy::Check(text).empty());  // without a vocabulary: nothing to say
  const std::vector<Diagnostic> diagnostics = Policy::Check(text, &vocabulary);
  std::vector<std::string> shown;
  for (const Diagnostic& d : diagnostics) shown.push_back(ToString(d));
  EXPECT_THAT(shown,
              ElementsAre("line 1, column 48: warning: no tier is named \"standrd\" (did you mean "
                          "\"standard\"?): this test never matches it",
                          "line 2, column 50: warning: no partner has the label "
                          "\"poc-restricetd\" (did you mean \"poc-restricted\"?): this test never "
                          "matches it",
                          "line 3, column 36: warning: no partner has the id \"prt_nobody\": this "
                          "test never matches it",
                          "line 3, column 67: warning: no advisory has the id \"adv_0002\" (did "
                          "you mean \"adv_0001\"?): this test never matches it"));
}

TEST_F(PolicyTest, SubstituteOnlyForAlternativesWarns) {
  const std::string text =
      "substitute artifact when artifact.alternative and artifact.kind == \"poc\";\n"
      "substitute artifact when not artifact.alternative;\n"
      "substitute artifact when artifact.alternative or partner.tier == \"x\";\n";
  ASSERT_TRUE(Policy::Compile(text).has_value());
  const std::vector<Diagnostic> diagnostics = Policy::Check(text);
  ASSERT_EQ(diagnostics.size(), 1U);
  EXPECT_EQ(ToString(diagnostics[0]),
            "line 1, column 1: warning: this substitute rule only matches alternative forms, and "
            "substitute rules are never consulted for those: it has no effect");
}

TEST_F(PolicyTest, CheckMixesErrorsAndWarningsInSourceOrder) {
  const std::string text =
      "forbid advisory when partner.status == \"removed\";\n"
      "permit advisory when partner.tier == 1;\n";
  const std::vector<Diagnostic> diagnostics = Policy::Check(text);
  ASSERT_EQ(diagnostics.size(), 2U);
  EXPECT_EQ(diagnostics[0].severity, Diagnostic::Severity::kWarning);
  EXPECT_EQ(diagnostics[0].line, 1);
  EXPECT_EQ(diagnostics[1].severity, Diagnostic::Severity::kError);
  EXPECT_EQ(diagnostics[1].line, 2);
  // Compile reports only the error.
  EXPECT_EQ(CompileError(text),
            "line 2, column 38: partner.tier is a string: expected a string, found 1");
}

}  // namespace
}  // namespace forewarn::policy
