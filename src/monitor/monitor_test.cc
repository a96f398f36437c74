// The activity monitor: each rule at its boundaries, cooldown updates, exact counting across
// failed flushes and concurrent observers, acknowledgement and its permissions, bounded memory.
#include "monitor/monitor.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <atomic>
#include <latch>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "core/time.h"
#include "crypto/crypto.h"
#include "store/store.h"
#include "tests/testing/testing.h"

namespace forewarn::monitor {
namespace {

using nlohmann::json;
using std::chrono::hours;
using std::chrono::minutes;
namespace fwt = ::forewarn::testing;

class CryptoEnvironment : public ::testing::Environment {
 public:
  void SetUp() override { ASSERT_TRUE(crypto::Initialize().has_value()); }
};
::testing::Environment* const kCryptoEnvironment =
    ::testing::AddGlobalTestEnvironment(new CryptoEnvironment);

constexpr uint64_t kMonitorSeed = 99;

// A store whose write transactions cannot begin while `fail_writes` is set, as when the
// database is down; reads pass through.
class FlakyStore final : public store::Store {
 public:
  explicit FlakyStore(std::unique_ptr<store::Store> inner) : inner_(std::move(inner)) {}
  Result<std::unique_ptr<store::Transaction>> Begin(store::TxMode mode) override {
    if (mode == store::TxMode::kWrite && fail_writes.load()) {
      return Fail(ErrorCode::kUnavailable, "injected: database unavailable");
    }
    return inner_->Begin(mode);
  }
  Status Ping() override { return inner_->Ping(); }
  int SchemaVersion() const override { return inner_->SchemaVersion(); }

  std::atomic<bool> fail_writes{false};

 private:
  std::unique_ptr<store::Store> inner_;
};

int64_t HourOf(TimePoint t) { return std::chrono::floor<hours>(t.time_since_epoch()).count(); }
TimePoint HourStart(int64_t hour) { return TimePoint(hours{hour}); }

Principal Operator(Role role) {
  const std::string name(ToString(role));
  return {.token_id = "tok_" + name, .name = name, .role = role};
}

Principal PartnerCaller(const std::string& partner_id) {
  return {.token_id = "tok_partner",
          .name = "partner",
          .role = Role::kPartner,
          .partner_id = partner_id};
}

class MonitorTest : public ::testing::Test {
 protected:
  MonitorTest()
      : clock_(ParseTime("2026-11-02T00:00:00Z").value()),
        random_(7),
        monitor_random_(kMonitorSeed),
        keys_(crypto::GenerateProgramKeys(random_)),
        store_(std::make_unique<FlakyStore>(store::OpenSqlite(dir_.path() / "db").value())),
        ledger_(keys_.signing, clock_) {
    Reconfigure({});
    auto tx = store_->Begin(store::TxMode::kWrite).value();
    EXPECT_TRUE(tx->PutTier({.name = "standard", .lead_time = hours{24}}).has_value());
    EXPECT_TRUE(tx->Commit().has_value());
  }

  void Reconfigure(MonitorConfig config) {
    ASSERT_TRUE(ValidateConfig(config).has_value());
    monitor_ = std::make_unique<ActivityMonitor>(*store_, ledger_, clock_, monitor_random_, config);
  }

  void AddPartner(const std::string& id) {
    auto tx = store_->Begin(store::TxMode::kWrite).value();
    Partner p{.id = id, .name = "Partner " + id, .country = "NL", .tier = "standard"};
    p.created_at = p.updated_at = clock_.Now();
    ASSERT_TRUE(tx->InsertPartner(p).has_value());
    ASSERT_TRUE(tx->Commit().has_value());
  }

  // `n` deliveries to `partner` now, with fresh ledger indexes (returned).
  std::vector<uint64_t> Fetches(const std::string& partner, int n,
                                const std::string& advisory = "adv_00000000000000a1") {
    std::vector<uint64_t> indexes;
    for (int i = 0; i < n; ++i) {
      indexes.push_back(next_index_++);
      monitor_->Observe({.partner_id = partner,
                         .advisory_id = advisory,
                         .type = "artifact.fetched",
                         .ledger_index = indexes.back(),
                         .at = clock_.Now()});
    }
    return indexes;
  }

