// The Registrar (the in-memory bindings, packed in their own pool, and their writer) over an
// in-memory BindingStore: every field of a binding survives packing, acknowledgements wait
// for the commit, expiry and start-up go through the store.

#include "pbx/registrar.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "sip/headers.hpp"
#include "sip/message.hpp"

namespace cohort::pbx {
namespace {

using namespace std::chrono_literals;

constexpr std::int64_t kNow = 1'700'000'000;

/// The store: a map by key, behind a lock (the writer thread commits into it).
class MemoryBindings : public store::BindingStore {
 public:
  Result<std::vector<store::BindingRecord>> load_bindings() override {
    std::lock_guard lock(mu_);
    std::vector<store::BindingRecord> out;
    for (const auto& [k, r] : rows_) {
      out.push_back(r);
    }
    return out;
  }
  Result<void> save_bindings(const std::vector<store::BindingRecord>& put,
                             const std::vector<store::BindingKey>& removed) override {
    std::lock_guard lock(mu_);
    for (const store::BindingKey& k : removed) {
      rows_.erase(std::tuple(k.user, k.contact, k.instance_id, k.reg_id));
    }
    for (const store::BindingRecord& r : put) {
      rows_[std::tuple(r.user, r.contact, r.instance_id, r.reg_id)] = r;
    }
    ++commits_;
    return {};
  }
  std::vector<store::BindingRecord> rows() {
    auto loaded = load_bindings();
    return loaded ? *loaded : std::vector<store::BindingRecord>{};
  }
  int commits() {
    std::lock_guard lock(mu_);
    return commits_;
  }

 private:
  std::mutex mu_;
  std::map<std::tuple<model::UserId, std::string, std::string, int>, store::BindingRecord> rows_;
  int commits_ = 0;
};

struct Register {
  std::unique_ptr<sip::Message> msg;
  RegisterRequest req;
};

/// A REGISTER for user 7 with the given Contact and Path header lines.
Register make(const std::vector<std::string>& contacts, const std::vector<std::string>& path,
              std::string user_agent, std::uint32_t cseq = 1) {
  std::string text =
      "REGISTER sip:pbx.example.com SIP/2.0\r\n"
      "Via: SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bK-1\r\n"
      "From: <sip:100@pbx.example.com>;tag=f1\r\n"
      "To: <sip:100@pbx.example.com>\r\n"
      "Call-ID: a-call-id-long-enough-to-live-on-the-heap@phone.example.com\r\n"
      "CSeq: " +
      std::to_string(cseq) + " REGISTER\r\n";
  for (const std::string& c : contacts) {
    text += "Contact: " + c + "\r\n";
  }
  for (const std::string& p : path) {
    text += "Path: " + p + "\r\n";
  }
  if (!user_agent.empty()) {
    text += "User-Agent: " + user_agent + "\r\n";
  }
  text += "Content-Length: 0\r\n\r\n";
  auto parsed = sip::parse(std::move(text));
  EXPECT_TRUE(parsed) << (parsed ? "" : parsed.error().reason);
  Register r;
  r.msg = std::make_unique<sip::Message>(std::move(*parsed));
  auto list = sip::parse_contacts(*r.msg);
  EXPECT_TRUE(list) << (list ? "" : list.error().reason);
  r.req.user = 7;
  r.req.aor = "sip:100@pbx.example.com";
  r.req.contacts = std::move(*list);
  r.req.call_id = r.msg->call_id();
  r.req.cseq = r.msg->cseq();
  r.req.source = "192.0.2.10:5062";
  r.req.transport = "udp";
  r.req.local = "192.0.2.1:5060";
  r.req.user_agent = r.msg->header(sip::HeaderId::kUserAgent).value_or("");
  r.req.path = r.msg->header_values(sip::HeaderId::kPath);
  return r;
}

/// `list` ordered by contact (bindings_of orders by q, apply_register by arrival).
std::vector<Binding> by_contact(std::vector<Binding> list) {
  std::sort(list.begin(), list.end(),
            [](const Binding& a, const Binding& b) { return a.contact < b.contact; });
  return list;
}

bool eventually(const std::function<bool()>& done) {
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) {
      return false;
    }
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

class RegistrarTest : public ::testing::Test {
 protected:
  RegistrarTest() {
    model::Snapshot empty;
    model::SnapshotPatch p;
    model::User u;
    u.id = 7;
    u.name = "Ana";
    u.extension = "100";
    p.users = {{7, u}};
    snapshot_ = empty.apply(p);
  }
  /// Applies `r` and waits for its acknowledgement; the bindings the registrar reported.
  std::vector<Binding> registered(Registrar& reg, const Register& r, std::int64_t now = kNow) {
    std::atomic<int> acked{0};
    auto result = reg.apply(r.req, now, [&](const RegisterSuccess&) -> Registrar::Done {
      return [&](bool durable) { acked += durable ? 1 : 0; };
    });
    EXPECT_TRUE(result) << (result ? "" : result.error().reason);
    EXPECT_TRUE(eventually([&] { return acked.load() == 1; })) << "no acknowledgement";
    return result ? result->bindings : std::vector<Binding>{};
  }

