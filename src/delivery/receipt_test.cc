// Delivery receipts over a real ledger in a SQLite store: build and verify (also as text, as a
// partner gets it), rejection of every altered field, of a leaf of another type or delivery, of
// the wrong program key and of package bytes one bit off; malformed receipts; which tree head
// a receipt uses; and the preconditions of BuildReceipt.
#include "delivery/receipt.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/time.h"
#include "crypto/crypto.h"
#include "ledger/merkle.h"
#include "store/store.h"
#include "tests/testing/testing.h"

namespace forewarn::delivery {
namespace {

using nlohmann::json;

constexpr char kPackage[] = R"({"format":"forewarn-package/1","payload":"e30="})";

class ReceiptTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { ASSERT_TRUE(crypto::Initialize().has_value()); }

  ReceiptTest() : keys(crypto::GenerateProgramKeys(random)), ledger(keys.signing, clock) {
    auto opened = store::OpenSqlite(dir.path() / "forewarn.db");
    EXPECT_TRUE(opened.has_value()) << opened.error().message;
    if (opened.has_value()) store = std::move(*opened);
  }

  std::unique_ptr<store::Transaction> Write() {
    return store->Begin(store::TxMode::kWrite).value();
  }

  uint64_t Append(store::Transaction& tx, ledger::Event event) {
    auto appended = ledger.Append(tx, event);
    EXPECT_TRUE(appended.has_value()) << appended.error().message;
    return appended.has_value() ? appended->index : 0;
  }

  void AppendOthers(store::Transaction& tx, int count) {
    for (int i = 0; i < count; ++i) {
      Append(tx, {.type = "partner.updated",
                  .actor = "system",
                  .subject = fmt::format("prt_{:016x}", i),
                  .details = json{{"n", i}}});
    }
  }

  // Appends the "delivery.sent" entry of `id` for the package bytes `package`.
  uint64_t AppendSent(store::Transaction& tx, const std::string& id,
                      const std::string& package = kPackage) {
    return Append(tx, {.type = "delivery.sent",
                       .actor = "system",
                       .subject = id,
                       .details = json{{"delivery", id},
                                       {"partner", "prt_0123456789abcdef"},
                                       {"advisory", "adv_0123456789abcdef"},
                                       {"revision", 2}},
                       .payload_sha256 = crypto::Hex(crypto::Sha256(package))});
  }

  static Delivery Delivered(const std::string& id, uint64_t index,
                            const std::string& package = kPackage) {
    Delivery delivery;
    delivery.id = id;
    delivery.partner_id = "prt_0123456789abcdef";
    delivery.advisory_id = "adv_0123456789abcdef";
    delivery.revision = 2;
    delivery.trigger = "wave";
    delivery.state = DeliveryState::kDelivered;
    delivery.package_sha256 = crypto::Hex(crypto::Sha256(package));
    delivery.ledger_index = index;
    return delivery;
  }

  // Three other events, "delivery.sent" of dlv_x at index 3, two more events; committed.
  void Populate() {
    auto tx = Write();
    AppendOthers(*tx, 3);
    sent_index = AppendSent(*tx, "dlv_x");
    AppendOthers(*tx, 2);
    ASSERT_TRUE(tx->Commit().has_value());
  }

  Result<json> Build(const Delivery& delivery) {
    auto tx = Write();
    auto receipt = BuildReceipt(*tx, ledger, delivery, keys.signing.public_key);
    if (receipt.has_value()) {
      EXPECT_TRUE(tx->Commit().has_value());
    }
    return receipt;
  }

  size_t HeadCount() {
    auto tx = store->Begin(store::TxMode::kRead).value();
    return tx->ListTreeHeads().value().size();
  }

  Result<ReceiptCheck> Verify(const json& receipt,
                              std::optional<std::string_view> package = std::nullopt) const {
    return VerifyReceipt(receipt, keys.signing.public_key, package);
  }

