// File: app/client.h
//
// The CLI's side of the HTTP API: one call per subcommand, errors turned into the one-line
// messages and exit codes the CLI prints. Talks to --url/FOREWARN_URL with --token/FOREWARN_TOKEN.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "core/result.h"

namespace forewarn::app {

struct Endpoint {
  std::string url;    // base, e.g. http://127.0.0.1:8080
  std::string token;  // bearer token
  std::optional<std::string> ca_file;
  bool insecure = false;  // skip TLS verification (testing only)
};

// Sends `method path` with an optional JSON body; returns the parsed JSON answer. A non-2xx
// answer becomes an Error carrying the server's code and message; kUnavailable if the server
// cannot be reached; kInvalidArgument if no URL or token is configured.
[[nodiscard]] Result<nlohmann::json> CallApi(const Endpoint& endpoint, const std::string& method,
                                             const std::string& path,
                                             const std::optional<nlohmann::json>& body = {});

// Like CallApi, with `text` sent as the body as it is (Content-Type: text/plain), e.g. a leaked
// document to trace.
[[nodiscard]] Result<nlohmann::json> CallApiWithText(const Endpoint& endpoint,
                                                     const std::string& method,
                                                     const std::string& path, std::string text);

// A successful answer's bytes, for downloads.
struct RawAnswer {
  std::string body;
  std::string content_type;
  std::string filename;  // from Content-Disposition, if any
};

// Like CallApi, but returns the bytes of a 2xx answer as they are.
[[nodiscard]] Result<RawAnswer> CallApiRaw(const Endpoint& endpoint, const std::string& method,
                                           const std::string& path);

// Percent-encodes a query parameter value.
std::string UrlEncode(std::string_view text);

}  // namespace forewarn::app
