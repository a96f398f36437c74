#include "app/program.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

namespace forewarn::app {
namespace {

constexpr const char* kDatabaseFile = "forewarn.db";

Status SetInt(const std::string& source, const std::string& key, const nlohmann::json& value,
              int min, int max, int& out) {
  if (!value.is_number_integer() || value.get<int64_t>() < min || value.get<int64_t>() > max) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("{}: '{}' must be an integer from {} to {}", source, key, min, max));
  }
  out = value.get<int>();
  return Ok();
}

Status ApplySetting(const std::string& source, const std::string& key, const nlohmann::json& value,
                    ServeConfig& config) {
  auto string_value = [&]() -> Result<std::string> {
    if (!value.is_string()) {
      return Fail(ErrorCode::kInvalidArgument,
                  fmt::format("{}: '{}' must be a string", source, key));
    }
    return value.get<std::string>();
  };
  if (key == "listen") {
    FW_ASSIGN_OR_RETURN(config.listen, string_value());
  } else if (key == "threads") {
    FW_TRY(SetInt(source, key, value, 1, 64, config.threads));
  } else if (key == "max_body_bytes") {
    int bytes = 0;
    FW_TRY(SetInt(source, key, value, 1024, 1 << 30, bytes));
    config.max_body_bytes = static_cast<size_t>(bytes);
  } else if (key == "read_timeout_seconds") {
    FW_TRY(SetInt(source, key, value, 1, 3600, config.read_timeout_seconds));
  } else if (key == "tls_cert") {
    FW_ASSIGN_OR_RETURN(config.tls_cert, string_value());
  } else if (key == "tls_key") {
    FW_ASSIGN_OR_RETURN(config.tls_key, string_value());
  } else if (key == "tree_head_interval_seconds") {
    FW_TRY(SetInt(source, key, value, 1, 86400, config.tree_head_interval_seconds));
  } else if (key == "scheduler_interval_seconds") {
    FW_TRY(SetInt(source, key, value, 1, 3600, config.scheduler_interval_seconds));
  } else if (key == "monitor_interval_seconds") {
    FW_TRY(SetInt(source, key, value, 1, 3600, config.monitor_interval_seconds));
  } else if (key == "outbox_interval_seconds") {
    FW_TRY(SetInt(source, key, value, 1, 3600, config.outbox_interval_seconds));
  } else if (key == "webhook_timeout_seconds") {
    FW_TRY(SetInt(source, key, value, 1, 300, config.webhook_timeout_seconds));
  } else if (key == "webhook_initial_retry_seconds") {
    FW_TRY(SetInt(source, key, value, 1, 3600, config.webhook_initial_retry_seconds));
  } else if (key == "webhook_retry_horizon_seconds") {
    FW_TRY(SetInt(source, key, value, 60, 30 * 86400, config.webhook_retry_horizon_seconds));
  } else if (key == "webhook_parallelism") {
    FW_TRY(SetInt(source, key, value, 1, 64, config.webhook_parallelism));
  } else if (key == "trace_coalition") {
    FW_TRY(SetInt(source, key, value, 1, 10, config.trace_coalition));
  } else if (key == "trace_epsilon") {
    double epsilon = 0;
    if (value.is_number()) {
      epsilon = value.get<double>();
    } else if (value.is_string()) {
      const std::string text = value.get<std::string>();
      auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), epsilon);
      if (ec != std::errc{} || ptr != text.data() + text.size()) epsilon = -1;
    } else {
      epsilon = -1;
    }
    if (!(epsilon > 0.0 && epsilon < 0.5)) {
      return Fail(ErrorCode::kInvalidArgument,
                  fmt::format("{}: 'trace_epsilon' must be a number in (0, 0.5)", source));
    }
    config.trace_epsilon = epsilon;
  } else if (key == "max_artifact_bytes") {
    FW_TRY(SetInt(source, key, value, 1, 1 << 30, config.max_artifact_bytes));
  } else if (key == "log_level") {
    FW_ASSIGN_OR_RETURN(config.log_level, string_value());
    static const std::set<std::string> kLevels = {"trace", "debug",    "info", "warn",
                                                  "error", "critical", "off"};
    if (kLevels.count(config.log_level) == 0) {
      return Fail(ErrorCode::kInvalidArgument,
                  fmt::format("{}: 'log_level' must be trace, debug, info, warn, error, "
                              "critical or off",
                              source));
    }
  } else {
    return Fail(ErrorCode::kInvalidArgument, fmt::format("{}: unknown setting '{}'", source, key));
  }
  return Ok();
}

}  // namespace

