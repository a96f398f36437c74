// Benchmarks of the partner registry (registry/registry.h) on a file-backed SQLite store in a
// temporary directory, each beside a raw baseline measured in the same run:
//   BM_AuthenticateToken     Registry::Authenticate of a valid partner token, 1,000 partners
//                            and tokens in the store (parse, read transaction, token lookup,
//                            keyed BLAKE2b hash, constant-time compare, partner status lookup)
//   BM_SqlitePointLookup     baseline: a raw sqlite3 prepared-statement lookup of the same token
//                            row by primary key, on its own connection to the same WAL database
//   BM_KeyedHashOnly         baseline: crypto::KeyedHash of a 43-byte token secret
//   BM_GetPartner            Registry::GetPartner as an admin among 1,000 partners
//   BM_SqliteSelectPartner   baseline: raw sqlite3 select of the same partner row
//   BM_AddPartner            Registry::AddPartner: one write transaction with the ledger append
//   BM_RawSqliteInsert       baseline: a plain sqlite3 INSERT of a comparable partner row in its
//                            own BEGIN IMMEDIATE/COMMIT, journal_mode=WAL, synchronous=NORMAL
// After the run the binary prints each ratio (ours / baseline, real time per operation).
// The store is built once (about 2,000 write transactions) and shared; BM_AddPartner runs last
// because it grows the store.
#include <benchmark/benchmark.h>
#include <fmt/format.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "console_color.h"
#include "core/auth.h"
#include "core/partner.h"
#include "crypto/crypto.h"
#include "ledger/ledger.h"
#include "registry/registry.h"
#include "run_filter.h"
#include "store/store.h"
#include "tests/testing/testing.h"

namespace forewarn::registry {
namespace {

namespace fwt = ::forewarn::testing;

constexpr int kPartners = 1000;

// Aborts the benchmark binary on a setup failure (there is no test framework to report to).
template <class T>
T Must(Result<T> result, std::string_view what) {
  if (!result.has_value()) {
    fmt::print(stderr, "{}: {}\n", what, result.error().message);
    std::abort();
  }
  return std::move(*result);
}

void MustSqlite(sqlite3* db, int rc, std::string_view what) {
  if (rc != SQLITE_OK && rc != SQLITE_ROW && rc != SQLITE_DONE) {
    fmt::print(stderr, "{}: {}\n", what, db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    std::abort();
  }
}

// A raw sqlite3 connection with the store's PRAGMAs.
class RawDb {
 public:
  explicit RawDb(const std::string& path) {
    MustSqlite(
        db_,
        sqlite3_open_v2(path.c_str(), &db_,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr),
        "open " + path);
    sqlite3_busy_timeout(db_, 5000);
    Exec(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
        "PRAGMA temp_store=MEMORY;");
  }
  ~RawDb() {
    for (sqlite3_stmt* stmt : statements_) sqlite3_finalize(stmt);
    sqlite3_close(db_);
  }
  RawDb(const RawDb&) = delete;
  RawDb& operator=(const RawDb&) = delete;

  void Exec(const char* sql) {
    MustSqlite(db_, sqlite3_exec(db_, sql, nullptr, nullptr, nullptr), sql);
  }
  // Prepared once, finalized with the connection.
  sqlite3_stmt* Prepare(std::string_view sql) {
    sqlite3_stmt* stmt = nullptr;
    MustSqlite(db_,
               sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                  SQLITE_PREPARE_PERSISTENT, &stmt, nullptr),
               sql);
    statements_.push_back(stmt);
    return stmt;
  }
  void Check(int rc, std::string_view what) { MustSqlite(db_, rc, what); }

 private:
  sqlite3* db_ = nullptr;
  std::vector<sqlite3_stmt*> statements_;
};

std::string ColumnText(sqlite3_stmt* stmt, int column) {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, column));
  return text == nullptr
             ? std::string()
             : std::string(text, static_cast<size_t>(sqlite3_column_bytes(stmt, column)));
}

