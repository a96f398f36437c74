// Push delivery end to end: the forewarn binary fans an advisory out to partners' webhooks, which
// a receiver in this process implements the way the webhook protocol tells partners to (check
// the HMAC signature over the exact body, check the package signature, drop delivery ids already
// processed). The server is killed with SIGKILL again and again during the fan-out; after the
// restarts every partner has the package exactly once in effect, a partner suspended before a
// crash is never sent anything afterwards, and the ledger verifies with one "delivery.sent" per
// delivered row. A second test takes a delivery's receipt through the CLI and `forewarn verify`.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "crypto/crypto.h"
#include "delivery/package.h"
#include "delivery/webhook.h"
#include "http/transport.h"
#include "tests/e2e/e2e_fixture.h"

namespace forewarn {
namespace {

using e2e::InDays;
using e2e::LastLine;
using e2e::ReadFile;
using nlohmann::json;
using SteadyTime = std::chrono::steady_clock::time_point;

// The server's webhook request timeout in these tests (FOREWARN_WEBHOOK_TIMEOUT_SECONDS).
constexpr std::chrono::seconds kWebhookTimeout{1};

// A partner's webhook endpoint for every partner at once: POST /hook/<partner id>. Each request
// is checked as the protocol asks a receiver to (signature over the exact body with that
// partner's secret, the package's signature with the program key, the payload naming this
// partner and delivery) and logged. Answers 200, except that with `inject_failures` it
// deterministically fails some requests so the outbox has to retry: every 7th request gets a
// 503, every 40th answers only after the sender's timeout, every 11th is merely slow. Each key
// is failed at most once of each kind, so every delivery gets through within a few attempts.
// Thread-safe: the handler runs on several server threads.
class Receiver {
 public:
  struct PartnerLog {
    std::vector<SteadyTime> requests;      // arrival of every request, valid or not
    std::map<std::string, int> processed;  // idempotency key -> requests answered 200
    std::map<std::string, std::map<std::string, std::string>> bodies;  // key -> sha256 -> body
  };

  Receiver(std::string program_key, bool inject_failures)
      : program_key_(std::move(program_key)), inject_failures_(inject_failures) {}

  void Start() {
    http::ServerOptions options;
    options.address = "127.0.0.1";
    options.port = 0;
    options.threads = 8;
    options.max_body_bytes = 16 << 20;
    auto server =
        http::Server::Start(options, [this](const http::Request& r) { return Handle(r); });
    ASSERT_TRUE(server.has_value()) << server.error().message;
    server_ = std::move(*server);
  }

  ~Receiver() {
    if (server_) server_->Stop();
  }

  std::string Url(const std::string& partner) const {
    return fmt::format("http://127.0.0.1:{}/hook/{}", server_->port(), partner);
  }

  void SetSecret(const std::string& partner, const std::string& secret) {
    std::lock_guard lock(mutex_);
    secrets_[partner] = secret;
  }

  // Distinct idempotency keys answered 200 so far.
  size_t ProcessedKeys() const {
    std::lock_guard lock(mutex_);
    return processed_keys_.size();
  }
  size_t Requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
  }
  size_t Injected503() const {
    std::lock_guard lock(mutex_);
    return failed_once_.size();
  }
  size_t InjectedTimeouts() const {
    std::lock_guard lock(mutex_);
    return late_once_.size();
  }
  PartnerLog Log(const std::string& partner) const {
    std::lock_guard lock(mutex_);
    auto it = logs_.find(partner);
    return it == logs_.end() ? PartnerLog{} : it->second;
  }
  std::vector<std::string> Problems() const {
    std::lock_guard lock(mutex_);
    return problems_;
  }

