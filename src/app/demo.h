// File: app/demo.h
//
// The demo scenario (DESIGN.md "Demo scenario"), seeded into a fresh data directory: 12
// partners in 6 countries across the `early` and `standard` tiers, some labelled
// `poc-restricted`, each with a partner token; and the story's advisory, public tomorrow, with
// waves at day -14 (advisory and detection guidance, every tier), day -5 (PoC for the early
// tier, with a written description as its alternative form) and day -1 (a revised PoC). The
// story is seeded on its own clock, so its records carry the story's times. At day -5 the
// early-tier partners that receive PoC code download their fingerprinted copies; one of them
// (Tailspin Security) leaks its copy: DATA/evidence/leaked_portal_poc.py is that copy without
// its comments, and DATA/evidence/indicators.json lists what the attacks from day -1 showed
// (the web shell name, its URL and the user-agent of that copy's canaries), with the time of
// first exploitation.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/clock.h"
#include "core/result.h"
#include "crypto/crypto.h"

namespace forewarn::app {

// Creates the program in `data_dir` (which must not hold one) and seeds it. Returns the
// scenario's facts: {"admin_token","advisory","leaked_file","indicators_file","leaker",
// "partners":[{"id","name","country","tier","labels","token"}]} (the leak's fields are null
// when the demo was built without the sample artifacts).
[[nodiscard]] Result<nlohmann::json> SeedDemo(const std::filesystem::path& data_dir,
                                              crypto::Random& random, const Clock& clock);

}  // namespace forewarn::app
