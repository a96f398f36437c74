// File: http/server.cc
//
// The asynchronous Boost.Beast HTTP/1.1 server behind http::Server, modelled on Beast's
// example/http/server/async/http_server_async.cpp and example/advanced/server_flex: a Listener
// accepts connections, one Session per connection reads requests, calls the Handler and writes
// the responses. Plain and TLS sessions share every request-handling step through a template over
// the stream type. All I/O objects of a connection live on that connection's strand.
//
// Threading: `threads` workers run one io_context. The Handler runs on a worker, inside the
// session's strand, so one connection never has two requests in the handler at once.

#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdint>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

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
using WireResponse = bhttp::response<bhttp::string_body>;

// Stop() waits this long for requests already being served before cutting connections.
constexpr std::chrono::seconds kDrainTimeout{5};
// Bounds the polite end of a connection: TLS close_notify, or draining unread request bytes.
constexpr std::chrono::seconds kCloseTimeout{2};
// After a failed accept (e.g. out of file descriptors) wait before trying again, so a persistent
// error does not become a busy loop.
constexpr std::chrono::milliseconds kAcceptRetryDelay{100};
constexpr size_t kReadChunkBytes = 4096;
// A lingering close discards at most this much; a client still sending more gets a reset.
constexpr size_t kLingerMaxBytes = 1 << 20;
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

std::string JsonEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += fmt::format("\\u{:04x}", static_cast<unsigned>(c));
        } else {
          out += c;
        }
    }
  }
  return out;
}

Response JsonError(int status, std::string_view code, std::string_view message) {
  Response response;
  response.status = status;
  response.body = fmt::format(R"({{"error":{{"code":"{}","message":"{}"}}}})", JsonEscape(code),
                              JsonEscape(message));
  return response;
}

Response InternalError() { return JsonError(500, "internal", "internal error"); }

// RFC 9110 token characters, for header names.
bool IsToken(std::string_view text) {
  constexpr std::string_view kSpecials = "!#$%&'*+-.^_`|~";
  if (text.empty()) return false;
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    const bool alnum = (u >= '0' && u <= '9') || (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z');
    if (!alnum && kSpecials.find(c) == std::string_view::npos) return false;
  }
  return true;
}

// Header values must not carry CR, LF or other controls: they would split the response.
bool IsFieldValue(std::string_view text) {
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && u != '\t') || u == 0x7f) return false;
  }
  return true;
}

// Logs name only the path: a query string may carry values that do not belong in a log.
std::string_view PathOf(std::string_view target) { return target.substr(0, target.find('?')); }

// Turns a handler's Response into its wire form. Fails if the handler produced something that
// cannot be sent safely (a bad status or header); the caller answers 500 instead.
Result<WireResponse> ToWire(Response response, unsigned version, bool head_request,
                            bool keep_alive) {
  if (response.status < 200 || response.status > 599) {
    return Fail(ErrorCode::kInternal,
                fmt::format("handler returned invalid status {}", response.status));
  }
  if (!IsFieldValue(response.content_type)) {
    return Fail(ErrorCode::kInternal, "handler returned an invalid Content-Type");
  }
  WireResponse wire;
  wire.version(version);
  wire.result(static_cast<unsigned>(response.status));
  wire.set(bhttp::field::server, "forewarn");
  bool has_cache_control = false;
  for (const auto& [name, value] : response.headers) {
    if (!IsToken(name) || !IsFieldValue(value)) {
      return Fail(ErrorCode::kInternal, "handler returned an invalid header");
    }
    switch (bhttp::string_to_field(name)) {
      // Framing and the content type come from the Response fields, never from extra headers.
      case bhttp::field::content_length:
      case bhttp::field::transfer_encoding:
      case bhttp::field::connection:
      case bhttp::field::content_type:
        continue;
      case bhttp::field::cache_control:
        has_cache_control = true;
        break;
      default:
        break;
    }
    wire.insert(name, value);
  }
  // API answers are per-caller and often embargoed: no cache may keep them unless asked to.
  if (!has_cache_control) wire.set(bhttp::field::cache_control, "no-store");
  if (!response.content_type.empty()) wire.set(bhttp::field::content_type, response.content_type);
  const bool body_forbidden = response.status == 204 || response.status == 304;
  if (!body_forbidden) {
    // A HEAD answer announces the length of the body it does not send.
    wire.content_length(response.body.size());
    if (!head_request) wire.body() = std::move(response.body);
  }
  wire.keep_alive(keep_alive);
  return wire;
}

