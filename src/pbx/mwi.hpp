#pragma once
// Message-waiting indication (issue 13): RFC 3842 `message-summary` over RFC 6665
// subscriptions, and unsolicited NOTIFYs to the registered phones of users who do not
// subscribe. A user subscribes to its own AOR and learns the counts of its own mailbox
// (docs/sip.md "Message-waiting indication").
//
// Threading: a subscription lives on the shard its Call-ID hashes to (its SUBSCRIBEs arrive
// there and the responses to its NOTIFYs come back there); the table is under one mutex held
// only to read or change it, never across a send. mailbox_changed() is called from any
// thread (the voicemail writer, the API) and posts the NOTIFYs to their shards.

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "model/entities.hpp"
#include "net/endpoint.hpp"
#include "pbx/calls.hpp"
#include "pbx/mailboxes.hpp"
#include "sip/dialog/dialog.hpp"
#include "sip/message.hpp"
#include "sip/txn/types.hpp"

namespace cohort::pbx {

/// The event package of RFC 3842 and its body's media type.
inline constexpr std::string_view kMessageSummary = "message-summary";
inline constexpr std::string_view kSimpleMessageSummary = "application/simple-message-summary";

/// An Event header value (RFC 6665 §8.4: `event-type *( SEMI event-param )`, event-type
/// `event-package *( "." event-template )`, event-param `generic-param / ( "id" EQUAL token )`).
struct EventHeader {
  std::string package;  ///< the event-type, templates included ("message-summary")
  std::string id;       ///< the id parameter, empty when absent
};
/// nullopt when `value` does not match the grammar.
std::optional<EventHeader> parse_event(std::string_view value);

/// The RFC 3842 §5.2 body: "Messages-Waiting", "Message-Account", "Voice-Message" with the
/// new (unheard) and old (heard) counts; urgent counts are always 0 (no urgent messages).
std::string message_summary_body(const MailboxSummary& s, std::string_view account);

struct MwiOptions {
  std::string aor_host;     ///< the host of our AORs (the domain, else the realm)
  bool unsolicited = true;  ///< `[sip] mwi_unsolicited`
  int min_expires = 60;     ///< a shorter subscription is lengthened to this
  int max_expires = 3600;   ///< a longer one is shortened (RFC 3842 §4: the default)
  std::string user_agent;
};

class Mwi {
 public:
  /// What MWI needs from the SIP server around it.
  struct Hooks {
    /// Runs `fn` on shard `shard`'s thread (posted).
    std::function<void(std::size_t shard, std::function<void(sip::txn::TimePoint)> fn)> post;
    /// Sends `request` through a new client transaction on shard `shard` (its thread).
    std::function<sip::txn::TxnId(std::size_t shard, sip::Message request,
                                  const net::Outbound& route, sip::txn::TimePoint now)>
        start_client;
    std::function<std::string(net::Protocol)> via_address;
    std::function<std::string(std::size_t shard)> mint_branch;
    std::function<std::string(std::size_t shard)> mint_call_id;
    std::function<std::size_t(std::string_view call_id)> shard_of;
    std::function<std::vector<CallTarget>(model::UserId)> targets_of;
    std::function<MailboxSummary(model::UserId)> summary_of;
    std::function<std::string(model::UserId)> extension_of;  ///< "" for an unknown user
    std::function<std::int64_t()> now_s;
  };

  Mwi(MwiOptions options, Hooks hooks);

  /// An out-of-dialog SUBSCRIBE from `user` (authenticated) on shard `shard`, received from
  /// `route` (where its responses go): the status and the response to send. A 200 starts a
  /// subscription whose first NOTIFY is posted to follow the response.
  std::pair<int, std::string> subscribe(std::size_t shard, const sip::Message& req,
                                        std::string_view top_via, const model::User& user,
                                        const net::Outbound& route);
  /// A SUBSCRIBE inside a dialog (a refresh, or Expires 0 to end it): the response.
  std::pair<int, std::string> resubscribe(std::size_t shard, const sip::Message& req,
                                          std::string_view top_via);
  /// A final response to, or the failure of, one of our NOTIFYs: true when it was one.
  bool on_response(std::size_t shard, sip::txn::TxnId txn, int status, sip::txn::TimePoint now);

  /// The summary of `box` changed: NOTIFY its user's subscribers, else (unsolicited) its
  /// registered phones. Group mailboxes light no lamp. Any thread.
  void mailbox_changed(const store::MailboxKey& box, const MailboxSummary& s);
  /// Ends expired subscriptions with a last NOTIFY (`terminated;reason=timeout`). Shard 0's
  /// sweep.
  void sweep();

  std::size_t subscriptions() const;

 private:
  struct Subscription {
    sip::dialog::Dialog dialog;
    model::UserId user = 0;
    std::string extension;
    std::string event_id;
    net::Outbound route;
    std::size_t shard = 0;
    std::int64_t expires_at = 0;  ///< unix seconds
    bool pending = false;         ///< a NOTIFY awaits its final response
    bool dirty = false;           ///< the state changed meanwhile: NOTIFY again after it
    bool terminated = false;      ///< the last NOTIFY (terminated) is on its way
  };
  using Key = std::pair<std::string, std::string>;  ///< Call-ID, our tag

  /// Sends the subscription's current state now (its shard's thread), unless one is pending.
  void notify(std::size_t shard, const Key& key, sip::txn::TimePoint now);
  /// Shard 0's thread: a NOTIFY outside any dialog to each registered phone of `user`.
  void notify_unsolicited(model::UserId user, const MailboxSummary& s, sip::txn::TimePoint now);
  std::string account_of(std::string_view extension) const;
  std::string ok(const sip::Message& req, std::string_view top_via, std::string_view tag,
                 int expires) const;

  MwiOptions opts_;
  Hooks hooks_;
  mutable std::mutex mu_;
  std::map<Key, Subscription> subs_;
  /// Our NOTIFYs awaiting a final response: (shard, transaction) → subscription (none for
  /// an unsolicited NOTIFY).
  std::map<std::pair<std::size_t, sip::txn::TxnId>, std::optional<Key>> sent_;
};

}  // namespace cohort::pbx