  void ExpectCode(const json& receipt, ErrorCode code, const std::string& why) const {
    auto checked = Verify(receipt);
    ASSERT_FALSE(checked.has_value()) << why;
    EXPECT_EQ(checked.error().code, code) << why << ": " << checked.error().message;
  }
  // Rejected by the check whose one-line reason contains `reason`.
  void ExpectDenied(const json& receipt, const std::string& why, std::string_view reason) const {
    auto checked = Verify(receipt);
    ASSERT_FALSE(checked.has_value()) << why;
    EXPECT_EQ(checked.error().code, ErrorCode::kPermissionDenied) << why;
    EXPECT_NE(checked.error().message.find(reason), std::string::npos)
        << why << ": " << checked.error().message;
  }

  static json Edit(const json& receipt, const std::function<void(json&)>& edit) {
    json copy = receipt;
    edit(copy);
    return copy;
  }

  // `hex` with one bit of its byte `byte` flipped.
  static std::string FlipHex(const std::string& hex, size_t byte = 0) {
    std::string raw = crypto::FromHex(hex).value();
    raw[byte] = static_cast<char>(raw[byte] ^ 0x01);
    return crypto::Hex(raw);
  }
  static std::string FlipBase64(const std::string& text) {
    std::string raw = crypto::FromBase64(text).value();
    raw[0] = static_cast<char>(raw[0] ^ 0x01);
    return crypto::Base64(raw);
  }

