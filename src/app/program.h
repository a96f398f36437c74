// File: app/program.h
//
// Opening a program's data directory: configuration (file + environment + flags), the store,
// the keys, and the services built on them. main() is the composition root; this is the part
// of it that `init`, `serve` and `demo` share.
#pragma once

#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "core/clock.h"
#include "core/result.h"
#include "crypto/crypto.h"
#include "http/api.h"
#include "http/transport.h"
#include "ledger/ledger.h"
#include "registry/registry.h"
#include "store/store.h"

namespace forewarn::app {

// Server settings: defaults, then DIR/forewarn.json, then FOREWARN_* environment variables,
// then command-line flags (applied by the caller), later ones winning.
struct ServeConfig {
  std::string listen = "127.0.0.1:8080";
  int threads = 2;
  size_t max_body_bytes = 1 << 20;
  int read_timeout_seconds = 30;
  std::optional<std::string> tls_cert;
  std::optional<std::string> tls_key;
  std::string log_level = "info";
  int tree_head_interval_seconds = 60;  // how often the ledger's tree head is signed
};

// kInvalidArgument naming the file/variable and key for bad values.
[[nodiscard]] Result<ServeConfig> LoadServeConfig(const std::filesystem::path& data_dir);

// "host:port" -> ServerOptions address/port; kInvalidArgument otherwise.
[[nodiscard]] Status ApplyListen(const std::string& listen, http::ServerOptions& options);

// Signs the ledger's tree head every `interval` on its own thread (only if the log grew), so
// auditors always find a recent signed head even when nobody asks for one. Stops and joins
// when destroyed.
class PeriodicHeadSigner {
 public:
  PeriodicHeadSigner(store::Store& store, const ledger::Ledger& ledger,
                     std::chrono::seconds interval);
  ~PeriodicHeadSigner();
  PeriodicHeadSigner(const PeriodicHeadSigner&) = delete;
  PeriodicHeadSigner& operator=(const PeriodicHeadSigner&) = delete;

  // Signs once now; used by the thread and at shutdown.
  void SignNow();

 private:
  void Run();
  store::Store& store_;
  const ledger::Ledger& ledger_;
  std::chrono::seconds interval_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

// Everything a running program needs, owned in dependency order.
class Program {
 public:
  // Creates DIR (mode 0700) with a new database and keys; returns the first admin token.
  // kConflict if DIR already holds a program.
  [[nodiscard]] static Result<std::string> Init(const std::filesystem::path& data_dir,
                                                const std::string& program_name,
                                                crypto::Random& random, const Clock& clock);
  // Opens an initialized DIR. kNotFound if it holds no program.
  [[nodiscard]] static Result<std::unique_ptr<Program>> Open(const std::filesystem::path& data_dir,
                                                             crypto::Random& random,
                                                             const Clock& clock);

  store::Store& store() { return *store_; }
  registry::Registry& registry() { return *registry_; }
  const ledger::Ledger& ledger() const { return *ledger_; }
  http::Api& api() { return *api_; }
  const crypto::ProgramKeys& keys() const { return keys_; }

 private:
  Program() = default;
  crypto::ProgramKeys keys_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<ledger::Ledger> ledger_;
  std::unique_ptr<registry::Registry> registry_;
  std::unique_ptr<http::Api> api_;
};

}  // namespace forewarn::app
