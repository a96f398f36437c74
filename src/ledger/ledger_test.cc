#include "ledger/ledger.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/time.h"
#include "crypto/crypto.h"
#include "ledger/merkle.h"
#include "store/store.h"
#include "tests/testing/testing.h"

namespace forewarn::ledger {
namespace {

using nlohmann::json;
namespace fwt = ::forewarn::testing;

// crypto::Initialize() must run once before any hashing or signing; a global environment covers
// the TEST_F cases, the RC_GTEST_PROP cases (which have no fixture) and ledger_crash_test.cc.
// It also fixes rapidcheck's seed, so every run checks the same cases, unless RC_PARAMS is set
// (e.g. RC_PARAMS="seed=7 max_success=1000" to explore more).
class CryptoEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    ASSERT_EQ(::setenv("RC_PARAMS", "seed=20260701", /*overwrite=*/0), 0);
    ASSERT_TRUE(crypto::Initialize().has_value());
  }
};
::testing::Environment* const kCryptoEnvironment =
    ::testing::AddGlobalTestEnvironment(new CryptoEnvironment);

constexpr std::string_view kEmptyRootHex =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

Event MakeEvent(uint64_t n) {
  Event event;
  event.type = "partner.updated";
  event.actor = "token:tok_0123456789abcdef";
  event.subject = fmt::format("prt_{:016x}", n);
  event.details = json{{"n", n}, {"reason", "test"}};
  event.payload_sha256 = crypto::Hex(crypto::Sha256(std::to_string(n)));
  return event;
}

// A ledger over a fresh SQLite database in a temporary directory, with a deterministic program
// key and a clock that moves only when told. Used by the fixture tests and the properties.
class LedgerHarness {
 public:
  explicit LedgerHarness(uint64_t seed = 42)
      : random_(seed), keys_(crypto::GenerateSigningKeyPair(random_)), ledger_(keys_, clock_) {
    Result<std::unique_ptr<store::Store>> opened = store::OpenSqlite(db_path());
    if (opened.has_value()) store_ = std::move(*opened);
  }

  std::filesystem::path db_path() const { return dir_.path() / "forewarn.db"; }
  bool ok() const { return store_ != nullptr; }
  store::Store& store() { return *store_; }
  const Ledger& ledger() const { return ledger_; }
  const crypto::SigningKeyPair& keys() const { return keys_; }
  fwt::FakeClock& clock() { return clock_; }

  std::unique_ptr<store::Transaction> Write() {
    return store_->Begin(store::TxMode::kWrite).value();
  }
  std::unique_ptr<store::Transaction> Read() { return store_->Begin(store::TxMode::kRead).value(); }

  // Appends in its own committed transaction.
  Result<AppendResult> AppendCommitted(const Event& event) {
    auto tx = Write();
    FW_ASSIGN_OR_RETURN(AppendResult result, ledger_.Append(*tx, event));
    FW_TRY(tx->Commit());
    return result;
  }

  Result<store::TreeHead> SignCommitted() {
    auto tx = Write();
    FW_ASSIGN_OR_RETURN(store::TreeHead head, ledger_.SignHead(*tx));
    FW_TRY(tx->Commit());
    return head;
  }

  json ExportNow() { return ledger_.Export(*Read()).value(); }

 private:
  fwt::TempDir dir_;
  fwt::FakeClock clock_;
  fwt::SeededRandom random_;
  crypto::SigningKeyPair keys_;
  Ledger ledger_;
  std::unique_ptr<store::Store> store_;
};

// Runs one SQL statement on the database file directly, as an attacker or a disk fault would.
void RawSql(const std::filesystem::path& db, const std::string& sql) {
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(db.c_str(), &raw), SQLITE_OK);
  std::unique_ptr<sqlite3, decltype(&sqlite3_close)> handle(raw, &sqlite3_close);
  char* message = nullptr;
  const int rc = sqlite3_exec(raw, sql.c_str(), nullptr, nullptr, &message);
  const std::string text = message != nullptr ? message : "";
  sqlite3_free(message);
  ASSERT_EQ(rc, SQLITE_OK) << text;
}

class LedgerTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(h_.ok()); }

  // Appends `n` events, each in its own committed transaction, advancing the clock each time;
  // mirrors them in `mirror_` (the leaf data as stored).
  void AppendEvents(uint64_t n) {
    for (uint64_t i = 0; i < n; ++i) {
      Result<AppendResult> appended = h_.AppendCommitted(MakeEvent(mirror_.size()));
      ASSERT_TRUE(appended.has_value()) << appended.error().message;
      ASSERT_EQ(appended->index, mirror_.size());
      auto tx = h_.Read();
      std::vector<store::LedgerLeaf> leaves =
          tx->ListLedgerLeaves(appended->index, appended->index + 1).value();
      ASSERT_EQ(leaves.size(), 1U);
      ASSERT_EQ(leaves[0].leaf_hash, appended->leaf_hash);
      ASSERT_EQ(LeafHash(leaves[0].data), appended->leaf_hash);
      ASSERT_EQ(mirror_.Append(leaves[0].data), appended->index);
      h_.clock().Advance(std::chrono::seconds{1});
    }
  }

  LedgerHarness h_;
  MemoryTree mirror_;
};

TEST_F(LedgerTest, LeafIsCanonicalJson) {
  Event event;
  event.type = "partner.created";
  event.actor = "init";
  event.subject = "prt_1";
  event.details =
      json{{"zeta", 1}, {"alpha", "caf\xc3\xa9"}, {"nested", {{"b", true}, {"a", nullptr}}}};
  h_.clock().Advance(std::chrono::microseconds{250});
  ASSERT_TRUE(h_.AppendCommitted(event).has_value());
  event.payload_sha256 = "ab";
  event.details = json::object();
  ASSERT_TRUE(h_.AppendCommitted(event).has_value());

  auto tx = h_.Read();
  const std::vector<store::LedgerLeaf> leaves = tx->ListLedgerLeaves(0, 2).value();
  ASSERT_EQ(leaves.size(), 2U);
  EXPECT_EQ(leaves[0].data,
            fmt::format("{{\"actor\":\"init\",\"details\":{{\"alpha\":\"caf\xc3\xa9\","
                        "\"nested\":{{\"a\":null,\"b\":true}},\"zeta\":1}},\"index\":0,"
                        "\"payload_sha256\":\"\",\"prev_root\":\"{}\",\"subject\":\"prt_1\","
                        "\"time\":\"2026-07-01T00:00:00.000250Z\",\"type\":\"partner.created\","
                        "\"v\":1}}",
                        kEmptyRootHex));
  EXPECT_EQ(leaves[1].data,
            fmt::format("{{\"actor\":\"init\",\"details\":{{}},\"index\":1,"
                        "\"payload_sha256\":\"ab\",\"prev_root\":\"{}\",\"subject\":\"prt_1\","
                        "\"time\":\"2026-07-01T00:00:00.000250Z\",\"type\":\"partner.created\","
                        "\"v\":1}}",
                        crypto::Hex(LeafHash(leaves[0].data))));
  EXPECT_EQ(leaves[1].leaf_hash, LeafHash(leaves[1].data));
}

TEST_F(LedgerTest, RootsAndProofsMatchAMemoryTree) {
  constexpr uint64_t kCount = 37;
  ASSERT_NO_FATAL_FAILURE(AppendEvents(kCount));
  auto tx = h_.Read();
  ASSERT_EQ(tx->LedgerSize().value(), kCount);

  std::vector<std::string> roots;
  for (uint64_t size = 0; size <= kCount; ++size) {
    Result<std::string> root = h_.ledger().RootAt(*tx, size);
    ASSERT_TRUE(root.has_value()) << root.error().message;
    ASSERT_EQ(*root, RootHash(size, mirror_).value()) << size;
    roots.push_back(*root);
  }
  EXPECT_EQ(crypto::Hex(roots[0]), kEmptyRootHex);

  for (uint64_t size = 1; size <= kCount; ++size) {
    for (uint64_t index = 0; index < size; ++index) {
      Result<std::vector<std::string>> proof = h_.ledger().InclusionProof(*tx, index, size);
      ASSERT_TRUE(proof.has_value()) << proof.error().message;
      EXPECT_EQ(*proof, ledger::InclusionProof(index, size, mirror_).value());
      EXPECT_TRUE(VerifyInclusion(mirror_.Node(0, index).value(), index, size, *proof, roots[size]))
          << index << "/" << size;
    }
  }
  for (uint64_t second = 1; second <= kCount; ++second) {
    for (uint64_t first = 1; first <= second; ++first) {
      Result<std::vector<std::string>> proof = h_.ledger().ConsistencyProof(*tx, first, second);
      ASSERT_TRUE(proof.has_value()) << proof.error().message;
      EXPECT_TRUE(VerifyConsistency(first, second, roots[first], roots[second], *proof))
          << first << " -> " << second;
    }
  }
}

