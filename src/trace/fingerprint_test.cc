// The fingerprinting acceptance tests: a real PoC (../shared/samples) fingerprinted for 100
// partners, leaked whole, as an excerpt, after normalizers (ast.unparse, black, comment
// stripping, renaming, truncation) and merged by coalitions, then traced.
#include "trace/fingerprint.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <functional>
#include <map>
#include <numeric>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "trace/probe_poc.h"
#include "trace/trace_testing.h"

namespace forewarn::trace {
namespace {

using testing::HaveTool;
using testing::ReadSample;
using testing::RunCommand;
using testing::TempFile;

constexpr int kPartners = 100;
constexpr const char* kPython = "/usr/bin/python3";

std::vector<std::string> PartnerIds() {
  std::vector<std::string> ids;
  for (int i = 0; i < kPartners; ++i) ids.push_back(fmt::format("prt_{:016x}", 0x1000 + i * 7919));
  return ids;
}

crypto::SecretBytes TraceKey() {
  std::string raw(32, '\0');
  for (size_t i = 0; i < raw.size(); ++i) raw[i] = static_cast<char>(i * 37 + 11);
  return crypto::SecretBytes::CopyFrom(raw);
}

// Runs a Python snippet over `text` (passed as a file argument); returns its stdout.
std::string PythonTransform(const std::string& script, const std::string& text) {
  TempFile input("leak.py", text);
  TempFile program("transform.py", script);
  const auto result = RunCommand(fmt::format("{} {} {}", kPython, program.path(), input.path()));
  EXPECT_EQ(result.exit_code, 0) << result.output;
  return result.output;
}

const char* kAstUnparse = R"(import ast, sys
print(ast.unparse(ast.parse(open(sys.argv[1]).read())))
)";

const char* kStripComments = R"(import io, sys, tokenize
src = open(sys.argv[1]).read()
toks = [t for t in tokenize.generate_tokens(io.StringIO(src).readline) if t.type != tokenize.COMMENT]
sys.stdout.write(tokenize.untokenize(toks))
)";

// Renames every other name the file defines (functions, parameters, variables, constants), in
// sorted order, wherever it occurs as a name token not after a dot: what a leaker hiding the
// source might do by hand.
const char* kRenameHalf = R"(import ast, io, sys, tokenize
src = open(sys.argv[1]).read()
tree = ast.parse(src)
defined = set()
for node in ast.walk(tree):
    if isinstance(node, ast.FunctionDef): defined.add(node.name)
    elif isinstance(node, ast.arg): defined.add(node.arg)
    elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store): defined.add(node.id)
    elif isinstance(node, ast.ExceptHandler) and node.name: defined.add(node.name)
    elif isinstance(node, (ast.With,)):
        for item in node.items:
            if isinstance(item.optional_vars, ast.Name): defined.add(item.optional_vars.id)
names = sorted(defined - {"main"})
rename = {n: "renamed_%d" % i for i, n in enumerate(names) if i % 2 == 0}
out = []
prev = None
for tok in tokenize.generate_tokens(io.StringIO(src).readline):
    if tok.type == tokenize.NAME and tok.string in rename and not (prev and prev.string == "."):
        tok = tok._replace(string=rename[tok.string])
    out.append(tok)
    if tok.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT):
        prev = tok
sys.stdout.write(tokenize.untokenize(out))
)";

std::string Black(const std::string& text) {
  TempFile input("leak.py", text);
  const auto result =
      RunCommand(fmt::format("/usr/bin/black -q {} && cat {}", input.path(), input.path()));
  EXPECT_EQ(result.exit_code, 0) << result.output;
  return result.output;
}

std::string Lines(const std::string& text, size_t first, size_t count) {
  std::istringstream in(text);
  std::string line;
  std::string out;
  for (size_t i = 0; std::getline(in, line); ++i) {
    if (i >= first && i < first + count) out += line + "\n";
  }
  return out;
}

size_t LineCount(const std::string& text) {
  return static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
}

class FingerprintTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { ASSERT_TRUE(crypto::Initialize().has_value()); }

  void SetUp() override {
    auto fp = ArtifactFingerprint::Create(
        TraceKey(), "adv_0000000000000001", "art_0000000000000001",
        ReadSample("fabrikam_portal_poc.py"), Language::kPython, TraceSettings{});
    ASSERT_TRUE(fp.has_value()) << fp.error().message;
    fingerprint_.emplace(std::move(*fp));
  }

  const ArtifactFingerprint& fp() const { return *fingerprint_; }

  // Traces `leaked` over the 100 partners.
  TraceReport Trace(const std::string& leaked) const {
    auto report = fp().Trace(leaked, partners_);
    EXPECT_TRUE(report.has_value()) << report.error().message;
    return report.value_or(TraceReport{});
  }

  std::vector<std::string> partners_ = PartnerIds();
  std::optional<ArtifactFingerprint> fingerprint_;
};

TEST_F(FingerprintTest, EveryPartnerGetsADistinctCorrectCopy) {
  std::set<std::string> copies;
  for (const auto& partner : partners_) copies.insert(fp().Variant(partner));
  EXPECT_EQ(copies.size(), partners_.size());
  // The same partner always gets the same copy; its fingerprint id is stable and opaque.
  EXPECT_EQ(fp().Variant(partners_[3]), fp().Variant(partners_[3]));
  EXPECT_EQ(fp().FingerprintId(partners_[3]).size(), 19U);
  EXPECT_NE(fp().FingerprintId(partners_[3]), fp().FingerprintId(partners_[4]));
  if (HaveTool(kPython)) {
    for (int i = 0; i < 5; ++i) {
      TempFile copy("poc.py", fp().Variant(partners_[i]));
      const auto result = RunCommand(fmt::format("{} -m py_compile {}", kPython, copy.path()));
      EXPECT_EQ(result.exit_code, 0) << result.output;
    }
  }
}

TEST_F(FingerprintTest, CapacityIsReportedAgainstWhatTheDesignNeeds) {
  const Capacity capacity = fp().CapacityFor(kPartners);
  EXPECT_EQ(capacity.capacity_bits, fp().marks().CapacityBits());
  EXPECT_GT(capacity.single_leaker_bits, 0);
  EXPECT_GT(capacity.needed_bits, capacity.single_leaker_bits);
  EXPECT_EQ(capacity.warning, capacity.capacity_bits < capacity.needed_bits);
  EXPECT_EQ(capacity.warning, !capacity.message.empty());
  // A one-line artifact has nearly nothing to carry: the operator is warned in plain words.
  auto tiny = ArtifactFingerprint::Create(TraceKey(), "adv_1", "art_2", "print('hi')\n",
                                          Language::kPython, TraceSettings{});
  ASSERT_TRUE(tiny.has_value());
  const Capacity small = tiny->CapacityFor(kPartners);
  EXPECT_TRUE(small.warning);
  EXPECT_NE(small.message.find("Even a single leaker"), std::string::npos) << small.message;
}

TEST_F(FingerprintTest, AWholeCopyAccusesItsPartnerAloneWellWithinTheBound) {
  for (int leaker : {0, 17, 42, 99}) {
    const TraceReport report = Trace(fp().Variant(partners_[leaker]));
    ASSERT_EQ(report.accused.size(), 1U) << leaker;
    EXPECT_EQ(report.accused[0].partner_id, partners_[leaker]);
    EXPECT_LE(report.accused[0].false_accusation_bound, 1e-6);
    EXPECT_EQ(report.read.positions_read, fp().marks().CapacityBits());
    // The canaries name the same partner.
    ASSERT_FALSE(report.canary_hits.empty());
    for (const auto& hit : report.canary_hits) EXPECT_EQ(hit.canary.partner_id, partners_[leaker]);
  }
}

