#include "http/transport.h"

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

#include "tests/testing/testing.h"

// The option structs are meant to be filled with designated initializers naming only what
// differs from the defaults; g++ 12 flags every member without a default member initializer
// that such a list leaves out.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace forewarn::http {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr std::string_view kPayloadTooLarge =
    R"({"error":{"code":"payload_too_large","message":"request body exceeds 16 bytes"}})";
constexpr std::string_view kInternalError =
    R"({"error":{"code":"internal","message":"internal error"}})";

std::string Url(const Server& server, std::string_view path = "/") {
  return "http://127.0.0.1:" + std::to_string(server.port()) + std::string(path);
}

std::unique_ptr<Server> StartOrDie(ServerOptions options, Handler handler) {
  auto server = Server::Start(options, std::move(handler));
  EXPECT_TRUE(server.has_value()) << server.error().message;
  return server.has_value() ? std::move(server).value() : nullptr;
}

Response Echo(const Request& request) {
  Response response;
  response.content_type = "text/plain";
  response.body = request.method + " " + request.target + " " +
                  std::string(FindHeader(request.headers, "x-test")) + " " + request.body;
  response.headers.emplace_back("X-Remote", request.remote_address);
  return response;
}

// A blocking TCP client for the byte-level cases Fetch cannot produce. Every receive gives up
// after 10 s so that a server bug fails the test instead of hanging it.
class RawClient {
 public:
  explicit RawClient(uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    timeval timeout{.tv_sec = 10, .tv_usec = 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  }
  ~RawClient() { ::close(fd_); }
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  bool connected() const { return connected_; }

  bool Send(std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  // Reads one response framed by Content-Length (enough for this server), or "" on EOF/error.
  std::string ReadResponse(bool head = false) {
    size_t header_end;
    while ((header_end = pending_.find("\r\n\r\n")) == std::string::npos) {
      if (!Fill()) return "";
    }
    header_end += 4;
    size_t length = 0;
    const size_t at = pending_.find("Content-Length: ");
    if (!head && at != std::string::npos && at < header_end) {
      length = std::stoul(pending_.substr(at + 16));
    }
    while (pending_.size() < header_end + length) {
      if (!Fill()) return "";
    }
    std::string response = pending_.substr(0, header_end + length);
    pending_.erase(0, header_end + length);
    return response;
  }

  // Everything until the server closes: true if it closed (EOF or reset) before the timeout.
  bool ReadUntilClosed(std::string* out) {
    for (;;) {
      char buffer[4096];
      const ssize_t n = ::recv(fd_, buffer, sizeof(buffer), 0);
      if (n > 0) {
        out->append(buffer, static_cast<size_t>(n));
        continue;
      }
      if (n == 0) return true;
      return errno == ECONNRESET;
    }
  }

 private:
  bool Fill() {
    char buffer[4096];
    const ssize_t n = ::recv(fd_, buffer, sizeof(buffer), 0);
    if (n <= 0) return false;
    pending_.append(buffer, static_cast<size_t>(n));
    return true;
  }

  int fd_;
  bool connected_ = false;
  std::string pending_;
};

TEST(FindHeaderTest, IsCaseInsensitiveAndReturnsFirstMatch) {
  const Headers headers = {{"Content-Type", "a"}, {"X-Key", "1"}, {"x-key", "2"}};
  EXPECT_EQ(FindHeader(headers, "content-type"), "a");
  EXPECT_EQ(FindHeader(headers, "X-KEY"), "1");
  EXPECT_EQ(FindHeader(headers, "missing"), "");
}

TEST(ServerTest, EchoRoundTrip) {
  auto server = StartOrDie({}, Echo);
  ASSERT_NE(server, nullptr);
  auto response = Fetch({.method = "POST",
                         .url = Url(*server, "/echo?x=1"),
                         .headers = {{"X-Test", "hello"}},
                         .body = "payload"});
  ASSERT_TRUE(response.has_value()) << response.error().message;
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "POST /echo?x=1 hello payload");
  EXPECT_EQ(FindHeader(response->headers, "content-type"), "text/plain");
  EXPECT_EQ(FindHeader(response->headers, "server"), "forewarn");
  EXPECT_EQ(FindHeader(response->headers, "cache-control"), "no-store");
  EXPECT_EQ(FindHeader(response->headers, "content-length"), "28");
  EXPECT_EQ(FindHeader(response->headers, "x-remote"), "127.0.0.1");
}

TEST(ServerTest, HandlerHeadersAndCacheControlAreKept) {
  auto server = StartOrDie({}, [](const Request&) {
    return Response{.status = 201,
                    .body = "{}",
                    .headers = {{"Cache-Control", "max-age=60"}, {"Location", "/x/1"}}};
  });
  ASSERT_NE(server, nullptr);
  auto response = Fetch({.url = Url(*server)});
  ASSERT_TRUE(response.has_value()) << response.error().message;
  EXPECT_EQ(response->status, 201);
  EXPECT_EQ(FindHeader(response->headers, "cache-control"), "max-age=60");
  EXPECT_EQ(FindHeader(response->headers, "location"), "/x/1");
  EXPECT_EQ(FindHeader(response->headers, "content-type"), "application/json");
}

TEST(ServerTest, KeepAliveServesSequentialRequestsOnOneConnection) {
  std::atomic<int> calls{0};
  auto server = StartOrDie({}, [&](const Request& request) {
    ++calls;
    return Response{.body = request.target};
  });
  ASSERT_NE(server, nullptr);
  RawClient client(server->port());
  ASSERT_TRUE(client.connected());
  ASSERT_TRUE(client.Send("GET /first HTTP/1.1\r\nHost: x\r\n\r\n"));
  const std::string first = client.ReadResponse();
  EXPECT_THAT(first, StartsWith("HTTP/1.1 200 OK\r\n"));
  EXPECT_THAT(first, HasSubstr("/first"));
  ASSERT_TRUE(client.Send("GET /second HTTP/1.1\r\nHost: x\r\n\r\n"));
  const std::string second = client.ReadResponse();
  EXPECT_THAT(second, StartsWith("HTTP/1.1 200 OK\r\n"));
  EXPECT_THAT(second, HasSubstr("/second"));
  EXPECT_EQ(calls.load(), 2);
}

TEST(ServerTest, PipelinedRequestsAreAnsweredInOrder) {
  auto server =
      StartOrDie({}, [](const Request& request) { return Response{.body = request.target}; });
  ASSERT_NE(server, nullptr);
  RawClient client(server->port());
  ASSERT_TRUE(client.Send(
      "GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  EXPECT_THAT(client.ReadResponse(), HasSubstr("\r\n\r\n/a"));
  EXPECT_THAT(client.ReadResponse(), HasSubstr("\r\n\r\n/b"));
  std::string rest;
  EXPECT_TRUE(client.ReadUntilClosed(&rest));
  EXPECT_EQ(rest, "");
}

TEST(ServerTest, HeadAnnouncesLengthWithoutBody) {
  auto server = StartOrDie({}, [](const Request&) { return Response{.body = "hello"}; });
  ASSERT_NE(server, nullptr);
  auto response = Fetch({.method = "HEAD", .url = Url(*server)});
  ASSERT_TRUE(response.has_value()) << response.error().message;
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "");
  EXPECT_EQ(FindHeader(response->headers, "content-length"), "5");

  // The connection stays usable: no stray body bytes precede the next answer.
  RawClient client(server->port());
  ASSERT_TRUE(client.Send("HEAD / HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_THAT(client.ReadResponse(/*head=*/true), HasSubstr("Content-Length: 5\r\n"));
  ASSERT_TRUE(client.Send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_THAT(client.ReadResponse(), StartsWith("HTTP/1.1 200 OK\r\n"));
}

TEST(ServerTest, ExpectContinueGetsInterimResponse) {
  auto server = StartOrDie({}, Echo);
  ASSERT_NE(server, nullptr);
  RawClient client(server->port());
  ASSERT_TRUE(client.Send(
      "PUT /up HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n"));
  EXPECT_EQ(client.ReadResponse(), "HTTP/1.1 100 Continue\r\n\r\n");
  ASSERT_TRUE(client.Send("data"));
  EXPECT_THAT(client.ReadResponse(), HasSubstr("\r\n\r\nPUT /up  data"));
}

TEST(ServerTest, OversizedBodyGets413AndHandlerIsNotCalled) {
  std::atomic<int> calls{0};
  auto server = StartOrDie({.max_body_bytes = 16}, [&](const Request& request) {
    ++calls;
    return Echo(request);
  });
  ASSERT_NE(server, nullptr);
  auto response = Fetch({.method = "POST", .url = Url(*server), .body = std::string(100000, 'x')});
  ASSERT_TRUE(response.has_value()) << response.error().message;
  EXPECT_EQ(response->status, 413);
  EXPECT_EQ(response->body, kPayloadTooLarge);
  EXPECT_EQ(FindHeader(response->headers, "content-type"), "application/json");
  EXPECT_EQ(FindHeader(response->headers, "connection"), "close");

  // Chunked bodies have no Content-Length to check up front; the limit still applies.
  RawClient client(server->port());
  ASSERT_TRUE(
      client.Send("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                  "10\r\n0123456789abcdef\r\n10\r\n0123456789abcdef\r\n0\r\n\r\n"));
  std::string answer;
  EXPECT_TRUE(client.ReadUntilClosed(&answer));
  EXPECT_THAT(answer, StartsWith("HTTP/1.1 413 "));
  EXPECT_THAT(answer, HasSubstr(kPayloadTooLarge));

  // A body exactly at the limit is accepted.
  response = Fetch({.method = "POST", .url = Url(*server), .body = std::string(16, 'x')});
  ASSERT_TRUE(response.has_value()) << response.error().message;
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(calls.load(), 1);
}

TEST(ServerTest, OversizedHeaderGets431) {
  std::atomic<int> calls{0};
  auto server = StartOrDie({.max_header_bytes = 1024}, [&](const Request& request) {
    ++calls;
    return Echo(request);
  });
  ASSERT_NE(server, nullptr);
  auto response = Fetch({.url = Url(*server), .headers = {{"X-Big", std::string(4096, 'a')}}});
  ASSERT_TRUE(response.has_value()) << response.error().message;
  EXPECT_EQ(response->status, 431);
  EXPECT_EQ(
      response->body,
      R"({"error":{"code":"header_too_large","message":"request header exceeds 1024 bytes"}})");
  EXPECT_EQ(calls.load(), 0);
}

TEST(ServerTest, ThrowingHandlerGets500AndServerKeepsServing) {
  auto server = StartOrDie({}, [](const Request& request) -> Response {
    if (request.target == "/throw") throw std::runtime_error("boom");
    if (request.target == "/throw-int") throw 42;
    return Response{.body = "ok"};
  });
  ASSERT_NE(server, nullptr);
  for (const char* path : {"/throw", "/throw-int"}) {
    auto response = Fetch({.url = Url(*server, path)});
    ASSERT_TRUE(response.has_value()) << response.error().message;
    EXPECT_EQ(response->status, 500);
    EXPECT_EQ(response->body, kInternalError);
  }
  auto response = Fetch({.url = Url(*server, "/fine")});
  ASSERT_TRUE(response.has_value()) << response.error().message;
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "ok");
}

TEST(ServerTest, UnsendableHandlerResponseGets500) {
  auto server = StartOrDie({}, [](const Request& request) {
    if (request.target == "/status") return Response{.status = 42};
    return Response{.headers = {{"X-Split", "a\r\nSet-Cookie: evil"}}};
  });
  ASSERT_NE(server, nullptr);
  for (const char* path : {"/status", "/header"}) {
    auto response = Fetch({.url = Url(*server, path)});
    ASSERT_TRUE(response.has_value()) << response.error().message;
    EXPECT_EQ(response->status, 500);
    EXPECT_EQ(response->body, kInternalError);
    EXPECT_EQ(FindHeader(response->headers, "set-cookie"), "");
  }
}

TEST(ServerTest, MalformedRequestGets400AndServerKeepsServing) {
  std::atomic<int> calls{0};
  auto server = StartOrDie({}, [&](const Request& request) {
    ++calls;
    return Echo(request);
  });
  ASSERT_NE(server, nullptr);
  for (std::string_view garbage :
       {std::string_view("THIS IS NOT HTTP\r\n\r\n"),
        std::string_view("GET / HTTP/1.1\r\nBad Header\r\n\r\n"),
        std::string_view("GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab"),
        std::string_view("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n")}) {
    RawClient client(server->port());
    ASSERT_TRUE(client.Send(garbage));
    std::string answer;
    EXPECT_TRUE(client.ReadUntilClosed(&answer));
    EXPECT_THAT(answer, StartsWith("HTTP/1.1 400 Bad Request\r\n"));
    EXPECT_THAT(answer,
                HasSubstr(R"({"error":{"code":"bad_request","message":"malformed request: )"));
  }
  EXPECT_EQ(calls.load(), 0);
  auto response = Fetch({.url = Url(*server, "/after")});
  ASSERT_TRUE(response.has_value()) << response.error().message;
  EXPECT_EQ(response->status, 200);
}

TEST(ServerTest, StalledRequestIsCutAfterReadTimeout) {
  auto server = StartOrDie({.read_timeout = std::chrono::seconds{1}}, Echo);
  ASSERT_NE(server, nullptr);
  RawClient stalled(server->port());
  ASSERT_TRUE(stalled.Send("GET / HTTP/1.1\r\nHost: x\r\n"));  // never finished

  // Other clients are served while one stalls.
  auto response = Fetch({.url = Url(*server, "/other")});
  ASSERT_TRUE(response.has_value()) << response.error().message;
  EXPECT_EQ(response->status, 200);

  std::string answer;
  EXPECT_TRUE(stalled.ReadUntilClosed(&answer));  // closed by the server, not the 10 s guard
  EXPECT_EQ(answer, "");
}

TEST(ServerTest, IdleKeepAliveConnectionIsClosedAfterIdleTimeout) {
  auto server = StartOrDie({.idle_timeout = std::chrono::seconds{1}}, Echo);
  ASSERT_NE(server, nullptr);
  RawClient client(server->port());
  ASSERT_TRUE(client.Send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_THAT(client.ReadResponse(), StartsWith("HTTP/1.1 200 OK\r\n"));
  std::string rest;
  EXPECT_TRUE(client.ReadUntilClosed(&rest));
  EXPECT_EQ(rest, "");
}

TEST(ServerTest, StartOnBoundPortIsUnavailable) {
  auto first = StartOrDie({}, Echo);
  ASSERT_NE(first, nullptr);
  auto second = Server::Start({.port = first->port()}, Echo);
  ASSERT_FALSE(second.has_value());
  EXPECT_EQ(second.error().code, ErrorCode::kUnavailable);
  EXPECT_THAT(second.error().message, HasSubstr("127.0.0.1:" + std::to_string(first->port())));
}

TEST(ServerTest, StartWithMissingTlsFilesIsInvalidArgument) {
  forewarn::testing::TempDir dir;
  const std::string missing = (dir.path() / "missing.pem").string();
  auto server =
      Server::Start({.tls_certificate_file = missing, .tls_private_key_file = missing}, Echo);
  ASSERT_FALSE(server.has_value());
  EXPECT_EQ(server.error().code, ErrorCode::kInvalidArgument);
  EXPECT_THAT(server.error().message, HasSubstr(missing));

  auto half = Server::Start({.tls_certificate_file = missing}, Echo);
  ASSERT_FALSE(half.has_value());
  EXPECT_EQ(half.error().code, ErrorCode::kInvalidArgument);
}

TEST(ServerTest, StopIsIdempotentAndReleasesWait) {
  auto server = StartOrDie({}, Echo);
  ASSERT_NE(server, nullptr);
  const uint16_t port = server->port();
  std::thread waiter([&] { server->Wait(); });
  server->Stop();
  waiter.join();
  server->Stop();
  server->Wait();  // returns at once once stopped
  EXPECT_FALSE(Fetch({.url = "http://127.0.0.1:" + std::to_string(port) + "/"}).has_value());
}

TEST(ServerTest, ConcurrentStopsAllReturnAfterShutdown) {
  auto server = StartOrDie({}, Echo);
  ASSERT_NE(server, nullptr);
  std::thread a([&] { server->Stop(); });
  std::thread b([&] { server->Stop(); });
  server->Stop();
  a.join();
  b.join();
}

TEST(ServerTest, StopLetsInFlightRequestFinish) {
  std::promise<void> entered;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  auto server = StartOrDie({}, [&](const Request&) {
    entered.set_value();
    released.wait();
    return Response{.body = "finished"};
  });
  ASSERT_NE(server, nullptr);
  auto pending =
      std::async(std::launch::async, [url = Url(*server)] { return Fetch({.url = url}); });
  entered.get_future().wait();
  std::thread stopper([&] { server->Stop(); });
  release.set_value();
  auto response = pending.get();
  stopper.join();
  ASSERT_TRUE(response.has_value()) << response.error().message;
  EXPECT_EQ(response->body, "finished");
}

TEST(ServerTest, StopFromHandlerThreadDoesNotDeadlock) {
  std::atomic<Server*> self{nullptr};
  auto server = StartOrDie({}, [&](const Request&) {
    self.load()->Stop();
    return Response{.body = "bye"};
  });
  ASSERT_NE(server, nullptr);
  self = server.get();
  auto response = Fetch({.url = Url(*server)});
  server->Wait();  // Stop() was requested by the handler; Wait() joins the workers
  ASSERT_TRUE(response.has_value()) << response.error().message;
  EXPECT_EQ(response->body, "bye");
}

TEST(ServerTest, SigtermReleasesWait) {
  auto server = StartOrDie({}, Echo);
  ASSERT_NE(server, nullptr);
  std::thread waiter([&] { server->Wait(); });
  // The server's signal_set has taken SIGTERM since Start returned.
  ASSERT_EQ(std::raise(SIGTERM), 0);
  waiter.join();
}

TEST(ServerTest, DestructionWithOpenConnectionsJoinsCleanly) {
  auto server = StartOrDie({.threads = 4}, Echo);
  ASSERT_NE(server, nullptr);
  RawClient idle(server->port());
  RawClient partial(server->port());
  ASSERT_TRUE(partial.Send("POST / HTTP/1.1\r\nHost: x\r\nContent-"));
  server.reset();
  std::string rest;
  EXPECT_TRUE(idle.ReadUntilClosed(&rest));
  EXPECT_TRUE(partial.ReadUntilClosed(&rest));
}

// A port with nothing listening: bound (so nobody else takes it) but never listen()ed.
class ClosedPort {
 public:
  ClosedPort() : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    socklen_t length = sizeof(addr);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &length);
    port_ = ntohs(addr.sin_port);
  }
  ~ClosedPort() { ::close(fd_); }
  ClosedPort(const ClosedPort&) = delete;
  ClosedPort& operator=(const ClosedPort&) = delete;
  uint16_t port() const { return port_; }

 private:
  int fd_;
  uint16_t port_ = 0;
};

TEST(FetchTest, ClosedPortIsUnavailable) {
  ClosedPort closed;
  const std::string origin = "http://127.0.0.1:" + std::to_string(closed.port());
  auto response = Fetch({.url = origin + "/x?token=secret"});
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(response.error().message, "cannot reach " + origin + ": Connection refused");
}

TEST(FetchTest, SlowServerTimesOut) {
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  auto server = StartOrDie({}, [&](const Request&) {
    released.wait();
    return Response{};
  });
  ASSERT_NE(server, nullptr);
  auto response = Fetch({.url = Url(*server), .timeout = std::chrono::seconds{1}});
  release.set_value();
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().code, ErrorCode::kUnavailable);
  EXPECT_THAT(response.error().message, HasSubstr("timed out after 1s"));
}

TEST(FetchTest, MalformedUrlsAreInvalidArgument) {
  for (const char* url :
       {"not a url", "", "ftp://example.com/", "http://", "http:///path", "http://host:0/",
        "http://host:99999/", "http://host:12ab/", "http://[::1/", "http://[zz]/",
        "http://user:pw@host/", "http://ho st/", "http://bad_host!/"}) {
    auto response = Fetch({.url = url});
    ASSERT_FALSE(response.has_value()) << url;
    EXPECT_EQ(response.error().code, ErrorCode::kInvalidArgument) << url;
  }
}

TEST(FetchTest, InvalidMethodOrHeaderIsInvalidArgument) {
  auto bad_method = Fetch({.method = "GET /x", .url = "http://127.0.0.1:1/"});
  ASSERT_FALSE(bad_method.has_value());
  EXPECT_EQ(bad_method.error().code, ErrorCode::kInvalidArgument);
  auto bad_header = Fetch({.url = "http://127.0.0.1:1/", .headers = {{"X", "a\r\nB: c"}}});
  ASSERT_FALSE(bad_header.has_value());
  EXPECT_EQ(bad_header.error().code, ErrorCode::kInvalidArgument);
}

TEST(FetchTest, UrlPartsReachTheServer) {
  auto server = StartOrDie({}, [](const Request& request) {
    return Response{.body = request.target + " " +
                            std::string(FindHeader(request.headers, "host")) + " " +
                            std::string(FindHeader(request.headers, "user-agent"))};
  });
  ASSERT_NE(server, nullptr);
  const std::string port = std::to_string(server->port());
  auto query_only = Fetch({.url = "HTTP://127.0.0.1:" + port + "?a=b#frag"});
  ASSERT_TRUE(query_only.has_value()) << query_only.error().message;
  EXPECT_EQ(query_only->body, "/?a=b 127.0.0.1:" + port + " forewarn-cli");
  auto by_name = Fetch({.url = "http://localhost:" + port});
  ASSERT_TRUE(by_name.has_value()) << by_name.error().message;
  EXPECT_EQ(by_name->body, "/ localhost:" + port + " forewarn-cli");
}

TEST(FetchTest, Ipv6Literal) {
  auto server = Server::Start({.address = "::1"}, Echo);
  if (!server.has_value()) GTEST_SKIP() << "no IPv6 loopback: " << server.error().message;
  auto response = Fetch({.url = "http://[::1]:" + std::to_string(server.value()->port()) + "/six"});
  ASSERT_TRUE(response.has_value()) << response.error().message;
  EXPECT_EQ(response->body, "GET /six  ");
  EXPECT_EQ(FindHeader(response->headers, "x-remote"), "::1");
}

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cert_ = (dir_.path() / "c.pem").string();
    key_ = (dir_.path() / "k.pem").string();
    const std::string command =
        "openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost "
        "-addext subjectAltName=DNS:localhost,IP:127.0.0.1 -days 1 -keyout '" +
        key_ + "' -out '" + cert_ + "' >/dev/null 2>&1";
    ASSERT_EQ(std::system(command.c_str()), 0) << "openssl failed: " << command;
    auto server =
        Server::Start({.tls_certificate_file = cert_, .tls_private_key_file = key_}, Echo);
    ASSERT_TRUE(server.has_value()) << server.error().message;
    server_ = std::move(server).value();
    port_ = std::to_string(server_->port());
  }

  forewarn::testing::TempDir dir_;
  std::string cert_;
  std::string key_;
  std::unique_ptr<Server> server_;
  std::string port_;
};

TEST_F(TlsTest, FetchWithCaFileSucceeds) {
  for (const std::string host : {"127.0.0.1", "localhost"}) {
    auto response = Fetch({.method = "POST",
                           .url = "https://" + host + ":" + port_ + "/secure",
                           .body = "over tls",
                           .ca_file = cert_});
    ASSERT_TRUE(response.has_value()) << response.error().message;
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->body, "POST /secure  over tls");
  }
}

TEST_F(TlsTest, UntrustedCertificateIsRejected) {
  auto response = Fetch({.url = "https://127.0.0.1:" + port_ + "/"});
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().code, ErrorCode::kUnavailable);
  EXPECT_THAT(response.error().message, HasSubstr("TLS handshake failed"));
}

TEST_F(TlsTest, VerificationCanBeTurnedOff) {
  auto response = Fetch({.url = "https://127.0.0.1:" + port_ + "/", .verify_tls = false});
  ASSERT_TRUE(response.has_value()) << response.error().message;
  EXPECT_EQ(response->status, 200);
}

TEST_F(TlsTest, PlainHttpToTlsPortFailsCleanly) {
  auto response =
      Fetch({.url = "http://127.0.0.1:" + port_ + "/", .timeout = std::chrono::seconds{5}});
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().code, ErrorCode::kUnavailable);
  // The server is unharmed.
  auto again = Fetch({.url = "https://127.0.0.1:" + port_ + "/", .ca_file = cert_});
  ASSERT_TRUE(again.has_value()) << again.error().message;
}

