#include "monitor/monitor.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "core/time.h"

namespace forewarn::monitor {
namespace {

using nlohmann::json;

constexpr size_t kMaxLedgerIndexes = 50;  // per partner-hour, in evidence
constexpr size_t kMaxEvidenceAdvisories = 100;
constexpr size_t kMaxNoteBytes = 2000;
// Enough of a partner's newest alerts to find the newest of each kind within a cooldown: the
// cooldown keeps it to about one per kind.
constexpr size_t kRecentAlerts = 50;
constexpr int64_t kHoursPerDay = 24;

int64_t HourOf(TimePoint t) {
  return std::chrono::floor<std::chrono::hours>(t.time_since_epoch()).count();
}

TimePoint HourStart(int64_t hour) { return TimePoint(std::chrono::hours{hour}); }

int64_t FloorDiv(int64_t a, int64_t b) {
  return a / b - static_cast<int64_t>(a % b != 0 && ((a < 0) != (b < 0)));
}

int HourOfDay(int64_t hour) {
  return static_cast<int>(hour - FloorDiv(hour, kHoursPerDay) * kHoursPerDay);
}

int64_t CountAt(const std::map<int64_t, int64_t>& counts, int64_t hour) {
  auto it = counts.find(hour);
  return it == counts.end() ? 0 : it->second;
}

// Distinct advisories tracked per partner-hour: enough for the breadth rule and the evidence.
size_t AdvisoryCap(const MonitorConfig& config) {
  return std::max(kMaxEvidenceAdvisories,
                  static_cast<size_t>(std::max<int64_t>(config.breadth_advisories, 0)));
}

// "1 time", "640 times": for summaries people read.
std::string Times(int64_t n) { return fmt::format("{} time{}", n, n == 1 ? "" : "s"); }

size_t KindIndex(AlertKind kind) { return static_cast<size_t>(kind); }

tl::unexpected<Error> AlertNotFound(const std::string& id) {
  return Fail(ErrorCode::kNotFound, fmt::format("alert {} not found", id.substr(0, 64)));
}

// The fields every rule's evidence starts with.
json HourEvidence(int64_t hour) {
  return json{{"hour_start", FormatTime(HourStart(hour))},
              {"hour_end", FormatTime(HourStart(hour + 1))}};
}

}  // namespace

struct ActivityMonitor::Hit {
  AlertKind kind = AlertKind::kVolume;
  std::string summary;
  json evidence;
};

// What one successful write transaction did; applied to the stats only after it committed.
struct ActivityMonitor::FlushOutcome {
  std::vector<Alert> alerts;
  std::map<std::string, size_t> positions;  // alert id -> index in `alerts`
  uint64_t raised[3] = {};
  uint64_t updated[3] = {};
  uint64_t flushed = 0;
  uint64_t dropped = 0;

