// Push delivery end to end in one process: a whole program on a FakeClock (the Harness), the
// outbox worker posting over real sockets to a webhook receiver on 127.0.0.1 that fails, times
// out, redirects and answers. Checks what arrives (signed, sealed, personalized, exactly once
// per idempotency key), when it is cancelled (suspension, policy), retries and the give-up
// alert, acknowledgements (API and signed webhook response), receipts and the operator API.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <chrono>
#include <deque>
#include <map>
#include <mutex>
#include <thread>

#include "core/time.h"
#include "crypto/crypto.h"
#include "delivery/outbox.h"
#include "delivery/package.h"
#include "delivery/receipt.h"
#include "delivery/webhook.h"
#include "tests/testing/harness.h"

namespace forewarn::delivery {
namespace {

using nlohmann::json;
using std::chrono::hours;
using std::chrono::seconds;
using testing::Harness;
using testing::TestPartner;

constexpr std::string_view kPoc = "import requests\nMARKER = 'poc-7f3a'\n";
constexpr std::string_view kDescription = "The endpoint deserializes attacker data.\n";

// One request the receiver got.
struct Received {
  std::string path;
  std::string delivery;
  std::string idempotency_key;
  std::string timestamp;
  std::string signature;
  std::string body;
};

// What the receiver does with the next request: answer `status` with `body` after `delay`.
struct Reply {
  int status = 200;
  std::string body;
  std::chrono::milliseconds delay{0};
  std::string location;  // for redirects
};

// A webhook endpoint on a real socket. Replies are scripted per request, then 200.
class Receiver {
 public:
  Receiver() {
    auto server =
        http::Server::Start({.threads = 4}, [this](const http::Request& r) { return Handle(r); });
    if (!server) throw std::runtime_error(server.error().message);
    server_ = std::move(*server);
  }
  ~Receiver() { server_->Stop(); }

  std::string Url(const std::string& path) const {
    return fmt::format("http://127.0.0.1:{}{}", server_->port(), path);
  }
  void Script(Reply reply) {
    std::lock_guard lock(mutex_);
    script_.push_back(std::move(reply));
  }
  // Replies computed from the request (e.g. a signed acknowledgement).
  void Answer(std::function<Reply(const Received&)> answer) {
    std::lock_guard lock(mutex_);
    answer_ = std::move(answer);
  }
  std::vector<Received> Requests() const {
    std::lock_guard lock(mutex_);
    return received_;
  }
  std::vector<Received> RequestsTo(const std::string& path) const {
    std::vector<Received> out;
    for (auto& r : Requests()) {
      if (r.path == path) out.push_back(r);
    }
    return out;
  }

 private:
  http::Response Handle(const http::Request& request) {
    Received got{
        .path = request.target,
        .delivery = std::string(http::FindHeader(request.headers, "Forewarn-Delivery")),
        .idempotency_key = std::string(http::FindHeader(request.headers, "Idempotency-Key")),
        .timestamp = std::string(http::FindHeader(request.headers, "Forewarn-Timestamp")),
        .signature = std::string(http::FindHeader(request.headers, "Forewarn-Signature")),
        .body = request.body};
    Reply reply;
    {
      std::lock_guard lock(mutex_);
      received_.push_back(got);
      if (!script_.empty()) {
        reply = script_.front();
        script_.pop_front();
      } else if (answer_) {
        reply = answer_(got);
      }
    }
    if (reply.delay.count() > 0) std::this_thread::sleep_for(reply.delay);
    http::Response response{.status = reply.status, .body = reply.body};
    if (!reply.location.empty()) response.headers.emplace_back("Location", reply.location);
    return response;
  }

