#pragma once
// The registrar's decisions (RFC 3261 §10.3), kept pure: the current bindings of one
// address-of-record and a parsed REGISTER go in; the new bindings, the changes to persist
// and the Contact values of the 200 OK come out, or an error status. The shell
// (registrar.cpp) authenticates, authorises the AOR (§10.3 steps 1–5), persists the
// changes atomically (all or none, step 7's last paragraph → 500 on a store failure) and
// answers. Extensions: RFC 5626 §6 instance-id/reg-id flows, RFC 3327 Path.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/expected.hpp"
#include "model/ids.hpp"
#include "sip/headers.hpp"

namespace cohort::pbx {

/// One registered contact of an address-of-record.
struct Binding {
  model::UserId user = 0;
  std::string aor;            ///< canonical address-of-record ("sip:100@pbx.example.com")
  std::string contact;        ///< the contact URI text, without <> and header parameters
  std::string instance_id;    ///< +sip.instance value without quotes ("<urn:uuid:…>"), or empty
  std::optional<int> reg_id;  ///< RFC 5626 reg-id; only kept together with instance_id
  int q = 1000;               ///< RFC 3261 §20.10 q-value × 1000 (0…1000); 1000 when absent
  std::string call_id;
  std::uint32_t cseq = 0;
  std::int64_t expires_at = 0;  ///< unix seconds; the binding is gone at this instant
  std::string source;           ///< "ip:port" the REGISTER came from
  std::string transport;        ///< "udp", "tcp", …
  std::string local;            ///< the local socket "ip:port" it arrived on
  std::string user_agent;
  std::vector<std::string> path;  ///< RFC 3327 Path values, in received order
  std::int64_t updated_at = 0;    ///< unix seconds of the last REGISTER that touched it
  bool operator==(const Binding&) const = default;
};

struct RegistrarLimits {
  std::int64_t default_expires = 3600;  ///< when neither the contact nor the request says
  std::int64_t min_expires = 60;        ///< shorter non-zero requests get 423 (§10.3 step 7)
  std::int64_t max_expires = 7200;      ///< longer requests are shortened to this
  std::size_t max_contacts = 10;        ///< bindings per AOR
  /// What a REGISTER that would exceed max_contacts does. kEvictOldest (the default) drops
  /// the least recently refreshed bindings the request did not touch — a phone that
  /// restarted with a new port or Call-ID must not be locked out by its own stale
  /// bindings (as Asterisk's remove_existing). kReject answers 403. Either way a single
  /// REGISTER listing more than max_contacts new contacts gets 403.
  enum class OnFull : std::uint8_t { kEvictOldest, kReject };
  OnFull on_full = OnFull::kEvictOldest;
};

/// The parts of an authenticated REGISTER the registrar needs. Views must outlive the call
/// of apply_register (they normally point into the sip::Message).
struct RegisterRequest {
  model::UserId user = 0;
  std::string_view aor;
  sip::ContactList contacts;                ///< sip::parse_contacts(message)
  std::optional<std::string_view> expires;  ///< raw Expires header value, if any
  std::string_view call_id;
  std::uint32_t cseq = 0;
  std::string_view source;
  std::string_view transport;
  std::string_view local;
  std::string_view user_agent;
  std::vector<std::string_view> path;  ///< every Path value, in order (RFC 3327 §5.3)
};

enum class ChangeKind : std::uint8_t { kAdded, kUpdated, kRemoved };

struct BindingChange {
  ChangeKind kind = ChangeKind::kAdded;
  Binding binding;                  ///< the new state; for kRemoved the binding as it was
  std::optional<Binding> previous;  ///< kUpdated: the binding before (its contact may differ)
  bool operator==(const BindingChange&) const = default;
};

struct RegisterSuccess {
  std::vector<Binding> bindings;       ///< every live binding of the AOR afterwards
  std::vector<BindingChange> changes;  ///< to persist: removals, then updates, then additions
  /// One Contact header value per binding for the 200 OK (§10.3 step 8), e.g.
  /// `<sip:100@192.0.2.4:5062>;expires=3599;q=0.5`.
  std::vector<std::string> contacts;
};

struct RegisterError {
  int status = 400;
  std::string reason;            ///< the reason phrase to send
  std::int64_t min_expires = 0;  ///< for 423: the Min-Expires header value
  bool operator==(const RegisterError&) const = default;
};

/// Applies a REGISTER for `req.aor` to `current` (the bindings of that AOR; expired ones
/// are dropped and reported as kRemoved changes) at unix time `now`:
/// - no Contact: a fetch, the current bindings come back unchanged (§10.2.3);
/// - `*`: removes every binding; 400 unless it is the only Contact and Expires is 0
///   (§10.3 step 6);
/// - otherwise each contact's expiry is its `expires` param, else the Expires header, else
///   default_expires; malformed values count as 3600 (§20.10, §20.19); 0 removes, more than
///   max_expires is shortened, 1…min_expires-1 gets 423 with Min-Expires (step 7);
/// - a contact with +sip.instance and reg-id matches the binding with the same pair
///   whatever its URI (RFC 5626 §6); others match by URI equivalence (§19.1.4) among
///   bindings without reg-id;
/// - a matched binding with the same Call-ID and a CSeq not lower than the request's aborts
///   the whole request with 500 "Out of order" (steps 6 and 7);
/// - bad q, reg-id or a tel: contact → 400; over max_contacts → see RegistrarLimits.
/// Nothing is changed on error. Pure; thread-safe.
Expected<RegisterSuccess, RegisterError> apply_register(const std::vector<Binding>& current,
                                                        const RegisterRequest& req,
                                                        const RegistrarLimits& limits,
                                                        std::int64_t now);

struct ExpireResult {
  std::vector<Binding> kept;     ///< expires_at > now, in order
  std::vector<Binding> expired;  ///< expires_at <= now, in order
};
/// Splits bindings into live and expired at `now` (the periodic sweep).
ExpireResult expire(const std::vector<Binding>& current, std::int64_t now);

/// RFC 3261 §25.1 qvalue ("0", "0.5", "0.125", "1", "1.000") as thousandths; nullopt when
/// malformed or above 1.
std::optional<int> parse_q(std::string_view text);
/// Thousandths as the shortest qvalue text ("0.5", "1", "0").
std::string format_q(int q);
/// The Contact value of `b` in a 200 OK at `now`: `<uri>;expires=N`, then `;q=` when not 1,
/// then `;+sip.instance="…";reg-id=N` when present (RFC 5626 §6 echo).
std::string contact_value(const Binding& b, std::int64_t now);

}  // namespace cohort::pbx