  // Adds the alert, or replaces an earlier state of it: each alert is returned once.
  void Add(const Alert& alert) {
    auto [it, inserted] = positions.try_emplace(alert.id, alerts.size());
    if (inserted) {
      alerts.push_back(alert);
    } else {
      alerts[it->second] = alert;
    }
  }
};

Status ValidateConfig(const MonitorConfig& c) {
  auto invalid = [](std::string_view what) {
    return Fail(ErrorCode::kInvalidArgument, fmt::format("monitor config: {}", what));
  };
  if (c.volume_floor < 0) return invalid("volume_floor must be >= 0");
  if (!(c.volume_factor >= 1.0) || !std::isfinite(c.volume_factor)) {
    return invalid("volume_factor must be a finite number >= 1");
  }
  if (c.baseline_days < 1 || c.baseline_days > 365) return invalid("baseline_days must be 1..365");
  if (c.pattern_days < 1 || c.pattern_days > 365) return invalid("pattern_days must be 1..365");
  if (c.pattern_min_fetches < 1) return invalid("pattern_min_fetches must be >= 1");
  if (c.pattern_min_days < 1 || c.pattern_min_days > c.pattern_days) {
    return invalid("pattern_min_days must be 1..pattern_days");
  }
  if (c.breadth_advisories < 2 || c.breadth_advisories > 10000) {
    return invalid("breadth_advisories must be 2..10000");
  }
  if (c.cooldown.count() < 0) return invalid("cooldown must be >= 0");
  return Ok();
}

ActivityMonitor::ActivityMonitor(store::Store& store, const ledger::Ledger& ledger,
                                 const Clock& clock, crypto::Random& random, MonitorConfig config)
    : store_(store),
      ledger_(ledger),
      clock_(clock),
      random_(random),
      config_(config),
      advisory_cap_(AdvisoryCap(config)) {}

void ActivityMonitor::Observe(const Fetch& fetch) {
  HourKey key(fetch.partner_id, HourOf(fetch.at));
  std::lock_guard<std::mutex> lock(mutex_);
  ++stats_.observed;
  HourState& state = hours_[std::move(key)];
  ++state.pending;
  if (state.ledger_indexes.size() < kMaxLedgerIndexes) {
    state.ledger_indexes.push_back(fetch.ledger_index);
  }
  // Breadth is about bulk downloads: reading advisories (a feed catching up) does not count.
  // Past the cap the breadth rule has long been met; more ids would only cost memory.
  if (fetch.type == "artifact.fetched" && !fetch.advisory_id.empty() &&
      state.advisories.size() < advisory_cap_) {
    state.advisories.insert(fetch.advisory_id);
  }
}

Result<std::vector<Alert>> ActivityMonitor::Flush() {
  std::lock_guard<std::mutex> flush_lock(flush_mutex_);
  const TimePoint now = clock_.Now();
  std::vector<HourBatch> batch = TakePending();
  if (batch.empty()) {
    Prune(HourOf(now));
    return std::vector<Alert>{};
  }
  auto outcome = WriteBatch(batch, now);
  if (!outcome.has_value()) {
    // The transaction rolled back: give the counts back so the next Flush writes them.
    Restore(batch);
    Prune(HourOf(now));
    return Forward(outcome);
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (size_t k = 0; k < 3; ++k) {
      stats_.alerts_raised[k] += outcome->raised[k];
      stats_.alerts_updated[k] += outcome->updated[k];
    }
    stats_.fetches_flushed += outcome->flushed;
    stats_.fetches_dropped += outcome->dropped;
  }
  Prune(HourOf(now));
  return std::move(outcome->alerts);
}

std::vector<ActivityMonitor::HourBatch> ActivityMonitor::TakePending() {
  std::vector<HourBatch> batch;
  std::lock_guard<std::mutex> lock(mutex_);
  // hours_ is ordered by (partner, hour), so each partner's hours end up together, in order.
  for (auto& [key, state] : hours_) {
    if (state.pending == 0) continue;
    HourBatch b{.partner_id = key.first,
                .hour = key.second,
                .new_fetches = state.pending,
                .ledger_indexes = state.ledger_indexes,
                .distinct_advisories = state.advisories.size()};
    for (const auto& id : state.advisories) {
      if (b.advisories.size() == kMaxEvidenceAdvisories) break;
      b.advisories.push_back(id);
    }
    batch.push_back(std::move(b));
    state.pending = 0;
  }
  return batch;
}

void ActivityMonitor::Restore(const std::vector<HourBatch>& batch) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& b : batch) hours_[HourKey(b.partner_id, b.hour)].pending += b.new_fetches;
  ++stats_.flush_failures;
}

void ActivityMonitor::Prune(int64_t current_hour) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto it = hours_.begin(); it != hours_.end();) {
    if (it->first.second >= current_hour - 1) {
      ++it;
    } else if (it->second.pending == 0) {
      it = hours_.erase(it);
    } else {
      // Counts that failed to flush stay until written; their details go, so a long store
      // outage costs a few integers per partner-hour (later alerts for it lack these details).
      it->second.ledger_indexes = {};
      it->second.advisories = {};
      ++it;
    }
  }
}