TEST_F(FingerprintTest, TwentyLineExcerptsAccuseTheirPartnerAndNoOneElse) {
  const std::string copy = fp().Variant(partners_[7]);
  const size_t lines = LineCount(copy);
  // The same artifact with epsilon 1e-3, a setting an operator may choose for screening.
  auto lenient =
      ArtifactFingerprint::Create(TraceKey(), "adv_0000000000000001", "art_0000000000000001",
                                  ReadSample("fabrikam_portal_poc.py"), Language::kPython,
                                  TraceSettings{.coalition = 2, .epsilon_false = 1e-3});
  ASSERT_TRUE(lenient.has_value());
  ASSERT_EQ(lenient->Variant(partners_[7]), copy);
  int accused_alone = 0;
  int windows = 0;
  for (size_t first = 0; first + 20 <= lines; first += 6) {
    const std::string excerpt = Lines(copy, first, 20);
    const TraceReport report = Trace(excerpt);
    ++windows;
    ASSERT_FALSE(report.top.empty());
    std::cout << fmt::format("lines {}-{}: {} bits read, leaker's bound {:.2g}\n", first + 1,
                             first + 20, report.read.positions_read,
                             report.top[0].false_accusation_bound);
    // Nothing is misread: every bit read is the leaker's.
    const auto bits = fp().Codeword(partners_[7]);
    for (size_t k = 0; k < bits.size(); ++k) {
      if (report.read.bits[k] >= 0) {
        EXPECT_EQ(report.read.bits[k], bits[k]) << first << " " << k;
      }
    }
    // The leaker scores highest in every window, and no one else is ever accused.
    EXPECT_EQ(report.top[0].partner_id, partners_[7]) << first;
    for (const auto& a : report.accused) EXPECT_EQ(a.partner_id, partners_[7]) << first;
    accused_alone += report.accused.size() == 1 ? 1 : 0;
    // At epsilon 1e-3 every window accuses the leaker alone.
    auto screening = lenient->Trace(excerpt, partners_);
    ASSERT_TRUE(screening.has_value());
    ASSERT_EQ(screening->accused.size(), 1U) << first;
    EXPECT_EQ(screening->accused[0].partner_id, partners_[7]);
  }
  RecordProperty("excerpt_windows", windows);
  RecordProperty("excerpt_windows_accused_at_1e-6", accused_alone);
  std::cout << fmt::format("20-line excerpts: leaker accused alone at 1e-6 in {} of {} windows\n",
                           accused_alone, windows);
  EXPECT_GE(accused_alone * 3, windows * 2) << "fewer than 2/3 of 20-line excerpts trace at 1e-6";
  // The function bodies in the middle carry the most.
  const TraceReport middle = Trace(Lines(copy, 18, 20));
  ASSERT_EQ(middle.accused.size(), 1U);
  EXPECT_EQ(middle.accused[0].partner_id, partners_[7]);
  EXPECT_LE(middle.accused[0].false_accusation_bound, 1e-6);
}

struct Normalizer {
  std::string name;
  std::function<std::string(const std::string&)> apply;
};

std::vector<Normalizer> PythonNormalizers() {
  std::vector<Normalizer> out;
  out.push_back(
      {"ast.unparse", [](const std::string& t) { return PythonTransform(kAstUnparse, t); }});
  if (HaveTool("/usr/bin/black")) out.push_back({"black", Black});
  out.push_back({"comments stripped",
                 [](const std::string& t) { return PythonTransform(kStripComments, t); }});
  out.push_back({"half the names renamed",
                 [](const std::string& t) { return PythonTransform(kRenameHalf, t); }});
  out.push_back({"first half", [](const std::string& t) { return Lines(t, 0, LineCount(t) / 2); }});
  return out;
}

TEST_F(FingerprintTest, SurvivalOfEachFamilyUnderNormalizersIsMeasured) {
  ASSERT_TRUE(HaveTool(kPython));
  std::map<std::string, int> total_by_family;
  for (const auto& point : fp().marks().points()) ++total_by_family[point.family];
  for (const auto& normalizer : PythonNormalizers()) {
    std::map<std::string, int> read;
    constexpr int kCopies = 3;
    for (int i = 0; i < kCopies; ++i) {
      const std::string copy = fp().Variant(partners_[i]);
      const std::string leaked = normalizer.apply(copy);
      const ReadResult result = fp().marks().Read(leaked);
      // What is read is right: compare with the partner's own bits.
      const auto bits = fp().Codeword(partners_[i]);
      int wrong = 0;
      for (size_t k = 0; k < bits.size(); ++k) {
        wrong += result.bits[k] >= 0 && result.bits[k] != bits[k] ? 1 : 0;
      }
      EXPECT_EQ(wrong, 0) << normalizer.name;
      for (const auto& [family, count] : result.read_by_family) read[family] += count;
    }
    std::string line = normalizer.name + ":";
    for (const auto& [family, total] : total_by_family) {
      line += fmt::format(" {} {}/{}", family, read[family] / kCopies, total);
      RecordProperty(normalizer.name + "/" + family,
                     fmt::format("{}/{}", read[family] / kCopies, total));
    }
    std::cout << line << "\n";
  }
}