Request ToRequest(WireRequest wire, const std::string& remote_address) {
  Request request;
  request.method = std::string(wire.method_string());
  request.target = std::string(wire.target());
  for (const auto& field : wire) {
    request.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  request.body = std::move(wire.body());
  request.remote_address = remote_address;
  return request;
}

// What the Session template needs to know about the server, kept apart from it so that
// sessions which outlive the workers (destroyed with the io_context) touch nothing dead.
class SessionBase {
 public:
  virtual ~SessionBase() = default;
  // Closes the connection's socket. Only called once no worker thread runs.
  virtual void CloseSocket() = 0;
};

// State shared by the server and all its sessions. Thread-safe.
class ServerState {
 public:
  ServerState(ServerOptions options, Handler handler)
      : options_(std::move(options)), handler_(std::move(handler)) {}

  const ServerOptions& options() const { return options_; }
  const Handler& handler() const { return handler_; }

  bool stopping() const { return stopping_.load(std::memory_order_acquire); }
  void SetStopping() { stopping_.store(true, std::memory_order_release); }

  // A request is in flight from its complete header until its response is written.
  void BeginRequest() {
    std::lock_guard lock(mutex_);
    ++in_flight_;
  }
  void EndRequest() {
    std::lock_guard lock(mutex_);
    if (--in_flight_ == 0) drained_.notify_all();
  }
  // True if no request is in flight within `timeout`.
  bool WaitDrained(std::chrono::seconds timeout) {
    std::unique_lock lock(mutex_);
    return drained_.wait_for(lock, timeout, [this] { return in_flight_ == 0; });
  }
  int in_flight() {
    std::lock_guard lock(mutex_);
    return in_flight_;
  }

  void Register(const std::shared_ptr<SessionBase>& session) {
    std::lock_guard lock(mutex_);
    sessions_.emplace(session.get(), session);
  }
  void Unregister(const SessionBase* session) {
    std::lock_guard lock(mutex_);
    sessions_.erase(session);
  }
  // The sessions still alive. The pointers are taken out of the lock so that dropping the last
  // reference (which unregisters) cannot deadlock.
  std::vector<std::shared_ptr<SessionBase>> LiveSessions() {
    std::vector<std::shared_ptr<SessionBase>> live;
    std::lock_guard lock(mutex_);
    for (const auto& [key, weak] : sessions_) {
      if (auto session = weak.lock()) live.push_back(std::move(session));
    }
    return live;
  }

 private:
  const ServerOptions options_;
  const Handler handler_;
  std::atomic<bool> stopping_{false};

  std::mutex mutex_;
  std::condition_variable drained_;
  int in_flight_ = 0;  // guarded by mutex_
  std::unordered_map<const SessionBase*, std::weak_ptr<SessionBase>>
      sessions_;  // guarded by mutex_
};

// One connection. `Stream` is beast::tcp_stream or beast::ssl_stream<beast::tcp_stream>; every
// step after the TLS handshake is the same for both.
template <class Stream>
class Session final : public SessionBase, public std::enable_shared_from_this<Session<Stream>> {
 public:
  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;

  template <class... StreamArgs>
  Session(std::shared_ptr<ServerState> state, std::string remote_address,
          StreamArgs&&... stream_args)
      : state_(std::move(state)),
        remote_address_(std::move(remote_address)),
        stream_(std::forward<StreamArgs>(stream_args)...) {}

  ~Session() override {
    EndRequest();
    state_->Unregister(this);
  }

  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  void Run() {
    state_->Register(this->shared_from_this());
    // The socket was accepted on the acceptor's strand; continue on this connection's own.
    net::dispatch(stream_.get_executor(),
                  beast::bind_front_handler(&Session::OnRun, this->shared_from_this()));
  }

  void CloseSocket() override {
    beast::error_code ec;
    Lowest().socket().close(ec);
  }

 private:
  const ServerOptions& options() const { return state_->options(); }
  beast::tcp_stream& Lowest() { return beast::get_lowest_layer(stream_); }

  void OnRun() {
    if constexpr (kTls) {
      // The handshake is part of reading the first request, so it shares the read timeout.
      Lowest().expires_after(options().read_timeout);
      stream_.async_handshake(
          ssl::stream_base::server,
          beast::bind_front_handler(&Session::OnHandshake, this->shared_from_this()));
    } else {
      DoReadHeader();
    }
  }

  void OnHandshake(beast::error_code ec) {
    if (ec) {
      spdlog::debug("http.tls_handshake_failed remote={} error={}", remote_address_, ec.message());
      return;
    }
    DoReadHeader();
  }

  // Between keep-alive requests the connection may idle for idle_timeout; the read timeout
  // starts with the first byte of the next request.
  void DoAwaitRequest() {
    if (buffer_.size() > 0) {  // a pipelined request is already here
      DoReadHeader();
      return;
    }
    Lowest().expires_after(options().idle_timeout);
    stream_.async_read_some(
        buffer_.prepare(kReadChunkBytes),
        beast::bind_front_handler(&Session::OnAwaitRequest, this->shared_from_this()));
  }

  void OnAwaitRequest(beast::error_code ec, size_t bytes) {
    buffer_.commit(bytes);
    if (ec) return;  // the client went away or idled out; dropping the session closes it
    DoReadHeader();
  }

  void DoReadHeader() {
    // A fresh parser per request: Beast parsers are single-use.
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(
        std::min<size_t>(options().max_header_bytes, std::numeric_limits<std::uint32_t>::max())));
    parser_->body_limit(static_cast<std::uint64_t>(options().max_body_bytes));
    Lowest().expires_after(options().read_timeout);
    bhttp::async_read_header(
        stream_, buffer_, *parser_,
        beast::bind_front_handler(&Session::OnReadHeader, this->shared_from_this()));
  }

  void OnReadHeader(beast::error_code ec, size_t /*bytes*/) {
    if (ec) {
      OnReadError(ec);
      return;
    }
    BeginRequest();
    const auto& header = parser_->get();
    if (!parser_->is_done() && header.version() >= 11 &&
        beast::iequals(header[bhttp::field::expect], "100-continue")) {
      DoSendContinue();
      return;
    }
    DoReadBody();
  }

  // Clients such as curl hold large bodies back until the server agrees to take them.
  void DoSendContinue() {
    net::async_write(stream_, net::buffer(kContinue.data(), kContinue.size()),
                     beast::bind_front_handler(&Session::OnSendContinue, this->shared_from_this()));
  }

  void OnSendContinue(beast::error_code ec, size_t /*bytes*/) {
    if (ec) return;
    DoReadBody();
  }

  void DoReadBody() {
    // The read timeout set before the header keeps running: it bounds the whole request.
    bhttp::async_read(stream_, buffer_, *parser_,
                      beast::bind_front_handler(&Session::OnReadBody, this->shared_from_this()));
  }

  void OnReadBody(beast::error_code ec, size_t /*bytes*/) {
    if (ec) {
      OnReadError(ec);
      return;
    }
    HandleRequest();
  }

  void OnReadError(beast::error_code ec) {
    if (ec == bhttp::error::body_limit) {
      SendError(JsonError(413, "payload_too_large",
                          fmt::format("request body exceeds {} bytes", options().max_body_bytes)));
    } else if (ec == bhttp::error::header_limit || ec == bhttp::error::buffer_overflow) {
      SendError(
          JsonError(431, "header_too_large",
                    fmt::format("request header exceeds {} bytes", options().max_header_bytes)));
    } else if (ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category() &&
               ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message) {
      SendError(JsonError(400, "bad_request", fmt::format("malformed request: {}", ec.message())));
    } else {
      // The client closed, reset or timed out: nobody is left to answer.
      spdlog::debug("http.read_failed remote={} error={}", remote_address_, ec.message());
    }
  }

  void HandleRequest() {
    WireRequest wire = parser_->release();
    const unsigned version = wire.version();
    const bool head_request = wire.method() == bhttp::verb::head;
    const bool keep_alive = wire.keep_alive() && !state_->stopping();
    const Request request = ToRequest(std::move(wire), remote_address_);
    Result<WireResponse> response = ToWire(CallHandler(request), version, head_request, keep_alive);
    if (!response.has_value()) {
      spdlog::error("http.bad_response method={} path={} error={}", request.method,
                    PathOf(request.target), response.error().message);
      response = ToWire(InternalError(), version, false, keep_alive);
    }
    DoWrite(std::move(response).value(), /*after_error=*/false);
  }

  // The per-request catch-all: an exception escaping into Asio would stop a worker thread.
  Response CallHandler(const Request& request) {
    try {
      return state_->handler()(request);
    } catch (const std::exception& e) {
      spdlog::error("http.handler_failed method={} path={} error={}", request.method,
                    PathOf(request.target), e.what());
    } catch (...) {
      spdlog::error("http.handler_failed method={} path={} error=unknown exception", request.method,
                    PathOf(request.target));
    }
    return InternalError();
  }

  // Answers a request that could not be read whole, then closes: the rest of the stream cannot
  // be trusted to start at a message boundary.
  void SendError(Response error) {
    unsigned version = 11;
    if (parser_.has_value() && parser_->got_some()) version = parser_->get().version();
    if (version != 10) version = 11;
    Result<WireResponse> wire = ToWire(std::move(error), version, false, /*keep_alive=*/false);
    DoWrite(std::move(wire).value(), /*after_error=*/true);
  }

  void DoWrite(WireResponse response, bool after_error) {
    response_ = std::move(response);
    // A fresh window for the write: the handler's time does not count against the client.
    Lowest().expires_after(options().read_timeout);
    bhttp::async_write(
        stream_, response_,
        beast::bind_front_handler(&Session::OnWrite, this->shared_from_this(), after_error));
  }

  void OnWrite(bool after_error, beast::error_code ec, size_t /*bytes*/) {
    EndRequest();
    if (ec) {
      spdlog::debug("http.write_failed remote={} error={}", remote_address_, ec.message());
      return;
    }
    if (after_error || response_.need_eof()) {
      DoClose();
      return;
    }
    response_ = {};
    DoAwaitRequest();
  }

  void DoClose() {
    Lowest().expires_after(kCloseTimeout);
    if constexpr (kTls) {
      stream_.async_shutdown(
          beast::bind_front_handler(&Session::OnShutdown, this->shared_from_this()));
    } else {
      // Half-close, then read until the client closes too: closing with unread request bytes
      // makes the kernel send a reset, which can destroy the response before the client reads it.
      beast::error_code ec;
      Lowest().socket().shutdown(tcp::socket::shutdown_send, ec);
      if (ec) return;
      DoLinger();
    }
  }

  void OnShutdown(beast::error_code /*ec*/) {}  // done either way; the socket closes with us

  void DoLinger() {
    buffer_.consume(buffer_.size());
    stream_.async_read_some(
        buffer_.prepare(kReadChunkBytes),
        beast::bind_front_handler(&Session::OnLinger, this->shared_from_this()));
  }

  void OnLinger(beast::error_code ec, size_t bytes) {
    linger_bytes_ += bytes;
    if (ec || linger_bytes_ > kLingerMaxBytes) return;
    DoLinger();
  }

  void BeginRequest() {
    if (in_flight_) return;
    in_flight_ = true;
    state_->BeginRequest();
  }
  void EndRequest() {
    if (!in_flight_) return;
    in_flight_ = false;
    state_->EndRequest();
  }

  const std::shared_ptr<ServerState> state_;
  const std::string remote_address_;
  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  WireResponse response_;
  bool in_flight_ = false;
  size_t linger_bytes_ = 0;
};

