// File: app/demo.h
//
// The demo scenario (DESIGN.md "Demo scenario"), seeded into a fresh data directory: 12
// partners in 6 countries across the `early` and `standard` tiers, some labelled
// `poc-restricted`, each with a partner token; and the story's advisory, public tomorrow, with
// waves at day -14 (advisory and detection guidance, every tier), day -5 (PoC for the early
// tier, with a written description as its alternative form) and day -1 (a revised PoC). The
// story is seeded on its own clock, so its records carry the story's times. The leak and the
// indicators join as fingerprinting and investigation land.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/clock.h"
#include "core/result.h"
#include "crypto/crypto.h"

namespace forewarn::app {

// Creates the program in `data_dir` (which must not hold one) and seeds it. Returns the
// scenario's facts: {"admin_token","advisory","leaked_file","indicators_file","leaker",
// "partners":[{"id","name","country","tier","labels","token"}]}; fields of capabilities not
// yet present are null.
[[nodiscard]] Result<nlohmann::json> SeedDemo(const std::filesystem::path& data_dir,
                                              crypto::Random& random, const Clock& clock);

}  // namespace forewarn::app