 private:
  http::Response Handle(const http::Request& request) {
    const SteadyTime arrived = std::chrono::steady_clock::now();
    constexpr std::string_view kPrefix = "/hook/";
    if (request.method != "POST" || !request.target.starts_with(kPrefix)) {
      return {.status = 404, .body = R"({"error":"not found"})"};
    }
    const std::string partner = request.target.substr(kPrefix.size());
    const std::string key(http::FindHeader(request.headers, delivery::kIdempotencyKeyHeader));
    std::string secret;
    {
      std::lock_guard lock(mutex_);
      if (auto it = secrets_.find(partner); it != secrets_.end()) secret = it->second;
    }
    std::string problem;
    if (secret.empty()) {
      problem = "unknown partner";
    } else if (auto ok = delivery::VerifyWebhookSignature(
                   secret, http::FindHeader(request.headers, delivery::kWebhookTimestampHeader),
                   http::FindHeader(request.headers, delivery::kWebhookSignatureHeader),
                   request.body, std::chrono::system_clock::now(), std::chrono::hours(1));
               !ok) {
      problem = "webhook signature: " + ok.error().message;
    } else if (key.empty() ||
               key != http::FindHeader(request.headers, delivery::kWebhookDeliveryHeader)) {
      problem = "Idempotency-Key and Forewarn-Delivery differ or are missing";
    } else if (http::FindHeader(request.headers, delivery::kWebhookEventHeader) !=
               delivery::kPackageEvent) {
      problem = "wrong Forewarn-Event";
    } else if (auto package = delivery::VerifyPackage(request.body, program_key_, nullptr);
               !package) {
      problem = "package: " + package.error().message;
    } else if (package->payload.value("partner", "") != partner) {
      problem = "package of partner " + package->payload.value("partner", "?");
    } else if (package->payload.value("delivery", "") != key) {
      problem = "package of delivery " + package->payload.value("delivery", "?");
    }
    std::chrono::milliseconds delay{0};
    {
      std::lock_guard lock(mutex_);
      const size_t n = ++requests_;
      logs_[partner].requests.push_back(arrived);
      if (!problem.empty()) {
        problems_.push_back(fmt::format("{} {}: {}", partner, key, problem));
        return {.status = 400, .body = R"({"error":"rejected"})"};
      }
      if (inject_failures_ && n % 7 == 0 && failed_once_.insert(key).second) {
        return {.status = 503, .body = R"({"error":"try later"})"};
      }
      if (inject_failures_ && n % 40 == 0 && late_once_.insert(key).second) {
        delay = kWebhookTimeout + std::chrono::milliseconds(300);  // the sender gives up first
      } else if (inject_failures_ && n % 11 == 0) {
        delay = std::chrono::milliseconds(150);
      }
    }
    // Simulated slowness of the partner's side, not a synchronization wait.
    if (delay.count() > 0) std::this_thread::sleep_for(delay);
    std::lock_guard lock(mutex_);
    // A real receiver would drop a key it has processed; counting tells duplicates apart.
    PartnerLog& log = logs_[partner];
    ++log.processed[key];
    log.bodies[key][crypto::Hex(crypto::Sha256(request.body))] = request.body;
    processed_keys_.insert(key);
    return {.status = 200, .body = R"({"ok":true})"};
  }

  const std::string program_key_;
  const bool inject_failures_;
  std::unique_ptr<http::Server> server_;
  mutable std::mutex mutex_;
  std::map<std::string, std::string> secrets_;
  std::map<std::string, PartnerLog> logs_;
  std::set<std::string> processed_keys_;
  std::set<std::string> failed_once_;
  std::set<std::string> late_once_;
  std::vector<std::string> problems_;
  size_t requests_ = 0;
};

// Sorts like the outbox claims: by next_attempt_at (an RFC 3339 text whose fraction may be
// absent), then id.
std::pair<std::string, std::string> ClaimOrder(const json& delivery) {
  std::string at = delivery.value("next_attempt_at", json("")).is_string()
                       ? delivery["next_attempt_at"].get<std::string>()
                       : std::string();
  if (!at.empty() && at.find('.') == std::string::npos) at.insert(at.size() - 1, ".000000");
  return {at, delivery["id"].get<std::string>()};
}

class OutboxE2eTest : public e2e::E2eFixture {
 protected:
  void SetUp() override {
    ASSERT_TRUE(crypto::Initialize().has_value());
    auto init = Run({"init", "--data", data_});
    ASSERT_EQ(init.exit_code, 0) << init.err;
    admin_ = LastLine(init.out);
    auto keys = crypto::LoadProgramKeys(data_);
    ASSERT_TRUE(keys.has_value()) << keys.error().message;
    program_key_ = keys->signing.public_key;
  }

