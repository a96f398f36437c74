#include "ledger/recorder.h"

#include <optional>

namespace forewarn::ledger {

struct Recorder::Pending {
  Event event;
  std::optional<Result<AppendResult>> result;
};

Recorder::Recorder(store::Store& store, const Ledger& ledger, size_t max_batch,
                   std::chrono::microseconds linger)
    : store_(store), ledger_(ledger), max_batch_(max_batch == 0 ? 1 : max_batch), linger_(linger) {}

Result<AppendResult> Recorder::Record(Event event) {
  Pending pending{std::move(event), std::nullopt};
  std::unique_lock lock(mutex_);
  queue_.push_back(&pending);
  if (queue_.size() >= max_batch_) batch_full_.notify_one();
  while (!pending.result) {
    if (flushing_) {
      // Someone is committing; our event goes into the next batch (possibly led by us).
      done_.wait(lock);
      continue;
    }
    flushing_ = true;
    if (linger_.count() > 0 && queue_.size() < max_batch_) {
      // Give requests that are still on their way a moment to join this commit.
      batch_full_.wait_for(lock, linger_, [this] { return queue_.size() >= max_batch_; });
    }
    std::deque<Pending*> batch;
    while (!queue_.empty() && batch.size() < max_batch_) {
      batch.push_back(queue_.front());
      queue_.pop_front();
    }
    lock.unlock();
    auto results = Flush(batch);
    lock.lock();
    // Results are handed over under the lock: waiters read them only while holding it.
    for (size_t i = 0; i < batch.size(); ++i) batch[i]->result = std::move(results[i]);
    flushing_ = false;
    ++stats_.batches;
    stats_.events += batch.size();
    done_.notify_all();
  }
  return std::move(*pending.result);
}

std::vector<Result<AppendResult>> Recorder::Flush(const std::deque<Pending*>& batch) const {
  const auto fail_all = [&](const Error& error) {
    return std::vector<Result<AppendResult>>(batch.size(), tl::unexpected<Error>(error));
  };
  auto tx = store_.Begin(store::TxMode::kWrite);
  if (!tx) return fail_all(tx.error());
  std::vector<Result<AppendResult>> appended;
  appended.reserve(batch.size());
  for (const Pending* p : batch) {
    auto where = ledger_.Append(**tx, p->event);
    if (!where) return fail_all(where.error());
    appended.emplace_back(std::move(*where));
  }
  if (auto committed = (*tx)->Commit(); !committed) return fail_all(committed.error());
  return appended;
}

Recorder::Stats Recorder::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

}  // namespace forewarn::ledger