Result<ServeConfig> LoadServeConfig(const std::filesystem::path& data_dir) {
  ServeConfig config;
  const auto file = data_dir / "forewarn.json";
  if (std::filesystem::exists(file)) {
    std::ifstream in(file);
    std::stringstream text;
    text << in.rdbuf();
    const auto parsed = nlohmann::json::parse(text.str(), nullptr, false);
    if (parsed.is_discarded() || !parsed.is_object()) {
      return Fail(ErrorCode::kInvalidArgument, fmt::format("{}: not a JSON object", file.string()));
    }
    for (const auto& [key, value] : parsed.items()) {
      FW_TRY(ApplySetting(file.string(), key, value, config));
    }
  }
  // Environment overrides: FOREWARN_LISTEN, FOREWARN_THREADS, FOREWARN_TLS_CERT, ...
  const std::pair<const char*, const char*> env_keys[] = {
      {"FOREWARN_LISTEN", "listen"},
      {"FOREWARN_THREADS", "threads"},
      {"FOREWARN_MAX_BODY_BYTES", "max_body_bytes"},
      {"FOREWARN_READ_TIMEOUT_SECONDS", "read_timeout_seconds"},
      {"FOREWARN_TLS_CERT", "tls_cert"},
      {"FOREWARN_TLS_KEY", "tls_key"},
      {"FOREWARN_LOG_LEVEL", "log_level"},
      {"FOREWARN_MAX_ARTIFACT_BYTES", "max_artifact_bytes"},
      {"FOREWARN_SCHEDULER_INTERVAL_SECONDS", "scheduler_interval_seconds"},
      {"FOREWARN_MONITOR_INTERVAL_SECONDS", "monitor_interval_seconds"},
      {"FOREWARN_OUTBOX_INTERVAL_SECONDS", "outbox_interval_seconds"},
      {"FOREWARN_WEBHOOK_TIMEOUT_SECONDS", "webhook_timeout_seconds"},
      {"FOREWARN_WEBHOOK_INITIAL_RETRY_SECONDS", "webhook_initial_retry_seconds"},
      {"FOREWARN_WEBHOOK_RETRY_HORIZON_SECONDS", "webhook_retry_horizon_seconds"},
      {"FOREWARN_WEBHOOK_PARALLELISM", "webhook_parallelism"},
      {"FOREWARN_TRACE_COALITION", "trace_coalition"},
      {"FOREWARN_TRACE_EPSILON", "trace_epsilon"},
      {"FOREWARN_TREE_HEAD_INTERVAL_SECONDS", "tree_head_interval_seconds"}};
  for (const auto& [variable, key] : env_keys) {
    const char* raw = std::getenv(variable);  // read once at start-up, before threads exist
    if (raw == nullptr) continue;
    const std::string text = raw;
    nlohmann::json value = text;
    static const std::set<std::string> kIntegerKeys = {"threads",
                                                       "max_body_bytes",
                                                       "read_timeout_seconds",
                                                       "max_artifact_bytes",
                                                       "tree_head_interval_seconds",
                                                       "scheduler_interval_seconds",
                                                       "monitor_interval_seconds",
                                                       "outbox_interval_seconds",
                                                       "webhook_timeout_seconds",
                                                       "webhook_initial_retry_seconds",
                                                       "webhook_retry_horizon_seconds",
                                                       "webhook_parallelism",
                                                       "trace_coalition"};
    int number = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
    if (kIntegerKeys.count(key) > 0 && ec == std::errc{} && ptr == text.data() + text.size()) {
      value = number;
    }
    FW_TRY(ApplySetting(variable, key, value, config));
  }
  return config;
}

