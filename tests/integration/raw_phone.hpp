#pragma once
// A phone played by hand for the media tests (issue 13): SIP over a raw UDP socket
// (tests/support/sip_client.hpp) and RTP/RTCP over a socket pair of its own, so that a test
// sees every byte Cohort sends and can send exactly the packets it needs — an RTCP report
// with a known SSRC and CNAME, RTP from an address its SDP does not name (NAT), an answer
// without audio. Everything is on loopback and every wait is bounded. The RTP and RTCP
// helpers are written here from RFC 3550, independently of src/media, so that a fault there
// cannot hide itself in the test.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <regex>
#include <set>
#include <span>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "sip/headers.hpp"
#include "sip_peers.hpp"
#include "support/sip_client.hpp"

namespace cohort::testing {

// ---- UDP ------------------------------------------------------------------------------------

/// One UDP socket bound to `ip`:`port` (0: any free port).
class UdpSocket {
 public:
  explicit UdpSocket(std::uint16_t port = 0, const std::string& ip = "127.0.0.1") : ip_(ip) {
    fd_ = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    ::inet_pton(AF_INET, ip.c_str(), &a.sin_addr);
    a.sin_port = htons(port);
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
      close();
      return;
    }
    socklen_t len = sizeof(a);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
  }
  /// No socket (ok() is false).
  struct None {};
  explicit UdpSocket(None) {}
  ~UdpSocket() { close(); }
  UdpSocket(UdpSocket&& o) noexcept : fd_(o.fd_), port_(o.port_), ip_(std::move(o.ip_)) {
    o.fd_ = -1;
  }
  UdpSocket& operator=(UdpSocket&& o) noexcept {
    std::swap(fd_, o.fd_);
    std::swap(port_, o.port_);
    std::swap(ip_, o.ip_);
    return *this;
  }
  UdpSocket(const UdpSocket&) = delete;
  UdpSocket& operator=(const UdpSocket&) = delete;

  bool ok() const { return fd_ >= 0; }
  std::uint16_t port() const { return port_; }
  const std::string& ip() const { return ip_; }

  bool send_to(const std::string& ip, std::uint16_t port, std::span<const std::uint8_t> bytes) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    ::inet_pton(AF_INET, ip.c_str(), &a.sin_addr);
    a.sin_port = htons(port);
    return ::sendto(fd_, bytes.data(), bytes.size(), 0, reinterpret_cast<sockaddr*>(&a),
                    sizeof(a)) == static_cast<ssize_t>(bytes.size());
  }

  struct Datagram {
    std::vector<std::uint8_t> bytes;
    std::string ip;
    std::uint16_t port = 0;
  };
  /// The next datagram, or nullopt after `timeout`.
  std::optional<Datagram> receive(std::chrono::milliseconds timeout) {
    pollfd p{fd_, POLLIN, 0};
    if (fd_ < 0 || ::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) {
      return std::nullopt;
    }
    Datagram d;
    d.bytes.resize(4096);
    sockaddr_in from{};
    socklen_t len = sizeof(from);
    const ssize_t n = ::recvfrom(fd_, d.bytes.data(), d.bytes.size(), 0,
                                 reinterpret_cast<sockaddr*>(&from), &len);
    if (n < 0) {
      return std::nullopt;
    }
    d.bytes.resize(static_cast<std::size_t>(n));
    char text[INET_ADDRSTRLEN] = {};
    ::inet_ntop(AF_INET, &from.sin_addr, text, sizeof(text));
    d.ip = text;
    d.port = ntohs(from.sin_port);
    return d;
  }
  /// Everything that arrives within `window` (for counting a stream).
  std::vector<Datagram> drain(std::chrono::milliseconds window) {
    std::vector<Datagram> out;
    const auto end = std::chrono::steady_clock::now() + window;
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          end - std::chrono::steady_clock::now());
      if (left.count() <= 0) {
        return out;
      }
      if (auto d = receive(left)) {
        out.push_back(std::move(*d));
      }
    }
  }

 private:
  void close() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
    fd_ = -1;
  }
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::string ip_;
};

