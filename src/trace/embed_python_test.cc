// Tests of the Python embedder (embed_python.cc): the sample PoC's capacity and families,
// variants that still compile and mean the same (checked with Python's own `ast`), and small
// inputs for each family, including what must not become a point.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "trace/embed.h"
#include "trace/trace_testing.h"

namespace forewarn::trace {
namespace {

using testing::RandomBits;
using testing::ReadSample;
using testing::RunCommand;
using testing::TempFile;

constexpr char kPython[] = "/usr/bin/python3";
constexpr char kSample[] = "fabrikam_portal_poc.py";
// The sample's capacity (printed by the test) and the floor it must stay above.
constexpr int kSampleCapacityFloor = 100;  // measured: 102

// Compares two Python files' meaning: parses both, maps renamed identifiers back (argv[3],
// "variant=master,..."), folds constant string concatenations, lower-cases string dict keys,
// sorts dict entries, keyword arguments and runs of imports / assignments / defs, then
// compares ast.dump. Prints "SAME" or the first difference.
constexpr char kNormalizer[] = R"PY(
import ast, sys

def load(path):
    with open(path) as f:
        return ast.parse(f.read())

renames = {}
if len(sys.argv) > 3 and sys.argv[3]:
    for pair in sys.argv[3].split(","):
        a, b = pair.split("=")
        renames[a] = b

def flatten(node, out):
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        flatten(node.left, out)
        flatten(node.right, out)
    else:
        out.append(node)

class Normalize(ast.NodeTransformer):
    def visit_Name(self, node):
        node.id = renames.get(node.id, node.id)
        return node
    def visit_arg(self, node):
        self.generic_visit(node)
        node.arg = renames.get(node.arg, node.arg)
        return node
    def visit_BinOp(self, node):
        self.generic_visit(node)
        if not isinstance(node.op, ast.Add):
            return node
        parts = []
        flatten(node, parts)
        merged = []
        for p in parts:
            if (merged and isinstance(p, ast.Constant) and isinstance(p.value, str)
                    and isinstance(merged[-1], ast.Constant) and isinstance(merged[-1].value, str)):
                merged[-1] = ast.Constant(merged[-1].value + p.value)
            else:
                merged.append(p)
        result = merged[0]
        for p in merged[1:]:
            result = ast.BinOp(result, ast.Add(), p)
        return result
    def visit_Dict(self, node):
        self.generic_visit(node)
        for k in node.keys:
            if (isinstance(k, ast.Constant) and isinstance(k.value, str)
                    and ("-" in k.value or k.value.lower() in ("accept", "referer"))):
                k.value = k.value.lower()
        pairs = sorted(zip(node.keys, node.values),
                       key=lambda kv: ast.dump(kv[0]) if kv[0] is not None else "")
        node.keys = [k for k, _ in pairs]
        node.values = [v for _, v in pairs]
        return node
    def visit_Call(self, node):
        self.generic_visit(node)
        node.keywords.sort(key=lambda k: k.arg or "")
        return node
    def visit_ExceptHandler(self, node):
        self.generic_visit(node)
        if isinstance(node.type, ast.Tuple):
            node.type.elts.sort(key=ast.dump)
        return node
    def visit_Constant(self, node):
        node.kind = None
        return node

def kind(stmt):
    if isinstance(stmt, (ast.Import, ast.ImportFrom)):
        return "import"
    if isinstance(stmt, ast.Assign):
        return "assign"
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return "def"
    return None

def sort_runs(body):
    out, run = [], []
    for stmt in body + [None]:
        k = kind(stmt) if stmt is not None else None
        if run and (k is None or k != kind(run[0])):
            out.extend(sorted(run, key=ast.dump))
            run = []
        if k is None:
            if stmt is not None:
                out.append(stmt)
        else:
            run.append(stmt)
    return out

def normal(tree):
    tree = Normalize().visit(tree)
    tree.body = sort_runs(tree.body)
    return ast.dump(tree)

master = normal(load(sys.argv[1]))
renames_master = renames
renames = {}
variant_tree = load(sys.argv[2])
renames = renames_master
variant = normal(variant_tree)
if master == variant:
    print("SAME")
else:
    for i, (a, b) in enumerate(zip(master, variant)):
        if a != b:
            print("DIFF at", i, master[max(0, i - 80):i + 80], "|||", variant[max(0, i - 80):i + 80])
            break
    else:
        print("DIFF length")
)PY";

MarkedDocument Marks(const std::string& text) { return testing::MarksOf(text, Language::kPython); }

std::vector<const VariationPoint*> PointsOf(const MarkedDocument& doc, const std::string& family) {
  std::vector<const VariationPoint*> out;
  for (const auto& point : doc.points()) {
    if (point.family == family) out.push_back(&point);
  }
  return out;
}

std::string TextOf(const std::string& text, const Span& span) {
  return text.substr(span.begin, span.end - span.begin);
}

// Whether `name` occurs in `text` as a whole identifier.
bool HasWord(const std::string& text, const std::string& name) {
  auto word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
  for (size_t at = text.find(name); at != std::string::npos; at = text.find(name, at + 1)) {
    const bool left = at == 0 || !word(text[at - 1]);
    const bool right = at + name.size() >= text.size() || !word(text[at + name.size()]);
    if (left && right) return true;
  }
  return false;
}

// "variant=master,..." for every identifier point renamed in `variant`.
std::string RenameMap(const MarkedDocument& doc, const std::string& variant) {
  std::string out;
  for (const auto& point : doc.points()) {
    if (!point.read_globally) continue;
    for (size_t f = 1; f < point.forms.size(); ++f) {
      if (HasWord(variant, point.forms[f][0])) {
        out += (out.empty() ? "" : ",") + point.forms[f][0] + "=" + point.forms[0][0];
      }
    }
  }
  return out;
}

// Points of `family` found in `text` (copies, so no document needs to outlive the call).
std::vector<VariationPoint> Found(const std::string& text, const std::string& family) {
  const MarkedDocument doc = Marks(text);
  std::vector<VariationPoint> out;
  for (const auto* point : PointsOf(doc, family)) out.push_back(*point);
  return out;
}

TEST(EmbedPython, SampleCapacityAndFamilies) {
  const std::string text = ReadSample(kSample);
  const MarkedDocument doc = Marks(text);
  std::map<std::string, int> bits_by_family;
  for (const auto& point : doc.points()) bits_by_family[point.family] += point.Bits();
  std::string summary;
  for (const auto& [family, bits] : bits_by_family)
    summary += family + "=" + std::to_string(bits) + " ";
  std::cout << "sample capacity " << doc.CapacityBits() << " bits: " << summary << "\n";
  EXPECT_GE(doc.CapacityBits(), kSampleCapacityFloor);
  for (const char* family :
       {"import-order", "statement-order", "def-order", "entry-order", "keyword-order",
        "identifier", "quote-style", "header-case", "literal-form"}) {
    EXPECT_GT(bits_by_family[family], 0) << family;
  }
  std::map<std::string, const CanaryPlacement*> canaries;
  for (const auto& c : doc.canaries()) canaries[c.slot.name] = &c;
  ASSERT_EQ(canaries.size(), 3U);
  EXPECT_EQ(canaries["upload"]->original, "portalcheck.aspx");
  EXPECT_EQ(canaries["upload"]->slot.pattern, "portalcheck-{id}.aspx");
  EXPECT_EQ(canaries["marker"]->original, "fabrikam-check-7731");
  EXPECT_EQ(canaries["marker"]->slot.pattern, "fabrikam-check-{id}");
  EXPECT_EQ(canaries["ua"]->original, "Mozilla/5.0 (X11; Linux x86_64) PortalCheck/1.0");
  // The runs found on the sample.
  ASSERT_EQ(PointsOf(doc, "import-order").size(), 1U);
  EXPECT_EQ(PointsOf(doc, "import-order")[0]->spans.size(), 5U);
  ASSERT_EQ(PointsOf(doc, "statement-order").size(), 1U);
  EXPECT_EQ(PointsOf(doc, "statement-order")[0]->spans.size(), 5U);
  ASSERT_EQ(PointsOf(doc, "def-order").size(), 1U);
  EXPECT_EQ(PointsOf(doc, "def-order")[0]->spans.size(), 5U);
  EXPECT_EQ(PointsOf(doc, "entry-order").size(), 2U);
  EXPECT_EQ(PointsOf(doc, "header-case").size(), 4U);
  // `base_url` is read as `args.base_url`, `headers` is a keyword, `request` and `error` are
  // module attributes: none is renamed.
  std::set<std::string> renamed;
  for (const auto* point : PointsOf(doc, "identifier")) renamed.insert(point->forms[0][0]);
  for (const char* name : {"base_url", "headers", "request", "error", "status", "argv"}) {
    EXPECT_EQ(renamed.count(name), 0U) << name;
  }
  for (const char* name : {"url", "body", "response", "marker", "fields", "upload_name"}) {
    EXPECT_EQ(renamed.count(name), 1U) << name;
  }
}

TEST(EmbedPython, ZeroBitsRenderTheMaster) {
  const std::string text = ReadSample(kSample);
  const MarkedDocument doc = Marks(text);
  EXPECT_EQ(doc.Render(std::vector<uint8_t>(doc.CapacityBits(), 0), {}), text);
}

// Renders `count` variants of `doc` with random bits and canary values; each must compile,
// differ from the others and normalize (kNormalizer) to the master with the same canaries.
void ExpectVariantsMeanTheSame(const MarkedDocument& doc, int count) {
  TempFile script("normalize.py", kNormalizer);
  std::set<std::string> seen;
  for (uint64_t seed = 1; seed <= static_cast<uint64_t>(count); ++seed) {
    const auto bits = RandomBits(seed, doc.CapacityBits());
    const std::string token = "abcdefgh" + std::string(1, static_cast<char>('a' + seed % 26)) +
                              std::string(1, static_cast<char>('2' + seed % 6));
    std::map<std::string, std::string> canaries;
    for (const auto& c : doc.canaries()) {
      std::string value = c.slot.pattern;
      value.replace(value.find("{id}"), 4, token);
      canaries[c.slot.name] = value;
    }
    const std::string variant = doc.Render(bits, canaries);
    const std::string master = doc.Render({}, canaries);
    EXPECT_TRUE(seen.insert(variant).second) << "seed " << seed << " repeats a variant";
    EXPECT_NE(variant.find(token), std::string::npos);
    TempFile variant_file("variant.py", variant);
    TempFile master_file("master.py", master);
    const auto compiled =
        RunCommand(std::string(kPython) + " -m py_compile " + variant_file.path());
    EXPECT_EQ(compiled.exit_code, 0) << "seed " << seed << ": " << compiled.output << "\n"
                                     << variant;
    const auto same =
        RunCommand(std::string(kPython) + " " + script.path() + " " + master_file.path() + " " +
                   variant_file.path() + " '" + RenameMap(doc, variant) + "'");
    EXPECT_EQ(same.output, "SAME\n") << "seed " << seed << "\n" << variant;
  }
}

// The meaning check itself must catch real changes (else the variant tests prove nothing).
TEST(EmbedPython, NormalizerCatchesChanges) {
  if (!testing::HaveTool(kPython)) GTEST_SKIP() << "python3 missing";
  TempFile script("normalize.py", kNormalizer);
  auto compare = [&](const std::string& a, const std::string& b, const std::string& renames) {
    TempFile fa("a.py", a);
    TempFile fb("b.py", b);
    return RunCommand(std::string(kPython) + " " + script.path() + " " + fa.path() + " " +
                      fb.path() + " '" + renames + "'")
        .output;
  };
  const std::string master =
      "import a\nimport b\ndef f(x, y):\n    return g(x, y, k={'p': 1, 'Q-R': 2})\n";
  EXPECT_EQ(compare(master, master, ""), "SAME\n");
  EXPECT_EQ(
      compare(master,
              "import b\nimport a\ndef f(z, y):\n    return g(z, y, k={\"q-r\": 0x2, 'p': 1})\n",
              "z=x"),
      "SAME\n");
  EXPECT_NE(
      compare(master,
              "import a\nimport b\ndef f(x, y):\n    return g(y, x, k={'p': 1, 'Q-R': 2})\n", ""),
      "SAME\n");
  EXPECT_NE(
      compare(master,
              "import a\nimport b\ndef f(x, y):\n    return g(x, y, k={'P': 1, 'Q-R': 2})\n", ""),
      "SAME\n");
  EXPECT_NE(
      compare(master,
              "import a\nimport b\ndef f(z, y):\n    return g(z, y, k={'p': 1, 'Q-R': 2})\n", ""),
      "SAME\n");
}

TEST(EmbedPython, VariantsCompileAndMeanTheSame) {
  if (!testing::HaveTool(kPython)) GTEST_SKIP() << "python3 missing";
  const MarkedDocument doc = Marks(ReadSample(kSample));
  ExpectVariantsMeanTheSame(doc, 30);
}

// A file with the constructs the embedder must be careful with: classes, decorators, nested
// functions, f-strings, comprehensions, lambdas, multi-line strings and calls, continuations,
// float exponents the lexer splits ("1e-9"), a signature closed at column 0, async defs.
constexpr char kTricky[] = R"PY("""Docstring with "quotes" and 'single' ones."""
from __future__ import annotations
import os
import json
from typing import Any

HOST = "example.test"
PORT = 8080
PATHS = ("/a/b/c", "/d/e")
SCALE = -3
TINY = 1e-9


class Client:
    url = "/api/v1/items"

    def __init__(self, host, port=PORT):
        self.host = host
        self.port = port

    def fetch(self, path):
        data = {"path": path, "host": self.host, "Accept": "*/*"}
        return json.dumps(data, sort_keys=True, indent=2)


def helper(body, url, marker="m"):
    """Returns a line."""
    text = f"{body}:{url}"
    result = [x * 2 for x in range(16)]
    total = sum(result[2:10]) + 0x10
    headers = {
        "User-Agent": "Probe/2.0",
        "Content-Type": 'text/plain',
        "X-Token": marker + "/" + url,
    }
    key = lambda item: item[1]
    value = (url + "/x/y/z").upper() + "/p/q" % ()
    return text, headers, key, value, total, \
        "/tail/end"


async def waiter(
    delay,
    *,
    loop=None,
):
    return delay, loop


@staticmethod
def decorated(response, args):
    def inner(payload):
        return payload + response
    parser = os.path.join(args, "x")
    return inner(parser), {'a': 1, 'b': response}


if __name__ == "__main__":
    print(helper("b", "/u/v", marker="k"), decorated("r", "s"))
)PY";

TEST(EmbedPython, TrickyFileVariantsMeanTheSame) {
  if (!testing::HaveTool(kPython)) GTEST_SKIP() << "python3 missing";
  const MarkedDocument doc = Marks(kTricky);
  ASSERT_GT(doc.CapacityBits(), 20);
  ExpectVariantsMeanTheSame(doc, 20);
  std::set<std::string> renamed;
  for (const auto* point : PointsOf(doc, "identifier")) renamed.insert(point->forms[0][0]);
  // Only header dicts change key case.
  for (const auto* point : PointsOf(doc, "header-case")) {
    EXPECT_EQ(point->description.find("path"), std::string::npos);
    EXPECT_EQ(point->description.find("\"Accept\""), std::string::npos);
  }
  EXPECT_EQ(PointsOf(doc, "header-case").size(), 3U);
  // Attributes, keywords, f-string names and module-level names stay.
  for (const char* name : {"url", "body", "marker", "data", "host", "port", "path"}) {
    EXPECT_EQ(renamed.count(name), 0U) << name;
  }
  EXPECT_EQ(renamed.count("response"), 1U);
  EXPECT_EQ(renamed.count("payload"), 1U);
  EXPECT_EQ(renamed.count("text"), 1U);
  const auto defs = PointsOf(doc, "def-order");
  ASSERT_EQ(defs.size(), 1U);
  EXPECT_EQ(defs[0]->spans.size(), 3U);
  for (const auto* point : PointsOf(doc, "literal-form")) {
    EXPECT_EQ(point->description.find("form of 9 "), std::string::npos);
  }
}

TEST(EmbedPython, EveryPointChangesTheTextWhenItsBitsAreSet) {
  const std::string text = ReadSample(kSample);
  const MarkedDocument doc = Marks(text);
  const std::vector<uint8_t> ones(doc.CapacityBits(), 1);
  const std::string all = doc.Render(ones, {});
  for (const PointView& view : doc.View()) {
    const VariationPoint& point = doc.points()[view.index];
    std::vector<uint8_t> bits(doc.CapacityBits(), 0);
    for (int b = 0; b < view.bits; ++b) bits[view.first_position + b] = 1;
    const std::string variant = doc.Render(bits, {});
    EXPECT_NE(variant, text) << point.description;
    if (point.shape == PointShape::kChoice) {
      const auto& form = point.forms[(1U << view.bits) - 1];
      EXPECT_NE(variant.find(form[0]), std::string::npos) << point.description;
      EXPECT_NE(all.find(form[0]), std::string::npos) << point.description;
    }
  }
}

// ---- Small inputs ---------------------------------------------------------------------------

TEST(EmbedPython, ImportsAfterCodeAreNotReorderedAcrossIt) {
  const std::string text =
      "from __future__ import annotations\nimport os\nimport sys\nx = f()\nimport a\nimport b\n";
  const MarkedDocument doc = Marks(text);
  const auto imports = PointsOf(doc, "import-order");
  ASSERT_EQ(imports.size(), 2U);
  EXPECT_EQ(TextOf(text, imports[0]->spans[0]), "import os");
  EXPECT_EQ(TextOf(text, imports[0]->spans[1]), "import sys");
  EXPECT_EQ(TextOf(text, imports[1]->spans[0]), "import a");
  EXPECT_EQ(TextOf(text, imports[1]->spans[1]), "import b");
}

TEST(EmbedPython, ConstantRunsOnlyWithLiterals) {
  const std::string text = "A = 1\nB = 'x'\nC = A\nD = (1, 2)\nE = -3\n";
  const MarkedDocument doc = Marks(text);
  const auto runs = PointsOf(doc, "statement-order");
  ASSERT_EQ(runs.size(), 2U);
  EXPECT_EQ(runs[0]->spans.size(), 2U);
  EXPECT_EQ(TextOf(text, runs[1]->spans[0]), "D = (1, 2)");
  EXPECT_EQ(runs[1]->spans.size(), 2U);
}

TEST(EmbedPython, DefRunsStopAtOtherCode) {
  const std::string text =
      "@wrap\ndef a():\n    return 1\n\n\ndef b(x):\n    return x\n\n\n"
      "if __name__ == '__main__':\n    a()\n\n\ndef c():\n    pass\n";
  const MarkedDocument doc = Marks(text);
  const auto defs = PointsOf(doc, "def-order");
  ASSERT_EQ(defs.size(), 1U);
  ASSERT_EQ(defs[0]->spans.size(), 2U);
  EXPECT_EQ(TextOf(text, defs[0]->spans[0]), "@wrap\ndef a():\n    return 1");
  EXPECT_EQ(TextOf(text, defs[0]->spans[1]), "def b(x):\n    return x");
  // A default value naming a function of the run pins the order.
  EXPECT_TRUE(Found("def a():\n    pass\ndef b(f=a):\n    pass\n", "def-order").empty());
}

TEST(EmbedPython, DictWithACallValueHasNoEntryOrder) {
  EXPECT_TRUE(Found("def f(a):\n    return {\"x\": a(), \"y\": 1}\n", "entry-order").empty());
  EXPECT_TRUE(Found("d = {\"x\": 1, \"x\": 2}\n", "entry-order").empty());
  EXPECT_TRUE(Found("d = {x: 1, \"y\": 2}\n", "entry-order").empty());
  const std::string text = "def f(a):\n    return {\"x\": a.b + 'c', \"y\": 1}\n";
  const auto entries = Found(text, "entry-order");
  ASSERT_EQ(entries.size(), 1U);
  EXPECT_EQ(TextOf(text, entries[0].spans[0]), "\"x\": a.b + 'c'");
}

TEST(EmbedPython, KeywordOrderOnlyForTrailingCallFreeKeywords) {
  const std::string text = "g(1, a=x, b=\"y\", c=z.w)\n";
  const auto kw = Found(text, "keyword-order");
  ASSERT_EQ(kw.size(), 1U);
  EXPECT_EQ(kw[0].spans.size(), 3U);
  EXPECT_EQ(TextOf(text, kw[0].spans[2]), "c=z.w");
  EXPECT_TRUE(Found("g(a=h(), b=1)\n", "keyword-order").empty());
  EXPECT_TRUE(Found("g(a=1, b=2, **k)\n", "keyword-order").empty());
  EXPECT_TRUE(Found("def g(a=1, b=2):\n    pass\n", "keyword-order").empty());
}

TEST(EmbedPython, IdentifierRenames) {
  const std::string text = "def f(url):\n    return url + \"x\"\n";
  const auto ids = Found(text, "identifier");
  ASSERT_EQ(ids.size(), 1U);
  EXPECT_TRUE(ids[0].read_globally);
  EXPECT_EQ(ids[0].spans.size(), 2U);
  EXPECT_EQ(ids[0].forms.size(), 4U);
  // An f-string naming it, a keyword argument, an attribute, module level, dynamic lookups.
  EXPECT_TRUE(Found("def f(url):\n    return f\"{url}\"\n", "identifier").empty());
  EXPECT_TRUE(Found("def f(url):\n    return g(url=url)\n", "identifier").empty());
  EXPECT_TRUE(Found("def f(url):\n    return a.url\n", "identifier").empty());
  EXPECT_TRUE(Found("url = 1\ndef f():\n    return url\n", "identifier").empty());
  EXPECT_TRUE(Found("def f(url):\n    return eval('url')\n", "identifier").empty());
  EXPECT_TRUE(Found("def f(url):\n    return 1\nf(url=2)\n", "identifier").empty());
  // Only read (a builtin or a star import's name), or a star import anywhere.
  EXPECT_TRUE(Found("def f():\n    return url\n", "identifier").empty());
  EXPECT_TRUE(Found("from m import *\ndef f(url):\n    return url\n", "identifier").empty());
  EXPECT_EQ(Found("def f():\n    for url in g():\n        return url\n", "identifier").size(), 1U);
  // An alternative already used as a name is not offered.
  const auto partial = Found("def f(url, address, endpoint):\n    return url\n", "identifier");
  ASSERT_EQ(partial.size(), 1U);
  EXPECT_EQ(partial[0].forms.size(), 2U);
  EXPECT_EQ(partial[0].forms[1][0], "target_url");
}

TEST(EmbedPython, QuoteStyleHeaderCaseAndLiteralForms) {
  const std::string text =
      "H = {\"Content-Type\": 'text/plain', \"Accept\": \"a\\\"b\"}\n"
      "G = {\"Content-Type\": None, \"x_y\": 1}\nP = \"/a/b/c/d\"\nN = x[10] + 10\n"
      "Q = \"/a/b\" % v\nR = f\"y\"\nS = '''z'''\n";
  const MarkedDocument doc = Marks(text);
  const auto headers = PointsOf(doc, "header-case");
  ASSERT_EQ(headers.size(), 2U);  // not in G, which has a non-header key
  EXPECT_EQ(headers[0]->forms.size(), 4U);
  EXPECT_EQ(headers[0]->forms[3][0], "'content-type'");
  EXPECT_EQ(headers[0]->styles, (std::vector<std::string>{"double", "single", "double", "single"}));
  // Plain strings of 6 or more characters that are not dict keys split into concatenations
  // (x quote style); URL paths after a '/'; numbers as hex. 'text/plain' comes first.
  const auto literals = PointsOf(doc, "literal-form");
  ASSERT_EQ(literals.size(), 4U);
  EXPECT_EQ(TextOf(text, literals[0]->spans[0]), "'text/plain'");
  ASSERT_EQ(literals[0]->forms.size(), 8U);
  EXPECT_NE(std::find(literals[0]->forms.begin(), literals[0]->forms.end(),
                      std::vector<std::string>{"'text/' + 'plain'"}),
            literals[0]->forms.end());
  EXPECT_EQ(literals[1]->forms.size(), 8U);
  EXPECT_EQ(literals[1]->forms[7][0], "'/a/b/' + 'c/d'");
  EXPECT_EQ(literals[2]->forms[1][0], "0xa");  // the 10 outside the index only
  EXPECT_EQ(TextOf(text, literals[2]->spans[0]), "10");
  EXPECT_GT(literals[2]->spans[0].begin, text.find("] + "));
  EXPECT_EQ(literals[3]->forms[2][0], "(\"/\" + \"a/b\")");
  // Quote style only: dict keys (escapes, f-strings and triple quotes are left alone).
  const auto quotes = PointsOf(doc, "quote-style");
  ASSERT_EQ(quotes.size(), 2U);
  EXPECT_EQ(quotes[0]->forms[1][0], "'Content-Type'");
  EXPECT_EQ(quotes[1]->forms[1][0], "'x_y'");
}

TEST(EmbedPython, EscapedQuotesAndExceptTuples) {
  const std::string text =
      "def f(a):\n    try:\n        return 'say \"hi\"'\n    except (ValueError, os.error):\n"
      "        return r'\"x\"'\n";
  const MarkedDocument doc = Marks(text);
  const auto quotes = PointsOf(doc, "quote-style");
  ASSERT_EQ(quotes.size(), 1U);  // not the raw string
  EXPECT_EQ(quotes[0]->forms[1][0], "\"say \\\"hi\\\"\"");
  const auto lists = PointsOf(doc, "list-order");
  ASSERT_EQ(lists.size(), 1U);
  EXPECT_EQ(TextOf(text, lists[0]->spans[1]), "os.error");
  EXPECT_TRUE(Found("try:\n    pass\nexcept (a(), B):\n    pass\n", "list-order").empty());
}

// Extraction (marks_read.cc) reads every point back from an unmodified variant: the forms are
// locally distinctive and the order items locatable.
TEST(EmbedPython, VariantsReadBack) {
  for (const std::string& text : {ReadSample(kSample), std::string(kTricky)}) {
    const MarkedDocument doc = Marks(text);
    int right = 0;
    int wrong = 0;
    for (uint64_t seed = 1; seed <= 10; ++seed) {
      const auto bits = RandomBits(seed, doc.CapacityBits());
      const ReadResult read = doc.Read(doc.Render(bits, {}));
      ASSERT_EQ(read.bits.size(), bits.size());
      for (size_t i = 0; i < bits.size(); ++i) {
        if (read.bits[i] >= 0) (read.bits[i] == bits[i] ? right : wrong) += 1;
      }
    }
    EXPECT_EQ(wrong, 0);
    EXPECT_GE(right, doc.CapacityBits() * 10 * 95 / 100);
  }
}

}  // namespace
}  // namespace forewarn::trace
