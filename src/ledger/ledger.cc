#include "ledger/ledger.h"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <system_error>
#include <utility>

#include "core/time.h"
#include "ledger/merkle.h"

namespace forewarn::ledger {
namespace {

using nlohmann::json;

constexpr std::string_view kExportFormat = "forewarn-ledger-export";
constexpr uint64_t kExportVersion = 1;
constexpr uint64_t kLeafVersion = 1;
constexpr std::string_view kTreeHeadDomain = "forewarn-tree-head-v1\n";
constexpr size_t kPublicKeySize = 32;  // Ed25519
constexpr size_t kSignatureSize = 64;  // Ed25519
// Leaves are read for an export in chunks, so the store never returns the whole log at once.
constexpr uint64_t kExportChunk = 4096;

// The ledger's stored nodes as seen by the Merkle functions. A node that should exist but does
// not means the ledger tables are damaged, hence kInternal.
class StoreNodeReader final : public NodeReader {
 public:
  explicit StoreNodeReader(store::Transaction& tx) : tx_(tx) {}

  Result<std::string> Node(int level, uint64_t index) override {
    FW_ASSIGN_OR_RETURN(std::optional<std::string> hash, tx_.GetLedgerNode(level, index));
    if (!hash.has_value()) {
      return Fail(ErrorCode::kInternal,
                  fmt::format("ledger node missing (level {}, index {})", level, index));
    }
    if (hash->size() != kHashSize) {
      return Fail(ErrorCode::kInternal,
                  fmt::format("ledger node (level {}, index {}) is corrupt: {} bytes", level, index,
                              hash->size()));
    }
    return std::move(*hash);
  }

 private:
  store::Transaction& tx_;
};

// The canonical leaf: compact JSON with sorted keys (nlohmann objects are ordered maps).
// Strings must be valid UTF-8; they are written as is (ensure_ascii off).
Result<std::string> LeafJson(const Event& event, uint64_t index, std::string_view prev_root,
                             TimePoint time) {
  json leaf = json::object();
  leaf["actor"] = event.actor;
  leaf["details"] = event.details;
  leaf["index"] = index;
  leaf["payload_sha256"] = event.payload_sha256;
  leaf["prev_root"] = crypto::Hex(prev_root);
  leaf["subject"] = event.subject;
  leaf["time"] = FormatTime(time);
  leaf["type"] = event.type;
  leaf["v"] = kLeafVersion;
  try {
    return leaf.dump(-1, ' ', /*ensure_ascii=*/false, json::error_handler_t::strict);
  } catch (const json::exception&) {
    return Fail(
        ErrorCode::kInvalidArgument,
        fmt::format("ledger append: event {} contains text that is not valid UTF-8", event.type));
  }
}

Status CheckTreeSize(std::string_view what, uint64_t tree_size, uint64_t ledger_size) {
  if (tree_size > ledger_size) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("ledger {}: tree size {} exceeds the ledger ({} entries)", what,
                            tree_size, ledger_size));
  }
  return Ok();
}

json HeadJson(const store::TreeHead& head) {
  json out = json::object();
  out["tree_size"] = head.tree_size;
  out["root_hash"] = crypto::Hex(head.root_hash);
  out["timestamp"] = FormatTime(head.timestamp);
  out["signature"] = crypto::Base64(head.signature);
  return out;
}

// --- export verification ---
// Accessors that never throw: they return nothing when the member is absent or of another type.