/// An RTP socket on an even port and its RTCP socket on the next (RFC 3550 §11).
struct RtpPair {
  UdpSocket rtp;
  UdpSocket rtcp;
};
inline RtpPair rtp_pair(const std::string& ip = "127.0.0.1") {
  for (int attempt = 0; attempt < 200; ++attempt) {
    const std::uint16_t p = UdpSocket(0, ip).port() & ~1u;  // a free port, released
    if (p < 1024 || p > 65000) {
      continue;
    }
    UdpSocket rtp(p, ip);
    UdpSocket rtcp(static_cast<std::uint16_t>(p + 1), ip);
    if (rtp.ok() && rtcp.ok()) {
      return RtpPair{std::move(rtp), std::move(rtcp)};
    }
  }
  return RtpPair{UdpSocket(UdpSocket::None{}), UdpSocket(UdpSocket::None{})};
}

/// The local UDP ports process `pid` holds open now: the socket inodes among its file
/// descriptors (/proc/PID/fd), looked up in its network namespace's UDP tables
/// (/proc/PID/net/udp, udp6). Only that process's sockets count, so another program taking
/// a port of the same range (an ephemeral port of a test running beside) is not mistaken
/// for one the server kept open.
inline std::set<std::uint16_t> udp_ports_of(pid_t pid) {
  const std::string base = "/proc/" + std::to_string(pid);
  std::set<std::string> inodes;
  std::error_code ec;
  for (const auto& fd : std::filesystem::directory_iterator(base + "/fd", ec)) {
    std::error_code link_ec;
    const std::string target = std::filesystem::read_symlink(fd.path(), link_ec).string();
    if (!link_ec && target.rfind("socket:[", 0) == 0 && target.back() == ']') {
      inodes.insert(target.substr(8, target.size() - 9));
    }
  }
  std::set<std::uint16_t> ports;
  for (const char* table : {"/net/udp", "/net/udp6"}) {
    std::ifstream in(base + table);
    std::string line;
    std::getline(in, line);  // the header
    while (std::getline(in, line)) {
      // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
      std::istringstream fields(line);
      std::string sl, local, remote, st, queues, timer, retr, uid, timeout, inode;
      fields >> sl >> local >> remote >> st >> queues >> timer >> retr >> uid >> timeout >> inode;
      const std::size_t colon = local.rfind(':');
      if (colon != std::string::npos && inodes.contains(inode)) {
        ports.insert(static_cast<std::uint16_t>(std::stoul(local.substr(colon + 1), nullptr, 16)));
      }
    }
  }
  return ports;
}
/// Polls until process `pid` no longer holds UDP `port`, for up to `timeout` (a media leg
/// closes on its media thread).
inline bool wait_port_released(pid_t pid, std::uint16_t port, std::chrono::milliseconds timeout) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (udp_ports_of(pid).contains(port)) {
    if (std::chrono::steady_clock::now() >= end) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

// ---- RTP and RTCP (RFC 3550), written here independently of src/media --------------------

inline void put16(std::vector<std::uint8_t>& out, std::uint32_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v));
}
inline void put32(std::vector<std::uint8_t>& out, std::uint32_t v) {
  put16(out, v >> 16);
  put16(out, v & 0xFFFF);
}
inline std::uint32_t get16(std::span<const std::uint8_t> b, std::size_t at) {
  return at + 2 <= b.size() ? (std::uint32_t{b[at]} << 8) | b[at + 1] : 0;
}
inline std::uint32_t get32(std::span<const std::uint8_t> b, std::size_t at) {
  return (get16(b, at) << 16) | get16(b, at + 2);
}

struct RtpPacket {
  std::uint8_t payload_type = 0;
  bool marker = false;
  std::uint16_t sequence = 0;
  std::uint32_t timestamp = 0;
  std::uint32_t ssrc = 0;
  std::vector<std::uint8_t> payload;
};

/// RFC 3550 §5.1, no CSRC, no extension.
inline std::vector<std::uint8_t> build_rtp_packet(const RtpPacket& p) {
  std::vector<std::uint8_t> out;
  out.push_back(0x80);
  out.push_back(static_cast<std::uint8_t>((p.marker ? 0x80 : 0) | (p.payload_type & 0x7F)));
  put16(out, p.sequence);
  put32(out, p.timestamp);
  put32(out, p.ssrc);
  out.insert(out.end(), p.payload.begin(), p.payload.end());
  return out;
}