  std::vector<Alert> MustFlush() {
    auto alerts = monitor_->Flush();
    EXPECT_TRUE(alerts.has_value()) << alerts.error().message;
    return alerts.value_or(std::vector<Alert>{});
  }

  // Writes history straight into the store, as earlier flushes would have.
  void Seed(const std::string& partner, int64_t hour, int64_t fetches) {
    auto tx = store_->Begin(store::TxMode::kWrite).value();
    ASSERT_TRUE(tx->AddActivity({.partner_id = partner, .hour = hour, .fetches = fetches}));
    ASSERT_TRUE(tx->Commit().has_value());
  }

  // The partner's stored fetches over all time.
  int64_t Stored(const std::string& partner) {
    auto tx = store_->Begin(store::TxMode::kRead).value();
    int64_t total = 0;
    // Bound to a variable: value() of a temporary Result would dangle in a range-for.
    const auto rows = tx->ListActivity(partner, -1'000'000'000, 1'000'000'000).value();
    for (const auto& row : rows) total += row.fetches;
    return total;
  }

  std::vector<Alert> AlertsOf(const std::string& partner) {
    auto tx = store_->Begin(store::TxMode::kRead).value();
    return tx->ListAlerts({.partner_id = partner}).value();
  }

  uint64_t LedgerSize() {
    return store_->Begin(store::TxMode::kRead).value()->LedgerSize().value();
  }

  // Every ledger event (parsed leaf JSON) of `type`, oldest first.
  std::vector<json> LedgerEvents(const std::string& type) {
    auto tx = store_->Begin(store::TxMode::kRead).value();
    std::vector<json> events;
    const auto leaves = tx->ListLedgerLeaves(0, tx->LedgerSize().value()).value();
    for (const auto& leaf : leaves) {
      json event = json::parse(leaf.data);
      if (event["type"] == type) events.push_back(std::move(event));
    }
    return events;
  }

  static json Evidence(const Alert& alert) { return json::parse(alert.evidence); }

  int64_t NowHour() const { return HourOf(clock_.Now()); }

