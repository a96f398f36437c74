#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include "http/api.h"
#include "http/api_internal.h"

namespace forewarn::http {

using nlohmann::json;

std::string PercentDecode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%' && i + 2 < text.size()) {
      int value = 0;
      auto [ptr, ec] = std::from_chars(text.data() + i + 1, text.data() + i + 3, value, 16);
      if (ec == std::errc{} && ptr == text.data() + i + 3) {
        out.push_back(static_cast<char>(value));
        i += 2;
        continue;
      }
    }
    out.push_back(plus_is_space && c == '+' ? ' ' : c);
  }
  return out;
}

Params ParseQuery(std::string_view query) {
  Params params;
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    const size_t eq = pair.find('=');
    std::string key = PercentDecode(pair.substr(0, eq), true);
    std::string value =
        eq == std::string_view::npos ? "" : PercentDecode(pair.substr(eq + 1), true);
    if (!key.empty()) params.emplace(std::move(key), std::move(value));
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return params;
}

std::vector<std::string_view> SplitPath(std::string_view path) {
  std::vector<std::string_view> segments;
  size_t start = 1;
  while (start <= path.size()) {
    const size_t slash = path.find('/', start);
    const size_t end = slash == std::string_view::npos ? path.size() : slash;
    segments.push_back(path.substr(start, end - start));
    start = end + 1;
  }
  return segments;
}

Response JsonResponse(int status, const json& body) {
  Response response;
  response.status = status;
  // Error messages echo request bytes; invalid UTF-8 is replaced rather than thrown on.
  response.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
  response.body.push_back('\n');
  return response;
}

Response ErrorResponse(const Error& error) {
  Response response =
      JsonResponse(HttpStatusFor(error.code),
                   {{"error", {{"code", ErrorCodeName(error.code)}, {"message", error.message}}}});
  if (error.code == ErrorCode::kUnauthenticated) {
    response.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"forewarn\"");
  }
  return response;
}

Result<uint64_t> QueryNumber(const Params& query, const std::string& key,
                             std::optional<uint64_t> fallback) {
  auto it = query.find(key);
  if (it == query.end()) {
    if (fallback) return *fallback;
    return Fail(ErrorCode::kInvalidArgument, fmt::format("query parameter '{}' is required", key));
  }
  uint64_t value = 0;
  auto [ptr, ec] = std::from_chars(it->second.data(), it->second.data() + it->second.size(), value);
  if (ec != std::errc{} || ptr != it->second.data() + it->second.size()) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("query parameter '{}' must be a non-negative integer", key));
  }
  return value;
}

Status CheckKnownQuery(const Params& query, std::initializer_list<std::string_view> allowed) {
  for (const auto& [key, value] : query) {
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      return Fail(ErrorCode::kInvalidArgument,
                  fmt::format("unknown query parameter '{}'", key.substr(0, 64)));
    }
  }
  return Ok();
}

}  // namespace forewarn::http
