#pragma once
// Re-INVITEs within a dialog (RFC 3261 §14): at most one INVITE transaction at a time in
// either direction. A request that would overlap is refused — 491 for glare (both sides
// re-INVITE at once, §14.2) or 500 with Retry-After for a second incoming INVITE (§14.2) —
// and a UAC whose re-INVITE got 491 retries after the §14.1 delay. Pure.

#include <chrono>
#include <cstdint>
#include <optional>

namespace cohort::sip::dialog {

class ReInvites {
 public:
  /// What to answer an incoming re-INVITE (or UPDATE carrying an offer, RFC 3311 §5.2).
  struct Refusal {
    int status = 0;                            ///< 491 or 500
    std::optional<std::uint32_t> retry_after;  ///< seconds, with 500 (§14.2: 0–10 s)
  };

  /// Whether we may send a re-INVITE now (§14.1: not while one is in progress in either
  /// direction).
  bool can_send() const { return !outgoing_ && !incoming_; }
  void sent() { outgoing_ = true; }
  /// The final response to our re-INVITE arrived (its ACK is ours to send at once).
  void outgoing_done() { outgoing_ = false; }

  /// An incoming re-INVITE: nullopt when it may proceed (it is then in progress until
  /// incoming_done()), else what to answer. `random` (any value) picks the Retry-After.
  std::optional<Refusal> on_incoming(std::uint32_t random);
  /// We answered the incoming re-INVITE finally and its ACK came (or a non-2xx was sent).
  void incoming_done() { incoming_ = false; }

  bool outgoing() const { return outgoing_; }
  bool incoming() const { return incoming_; }

 private:
  bool outgoing_ = false;
  bool incoming_ = false;
};

/// §14.1: how long a UAC waits after a 491 before it tries its re-INVITE again: 2.1–4 s
/// (in 10 ms units) when it generated the dialog's Call-ID, 0–2 s otherwise. `random` is any
/// value: the caller's randomness, kept out of this pure code.
std::chrono::milliseconds glare_retry_delay(bool owns_call_id, std::uint32_t random);

}  // namespace cohort::sip::dialog