  fwt::TempDir dir_;
  fwt::FakeClock clock_;
  fwt::SeededRandom random_;
  fwt::SeededRandom monitor_random_;  // only the monitor draws from it (alert ids)
  crypto::ProgramKeys keys_;
  std::unique_ptr<FlakyStore> store_;
  ledger::Ledger ledger_;
  std::unique_ptr<ActivityMonitor> monitor_;
  uint64_t next_index_ = 1000;
  const Principal admin_ = Operator(Role::kAdmin);
};

TEST_F(MonitorTest, VolumeAlertAgainstTwoWeeksOfSteadyHistory) {
  AddPartner("prt_steady");
  // Two weeks of 10 fetches every hour, flushed hour by hour as the server would.
  for (int h = 0; h < 14 * 24; ++h) {
    Fetches("prt_steady", 10);
    auto alerts = MustFlush();
    ASSERT_TRUE(alerts.empty()) << "steady hour " << h << ": " << alerts.front().summary;
    clock_.Advance(hours{1});
  }
  ASSERT_EQ(Stored("prt_steady"), 14 * 24 * 10);
  const int64_t hour = NowHour();  // 2026-11-16T00:00:00Z

  clock_.Advance(minutes{5});
  const auto first = Fetches("prt_steady", 29);
  EXPECT_TRUE(MustFlush().empty()) << "29 fetches is below the floor of 200";

  clock_.Advance(minutes{5});
  const auto second = Fetches("prt_steady", 221);  // 250 in the hour
  auto alerts = MustFlush();
  ASSERT_EQ(alerts.size(), 1u);
  const Alert alert = alerts[0];
  EXPECT_EQ(alert.kind, AlertKind::kVolume);
  EXPECT_EQ(alert.partner_id, "prt_steady");
  EXPECT_EQ(alert.state, AlertState::kOpen);
  EXPECT_EQ(alert.raised_at, clock_.Now());
  EXPECT_EQ(alert.summary,
            "prt_steady fetched 250 times in the hour from 2026-11-16T00:00:00Z; its usual peak "
            "is 10 (threshold 200)");
  const json evidence = Evidence(alert);
  EXPECT_EQ(evidence["hour_start"], "2026-11-16T00:00:00Z");
  EXPECT_EQ(evidence["hour_end"], "2026-11-16T01:00:00Z");
  EXPECT_EQ(evidence["fetches"], 250);
  EXPECT_EQ(evidence["usual_peak"], 10);
  EXPECT_EQ(evidence["threshold"], 200);
  EXPECT_EQ(evidence["baseline_days"], 14);
  std::vector<uint64_t> expected_indexes = first;  // the hour's first 50 deliveries
  expected_indexes.insert(expected_indexes.end(), second.begin(), second.begin() + 21);
  EXPECT_EQ(evidence["ledger_indexes"].get<std::vector<uint64_t>>(), expected_indexes);

  // Stored, readable, and on the ledger with its evidence.
  auto stored = monitor_->Get(admin_, alert.id);
  ASSERT_TRUE(stored.has_value()) << stored.error().message;
  EXPECT_EQ(stored->evidence, alert.evidence);
  EXPECT_EQ(stored->summary, alert.summary);
  auto raised = LedgerEvents("alert.raised");
  ASSERT_EQ(raised.size(), 1u);
  EXPECT_EQ(raised[0]["subject"], alert.id);
  EXPECT_EQ(raised[0]["actor"], "system");
  EXPECT_EQ(raised[0]["details"]["partner"], "prt_steady");
  EXPECT_EQ(raised[0]["details"]["kind"], "volume");
  EXPECT_EQ(raised[0]["details"]["summary"], alert.summary);
  EXPECT_EQ(raised[0]["details"]["evidence"], evidence);
  EXPECT_EQ(monitor_->stats().alerts_raised[static_cast<int>(AlertKind::kVolume)], 1u);

  // More fetches in the same hour update that alert; no second alert, no new ledger entry.
  clock_.Advance(minutes{10});
  Fetches("prt_steady", 10);
  alerts = MustFlush();
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].id, alert.id);
  EXPECT_EQ(Evidence(alerts[0])["fetches"], 260);
  EXPECT_EQ(alerts[0].raised_at, alert.raised_at);
  EXPECT_EQ(alerts[0].updated_at, clock_.Now());
  EXPECT_EQ(Evidence(monitor_->Get(admin_, alert.id).value())["fetches"], 260);
  EXPECT_EQ(AlertsOf("prt_steady").size(), 1u);
  EXPECT_EQ(LedgerEvents("alert.raised").size(), 1u);
  EXPECT_EQ(monitor_->stats().alerts_updated[static_cast<int>(AlertKind::kVolume)], 1u);

  // 23 hours later, still within the cooldown: a new burst (above 3 × 260) updates it too.
  clock_.Set(HourStart(hour + 23) + minutes{1});
  Fetches("prt_steady", 781);
  alerts = MustFlush();
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].id, alert.id);
  EXPECT_EQ(Evidence(alerts[0])["usual_peak"], 260);
  EXPECT_EQ(Evidence(alerts[0])["threshold"], 780);
  EXPECT_EQ(Evidence(alerts[0])["fetches"], 781);

  // Exactly one cooldown after it was raised, the next burst raises a new alert.
  clock_.Set(alert.raised_at + hours{24});
  Fetches("prt_steady", 2344);  // usual peak 781 -> threshold 2343
  alerts = MustFlush();
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_NE(alerts[0].id, alert.id);
  EXPECT_EQ(alerts[0].kind, AlertKind::kVolume);
  EXPECT_EQ(Evidence(alerts[0])["threshold"], 2343);
  EXPECT_EQ(AlertsOf("prt_steady").size(), 2u);
  auto both = LedgerEvents("alert.raised");
  ASSERT_EQ(both.size(), 2u);
  EXPECT_EQ(both[1]["subject"], alerts[0].id);
}