  testing::FakeClock clock;
  testing::SeededRandom random{17};
  testing::TempDir dir;
  crypto::ProgramKeys keys;
  ledger::Ledger ledger;
  std::unique_ptr<store::Store> store;
  uint64_t sent_index = 0;
};

TEST_F(ReceiptTest, BuildsAReceiptThatVerifies) {
  Populate();
  auto receipt = Build(Delivered("dlv_x", sent_index));
  ASSERT_TRUE(receipt.has_value()) << receipt.error().message;
  const json& r = *receipt;
  EXPECT_EQ(r["format"], "forewarn-receipt/1");
  EXPECT_EQ(r["delivery"], "dlv_x");
  EXPECT_EQ(r["partner"], "prt_0123456789abcdef");
  EXPECT_EQ(r["advisory"], "adv_0123456789abcdef");
  EXPECT_EQ(r["revision"], 2);
  EXPECT_EQ(r["package_sha256"], crypto::Hex(crypto::Sha256(kPackage)));
  EXPECT_EQ(r["ledger_index"], 3);
  EXPECT_EQ(r["leaf_hash"], crypto::Hex(ledger::LeafHash(r["leaf"].get<std::string>())));
  EXPECT_EQ(r["tree_head"]["tree_size"], 6);
  EXPECT_EQ(r["inclusion_proof"].size(), 3U);  // leaf 3 of 6: siblings at three levels
  EXPECT_EQ(r["program_key"], crypto::Base64(keys.signing.public_key));
  EXPECT_EQ(json::parse(r["leaf"].get<std::string>())["type"], "delivery.sent");

  auto checked = Verify(r, kPackage);
  ASSERT_TRUE(checked.has_value()) << checked.error().message;
  EXPECT_EQ(checked->delivery, "dlv_x");
  EXPECT_EQ(checked->ledger_index, 3U);
  EXPECT_EQ(checked->tree_size, 6U);
  EXPECT_EQ(checked->tree_head_timestamp, r["tree_head"]["timestamp"]);

  // As a partner gets it: JSON text, parsed on another machine.
  const json reparsed = json::parse(r.dump(2));
  EXPECT_TRUE(Verify(reparsed, kPackage).has_value());
}

TEST_F(ReceiptTest, EveryAlteredFieldIsRejected) {
  Populate();
  const json r = Build(Delivered("dlv_x", sent_index)).value();
  ASSERT_TRUE(Verify(r).has_value());

  ExpectDenied(Edit(r, [](json& j) { j["format"] = "forewarn-receipt/2"; }), "format",
               "format is not");
  ExpectDenied(Edit(r,
                    [](json& j) {
                      std::string leaf = j["leaf"];
                      leaf.replace(leaf.find("system"), 6, "system2");
                      j["leaf"] = leaf;
                    }),
               "leaf text", "does not hash to leaf_hash");
  ExpectDenied(Edit(r, [](json& j) { j["leaf_hash"] = FlipHex(j["leaf_hash"], 31); }), "leaf_hash",
               "does not hash to leaf_hash");
  // Leaf text and a matching leaf hash: the inclusion proof no longer leads to the root.
  ExpectDenied(Edit(r,
                    [](json& j) {
                      std::string leaf = j["leaf"];
                      leaf.replace(leaf.find("system"), 6, "system2");
                      j["leaf"] = leaf;
                      j["leaf_hash"] = crypto::Hex(ledger::LeafHash(leaf));
                    }),
               "leaf text with its hash", "inclusion proof");
  for (size_t i = 0; i < r["inclusion_proof"].size(); ++i) {
    ExpectDenied(
        Edit(r, [i](json& j) { j["inclusion_proof"][i] = FlipHex(j["inclusion_proof"][i], i); }),
        fmt::format("proof element {}", i), "inclusion proof");
  }
  ExpectDenied(Edit(r, [](json& j) { j["inclusion_proof"].erase(0); }), "proof element dropped",
               "inclusion proof");
  ExpectDenied(Edit(r, [](json& j) { j["inclusion_proof"].push_back(j["leaf_hash"]); }),
               "proof element added", "inclusion proof");
  ExpectDenied(
      Edit(r,
           [](json& j) { j["tree_head"]["root_hash"] = FlipHex(j["tree_head"]["root_hash"], 5); }),
      "root", "inclusion proof");
  ExpectDenied(
      Edit(r,
           [](json& j) { j["tree_head"]["signature"] = FlipBase64(j["tree_head"]["signature"]); }),
      "signature", "signature does not verify");
  ExpectDenied(Edit(r, [](json& j) { j["tree_head"]["tree_size"] = 7; }), "tree_size + 1",
               "signature does not verify");
  ExpectDenied(Edit(r, [](json& j) { j["tree_head"]["tree_size"] = 5; }), "tree_size - 1",
               "signature does not verify");
  ExpectDenied(Edit(r, [](json& j) { j["tree_head"]["tree_size"] = 3; }), "tree_size = index",
               "inclusion proof");
  ExpectDenied(Edit(r,
                    [](json& j) {
                      const TimePoint t =
                          ParseTime(j["tree_head"]["timestamp"].get<std::string>()).value();
                      j["tree_head"]["timestamp"] = FormatTime(t + std::chrono::seconds(1));
                    }),
               "timestamp", "signature does not verify");
  ExpectDenied(Edit(r, [](json& j) { j["delivery"] = "dlv_y"; }), "delivery id",
               "another delivery");
  ExpectDenied(Edit(r, [](json& j) { j["package_sha256"] = FlipHex(j["package_sha256"]); }),
               "package_sha256", "another package digest");
  ExpectDenied(Edit(r, [](json& j) { j["ledger_index"] = 2; }), "ledger_index",
               "leaf index differs");
  ExpectDenied(Edit(r, [](json& j) { j["partner"] = "prt_ffffffffffffffff"; }), "partner",
               "another partner");
  ExpectDenied(Edit(r, [](json& j) { j["advisory"] = "adv_ffffffffffffffff"; }), "advisory",
               "another advisory");
  ExpectDenied(Edit(r, [](json& j) { j["revision"] = 3; }), "revision", "another revision");
}

TEST_F(ReceiptTest, TheCallersProgramKeyDecidesNotTheEmbeddedOne) {
  Populate();
  const json r = Build(Delivered("dlv_x", sent_index)).value();
  const auto other = crypto::GenerateSigningKeyPair(random);
  auto checked = VerifyReceipt(r, other.public_key);
  ASSERT_FALSE(checked.has_value());
  EXPECT_EQ(checked.error().code, ErrorCode::kPermissionDenied);
  // A forger who swaps in their own key gains nothing; the embedded key is not consulted.
  const json swapped =
      Edit(r, [&](json& j) { j["program_key"] = crypto::Base64(other.public_key); });
  EXPECT_TRUE(Verify(swapped).has_value());
  EXPECT_FALSE(VerifyReceipt(swapped, other.public_key).has_value());
  const json without = Edit(r, [](json& j) { j.erase("program_key"); });
  EXPECT_TRUE(Verify(without).has_value());
  // A key of the wrong size is the caller's mistake.
  auto short_key = VerifyReceipt(r, "short");
  ASSERT_FALSE(short_key.has_value());
  EXPECT_EQ(short_key.error().code, ErrorCode::kInvalidArgument);
}

TEST_F(ReceiptTest, PackageBytesMustMatchToTheBit) {
  Populate();
  const json r = Build(Delivered("dlv_x", sent_index)).value();
  EXPECT_TRUE(Verify(r, kPackage).has_value());
  for (const size_t pos : {size_t{0}, sizeof(kPackage) / 2, sizeof(kPackage) - 2}) {
    std::string altered = kPackage;
    altered[pos] = static_cast<char>(altered[pos] ^ 0x01);
    auto checked = Verify(r, altered);
    ASSERT_FALSE(checked.has_value());
    EXPECT_EQ(checked.error().code, ErrorCode::kPermissionDenied);
  }
  EXPECT_FALSE(Verify(r, std::string(kPackage) + "\n").has_value());
  EXPECT_FALSE(Verify(r, "").has_value());
}

// A fully consistent proof of another ledger entry does not make a receipt.
TEST_F(ReceiptTest, ALeafOfAnotherTypeOrDeliveryIsRejected) {
  Populate();
  {
    auto tx = Write();
    AppendSent(*tx, "dlv_y");
    ASSERT_TRUE(tx->Commit().has_value());
  }
  const json r = Build(Delivered("dlv_x", sent_index)).value();
  const json y = Build(Delivered("dlv_y", 6)).value();
  ASSERT_TRUE(Verify(y).has_value());

  // Swap in leaf 0 ("partner.updated") with its genuine proof under the same signed head.
  auto tx = Write();
  const uint64_t size = r["tree_head"]["tree_size"];
  const auto leaves = tx->ListLedgerLeaves(0, 1).value();
  const auto proof = ledger.InclusionProof(*tx, 0, size).value();
  json other_type = r;
  other_type["leaf"] = leaves[0].data;
  other_type["leaf_hash"] = crypto::Hex(leaves[0].leaf_hash);
  other_type["ledger_index"] = 0;
  other_type["inclusion_proof"] = json::array();
  for (const auto& hash : proof) other_type["inclusion_proof"].push_back(crypto::Hex(hash));
  ExpectDenied(other_type, "leaf of another type", "not a delivery.sent event");

  // dlv_y's genuine receipt relabelled as dlv_x's.
  ExpectDenied(Edit(y, [](json& j) { j["delivery"] = "dlv_x"; }), "another delivery's leaf",
               "another delivery");

  // BuildReceipt refuses to hand out a receipt whose entry is not the delivery's.
  auto wrong = BuildReceipt(*tx, ledger, Delivered("dlv_x", 0), keys.signing.public_key);
  ASSERT_FALSE(wrong.has_value());
  EXPECT_EQ(wrong.error().code, ErrorCode::kInternal);
  auto stale = BuildReceipt(*tx, ledger, Delivered("dlv_x", sent_index, "other bytes"),
                            keys.signing.public_key);
  ASSERT_FALSE(stale.has_value());
  EXPECT_EQ(stale.error().code, ErrorCode::kInternal);
}

TEST_F(ReceiptTest, MalformedReceiptsAreInvalidArgumentsNotCrashes) {
  Populate();
  const json r = Build(Delivered("dlv_x", sent_index)).value();
  for (const json& not_object : {json(nullptr), json("receipt"), json::array({r}), json(42)}) {
    ExpectCode(not_object, ErrorCode::kInvalidArgument, not_object.dump());
  }
  for (const char* field :
       {"format", "delivery", "partner", "advisory", "revision", "package_sha256", "ledger_index",
        "leaf", "leaf_hash", "tree_head", "inclusion_proof"}) {
    ExpectCode(Edit(r, [&](json& j) { j.erase(field); }), ErrorCode::kInvalidArgument,
               fmt::format("missing {}", field));
    ExpectCode(Edit(r,
                    [&](json& j) {
                      j[field] = json::object({{"x", 1}});
                    }),
               ErrorCode::kInvalidArgument, fmt::format("{} of the wrong type", field));
  }
  for (const char* field : {"tree_size", "root_hash", "timestamp", "signature"}) {
    ExpectCode(Edit(r, [&](json& j) { j["tree_head"].erase(field); }), ErrorCode::kInvalidArgument,
               fmt::format("missing tree_head.{}", field));
    ExpectCode(Edit(r, [&](json& j) { j["tree_head"][field] = json::array(); }),
               ErrorCode::kInvalidArgument, fmt::format("tree_head.{} of the wrong type", field));
  }
  const std::vector<std::pair<std::string, std::function<void(json&)>>> bad_values = {
      {"ledger_index as text", [](json& j) { j["ledger_index"] = "3"; }},
      {"negative ledger_index", [](json& j) { j["ledger_index"] = -1; }},
      {"fractional ledger_index", [](json& j) { j["ledger_index"] = 3.5; }},
      {"negative revision", [](json& j) { j["revision"] = -2; }},
      {"tree_size as text", [](json& j) { j["tree_head"]["tree_size"] = "6"; }},
      {"leaf_hash not hex", [](json& j) { j["leaf_hash"] = std::string(64, 'z'); }},
      {"leaf_hash short", [](json& j) { j["leaf_hash"] = "abcd"; }},
      {"package_sha256 not a digest", [](json& j) { j["package_sha256"] = "abc"; }},
      {"root_hash short", [](json& j) { j["tree_head"]["root_hash"] = "00"; }},
      {"timestamp garbage", [](json& j) { j["tree_head"]["timestamp"] = "yesterday"; }},
      {"signature not base64", [](json& j) { j["tree_head"]["signature"] = "not base64!"; }},
      {"signature short", [](json& j) { j["tree_head"]["signature"] = crypto::Base64("sig"); }},
      {"proof element a number", [](json& j) { j["inclusion_proof"][0] = 7; }},
      {"proof element short", [](json& j) { j["inclusion_proof"][0] = "abcd"; }},
      {"proof element not hex", [](json& j) { j["inclusion_proof"][0] = std::string(64, 'g'); }},
  };
  for (const auto& [why, edit] : bad_values) {
    ExpectCode(Edit(r, edit), ErrorCode::kInvalidArgument, why);
  }
  // Leaf text that is not JSON (with a matching hash) is a failed check, not a crash.
  ExpectDenied(Edit(r,
                    [](json& j) {
                      j["leaf"] = "{not json";
                      j["leaf_hash"] = crypto::Hex(ledger::LeafHash("{not json"));
                    }),
               "leaf not JSON", "not a JSON object");
  ExpectDenied(Edit(r,
                    [](json& j) {
                      j["leaf"] = "[1,2]";
                      j["leaf_hash"] = crypto::Hex(ledger::LeafHash("[1,2]"));
                    }),
               "leaf not an object", "not a JSON object");
  EXPECT_TRUE(Verify(Edit(r, [](json& j) { j["extra"] = true; })).has_value());
}

TEST_F(ReceiptTest, UsesTheLatestHeadWhenItCoversTheEntry) {
  Populate();
  {
    auto tx = Write();
    ASSERT_TRUE(ledger.SignHead(*tx).has_value());
    ASSERT_TRUE(tx->Commit().has_value());
  }
  ASSERT_EQ(HeadCount(), 1U);
  const std::string first_time = FormatTime(clock.Now());
  clock.Advance(std::chrono::hours(1));
  {
    // Entries after the head do not matter: it covers the delivery's entry.
    auto tx = Write();
    AppendOthers(*tx, 2);
    ASSERT_TRUE(tx->Commit().has_value());
  }
  auto receipt = Build(Delivered("dlv_x", sent_index));
  ASSERT_TRUE(receipt.has_value()) << receipt.error().message;
  EXPECT_EQ(HeadCount(), 1U);
  EXPECT_EQ((*receipt)["tree_head"]["tree_size"], 6);
  EXPECT_EQ((*receipt)["tree_head"]["timestamp"], first_time);
  EXPECT_TRUE(Verify(*receipt).has_value());
}

TEST_F(ReceiptTest, SignsANewHeadWhenNoneCoversTheEntry) {
  {
    auto tx = Write();
    AppendOthers(*tx, 2);
    ASSERT_TRUE(ledger.SignHead(*tx).has_value());  // covers entries 0 and 1 only
    sent_index = AppendSent(*tx, "dlv_x");
    ASSERT_TRUE(tx->Commit().has_value());
  }
  ASSERT_EQ(HeadCount(), 1U);
  clock.Advance(std::chrono::minutes(5));
  auto receipt = Build(Delivered("dlv_x", sent_index));
  ASSERT_TRUE(receipt.has_value()) << receipt.error().message;
  EXPECT_EQ(HeadCount(), 2U);
  EXPECT_EQ((*receipt)["tree_head"]["tree_size"], 3);
  EXPECT_EQ((*receipt)["tree_head"]["timestamp"], FormatTime(clock.Now()));
  EXPECT_TRUE(Verify(*receipt, kPackage).has_value());
  // Asking again reuses that head.
  ASSERT_TRUE(Build(Delivered("dlv_x", sent_index)).has_value());
  EXPECT_EQ(HeadCount(), 2U);
}

TEST_F(ReceiptTest, SignsTheFirstHeadOfAnUnsignedLedger) {
  Populate();
  ASSERT_EQ(HeadCount(), 0U);
  ASSERT_TRUE(Build(Delivered("dlv_x", sent_index)).has_value());
  EXPECT_EQ(HeadCount(), 1U);
}

TEST_F(ReceiptTest, OnlyDeliveredDeliveriesWithALedgerEntryGetReceipts) {
  Populate();
  auto tx = Write();
  for (const DeliveryState state : {DeliveryState::kPending, DeliveryState::kSending,
                                    DeliveryState::kCancelled, DeliveryState::kFailed}) {
    Delivery delivery = Delivered("dlv_x", sent_index);
    delivery.state = state;
    auto receipt = BuildReceipt(*tx, ledger, delivery, keys.signing.public_key);
    ASSERT_FALSE(receipt.has_value());
    EXPECT_EQ(receipt.error().code, ErrorCode::kFailedPrecondition) << ToString(state);
  }
  Delivery no_entry = Delivered("dlv_x", sent_index);
  no_entry.ledger_index.reset();
  auto receipt = BuildReceipt(*tx, ledger, no_entry, keys.signing.public_key);
  ASSERT_FALSE(receipt.has_value());
  EXPECT_EQ(receipt.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(tx->ListTreeHeads().value().size(), 0U);  // nothing signed for a refusal

  // An index past the end of the log is corrupt state.
  auto beyond = BuildReceipt(*tx, ledger, Delivered("dlv_x", 99), keys.signing.public_key);
  ASSERT_FALSE(beyond.has_value());
  EXPECT_EQ(beyond.error().code, ErrorCode::kInternal);
  // So is a key that is not the ledger's: the receipt would not verify.
  const auto other = crypto::GenerateSigningKeyPair(random);
  auto wrong_key = BuildReceipt(*tx, ledger, Delivered("dlv_x", sent_index), other.public_key);
  ASSERT_FALSE(wrong_key.has_value());
  EXPECT_EQ(wrong_key.error().code, ErrorCode::kInternal);
}

}  // namespace
}  // namespace forewarn::delivery