Result<ActivityMonitor::FlushOutcome> ActivityMonitor::WriteBatch(
    const std::vector<HourBatch>& batch, TimePoint now) {
  FlushOutcome outcome;
  FW_ASSIGN_OR_RETURN(auto tx, store_.Begin(store::TxMode::kWrite));
  const std::span<const HourBatch> all(batch);
  for (size_t begin = 0; begin < all.size();) {
    size_t end = begin + 1;
    while (end < all.size() && all[end].partner_id == all[begin].partner_id) ++end;
    FW_TRY(FlushPartner(*tx, all.subspan(begin, end - begin), now, outcome));
    begin = end;
  }
  FW_TRY(tx->Commit());
  return outcome;
}

Status ActivityMonitor::FlushPartner(store::Transaction& tx, std::span<const HourBatch> hours,
                                     TimePoint now, FlushOutcome& outcome) {
  const std::string& partner_id = hours.front().partner_id;
  int64_t new_total = 0;
  for (const auto& h : hours) new_total += h.new_fetches;
  FW_ASSIGN_OR_RETURN(auto partner, tx.FindPartner(partner_id));
  if (!partner) {
    // The activity table references partners: writing this row would fail the whole flush, and
    // every flush after it.
    outcome.dropped += static_cast<uint64_t>(new_total);
    return Ok();
  }
  for (const auto& h : hours) {
    FW_TRY(tx.AddActivity({.partner_id = partner_id, .hour = h.hour, .fetches = h.new_fetches}));
  }
  outcome.flushed += static_cast<uint64_t>(new_total);

  const int64_t lookback =
      int64_t{std::max(config_.baseline_days, config_.pattern_days)} * kHoursPerDay;
  FW_ASSIGN_OR_RETURN(
      auto rows, tx.ListActivity(partner_id, hours.front().hour - lookback, hours.back().hour + 1));
  std::map<int64_t, int64_t> counts;
  for (const auto& row : rows) counts[row.hour] = row.fetches;

  std::vector<Hit> hits;
  for (const auto& h : hours) {
    for (auto& hit : Evaluate(counts, h)) hits.push_back(std::move(hit));
  }
  if (hits.empty()) return Ok();
  FW_ASSIGN_OR_RETURN(auto recent,
                      tx.ListAlerts({.partner_id = partner_id, .limit = kRecentAlerts}));
  for (auto& hit : hits) {
    FW_TRY(RecordHit(tx, partner_id, std::move(hit), now, recent, outcome));
  }
  return Ok();
}

