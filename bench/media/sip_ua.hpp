// media_load's minimal SIP user agents over UDP: a UAC that places calls (INVITE with an SDP
// offer, digest MD5 on a 401/407, ACK, BYE, retransmissions) and answers the server's
// requests, a UAS that answers every INVITE 200 (the trunk side of the relay benchmark),
// and the little SIP and SDP parsing they need.
#pragma once

#include <netinet/in.h>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "options.hpp"

namespace media_bench {

struct SipMessage {
  bool request = false;
  int status = 0;
  std::string method, uri, reason;
  std::vector<std::pair<std::string, std::string>> headers;  // lower-case names
  std::string body;
  std::string header(std::string_view name) const {
    for (auto& [k, v] : headers) {
      if (k == name)
        return v;
    }
    return {};
  }
  std::vector<std::string> all(std::string_view name) const {
    std::vector<std::string> r;
    for (auto& [k, v] : headers) {
      if (k == name)
        r.push_back(v);
    }
    return r;
  }
};

std::optional<SipMessage> parse_sip(std::string_view text);

// name="value" or name=value within a header value
std::string param(const std::string& header, const std::string& name);

// The URI of a name-addr (<…>) or addr-spec.
std::string uri_of(const std::string& name_addr);

// The audio address of an SDP: c= (session or media level) and the m=audio port.
std::optional<sockaddr_in> sdp_audio(const std::string& sdp);

// A PCMU + telephone-event offer or answer for ip:port.
std::string make_sdp(const std::string& ip, int port, std::uint64_t id);

enum class CallState { kIdle, kInviting, kUp, kByeSent, kDone, kFailed };

struct Call {
  int index = 0;
  CallState state = CallState::kIdle;
  std::string call_id, from_tag, to_tag, branch, to_uri, from_user, contact_uri;
  std::string auth;  // Authorization header once challenged
  int cseq = 1;
  std::int64_t sent_at = 0, retrans_at = 0, interval = 0;
  int tries = 0;
  std::string last_request;
  std::int64_t up_at = 0;  // realtime
  int failed_status = 0;
  bool remote_bye = false;
};

struct SipStats {
  int up = 0, failed = 0, bye_ok = 0, remote_bye = 0, retrans = 0, challenged = 0;
  std::map<int, int> statuses;
};

class SipUac {
 public:
  using OnUp = std::function<void(Call&, const std::string& sdp_answer)>;

  SipUac(const Options& o, int fd, std::string local_ip, int local_port);

  // Call c: dials `number` as `from_user`; the offer's media is (media_ip, media_port).
  void invite(Call& c, const std::string& from_user, const std::string& number,
              const std::string& media_ip, int media_port);
  void send_invite(Call& c);
  void bye(Call& c);
  // Resends what has not been answered (RFC 3261 timer A/E, doubled up to 4 s).
  void tick();
  // Handles a datagram; `on_up(call, sdp answer)` when a call is answered.
  void handle(const SipMessage& m, const sockaddr_in& src, const OnUp& on_up);
  bool pending() const;

  SipStats stats;

 private:
  std::string via(const Call& c) const;
  std::string from(const Call& c) const;
  void send(const std::string& msg);
  void arm(Call& c, const std::string& msg);
  void send_ack(Call& c, int n, const std::string& to_tag, const std::string& ruri,
                const std::string& branch);
  void challenge(Call& c, const SipMessage& m);
  void answer_request(const SipMessage& m, const sockaddr_in& src, Call* c);

  const Options& o_;
  int fd_;
  std::string local_ip_;
  int local_port_;
  sockaddr_in server_;
  std::mt19937_64 rng_;
  std::string sdp_;
  std::map<std::string, Call*> by_id_;
};

// The trunk side of the relay: answers every INVITE 200 with the callees' RTP address, and
// reports the server's relay address for the call (by the dialled number's last digits).
class SipUas {
 public:
  // on_offer(call index, the server's address for the callee's media)
  using OnOffer = std::function<void(int, const sockaddr_in&)>;

  SipUas(int fd, std::string ip, int port, int rtp_port);

  void handle(const SipMessage& m, const sockaddr_in& src, const OnOffer& on_offer);
  void tick();  // the 2xx until its ACK (RFC 3261 §13.3.1.4)
  int invites = 0, byes = 0;

 private:
  struct Dialog {
    std::string tag, ok;
    int index = 0;
    bool acked = false;
    sockaddr_in src{};
    std::int64_t retrans_at = 0;
  };
  void reply(const SipMessage& m, const sockaddr_in& src, int code, const char* reason,
             const std::string& tag, const std::string& extra, const std::string& body);

  int fd_;
  std::string ip_;
  int port_, rtp_port_;
  std::mt19937_64 rng_;
  std::map<std::string, Dialog> dialogs_;
  std::string reply_text_;
};

// Reads SIP datagrams from the given sockets for up to `ms`, handing each to `fn(fd, msg, src)`.
void pump(const std::vector<int>& fds, int ms,
          const std::function<void(int, const SipMessage&, const sockaddr_in&)>& fn);

}  // namespace media_bench