delivery::OutboxConfig OutboxConfigFrom(const ServeConfig& config) {
  delivery::OutboxConfig out;
  out.timeout = std::chrono::seconds{config.webhook_timeout_seconds};
  out.retry.initial = std::chrono::seconds{config.webhook_initial_retry_seconds};
  out.retry.horizon = std::chrono::seconds{config.webhook_retry_horizon_seconds};
  out.parallelism = config.webhook_parallelism;
  // A claim outlives the longest request by a margin, so a live worker never loses its row.
  out.lease = std::max(std::chrono::seconds{120}, 4 * out.timeout);
  return out;
}

// Webhook requests go out through the HTTP client: no redirects, one deadline for connecting
// and the exchange, certificates checked.
Result<delivery::WebhookResponse> SendWebhook(const delivery::WebhookRequest& request) {
  http::ClientRequest out{.method = "POST",
                          .url = request.url,
                          .headers = request.headers,
                          .body = request.body,
                          .timeout = request.timeout};
  FW_ASSIGN_OR_RETURN(auto response, http::Fetch(out));
  return delivery::WebhookResponse{.status = response.status, .body = std::move(response.body)};
}

Status ApplyListen(const std::string& listen, http::ServerOptions& options) {
  const size_t colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("listen address '{}' must be HOST:PORT", listen));
  }
  unsigned port = 0;
  const std::string port_text = listen.substr(colon + 1);
  auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc{} || ptr != port_text.data() + port_text.size() || port > 65535) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("listen address '{}' has an invalid port", listen));
  }
  std::string host = listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  options.address = host;
  options.port = static_cast<uint16_t>(port);
  return Ok();
}

PeriodicTask::PeriodicTask(std::chrono::milliseconds interval, std::function<void()> work)
    : interval_(interval), work_(std::move(work)), thread_([this] { Run(); }) {}

PeriodicTask::~PeriodicTask() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
  work_();
}

void PeriodicTask::Run() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    if (wake_.wait_for(lock, interval_, [this] { return stopping_; })) break;
    lock.unlock();
    work_();
    lock.lock();
  }
}

void SignTreeHead(store::Store& store, const ledger::Ledger& ledger) {
  auto signed_head = [&]() -> Status {
    FW_ASSIGN_OR_RETURN(auto tx, store.Begin(store::TxMode::kWrite));
    FW_TRY(ledger.SignHead(*tx));
    return tx->Commit();
  }();
  if (!signed_head) {
    spdlog::warn("ledger.head_signing_failed error=\"{}\"", signed_head.error().message);
  }
}

namespace {

// Creates the program's files in `data_dir`; the caller removes them if this fails.
Result<std::string> CreateProgramFiles(const std::filesystem::path& data_dir,
                                       const std::string& program_name, crypto::Random& random,
                                       const Clock& clock) {
  auto keys = crypto::GenerateProgramKeys(random);
  FW_TRY(crypto::SaveProgramKeys(keys, data_dir));
  FW_ASSIGN_OR_RETURN(auto store, store::OpenSqlite(data_dir / kDatabaseFile));
  ::chmod((data_dir / kDatabaseFile).c_str(), 0600);
  ledger::Ledger ledger(keys.signing, clock);
  registry::Registry registry(*store, ledger, clock, random, keys.program_secret);
  FW_ASSIGN_OR_RETURN(auto issued, registry.InitializeProgram(program_name));
  return issued.token;
}

bool IsValidUtf8(const std::string& text) {
  try {
    (void)nlohmann::json(text).dump();  // the strict handler throws on invalid UTF-8
    return true;
  } catch (const nlohmann::json::type_error&) {
    return false;
  }
}

Status CheckProgramName(const std::string& name) {
  const bool printable = std::all_of(name.begin(), name.end(), [](char c) {
    return static_cast<unsigned char>(c) >= 0x20 && c != 0x7f;
  });
  if (name.empty() || name.size() > 200 || !printable || !IsValidUtf8(name)) {
    return Fail(ErrorCode::kInvalidArgument,
                "program name must be 1-200 bytes of printable UTF-8 text");
  }
  return Ok();
}

}  // namespace

