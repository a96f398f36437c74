// The store conformance suite: every backend must pass it. Backends register a factory in
// Backends(); the PostgreSQL backend will add itself here.
#include "store/store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <functional>

#include "core/time.h"
#include "store/sqlite/schema.h"
#include "tests/testing/testing.h"

namespace forewarn::store {
namespace {

// A filter with one field set.
template <class Field, class Value>
PartnerFilter Filter(Field PartnerFilter::*field, Value value) {
  PartnerFilter filter;
  filter.*field = std::move(value);
  return filter;
}

struct Backend {
  std::string name;
  std::function<Result<std::unique_ptr<Store>>(const std::filesystem::path& dir)> open;
};

std::vector<Backend> Backends() {
  return {Backend{
      "sqlite", [](const std::filesystem::path& dir) { return OpenSqlite(dir / "forewarn.db"); }}};
}

class StoreTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    auto opened = GetParam().open(dir_.path());
    ASSERT_TRUE(opened.has_value()) << opened.error().message;
    store_ = std::move(*opened);
    auto tx = Write();
    for (const auto& tier : DefaultTiers()) ASSERT_TRUE(tx->PutTier(tier).has_value());
    ASSERT_TRUE(tx->Commit().has_value());
  }

  std::unique_ptr<Transaction> Write() { return store_->Begin(TxMode::kWrite).value(); }
  std::unique_ptr<Transaction> Read() { return store_->Begin(TxMode::kRead).value(); }

  Partner MakePartner(const std::string& id, const std::string& tier = "early") {
    Partner p;
    p.id = id;
    p.name = "Partner " + id;
    p.country = "DE";
    p.tier = tier;
    p.labels = {"poc-restricted"};
    p.contract = Agreement{"2026-1", t0_};
    p.contacts = {{"Ada", "ada@example.org", "lead"}};
    p.created_at = t0_;
    p.updated_at = t0_;
    return p;
  }

  Advisory MakeAdvisory(const std::string& id, TimePoint created_at) {
    Advisory a;
    a.id = id;
    a.public_at = created_at + std::chrono::hours{24 * 7};
    a.latest_revision = 1;
    a.created_by = "token:analyst";
    a.created_at = created_at;
    a.updated_at = created_at;
    return a;
  }

  Revision MakeRevision(const std::string& advisory_id, int number,
                        std::vector<std::string> cves = {}) {
    Revision r;
    r.advisory_id = advisory_id;
    r.number = number;
    r.summary = "revision " + std::to_string(number);
    r.content.title = "RCE in Collab Server";
    r.content.cves = std::move(cves);
    r.content.terms = "Do not share.";
    r.terms_sha256 = std::string(64, 'c');
    r.created_by = "token:analyst";
    r.created_at = t0_ + std::chrono::minutes{number};
    return r;
  }

  // An artifact whose content (`bytes`) is stored first, as InsertArtifact requires.
  Artifact MakeArtifact(Transaction& tx, const std::string& id, const std::string& advisory_id,
                        TimePoint created_at) {
    const std::string digest = "sha-" + id;
    EXPECT_TRUE(tx.PutContent(digest, "bytes of " + id).has_value());
    Artifact a;
    a.id = id;
    a.advisory_id = advisory_id;
    a.title = "Artifact " + id;
    a.media_type = "text/plain";
    a.content_sha256 = digest;
    a.size = 9 + id.size();
    a.created_by = "token:analyst";
    a.created_at = created_at;
    return a;
  }

  Release MakeRelease(const std::string& advisory_id, const std::string& tier, ReleaseKind kind,
                      TimePoint at) {
    Release r;
    r.advisory_id = advisory_id;
    r.revision = 1;
    r.tier = tier;
    r.kind = kind;
    r.at = at;
    return r;
  }

  // Inserts advisories with these ids (created one second apart) and commits.
  void InsertAdvisories(const std::vector<std::string>& ids) {
    auto tx = Write();
    for (size_t i = 0; i < ids.size(); ++i) {
      ASSERT_TRUE(
          tx->InsertAdvisory(MakeAdvisory(ids[i], t0_ + std::chrono::seconds{i})).has_value());
    }
    ASSERT_TRUE(tx->Commit().has_value());
  }

  // A pending delivery due at its creation time; partner and advisory must exist.
  Delivery MakeDelivery(const std::string& id, const std::string& partner_id,
                        const std::string& advisory_id, TimePoint created_at,
                        const std::string& trigger = "wave") {
    Delivery d;
    d.id = id;
    d.partner_id = partner_id;
    d.advisory_id = advisory_id;
    d.revision = 1;
    d.trigger = trigger;
    d.created_at = created_at;
    d.next_attempt_at = created_at;
    return d;
  }

  // Partners prt_1 and prt_2, advisories adv_1 and adv_2: what deliveries refer to.
  void InsertDeliveryTargets() {
    InsertAdvisories({"adv_1", "adv_2"});
    auto tx = Write();
    ASSERT_TRUE(tx->InsertPartner(MakePartner("prt_1")).has_value());
    ASSERT_TRUE(tx->InsertPartner(MakePartner("prt_2")).has_value());
    ASSERT_TRUE(tx->Commit().has_value());
  }

  static std::vector<int64_t> Seqs(const std::vector<Release>& releases) {
    std::vector<int64_t> seqs;
    for (const auto& r : releases) seqs.push_back(r.seq);
    return seqs;
  }

  template <class T>
  static std::vector<std::string> Ids(const std::vector<T>& rows) {
    std::vector<std::string> ids;
    for (const auto& row : rows) ids.push_back(row.id);
    return ids;
  }

  testing::TempDir dir_;
  std::unique_ptr<Store> store_;
  TimePoint t0_ = ParseTime("2026-07-01T10:00:00.123456Z").value();
};

TEST_P(StoreTest, PartnerRoundTripsEveryField) {
  Partner p = MakePartner("prt_1");
  p.nda = Agreement{"nda-3", t0_ + std::chrono::hours{1}};
  p.x25519_public_key = std::string(43, 'A') + "=";
  p.webhook_url = "https://hooks.example.org/fw";
  auto tx = Write();
  ASSERT_TRUE(tx->InsertPartner(p).has_value());
  ASSERT_TRUE(tx->Commit().has_value());

  auto found = Read()->FindPartner("prt_1").value();
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->name, p.name);
  EXPECT_EQ(found->labels, p.labels);
  ASSERT_TRUE(found->contract.has_value());
  EXPECT_EQ(found->contract->version, "2026-1");
  EXPECT_EQ(found->contract->accepted_at, t0_);
  ASSERT_TRUE(found->nda.has_value());
  EXPECT_EQ(found->nda->version, "nda-3");
  ASSERT_EQ(found->contacts.size(), 1u);
  EXPECT_EQ(found->contacts[0].email, "ada@example.org");
  EXPECT_EQ(found->x25519_public_key, p.x25519_public_key);
  EXPECT_EQ(found->webhook_url, p.webhook_url);
  EXPECT_EQ(found->created_at, t0_);
  EXPECT_FALSE(Read()->FindPartner("prt_missing").value().has_value());
}

TEST_P(StoreTest, DuplicateIdIsConflictAndUnknownTierIsRejected) {
  auto tx = Write();
  ASSERT_TRUE(tx->InsertPartner(MakePartner("prt_1")).has_value());
  auto dup = tx->InsertPartner(MakePartner("prt_1"));
  ASSERT_FALSE(dup.has_value());
  EXPECT_EQ(dup.error().code, ErrorCode::kConflict);
  auto bad_tier = tx->InsertPartner(MakePartner("prt_2", "platinum"));
  ASSERT_FALSE(bad_tier.has_value());
  EXPECT_EQ(bad_tier.error().code, ErrorCode::kConflict);
}

TEST_P(StoreTest, UncommittedTransactionLeavesNothing) {
  {
    auto tx = Write();
    ASSERT_TRUE(tx->InsertPartner(MakePartner("prt_1")).has_value());
    ASSERT_TRUE(tx->PutSetting("name", "x").has_value());
  }  // destroyed without Commit
  auto tx = Read();
  EXPECT_FALSE(tx->FindPartner("prt_1").value().has_value());
  EXPECT_FALSE(tx->GetSetting("name").value().has_value());
}

TEST_P(StoreTest, UpdateAndFilterPartners) {
  auto tx = Write();
  ASSERT_TRUE(tx->InsertPartner(MakePartner("prt_1")).has_value());
  Partner second = MakePartner("prt_2", "standard");
  second.labels = {};
  second.country = "FR";
  second.created_at = t0_ + std::chrono::seconds{1};
  ASSERT_TRUE(tx->InsertPartner(second).has_value());
  second.status = PartnerStatus::kSuspended;
  ASSERT_TRUE(tx->UpdatePartner(second).has_value());
  EXPECT_EQ(tx->UpdatePartner(MakePartner("prt_9")).error().code, ErrorCode::kNotFound);
  ASSERT_TRUE(tx->Commit().has_value());

  auto read = Read();
  EXPECT_EQ(read->ListPartners({}).value().size(), 2u);
  auto by_status =
      read->ListPartners(Filter(&PartnerFilter::status, PartnerStatus::kSuspended)).value();
  ASSERT_EQ(by_status.size(), 1u);
  EXPECT_EQ(by_status[0].id, "prt_2");
  EXPECT_EQ(read->ListPartners(Filter(&PartnerFilter::tier, std::string("early"))).value().size(),
            1u);
  EXPECT_EQ(read->ListPartners(Filter(&PartnerFilter::label, std::string("poc-restricted")))
                .value()
                .size(),
            1u);
  EXPECT_EQ(read->ListPartners(Filter(&PartnerFilter::label, std::string("poc"))).value().size(),
            0u);
  EXPECT_EQ(read->ListPartners(Filter(&PartnerFilter::country, std::string("FR"))).value().size(),
            1u);
}

TEST_P(StoreTest, StatusChangesAreKeptInOrder) {
  auto tx = Write();
  ASSERT_TRUE(tx->InsertPartner(MakePartner("prt_1")).has_value());
  ASSERT_TRUE(tx->InsertStatusChange({"prt_1", PartnerStatus::kActive, PartnerStatus::kSuspended,
                                      "leak suspected", "token:a", t0_})
                  .has_value());
  ASSERT_TRUE(tx->InsertStatusChange({"prt_1", PartnerStatus::kSuspended, PartnerStatus::kActive,
                                      "cleared", "token:a", t0_ + std::chrono::hours{1}})
                  .has_value());
  ASSERT_TRUE(tx->Commit().has_value());
  auto changes = Read()->ListStatusChanges("prt_1").value();
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes[0].reason, "leak suspected");
  EXPECT_EQ(changes[1].to, PartnerStatus::kActive);
}