// Accepts connections and starts a Session for each. Its acceptor lives on its own strand.
class Listener final : public std::enable_shared_from_this<Listener> {
 public:
  // `tls` (may be null: plain HTTP) must outlive the io_context.
  Listener(net::io_context& ioc, tcp::acceptor acceptor, ssl::context* tls,
           std::shared_ptr<ServerState> state)
      : ioc_(ioc),
        acceptor_(std::move(acceptor)),
        retry_timer_(acceptor_.get_executor()),
        tls_(tls),
        state_(std::move(state)) {}

  void Run() {
    net::dispatch(acceptor_.get_executor(),
                  beast::bind_front_handler(&Listener::DoAccept, shared_from_this()));
  }

  // Stops accepting. Thread-safe: runs on the acceptor's strand.
  void Close() {
    net::post(acceptor_.get_executor(), [self = shared_from_this()] { self->CloseNow(); });
  }

  // Only from the acceptor's strand, or once no worker runs.
  void CloseNow() {
    beast::error_code ec;
    acceptor_.close(ec);
    retry_timer_.cancel();
  }

 private:
  void DoAccept() {
    // Each connection gets its own strand, so its handlers never run concurrently.
    acceptor_.async_accept(net::make_strand(ioc_),
                           beast::bind_front_handler(&Listener::OnAccept, shared_from_this()));
  }

