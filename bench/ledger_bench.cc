// Benchmarks of the audit ledger (ledger/ledger.h) on file-backed SQLite stores in temporary
// directories:
//   BM_LedgerAppend/K        Ledger::Append of a ~300-byte leaf, committing every K appends
//   BM_RawSqliteInsert/K     baseline: plain sqlite3 inserts of rows of the same size into a
//                            table like ledger_leaves, same PRAGMAs and commit grouping
//   BM_InclusionProof*       proof generation in a tree of 1,000,000 entries, from the store
//                            (in one read transaction, or one transaction per proof) and from a
//                            MemoryTree (the pure Merkle cost); the tree is built once
//   BM_VerifyExport10k       VerifyExport of a 10,000-entry export (entries/s), and Export
// Set FOREWARN_BENCH_10M=1 to also run the store proof benchmark at 10,000,000 entries (its
// setup writes ~30M rows and takes minutes).
#include <benchmark/benchmark.h>
#include <fmt/format.h>
#include <sqlite3.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "crypto/crypto.h"
#include "ledger/ledger.h"
#include "ledger/merkle.h"
#include "store/store.h"
#include "tests/testing/testing.h"

namespace forewarn::ledger {
namespace {

namespace fwt = ::forewarn::testing;

// Aborts the benchmark binary on a setup failure (there is no test framework to report to).
template <class T>
T Must(Result<T> result, std::string_view what) {
  if (!result.has_value()) {
    fmt::print(stderr, "{}: {}\n", what, result.error().message);
    std::abort();
  }
  return std::move(*result);
}

void Must(const Status& status, std::string_view what) {
  if (!status.has_value()) {
    fmt::print(stderr, "{}: {}\n", what, status.error().message);
    std::abort();
  }
}

// A program key and a clock for the ledgers below.
struct Program {
  fwt::SeededRandom random{1};
  crypto::SigningKeyPair keys = crypto::GenerateSigningKeyPair(random);
  fwt::FakeClock clock;
};

// An event whose canonical leaf is about 300 bytes (with the 64-hex prev_root and payload).
Event TypicalEvent() {
  Event event;
  event.type = "delivery.fetched";
  event.actor = "system";
  event.subject = "dlv_8c1e07a9d2b34f60";
  event.details = nlohmann::json{{"wave", 2}};
  event.payload_sha256 = crypto::Hex(crypto::Sha256("payload"));
  return event;
}

// --- append: ledger vs raw SQLite ---

void BM_LedgerAppend(benchmark::State& state) {
  const int64_t per_transaction = state.range(0);
  Program program;
  const Ledger ledger(program.keys, program.clock);
  fwt::TempDir dir;
  const std::unique_ptr<store::Store> store =
      Must(store::OpenSqlite(dir.path() / "ledger.db"), "open store");
  const Event event = TypicalEvent();
  std::unique_ptr<store::Transaction> tx;
  int64_t in_transaction = 0;
  size_t leaf_bytes = 0;
  for (auto _ : state) {
    if (!tx) tx = Must(store->Begin(store::TxMode::kWrite), "begin");
    const AppendResult appended = Must(ledger.Append(*tx, event), "append");
    benchmark::DoNotOptimize(appended.index);
    if (++in_transaction == per_transaction) {
      Must(tx->Commit(), "commit");
      tx.reset();
      in_transaction = 0;
    }
  }
  if (tx) Must(tx->Commit(), "commit");
  {
    auto read = Must(store->Begin(store::TxMode::kRead), "begin");
    const auto leaves = Must(read->ListLedgerLeaves(0, 1), "list");
    if (!leaves.empty()) leaf_bytes = leaves[0].data.size();
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["leaf_bytes"] = static_cast<double>(leaf_bytes);
}
// Wall-clock time: commits wait for the disk, which CPU time would not show.
BENCHMARK(BM_LedgerAppend)->Arg(1)->Arg(100)->UseRealTime();

struct SqliteCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct StatementFinalizer {
  void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
};

void Exec(sqlite3* db, const char* sql) {
  char* message = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &message) != SQLITE_OK) {
    fmt::print(stderr, "sqlite: {}: {}\n", sql, message != nullptr ? message : "");
    std::abort();
  }
}

void BM_RawSqliteInsert(benchmark::State& state) {
  const int64_t per_transaction = state.range(0);
  fwt::TempDir dir;
  sqlite3* raw = nullptr;
  if (sqlite3_open_v2((dir.path() / "raw.db").c_str(), &raw,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                      nullptr) != SQLITE_OK) {
    std::abort();
  }
  const std::unique_ptr<sqlite3, SqliteCloser> db(raw);
  // The store's PRAGMAs (store/sqlite/connection.cc) and a table like its ledger_leaves.
  Exec(db.get(),
       "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
       "PRAGMA temp_store=MEMORY;"
       "CREATE TABLE leaves (idx INTEGER PRIMARY KEY, data BLOB NOT NULL, "
       "leaf_hash BLOB NOT NULL);"
       "CREATE INDEX leaves_hash ON leaves(leaf_hash);");
  sqlite3_stmt* raw_stmt = nullptr;
  const char* sql = "INSERT INTO leaves(idx, data, leaf_hash) VALUES(?, ?, ?)";
  if (sqlite3_prepare_v2(db.get(), sql, -1, &raw_stmt, nullptr) != SQLITE_OK) std::abort();
  const std::unique_ptr<sqlite3_stmt, StatementFinalizer> insert(raw_stmt);

  const std::string data(300, 'x');
  // Distinct hashes, as leaf hashes are, so the hash index sees random insert positions.
  std::vector<std::string> hashes;
  for (int i = 0; i < 4096; ++i) hashes.push_back(crypto::Sha256(std::to_string(i)));

  int64_t in_transaction = 0;
  int64_t index = 0;
  for (auto _ : state) {
    if (in_transaction == 0) Exec(db.get(), "BEGIN IMMEDIATE");
    const std::string& hash = hashes[static_cast<size_t>(index) % hashes.size()];
    sqlite3_bind_int64(insert.get(), 1, index++);
    sqlite3_bind_blob(insert.get(), 2, data.data(), static_cast<int>(data.size()), SQLITE_STATIC);
    sqlite3_bind_blob(insert.get(), 3, hash.data(), static_cast<int>(hash.size()), SQLITE_STATIC);
    if (sqlite3_step(insert.get()) != SQLITE_DONE) std::abort();
    sqlite3_reset(insert.get());
    if (++in_transaction == per_transaction) {
      Exec(db.get(), "COMMIT");
      in_transaction = 0;
    }
  }
  if (in_transaction != 0) Exec(db.get(), "COMMIT");
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RawSqliteInsert)->Arg(1)->Arg(100)->UseRealTime();

// --- inclusion proofs in a big tree ---

// Reads back the nodes just completed at each level: NodesCompletedByAppend only ever asks for
// the left sibling (level, index - 1), which is the latest node completed at that level.
class FrontierReader final : public NodeReader {
 public:
  Result<std::string> Node(int level, uint64_t index) override {
    const auto at = static_cast<size_t>(level);
    if (at >= latest_.size() || latest_[at].index != index) {
      return Fail(ErrorCode::kNotFound, "frontier: node not at the frontier");
    }
    return latest_[at].hash;
  }
  void Record(const NodeWrite& write) {
    const auto at = static_cast<size_t>(write.level);
    if (latest_.size() <= at) latest_.resize(at + 1);
    latest_[at] = write;
  }

