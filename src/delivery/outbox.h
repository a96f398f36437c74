// File: delivery/outbox.h
//
// Push delivery (DESIGN.md capability 5): the durable outbox, its webhook worker, and the
// operator's and partner's view of deliveries.
//
// A delivery is enqueued in the same transaction as the change that makes it due — a tier's
// wave opening (EnqueueWave, called by the release scheduler), a partner accepting the terms of
// a revision (EnqueueTermsAccepted, so the full content follows the header), a policy version
// granting a partner more (EnqueuePolicyGrants). One row exists per partner, advisory revision
// and trigger, so enqueueing twice is harmless.
//
// RunOnce() claims due rows (leased, so a dead worker's rows return to the queue), and for each
// decides again at send time, in the policy and partner state of that moment: a suspended or
// removed partner, a removed webhook, or an advisory the policy now hides cancels the delivery.
// Otherwise it builds the partner's package (its personalized view, signed, sealed when the
// partner registered an X25519 key), POSTs it to the approved webhook with an HMAC signature
// and the delivery id as idempotency key, and on a 2xx marks it delivered and appends
// "delivery.sent" to the ledger (the receipt's anchor). A failure is retried with exponential
// backoff and jitter until the retry horizon, then the delivery fails and an operator alert is
// raised. A crash between sending and marking re-sends the same id after restart; partners
// drop ids they have processed, so each package takes effect exactly once.
//
//   delivery::Outbox outbox(store, ledger, clock, random, keys, pull, sender, config);
//   scheduler.OnWaveOpened([&](auto& tx, const Release& r) { return outbox.EnqueueWave(tx, r); });
//   FW_ASSIGN_OR_RETURN(auto stats, outbox.RunOnce());   // from a timer
//
// Thread safety: all methods may be called concurrently.
#pragma once

#include <chrono>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/advisory.h"
#include "core/auth.h"
#include "core/clock.h"
#include "core/delivery.h"
#include "core/result.h"
#include "crypto/crypto.h"
#include "delivery/pull.h"
#include "delivery/webhook.h"
#include "ledger/ledger.h"
#include "policy/policy.h"
#include "store/store.h"

namespace forewarn::delivery {

// One webhook request as the worker sends it, and what came back.
struct WebhookRequest {
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::chrono::seconds timeout{10};  // for connecting and for the whole exchange
};
struct WebhookResponse {
  int status = 0;
  std::string body;
};
// Sends one request and follows no redirects. An error (kUnavailable) means no HTTP response
// was received: refused, reset, timed out. Production: http::Fetch.
using WebhookSender = std::function<Result<WebhookResponse>(const WebhookRequest&)>;

struct OutboxConfig {
  RetryPolicy retry;                     // backoff, cap and the horizon after which it fails
  std::chrono::seconds lease{120};       // a claimed delivery returns to the queue after this
  std::chrono::seconds timeout{10};      // per webhook request
  size_t batch = 64;                     // deliveries claimed per RunOnce
  int parallelism = 4;                   // requests in flight at once within a batch
  size_t max_response_bytes = 64 << 10;  // longer webhook responses are not read as acks
};

struct DispatchStats {
  size_t claimed = 0;
  size_t delivered = 0;
  size_t retried = 0;    // failed attempts that will be tried again
  size_t failed = 0;     // given up after the horizon
  size_t cancelled = 0;  // no longer due at send time
  size_t errors = 0;     // store or ledger errors; those rows return to the queue
  std::string last_error;
};

// A partner's webhook as the operator approved it. The secret is shown when it is set or
// rotated; it is derived from the program secret, never stored.
struct WebhookSetup {
  std::string partner_id;
  std::string url;
  int generation = 0;  // increases with every rotation
  std::string secret;  // "whsec_…"
};

// The JSON shape of a delivery in the API: {"id","partner","advisory","revision","trigger",
// "state","attempts","created_at","next_attempt_at","last_attempt_at","last_error",
// "delivered_at","package_sha256","ledger_index","acknowledged_at","acknowledged_via",
// "cancel_reason"} (absent times are null).
nlohmann::json DeliveryJson(const Delivery& delivery);

// The program setting keeping a partner's webhook secret generation.
std::string WebhookGenerationSetting(std::string_view partner_id);

class Outbox {
 public:
  // All references must outlive the Outbox.
  Outbox(store::Store& store, const ledger::Ledger& ledger, const Clock& clock,
         crypto::Random& random, const crypto::ProgramKeys& keys, const PullService& pull,
         WebhookSender sender, OutboxConfig config = {});