  void OnAccept(beast::error_code ec, tcp::socket socket) {
    if (!acceptor_.is_open() || ec == net::error::operation_aborted) return;
    if (ec) {
      spdlog::warn("http.accept_failed error={}", ec.message());
      retry_timer_.expires_after(kAcceptRetryDelay);
      retry_timer_.async_wait([self = shared_from_this()](beast::error_code wait_ec) {
        if (!wait_ec) self->DoAccept();
      });
      return;
    }
    beast::error_code peer_ec;
    const tcp::endpoint peer = socket.remote_endpoint(peer_ec);
    std::string remote = peer_ec ? std::string() : peer.address().to_string();
    if (tls_ != nullptr) {
      std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(state_, std::move(remote),
                                                                      std::move(socket), *tls_)
          ->Run();
    } else {
      std::make_shared<Session<beast::tcp_stream>>(state_, std::move(remote), std::move(socket))
          ->Run();
    }
    DoAccept();
  }

  net::io_context& ioc_;
  tcp::acceptor acceptor_;
  net::steady_timer retry_timer_;
  ssl::context* const tls_;
  const std::shared_ptr<ServerState> state_;
};

std::string FormatEndpoint(const tcp::endpoint& endpoint) {
  const std::string address = endpoint.address().to_string();
  if (endpoint.address().is_v6()) return fmt::format("[{}]:{}", address, endpoint.port());
  return fmt::format("{}:{}", address, endpoint.port());
}

