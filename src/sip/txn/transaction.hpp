#pragma once
// One of the four §17 machines, as a closed set (STYLE practice 11: a variant, not a class
// hierarchy).

#include <variant>

#include "sip/txn/client.hpp"
#include "sip/txn/server.hpp"
#include "sip/txn/types.hpp"

namespace cohort::sip::txn {

using Transaction = std::variant<InviteClient, NonInviteClient, InviteServer, NonInviteServer>;

/// Feeds `event` to whichever machine `t` holds.
inline Actions dispatch(Transaction& t, const Event& event, TimePoint now) {
  return std::visit([&](auto& machine) { return machine.on(event, now); }, t);
}
inline State state_of(const Transaction& t) {
  return std::visit([](const auto& machine) { return machine.state(); }, t);
}
inline bool is_server(const Transaction& t) {
  return std::holds_alternative<InviteServer>(t) || std::holds_alternative<NonInviteServer>(t);
}

}  // namespace cohort::sip::txn
