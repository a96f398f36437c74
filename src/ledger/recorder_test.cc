// Group commit: many threads recording at once all land on the ledger, in fewer commits than
// events, each caller learning its own position; a failed batch fails all of its events.
#include "ledger/recorder.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "tests/testing/testing.h"

namespace forewarn::ledger {
namespace {

class RecorderTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { ASSERT_TRUE(crypto::Initialize().has_value()); }

  RecorderTest()
      : random_(5),
        keys_(crypto::GenerateProgramKeys(random_)),
        store_(store::OpenSqlite(dir_.path() / "db").value()),
        ledger_(keys_.signing, clock_) {}

  static Event Fetch(int thread, int n) {
    return Event{.type = "artifact.fetched",
                 .actor = fmt::format("token:tok_{:016x}", thread),
                 .subject = fmt::format("art_{:016x}", n),
                 .details = {{"thread", thread}, {"n", n}},
                 .payload_sha256 = crypto::Hex(crypto::Sha256(std::to_string(n)))};
  }

  testing::TempDir dir_;
  testing::FakeClock clock_;
  testing::SeededRandom random_;
  crypto::ProgramKeys keys_;
  std::unique_ptr<store::Store> store_;
  Ledger ledger_;
};

TEST_F(RecorderTest, ConcurrentRecordsAllLandInFewerCommits) {
  Recorder recorder(*store_, ledger_, 64);
  constexpr int kThreads = 16;
  constexpr int kPerThread = 40;
  std::vector<std::vector<uint64_t>> indexes(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int n = 0; n < kPerThread; ++n) {
        auto where = recorder.Record(Fetch(t, n));
        ASSERT_TRUE(where.has_value()) << where.error().message;
        indexes[t].push_back(where->index);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  std::set<uint64_t> all;
  for (const auto& list : indexes) {
    EXPECT_TRUE(std::is_sorted(list.begin(), list.end())) << "one caller's events keep order";
    all.insert(list.begin(), list.end());
  }
  EXPECT_EQ(all.size(), static_cast<size_t>(kThreads * kPerThread)) << "every index unique";
  auto tx = store_->Begin(store::TxMode::kRead).value();
  EXPECT_EQ(tx->LedgerSize().value(), static_cast<uint64_t>(kThreads * kPerThread));
  // Each returned index holds that caller's event.
  auto leaves = tx->ListLedgerLeaves(0, kThreads * kPerThread).value();
  for (int t = 0; t < kThreads; ++t) {
    for (int n = 0; n < kPerThread; ++n) {
      auto event = nlohmann::json::parse(leaves[indexes[t][n]].data);
      EXPECT_EQ(event["details"]["thread"], t);
      EXPECT_EQ(event["details"]["n"], n);
    }
  }
  const auto stats = recorder.stats();
  EXPECT_EQ(stats.events, static_cast<uint64_t>(kThreads * kPerThread));
  EXPECT_LE(stats.batches, stats.events);
  EXPECT_GE(stats.batches, stats.events / 64);
  tx.reset();
  // The log is intact: a signed head over it verifies.
  auto write = store_->Begin(store::TxMode::kWrite).value();
  ASSERT_TRUE(ledger_.SignHead(*write).has_value());
  ASSERT_TRUE(write->Commit().has_value());
  auto read = store_->Begin(store::TxMode::kRead).value();
  EXPECT_TRUE(VerifyExport(ledger_.Export(*read).value()).intact);
}

TEST_F(RecorderTest, AFailedBatchRecordsNothing) {
  Recorder recorder(*store_, ledger_);
  Event bad = Fetch(0, 0);
  bad.type = "";  // the ledger rejects events without a type
  auto failed = recorder.Record(bad);
  ASSERT_FALSE(failed.has_value());
  EXPECT_EQ(failed.error().code, ErrorCode::kInvalidArgument);
  auto ok = recorder.Record(Fetch(0, 1));
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ(ok->index, 0u) << "the failed event left no entry behind";
}

}  // namespace
}  // namespace forewarn::ledger
