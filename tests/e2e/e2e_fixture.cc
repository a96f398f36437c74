#include "tests/e2e/e2e_fixture.h"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

namespace forewarn::e2e {

using nlohmann::json;

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string Quote(const std::string& arg) {
  std::string quoted = "'";
  for (char c : arg) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

std::string LastLine(const std::string& text) {
  std::string trimmed = text;
  while (!trimmed.empty() && trimmed.back() == '\n') trimmed.pop_back();
  return trimmed.substr(trimmed.rfind('\n') == std::string::npos ? 0 : trimmed.rfind('\n') + 1);
}

std::string InDays(int days) {
  const auto t = std::chrono::system_clock::now() + std::chrono::hours{24 * days};
  const std::time_t seconds = std::chrono::system_clock::to_time_t(t);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

void E2eFixture::TearDown() { StopServer(); }

RunResult E2eFixture::Run(const std::vector<std::string>& args, const std::string& token) {
  std::string command;
  if (!url_.empty()) command += "FOREWARN_URL=" + Quote(url_) + " ";
  command += "FOREWARN_TOKEN=" + Quote(token) + " " + Quote(FOREWARN_BINARY);
  for (const auto& arg : args) command += " " + Quote(arg);
  const auto out = dir_.path() / "out.txt";
  const auto err = dir_.path() / "err.txt";
  command += " >" + Quote(out.string()) + " 2>" + Quote(err.string()) + " </dev/null";
  const int status = std::system(command.c_str());
  RunResult result;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  result.out = ReadFile(out);
  result.err = ReadFile(err);
  return result;
}

void E2eFixture::StartServer(const std::vector<std::string>& extra,
                             const std::vector<std::pair<std::string, std::string>>& env) {
  // A fresh log per start, so an earlier server's URL is never read by mistake.
  ++starts_;
  const auto log = dir_.path() / ("serve-" + std::to_string(starts_) + ".log");
  const auto err_log = dir_.path() / ("serve-" + std::to_string(starts_) + ".err");
  std::fflush(nullptr);  // the child must not inherit and re-flush our buffered output
  server_pid_ = fork();
  ASSERT_GE(server_pid_, 0);
  if (server_pid_ == 0) {
    FILE* out = std::freopen(log.c_str(), "w", stdout);
    FILE* err = std::freopen(err_log.c_str(), "w", stderr);
    (void)out;
    (void)err;
    for (const auto& [name, value] : env) setenv(name.c_str(), value.c_str(), 1);
    std::vector<std::string> args = {FOREWARN_BINARY, "serve",    "--data",
                                     data_,           "--listen", "127.0.0.1:0"};
    args.insert(args.end(), extra.begin(), extra.end());
    std::vector<char*> argv;
    for (auto& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    execv(FOREWARN_BINARY, argv.data());
    _exit(127);
  }
  const std::regex listening("listening on (https?://127\\.0\\.0\\.1:[0-9]+)");
  // Readiness poll, bounded (30 s: opening a large program under a sanitizer takes a while).
  for (int attempt = 0; attempt < 600 && url_.empty(); ++attempt) {
    std::smatch match;
    const std::string text = ReadFile(log);
    if (std::regex_search(text, match, listening)) {
      url_ = match[1];
    } else {
      int status = 0;
      if (waitpid(server_pid_, &status, WNOHANG) == server_pid_) {
        server_pid_ = -1;
        break;  // it exited: no point in waiting
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  ASSERT_FALSE(url_.empty()) << "server did not start: " << ReadFile(err_log);
}

int E2eFixture::StopServer(int signal_number) {
  if (server_pid_ <= 0) return -1;
  kill(server_pid_, signal_number);
  url_.clear();
  int status = 0;
  waitpid(server_pid_, &status, 0);
  server_pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

http::ClientResponse E2eFixture::Api(const std::string& method, const std::string& path,
                                     const std::string& token, const json& body) const {
  http::ClientRequest request;
  request.method = method;
  request.url = url_ + path;
  request.headers = {{"Authorization", "Bearer " + token}};
  if (!body.is_null()) {
    request.headers.emplace_back("Content-Type", "application/json");
    request.body = body.dump();
  }
  auto response = http::Fetch(request);
  EXPECT_TRUE(response.has_value())
      << method << " " << path << ": " << (response ? "" : response.error().message);
  return response ? *response : http::ClientResponse{};
}

json E2eFixture::ExportAndVerify(const std::string& admin, const std::string& file) {
  auto exported = Run({"audit", "export", "--out", file}, admin);
  EXPECT_EQ(exported.exit_code, 0) << exported.err;
  auto verify = Run({"audit", "verify", file});
  EXPECT_EQ(verify.exit_code, 0) << verify.err;
  return json::parse(ReadFile(file), nullptr, false);
}

void E2eFixture::ExpectOneLineError(const RunResult& r) {
  EXPECT_FALSE(r.err.empty());
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_EQ(r.err.rfind("forewarn: ", 0), 0u) << r.err;
}

std::string E2eFixture::ServerErrors() const {
  return ReadFile(dir_.path() / ("serve-" + std::to_string(starts_) + ".err"));
}

}  // namespace forewarn::e2e