class ServerImpl final : public Server {
 public:
  explicit ServerImpl(std::shared_ptr<ServerState> state)
      : state_(std::move(state)), ioc_(std::max(1, state_->options().threads)), signals_(ioc_) {}

  // Stops and joins; must not run on a worker thread (a handler cannot destroy its server).
  ~ServerImpl() override { Stop(); }

  ServerImpl(const ServerImpl&) = delete;
  ServerImpl& operator=(const ServerImpl&) = delete;

  // Loads TLS, binds, and starts the workers. Called once, by Server::Start.
  Status Listen();

  uint16_t port() const override { return port_; }
  void Stop() override;
  void Wait() override;

 private:
  enum class Phase { kRunning, kStopping, kStopped };

  Status LoadTls();
  Result<tcp::endpoint> ListenEndpoint();
  void OnSignal(beast::error_code ec, int signal);
  void RunWorker();
  void Shutdown();

  const std::shared_ptr<ServerState> state_;
  // Declared before ioc_: TLS streams destroyed with the io_context still use it.
  std::optional<ssl::context> tls_;
  net::io_context ioc_;
  net::signal_set signals_;
  std::shared_ptr<Listener> listener_;
  std::vector<std::thread> threads_;
  uint16_t port_ = 0;

  std::mutex mutex_;
  std::condition_variable cv_;
  bool stop_requested_ = false;    // guarded by mutex_
  Phase phase_ = Phase::kRunning;  // guarded by mutex_
};