TEST_F(LedgerTest, RejectsBadArguments) {
  ASSERT_NO_FATAL_FAILURE(AppendEvents(5));
  auto tx = h_.Write();
  const Ledger& ledger = h_.ledger();
  EXPECT_EQ(ledger.RootAt(*tx, 6).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(ledger.InclusionProof(*tx, 5, 5).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(ledger.InclusionProof(*tx, 0, 6).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(ledger.InclusionProof(*tx, 0, 0).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(ledger.ConsistencyProof(*tx, 0, 3).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(ledger.ConsistencyProof(*tx, 4, 3).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(ledger.ConsistencyProof(*tx, 1, 6).error().code, ErrorCode::kInvalidArgument);

  Event event = MakeEvent(9);
  event.type.clear();
  EXPECT_EQ(ledger.Append(*tx, event).error().code, ErrorCode::kInvalidArgument);
  event = MakeEvent(9);
  event.details = json::array({1, 2});
  EXPECT_EQ(ledger.Append(*tx, event).error().code, ErrorCode::kInvalidArgument);
  event = MakeEvent(9);
  event.subject = "prt_\xff\xfe";
  EXPECT_EQ(ledger.Append(*tx, event).error().code, ErrorCode::kInvalidArgument);
  event = MakeEvent(9);
  event.details = json{{"note", "\xc3"}};
  EXPECT_EQ(ledger.Append(*tx, event).error().code, ErrorCode::kInvalidArgument);
  // Rejected before any write: the log is unchanged and still appendable.
  EXPECT_EQ(tx->LedgerSize().value(), 5U);
  EXPECT_EQ(ledger.Append(*tx, MakeEvent(9)).value().index, 5U);
}

TEST_F(LedgerTest, UncommittedAppendLeavesNoTrace) {
  ASSERT_NO_FATAL_FAILURE(AppendEvents(3));
  const std::string root3 = h_.ledger().RootAt(*h_.Read(), 3).value();
  {
    auto tx = h_.Write();
    // Leaf 3 completes nodes (0,3), (1,1) and (2,0).
    Result<AppendResult> appended = h_.ledger().Append(*tx, MakeEvent(100));
    ASSERT_TRUE(appended.has_value()) << appended.error().message;
    EXPECT_EQ(appended->index, 3U);
    EXPECT_EQ(tx->LedgerSize().value(), 4U);
    EXPECT_TRUE(tx->GetLedgerNode(2, 0).value().has_value());
  }  // destroyed without Commit: rolled back
  {
    auto tx = h_.Read();
    EXPECT_EQ(tx->LedgerSize().value(), 3U);
    EXPECT_TRUE(tx->ListLedgerLeaves(3, 4).value().empty());
    EXPECT_FALSE(tx->GetLedgerNode(0, 3).value().has_value());
    EXPECT_FALSE(tx->GetLedgerNode(1, 1).value().has_value());
    EXPECT_FALSE(tx->GetLedgerNode(2, 0).value().has_value());
    EXPECT_EQ(h_.ledger().RootAt(*tx, 3).value(), root3);
  }
  ASSERT_NO_FATAL_FAILURE(AppendEvents(2));  // checks the next index is 3, then 4
  auto tx = h_.Read();
  EXPECT_EQ(h_.ledger().RootAt(*tx, 5).value(), RootHash(5, mirror_).value());
  EXPECT_TRUE(VerifyExport(h_.ExportNow()).intact);
}

TEST_F(LedgerTest, SignHeadSignsTheCurrentTreeOnce) {
  EXPECT_EQ(h_.ledger().LatestHead(*h_.Read()).error().code, ErrorCode::kNotFound);
  ASSERT_NO_FATAL_FAILURE(AppendEvents(5));
  h_.clock().Advance(std::chrono::nanoseconds{1500});  // sub-microsecond part is dropped
  const TimePoint signed_at = h_.clock().Now();

  const store::TreeHead head = h_.SignCommitted().value();
  EXPECT_EQ(head.tree_size, 5U);
  EXPECT_EQ(head.root_hash, RootHash(5, mirror_).value());
  EXPECT_EQ(head.timestamp, FromUnixMicros(ToUnixMicros(signed_at)));
  EXPECT_EQ(head.signature.size(), 64U);
  EXPECT_TRUE(crypto::VerifySignature(
      h_.keys().public_key, TreeHeadSigningBytes(head.tree_size, head.root_hash, head.timestamp),
      head.signature));
  EXPECT_FALSE(crypto::VerifySignature(
      h_.keys().public_key,
      TreeHeadSigningBytes(head.tree_size + 1, head.root_hash, head.timestamp), head.signature));

  // No growth: the same head, not a new signature with a new time.
  h_.clock().Advance(std::chrono::hours{1});
  const store::TreeHead again = h_.SignCommitted().value();
  EXPECT_EQ(again.tree_size, head.tree_size);
  EXPECT_EQ(again.root_hash, head.root_hash);
  EXPECT_EQ(again.timestamp, head.timestamp);
  EXPECT_EQ(again.signature, head.signature);
  const store::TreeHead latest = h_.ledger().LatestHead(*h_.Read()).value();
  EXPECT_EQ(latest.signature, head.signature);
  EXPECT_EQ(latest.timestamp, head.timestamp);

  ASSERT_NO_FATAL_FAILURE(AppendEvents(1));
  const store::TreeHead grown = h_.SignCommitted().value();
  EXPECT_EQ(grown.tree_size, 6U);
  EXPECT_GT(grown.timestamp, head.timestamp);
  EXPECT_EQ(h_.Read()->ListTreeHeads().value().size(), 2U);
}

TEST_F(LedgerTest, SignsTheEmptyTree) {
  const store::TreeHead head = h_.SignCommitted().value();
  EXPECT_EQ(head.tree_size, 0U);
  EXPECT_EQ(crypto::Hex(head.root_hash), kEmptyRootHex);
  ASSERT_NO_FATAL_FAILURE(AppendEvents(3));
  ASSERT_TRUE(h_.SignCommitted().has_value());
  const VerifyReport report = VerifyExport(h_.ExportNow());
  EXPECT_TRUE(report.intact) << report.problem;
  EXPECT_EQ(report.tree_heads, 2U);
}

TEST(TreeHeadSigningBytesTest, IsTheDocumentedText) {
  const std::string root(32, '\x01');
  const TimePoint t = ParseTime("2026-07-01T00:00:00.000001Z").value();
  std::string root_hex;
  for (int i = 0; i < 32; ++i) root_hex += "01";
  EXPECT_EQ(TreeHeadSigningBytes(5, root, t),
            "forewarn-tree-head-v1\n5\n" + root_hex + "\n1782864000000001");
  EXPECT_NE(TreeHeadSigningBytes(5, root, t), TreeHeadSigningBytes(50, root, t));
  EXPECT_NE(TreeHeadSigningBytes(5, root, t),
            TreeHeadSigningBytes(5, root, t + std::chrono::microseconds{1}));
}

TEST_F(LedgerTest, RefusesToSignAnAlteredTree) {
  ASSERT_NO_FATAL_FAILURE(AppendEvents(4));
  ASSERT_TRUE(h_.SignCommitted().has_value());
  ASSERT_NO_FATAL_FAILURE(AppendEvents(1));
  ASSERT_NO_FATAL_FAILURE(RawSql(h_.db_path(),
                                 "UPDATE ledger_nodes SET hash = zeroblob(32) WHERE level = 2 AND "
                                 "idx = 0"));
  Result<store::TreeHead> head = h_.SignCommitted();
  ASSERT_FALSE(head.has_value());
  EXPECT_EQ(head.error().code, ErrorCode::kInternal);
}

TEST_F(LedgerTest, MissingNodeIsInternal) {
  ASSERT_NO_FATAL_FAILURE(AppendEvents(3));
  ASSERT_NO_FATAL_FAILURE(
      RawSql(h_.db_path(), "DELETE FROM ledger_nodes WHERE level = 1 AND idx = 0"));
  // A ledger that did not append this tree itself (e.g. after a restart) reads the right edge
  // from the store and finds the gap.
  Ledger restarted(h_.keys(), h_.clock());
  auto tx = h_.Write();
  Result<AppendResult> appended = restarted.Append(*tx, MakeEvent(3));
  ASSERT_FALSE(appended.has_value());
  EXPECT_EQ(appended.error().code, ErrorCode::kInternal);
  EXPECT_NE(appended.error().message.find("ledger node missing"), std::string::npos);
  tx.reset();
  EXPECT_EQ(h_.ledger().RootAt(*h_.Read(), 3).error().code, ErrorCode::kInternal);
}

// The cached right edge and the one read from the store give the same tree, including after a
// rolled-back append and when two Ledger objects take turns on one store.
TEST_F(LedgerTest, CachedRightEdgeMatchesTheStore) {
  Ledger other(h_.keys(), h_.clock());
  for (uint64_t i = 0; i < 40; ++i) {
    const Ledger& writer = (i % 7 == 3) ? other : h_.ledger();
    if (i % 5 == 2) {
      auto tx = h_.Write();
      ASSERT_TRUE(writer.Append(*tx, MakeEvent(1000 + i)).has_value());
    }  // rolled back
    auto tx = h_.Write();
    auto appended = writer.Append(*tx, MakeEvent(i));
    ASSERT_TRUE(appended.has_value()) << appended.error().message;
    ASSERT_TRUE(tx->Commit().has_value());
    auto read = h_.Read();
    auto leaf = read->ListLedgerLeaves(appended->index, appended->index + 1).value();
    ASSERT_EQ(leaf.size(), 1U);
    ASSERT_EQ(mirror_.Append(leaf[0].data), appended->index);
    ASSERT_EQ(h_.ledger().RootAt(*read, mirror_.size()).value(),
              RootHash(mirror_.size(), mirror_).value());
  }
  EXPECT_TRUE(VerifyExport(h_.ExportNow()).intact);
}

// --- export and verification ---

class LedgerExportTest : public LedgerTest {
 protected:
  void SetUp() override {
    LedgerTest::SetUp();
    for (uint64_t size : {5, 12, 20}) {
      ASSERT_NO_FATAL_FAILURE(AppendEvents(size - mirror_.size()));
      ASSERT_TRUE(h_.SignCommitted().has_value());
    }
    exported_ = h_.ExportNow();
  }

  std::string Problem(const json& exported, std::optional<std::string> key = std::nullopt) const {
    const VerifyReport report = VerifyExport(exported, std::move(key));
    EXPECT_FALSE(report.intact);
    return report.problem;
  }

  json exported_;
};

TEST_F(LedgerExportTest, ExportHasTheDocumentedShapeAndVerifies) {
  EXPECT_EQ(exported_["format"], "forewarn-ledger-export");
  EXPECT_EQ(exported_["version"], 1);
  EXPECT_EQ(exported_["program_public_key"], crypto::Base64(h_.keys().public_key));
  ASSERT_EQ(exported_["entries"].size(), 20U);
  ASSERT_EQ(exported_["tree_heads"].size(), 3U);
  const json& entry = exported_["entries"][7];
  EXPECT_EQ(entry["index"], 7);
  EXPECT_EQ(entry["leaf_hash"], crypto::Hex(mirror_.Node(0, 7).value()));
  EXPECT_EQ(json::parse(entry["data"].get<std::string>())["index"], 7);
  const json& head = exported_["tree_heads"][1];
  EXPECT_EQ(head["tree_size"], 12);
  EXPECT_EQ(head["root_hash"], crypto::Hex(RootHash(12, mirror_).value()));
  EXPECT_EQ(head["timestamp"], "2026-07-01T00:00:12Z");
  EXPECT_EQ(crypto::FromBase64(head["signature"].get<std::string>()).value().size(), 64U);

  VerifyReport report = VerifyExport(exported_);
  EXPECT_TRUE(report.intact) << report.problem;
  EXPECT_EQ(report.entries, 20U);
  EXPECT_EQ(report.tree_heads, 3U);
  EXPECT_TRUE(report.problem.empty());
  report = VerifyExport(exported_, h_.keys().public_key);
  EXPECT_TRUE(report.intact) << report.problem;
  // Survives a round trip through text.
  report = VerifyExport(json::parse(exported_.dump(2)));
  EXPECT_TRUE(report.intact) << report.problem;
}

TEST_F(LedgerExportTest, NamesTheFirstBadItem) {
  json e = exported_;
  e["entries"][17]["data"] = e["entries"][17]["data"].get<std::string>() + " ";
  EXPECT_EQ(Problem(e), "entry 17: leaf hash does not match its data");

  // Rewriting an entry together with its leaf hash breaks the next entry's prev_root.
  e = exported_;
  std::string data = e["entries"][6]["data"];
  data.replace(data.find("\"reason\":\"test\""), 15, "\"reason\":\"TEST\"");
  e["entries"][6]["data"] = data;
  e["entries"][6]["leaf_hash"] = crypto::Hex(LeafHash(data));
  EXPECT_EQ(Problem(e), "entry 7: prev_root does not match the root of the preceding entries");
  // ... and for the last entry, the head that covers it.
  e = exported_;
  data = e["entries"][19]["data"];
  data.replace(data.find("\"reason\":\"test\""), 15, "\"reason\":\"TEST\"");
  e["entries"][19]["data"] = data;
  e["entries"][19]["leaf_hash"] = crypto::Hex(LeafHash(data));
  EXPECT_EQ(Problem(e), "tree head 2 (size 20): root hash does not match the entries");

  e = exported_;
  e["entries"].erase(4);
  EXPECT_EQ(Problem(e), "entry 4: index is 5, expected 4 (entries must be contiguous from 0)");
  e = exported_;
  e["entries"].erase(19);
  EXPECT_EQ(Problem(e), "tree head 2 (size 20): larger than the log (19 entries)");
  e = exported_;
  std::swap(e["entries"][2], e["entries"][9]);
  EXPECT_EQ(Problem(e), "entry 2: index is 9, expected 2 (entries must be contiguous from 0)");
  // Swapped entries relabelled with their new positions still fail: data carries the index.
  e["entries"][2]["index"] = 2;
  EXPECT_EQ(Problem(e), "entry 2: data index does not match the entry's position");

  e = exported_;
  e["tree_heads"][1].erase("signature");
  EXPECT_EQ(Problem(e), "tree head 1 (size 12): signature missing or not a string");
  e = exported_;
  e["tree_heads"][1]["signature"] = e["tree_heads"][0]["signature"];
  EXPECT_EQ(Problem(e), "tree head 1 (size 12): signature invalid");
  e = exported_;
  e["tree_heads"][1]["timestamp"] = "2026-07-01T00:00:13Z";
  EXPECT_EQ(Problem(e), "tree head 1 (size 12): signature invalid");
  e = exported_;
  e["tree_heads"][1]["timestamp"] = "2026-07-01t00:00:12Z";  // same instant, other text
  EXPECT_EQ(Problem(e), "tree head 1 (size 12): timestamp malformed");
  e = exported_;
  std::swap(e["tree_heads"][0], e["tree_heads"][1]);
  EXPECT_EQ(Problem(e), "tree head 1 (size 5): size does not grow past the previous head's (12)");
  e = exported_;
  e["tree_heads"][2]["root_hash"] = e["tree_heads"][1]["root_hash"];
  EXPECT_EQ(Problem(e), "tree head 2 (size 20): root hash does not match the entries");
  e = exported_;
  std::string root = e["tree_heads"][0]["root_hash"];
  // Same bytes, other text.
  std::transform(root.begin(), root.end(), root.begin(), [](char c) {
    return static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  });
  e["tree_heads"][0]["root_hash"] = root;
  EXPECT_EQ(Problem(e), "tree head 0 (size 5): root hash does not match the entries");
}

TEST_F(LedgerExportTest, ChecksTheProgramKey) {
  fwt::SeededRandom other_random(4242);
  const crypto::SigningKeyPair other = crypto::GenerateSigningKeyPair(other_random);
  EXPECT_EQ(Problem(exported_, other.public_key),
            "program_public_key is not the expected program key");
  json e = exported_;
  e.erase("program_public_key");
  EXPECT_EQ(Problem(e, other.public_key), "tree head 0 (size 5): signature invalid");
  EXPECT_EQ(Problem(e), "program_public_key missing or not a base64 Ed25519 public key");
  // An export re-signed by someone else names their key: checking against ours catches it.
  e["program_public_key"] = crypto::Base64(other.public_key);
  EXPECT_EQ(Problem(e), "tree head 0 (size 5): signature invalid");
  EXPECT_FALSE(VerifyExport(exported_, std::string("short")).intact);
}

TEST_F(LedgerExportTest, MalformedInputIsReportedNeverThrown) {
  std::vector<json> bad = {json(), json::array(), json("text"), json(7), json::object()};
  auto with = [&](auto mutate) {
    json e = exported_;
    mutate(e);
    bad.push_back(std::move(e));
  };
  with([](json& e) { e["format"] = 1; });
  with([](json& e) { e["format"] = "other"; });
  with([](json& e) { e["version"] = 2; });
  with([](json& e) { e["version"] = "1"; });
  with([](json& e) { e["version"] = 1.0; });
  with([](json& e) { e["program_public_key"] = 5; });
  with([](json& e) { e["program_public_key"] = "not base64!"; });
  with([](json& e) { e["entries"] = json::object(); });
  with([](json& e) { e.erase("entries"); });
  with([](json& e) { e["tree_heads"] = "none"; });
  with([](json& e) { e["entries"][3] = json::array(); });
  with([](json& e) { e["entries"][3]["index"] = "3"; });
  with([](json& e) { e["entries"][3]["index"] = -3; });
  with([](json& e) { e["entries"][3]["index"] = 3.5; });
  with([](json& e) { e["entries"][3]["data"] = 5; });
  with([](json& e) { e["entries"][3]["data"] = json::object(); });
  with([](json& e) { e["entries"][3]["leaf_hash"] = nullptr; });
  with([](json& e) { e["entries"][3].erase("leaf_hash"); });
  with([](json& e) {  // well-hashed data that is not JSON
    e["entries"][3]["data"] = "{\"index\":3";
    e["entries"][3]["leaf_hash"] = crypto::Hex(LeafHash("{\"index\":3"));
  });
  with([](json& e) {  // well-hashed JSON that is not an object
    e["entries"][3]["data"] = "[3]";
    e["entries"][3]["leaf_hash"] = crypto::Hex(LeafHash("[3]"));
  });
  with([](json& e) { e["entries"].push_back(json::object()); });
  with([](json& e) { e["tree_heads"][0] = 12; });
  with([](json& e) { e["tree_heads"][0]["tree_size"] = -1; });
  with([](json& e) { e["tree_heads"][0]["tree_size"] = 1e300; });
  with([](json& e) { e["tree_heads"][0]["tree_size"] = UINT64_MAX; });
  with([](json& e) { e["tree_heads"][0]["root_hash"] = json::array(); });
  with([](json& e) { e["tree_heads"][0]["timestamp"] = 0; });
  with([](json& e) { e["tree_heads"][0]["timestamp"] = "yesterday"; });
  with([](json& e) { e["tree_heads"][0]["signature"] = "@@@"; });
  with([](json& e) { e["tree_heads"][0]["signature"] = ""; });
  with([](json& e) { e["tree_heads"][0]["signature"] = crypto::Base64("short"); });
  for (size_t i = 0; i < bad.size(); ++i) {
    VerifyReport report;
    EXPECT_NO_THROW(report = VerifyExport(bad[i])) << i;
    EXPECT_FALSE(report.intact) << i;
    EXPECT_FALSE(report.problem.empty()) << i;
  }
}

TEST_F(LedgerExportTest, ReadsExportFiles) {
  fwt::TempDir dir;
  const std::filesystem::path path = dir.path() / "ledger.json";
  std::ofstream(path) << exported_.dump(2);
  Result<json> read = ReadExportFile(path);
  ASSERT_TRUE(read.has_value()) << read.error().message;
  EXPECT_EQ(*read, exported_);
  EXPECT_TRUE(VerifyExport(*read).intact);

  EXPECT_EQ(ReadExportFile(dir.path() / "absent.json").error().code, ErrorCode::kNotFound);
  EXPECT_EQ(ReadExportFile(dir.path()).error().code, ErrorCode::kInvalidArgument);
  std::ofstream(dir.path() / "garbage.json") << "{\"entries\": [";
  EXPECT_EQ(ReadExportFile(dir.path() / "garbage.json").error().code, ErrorCode::kInvalidArgument);
  std::ofstream(dir.path() / "array.json") << "[]";
  EXPECT_EQ(ReadExportFile(dir.path() / "array.json").error().code, ErrorCode::kInvalidArgument);
}

// ---------------------------------------------------------------------------------------------
// Properties (rapidcheck): random logs of 1..60 entries with a few signed heads, the last one
// covering the whole log.

// A value drawn uniformly from [lo, hi). rapidcheck's inRange scales its range with the test
// case's size, which would favour small logs; fixing the size covers the whole range evenly.
template <class T>
T Uniform(T lo, T hi) {
  return *rc::gen::resize(rc::kNominalSize, rc::gen::inRange<T>(lo, hi));
}

struct RandomLog {
  json exported;
  std::string public_key;
};

RandomLog BuildRandomLog() {
  const auto count = Uniform<uint64_t>(1, 61);
  std::vector<uint64_t> head_sizes;
  const auto extra_heads = Uniform<int>(0, 4);
  for (int i = 0; i < extra_heads; ++i) head_sizes.push_back(Uniform<uint64_t>(0, count + 1));
  head_sizes.push_back(count);
  std::sort(head_sizes.begin(), head_sizes.end());
  const auto seed = Uniform<uint64_t>(0, 1U << 30);
  const auto salt = *rc::gen::arbitrary<std::string>();

  LedgerHarness h(seed);
  RC_ASSERT(h.ok());
  auto tx = h.Write();
  size_t next_head = 0;
  for (uint64_t i = 0; i <= count; ++i) {
    while (next_head < head_sizes.size() && head_sizes[next_head] == i) {
      RC_ASSERT(h.ledger().SignHead(*tx).has_value());
      ++next_head;
    }
    if (i == count) break;
    Event event = MakeEvent(i);
    event.details["salt"] = crypto::Hex(salt);
    RC_ASSERT(h.ledger().Append(*tx, event).has_value());
    h.clock().Advance(std::chrono::milliseconds{Uniform<int>(0, 5000)});
  }
  RC_ASSERT(tx->Commit().has_value());
  return RandomLog{h.ExportNow(), h.keys().public_key};
}

// XORs one byte of `text` at a random position with a random nonzero mask.
void FlipRandomByte(std::string& text) {
  RC_PRE(!text.empty());
  const auto position = Uniform<size_t>(0, text.size());
  const auto mask = Uniform<int>(1, 256);
  text[position] = static_cast<char>(static_cast<unsigned char>(text[position]) ^ mask);
}

RC_GTEST_PROP(LedgerProperty, AnySingleByteChangeIsDetected, ()) {
  const RandomLog log = BuildRandomLog();
  const VerifyReport intact = VerifyExport(log.exported, log.public_key);
  RC_ASSERT(intact.intact);
  RC_ASSERT(intact.entries == log.exported["entries"].size());

  const json& entries = log.exported["entries"];
  const json& heads = log.exported["tree_heads"];
  // Every kind of field in one case, each at a random item and byte.
  for (const char* field : {"data", "leaf_hash"}) {
    json e = log.exported;
    json& value = e["entries"][Uniform<size_t>(0, entries.size())][field];
    FlipRandomByte(value.get_ref<std::string&>());
    const VerifyReport report = VerifyExport(e, log.public_key);
    RC_ASSERT_FALSE(report.intact);
    RC_ASSERT(report.problem.rfind("entry ", 0) == 0);
  }
  for (const char* field : {"root_hash", "signature"}) {
    json e = log.exported;
    json& value = e["tree_heads"][Uniform<size_t>(0, heads.size())][field];
    FlipRandomByte(value.get_ref<std::string&>());
    const VerifyReport report = VerifyExport(e, log.public_key);
    RC_ASSERT_FALSE(report.intact);
    RC_ASSERT(report.problem.rfind("tree head ", 0) == 0);
  }
}

RC_GTEST_PROP(LedgerProperty, StructuralTamperingIsDetected, ()) {
  const RandomLog log = BuildRandomLog();
  RC_ASSERT(VerifyExport(log.exported).intact);
  const size_t count = log.exported["entries"].size();
  const size_t head_count = log.exported["tree_heads"].size();

  json e = log.exported;
  e["entries"].erase(Uniform<size_t>(0, count));
  RC_ASSERT_FALSE(VerifyExport(e).intact);

  if (count >= 2) {
    e = log.exported;
    const auto i = Uniform<size_t>(0, count);
    const auto j = (i + Uniform<size_t>(1, count)) % count;
    std::swap(e["entries"][i], e["entries"][j]);
    RC_ASSERT_FALSE(VerifyExport(e).intact);
  }

  e = log.exported;
  e["tree_heads"][Uniform<size_t>(0, head_count)].erase("signature");
  RC_ASSERT_FALSE(VerifyExport(e).intact);

  fwt::SeededRandom other_random(Uniform<uint64_t>(1U << 30, 1U << 31));
  const crypto::SigningKeyPair other = crypto::GenerateSigningKeyPair(other_random);
  RC_ASSERT_FALSE(VerifyExport(log.exported, other.public_key).intact);
  e = log.exported;
  e.erase("program_public_key");
  RC_ASSERT_FALSE(VerifyExport(e, other.public_key).intact);
}

}  // namespace
}  // namespace forewarn::ledger