std::string ColumnBlob(sqlite3_stmt* stmt, int column) {
  const auto* blob = static_cast<const char*>(sqlite3_column_blob(stmt, column));
  return blob == nullptr
             ? std::string()
             : std::string(blob, static_cast<size_t>(sqlite3_column_bytes(stmt, column)));
}

void BindText(sqlite3_stmt* stmt, int index, std::string_view text) {
  sqlite3_bind_text(stmt, index, text.data(), static_cast<int>(text.size()), SQLITE_STATIC);
}

PartnerFields TypicalPartner(int i) {
  PartnerFields fields;
  fields.name = fmt::format("Partner CERT {:04}", i);
  fields.country = "DE";
  fields.tier = "standard";
  fields.labels = std::vector<std::string>{"bench", "gov-reporting"};
  fields.contacts = std::vector<Contact>{
      {.name = "Security Lead", .email = "psirt@example.org", .role = "security lead"}};
  return fields;
}

// The registry under test with 1,000 active partners, each with one partner token, plus raw
// connections for the baselines. Built on first use, destroyed at exit.
struct Program {
  fwt::TempDir dir;  // first: removed after everything below is closed
  fwt::SeededRandom random{2026};
  fwt::FakeClock clock;
  crypto::ProgramKeys keys = crypto::GenerateProgramKeys(random);
  std::unique_ptr<store::Store> store;
  std::unique_ptr<ledger::Ledger> ledger;
  std::unique_ptr<Registry> registry;
  Principal admin;
  std::vector<std::string> partner_ids;
  std::vector<std::string> token_texts;
  std::vector<std::string> token_ids;
  std::vector<std::string> token_secrets;
  std::unique_ptr<RawDb> reader;  // raw connection to the store's database

  Program() {
    store = Must(store::OpenSqlite(dir.path() / "forewarn.db"), "open store");
    ledger = std::make_unique<ledger::Ledger>(keys.signing, clock);
    registry = std::make_unique<Registry>(*store, *ledger, clock, random, keys.program_secret);
    const IssuedToken root = Must(registry->InitializeProgram("bench"), "initialize program");
    admin = Must(registry->Authenticate(root.token), "authenticate admin");
    for (int i = 0; i < kPartners; ++i) {
      const Partner p = Must(registry->AddPartner(admin, TypicalPartner(i)), "add partner");
      const IssuedToken t =
          Must(registry->CreateToken(admin,
                                     {.role = Role::kPartner, .partner_id = p.id, .name = "bench"}),
               "create token");
      auto parsed = Must(ParseTokenText(t.token), "parse token");
      partner_ids.push_back(p.id);
      token_texts.push_back(t.token);
      token_ids.push_back(std::move(parsed.first));
      token_secrets.push_back(std::move(parsed.second));
    }
    reader = std::make_unique<RawDb>((dir.path() / "forewarn.db").string());
  }
  ~Program() {
    reader.reset();
    registry.reset();
    store.reset();
  }
};

Program& Shared() {
  static Program program;
  return program;
}

// A visiting order over the 1,000 rows that is not sequential (stride coprime to 1,000).
size_t Next(size_t i) { return (i + 617) % kPartners; }

// --- Authenticate ---

void BM_AuthenticateToken(benchmark::State& state) {
  Program& program = Shared();
  size_t i = 0;
  for (auto _ : state) {
    auto principal = program.registry->Authenticate(program.token_texts[i]);
    if (!principal.has_value()) {
      state.SkipWithError(principal.error().message.c_str());
      break;
    }
    benchmark::DoNotOptimize(principal);
    i = Next(i);
  }
  state.SetItemsProcessed(state.iterations());
}

struct RawToken {
  std::string id, secret_hash, role, partner_id, name, created_by;
  int64_t created_at = 0;
  std::optional<int64_t> expires_at, revoked_at;
};

