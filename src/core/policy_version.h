// File: core/policy_version.h
//
// One applied version of the program's policy (DESIGN.md capability 4). Versions are numbered
// from 1, never change once applied, and each is on the audit ledger with its text's SHA-256
// and its author. The language itself lives in policy/.
#pragma once

#include <string>

#include "core/clock.h"

namespace forewarn {

struct PolicyVersion {
  int version = 0;      // 1, 2, ...; 0 is the built-in default of a program that never applied one
  std::string text;     // the policy source exactly as applied
  std::string sha256;   // hex digest of text
  std::string author;   // the actor who applied it
  std::string comment;  // why, as given by the author
  TimePoint applied_at;
};

}  // namespace forewarn
