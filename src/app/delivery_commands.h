// File: app/delivery_commands.h
//
// The CLI for push delivery (`forewarn delivery list|show|retry|ack|receipt`, `forewarn webhook
// set|rotate|remove`). Operators watch and retry deliveries and approve partners' webhooks; a
// partner token lists its own deliveries, acknowledges them and fetches their receipts. Each
// talks to a running server's API.
#pragma once

#include <CLI/CLI.hpp>

#include "app/cli.h"

namespace forewarn::app {

// Adds the subcommands to `app`; the chosen one sets `command`. Options live as long as `app`.
void AddDeliveryCommands(CLI::App& app, Command& command);

}  // namespace forewarn::app
