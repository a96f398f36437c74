#include "trace/marks.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "trace/embed.h"
#include "trace/trace_testing.h"

namespace forewarn::trace {
namespace {

using testing::RandomBits;

Span SpanOf(const std::string& text, std::string_view needle, size_t from = 0) {
  const size_t at = text.find(needle, from);
  EXPECT_NE(at, std::string::npos) << needle;
  return Span{.begin = at, .end = at + needle.size()};
}

VariationPoint Choice(const std::string& text, std::string_view master_form,
                      std::vector<std::string> others, size_t from = 0) {
  VariationPoint point{.family = "wording",
                       .shape = PointShape::kChoice,
                       .spans = {SpanOf(text, master_form, from)}};
  point.forms.push_back({std::string(master_form)});
  for (auto& other : others) point.forms.push_back({std::move(other)});
  return point;
}

TEST(Permutation, RankRoundTripsAndZeroIsIdentity) {
  for (int n = 1; n <= 6; ++n) {
    uint64_t total = 1;
    for (int i = 2; i <= n; ++i) total *= i;
    for (uint64_t rank = 0; rank < total; ++rank) {
      const auto perm = PermutationOfRank(n, rank);
      ASSERT_EQ(RankOfPermutation(perm), rank) << n;
    }
    EXPECT_EQ(PermutationOfRank(n, 0), [n] {
      std::vector<int> id(n);
      for (int i = 0; i < n; ++i) id[i] = i;
      return id;
    }());
  }
  // Large orders: small ranks still round-trip (only the last items move).
  EXPECT_EQ(RankOfPermutation(PermutationOfRank(25, 65535)), 65535U);
}

TEST(MarkedDocument, BitsPerPoint) {
  const std::string text = "a b c d e f g h i";
  VariationPoint order{.family = "list-order", .shape = PointShape::kOrder};
  for (const char* item : {"a", "b", "c", "d", "e"}) order.spans.push_back(SpanOf(text, item));
  EXPECT_EQ(order.Bits(), 6);  // 5! = 120 orders: floor(log2 120) = 6
  VariationPoint three = Choice(text, "f", {"x", "y"});
  EXPECT_EQ(three.Bits(), 1);
  VariationPoint many{.family = "list-order", .shape = PointShape::kOrder};
  for (size_t i = 0; i < text.size(); i += 2) many.spans.push_back(Span{i, i + 1});
  EXPECT_EQ(many.Bits(), kMaxBitsPerPoint);
}

TEST(MarkedDocument, CreateRejectsMalformedPoints) {
  const std::string text = "alpha beta gamma delta";
  auto expect_invalid = [&](std::vector<VariationPoint> points, std::vector<CanaryPlacement> c,
                            std::string_view needle) {
    auto doc = MarkedDocument::Create(text, Language::kProse, std::move(points), std::move(c));
    ASSERT_FALSE(doc.has_value()) << needle;
    EXPECT_EQ(doc.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(doc.error().message.find(needle), std::string::npos) << doc.error().message;
  };
  expect_invalid({Choice(text, "alpha", {})}, {}, "at least 2 forms");
  expect_invalid({Choice(text, "alpha", {"alpha"})}, {}, "forms repeat");
  auto wrong_master = Choice(text, "alpha", {"first"});
  wrong_master.forms[0][0] = "ALPHA";
  expect_invalid({wrong_master}, {}, "master");
  expect_invalid({Choice(text, "alpha beta", {"x"}), Choice(text, "beta gamma", {"y"})}, {},
                 "overlap");
  VariationPoint single{
      .family = "list-order", .shape = PointShape::kOrder, .spans = {SpanOf(text, "beta")}};
  expect_invalid({single}, {}, "at least 2 items");
  VariationPoint outside = Choice(text, "delta", {"omega"});
  outside.spans[0].end = text.size() + 3;
  expect_invalid({outside}, {}, "outside");
  CanaryPlacement canary{.slot = {.name = "m", .kind = CanaryKind::kMarker, .pattern = "m-{id}"},
                         .original = "gamma",
                         .spans = {SpanOf(text, "delta")}};
  expect_invalid({}, {canary}, "does not hold");
}

TEST(MarkedDocument, RendersNestedPointsAndCanaries) {
  // Three items, each holding a choice; the order and the choices render together.
  const std::string text = "[one x] [two y] [three z] tail MARK";
  VariationPoint order{
      .family = "list-order",
      .shape = PointShape::kOrder,
      .spans = {SpanOf(text, "[one x]"), SpanOf(text, "[two y]"), SpanOf(text, "[three z]")}};
  std::vector<VariationPoint> points = {Choice(text, "x", {"X"}), order, Choice(text, "y", {"Y"}),
                                        Choice(text, "z", {"Z"})};
  // Points are given out of text order on purpose: positions follow the given order.
  CanaryPlacement canary{.slot = {.name = "m", .kind = CanaryKind::kMarker, .pattern = "m-{id}"},
                         .original = "MARK",
                         .spans = {SpanOf(text, "MARK")}};
  auto doc = MarkedDocument::Create(text, Language::kProse, points, {canary});
  ASSERT_TRUE(doc.has_value()) << doc.error().message;
  EXPECT_EQ(doc->CapacityBits(), 1 + 2 + 1 + 1);
  EXPECT_EQ(doc->Render({}, {}), text);
  // x -> X; order rank 0b11 = 3 -> permutation (1, 2, 0); z -> Z; canary value.
  const std::string rendered = doc->Render({1, 1, 1, 0, 1}, {{"m", "m-abc"}});
  EXPECT_EQ(rendered, "[two y] [three Z] [one X] tail m-abc");
}

TEST(MarkedDocument, ALeafMayFillAWholeOrderItem) {
  const std::string text = "$a and $b";
  VariationPoint order{.family = "operand-order",
                       .shape = PointShape::kOrder,
                       .spans = {SpanOf(text, "$a"), SpanOf(text, "$b")}};
  auto doc = MarkedDocument::Create(
      text, Language::kYara, {order, Choice(text, "$a", {"$a2"}), Choice(text, "$b", {"$b2"})}, {});
  ASSERT_TRUE(doc.has_value()) << doc.error().message;
  EXPECT_EQ(doc->Render({1, 1, 0}, {}), "$b and $a2");
}

// A document of explicit markup choices and one order of lines, large enough to carry bits.
std::string MarkupDocument() {
  std::string text;
  const char* words[] = {"install", "rotate", "restart", "review", "block", "search",
                         "enable",  "scan",   "patch",   "verify", "audit", "report"};
  for (int i = 0; i < 12; ++i) {
    text += "Step " + std::to_string(i) + " is to [[fw: " + words[i] + " | " + words[i] +
            "-now | quickly-" + words[i] + " | " + words[i] + "-promptly]] the system " +
            std::to_string(100 + i) + ".\n";
  }
  text += "- first unordered fact\n- second unordered fact\n- third unordered fact\n";
  return text;
}

Result<MarkedDocument> MarkupWithOrder() {
  std::string text = MarkupDocument();
  auto found = FindMarks(text, Language::kMarkup);
  if (!found) return found;
  auto points = found->points();
  VariationPoint order{.family = "list-order", .shape = PointShape::kOrder};
  for (const char* line :
       {"- first unordered fact", "- second unordered fact", "- third unordered fact"}) {
    order.spans.push_back(SpanOf(text, line));
  }
  points.push_back(order);
  return MarkedDocument::Create(text, Language::kMarkup, points, {});
}

TEST(MarkedDocument, ReadsBackEveryBitOfAVariant) {
  auto doc = MarkupWithOrder();
  ASSERT_TRUE(doc.has_value()) << doc.error().message;
  ASSERT_EQ(doc->CapacityBits(), 12 * 2 + 2);
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    const auto bits = RandomBits(seed, doc->CapacityBits());
    const std::string copy = doc->Render(bits, {});
    EXPECT_EQ(copy.find("[[fw"), std::string::npos);
    const ReadResult read = doc->Read(copy);
    ASSERT_EQ(read.positions_read, doc->CapacityBits()) << copy;
    for (size_t i = 0; i < bits.size(); ++i) EXPECT_EQ(read.bits[i], bits[i]) << i;
  }
}

TEST(MarkedDocument, ReadsThroughReflowAndErasesWhatAnExcerptLacks) {
  auto doc = MarkupWithOrder();
  ASSERT_TRUE(doc.has_value()) << doc.error().message;
  const auto bits = RandomBits(7, doc->CapacityBits());
  std::string copy = doc->Render(bits, {});
  // Re-flow: every newline becomes two spaces (the order of the list lines is kept).
  std::string reflowed = copy;
  for (char& c : reflowed) c = c == '\n' ? ' ' : c;
  const ReadResult all = doc->Read(reflowed);
  EXPECT_EQ(all.positions_read, doc->CapacityBits());
  // The first 6 lines only: their 6 points read correctly, the rest is erased.
  size_t cut = 0;
  for (int line = 0; line < 6; ++line) cut = copy.find('\n', cut) + 1;
  const ReadResult part = doc->Read(copy.substr(0, cut));
  EXPECT_EQ(part.positions_read, 12);
  for (size_t i = 0; i < bits.size(); ++i) {
    if (part.bits[i] >= 0) {
      EXPECT_EQ(part.bits[i], bits[i]) << i;
    }
  }
  EXPECT_EQ(part.erased_by_family.at("markup"), 6);
  EXPECT_EQ(part.erased_by_family.at("list-order"), 1);
}

TEST(MarkedDocument, AnUnrelatedTextReadsNothing) {
  auto doc = MarkupWithOrder();
  ASSERT_TRUE(doc.has_value()) << doc.error().message;
  EXPECT_EQ(doc->Read("nothing to see here.\n").positions_read, 0);
  // A form's words without the text around them are not evidence.
  EXPECT_EQ(doc->Read("we install, rotate and patch nothing.\n").positions_read, 0);
}

TEST(MarkedDocument, ErasesStyledPointsANormalizerRewrote) {
  // Six quoted words; a normalizer that turns every quote into a double quote leaves one style.
  std::string text;
  for (int i = 0; i < 6; ++i) text += "x" + std::to_string(i) + " = 'w" + std::to_string(i) + "'\n";
  std::vector<VariationPoint> points;
  for (int i = 0; i < 6; ++i) {
    const std::string single = "'w" + std::to_string(i) + "'";
    VariationPoint point{
        .family = "quote-style", .shape = PointShape::kChoice, .spans = {SpanOf(text, single)}};
    point.forms = {{single}, {"\"w" + std::to_string(i) + "\""}};
    point.styles = {"single", "double"};
    points.push_back(point);
  }
  auto doc = MarkedDocument::Create(text, Language::kPython, points, {});
  ASSERT_TRUE(doc.has_value()) << doc.error().message;
  const auto bits = std::vector<uint8_t>{1, 0, 1, 1, 0, 0};
  const std::string copy = doc->Render(bits, {});
  const ReadResult read = doc->Read(copy);
  EXPECT_EQ(read.positions_read, 6);
  std::string normalized = copy;
  for (char& c : normalized) c = c == '\'' ? '"' : c;
  const ReadResult after = doc->Read(normalized);
  EXPECT_EQ(after.positions_read, 0);
  EXPECT_EQ(after.erased_by_family.at("quote-style"), 6);
}

TEST(MarkedDocument, ViewListsPositionsAndLines) {
  auto doc = MarkupWithOrder();
  ASSERT_TRUE(doc.has_value()) << doc.error().message;
  const auto view = doc->View();
  ASSERT_EQ(view.size(), 13U);
  EXPECT_EQ(view[0].line, 1);
  EXPECT_EQ(view[0].bits, 2);
  EXPECT_EQ(view[1].first_position, 2);
  EXPECT_EQ(view.back().family, "list-order");
  EXPECT_EQ(view.back().line, 13);
}

TEST(MarkedDocument, CanariesLocateTheOrderItemsHoldingThem) {
  // The second item has nothing stable but its canary, whose pattern starts with the token.
  const std::string text = "- alpha beta\n- [[fw-canary: host dns-name {id}.cdn.example]]\n";
  auto found = FindMarks(text, Language::kMarkup);
  ASSERT_TRUE(found.has_value()) << found.error().message;
  VariationPoint order{.family = "list-order",
                       .shape = PointShape::kOrder,
                       .spans = {SpanOf(text, "- alpha beta"), SpanOf(text, "- [[fw-canary")}};
  order.spans[1].end = text.find("]]") + 2;
  auto doc = MarkedDocument::Create(text, Language::kMarkup, {order}, found->canaries());
  ASSERT_TRUE(doc.has_value()) << doc.error().message;
  const std::string copy = doc->Render({1}, {{"host", "abcdefgh23.cdn.example"}});
  EXPECT_EQ(copy, "- abcdefgh23.cdn.example\n- alpha beta\n");
  const ReadResult read = doc->Read(copy);
  ASSERT_EQ(read.positions_read, 1);
  EXPECT_EQ(read.bits[0], 1);
  EXPECT_EQ(doc->Read(doc->Render({0}, {{"host", "abcdefgh23.cdn.example"}})).bits[0], 0);
}

TEST(ExplicitMarkup, RejectsMalformedConstructsWithTheLine) {
  for (const auto& [text, needle] : std::vector<std::pair<std::string, std::string>>{
           {"ok\n[[fw: only]]\n", "line 2"},
           {"[[fw: a | a]]", "repeats"},
           {"[[fw: a | b\n]]", "not closed"},
           {"[[fw-canary: shell file-name]]", "NAME KIND PATTERN"},
           {"[[fw-canary: shell carrier x-{id}]]", "unknown"},
           {"[[fw-canary: shell file-name a/{id}]]", "file name"},
       }) {
    auto doc = FindMarks(text, Language::kMarkup);
    ASSERT_FALSE(doc.has_value()) << text;
    EXPECT_NE(doc.error().message.find(needle), std::string::npos) << doc.error().message;
  }
}

TEST(ExplicitMarkup, CanariesRenderPerRecipient) {
  auto doc =
      FindMarks("upload [[fw-canary: shell file-name help-{id}.aspx]] now", Language::kMarkup);
  ASSERT_TRUE(doc.has_value()) << doc.error().message;
  ASSERT_EQ(doc->canaries().size(), 1U);
  EXPECT_EQ(doc->canaries()[0].slot.kind, CanaryKind::kFileName);
  EXPECT_EQ(doc->Render({}, {{"shell", "help-abcdefghij.aspx"}}),
            "upload help-abcdefghij.aspx now");
}

}  // namespace
}  // namespace forewarn::trace