  void Serve() {
    // Minimum intervals and backoff, so retries and restarts make progress within seconds.
    StartServer({}, {{"FOREWARN_OUTBOX_INTERVAL_SECONDS", "1"},
                     {"FOREWARN_SCHEDULER_INTERVAL_SECONDS", "1"},
                     {"FOREWARN_WEBHOOK_INITIAL_RETRY_SECONDS", "1"},
                     {"FOREWARN_WEBHOOK_TIMEOUT_SECONDS", std::to_string(kWebhookTimeout.count())},
                     {"FOREWARN_WEBHOOK_PARALLELISM", "4"}});
  }

  // `count` partners of the early tier, each with its webhook at `receiver`, created over the
  // API by a few concurrent clients. Returns their ids in creation order.
  std::vector<std::string> CreatePartners(int count, Receiver& receiver) {
    std::vector<std::string> ids(count);
    std::mutex mutex;
    std::vector<std::string> errors;
    std::atomic<int> next{0};
    auto work = [&] {
      for (int i = next++; i < count; i = next++) {
        auto created = Api("POST", "/api/v1/partners", admin_,
                           {{"name", fmt::format("Partner {:03}", i)},
                            {"country", i % 2 ? "DE" : "FR"},
                            {"tier", "early"}});
        const json partner = json::parse(created.body, nullptr, false);
        if (created.status != 201 || !partner.contains("id")) {
          std::lock_guard lock(mutex);
          errors.push_back(fmt::format("create {}: {} {}", i, created.status, created.body));
          continue;
        }
        const std::string id = partner["id"];
        auto webhook =
            Api("PUT", "/api/v1/partners/" + id + "/webhook", admin_, {{"url", receiver.Url(id)}});
        const json setup = json::parse(webhook.body, nullptr, false);
        if (webhook.status != 200 || setup.value("partner", "") != id ||
            setup.value("url", "") != receiver.Url(id) ||
            !setup.value("secret", "").starts_with("whsec_")) {
          std::lock_guard lock(mutex);
          errors.push_back(fmt::format("webhook {}: {} {}", id, webhook.status, webhook.body));
          continue;
        }
        receiver.SetSecret(id, setup["secret"]);
        ids[i] = id;
      }
    };
    std::vector<std::thread> clients;
    for (int t = 0; t < 4; ++t) clients.emplace_back(work);
    for (auto& c : clients) c.join();
    EXPECT_TRUE(errors.empty()) << errors.size() << " failed, first: " << errors.front();
    return ids;
  }

  // An advisory with a PoC artifact, public in three days: the early tier's wave (five days
  // ahead) is due at once, so the scheduler opens it within a second and the fan-out starts.
  std::string PublishAdvisory() {
    auto created = Api("POST", "/api/v1/advisories", admin_,
                       {{"title", "Collaboration Server RCE"},
                        {"cves", {"CVE-2026-60101"}},
                        {"public_date", InDays(3)},
                        {"draft", true}});
    EXPECT_EQ(created.status, 201) << created.body;
    const std::string advisory = json::parse(created.body, nullptr, false).value("id", "");
    auto artifact = Api("POST", "/api/v1/advisories/" + advisory + "/artifacts", admin_,
                        {{"kind", "poc"},
                         {"filename", "exploit.py"},
                         {"content", "import requests\nrequests.post('https://target/_x')\n"}});
    EXPECT_EQ(artifact.status, 201) << artifact.body;
    auto published =
        Api("POST", "/api/v1/advisories/" + advisory + "/publish", admin_, json::object());
    EXPECT_EQ(published.status, 200) << published.body;
    return advisory;
  }