TEST_F(MonitorTest, VolumeThresholdIsFactorTimesThePeakOfTheBaselineWindow) {
  Reconfigure({.volume_floor = 20});
  AddPartner("prt_a");
  const int64_t hour = NowHour();
  Seed("prt_a", hour - 14 * 24, 10);       // the oldest hour of the baseline: counts
  Seed("prt_a", hour - 14 * 24 - 1, 900);  // one hour older: ignored
  Seed("prt_a", hour - 3, 7);
  Fetches("prt_a", 30);
  EXPECT_TRUE(MustFlush().empty()) << "30 is not above 3 x 10";
  Fetches("prt_a", 1);
  auto alerts = MustFlush();
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(Evidence(alerts[0])["usual_peak"], 10);
  EXPECT_EQ(Evidence(alerts[0])["threshold"], 30);
  EXPECT_EQ(Evidence(alerts[0])["fetches"], 31);
}

TEST_F(MonitorTest, NewPartnerAlertsOnlyAboveTheFloor) {
  AddPartner("prt_new");
  Fetches("prt_new", 200);
  EXPECT_TRUE(MustFlush().empty());
  Fetches("prt_new", 1);
  auto alerts = MustFlush();
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].kind, AlertKind::kVolume);
  EXPECT_EQ(Evidence(alerts[0])["usual_peak"], 0);
  EXPECT_EQ(Evidence(alerts[0])["threshold"], 200);
  EXPECT_EQ(Evidence(alerts[0])["fetches"], 201);
  EXPECT_EQ(Stored("prt_new"), 201);
}

TEST_F(MonitorTest, OffHoursAlertsAtAnHourOfTheDayNeverUsed) {
  AddPartner("prt_office");
  const int64_t today = NowHour();  // 2026-11-02T00:00:00Z
  // Office hours, 09:00-17:59 UTC, on each of the last 10 days: 450 fetches.
  for (int day = 1; day <= 10; ++day) {
    for (int hod = 9; hod <= 17; ++hod) Seed("prt_office", today - day * 24 + hod, 5);
  }
  // A 03:00 fetch 29 days ago is outside the 28-day pattern window.
  Seed("prt_office", today - 29 * 24 + 3, 50);

  clock_.Set(HourStart(today + 3) + minutes{20});
  const auto night = Fetches("prt_office", 1);
  auto alerts = MustFlush();
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].kind, AlertKind::kOffHours);
  EXPECT_EQ(alerts[0].summary,
            "prt_office fetched 1 time in the hour from 2026-11-02T03:00:00Z; in the previous 28 "
            "days it fetched 450 times on 10 days, never at 03:00 UTC");
  const json evidence = Evidence(alerts[0]);
  EXPECT_EQ(evidence["hour_of_day"], 3);
  EXPECT_EQ(evidence["history_fetches"], 450);
  EXPECT_EQ(evidence["history_days"], 10);
  EXPECT_EQ(evidence["fetches"], 1);
  EXPECT_EQ(evidence["ledger_indexes"].get<std::vector<uint64_t>>(), night);
  ASSERT_EQ(evidence["usual_hours"].size(), 9u);
  EXPECT_EQ(evidence["usual_hours"][0], (json{{"hour_of_day", 9}, {"fetches", 50}}));
  EXPECT_EQ(evidence["usual_hours"][8], (json{{"hour_of_day", 17}, {"fetches", 50}}));
  EXPECT_EQ(LedgerEvents("alert.raised").size(), 1u);

  clock_.Set(HourStart(today + 10) + minutes{5});
  Fetches("prt_office", 3);
  EXPECT_TRUE(MustFlush().empty()) << "10:00 is one of its usual hours";
}

TEST_F(MonitorTest, OffHoursNeedsASettledPattern) {
  const int64_t today = NowHour();
  // Exactly 100 fetches over exactly 7 days: enough.
  AddPartner("prt_enough");
  for (int day = 1; day <= 7; ++day) Seed("prt_enough", today - day * 24 + 10, 14);
  Seed("prt_enough", today - 24 + 11, 2);
  // 99 fetches over 7 days: too few.
  AddPartner("prt_few");
  for (int day = 1; day <= 7; ++day) Seed("prt_few", today - day * 24 + 10, 14);
  Seed("prt_few", today - 24 + 11, 1);
  // 200 fetches over 6 days: too short.
  AddPartner("prt_short");
  for (int day = 1; day <= 6; ++day) Seed("prt_short", today - day * 24 + 10, 30);
  Seed("prt_short", today - 24 + 11, 20);

  clock_.Set(HourStart(today + 3));
  for (const char* partner : {"prt_enough", "prt_few", "prt_short"}) Fetches(partner, 1);
  auto alerts = MustFlush();
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].partner_id, "prt_enough");
  EXPECT_EQ(alerts[0].kind, AlertKind::kOffHours);
  EXPECT_EQ(Evidence(alerts[0])["history_fetches"], 100);
  EXPECT_EQ(Evidence(alerts[0])["history_days"], 7);
}