Status ServerImpl::LoadTls() {
  const ServerOptions& options = state_->options();
  if (!options.tls_certificate_file && !options.tls_private_key_file) return Ok();
  if (!options.tls_certificate_file || !options.tls_private_key_file) {
    return Fail(ErrorCode::kInvalidArgument,
                "HTTPS needs both tls_certificate_file and tls_private_key_file");
  }
  const std::string& cert = *options.tls_certificate_file;
  const std::string& key = *options.tls_private_key_file;
  tls_.emplace(ssl::context::tls_server);
  beast::error_code ec;
  tls_->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                        ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                        ssl::context::single_dh_use,
                    ec);
  if (ec || SSL_CTX_set_min_proto_version(tls_->native_handle(), TLS1_2_VERSION) != 1) {
    return Fail(ErrorCode::kInternal, "cannot restrict TLS to version 1.2 or later");
  }
  tls_->use_certificate_chain_file(cert, ec);
  if (ec) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("cannot load TLS certificate chain {}: {}", cert, ec.message()));
  }
  tls_->use_private_key_file(key, ssl::context::pem, ec);
  if (ec) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("cannot load TLS private key {}: {}", key, ec.message()));
  }
  if (SSL_CTX_check_private_key(tls_->native_handle()) != 1) {
    ERR_clear_error();
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("TLS private key {} does not match certificate {}", key, cert));
  }
  return Ok();
}

Result<tcp::endpoint> ServerImpl::ListenEndpoint() {
  const ServerOptions& options = state_->options();
  beast::error_code ec;
  const net::ip::address address = net::ip::make_address(options.address, ec);
  if (!ec) return tcp::endpoint(address, options.port);
  // Not a literal address: a name such as "localhost".
  tcp::resolver resolver(ioc_);
  const auto results =
      resolver.resolve(options.address, std::to_string(options.port),
                       tcp::resolver::passive | tcp::resolver::numeric_service, ec);
  if (ec || results.empty()) {
    return Fail(ErrorCode::kUnavailable,
                fmt::format("cannot resolve listen address {}: {}", options.address, ec.message()));
  }
  return results.begin()->endpoint();
}