  MemoryBindings store_;
  model::Snapshot snapshot_;
};

// Every field, including empty ones, a reg-id of 0, several Path values, a Path value with
// bytes that are not text, and long values, comes back as it went in.
TEST_F(RegistrarTest, EveryFieldSurvivesPacking) {
  Registrar reg({}, store_, "pbx.example.com");
  ASSERT_TRUE(reg.start(snapshot_, kNow));
  const std::string long_ua(3000, 'u');
  Register r = make({"<sip:100@192.0.2.10:5062;transport=udp>;q=0.3",
                     "<sip:100@198.51.100.7:5080>;+sip.instance=\"<urn:uuid:0001>\";reg-id=1;"
                     "expires=120"},
                    {"<sip:edge.example.com;lr>", "<sip:p2.example.com;lr;x=%00>"}, long_ua);
  const std::vector<Binding> expected = registered(reg, r);
  ASSERT_EQ(expected.size(), 2u);
  EXPECT_EQ(by_contact(reg.bindings_of(7, kNow + 1)), by_contact(expected));
  EXPECT_EQ(reg.count(), 2u);
  EXPECT_TRUE(reg.has_binding(7, kNow + 1));
  EXPECT_FALSE(reg.has_binding(8, kNow + 1));
  const auto listed = reg.list(std::nullopt, kNow + 1);
  ASSERT_EQ(listed.size(), 2u);
  for (const auto& [user, record] : listed) {
    EXPECT_EQ(user, 7);
    bool found = false;
    for (const Binding& b : expected) {
      found = found || Registrar::to_record(b) == record;
    }
    EXPECT_TRUE(found) << record.contact;
  }

  // No User-Agent and no Path: empty fields, not the previous ones.
  Register bare = make({"<sip:100@192.0.2.10:5062;transport=udp>"}, {}, "", 2);
  const std::vector<Binding> after = registered(reg, bare);
  EXPECT_EQ(by_contact(reg.bindings_of(7, kNow + 1)), by_contact(after));
  bool desk_seen = false;
  for (const Binding& b : reg.bindings_of(7, kNow + 1)) {
    if (b.contact == "sip:100@192.0.2.10:5062;transport=udp") {
      desk_seen = true;
      EXPECT_TRUE(b.user_agent.empty());
      EXPECT_TRUE(b.path.empty());
      EXPECT_EQ(b.cseq, 2u);
    }
  }
  EXPECT_TRUE(desk_seen);

  // What was committed is what is in memory; a new registrar loads it back.
  reg.stop();
  EXPECT_GE(store_.commits(), 2);
  Registrar again({}, store_, "pbx.example.com");
  ASSERT_TRUE(again.start(snapshot_, kNow + 1));
  EXPECT_EQ(by_contact(again.bindings_of(7, kNow + 1)), by_contact(reg.bindings_of(7, kNow + 1)));
  again.stop();
}

// Expiry reads the packed expiry: the short binding goes (memory and store), the other stays.
TEST_F(RegistrarTest, ExpireDropsOnlyWhatExpired) {
  Registrar reg({}, store_, "pbx.example.com");
  ASSERT_TRUE(reg.start(snapshot_, kNow));
  registered(reg, make({"<sip:100@192.0.2.10:5062>;expires=120", "<sip:100@192.0.2.11:5062>"}, {},
                       "Phone"));
  ASSERT_EQ(reg.count(), 2u);
  reg.expire(kNow + 119);
  EXPECT_EQ(reg.count(), 2u);
  reg.expire(kNow + 120);
  ASSERT_EQ(reg.count(), 1u);
  EXPECT_EQ(reg.bindings_of(7, kNow + 120).front().contact, "sip:100@192.0.2.11:5062");
  reg.stop();  // commits the removal nobody waited for
  const auto rows = store_.rows();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].contact, "sip:100@192.0.2.11:5062");
  reg.expire(kNow + 3600);
  EXPECT_EQ(reg.count(), 0u);
  EXPECT_FALSE(reg.has_binding(7, kNow + 3600));
}

}  // namespace
}  // namespace cohort::pbx
