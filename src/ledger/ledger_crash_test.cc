// Kill-and-reopen crash test of the ledger (STYLE.md, after SQLite's crash tests): a child
// process appends in committed transactions until it is killed with SIGKILL at an arbitrary
// point; the parent then reopens the database and checks that every committed entry survived,
// the whole log still verifies, and appending continues. crypto::Initialize() runs in the
// global environment of ledger_test.cc (same binary).
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "crypto/crypto.h"
#include "ledger/ledger.h"
#include "store/store.h"
#include "tests/testing/testing.h"

namespace forewarn::ledger {
namespace {

namespace fwt = ::forewarn::testing;

constexpr int kRounds = 3;
constexpr int kLinesBeforeKill = 300;
constexpr uint64_t kChildMaxAppends = 1'000'000;  // a bound, in case the parent never kills
constexpr uint64_t kChildSignEvery = 50;

// Writes all of `text` to `fd`; false if the pipe is closed.
bool WriteAll(int fd, std::string_view text) {
  while (!text.empty()) {
    const ssize_t n = ::write(fd, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    text.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

// The child: no gtest, no return. Appends one event per committed write transaction (and now
// and then a signed head) and reports "committed <ledger size>" after each commit.
[[noreturn]] void RunChild(const std::filesystem::path& db, const crypto::SigningKeyPair& keys,
                           int fd) {
  const auto fail = [fd](std::string_view what, const Error& error) {
    (void)WriteAll(fd, fmt::format("error {}: {}\n", what, error.message));
    ::_exit(2);
  };
  fwt::FakeClock clock;
  const Ledger ledger(keys, clock);
  Result<std::unique_ptr<store::Store>> store = store::OpenSqlite(db);
  if (!store.has_value()) fail("open", store.error());
  for (uint64_t i = 0; i < kChildMaxAppends; ++i) {
    Result<std::unique_ptr<store::Transaction>> tx = (*store)->Begin(store::TxMode::kWrite);
    if (!tx.has_value()) fail("begin", tx.error());
    Event event;
    event.type = "delivery.fetched";
    event.actor = "token:tok_crash";
    event.subject = fmt::format("dlv_{}", i);
    event.details = nlohmann::json{{"attempt", i}};
    event.payload_sha256 = crypto::Hex(crypto::Sha256(event.subject));
    Result<AppendResult> appended = ledger.Append(**tx, event);
    if (!appended.has_value()) fail("append", appended.error());
    if (i % kChildSignEvery == kChildSignEvery - 1) {
      Result<store::TreeHead> head = ledger.SignHead(**tx);
      if (!head.has_value()) fail("sign", head.error());
    }
    Status committed = (*tx)->Commit();
    if (!committed.has_value()) fail("commit", committed.error());
    clock.Advance(std::chrono::milliseconds{1});
    if (!WriteAll(fd, fmt::format("committed {}\n", appended->index + 1))) ::_exit(0);
  }
  ::_exit(0);
}

struct ChildRun {
  int lines = 0;
  uint64_t last_committed = 0;
  std::string error;  // a line the child reported instead of "committed N"
  int wait_status = 0;
};

// Forks the child, reads kLinesBeforeKill lines, then kills it with SIGKILL (always, before any
// assertion can return early) and reaps it.
ChildRun RunAndKill(const std::filesystem::path& db, const crypto::SigningKeyPair& keys) {
  ChildRun run;
  int fds[2];
  if (::pipe(fds) != 0) {
    run.error = "pipe failed";
    return run;
  }
  const pid_t pid = ::fork();
  if (pid < 0) {
    run.error = "fork failed";
    return run;
  }
  if (pid == 0) {
    ::close(fds[0]);
    RunChild(db, keys, fds[1]);
  }
  ::close(fds[1]);
  FILE* in = ::fdopen(fds[0], "r");
  char line[256];
  while (in != nullptr && run.lines < kLinesBeforeKill &&
         std::fgets(line, sizeof line, in) != nullptr) {
    unsigned long long count = 0;
    if (std::sscanf(line, "committed %llu", &count) != 1) {
      run.error = line;
      break;
    }
    run.last_committed = count;
    ++run.lines;
  }
  ::kill(pid, SIGKILL);
  while (::waitpid(pid, &run.wait_status, 0) < 0 && errno == EINTR) {
  }
  if (in != nullptr) {
    std::fclose(in);
  } else {
    ::close(fds[0]);
  }
  return run;
}

TEST(LedgerCrashTest, CommittedEntriesSurviveSigkill) {
  fwt::TempDir dir;
  const std::filesystem::path db = dir.path() / "ledger.db";
  fwt::SeededRandom random(99);
  const crypto::SigningKeyPair keys = crypto::GenerateSigningKeyPair(random);
  fwt::FakeClock clock;
  const Ledger ledger(keys, clock);

  uint64_t floor = 0;  // entries known to be committed before this round
  for (int round = 0; round < kRounds; ++round) {
    SCOPED_TRACE(fmt::format("round {}", round));
    // No connection of ours is open across the fork.
    const ChildRun run = RunAndKill(db, keys);
    ASSERT_EQ(run.error, "");
    ASSERT_EQ(run.lines, kLinesBeforeKill);
    ASSERT_TRUE(WIFSIGNALED(run.wait_status) && WTERMSIG(run.wait_status) == SIGKILL)
        << "child ended by itself, status " << run.wait_status;
    EXPECT_GE(run.last_committed, floor + kLinesBeforeKill);

    Result<std::unique_ptr<store::Store>> store = store::OpenSqlite(db);
    ASSERT_TRUE(store.has_value()) << store.error().message;
    {
      auto tx = (*store)->Begin(store::TxMode::kRead).value();
      const uint64_t size = tx->LedgerSize().value();
      EXPECT_GE(size, run.last_committed);
      Result<nlohmann::json> exported = ledger.Export(*tx);
      ASSERT_TRUE(exported.has_value()) << exported.error().message;
      const VerifyReport report = VerifyExport(*exported, keys.public_key);
      ASSERT_TRUE(report.intact) << report.problem;
      EXPECT_EQ(report.entries, size);
      EXPECT_GE(report.tree_heads, run.last_committed / kChildSignEvery);
    }
    // Appending and signing still work after the crash.
    auto tx = (*store)->Begin(store::TxMode::kWrite).value();
    Event event;
    event.type = "ledger.reopened";
    event.actor = "system";
    Result<AppendResult> appended = ledger.Append(*tx, event);
    ASSERT_TRUE(appended.has_value()) << appended.error().message;
    ASSERT_TRUE(ledger.SignHead(*tx).has_value());
    ASSERT_TRUE(tx->Commit().has_value());
    floor = appended->index + 1;
  }
}

}  // namespace
}  // namespace forewarn::ledger
