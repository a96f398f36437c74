// The advisory service: validation (nothing stored on bad input), revisions, wave schedules,
// rescheduling, withdrawal, artifacts and the release scheduler's catch-up.
#include "advisory/advisory.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "core/time.h"
#include "tests/testing/harness.h"

namespace forewarn::advisory {
namespace {

using std::chrono::hours;
using std::chrono::microseconds;

constexpr const char* kCvss98 = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H";

class AdvisoryServiceTest : public ::testing::Test {
 protected:
  AdvisoryServiceTest() { public_at = h.clock.Now() + hours{24 * 10}; }

  AdvisoryInput Input() {
    AdvisoryInput input;
    input.content.title = "Remote code execution in Collaboration Server";
    input.content.cves = {"CVE-2026-40001", "CVE-2026-40002"};
    input.content.cvss_vectors = {kCvss98};
    input.public_at = public_at;
    return input;
  }

  AdvisoryRecord Create(AdvisoryInput input) {
    auto record = h.advisories->Create(h.admin, input);
    EXPECT_TRUE(record.has_value()) << record.error().message;
    return record.value_or(AdvisoryRecord{});
  }

  // How much the store holds, to check that failures store nothing.
  std::pair<size_t, uint64_t> Footprint() {
    auto tx = h.store->Begin(store::TxMode::kRead).value();
    return {tx->ListAdvisories({}).value().size(), tx->LedgerSize().value()};
  }

  const Release* Wave(const AdvisoryRecord& r, int revision, const std::string& tier) {
    for (const auto& row : r.releases) {
      if (row.kind == ReleaseKind::kWave && row.revision == revision && row.tier == tier) {
        return &row;
      }
    }
    return nullptr;
  }

