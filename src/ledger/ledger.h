// File: ledger/ledger.h
//
// The tamper-evident audit ledger (DESIGN.md capability 9): an append-only Merkle log with
// RFC 9162 hashing, Ed25519-signed tree heads, inclusion and consistency proofs, export and
// offline verification. Appends happen inside the caller's store transaction, so an event's
// entry exists if and only if the change it records committed.
//
//   ledger::Ledger ledger(keys.signing, clock);
//   FW_ASSIGN_OR_RETURN(auto tx, store.Begin(store::TxMode::kWrite));
//   FW_TRY(tx->UpdatePartner(p));
//   FW_TRY(ledger.Append(*tx, {.type = "partner.suspended", .actor = who, .subject = p.id}));
//   FW_TRY(tx->Commit());
//
// Thread safety: Ledger is immutable after construction; its methods may be called from many
// threads, each with its own transaction (the store serializes writers).
#pragma once

#include <cstdint>
#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "crypto/crypto.h"
#include "ledger/merkle.h"
#include "store/store.h"

namespace forewarn::ledger {

// A security-relevant event. `details` holds small, non-secret facts (ids, statuses, reasons,
// hashes) and is stored in the leaf; bulky or secret content is represented only by
// `payload_sha256` (hex), the digest of the exact bytes delivered or changed.
struct Event {
  std::string type;     // "partner.created", "partner.suspended", "token.created", ...
  std::string actor;    // "token:<id>", "system", "init"
  std::string subject;  // the object's id: "prt_…", "tok_…"
  nlohmann::json details = nlohmann::json::object();
  std::string payload_sha256;  // optional
};

// Where an appended event landed.
struct AppendResult {
  uint64_t index = 0;
  std::string leaf_hash;  // 32 raw bytes
};

class Ledger {
 public:
  // `signing_key` (the program key) and `clock` must outlive the Ledger.
  Ledger(const crypto::SigningKeyPair& signing_key, const Clock& clock);

  // Appends `event` as the next leaf inside `tx` (which must be a write transaction). The leaf
  // is canonical JSON: {"actor","details","index","payload_sha256","prev_root","subject",
  // "time","type","v":1} with sorted keys, where prev_root is the hex root of the tree before
  // this leaf; payload_sha256 is "" when the event has none. O(log n) store reads and writes.
  // kInvalidArgument if type is empty, details is not a JSON object, or a string is not valid
  // UTF-8; kInternal if a stored node is missing; store errors unchanged. On error `tx` may
  // hold part of the append: roll it back, do not commit it.
  [[nodiscard]] Result<AppendResult> Append(store::Transaction& tx, const Event& event) const;

  // Signs the current tree (size, root, now) and stores the head; returns it. If the tree did
  // not grow since the latest head, returns the latest head unchanged. The timestamp is
  // truncated to whole microseconds. kInternal if the stored tree no longer matches the latest
  // head (the log was altered) or a node is missing.
  [[nodiscard]] Result<store::TreeHead> SignHead(store::Transaction& tx) const;

  // The latest signed head, or kNotFound if none was signed yet.
  [[nodiscard]] Result<store::TreeHead> LatestHead(store::Transaction& tx) const;

  // Audit path for leaf `index` in the tree of size `tree_size` (<= current size).
  // kInvalidArgument if index >= tree_size or tree_size exceeds the log.
  [[nodiscard]] Result<std::vector<std::string>> InclusionProof(store::Transaction& tx,
                                                                uint64_t index,
                                                                uint64_t tree_size) const;
  [[nodiscard]] Result<std::vector<std::string>> ConsistencyProof(store::Transaction& tx,
                                                                  uint64_t first,
                                                                  uint64_t second) const;
  // Root hash of the tree of size `tree_size` (<= current size).
  [[nodiscard]] Result<std::string> RootAt(store::Transaction& tx, uint64_t tree_size) const;

  // The whole log as a JSON document: {"format":"forewarn-ledger-export","version":1,
  // "program_public_key": base64, "entries":[{"index","leaf_hash"(hex),"data"(the leaf JSON
  // text)}...], "tree_heads":[{"tree_size","root_hash"(hex),"timestamp"(RFC 3339 UTC, as
  // FormatTime writes it),"signature"(base64)}]}, heads in order of size.
  [[nodiscard]] Result<nlohmann::json> Export(store::Transaction& tx) const;

 private:
  // The right edge after the last append, and the hash of the leaf it ends with. Every leaf
  // commits to the root before it, so a matching last leaf proves the whole tree matches; a
  // rolled-back append or another writer's append simply misses and the edge is read again.
  struct CachedEdge {
    std::string last_leaf_hash;
    RightEdge edge;
  };
  [[nodiscard]] Result<RightEdge> EdgeFor(store::Transaction& tx,
                                          const std::optional<store::LedgerLeaf>& last) const;

  const crypto::SigningKeyPair& signing_key_;
  const Clock& clock_;
  mutable std::mutex edge_mutex_;
  mutable std::optional<CachedEdge> edge_;  // guarded by edge_mutex_
};

// The exact bytes a tree head signature covers: ASCII text of four lines,
//   "forewarn-tree-head-v1\n" <tree_size, decimal> "\n" <root_hash, lowercase hex> "\n"
//   <timestamp, whole microseconds since the Unix epoch, decimal, '-' if negative>
// with no trailing newline. Sub-microsecond parts of `timestamp` are not covered (heads are
// stored with microsecond precision, and SignHead truncates to it before signing).
std::string TreeHeadSigningBytes(uint64_t tree_size, std::string_view root_hash,
                                 TimePoint timestamp);

struct VerifyReport {
  bool intact = false;
  uint64_t entries = 0;
  uint64_t tree_heads = 0;
  std::string problem;  // when !intact: the first bad entry or head, in one line
  // `entries` and `tree_heads` count the items verified before the first problem (all of them
  // when intact).
};

// Recomputes every leaf hash, each entry's prev_root chain and index, every tree head's root
// and signature (against `program_public_key` if given, else the key in the export), and the
// consistency of successive heads. Never fails on malformed input: it reports it.
VerifyReport VerifyExport(const nlohmann::json& exported,
                          std::optional<std::string> program_public_key = std::nullopt);

// Reads and parses an export file written from Export(). kNotFound if the file does not
// exist, kUnavailable if it cannot be read, kInvalidArgument if it is not a JSON object. The
// content is not verified: pass it to VerifyExport.
[[nodiscard]] Result<nlohmann::json> ReadExportFile(const std::filesystem::path& path);

}  // namespace forewarn::ledger