const json* Member(const json& object, const char* key) {
  if (!object.is_object()) return nullptr;
  const auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

const std::string* StringMember(const json& object, const char* key) {
  const json* value = Member(object, key);
  if (value == nullptr || !value->is_string()) return nullptr;
  return value->get_ptr<const std::string*>();
}

std::optional<uint64_t> UintMember(const json& object, const char* key) {
  const json* value = Member(object, key);
  if (value == nullptr) return std::nullopt;
  if (value->is_number_unsigned()) return *value->get_ptr<const json::number_unsigned_t*>();
  if (value->is_number_integer()) {
    const int64_t signed_value = *value->get_ptr<const json::number_integer_t*>();
    if (signed_value >= 0) return static_cast<uint64_t>(signed_value);
  }
  return std::nullopt;
}

// Decodes base64 only in its canonical form (the one crypto::Base64 writes), so that no two
// texts stand for the same bytes and any change to the text is noticed.
std::optional<std::string> CanonicalBase64(const std::string& text) {
  Result<std::string> raw = crypto::FromBase64(text);
  if (!raw.has_value() || crypto::Base64(*raw) != text) return std::nullopt;
  return std::move(*raw);
}

// Rebuilds the tree from an export and checks it item by item. Each Check* returns "" when the
// item is sound, else the problem (without the item's name, which the caller adds).
class ExportVerifier {
 public:
  explicit ExportVerifier(std::string public_key) : public_key_(std::move(public_key)) {}

  // Checks entry `i` and, if it is sound, appends it to the tree.
  std::string CheckEntry(const json& entry, uint64_t i) {
    if (!entry.is_object()) return "not a JSON object";
    const std::optional<uint64_t> index = UintMember(entry, "index");
    if (!index) return "index missing or not a non-negative integer";
    if (*index != i) {
      return fmt::format("index is {}, expected {} (entries must be contiguous from 0)", *index, i);
    }
    const std::string* data = StringMember(entry, "data");
    if (data == nullptr) return "data missing or not a string";
    const std::string* leaf_hash = StringMember(entry, "leaf_hash");
    if (leaf_hash == nullptr) return "leaf_hash missing or not a string";
    std::string computed = LeafHash(*data);
    if (*leaf_hash != crypto::Hex(computed)) return "leaf hash does not match its data";

    const json leaf = json::parse(*data, nullptr, /*allow_exceptions=*/false);
    if (leaf.is_discarded() || !leaf.is_object()) return "data is not a JSON object";
    if (UintMember(leaf, "v") != kLeafVersion) return "data has an unsupported version \"v\"";
    if (UintMember(leaf, "index") != i) return "data index does not match the entry's position";
    const std::string* type = StringMember(leaf, "type");
    if (type == nullptr || type->empty()) return "data has no event type";
    const std::string* prev_root = StringMember(leaf, "prev_root");
    Result<std::string> expected_prev = RootHash(i, tree_);
    if (!expected_prev.has_value())
      return "cannot rebuild the tree: " + expected_prev.error().message;
    if (prev_root == nullptr || *prev_root != crypto::Hex(*expected_prev)) {
      return "prev_root does not match the root of the preceding entries";
    }
    if (!tree_.AppendLeafHash(computed).has_value()) return "cannot append to the tree";
    return "";
  }

  // Checks head `j` against the rebuilt tree (all entries appended) and the previous head.
  std::string CheckHead(const json& head, uint64_t size) {
    if (size > tree_.size()) return fmt::format("larger than the log ({} entries)", tree_.size());
    if (previous_ && size <= previous_->size) {
      return fmt::format("size does not grow past the previous head's ({})", previous_->size);
    }
    const std::string* root_hex = StringMember(head, "root_hash");
    if (root_hex == nullptr) return "root_hash missing or not a string";
    Result<std::string> root = RootHash(size, tree_);
    if (!root.has_value()) return "cannot rebuild the tree: " + root.error().message;
    if (*root_hex != crypto::Hex(*root)) return "root hash does not match the entries";

    const std::string* time_text = StringMember(head, "timestamp");
    if (time_text == nullptr) return "timestamp missing or not a string";
    const Result<TimePoint> timestamp = ParseTime(*time_text);
    if (!timestamp.has_value() || FormatTime(*timestamp) != *time_text) {
      return "timestamp malformed";
    }
    const std::string* signature_text = StringMember(head, "signature");
    if (signature_text == nullptr) return "signature missing or not a string";
    const std::optional<std::string> signature = CanonicalBase64(*signature_text);
    if (!signature || signature->size() != kSignatureSize) return "signature malformed";
    if (!crypto::VerifySignature(public_key_, TreeHeadSigningBytes(size, *root, *timestamp),
                                 *signature)) {
      return "signature invalid";
    }
    // Implied by recomputing both roots from the same entries; checked anyway, as an auditor
    // holding only the two heads would.
    if (previous_ && previous_->size > 0) {
      Result<std::vector<std::string>> proof = ConsistencyProof(previous_->size, size, tree_);
      if (!proof.has_value() ||
          !VerifyConsistency(previous_->size, size, previous_->root, *root, *proof)) {
        return "not consistent with the previous tree head";
      }
    }
    previous_ = Previous{size, std::move(*root)};
    return "";
  }

 private:
  struct Previous {
    uint64_t size = 0;
    std::string root;
  };
  std::string public_key_;
  MemoryTree tree_;
  std::optional<Previous> previous_;
};

// Sets `key` to the key to check signatures with: the caller's, else the one the export names.
// Returns "" on success, else the problem.
std::string ResolveKey(const json& exported, const std::optional<std::string>& given,
                       std::string& key) {
  const std::string* text = StringMember(exported, "program_public_key");
  std::optional<std::string> in_export;
  if (text != nullptr) in_export = CanonicalBase64(*text);
  if (in_export && in_export->size() != kPublicKeySize) in_export.reset();
  if (given.has_value()) {
    if (given->size() != kPublicKeySize) return "the expected program public key is not 32 bytes";
    if (in_export && *in_export != *given) {
      return "program_public_key is not the expected program key";
    }
    key = *given;
    return "";
  }
  if (!in_export) return "program_public_key missing or not a base64 Ed25519 public key";
  key = std::move(*in_export);
  return "";
}

void VerifyExportInto(const json& exported, const std::optional<std::string>& given_key,
                      VerifyReport& report) {
  if (!exported.is_object()) {
    report.problem = "export is not a JSON object";
    return;
  }
  const std::string* format = StringMember(exported, "format");
  if (format == nullptr || *format != kExportFormat) {
    report.problem = fmt::format("format is not \"{}\"", kExportFormat);
    return;
  }
  if (UintMember(exported, "version") != kExportVersion) {
    report.problem = fmt::format("unsupported export version (expected {})", kExportVersion);
    return;
  }
  std::string key;
  report.problem = ResolveKey(exported, given_key, key);
  if (!report.problem.empty()) return;
  const json* entries = Member(exported, "entries");
  const json* heads = Member(exported, "tree_heads");
  if (entries == nullptr || !entries->is_array()) {
    report.problem = "entries missing or not an array";
    return;
  }
  if (heads == nullptr || !heads->is_array()) {
    report.problem = "tree_heads missing or not an array";
    return;
  }

  ExportVerifier verifier(std::move(key));
  for (const json& entry : *entries) {
    const uint64_t i = report.entries;
    std::string problem = verifier.CheckEntry(entry, i);
    if (!problem.empty()) {
      report.problem = fmt::format("entry {}: {}", i, problem);
      return;
    }
    ++report.entries;
  }
  for (const json& head : *heads) {
    const uint64_t j = report.tree_heads;
    const std::optional<uint64_t> size = UintMember(head, "tree_size");
    if (!size) {
      report.problem =
          fmt::format("tree head {}: tree_size missing or not a non-negative integer", j);
      return;
    }
    std::string problem = verifier.CheckHead(head, *size);
    if (!problem.empty()) {
      report.problem = fmt::format("tree head {} (size {}): {}", j, *size, problem);
      return;
    }
    ++report.tree_heads;
  }
  report.intact = true;
}

}  // namespace