  // Every delivery of `advisory` (GET /api/v1/deliveries), or an empty array if the server did
  // not answer.
  json Deliveries(const std::string& advisory, const std::string& state = "") {
    std::string path = "/api/v1/deliveries?limit=1000&advisory=" + advisory;
    if (!state.empty()) path += "&state=" + state;
    auto listed = Api("GET", path, admin_);
    const json body = json::parse(listed.body, nullptr, false);
    EXPECT_EQ(listed.status, 200) << listed.body;
    if (listed.status != 200 || !body.contains("deliveries")) return json::array();
    EXPECT_EQ(body["count"], body["deliveries"].size());
    return body["deliveries"];
  }

  // Polls (bounded by `deadline`) until no delivery of `advisory` is pending or sending;
  // returns all of them.
  json WaitUntilSettled(const std::string& advisory, std::chrono::seconds deadline) {
    const auto until = std::chrono::steady_clock::now() + deadline;
    json all;
    for (;;) {
      all = Deliveries(advisory);
      const bool settled = !all.empty() && std::none_of(all.begin(), all.end(), [](const json& d) {
        return d["state"] == "pending" || d["state"] == "sending";
      });
      if (settled || std::chrono::steady_clock::now() > until) return all;
      std::this_thread::sleep_for(std::chrono::milliseconds(250));  // progress poll, bounded
    }
  }