TEST_P(StoreTest, TokensStoreHashesAndRevoke) {
  auto tx = Write();
  ASSERT_TRUE(tx->InsertPartner(MakePartner("prt_1")).has_value());
  TokenRecord admin{"tok_a",      std::string("\x01\x00\x02", 3),
                    Role::kAdmin, "",
                    "root",       "init",
                    t0_,          std::nullopt,
                    std::nullopt};
  TokenRecord partner{"tok_p",
                      "hash",
                      Role::kPartner,
                      "prt_1",
                      "feed",
                      "tok_a",
                      t0_,
                      t0_ + std::chrono::hours{24},
                      std::nullopt};
  TokenRecord partner2 = partner;
  partner2.id = "tok_q";
  ASSERT_TRUE(tx->InsertToken(admin).has_value());
  ASSERT_TRUE(tx->InsertToken(partner).has_value());
  ASSERT_TRUE(tx->InsertToken(partner2).has_value());
  // A partner token must name its partner; an operator token must not.
  TokenRecord orphan = partner;
  orphan.id = "tok_x";
  orphan.partner_id = "";
  EXPECT_FALSE(tx->InsertToken(orphan).has_value());
  ASSERT_TRUE(tx->Commit().has_value());

  auto found = Read()->FindToken("tok_a").value();
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->secret_hash, std::string("\x01\x00\x02", 3));
  EXPECT_EQ(found->role, Role::kAdmin);
  EXPECT_EQ(Read()->ListTokens(std::string("prt_1")).value().size(), 2u);
  EXPECT_EQ(Read()->ListTokens(std::nullopt).value().size(), 3u);

  auto write = Write();
  EXPECT_EQ(write->RevokePartnerTokens("prt_1", t0_).value(), 2);
  EXPECT_EQ(write->RevokePartnerTokens("prt_1", t0_).value(), 0);
  EXPECT_EQ(write->RevokeToken("tok_missing", t0_).error().code, ErrorCode::kNotFound);
  ASSERT_TRUE(write->Commit().has_value());
  EXPECT_TRUE(Read()->FindToken("tok_p").value()->revoked_at.has_value());
  EXPECT_FALSE(Read()->FindToken("tok_a").value()->revoked_at.has_value());
}

TEST_P(StoreTest, LedgerAppendsAreSequential) {
  auto tx = Write();
  EXPECT_EQ(tx->LedgerSize().value(), 0u);
  EXPECT_FALSE(tx->LastLedgerLeaf().value().has_value());
  ASSERT_TRUE(tx->AppendLedgerLeaf({0, "{\"a\":1}", std::string(32, 'h')}).has_value());
  ASSERT_TRUE(tx->AppendLedgerLeaf({1, "{\"a\":2}", std::string(32, 'i')}).has_value());
  EXPECT_EQ(tx->AppendLedgerLeaf({3, "{}", std::string(32, 'j')}).error().code,
            ErrorCode::kConflict);
  ASSERT_TRUE(tx->PutLedgerNode(1, 0, std::string(32, 'n')).has_value());
  ASSERT_TRUE(tx->InsertTreeHead({2, std::string(32, 'r'), t0_, std::string(64, 's')}).has_value());
  EXPECT_EQ(tx->InsertTreeHead({2, std::string(32, 'x'), t0_, std::string(64, 's')}).error().code,
            ErrorCode::kConflict);
  ASSERT_TRUE(tx->Commit().has_value());

  auto read = Read();
  EXPECT_EQ(read->LedgerSize().value(), 2u);
  auto last = read->LastLedgerLeaf().value();
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(last->index, 1u);
  EXPECT_EQ(last->leaf_hash, std::string(32, 'i'));
  auto leaves = read->ListLedgerLeaves(1, 10).value();
  ASSERT_EQ(leaves.size(), 1u);
  EXPECT_EQ(leaves[0].data, "{\"a\":2}");
  EXPECT_EQ(read->FindLedgerLeafByHash(std::string(32, 'i')).value()->index, 1u);
  EXPECT_EQ(*read->GetLedgerNode(1, 0).value(), std::string(32, 'n'));
  EXPECT_FALSE(read->GetLedgerNode(1, 1).value().has_value());
  EXPECT_EQ(read->LatestTreeHead().value()->tree_size, 2u);
}

TEST_P(StoreTest, SettingsAndTiers) {
  auto tx = Write();
  ASSERT_TRUE(tx->PutSetting("program.name", "Fabrikam").has_value());
  ASSERT_TRUE(tx->PutSetting("program.name", "Fabrikam MAPP").has_value());
  ASSERT_TRUE(tx->PutTier({"standard", std::chrono::hours{48}, "slower"}).has_value());
  ASSERT_TRUE(tx->Commit().has_value());
  auto read = Read();
  EXPECT_EQ(*read->GetSetting("program.name").value(), "Fabrikam MAPP");
  auto tiers = read->ListTiers().value();
  ASSERT_EQ(tiers.size(), 2u);
  EXPECT_EQ(tiers[0].name, "early");  // longest lead time first
  EXPECT_EQ(read->FindTier("standard").value()->lead_time, std::chrono::hours{48});
}

TEST_P(StoreTest, ReadersSeeCommittedStateWhileAWriterIsOpen) {
  auto writer = Write();
  ASSERT_TRUE(writer->InsertPartner(MakePartner("prt_1")).has_value());
  EXPECT_FALSE(Read()->FindPartner("prt_1").value().has_value());
  ASSERT_TRUE(writer->Commit().has_value());
  EXPECT_TRUE(Read()->FindPartner("prt_1").value().has_value());
  EXPECT_TRUE(store_->Ping().has_value());
}

// --- advisories ---

TEST_P(StoreTest, AdvisoryRoundTripsEveryField) {
  Advisory open = MakeAdvisory("adv_1", t0_);
  open.latest_revision = 3;
  open.updated_at = t0_ + std::chrono::microseconds{7};
  open.recorded_status = AdvisoryStatus::kPartnerReleased;
  Advisory withdrawn = MakeAdvisory("adv_2", t0_);
  withdrawn.withdrawn_at = t0_ + std::chrono::hours{2};
  withdrawn.withdrawn_reason = "duplicate of adv_1";
  withdrawn.recorded_status = AdvisoryStatus::kWithdrawn;
  auto tx = Write();
  ASSERT_TRUE(tx->InsertAdvisory(open).has_value());
  ASSERT_TRUE(tx->InsertAdvisory(withdrawn).has_value());
  ASSERT_TRUE(tx->Commit().has_value());

  auto read = Read();
  auto found = read->FindAdvisory("adv_1").value();
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->id, "adv_1");
  EXPECT_EQ(found->public_at, t0_ + std::chrono::hours{24 * 7});
  EXPECT_EQ(found->latest_revision, 3);
  EXPECT_EQ(found->created_by, "token:analyst");
  EXPECT_EQ(found->created_at, t0_);
  EXPECT_EQ(found->updated_at, t0_ + std::chrono::microseconds{7});
  EXPECT_FALSE(found->withdrawn_at.has_value());
  EXPECT_EQ(found->withdrawn_reason, "");
  EXPECT_EQ(found->recorded_status, AdvisoryStatus::kPartnerReleased);
  auto second = read->FindAdvisory("adv_2").value();
  ASSERT_TRUE(second.has_value());
  ASSERT_TRUE(second->withdrawn_at.has_value());
  EXPECT_EQ(*second->withdrawn_at, t0_ + std::chrono::hours{2});
  EXPECT_EQ(second->withdrawn_reason, "duplicate of adv_1");
  EXPECT_EQ(second->recorded_status, AdvisoryStatus::kWithdrawn);
  EXPECT_FALSE(read->FindAdvisory("adv_missing").value().has_value());
}

TEST_P(StoreTest, AdvisoryDuplicateIsConflictAndUpdateReplacesFields) {
  auto tx = Write();
  ASSERT_TRUE(tx->InsertAdvisory(MakeAdvisory("adv_1", t0_)).has_value());
  auto dup = tx->InsertAdvisory(MakeAdvisory("adv_1", t0_ + std::chrono::hours{1}));
  ASSERT_FALSE(dup.has_value());
  EXPECT_EQ(dup.error().code, ErrorCode::kConflict);
  auto missing = tx->UpdateAdvisory(MakeAdvisory("adv_9", t0_));
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);

  Advisory changed = MakeAdvisory("adv_1", t0_);
  changed.public_at = t0_ + std::chrono::hours{1};
  changed.latest_revision = 2;
  changed.updated_at = t0_ + std::chrono::minutes{5};
  changed.withdrawn_at = t0_ + std::chrono::minutes{6};
  changed.withdrawn_reason = "false positive";
  changed.recorded_status = AdvisoryStatus::kScheduled;
  ASSERT_TRUE(tx->UpdateAdvisory(changed).has_value());
  ASSERT_TRUE(tx->Commit().has_value());

  auto found = Read()->FindAdvisory("adv_1").value();
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->public_at, t0_ + std::chrono::hours{1});
  EXPECT_EQ(found->latest_revision, 2);
  EXPECT_EQ(found->updated_at, t0_ + std::chrono::minutes{5});
  EXPECT_EQ(found->withdrawn_at, std::optional<TimePoint>(t0_ + std::chrono::minutes{6}));
  EXPECT_EQ(found->withdrawn_reason, "false positive");
  EXPECT_EQ(found->recorded_status, AdvisoryStatus::kScheduled);
  // Clearing an optional field is an update too.
  auto clear = Write();
  changed.withdrawn_at.reset();
  ASSERT_TRUE(clear->UpdateAdvisory(changed).has_value());
  ASSERT_TRUE(clear->Commit().has_value());
  EXPECT_FALSE(Read()->FindAdvisory("adv_1").value()->withdrawn_at.has_value());
}

TEST_P(StoreTest, ListAdvisoriesOrdersByCreationThenId) {
  auto tx = Write();
  ASSERT_TRUE(tx->InsertAdvisory(MakeAdvisory("adv_c", t0_)).has_value());
  ASSERT_TRUE(tx->InsertAdvisory(MakeAdvisory("adv_a", t0_ + std::chrono::seconds{1})).has_value());
  ASSERT_TRUE(tx->InsertAdvisory(MakeAdvisory("adv_b", t0_)).has_value());
  ASSERT_TRUE(tx->Commit().has_value());
  EXPECT_EQ(Ids(Read()->ListAdvisories({}).value()),
            (std::vector<std::string>{"adv_b", "adv_c", "adv_a"}));
}

TEST_P(StoreTest, ListAdvisoriesByCveLooksOnlyAtTheLatestRevision) {
  InsertAdvisories({"adv_1", "adv_2", "adv_3"});
  auto tx = Write();
  // adv_1: revision 1 listed CVE-2026-1111, the latest (2) lists only CVE-2026-2222.
  ASSERT_TRUE(tx->InsertRevision(MakeRevision("adv_1", 1, {"CVE-2026-1111"})).has_value());
  ASSERT_TRUE(tx->InsertRevision(MakeRevision("adv_1", 2, {"CVE-2026-2222"})).has_value());
  Advisory first = MakeAdvisory("adv_1", t0_);
  first.latest_revision = 2;
  ASSERT_TRUE(tx->UpdateAdvisory(first).has_value());
  // adv_2: latest revision 1 lists both.
  ASSERT_TRUE(
      tx->InsertRevision(MakeRevision("adv_2", 1, {"CVE-2026-2222", "CVE-2026-1111"})).has_value());
  // adv_3: latest_revision is 1 but only revision 2 (a draft ahead of it) lists the CVE.
  ASSERT_TRUE(tx->InsertRevision(MakeRevision("adv_3", 1)).has_value());
  ASSERT_TRUE(tx->InsertRevision(MakeRevision("adv_3", 2, {"CVE-2026-1111"})).has_value());
  ASSERT_TRUE(tx->Commit().has_value());

  auto read = Read();
  AdvisoryFilter filter;
  filter.cve = "CVE-2026-1111";
  EXPECT_EQ(Ids(read->ListAdvisories(filter).value()), (std::vector<std::string>{"adv_2"}));
  filter.cve = "CVE-2026-2222";
  EXPECT_EQ(Ids(read->ListAdvisories(filter).value()),
            (std::vector<std::string>{"adv_1", "adv_2"}));
  filter.cve = "CVE-2026-111";  // a prefix is not a match
  EXPECT_TRUE(read->ListAdvisories(filter).value().empty());
  EXPECT_EQ(read->ListAdvisories({}).value().size(), 3u);
}

// --- revisions ---

