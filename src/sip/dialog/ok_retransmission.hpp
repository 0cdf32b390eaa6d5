#pragma once
// The UAS core's 2xx retransmission (RFC 3261 §13.3.1.4): the INVITE server transaction
// ends with a 2xx (RFC 6026 keeps it Accepted to absorb INVITE retransmissions), so the TU
// re-sends the 2xx itself — T1, doubling up to T2, over unreliable transports — until the
// ACK arrives, and gives up after 64*T1 (then "the dialog is confirmed and the session ends":
// the caller sends BYE). Pure: `now` in, what to do out.

#include <chrono>
#include <cstdint>
#include <optional>

namespace cohort::sip::dialog {

class OkRetransmission {
 public:
  using Duration = std::chrono::milliseconds;
  using TimePoint = std::chrono::steady_clock::time_point;

  enum class Step : std::uint8_t {
    kNothing,  ///< not yet (or acknowledged already)
    kResend,   ///< send the 2xx again
    kGiveUp,   ///< 64*T1 without ACK: end the session (§13.3.1.4)
  };

  OkRetransmission(Duration t1, Duration t2, bool reliable)
      : t1_(t1), t2_(t2), reliable_(reliable) {}

  /// The 2xx was sent for the first time at `now`.
  void start(TimePoint now);
  /// The ACK for the 2xx arrived: nothing more to do.
  void on_ack() { acked_ = true; }
  bool acked() const { return acked_; }
  bool started() const { return started_; }
  /// When on_timer() has something to do next; nullopt when done.
  std::optional<TimePoint> next() const;
  Step on_timer(TimePoint now);

 private:
  Duration t1_, t2_;
  bool reliable_ = false;
  bool started_ = false;
  bool acked_ = false;
  bool gave_up_ = false;
  Duration interval_{0};
  TimePoint next_{};
  TimePoint deadline_{};
};

}  // namespace cohort::sip::dialog
