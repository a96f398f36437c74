// File: app/cli.h
//
// What every CLI command file shares: the deferred command, table printing, JSON-to-text, and
// the connection options of remote subcommands.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "app/client.h"
#include "core/result.h"

namespace forewarn::app {

// The command chosen on the command line; set by the CLI11 callbacks, run after parsing.
using Command = std::function<Status()>;

// The environment variable's value, or `fallback` if unset.
std::string EnvOr(const char* name, std::string fallback);

// Columns padded to their widest cell; the last column is not padded.
void PrintTable(const std::vector<std::string>& headers,
                const std::vector<std::vector<std::string>>& rows);

// A JSON value as short text: strings bare, null "-", arrays comma-joined.
std::string Str(const nlohmann::json& value);

// Prints `value` as indented JSON when `json_output` (--json), else calls `human`; Ok.
Status PrintJsonOr(bool json_output, const nlohmann::json& value,
                   const std::function<void()>& human);

// The whole content of a file named on the command line; kInvalidArgument if unreadable.
[[nodiscard]] Result<std::string> ReadFile(const std::string& path);

// Registers the connection options shared by every remote subcommand.
void AddEndpointOptions(CLI::App* cmd, Endpoint& endpoint);

}  // namespace forewarn::app