TEST_P(StoreTest, RevisionRoundTripsEveryField) {
  InsertAdvisories({"adv_1"});
  auto tx = Write();
  const Artifact a = MakeArtifact(*tx, "art_a", "adv_1", t0_);
  const Artifact b = MakeArtifact(*tx, "art_b", "adv_1", t0_ + std::chrono::seconds{1});
  const Artifact c = MakeArtifact(*tx, "art_c", "adv_1", t0_ + std::chrono::seconds{2});
  for (const auto& artifact : {a, b, c}) ASSERT_TRUE(tx->InsertArtifact(artifact).has_value());

  Revision full = MakeRevision("adv_1", 1, {"CVE-2026-1234", "CVE-2026-99999"});
  full.state = RevisionState::kPublished;
  full.summary = "Initial advisory";
  full.content.description = "Line one\nLine \"two\" \\ with ünïcode";
  full.content.products = {{"Collab Server", "< 16.0.10417.20037", "16.0.10417.20037"},
                           {"Collab Desktop", "all", ""}};
  full.content.cvss_vectors = {"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
                               "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"};
  full.content.terms = "Embargoed until the public date.";
  full.terms_sha256 = std::string(64, 'e');
  full.artifact_ids = {"art_c", "art_a", "art_b"};  // not creation order, not sorted
  full.created_by = "token:lead";
  full.created_at = t0_ + std::chrono::microseconds{3};
  full.release_at = t0_ + std::chrono::hours{4};
  ASSERT_TRUE(tx->InsertRevision(full).has_value());
  Revision empty = MakeRevision("adv_1", 2);
  empty.content = AdvisoryContent{};
  ASSERT_TRUE(tx->InsertRevision(empty).has_value());
  ASSERT_TRUE(tx->Commit().has_value());

  auto read = Read();
  auto found = read->FindRevision("adv_1", 1).value();
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->advisory_id, "adv_1");
  EXPECT_EQ(found->number, 1);
  EXPECT_EQ(found->state, RevisionState::kPublished);
  EXPECT_EQ(found->summary, "Initial advisory");
  EXPECT_EQ(found->content, full.content);
  EXPECT_EQ(found->content.products[0].fixed, "16.0.10417.20037");
  EXPECT_EQ(found->terms_sha256, std::string(64, 'e'));
  EXPECT_EQ(found->artifact_ids, (std::vector<std::string>{"art_c", "art_a", "art_b"}));
  EXPECT_EQ(found->created_by, "token:lead");
  EXPECT_EQ(found->created_at, t0_ + std::chrono::microseconds{3});
  EXPECT_EQ(found->release_at, std::optional<TimePoint>(t0_ + std::chrono::hours{4}));

  auto second = read->FindRevision("adv_1", 2).value();
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->state, RevisionState::kDraft);
  EXPECT_EQ(second->content, AdvisoryContent{});
  EXPECT_TRUE(second->artifact_ids.empty());
  EXPECT_FALSE(second->release_at.has_value());
  EXPECT_FALSE(read->FindRevision("adv_1", 3).value().has_value());
  EXPECT_FALSE(read->FindRevision("adv_2", 1).value().has_value());
}

TEST_P(StoreTest, RevisionInsertErrors) {
  InsertAdvisories({"adv_1", "adv_2"});
  auto tx = Write();
  ASSERT_TRUE(tx->InsertArtifact(MakeArtifact(*tx, "art_other", "adv_2", t0_)).has_value());
  ASSERT_TRUE(tx->InsertRevision(MakeRevision("adv_1", 1)).has_value());

  auto dup = tx->InsertRevision(MakeRevision("adv_1", 1));
  ASSERT_FALSE(dup.has_value());
  EXPECT_EQ(dup.error().code, ErrorCode::kConflict);
  auto no_advisory = tx->InsertRevision(MakeRevision("adv_missing", 1));
  ASSERT_FALSE(no_advisory.has_value());
  EXPECT_EQ(no_advisory.error().code, ErrorCode::kNotFound);
  // An artifact set may hold only existing artifacts of the same advisory, and a rejected
  // revision leaves no row behind even though this transaction commits.
  Revision foreign = MakeRevision("adv_1", 2);
  foreign.artifact_ids = {"art_other"};
  auto foreign_status = tx->InsertRevision(foreign);
  ASSERT_FALSE(foreign_status.has_value());
  EXPECT_EQ(foreign_status.error().code, ErrorCode::kConflict);
  Revision unknown = MakeRevision("adv_1", 3);
  unknown.artifact_ids = {"art_nowhere"};
  EXPECT_EQ(tx->InsertRevision(unknown).error().code, ErrorCode::kConflict);
  Revision not_utf8 = MakeRevision("adv_1", 4);
  not_utf8.content.title = "bad \xff byte";
  EXPECT_EQ(tx->InsertRevision(not_utf8).error().code, ErrorCode::kInvalidArgument);
  ASSERT_TRUE(tx->Commit().has_value());

  auto revisions = Read()->ListRevisions("adv_1").value();
  ASSERT_EQ(revisions.size(), 1u);
  EXPECT_EQ(revisions[0].number, 1);
}

TEST_P(StoreTest, UpdateRevisionReplacesFieldsAndArtifactSet) {
  InsertAdvisories({"adv_1", "adv_2"});
  auto tx = Write();
  for (const std::string id : {"art_a", "art_b", "art_c"}) {
    ASSERT_TRUE(tx->InsertArtifact(MakeArtifact(*tx, id, "adv_1", t0_)).has_value());
  }
  ASSERT_TRUE(tx->InsertArtifact(MakeArtifact(*tx, "art_other", "adv_2", t0_)).has_value());
  Revision r = MakeRevision("adv_1", 1, {"CVE-2026-1111"});
  r.artifact_ids = {"art_a", "art_b"};
  r.release_at = t0_;
  ASSERT_TRUE(tx->InsertRevision(r).has_value());

  r.state = RevisionState::kPublished;
  r.summary = "published";
  r.content.title = "New title";
  r.content.cves = {"CVE-2026-2222"};
  r.content.products = {{"Collab Server", "< 2.0", "2.0"}};
  r.terms_sha256 = std::string(64, 'f');
  r.created_by = "token:other";
  r.created_at = t0_ + std::chrono::hours{1};
  r.release_at.reset();
  r.artifact_ids = {"art_c", "art_a"};
  ASSERT_TRUE(tx->UpdateRevision(r).has_value());
  auto missing = tx->UpdateRevision(MakeRevision("adv_1", 2));
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  // A failed update changes nothing, even when the transaction commits afterwards.
  Revision bad = r;
  bad.summary = "should not stick";
  bad.artifact_ids = {"art_b", "art_other"};
  EXPECT_EQ(tx->UpdateRevision(bad).error().code, ErrorCode::kConflict);
  ASSERT_TRUE(tx->Commit().has_value());

  auto found = Read()->FindRevision("adv_1", 1).value();
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->state, RevisionState::kPublished);
  EXPECT_EQ(found->summary, "published");
  EXPECT_EQ(found->content, r.content);
  EXPECT_EQ(found->terms_sha256, std::string(64, 'f'));
  EXPECT_EQ(found->created_by, "token:other");
  EXPECT_EQ(found->created_at, t0_ + std::chrono::hours{1});
  EXPECT_FALSE(found->release_at.has_value());
  EXPECT_EQ(found->artifact_ids, (std::vector<std::string>{"art_c", "art_a"}));

  // The update also moved the CVE the filter sees.
  AdvisoryFilter filter;
  filter.cve = "CVE-2026-1111";
  EXPECT_TRUE(Read()->ListAdvisories(filter).value().empty());
  filter.cve = "CVE-2026-2222";
  EXPECT_EQ(Read()->ListAdvisories(filter).value().size(), 1u);
}

TEST_P(StoreTest, ListRevisionsOldestFirstWithTheirOwnArtifacts) {
  InsertAdvisories({"adv_1", "adv_2"});
  auto tx = Write();
  ASSERT_TRUE(tx->InsertArtifact(MakeArtifact(*tx, "art_a", "adv_1", t0_)).has_value());
  ASSERT_TRUE(tx->InsertArtifact(MakeArtifact(*tx, "art_b", "adv_1", t0_)).has_value());
  Revision r2 = MakeRevision("adv_1", 2);
  r2.artifact_ids = {"art_b", "art_a"};
  Revision r1 = MakeRevision("adv_1", 1);
  r1.artifact_ids = {"art_a"};
  ASSERT_TRUE(tx->InsertRevision(r2).has_value());  // inserted out of order on purpose
  ASSERT_TRUE(tx->InsertRevision(r1).has_value());
  ASSERT_TRUE(tx->InsertRevision(MakeRevision("adv_2", 1)).has_value());
  ASSERT_TRUE(tx->Commit().has_value());

  auto revisions = Read()->ListRevisions("adv_1").value();
  ASSERT_EQ(revisions.size(), 2u);
  EXPECT_EQ(revisions[0].number, 1);
  EXPECT_EQ(revisions[0].artifact_ids, (std::vector<std::string>{"art_a"}));
  EXPECT_EQ(revisions[1].number, 2);
  EXPECT_EQ(revisions[1].artifact_ids, (std::vector<std::string>{"art_b", "art_a"}));
  EXPECT_TRUE(Read()->ListRevisions("adv_missing").value().empty());
}

// --- artifacts and content ---

TEST_P(StoreTest, ArtifactRoundTripsEveryField) {
  InsertAdvisories({"adv_1"});
  auto tx = Write();
  ASSERT_TRUE(tx->PutContent(std::string(64, '1'), std::string("poc\0code", 8)).has_value());
  Artifact poc;
  poc.id = "art_poc";
  poc.advisory_id = "adv_1";
  poc.revision = 2;
  poc.kind = ArtifactKind::kPoc;
  poc.title = "Proof of concept";
  poc.media_type = "text/x-python";
  poc.sensitivity = Sensitivity::kSensitive;
  poc.filename = "exploit.py";
  poc.content_sha256 = std::string(64, '1');
  poc.size = 5'000'000'000ull;  // does not fit in 32 bits
  poc.alternative_of = "art_primary";
  poc.replaces = "art_old";
  poc.created_by = "token:analyst";
  poc.created_at = t0_ + std::chrono::microseconds{42};
  ASSERT_TRUE(tx->InsertArtifact(poc).has_value());
  Artifact plain = MakeArtifact(*tx, "art_plain", "adv_1", t0_);
  ASSERT_TRUE(tx->InsertArtifact(plain).has_value());
  ASSERT_TRUE(tx->Commit().has_value());

  auto read = Read();
  auto found = read->FindArtifact("art_poc").value();
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->id, "art_poc");
  EXPECT_EQ(found->advisory_id, "adv_1");
  EXPECT_EQ(found->revision, 2);
  EXPECT_EQ(found->kind, ArtifactKind::kPoc);
  EXPECT_EQ(found->title, "Proof of concept");
  EXPECT_EQ(found->media_type, "text/x-python");
  EXPECT_EQ(found->sensitivity, Sensitivity::kSensitive);
  EXPECT_EQ(found->filename, "exploit.py");
  EXPECT_EQ(found->content_sha256, std::string(64, '1'));
  EXPECT_EQ(found->size, 5'000'000'000ull);
  EXPECT_EQ(found->alternative_of, "art_primary");
  EXPECT_EQ(found->replaces, "art_old");
  EXPECT_EQ(found->created_by, "token:analyst");
  EXPECT_EQ(found->created_at, t0_ + std::chrono::microseconds{42});
  auto defaults = read->FindArtifact("art_plain").value();
  ASSERT_TRUE(defaults.has_value());
  EXPECT_EQ(defaults->kind, ArtifactKind::kSummary);
  EXPECT_EQ(defaults->sensitivity, Sensitivity::kNormal);
  EXPECT_EQ(defaults->filename, "");
  EXPECT_EQ(defaults->alternative_of, "");
  EXPECT_EQ(defaults->replaces, "");
  EXPECT_EQ(defaults->size, 18u);
  EXPECT_FALSE(read->FindArtifact("art_missing").value().has_value());
  EXPECT_EQ(*read->GetContent(std::string(64, '1')).value(), std::string("poc\0code", 8));
}

