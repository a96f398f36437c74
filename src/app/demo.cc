#include "app/demo.h"

#include <fmt/format.h>

#include <fstream>
#include <functional>
#include <mutex>

#include "app/demo_samples.h"
#include "app/program.h"
#include "core/time.h"

namespace forewarn::app {
namespace {

struct DemoPartner {
  const char* name;
  const char* country;
  const char* tier;
  std::vector<std::string> labels;
  const char* contact;
};

// Fictional organizations; countries with a vulnerability-reporting duty carry the
// `poc-restricted` label and receive written descriptions instead of PoC code.
const std::vector<DemoPartner>& Partners() {
  static const std::vector<DemoPartner> partners = {
      {"Contoso Defender Labs", "US", "early", {}, "soc@contoso.example"},
      {"Northwind Threat Research", "DE", "early", {}, "cert@northwind.example"},
      {"Tailspin Security", "GB", "early", {}, "intel@tailspin.example"},
      {"Woodgrove Endpoint", "JP", "early", {}, "psirt@woodgrove.example"},
      {"Litware IDS", "US", "standard", {}, "rules@litware.example"},
      {"Adatum Antivirus", "DE", "standard", {}, "av@adatum.example"},
      {"Fourth Coffee CERT", "FR", "standard", {}, "cert@fourthcoffee.example"},
      {"Proseware Networks", "GB", "standard", {}, "noc@proseware.example"},
      {"Wide World Sec", "JP", "standard", {}, "sec@wideworld.example"},
      {"Blue Yonder Cyber",
       "CN",
       "standard",
       {"poc-restricted", "gov-reporting"},
       "intel@blueyonder.example"},
      {"Coho Threat Intel", "CN", "early", {"poc-restricted", "gov-reporting"}, "ti@coho.example"},
      {"Margie Detection", "FR", "standard", {}, "detect@margie.example"},
  };
  return partners;
}

// The demo's story happens over two weeks before "now": seeding walks this clock through it,
// so every record carries the time it would have had.
class StoryClock final : public Clock {
 public:
  explicit StoryClock(TimePoint start) : now_(start) {}
  TimePoint Now() const override {
    std::lock_guard lock(mutex_);
    return now_;
  }
  void Set(TimePoint t) {
    std::lock_guard lock(mutex_);
    now_ = t;
  }

