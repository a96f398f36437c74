// File: http/client.cc
//
// http::Fetch: one blocking HTTP/1.1 exchange over a fresh connection (plain or TLS), driven by
// a private io_context so that beast::tcp_stream's timer can bound every step. One deadline,
// set before connecting, covers connect, handshake, write and read together.

#include <fmt/format.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#include "core/result.h"
#include "http/transport.h"

namespace forewarn::http {
namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;  // `http` is this module's own namespace
namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = net::ip::tcp;

using WireRequest = bhttp::request<bhttp::string_body>;

constexpr std::uint64_t kMaxResponseBodyBytes = std::uint64_t{256} << 20;
constexpr std::uint32_t kMaxResponseHeaderBytes = 64 << 10;
constexpr std::string_view kUserAgent = "forewarn-cli";

struct Url {
  bool tls = false;
  std::string host;  // without the brackets of an IPv6 literal
  bool ip_literal = false;
  uint16_t port = 0;
  std::string target;     // path and query, at least "/"
  std::string authority;  // host[:port] as sent in the Host header
  std::string origin;     // scheme://authority, for messages (no path: it may hold secrets)
};

std::string ToLower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool IsHostChar(char c) {
  const auto u = static_cast<unsigned char>(c);
  return std::isalnum(u) != 0 || c == '-' || c == '.' || c == '_';
}

// RFC 9110 token characters, for methods and header names.
bool IsToken(std::string_view text) {
  constexpr std::string_view kSpecials = "!#$%&'*+-.^_`|~";
  if (text.empty()) return false;
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) == 0 && kSpecials.find(c) == std::string_view::npos) return false;
  }
  return true;
}

// Header values must not carry CR, LF or other controls: they would split the request.
bool IsFieldValue(std::string_view text) {
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && u != '\t') || u == 0x7f) return false;
  }
  return true;
}

tl::unexpected<Error> BadUrl(std::string_view url, std::string_view why) {
  return Fail(ErrorCode::kInvalidArgument, fmt::format("malformed URL \"{}\": {}", url, why));
}

// Splits http[s]://host[:port][/path][?query][#fragment]. User info is refused rather than
// silently sent in the clear.
Result<Url> ParseUrl(std::string_view text) {
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f)
      return BadUrl(text, "spaces and control characters are not allowed");
  }
  const size_t scheme_end = text.find("://");
  if (scheme_end == std::string_view::npos) return BadUrl(text, "expected http:// or https://");
  Url url;
  const std::string scheme = ToLower(text.substr(0, scheme_end));
  if (scheme == "https") {
    url.tls = true;
  } else if (scheme != "http") {
    return BadUrl(text, "expected http:// or https://");
  }
  const std::string_view rest = text.substr(scheme_end + 3);
  const size_t authority_end = rest.find_first_of("/?#");
  const std::string_view authority = rest.substr(0, authority_end);
  std::string_view target =
      authority_end == std::string_view::npos ? std::string_view() : rest.substr(authority_end);
  target = target.substr(0, target.find('#'));  // fragments stay with the client

  if (authority.find('@') != std::string_view::npos) {
    return BadUrl(text, "user information in URLs is not supported");
  }
  std::string_view host;
  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return BadUrl(text, "unterminated IPv6 address");
    host = authority.substr(1, close - 1);
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return BadUrl(text, "unexpected text after IPv6 address");
      port_text = after.substr(1);
    }
    boost::system::error_code ec;
    net::ip::make_address_v6(std::string(host), ec);
    if (ec) return BadUrl(text, "invalid IPv6 address");
    url.ip_literal = true;
  } else {
    const size_t colon = authority.find(':');
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
    if (!std::all_of(host.begin(), host.end(), IsHostChar)) {
      return BadUrl(text, "invalid host name");
    }
    boost::system::error_code ec;
    net::ip::make_address_v4(std::string(host), ec);
    url.ip_literal = !ec;
  }
  if (host.empty()) return BadUrl(text, "missing host");
  url.host = std::string(host);

  url.port = url.tls ? 443 : 80;
  if (!port_text.empty()) {
    unsigned port = 0;
    const auto [end, ec] =
        std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || port == 0 ||
        port > 65535) {
      return BadUrl(text, "invalid port");
    }
    url.port = static_cast<uint16_t>(port);
  }

  if (target.empty() || target.front() == '?') {
    url.target = "/" + std::string(target);
  } else {
    url.target = std::string(target);
  }
  url.authority = authority.front() == '[' ? "[" + url.host + "]" : url.host;
  if (url.port != (url.tls ? 443 : 80)) url.authority += fmt::format(":{}", url.port);
  url.origin = fmt::format("{}://{}", scheme, url.authority);
  return url;
}