TEST_P(StoreTest, ArtifactInsertErrors) {
  InsertAdvisories({"adv_1"});
  auto tx = Write();
  Artifact a = MakeArtifact(*tx, "art_a", "adv_1", t0_);
  ASSERT_TRUE(tx->InsertArtifact(a).has_value());
  auto dup = tx->InsertArtifact(a);
  ASSERT_FALSE(dup.has_value());
  EXPECT_EQ(dup.error().code, ErrorCode::kConflict);
  Artifact no_content = a;
  no_content.id = "art_b";
  no_content.content_sha256 = "not-stored";
  EXPECT_FALSE(tx->InsertArtifact(no_content).has_value());
  Artifact no_advisory = a;
  no_advisory.id = "art_c";
  no_advisory.advisory_id = "adv_missing";
  EXPECT_FALSE(tx->InsertArtifact(no_advisory).has_value());
  ASSERT_TRUE(tx->Commit().has_value());
  EXPECT_EQ(Ids(Read()->ListArtifacts("adv_1").value()), (std::vector<std::string>{"art_a"}));
  EXPECT_FALSE(Read()->FindArtifact("art_b").value().has_value());
}

TEST_P(StoreTest, ListArtifactsOldestFirstPerAdvisory) {
  InsertAdvisories({"adv_1", "adv_2"});
  auto tx = Write();
  const TimePoint later = t0_ + std::chrono::seconds{5};
  ASSERT_TRUE(tx->InsertArtifact(MakeArtifact(*tx, "art_z", "adv_1", t0_)).has_value());
  ASSERT_TRUE(tx->InsertArtifact(MakeArtifact(*tx, "art_late", "adv_1", later)).has_value());
  ASSERT_TRUE(tx->InsertArtifact(MakeArtifact(*tx, "art_b", "adv_1", t0_)).has_value());
  ASSERT_TRUE(tx->InsertArtifact(MakeArtifact(*tx, "art_x", "adv_2", t0_)).has_value());
  ASSERT_TRUE(tx->Commit().has_value());
  EXPECT_EQ(Ids(Read()->ListArtifacts("adv_1").value()),
            (std::vector<std::string>{"art_b", "art_z", "art_late"}));
  EXPECT_EQ(Ids(Read()->ListArtifacts("adv_2").value()), (std::vector<std::string>{"art_x"}));
  EXPECT_TRUE(Read()->ListArtifacts("adv_missing").value().empty());
}

TEST_P(StoreTest, ContentIsStoredOnce) {
  const std::string digest(64, 'd');
  auto tx = Write();
  ASSERT_TRUE(tx->PutContent(digest, "first").has_value());
  ASSERT_TRUE(tx->PutContent(digest, "first").has_value());
  // A second put under the same digest keeps the stored bytes.
  ASSERT_TRUE(tx->PutContent(digest, "second").has_value());
  ASSERT_TRUE(tx->PutContent(std::string(64, 'e'), "").has_value());
  ASSERT_TRUE(tx->Commit().has_value());
  auto read = Read();
  EXPECT_EQ(read->GetContent(digest).value(), std::optional<std::string>("first"));
  EXPECT_EQ(read->GetContent(std::string(64, 'e')).value(), std::optional<std::string>(""));
  EXPECT_FALSE(read->GetContent(std::string(64, '0')).value().has_value());
}

// --- release schedule ---

TEST_P(StoreTest, ReleaseRoundTripsEveryFieldInAtSeqOrder) {
  InsertAdvisories({"adv_1", "adv_2"});
  auto tx = Write();
  Release late =
      MakeRelease("adv_1", "standard", ReleaseKind::kPublic, t0_ + std::chrono::hours{2});
  late.revision = 3;
  late.explicit_time = true;
  late.recorded_at = t0_ + std::chrono::microseconds{5};
  const int64_t late_seq = tx->InsertRelease(late).value();
  const int64_t early_seq =
      tx->InsertRelease(MakeRelease("adv_1", "early", ReleaseKind::kWave, t0_)).value();
  const int64_t tie_seq =
      tx->InsertRelease(MakeRelease("adv_1", "early", ReleaseKind::kWithdrawn, t0_)).value();
  ASSERT_TRUE(
      tx->InsertRelease(MakeRelease("adv_2", "early", ReleaseKind::kWave, t0_)).has_value());
  // Unknown advisory or tier is rejected.
  EXPECT_FALSE(
      tx->InsertRelease(MakeRelease("adv_missing", "early", ReleaseKind::kWave, t0_)).has_value());
  EXPECT_FALSE(
      tx->InsertRelease(MakeRelease("adv_1", "platinum", ReleaseKind::kWave, t0_)).has_value());
  ASSERT_TRUE(tx->Commit().has_value());
  EXPECT_LT(late_seq, early_seq);
  EXPECT_LT(early_seq, tie_seq);

  auto releases = Read()->ListReleases("adv_1").value();
  EXPECT_EQ(Seqs(releases), (std::vector<int64_t>{early_seq, tie_seq, late_seq}));
  ASSERT_EQ(releases.size(), 3u);
  const Release& found = releases[2];
  EXPECT_EQ(found.seq, late_seq);
  EXPECT_EQ(found.advisory_id, "adv_1");
  EXPECT_EQ(found.revision, 3);
  EXPECT_EQ(found.tier, "standard");
  EXPECT_EQ(found.kind, ReleaseKind::kPublic);
  EXPECT_EQ(found.at, t0_ + std::chrono::hours{2});
  EXPECT_TRUE(found.explicit_time);
  EXPECT_EQ(found.recorded_at, std::optional<TimePoint>(t0_ + std::chrono::microseconds{5}));
  EXPECT_EQ(releases[0].kind, ReleaseKind::kWave);
  EXPECT_EQ(releases[0].revision, 1);
  EXPECT_FALSE(releases[0].explicit_time);
  EXPECT_FALSE(releases[0].recorded_at.has_value());
  EXPECT_EQ(releases[1].kind, ReleaseKind::kWithdrawn);
  EXPECT_TRUE(Read()->ListReleases("adv_missing").value().empty());
}

TEST_P(StoreTest, ReleaseSeqIncreasesAndIsNeverReused) {
  InsertAdvisories({"adv_1"});
  const Release row = MakeRelease("adv_1", "early", ReleaseKind::kWave, t0_);
  auto tx = Write();
  const int64_t first = tx->InsertRelease(row).value();
  const int64_t second = tx->InsertRelease(row).value();
  ASSERT_TRUE(tx->Commit().has_value());
  EXPECT_GT(second, first);

  // Deleting the newest row must not hand its seq out again (a feed cursor may point at it).
  auto del = Write();
  ASSERT_TRUE(del->DeleteRelease(second).has_value());
  auto missing = del->DeleteRelease(second);
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(del->DeleteRelease(987654).error().code, ErrorCode::kNotFound);
  ASSERT_TRUE(del->Commit().has_value());

  auto again = Write();
  const int64_t third = again->InsertRelease(row).value();
  ASSERT_TRUE(again->Commit().has_value());
  EXPECT_GT(third, second);
  EXPECT_EQ(Seqs(Read()->ListReleases("adv_1").value()), (std::vector<int64_t>{first, third}));
}

TEST_P(StoreTest, ListTierReleasesHonoursCursorUntilAndLimit) {
  InsertAdvisories({"adv_1"});
  const TimePoint until = t0_ + std::chrono::hours{1};
  auto tx = Write();
  // Inserted so that seq order differs from (at, seq) order.
  const int64_t at_until =
      tx->InsertRelease(MakeRelease("adv_1", "early", ReleaseKind::kPublic, until)).value();
  const int64_t a =
      tx->InsertRelease(MakeRelease("adv_1", "early", ReleaseKind::kWave, t0_)).value();
  const int64_t b =
      tx->InsertRelease(MakeRelease("adv_1", "early", ReleaseKind::kWithdrawn, t0_)).value();
  const int64_t after_until = tx->InsertRelease(MakeRelease("adv_1", "early", ReleaseKind::kWave,
                                                            until + std::chrono::microseconds{1}))
                                  .value();
  ASSERT_TRUE(
      tx->InsertRelease(MakeRelease("adv_1", "standard", ReleaseKind::kWave, t0_)).has_value());
  ASSERT_TRUE(tx->Commit().has_value());
  (void)after_until;

  auto read = Read();
  using Seq = std::vector<int64_t>;
  // The row exactly at `until` is included; the one a microsecond later is not.
  EXPECT_EQ(Seqs(read->ListTierReleases("early", std::nullopt, until, 10).value()),
            (Seq{a, b, at_until}));
  EXPECT_EQ(Seqs(read->ListTierReleases("early", std::nullopt, until, 2).value()), (Seq{a, b}));
  EXPECT_TRUE(read->ListTierReleases("early", std::nullopt, until, 0).value().empty());
  // The row at the cursor is excluded; a later seq at the same `at` is included.
  EXPECT_EQ(Seqs(read->ListTierReleases("early", ReleaseCursor{t0_, a}, until, 10).value()),
            (Seq{b, at_until}));
  // A later `at` comes after the cursor even though its seq is smaller.
  EXPECT_EQ(Seqs(read->ListTierReleases("early", ReleaseCursor{t0_, b}, until, 10).value()),
            (Seq{at_until}));
  EXPECT_TRUE(
      read->ListTierReleases("early", ReleaseCursor{until, at_until}, until, 10).value().empty());
  // A cursor between rows: every row with a later `at` follows it, whatever its seq.
  EXPECT_EQ(
      Seqs(read->ListTierReleases(
                   "early", ReleaseCursor{t0_ - std::chrono::microseconds{1}, 1'000'000}, until, 10)
               .value()),
      (Seq{a, b, at_until}));
  EXPECT_EQ(Seqs(read->ListTierReleases("early", ReleaseCursor{t0_, 0}, until, 1).value()),
            (Seq{a}));
  EXPECT_TRUE(read->ListTierReleases("early", std::nullopt, t0_ - std::chrono::microseconds{1}, 10)
                  .value()
                  .empty());
  EXPECT_EQ(read->ListTierReleases("standard", std::nullopt, until, 10).value().size(), 1u);
  EXPECT_TRUE(read->ListTierReleases("nobody", std::nullopt, until, 10).value().empty());
}

TEST_P(StoreTest, ListAdvisoriesOpenedForCountsOnlyWavesOfTheTier) {
  InsertAdvisories({"adv_a", "adv_b", "adv_c", "adv_d", "adv_e", "adv_f"});
  const TimePoint until = t0_ + std::chrono::hours{1};
  auto tx = Write();
  for (const Release& r : {
           MakeRelease("adv_b", "early", ReleaseKind::kWave, t0_),
           MakeRelease("adv_a", "early", ReleaseKind::kWave, until),  // exactly at until
           MakeRelease("adv_a", "early", ReleaseKind::kWave, t0_),    // listed once
           MakeRelease("adv_c", "early", ReleaseKind::kPublic, t0_),
           MakeRelease("adv_d", "early", ReleaseKind::kWithdrawn, t0_),
           MakeRelease("adv_e", "standard", ReleaseKind::kWave, t0_),
           MakeRelease("adv_f", "early", ReleaseKind::kWave, until + std::chrono::microseconds{1}),
       }) {
    ASSERT_TRUE(tx->InsertRelease(r).has_value());
  }
  ASSERT_TRUE(tx->Commit().has_value());
  auto read = Read();
  EXPECT_EQ(read->ListAdvisoriesOpenedFor("early", until).value(),
            (std::vector<std::string>{"adv_a", "adv_b"}));
  EXPECT_EQ(read->ListAdvisoriesOpenedFor("standard", until).value(),
            (std::vector<std::string>{"adv_e"}));
  EXPECT_TRUE(
      read->ListAdvisoriesOpenedFor("early", t0_ - std::chrono::microseconds{1}).value().empty());
}