Status ServerImpl::Listen() {
  const ServerOptions& options = state_->options();
  FW_TRY(LoadTls());
  FW_ASSIGN_OR_RETURN(const tcp::endpoint endpoint, ListenEndpoint());

  tcp::acceptor acceptor(net::make_strand(ioc_));
  beast::error_code ec;
  acceptor.open(endpoint.protocol(), ec);
  // Lets a restarted server bind while old connections sit in TIME_WAIT.
  if (!ec) acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(net::socket_base::max_listen_connections, ec);
  tcp::endpoint bound;
  if (!ec) bound = acceptor.local_endpoint(ec);
  if (ec) {
    return Fail(ErrorCode::kUnavailable,
                fmt::format("cannot listen on {}: {}", FormatEndpoint(endpoint), ec.message()));
  }
  port_ = bound.port();

  listener_ =
      std::make_shared<Listener>(ioc_, std::move(acceptor), tls_ ? &*tls_ : nullptr, state_);
  listener_->Run();

  signals_.add(SIGINT, ec);
  if (!ec) signals_.add(SIGTERM, ec);
  if (ec) spdlog::warn("http.signals_unavailable error={}", ec.message());
  signals_.async_wait([this](beast::error_code wait_ec, int signal) { OnSignal(wait_ec, signal); });

  const int threads = std::max(1, options.threads);
  threads_.reserve(static_cast<size_t>(threads));
  for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { RunWorker(); });
  spdlog::info("http.listening address={} tls={} threads={}", FormatEndpoint(bound),
               tls_.has_value(), threads);
  return Ok();
}

void ServerImpl::RunWorker() {
  for (;;) {
    try {
      ioc_.run();
      return;
    } catch (const std::exception& e) {
      // Handlers catch their own errors; reaching here is a bug, but one connection's bug
      // should not take a worker away from all the others.
      spdlog::error("http.worker_exception error={}", e.what());
    }
  }
}

void ServerImpl::OnSignal(beast::error_code ec, int signal) {
  if (ec) return;  // cancelled by Shutdown
  spdlog::info("http.signal signal={}", signal);
  std::lock_guard lock(mutex_);
  stop_requested_ = true;
  cv_.notify_all();
}

void ServerImpl::Wait() {
  {
    std::unique_lock lock(mutex_);
    cv_.wait(lock, [this] { return stop_requested_; });
  }
  // Joins the workers here, on the waiting thread, whoever asked to stop.
  Stop();
}

void ServerImpl::Stop() {
  std::unique_lock lock(mutex_);
  stop_requested_ = true;
  cv_.notify_all();
  if (ioc_.get_executor().running_in_this_thread()) {
    // A worker cannot join itself: stop taking work and leave the joining to Wait() or the
    // destructor, which run on other threads.
    state_->SetStopping();
    if (listener_) listener_->Close();
    return;
  }
  if (phase_ == Phase::kStopped) return;
  if (phase_ == Phase::kStopping) {
    cv_.wait(lock, [this] { return phase_ == Phase::kStopped; });
    return;
  }
  phase_ = Phase::kStopping;
  lock.unlock();
  Shutdown();
  lock.lock();
  phase_ = Phase::kStopped;
  cv_.notify_all();
}

void ServerImpl::Shutdown() {
  state_->SetStopping();
  if (listener_) listener_->Close();
  if (!state_->WaitDrained(kDrainTimeout)) {
    spdlog::warn("http.stop_drain_timeout in_flight={}", state_->in_flight());
  }
  ioc_.stop();
  for (std::thread& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
  // No worker runs any more, so the I/O objects may be used from this thread. Closing the
  // sockets now (rather than when the io_context dies) tells idle clients at once.
  if (listener_) listener_->CloseNow();
  beast::error_code ec;
  signals_.clear(ec);  // gives SIGINT/SIGTERM back to their previous handling
  for (const auto& session : state_->LiveSessions()) session->CloseSocket();
  if (listener_) spdlog::info("http.stopped port={}", port_);
}

}  // namespace

Result<std::unique_ptr<Server>> Server::Start(const ServerOptions& options, Handler handler) {
  if (!handler) return Fail(ErrorCode::kInvalidArgument, "http server needs a handler");
  try {
    auto server =
        std::make_unique<ServerImpl>(std::make_shared<ServerState>(options, std::move(handler)));
    FW_TRY(server->Listen());
    return std::unique_ptr<Server>(std::move(server));
  } catch (const std::exception& e) {
    // Allocation, thread creation and OpenSSL set-up may throw; none of it crosses the header.
    return Fail(ErrorCode::kInternal, fmt::format("cannot start http server: {}", e.what()));
  }
}

}  // namespace forewarn::http