  std::string admin_;
  std::string program_key_;  // the program's Ed25519 public key, raw
};

TEST_F(OutboxE2eTest, KillNineDuringFanOutDeliversEachPackageOnceInEffect) {
  constexpr int kPartners = 500;
  constexpr size_t kSuspended = 10;
  // How many newly processed deliveries the receiver sees before each kill: five crashes at
  // different points of the fan-out (the first while the first batches are in flight).
  const std::vector<size_t> kill_after = {50, 70, 55, 85, 60};

  const auto started = std::chrono::steady_clock::now();
  Receiver receiver(program_key_, /*inject_failures=*/true);
  ASSERT_NO_FATAL_FAILURE(receiver.Start());
  ASSERT_NO_FATAL_FAILURE(Serve());
  const std::vector<std::string> partners = CreatePartners(kPartners, receiver);
  ASSERT_FALSE(HasFailure());
  const auto setup_done = std::chrono::steady_clock::now();
  const std::string advisory = PublishAdvisory();
  ASSERT_FALSE(HasFailure());

  std::map<std::string, SteadyTime> suspended_at;  // partner -> when its suspension returned
  std::vector<size_t> killed_at;                   // processed keys at each kill
  for (size_t round = 0; round < kill_after.size(); ++round) {
    if (round == 1) {
      // Suspend partners that have received nothing yet and whose deliveries the outbox would
      // claim last (so no attempt for them is in flight now): nothing may reach them afterwards.
      json pending = Deliveries(advisory, "pending");
      std::vector<json> untouched;
      for (const auto& d : pending) {
        if (d["attempts"] == 0 && receiver.Log(d["partner"].get<std::string>()).requests.empty()) {
          untouched.push_back(d);
        }
      }
      std::sort(untouched.begin(), untouched.end(),
                [](const json& a, const json& b) { return ClaimOrder(a) < ClaimOrder(b); });
      ASSERT_GE(untouched.size(), 200u) << "the fan-out ran ahead of the test";
      for (size_t i = untouched.size() - kSuspended; i < untouched.size(); ++i) {
        const std::string partner = untouched[i]["partner"];
        auto suspended = Api("POST", "/api/v1/partners/" + partner + "/suspend", admin_,
                             {{"reason", "suspected leak"}});
        ASSERT_EQ(suspended.status, 200) << suspended.body;
        suspended_at[partner] = std::chrono::steady_clock::now();
      }
    }
    const size_t target = receiver.ProcessedKeys() + kill_after[round];
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (receiver.ProcessedKeys() < target && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));  // progress poll, bounded
    }
    ASSERT_GE(receiver.ProcessedKeys(), target)
        << "fan-out stalled in round " << round << ": " << ServerErrors();
    StopServer(SIGKILL);
    killed_at.push_back(receiver.ProcessedKeys());
    ASSERT_NO_FATAL_FAILURE(Serve());
  }
  ASSERT_LT(killed_at.back(), static_cast<size_t>(kPartners - kSuspended))
      << "every kill must interrupt the fan-out";

  const json deliveries = WaitUntilSettled(advisory, std::chrono::seconds(120));
  const auto settled = std::chrono::steady_clock::now();

  // One delivery row per partner: delivered, or cancelled for the suspended ones.
  ASSERT_EQ(deliveries.size(), static_cast<size_t>(kPartners));
  std::map<std::string, json> row_of;  // partner -> its delivery
  for (const auto& d : deliveries) {
    EXPECT_TRUE(row_of.emplace(d["partner"].get<std::string>(), d).second)
        << "two deliveries for " << d["partner"];
  }
  size_t duplicates = 0;     // requests answered 200 for a key the partner had processed
  size_t max_processed = 0;  // most 200 answers one key got
  for (const auto& partner : partners) {
    SCOPED_TRACE(partner);
    ASSERT_EQ(row_of.count(partner), 1u);
    const json& row = row_of[partner];
    const Receiver::PartnerLog log = receiver.Log(partner);
    if (suspended_at.count(partner) > 0) {
      EXPECT_EQ(row["state"], "cancelled") << row.dump();
      EXPECT_NE(row["cancel_reason"].get<std::string>().find("suspended"), std::string::npos);
      for (const SteadyTime t : log.requests) EXPECT_LT(t, suspended_at[partner]);
      continue;
    }
    EXPECT_EQ(row["state"], "delivered") << row.dump();
    // Exactly once in effect: one distinct key, the delivery's, whatever the resends.
    ASSERT_EQ(log.processed.size(), 1u) << "distinct idempotency keys received";
    const auto& [key, times] = *log.processed.begin();
    EXPECT_EQ(key, row["id"]);
    duplicates += times - 1;
    max_processed = std::max<size_t>(max_processed, times);
    // The bytes the row (and its receipt) names are bytes the partner received.
    EXPECT_EQ(log.bodies.at(key).count(row["package_sha256"].get<std::string>()), 1u) << row.dump();
  }
  EXPECT_TRUE(receiver.Problems().empty())
      << receiver.Problems().size() << " bad requests, first: " << receiver.Problems().front();

  // The ledger verifies, and holds exactly one "delivery.sent" per delivered row, naming the
  // package digest the row names.
  const json ledger = ExportAndVerify(admin_, (dir_.path() / "ledger.json").string());
  ASSERT_TRUE(ledger.is_object());
  std::map<std::string, std::vector<json>> sent;  // delivery id -> its delivery.sent events
  int cancelled_by_suspension = 0;
  for (const auto& entry : ledger["entries"]) {
    const json event = json::parse(entry["data"].get<std::string>());
    if (event["type"] == "delivery.sent") {
      EXPECT_EQ(event["index"], entry["index"]);
      sent[event["details"]["delivery"].get<std::string>()].push_back(event);
    }
    if (event["type"] == "partner.status_changed" && event["details"]["to"] == "suspended") {
      cancelled_by_suspension += event["details"]["deliveries_cancelled"].get<int>();
    }
  }
  size_t delivered = 0;
  for (const auto& d : deliveries) {
    const std::string id = d["id"];
    if (d["state"] != "delivered") {
      EXPECT_EQ(sent.count(id), 0u) << d.dump();
      continue;
    }
    ++delivered;
    ASSERT_EQ(sent[id].size(), 1u) << "delivery.sent entries of " << id;
    const json& event = sent[id].front();
    EXPECT_EQ(event["payload_sha256"], d["package_sha256"]);
    EXPECT_EQ(event["details"]["partner"], d["partner"]);
    EXPECT_EQ(event["subject"], advisory);
    EXPECT_EQ(event["index"], d["ledger_index"]);
  }
  EXPECT_EQ(delivered, kPartners - kSuspended);
  EXPECT_EQ(sent.size(), delivered);
  EXPECT_EQ(cancelled_by_suspension, static_cast<int>(kSuspended));
  // The last run shuts down cleanly (under the sanitizers: without leaks).
  const int exit_code = StopServer();
  EXPECT_EQ(exit_code, 0) << ServerErrors();

  const auto seconds = [](auto d) { return std::chrono::duration<double>(d).count(); };
  std::printf(
      "[ outbox  ] %d partners, %zu suspended; %zu kill -9 at processed keys %s; %zu webhook "
      "requests (%zu injected 503s, %zu injected timeouts); %zu duplicate deliveries of a "
      "processed key dropped by idempotency key (max %zu per key); setup %.1f s, fan-out with "
      "crashes %.1f s\n",
      kPartners, kSuspended, killed_at.size(), fmt::format("{}", fmt::join(killed_at, ",")).c_str(),
      receiver.Requests(), receiver.Injected503(), receiver.InjectedTimeouts(), duplicates,
      max_processed, seconds(setup_done - started), seconds(settled - setup_done));
}

