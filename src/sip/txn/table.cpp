#include "sip/txn/table.hpp"

#include <algorithm>
#include <cassert>
#include <type_traits>
#include <utility>

#include "sip/txn/key.hpp"

namespace cohort::sip::txn {

std::string_view to_string(Disposition d) {
  switch (d) {
    case Disposition::kNew:
      return "new";
    case Disposition::kMatched:
      return "matched";
    case Disposition::kMerged:
      return "merged";
    case Disposition::kUnmatched:
      return "unmatched";
  }
  return "?";
}

Dispatch TransactionTable::on_request(const sip::Message& request, bool reliable, TimePoint now,
                                      std::string_view top_via) {
  // The key is built once: to match a retransmission, then to file a new transaction.
  std::string key = server_key(request);
  if (const auto id = match_server(request, key)) {
    return {Disposition::kMatched, *id, feed(*id, Received{request}, now)};
  }
  // §17: the ACK for a 2xx is a transaction of its own that no server transaction absorbs;
  // so is any ACK that matches nothing. The TU (dialog layer) takes it.
  if (request.method() == sip::Method::kAck) {
    return {Disposition::kUnmatched, 0, {}};
  }

  // §8.2.2.2: same From tag, Call-ID and CSeq as an ongoing transaction but not matching it
  // (another branch): the request reached us twice through a forking proxy.
  std::string mkey = merge_key(request);
  const bool merged = !mkey.empty() && merge_keys_.contains(mkey);

  const TxnId id = ++last_id_;
  const bool invite = request.method() == sip::Method::kInvite;
  Entry entry{
      .txn = invite ? Transaction{InviteServer(request, reliable, config_, top_via)}
                    : Transaction{NonInviteServer(request, reliable, config_)},
      .key = std::move(key),
      .merge_key = merged ? std::string{} : std::move(mkey),
      .rfc2543_invite = invite && !is_rfc3261_branch(request.branch()),
      .response_to_tag = {},
  };
  Actions actions = std::visit([&](auto& machine) { return machine.start(now); }, entry.txn);
  const Entry& stored = entries_.emplace(id, std::move(entry)).first->second;
  server_keys_.file(stored.key, id);
  if (!stored.merge_key.empty()) {
    merge_keys_.file(stored.merge_key, id);
  }

  if (!merged) {
    return {Disposition::kNew, id, std::move(actions)};
  }
  // The TU only answers 482: it must not see the request as a new one.
  actions.erase(
      std::remove_if(actions.begin(), actions.end(),
                     [](const Action& a) { return std::holds_alternative<DeliverToTu>(a); }),
      actions.end());
  return {Disposition::kMerged, id, std::move(actions)};
}

Dispatch TransactionTable::on_response(const sip::Message& response, TimePoint now) {
  // §17.1.3: branch of the top Via + CSeq method.
  if (const auto id = client_keys_.find(client_key(response))) {
    return {Disposition::kMatched, *id, feed(*id, Received{response}, now)};
  }
  return {Disposition::kUnmatched, 0, {}};
}

Started TransactionTable::start_client(const sip::Message& request, bool reliable, TimePoint now) {
  assert(request.method() != sip::Method::kAck);
  const TxnId id = ++last_id_;
  Entry entry{
      .txn = request.method() == sip::Method::kInvite
                 ? Transaction{InviteClient(request, reliable, config_)}
                 : Transaction{NonInviteClient(request, reliable, config_)},
      .key = client_key(request),
      .merge_key = {},
      .rfc2543_invite = false,
      .response_to_tag = {},
  };
  Actions actions = std::visit([&](auto& machine) { return machine.start(now); }, entry.txn);
  // A branch collision is a bug in branch minting; the newer transaction wins the key.
  assert(!client_keys_.contains(entry.key));
  const Entry& stored = entries_.emplace(id, std::move(entry)).first->second;
  client_keys_.file(stored.key, id);
  return {id, std::move(actions)};
}

Actions TransactionTable::respond(TxnId id, int status, std::string bytes, TimePoint now) {
  const auto it = entries_.find(id);
  if (it == entries_.end()) {
    return {};
  }
  Entry& entry = it->second;
  if (entry.rfc2543_invite && status >= 300 && entry.response_to_tag.empty()) {
    // RFC 2543 ACK matching (§17.2.3) compares the ACK's To tag with the one of the
    // response the server transaction sent. Rare enough to pay for a parse.
    if (auto parsed = sip::parse(bytes)) {
      entry.response_to_tag = std::string(parsed->to_tag());
    }
  }
  Actions actions = std::visit(
      [&](auto& machine) -> Actions {
        using M = std::decay_t<decltype(machine)>;
        if constexpr (std::is_same_v<M, InviteServer> || std::is_same_v<M, NonInviteServer>) {
          return machine.respond(status, std::move(bytes), now);
        } else {
          return {};
        }
      },
      entry.txn);
  reap(id);
  return actions;
}

Actions TransactionTable::on_timer(TxnId id, TimerFired fired, TimePoint now) {
  return feed(id, fired, now);
}

Actions TransactionTable::on_transport_error(TxnId id, TimePoint now) {
  return feed(id, TransportFailed{}, now);
}

std::optional<TxnId> TransactionTable::find_cancel_target(const sip::Message& cancel) const {
  // §9.2: the CANCEL matches the INVITE's transaction by the §17.2.3 rules with the method
  // taken as INVITE.
  const auto id = server_keys_.find(server_key(cancel, sip::to_string(sip::Method::kInvite)));
  if (!id || !std::holds_alternative<InviteServer>(entries_.at(*id).txn)) {
    return std::nullopt;
  }
  return id;
}

const Transaction* TransactionTable::find(TxnId id) const {
  const auto it = entries_.find(id);
  return it == entries_.end() ? nullptr : &it->second.txn;
}

Actions TransactionTable::feed(TxnId id, const Event& event, TimePoint now) {
  const auto it = entries_.find(id);
  if (it == entries_.end()) {
    return {};
  }
  Actions actions = dispatch(it->second.txn, event, now);
  reap(id);
  return actions;
}

void TransactionTable::reap(TxnId id) {
  const auto it = entries_.find(id);
  if (it == entries_.end() || state_of(it->second.txn) != State::kTerminated) {
    return;
  }
  const Entry& entry = it->second;
  auto& keys = is_server(entry.txn) ? server_keys_ : client_keys_;
  keys.erase(entry.key, id);
  if (!entry.merge_key.empty()) {
    merge_keys_.erase(entry.merge_key, id);
  }
  entries_.erase(it);
}

std::optional<TxnId> TransactionTable::match_server(const sip::Message& request,
                                                    const std::string& key) const {
  if (const auto id = server_keys_.find(key)) {
    return id;
  }
  if (request.method() != sip::Method::kAck || is_rfc3261_branch(request.branch())) {
    return std::nullopt;
  }
  // RFC 2543 ACK for an initial INVITE (§17.2.3): the INVITE had no To tag; the ACK carries
  // the one the server put in its response, which is compared separately.
  const auto id = server_keys_.find(rfc2543_key(request, {}, sip::to_string(sip::Method::kInvite)));
  if (!id) {
    return std::nullopt;
  }
  const Entry& entry = entries_.at(*id);
  if (!entry.rfc2543_invite || entry.response_to_tag != request.to_tag()) {
    return std::nullopt;
  }
  return id;
}

}  // namespace cohort::sip::txn
