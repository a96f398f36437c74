// File: app/policy_commands.h
//
// The CLI for the policy and alerts (`forewarn policy validate|apply|show|history|explain|
// preview|restrict|unrestrict`, `forewarn alert list|show|ack`). Each talks to a running
// server's API.
#pragma once

#include <CLI/CLI.hpp>

#include "app/cli.h"

namespace forewarn::app {

// Adds the subcommands to `app`; the chosen one sets `command`. Options live as long as `app`.
void AddPolicyCommands(CLI::App& app, Command& command);

}  // namespace forewarn::app