/// An RTP packet (version 2, payload type not an RTCP one), nullopt otherwise.
inline std::optional<RtpPacket> parse_rtp_packet(std::span<const std::uint8_t> b) {
  if (b.size() < 12 || (b[0] >> 6) != 2) {
    return std::nullopt;
  }
  const std::size_t cc = b[0] & 0x0F;
  std::size_t at = 12 + 4 * cc;
  if ((b[0] & 0x10) != 0) {
    if (b.size() < at + 4) {
      return std::nullopt;
    }
    at += 4 + 4 * get16(b, at + 2);
  }
  std::size_t end = b.size();
  if ((b[0] & 0x20) != 0 && end > at) {
    end -= b[end - 1];
  }
  if (at > end) {
    return std::nullopt;
  }
  RtpPacket p;
  p.marker = (b[1] & 0x80) != 0;
  p.payload_type = b[1] & 0x7F;
  if (p.payload_type >= 72 && p.payload_type <= 76) {
    return std::nullopt;  // RTCP (RFC 5761 §4)
  }
  p.sequence = static_cast<std::uint16_t>(get16(b, 2));
  p.timestamp = get32(b, 4);
  p.ssrc = get32(b, 8);
  p.payload.assign(b.begin() + static_cast<std::ptrdiff_t>(at),
                   b.begin() + static_cast<std::ptrdiff_t>(end));
  return p;
}

/// A compound RTCP packet of a sender report (with one report block about `reported`, when
/// non-zero) and an SDES with our CNAME and NAME (RFC 3550 §6.4.1, §6.5).
struct SenderReport {
  std::uint32_t ssrc = 0;
  std::uint64_t ntp = 0;
  std::uint32_t rtp_timestamp = 0;
  std::uint32_t packets = 0;
  std::uint32_t octets = 0;
  std::uint32_t reported = 0;  ///< the SSRC of a report block; 0 = none
  std::string cname;
  std::string name;
};
inline std::vector<std::uint8_t> build_sender_report(const SenderReport& r) {
  std::vector<std::uint8_t> out;
  const int blocks = r.reported != 0 ? 1 : 0;
  out.push_back(static_cast<std::uint8_t>(0x80 | blocks));
  out.push_back(200);
  put16(out, static_cast<std::uint32_t>(6 + 6 * blocks));  // length in words minus one
  put32(out, r.ssrc);
  put32(out, static_cast<std::uint32_t>(r.ntp >> 32));
  put32(out, static_cast<std::uint32_t>(r.ntp));
  put32(out, r.rtp_timestamp);
  put32(out, r.packets);
  put32(out, r.octets);
  if (blocks != 0) {
    put32(out, r.reported);
    put32(out, 0);       // fraction lost, cumulative lost
    put32(out, 0x1234);  // extended highest sequence
    put32(out, 7);       // jitter
    put32(out, 0);       // LSR
    put32(out, 0);       // DLSR
  }
  // SDES: one chunk, CNAME (1) and NAME (2), a null item, padded to 32 bits.
  std::vector<std::uint8_t> chunk;
  put32(chunk, r.ssrc);
  for (auto [type, text] : {std::pair{1, r.cname}, std::pair{2, r.name}}) {
    if (!text.empty()) {
      chunk.push_back(static_cast<std::uint8_t>(type));
      chunk.push_back(static_cast<std::uint8_t>(text.size()));
      chunk.insert(chunk.end(), text.begin(), text.end());
    }
  }
  chunk.push_back(0);
  while (chunk.size() % 4 != 0) {
    chunk.push_back(0);
  }
  out.push_back(0x81);
  out.push_back(202);
  put16(out, static_cast<std::uint32_t>(chunk.size() / 4));
  out.insert(out.end(), chunk.begin(), chunk.end());
  return out;
}

