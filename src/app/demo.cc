#include "app/demo.h"

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

}  // namespace

Result<nlohmann::json> SeedDemo(const std::filesystem::path& data_dir, crypto::Random& random,
                                const Clock& clock) {
  FW_ASSIGN_OR_RETURN(auto admin_token,
                      Program::Init(data_dir, "Fabrikam Active Protections (demo)", random, clock));
  FW_ASSIGN_OR_RETURN(auto program, Program::Open(data_dir, random, clock));
  auto& registry = program->registry();
  FW_ASSIGN_OR_RETURN(auto admin, registry.Authenticate(admin_token));

  nlohmann::json partners = nlohmann::json::array();
  for (const auto& demo : Partners()) {
    registry::PartnerFields fields;
    fields.name = demo.name;
    fields.country = demo.country;
    fields.tier = demo.tier;
    fields.labels = demo.labels;
    fields.contract = Agreement{"MAPP-2026.1", clock.Now()};
    fields.nda = Agreement{"NDA-7", clock.Now()};
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
  return nlohmann::json{{"admin_token", admin_token}, {"data", data_dir.string()},
                        {"advisory", nullptr},        {"leaked_file", nullptr},
                        {"indicators_file", nullptr}, {"leaker", nullptr},
                        {"partners", partners}};
}

}  // namespace forewarn::app