Result<std::string> Program::Init(const std::filesystem::path& data_dir,
                                  const std::string& program_name, crypto::Random& random,
                                  const Clock& clock) {
  FW_TRY(CheckProgramName(program_name));
  std::error_code ec;
  if (std::filesystem::exists(data_dir / kDatabaseFile, ec) ||
      std::filesystem::exists(data_dir / "signing.key", ec)) {
    return Fail(ErrorCode::kConflict, fmt::format("{} already holds a program", data_dir.string()));
  }
  const bool created_dir = !std::filesystem::exists(data_dir, ec);
  std::filesystem::create_directories(data_dir, ec);
  if (ec) {
    return Fail(ErrorCode::kUnavailable,
                fmt::format("cannot create {}: {}", data_dir.string(), ec.message()));
  }
  if (created_dir) ::chmod(data_dir.c_str(), 0700);
  auto token = CreateProgramFiles(data_dir, program_name, random, clock);
  if (!token) {
    // Leave nothing half-made behind: a retry must find an empty place.
    for (const char* name : {"forewarn.db", "forewarn.db-wal", "forewarn.db-shm", "signing.key",
                             "signing.pub", "box.key", "box.pub", "program.secret"}) {
      std::filesystem::remove(data_dir / name, ec);
    }
    if (created_dir) std::filesystem::remove(data_dir, ec);
  }
  return token;
}