Result<WireRequest> BuildRequest(const ClientRequest& request, const Url& url) {
  if (!IsToken(request.method)) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("invalid HTTP method \"{}\"", request.method));
  }
  WireRequest wire;
  wire.version(11);
  const bhttp::verb verb = bhttp::string_to_verb(request.method);
  if (verb == bhttp::verb::unknown) {
    wire.method_string(request.method);
  } else {
    wire.method(verb);
  }
  wire.target(url.target);
  wire.set(bhttp::field::host, url.authority);
  wire.set(bhttp::field::user_agent, kUserAgent);
  for (const auto& [name, value] : request.headers) {
    if (!IsToken(name) || !IsFieldValue(value)) {
      return Fail(ErrorCode::kInvalidArgument, fmt::format("invalid request header \"{}\"", name));
    }
    switch (bhttp::string_to_field(name)) {
      // Framing is ours: one request per connection, its length taken from the body.
      case bhttp::field::content_length:
      case bhttp::field::transfer_encoding:
      case bhttp::field::connection:
        continue;
      case bhttp::field::host:
      case bhttp::field::user_agent:
        wire.set(name, value);
        continue;
      default:
        wire.insert(name, value);
    }
  }
  if (!request.body.empty() || verb == bhttp::verb::post || verb == bhttp::verb::put ||
      verb == bhttp::verb::patch) {
    wire.content_length(request.body.size());
  }
  wire.body() = request.body;
  wire.keep_alive(false);
  return wire;
}

// Runs one asynchronous operation to completion on `ioc`, which nothing else uses, and returns
// its error. The operations are asynchronous only so that the tcp_stream deadline applies.
template <class Initiate>
beast::error_code RunStep(net::io_context& ioc, Initiate&& initiate) {
  beast::error_code result = net::error::operation_aborted;
  std::forward<Initiate>(initiate)(
      [&result](beast::error_code ec, auto&&... /*ignored*/) { result = ec; });
  ioc.restart();
  ioc.run();
  return result;
}

tl::unexpected<Error> Unreachable(const Url& url, const ClientRequest& request,
                                  std::string_view step, beast::error_code ec) {
  if (ec == beast::error::timeout) {
    return Fail(ErrorCode::kUnavailable, fmt::format("request to {} timed out after {}s",
                                                     url.origin, request.timeout.count()));
  }
  return Fail(ErrorCode::kUnavailable, fmt::format("{} {}: {}", step, url.origin, ec.message()));
}

// Everything after the TCP connection: `Stream` is beast::tcp_stream or an ssl_stream over it.
template <class Stream>
Result<ClientResponse> Exchange(net::io_context& ioc, Stream& stream, WireRequest& wire,
                                const Url& url, const ClientRequest& request) {
  const beast::error_code write_ec =
      RunStep(ioc, [&](auto handler) { bhttp::async_write(stream, wire, std::move(handler)); });
  if (write_ec == beast::error::timeout) {
    return Unreachable(url, request, "cannot send to", write_ec);
  }
  // Even when the write failed, the server may have answered (say, 413) before closing; that
  // answer is more useful than "broken pipe", so try to read it.
  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.header_limit(kMaxResponseHeaderBytes);
  parser.body_limit(kMaxResponseBodyBytes);
  if (wire.method() == bhttp::verb::head) parser.skip(true);  // a HEAD answer has no body
  const beast::error_code read_ec = RunStep(
      ioc, [&](auto handler) { bhttp::async_read(stream, buffer, parser, std::move(handler)); });
  if (read_ec) {
    if (write_ec) return Unreachable(url, request, "cannot send to", write_ec);
    if (read_ec == bhttp::error::body_limit) {
      return Fail(ErrorCode::kUnavailable, fmt::format("response from {} exceeds {} bytes",
                                                       url.origin, kMaxResponseBodyBytes));
    }
    return Unreachable(url, request, "cannot read the response from", read_ec);
  }
  auto& message = parser.get();
  ClientResponse response;
  response.status = static_cast<int>(message.result_int());
  for (const auto& field : message) {
    response.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  response.body = std::move(message.body());
  // One request per connection and the body is complete by its framing, so the connection is
  // simply closed; waiting for a TLS close_notify would let a silent peer use up the timeout.
  beast::error_code ec;
  beast::get_lowest_layer(stream).socket().shutdown(tcp::socket::shutdown_both, ec);
  beast::get_lowest_layer(stream).socket().close(ec);
  return response;
}

Status ConfigureTls(ssl::context& ctx, const ClientRequest& request) {
  beast::error_code ec;
  if (SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_2_VERSION) != 1) {
    return Fail(ErrorCode::kInternal, "cannot restrict TLS to version 1.2 or later");
  }
  if (!request.verify_tls) {
    ctx.set_verify_mode(ssl::verify_none, ec);
    return Ok();
  }
  ctx.set_verify_mode(ssl::verify_peer, ec);
  if (request.ca_file) {
    ctx.load_verify_file(*request.ca_file, ec);
    if (ec) {
      return Fail(ErrorCode::kInvalidArgument,
                  fmt::format("cannot load CA file {}: {}", *request.ca_file, ec.message()));
    }
  } else {
    ctx.set_default_verify_paths(ec);
    if (ec) {
      return Fail(ErrorCode::kUnavailable,
                  fmt::format("cannot load the system CA certificates: {}", ec.message()));
    }
  }
  return Ok();
}