std::vector<ActivityMonitor::Hit> ActivityMonitor::Evaluate(
    const std::map<int64_t, int64_t>& counts, const HourBatch& h) const {
  std::vector<Hit> hits;
  const int64_t fetches = CountAt(counts, h.hour);
  const std::string start = FormatTime(HourStart(h.hour));

  // volume: the busiest earlier hour within the baseline sets the bar.
  int64_t peak = 0;
  for (auto it = counts.lower_bound(h.hour - int64_t{config_.baseline_days} * kHoursPerDay);
       it != counts.end() && it->first < h.hour; ++it) {
    peak = std::max(peak, it->second);
  }
  // fetches > factor × peak  <=>  fetches > floor(factor × peak), as fetches is an integer.
  const int64_t threshold =
      std::max(config_.volume_floor,
               static_cast<int64_t>(std::floor(config_.volume_factor * static_cast<double>(peak))));
  if (fetches > threshold) {
    json evidence = HourEvidence(h.hour);
    evidence["fetches"] = fetches;
    evidence["usual_peak"] = peak;
    evidence["threshold"] = threshold;
    evidence["baseline_days"] = config_.baseline_days;
    evidence["ledger_indexes"] = h.ledger_indexes;
    hits.push_back({AlertKind::kVolume,
                    fmt::format("{} fetched {} in the hour from {}; its usual peak is {} "
                                "(threshold {})",
                                h.partner_id, Times(fetches), start, peak, threshold),
                    std::move(evidence)});
  }

  // off-hours: a settled pattern over the previous pattern_days that never touches this hour.
  int64_t history_fetches = 0;
  std::set<int64_t> history_days;
  std::map<int, int64_t> usual_hours;  // hour of day -> fetches
  for (auto it = counts.lower_bound(h.hour - int64_t{config_.pattern_days} * kHoursPerDay);
       it != counts.end() && it->first < h.hour; ++it) {
    if (it->second <= 0) continue;
    history_fetches += it->second;
    history_days.insert(FloorDiv(it->first, kHoursPerDay));
    usual_hours[HourOfDay(it->first)] += it->second;
  }
  const int hour_of_day = HourOfDay(h.hour);
  if (history_fetches >= config_.pattern_min_fetches &&
      std::cmp_greater_equal(history_days.size(), config_.pattern_min_days) &&
      !usual_hours.contains(hour_of_day) && fetches > 0) {
    json usual = json::array();
    for (const auto& [hod, n] : usual_hours)
      usual.push_back({{"hour_of_day", hod}, {"fetches", n}});
    json evidence = HourEvidence(h.hour);
    evidence["hour_of_day"] = hour_of_day;
    evidence["history_fetches"] = history_fetches;
    evidence["history_days"] = history_days.size();
    evidence["pattern_days"] = config_.pattern_days;
    evidence["usual_hours"] = std::move(usual);
    evidence["fetches"] = fetches;
    evidence["ledger_indexes"] = h.ledger_indexes;
    hits.push_back(
        {AlertKind::kOffHours,
         fmt::format("{} fetched {} in the hour from {}; in the previous {} days it fetched "
                     "{} on {} days, never at {:02}:00 UTC",
                     h.partner_id, Times(fetches), start, config_.pattern_days,
                     Times(history_fetches), history_days.size(), hour_of_day),
         std::move(evidence)});
  }

  // breadth: distinct advisories this process saw the partner fetch in the hour.
  if (std::cmp_greater_equal(h.distinct_advisories, config_.breadth_advisories)) {
    json evidence = HourEvidence(h.hour);
    evidence["advisories"] = h.advisories;
    evidence["distinct_advisories"] = h.distinct_advisories;
    evidence["threshold"] = config_.breadth_advisories;
    evidence["fetches"] = fetches;
    evidence["ledger_indexes"] = h.ledger_indexes;
    hits.push_back(
        {AlertKind::kBreadth,
         fmt::format("{} fetched {} different advisories in the hour from {} "
                     "(threshold {})",
                     h.partner_id, h.distinct_advisories, start, config_.breadth_advisories),
         std::move(evidence)});
  }
  return hits;
}

