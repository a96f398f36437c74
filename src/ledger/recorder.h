// File: ledger/recorder.h
//
// Group commit for ledger events that stand alone (a partner's fetch, a feed read): many
// threads call Record() at once, one of them becomes the leader and appends everybody's waiting
// events in a single write transaction, and each caller returns once its own event is durable.
// Under load this turns one commit per request into one commit per batch.
//
//   ledger::Recorder recorder(store, ledger);
//   FW_ASSIGN_OR_RETURN(auto where, recorder.Record({.type = "artifact.fetched", ...}));
//   // ... only now send the bytes the event describes.
//
// Events that must commit atomically with a state change still use Ledger::Append inside that
// change's transaction; both paths share the store's single writer.
// Thread safety: Record() may be called from many threads at once.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <vector>

#include "core/result.h"
#include "ledger/ledger.h"
#include "store/store.h"

namespace forewarn::ledger {

class Recorder {
 public:
  // `store` and `ledger` must outlive the Recorder. At most `max_batch` events per commit. A
  // new leader waits up to `linger` for more events to join its batch before committing
  // (zero: commit at once), trading that much latency for fewer commits under load.
  Recorder(store::Store& store, const Ledger& ledger, size_t max_batch = 512,
           std::chrono::microseconds linger = std::chrono::microseconds{200});
  Recorder(const Recorder&) = delete;
  Recorder& operator=(const Recorder&) = delete;

  // Appends `event` and returns once it is committed. If the batch it joined fails, every
  // event of that batch fails with the same error (kUnavailable when the store is busy) and
  // none of them is on the ledger.
  [[nodiscard]] Result<AppendResult> Record(Event event);

  // Number of commits and events so far, for metrics and benchmarks.
  struct Stats {
    uint64_t batches = 0;
    uint64_t events = 0;
  };
  Stats stats() const;

 private:
  struct Pending;
  // Appends the batch in one transaction; one result per event, in order.
  std::vector<Result<AppendResult>> Flush(const std::deque<Pending*>& batch) const;

  store::Store& store_;
  const Ledger& ledger_;
  const size_t max_batch_;
  const std::chrono::microseconds linger_;
  mutable std::mutex mutex_;
  std::condition_variable done_;
  std::condition_variable batch_full_;  // a lingering leader wakes early when the batch fills
  std::deque<Pending*> queue_;          // guarded by mutex_
  bool flushing_ = false;               // guarded by mutex_: a leader is committing a batch
  Stats stats_;                         // guarded by mutex_
};

}  // namespace forewarn::ledger