TEST_F(FingerprintTest, TheLeakerIsTracedThroughEveryNormalizerAndAllTogether) {
  ASSERT_TRUE(HaveTool(kPython));
  const int leaker = 23;
  const std::string copy = fp().Variant(partners_[leaker]);
  auto expect_traced = [&](const std::string& leaked, const std::string& what) {
    const TraceReport report = Trace(leaked);
    const auto bits = fp().Codeword(partners_[leaker]);
    int wrong = 0;
    for (size_t k = 0; k < bits.size(); ++k) {
      wrong += report.read.bits[k] >= 0 && report.read.bits[k] != bits[k] ? 1 : 0;
    }
    EXPECT_EQ(wrong, 0) << what;
    ASSERT_EQ(report.accused.size(), 1U)
        << what << ": " << report.read.positions_read << " bits read; top "
        << (report.top.empty()
                ? std::string("-")
                : fmt::format("{} score {:.1f} bound {:.2g}", report.top[0].partner_id,
                              report.top[0].score, report.top[0].false_accusation_bound));
    EXPECT_EQ(report.accused[0].partner_id, partners_[leaker]) << what;
    EXPECT_LE(report.accused[0].false_accusation_bound, 1e-6) << what;
    std::cout << fmt::format("{}: {} of {} bits read, bound {:.2g}\n", what,
                             report.read.positions_read, fp().marks().CapacityBits(),
                             report.accused[0].false_accusation_bound);
  };
  for (const auto& normalizer : PythonNormalizers())
    expect_traced(normalizer.apply(copy), normalizer.name);
  // Everything a leaker might do, one after another.
  std::string leaked = HaveTool("/usr/bin/black") ? Black(copy) : copy;
  leaked = PythonTransform(kStripComments, leaked);
  leaked = PythonTransform(kRenameHalf, leaked);
  leaked = Lines(leaked, 0, LineCount(leaked) / 2);
  expect_traced(leaked, "black + comments stripped + half renamed + first half");
}

// The other languages: which points survive clang-format (C#) and comment stripping
// (PowerShell, C#), with the partner still traced from the normalized copy.
TEST_F(FingerprintTest, OtherLanguagesSurviveTheirNormalizers) {
  struct Case {
    std::string sample;
    Language language;
    std::string normalizer;
    std::string command;  // {} = the file
  };
  std::vector<Case> cases = {
      {"FabrikamProbe.cs", Language::kCSharp, "comments stripped", "sed -E 's://.*$::' {}"},
      {"northwind_sync_poc.ps1", Language::kPowerShell, "comments stripped",
       "sed -E 's/^[[:space:]]*#.*$//' {}"},
      {"fabrikam_request.http", Language::kHttp, "CRLF line ends", "sed -e 's/$/\\r/' {}"},
  };
  if (HaveTool("/usr/bin/clang-format-14")) {
    cases.push_back({"FabrikamProbe.cs", Language::kCSharp, "clang-format",
                     "/usr/bin/clang-format-14 --assume-filename=probe.cs < {}"});
  }
  for (const Case& c : cases) {
    auto fp = ArtifactFingerprint::Create(TraceKey(), "adv_0000000000000001", "art_" + c.sample,
                                          ReadSample(c.sample), c.language, TraceSettings{});
    ASSERT_TRUE(fp.has_value()) << fp.error().message;
    const std::string copy = fp->Variant(partners_[11]);
    TempFile file("copy", copy);
    std::string command = c.command;
    command.replace(command.find("{}"), 2, file.path());
    const auto normalized = RunCommand(command);
    ASSERT_EQ(normalized.exit_code, 0) << normalized.output;
    auto report = fp->Trace(normalized.output, partners_);
    ASSERT_TRUE(report.has_value());
    const auto bits = fp->Codeword(partners_[11]);
    int wrong = 0;
    for (size_t k = 0; k < bits.size(); ++k) {
      wrong += report->read.bits[k] >= 0 && report->read.bits[k] != bits[k] ? 1 : 0;
    }
    EXPECT_EQ(wrong, 0) << c.sample << " " << c.normalizer;
    std::string line = fmt::format("{} after {}: {} of {} bits read;", c.sample, c.normalizer,
                                   report->read.positions_read, fp->marks().CapacityBits());
    for (const auto& [family, count] : report->read.read_by_family) {
      line += fmt::format(" {} {}", family, count);
    }
    for (const auto& [family, count] : report->read.erased_by_family) {
      line += fmt::format(" {} erased {}", family, count);
    }
    std::cout << line << "\n";
    RecordProperty(c.sample + "/" + c.normalizer, line);
    ASSERT_FALSE(report->top.empty());
    EXPECT_EQ(report->top[0].partner_id, partners_[11]) << line;
    for (const auto& a : report->accused) EXPECT_EQ(a.partner_id, partners_[11]);
    // The canaries name the partner even where the bits are too few.
    ASSERT_FALSE(report->canary_hits.empty()) << line;
    for (const auto& hit : report->canary_hits) EXPECT_EQ(hit.canary.partner_id, partners_[11]);
  }
}