Result<ClientResponse> DoFetch(const ClientRequest& request) {
  FW_ASSIGN_OR_RETURN(const Url url, ParseUrl(request.url));
  FW_ASSIGN_OR_RETURN(WireRequest wire, BuildRequest(request, url));

  net::io_context ioc(1);
  // Name resolution is blocking (getaddrinfo has no cancellation), so it is bounded only by the
  // system resolver's own timeouts; IP literals resolve immediately.
  tcp::resolver resolver(ioc);
  beast::error_code ec;
  const auto endpoints =
      resolver.resolve(url.host, std::to_string(url.port),
                       url.ip_literal ? tcp::resolver::numeric_host | tcp::resolver::numeric_service
                                      : tcp::resolver::numeric_service,
                       ec);
  if (ec) {
    return Fail(ErrorCode::kUnavailable,
                fmt::format("cannot resolve {}: {}", url.host, ec.message()));
  }

  if (!url.tls) {
    beast::tcp_stream stream(ioc);
    stream.expires_after(request.timeout);  // one deadline for the whole exchange
    ec = RunStep(ioc, [&](auto handler) { stream.async_connect(endpoints, std::move(handler)); });
    if (ec) return Unreachable(url, request, "cannot reach", ec);
    return Exchange(ioc, stream, wire, url, request);
  }

  ssl::context ctx(ssl::context::tls_client);
  FW_TRY(ConfigureTls(ctx, request));
  beast::ssl_stream<beast::tcp_stream> stream(ioc, ctx);
  // SNI carries host names only (RFC 6066), never IP literals.
  if (!url.ip_literal && SSL_set_tlsext_host_name(stream.native_handle(), url.host.c_str()) != 1) {
    return Fail(ErrorCode::kInternal, fmt::format("cannot set TLS server name {}", url.host));
  }
  if (request.verify_tls) stream.set_verify_callback(ssl::host_name_verification(url.host));
  beast::get_lowest_layer(stream).expires_after(request.timeout);  // one deadline for it all
  ec = RunStep(ioc, [&](auto handler) {
    beast::get_lowest_layer(stream).async_connect(endpoints, std::move(handler));
  });
  if (ec) return Unreachable(url, request, "cannot reach", ec);
  ec = RunStep(ioc, [&](auto handler) {
    stream.async_handshake(ssl::stream_base::client, std::move(handler));
  });
  if (ec) return Unreachable(url, request, "TLS handshake failed with", ec);
  return Exchange(ioc, stream, wire, url, request);
}

}  // namespace

Result<ClientResponse> Fetch(const ClientRequest& request) {
  try {
    return DoFetch(request);
  } catch (const std::exception& e) {
    // Beast and OpenSSL set-up may throw (allocation, context creation); keep it behind the header.
    return Fail(ErrorCode::kInternal, fmt::format("http request failed: {}", e.what()));
  }
}

}  // namespace forewarn::http