  void ExpectInvalid(const AdvisoryInput& input, const std::string& fragment) {
    const auto before = Footprint();
    auto record = h.advisories->Create(h.admin, input);
    ASSERT_FALSE(record.has_value());
    EXPECT_EQ(record.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(record.error().message.find(fragment), std::string::npos) << record.error().message;
    EXPECT_EQ(Footprint(), before) << "a rejected advisory left something behind";
  }

  testing::Harness h;
  TimePoint public_at;
};

TEST_F(AdvisoryServiceTest, CreatePublishesOneWavePerTierAtItsLeadTime) {
  const TimePoint now = h.clock.Now();
  auto r = Create(Input());
  EXPECT_EQ(r.status, AdvisoryStatus::kScheduled);
  ASSERT_EQ(r.revisions.size(), 1u);
  EXPECT_EQ(r.revisions[0].state, RevisionState::kPublished);
  EXPECT_EQ(r.revisions[0].release_at, now);
  EXPECT_EQ(r.revisions[0].content.terms, DefaultEmbargoTerms());
  ASSERT_NE(Wave(r, 1, "early"), nullptr);
  EXPECT_EQ(Wave(r, 1, "early")->at, public_at - hours{24 * 5});
  EXPECT_EQ(Wave(r, 1, "standard")->at, public_at - hours{24});
  // One public row per tier at the public date.
  int public_rows = 0;
  for (const auto& row : r.releases) {
    if (row.kind == ReleaseKind::kPublic) {
      ++public_rows;
      EXPECT_EQ(row.at, public_at);
    }
  }
  EXPECT_EQ(public_rows, 2);
  EXPECT_EQ(h.LedgerEvents("advisory.created").size(), 1u);
  EXPECT_EQ(h.LedgerEvents("advisory.published").size(), 1u);
}

TEST_F(AdvisoryServiceTest, WaveNeverOpensBeforeTheReleaseTime) {
  AdvisoryInput input = Input();
  input.public_at = h.clock.Now() + hours{48};  // early's lead (5 days) is already past
  auto r = Create(input);
  EXPECT_EQ(Wave(r, 1, "early")->at, h.clock.Now());
  EXPECT_EQ(Wave(r, 1, "standard")->at, input.public_at - hours{24});
  EXPECT_EQ(r.status, AdvisoryStatus::kPartnerReleased);
}

TEST_F(AdvisoryServiceTest, BadInputIsRejectedAndStoresNothing) {
  AdvisoryInput input = Input();
  input.content.cves = {"CVE-2026-40001", "CVE-2026-40001"};
  ExpectInvalid(input, "listed twice");
  input = Input();
  input.content.cves = {"CVE-26-1"};
  ExpectInvalid(input, "not a CVE id");
  input = Input();
  input.public_at = h.clock.Now() - hours{1};
  ExpectInvalid(input, "not in the future");
  input = Input();
  input.content.cvss_vectors = {"CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"};
  ExpectInvalid(input, "AV");
  input = Input();
  input.content.title = "";
  ExpectInvalid(input, "title");
  input = Input();
  input.schedule.waves["platinum"] = public_at - hours{1};
  ExpectInvalid(input, "unknown tier");
  input = Input();
  input.schedule.waves["early"] = public_at + hours{1};
  ExpectInvalid(input, "after the public date");
  input = Input();
  input.schedule.release_at = public_at + hours{1};
  ExpectInvalid(input, "impossible schedule");
  input = Input();
  input.schedule.release_at = h.clock.Now() - hours{1};
  ExpectInvalid(input, "in the past");
}

TEST_F(AdvisoryServiceTest, RolesAreChecked) {
  for (Role role : {Role::kInvestigator, Role::kAuditor}) {
    auto token = h.OperatorToken(role);
    auto principal = h.registry->Authenticate(token).value();
    auto record = h.advisories->Create(principal, Input());
    ASSERT_FALSE(record.has_value());
    EXPECT_EQ(record.error().code, ErrorCode::kPermissionDenied);
    EXPECT_TRUE(h.advisories->List(principal, {}).has_value());
  }
  auto partner = h.AddPartner("Contoso", "early");
  EXPECT_EQ(h.advisories->Create(partner.principal, Input()).error().code,
            ErrorCode::kPermissionDenied);
  EXPECT_EQ(h.advisories->List(partner.principal, {}).error().code, ErrorCode::kPermissionDenied);
  auto analyst = h.registry->Authenticate(h.OperatorToken(Role::kAnalyst)).value();
  EXPECT_TRUE(h.advisories->Create(analyst, Input()).has_value());
}

TEST_F(AdvisoryServiceTest, ChangesGoInPlaceUntilAWaveOpensThenStartARevision) {
  auto r = Create(Input());
  AdvisoryChange change;
  change.title = "RCE chain in Collaboration Server";
  auto changed = h.advisories->Update(h.admin, r.advisory.id, change).value();
  EXPECT_EQ(changed.revisions.size(), 1u) << "no wave open yet: revision 1 changes in place";
  EXPECT_EQ(changed.revisions[0].content.title, "RCE chain in Collaboration Server");

  h.clock.Set(Wave(r, 1, "early")->at);  // early's wave opens
  change.title = "RCE chain (updated)";
  change.summary = "Clarified the affected versions";
  changed = h.advisories->Update(h.admin, r.advisory.id, change).value();
  ASSERT_EQ(changed.revisions.size(), 2u);
  EXPECT_EQ(changed.revisions[1].summary, "Clarified the affected versions");
  EXPECT_EQ(changed.revisions[1].state, RevisionState::kPublished);
  EXPECT_EQ(changed.revisions[0].content.title, "RCE chain in Collaboration Server");
  // Revision 2 opens for early now (its lead time has passed), for standard at its lead time.
  EXPECT_EQ(Wave(changed, 2, "early")->at, h.clock.Now());
  EXPECT_EQ(Wave(changed, 2, "standard")->at, public_at - hours{24});

  AdvisoryChange nothing;
  EXPECT_EQ(h.advisories->Update(h.admin, r.advisory.id, nothing).error().code,
            ErrorCode::kInvalidArgument);
}

TEST_F(AdvisoryServiceTest, DraftRevisionsPublishWithExplicitWaves) {
  AdvisoryInput input = Input();
  input.draft = true;
  auto r = Create(input);
  EXPECT_EQ(r.status, AdvisoryStatus::kDraft);
  EXPECT_TRUE(r.releases.empty());
  Schedule schedule;
  schedule.waves["early"] = public_at - hours{24 * 7};
  schedule.waves["standard"] = public_at - hours{24 * 7};
  auto published = h.advisories->Publish(h.admin, r.advisory.id, schedule).value();
  EXPECT_EQ(Wave(published, 1, "early")->at, public_at - hours{24 * 7});
  EXPECT_TRUE(Wave(published, 1, "early")->explicit_time);
  EXPECT_EQ(h.advisories->Publish(h.admin, r.advisory.id, {}).error().code,
            ErrorCode::kFailedPrecondition);
  // A draft revision 2 holds changes until it is published.
  h.clock.Set(public_at - hours{24 * 7});
  auto revised = h.advisories->Revise(h.admin, r.advisory.id, "PoC for the early tier").value();
  ASSERT_EQ(revised.revisions.size(), 2u);
  EXPECT_EQ(revised.revisions[1].state, RevisionState::kDraft);
  ArtifactInput poc;
  poc.kind = ArtifactKind::kPoc;
  poc.filename = "poc.py";
  poc.content = "import requests\n";
  auto artifact = h.advisories->AddArtifact(h.admin, r.advisory.id, poc).value();
  EXPECT_EQ(artifact.revision, 2);
  EXPECT_EQ(artifact.media_type, "text/x-python");
  EXPECT_EQ(artifact.sensitivity, Sensitivity::kSensitive);
  auto record = h.advisories->Get(h.admin, r.advisory.id).value();
  EXPECT_EQ(Wave(record, 2, "early"), nullptr) << "a draft has no waves";
  EXPECT_EQ(h.advisories->Revise(h.admin, r.advisory.id, "again").error().code,
            ErrorCode::kFailedPrecondition);
  auto published2 = h.advisories->Publish(h.admin, r.advisory.id, {}).value();
  EXPECT_EQ(Wave(published2, 2, "early")->at, public_at - hours{24 * 5});
}

TEST_F(AdvisoryServiceTest, ArtifactsValidateReferencesAndSizes) {
  auto r = Create(Input());
  ArtifactInput poc;
  poc.kind = ArtifactKind::kPoc;
  poc.filename = "poc.py";
  poc.content = "print('x')\n";
  auto first = h.advisories->AddArtifact(h.admin, r.advisory.id, poc).value();
  ArtifactInput description;
  description.kind = ArtifactKind::kTechnicalDescription;
  description.content = "The server deserializes the request body...";
  description.alternative_of = first.id;
  auto alternative = h.advisories->AddArtifact(h.admin, r.advisory.id, description).value();
  EXPECT_EQ(alternative.alternative_of, first.id);
  EXPECT_EQ(alternative.media_type, "text/plain");

  const auto before = Footprint();
  auto bad = description;
  bad.alternative_of = alternative.id;  // an alternative of an alternative
  EXPECT_EQ(h.advisories->AddArtifact(h.admin, r.advisory.id, bad).error().code,
            ErrorCode::kInvalidArgument);
  bad.alternative_of = "art_0000000000000000";
  EXPECT_EQ(h.advisories->AddArtifact(h.admin, r.advisory.id, bad).error().code,
            ErrorCode::kInvalidArgument);
  bad = poc;
  bad.content = std::string(kDefaultMaxArtifactBytes + 1, 'a');
  EXPECT_NE(
      h.advisories->AddArtifact(h.admin, r.advisory.id, bad).error().message.find("too large"),
      std::string::npos);
  bad.content = "";
  EXPECT_EQ(h.advisories->AddArtifact(h.admin, r.advisory.id, bad).error().code,
            ErrorCode::kInvalidArgument);
  bad = poc;
  bad.filename = "../etc/passwd";
  EXPECT_EQ(h.advisories->AddArtifact(h.admin, r.advisory.id, bad).error().code,
            ErrorCode::kInvalidArgument);
  bad = poc;
  bad.media_type = "not a type";
  EXPECT_EQ(h.advisories->AddArtifact(h.admin, r.advisory.id, bad).error().code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(Footprint(), before);
  EXPECT_EQ(h.advisories->AddArtifact(h.admin, "adv_0000000000000000", poc).error().code,
            ErrorCode::kNotFound);

  // A replacement drops the old artifact and its alternative forms from the new snapshot.
  h.clock.Set(public_at - hours{24 * 5});
  ArtifactInput revised = poc;
  revised.content = "print('bypass')\n";
  revised.replaces = first.id;
  auto second = h.advisories->AddArtifact(h.admin, r.advisory.id, revised).value();
  auto record = h.advisories->Get(h.admin, r.advisory.id).value();
  ASSERT_EQ(record.revisions.size(), 2u);
  EXPECT_EQ(record.revisions[1].artifact_ids, std::vector<std::string>{second.id});
  EXPECT_EQ(record.revisions[0].artifact_ids, (std::vector<std::string>{first.id, alternative.id}));
  // Content is stored once per digest and can be read back by operators.
  auto content = h.advisories->ArtifactContent(h.admin, r.advisory.id, second.id).value();
  EXPECT_EQ(content.second, "print('bypass')\n");
  EXPECT_EQ(content.first.content_sha256, crypto::Hex(crypto::Sha256("print('bypass')\n")));
  EXPECT_EQ(h.LedgerEvents("artifact.read").size(), 1u);
}

TEST_F(AdvisoryServiceTest, NewPublicDateReschedulesOnlyWavesNotYetOpen) {
  auto r = Create(Input());
  h.clock.Set(Wave(r, 1, "early")->at);
  AdvisoryChange change;
  change.public_at = public_at + hours{24 * 7};
  auto moved = h.advisories->Update(h.admin, r.advisory.id, change).value();
  EXPECT_EQ(moved.revisions.size(), 1u);
  EXPECT_EQ(Wave(moved, 1, "early")->at, public_at - hours{24 * 5}) << "opened: unchanged";
  EXPECT_EQ(Wave(moved, 1, "standard")->at, *change.public_at - hours{24});
  EXPECT_GT(Wave(moved, 1, "standard")->seq, Wave(r, 1, "standard")->seq)
      << "a moved row gets a new seq so feed cursors never skip it";
  change.public_at = h.clock.Now() - microseconds{1};
  EXPECT_EQ(h.advisories->Update(h.admin, r.advisory.id, change).error().code,
            ErrorCode::kInvalidArgument);
  h.clock.Set(moved.advisory.public_at);
  change.public_at = moved.advisory.public_at + hours{1};
  EXPECT_EQ(h.advisories->Update(h.admin, r.advisory.id, change).error().code,
            ErrorCode::kFailedPrecondition)
      << "a public advisory's date cannot move";
}

TEST_F(AdvisoryServiceTest, TierChangesReconcileTheSchedule) {
  auto r = Create(Input());
  ASSERT_TRUE(h.registry->PutTier(h.admin, {"platinum", hours{24 * 8}, ""}).has_value());
  ASSERT_TRUE(h.registry->PutTier(h.admin, {"standard", hours{48}, ""}).has_value());
  ASSERT_TRUE(h.advisories->ReconcileTiers("test").has_value());
  auto record = h.advisories->Get(h.admin, r.advisory.id).value();
  ASSERT_NE(Wave(record, 1, "platinum"), nullptr);
  EXPECT_EQ(Wave(record, 1, "platinum")->at, public_at - hours{24 * 8});
  EXPECT_EQ(Wave(record, 1, "standard")->at, public_at - hours{48});
  EXPECT_EQ(h.LedgerEvents("schedule.reconciled").size(), 1u);
  ASSERT_TRUE(h.advisories->ReconcileTiers("test").has_value());
  EXPECT_EQ(h.LedgerEvents("schedule.reconciled").size(), 1u) << "nothing moved: no record";
}

TEST_F(AdvisoryServiceTest, WithdrawalCancelsWavesNotYetOpen) {
  auto r = Create(Input());
  h.clock.Set(Wave(r, 1, "early")->at);
  EXPECT_EQ(h.advisories->Withdraw(h.admin, r.advisory.id, "").error().code,
            ErrorCode::kInvalidArgument);
  auto withdrawn = h.advisories->Withdraw(h.admin, r.advisory.id, "duplicate of adv_x").value();
  EXPECT_EQ(withdrawn.status, AdvisoryStatus::kWithdrawn);
  EXPECT_NE(Wave(withdrawn, 1, "early"), nullptr);
  EXPECT_EQ(Wave(withdrawn, 1, "standard"), nullptr);
  EXPECT_EQ(h.advisories->Withdraw(h.admin, r.advisory.id, "again").error().code,
            ErrorCode::kFailedPrecondition);
  AdvisoryChange change;
  change.title = "x";
  EXPECT_EQ(h.advisories->Update(h.admin, r.advisory.id, change).error().code,
            ErrorCode::kFailedPrecondition);
}

TEST_F(AdvisoryServiceTest, SchedulerRecordsDueReleasesOnceAndCatchesUp) {
  auto r = Create(Input());
  EXPECT_EQ(h.scheduler->RunDue().value(), 0u);
  EXPECT_EQ(h.scheduler->NextDue().value(), Wave(r, 1, "early")->at);
  // The server was down across both waves and the public date: one run records them all.
  h.clock.Set(public_at + hours{3});
  EXPECT_EQ(h.scheduler->RunDue().value(), 4u);  // two waves, two public rows
  EXPECT_EQ(h.scheduler->RunDue().value(), 0u);
  auto opened = h.LedgerEvents("wave.opened");
  ASSERT_EQ(opened.size(), 2u);
  EXPECT_EQ(opened[0]["details"]["tier"], "early");
  EXPECT_EQ(opened[0]["details"]["late_by"], fmt::format("{}s", (24 * 5 + 3) * 3600));
  auto announced = h.LedgerEvents("advisory.public");
  ASSERT_EQ(announced.size(), 1u) << "one public event per advisory, not per tier";
  EXPECT_EQ(announced[0]["subject"], r.advisory.id);
  auto record = h.advisories->Get(h.admin, r.advisory.id).value();
  EXPECT_EQ(record.advisory.recorded_status, AdvisoryStatus::kPublic);
  EXPECT_EQ(record.status, AdvisoryStatus::kPublic);
  EXPECT_FALSE(h.scheduler->NextDue().value().has_value());
}

TEST(MediaTypes, FromFileNames) {
  EXPECT_EQ(MediaTypeForFilename("exploit.py"), "text/x-python");
  EXPECT_EQ(MediaTypeForFilename("rule.yar"), "text/x-yara");
  EXPECT_EQ(MediaTypeForFilename("sigma.yml"), "application/yaml");
  EXPECT_EQ(MediaTypeForFilename("Invoke-Thing.ps1"), "text/x-powershell");
  EXPECT_EQ(MediaTypeForFilename("payload.bin"), "");
  EXPECT_EQ(MediaTypeForFilename(".py"), "");
}

}  // namespace
}  // namespace forewarn::advisory