TEST_P(StoreTest, ListDueReleasesSkipsRecordedRows) {
  InsertAdvisories({"adv_1"});
  const TimePoint until = t0_ + std::chrono::hours{1};
  auto tx = Write();
  const int64_t recorded =
      tx->InsertRelease(MakeRelease("adv_1", "early", ReleaseKind::kWave, t0_)).value();
  const int64_t at_until =
      tx->InsertRelease(MakeRelease("adv_1", "standard", ReleaseKind::kWave, until)).value();
  const int64_t first =
      tx->InsertRelease(MakeRelease("adv_1", "early", ReleaseKind::kPublic, t0_)).value();
  Release already = MakeRelease("adv_1", "early", ReleaseKind::kWave, t0_);
  already.recorded_at = t0_;
  ASSERT_TRUE(tx->InsertRelease(already).has_value());
  ASSERT_TRUE(tx->InsertRelease(MakeRelease("adv_1", "early", ReleaseKind::kPublic,
                                            until + std::chrono::microseconds{1}))
                  .has_value());
  const TimePoint marked_at = t0_ + std::chrono::microseconds{77};
  ASSERT_TRUE(tx->MarkReleaseRecorded(recorded, marked_at).has_value());
  auto missing = tx->MarkReleaseRecorded(987654, t0_);
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  ASSERT_TRUE(tx->Commit().has_value());

  auto read = Read();
  using Seq = std::vector<int64_t>;
  EXPECT_EQ(Seqs(read->ListDueReleases(until, 10).value()), (Seq{first, at_until}));
  EXPECT_EQ(Seqs(read->ListDueReleases(until, 1).value()), (Seq{first}));
  EXPECT_TRUE(read->ListDueReleases(t0_ - std::chrono::microseconds{1}, 10).value().empty());
  auto rows = read->ListReleases("adv_1").value();
  ASSERT_EQ(rows.size(), 5u);
  ASSERT_EQ(rows[0].seq, recorded);
  EXPECT_EQ(rows[0].recorded_at, std::optional<TimePoint>(marked_at));
}

// --- embargo terms ---

TEST_P(StoreTest, TermsAcceptanceKeepsTheFirst) {
  InsertAdvisories({"adv_1"});
  auto tx = Write();
  ASSERT_TRUE(tx->InsertPartner(MakePartner("prt_1")).has_value());
  const std::string terms(64, 't');
  const TermsAcceptance first{"adv_1", 2, "prt_1", terms, "token:p1", t0_};
  ASSERT_TRUE(tx->InsertTermsAcceptance(first).has_value());
  const TermsAcceptance repeat{"adv_1", 3, "prt_1", terms, "token:p2", t0_ + std::chrono::hours{1}};
  ASSERT_TRUE(tx->InsertTermsAcceptance(repeat).has_value());
  const TermsAcceptance new_terms{
      "adv_1", 3, "prt_1", std::string(64, 'u'), "token:p2", t0_ + std::chrono::hours{2}};
  ASSERT_TRUE(tx->InsertTermsAcceptance(new_terms).has_value());
  EXPECT_FALSE(
      tx->InsertTermsAcceptance({"adv_1", 1, "prt_missing", terms, "token:x", t0_}).has_value());
  EXPECT_FALSE(
      tx->InsertTermsAcceptance({"adv_missing", 1, "prt_1", terms, "token:x", t0_}).has_value());
  ASSERT_TRUE(tx->Commit().has_value());

  auto read = Read();
  auto found = read->FindTermsAcceptance("adv_1", "prt_1", terms).value();
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->advisory_id, "adv_1");
  EXPECT_EQ(found->revision, 2);
  EXPECT_EQ(found->partner_id, "prt_1");
  EXPECT_EQ(found->terms_sha256, terms);
  EXPECT_EQ(found->actor, "token:p1");
  EXPECT_EQ(found->accepted_at, t0_);
  auto other = read->FindTermsAcceptance("adv_1", "prt_1", std::string(64, 'u')).value();
  ASSERT_TRUE(other.has_value());
  EXPECT_EQ(other->revision, 3);
  EXPECT_EQ(other->accepted_at, t0_ + std::chrono::hours{2});
  EXPECT_FALSE(read->FindTermsAcceptance("adv_1", "prt_2", terms).value().has_value());
  EXPECT_FALSE(read->FindTermsAcceptance("adv_2", "prt_1", terms).value().has_value());
}

TEST_P(StoreTest, PolicyVersionsAreNumberedAndKeptWhole) {
  auto tx = Write();
  EXPECT_FALSE(tx->LatestPolicyVersion().value().has_value());
  const PolicyVersion first{1,  "permit advisory;\n", std::string(64, 'a'), "token:admin", "start",
                            t0_};
  const PolicyVersion second{2,  "permit artifact;\n",       std::string(64, 'b'), "token:ops",
                             "", t0_ + std::chrono::hours{1}};
  ASSERT_TRUE(tx->InsertPolicyVersion(first).has_value());
  ASSERT_TRUE(tx->InsertPolicyVersion(second).has_value());
  auto again = tx->InsertPolicyVersion(second);
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code, ErrorCode::kConflict);
  EXPECT_FALSE(tx->InsertPolicyVersion({0, "", "", "x", "", t0_}).has_value());
  ASSERT_TRUE(tx->Commit().has_value());

  auto read = Read();
  auto latest = read->LatestPolicyVersion().value();
  ASSERT_TRUE(latest.has_value());
  EXPECT_EQ(latest->version, 2);
  EXPECT_EQ(latest->text, "permit artifact;\n");
  EXPECT_EQ(latest->author, "token:ops");
  EXPECT_EQ(latest->applied_at, t0_ + std::chrono::hours{1});
  auto found = read->FindPolicyVersion(1).value();
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->sha256, std::string(64, 'a'));
  EXPECT_EQ(found->comment, "start");
  EXPECT_FALSE(read->FindPolicyVersion(3).value().has_value());
  auto all = read->ListPolicyVersions().value();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].version, 1);
  EXPECT_EQ(all[1].version, 2);
}

TEST_P(StoreTest, AlertsRoundTripAndFilter) {
  auto tx = Write();
  ASSERT_TRUE(tx->InsertPartner(MakePartner("prt_1")).has_value());
  ASSERT_TRUE(tx->InsertPartner(MakePartner("prt_2")).has_value());
  Alert a{.id = "alr_1",
          .partner_id = "prt_1",
          .kind = AlertKind::kVolume,
          .summary = "120 fetches in an hour",
          .evidence = R"({"fetches":120})",
          .raised_at = t0_,
          .updated_at = t0_};
  Alert b = a;
  b.id = "alr_2";
  b.partner_id = "prt_2";
  b.kind = AlertKind::kOffHours;
  b.raised_at = t0_ + std::chrono::hours{1};
  ASSERT_TRUE(tx->InsertAlert(a).has_value());
  ASSERT_TRUE(tx->InsertAlert(b).has_value());
  EXPECT_EQ(tx->InsertAlert(a).error().code, ErrorCode::kConflict);
  Alert orphan = a;
  orphan.id = "alr_3";
  orphan.partner_id = "prt_missing";
  EXPECT_FALSE(tx->InsertAlert(orphan).has_value());
  a.state = AlertState::kAcknowledged;
  a.acknowledged_by = "token:inv";
  a.acknowledged_at = t0_ + std::chrono::hours{2};
  a.note = "known migration";
  ASSERT_TRUE(tx->UpdateAlert(a).has_value());
  EXPECT_EQ(tx->UpdateAlert(orphan).error().code, ErrorCode::kNotFound);
  ASSERT_TRUE(tx->Commit().has_value());

  auto read = Read();
  auto found = read->FindAlert("alr_1").value();
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->state, AlertState::kAcknowledged);
  EXPECT_EQ(found->acknowledged_at, t0_ + std::chrono::hours{2});
  EXPECT_EQ(found->note, "known migration");
  EXPECT_EQ(found->evidence, R"({"fetches":120})");
  auto all = read->ListAlerts({}).value();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].id, "alr_2");  // newest first
  auto open = read->ListAlerts({.state = AlertState::kOpen}).value();
  ASSERT_EQ(open.size(), 1u);
  EXPECT_EQ(open[0].kind, AlertKind::kOffHours);
  EXPECT_EQ(read->ListAlerts({.partner_id = "prt_1"}).value().size(), 1u);
  EXPECT_EQ(read->ListAlerts({.limit = 1}).value().size(), 1u);
  EXPECT_EQ(read->CountAlerts(AlertState::kOpen).value(), 1);
  EXPECT_EQ(read->CountAlerts(AlertState::kAcknowledged).value(), 1);
  EXPECT_EQ(read->CountAlerts(std::nullopt).value(), 2);
}

TEST_P(StoreTest, ActivityAddsUpPerPartnerAndHour) {
  auto tx = Write();
  ASSERT_TRUE(tx->InsertPartner(MakePartner("prt_1")).has_value());
  ASSERT_TRUE(tx->InsertPartner(MakePartner("prt_2")).has_value());
  ASSERT_TRUE(tx->AddActivity({"prt_1", 100, 3}).has_value());
  ASSERT_TRUE(tx->AddActivity({"prt_1", 100, 4}).has_value());
  ASSERT_TRUE(tx->AddActivity({"prt_1", 102, 1}).has_value());
  ASSERT_TRUE(tx->AddActivity({"prt_2", 100, 9}).has_value());
  ASSERT_TRUE(tx->Commit().has_value());
  auto rows = Read()->ListActivity("prt_1", 100, 103).value();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].hour, 100);
  EXPECT_EQ(rows[0].fetches, 7);
  EXPECT_EQ(rows[1].hour, 102);
  EXPECT_EQ(Read()->ListActivity("prt_1", 101, 102).value().size(), 0u);
  EXPECT_EQ(Read()->ListActivity("prt_2", 0, 1000).value()[0].fetches, 9);
}

TEST_P(StoreTest, UncommittedAdvisoryWritesLeaveNothing) {
  InsertAdvisories({"adv_1"});
  {
    auto tx = Write();
    ASSERT_TRUE(tx->InsertAdvisory(MakeAdvisory("adv_2", t0_)).has_value());
    ASSERT_TRUE(tx->InsertPartner(MakePartner("prt_1")).has_value());
    Artifact a = MakeArtifact(*tx, "art_a", "adv_1", t0_);
    ASSERT_TRUE(tx->InsertArtifact(a).has_value());
    Revision r = MakeRevision("adv_1", 1, {"CVE-2026-1111"});
    r.artifact_ids = {"art_a"};
    ASSERT_TRUE(tx->InsertRevision(r).has_value());
    Advisory changed = MakeAdvisory("adv_1", t0_);
    changed.recorded_status = AdvisoryStatus::kPublic;
    ASSERT_TRUE(tx->UpdateAdvisory(changed).has_value());
    const int64_t seq =
        tx->InsertRelease(MakeRelease("adv_1", "early", ReleaseKind::kWave, t0_)).value();
    ASSERT_TRUE(tx->MarkReleaseRecorded(seq, t0_).has_value());
    ASSERT_TRUE(tx->InsertTermsAcceptance({"adv_1", 1, "prt_1", "h", "token:p", t0_}).has_value());
  }  // destroyed without Commit
  auto read = Read();
  EXPECT_FALSE(read->FindAdvisory("adv_2").value().has_value());
  EXPECT_EQ(read->FindAdvisory("adv_1").value()->recorded_status, AdvisoryStatus::kDraft);
  EXPECT_FALSE(read->FindArtifact("art_a").value().has_value());
  EXPECT_FALSE(read->GetContent("sha-art_a").value().has_value());
  EXPECT_FALSE(read->FindRevision("adv_1", 1).value().has_value());
  EXPECT_TRUE(read->ListReleases("adv_1").value().empty());
  EXPECT_TRUE(read->ListDueReleases(t0_, 10).value().empty());
  EXPECT_FALSE(read->FindTermsAcceptance("adv_1", "prt_1", "h").value().has_value());
  EXPECT_EQ(read->ListAdvisories({}).value().size(), 1u);
}

