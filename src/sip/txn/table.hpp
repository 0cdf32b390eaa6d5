#pragma once
// The transactions of one shard, found by RFC 3261 §17.1.3 (client) and §17.2.3 (server)
// keys. The table creates server transactions for new requests, routes retransmissions,
// ACKs and responses to their transaction, detects merged requests (§8.2.2.2), and forgets
// a transaction as soon as it reports Terminated. Not thread-safe: one table per shard,
// used only on that shard's thread.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "sip/message.hpp"
#include "sip/txn/key_index.hpp"
#include "sip/txn/transaction.hpp"
#include "sip/txn/types.hpp"

namespace cohort::sip::txn {

// TxnId (sip/txn/key_index.hpp) names a transaction in its table; never reused, so a late
// timer of a forgotten transaction finds nothing. 0 is never a valid id.

/// What the table made of a message from the transport.
enum class Disposition : std::uint8_t {
  /// A new server transaction was created; its actions deliver the request to the TU.
  kNew,
  /// The message belongs to an existing transaction (a retransmission, the ACK of a non-2xx
  /// final response, a response to a client transaction); the actions say what to do.
  kMatched,
  /// §8.2.2.2: a request without To tag whose From tag, Call-ID and CSeq equal those of an
  /// ongoing server transaction, arrived by another path. A server transaction was created
  /// for it, but the request is not delivered: answer 482 (Loop Detected) through `id`.
  kMerged,
  /// No transaction: an ACK for a 2xx (it is its own transaction, §17) or a response
  /// without a client transaction (e.g. a 2xx retransmission after the INVITE client
  /// transaction ended, §17.1.1.2). Pass it to the TU core / dialog layer.
  kUnmatched,
};
std::string_view to_string(Disposition d);

struct Dispatch {
  Disposition disposition = Disposition::kUnmatched;
  TxnId id = 0;  ///< 0 for kUnmatched
  Actions actions;
};

struct Started {
  TxnId id = 0;
  Actions actions;
};

class TransactionTable {
 public:
  explicit TransactionTable(TimerConfig config = {}) : config_(config) {}

  /// A request from the transport (§17.2.3). `reliable`: it came over TCP/TLS. `top_via`:
  /// its top Via stamped by the transport (received/rport), used for the 100 Trying.
  Dispatch on_request(const sip::Message& request, bool reliable, TimePoint now,
                      std::string_view top_via = {});
  /// A response from the transport (§17.1.3).
  Dispatch on_response(const sip::Message& response, TimePoint now);

  /// Starts a client transaction for `request` (as sent; its top Via carries a branch from
  /// make_branch). Precondition: not an ACK (an ACK for 2xx has no transaction, the one for
  /// non-2xx is sent by the INVITE client transaction) and its branch is not in use.
  Started start_client(const sip::Message& request, bool reliable, TimePoint now);

  /// The TU sends a response through server transaction `id`; nothing for an unknown id.
  Actions respond(TxnId id, int status, std::string bytes, TimePoint now);
  /// A timer that a StartTimer of transaction `id` asked for fired.
  Actions on_timer(TxnId id, TimerFired fired, TimePoint now);
  /// The transport failed to send for transaction `id`.
  Actions on_transport_error(TxnId id, TimePoint now);

  /// §9.2: the INVITE server transaction that CANCEL `cancel` targets, if it is still here.
  std::optional<TxnId> find_cancel_target(const sip::Message& cancel) const;

  /// The transaction, or nullptr when `id` is unknown or has ended.
  const Transaction* find(TxnId id) const;
  std::size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    Transaction txn;
    std::string key;        // in server_keys_ or client_keys_
    std::string merge_key;  // in merge_keys_, may be empty
    bool rfc2543_invite = false;
    std::string response_to_tag;  // RFC 2543 INVITE: the To tag of the final response
  };

  Actions feed(TxnId id, const Event& event, TimePoint now);
  /// Removes `id` when its machine has terminated.
  void reap(TxnId id);
  /// `key`: server_key(request).
  std::optional<TxnId> match_server(const sip::Message& request, const std::string& key) const;
  // The key indexes view the keys their entries own (entries are nodes: they never move),
  // so filing a transaction copies no key.

  TimerConfig config_;
  TxnId last_id_ = 0;
  std::unordered_map<TxnId, Entry> entries_;
  KeyIndex server_keys_;
  KeyIndex client_keys_;
  KeyIndex merge_keys_;
};

}  // namespace cohort::sip::txn