  mutable std::mutex mutex_;
  std::deque<Reply> script_;                      // guarded by mutex_
  std::function<Reply(const Received&)> answer_;  // guarded by mutex_
  std::vector<Received> received_;                // guarded by mutex_
  std::unique_ptr<http::Server> server_;
};

class PushTest : public ::testing::Test {
 protected:
  PushTest() {
    public_at = h.clock.Now() + hours{24 * 10};
    sealed = h.AddPartner("Sealed Early", "early");
    plain = h.AddPartner("Plain Early", "early", {"poc-restricted"});
    standard = h.AddPartner("Standard", "standard");
    no_hook = h.AddPartner("No Webhook", "early");
    box = crypto::GenerateBoxKeyPair(h.random);
    ack_key = crypto::GenerateSigningKeyPair(h.random);
    registry::PartnerFields keys;
    keys.x25519_public_key = crypto::Base64(box.public_key);
    keys.ed25519_public_key = crypto::Base64(ack_key.public_key);
    EXPECT_TRUE(h.registry->UpdatePartner(h.admin, sealed.id, keys));
    for (const auto* p : {&sealed, &plain, &standard}) {
      auto setup = outbox().SetWebhook(h.admin, p->id, receiver.Url("/hook/" + p->id));
      EXPECT_TRUE(setup) << setup.error().message;
      if (setup) secrets[p->id] = setup->secret;
    }
    advisory = Create();
    poc = AddArtifact({{"kind", "poc"}, {"filename", "exploit.py"}, {"content", kPoc}});
    AddArtifact({{"kind", "technical-description"},
                 {"filename", "description.txt"},
                 {"content", kDescription},
                 {"alternative_of", poc}});
    // The demo story's rule: PoC code for the early tier, the description for the cohort.
    EXPECT_EQ(h.Call("PUT", "/api/v1/policy", h.admin_token,
                     json{{"text",
                           "rule everyone permit advisory;\n"
                           "rule artifacts permit artifact;\n"
                           "rule cohort substitute artifact when partner.labels contains "
                           "\"poc-restricted\" and artifact.kind == \"poc\";\n"}})
                  .status,
              200);
    OutboxConfig config;
    config.timeout = seconds{1};
    config.retry.initial = seconds{30};
    config.retry.horizon = hours{24};
    config.parallelism = 2;
    worker =
        std::make_unique<Outbox>(*h.store, h.program->ledger(), h.clock, h.random,
                                 h.program->keys(), h.program->pull(), app::SendWebhook, config);
  }

  Outbox& outbox() { return h.program->outbox(); }

  std::string Create() {
    auto answer = h.Call("POST", "/api/v1/advisories", h.admin_token,
                         json{{"title", "RCE in Collaboration Server"},
                              {"cves", json::array({"CVE-2026-50001"})},
                              {"public_date", FormatTime(public_at)}});
    EXPECT_EQ(answer.status, 201) << answer.body;
    return answer.json.value("id", "");
  }

  std::string AddArtifact(const json& body) {
    auto answer =
        h.Call("POST", "/api/v1/advisories/" + advisory + "/artifacts", h.admin_token, body);
    EXPECT_EQ(answer.status, 201) << answer.body;
    return answer.json.value("id", "");
  }

  // Moves to the early wave and lets the scheduler record it (enqueueing the pushes).
  void OpenEarlyWave() {
    h.clock.Set(public_at - hours{24 * 5});
    h.program->RunScheduler();
  }

  DispatchStats Run() {
    auto stats = worker->RunOnce();
    EXPECT_TRUE(stats) << stats.error().message;
    return stats ? *stats : DispatchStats{};
  }

  std::vector<Delivery> Deliveries(store::DeliveryFilter filter = {}) {
    auto list = outbox().List(h.admin, filter);
    EXPECT_TRUE(list) << list.error().message;
    return list ? *list : std::vector<Delivery>{};
  }

  Delivery Only(const TestPartner& p) {
    auto list = Deliveries({.partner_id = p.id});
    EXPECT_EQ(list.size(), 1u) << p.id;
    return list.empty() ? Delivery{} : list.front();
  }

  void AcceptTerms(const TestPartner& p) {
    auto got = h.Call("GET", "/api/v1/advisories/" + advisory, p.token);
    ASSERT_EQ(got.status, 200) << got.body;
    auto accepted = h.Call("POST", "/api/v1/advisories/" + advisory + "/terms", p.token,
                           json{{"terms_sha256", got.json["terms"]["sha256"]}});
    ASSERT_EQ(accepted.status, 200) << accepted.body;
  }