// --- push deliveries ---

TEST_P(StoreTest, DeliveryRoundTripsEveryField) {
  InsertDeliveryTargets();
  Delivery full = MakeDelivery("dlv_full", "prt_1", "adv_1", t0_, "policy-7");
  full.revision = 3;
  full.state = DeliveryState::kDelivered;
  full.attempts = 4;
  full.next_attempt_at = t0_ + std::chrono::minutes{5};
  full.lease_until = t0_ + std::chrono::minutes{6};
  full.claim_token = "claim-abc";
  full.last_attempt_at = t0_ + std::chrono::minutes{7};
  full.last_error = "HTTP 503";
  full.delivered_at = t0_ + std::chrono::minutes{8};
  full.package_sha256 = std::string(64, 'e');
  full.ledger_index = uint64_t{1} << 40;
  full.acknowledged_at = t0_ + std::chrono::minutes{9};
  full.acknowledged_via = "webhook";
  full.cancel_reason = "kept for the record";
  const Delivery bare = MakeDelivery("dlv_bare", "prt_2", "adv_2", t0_ + std::chrono::seconds{1});
  auto tx = Write();
  ASSERT_TRUE(tx->InsertDelivery(full).value());
  ASSERT_TRUE(tx->InsertDelivery(bare).value());
  ASSERT_TRUE(tx->Commit().has_value());

  auto read = Read();
  auto found = read->FindDelivery("dlv_full").value();
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->id, "dlv_full");
  EXPECT_EQ(found->partner_id, "prt_1");
  EXPECT_EQ(found->advisory_id, "adv_1");
  EXPECT_EQ(found->revision, 3);
  EXPECT_EQ(found->trigger, "policy-7");
  EXPECT_EQ(found->state, DeliveryState::kDelivered);
  EXPECT_EQ(found->attempts, 4);
  EXPECT_EQ(found->created_at, t0_);
  EXPECT_EQ(found->next_attempt_at, t0_ + std::chrono::minutes{5});
  EXPECT_EQ(found->lease_until, full.lease_until);
  EXPECT_EQ(found->claim_token, "claim-abc");
  EXPECT_EQ(found->last_attempt_at, full.last_attempt_at);
  EXPECT_EQ(found->last_error, "HTTP 503");
  EXPECT_EQ(found->delivered_at, full.delivered_at);
  EXPECT_EQ(found->package_sha256, std::string(64, 'e'));
  EXPECT_EQ(found->ledger_index, std::optional<uint64_t>(uint64_t{1} << 40));
  EXPECT_EQ(found->acknowledged_at, full.acknowledged_at);
  EXPECT_EQ(found->acknowledged_via, "webhook");
  EXPECT_EQ(found->cancel_reason, "kept for the record");

  auto plain = read->FindDelivery("dlv_bare").value();
  ASSERT_TRUE(plain.has_value());
  EXPECT_EQ(plain->state, DeliveryState::kPending);
  EXPECT_EQ(plain->attempts, 0);
  EXPECT_EQ(plain->created_at, t0_ + std::chrono::seconds{1});
  EXPECT_EQ(plain->next_attempt_at, t0_ + std::chrono::seconds{1});
  EXPECT_FALSE(plain->lease_until.has_value());
  EXPECT_EQ(plain->claim_token, "");
  EXPECT_FALSE(plain->last_attempt_at.has_value());
  EXPECT_EQ(plain->last_error, "");
  EXPECT_FALSE(plain->delivered_at.has_value());
  EXPECT_EQ(plain->package_sha256, "");
  EXPECT_FALSE(plain->ledger_index.has_value());
  EXPECT_FALSE(plain->acknowledged_at.has_value());
  EXPECT_EQ(plain->acknowledged_via, "");
  EXPECT_EQ(plain->cancel_reason, "");
  EXPECT_FALSE(read->FindDelivery("dlv_missing").value().has_value());
}

TEST_P(StoreTest, DeliveryUpdateReplacesEveryFieldAndUnknownIdIsNotFound) {
  InsertDeliveryTargets();
  Delivery d = MakeDelivery("dlv_1", "prt_1", "adv_1", t0_);
  auto tx = Write();
  ASSERT_TRUE(tx->InsertDelivery(d).value());
  // Claimed by a worker...
  d.state = DeliveryState::kSending;
  d.attempts = 1;
  d.lease_until = t0_ + std::chrono::minutes{1};
  d.claim_token = "w1";
  d.last_attempt_at = t0_;
  ASSERT_TRUE(tx->UpdateDelivery(d).has_value());
  EXPECT_EQ(tx->FindDelivery("dlv_1").value()->claim_token, "w1");
  // ...then delivered, which clears the lease (an optional field set back to unset).
  d.state = DeliveryState::kDelivered;
  d.lease_until.reset();
  d.claim_token = "";
  d.delivered_at = t0_ + std::chrono::seconds{2};
  d.package_sha256 = std::string(64, 'f');
  d.ledger_index = 17;
  ASSERT_TRUE(tx->UpdateDelivery(d).has_value());
  auto missing = tx->UpdateDelivery(MakeDelivery("dlv_9", "prt_1", "adv_1", t0_));
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  ASSERT_TRUE(tx->Commit().has_value());

  auto found = Read()->FindDelivery("dlv_1").value();
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->state, DeliveryState::kDelivered);
  EXPECT_EQ(found->attempts, 1);
  EXPECT_FALSE(found->lease_until.has_value());
  EXPECT_EQ(found->claim_token, "");
  EXPECT_EQ(found->last_attempt_at, std::optional<TimePoint>(t0_));
  EXPECT_EQ(found->delivered_at, std::optional<TimePoint>(t0_ + std::chrono::seconds{2}));
  EXPECT_EQ(found->ledger_index, std::optional<uint64_t>(17));
}

TEST_P(StoreTest, EnqueueingADeliveryIsIdempotent) {
  InsertDeliveryTargets();
  auto tx = Write();
  ASSERT_TRUE(tx->InsertDelivery(MakeDelivery("dlv_1", "prt_1", "adv_1", t0_)).value());
  // The same (partner, advisory, revision, trigger) under another id: nothing is inserted.
  auto again = tx->InsertDelivery(MakeDelivery("dlv_2", "prt_1", "adv_1", t0_));
  ASSERT_TRUE(again.has_value()) << again.error().message;
  EXPECT_FALSE(*again);
  EXPECT_FALSE(tx->FindDelivery("dlv_2").value().has_value());
  // The same row twice is the same enqueue.
  EXPECT_FALSE(tx->InsertDelivery(MakeDelivery("dlv_1", "prt_1", "adv_1", t0_)).value());
  // An existing id with another key is a conflict, not a silent no-op.
  auto reused = tx->InsertDelivery(MakeDelivery("dlv_1", "prt_2", "adv_1", t0_));
  ASSERT_FALSE(reused.has_value());
  EXPECT_EQ(reused.error().code, ErrorCode::kConflict);
  // Any part of the key that differs makes a new delivery.
  Delivery next_revision = MakeDelivery("dlv_3", "prt_1", "adv_1", t0_);
  next_revision.revision = 2;
  EXPECT_TRUE(tx->InsertDelivery(next_revision).value());
  EXPECT_TRUE(tx->InsertDelivery(MakeDelivery("dlv_4", "prt_1", "adv_1", t0_, "terms")).value());
  EXPECT_TRUE(tx->InsertDelivery(MakeDelivery("dlv_5", "prt_2", "adv_1", t0_)).value());
  EXPECT_TRUE(tx->InsertDelivery(MakeDelivery("dlv_6", "prt_1", "adv_2", t0_)).value());
  // A partner or advisory that does not exist is rejected by the schema.
  EXPECT_EQ(tx->InsertDelivery(MakeDelivery("dlv_7", "prt_missing", "adv_1", t0_)).error().code,
            ErrorCode::kConflict);
  EXPECT_EQ(tx->InsertDelivery(MakeDelivery("dlv_8", "prt_1", "adv_missing", t0_)).error().code,
            ErrorCode::kConflict);
  ASSERT_TRUE(tx->Commit().has_value());

  auto rows = Read()->ListDeliveries({.advisory_id = "adv_1", .partner_id = "prt_1"}).value();
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(Read()->ListDeliveries({}).value().size(), 5u);
  EXPECT_EQ(Read()->FindDelivery("dlv_1").value()->partner_id, "prt_1");
}

TEST_P(StoreTest, DeliveryWithAnEmptyKeyFieldIsInvalid) {
  InsertDeliveryTargets();
  auto tx = Write();
  const Delivery valid = MakeDelivery("dlv_1", "prt_1", "adv_1", t0_);
  for (std::string Delivery::*field :
       {&Delivery::id, &Delivery::partner_id, &Delivery::advisory_id, &Delivery::trigger}) {
    Delivery d = valid;
    d.*field = "";
    auto inserted = tx->InsertDelivery(d);
    ASSERT_FALSE(inserted.has_value());
    EXPECT_EQ(inserted.error().code, ErrorCode::kInvalidArgument);
    auto updated = tx->UpdateDelivery(d);
    ASSERT_FALSE(updated.has_value());
    EXPECT_EQ(updated.error().code, ErrorCode::kInvalidArgument);
  }
  EXPECT_TRUE(tx->ListDeliveries({}).value().empty());
}

TEST_P(StoreTest, ListDeliveriesFiltersNewestFirst) {
  InsertDeliveryTargets();
  auto tx = Write();
  const auto at = [&](int seconds) { return t0_ + std::chrono::seconds{seconds}; };
  ASSERT_TRUE(tx->InsertDelivery(MakeDelivery("dlv_a", "prt_1", "adv_1", at(0))).value());
  ASSERT_TRUE(tx->InsertDelivery(MakeDelivery("dlv_b", "prt_2", "adv_1", at(2))).value());
  // Same creation time as dlv_b: the id breaks the tie (descending).
  ASSERT_TRUE(tx->InsertDelivery(MakeDelivery("dlv_c", "prt_1", "adv_2", at(2))).value());
  Delivery acknowledged = MakeDelivery("dlv_d", "prt_2", "adv_2", at(3));
  acknowledged.state = DeliveryState::kDelivered;
  acknowledged.delivered_at = at(4);
  acknowledged.acknowledged_at = at(5);
  acknowledged.acknowledged_via = "api";
  ASSERT_TRUE(tx->InsertDelivery(acknowledged).value());
  Delivery unacknowledged = MakeDelivery("dlv_e", "prt_1", "adv_1", at(1), "terms");
  unacknowledged.state = DeliveryState::kDelivered;
  unacknowledged.delivered_at = at(4);
  ASSERT_TRUE(tx->InsertDelivery(unacknowledged).value());
  ASSERT_TRUE(tx->Commit().has_value());

  using Names = std::vector<std::string>;
  auto read = Read();
  EXPECT_EQ(Ids(read->ListDeliveries({}).value()),
            (Names{"dlv_d", "dlv_c", "dlv_b", "dlv_e", "dlv_a"}));
  EXPECT_EQ(Ids(read->ListDeliveries({.advisory_id = "adv_1"}).value()),
            (Names{"dlv_b", "dlv_e", "dlv_a"}));
  EXPECT_EQ(Ids(read->ListDeliveries({.partner_id = "prt_1"}).value()),
            (Names{"dlv_c", "dlv_e", "dlv_a"}));
  EXPECT_EQ(Ids(read->ListDeliveries({.advisory_id = "adv_2", .partner_id = "prt_2"}).value()),
            (Names{"dlv_d"}));
  EXPECT_EQ(Ids(read->ListDeliveries({.state = DeliveryState::kDelivered}).value()),
            (Names{"dlv_d", "dlv_e"}));
  EXPECT_EQ(Ids(read->ListDeliveries({.state = DeliveryState::kPending}).value()),
            (Names{"dlv_c", "dlv_b", "dlv_a"}));
  EXPECT_TRUE(read->ListDeliveries({.state = DeliveryState::kFailed}).value().empty());
  EXPECT_EQ(Ids(read->ListDeliveries({.unacknowledged_only = true}).value()), (Names{"dlv_e"}));
  EXPECT_TRUE(
      read->ListDeliveries({.partner_id = "prt_2", .unacknowledged_only = true}).value().empty());
  EXPECT_EQ(Ids(read->ListDeliveries({.limit = 2}).value()), (Names{"dlv_d", "dlv_c"}));
  EXPECT_EQ(Ids(read->ListDeliveries({.advisory_id = "adv_1", .limit = 1}).value()),
            (Names{"dlv_b"}));
  EXPECT_TRUE(read->ListDeliveries({.limit = 0}).value().empty());
  EXPECT_TRUE(read->ListDeliveries({.advisory_id = "adv_missing"}).value().empty());
}