 private:
  std::vector<NodeWrite> latest_;
};

// A ledger of `size` synthetic entries (tiny leaves) written straight through the Transaction
// in large transactions, plus optionally the same tree in memory. Built once per process.
class BigTree {
 public:
  BigTree(uint64_t size, bool in_memory) : size_(size), ledger_(program_.keys, program_.clock) {
    store_ = Must(store::OpenSqlite(dir_.path() / "big.db"), "open store");
    constexpr uint64_t kPerTransaction = 200'000;
    FrontierReader frontier;
    for (uint64_t start = 0; start < size; start += kPerTransaction) {
      auto tx = Must(store_->Begin(store::TxMode::kWrite), "begin");
      for (uint64_t i = start; i < std::min(size, start + kPerTransaction); ++i) {
        std::string data = fmt::format("{{\"index\":{},\"type\":\"synthetic\",\"v\":1}}", i);
        std::string leaf_hash = LeafHash(data);
        if (in_memory) Must(memory_.AppendLeafHash(leaf_hash), "memory append");
        const std::vector<NodeWrite> writes =
            Must(NodesCompletedByAppend(i, leaf_hash, frontier), "nodes");
        Must(tx->AppendLedgerLeaf(store::LedgerLeaf{i, std::move(data), std::move(leaf_hash)}),
             "append leaf");
        for (const NodeWrite& write : writes) {
          Must(tx->PutLedgerNode(write.level, write.index, write.hash), "put node");
          frontier.Record(write);
        }
      }
      Must(tx->Commit(), "commit");
    }
  }

  uint64_t size() const { return size_; }
  store::Store& store() { return *store_; }
  const Ledger& ledger() const { return ledger_; }
  MemoryTree& memory() { return memory_; }

