// Tests of the PowerShell, C# and raw HTTP embedders: the master renders back, each sample
// carries a measured capacity, every variant stays valid and means the same, and hand-written
// inputs pin each family, including what must not become a point.
//
// Code variants (PowerShell, C#) are checked with a token-level checker: brackets balance; every
// master token outside all spans appears in the variant in the same order; and the multiset of
// normalized tokens (string bodies with literal concatenations merged, integers by value,
// renamed identifiers and canary values mapped back, case folded) equals the master's. HTTP
// variants are parsed as requests: same request line, Host first, header names unique, the same
// (name, value) header pairs except the canary, the same body fields and body length, and the
// master's Content-Length (the sample's own Content-Length, 174, does not match its 187-byte
// body; a variant keeps whatever the master says). pwsh and mcs are used when installed (they
// usually are not).
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <map>
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

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string SpanText(const std::string& text, const Span& span) {
  return text.substr(span.begin, span.end - span.begin);
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

// Each partner's canary values: the slot pattern with a token derived from `seed`.
std::map<std::string, std::string> CanaryValues(const MarkedDocument& doc, int seed) {
  std::map<std::string, std::string> values;
  const std::string alphabet = "abcdefghijklmnopqrstuvwxyz234567";
  int n = 0;
  for (const auto& canary : doc.canaries()) {
    std::string token;
    for (int i = 0; i < 10; ++i)
      token += alphabet[static_cast<size_t>((seed * 7 + n * 13 + i * 5) % 32)];
    auto value = RenderCanary(canary.slot, token);
    EXPECT_TRUE(value.has_value());
    if (value.has_value()) values[canary.slot.name] = *value;
    ++n;
  }
  return values;
}

// For every choice point and usable form, rendering only that point replaces exactly its spans;
// every order point's rank-1 render differs from the master and keeps its length.
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
    }
  }
}

// ------------------------------------------------------------------ code checker (PS, C#)

bool BracketsBalance(const std::vector<Token>& tokens) {
  std::string stack;
  for (const Token& t : tokens) {
    if (t.kind != TokenKind::kPunct) continue;
    const char c = t.text[0];
    if (c == '(' || c == '[' || c == '{') stack.push_back(c);
    if (c == ')' || c == ']' || c == '}') {
      const char open = c == ')' ? '(' : c == ']' ? '[' : '{';
      if (stack.empty() || stack.back() != open) return false;
      stack.pop_back();
    }
  }
  return stack.empty();
}