/// What a test reads from a compound RTCP packet.
struct RtcpSeen {
  std::vector<int> types;                ///< packet types in order (200 SR, 201 RR, 202 SDES …)
  std::vector<std::uint32_t> ssrc;       ///< the sender SSRC of each SR/RR/BYE, each SDES chunk
  std::vector<std::uint32_t> reported;   ///< the SSRC of every report block
  std::optional<std::uint64_t> ntp;      ///< the first SR's NTP timestamp
  std::optional<std::uint32_t> packets;  ///< the first SR's packet count
  std::vector<std::string> cnames;
  std::vector<std::string> other_items;  ///< SDES items other than CNAME, as "type:text"
  bool valid = false;                    ///< every packet's header and length were right
};
inline RtcpSeen parse_rtcp_compound(std::span<const std::uint8_t> b) {
  RtcpSeen out;
  std::size_t at = 0;
  while (at + 4 <= b.size()) {
    if ((b[at] >> 6) != 2) {
      return out;
    }
    const int count = b[at] & 0x1F;
    const int type = b[at + 1];
    const std::size_t len = 4 * (get16(b, at + 2) + 1);
    if (at + len > b.size()) {
      return out;
    }
    const std::span<const std::uint8_t> p = b.subspan(at, len);
    out.types.push_back(type);
    if (type == 200 || type == 201) {
      out.ssrc.push_back(get32(p, 4));
      std::size_t blocks = type == 200 ? 28 : 8;
      if (type == 200 && !out.ntp) {
        out.ntp = (std::uint64_t{get32(p, 8)} << 32) | get32(p, 12);
        out.packets = get32(p, 20);
      }
      for (int i = 0; i < count && blocks + 24 <= p.size(); ++i, blocks += 24) {
        out.reported.push_back(get32(p, blocks));
      }
    } else if (type == 203) {
      for (int i = 0; i < count; ++i) {
        out.ssrc.push_back(get32(p, 4 + 4 * static_cast<std::size_t>(i)));
      }
    } else if (type == 202) {
      std::size_t c = 4;
      for (int i = 0; i < count && c + 4 <= p.size(); ++i) {
        out.ssrc.push_back(get32(p, c));
        c += 4;
        while (c < p.size() && p[c] != 0) {
          const int item = p[c];
          const std::size_t n = c + 1 < p.size() ? p[c + 1] : 0;
          const std::string text(
              p.begin() + static_cast<std::ptrdiff_t>(c + 2),
              p.begin() + static_cast<std::ptrdiff_t>(std::min(c + 2 + n, p.size())));
          (item == 1 ? out.cnames : out.other_items)
              .push_back(item == 1 ? text : std::to_string(item) + ":" + text);
          c += 2 + n;
        }
        c = (c / 4 + 1) * 4;  // the null item(s) up to the next 32-bit boundary
      }
    }
    at += len;
  }
  out.valid = at == b.size() && !out.types.empty();
  return out;
}

/// Whether the 32-bit value `v` appears anywhere in `bytes` (network order).
inline bool contains_u32(std::span<const std::uint8_t> bytes, std::uint32_t v) {
  for (std::size_t i = 0; i + 4 <= bytes.size(); ++i) {
    if (get32(bytes, i) == v) {
      return true;
    }
  }
  return false;
}

// ---- WAV --------------------------------------------------------------------------------------

/// A mono 16-bit PCM WAV of `pcm` at `rate` (for uploads: a greeting).
inline std::string mono_wav(const std::vector<std::int16_t>& pcm, std::uint32_t rate) {
  std::string out;
  const auto le = [&out](std::uint32_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) {
      out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
    }
  };
  out += "RIFF";
  le(static_cast<std::uint32_t>(36 + 2 * pcm.size()), 4);
  out += "WAVEfmt ";
  le(16, 4);
  le(1, 2);  // PCM
  le(1, 2);  // mono
  le(rate, 4);
  le(rate * 2, 4);
  le(2, 2);
  le(16, 2);
  out += "data";
  le(static_cast<std::uint32_t>(2 * pcm.size()), 4);
  for (std::int16_t s : pcm) {
    le(static_cast<std::uint16_t>(s), 2);
  }
  return out;
}