// A partner takes the receipt of a delivered package with the CLI and checks it offline with
// nothing but the program's public key, also against the exact package bytes its webhook got.
TEST_F(OutboxE2eTest, ReceiptOfAPushedPackageVerifiesThroughTheCli) {
  Receiver receiver(program_key_, /*inject_failures=*/false);
  ASSERT_NO_FATAL_FAILURE(receiver.Start());
  ASSERT_NO_FATAL_FAILURE(Serve());
  const std::vector<std::string> partners = CreatePartners(2, receiver);
  ASSERT_FALSE(HasFailure());
  const std::string advisory = PublishAdvisory();
  ASSERT_FALSE(HasFailure());
  const json deliveries = WaitUntilSettled(advisory, std::chrono::seconds(60));
  ASSERT_EQ(deliveries.size(), 2u);
  std::map<std::string, json> row_of;
  for (const auto& d : deliveries) {
    ASSERT_EQ(d["state"], "delivered") << d.dump();
    row_of[d["partner"].get<std::string>()] = d;
  }
  const std::string mine = partners[0];
  const std::string other = partners[1];
  const std::string id = row_of[mine]["id"];
  const std::string digest = row_of[mine]["package_sha256"];

  auto token = Run({"token", "create", "--partner", mine}, admin_);
  ASSERT_EQ(token.exit_code, 0) << token.err;
  const std::string partner_token = LastLine(token.out);
  auto other_token = Run({"token", "create", "--partner", other}, admin_);
  ASSERT_EQ(other_token.exit_code, 0) << other_token.err;

  // The partner sees its delivery and acknowledges it.
  auto listed = Run({"delivery", "list", "--json"}, partner_token);
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  const json own = json::parse(listed.out, nullptr, false);
  ASSERT_TRUE(own.is_array()) << listed.out;
  ASSERT_EQ(own.size(), 1u);
  EXPECT_EQ(own[0]["id"], id);
  auto acked = Run({"delivery", "ack", id, "--json"}, partner_token);
  ASSERT_EQ(acked.exit_code, 0) << acked.err;
  EXPECT_FALSE(json::parse(acked.out, nullptr, false)["acknowledged_at"].is_null()) << acked.out;

  const std::string receipt_file = (dir_.path() / "r.json").string();
  auto receipt = Run({"delivery", "receipt", id, "--out", receipt_file}, partner_token);
  ASSERT_EQ(receipt.exit_code, 0) << receipt.err;
  // Another partner cannot have it.
  auto foreign =
      Run({"delivery", "receipt", id, "--out", receipt_file + ".x"}, LastLine(other_token.out));
  EXPECT_EQ(foreign.exit_code, 1);
  ExpectOneLineError(foreign);

  // The package exactly as the webhook received it (the attempt the receipt names).
  const auto log = receiver.Log(mine);
  ASSERT_EQ(log.bodies.count(id), 1u);
  ASSERT_EQ(log.bodies.at(id).count(digest), 1u);
  const std::string package_file = (dir_.path() / "pkg.json").string();
  std::ofstream(package_file, std::ios::binary) << log.bodies.at(id).at(digest);
  const std::string other_package = (dir_.path() / "other-pkg.json").string();
  const auto other_log = receiver.Log(other);
  ASSERT_FALSE(other_log.bodies.empty());
  std::ofstream(other_package, std::ios::binary)
      << other_log.bodies.begin()->second.begin()->second;

  const std::string pub = data_ + "/signing.pub";
  const int exit_code = StopServer();  // offline from here on
  EXPECT_EQ(exit_code, 0) << ServerErrors();
  auto verified = Run({"verify", receipt_file, "--program-key", pub});
  ASSERT_EQ(verified.exit_code, 0) << verified.err;
  const json proved = json::parse(verified.out, nullptr, false);
  EXPECT_EQ(proved["receipt"], "valid") << verified.out;
  EXPECT_EQ(proved["delivery"], id);
  EXPECT_EQ(proved["ledger_index"], row_of[mine]["ledger_index"]);
  auto with_package =
      Run({"verify", receipt_file, "--program-key", pub, "--package", package_file});
  ASSERT_EQ(with_package.exit_code, 0) << with_package.err;
  EXPECT_EQ(json::parse(with_package.out, nullptr, false)["package_checked"], true);
  // The package itself verifies too.
  EXPECT_EQ(Run({"verify", package_file, "--program-key", pub}).exit_code, 0);
  // Another partner's package is not the one this receipt names.
  auto wrong_package =
      Run({"verify", receipt_file, "--program-key", pub, "--package", other_package});
  EXPECT_EQ(wrong_package.exit_code, 1);
  ExpectOneLineError(wrong_package);

  // One character changed in the inclusion proof or in the tree head's signature: exit 1.
  const json original = json::parse(ReadFile(receipt_file), nullptr, false);
  ASSERT_TRUE(original.is_object());
  ASSERT_FALSE(original["inclusion_proof"].empty()) << "the ledger holds more than one entry";
  auto flip = [](std::string text, size_t pos) {
    text[pos] = text[pos] == 'a' ? 'b' : 'a';
    return text;
  };
  json bad_proof = original;
  bad_proof["inclusion_proof"][0] = flip(original["inclusion_proof"][0], 7);
  json bad_signature = original;
  bad_signature["tree_head"]["signature"] = flip(original["tree_head"]["signature"], 11);
  for (const auto& [name, altered] :
       {std::pair{"proof", bad_proof}, std::pair{"signature", bad_signature}}) {
    const std::string file = (dir_.path() / (std::string("r-") + name + ".json")).string();
    std::ofstream(file) << altered.dump(2);
    auto rejected = Run({"verify", file, "--program-key", pub});
    EXPECT_EQ(rejected.exit_code, 1) << name << ": " << rejected.out;
    ExpectOneLineError(rejected);
    EXPECT_NE(rejected.err.find("receipt does not verify"), std::string::npos) << rejected.err;
  }
}

}  // namespace
}  // namespace forewarn
