// Tests of the detection-rule embedders (YARA, Snort/Suricata, Sigma) and the prose embedder:
// the master renders back, each sample carries a measured capacity, every variant stays valid
// and means the same (YARA variants compile and match the same files with Debian's yara; Snort
// variants keep each rule's options and payload sequence; Sigma variants load to the same YAML
// data; prose variants keep their sentences), and hand-written inputs pin each family,
// including what must not become a point.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "trace/embed.h"
#include "trace/trace_testing.h"

namespace forewarn::trace {
namespace {

using testing::HaveTool;
using testing::RandomBits;
using testing::ReadSample;
using testing::RunCommand;
using testing::TempFile;

constexpr int kVariants = 30;

MarkedDocument Marks(const std::string& text, Language language) {
  return testing::MarksOf(text, language);
}

std::map<std::string, int> Families(const MarkedDocument& doc) {
  return testing::FamilyCounts(doc);
}

// Bits selecting symbol `symbol` at point `index` and 0 everywhere else.
std::vector<uint8_t> BitsFor(const MarkedDocument& doc, int index, uint64_t symbol) {
  std::vector<uint8_t> bits(static_cast<size_t>(doc.CapacityBits()), 0);
  const PointView view = doc.View()[static_cast<size_t>(index)];
  for (int b = 0; b < view.bits; ++b) {
    bits[static_cast<size_t>(view.first_position + b)] = (symbol >> b) & 1U;
  }
  return bits;
}

std::string SpanText(const std::string& text, const Span& span) {
  return text.substr(span.begin, span.end - span.begin);
}

// For every choice point and every usable form, the render with only that point set is the
// master with exactly that point's spans replaced; every order point's rank-1 render differs
// from the master and holds every item.
void ExpectEveryFormRenders(const MarkedDocument& doc) {
  const std::string& master = doc.master();
  for (size_t p = 0; p < doc.points().size(); ++p) {
    const VariationPoint& point = doc.points()[p];
    ASSERT_GE(point.Bits(), 1) << point.description;
    if (point.shape == PointShape::kChoice) {
      for (uint64_t v = 1; v < (uint64_t{1} << point.Bits()); ++v) {
        std::string expected = master;
        for (size_t s = point.spans.size(); s-- > 0;) {
          expected.replace(point.spans[s].begin, point.spans[s].end - point.spans[s].begin,
                           point.forms[v][s]);
        }
        EXPECT_EQ(doc.Render(BitsFor(doc, static_cast<int>(p), v), {}), expected)
            << point.description << " form " << v;
      }
    } else {
      const std::string variant = doc.Render(BitsFor(doc, static_cast<int>(p), 1), {});
      EXPECT_NE(variant, master) << point.description;
      EXPECT_EQ(variant.size(), master.size()) << point.description;
      for (const Span& item : point.spans) {
        EXPECT_NE(variant.find(SpanText(master, item)), std::string::npos) << point.description;
      }
    }
  }
}

// kVariants variants from seeded random bits; asserts that distinct bits gave distinct texts.
std::vector<std::string> Variants(const MarkedDocument& doc, uint64_t seed) {
  std::vector<std::string> variants;
  std::set<std::vector<uint8_t>> bit_sets;
  std::set<std::string> texts;
  for (int i = 0; i < kVariants; ++i) {
    const auto bits = RandomBits(seed + static_cast<uint64_t>(i), doc.CapacityBits());
    variants.push_back(doc.Render(bits, {}));
    if (bit_sets.insert(bits).second) texts.insert(variants.back());
  }
  EXPECT_EQ(texts.size(), bit_sets.size()) << "distinct bits must give distinct variants";
  return variants;
}

void ExpectMasterRenders(const MarkedDocument& doc) {
  EXPECT_EQ(doc.Render(std::vector<uint8_t>(static_cast<size_t>(doc.CapacityBits()), 0), {}),
            doc.master());
  EXPECT_EQ(doc.Render({}, {}), doc.master());
  EXPECT_TRUE(doc.canaries().empty()) << "rules and prose carry no canary";
}

// ------------------------------------------------------------------------------------- YARA

const char* const kYaraMatch =
    "<%@ Page Language=\"C#\" %>\n<script runat=\"server\">\n"
    "var s = (MachineKeySection)cfg; Response.Write(s.ValidationKey);\n</script>\n";
const char* const kYaraMatchKeys =
    "<%@ page language=\"c#\" %>\nResponse.Write(\"ValidationKey\" + \"DecryptionKey\");\n";
const char* const kYaraPartial =  // validation key without decryption key, no machine key
    "<%@ Page Language=\"C#\" %>\nResponse.Write(ValidationKey);\n";
const char* const kYaraPlain = "<html><body>Hello, Fabrikam Portal</body></html>\n";

// "RULE PATH" lines of `yara RULES DIR`, sorted; empty with `ok` false when yara failed.
std::vector<std::string> YaraMatches(const std::string& rules, const std::string& dir, bool& ok) {
  TempFile file("rules.yar", rules);
  const auto result = RunCommand("/usr/bin/yara " + file.path() + " " + dir);
  ok = result.exit_code == 0;
  std::vector<std::string> lines;
  size_t at = 0;
  while (at < result.output.size()) {
    size_t nl = result.output.find('\n', at);
    if (nl == std::string::npos) nl = result.output.size();
    if (nl > at) lines.push_back(result.output.substr(at, nl - at));
    at = nl + 1;
  }
  std::sort(lines.begin(), lines.end());
  return lines;
}

TEST(YaraEmbedder, SampleRendersMasterAndHasCapacity) {
  const MarkedDocument doc = Marks(ReadSample("fabrikam_webshell.yar"), Language::kYara);
  ExpectMasterRenders(doc);
  // Measured: 30 bits (meta 6, strings 6, 5 names x 2, modifiers 1, operands 4+1+1, 20KB 1).
  EXPECT_GE(doc.CapacityBits(), 28);
  const auto families = Families(doc);
  EXPECT_EQ(families.at("meta-order"), 1);
  EXPECT_EQ(families.at("statement-order"), 1);
  EXPECT_EQ(families.at("string-name"), 5);
  EXPECT_EQ(families.at("operand-order"), 3);
  EXPECT_EQ(families.at("literal-form"), 1);
  EXPECT_EQ(families.at("option-order"), 1);
  ExpectEveryFormRenders(doc);
}

TEST(YaraEmbedder, VariantsCompileAndMatchTheSameFiles) {
  if (!HaveTool("/usr/bin/yara")) GTEST_SKIP() << "yara is not installed";
  const MarkedDocument doc = Marks(ReadSample("fabrikam_webshell.yar"), Language::kYara);
  TempFile match("match.aspx", kYaraMatch);
  const std::string dir = match.dir();
  std::ofstream(dir + "/match_keys.aspx") << kYaraMatchKeys;
  std::ofstream(dir + "/partial.aspx") << kYaraPartial;
  std::ofstream(dir + "/plain.html") << kYaraPlain;
  std::ofstream(dir + "/large.aspx") << kYaraMatch << std::string(21 * 1024, 'x');
  // Under the 20KB limit but above smaller ones: a wrong size literal would drop it.
  std::ofstream(dir + "/medium.aspx") << kYaraMatch << std::string(19 * 1024, 'x');
  bool ok = false;
  const auto expected = YaraMatches(doc.master(), dir, ok);
  ASSERT_TRUE(ok);
  // The master itself matches exactly the three shells (not the partial, plain or large files).
  ASSERT_EQ(expected.size(), 3U) << ::testing::PrintToString(expected);
  EXPECT_NE(expected[0].find("match.aspx"), std::string::npos);
  EXPECT_NE(expected[1].find("match_keys.aspx"), std::string::npos);
  EXPECT_NE(expected[2].find("medium.aspx"), std::string::npos);
  for (const std::string& variant : Variants(doc, 100)) {
    EXPECT_EQ(YaraMatches(variant, dir, ok), expected) << variant;
    EXPECT_TRUE(ok) << variant;
  }
}

TEST(YaraEmbedder, HandWrittenFamilies) {
  const std::string rules =
      "rule A\n{\n  meta:\n    author = \"x\"\n    score = 5\n  strings:\n"
      "    $mz = \"MZ\" wide ascii\n    $pe = \"PE\"\n"
      "  condition:\n    #mz > 2 and $pe and uint16(0) == 0x5A4D\n}\n";
  const MarkedDocument doc = Marks(rules, Language::kYara);
  const auto families = Families(doc);
  EXPECT_EQ(families.count("meta-order"), 1U);
  EXPECT_EQ(families.count("statement-order"), 1U);
  EXPECT_EQ(families.count("option-order"), 1U);
  // `uint16(0) == 0x5A4D` is not a simple operand: no operand order at the top level.
  EXPECT_EQ(families.count("operand-order"), 0U);
  // $mz is used as `$mz` and `#mz`: renamed together.
  bool saw_mz = false;
  for (const auto& point : doc.points()) {
    if (point.family == "string-name" && SpanText(rules, point.spans[0]) == "$mz") {
      saw_mz = true;
      EXPECT_TRUE(point.read_globally);
      ASSERT_EQ(point.spans.size(), 2U);
      EXPECT_EQ(SpanText(rules, point.spans[1]), "#mz");
      for (const auto& form : point.forms) EXPECT_EQ(form[1], "#" + form[0].substr(1));
    }
    if (point.family == "literal-form") {
      const std::string master = SpanText(rules, point.spans[0]);
      if (master == "0x5A4D") {
        EXPECT_EQ(point.forms[1][0], "23117");
        EXPECT_EQ(point.styles, (std::vector<std::string>{"hex", "decimal"}));
      }
      if (master == "2") {
        EXPECT_EQ(point.forms[1][0], "0x2");
      }
    }
  }
  EXPECT_TRUE(saw_mz);
  ExpectEveryFormRenders(doc);
}

TEST(YaraEmbedder, NegativeCases) {
  // Mixed and/or at one level: no operand order; names under a wildcard are not renamed; a name
  // that also occurs elsewhere in the text (a meta value) is not renamed.
  const std::string rules =
      "rule B\n{\n  meta:\n    note = \"mentions sig\"\n  strings:\n    $a1 = \"x\"\n"
      "    $a2 = \"y\"\n    $sig = \"z\"\n  condition:\n    $sig and any of ($a*) or $sig\n}\n";
  const MarkedDocument doc = Marks(rules, Language::kYara);
  for (const auto& point : doc.points()) {
    EXPECT_NE(point.family, "string-name") << point.description;
    EXPECT_NE(point.family, "operand-order") << point.description;
    EXPECT_NE(point.family, "meta-order") << "a single meta line is no order";
  }
  // A hex string spanning lines: the strings section is not reordered.
  const std::string hex =
      "rule C\n{\n  strings:\n    $h = { 4D 5A\n      90 00 }\n    $t = \"t\"\n"
      "  condition:\n    $h or $t\n}\n";
  const MarkedDocument hex_doc = Marks(hex, Language::kYara);
  for (const auto& point : hex_doc.points()) EXPECT_NE(point.family, "statement-order");
  EXPECT_EQ(Families(hex_doc).count("operand-order"), 1U);
}

// ------------------------------------------------------------------------------------ Snort

constexpr std::string_view kFreeOptions[] = {"msg",       "classtype", "sid",      "rev",
                                             "reference", "metadata",  "priority", "gid"};

struct SnortRuleParts {
  std::string header;
  std::vector<std::string> options;  // "name:value;" texts, trimmed
};

// Splits each rule line into its header and options (';' inside quotes do not split).
std::vector<SnortRuleParts> ParseSnort(const std::string& text) {
  std::vector<SnortRuleParts> rules;
  size_t at = 0;
  while (at < text.size()) {
    size_t nl = text.find('\n', at);
    if (nl == std::string::npos) nl = text.size();
    const std::string line = text.substr(at, nl - at);
    at = nl + 1;
    const size_t open = line.find('(');
    if (open == std::string::npos) continue;
    SnortRuleParts rule{.header = line.substr(0, open)};
    std::string current;
    bool quoted = false;
    for (size_t i = open + 1; i < line.size(); ++i) {
      const char c = line[i];
      if (c == '\\' && i + 1 < line.size()) {
        current += c;
        current += line[++i];
        continue;
      }
      if (c == '"') quoted = !quoted;
      if (!quoted && c == ')' && current.find_first_not_of(' ') == std::string::npos) break;
      current += c;
      if (!quoted && c == ';') {
        rule.options.push_back(current.substr(current.find_first_not_of(' ')));
        current.clear();
      }
    }
    rules.push_back(std::move(rule));
  }
  return rules;
}

bool IsFreeOption(const std::string& option) {
  const std::string name = option.substr(0, option.find_first_of(":;"));
  return std::find(std::begin(kFreeOptions), std::end(kFreeOptions), name) !=
         std::end(kFreeOptions);
}

std::vector<std::string> PayloadSequence(const SnortRuleParts& rule) {
  std::vector<std::string> payload;
  for (const auto& option : rule.options) {
    if (!IsFreeOption(option)) payload.push_back(option);
  }
  return payload;
}

TEST(SnortEmbedder, SampleVariantsKeepOptionsAndPayloadSequence) {
  const MarkedDocument doc = Marks(ReadSample("fabrikam_exploit.rules"), Language::kSnort);
  ExpectMasterRenders(doc);
  // Measured: 8 bits (2 rules x 4 position-independent options: msg, classtype, sid, rev).
  EXPECT_GE(doc.CapacityBits(), 8);
  EXPECT_EQ(Families(doc).at("option-order"), 2);
  ExpectEveryFormRenders(doc);
  const auto master = ParseSnort(doc.master());
  ASSERT_EQ(master.size(), 2U);
  ASSERT_EQ(master[0].options.size(), 13U);
  for (const std::string& variant : Variants(doc, 200)) {
    const auto rules = ParseSnort(variant);
    ASSERT_EQ(rules.size(), master.size());
    for (size_t r = 0; r < rules.size(); ++r) {
      EXPECT_EQ(rules[r].header, master[r].header);
      auto a = rules[r].options;
      auto b = master[r].options;
      std::sort(a.begin(), a.end());
      std::sort(b.begin(), b.end());
      EXPECT_EQ(a, b) << "same multiset of options";
      EXPECT_EQ(PayloadSequence(rules[r]), PayloadSequence(master[r])) << variant;
    }
  }
}

TEST(SnortEmbedder, PayloadOptionsNeverMove) {
  const std::string rule =
      "alert tcp any any -> any 80 (content:\"a;b\"; nocase; sid:1; msg:\"x (y)\"; "
      "pcre:\"/a\\;b/\"; rev:2; reference:url,example.com;)\n"
      "# alert tcp any any -> any 80 (msg:\"disabled\"; sid:2; rev:1;)\n"
      "alert tcp any any -> any 80 (msg:\"one\"; content:\"z\"; sid:3)\n";
  const MarkedDocument doc = Marks(rule, Language::kSnort);
  // One point: the commented-out rule is ignored and the last rule's final option lacks ';'.
  ASSERT_EQ(doc.points().size(), 1U);
  const VariationPoint& point = doc.points()[0];
  ASSERT_EQ(point.spans.size(), 4U);
  for (const Span& span : point.spans) {
    EXPECT_TRUE(IsFreeOption(SpanText(rule, span))) << SpanText(rule, span);
  }
  ExpectEveryFormRenders(doc);
}

// ------------------------------------------------------------------------------------ Sigma

bool HavePythonYaml() {
  return HaveTool("/usr/bin/python3") &&
         RunCommand("/usr/bin/python3 -c 'import yaml'").exit_code == 0;
}

// Top-level key -> block text, and the sorted lines, as a structure check without PyYAML.
std::vector<std::string> SortedLinesUnquoted(std::string text) {
  text.erase(std::remove(text.begin(), text.end(), '\''), text.end());
  text.erase(std::remove(text.begin(), text.end(), '"'), text.end());
  std::vector<std::string> lines;
  size_t at = 0;
  while (at < text.size()) {
    size_t nl = text.find('\n', at);
    if (nl == std::string::npos) nl = text.size();
    lines.push_back(text.substr(at, nl - at));
    at = nl + 1;
  }
  std::sort(lines.begin(), lines.end());
  return lines;
}

TEST(SigmaEmbedder, SampleVariantsLoadToTheSameData) {
  const MarkedDocument doc = Marks(ReadSample("fabrikam_exploit.sigma.yml"), Language::kSigma);
  ExpectMasterRenders(doc);
  // Measured: 21 bits (11 top-level keys 16 (capped), tags 1, selection entries 1, 3 quotes).
  EXPECT_GE(doc.CapacityBits(), 20);
  const auto families = Families(doc);
  EXPECT_EQ(families.at("meta-order"), 1);
  EXPECT_EQ(families.at("list-order"), 1);
  EXPECT_EQ(families.at("entry-order"), 1);
  EXPECT_EQ(families.at("quote-style"), 3);
  for (const auto& point : doc.points()) {
    for (const Span& span : point.spans) {
      EXPECT_FALSE(SpanText(doc.master(), span).starts_with("detection:")) << "detection stays";
    }
  }
  ExpectEveryFormRenders(doc);
  const auto variants = Variants(doc, 300);
  if (HavePythonYaml()) {
    // Sigma's tags, references and false positives are sets: compared sorted. Mapping key
    // order is not part of the loaded data; everything else must be equal.
    TempFile master_file("master.yml", doc.master());
    std::string command =
        "/usr/bin/python3 -c 'import sys, yaml\n"
        "def load(p):\n"
        "  d = yaml.safe_load(open(p))\n"
        "  for k in (\"tags\", \"references\", \"falsepositives\"):\n"
        "    if k in d: d[k] = sorted(d[k])\n"
        "  return d\n"
        "m = load(sys.argv[1])\n"
        "bad = [p for p in sys.argv[2:] if load(p) != m]\n"
        "print(\"differ:\", bad)\nsys.exit(1 if bad else 0)' " +
        master_file.path();
    std::vector<std::unique_ptr<TempFile>> files;
    for (size_t i = 0; i < variants.size(); ++i) {
      files.push_back(std::make_unique<TempFile>("v" + std::to_string(i) + ".yml", variants[i]));
      command += " " + files.back()->path();
    }
    const auto result = RunCommand(command);
    EXPECT_EQ(result.exit_code, 0) << result.output;
  } else {
    for (const std::string& variant : variants) {
      EXPECT_EQ(SortedLinesUnquoted(variant), SortedLinesUnquoted(doc.master())) << variant;
    }
  }
}

TEST(SigmaEmbedder, NegativeCases) {
  const std::string rule =
      "title: T\nstatus: test\ndetection:\n    sel:\n        a: 'it''s'\n"
      "    other:\n        b: 'c:\\x'\n        d: \"e\"\n    condition: sel or other\n";
  const MarkedDocument doc = Marks(rule, Language::kSigma);
  const auto families = Families(doc);
  // 'it''s' and 'c:\x' keep their quotes; "e" may become 'e'.
  EXPECT_EQ(families.count("quote-style"), 1U);
  EXPECT_EQ(families.count("entry-order"), 1U);  // `other` has 2 entries, `sel` only one
  EXPECT_EQ(families.count("meta-order"), 1U);   // title and status; detection is not an item
  for (const auto& point : doc.points()) {
    if (point.family == "quote-style") {
      EXPECT_EQ(point.forms[0][0], "\"e\"");
      EXPECT_EQ(point.styles, (std::vector<std::string>{"double", "single"}));
    }
    if (point.family == "meta-order") {
      EXPECT_EQ(point.spans.size(), 2U);
    }
  }
  ExpectEveryFormRenders(doc);
  // A second YAML document or a block scalar: left alone entirely.
  EXPECT_EQ(Marks("title: a\nid: b\n---\ntitle: c\nid: d\n", Language::kSigma).points().size(), 0U);
  EXPECT_EQ(Marks("title: a\ndescription: |\n  x\nid: b\n", Language::kSigma).points().size(), 0U);
}

// ------------------------------------------------------------------------------------ Prose

// Sentence ends ('.', '!' or '?' before whitespace or the end), not counting "e.g.".
int Sentences(std::string text) {
  for (size_t at = text.find("e.g."); at != std::string::npos; at = text.find("e.g.", at)) {
    text.replace(at, 4, "eg");
  }
  int count = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if ((text[i] == '.' || text[i] == '!' || text[i] == '?') &&
        (i + 1 == text.size() || std::isspace(static_cast<unsigned char>(text[i + 1])))) {
      ++count;
    }
  }
  return count;
}

void ExpectProseVariantsKeepSentences(const MarkedDocument& doc, uint64_t seed) {
  const int sentences = Sentences(doc.master());
  for (const std::string& variant : Variants(doc, seed)) {
    EXPECT_EQ(Sentences(variant), sentences) << variant;
    for (const auto& point : doc.points()) {
      if (point.family != "wording") continue;
      EXPECT_TRUE(std::any_of(point.forms.begin(), point.forms.end(), [&](const auto& form) {
        return variant.find(form[0]) != std::string::npos;
      })) << point.description;
    }
  }
}

TEST(ProseEmbedder, DescriptionSample) {
  const MarkedDocument doc = Marks(ReadSample("fabrikam_description.md"), Language::kProse);
  ExpectMasterRenders(doc);
  // Measured: 31 bits (25 wording points, 2 of them with 4 forms; 1 serial comma; 3 bullets).
  EXPECT_GE(doc.CapacityBits(), 28);
  const auto families = Families(doc);
  EXPECT_GE(families.at("wording"), 20);
  EXPECT_EQ(families.at("list-order"), 1);
  EXPECT_EQ(families.at("punctuation"), 1);
  for (const auto& point : doc.points()) {
    for (const Span& span : point.spans) {
      const std::string text = SpanText(doc.master(), span);
      EXPECT_EQ(text.find('`') == std::string::npos || point.shape == PointShape::kOrder, true)
          << "no choice inside code spans: " << text;
    }
  }
  ExpectEveryFormRenders(doc);
  ExpectProseVariantsKeepSentences(doc, 400);
}

TEST(ProseEmbedder, MitigationSample) {
  const MarkedDocument doc = Marks(ReadSample("fabrikam_mitigation.md"), Language::kProse);
  ExpectMasterRenders(doc);
  // Measured: 7 bits, all wording; the numbered steps are never reordered.
  EXPECT_GE(doc.CapacityBits(), 6);
  EXPECT_EQ(Families(doc).count("list-order"), 0U);
  ExpectEveryFormRenders(doc);
  ExpectProseVariantsKeepSentences(doc, 500);
}

TEST(ProseEmbedder, HandWrittenFamilies) {
  const std::string text =
      "Install the update because it fixes the flaw. Then restart, e.g. at night.\n"
      "We support Windows, Linux and macOS. A remote code\nexecution follows.\n\n"
      "- First bullet\n- Second thing\n";
  const MarkedDocument doc = Marks(text, Language::kProse);
  std::map<std::string, std::vector<std::string>> seen;
  for (const auto& point : doc.points()) {
    seen[point.family].push_back(SpanText(text, point.spans[0]));
  }
  // A phrase wrapped over two lines is found too.
  EXPECT_EQ(seen["wording"], (std::vector<std::string>{"Install the update", "because", "Then",
                                                       "remote code\nexecution"}));
  EXPECT_EQ(seen["punctuation"], (std::vector<std::string>{"e.g.", " and"}));
  ASSERT_EQ(seen["list-order"].size(), 0U) << "a list whose item starts with 'First' is ordered";
  for (const auto& point : doc.points()) {
    if (point.description.find("Install") != std::string::npos) {
      EXPECT_EQ(point.forms[1][0], "Apply the update") << "case kept";
    }
  }
  ExpectEveryFormRenders(doc);
  const std::string bullets = "Look for:\n\n- new pages\n- odd processes\n- login spikes\n";
  const MarkedDocument list_doc = Marks(bullets, Language::kProse);
  ASSERT_EQ(Families(list_doc).count("list-order"), 1U);
  EXPECT_EQ(list_doc.points()[0].spans.size(), 3U);
  ExpectEveryFormRenders(list_doc);
}

TEST(ProseEmbedder, NegativeCases) {
  const std::string text =
      "# Install the update\n\n"
      "Run `install the update` and see https://example.com/install-the-update-because.\n\n"
      "1. Open the console.\n2. Check the logs.\n\n"
      "```\nbecause typically\n```\n\n"
      "It was unpatched since July, then fixed. Alloweds are not allow-listed.\n"
      "When exposed, servers and clients are at risk.\n";
  const MarkedDocument doc = Marks(text, Language::kProse);
  for (const auto& point : doc.points()) {
    ADD_FAILURE() << "unexpected point " << point.family << ": " << point.description;
  }
}

// Every embedder on every sample (mostly the wrong language): valid points, master renders.
TEST(RuleAndProseEmbedders, AnyInputGivesValidMarks) {
  const std::vector<std::string> samples = {"fabrikam_webshell.yar",      "fabrikam_exploit.rules",
                                            "fabrikam_exploit.sigma.yml", "fabrikam_description.md",
                                            "fabrikam_mitigation.md",     "fabrikam_portal_poc.py",
                                            "fabrikam_request.http",      "FabrikamProbe.cs",
                                            "northwind_sync_poc.ps1",     "fabrikam_iocs.json"};
  for (const std::string& name : samples) {
    const std::string text = ReadSample(name);
    for (Language language :
         {Language::kYara, Language::kSnort, Language::kSigma, Language::kProse}) {
      auto doc = FindMarks(text, language);
      ASSERT_TRUE(doc.has_value())
          << name << " as " << ToString(language) << ": " << doc.error().message;
      EXPECT_EQ(doc->Render({}, {}), text);
      const auto bits = RandomBits(7, doc->CapacityBits());
      EXPECT_FALSE(doc->Render(bits, {}).empty());
    }
  }
}

}  // namespace
}  // namespace forewarn::trace