TEST_F(MonitorTest, BreadthIgnoresReadingAdvisories) {
  AddPartner("prt_reader");
  // A feed catching up reads many advisories; only artifact downloads count for breadth.
  for (int i = 0; i < 30; ++i) {
    monitor_->Observe({.partner_id = "prt_reader",
                       .advisory_id = fmt::format("adv_{:016x}", i),
                       .type = "advisory.fetched",
                       .ledger_index = next_index_++,
                       .at = clock_.Now()});
  }
  EXPECT_TRUE(MustFlush().empty());
  for (int i = 0; i < 20; ++i) Fetches("prt_reader", 1, fmt::format("adv_{:016x}", i));
  auto alerts = MustFlush();
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].kind, AlertKind::kBreadth);
}

TEST_F(MonitorTest, BreadthCountsDistinctAdvisoriesInOneHour) {
  for (const char* p : {"prt_broad", "prt_narrow", "prt_split"}) AddPartner(p);
  auto advisory = [](int i) { return fmt::format("adv_{:016x}", i); };
  // prt_broad: 20 distinct advisories, twice each, across two flushes of the same hour.
  std::vector<uint64_t> indexes;
  for (int i = 0; i < 20; ++i) {
    if (i == 10) {
      EXPECT_TRUE(MustFlush().empty());
    }
    for (int copy = 0; copy < 2; ++copy) {
      auto got = Fetches("prt_broad", 1, advisory(i));
      indexes.push_back(got[0]);
    }
  }
  // prt_narrow: 19 distinct advisories and 30 repeats.
  for (int i = 0; i < 19; ++i) Fetches("prt_narrow", 1, advisory(i));
  Fetches("prt_narrow", 30, advisory(0));
  // prt_split: 10 advisories in this hour (and 10 others in the next, below).
  for (int i = 0; i < 10; ++i) Fetches("prt_split", 1, advisory(i));

  auto alerts = MustFlush();
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].partner_id, "prt_broad");
  EXPECT_EQ(alerts[0].kind, AlertKind::kBreadth);
  EXPECT_EQ(alerts[0].summary,
            "prt_broad fetched 20 different advisories in the hour from 2026-11-02T00:00:00Z "
            "(threshold 20)");
  const json evidence = Evidence(alerts[0]);
  EXPECT_EQ(evidence["distinct_advisories"], 20);
  EXPECT_EQ(evidence["fetches"], 40);
  std::vector<std::string> ids;
  for (int i = 0; i < 20; ++i) ids.push_back(advisory(i));
  EXPECT_EQ(evidence["advisories"].get<std::vector<std::string>>(), ids);
  EXPECT_EQ(evidence["ledger_indexes"].get<std::vector<uint64_t>>(), indexes);

  clock_.Advance(hours{1});
  for (int i = 10; i < 20; ++i) Fetches("prt_split", 1, advisory(i));
  EXPECT_TRUE(MustFlush().empty()) << "20 advisories over two hours is not 20 in one";
}

