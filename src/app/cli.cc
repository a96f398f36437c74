#include "app/cli.h"

#include <fmt/format.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

namespace forewarn::app {

using nlohmann::json;

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Fail(ErrorCode::kInvalidArgument, fmt::format("cannot read {}", path));
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

std::string EnvOr(const char* name, std::string fallback) {
  const char* value = std::getenv(name);
  return value != nullptr ? std::string(value) : std::move(fallback);
}

void PrintTable(const std::vector<std::string>& headers,
                const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths(headers.size());
  for (size_t i = 0; i < headers.size(); ++i) widths[i] = headers[i].size();
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size() && i < widths.size(); ++i) {
      widths[i] = std::max(widths[i], row[i].size());
    }
  }
  auto print_row = [&](const std::vector<std::string>& row) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += i + 1 == row.size() ? row[i] : fmt::format("{:<{}}  ", row[i], widths[i]);
    }
    std::cout << line << "\n";
  };
  print_row(headers);
  for (const auto& row : rows) print_row(row);
}

Status PrintJsonOr(bool json_output, const json& value, const std::function<void()>& human) {
  if (json_output) {
    std::cout << value.dump(2) << "\n";
  } else {
    human();
  }
  return Ok();
}

std::string Str(const json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_null()) return "-";
  if (value.is_array()) {
    std::string joined;
    for (const auto& item : value) joined += (joined.empty() ? "" : ",") + Str(item);
    return joined.empty() ? "-" : joined;
  }
  return value.dump();
}

// Registers the connection options shared by every remote subcommand.
void AddEndpointOptions(CLI::App* cmd, Endpoint& endpoint) {
  cmd->add_option("--url", endpoint.url, "Server URL (env FOREWARN_URL)");
  cmd->add_option("--token", endpoint.token, "Bearer token (env FOREWARN_TOKEN)");
  cmd->add_option("--ca-file", endpoint.ca_file, "Trust this PEM CA bundle for https");
  cmd->add_flag("--insecure", endpoint.insecure, "Skip TLS certificate checks (testing only)");
}

}  // namespace forewarn::app