TEST_P(StoreTest, DueDeliveriesArePendingOnTimeOrSendingWithAnExpiredLease) {
  InsertDeliveryTargets();
  const TimePoint now = t0_ + std::chrono::hours{1};
  const auto at = [&](int minutes) { return now + std::chrono::minutes{minutes}; };
  auto pending = [&](const std::string& id, const std::string& trigger, TimePoint next) {
    Delivery d = MakeDelivery(id, "prt_1", "adv_1", t0_, trigger);
    d.next_attempt_at = next;
    return d;
  };
  auto sending = [&](const std::string& id, const std::string& trigger, TimePoint lease) {
    Delivery d = MakeDelivery(id, "prt_2", "adv_1", t0_, trigger);
    d.state = DeliveryState::kSending;
    d.next_attempt_at = at(-100);  // not what counts for a sending row
    d.lease_until = lease;
    d.claim_token = "worker";
    return d;
  };
  auto tx = Write();
  ASSERT_TRUE(tx->InsertDelivery(pending("dlv_p_late", "t1", at(-10))).value());
  ASSERT_TRUE(tx->InsertDelivery(pending("dlv_p_now", "t2", now)).value());
  ASSERT_TRUE(tx->InsertDelivery(pending("dlv_p_future", "t3", at(1))).value());
  // Same due time as dlv_p_late: ordered by id after it.
  ASSERT_TRUE(tx->InsertDelivery(sending("dlv_s_expired", "t1", at(-10))).value());
  ASSERT_TRUE(tx->InsertDelivery(sending("dlv_s_early", "t2", at(-20))).value());
  ASSERT_TRUE(tx->InsertDelivery(sending("dlv_s_leased", "t3", at(5))).value());
  for (auto [id, state] : {std::pair{"dlv_x_delivered", DeliveryState::kDelivered},
                           std::pair{"dlv_x_cancelled", DeliveryState::kCancelled},
                           std::pair{"dlv_x_failed", DeliveryState::kFailed}}) {
    Delivery d = pending(id, id, at(-60));
    d.state = state;
    d.lease_until = at(-60);
    ASSERT_TRUE(tx->InsertDelivery(d).value());
  }
  ASSERT_TRUE(tx->Commit().has_value());

  using Names = std::vector<std::string>;
  auto read = Read();
  EXPECT_EQ(Ids(read->ListDueDeliveries(now, 100).value()),
            (Names{"dlv_s_early", "dlv_p_late", "dlv_s_expired", "dlv_p_now"}));
  EXPECT_EQ(Ids(read->ListDueDeliveries(now, 2).value()), (Names{"dlv_s_early", "dlv_p_late"}));
  EXPECT_EQ(Ids(read->ListDueDeliveries(at(-15), 100).value()), (Names{"dlv_s_early"}));
  EXPECT_TRUE(read->ListDueDeliveries(at(-30), 100).value().empty());
  EXPECT_EQ(read->ListDueDeliveries(at(10), 100).value().size(), 6u);
  EXPECT_TRUE(read->ListDueDeliveries(now, 0).value().empty());
  EXPECT_EQ(read->NextDeliveryDue().value(), std::optional<TimePoint>(at(-20)));
}

TEST_P(StoreTest, NextDeliveryDueIsTheEarliestPendingOrLease) {
  InsertDeliveryTargets();
  EXPECT_FALSE(Read()->NextDeliveryDue().value().has_value());
  const auto at = [&](int minutes) { return t0_ + std::chrono::minutes{minutes}; };
  auto tx = Write();
  Delivery done = MakeDelivery("dlv_done", "prt_1", "adv_1", at(0), "t0");
  done.state = DeliveryState::kDelivered;
  ASSERT_TRUE(tx->InsertDelivery(done).value());
  EXPECT_FALSE(tx->NextDeliveryDue().value().has_value());
  Delivery later = MakeDelivery("dlv_later", "prt_1", "adv_1", at(0), "t1");
  later.next_attempt_at = at(30);
  ASSERT_TRUE(tx->InsertDelivery(later).value());
  EXPECT_EQ(tx->NextDeliveryDue().value(), std::optional<TimePoint>(at(30)));
  Delivery leased = MakeDelivery("dlv_leased", "prt_1", "adv_1", at(0), "t2");
  leased.state = DeliveryState::kSending;
  leased.next_attempt_at = at(-5);  // ignored: a sending row is due when its lease ends
  leased.lease_until = at(20);
  ASSERT_TRUE(tx->InsertDelivery(leased).value());
  EXPECT_EQ(tx->NextDeliveryDue().value(), std::optional<TimePoint>(at(20)));
  Delivery sooner = MakeDelivery("dlv_sooner", "prt_2", "adv_1", at(0), "t1");
  sooner.next_attempt_at = at(10);
  ASSERT_TRUE(tx->InsertDelivery(sooner).value());
  ASSERT_TRUE(tx->Commit().has_value());
  EXPECT_EQ(Read()->NextDeliveryDue().value(), std::optional<TimePoint>(at(10)));
}

TEST_P(StoreTest, CancelPartnerDeliveriesTouchesOnlyThatPartnersPendingRows) {
  InsertDeliveryTargets();
  auto tx = Write();
  auto make = [&](const std::string& id, const std::string& partner, DeliveryState state) {
    Delivery d = MakeDelivery(id, partner, "adv_1", t0_, id);
    d.state = state;
    if (state == DeliveryState::kSending) {
      d.lease_until = t0_ + std::chrono::minutes{1};
      d.claim_token = "worker";
    }
    return d;
  };
  ASSERT_TRUE(tx->InsertDelivery(make("dlv_1p", "prt_1", DeliveryState::kPending)).value());
  ASSERT_TRUE(tx->InsertDelivery(make("dlv_1s", "prt_1", DeliveryState::kSending)).value());
  ASSERT_TRUE(tx->InsertDelivery(make("dlv_1d", "prt_1", DeliveryState::kDelivered)).value());
  ASSERT_TRUE(tx->InsertDelivery(make("dlv_1f", "prt_1", DeliveryState::kFailed)).value());
  Delivery old = make("dlv_1c", "prt_1", DeliveryState::kCancelled);
  old.cancel_reason = "policy";
  ASSERT_TRUE(tx->InsertDelivery(old).value());
  ASSERT_TRUE(tx->InsertDelivery(make("dlv_2p", "prt_2", DeliveryState::kPending)).value());
  ASSERT_TRUE(tx->InsertDelivery(make("dlv_2s", "prt_2", DeliveryState::kSending)).value());
  EXPECT_EQ(tx->CancelPartnerDeliveries("prt_1", "partner suspended").value(), 1);
  EXPECT_EQ(tx->CancelPartnerDeliveries("prt_1", "again").value(), 0);
  EXPECT_EQ(tx->CancelPartnerDeliveries("prt_missing", "x").value(), 0);
  ASSERT_TRUE(tx->Commit().has_value());

  auto read = Read();
  auto cancelled = read->FindDelivery("dlv_1p").value();
  ASSERT_TRUE(cancelled.has_value());
  EXPECT_EQ(cancelled->state, DeliveryState::kCancelled);
  EXPECT_EQ(cancelled->cancel_reason, "partner suspended");
  EXPECT_FALSE(cancelled->lease_until.has_value());
  EXPECT_EQ(cancelled->claim_token, "");
  // A row on the wire stays with its worker, which records what really happened.
  auto in_flight = read->FindDelivery("dlv_1s").value();
  ASSERT_TRUE(in_flight.has_value());
  EXPECT_EQ(in_flight->state, DeliveryState::kSending);
  EXPECT_EQ(in_flight->claim_token, "worker");
  EXPECT_EQ(read->FindDelivery("dlv_1d").value()->state, DeliveryState::kDelivered);
  EXPECT_EQ(read->FindDelivery("dlv_1f").value()->state, DeliveryState::kFailed);
  EXPECT_EQ(read->FindDelivery("dlv_1c").value()->cancel_reason, "policy");
  EXPECT_EQ(read->FindDelivery("dlv_2p").value()->state, DeliveryState::kPending);
  auto other = read->FindDelivery("dlv_2s").value();
  EXPECT_EQ(other->state, DeliveryState::kSending);
  EXPECT_EQ(other->claim_token, "worker");
}

TEST_P(StoreTest, CountDeliveriesByStateAndUnacknowledged) {
  InsertDeliveryTargets();
  EXPECT_EQ(Read()->CountDeliveries().value(), (std::vector<int64_t>{0, 0, 0, 0, 0, 0}));
  auto tx = Write();
  int n = 0;
  auto add = [&](DeliveryState state, bool acknowledged = false) {
    Delivery d =
        MakeDelivery("dlv_" + std::to_string(n), "prt_1", "adv_1", t0_, "t" + std::to_string(n));
    ++n;
    d.state = state;
    if (acknowledged) d.acknowledged_at = t0_;
    ASSERT_TRUE(tx->InsertDelivery(d).value());
  };
  add(DeliveryState::kPending);
  add(DeliveryState::kPending);
  add(DeliveryState::kPending);
  add(DeliveryState::kSending);
  add(DeliveryState::kDelivered);
  add(DeliveryState::kDelivered, /*acknowledged=*/true);
  add(DeliveryState::kDelivered, /*acknowledged=*/true);
  add(DeliveryState::kFailed);
  ASSERT_TRUE(tx->Commit().has_value());
  // pending, sending, delivered, cancelled, failed, then delivered but unacknowledged.
  EXPECT_EQ(Read()->CountDeliveries().value(), (std::vector<int64_t>{3, 1, 3, 0, 1, 1}));
}

TEST_P(StoreTest, UncommittedDeliveryWritesLeaveNothing) {
  InsertDeliveryTargets();
  auto setup = Write();
  ASSERT_TRUE(setup->InsertDelivery(MakeDelivery("dlv_kept", "prt_1", "adv_1", t0_)).value());
  ASSERT_TRUE(setup->Commit().has_value());
  {
    auto tx = Write();
    ASSERT_TRUE(tx->InsertDelivery(MakeDelivery("dlv_new", "prt_2", "adv_1", t0_)).value());
    EXPECT_EQ(tx->CancelPartnerDeliveries("prt_1", "suspended").value(), 1);
  }  // destroyed without Commit
  auto read = Read();
  EXPECT_FALSE(read->FindDelivery("dlv_new").value().has_value());
  EXPECT_EQ(read->FindDelivery("dlv_kept").value()->state, DeliveryState::kPending);
  EXPECT_EQ(read->CountDeliveries().value(), (std::vector<int64_t>{1, 0, 0, 0, 0, 0}));
  // The uncommitted row did not take its key either.
  auto tx = Write();
  EXPECT_TRUE(tx->InsertDelivery(MakeDelivery("dlv_new2", "prt_2", "adv_1", t0_)).value());
}