// Coalitions merging their copies point by point.
enum class Merge { kMajority, kRandomChoice, kInterleaving, kDropDiffering };
constexpr std::array<const char*, 4> kMergeNames = {"majority", "random", "interleaving",
                                                    "drop-differing"};

struct CoalitionRates {
  int caught = 0;            // trials where at least one colluder was accused
  int innocent_accused = 0;  // accusations of partners outside the coalition, over all trials
};

// `trials` random coalitions of `c` among `partners` merge their copies of `fp` with `merge`;
// the merged text is traced like any leak.
CoalitionRates Collude(const ArtifactFingerprint& fp, const std::vector<std::string>& partners,
                       int c, Merge merge, int trials, std::mt19937_64& gen) {
  const auto& points = fp.marks().points();
  std::vector<int> first;
  int position = 0;
  for (const auto& point : points) {
    first.push_back(position);
    position += point.Bits();
  }
  CoalitionRates rates;
  for (int trial = 0; trial < trials; ++trial) {
    std::vector<int> members(partners.size());
    std::iota(members.begin(), members.end(), 0);
    std::shuffle(members.begin(), members.end(), gen);
    members.resize(c);
    std::vector<std::vector<uint8_t>> words;
    for (int m : members) words.push_back(fp.Codeword(partners[m]));
    std::vector<uint8_t> merged(fp.marks().CapacityBits(), 0);
    std::vector<size_t> differing;
    for (size_t p = 0; p < points.size(); ++p) {
      auto symbol_of = [&](int member) {
        uint64_t v = 0;
        for (int b = 0; b < points[p].Bits(); ++b) v |= uint64_t{words[member][first[p] + b]} << b;
        return v;
      };
      std::map<uint64_t, int> votes;
      for (int m = 0; m < c; ++m) ++votes[symbol_of(m)];
      uint64_t chosen = symbol_of(0);
      if (votes.size() > 1) differing.push_back(p);
      switch (merge) {
        case Merge::kMajority:
          chosen = std::max_element(votes.begin(), votes.end(), [](auto& a, auto& b) {
                     return a.second < b.second;
                   })->first;
          break;
        case Merge::kRandomChoice:
          chosen = symbol_of(static_cast<int>(gen() % c));
          break;
        case Merge::kInterleaving:
          chosen = symbol_of(static_cast<int>((p / 3) % c));  // runs of 3 points per member
          break;
        case Merge::kDropDiffering:
          break;
      }
      for (int b = 0; b < points[p].Bits(); ++b) merged[first[p] + b] = (chosen >> b) & 1U;
    }
    // The merged copy as text, read back like any leak.
    const std::string leaked = fp.marks().Render(merged, fp.CanaryValues(partners[members[0]]));
    auto report = fp.Trace(leaked, partners);
    EXPECT_TRUE(report.has_value());
    if (!report) return rates;
    if (merge == Merge::kDropDiffering) {
      // Dropping: the points where the copies differ are removed from the text; simulated by
      // erasing them from what was read, then accusing again.
      ReadResult read = report->read;
      for (size_t p : differing) {
        for (int b = 0; b < points[p].Bits(); ++b) read.bits[first[p] + b] = -1;
      }
      report = fp.Accuse(std::move(read), partners);
      EXPECT_TRUE(report.has_value());
      if (!report) return rates;
    }
    std::set<std::string> coalition;
    for (int m : members) coalition.insert(partners[m]);
    bool got_one = false;
    for (const auto& a : report->accused) {
      if (coalition.count(a.partner_id) > 0) {
        got_one = true;
      } else {
        ++rates.innocent_accused;
      }
    }
    rates.caught += got_one ? 1 : 0;
  }
  return rates;
}

