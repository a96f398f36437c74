// File: tests/e2e/e2e_fixture.h
//
// The end-to-end fixture shared by the e2e test binaries: it runs the real forewarn binary
// (FOREWARN_BINARY, defined by the build) as CLI commands and as a server on a free port, which
// it can stop gracefully or kill -9, all inside a fresh temporary data directory.
//
//   class MyTest : public e2e::E2eFixture {};
//   TEST_F(MyTest, Story) {
//     const std::string admin = LastLine(Run({"init", "--data", data_}).out);
//     StartServer();                       // sets url_; Run() passes it as FOREWARN_URL
//     auto r = Run({"partner", "list"}, admin);
//     StopServer(SIGKILL);
//   }
#pragma once

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/types.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "http/transport.h"
#include "tests/testing/testing.h"

namespace forewarn::e2e {

struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// The whole file, or empty if it cannot be read.
std::string ReadFile(const std::filesystem::path& path);
// `arg` quoted for /bin/sh.
std::string Quote(const std::string& arg);
// The last line of `text` (trailing newlines ignored).
std::string LastLine(const std::string& text);
// Now plus `days` days, as RFC 3339 UTC with seconds.
std::string InDays(int days);

class E2eFixture : public ::testing::Test {
 protected:
  void TearDown() override;

  // Runs `forewarn ARGS...` with FOREWARN_URL=url_ (when a server runs) and FOREWARN_TOKEN, and
  // returns its exit code and output. Not thread-safe (one output file per fixture).
  RunResult Run(const std::vector<std::string>& args, const std::string& token = "");

  // Starts `forewarn serve --data data_ --listen 127.0.0.1:0 EXTRA...` with the variables of
  // `env` added to its environment, and waits (bounded) until it prints its URL into url_.
  // Each start logs to its own serve-N.log / serve-N.err in the temporary directory.
  void StartServer(const std::vector<std::string>& extra = {},
                   const std::vector<std::pair<std::string, std::string>>& env = {});

  // Sends `signal_number` to the server and reaps it; returns its exit code, or -1 when it
  // died of a signal (as after SIGKILL) or none runs.
  int StopServer(int signal_number = SIGTERM);

  // One API request to the running server with `token` as bearer; `body` is sent as JSON
  // unless null. An unreachable server is a test failure and returns status 0.
  http::ClientResponse Api(const std::string& method, const std::string& path,
                           const std::string& token, const nlohmann::json& body = nullptr) const;

  // Exports the ledger through the CLI into `file`, expects it to verify offline, and returns
  // the export.
  nlohmann::json ExportAndVerify(const std::string& admin, const std::string& file);

  static void ExpectOneLineError(const RunResult& r);

  // The stderr of the most recent server start.
  std::string ServerErrors() const;

  ::forewarn::testing::TempDir dir_;
  std::string data_ = (dir_.path() / "data").string();
  std::string url_;
  pid_t server_pid_ = -1;
  int starts_ = 0;
};

}  // namespace forewarn::e2e