// Normalized tokens: string literals joined by '+' become one body, integers their value, all
// lowercased, sorted.
std::vector<std::string> NormalizedTokens(const std::string& text, Language language) {
  const Syntax syntax = SyntaxFor(language);
  const std::vector<Token> tokens = Tokenize(text, syntax);
  std::vector<std::string> out;
  for (size_t i = 0; i < tokens.size(); ++i) {
    const Token& t = tokens[i];
    if (t.kind == TokenKind::kString) {
      std::string body(StringBody(t, syntax));
      while (language == Language::kCSharp && i + 2 < tokens.size() &&
             tokens[i + 1].kind == TokenKind::kPunct && tokens[i + 1].text == "+" &&
             tokens[i + 2].kind == TokenKind::kString && t.text[0] == '"' &&
             tokens[i + 2].text[0] == '"' &&
             (i + 3 >= tokens.size() || tokens[i + 3].text != ".")) {
        body += std::string(StringBody(tokens[i + 2], syntax));
        i += 2;
      }
      // In PowerShell a body with `$` or a backtick means something else in each quote style:
      // keep the quote in its key so a quote change there shows.
      const bool interpolating =
          language == Language::kPowerShell && body.find_first_of("$`") != std::string::npos;
      out.push_back("s:" + (interpolating ? std::string(1, t.text[0]) : std::string()) +
                    Lower(body));
    } else if (t.kind == TokenKind::kNumber) {
      const std::string s(t.text);
      const bool hex = s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
      out.push_back("n:" +
                    std::to_string(std::stoll(hex ? s.substr(2) : s, nullptr, hex ? 16 : 10)));
    } else {
      out.push_back(Lower(std::string(t.text)));
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Replaces every occurrence of `from` (ignoring case when `fold`) by `to`.
std::string ReplaceAll(std::string text, const std::string& from, const std::string& to,
                       bool fold) {
  if (from.empty()) return text;
  size_t at = 0;
  while (true) {
    at = fold ? Lower(text).find(Lower(from), at) : text.find(from, at);
    if (at == std::string::npos) break;
    text.replace(at, from.size(), to);
    at += to.size();
  }
  return text;
}

void ExpectCodeVariantKeepsMeaning(const MarkedDocument& doc, const std::string& variant,
                                   const std::map<std::string, std::string>& canaries) {
  const Language language = doc.language();
  const Syntax syntax = SyntaxFor(language);
  const std::string& master = doc.master();
  const std::vector<Token> variant_tokens = Tokenize(variant, syntax);
  EXPECT_TRUE(BracketsBalance(variant_tokens));
  // Tokens outside every span keep their order.
  std::vector<Span> spans;
  for (const auto& p : doc.points()) spans.insert(spans.end(), p.spans.begin(), p.spans.end());
  for (const auto& c : doc.canaries()) spans.insert(spans.end(), c.spans.begin(), c.spans.end());
  size_t v = 0;
  for (const Token& t : Tokenize(master, syntax)) {
    const bool inside = std::any_of(spans.begin(), spans.end(), [&](const Span& s) {
      return s.begin < t.end && t.begin < s.end;
    });
    if (inside) continue;
    while (v < variant_tokens.size() && variant_tokens[v].text != t.text) ++v;
    ASSERT_LT(v, variant_tokens.size())
        << "token '" << t.text << "' of line " << t.line << " lost or moved";
    ++v;
  }
  // Same normalized tokens once renames and canaries are mapped back.
  std::string back = variant;
  for (const auto& c : doc.canaries()) {
    auto value = canaries.find(c.slot.name);
    if (value != canaries.end()) back = ReplaceAll(back, value->second, c.original, false);
  }
  const bool fold = language == Language::kPowerShell;
  for (const auto& p : doc.points()) {
    if (!p.read_globally) continue;
    for (size_t f = 1; f < p.forms.size(); ++f)
      back = ReplaceAll(back, p.forms[f][0], p.forms[0][0], fold);
  }
  EXPECT_EQ(NormalizedTokens(back, language), NormalizedTokens(master, language));
}

void ExpectVariantsValid(const MarkedDocument& doc) {
  std::set<std::string> texts;
  std::set<std::vector<uint8_t>> bit_vectors;
  for (int seed = 1; seed <= kVariants; ++seed) {
    const auto bits = RandomBits(static_cast<uint64_t>(seed), doc.CapacityBits());
    const auto canaries = CanaryValues(doc, seed);
    const std::string variant = doc.Render(bits, canaries);
    for (const auto& [slot, value] : canaries) {
      EXPECT_NE(variant.find(value), std::string::npos) << slot;
    }
    ExpectCodeVariantKeepsMeaning(doc, variant, canaries);
    texts.insert(doc.Render(bits, {}));
    bit_vectors.insert(bits);
  }
  EXPECT_EQ(texts.size(), bit_vectors.size()) << "distinct bits gave equal texts";
}

// ------------------------------------------------------------------------------ PowerShell

TEST(PowerShellEmbed, SampleRendersValidVariants) {
  const std::string master = ReadSample("northwind_sync_poc.ps1");
  const MarkedDocument doc = Marks(master, Language::kPowerShell);
  EXPECT_EQ(doc.Render(std::vector<uint8_t>(static_cast<size_t>(doc.CapacityBits()), 0), {}),
            master);
  // Measured: 32 bits. The 7 parameters of the first Invoke-WebRequest give 4 bits (only the 4
  // found nowhere else move), the header table none (its keys and values are all choice or
  // canary spans, so a reader could not locate its entries; header-case carries 6 bits there).
  EXPECT_GE(doc.CapacityBits(), 32);
  const auto families = Families(doc);
  for (const char* f :
       {"entry-order", "identifier", "quote-style", "option-order", "header-case"}) {
    EXPECT_GT(families.count(f), 0U) << f;
  }
  std::set<std::string> slots;
  for (const auto& c : doc.canaries()) slots.insert(c.slot.name + "=" + c.original);
  EXPECT_EQ(slots, (std::set<std::string>{"marker=northwind-check-4410", "file=nwcheck.txt",
                                          "ua=NorthwindSyncCheck/2.1"}));
  for (const auto& c : doc.canaries()) {
    if (c.slot.name == "file") {
      EXPECT_EQ(c.spans.size(), 2U);  // the probe path and the check URL
    }
  }
  for (const auto& p : doc.points()) {
    if (p.family != "identifier") continue;
    // Parameters and automatic variables keep their names.
    EXPECT_EQ(Lower(p.forms[0][0]).find("$target"), std::string::npos);
    EXPECT_NE(Lower(p.forms[0][0]), "$erroractionpreference");
    EXPECT_NE(Lower(p.forms[0][0]), "$timeoutsec");
  }
  ExpectEveryFormRenders(doc);
  ExpectVariantsValid(doc);
  if (HaveTool("/usr/bin/pwsh")) {
    const std::string variant = doc.Render(RandomBits(7, doc.CapacityBits()), CanaryValues(doc, 7));
    TempFile file("v.ps1", variant);
    const auto result = RunCommand(
        "/usr/bin/pwsh -NoProfile -Command \"$e=$null; [System.Management.Automation.Language."
        "Parser]::ParseFile('" +
        file.path() + "',[ref]$null,[ref]$e) | Out-Null; exit $e.Count\"");
    EXPECT_EQ(result.exit_code, 0) << result.output;
  }
}

TEST(PowerShellEmbed, HashtableEntriesAndHeaderKeys) {
  const std::string text =
      "$body = @{\n    name    = $fileName\n    size = 10; kind = ($a + 1)\n}\n"
      "$headers = @{\n    'Accept' = 'text/html'\n    'X-Id'   = 'abc'\n}\n";
  const MarkedDocument doc = Marks(text, Language::kPowerShell);
  std::vector<std::vector<std::string>> orders;
  for (const auto& p : doc.points()) {
    if (p.family == "entry-order") {
      std::vector<std::string> items;
      for (const Span& s : p.spans) items.push_back(SpanText(text, s));
      orders.push_back(items);
    }
    if (p.family == "header-case" && p.forms[0][0] == "'Accept'") {
      EXPECT_EQ(p.forms, (std::vector<std::vector<std::string>>{
                             {"'Accept'"}, {"\"Accept\""}, {"'accept'"}, {"\"accept\""}}));
      EXPECT_EQ(p.styles, (std::vector<std::string>{"single", "double", "single", "double"}));
    }
  }
  // The header table's entries are all choice spans (key case, value quotes): no reader could
  // locate them, so only the first table is an order point.
  EXPECT_EQ(orders, (std::vector<std::vector<std::string>>{
                        {"name    = $fileName", "size = 10", "kind = ($a + 1)"}}));
  EXPECT_EQ(Families(doc)["header-case"], 2);
  ExpectVariantsValid(doc);
}

TEST(PowerShellEmbed, TablesThatMustKeepTheirOrder) {
  for (const std::string text : {
           "$a = [ordered]@{ x = 1; y = 2 }\n",         // ordered
           "$a = [pscustomobject]@{ x = 1; y = 2 }\n",  // property order is visible
           "$a = @{ x = Get-Date; y = 2 }\n",           // a command
           "$a = @{ x = $b | Sort-Object; y = 2 }\n",   // a pipeline
           "$a = @{ x = $b.Next(); y = $c.Next() }\n",  // two calls
           "$a = @{ x = 1; x = 2 }\n",                  // duplicate keys
       }) {
    const MarkedDocument doc = Marks(text, Language::kPowerShell);
    EXPECT_EQ(Families(doc).count("entry-order"), 0U) << text;
  }
}

TEST(PowerShellEmbed, QuoteStyleOnlyForPlainBodies) {
  const std::string text =
      "Write-Output 'plain'\nWrite-Output 'it''s'\nWrite-Output \"$x here\"\n"
      "Write-Output 'a$b'\nWrite-Output \"tick`n\"\n";
  const MarkedDocument doc = Marks(text, Language::kPowerShell);
  ASSERT_EQ(Families(doc)["quote-style"], 1);
  for (const auto& p : doc.points()) {
    if (p.family != "quote-style") continue;
    EXPECT_EQ(p.forms, (std::vector<std::vector<std::string>>{{"'plain'"}, {"\"plain\""}}));
    EXPECT_EQ(p.styles, (std::vector<std::string>{"single", "double"}));
  }
}

TEST(PowerShellEmbed, CommandParameters) {
  const std::string text =
      "$r = Invoke-RestMethod -Uri ($base + '/x') -Method Get -TimeoutSec 5 -UseBasicParsing\n"
      "Copy-Item $src -Destination $dst -Force\n"  // positional argument
      "Get-Thing -Name:$n -Value 2\n"              // -Name:value
      "Set-Thing -Value (Get-Date) -Other 1\n"     // a command in a value
      "Send-Thing -A 1 `\n    -B 2\n"
      "docker-compose -f a.yml -p proj\n";  // a native program: its arguments keep their order //
                                            // continuation between items
  const MarkedDocument doc = Marks(text, Language::kPowerShell);
  std::vector<std::vector<std::string>> orders;
  for (const auto& p : doc.points()) {
    if (p.family != "option-order") continue;
    std::vector<std::string> items;
    for (const Span& s : p.spans) items.push_back(SpanText(text, s));
    orders.push_back(items);
  }
  ASSERT_EQ(orders.size(), 2U);
  EXPECT_EQ(orders[0], (std::vector<std::string>{"-Uri ($base + '/x')", "-Method Get",
                                                 "-TimeoutSec 5", "-UseBasicParsing"}));
  EXPECT_EQ(orders[1], (std::vector<std::string>{"-A 1", "-B 2"}));
  ExpectVariantsValid(doc);
}

TEST(PowerShellEmbed, IdentifiersRenamedEverywhereOrNotAtAll) {
  const std::string text =
      "param([string]$Target)\n"
      "$response = Invoke-WebRequest -Uri $Target\n"
      "Write-Output \"got $($Response.StatusCode) from $response\"\n"
      "$body = 'x'\n"
      "Write-Output '$body is literal here'\n"  // single-quoted use: not renamed
      "$marker = 1\nGet-Variable marker\n"      // bare-word use: not renamed
      "$_ = 2; $null = 3\n";
  const MarkedDocument doc = Marks(text, Language::kPowerShell);
  int renames = 0;
  for (const auto& p : doc.points()) {
    if (p.family != "identifier") continue;
    ++renames;
    EXPECT_TRUE(p.read_globally);
    EXPECT_EQ(Lower(p.forms[0][0]), "$response");
    EXPECT_EQ(p.spans.size(), 3U);  // assignment, $(...) and $response in the string
    EXPECT_EQ(p.forms.size(), 4U);
    for (size_t f = 1; f < p.forms.size(); ++f) {
      EXPECT_EQ(Lower(text).find(Lower(p.forms[f][0])), std::string::npos);
    }
  }
  EXPECT_EQ(renames, 1);
  ExpectVariantsValid(doc);
}

// ------------------------------------------------------------------------------------ C#

TEST(CSharpEmbed, SampleRendersValidVariants) {
  const std::string master = ReadSample("FabrikamProbe.cs");
  const MarkedDocument doc = Marks(master, Language::kCSharp);
  EXPECT_EQ(doc.Render(std::vector<uint8_t>(static_cast<size_t>(doc.CapacityBits()), 0), {}),
            master);
  // Measured: 30 bits (4 imports, 4 constants, 3 dictionary entries, 5 renames, ...).
  EXPECT_GE(doc.CapacityBits(), 30);
  const auto families = Families(doc);
  for (const char* f : {"import-order", "statement-order", "entry-order", "literal-form",
                        "identifier", "header-case"}) {
    EXPECT_GT(families.count(f), 0U) << f;
  }
  std::set<std::string> slots;
  for (const auto& c : doc.canaries()) slots.insert(c.slot.name + "=" + c.original);
  EXPECT_EQ(slots, (std::set<std::string>{"marker=fabrikam-check-7731", "file=portalcheck.aspx",
                                          "ua=Mozilla/5.0 (X11; Linux x86_64) PortalCheck/1.0"}));
  for (const auto& c : doc.canaries()) {
    if (c.slot.name == "file") {
      EXPECT_EQ(c.spans.size(), 2U);  // SaveAs and the GET path
    }
  }
  ExpectEveryFormRenders(doc);
  ExpectVariantsValid(doc);
  // Mono's mcs, when installed: a variant compiles whenever the master does (mcs may lack
  // newer syntax such as `using var`). dotnet would need a project and is not used.
  if (HaveTool("/usr/bin/mcs")) {
    auto compiles = [](const std::string& source) {
      TempFile file("v.cs", source);
      return RunCommand("/usr/bin/mcs -out:" + file.dir() + "/v.exe " + file.path()).exit_code == 0;
    };
    if (compiles(master)) {
      for (uint64_t seed = 1; seed <= 3; ++seed) {
        EXPECT_TRUE(compiles(doc.Render(RandomBits(seed, doc.CapacityBits()),
                                        CanaryValues(doc, static_cast<int>(seed)))));
      }
    }
  }
}

TEST(CSharpEmbed, ImportsAndConstants) {
  const std::string text =
      "using System;\nusing System.IO;\nusing static System.Math;\nusing A = B.C;\n"
      "class P {\n"
      "    const int A1 = 3;\n    static readonly string B1 = \"b\";\n"
      "    const int C1 = A1 + 1;\n"  // references another constant
      "    int d = 4;\n"              // not const
      "    void M() {\n        const int E = 5;\n        const int F = 6;\n    }\n"
      "    [Obsolete]\n    const int G = 7;\n    const int H = 8;\n"  // G keeps its attribute
      "}\n";
  const MarkedDocument doc = Marks(text, Language::kCSharp);
  std::vector<std::vector<std::string>> orders;
  for (const auto& p : doc.points()) {
    if (p.shape != PointShape::kOrder) continue;
    std::vector<std::string> items;
    for (const Span& s : p.spans) items.push_back(SpanText(text, s));
    orders.push_back(items);
  }
  EXPECT_EQ(orders, (std::vector<std::vector<std::string>>{
                        {"using System;", "using System.IO;"},
                        {"const int A1 = 3;", "static readonly string B1 = \"b\";"}}));
  ExpectVariantsValid(doc);
}

TEST(CSharpEmbed, Initializers) {
  const std::string text =
      "class P { void M() {\n"
      "  var a = new Dictionary<string, string> { [\"x\"] = \"1\", [\"y\"] = K + \"2\", };\n"
      "  var b = new Dictionary<string, int> { {\"b1\", 1}, {\"b2\", 2} };\n"
      "  var c = new Dictionary<string, string> { [\"c1\"] = F(), [\"c2\"] = \"2\" };\n"
      "  var d = new Dictionary<string, string> { [\"d1\"] = \"1\", [\"d1\"] = \"2\" };\n"
      "  var e = new Foo { X = 1, Y = 2 };\n"
      "} }\n";
  const MarkedDocument doc = Marks(text, Language::kCSharp);
  std::vector<std::vector<std::string>> orders;
  for (const auto& p : doc.points()) {
    if (p.family != "entry-order") continue;
    std::vector<std::string> items;
    for (const Span& s : p.spans) items.push_back(SpanText(text, s));
    orders.push_back(items);
  }
  EXPECT_EQ(orders,
            (std::vector<std::vector<std::string>>{{"[\"x\"] = \"1\"", "[\"y\"] = K + \"2\""},
                                                   {"{\"b1\", 1}", "{\"b2\", 2}"}}));
  ExpectVariantsValid(doc);
}

TEST(CSharpEmbed, LiteralForms) {
  const std::string text =
      "[Timeout(100)]\n"
      "class P { void M(int x) {\n"
      "  int n = 10;\n"
      "  switch (x) { case 16: break; }\n"
      "  var s = x is 20 ? \"/a/b/c.aspx\" : @\"/v/w/x\";\n"
      "  var t = $\"/i/{x}/j\";\n"
      "  var u = \"/one/two\";\n"
      "  int z = 1; int big = 5000;\n"
      "  var l = \"/p/q/r\".Length + (\"/p/q/s\" switch { _ => 1 });\n"
      "} }\n";
  const MarkedDocument doc = Marks(text, Language::kCSharp);
  std::map<std::string, std::vector<std::vector<std::string>>> forms;
  for (const auto& p : doc.points()) {
    if (p.family == "literal-form") forms[p.forms[0][0]] = p.forms;
  }
  ASSERT_EQ(forms.size(), 3U);
  EXPECT_EQ(forms["10"], (std::vector<std::vector<std::string>>{{"10"}, {"0xA"}}));
  EXPECT_EQ(forms["\"/a/b/c.aspx\""],
            (std::vector<std::vector<std::string>>{{"\"/a/b/c.aspx\""},
                                                   {"\"/a/b/\" + \"c.aspx\""},
                                                   {"\"/a/\" + \"b/c.aspx\""},
                                                   {"\"/a/\" + \"b/\" + \"c.aspx\""}}));
  EXPECT_EQ(forms["\"/one/two\""],
            (std::vector<std::vector<std::string>>{{"\"/one/two\""}, {"\"/one/\" + \"two\""}}));
  ExpectVariantsValid(doc);
}

TEST(CSharpEmbed, IdentifiersAndHeaders) {
  const std::string text =
      "class P {\n"
      "  string page;\n"  // a field named page
      "  void M(string body) {\n"
      "    var response = Get();\n"
      "    Console.WriteLine($\"{response.Code} {{response}} {response}\");\n"
      "    var page = response.Text;\n"
      "    var body2 = body;\n"
      "    var form = 1;\n    var o = new { form };\n"  // an anonymous-type member name
      "    var client = 2;\n    if (o == null) { } else client = 3;\n"
      "    client.DefaultRequestHeaders.Add(\"Accept\", \"text/html\");\n"
      "  }\n"
      "}\n";
  const MarkedDocument doc = Marks(text, Language::kCSharp);
  int renames = 0;
  for (const auto& p : doc.points()) {
    if (p.family == "identifier") {
      ++renames;
      EXPECT_EQ(p.forms[0][0], "response");
      EXPECT_EQ(p.spans.size(), 4U);  // declaration, two holes, page's initializer
    }
    if (p.family == "header-case") {
      EXPECT_EQ(p.forms, (std::vector<std::vector<std::string>>{{"\"Accept\""}, {"\"accept\""}}));
    }
  }
  EXPECT_EQ(renames, 1);
  EXPECT_EQ(Families(doc)["header-case"], 1);
  ExpectVariantsValid(doc);
}

// ---------------------------------------------------------------------------------- HTTP

struct ParsedRequest {
  std::string request_line;
  std::vector<std::pair<std::string, std::string>> headers;  // lowercased name, value
  std::string body;
};

ParsedRequest ParseRequest(const std::string& text) {
  ParsedRequest out;
  const size_t head_end = text.find("\r\n\r\n");
  EXPECT_NE(head_end, std::string::npos);
  if (head_end == std::string::npos) return out;
  out.body = text.substr(head_end + 4);
  size_t at = 0;
  bool first = true;
  while (at < head_end) {
    size_t eol = text.find("\r\n", at);
    if (eol > head_end) eol = head_end;
    const std::string line = text.substr(at, eol - at);
    if (first) {
      out.request_line = line;
      first = false;
    } else {
      const size_t colon = line.find(':');
      EXPECT_NE(colon, std::string::npos) << line;
      size_t vb = colon + 1;
      while (vb < line.size() && line[vb] == ' ') ++vb;
      out.headers.emplace_back(Lower(line.substr(0, colon)), line.substr(vb));
    }
    at = eol + 2;
  }
  return out;
}

std::set<std::string> Fields(const std::string& body) {
  std::set<std::string> fields;
  size_t at = 0;
  while (true) {
    const size_t amp = body.find('&', at);
    fields.insert(body.substr(at, amp == std::string::npos ? std::string::npos : amp - at));
    if (amp == std::string::npos) break;
    at = amp + 1;
  }
  return fields;
}

TEST(HttpEmbed, SampleRendersValidRequests) {
  const std::string master = ReadSample("fabrikam_request.http");
  const MarkedDocument doc = Marks(master, Language::kHttp);
  EXPECT_EQ(doc.Render(std::vector<uint8_t>(static_cast<size_t>(doc.CapacityBits()), 0), {}),
            master);
  // Measured: 14 bits (6 from the order of the 5 headers after Host other than User-Agent, whose
  // name and value both vary, 6 header-case points, 2 from the order of the 3 body fields).
  EXPECT_GE(doc.CapacityBits(), 14);
  const auto families = Families(doc);
  EXPECT_EQ(families.at("header-order"), 1);
  EXPECT_EQ(families.at("header-case"), 6);  // all names but Content-Length
  EXPECT_EQ(families.at("entry-order"), 1);
  ASSERT_EQ(doc.canaries().size(), 1U);
  EXPECT_EQ(doc.canaries()[0].slot.name, "ua");
  ExpectEveryFormRenders(doc);

  const ParsedRequest base = ParseRequest(master);
  std::string base_length;
  for (const auto& h : base.headers) {
    if (h.first == "content-length") base_length = h.second;
  }
  std::set<std::string> texts;
  std::set<std::vector<uint8_t>> bit_vectors;
  for (int seed = 1; seed <= kVariants; ++seed) {
    const auto bits = RandomBits(static_cast<uint64_t>(seed), doc.CapacityBits());
    const auto canaries = CanaryValues(doc, seed);
    const std::string variant = doc.Render(bits, canaries);
    texts.insert(doc.Render(bits, {}));
    bit_vectors.insert(bits);
    const ParsedRequest req = ParseRequest(variant);
    EXPECT_EQ(req.request_line, base.request_line);
    ASSERT_FALSE(req.headers.empty());
    EXPECT_EQ(req.headers[0].first, "host");  // Host stays first
    std::set<std::string> names;
    std::set<std::pair<std::string, std::string>> pairs;
    std::set<std::pair<std::string, std::string>> expected;
    for (const auto& h : base.headers) {
      expected.insert(h.first == "user-agent" ? std::make_pair(h.first, canaries.at("ua")) : h);
    }
    for (const auto& h : req.headers) {
      names.insert(h.first);
      pairs.insert(h);
      // The sample's Content-Length (174) does not match its body (187 bytes): the variant
      // must keep both exactly, so whatever the master says about its body stays true.
      if (h.first == "content-length") {
        EXPECT_EQ(h.second, base_length);
      }
    }
    EXPECT_EQ(names.size(), req.headers.size());
    EXPECT_EQ(pairs, expected);
    EXPECT_EQ(req.body.size(), base.body.size());
    EXPECT_EQ(Fields(req.body), Fields(base.body));
  }
  EXPECT_EQ(texts.size(), bit_vectors.size());
}

TEST(HttpEmbed, WhatMustNotVary) {
  // Duplicate header names: no header order; a JSON body: no field order; repeated form keys:
  // no field order; a name without letters to change: no case point.
  const std::string text =
      "POST /x HTTP/1.1\r\nHost: h\r\nCookie: a=1\r\ncookie: b=2\r\nContent-Type: "
      "application/json\r\n"
      "Content-Length: 13\r\n\r\n{\"a\":1,\"b\":2}";
  const MarkedDocument doc = Marks(text, Language::kHttp);
  const auto families = Families(doc);
  EXPECT_EQ(families.count("header-order"), 0U);
  EXPECT_EQ(families.count("entry-order"), 0U);
  EXPECT_EQ(families.at("header-case"), 4);  // Host, Cookie, cookie, Content-Type
  EXPECT_TRUE(doc.canaries().empty());

  const std::string repeated =
      "POST /x HTTP/1.1\r\nHost: h\r\nContent-Type: application/x-www-form-urlencoded\r\n"
      "Content-Length: 7\r\n\r\na=1&a=2";
  EXPECT_EQ(Families(Marks(repeated, Language::kHttp)).count("entry-order"), 0U);

  EXPECT_EQ(Marks("not a request\n", Language::kHttp).CapacityBits(), 0);
}

TEST(HttpEmbed, HostStaysInPlace) {
  const std::string text =
      "GET / HTTP/1.1\r\nAccept: */*\r\nHost: h\r\nuser-agent: x/1\r\nX-A: 1\r\n\r\n";
  const MarkedDocument doc = Marks(text, Language::kHttp);
  for (const auto& p : doc.points()) {
    if (p.family == "header-order") {
      std::vector<std::string> items;
      for (const Span& s : p.spans) items.push_back(SpanText(text, s));
      // user-agent: a case-varied name and a canary value, nothing to locate it by.
      EXPECT_EQ(items, (std::vector<std::string>{"Accept: */*", "X-A: 1"}));
    }
    if (p.family == "header-case" && p.forms[0][0] == "user-agent") {
      EXPECT_EQ(p.forms[1][0], "User-Agent");
    }
  }
  ASSERT_EQ(doc.canaries().size(), 1U);
  EXPECT_EQ(doc.canaries()[0].slot.pattern, "x/1 ({id})");
}

// Any text (here every sample, whatever its language) gives valid points in each of the three
// embedders: MarkedDocument::Create accepts them and the all-zero render is the text.
TEST(CodeEmbedRobustness, EverySampleInEveryLanguage) {
  for (const char* name :
       {"FabrikamProbe.cs", "fabrikam_description.md", "fabrikam_exploit.rules",
        "fabrikam_exploit.sigma.yml", "fabrikam_iocs.json", "fabrikam_mitigation.md",
        "fabrikam_portal_poc.py", "fabrikam_request.http", "fabrikam_webshell.yar",
        "northwind_sync_poc.ps1"}) {
    const std::string text = ReadSample(name);
    for (Language language : {Language::kPowerShell, Language::kCSharp, Language::kHttp}) {
      auto doc = FindMarks(text, language);
      ASSERT_TRUE(doc.has_value()) << name << ": " << doc.error().message;
      EXPECT_EQ(doc->Render({}, {}), text);
      const auto bits = RandomBits(11, doc->CapacityBits());
      EXPECT_EQ(doc->Render(bits, {}).empty(), text.empty());
      // Truncated texts (unterminated strings, unbalanced brackets) too.
      for (size_t cut = 1; cut < text.size(); cut += 53) {
        auto part = FindMarks(text.substr(0, cut), language);
        ASSERT_TRUE(part.has_value()) << name << " cut at " << cut << ": " << part.error().message;
        EXPECT_EQ(part->Render({}, {}), text.substr(0, cut));
      }
    }
  }
}

// A clean copy of each sample reads back (with the extraction of marks_read.cc): order items
// were kept only where a reader can locate them, so no point is dead weight. At most 10% of the
// positions may be erased (the reader may get stricter), none may read wrong.
TEST(CodeEmbedReading, CleanCopiesReadBack) {
  for (const auto& [name, language] : std::vector<std::pair<std::string, Language>>{
           {"northwind_sync_poc.ps1", Language::kPowerShell},
           {"FabrikamProbe.cs", Language::kCSharp},
           {"fabrikam_request.http", Language::kHttp}}) {
    const MarkedDocument doc = Marks(ReadSample(name), language);
    for (uint64_t seed = 1; seed <= 5; ++seed) {
      const auto bits = RandomBits(seed, doc.CapacityBits());
      const ReadResult read = doc.Read(doc.Render(bits, CanaryValues(doc, static_cast<int>(seed))));
      ASSERT_EQ(read.bits.size(), bits.size()) << name;
      int right = 0;
      for (size_t i = 0; i < bits.size(); ++i) {
        if (read.bits[i] >= 0) {
          EXPECT_EQ(read.bits[i], bits[i]) << name << " position " << i;
        }
        right += read.bits[i] == bits[i] ? 1 : 0;
      }
      EXPECT_GE(right * 10, doc.CapacityBits() * 9) << name;
    }
  }
}

}  // namespace
}  // namespace forewarn::trace