 private:
  mutable std::mutex mutex_;
  TimePoint now_;
};

std::string_view Sample(std::string_view name) {
  for (const auto& [file, content] : kDemoSamples) {
    if (file == name) return content;
  }
  return {};
}

// Adds the sample as an artifact if it was embedded at build time; returns its id or "".
Result<std::string> AddSample(Program& program, const Principal& admin, const std::string& advisory,
                              ArtifactKind kind, std::string_view file, std::string content = {},
                              std::string alternative_of = {}, std::string replaces = {}) {
  if (content.empty()) content = std::string(Sample(file));
  if (content.empty()) return std::string();
  advisory::ArtifactInput input;
  input.kind = kind;
  input.filename = std::string(file);
  input.content = std::move(content);
  input.alternative_of = std::move(alternative_of);
  input.replaces = std::move(replaces);
  FW_ASSIGN_OR_RETURN(auto artifact, program.advisories().AddArtifact(admin, advisory, input));
  return artifact.id;
}

// The advisory of the story: waves at day -14 (advisory, detection guidance) to every tier,
// day -5 (PoC to the early tier, with a written description as its alternative form) and
// day -1 (a revised PoC for a bypass of the first fix).
// `after_poc_wave` runs at day -5, once the PoC's wave is recorded (partners fetch it then).
Result<std::string> SeedAdvisory(
    Program& program, const Principal& admin, StoryClock& clock, TimePoint public_at,
    const std::function<Status(const std::string& advisory, const std::string& poc)>&
        after_poc_wave) {
  auto& advisories = program.advisories();
  clock.Set(public_at - std::chrono::hours{24 * 14});
  advisory::AdvisoryInput input;
  input.content.title =
      "Fabrikam Portal Server: authentication bypass chained to remote code "
      "execution";
  input.content.cves = {"CVE-2026-31337", "CVE-2026-31338"};
  input.content.cvss_vectors = {"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
                                "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N"};
  input.content.products = {
      {"Fabrikam Portal Server 2019", "< 16.0.10417.20037", "16.0.10417.20037"},
      {"Fabrikam Portal Server Subscription Edition", "< 16.0.18526.20424", "16.0.18526.20424"}};
  input.content.description =
      "An unauthenticated request to the portal's layout endpoint bypasses authentication "
      "(CVE-2026-31337); chained with an unsafe deserialization in the upload handler "
      "(CVE-2026-31338) it runs code as the portal service account. Exploitation leaves a web "
      "shell in the layouts directory. Detection guidance is attached; a proof of concept "
      "follows for the early tier.";
  input.public_at = public_at;
  input.draft = true;
  input.summary = "Advisory and detection guidance";
  FW_ASSIGN_OR_RETURN(auto record, advisories.Create(admin, input));
  const std::string id = record.advisory.id;
  FW_TRY(AddSample(program, admin, id, ArtifactKind::kDetection, "fabrikam_webshell.yar"));
  FW_TRY(AddSample(program, admin, id, ArtifactKind::kDetection, "fabrikam_exploit.sigma.yml"));
  FW_TRY(AddSample(program, admin, id, ArtifactKind::kDetection, "fabrikam_exploit.rules"));
  FW_TRY(AddSample(program, admin, id, ArtifactKind::kIoc, "fabrikam_iocs.json"));
  FW_TRY(AddSample(program, admin, id, ArtifactKind::kMitigation, "fabrikam_mitigation.md"));
  advisory::Schedule everyone;
  FW_ASSIGN_OR_RETURN(auto tiers, program.registry().ListTiers(admin));
  for (const auto& tier : tiers) everyone.waves[tier.name] = clock.Now();
  FW_TRY(advisories.Publish(admin, id, everyone));
  FW_TRY(program.scheduler().RunDue());

  clock.Set(public_at - std::chrono::hours{24 * 5});
  FW_TRY(advisories.Revise(admin, id, "Proof of concept for the early tier"));
  FW_ASSIGN_OR_RETURN(auto poc,
                      AddSample(program, admin, id, ArtifactKind::kPoc, "fabrikam_portal_poc.py"));
  std::string description;
  if (!poc.empty()) {
    FW_ASSIGN_OR_RETURN(description,
                        AddSample(program, admin, id, ArtifactKind::kTechnicalDescription,
                                  "fabrikam_description.md", {}, poc));
  }
  FW_TRY(advisories.Publish(admin, id, {}));
  FW_TRY(program.scheduler().RunDue());
  if (!poc.empty()) FW_TRY(after_poc_wave(id, poc));

  clock.Set(public_at - std::chrono::hours{24});
  FW_TRY(advisories.Revise(admin, id, "Revised proof of concept: bypass of the first fix"));
  if (!poc.empty()) {
    const std::string revised =
        std::string(Sample("fabrikam_portal_poc.py")) +
        "\n# Revision 3: the first fix checks the path case-sensitively; requesting the\n"
        "# layout endpoint in upper case bypasses it. Test both spellings.\n";
    FW_ASSIGN_OR_RETURN(auto revised_poc, AddSample(program, admin, id, ArtifactKind::kPoc,
                                                    "fabrikam_portal_poc.py", revised, {}, poc));
    // The restricted cohort's written description follows the revised PoC.
    if (!description.empty()) {
      const std::string revised_description =
          std::string(Sample("fabrikam_description.md")) +
          "\nRevision 3: the first fix compares the endpoint path case-sensitively; an upper-case "
          "spelling of the path reaches the vulnerable handler again.\n";
      FW_TRY(AddSample(program, admin, id, ArtifactKind::kTechnicalDescription,
                       "fabrikam_description.md", revised_description, revised_poc));
    }
  }
  FW_TRY(advisories.Publish(admin, id, {}));
  FW_TRY(program.scheduler().RunDue());
  return id;
}

// The leaking partner of the story: an early-tier partner whose copy of the day -5 PoC
// turns up on a public paste site at day -3, and whose canary file name appears in attacks
// from day -1.
constexpr std::string_view kLeakerName = "Tailspin Security";

// At day -5, two hours after the wave, the early-tier partners that receive PoC code accept
// the terms and download it; the leaker's copy is written out as the leaked file (its comments
// stripped and reformatted, as a leaker hiding the source would), with the indicators seen
// from day -1: the web shell name and user-agent of that copy's canaries.
Status SeedDownloadsAndLeak(Program& program, StoryClock& clock, TimePoint public_at,
                            const nlohmann::json& partners, const std::string& advisory,
                            const std::string& poc, const std::filesystem::path& evidence_dir,
                            nlohmann::json& facts) {
  clock.Set(clock.Now() + std::chrono::hours{2});
  std::string leaked_copy;
  std::string leaker;
  for (const auto& p : partners) {
    if (p["tier"] != "early" || !p["labels"].empty()) continue;
    const std::string token = p["token"];
    FW_ASSIGN_OR_RETURN(auto principal, program.registry().Authenticate(token));
    FW_ASSIGN_OR_RETURN(auto shown, program.pull().GetAdvisory(principal, advisory));
    const auto view = nlohmann::json::parse(shown.body, nullptr, false);
    if (view.is_discarded() || !view.contains("terms")) {
      return Fail(ErrorCode::kInternal, "demo: the partner view has no terms");
    }
    const std::string terms_sha256 = view["terms"]["sha256"];
    FW_TRY(program.pull().AcceptTerms(principal, advisory, terms_sha256).transform([](auto&&) {}));
    FW_ASSIGN_OR_RETURN(auto copy, program.pull().FetchArtifact(principal, advisory, poc));
    if (p["name"] == kLeakerName) {
      leaked_copy = copy.body;
      leaker = p["id"];
    }
    clock.Set(clock.Now() + std::chrono::minutes{7});
  }
  if (leaker.empty()) return Ok();
  // The paste: comment lines and blank runs removed.
  std::string pasted;
  size_t start = 0;
  while (start < leaked_copy.size()) {
    size_t end = leaked_copy.find('\n', start);
    if (end == std::string::npos) end = leaked_copy.size();
    const std::string line = leaked_copy.substr(start, end - start);
    const size_t first = line.find_first_not_of(' ');
    const bool comment = first != std::string::npos && line[first] == '#';
    if (!comment && !(line.empty() && (pasted.empty() || pasted.ends_with("\n\n")))) {
      pasted += line + "\n";
    }
    start = end + 1;
  }
  // The canary values the leaker's copy carries, as the attacks show them.
  FW_ASSIGN_OR_RETURN(auto tx, program.store().Begin(store::TxMode::kRead));
  FW_ASSIGN_OR_RETURN(auto artifact, tx->FindArtifact(poc));
  if (!artifact) return Fail(ErrorCode::kInternal, "demo: the PoC artifact is missing");
  FW_ASSIGN_OR_RETURN(auto content, tx->GetContent(artifact->content_sha256));
  tx.reset();
  if (!content) return Fail(ErrorCode::kInternal, "demo: the PoC content is missing");
  FW_ASSIGN_OR_RETURN(auto fingerprint, program.fingerprints().For(*artifact, *content));
  if (fingerprint == nullptr) return Ok();
  const auto canaries = fingerprint->CanaryValues(leaker);
  // Day -1 begins at the start of the current hour: the first attack is seen then.
  const TimePoint exploited = public_at - std::chrono::hours{24};
  nlohmann::json observed = nlohmann::json::array();
  if (auto shell = canaries.find("upload"); shell != canaries.end()) {
    observed.push_back(
        {{"kind", "file-name"}, {"value", shell->second}, {"first_seen", FormatTime(exploited)}});
    observed.push_back({{"kind", "url"},
                        {"value", "/portal/layouts/" + shell->second},
                        {"first_seen", FormatTime(exploited)}});
  }
  if (auto agent = canaries.find("ua"); agent != canaries.end()) {
    observed.push_back(
        {{"kind", "user-agent"}, {"value", agent->second}, {"first_seen", FormatTime(exploited)}});
  }
  const nlohmann::json indicators = {
      {"advisory", advisory},
      {"first_exploitation", FormatTime(exploited)},
      {"source", "honeypot and incident-response reports (fictional)"},
      {"observed", observed}};
  std::error_code ec;
  std::filesystem::create_directories(evidence_dir, ec);
  const auto leaked_file = evidence_dir / "leaked_portal_poc.py";
  const auto indicators_file = evidence_dir / "indicators.json";
  std::ofstream(leaked_file, std::ios::binary) << pasted;
  std::ofstream(indicators_file, std::ios::binary) << indicators.dump(2) << "\n";
  if (ec || !std::filesystem::exists(leaked_file) || !std::filesystem::exists(indicators_file)) {
    return Fail(ErrorCode::kUnavailable,
                fmt::format("demo: cannot write the evidence files in {}", evidence_dir.string()));
  }
  facts["leaked_file"] = leaked_file.string();
  facts["indicators_file"] = indicators_file.string();
  facts["leaker"] = leaker;
  return Ok();
}

}  // namespace

Result<nlohmann::json> SeedDemo(const std::filesystem::path& data_dir, crypto::Random& random,
                                const Clock& clock) {
  // The public date is tomorrow, on the hour: today is day -1 of the story.
  const auto now = clock.Now();
  const TimePoint public_at = std::chrono::floor<std::chrono::hours>(now) + std::chrono::hours{24};
  StoryClock story(public_at - std::chrono::hours{24 * 15});
  FW_ASSIGN_OR_RETURN(auto admin_token,
                      Program::Init(data_dir, "Fabrikam Active Protections (demo)", random, story));
  FW_ASSIGN_OR_RETURN(auto program, Program::Open(data_dir, random, story));
  auto& registry = program->registry();
  FW_ASSIGN_OR_RETURN(auto admin, registry.Authenticate(admin_token));

  nlohmann::json partners = nlohmann::json::array();
  for (const auto& demo : Partners()) {
    registry::PartnerFields fields;
    fields.name = demo.name;
    fields.country = demo.country;
    fields.tier = demo.tier;
    fields.labels = demo.labels;
    fields.contract = Agreement{"MAPP-2026.1", story.Now()};
    fields.nda = Agreement{"NDA-7", story.Now()};
    fields.contacts = std::vector<Contact>{{"Security lead", demo.contact, "primary"}};
    FW_ASSIGN_OR_RETURN(auto partner, registry.AddPartner(admin, fields));
    FW_ASSIGN_OR_RETURN(auto token, registry.CreateToken(admin, {.role = Role::kPartner,
                                                                 .partner_id = partner.id,
                                                                 .name = "demo feed"}));
    partners.push_back({{"id", partner.id},
                        {"name", partner.name},
                        {"country", partner.country},
                        {"tier", partner.tier},
                        {"labels", partner.labels},
                        {"token", token.token}});
  }
  // The program's policy: everything the embargo allows, except PoC code, which goes to the
  // early tier only; the standard tier and partners labelled poc-restricted receive the
  // written description instead.
  FW_TRY(program->policies().Apply(
      admin,
      std::string(policy::DefaultPolicyText()) +
          "rule poc-early-tier-only substitute artifact when artifact.kind == \"poc\" and "
          "partner.tier != \"early\";\n",
      "PoC code goes to the early tier only; the others receive the written description",
      std::nullopt));
  FW_ASSIGN_OR_RETURN(auto policy,
                      program->policies().Restrict(
                          admin, "poc-restricted", {ArtifactKind::kPoc},
                          "Partners in countries that require reporting vulnerabilities to their "
                          "government receive written descriptions instead of PoC code"));
  nlohmann::json facts = {
      {"admin_token", admin_token},       {"data", data_dir.string()},  {"advisory", nullptr},
      {"leaked_file", nullptr},           {"indicators_file", nullptr}, {"leaker", nullptr},
      {"policy_version", policy.version}, {"partners", partners}};
  FW_ASSIGN_OR_RETURN(auto advisory,
                      SeedAdvisory(*program, admin, story, public_at,
                                   [&](const std::string& advisory_id, const std::string& poc) {
                                     return SeedDownloadsAndLeak(*program, story, public_at,
                                                                 partners, advisory_id, poc,
                                                                 data_dir / "evidence", facts);
                                   }));
  facts["advisory"] = advisory;
  return facts;
}

}  // namespace forewarn::app