Result<std::unique_ptr<Program>> Program::Open(const std::filesystem::path& data_dir,
                                               crypto::Random& random, const Clock& clock,
                                               uint64_t max_artifact_bytes,
                                               delivery::OutboxConfig outbox_config,
                                               trace::TraceSettings trace_settings) {
  FW_TRY(trace::ValidateTraceSettings(trace_settings));
  if (!std::filesystem::exists(data_dir / kDatabaseFile)) {
    return Fail(ErrorCode::kNotFound,
                fmt::format("{} holds no program; run 'forewarn init --data {}' first",
                            data_dir.string(), data_dir.string()));
  }
  auto program = std::unique_ptr<Program>(new Program());
  FW_ASSIGN_OR_RETURN(program->keys_, crypto::LoadProgramKeys(data_dir));
  FW_ASSIGN_OR_RETURN(program->store_, store::OpenSqlite(data_dir / kDatabaseFile));
  {
    FW_ASSIGN_OR_RETURN(auto tx, program->store_->Begin(store::TxMode::kRead));
    FW_ASSIGN_OR_RETURN(auto name, tx->GetSetting("program.name"));
    if (!name) {
      return Fail(ErrorCode::kFailedPrecondition,
                  fmt::format("{} holds an incomplete program (init did not finish); remove it "
                              "and run init again",
                              data_dir.string()));
    }
  }
  program->ledger_ = std::make_unique<ledger::Ledger>(program->keys_.signing, clock);
  program->registry_ = std::make_unique<registry::Registry>(
      *program->store_, *program->ledger_, clock, random, program->keys_.program_secret);
  program->recorder_ = std::make_unique<ledger::Recorder>(*program->store_, *program->ledger_);
  program->advisories_ = std::make_unique<advisory::AdvisoryService>(
      *program->store_, *program->ledger_, clock, random, max_artifact_bytes);
  program->scheduler_ =
      std::make_unique<advisory::Scheduler>(*program->store_, *program->ledger_, clock);
  program->policies_ =
      std::make_unique<policy::PolicyService>(*program->store_, *program->ledger_, clock);
  program->insight_ =
      std::make_unique<delivery::PolicyInsight>(*program->store_, *program->policies_, clock);
  program->monitor_ = std::make_unique<monitor::ActivityMonitor>(*program->store_,
                                                                 *program->ledger_, clock, random);
  program->pull_ = std::make_unique<delivery::PullService>(
      *program->store_, *program->ledger_, *program->recorder_, clock, random, *program->policies_,
      crypto::DeriveKey(program->keys_.program_secret, "feedcurs", 1), program->monitor_.get(),
      &program->keys_.signing);
  program->fingerprints_ = std::make_unique<delivery::Fingerprints>(
      crypto::DeriveKey(program->keys_.program_secret, "fwtrace", 1), trace_settings);
  program->pull_->UseFingerprints(program->fingerprints_.get());
  program->fingerprint_ops_ = std::make_unique<delivery::FingerprintOperations>(
      *program->store_, *program->recorder_, *program->fingerprints_);
  program->outbox_batch_ = std::max<size_t>(outbox_config.batch, 1);
  program->outbox_ = std::make_unique<delivery::Outbox>(*program->store_, *program->ledger_, clock,
                                                        random, program->keys_, *program->pull_,
                                                        SendWebhook, std::move(outbox_config));
  // Deliveries are enqueued in the transactions that make them due.
  delivery::Outbox* outbox = program->outbox_.get();
  program->scheduler_->OnWaveOpened([outbox](store::Transaction& tx, const Release& wave) {
    return outbox->EnqueueWave(tx, wave);
  });
  program->policies_->OnApplied(
      [outbox](store::Transaction& tx, const policy::Policy& before, const policy::Policy& after,
               int version) { return outbox->EnqueuePolicyGrants(tx, before, after, version); });
  program->pull_->OnTermsAccepted([outbox](store::Transaction& tx, const Partner& partner,
                                           const std::string& advisory_id, int revision) {
    return outbox->EnqueueTermsAccepted(tx, partner, advisory_id, revision);
  });
  // With the embedded store this process alone owns the outbox: a claim left by a previous
  // run (killed while sending) goes back to the queue and is sent again, same idempotency key.
  FW_TRY(program->outbox_->ReleaseOrphanedClaims());
  program->api_ = std::make_unique<http::Api>(
      http::ApiContext{.store = *program->store_,
                       .registry = *program->registry_,
                       .ledger = *program->ledger_,
                       .clock = clock,
                       .program_public_key = program->keys_.signing.public_key,
                       .advisories = program->advisories_.get(),
                       .pull = program->pull_.get(),
                       .policies = program->policies_.get(),
                       .insight = program->insight_.get(),
                       .monitor = program->monitor_.get(),
                       .outbox = program->outbox_.get(),
                       .fingerprints = program->fingerprint_ops_.get()});
  FW_TRY(program->advisories_->ReconcileTiers("system"));
  program->RunScheduler();
  return program;
}

void Program::RunScheduler() {
  auto recorded = scheduler_->RunDue();
  if (!recorded) {
    spdlog::warn("scheduler.failed error=\"{}\"", recorded.error().message);
  } else if (*recorded > 0) {
    spdlog::info("scheduler.recorded releases={}", *recorded);
  }
}

void Program::RunOutbox() {
  for (;;) {
    auto stats = outbox_->RunOnce();
    if (!stats) {
      spdlog::warn("outbox.failed error=\"{}\"", stats.error().message);
      return;
    }
    if (stats->claimed > 0) {
      spdlog::info("outbox.run claimed={} delivered={} retried={} failed={} cancelled={}",
                   stats->claimed, stats->delivered, stats->retried, stats->failed,
                   stats->cancelled);
    }
    if (stats->errors > 0) {
      spdlog::warn("outbox.errors count={} last=\"{}\"", stats->errors, stats->last_error);
      return;
    }
    // A full batch means more may be due right now.
    if (stats->claimed < outbox_batch_) return;
  }
}

void Program::RunMonitor() {
  auto alerts = monitor_->Flush();
  if (!alerts) {
    spdlog::warn("monitor.failed error=\"{}\"", alerts.error().message);
    return;
  }
  for (const auto& alert : *alerts) {
    spdlog::warn("alert.raised id={} partner={} kind={}", alert.id, alert.partner_id,
                 ToString(alert.kind));
  }
}

}  // namespace forewarn::app
