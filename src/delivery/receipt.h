// File: delivery/receipt.h
//
// Delivery receipts (DESIGN.md capabilities 5 and 9): proof, checkable offline with nothing but
// the program's public key, that a package with a given digest was delivered to a partner and
// recorded in the audit ledger. A receipt bundles the "delivery.sent" ledger entry, its
// inclusion proof, and a tree head signed by the program that the proof leads to.
//
//   FW_ASSIGN_OR_RETURN(auto receipt, delivery::BuildReceipt(*tx, ledger, delivery, program_pub));
//   FW_TRY(tx->Commit());   // BuildReceipt may have signed a new tree head
//   FW_ASSIGN_OR_RETURN(auto check, delivery::VerifyReceipt(receipt, program_pub, package_bytes));
//
// Format (one JSON object):
//   {"format":"forewarn-receipt/1","delivery":"dlv_…","partner":"prt_…","advisory":"adv_…",
//    "revision":N,"package_sha256":"<hex>","ledger_index":N,
//    "leaf":"<the ledger entry: its canonical JSON text>","leaf_hash":"<hex>",
//    "tree_head":{"tree_size":N,"root_hash":"<hex>","timestamp":"<RFC 3339 UTC>",
//                 "signature":"<base64 Ed25519 over ledger::TreeHeadSigningBytes>"},
//    "inclusion_proof":["<hex>",…],"program_key":"<base64 Ed25519 public key>"}
// "program_key" is informative: a verifier always uses the key it obtained independently.
// "partner", "advisory" and "revision" are covered only insofar as the leaf's details name them
// (VerifyReceipt checks each one the leaf carries).
//
// Thread safety: the functions hold no state; BuildReceipt uses the caller's transaction.
// VerifyReceipt never throws, whatever the receipt holds.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "core/delivery.h"
#include "core/result.h"
#include "ledger/ledger.h"
#include "store/store.h"

namespace forewarn::delivery {

inline constexpr std::string_view kReceiptFormat = "forewarn-receipt/1";

// The ledger event type a receipt anchors to. Its leaf must carry details.delivery (the id) and
// payload_sha256 (the package digest).
inline constexpr std::string_view kDeliverySentEvent = "delivery.sent";

// The receipt of `delivery`, read inside `tx`, which must be a write transaction: when no tree
// head covers the delivery's ledger entry yet (none signed, or the latest is not larger than
// its index), one is signed with ledger.SignHead and stored in `tx`; the caller commits it.
// Otherwise the latest head is used and nothing is written. `program_public_key` is the
// program's Ed25519 public key (32 raw bytes; the ledger's signing key), embedded as
// "program_key"; the receipt is verified against it before it is returned.
//   kFailedPrecondition  the delivery is not delivered or has no ledger_index;
//   kInternal            the ledger has no such entry, the entry is not this delivery's
//                        "delivery.sent" event, or the receipt does not verify (wrong key?);
//   ledger and store errors unchanged.
[[nodiscard]] Result<nlohmann::json> BuildReceipt(store::Transaction& tx,
                                                  const ledger::Ledger& ledger,
                                                  const Delivery& delivery,
                                                  std::string_view program_public_key);

// What a verified receipt establishes.
struct ReceiptCheck {
  std::string delivery;             // the delivery id
  uint64_t ledger_index = 0;        // of its "delivery.sent" entry
  uint64_t tree_size = 0;           // of the signed tree head that includes it
  std::string tree_head_timestamp;  // when that head was signed (RFC 3339, as FormatTime)
};

// Checks `receipt` against the program's Ed25519 public key (32 raw bytes) and, if given, the
// package bytes the partner received.
//   kInvalidArgument   a field is missing or of the wrong type or encoding (the message names
//                      it), or the receipt is not a JSON object;
//   kPermissionDenied  one line saying which check failed: the format is not kReceiptFormat;
//                      the leaf does not hash to leaf_hash; the leaf is not a "delivery.sent"
//                      entry of this delivery, package digest and index (or names another
//                      partner, advisory or revision); the inclusion proof does not lead to
//                      root_hash for tree_size; the tree head signature does not verify with
//                      `program_public_key_raw`; the package bytes do not hash to
//                      package_sha256.
[[nodiscard]] Result<ReceiptCheck> VerifyReceipt(
    const nlohmann::json& receipt, std::string_view program_public_key_raw,
    std::optional<std::string_view> package_bytes = std::nullopt);

}  // namespace forewarn::delivery
