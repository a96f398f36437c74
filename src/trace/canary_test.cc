// Canaries: keyed, reproducible, unique per partner and slot; rendered into valid values of
// each kind; found again in observed text (case-insensitively, in one pass) with the partner
// they name; collisions reported rather than guessed.
#include "trace/canary.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <stdexcept>

#include "tests/testing/testing.h"

namespace forewarn::trace {
namespace {

crypto::SecretBytes Key(uint64_t seed) {
  if (!crypto::Initialize()) throw std::runtime_error("libsodium failed to initialize");
  testing::SeededRandom random(seed);
  return crypto::SecretBytes::CopyFrom(crypto::RandomBytes(random, 32));
}

TEST(CanaryTest, TokensAreKeyedReproducibleAndDistinct) {
  const auto key = Key(1);
  const auto token = CanaryToken(key, "adv_1", "art_1", "shell", "prt_1");
  EXPECT_EQ(token.size(), kCanaryTokenLength);
  EXPECT_EQ(token, CanaryToken(key, "adv_1", "art_1", "shell", "prt_1"));
  EXPECT_NE(token, CanaryToken(Key(2), "adv_1", "art_1", "shell", "prt_1"));
  EXPECT_NE(token, CanaryToken(key, "adv_2", "art_1", "shell", "prt_1"));
  EXPECT_NE(token, CanaryToken(key, "adv_1", "art_2", "shell", "prt_1"));
  EXPECT_NE(token, CanaryToken(key, "adv_1", "art_1", "ua", "prt_1"));
  // 10,000 partners: all distinct (50-bit tokens).
  std::set<std::string> seen;
  for (int i = 0; i < 10000; ++i) {
    const auto t = CanaryToken(key, "adv_1", "art_1", "shell", fmt::format("prt_{}", i));
    for (char c : t) EXPECT_TRUE((c >= 'a' && c <= 'z') || (c >= '2' && c <= '7')) << t;
    seen.insert(t);
  }
  EXPECT_EQ(seen.size(), 10000u);
}

TEST(CanaryTest, SlotsAreValidatedPerKind) {
  const std::vector<CanarySlot> good = {
      {"shell", CanaryKind::kFileName, "help-{id}.aspx"},
      {"path", CanaryKind::kUrlPath, "/_layouts/15/{id}.aspx"},
      {"ua", CanaryKind::kUserAgent, "Mozilla/5.0 (Windows NT 10.0; Win64; x64) rv:{id}"},
      {"marker", CanaryKind::kMarker, "FW-{id}"},
      {"dns", CanaryKind::kDnsName, "{id}.cdn-health.example"}};
  for (const auto& slot : good) EXPECT_TRUE(ValidateCanarySlot(slot)) << slot.name;
  const std::vector<std::pair<CanarySlot, std::string>> bad = {
      {{"", CanaryKind::kMarker, "{id}"}, "name"},
      {{"Shell", CanaryKind::kMarker, "{id}"}, "name"},
      {{"m", CanaryKind::kMarker, "no placeholder"}, "exactly once"},
      {{"m", CanaryKind::kMarker, "{id}{id}"}, "exactly once"},
      {{"f", CanaryKind::kFileName, "dir/{id}.aspx"}, "file name"},
      {{"p", CanaryKind::kUrlPath, "x/{id}"}, "starts with '/'"},
      {{"d", CanaryKind::kDnsName, "{id}.Example"}, "lowercase"},
      {{"d", CanaryKind::kDnsName, "{id}..example"}, "empty label"},
      {{"d", CanaryKind::kDnsName, std::string(60, 'a') + "{id}.example"}, "63"},
      {{"m", CanaryKind::kMarker, "a\n{id}"}, "control"},
      {{"m", CanaryKind::kMarker, std::string(600, 'a') + "{id}"}, "512"}};
  for (const auto& [slot, message] : bad) {
    auto checked = ValidateCanarySlot(slot);
    ASSERT_FALSE(checked) << slot.pattern;
    EXPECT_EQ(checked.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(checked.error().message.find(message), std::string::npos) << checked.error().message;
  }
  EXPECT_TRUE(ParseCanaryKind("dns-name"));
  EXPECT_FALSE(ParseCanaryKind("dns"));
}

TEST(CanaryTest, RenderedValuesAreFoundWithTheirPartner) {
  const auto key = Key(3);
  const CanarySlot shell{"shell", CanaryKind::kFileName, "help-{id}.aspx"};
  const CanarySlot dns{"dns", CanaryKind::kDnsName, "{id}.cdn-health.example"};
  CanaryIndex index;
  std::map<std::string, std::string> shell_of;
  for (int i = 0; i < 100; ++i) {
    const std::string partner = fmt::format("prt_{}", i);
    for (const auto* slot : {&shell, &dns}) {
      const auto token = CanaryToken(key, "adv_1", "art_1", slot->name, partner);
      auto value = RenderCanary(*slot, token);
      ASSERT_TRUE(value) << value.error().message;
      if (slot == &shell) shell_of[partner] = *value;
      ASSERT_TRUE(index.Add({partner, slot->name, *value, token}));
    }
  }
  EXPECT_EQ(index.size(), 200u);
  // A web server log line with partner 42's web shell, upper-cased by the logger.
  std::string shell42 = shell_of["prt_42"];
  std::string upper = shell42;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  const std::string log = "10.0.0.7 - - [20/Jul/2025] \"POST /_layouts/15/" + upper +
                          " HTTP/1.1\" 200 -\nGET /index.html\n";
  const auto hits = index.Find(log);
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].canary.partner_id, "prt_42");
  EXPECT_EQ(hits[0].canary.slot, "shell");
  EXPECT_TRUE(hits[0].whole_value_seen);
  EXPECT_EQ(log.substr(hits[0].offset, kCanaryTokenLength).size(), kCanaryTokenLength);
  // The token alone (the attacker renamed the extension) still names the partner.
  const std::string token7 = CanaryToken(key, "adv_1", "art_1", "dns", "prt_7");
  const auto partial = index.Find("resolved " + token7 + ".other.example");
  ASSERT_EQ(partial.size(), 1u);
  EXPECT_EQ(partial[0].canary.partner_id, "prt_7");
  EXPECT_FALSE(partial[0].whole_value_seen);
  // Text without canaries, and text of base32 characters that are not tokens.
  EXPECT_TRUE(index.Find("nothing to see here, aaaaaaaaaaaaaaaaaaaaaaa").empty());
  EXPECT_TRUE(index.Find("").empty());
}

TEST(CanaryTest, CollisionsAndBadEntriesAreReported) {
  (void)Key(0);
  CanaryIndex index;
  ASSERT_TRUE(index.Add({"prt_1", "shell", "x-abcdefghij.aspx", "abcdefghij"}));
  EXPECT_TRUE(index.Add({"prt_1", "shell", "x-abcdefghij.aspx", "abcdefghij"}));  // same again
  auto collision = index.Add({"prt_2", "shell", "y-ABCDEFGHIJ.aspx", "ABCDEFGHIJ"});
  ASSERT_FALSE(collision);
  EXPECT_EQ(collision.error().code, ErrorCode::kConflict);
  EXPECT_EQ(index.Add({"prt_3", "s", "abc", "short"}).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(index.Add({"prt_3", "s", "no token", "bbbbbbbbbb"}).error().code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(RenderCanary({"m", CanaryKind::kMarker, "{id}"}, "0000000000").error().code,
            ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace forewarn::trace