Ledger::Ledger(const crypto::SigningKeyPair& signing_key, const Clock& clock)
    : signing_key_(signing_key), clock_(clock) {}

Result<RightEdge> Ledger::EdgeFor(store::Transaction& tx,
                                  const std::optional<store::LedgerLeaf>& last) const {
  const uint64_t size = last ? last->index + 1 : 0;
  {
    std::lock_guard lock(edge_mutex_);
    if (edge_ && edge_->edge.size == size && (!last || edge_->last_leaf_hash == last->leaf_hash)) {
      return edge_->edge;
    }
  }
  // Cold start, a rolled-back append or another writer's tree: read it from the store.
  StoreNodeReader reader(tx);
  return ReadRightEdge(size, reader);
}

Result<AppendResult> Ledger::Append(store::Transaction& tx, const Event& event) const {
  if (event.type.empty()) {
    return Fail(ErrorCode::kInvalidArgument, "ledger append: event type is empty");
  }
  if (!event.details.is_object()) {
    return Fail(
        ErrorCode::kInvalidArgument,
        fmt::format("ledger append: details of event {} must be a JSON object", event.type));
  }
  FW_ASSIGN_OR_RETURN(const auto last, tx.LastLedgerLeaf());
  FW_ASSIGN_OR_RETURN(RightEdge edge, EdgeFor(tx, last));
  const uint64_t index = edge.size;
  FW_ASSIGN_OR_RETURN(std::string data, LeafJson(event, index, RootOf(edge), clock_.Now()));
  std::string leaf_hash = LeafHash(data);
  FW_ASSIGN_OR_RETURN(const std::vector<NodeWrite> writes, AppendToRightEdge(edge, leaf_hash));
  FW_TRY(tx.AppendLedgerLeaf(store::LedgerLeaf{index, std::move(data), leaf_hash}));
  for (const NodeWrite& write : writes) {
    FW_TRY(tx.PutLedgerNode(write.level, write.index, write.hash));
  }
  {
    std::lock_guard lock(edge_mutex_);
    edge_ = CachedEdge{leaf_hash, std::move(edge)};
  }
  return AppendResult{index, std::move(leaf_hash)};
}