// The 68-line sample carries 102 bits, far below the 343 (pairs) and 1,735 (triples) that 100
// partners and epsilon 1e-6 need: the rates are recorded, and no innocent is ever accused.
TEST_F(FingerprintTest, CoalitionsAgainstTheSamplePocNeverFrameAnInnocent) {
  std::mt19937_64 gen(2026);
  constexpr int kTrials = 40;
  for (int c : {2, 3}) {
    for (Merge merge :
         {Merge::kMajority, Merge::kRandomChoice, Merge::kInterleaving, Merge::kDropDiffering}) {
      const CoalitionRates rates = Collude(fp(), partners_, c, merge, kTrials, gen);
      const std::string key = fmt::format("c{}/{}", c, kMergeNames[static_cast<int>(merge)]);
      RecordProperty(key + "/caught", fmt::format("{}/{}", rates.caught, kTrials));
      std::cout << fmt::format("{}: a colluder accused in {}/{} trials, innocents accused {}\n",
                               key, rates.caught, kTrials, rates.innocent_accused);
      EXPECT_EQ(rates.innocent_accused, 0) << key;
    }
  }
}

// A 222-line PoC (the sample with generated probe functions) carries more than the 343 bits
// pairs need: then pairs are caught, whatever they merge.
TEST_F(FingerprintTest, PairsAreCaughtWhenTheArtifactCarriesWhatTheDesignNeeds) {
  const std::string poc = testing::WithProbeFunctions(ReadSample("fabrikam_portal_poc.py"), 22);
  auto large = ArtifactFingerprint::Create(TraceKey(), "adv_0000000000000001", "art_large", poc,
                                           Language::kPython, TraceSettings{});
  ASSERT_TRUE(large.has_value()) << large.error().message;
  const Capacity capacity = large->CapacityFor(kPartners);
  ASSERT_FALSE(capacity.warning) << capacity.message;
  std::mt19937_64 gen(7);
  constexpr int kTrials = 30;
  for (Merge merge : {Merge::kMajority, Merge::kRandomChoice, Merge::kInterleaving}) {
    const CoalitionRates rates = Collude(*large, partners_, 2, merge, kTrials, gen);
    const std::string key = fmt::format("large/c2/{}", kMergeNames[static_cast<int>(merge)]);
    RecordProperty(key + "/caught", fmt::format("{}/{}", rates.caught, kTrials));
    std::cout << fmt::format("{} ({} bits): a colluder accused in {}/{} trials, innocents {}\n",
                             key, capacity.capacity_bits, rates.caught, kTrials,
                             rates.innocent_accused);
    EXPECT_EQ(rates.innocent_accused, 0) << key;
    EXPECT_GE(rates.caught * 10, kTrials * 9) << key;
  }
  // Dropping every differing point leaves only what both copies share: recorded, not asserted.
  const CoalitionRates dropped = Collude(*large, partners_, 2, Merge::kDropDiffering, kTrials, gen);
  std::cout << fmt::format("large/c2/drop-differing: a colluder accused in {}/{} trials\n",
                           dropped.caught, kTrials);
  EXPECT_EQ(dropped.innocent_accused, 0);
  // Triples, against a code designed for pairs: recorded.
  for (Merge merge :
       {Merge::kMajority, Merge::kRandomChoice, Merge::kInterleaving, Merge::kDropDiffering}) {
    const CoalitionRates triples = Collude(*large, partners_, 3, merge, kTrials, gen);
    const std::string key = fmt::format("large/c3/{}", kMergeNames[static_cast<int>(merge)]);
    RecordProperty(key + "/caught", fmt::format("{}/{}", triples.caught, kTrials));
    std::cout << fmt::format("{}: a colluder accused in {}/{} trials\n", key, triples.caught,
                             kTrials);
    EXPECT_EQ(triples.innocent_accused, 0) << key;
  }
}

}  // namespace
}  // namespace forewarn::trace