TEST_P(StoreTest, DeliveryFailedAlertsAreStored) {
  auto tx = Write();
  ASSERT_TRUE(tx->InsertPartner(MakePartner("prt_1")).has_value());
  const Alert alert{.id = "alr_d",
                    .partner_id = "prt_1",
                    .kind = AlertKind::kDeliveryFailed,
                    .summary = "delivery dlv_1 given up after 24 hours",
                    .evidence = R"({"delivery":"dlv_1"})",
                    .raised_at = t0_,
                    .updated_at = t0_};
  ASSERT_TRUE(tx->InsertAlert(alert).has_value());
  ASSERT_TRUE(tx->Commit().has_value());
  auto read = Read();
  auto found = read->FindAlert("alr_d").value();
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->kind, AlertKind::kDeliveryFailed);
  EXPECT_EQ(found->evidence, R"({"delivery":"dlv_1"})");
  EXPECT_EQ(Ids(read->ListAlerts({.partner_id = "prt_1"}).value()),
            (std::vector<std::string>{"alr_d"}));
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreTest, ::testing::ValuesIn(Backends()),
                         [](const auto& param_info) { return param_info.param.name; });

TEST(SqliteStoreTest, ReopenKeepsDataAndSchemaVersion) {
  testing::TempDir dir;
  {
    auto store = OpenSqlite(dir.path() / "db").value();
    auto tx = store->Begin(TxMode::kWrite).value();
    ASSERT_TRUE(tx->PutSetting("k", "v").has_value());
    ASSERT_TRUE(tx->Commit().has_value());
  }
  auto store = OpenSqlite(dir.path() / "db").value();
  EXPECT_EQ(store->SchemaVersion(), 4);
  EXPECT_EQ(*store->Begin(TxMode::kRead).value()->GetSetting("k").value(), "v");
}

// Runs `sql` on the database file directly, bypassing the store.
void ExecRaw(const std::filesystem::path& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* message = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message);
  EXPECT_EQ(rc, SQLITE_OK) << (message != nullptr ? message : "") << " in: " << sql;
  sqlite3_free(message);
  sqlite3_close(db);
}

int64_t QueryRaw(const std::filesystem::path& path, const std::string& sql) {
  sqlite3* db = nullptr;
  int64_t value = -1;
  if (sqlite3_open(path.c_str(), &db) == SQLITE_OK) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW) {
      value = sqlite3_column_int64(stmt, 0);
    }
    sqlite3_finalize(stmt);
  }
  sqlite3_close(db);
  return value;
}

TEST(SqliteStoreTest, UpgradesAVersionOneDatabase) {
  testing::TempDir dir;
  const auto path = dir.path() / "db";
  // A database as the previous release left it: migration 1 only, with data.
  ExecRaw(path, std::string(sqlite::kMigrations[0]) +
                    "INSERT INTO tiers VALUES('early', 432000, 'e');"
                    "INSERT INTO partners(id, name, country, tier, status, created_at, updated_at) "
                    "VALUES('prt_old', 'Old', 'DE', 'early', 'active', 1, 2);"
                    "PRAGMA user_version = 1;");
  ASSERT_EQ(QueryRaw(path, "PRAGMA user_version"), 1);

  auto store = OpenSqlite(path).value();
  EXPECT_EQ(store->SchemaVersion(), 4);
  EXPECT_EQ(QueryRaw(path, "PRAGMA user_version"), 4);
  const TimePoint t = ParseTime("2026-07-01T00:00:00Z").value();
  auto tx = store->Begin(TxMode::kWrite).value();
  ASSERT_TRUE(tx->FindPartner("prt_old").value().has_value());
  Advisory advisory;
  advisory.id = "adv_1";
  advisory.public_at = t;
  advisory.created_at = t;
  advisory.updated_at = t;
  ASSERT_TRUE(tx->InsertAdvisory(advisory).has_value());
  EXPECT_EQ(tx->InsertRelease({0, "adv_1", 1, "early", ReleaseKind::kWave, t, false, std::nullopt})
                .value(),
            1);
  ASSERT_TRUE(tx->InsertTermsAcceptance({"adv_1", 1, "prt_old", "h", "token:p", t}).has_value());
  ASSERT_TRUE(tx->Commit().has_value());
  EXPECT_EQ(store->Begin(TxMode::kRead).value()->ListAdvisoriesOpenedFor("early", t).value(),
            (std::vector<std::string>{"adv_1"}));
}

TEST(SqliteStoreTest, UpgradesAVersionThreeDatabaseKeepingItsAlerts) {
  testing::TempDir dir;
  const auto path = dir.path() / "db";
  // A database as the release before push deliveries left it, with an acknowledged alert.
  ExecRaw(path, std::string(sqlite::kMigrations[0]) + std::string(sqlite::kMigrations[1]) +
                    std::string(sqlite::kMigrations[2]) +
                    "INSERT INTO tiers VALUES('early', 432000, 'e');"
                    "INSERT INTO partners(id, name, country, tier, status, created_at, updated_at) "
                    "VALUES('prt_old', 'Old', 'DE', 'early', 'active', 1, 2);"
                    "INSERT INTO alerts VALUES('alr_old', 'prt_old', 'breadth', 'acknowledged', "
                    "'9 advisories in an hour', '{\"advisories\":9}', 10, 20, 'token:inv', 30, "
                    "'expected');"
                    "PRAGMA user_version = 3;");
  ASSERT_EQ(QueryRaw(path, "PRAGMA user_version"), 3);

  auto store = OpenSqlite(path).value();
  EXPECT_EQ(store->SchemaVersion(), 4);
  EXPECT_EQ(QueryRaw(path, "PRAGMA user_version"), 4);
  // The rebuilt table has the indexes of migration 3 again, and nothing was left behind.
  EXPECT_EQ(QueryRaw(path,
                     "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND "
                     "tbl_name = 'alerts' AND name IN ('alerts_raised', 'alerts_partner', "
                     "'alerts_state')"),
            3);
  EXPECT_EQ(QueryRaw(path, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'alerts_new'"), 0);
  EXPECT_EQ(QueryRaw(path, "PRAGMA foreign_key_check"), -1);  // no rows: no violations
  EXPECT_EQ(QueryRaw(path,
                     "SELECT COUNT(*) FROM pragma_integrity_check WHERE "
                     "integrity_check != 'ok'"),
            0);

  auto tx = store->Begin(TxMode::kWrite).value();
  auto old = tx->FindAlert("alr_old").value();
  ASSERT_TRUE(old.has_value());
  EXPECT_EQ(old->partner_id, "prt_old");
  EXPECT_EQ(old->kind, AlertKind::kBreadth);
  EXPECT_EQ(old->state, AlertState::kAcknowledged);
  EXPECT_EQ(old->summary, "9 advisories in an hour");
  EXPECT_EQ(old->evidence, "{\"advisories\":9}");
  EXPECT_EQ(old->raised_at, FromUnixMicros(10));
  EXPECT_EQ(old->updated_at, FromUnixMicros(20));
  EXPECT_EQ(old->acknowledged_by, "token:inv");
  EXPECT_EQ(old->acknowledged_at, std::optional<TimePoint>(FromUnixMicros(30)));
  EXPECT_EQ(old->note, "expected");
  Alert failed = *old;
  failed.id = "alr_new";
  failed.kind = AlertKind::kDeliveryFailed;
  ASSERT_TRUE(tx->InsertAlert(failed).has_value());
  ASSERT_TRUE(tx->Commit().has_value());
  EXPECT_EQ(store->Begin(TxMode::kRead).value()->CountAlerts(std::nullopt).value(), 2);
  // The rebuilt CHECK still rejects a kind it does not list.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  EXPECT_EQ(sqlite3_exec(db,
                         "INSERT INTO alerts(id, partner_id, kind, state, summary, evidence, "
                         "raised_at, updated_at) VALUES('alr_bad', 'prt_old', 'bogus', 'open', "
                         "'', '{}', 1, 1)",
                         nullptr, nullptr, nullptr),
            SQLITE_CONSTRAINT);
  sqlite3_close(db);
}

TEST(SqliteStoreTest, ContentRowIsWrittenOnce) {
  testing::TempDir dir;
  const auto path = dir.path() / "db";
  {
    auto store = OpenSqlite(path).value();
    auto tx = store->Begin(TxMode::kWrite).value();
    ASSERT_TRUE(tx->PutContent("abc", "bytes").has_value());
    ASSERT_TRUE(tx->PutContent("abc", "bytes").has_value());
    ASSERT_TRUE(tx->Commit().has_value());
  }
  EXPECT_EQ(QueryRaw(path, "SELECT COUNT(*) FROM content_blobs"), 1);
  EXPECT_EQ(QueryRaw(path, "SELECT size FROM content_blobs WHERE sha256 = 'abc'"), 5);
}

TEST(SqliteStoreTest, CorruptStoredAdvisoryDataIsInternal) {
  testing::TempDir dir;
  const auto path = dir.path() / "db";
  {
    auto store = OpenSqlite(path).value();
    auto tx = store->Begin(TxMode::kWrite).value();
    Advisory advisory;
    advisory.id = "adv_1";
    ASSERT_TRUE(tx->InsertAdvisory(advisory).has_value());
    Revision revision;
    revision.advisory_id = "adv_1";
    ASSERT_TRUE(tx->InsertRevision(revision).has_value());
    revision.number = 2;
    ASSERT_TRUE(tx->InsertRevision(revision).has_value());
    ASSERT_TRUE(tx->PutContent("h", "x").has_value());
    Artifact artifact;
    artifact.id = "art_1";
    artifact.advisory_id = "adv_1";
    artifact.content_sha256 = "h";
    ASSERT_TRUE(tx->InsertArtifact(artifact).has_value());
    ASSERT_TRUE(tx->Commit().has_value());
  }
  ExecRaw(path,
          "UPDATE revisions SET content = 'not json' WHERE number = 1;"
          "UPDATE revisions SET content = '{\"title\": 5}' WHERE number = 2;"
          "UPDATE advisories SET recorded_status = 'bogus';"
          "UPDATE artifacts SET kind = 'bogus';");
  auto store = OpenSqlite(path).value();
  auto tx = store->Begin(TxMode::kRead).value();
  EXPECT_EQ(tx->FindRevision("adv_1", 1).error().code, ErrorCode::kInternal);
  EXPECT_EQ(tx->FindRevision("adv_1", 2).error().code, ErrorCode::kInternal);
  EXPECT_EQ(tx->ListRevisions("adv_1").error().code, ErrorCode::kInternal);
  EXPECT_EQ(tx->FindAdvisory("adv_1").error().code, ErrorCode::kInternal);
  EXPECT_EQ(tx->ListAdvisories({}).error().code, ErrorCode::kInternal);
  EXPECT_EQ(tx->FindArtifact("art_1").error().code, ErrorCode::kInternal);
}

TEST(SqliteStoreTest, RefusesANewerSchema) {
  testing::TempDir dir;
  { ASSERT_TRUE(OpenSqlite(dir.path() / "db").has_value()); }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir.path() / "db").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "PRAGMA user_version = 99", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  auto reopened = OpenSqlite(dir.path() / "db");
  ASSERT_FALSE(reopened.has_value());
  EXPECT_EQ(reopened.error().code, ErrorCode::kFailedPrecondition);
}

TEST(SqliteStoreTest, UnopenablePathIsUnavailable) {
  auto store = OpenSqlite("/nonexistent-dir/forewarn.db");
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(store.error().code, ErrorCode::kUnavailable);
}

}  // namespace
}  // namespace forewarn::store