Result<store::TreeHead> Ledger::SignHead(store::Transaction& tx) const {
  FW_ASSIGN_OR_RETURN(const uint64_t size, tx.LedgerSize());
  FW_ASSIGN_OR_RETURN(std::optional<store::TreeHead> latest, tx.LatestTreeHead());
  StoreNodeReader reader(tx);
  if (latest.has_value()) {
    if (latest->tree_size > size) {
      return Fail(ErrorCode::kInternal,
                  fmt::format("ledger is corrupt: tree head of size {} but the log has {} "
                              "entries",
                              latest->tree_size, size));
    }
    // Never sign a tree that does not extend what was signed before.
    FW_ASSIGN_OR_RETURN(const std::string latest_root, RootHash(latest->tree_size, reader));
    if (latest_root != latest->root_hash) {
      return Fail(ErrorCode::kInternal,
                  fmt::format("ledger is corrupt: the stored tree no longer matches the tree "
                              "head of size {}",
                              latest->tree_size));
    }
    if (latest->tree_size == size) return std::move(*latest);
  }
  store::TreeHead head;
  head.tree_size = size;
  FW_ASSIGN_OR_RETURN(head.root_hash, RootHash(size, reader));
  // Stored with microsecond precision; truncate now so the returned head equals the stored one.
  head.timestamp = FromUnixMicros(ToUnixMicros(clock_.Now()));
  head.signature = crypto::Sign(signing_key_.secret_key,
                                TreeHeadSigningBytes(size, head.root_hash, head.timestamp));
  FW_TRY(tx.InsertTreeHead(head));
  return head;
}

Result<store::TreeHead> Ledger::LatestHead(store::Transaction& tx) const {
  FW_ASSIGN_OR_RETURN(std::optional<store::TreeHead> latest, tx.LatestTreeHead());
  if (!latest.has_value()) {
    return Fail(ErrorCode::kNotFound, "no ledger tree head has been signed yet");
  }
  return std::move(*latest);
}

Result<std::vector<std::string>> Ledger::InclusionProof(store::Transaction& tx, uint64_t index,
                                                        uint64_t tree_size) const {
  FW_ASSIGN_OR_RETURN(const uint64_t size, tx.LedgerSize());
  FW_TRY(CheckTreeSize("inclusion proof", tree_size, size));
  if (index >= tree_size) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("ledger inclusion proof: index {} is not below tree size {}", index,
                            tree_size));
  }
  StoreNodeReader reader(tx);
  return ledger::InclusionProof(index, tree_size, reader);
}

