// The store conformance suite: every backend must pass it. Backends register a factory in
// Backends(); the PostgreSQL backend will add itself here.
#include "store/store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <functional>

#include "core/time.h"
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
  EXPECT_EQ(store->SchemaVersion(), 1);
  EXPECT_EQ(*store->Begin(TxMode::kRead).value()->GetSetting("k").value(), "v");
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
