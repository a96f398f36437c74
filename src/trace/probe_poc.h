// File: trace/probe_poc.h (tests and benchmarks of the trace module only)
//
// A longer PoC for capacity, collusion and speed measurements: a Python PoC with generated
// probe functions (each a dict, a URL concatenation and a call with keyword arguments)
// inserted before its `def main(argv):`. With the Fabrikam sample and 22 probes it has 222
// lines and 376 code bits.
#pragma once

#include <fmt/format.h>

#include <string>

namespace forewarn::trace::testing {

inline std::string WithProbeFunctions(std::string poc, int count) {
  std::string probes;
  for (int i = 0; i < count; ++i) {
    probes += fmt::format(
        "def probe_{0}(base_url, marker):\n"
        "    fields = {{\"Probe\": \"layout-{0}\", \"Mode\": \"Edit\", \"Marker\": marker}}\n"
        "    url = base_url + \"/portal/layouts/Probe{0}.aspx\"\n"
        "    request = urllib.request.Request(url, data=None, method=\"GET\")\n"
        "    return request, fields\n\n\n",
        i);
  }
  const size_t main_at = poc.find("def main(argv):");
  poc.insert(main_at == std::string::npos ? poc.size() : main_at, probes);
  return poc;
}

}  // namespace forewarn::trace::testing