  // --- enqueueing, inside the caller's write transaction ---
  // One delivery for every active partner of the release's tier with a webhook. Only waves
  // enqueue; other release kinds are ignored.
  [[nodiscard]] Status EnqueueWave(store::Transaction& tx, const Release& release) const;
  // The full content of a revision whose terms the partner just accepted (if it has a webhook).
  [[nodiscard]] Status EnqueueTermsAccepted(store::Transaction& tx, const Partner& partner,
                                            const std::string& advisory_id, int revision) const;
  // For every active partner with a webhook and every advisory open to it: a delivery when
  // `after` shows it an advisory or an artifact form `before` did not.
  [[nodiscard]] Status EnqueuePolicyGrants(store::Transaction& tx, const policy::Policy& before,
                                           const policy::Policy& after, int version) const;

  // --- the worker ---
  // Claims due deliveries and attempts each once. Safe to call from several threads or
  // processes sharing the store: a row is claimed by one worker at a time.
  [[nodiscard]] Result<DispatchStats> RunOnce() const;
  // Returns rows claimed by a worker of an earlier run of this process to the queue, now
  // (with the embedded store one process owns the outbox, so they are orphans). Idempotent.
  [[nodiscard]] Result<size_t> ReleaseOrphanedClaims() const;
  // When the next delivery falls due, if any.
  [[nodiscard]] Result<std::optional<TimePoint>> NextDue() const;

  // --- the operator's and the partner's view ---
  // kDeliveryRead sees all; a partner sees only its own delivered packages (queued or
  // cancelled rows may name an advisory the policy hides from it).
  [[nodiscard]] Result<std::vector<Delivery>> List(const Principal& caller,
                                                   store::DeliveryFilter filter) const;
  // kNotFound for an unknown id, and for a partner also another partner's delivery or one not
  // delivered.
  [[nodiscard]] Result<Delivery> Get(const Principal& caller, const std::string& id) const;
  // kDeliveryWrite. A pending or failed delivery becomes due now (attempts are kept; past the
  // retry horizon this is one more attempt). kFailedPrecondition for delivered, cancelled or
  // sending ones.
  // Recorded as "delivery.retried".
  [[nodiscard]] Result<Delivery> Retry(const Principal& caller, const std::string& id) const;
  // The partner confirms it received a delivered package (its own only); recorded as
  // "delivery.acknowledged". Acknowledging again returns the first acknowledgement.
  // kNotFound unless delivered (as Get).
  [[nodiscard]] Result<Delivery> Acknowledge(const Principal& caller, const std::string& id) const;
  // The receipt of a delivered package (see delivery/receipt.h); signs a tree head covering it
  // when the latest one does not. The partner (own deliveries) or kDeliveryRead.
  [[nodiscard]] Result<nlohmann::json> Receipt(const Principal& caller,
                                               const std::string& id) const;
  // Counts per state, as Transaction::CountDeliveries.
  [[nodiscard]] Result<std::vector<int64_t>> Counts() const;

  // --- webhooks (kDeliveryWrite) ---
  // Approves `url` (http or https, no user info or fragment, at most 2048 bytes) as the
  // partner's webhook and returns its secret. Recorded as "webhook.approved".
  [[nodiscard]] Result<WebhookSetup> SetWebhook(const Principal& caller,
                                                const std::string& partner_id,
                                                const std::string& url) const;
  // A new secret for the partner's webhook; the old one stops working. "webhook.rotated".
  [[nodiscard]] Result<WebhookSetup> RotateWebhookSecret(const Principal& caller,
                                                         const std::string& partner_id) const;
  // Removes the partner's webhook; its pending deliveries are cancelled. "webhook.removed".
  [[nodiscard]] Status RemoveWebhook(const Principal& caller, const std::string& partner_id) const;

 private:
  [[nodiscard]] Result<std::vector<Delivery>> Claim(TimePoint now) const;
  void Attempt(Delivery delivery, DispatchStats& stats, std::mutex& stats_mutex) const;
  [[nodiscard]] Status Cancel(const Delivery& claimed, const std::string& reason) const;
  [[nodiscard]] Status MarkDelivered(const Delivery& claimed, const std::string& package_sha256,
                                     const Partner& partner, const WebhookResponse& response) const;
  // Returns true when the delivery failed for good (horizon passed).
  [[nodiscard]] Result<bool> MarkAttemptFailed(const Delivery& claimed,
                                               const std::string& error) const;
  [[nodiscard]] Result<int> WebhookGeneration(store::Transaction& tx,
                                              const std::string& partner_id) const;
  [[nodiscard]] Status Enqueue(store::Transaction& tx, const std::string& partner_id,
                               const std::string& advisory_id, int revision,
                               const std::string& trigger) const;

  store::Store& store_;
  const ledger::Ledger& ledger_;
  const Clock& clock_;
  crypto::Random& random_;
  const crypto::ProgramKeys& keys_;
  const PullService& pull_;
  WebhookSender sender_;
  OutboxConfig config_;
};

// Checks a webhook URL an operator approves: http or https, a host, no user info or fragment,
// at most 2048 bytes. kInvalidArgument naming the problem.
[[nodiscard]] Status ValidateWebhookUrl(std::string_view url);

}  // namespace forewarn::delivery