/// The raw HTTP PUT of a WAV to `path` (greetings take audio/wav bodies, not JSON).
inline std::string wav_put(const std::string& path, const std::string& wav,
                           const std::string& token) {
  return "PUT " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" +
         "Authorization: Bearer " + token +
         "\r\nContent-Type: audio/wav\r\nContent-Length: " + std::to_string(wav.size()) +
         "\r\n\r\n" + wav;
}

// ---- SDP -------------------------------------------------------------------------------------

/// An audio offer or answer of PCMU (and telephone-event) at `ip`:`port`, with `extra` lines.
inline std::string audio_sdp(const std::string& ip, std::uint16_t port,
                             const std::string& extra = {}, const std::string& origin = "phone") {
  return "v=0\r\no=" + origin + " 1 1 IN IP4 " + ip + "\r\ns=-\r\nc=IN IP4 " + ip +
         "\r\nt=0 0\r\nm=audio " + std::to_string(port) +
         " RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n" + extra +
         "a=sendrecv\r\n";
}
/// The c= address and the first m=audio port of an SDP body; port 0 when there is none.
struct SdpAudio {
  std::string ip;
  std::uint16_t port = 0;
};
inline SdpAudio sdp_audio(std::string_view sdp) {
  SdpAudio out;
  const std::string s(sdp);
  std::smatch m;
  if (std::regex_search(s, m, std::regex("c=IN IP4 ([0-9.]+)"))) {
    out.ip = m[1];
  }
  if (std::regex_search(s, m, std::regex("m=audio ([0-9]+) "))) {
    out.port = static_cast<std::uint16_t>(std::stoi(m[1]));
  }
  return out;
}

// ---- SIP ------------------------------------------------------------------------------------

/// A phone over a raw UDP socket: registers (digest, demo password), calls and answers.
/// One call at a time as a caller; as a callee it answers whatever INVITEs it is given.
class RawPhone {
 public:
  RawPhone(std::string ext, std::uint16_t server_port, const std::string& ip = "127.0.0.1")
      : ext_(std::move(ext)), client_(SipTransport::kUdp, ip, server_port) {}

  SipClient& client() { return client_; }
  const std::string& ext() const { return ext_; }
  std::uint16_t sip_port() const { return client_.local_port(); }

  /// REGISTER for 300 s with Contact <sip:EXT@`contact_hostport`> (default: the socket's own
  /// address; another host plays a phone behind NAT); true on 200.
  bool register_contact(const std::string& contact_hostport = {}) {
    SipUac uac(client_, ext_);
    SipRequest r;
    r.contact = contact_hostport.empty() ? client_.contact(ext_)
                                         : "<sip:" + ext_ + "@" + contact_hostport + ">";
    r.expires = "300";
    auto ok = uac.request_with_auth(r, DigestUser{ext_, "demo-" + ext_}, 3s);
    return ok && ok->status() == 200;
  }

  // ---- as the caller ----

