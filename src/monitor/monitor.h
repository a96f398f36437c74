// File: monitor/monitor.h
//
// The partner activity monitor (DESIGN.md capability 8: bulk or unusual download patterns raise
// alerts). The delivery path tells the monitor about every fetch it served (Observe, memory
// only); a periodic Flush writes the hourly counts to the store and raises an alert when a
// partner, in one clock hour (UTC):
//   - volume:    fetches far more than its usual peak hour of the last two weeks;
//   - off-hours: fetches at an hour of the day it has not fetched at in the last four weeks,
//                although it has a settled pattern;
//   - breadth:   downloads artifacts of many different advisories.
// Each alert carries its evidence (counts, thresholds, ledger indexes of the deliveries), is
// stored, and is recorded on the audit ledger; operators list and acknowledge alerts.
//
//   monitor::ActivityMonitor monitor(store, ledger, clock, random);
//   monitor.Observe({.partner_id = p, .advisory_id = a, .type = "artifact.fetched",
//                    .ledger_index = entry.index, .at = now});
//   FW_ASSIGN_OR_RETURN(auto alerts, monitor.Flush());   // every second, and at shutdown
//
// Thread safety: every method may be called from any thread at any time. Observe only takes a
// short lock; concurrent Flush calls run one after the other.
//
// Errors: kPermissionDenied (the caller's role may not read or acknowledge alerts), kNotFound
// (no such alert), kInvalidArgument (bad note), kConflict (already acknowledged), store errors
// (kUnavailable, kInternal) unchanged. Nothing is stored when an error is returned.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "core/alert.h"
#include "core/auth.h"
#include "core/clock.h"
#include "core/result.h"
#include "crypto/crypto.h"
#include "ledger/ledger.h"
#include "store/store.h"

namespace forewarn::monitor {

// The rules' thresholds. All hours are clock hours in UTC (unix seconds / 3600); a "day" is 24
// such hours. Check a configuration read from outside with ValidateConfig.
struct MonitorConfig {
  // volume: an hour's fetches alert when they exceed max(volume_floor, volume_factor × usual
  // peak), the usual peak being the busiest hour in the previous baseline_days days (the current
  // hour excluded). A partner without history alerts above volume_floor.
  int64_t volume_floor = 200;
  double volume_factor = 3.0;
  int baseline_days = 14;
  // off-hours: only for a partner with at least pattern_min_fetches fetches spread over at least
  // pattern_min_days distinct days within the previous pattern_days days; alerts when that
  // history has no fetch at this hour of the day.
  int64_t pattern_min_fetches = 100;
  int pattern_min_days = 7;
  int pattern_days = 28;
  // breadth: alerts when the partner fetched at least this many distinct advisories in one hour.
  int64_t breadth_advisories = 20;
  // At most one alert per partner and kind per cooldown: while the newest alert of that kind
  // was raised less than `cooldown` ago, later hits update its evidence if it is still open,
  // and are not alerted again if an operator already acknowledged it.
  std::chrono::hours cooldown{24};
};

// kInvalidArgument naming the field unless: volume_floor >= 0, volume_factor >= 1,
// baseline_days and pattern_days in 1..365, pattern_min_fetches >= 1, pattern_min_days in
// 1..pattern_days, breadth_advisories in 2..10000, cooldown >= 0.
[[nodiscard]] Status ValidateConfig(const MonitorConfig& config);

// One delivery a partner fetched, as the delivery path recorded it on the ledger.
struct Fetch {
  std::string partner_id;
  std::string advisory_id;
  std::string type;  // the ledger event type: "artifact.fetched" | "advisory.fetched"
  uint64_t ledger_index = 0;
  TimePoint at;  // when it was delivered; decides the hour it counts in
};

// Counters since the monitor was built, for metrics. Arrays are indexed by AlertKind.
struct MonitorStats {
  uint64_t observed = 0;            // Observe calls
  uint64_t alerts_raised[3] = {};   // new alerts
  uint64_t flush_failures = 0;      // Flush calls that returned an error (counts were kept)
  uint64_t alerts_updated[3] = {};  // hits that updated an open alert within its cooldown
  uint64_t fetches_flushed = 0;     // fetches written to the store
  uint64_t fetches_dropped = 0;     // fetches of partners the store does not know (not counted)
  uint64_t fetches_pending = 0;     // observed, not yet written (at the time of the call)
  uint64_t tracked_hours = 0;       // partner-hours held in memory (at the time of the call)
};

class ActivityMonitor {
 public:
  // All references must outlive the monitor. `config` should pass ValidateConfig.
  ActivityMonitor(store::Store& store, const ledger::Ledger& ledger, const Clock& clock,
                  crypto::Random& random, MonitorConfig config = {});
  ActivityMonitor(const ActivityMonitor&) = delete;
  ActivityMonitor& operator=(const ActivityMonitor&) = delete;