TEST_F(MonitorTest, FailedFlushKeepsTheCountsForTheNext) {
  AddPartner("prt_a");
  const uint64_t ledger_before = LedgerSize();
  Fetches("prt_a", 250);
  store_->fail_writes = true;
  auto failed = monitor_->Flush();
  ASSERT_FALSE(failed.has_value());
  EXPECT_EQ(failed.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(monitor_->stats().flush_failures, 1u);
  EXPECT_EQ(monitor_->stats().fetches_pending, 250u);
  EXPECT_EQ(Stored("prt_a"), 0);
  EXPECT_TRUE(AlertsOf("prt_a").empty());

  Fetches("prt_a", 5);
  store_->fail_writes = false;
  auto alerts = MustFlush();
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(Evidence(alerts[0])["fetches"], 255);
  EXPECT_EQ(Stored("prt_a"), 255);
  EXPECT_EQ(LedgerSize(), ledger_before + 1);
  // A flush with nothing new writes nothing.
  EXPECT_TRUE(MustFlush().empty());
  EXPECT_EQ(Stored("prt_a"), 255);
  const MonitorStats stats = monitor_->stats();
  EXPECT_EQ(stats.fetches_pending, 0u);
  EXPECT_EQ(stats.fetches_flushed, 255u);
  EXPECT_EQ(stats.observed, 255u);
}

TEST_F(MonitorTest, FlushRolledBackMidwayKeepsEveryCount) {
  // The monitor's next alert id is taken already, so its first InsertAlert fails after the
  // transaction has written activity rows: the whole flush must roll back.
  fwt::SeededRandom predictor(kMonitorSeed);
  const std::string taken_id = crypto::NewId(predictor, "alr");
  AddPartner("prt_a_quiet");
  AddPartner("prt_b_busy");
  {
    auto tx = store_->Begin(store::TxMode::kWrite).value();
    ASSERT_TRUE(tx->InsertAlert({.id = taken_id,
                                 .partner_id = "prt_a_quiet",
                                 .summary = "decoy",
                                 .evidence = "{}",
                                 .raised_at = clock_.Now(),
                                 .updated_at = clock_.Now()}));
    ASSERT_TRUE(tx->Commit().has_value());
  }
  const uint64_t ledger_before = LedgerSize();
  Fetches("prt_a_quiet", 3);
  Fetches("prt_b_busy", 250);
  auto failed = monitor_->Flush();
  ASSERT_FALSE(failed.has_value());
  EXPECT_EQ(failed.error().code, ErrorCode::kConflict);
  EXPECT_EQ(Stored("prt_a_quiet"), 0) << "rows written before the failure were not rolled back";
  EXPECT_EQ(Stored("prt_b_busy"), 0);
  EXPECT_EQ(LedgerSize(), ledger_before);

  auto alerts = MustFlush();
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_NE(alerts[0].id, taken_id);
  EXPECT_EQ(alerts[0].partner_id, "prt_b_busy");
  EXPECT_EQ(Stored("prt_a_quiet"), 3);
  EXPECT_EQ(Stored("prt_b_busy"), 250);
  EXPECT_EQ(LedgerEvents("alert.raised").size(), 1u);
}

TEST_F(MonitorTest, UnknownPartnerIsDroppedWithoutBlockingOthers) {
  AddPartner("prt_real");
  Fetches("prt_ghost", 5);
  Fetches("prt_real", 3);
  EXPECT_TRUE(MustFlush().empty());
  EXPECT_EQ(Stored("prt_real"), 3);
  EXPECT_EQ(monitor_->stats().fetches_dropped, 5u);
  Fetches("prt_real", 2);
  EXPECT_TRUE(MustFlush().empty());
  EXPECT_EQ(Stored("prt_real"), 5);
}

TEST_F(MonitorTest, AcknowledgeNeedsAlertWriteANoteAndAnOpenAlert) {
  AddPartner("prt_a");
  AddPartner("prt_b");
  Fetches("prt_a", 201);
  Fetches("prt_b", 201);
  auto raised = MustFlush();
  ASSERT_EQ(raised.size(), 2u);
  const std::string id_a = raised[0].partner_id == "prt_a" ? raised[0].id : raised[1].id;
  const std::string id_b = raised[0].partner_id == "prt_a" ? raised[1].id : raised[0].id;

  const Principal auditor = Operator(Role::kAuditor);
  const Principal investigator = Operator(Role::kInvestigator);
  const Principal partner = PartnerCaller("prt_a");
  EXPECT_EQ(monitor_->List(auditor, {}).value().size(), 2u);
  EXPECT_TRUE(monitor_->Get(auditor, id_a).has_value());
  EXPECT_EQ(monitor_->Acknowledge(auditor, id_a, "seen").error().code,
            ErrorCode::kPermissionDenied);
  EXPECT_EQ(monitor_->Acknowledge(partner, id_a, "seen").error().code,
            ErrorCode::kPermissionDenied);
  EXPECT_EQ(monitor_->List(partner, {}).error().code, ErrorCode::kPermissionDenied);
  EXPECT_EQ(monitor_->Get(partner, id_a).error().code, ErrorCode::kPermissionDenied);
  EXPECT_EQ(monitor_->List(Operator(Role::kAnalyst), {}).error().code,
            ErrorCode::kPermissionDenied);
  EXPECT_EQ(monitor_->Acknowledge(investigator, id_a, "").error().code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(monitor_->Acknowledge(investigator, id_a, std::string(2001, 'x')).error().code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(monitor_->Acknowledge(investigator, "alr_0000000000000000", "seen").error().code,
            ErrorCode::kNotFound);
  EXPECT_EQ(monitor_->Get(admin_, "alr_0000000000000000").error().code, ErrorCode::kNotFound);
  EXPECT_TRUE(LedgerEvents("alert.acknowledged").empty());
  EXPECT_EQ(monitor_->Get(admin_, id_a)->state, AlertState::kOpen);

  clock_.Advance(minutes{30});
  auto acked = monitor_->Acknowledge(investigator, id_a, "Backfill agreed with the partner");
  ASSERT_TRUE(acked.has_value()) << acked.error().message;
  EXPECT_EQ(acked->state, AlertState::kAcknowledged);
  EXPECT_EQ(acked->acknowledged_by, "token:tok_investigator");
  EXPECT_EQ(acked->acknowledged_at, clock_.Now());
  EXPECT_EQ(acked->note, "Backfill agreed with the partner");
  const Alert stored = monitor_->Get(admin_, id_a).value();
  EXPECT_EQ(stored.state, AlertState::kAcknowledged);
  EXPECT_EQ(stored.note, "Backfill agreed with the partner");
  auto events = LedgerEvents("alert.acknowledged");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["subject"], id_a);
  EXPECT_EQ(events[0]["actor"], "token:tok_investigator");
  EXPECT_EQ(events[0]["details"]["note"], "Backfill agreed with the partner");
  EXPECT_EQ(events[0]["details"]["partner"], "prt_a");
  EXPECT_EQ(events[0]["details"]["kind"], "volume");

  EXPECT_EQ(monitor_->Acknowledge(admin_, id_a, "again").error().code, ErrorCode::kConflict);
  EXPECT_EQ(LedgerEvents("alert.acknowledged").size(), 1u);

  auto open = monitor_->List(auditor, {.state = AlertState::kOpen}).value();
  ASSERT_EQ(open.size(), 1u);
  EXPECT_EQ(open[0].id, id_b);
  auto done = monitor_->List(auditor, {.state = AlertState::kAcknowledged}).value();
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].id, id_a);
  auto of_b = monitor_->List(admin_, {.partner_id = "prt_b"}).value();
  ASSERT_EQ(of_b.size(), 1u);
  EXPECT_EQ(of_b[0].id, id_b);
  EXPECT_EQ(monitor_->OpenCount().value(), 1);
}