 private:
  uint64_t size_;
  Program program_;
  fwt::TempDir dir_;
  std::unique_ptr<store::Store> store_;
  Ledger ledger_;
  MemoryTree memory_;
};

BigTree& Tree1M() {
  static BigTree tree(1'000'000, /*in_memory=*/true);
  return tree;
}

BigTree& Tree10M() {
  static BigTree tree(10'000'000, /*in_memory=*/false);
  return tree;
}

// Leaf indices spread over the whole tree (a 64-bit LCG; no randomness source needed).
uint64_t NextIndex(uint64_t& state, uint64_t size) {
  state = state * 6364136223846793005ULL + 1442695040888963407ULL;
  return (state >> 11) % size;
}

void ProofsFromStore(benchmark::State& state, BigTree& tree) {
  auto tx = Must(tree.store().Begin(store::TxMode::kRead), "begin");
  uint64_t lcg = 1;
  size_t path_length = 0;
  for (auto _ : state) {
    const auto proof =
        Must(tree.ledger().InclusionProof(*tx, NextIndex(lcg, tree.size()), tree.size()), "proof");
    path_length = proof.size();
    benchmark::DoNotOptimize(proof.data());
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["tree_size"] = static_cast<double>(tree.size());
  state.counters["path_length"] = static_cast<double>(path_length);
}

void BM_InclusionProofStore1M(benchmark::State& state) { ProofsFromStore(state, Tree1M()); }
BENCHMARK(BM_InclusionProofStore1M)->Unit(benchmark::kMicrosecond);

void BM_InclusionProofStore10M(benchmark::State& state) { ProofsFromStore(state, Tree10M()); }

// One read transaction per proof, as a request handler would do.
void BM_InclusionProofStoreWithTransaction1M(benchmark::State& state) {
  BigTree& tree = Tree1M();
  uint64_t lcg = 1;
  for (auto _ : state) {
    auto tx = Must(tree.store().Begin(store::TxMode::kRead), "begin");
    const auto proof =
        Must(tree.ledger().InclusionProof(*tx, NextIndex(lcg, tree.size()), tree.size()), "proof");
    benchmark::DoNotOptimize(proof.data());
    Must(tx->Commit(), "commit");
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_InclusionProofStoreWithTransaction1M)->Unit(benchmark::kMicrosecond);

void BM_InclusionProofMemory1M(benchmark::State& state) {
  BigTree& tree = Tree1M();
  uint64_t lcg = 1;
  for (auto _ : state) {
    const auto proof =
        Must(InclusionProof(NextIndex(lcg, tree.size()), tree.size(), tree.memory()), "proof");
    benchmark::DoNotOptimize(proof.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_InclusionProofMemory1M)->Unit(benchmark::kMicrosecond);

// --- export and verification ---

// A 10,000-entry ledger with a head every 1,000 entries, exported once.
struct Export10k {
  static constexpr uint64_t kEntries = 10'000;
  Program program;
  fwt::TempDir dir;
  std::unique_ptr<store::Store> store;
  nlohmann::json exported;

  Export10k() {
    store = Must(store::OpenSqlite(dir.path() / "export.db"), "open store");
    const Ledger ledger(program.keys, program.clock);
    const Event event = TypicalEvent();
    for (uint64_t done = 0; done < kEntries; done += 1000) {
      auto tx = Must(store->Begin(store::TxMode::kWrite), "begin");
      for (int i = 0; i < 1000; ++i) Must(ledger.Append(*tx, event), "append");
      Must(ledger.SignHead(*tx), "sign");
      Must(tx->Commit(), "commit");
    }
    auto tx = Must(store->Begin(store::TxMode::kRead), "begin");
    exported = Must(ledger.Export(*tx), "export");
  }
};

Export10k& TheExport10k() {
  static Export10k fixture;
  return fixture;
}

void BM_VerifyExport10k(benchmark::State& state) {
  const Export10k& fixture = TheExport10k();
  for (auto _ : state) {
    const VerifyReport report = VerifyExport(fixture.exported, fixture.program.keys.public_key);
    if (!report.intact) {
      state.SkipWithError(report.problem.c_str());
      break;
    }
    benchmark::DoNotOptimize(report.entries);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(Export10k::kEntries));
}
BENCHMARK(BM_VerifyExport10k)->Unit(benchmark::kMillisecond);

void BM_Export10k(benchmark::State& state) {
  Export10k& fixture = TheExport10k();
  const Ledger ledger(fixture.program.keys, fixture.program.clock);
  for (auto _ : state) {
    auto tx = Must(fixture.store->Begin(store::TxMode::kRead), "begin");
    const nlohmann::json exported = Must(ledger.Export(*tx), "export");
    benchmark::DoNotOptimize(exported.size());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(Export10k::kEntries));
}
BENCHMARK(BM_Export10k)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace forewarn::ledger

int main(int argc, char** argv) {
  if (!forewarn::crypto::Initialize().has_value()) return 1;
  const char* ten_million = std::getenv("FOREWARN_BENCH_10M");
  if (ten_million != nullptr && std::string_view(ten_million) == "1") {
    benchmark::RegisterBenchmark("BM_InclusionProofStore10M",
                                 &forewarn::ledger::BM_InclusionProofStore10M)
        ->Unit(benchmark::kMicrosecond);
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