  // Checks the HMAC of a received request with the partner's secret.
  void ExpectSigned(const Received& r, const std::string& partner_id) {
    EXPECT_TRUE(VerifyWebhookSignature(secrets[partner_id], r.timestamp, r.signature, r.body,
                                       h.clock.Now()))
        << partner_id;
    EXPECT_EQ(r.delivery, r.idempotency_key);
  }

  Harness h;
  Receiver receiver;
  TimePoint public_at;
  TestPartner sealed, plain, standard, no_hook;
  crypto::BoxKeyPair box;
  crypto::SigningKeyPair ack_key;
  std::map<std::string, std::string> secrets;
  std::string advisory, poc;
  std::unique_ptr<Outbox> worker;
};

TEST_F(PushTest, WaveOpeningPushesSignedPersonalizedPackagesExactlyOnce) {
  EXPECT_TRUE(Deliveries().empty());  // nothing before the wave
  OpenEarlyWave();
  const auto queued = Deliveries();
  ASSERT_EQ(queued.size(), 2u);  // early partners with a webhook; not standard, not no_hook
  for (const auto& d : queued) {
    EXPECT_EQ(d.state, DeliveryState::kPending);
    EXPECT_EQ(d.trigger, "wave");
    EXPECT_EQ(d.revision, 1);
  }
  const auto stats = Run();
  EXPECT_EQ(stats.claimed, 2u);
  EXPECT_EQ(stats.delivered, 2u);

  const auto program_key = h.program->keys().signing.public_key;
  const auto to_sealed = receiver.RequestsTo("/hook/" + sealed.id);
  ASSERT_EQ(to_sealed.size(), 1u);
  ExpectSigned(to_sealed[0], sealed.id);
  // Sealed to the partner's key: only its secret key opens it.
  EXPECT_FALSE(VerifyPackage(to_sealed[0].body, program_key, nullptr));
  auto opened = VerifyPackage(to_sealed[0].body, program_key, &box);
  ASSERT_TRUE(opened) << opened.error().message;
  EXPECT_TRUE(opened->was_sealed);
  EXPECT_EQ(opened->payload["partner"], sealed.id);
  EXPECT_EQ(opened->payload["delivery"], to_sealed[0].delivery);
  EXPECT_EQ(opened->payload["advisory"]["id"], advisory);
  // Terms not yet accepted: the header and the terms, no content.
  EXPECT_FALSE(opened->payload["advisory"]["terms"]["accepted"].get<bool>());
  EXPECT_TRUE(opened->payload["contents"].empty());

  const auto to_plain = receiver.RequestsTo("/hook/" + plain.id);
  ASSERT_EQ(to_plain.size(), 1u);
  ExpectSigned(to_plain[0], plain.id);
  auto signed_only = VerifyPackage(to_plain[0].body, program_key, nullptr);
  ASSERT_TRUE(signed_only) << signed_only.error().message;
  EXPECT_FALSE(signed_only->was_sealed);
  EXPECT_EQ(signed_only->payload["partner"], plain.id);

  // Delivered rows name the bytes sent and their ledger entry.
  const auto sent = h.LedgerEvents("delivery.sent");
  ASSERT_EQ(sent.size(), 2u);
  for (const auto& d : Deliveries()) {
    EXPECT_EQ(d.state, DeliveryState::kDelivered);
    EXPECT_EQ(d.attempts, 1);
    ASSERT_TRUE(d.ledger_index.has_value());
    const auto& body = d.partner_id == sealed.id ? to_sealed[0].body : to_plain[0].body;
    EXPECT_EQ(d.package_sha256, crypto::Hex(crypto::Sha256(body)));
  }
  // Nothing more to send: running again sends nothing, and the scheduler does not re-enqueue.
  h.program->RunScheduler();
  EXPECT_EQ(Run().claimed, 0u);
  EXPECT_EQ(receiver.Requests().size(), 2u);
}

TEST_F(PushTest, AcceptingTermsPushesTheFullPersonalizedContent) {
  OpenEarlyWave();
  Run();
  AcceptTerms(sealed);
  AcceptTerms(plain);
  AcceptTerms(no_hook);  // no webhook: nothing to push
  const auto terms = Deliveries({.state = DeliveryState::kPending});
  ASSERT_EQ(terms.size(), 2u);
  EXPECT_EQ(Run().delivered, 2u);
  const auto program_key = h.program->keys().signing.public_key;

  auto full =
      VerifyPackage(receiver.RequestsTo("/hook/" + sealed.id).back().body, program_key, &box);
  ASSERT_TRUE(full);
  ASSERT_EQ(full->payload["contents"].size(), 1u);
  const auto& content = full->payload["contents"][0];
  EXPECT_EQ(content["filename"], "exploit.py");
  // The partner's own fingerprinted copy, as the operator previews it, with its fingerprint id.
  const std::string copy = *crypto::FromBase64(content["content_base64"].get<std::string>());
  EXPECT_EQ(copy, h.Call("GET",
                         "/api/v1/advisories/" + advisory + "/artifacts/" +
                             content["id"].get<std::string>() + "/variant?partner=" + sealed.id,
                         h.admin_token)
                      .body);
  EXPECT_EQ(content["sha256"], crypto::Hex(crypto::Sha256(copy)));
  EXPECT_TRUE(content["fingerprint"].get<std::string>().starts_with("fp_"));

  // The restricted cohort gets the description, never the PoC bytes.
  const auto plain_body = receiver.RequestsTo("/hook/" + plain.id).back().body;
  auto restricted = VerifyPackage(plain_body, program_key, nullptr);
  ASSERT_TRUE(restricted);
  ASSERT_EQ(restricted->payload["contents"].size(), 1u);
  EXPECT_EQ(restricted->payload["contents"][0]["filename"], "description.txt");
  EXPECT_EQ(restricted->payload.dump().find("poc-7f3a"), std::string::npos);
}

TEST_F(PushTest, FailuresTimeoutsAndRedirectsAreRetriedUntilOneArrives) {
  OpenEarlyWave();
  // Answered in order (two partners share the script; one request each per run).
  receiver.Script({.status = 503});
  receiver.Script({.status = 503});
  Run();
  for (const auto& d : Deliveries()) {
    EXPECT_EQ(d.state, DeliveryState::kPending);
    EXPECT_EQ(d.attempts, 1);
    EXPECT_EQ(d.last_error, "HTTP 503");
    // Equal jitter around the first backoff step.
    EXPECT_GE(d.next_attempt_at, h.clock.Now() + seconds{15});
    EXPECT_LE(d.next_attempt_at, h.clock.Now() + seconds{30});
  }
  // Not due yet: nothing is sent.
  EXPECT_EQ(Run().claimed, 0u);
  EXPECT_EQ(receiver.Requests().size(), 2u);

  // A timeout (the receiver answers after the worker stopped waiting) and a redirect, which
  // is not followed.
  h.clock.Advance(seconds{31});
  receiver.Script({.status = 200, .delay = std::chrono::milliseconds{1600}});
  receiver.Script({.status = 302, .location = receiver.Url("/elsewhere")});
  Run();
  std::set<std::string> errors;
  for (const auto& d : Deliveries()) {
    EXPECT_EQ(d.state, DeliveryState::kPending);
    EXPECT_EQ(d.attempts, 2);
    errors.insert(d.last_error.substr(0, 8));
  }
  EXPECT_TRUE(errors.count("HTTP 302")) << *errors.begin();
  EXPECT_TRUE(receiver.RequestsTo("/elsewhere").empty());

  h.clock.Advance(seconds{61});
  Run();
  for (const auto& d : Deliveries()) {
    EXPECT_EQ(d.state, DeliveryState::kDelivered) << d.last_error;
    EXPECT_EQ(d.attempts, 3);
    EXPECT_TRUE(d.last_error.empty());
  }
  // Exactly once in effect: every request to a partner carried the same idempotency key.
  for (const auto* p : {&sealed, &plain}) {
    const auto requests = receiver.RequestsTo("/hook/" + p->id);
    EXPECT_EQ(requests.size(), 3u);
    std::set<std::string> keys;
    for (const auto& r : requests) keys.insert(r.idempotency_key);
    EXPECT_EQ(keys.size(), 1u);
    EXPECT_EQ(*keys.begin(), Only(*p).id);
  }
  EXPECT_EQ(h.LedgerEvents("delivery.sent").size(), 2u);
}

TEST_F(PushTest, GivesUpAfterTheHorizonWithAnAlertAndTheOperatorCanRetry) {
  OpenEarlyWave();
  receiver.Answer([](const Received&) { return Reply{.status = 500}; });
  for (int i = 0; i < 60 && !Deliveries({.state = DeliveryState::kPending}).empty(); ++i) {
    Run();
    h.clock.Advance(hours{1});
  }
  const auto failed = Deliveries({.state = DeliveryState::kFailed});
  ASSERT_EQ(failed.size(), 2u);
  // Backoff doubles to the one-hour cap: about 30 attempts in 24 hours, not hundreds.
  EXPECT_GE(failed[0].attempts, 20);
  EXPECT_LE(failed[0].attempts, 40);
  EXPECT_EQ(h.LedgerEvents("delivery.failed").size(), 2u);
  auto alerts = h.Call("GET", "/api/v1/alerts", h.admin_token);
  ASSERT_EQ(alerts.status, 200) << alerts.body;
  int delivery_alerts = 0;
  for (const auto& a : alerts.json["alerts"]) {
    if (a["kind"] == "delivery-failed") ++delivery_alerts;
  }
  EXPECT_EQ(delivery_alerts, 2);

  // Retry is the admin's; the receiver is back.
  const auto analyst = h.registry->Authenticate(h.OperatorToken(Role::kAnalyst));
  ASSERT_TRUE(analyst);
  EXPECT_EQ(outbox().Retry(*analyst, failed[0].id).error().code, ErrorCode::kPermissionDenied);
  receiver.Answer([](const Received&) { return Reply{.status = 204}; });
  auto retried = outbox().Retry(h.admin, failed[0].id);
  ASSERT_TRUE(retried) << retried.error().message;
  EXPECT_EQ(retried->state, DeliveryState::kPending);
  EXPECT_EQ(Run().delivered, 1u);
  EXPECT_EQ(outbox().Retry(h.admin, failed[0].id).error().code,
            ErrorCode::kFailedPrecondition);  // delivered now
  EXPECT_EQ(h.LedgerEvents("delivery.retried").size(), 1u);
}

TEST_F(PushTest, SuspensionAndPolicyChangesCancelWhatIsNotYetSent) {
  OpenEarlyWave();
  ASSERT_TRUE(h.registry->ChangeStatus(h.admin, sealed.id, PartnerStatus::kSuspended,
                                       "leak under investigation"));
  // Suspension cancels in its own transaction.
  const auto cancelled = Only(sealed);
  EXPECT_EQ(cancelled.state, DeliveryState::kCancelled);
  EXPECT_NE(cancelled.cancel_reason.find("leak under investigation"), std::string::npos);
  // The policy now hides the advisory from the cohort: decided again at send time.
  ASSERT_EQ(h.Call("PUT", "/api/v1/policy", h.admin_token,
                   json{{"text",
                         "rule everyone permit advisory;\nrule artifacts permit artifact;\n"
                         "rule hide forbid advisory when partner.labels contains "
                         "\"poc-restricted\";\n"}})
                .status,
            200);
  const auto stats = Run();
  EXPECT_EQ(stats.cancelled, 1u);
  EXPECT_EQ(stats.delivered, 0u);
  EXPECT_TRUE(receiver.Requests().empty());
  const auto hidden = Only(plain);
  EXPECT_EQ(hidden.state, DeliveryState::kCancelled);
  EXPECT_NE(hidden.cancel_reason.find("no longer visible"), std::string::npos);
  // The partner the policy excludes learns nothing of it from its deliveries either.
  auto listed = h.Call("GET", "/api/v1/deliveries", plain.token);
  ASSERT_EQ(listed.status, 200) << listed.body;
  EXPECT_TRUE(listed.json["deliveries"].empty()) << listed.body;
  EXPECT_EQ(listed.body.find(advisory), std::string::npos);
  auto shown = h.Call("GET", "/api/v1/deliveries/" + hidden.id, plain.token);
  EXPECT_EQ(shown.status, 404);
  EXPECT_EQ(shown.json["error"]["message"], "delivery " + hidden.id + " not found");
  EXPECT_EQ(h.Call("GET", "/api/v1/deliveries?state=cancelled", plain.token).json["deliveries"],
            json::array());
  EXPECT_EQ(h.LedgerEvents("delivery.cancelled").size(), 1u);
  const auto status_events = h.LedgerEvents("partner.status_changed");
  ASSERT_FALSE(status_events.empty());
  EXPECT_EQ(status_events.back()["details"]["deliveries_cancelled"], 1);
}

TEST_F(PushTest, ASuspensionDuringARequestOnTheWireIsRecordedTruthfully) {
  OpenEarlyWave();
  // The receiver suspends the partner while its request is being answered: the package has
  // reached it, so the ledger must say so; nothing after the suspension is sent.
  receiver.Answer([&](const Received& r) {
    if (r.path == "/hook/" + sealed.id) {
      EXPECT_TRUE(h.registry->ChangeStatus(h.admin, sealed.id, PartnerStatus::kSuspended,
                                           "suspended mid-send"));
    }
    return Reply{.status = 200};
  });
  Run();
  const auto sent = Only(sealed);
  EXPECT_EQ(sent.state, DeliveryState::kDelivered);
  ASSERT_TRUE(sent.ledger_index.has_value());
  bool recorded = false;
  for (const auto& e : h.LedgerEvents("delivery.sent")) {
    recorded = recorded || e["details"]["delivery"] == sent.id;
  }
  EXPECT_TRUE(recorded);
  EXPECT_EQ(Run().claimed, 0u);
  EXPECT_EQ(receiver.RequestsTo("/hook/" + sealed.id).size(), 1u);
}

TEST_F(PushTest, APolicyThatGrantsMoreEnqueuesADeliveryOfTheNewView) {
  OpenEarlyWave();
  AcceptTerms(plain);
  Run();
  const size_t before = Deliveries({.partner_id = plain.id}).size();
  // Lifting the substitution gives the cohort the PoC: a new delivery for what it gained.
  ASSERT_EQ(
      h.Call("PUT", "/api/v1/policy", h.admin_token,
             json{{"text", "rule everyone permit advisory;\nrule artifacts permit artifact;\n"}})
          .status,
      200);
  const auto after = Deliveries({.partner_id = plain.id});
  ASSERT_EQ(after.size(), before + 1);
  EXPECT_TRUE(after.front().trigger.starts_with("policy-")) << after.front().trigger;
  // The sealed partner already had everything: no delivery for it.
  for (const auto& d : Deliveries({.partner_id = sealed.id})) {
    EXPECT_FALSE(d.trigger.starts_with("policy-"));
  }
  Run();
  auto got = VerifyPackage(receiver.RequestsTo("/hook/" + plain.id).back().body,
                           h.program->keys().signing.public_key, nullptr);
  ASSERT_TRUE(got);
  ASSERT_EQ(got->payload["contents"].size(), 1u);
  EXPECT_EQ(got->payload["contents"][0]["filename"], "exploit.py");
}

TEST_F(PushTest, AcknowledgementsByApiAndSignedResponseAndReceiptsVerifyOffline) {
  OpenEarlyWave();
  // The sealed partner's receiver answers with an acknowledgement signed by its key.
  receiver.Answer([&](const Received& r) {
    if (r.path != "/hook/" + sealed.id) return Reply{.status = 200};
    return Reply{
        .status = 200,
        .body = AckBody(r.delivery, crypto::Hex(crypto::Sha256(r.body)), ack_key.secret_key)};
  });
  Run();
  const auto acked = Only(sealed);
  ASSERT_TRUE(acked.acknowledged_at.has_value());
  EXPECT_EQ(acked.acknowledged_via, "webhook");
  // The other one is unacknowledged until the partner says so over the API.
  const auto open = Only(plain);
  EXPECT_FALSE(open.acknowledged_at.has_value());
  auto unacked = h.Call("GET", "/api/v1/deliveries?unacknowledged=true", h.admin_token);
  ASSERT_EQ(unacked.status, 200) << unacked.body;
  ASSERT_EQ(unacked.json["deliveries"].size(), 1u);
  EXPECT_EQ(unacked.json["deliveries"][0]["id"], open.id);

  // Partners see and acknowledge only their own.
  EXPECT_EQ(h.Call("POST", "/api/v1/deliveries/" + open.id + "/acknowledge", sealed.token).status,
            404);
  auto own = h.Call("GET", "/api/v1/deliveries", plain.token);
  ASSERT_EQ(own.status, 200) << own.body;
  ASSERT_EQ(own.json["deliveries"].size(), 1u);
  auto ack = h.Call("POST", "/api/v1/deliveries/" + open.id + "/acknowledge", plain.token);
  ASSERT_EQ(ack.status, 200) << ack.body;
  EXPECT_EQ(ack.json["acknowledged_via"], "api");
  EXPECT_EQ(h.LedgerEvents("delivery.acknowledged").size(), 2u);

  // The receipt proves the delivery's ledger entry against a signed tree head.
  auto receipt = h.Call("GET", "/api/v1/deliveries/" + open.id + "/receipt", plain.token);
  ASSERT_EQ(receipt.status, 200) << receipt.body;
  const auto body = receiver.RequestsTo("/hook/" + plain.id).back().body;
  const auto program_key = h.program->keys().signing.public_key;
  auto checked = VerifyReceipt(receipt.json, program_key, body);
  ASSERT_TRUE(checked) << checked.error().message;
  EXPECT_EQ(checked->delivery, open.id);
  EXPECT_FALSE(VerifyReceipt(receipt.json, program_key, body + " "));
  EXPECT_EQ(h.Call("GET", "/api/v1/deliveries/" + open.id + "/receipt", sealed.token).status, 404);
}

TEST_F(PushTest, WebhookUrlsAreValidatedAndRotationChangesTheSecret) {
  for (const char* bad : {"ftp://example.org/hook", "https://user:pw@example.org/hook",
                          "https://example.org/hook#frag", "https:///nohost", "http://a b/"}) {
    auto set = outbox().SetWebhook(h.admin, plain.id, bad);
    ASSERT_FALSE(set) << bad;
    EXPECT_EQ(set.error().code, ErrorCode::kInvalidArgument) << bad;
  }
  auto analyst = h.registry->Authenticate(h.OperatorToken(Role::kAnalyst));
  ASSERT_TRUE(analyst);
  EXPECT_EQ(outbox().SetWebhook(*analyst, plain.id, receiver.Url("/x")).error().code,
            ErrorCode::kPermissionDenied);

  auto rotated = outbox().RotateWebhookSecret(h.admin, plain.id);
  ASSERT_TRUE(rotated) << rotated.error().message;
  EXPECT_EQ(rotated->generation, 1);
  EXPECT_NE(rotated->secret, secrets[plain.id]);
  OpenEarlyWave();
  Run();
  const auto request = receiver.RequestsTo("/hook/" + plain.id).at(0);
  EXPECT_TRUE(VerifyWebhookSignature(rotated->secret, request.timestamp, request.signature,
                                     request.body, h.clock.Now()));
  EXPECT_FALSE(VerifyWebhookSignature(secrets[plain.id], request.timestamp, request.signature,
                                      request.body, h.clock.Now()));

  // Removing the webhook cancels what is pending for it.
  ASSERT_TRUE(outbox().RemoveWebhook(h.admin, sealed.id));
  EXPECT_EQ(h.LedgerEvents("webhook.removed").size(), 1u);
}

TEST_F(PushTest, RoutesAnswerBadInputWithClearErrorsAndChangeNothing) {
  OpenEarlyWave();
  const size_t ledger_before = h.LedgerSize();
  const std::vector<std::pair<std::string, std::string>> bad_queries = {
      {"/api/v1/deliveries?state=lost", "unknown delivery state"},
      {"/api/v1/deliveries?limit=0", "limit"},
      {"/api/v1/deliveries?limit=abc", "limit"},
      {"/api/v1/deliveries?unacknowledged=maybe", "true or false"},
      {"/api/v1/deliveries?colour=red", "colour"}};
  for (const auto& [target, message] : bad_queries) {
    auto answer = h.Call("GET", target, h.admin_token);
    EXPECT_EQ(answer.status, 400) << target;
    EXPECT_NE(answer.json["error"]["message"].get<std::string>().find(message), std::string::npos)
        << target << ": " << answer.body;
  }
  const std::string hook = "/api/v1/partners/" + plain.id + "/webhook";
  for (const std::string& body :
       {std::string("{\"url\": 5}"), std::string("{}"),
        std::string("{\"url\":\"https://x.example\",\"extra\":1}"), std::string("not json"),
        std::string("{\"url\":\"ftp://x.example\"}")}) {
    auto answer = h.Call("PUT", hook, h.admin_token, body);
    EXPECT_EQ(answer.status, 400) << body << ": " << answer.body;
    EXPECT_TRUE(answer.json["error"]["message"].is_string()) << body;
  }
  const auto queued = Only(plain);
  EXPECT_EQ(h.Call("POST", "/api/v1/deliveries/" + queued.id + "/retry", h.admin_token,
                   std::string("{\"now\":true}"))
                .status,
            400);
  EXPECT_EQ(h.Call("GET", "/api/v1/deliveries/dlv_missing", h.admin_token).status, 404);
  EXPECT_EQ(h.Call("POST", "/api/v1/partners/prt_missing/webhook/rotate", h.admin_token).status,
            404);
  EXPECT_EQ(h.Call("PUT", hook, plain.token, json{{"url", "https://x.example/"}}).status, 403);
  EXPECT_EQ(h.Call("GET", "/api/v1/deliveries", "").status, 401);
  // Nothing was written: same ledger, same webhook, same queue.
  EXPECT_EQ(h.LedgerSize(), ledger_before);
  EXPECT_EQ(Only(plain).state, DeliveryState::kPending);
  Run();
  EXPECT_EQ(receiver.RequestsTo("/hook/" + plain.id).size(), 1u);
}

TEST_F(PushTest, PartnersCanPullTheSamePackageOverTheApi) {
  // Embargoed: the same 404 as an unknown advisory.
  auto early = h.Call("GET", "/api/v1/advisories/" + advisory + "/package", sealed.token);
  EXPECT_EQ(early.status, 404);
  const auto unknown =
      h.Call("GET", "/api/v1/advisories/adv_0000000000000000/package", sealed.token);
  EXPECT_EQ(early.json["error"]["message"], "advisory " + advisory + " not found");
  EXPECT_EQ(unknown.json["error"]["message"], "advisory adv_0000000000000000 not found");
  OpenEarlyWave();
  AcceptTerms(sealed);
  auto pulled = h.Call("GET", "/api/v1/advisories/" + advisory + "/package", sealed.token);
  ASSERT_EQ(pulled.status, 200) << pulled.body;
  auto opened = VerifyPackage(pulled.body, h.program->keys().signing.public_key, &box);
  ASSERT_TRUE(opened) << opened.error().message;
  EXPECT_TRUE(opened->was_sealed);
  EXPECT_TRUE(opened->payload["delivery"].is_null());
  ASSERT_EQ(opened->payload["contents"].size(), 1u);
  const auto fetched = h.LedgerEvents("package.fetched");
  ASSERT_EQ(fetched.size(), 1u);
  EXPECT_EQ(fetched[0]["payload_sha256"], crypto::Hex(crypto::Sha256(pulled.body)));
  // Operators have no partner view.
  EXPECT_EQ(h.Call("GET", "/api/v1/advisories/" + advisory + "/package", h.admin_token).status,
            403);
}

}  // namespace
}  // namespace forewarn::delivery