TEST_F(MonitorTest, AcknowledgedAlertSilencesItsKindUntilTheCooldownEnds) {
  AddPartner("prt_a");
  Fetches("prt_a", 201);
  auto raised = MustFlush();
  ASSERT_EQ(raised.size(), 1u);
  ASSERT_TRUE(monitor_->Acknowledge(admin_, raised[0].id, "known backfill").has_value());

  clock_.Advance(minutes{10});
  Fetches("prt_a", 100);
  EXPECT_TRUE(MustFlush().empty());
  EXPECT_EQ(Evidence(monitor_->Get(admin_, raised[0].id).value())["fetches"], 201)
      << "an acknowledged alert stays as the operator saw it";
  EXPECT_EQ(AlertsOf("prt_a").size(), 1u);

  clock_.Set(raised[0].raised_at + hours{24});
  Fetches("prt_a", 904);  // usual peak 301 -> threshold 903
  auto again = MustFlush();
  ASSERT_EQ(again.size(), 1u);
  EXPECT_NE(again[0].id, raised[0].id);
  EXPECT_EQ(again[0].state, AlertState::kOpen);
  EXPECT_EQ(monitor_->OpenCount().value(), 1);
}

// 4 threads × 1,000 Observe calls while a flusher runs, as the server's one-second timer would.
// A lost update shows as a wrong total; the round is repeated because a race does not show
// every time.
TEST_F(MonitorTest, ConcurrentObserversAreCountedExactly) {
  AddPartner("prt_a");
  AddPartner("prt_b");
  const TimePoint at = clock_.Now();
  constexpr int kRounds = 5;
  for (int round = 1; round <= kRounds; ++round) {
    std::atomic<bool> done{false};
    std::atomic<int> flush_errors{0};
    std::thread flusher([&] {
      while (!done.load()) {
        if (!monitor_->Flush().has_value()) ++flush_errors;
      }
    });
    std::latch start(4);  // the observers start together, so their calls overlap
    std::vector<std::thread> observers;
    for (int t = 0; t < 4; ++t) {
      observers.emplace_back([&, t] {
        start.arrive_and_wait();
        for (int i = 0; i < 1000; ++i) {
          monitor_->Observe({.partner_id = t % 2 == 0 ? "prt_a" : "prt_b",
                             .advisory_id = fmt::format("adv_{:016x}", i % 7),
                             .type = "advisory.fetched",
                             .ledger_index = static_cast<uint64_t>(t * 1000 + i),
                             .at = at});
        }
      });
    }
    for (auto& thread : observers) thread.join();
    done = true;
    flusher.join();
    MustFlush();
    ASSERT_EQ(flush_errors.load(), 0) << "round " << round;
    ASSERT_EQ(Stored("prt_a") + Stored("prt_b"), 4000 * round) << "round " << round;
    ASSERT_EQ(Stored("prt_a"), 2000 * round) << "round " << round;
    const MonitorStats stats = monitor_->stats();
    ASSERT_EQ(stats.observed, 4000u * round);
    ASSERT_EQ(stats.fetches_flushed, 4000u * round);
    ASSERT_EQ(stats.fetches_pending, 0u);
  }
  // Each partner crossed the volume floor once: one alert each, however the flushes fell.
  EXPECT_EQ(AlertsOf("prt_a").size(), 1u);
  EXPECT_EQ(AlertsOf("prt_b").size(), 1u);
}