  /// INVITE `number` with `sdp`, answering the 401 (authenticated as EXT when `auth`; a
  /// trunk's call is not challenged). Returns once the request that counts has been sent.
  bool invite(const std::string& number, const std::string& sdp, bool auth = true) {
    call_id_ = random_token(16);
    from_tag_ = random_token(8);
    to_tag_.clear();
    remote_target_.clear();
    uri_ = "sip:" + number + "@127.0.0.1:" + std::to_string(client_.server_port());
    to_ = "<sip:" + number + "@127.0.0.1>";
    from_ = "<sip:" + ext_ + "@127.0.0.1>;tag=" + from_tag_;
    cseq_ = 1;
    sdp_ = sdp;
    if (!send_invite({})) {
      return false;
    }
    if (!auth) {
      return true;
    }
    auto challenge = next([&](const sip::Message& m) { return is_response_to(m, "INVITE"); }, 3s);
    if (!challenge || challenge->status() != 401) {
      return false;
    }
    send_raw(
        request_text("ACK", uri_, invite_via_, to_ + tagged(challenge->to_tag()), cseq_, {}, {}));
    auto authorization =
        authorization_for(*challenge, DigestUser{ext_, "demo-" + ext_}, "INVITE", uri_);
    if (!authorization) {
      return false;
    }
    ++cseq_;
    return send_invite("Authorization: " + *authorization + "\r\n");
  }
  /// The next response to our INVITE (provisional or final) within `timeout`.
  std::optional<sip::Message> invite_response(std::chrono::milliseconds timeout = 5s) {
    return next(
        [&](const sip::Message& m) {
          return is_response_to(m, "INVITE") && m.cseq() == cseq_ && m.status() > 100;
        },
        timeout);
  }
  /// The final response to our INVITE; provisional ones are kept in `provisional`.
  std::optional<sip::Message> invite_final(std::chrono::milliseconds timeout,
                                           std::vector<sip::Message>* provisional = nullptr) {
    const auto end = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          end - std::chrono::steady_clock::now());
      if (left.count() <= 0) {
        return std::nullopt;
      }
      auto m = invite_response(left);
      if (!m) {
        return std::nullopt;
      }
      if (m->status() >= 200) {
        return m;
      }
      if (provisional != nullptr) {
        provisional->push_back(std::move(*m));
      }
    }
  }
  /// ACK of a 2xx to our INVITE (RFC 3261 §13.2.2.4); remembers the dialog. `sdp`: the
  /// answer to an offer the 2xx made (our INVITE had none: a late offer).
  void ack(const sip::Message& ok, const std::string& sdp = {}) {
    to_tag_ = std::string(ok.to_tag());
    auto contact = sip::parse_contacts(ok);
    remote_target_ = contact && !contact->contacts.empty()
                         ? std::string(contact->contacts.front().uri_text)
                         : uri_;
    send_raw(
        request_text("ACK", remote_target_, client_.via(), to_ + tagged(to_tag_), cseq_, {}, sdp));
  }
  /// ACK of a non-2xx final response (same transaction, RFC 3261 §17.1.1.3).
  void ack_failure(const sip::Message& failure) {
    send_raw(request_text("ACK", uri_, invite_via_, to_ + tagged(failure.to_tag()), cseq_, {}, {}));
  }
  /// BYE in our call; the status of its final response (0: none within `timeout`).
  int bye(std::chrono::milliseconds timeout = 3s) {
    const std::uint32_t cseq = cseq_ + 1;
    send_raw(
        request_text("BYE", remote_target_, client_.via(), to_ + tagged(to_tag_), cseq, {}, {}));
    auto r = next(
        [&](const sip::Message& m) {
          return !m.is_request() && m.call_id() == call_id_ && m.cseq() == cseq &&
                 m.status() >= 200;
        },
        timeout);
    return r ? r->status() : 0;
  }
  const std::string& call_id() const { return call_id_; }

  // ---- as the callee ----

  /// The next request with `method` (an INVITE to answer, a BYE …) within `timeout`.
  std::optional<sip::Message> next_request(std::string_view method,
                                           std::chrono::milliseconds timeout = 5s) {
    return next([&](const sip::Message& m) { return m.is_request() && m.method_token() == method; },
                timeout);
  }
  /// A response to `req`: our To tag for its dialog (one per Call-ID), our Contact.
  void reply(const sip::Message& req, int status, const std::string& reason,
             const std::string& body = {}) {
    std::string tag(req.to_tag());
    if (tag.empty() && status > 100) {
      auto [it, fresh] = tags_.try_emplace(std::string(req.call_id()), random_token(8));
      tag = it->second;
    }
    std::string out = "SIP/2.0 " + std::to_string(status) + " " + reason + "\r\n";
    for (std::string_view via : req.header_values(sip::HeaderId::kVia)) {
      out += "Via: " + std::string(via) + "\r\n";
    }
    out += "From: " + std::string(req.header(sip::HeaderId::kFrom).value_or("")) + "\r\n";
    const std::string to(req.header(sip::HeaderId::kTo).value_or(""));
    out += "To: " + to + (req.to_tag().empty() && !tag.empty() ? ";tag=" + tag : "") + "\r\n";
    out += "Call-ID: " + std::string(req.call_id()) + "\r\n";
    out += "CSeq: " + std::string(req.header(sip::HeaderId::kCSeq).value_or("")) + "\r\n";
    out += "Contact: " + client_.contact(ext_) + "\r\n";
    if (!body.empty()) {
      out += "Content-Type: application/sdp\r\n";
    }
    out += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    send_raw(out);
  }
  /// Answers every BYE and OPTIONS that came or comes within `window` with 200; how many
  /// BYEs there were.
  int answer_byes(std::chrono::milliseconds window) {
    int byes = 0;
    const auto end = std::chrono::steady_clock::now() + window;
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          end - std::chrono::steady_clock::now());
      if (left.count() <= 0) {
        return byes;
      }
      auto m = next(
          [](const sip::Message& x) {
            return x.is_request() &&
                   (x.method() == sip::Method::kBye || x.method() == sip::Method::kOptions);
          },
          left);
      if (m) {
        byes += m->method() == sip::Method::kBye ? 1 : 0;
        reply(*m, 200, "OK");
      }
    }
  }

  /// The first lines of the messages received and not yet taken (for failure messages),
  /// after reading what is waiting on the socket.
  std::string pending() {
    while (auto m = client_.receive(std::chrono::milliseconds(0))) {
      kept_.push_back(std::move(*m));
    }
    std::string out = "[" + ext_ + " has " + std::to_string(kept_.size()) + " unread, " +
                      std::to_string(client_.unparseable()) + " unparseable]";
    for (const sip::Message& m : kept_) {
      out += "\n  " + std::string(m.bytes().substr(0, m.bytes().find('\r')));
    }
    return out;
  }

  /// The next message within `timeout` for which `pred` holds; the others are kept for later
  /// calls, in order.
  std::optional<sip::Message> next(const std::function<bool(const sip::Message&)>& pred,
                                   std::chrono::milliseconds timeout) {
    for (auto it = kept_.begin(); it != kept_.end(); ++it) {
      if (pred(*it)) {
        sip::Message m = std::move(*it);
        kept_.erase(it);
        return m;
      }
    }
    const auto end = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          end - std::chrono::steady_clock::now());
      if (left.count() <= 0) {
        return std::nullopt;
      }
      auto m = client_.receive(left);
      if (!m) {
        continue;
      }
      if (pred(*m)) {
        return m;
      }
      kept_.push_back(std::move(*m));
    }
  }

 private:
  bool is_response_to(const sip::Message& m, std::string_view method) const {
    return !m.is_request() && m.call_id() == call_id_ && m.cseq_method_token() == method;
  }
  static std::string tagged(std::string_view tag) {
    return tag.empty() ? std::string() : ";tag=" + std::string(tag);
  }
  bool send_invite(const std::string& extra) {
    invite_via_ = client_.via();
    return send_raw(request_text("INVITE", uri_, invite_via_, to_, cseq_,
                                 "Contact: " + client_.contact(ext_) + "\r\n" + extra, sdp_));
  }
  std::string request_text(const std::string& method, const std::string& uri,
                           const std::string& via, const std::string& to, std::uint32_t cseq,
                           const std::string& extra, const std::string& body) const {
    std::string out = method + " " + uri + " SIP/2.0\r\nVia: " + via +
                      "\r\nMax-Forwards: 70\r\nFrom: " + from_ + "\r\nTo: " + to +
                      "\r\nCall-ID: " + call_id_ + "\r\nCSeq: " + std::to_string(cseq) + " " +
                      method + "\r\n" + extra;
    if (!body.empty()) {
      out += "Content-Type: application/sdp\r\n";
    }
    out += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    return out;
  }
  bool send_raw(const std::string& bytes) { return client_.send_raw(bytes); }

  std::string ext_;
  SipClient client_;
  std::deque<sip::Message> kept_;
  std::map<std::string, std::string> tags_;  ///< Call-ID → our To tag (as a callee)
  // The call we place.
  std::string call_id_, from_tag_, to_tag_, uri_, to_, from_, sdp_, invite_via_, remote_target_;
  std::uint32_t cseq_ = 1;
};

}  // namespace cohort::testing
