// File: http/transport.h
//
// The HTTP transport, with Boost.Beast/Asio confined to server.cc and client.cc. The rest of
// forewarn sees plain Request/Response values and a Handler function.
//
//   auto server = http::Server::Start(options, [](const Request& r) { return Response{...}; });
//   server.value()->Wait();            // until SIGINT/SIGTERM or Stop()
//
//   auto resp = http::Fetch({.method = "GET", .url = "http://127.0.0.1:8080/healthz"});
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"

namespace forewarn::http {

using Headers = std::vector<std::pair<std::string, std::string>>;

// Case-insensitive header lookup; the first match, or empty.
std::string_view FindHeader(const Headers& headers, std::string_view name);

struct Request {
  std::string method;  // "GET", "POST", ...
  std::string target;  // as received: path and query, e.g. "/api/v1/partners?status=active"
  Headers headers;
  std::string body;
  std::string remote_address;  // peer IP, for logs and rate limits
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  Headers headers;  // extra headers; Content-Type and Content-Length are set from the fields
};

// Called for every complete request, possibly from several threads at once. Exceptions it
// throws are caught by the server, logged, and answered with 500 and a JSON error body.
using Handler = std::function<Response(const Request&)>;

struct ServerOptions {
  std::string address = "127.0.0.1";
  uint16_t port = 0;  // 0: pick a free port; see Server::port()
  int threads = 2;
  size_t max_body_bytes = 1 << 20;                  // larger bodies get 413 with a JSON error
  size_t max_header_bytes = 16 << 10;               // larger headers get 431
  std::chrono::seconds read_timeout{30};            // per request, from first byte to complete
  std::chrono::seconds idle_timeout{60};            // keep-alive connections
  std::optional<std::string> tls_certificate_file;  // PEM; both set => HTTPS only
  std::optional<std::string> tls_private_key_file;  // PEM
};

class Server {
 public:
  // Binds, starts `options.threads` worker threads and begins accepting. kUnavailable if the
  // address cannot be bound; kInvalidArgument if the TLS files cannot be loaded.
  [[nodiscard]] static Result<std::unique_ptr<Server>> Start(const ServerOptions& options,
                                                             Handler handler);
  virtual ~Server() = default;

  // The bound port (useful when options.port was 0).
  virtual uint16_t port() const = 0;
  // Stops accepting, lets in-flight requests finish (bounded), and joins the workers.
  // Idempotent; safe from any thread, including a signal-handling thread.
  virtual void Stop() = 0;
  // Blocks until SIGINT or SIGTERM arrives (then Stop()s) or Stop() is called elsewhere.
  virtual void Wait() = 0;
};

struct ClientRequest {
  std::string method = "GET";
  std::string url;  // http://host:port/path?query or https://...
  Headers headers;
  std::string body;
  std::chrono::seconds timeout{30};
  bool verify_tls = true;              // https: check the certificate chain and host name
  std::optional<std::string> ca_file;  // https: trust this PEM bundle instead of the system's
};

struct ClientResponse {
  int status = 0;
  Headers headers;
  std::string body;
};

// A blocking HTTP/1.1 request; follows no redirects. kUnavailable if the server cannot be
// reached or the timeout passes; kInvalidArgument for a malformed URL.
[[nodiscard]] Result<ClientResponse> Fetch(const ClientRequest& request);

}  // namespace forewarn::http