TEST_F(TlsTest, HttpsToPlainServerFailsCleanly) {
  auto plain = StartOrDie({}, Echo);
  ASSERT_NE(plain, nullptr);
  auto response = Fetch({.url = "https://127.0.0.1:" + std::to_string(plain->port()) + "/",
                         .timeout = std::chrono::seconds{5},
                         .ca_file = cert_});
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().code, ErrorCode::kUnavailable);
}

TEST_F(TlsTest, MissingCaFileIsInvalidArgument) {
  auto response = Fetch(
      {.url = "https://127.0.0.1:" + port_ + "/", .ca_file = (dir_.path() / "nope.pem").string()});
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().code, ErrorCode::kInvalidArgument);
}

TEST_F(TlsTest, MismatchedKeyIsInvalidArgument) {
  const std::string other_key = (dir_.path() / "other.pem").string();
  const std::string command =
      "openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out '" + other_key +
      "' >/dev/null 2>&1";
  ASSERT_EQ(std::system(command.c_str()), 0);
  auto server =
      Server::Start({.tls_certificate_file = cert_, .tls_private_key_file = other_key}, Echo);
  ASSERT_FALSE(server.has_value());
  EXPECT_EQ(server.error().code, ErrorCode::kInvalidArgument);
  EXPECT_THAT(server.error().message, HasSubstr(other_key));
}

}  // namespace
}  // namespace forewarn::http
