// File: app/advisory_commands.h
//
// The CLI for advisories, artifacts, the partner feed and packages (`forewarn advisory ...`,
// `forewarn artifact ...`, `forewarn feed`). Each talks to a running server's API.
#pragma once

#include <CLI/CLI.hpp>

#include "app/cli.h"

namespace forewarn::app {

// Adds the subcommands to `app`; the chosen one sets `command`. Options live as long as `app`.
void AddAdvisoryCommands(CLI::App& app, Command& command);

}  // namespace forewarn::app
