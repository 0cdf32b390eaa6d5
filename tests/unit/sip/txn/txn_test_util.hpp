#pragma once
// Test helpers for the §17 machines: message builders, a one-line rendering of actions
// ("send:INVITE A=500 B=32000") that scenario tables compare against, and a harness that
// plays the shell: it remembers armed timers and fires them on a simulated clock.

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include <fmt/format.h>

#include "sip/headers.hpp"
#include "sip/message.hpp"
#include "sip/txn/transaction.hpp"
#include "sip/txn/types.hpp"

namespace cohort::sip::txn::test {

inline sip::Message parse_ok(std::string bytes) {
  auto parsed = sip::parse(bytes);
  if (!parsed) {
    ADD_FAILURE() << "does not parse (" << parsed.error().reason << "):\n" << bytes;
    std::abort();
  }
  return std::move(parsed).value();
}

/// A request as a UA would send it; every field a test may vary.
struct Req {
  sip::Method method = sip::Method::kInvite;
  std::string request_uri = "sip:bob@example.com";
  std::string branch = "z9hG4bK-client-1";  // empty: no branch parameter (RFC 2543)
  std::string sent_by = "client.example.com:5060";
  std::string transport = "UDP";
  std::string from_tag = "ft1";
  std::string to_tag;
  std::string call_id = "call-1@client.example.com";
  std::uint32_t cseq = 1;
  std::vector<std::string> routes;
  std::string timestamp;
};

inline std::string request_bytes(const Req& r) {
  sip::MessageBuilder b = sip::MessageBuilder::request(r.method, r.request_uri);
  std::string via = fmt::format("SIP/2.0/{} {}", r.transport, r.sent_by);
  if (!r.branch.empty()) {
    via += ";branch=" + r.branch;
  }
  b.header(sip::HeaderId::kVia, via);
  b.header(sip::HeaderId::kVia, "SIP/2.0/UDP proxy.example.net;branch=z9hG4bK-second");
  b.header(sip::HeaderId::kMaxForwards, "70");
  for (const std::string& route : r.routes) {
    b.header(sip::HeaderId::kRoute, route);
  }
  b.header(sip::HeaderId::kFrom, "\"Alice\" <sip:alice@example.com>;tag=" + r.from_tag);
  b.header(sip::HeaderId::kTo,
           "<sip:bob@example.com>" + (r.to_tag.empty() ? std::string{} : ";tag=" + r.to_tag));
  b.header(sip::HeaderId::kCallId, r.call_id);
  const sip::Method cseq_method = r.method;
  b.header(sip::HeaderId::kCSeq, fmt::format("{} {}", r.cseq, sip::to_string(cseq_method)));
  b.header(sip::HeaderId::kContact, "<sip:alice@client.example.com>");
  if (!r.timestamp.empty()) {
    b.header(sip::HeaderId::kTimestamp, r.timestamp);
  }
  return b.str();
}

inline sip::Message request(const Req& r) {
  return parse_ok(request_bytes(r));
}

/// A response to `req` as its UAS would send it (with To tag `to_tag` for status > 100).
inline std::string response_bytes(const sip::Message& req, int status,
                                  std::string_view to_tag = "tt1") {
  return sip::make_response(req, status, sip::default_reason(status), to_tag).str();
}

inline std::string ms(Duration d) {
  return std::to_string(d.count());
}

/// "send:INVITE" / "send:486", "A=500", "cancel:A", "deliver:req" / "deliver:180",
/// "timeout", "transport-error", "terminated"; joined by spaces.
inline std::string describe(const Actions& actions) {
  std::string out;
  for (const Action& a : actions) {
    if (!out.empty()) {
      out += ' ';
    }
    std::visit(
        [&](const auto& act) {
          using T = std::decay_t<decltype(act)>;
          if constexpr (std::is_same_v<T, Send>) {
            const std::string_view b = act.bytes;
            out += "send:";
            out += b.starts_with("SIP/2.0 ") ? b.substr(8, 3) : b.substr(0, b.find(' '));
          } else if constexpr (std::is_same_v<T, StartTimer>) {
            out += fmt::format("{}={}", to_string(act.timer), act.after.count());
          } else if constexpr (std::is_same_v<T, CancelTimer>) {
            out += fmt::format("cancel:{}", to_string(act.timer));
          } else if constexpr (std::is_same_v<T, DeliverToTu>) {
            out += act.status == 0 ? std::string("deliver:req")
                                   : fmt::format("deliver:{}", act.status);
          } else if constexpr (std::is_same_v<T, TransactionTimeout>) {
            out += "timeout";
          } else if constexpr (std::is_same_v<T, TransportError>) {
            out += "transport-error";
          } else if constexpr (std::is_same_v<T, Terminated>) {
            out += "terminated";
          }
        },
        a);
  }
  return out;
}

/// The bytes of every Send in `actions`, in order.
inline std::vector<std::string> sent(const Actions& actions) {
  std::vector<std::string> out;
  for (const Action& a : actions) {
    if (const auto* s = std::get_if<Send>(&a)) {
      out.push_back(s->bytes);
    }
  }
  return out;
}

/// Plays the shell for one machine: keeps the live StartTimer of each timer and fires it
/// at its deadline on a simulated clock.
template <class M>
class Harness {
 public:
  explicit Harness(M machine) : machine_(std::move(machine)) {}

  M& machine() { return machine_; }
  TimePoint now() const { return now_; }
  Duration elapsed() const { return std::chrono::duration_cast<Duration>(now_ - TimePoint{}); }
  const Actions& last() const { return last_; }

  std::string start() { return run(machine_.start(now_)); }
  std::string on(const Event& e) { return run(machine_.on(e, now_)); }
  std::string receive(const std::string& bytes) {
    const sip::Message m = parse_ok(bytes);
    return on(Received{m});
  }
  std::string respond(int status, std::string bytes) {
    return on(TuResponse{status, std::move(bytes)});
  }
  bool armed(TimerName t) const { return timers_.contains(t); }
  const StartTimer& timer(TimerName t) const { return timers_.at(t); }
  /// Advances the clock to the timer's deadline and fires it.
  std::string fire(TimerName t) {
    const auto it = timers_.find(t);
    if (it == timers_.end()) {
      ADD_FAILURE() << "timer " << to_string(t) << " is not armed";
      return "<not armed>";
    }
    const StartTimer st = it->second;
    timers_.erase(it);
    now_ = st.at;
    return run(machine_.on(TimerFired{t, st.generation}, now_));
  }
  /// Fires a timer with a generation the machine did not arm last (a stale expiry).
  std::string fire_stale(TimerName t, std::uint32_t generation) {
    return run(machine_.on(TimerFired{t, generation}, now_));
  }
  void advance(Duration d) { now_ += d; }

 private:
  std::string run(Actions actions) {
    for (const Action& a : actions) {
      if (const auto* st = std::get_if<StartTimer>(&a)) {
        EXPECT_EQ(st->at, now_ + st->after) << "deadline of " << to_string(st->timer);
        timers_[st->timer] = *st;
      } else if (const auto* ct = std::get_if<CancelTimer>(&a)) {
        EXPECT_TRUE(timers_.erase(ct->timer)) << "cancelled a timer not armed";
      } else if (std::holds_alternative<Terminated>(a)) {
        timers_.clear();
        EXPECT_TRUE(&a == &actions.back()) << "Terminated must be the last action";
      }
    }
    last_ = std::move(actions);
    return describe(last_);
  }

  M machine_;
  TimePoint now_{};
  std::map<TimerName, StartTimer> timers_;
  Actions last_;
};

}  // namespace cohort::sip::txn::test