void BM_SqlitePointLookup(benchmark::State& state) {
  Program& program = Shared();
  RawDb& db = *program.reader;
  sqlite3_stmt* stmt = db.Prepare(
      "SELECT id, secret_hash, role, partner_id, name, created_by, created_at, expires_at, "
      "revoked_at FROM tokens WHERE id = ?");
  size_t i = 0;
  for (auto _ : state) {
    BindText(stmt, 1, program.token_ids[i]);
    if (sqlite3_step(stmt) != SQLITE_ROW) {
      state.SkipWithError("token row not found");
      break;
    }
    RawToken row;
    row.id = ColumnText(stmt, 0);
    row.secret_hash = ColumnBlob(stmt, 1);
    row.role = ColumnText(stmt, 2);
    row.partner_id = ColumnText(stmt, 3);
    row.name = ColumnText(stmt, 4);
    row.created_by = ColumnText(stmt, 5);
    row.created_at = sqlite3_column_int64(stmt, 6);
    if (sqlite3_column_type(stmt, 7) != SQLITE_NULL) row.expires_at = sqlite3_column_int64(stmt, 7);
    if (sqlite3_column_type(stmt, 8) != SQLITE_NULL) row.revoked_at = sqlite3_column_int64(stmt, 8);
    benchmark::DoNotOptimize(row);
    sqlite3_reset(stmt);
    i = Next(i);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_KeyedHashOnly(benchmark::State& state) {
  Program& program = Shared();
  // The registry hashes with a key derived from the program secret; any 32-byte key costs the
  // same.
  const crypto::SecretBytes key = crypto::DeriveKey(program.keys.program_secret, "fwtoken", 1);
  size_t i = 0;
  for (auto _ : state) {
    std::string hash = crypto::KeyedHash(key, program.token_secrets[i]);  // 43 bytes
    benchmark::DoNotOptimize(hash);
    i = Next(i);
  }
  state.SetItemsProcessed(state.iterations());
}

// --- GetPartner ---

void BM_GetPartner(benchmark::State& state) {
  Program& program = Shared();
  size_t i = 0;
  for (auto _ : state) {
    auto partner = program.registry->GetPartner(program.admin, program.partner_ids[i]);
    if (!partner.has_value()) {
      state.SkipWithError(partner.error().message.c_str());
      break;
    }
    benchmark::DoNotOptimize(partner);
    i = Next(i);
  }
  state.SetItemsProcessed(state.iterations());
}

struct RawPartner {
  std::string id, name, country, tier, status, labels, contract_version, nda_version, contacts,
      x25519_public_key, ed25519_public_key, webhook_url;
  std::optional<int64_t> contract_accepted_at, nda_accepted_at;
  int64_t created_at = 0, updated_at = 0;
};

std::optional<int64_t> ColumnOptionalInt(sqlite3_stmt* stmt, int column) {
  if (sqlite3_column_type(stmt, column) == SQLITE_NULL) return std::nullopt;
  return sqlite3_column_int64(stmt, column);
}

void BM_SqliteSelectPartner(benchmark::State& state) {
  Program& program = Shared();
  RawDb& db = *program.reader;
  sqlite3_stmt* stmt = db.Prepare(
      "SELECT id, name, country, tier, status, labels, contract_version, contract_accepted_at, "
      "nda_version, nda_accepted_at, contacts, x25519_public_key, ed25519_public_key, "
      "webhook_url, created_at, updated_at FROM partners WHERE id = ?");
  size_t i = 0;
  for (auto _ : state) {
    BindText(stmt, 1, program.partner_ids[i]);
    if (sqlite3_step(stmt) != SQLITE_ROW) {
      state.SkipWithError("partner row not found");
      break;
    }
    RawPartner row;
    row.id = ColumnText(stmt, 0);
    row.name = ColumnText(stmt, 1);
    row.country = ColumnText(stmt, 2);
    row.tier = ColumnText(stmt, 3);
    row.status = ColumnText(stmt, 4);
    row.labels = ColumnText(stmt, 5);  // JSON text, not parsed
    row.contract_version = ColumnText(stmt, 6);
    row.contract_accepted_at = ColumnOptionalInt(stmt, 7);
    row.nda_version = ColumnText(stmt, 8);
    row.nda_accepted_at = ColumnOptionalInt(stmt, 9);
    row.contacts = ColumnText(stmt, 10);  // JSON text, not parsed
    row.x25519_public_key = ColumnText(stmt, 11);
    row.ed25519_public_key = ColumnText(stmt, 12);
    row.webhook_url = ColumnText(stmt, 13);
    row.created_at = sqlite3_column_int64(stmt, 14);
    row.updated_at = sqlite3_column_int64(stmt, 15);
    benchmark::DoNotOptimize(row);
    sqlite3_reset(stmt);
    i = Next(i);
  }
  state.SetItemsProcessed(state.iterations());
}

// --- AddPartner ---

void BM_AddPartner(benchmark::State& state) {
  Program& program = Shared();
  int i = kPartners;
  for (auto _ : state) {
    auto partner = program.registry->AddPartner(program.admin, TypicalPartner(i++));
    if (!partner.has_value()) {
      state.SkipWithError(partner.error().message.c_str());
      break;
    }
    benchmark::DoNotOptimize(partner);
  }
  state.SetItemsProcessed(state.iterations());
}

// A database of its own with a partners table like the store's (and its tier foreign key),
// pre-filled with 1,000 rows; each iteration inserts one row in its own transaction.
void BM_RawSqliteInsert(benchmark::State& state) {
  Program& program = Shared();
  static int run = 0;  // the benchmark function is called several times; a fresh file each time
  RawDb db((program.dir.path() / fmt::format("raw-insert-{}.db", run++)).string());
  db.Exec(R"sql(
CREATE TABLE tiers (name TEXT PRIMARY KEY, lead_time_seconds INTEGER NOT NULL);
INSERT INTO tiers VALUES ('standard', 86400);
CREATE TABLE partners (
  id                   TEXT PRIMARY KEY,
  name                 TEXT NOT NULL,
  country              TEXT NOT NULL,
  tier                 TEXT NOT NULL REFERENCES tiers(name),
  status               TEXT NOT NULL CHECK (status IN ('applicant','active','suspended','removed')),
  labels               TEXT NOT NULL DEFAULT '[]',
  contract_version     TEXT,
  contract_accepted_at INTEGER,
  nda_version          TEXT,
  nda_accepted_at      INTEGER,
  contacts             TEXT NOT NULL DEFAULT '[]',
  x25519_public_key    TEXT NOT NULL DEFAULT '',
  ed25519_public_key   TEXT NOT NULL DEFAULT '',
  webhook_url          TEXT NOT NULL DEFAULT '',
  created_at           INTEGER NOT NULL,
  updated_at           INTEGER NOT NULL
);
CREATE INDEX partners_created ON partners(created_at, id);
)sql");
  sqlite3_stmt* begin = db.Prepare("BEGIN IMMEDIATE");
  sqlite3_stmt* commit = db.Prepare("COMMIT");
  sqlite3_stmt* insert = db.Prepare(
      "INSERT INTO partners(id, name, country, tier, status, labels, contract_version, "
      "contract_accepted_at, nda_version, nda_accepted_at, contacts, x25519_public_key, "
      "ed25519_public_key, webhook_url, created_at, updated_at) "
      "VALUES(?, ?, 'DE', 'standard', 'active', ?, NULL, NULL, NULL, NULL, ?, '', '', '', ?, ?)");
  const std::string labels = R"(["bench","gov-reporting"])";
  const std::string contacts =
      R"([{"email":"psirt@example.org","name":"Security Lead","role":"security lead"}])";
  const int64_t now = 1782864000000000;  // 2026-07-01T00:00:00Z in microseconds
  int64_t i = 0;
  auto insert_one = [&]() -> bool {
    const std::string id =
        fmt::format("prt_{:016x}", static_cast<uint64_t>(i) * 0x9e3779b97f4a7c15ULL);
    const std::string name = fmt::format("Partner CERT {:04}", i);
    ++i;
    if (sqlite3_step(begin) != SQLITE_DONE) return false;
    sqlite3_reset(begin);
    BindText(insert, 1, id);
    BindText(insert, 2, name);
    BindText(insert, 3, labels);
    BindText(insert, 4, contacts);
    sqlite3_bind_int64(insert, 5, now);
    sqlite3_bind_int64(insert, 6, now);
    const int rc = sqlite3_step(insert);
    sqlite3_reset(insert);
    if (rc != SQLITE_DONE) return false;
    if (sqlite3_step(commit) != SQLITE_DONE) return false;
    sqlite3_reset(commit);
    return true;
  };
  for (int k = 0; k < kPartners; ++k) {
    if (!insert_one()) {
      state.SkipWithError("prefill insert failed");
      return;
    }
  }
  for (auto _ : state) {
    if (!insert_one()) {
      state.SkipWithError("insert failed");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
}

// Read benchmarks first; the write benchmarks grow the shared store, so they run last.
BENCHMARK(BM_AuthenticateToken);
BENCHMARK(BM_SqlitePointLookup);
BENCHMARK(BM_KeyedHashOnly);
BENCHMARK(BM_GetPartner);
BENCHMARK(BM_SqliteSelectPartner);
BENCHMARK(BM_RawSqliteInsert);
BENCHMARK(BM_AddPartner);

// The console reporter, plus a summary of ours / baseline ratios after the last run. With
// --benchmark_repetitions the median is used.
class RatioReporter final : public benchmark::ConsoleReporter {
 public:
  explicit RatioReporter(OutputOptions options) : ConsoleReporter(options) {}

  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& run : runs) {
      const std::string name = run.run_name.function_name;
      if (!runs_.Keep(run, name)) continue;
      const double ns =
          run.GetAdjustedRealTime() / benchmark::GetTimeUnitMultiplier(run.time_unit) * 1e9;
      ns_[name] = ns;
    }
    ConsoleReporter::ReportRuns(runs);
  }

  void Finalize() override {
    ConsoleReporter::Finalize();
    static constexpr std::pair<const char*, const char*> kPairs[] = {
        {"BM_AuthenticateToken", "BM_SqlitePointLookup"},
        {"BM_AuthenticateToken", "BM_KeyedHashOnly"},
        {"BM_GetPartner", "BM_SqliteSelectPartner"},
        {"BM_AddPartner", "BM_RawSqliteInsert"},
    };
    std::string out = "\nRatios (ours / baseline, real time per operation):\n";
    for (const auto& [ours, base] : kPairs) {
      const auto a = ns_.find(ours);
      const auto b = ns_.find(base);
      if (a == ns_.end() || b == ns_.end() || b->second <= 0) continue;
      out += fmt::format("  {:<22} {:>10.0f} ns  /  {:<24} {:>10.0f} ns  = {:6.2f}x\n", ours,
                         a->second, base, b->second, a->second / b->second);
    }
    GetOutputStream() << out << std::flush;
  }

 private:
  std::map<std::string, double> ns_;
  bench::RunFilter runs_;
};

}  // namespace
}  // namespace forewarn::registry

int main(int argc, char** argv) {
  if (!forewarn::crypto::Initialize().has_value()) {
    std::fputs("crypto::Initialize failed\n", stderr);
    return 1;
  }
  const bool color = forewarn::bench::ConsoleColor(argc, argv);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  forewarn::registry::RatioReporter reporter(color ? benchmark::ConsoleReporter::OO_Color
                                                   : benchmark::ConsoleReporter::OO_None);
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return 0;
}
