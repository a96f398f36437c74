#include "delivery/receipt.h"

#include <fmt/format.h>

#include <utility>
#include <vector>

#include "core/time.h"
#include "crypto/crypto.h"
#include "ledger/merkle.h"

namespace forewarn::delivery {
namespace {

using nlohmann::json;

constexpr size_t kSha256Bytes = 32;
constexpr size_t kEd25519PublicKeyBytes = 32;
constexpr size_t kEd25519SignatureBytes = 64;

// --- field accessors: they never throw, and name the field on error ---

tl::unexpected<Error> Malformed(std::string_view field, std::string_view problem) {
  return Fail(ErrorCode::kInvalidArgument,
              fmt::format("receipt field \"{}\" is {}", field, problem));
}

tl::unexpected<Error> Denied(std::string message) {
  return Fail(ErrorCode::kPermissionDenied, std::move(message));
}

const json* Member(const json& object, const char* name) {
  const auto it = object.find(name);
  return it == object.end() ? nullptr : &*it;
}

// True iff `value` is a string equal to `expected`.
bool IsString(const json* value, std::string_view expected) {
  return value != nullptr && value->is_string() && value->get_ref<const std::string&>() == expected;
}

Result<std::string> StringField(const json& object, const char* name, std::string_view field) {
  const json* value = Member(object, name);
  if (value == nullptr || !value->is_string()) return Malformed(field, "missing or not a string");
  return value->get<std::string>();
}

// A non-negative integer (as parsed, or as built in code from a signed type).
std::optional<uint64_t> AsUnsigned(const json& value) {
  if (value.is_number_unsigned()) return value.get<uint64_t>();
  if (value.is_number_integer() && value.get<int64_t>() >= 0) {
    return static_cast<uint64_t>(value.get<int64_t>());
  }
  return std::nullopt;
}

Result<uint64_t> UnsignedField(const json& object, const char* name, std::string_view field) {
  const json* value = Member(object, name);
  const std::optional<uint64_t> number = value == nullptr ? std::nullopt : AsUnsigned(*value);
  if (!number.has_value()) return Malformed(field, "missing or not a non-negative integer");
  return *number;
}

// A hex string decoding to `size` raw bytes; returns the raw bytes.
Result<std::string> HexText(std::string_view text, size_t size, std::string_view field) {
  Result<std::string> raw = crypto::FromHex(text);
  if (!raw.has_value() || raw->size() != size) {
    return Malformed(field, fmt::format("not hex of {} bytes", size));
  }
  return raw;
}

Result<std::string> HexField(const json& object, const char* name, size_t size,
                             std::string_view field) {
  FW_ASSIGN_OR_RETURN(const std::string text, StringField(object, name, field));
  return HexText(text, size, field);
}

// Everything a receipt states, decoded; checked by VerifyParsed.
struct ParsedReceipt {
  std::string format;
  std::string delivery;
  std::string partner;
  std::string advisory;
  uint64_t revision = 0;
  std::string package_sha256;  // hex, as written
  uint64_t ledger_index = 0;
  std::string leaf;       // the entry's JSON text
  std::string leaf_hash;  // raw
  uint64_t tree_size = 0;
  std::string root_hash;  // raw
  TimePoint timestamp;
  std::string signature;                     // raw
  std::vector<std::string> inclusion_proof;  // raw
};

Status ParseTreeHead(const json& receipt, ParsedReceipt& out) {
  const json* head = Member(receipt, "tree_head");
  if (head == nullptr || !head->is_object())
    return Malformed("tree_head", "missing or not an object");
  FW_ASSIGN_OR_RETURN(out.tree_size, UnsignedField(*head, "tree_size", "tree_head.tree_size"));
  FW_ASSIGN_OR_RETURN(out.root_hash,
                      HexField(*head, "root_hash", ledger::kHashSize, "tree_head.root_hash"));
  FW_ASSIGN_OR_RETURN(const std::string time_text,
                      StringField(*head, "timestamp", "tree_head.timestamp"));
  Result<TimePoint> timestamp = ParseTime(time_text);
  if (!timestamp.has_value()) return Malformed("tree_head.timestamp", "not an RFC 3339 time");
  out.timestamp = *timestamp;
  FW_ASSIGN_OR_RETURN(const std::string signature_text,
                      StringField(*head, "signature", "tree_head.signature"));
  Result<std::string> signature = crypto::FromBase64(signature_text);
  if (!signature.has_value() || signature->size() != kEd25519SignatureBytes) {
    return Malformed("tree_head.signature", "not base64 of 64 bytes");
  }
  out.signature = std::move(*signature);
  return Ok();
}

Status ParseProof(const json& receipt, ParsedReceipt& out) {
  const json* proof = Member(receipt, "inclusion_proof");
  if (proof == nullptr || !proof->is_array()) {
    return Malformed("inclusion_proof", "missing or not an array");
  }
  for (const json& element : *proof) {
    if (!element.is_string()) return Malformed("inclusion_proof", "not an array of strings");
    FW_ASSIGN_OR_RETURN(std::string hash, HexText(element.get_ref<const std::string&>(),
                                                  ledger::kHashSize, "inclusion_proof"));
    out.inclusion_proof.push_back(std::move(hash));
  }
  return Ok();
}

Result<ParsedReceipt> Parse(const json& receipt) {
  if (!receipt.is_object()) {
    return Fail(ErrorCode::kInvalidArgument, "receipt is not a JSON object");
  }
  ParsedReceipt out;
  FW_ASSIGN_OR_RETURN(out.format, StringField(receipt, "format", "format"));
  FW_ASSIGN_OR_RETURN(out.delivery, StringField(receipt, "delivery", "delivery"));
  FW_ASSIGN_OR_RETURN(out.partner, StringField(receipt, "partner", "partner"));
  FW_ASSIGN_OR_RETURN(out.advisory, StringField(receipt, "advisory", "advisory"));
  FW_ASSIGN_OR_RETURN(out.revision, UnsignedField(receipt, "revision", "revision"));
  FW_ASSIGN_OR_RETURN(out.package_sha256, StringField(receipt, "package_sha256", "package_sha256"));
  FW_TRY(HexText(out.package_sha256, kSha256Bytes, "package_sha256"));
  FW_ASSIGN_OR_RETURN(out.ledger_index, UnsignedField(receipt, "ledger_index", "ledger_index"));
  FW_ASSIGN_OR_RETURN(out.leaf, StringField(receipt, "leaf", "leaf"));
  FW_ASSIGN_OR_RETURN(out.leaf_hash,
                      HexField(receipt, "leaf_hash", ledger::kHashSize, "leaf_hash"));
  FW_TRY(ParseTreeHead(receipt, out));
  FW_TRY(ParseProof(receipt, out));
  return out;
}

// --- the checks ---

// The leaf must be the "delivery.sent" entry of this delivery, package and index. Partner,
// advisory and revision are compared when the entry's details carry them.
Status CheckLeaf(const ParsedReceipt& receipt) {
  const json leaf = json::parse(receipt.leaf, nullptr, /*allow_exceptions=*/false);
  if (leaf.is_discarded() || !leaf.is_object()) return Denied("leaf is not a JSON object");
  const json* type = Member(leaf, "type");
  if (!IsString(type, kDeliverySentEvent)) {
    return Denied(fmt::format("leaf is not a {} event", kDeliverySentEvent));
  }
  const json* details = Member(leaf, "details");
  const json* delivery =
      details != nullptr && details->is_object() ? Member(*details, "delivery") : nullptr;
  if (!IsString(delivery, receipt.delivery)) {
    return Denied(fmt::format("leaf records another delivery than {}", receipt.delivery));
  }
  const json* digest = Member(leaf, "payload_sha256");
  if (!IsString(digest, receipt.package_sha256)) {
    return Denied("leaf records another package digest than package_sha256");
  }
  const json* index = Member(leaf, "index");
  if (index == nullptr || AsUnsigned(*index) != receipt.ledger_index) {
    return Denied("leaf index differs from ledger_index");
  }
  for (const auto& [name, value] :
       {std::pair{"partner", &receipt.partner}, std::pair{"advisory", &receipt.advisory}}) {
    const json* recorded = Member(*details, name);
    if (recorded != nullptr && recorded->is_string() && !IsString(recorded, *value)) {
      return Denied(fmt::format("leaf records another {} than the receipt", name));
    }
  }
  const json* revision = Member(*details, "revision");
  if (revision != nullptr && revision->is_number_integer() &&
      AsUnsigned(*revision) != receipt.revision) {
    return Denied("leaf records another revision than the receipt");
  }
  return Ok();
}

Status VerifyParsed(const ParsedReceipt& receipt, std::string_view program_public_key,
                    std::optional<std::string_view> package_bytes) {
  if (receipt.format != kReceiptFormat) {
    return Denied(fmt::format("receipt format is not {}", kReceiptFormat));
  }
  const std::string leaf_hash = ledger::LeafHash(receipt.leaf);
  if (!crypto::ConstantTimeEquals(leaf_hash, receipt.leaf_hash)) {
    return Denied("leaf does not hash to leaf_hash");
  }
  FW_TRY(CheckLeaf(receipt));
  if (!ledger::VerifyInclusion(leaf_hash, receipt.ledger_index, receipt.tree_size,
                               receipt.inclusion_proof, receipt.root_hash)) {
    return Denied("inclusion proof does not lead to the tree head's root");
  }
  if (!crypto::VerifySignature(
          program_public_key,
          ledger::TreeHeadSigningBytes(receipt.tree_size, receipt.root_hash, receipt.timestamp),
          receipt.signature)) {
    return Denied("tree head signature does not verify with the program key");
  }
  if (package_bytes.has_value() &&
      crypto::Hex(crypto::Sha256(*package_bytes)) != receipt.package_sha256) {
    return Denied("package bytes do not match package_sha256");
  }
  return Ok();
}

// A signed head that includes leaf `index`: the latest one, or a new one if it does not.
Result<store::TreeHead> CoveringHead(store::Transaction& tx, const ledger::Ledger& ledger,
                                     uint64_t index) {
  Result<store::TreeHead> latest = ledger.LatestHead(tx);
  if (latest.has_value() && latest->tree_size > index) return latest;
  if (!latest.has_value() && latest.error().code != ErrorCode::kNotFound) return Forward(latest);
  FW_ASSIGN_OR_RETURN(store::TreeHead head, ledger.SignHead(tx));
  if (head.tree_size <= index) {
    return Fail(ErrorCode::kInternal,
                fmt::format("ledger entry {} does not exist; the ledger has {} entries", index,
                            head.tree_size));
  }
  return head;
}

json HeadJson(const store::TreeHead& head) {
  return json{{"tree_size", head.tree_size},
              {"root_hash", crypto::Hex(head.root_hash)},
              {"timestamp", FormatTime(head.timestamp)},
              {"signature", crypto::Base64(head.signature)}};
}

}  // namespace

Result<nlohmann::json> BuildReceipt(store::Transaction& tx, const ledger::Ledger& ledger,
                                    const Delivery& delivery, std::string_view program_public_key) {
  if (delivery.state != DeliveryState::kDelivered || !delivery.ledger_index.has_value()) {
    return Fail(ErrorCode::kFailedPrecondition,
                fmt::format("delivery {} is {} and has no ledger entry yet; no receipt",
                            delivery.id, ToString(delivery.state)));
  }
  const uint64_t index = *delivery.ledger_index;
  FW_ASSIGN_OR_RETURN(const store::TreeHead head, CoveringHead(tx, ledger, index));
  FW_ASSIGN_OR_RETURN(std::vector<std::string> proof,
                      ledger.InclusionProof(tx, index, head.tree_size));
  FW_ASSIGN_OR_RETURN(std::vector<store::LedgerLeaf> leaves, tx.ListLedgerLeaves(index, index + 1));
  if (leaves.size() != 1) {
    return Fail(ErrorCode::kInternal, fmt::format("ledger entry {} is missing", index));
  }
  json proof_hex = json::array();
  for (const std::string& hash : proof) proof_hex.push_back(crypto::Hex(hash));
  json receipt{{"format", kReceiptFormat},
               {"delivery", delivery.id},
               {"partner", delivery.partner_id},
               {"advisory", delivery.advisory_id},
               {"revision", delivery.revision},
               {"package_sha256", delivery.package_sha256},
               {"ledger_index", index},
               {"leaf", leaves.front().data},
               {"leaf_hash", crypto::Hex(leaves.front().leaf_hash)},
               {"tree_head", HeadJson(head)},
               {"inclusion_proof", std::move(proof_hex)},
               {"program_key", crypto::Base64(program_public_key)}};
  // Hand out only receipts that verify: this catches a leaf of another event, a stale digest
  // in the delivery row, or a key that is not the ledger's.
  Result<ReceiptCheck> check = VerifyReceipt(receipt, program_public_key);
  if (!check.has_value()) {
    return Fail(ErrorCode::kInternal, fmt::format("receipt of delivery {} does not verify: {}",
                                                  delivery.id, check.error().message));
  }
  return receipt;
}

Result<ReceiptCheck> VerifyReceipt(const nlohmann::json& receipt,
                                   std::string_view program_public_key_raw,
                                   std::optional<std::string_view> package_bytes) {
  if (program_public_key_raw.size() != kEd25519PublicKeyBytes) {
    return Fail(ErrorCode::kInvalidArgument, "program public key must be 32 bytes");
  }
  try {
    FW_ASSIGN_OR_RETURN(const ParsedReceipt parsed, Parse(receipt));
    FW_TRY(VerifyParsed(parsed, program_public_key_raw, package_bytes));
    return ReceiptCheck{.delivery = parsed.delivery,
                        .ledger_index = parsed.ledger_index,
                        .tree_size = parsed.tree_size,
                        .tree_head_timestamp = FormatTime(parsed.timestamp)};
  } catch (const json::exception&) {
    // The accessors check types before reading, so this would be a bug; still, never throw.
    return Fail(ErrorCode::kInvalidArgument, "receipt is malformed");
  }
}

}  // namespace forewarn::delivery
