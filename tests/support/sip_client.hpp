#pragma once
// A small raw SIP client for integration tests: one UDP socket or one TCP connection bound
// to a chosen loopback address (127.0.0.2 … act as other hosts) and port 0, talking to the
// server on 127.0.0.1. Every receive is bounded by a timeout. Requests are built with
// sip::MessageBuilder; digest answers are computed with sip::digest (MD5 or SHA-256).

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sip/digest.hpp"
#include "sip/message.hpp"

namespace cohort::testing {

using namespace std::chrono_literals;

enum class SipTransport { kUdp, kTcp };

std::string_view to_string(SipTransport t);

class SipClient {
 public:
  /// Binds `local_ip`:0 (and, for TCP, connects to `server_ip`:`server_port`).
  SipClient(SipTransport transport, std::string local_ip, std::uint16_t server_port,
            std::string server_ip = "127.0.0.1");
  ~SipClient();
  SipClient(const SipClient&) = delete;
  SipClient& operator=(const SipClient&) = delete;

  /// Whether the socket is bound (and connected, for TCP).
  bool ok() const { return fd_ >= 0; }
  /// What failed (socket, bind, connect, send), with errno text.
  const std::string& error() const { return error_; }
  SipTransport transport() const { return transport_; }
  const std::string& local_ip() const { return local_ip_; }
  std::uint16_t local_port() const { return local_port_; }
  const std::string& server_ip() const { return server_ip_; }
  std::uint16_t server_port() const { return server_port_; }

  /// Sends `bytes` as one datagram (UDP) or on the connection (TCP); false on failure (the
  /// errno is in last_errno(), e.g. EMSGSIZE for an oversize datagram, EPIPE after close).
  bool send_raw(std::string_view bytes);
  int last_errno() const { return last_errno_; }

  /// The next message from the server: one datagram (UDP) or one frame cut by
  /// sip::frame_length (TCP). nullopt on timeout or when the connection was closed; bytes
  /// that cannot be framed are returned as they are (the caller's parse then fails).
  std::optional<std::string> receive_raw(std::chrono::milliseconds timeout);
  /// receive_raw() parsed; nullopt on timeout, close or a message that does not parse
  /// (counted in unparseable()).
  std::optional<sip::Message> receive(std::chrono::milliseconds timeout);
  int unparseable() const { return unparseable_; }

  /// TCP: the bytes not yet framed plus the first chunk that arrives within `timeout`, as they
  /// are (keep-alive pongs included); "" on timeout. UDP: one datagram.
  std::string read_bytes(std::chrono::milliseconds timeout);
  /// TCP: waits up to `timeout` for the server to close the connection (discarding what it
  /// sends meanwhile into `received` when given). Always false for UDP.
  bool wait_closed(std::chrono::milliseconds timeout, std::string* received = nullptr);
  bool closed() const { return closed_; }

  /// "SIP/2.0/UDP 127.0.0.2:40000;branch=z9hG4bK…;rport" with a fresh branch.
  std::string via() const;
  /// "<sip:USER@LOCAL_IP:LOCAL_PORT;transport=udp>".
  std::string contact(std::string_view user) const;
  /// "sip:127.0.0.1:PORT" or "sip:USER@127.0.0.1:PORT".
  std::string server_uri(std::string_view user = {}) const;

 private:
  SipTransport transport_;
  std::string local_ip_;
  std::string server_ip_;
  std::uint16_t server_port_ = 0;
  std::uint16_t local_port_ = 0;
  int fd_ = -1;
  int last_errno_ = 0;
  int unparseable_ = 0;
  bool closed_ = false;
  std::string error_;
  std::string stream_;  ///< TCP bytes not yet framed
};

/// A random token of `n` hex digits (tags, branches, cnonces, Call-IDs).
std::string random_token(std::size_t n = 16);

/// One auth challenge (WWW-Authenticate value) as a client reads it: the scheme and the
/// auth-params, names lower-cased, quoted values unquoted. Parsed here, independently of the
/// server's own parser, so that a malformed challenge fails the test.
struct DigestChallenge {
  std::string scheme;
  std::vector<std::pair<std::string, std::string>> params;
  std::vector<std::string> quoted;  ///< names of the params whose value was quoted
  std::optional<std::string> param(std::string_view name) const;
};
std::optional<DigestChallenge> parse_challenge(std::string_view value);
/// Every WWW-Authenticate value of `response`, in order (raw headers: values contain commas).
std::vector<std::string> www_authenticate_values(const sip::Message& response);

struct DigestUser {
  std::string username;
  std::string password;
  sip::digest::Algorithm algorithm = sip::digest::Algorithm::kMd5;
};

/// The Authorization value answering the challenge of `user.algorithm` in `response` (a 401)
/// for a request `method` `uri`: qop=auth, nc, a fresh cnonce, the opaque when given.
/// nullopt when `response` offers no digest challenge for that algorithm.
std::optional<std::string> authorization_for(const sip::Message& response, const DigestUser& user,
                                             std::string_view method, std::string_view uri,
                                             std::uint32_t nc = 1);

/// What a test request carries besides the dialog identifiers.
struct SipRequest {
  std::string method = "REGISTER";  ///< any token; unknown ones are built by hand
  std::string uri;                  ///< empty: the server (sip:127.0.0.1:PORT)
  std::string to_user;              ///< To: <sip:to_user@127.0.0.1>; empty: From's user
  std::optional<std::string> contact;
  std::optional<std::string> expires;
  std::vector<std::pair<std::string, std::string>> headers;  ///< extra, in order
  std::string body;
  std::string content_type = "application/sdp";
};

/// A UAC "call": one Call-ID, From tag and CSeq counter over one SipClient. Sends a request,
/// waits for its final response (matching Call-ID and CSeq, skipping provisional responses
/// and strays), ACKs a non-2xx final response to INVITE, and can answer a 401 once.
class SipUac {
 public:
  SipUac(SipClient& client, std::string user);

  std::string& call_id() { return call_id_; }
  std::uint32_t& cseq() { return cseq_; }
  const std::string& user() const { return user_; }

  /// The wire form of `r` with the next CSeq (not sent).
  std::string build(const SipRequest& r, const std::string& authorization = {});
  /// Sends `r` with the next CSeq; the final response within `timeout`, or nullopt.
  std::optional<sip::Message> request(const SipRequest& r, const std::string& authorization = {},
                                      std::chrono::milliseconds timeout = 2s);
  /// request(); on a 401 answers its challenge for `creds` (a new CSeq, same Call-ID) and
  /// returns the final response to the authenticated request. `challenge` (when given)
  /// receives the raw 401 of the first attempt.
  std::optional<sip::Message> request_with_auth(const SipRequest& r, const DigestUser& creds,
                                                std::chrono::milliseconds timeout = 2s,
                                                std::string* challenge = nullptr);

 private:
  std::optional<sip::Message> await_final(const SipRequest& r, const std::string& via,
                                          std::chrono::milliseconds timeout);
  SipClient& client_;
  std::string user_;
  std::string call_id_;
  std::string from_tag_;
  std::uint32_t cseq_ = 0;
};

}  // namespace cohort::testing