Result<std::vector<std::string>> Ledger::ConsistencyProof(store::Transaction& tx, uint64_t first,
                                                          uint64_t second) const {
  FW_ASSIGN_OR_RETURN(const uint64_t size, tx.LedgerSize());
  FW_TRY(CheckTreeSize("consistency proof", second, size));
  if (first == 0 || first > second) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("ledger consistency proof: sizes must satisfy 0 < first <= second, "
                            "got {} and {}",
                            first, second));
  }
  StoreNodeReader reader(tx);
  return ledger::ConsistencyProof(first, second, reader);
}

Result<std::string> Ledger::RootAt(store::Transaction& tx, uint64_t tree_size) const {
  FW_ASSIGN_OR_RETURN(const uint64_t size, tx.LedgerSize());
  FW_TRY(CheckTreeSize("root", tree_size, size));
  StoreNodeReader reader(tx);
  return RootHash(tree_size, reader);
}

Result<json> Ledger::Export(store::Transaction& tx) const {
  FW_ASSIGN_OR_RETURN(const uint64_t size, tx.LedgerSize());
  json entries = json::array();
  for (uint64_t start = 0; start < size; start += kExportChunk) {
    const uint64_t end = std::min(size, start + kExportChunk);
    FW_ASSIGN_OR_RETURN(std::vector<store::LedgerLeaf> leaves, tx.ListLedgerLeaves(start, end));
    for (store::LedgerLeaf& leaf : leaves) {
      if (leaf.index != entries.size()) {
        return Fail(ErrorCode::kInternal,
                    fmt::format("ledger is corrupt: entry {} is missing", entries.size()));
      }
      json entry = json::object();
      entry["index"] = leaf.index;
      entry["leaf_hash"] = crypto::Hex(leaf.leaf_hash);
      entry["data"] = std::move(leaf.data);
      entries.push_back(std::move(entry));
    }
    if (entries.size() != end) {
      return Fail(ErrorCode::kInternal,
                  fmt::format("ledger is corrupt: entry {} is missing", entries.size()));
    }
  }
  FW_ASSIGN_OR_RETURN(const std::vector<store::TreeHead> heads, tx.ListTreeHeads());
  json tree_heads = json::array();
  for (const store::TreeHead& head : heads) tree_heads.push_back(HeadJson(head));

  json out = json::object();
  out["format"] = kExportFormat;
  out["version"] = kExportVersion;
  out["program_public_key"] = crypto::Base64(signing_key_.public_key);
  out["entries"] = std::move(entries);
  out["tree_heads"] = std::move(tree_heads);
  return out;
}

std::string TreeHeadSigningBytes(uint64_t tree_size, std::string_view root_hash,
                                 TimePoint timestamp) {
  return fmt::format("{}{}\n{}\n{}", kTreeHeadDomain, tree_size, crypto::Hex(root_hash),
                     ToUnixMicros(timestamp));
}

VerifyReport VerifyExport(const json& exported, std::optional<std::string> program_public_key) {
  VerifyReport report;
  try {
    VerifyExportInto(exported, program_public_key, report);
  } catch (const json::exception& e) {
    // The accessors above check types first, so this is a bug; still, report, never throw.
    report.intact = false;
    report.problem = fmt::format("malformed export ({})", e.what());
  }
  return report;
}

Result<json> ReadExportFile(const std::filesystem::path& path) {
  std::error_code error;
  const std::filesystem::file_status status = std::filesystem::status(path, error);
  if (!std::filesystem::exists(status)) {
    return Fail(ErrorCode::kNotFound,
                fmt::format("ledger export {} does not exist", path.string()));
  }
  if (!std::filesystem::is_regular_file(status)) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("ledger export {} is not a regular file", path.string()));
  }
  std::ifstream in(path, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in.is_open() || in.bad()) {
    return Fail(ErrorCode::kUnavailable,
                fmt::format("cannot read ledger export {}", path.string()));
  }
  json document = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded() || !document.is_object()) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("ledger export {} is not a JSON object", path.string()));
  }
  return document;
}

}  // namespace forewarn::ledger
