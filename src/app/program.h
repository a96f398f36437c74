// File: app/program.h
//
// Opening a program's data directory: configuration (file + environment + flags), the store,
// the keys, and the services built on them. main() is the composition root; this is the part
// of it that `init`, `serve` and `demo` share.
#pragma once

#include <condition_variable>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "advisory/advisory.h"
#include "core/clock.h"
#include "core/result.h"
#include "crypto/crypto.h"
#include "delivery/fingerprints.h"
#include "delivery/impact.h"
#include "delivery/outbox.h"
#include "delivery/pull.h"
#include "http/api.h"
#include "http/transport.h"
#include "ledger/ledger.h"
#include "ledger/recorder.h"
#include "monitor/monitor.h"
#include "policy/service.h"
#include "registry/registry.h"
#include "store/store.h"

namespace forewarn::app {

// Server settings: defaults, then DIR/forewarn.json, then FOREWARN_* environment variables,
// then command-line flags (applied by the caller), later ones winning.
struct ServeConfig {
  std::string listen = "127.0.0.1:8080";
  // Handlers block while their ledger record commits; more threads mean bigger group commits.
  int threads = 8;
  size_t max_body_bytes = 12 << 20;  // fits the largest artifact, base64-encoded, in JSON
  int max_artifact_bytes = static_cast<int>(kDefaultMaxArtifactBytes);
  int read_timeout_seconds = 30;
  std::optional<std::string> tls_cert;
  std::optional<std::string> tls_key;
  std::string log_level = "info";
  int tree_head_interval_seconds = 60;  // how often the ledger's tree head is signed
  int scheduler_interval_seconds = 1;   // how often due releases are recorded
  // How often fetch counts are written and the unusual-activity rules evaluated.
  int monitor_interval_seconds = 1;
  // Push delivery: how often the outbox worker looks for due deliveries, the per-request
  // webhook timeout, the first retry delay (doubling up to an hour) and the horizon after
  // which a delivery fails and an operator alert is raised, and requests in flight at once.
  int outbox_interval_seconds = 1;
  int webhook_timeout_seconds = 10;
  int webhook_initial_retry_seconds = 30;
  int webhook_retry_horizon_seconds = 86400;
  int webhook_parallelism = 4;
  // Fingerprinting (docs/tracing.md): the coalition size codes are designed against and the
  // bound on falsely accusing any partner when a leak is traced.
  int trace_coalition = 2;
  double trace_epsilon = 1e-6;
};

// The outbox settings `config` asks for.
delivery::OutboxConfig OutboxConfigFrom(const ServeConfig& config);

// The production webhook sender: http::Fetch, POST, no redirects followed, the request's
// timeout for connecting and the whole exchange, certificates checked for https.
[[nodiscard]] Result<delivery::WebhookResponse> SendWebhook(
    const delivery::WebhookRequest& request);

// kInvalidArgument naming the file/variable and key for bad values.
[[nodiscard]] Result<ServeConfig> LoadServeConfig(const std::filesystem::path& data_dir);

// "host:port" -> ServerOptions address/port; kInvalidArgument otherwise.
[[nodiscard]] Status ApplyListen(const std::string& listen, http::ServerOptions& options);

// Runs `work` every `interval` on its own thread, and once more when destroyed (so a tree head
// covers everything appended before shutdown). A timer only wakes the work; what it does comes
// from the store and the injected clock. Stops and joins when destroyed.
class PeriodicTask {
 public:
  PeriodicTask(std::chrono::milliseconds interval, std::function<void()> work);
  ~PeriodicTask();
  PeriodicTask(const PeriodicTask&) = delete;
  PeriodicTask& operator=(const PeriodicTask&) = delete;

 private:
  void Run();
  std::chrono::milliseconds interval_;
  std::function<void()> work_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

// Signs the ledger's current tree head (if the log grew); logs a warning on failure.
void SignTreeHead(store::Store& store, const ledger::Ledger& ledger);

// Everything a running program needs, owned in dependency order.
class Program {
 public:
  // Creates DIR (mode 0700) with a new database and keys; returns the first admin token.
  // kConflict if DIR already holds a program.
  [[nodiscard]] static Result<std::string> Init(const std::filesystem::path& data_dir,
                                                const std::string& program_name,
                                                crypto::Random& random, const Clock& clock);
  // Opens an initialized DIR. kNotFound if it holds no program.
  // Also catches up on the release schedule: records releases that came due while no server
  // ran and adds waves for tiers created since.
  [[nodiscard]] static Result<std::unique_ptr<Program>> Open(
      const std::filesystem::path& data_dir, crypto::Random& random, const Clock& clock,
      uint64_t max_artifact_bytes = kDefaultMaxArtifactBytes,
      delivery::OutboxConfig outbox_config = {}, trace::TraceSettings trace_settings = {});

  // Records releases that have come due (the scheduler's tick); logs failures.
  void RunScheduler();
  // Writes fetch counts and raises alerts (the monitor's tick); logs alerts and failures.
  void RunMonitor();
  // Sends due push deliveries until none is left due (the outbox worker's tick); logs
  // outcomes and failures.
  void RunOutbox();

  store::Store& store() { return *store_; }
  registry::Registry& registry() { return *registry_; }
  const ledger::Ledger& ledger() const { return *ledger_; }
  http::Api& api() { return *api_; }
  advisory::AdvisoryService& advisories() { return *advisories_; }
  delivery::PullService& pull() { return *pull_; }
  const delivery::Fingerprints& fingerprints() const { return *fingerprints_; }
  policy::PolicyService& policies() { return *policies_; }
  delivery::PolicyInsight& insight() { return *insight_; }
  monitor::ActivityMonitor& monitor() { return *monitor_; }
  delivery::Outbox& outbox() { return *outbox_; }
  const advisory::Scheduler& scheduler() const { return *scheduler_; }
  const ledger::Recorder& recorder() const { return *recorder_; }
  const crypto::ProgramKeys& keys() const { return keys_; }

 private:
  Program() = default;
  crypto::ProgramKeys keys_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<ledger::Ledger> ledger_;
  std::unique_ptr<registry::Registry> registry_;
  std::unique_ptr<ledger::Recorder> recorder_;
  std::unique_ptr<advisory::AdvisoryService> advisories_;
  std::unique_ptr<advisory::Scheduler> scheduler_;
  std::unique_ptr<policy::PolicyService> policies_;
  std::unique_ptr<delivery::PolicyInsight> insight_;
  std::unique_ptr<monitor::ActivityMonitor> monitor_;
  std::unique_ptr<delivery::Fingerprints> fingerprints_;
  std::unique_ptr<delivery::FingerprintOperations> fingerprint_ops_;
  std::unique_ptr<delivery::PullService> pull_;
  std::unique_ptr<delivery::Outbox> outbox_;
  size_t outbox_batch_ = 1;
  std::unique_ptr<http::Api> api_;
};

}  // namespace forewarn::app