Status ActivityMonitor::RecordHit(store::Transaction& tx, const std::string& partner_id, Hit hit,
                                  TimePoint now, std::vector<Alert>& recent,
                                  FlushOutcome& outcome) {
  const size_t kind = KindIndex(hit.kind);
  // `recent` is newest first, so the first alert of this kind decides.
  auto same_kind = std::find_if(recent.begin(), recent.end(),
                                [&](const Alert& a) { return a.kind == hit.kind; });
  if (same_kind != recent.end() && now - same_kind->raised_at < config_.cooldown) {
    // Within the cooldown an acknowledged alert stays as the operator saw it, and silences
    // this kind for the partner until the cooldown ends.
    if (same_kind->state == AlertState::kAcknowledged) return Ok();
    same_kind->summary = std::move(hit.summary);
    same_kind->evidence = hit.evidence.dump();
    same_kind->updated_at = now;
    FW_TRY(tx.UpdateAlert(*same_kind));
    outcome.Add(*same_kind);
    ++outcome.updated[kind];
    return Ok();
  }
  Alert alert{.id = crypto::NewId(random_, "alr"),
              .partner_id = partner_id,
              .kind = hit.kind,
              .state = AlertState::kOpen,
              .summary = std::move(hit.summary),
              .evidence = hit.evidence.dump(),
              .raised_at = now,
              .updated_at = now};
  FW_TRY(tx.InsertAlert(alert));
  FW_TRY(ledger_.Append(tx, {.type = "alert.raised",
                             .actor = "system",
                             .subject = alert.id,
                             .details = {{"partner", partner_id},
                                         {"kind", std::string(ToString(alert.kind))},
                                         {"summary", alert.summary},
                                         {"evidence", std::move(hit.evidence)}}}));
  outcome.Add(alert);
  ++outcome.raised[kind];
  recent.insert(recent.begin(), std::move(alert));
  return Ok();
}

Result<std::vector<Alert>> ActivityMonitor::List(const Principal& caller,
                                                 const store::AlertFilter& filter) const {
  FW_TRY(Authorize(caller, Action::kAlertRead));
  FW_ASSIGN_OR_RETURN(auto tx, store_.Begin(store::TxMode::kRead));
  return tx->ListAlerts(filter);
}

Result<Alert> ActivityMonitor::Get(const Principal& caller, const std::string& id) const {
  FW_TRY(Authorize(caller, Action::kAlertRead));
  FW_ASSIGN_OR_RETURN(auto tx, store_.Begin(store::TxMode::kRead));
  FW_ASSIGN_OR_RETURN(auto found, tx->FindAlert(id));
  if (!found) return AlertNotFound(id);
  return *std::move(found);
}

Result<Alert> ActivityMonitor::Acknowledge(const Principal& caller, const std::string& id,
                                           const std::string& note) {
  FW_TRY(Authorize(caller, Action::kAlertWrite));
  if (note.empty() || note.size() > kMaxNoteBytes) {
    return Fail(
        ErrorCode::kInvalidArgument,
        fmt::format("a note (1..{} bytes) is required to acknowledge an alert", kMaxNoteBytes));
  }
  const TimePoint now = clock_.Now();
  FW_ASSIGN_OR_RETURN(auto tx, store_.Begin(store::TxMode::kWrite));
  FW_ASSIGN_OR_RETURN(auto found, tx->FindAlert(id));
  if (!found) return AlertNotFound(id);
  Alert alert = *std::move(found);
  if (alert.state == AlertState::kAcknowledged) {
    return Fail(ErrorCode::kConflict,
                fmt::format("alert {} was already acknowledged by {}", id, alert.acknowledged_by));
  }
  alert.state = AlertState::kAcknowledged;
  alert.acknowledged_by = caller.Actor();
  alert.acknowledged_at = now;
  alert.note = note;
  alert.updated_at = now;
  FW_TRY(tx->UpdateAlert(alert));
  FW_TRY(ledger_.Append(*tx, {.type = "alert.acknowledged",
                              .actor = caller.Actor(),
                              .subject = id,
                              .details = {{"partner", alert.partner_id},
                                          {"kind", std::string(ToString(alert.kind))},
                                          {"note", note}}}));
  FW_TRY(tx->Commit());
  return alert;
}

Result<int64_t> ActivityMonitor::OpenCount() const {
  FW_ASSIGN_OR_RETURN(auto tx, store_.Begin(store::TxMode::kRead));
  return tx->CountAlerts(AlertState::kOpen);
}

MonitorStats ActivityMonitor::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  MonitorStats copy = stats_;
  copy.fetches_pending = 0;
  copy.tracked_hours = hours_.size();
  for (const auto& [key, state] : hours_)
    copy.fetches_pending += static_cast<uint64_t>(state.pending);
  return copy;
}

}  // namespace forewarn::monitor