  // Counts one delivery; call it after the delivery is on the ledger. Memory only: cheap, never
  // fails. Fetches observed but not yet flushed are lost if the process dies.
  void Observe(const Fetch& fetch);

  // Writes the counts observed since the last successful flush to the store (one AddActivity per
  // partner and hour) and evaluates the rules for every partner and hour with new fetches,
  // raising or updating alerts, all in one write transaction. Each new alert is appended to the
  // ledger as "alert.raised" (actor "system", subject the alert id, details {"partner","kind",
  // "summary","evidence"}) in the same transaction; updates of an open alert within its
  // cooldown change the stored alert (summary, evidence, updated_at) and add no ledger entry.
  // Fetches of a partner the store does not know are dropped (MonitorStats::fetches_dropped),
  // so one bad id cannot block every later flush.
  // Returns the alerts raised or updated, each once, in its final state; empty (and no write
  // transaction) when nothing was observed. On error nothing is stored and the counts are kept
  // for the next Flush: nothing is lost and nothing counted twice. The time is clock.Now().
  [[nodiscard]] Result<std::vector<Alert>> Flush();

  // Alerts matching `filter`, newest first. Needs Action::kAlertRead (admin, investigator,
  // auditor); kPermissionDenied otherwise.
  [[nodiscard]] Result<std::vector<Alert>> List(const Principal& caller,
                                                const store::AlertFilter& filter) const;
  // One alert. kPermissionDenied as List; kNotFound if no alert has this id.
  [[nodiscard]] Result<Alert> Get(const Principal& caller, const std::string& id) const;

  // Marks an open alert acknowledged by the caller with `note` (required, 1..2000 bytes, else
  // kInvalidArgument) and records "alert.acknowledged" on the ledger (actor the caller, subject
  // the alert id, details {"partner","kind","note"}). Needs Action::kAlertWrite (admin,
  // investigator); kNotFound if no alert has this id; kConflict if it is already acknowledged.
  [[nodiscard]] Result<Alert> Acknowledge(const Principal& caller, const std::string& id,
                                          const std::string& note);

  // How many alerts are open right now, read from the store (for the metrics gauge).
  [[nodiscard]] Result<int64_t> OpenCount() const;

  MonitorStats stats() const;

 private:
  // (partner id, hour since the Unix epoch)
  using HourKey = std::pair<std::string, int64_t>;

  // What this process saw of one partner in one hour.
  struct HourState {
    int64_t pending = 0;                   // fetches not yet written to the store
    std::vector<uint64_t> ledger_indexes;  // the first kMaxLedgerIndexes observed
    std::set<std::string> advisories;      // distinct advisory ids, up to a cap
  };

  // One partner-hour taken for a Flush: the new count and a copy of the hour's details.
  struct HourBatch {
    std::string partner_id;
    int64_t hour = 0;
    int64_t new_fetches = 0;
    std::vector<uint64_t> ledger_indexes;
    std::vector<std::string> advisories;
    size_t distinct_advisories = 0;
  };

  struct FlushOutcome;
  struct Hit;

  std::vector<HourBatch> TakePending();
  void Restore(const std::vector<HourBatch>& batch);
  // Drops the state of hours before the previous one that has nothing left to write.
  void Prune(int64_t current_hour);
  [[nodiscard]] Result<FlushOutcome> WriteBatch(const std::vector<HourBatch>& batch, TimePoint now);
  // Writes one partner's new counts (`hours`: that partner's batch, in hour order) and records
  // the alerts they trigger.
  [[nodiscard]] Status FlushPartner(store::Transaction& tx, std::span<const HourBatch> hours,
                                    TimePoint now, FlushOutcome& outcome);
  // The rules' hits for one partner-hour, given the partner's stored hourly counts (including
  // this flush's) around it.
  std::vector<Hit> Evaluate(const std::map<int64_t, int64_t>& counts, const HourBatch& hour) const;
  // Raises a new alert for `hit`, or updates the open one of its kind within the cooldown;
  // `recent` holds the partner's newest alerts, newest first, and is kept current.
  [[nodiscard]] Status RecordHit(store::Transaction& tx, const std::string& partner_id, Hit hit,
                                 TimePoint now, std::vector<Alert>& recent, FlushOutcome& outcome);

  store::Store& store_;
  const ledger::Ledger& ledger_;
  const Clock& clock_;
  crypto::Random& random_;
  MonitorConfig config_;
  size_t advisory_cap_;  // distinct advisories tracked per partner-hour

  std::mutex flush_mutex_;  // one Flush at a time
  mutable std::mutex mutex_;
  std::map<HourKey, HourState> hours_;  // guarded by mutex_
  MonitorStats stats_;                  // guarded by mutex_
};

}  // namespace forewarn::monitor
