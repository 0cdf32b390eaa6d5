#pragma once
// Cohort as a UA registering with its providers (RFC 3261 §10.2): for every trunk with
// `register` on, a REGISTER with the trunk's credentials, refreshed before the granted
// expiry, retried with backoff (5 s … 5 min) after a failure, answered once per challenge
// (401/407), dropped when the trunk goes. This class decides what to send; the SIP server
// sends it through a client transaction and hands the final response (or the failure) back.
//
// Threading: every method from any thread; one mutex guards the registrations (held for a
// map operation, never across I/O).

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "model/snapshot.hpp"
#include "net/route.hpp"
#include "pbx/resolver.hpp"
#include "sip/message.hpp"
#include "sip/txn/table.hpp"

namespace cohort::pbx {

/// Where a trunk's registration stands (GET /trunks/{id} → status.state).
enum class TrunkRegistrationState : std::uint8_t { kDisabled, kRegistering, kRegistered, kFailed };
std::string_view to_string(TrunkRegistrationState s);

/// A trunk's registration with its provider.
struct TrunkStatus {
  TrunkRegistrationState state = TrunkRegistrationState::kDisabled;
  int last_status = 0;
  std::string last_reason;
  std::int64_t expires_at = 0;
  std::int64_t updated_at = 0;
  int active_calls = 0;
};

/// What the server needs to send a REGISTER: the request, where, on which shard.
struct RegisterSend {
  model::TrunkId trunk = 0;
  sip::Message request;  ///< the value as built (never serialized and parsed again)
  net::Outbound route;
  std::size_t shard = 0;
};

class TrunkRegistrations {
 public:
  using Steady = std::chrono::steady_clock;
  /// How the requests name us and which shard a Call-ID belongs to (set by the server).
  struct Addressing {
    std::function<std::string(net::Protocol)> via_address;
    std::function<net::Endpoint(net::Protocol)> local_endpoint;
    std::function<std::string(std::size_t shard)> mint_branch;
    std::function<std::size_t(std::string_view call_id)> shard_of;
    std::function<std::int64_t()> now_s;  ///< wall clock, unix seconds
  };

  TrunkRegistrations(Resolver& resolver, Addressing addressing, std::string user_agent);

  /// About once a second: starts, refreshes, retries or drops registrations as `snapshot`
  /// and the clock say; returns the REGISTERs to send.
  std::vector<RegisterSend> tick(const model::Snapshot& snapshot, Steady::time_point now);
  /// The server started the transaction of a REGISTER of `trunk` (txn 0: it could not).
  void sent(model::TrunkId trunk, sip::txn::TxnId txn, Steady::time_point now);
  /// The final response of transaction `txn`; a REGISTER answering a challenge to send, if
  /// any.
  std::optional<RegisterSend> on_response(model::TrunkId trunk, sip::txn::TxnId txn,
                                          const sip::Message& response, Steady::time_point now);
  /// Transaction `txn` timed out or could not be sent.
  void on_failure(model::TrunkId trunk, sip::txn::TxnId txn, int status, std::string_view reason,
                  Steady::time_point now);

  /// The registration part of `trunk`'s status (active_calls left 0).
  TrunkStatus status(const model::Trunk& trunk) const;

 private:
  struct Registration {
    model::Trunk config;
    TrunkRegistrationState state = TrunkRegistrationState::kRegistering;
    int last_status = 0;
    std::string last_reason;
    std::int64_t expires_at = 0;
    std::int64_t updated_at = 0;
    std::string call_id;
    std::string from_tag;
    std::uint32_t cseq = 0;
    Steady::time_point next_attempt{};
    std::chrono::seconds backoff{0};
    sip::txn::TxnId txn = 0;  ///< in flight; ~0 while the server starts it
    std::size_t shard = 0;
    bool challenged = false;  ///< the REGISTER in flight answers a challenge
  };

  sip::Message request(Registration& r, const std::string& authorization, sip::HeaderId auth);
  /// Where requests to trunk `t` at `address` go.
  net::Outbound route_to(const model::Trunk& t, const std::string& address) const;
  void failed(Registration& r, int status, std::string_view reason, Steady::time_point now);

  Resolver& resolver_;
  Addressing addressing_;
  std::string user_agent_;
  mutable std::mutex mu_;
  std::unordered_map<model::TrunkId, Registration> regs_;
};

}  // namespace cohort::pbx
