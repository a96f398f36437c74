#include "app/client.h"

#include <fmt/format.h>

#include "http/transport.h"

namespace forewarn::app {
namespace {

// The server's error code name back to an ErrorCode; the transport's own names (413, 400 on
// malformed HTTP, 405) are bad input.
ErrorCode CodeFromName(std::string_view name, int status) {
  if (auto code = ErrorCodeFromName(name)) return *code;
  return status >= 500 ? ErrorCode::kInternal : ErrorCode::kInvalidArgument;
}

}  // namespace

std::string UrlEncode(std::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) != 0 || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

namespace {

// A request body and its media type.
struct Body {
  std::string bytes;
  std::string content_type;
};

Result<http::ClientResponse> Send(const Endpoint& endpoint, const std::string& method,
                                  const std::string& path, const std::optional<Body>& body) {
  if (endpoint.url.empty()) {
    return Fail(ErrorCode::kInvalidArgument,
                "no server URL: pass --url or set FOREWARN_URL (e.g. http://127.0.0.1:8080)");
  }
  if (endpoint.token.empty()) {
    return Fail(ErrorCode::kInvalidArgument, "no token: pass --token or set FOREWARN_TOKEN");
  }
  http::ClientRequest request;
  request.method = method;
  std::string base = endpoint.url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  request.url = base + path;
  request.headers.emplace_back("Authorization", "Bearer " + endpoint.token);
  request.headers.emplace_back("Accept", "application/json");
  if (body) {
    request.body = body->bytes;
    request.headers.emplace_back("Content-Type", body->content_type);
  }
  request.ca_file = endpoint.ca_file;
  request.verify_tls = !endpoint.insecure;
  FW_ASSIGN_OR_RETURN(auto response, http::Fetch(request));
  if (response.status < 200 || response.status >= 300) {
    auto parsed = nlohmann::json::parse(response.body, nullptr, false);
    if (!parsed.is_discarded() && parsed.contains("error") && parsed["error"].is_object()) {
      const auto& error = parsed["error"];
      return Fail(CodeFromName(error.value("code", ""), response.status),
                  error.value("message", fmt::format("server answered {}", response.status)));
    }
    return Fail(response.status >= 500 ? ErrorCode::kInternal : ErrorCode::kInvalidArgument,
                fmt::format("server answered {}", response.status));
  }
  return response;
}

}  // namespace

namespace {

Result<nlohmann::json> ParseAnswer(const http::ClientResponse& response) {
  auto parsed = nlohmann::json::parse(response.body, nullptr, false);
  if (parsed.is_discarded()) {
    return Fail(ErrorCode::kInternal, "server answered with something that is not JSON");
  }
  return parsed;
}

}  // namespace

Result<nlohmann::json> CallApi(const Endpoint& endpoint, const std::string& method,
                               const std::string& path, const std::optional<nlohmann::json>& body) {
  std::optional<Body> encoded;
  if (body) encoded = Body{.bytes = body->dump(), .content_type = "application/json"};
  FW_ASSIGN_OR_RETURN(auto response, Send(endpoint, method, path, encoded));
  return ParseAnswer(response);
}

Result<nlohmann::json> CallApiWithText(const Endpoint& endpoint, const std::string& method,
                                       const std::string& path, std::string text) {
  FW_ASSIGN_OR_RETURN(
      auto response,
      Send(endpoint, method, path, Body{.bytes = std::move(text), .content_type = "text/plain"}));
  return ParseAnswer(response);
}

Result<RawAnswer> CallApiRaw(const Endpoint& endpoint, const std::string& method,
                             const std::string& path) {
  FW_ASSIGN_OR_RETURN(auto response, Send(endpoint, method, path, std::nullopt));
  RawAnswer answer;
  answer.body = std::move(response.body);
  answer.content_type = std::string(http::FindHeader(response.headers, "Content-Type"));
  const std::string_view disposition = http::FindHeader(response.headers, "Content-Disposition");
  const size_t at = disposition.find("filename=\"");
  if (at != std::string_view::npos) {
    const std::string_view rest = disposition.substr(at + 10);
    answer.filename = std::string(rest.substr(0, rest.find('"')));
  }
  return answer;
}

}  // namespace forewarn::app
