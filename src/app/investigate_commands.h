// File: app/investigate_commands.h
//
// `forewarn investigate leak --advisory ID --file LEAKED [--format json|text]`: traces a
// leaked document to partners through the server (POST /api/v1/advisories/{id}/trace) and
// prints the accused partners with their false-accusation bounds and the canary hits.
#pragma once

#include <CLI/CLI.hpp>

#include "app/cli.h"

namespace forewarn::app {

void AddInvestigateCommands(CLI::App& app, Command& command);

}  // namespace forewarn::app