TEST_F(MonitorTest, MemoryHoldsOnlyTheCurrentAndPreviousHour) {
  for (const char* p : {"prt_a", "prt_b", "prt_c"}) {
    AddPartner(p);
    Fetches(p, 2);
  }
  MustFlush();
  EXPECT_EQ(monitor_->stats().tracked_hours, 3u);
  clock_.Advance(hours{1});
  MustFlush();
  EXPECT_EQ(monitor_->stats().tracked_hours, 3u) << "the previous hour is still kept";
  clock_.Advance(hours{1});
  MustFlush();
  EXPECT_EQ(monitor_->stats().tracked_hours, 0u);

  // Counts that could not be written stay, however old, until a flush succeeds.
  Fetches("prt_a", 4);
  store_->fail_writes = true;
  clock_.Advance(hours{3});
  EXPECT_FALSE(monitor_->Flush().has_value());
  EXPECT_EQ(monitor_->stats().tracked_hours, 1u);
  store_->fail_writes = false;
  MustFlush();
  EXPECT_EQ(monitor_->stats().tracked_hours, 0u);
  EXPECT_EQ(Stored("prt_a"), 6);
}

TEST(MonitorConfigTest, ValidateConfigNamesTheBadField) {
  EXPECT_TRUE(ValidateConfig({}).has_value());
  const std::vector<std::pair<MonitorConfig, std::string>> bad = {
      {{.volume_floor = -1}, "volume_floor"},
      {{.volume_factor = 0.5}, "volume_factor"},
      {{.baseline_days = 0}, "baseline_days"},
      {{.pattern_min_fetches = 0}, "pattern_min_fetches"},
      {{.pattern_min_days = 29}, "pattern_min_days"},
      {{.pattern_days = 400}, "pattern_days"},
      {{.breadth_advisories = 1}, "breadth_advisories"},
      {{.cooldown = hours{-1}}, "cooldown"},
  };
  for (const auto& [config, field] : bad) {
    auto status = ValidateConfig(config);
    ASSERT_FALSE(status.has_value()) << field;
    EXPECT_EQ(status.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(status.error().message.find(field), std::string::npos) << status.error().message;
  }
}

}  // namespace
}  // namespace forewarn::monitor
