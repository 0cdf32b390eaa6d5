// The legs Cohort answers itself, over real loopback sockets (RTP ports 16200-16239): the SDP
// answer, prompts paced to the peer, symmetric RTP latching, a recording ended by an RFC 4733
// '#' with the tone and duration that was sent, SIP INFO digits, the no-RTP event, closing,
// and offers that cannot be answered.
#include "pbx/media_legs.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cmath>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <numbers>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "media/codec.hpp"
#include "media/rtp.hpp"
#include "media/telephone_event.hpp"

namespace cohort::pbx {
namespace {

using namespace std::chrono_literals;

class Udp {
 public:
  Udp() {
    fd_ = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a));
    socklen_t len = sizeof(a);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
    timeval tv{0, 200000};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  }
  ~Udp() { ::close(fd_); }
  void send_to(std::uint16_t to, std::span<const std::uint8_t> bytes) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(to);
    ::sendto(fd_, bytes.data(), bytes.size(), 0, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  }
  /// A datagram, or empty after 200 ms.
  std::vector<std::uint8_t> receive() {
    std::vector<std::uint8_t> buf(2048);
    const auto n = ::recv(fd_, buf.data(), buf.size(), 0);
    buf.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
    return buf;
  }
  std::uint16_t port = 0;

 private:
  int fd_ = -1;
};

std::string offer(std::uint16_t port, const std::string& formats = "0 101") {
  return "v=0\r\no=peer 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
         "m=audio " +
         std::to_string(port) + " RTP/AVP " + formats +
         "\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:18 G729/8000\r\n"
         "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=sendrecv\r\n";
}

std::uint16_t answered_port(const std::string& sdp) {
  std::smatch m;
  EXPECT_TRUE(std::regex_search(sdp, m, std::regex("m=audio (\\d+) RTP/AVP 0")));
  return m.empty() ? 0 : static_cast<std::uint16_t>(std::stoi(m[1]));
}

/// The events of one leg, as its handler reported them (on the media thread).
class Events {
 public:
  MediaLegs::Handler handler() {
    return [this](MediaLegs::LegId, MediaEvent e) {
      std::lock_guard lock(mu_);
      events_.push_back(std::move(e));
      cv_.notify_all();
    };
  }
  template <class T>
  std::optional<T> wait_for(std::chrono::milliseconds limit = 3000ms) {
    std::unique_lock lock(mu_);
    std::optional<T> found;
    cv_.wait_for(lock, limit, [&] {
      for (auto it = events_.begin(); it != events_.end(); ++it) {
        if (auto* t = std::get_if<T>(&*it)) {
          found = std::move(*t);
          events_.erase(it);
          return true;
        }
      }
      return false;
    });
    return found;
  }
  template <class T>
  int count() {
    std::lock_guard lock(mu_);
    int n = 0;
    for (const auto& e : events_) {
      n += std::holds_alternative<T>(e) ? 1 : 0;
    }
    return n;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<MediaEvent> events_;
};

std::vector<std::uint8_t> pcmu_tone(std::uint32_t n, double hz) {
  auto codec = media::make_codec(media::CodecId::kPcmu);
  std::vector<std::int16_t> pcm(160);
  for (std::size_t i = 0; i < pcm.size(); ++i) {
    const double t = static_cast<double>(n * 160 + i) / 8000.0;
    pcm[i] = static_cast<std::int16_t>(8000 * std::sin(2 * std::numbers::pi * hz * t));
  }
  return *codec->encode(pcm);
}

std::vector<std::uint8_t> rtp(std::uint8_t pt, std::uint16_t seq, std::uint32_t ts,
                              std::span<const std::uint8_t> payload, bool marker = false) {
  media::RtpHeader h;
  h.payload_type = pt;
  h.sequence = seq;
  h.timestamp = ts;
  h.ssrc = 0x1234;
  h.marker = marker;
  return media::build_rtp(h, payload);
}

/// Zero crossings per second of 16-bit PCM: twice the frequency of a pure tone.
double tone_hz(const std::vector<std::int16_t>& pcm, std::uint32_t rate) {
  int crossings = 0;
  for (std::size_t i = 1; i < pcm.size(); ++i) {
    crossings += (pcm[i - 1] < 0) != (pcm[i] < 0) ? 1 : 0;
  }
  return crossings / 2.0 / (static_cast<double>(pcm.size()) / rate);
}

MediaLegsOptions options(std::uint16_t lo, std::uint16_t hi,
                         std::chrono::milliseconds no_rtp = 30000ms) {
  MediaLegsOptions o;
  o.io.address = "127.0.0.1";
  o.io.port_min = lo;
  o.io.port_max = hi;
  o.no_rtp_timeout = no_rtp;
  return o;
}

TEST(MediaLegs, PlaysLatchesRecordsAndHearsDigits) {
  MediaLegs legs(options(16200, 16219));
  ASSERT_TRUE(legs.start());
  Udp advertised, actual;  // the phone says `advertised`, sends from `actual` (NAT)
  Events events;
  auto answered = legs.answer(offer(advertised.port), events.handler());
  ASSERT_TRUE(answered) << answered.error().reason;
  EXPECT_EQ(answered->codec, "PCMU");
  const std::uint16_t cohort = answered_port(answered->sdp);
  EXPECT_NE(answered->sdp.find("c=IN IP4 127.0.0.1"), std::string::npos);
  EXPECT_NE(answered->sdp.find("telephone-event/8000"), std::string::npos);
  EXPECT_EQ(legs.open_legs(), 1u);

  // Before any packet from the phone, Cohort sends to the advertised address: the beep is
  // 400 ms, 20 packets, then PlaybackDone.
  legs.play(answered->leg, {{"tone:beep", {}}});
  ASSERT_TRUE(events.wait_for<media::PlaybackDone>());
  auto codec = media::make_codec(media::CodecId::kPcmu);
  std::vector<std::int16_t> heard;
  std::optional<std::uint16_t> last_seq;
  for (int i = 0; i < 60; ++i) {
    const auto bytes = advertised.receive();
    if (bytes.empty()) {
      break;
    }
    auto p = media::parse_rtp(bytes);
    ASSERT_TRUE(p);
    EXPECT_EQ(p->header.payload_type, 0);
    if (last_seq) {
      EXPECT_EQ(p->header.sequence, static_cast<std::uint16_t>(*last_seq + 1));
    }
    last_seq = p->header.sequence;
    auto pcm = codec->decode(p->payload);
    ASSERT_TRUE(pcm);
    heard.insert(heard.end(), pcm->begin(), pcm->end());
    if (heard.size() > 8000) {
      break;
    }
  }
  // The beep (1 kHz) is in what the advertised address heard.
  std::vector<std::int16_t> loud;
  for (std::size_t i = 0; i + 160 <= heard.size(); i += 160) {
    std::vector<std::int16_t> frame(heard.begin() + i, heard.begin() + i + 160);
    if (std::abs(frame[40]) > 1000 || std::abs(frame[42]) > 1000) {
      loud.insert(loud.end(), frame.begin(), frame.end());
    }
  }
  EXPECT_GE(loud.size(), 160u * 15);
  EXPECT_NEAR(tone_hz(loud, 8000), 1000.0, 60.0);

  // The phone's first packet comes from `actual`: Cohort latches and sends there.
  legs.record(answered->leg, media::RecordOptions{.max_duration = 10000ms,
                                                  .min_duration = 500ms,
                                                  .silence_dbfs = -60,
                                                  .silence = 5000ms,
                                                  .end_digit = '#'});
  std::this_thread::sleep_for(50ms);
  std::uint16_t seq = 100;
  std::uint32_t ts = 8000;
  for (std::uint32_t n = 0; n < 50; ++n) {  // 1 s of 700 Hz
    actual.send_to(cohort, rtp(0, seq++, ts, pcmu_tone(n, 700)));
    ts += 160;
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_FALSE(actual.receive().empty()) << "Cohort did not latch on the phone's source";
  // '#' as RFC 4733: the start, then three end packets (one digit).
  for (int i = 0; i < 4; ++i) {
    media::TelephoneEvent ev{.event = 11,
                             .end = i > 0,
                             .volume = 10,
                             .duration = static_cast<std::uint16_t>(160 * (i + 1))};
    actual.send_to(cohort, rtp(101, seq++, ts, media::build_telephone_event(ev), i == 0));
    std::this_thread::sleep_for(20ms);
  }
  auto done = events.wait_for<media::RecordingDone>();
  ASSERT_TRUE(done);
  EXPECT_EQ(done->reason, media::RecordingEnd::kDigit);
  EXPECT_FALSE(done->too_short);
  EXPECT_NEAR(static_cast<double>(done->duration.count()), 1000.0, 120.0);
  EXPECT_NEAR(tone_hz(done->pcm, done->sample_rate), 700.0, 40.0);
  auto digit = events.wait_for<media::Digit>();
  ASSERT_TRUE(digit);
  EXPECT_EQ(digit->digit, '#');
  EXPECT_EQ(digit->source, media::DigitSource::kRfc4733);

  legs.sip_dtmf(answered->leg, '5');
  digit = events.wait_for<media::Digit>();
  ASSERT_TRUE(digit);
  EXPECT_EQ(digit->digit, '5');
  EXPECT_EQ(digit->source, media::DigitSource::kSipInfo);

  legs.close(answered->leg);
  EXPECT_EQ(legs.open_legs(), 0u);
  std::this_thread::sleep_for(100ms);
  while (!actual.receive().empty()) {
  }
  EXPECT_TRUE(actual.receive().empty()) << "a closed leg still sends";
  EXPECT_EQ(legs.io_stats().streams, 0u);
  legs.stop();
}

TEST(MediaLegs, APhoneThatSendsNothingIsReportedOnce) {
  MediaLegs legs(options(16220, 16229, 300ms));
  ASSERT_TRUE(legs.start());
  Udp phone;
  Events events;
  auto answered = legs.answer(offer(phone.port), events.handler());
  ASSERT_TRUE(answered);
  ASSERT_TRUE(events.wait_for<media::NoRtp>(2000ms));
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(events.count<media::NoRtp>(), 0);
}

TEST(MediaLegs, OffersThatCannotBeAnsweredAreRefused) {
  MediaLegs legs(options(16230, 16231));  // one port pair
  ASSERT_TRUE(legs.start());
  Events events;
  auto garbage = legs.answer("hello", events.handler());
  ASSERT_FALSE(garbage);
  EXPECT_EQ(garbage.error().status, 400);
  auto g729 = legs.answer(offer(4000, "18"), events.handler());
  ASSERT_FALSE(g729);
  EXPECT_EQ(g729.error().status, 488);
  EXPECT_EQ(legs.open_legs(), 0u);
  auto first = legs.answer(offer(4000), events.handler());
  ASSERT_TRUE(first);
  auto second = legs.answer(offer(4002), events.handler());  // the range is used up
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().status, 503);
}

/// The callee's answer to Cohort's relay offer: PCMU as `pt_codec`, telephone-event as `pt_te`.
std::string callee_answer(std::uint16_t port, int pt_codec, int pt_te) {
  return "v=0\r\no=callee 2 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
         "m=audio " +
         std::to_string(port) + " RTP/AVP " + std::to_string(pt_codec) + " " +
         std::to_string(pt_te) + "\r\na=rtpmap:" + std::to_string(pt_codec) +
         " PCMU/8000\r\na=rtpmap:" + std::to_string(pt_te) +
         " telephone-event/8000\r\na=sendrecv\r\n";
}

/// The first RTP packet `peer` receives with payload type `pt`, skipping others (silence the
/// session sent before the bridge); nullopt after `tries` datagrams or timeouts.
std::optional<std::vector<std::uint8_t>> receive_pt(Udp& peer, std::uint8_t pt, int tries = 40) {
  for (int i = 0; i < tries; ++i) {
    auto bytes = peer.receive();
    if (bytes.empty()) {
      continue;
    }
    auto p = media::parse_rtp(bytes);
    if (p && p->header.payload_type == pt && p->header.ssrc != 0) {
      return bytes;
    }
  }
  return std::nullopt;
}

TEST(MediaLegs, ARelayPassesRtpBothWaysUnderItsOwnIdentity) {
  MediaLegs legs(options(16232, 16239, 600ms));
  ASSERT_TRUE(legs.start());
  Udp caller, callee;
  Events caller_events, relay_events;
  auto answered = legs.answer(offer(caller.port), caller_events.handler());
  ASSERT_TRUE(answered);
  const std::uint16_t to_caller_leg = answered_port(answered->sdp);
  // The caller's stream first reaches the caller's leg (what an IVR menu hears) and latches.
  caller.send_to(to_caller_leg, rtp(0, 100, 8000, pcmu_tone(0, 440)));

  auto offered = legs.offer_relay(answered->leg, relay_events.handler());
  ASSERT_TRUE(offered) << offered.error().reason;
  // Exactly the caller's codec and payload numbers: PCMU, telephone-event 101.
  EXPECT_NE(offered->sdp.find("m=audio "), std::string::npos) << offered->sdp;
  EXPECT_NE(offered->sdp.find("RTP/AVP 0 101"), std::string::npos) << offered->sdp;
  EXPECT_EQ(offered->sdp.find("opus"), std::string::npos) << offered->sdp;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(offered->sdp, m, std::regex("m=audio (\\d+) ")));
  const auto to_relay_leg = static_cast<std::uint16_t>(std::stoi(m[1]));
  EXPECT_NE(to_relay_leg, to_caller_leg);

  // The callee answers with its own telephone-event number (96): mapped both ways.
  ASSERT_TRUE(legs.bridge(answered->leg, offered->leg, callee_answer(callee.port, 0, 96)));
  std::this_thread::sleep_for(50ms);

  // Caller → callee: the callee sees Cohort's SSRC, never the caller's 0x1234.
  for (std::uint16_t i = 1; i <= 3; ++i) {
    caller.send_to(to_caller_leg,
                   rtp(0, static_cast<std::uint16_t>(100 + i), 8000 + i * 160u, pcmu_tone(i, 440)));
  }
  auto first = receive_pt(callee, 0);
  ASSERT_TRUE(first);
  auto p1 = media::parse_rtp(*first);
  ASSERT_TRUE(p1);
  EXPECT_NE(p1->header.ssrc, 0x1234u);
  EXPECT_TRUE(p1->header.marker);  // a new timeline starts
  auto second = receive_pt(callee, 0);
  ASSERT_TRUE(second);
  auto p2 = media::parse_rtp(*second);
  EXPECT_EQ(p2->header.ssrc, p1->header.ssrc);
  EXPECT_EQ(p2->header.sequence, static_cast<std::uint16_t>(p1->header.sequence + 1));
  EXPECT_EQ(p2->header.timestamp, p1->header.timestamp + 160);

  // A DTMF event from the callee (PT 96) reaches the caller as PT 101.
  std::array<std::uint8_t, 4> event{5, 0x0a, 0x00, 0xa0};
  callee.send_to(to_relay_leg, rtp(96, 7, 1000, event));
  auto dtmf = receive_pt(caller, 101);
  ASSERT_TRUE(dtmf);
  auto pd = media::parse_rtp(*dtmf);
  EXPECT_NE(pd->header.ssrc, 0x1234u);
  EXPECT_EQ(pd->payload[0], 5);

  // The relay's peers both go quiet: each leg reports it once.
  EXPECT_TRUE(caller_events.wait_for<media::NoRtp>(2000ms));
  EXPECT_TRUE(relay_events.wait_for<media::NoRtp>(2000ms));
  legs.close(offered->leg);
  legs.close(answered->leg);
  EXPECT_EQ(legs.open_legs(), 0u);
}

TEST(MediaLegs, AnAnchoredCallPassesItsCodecsAndHidesEachSideFromTheOther) {
  MediaLegs legs(options(16240, 16249, 600ms));
  ASSERT_TRUE(legs.start());
  Udp phone, provider;
  Events phone_events, provider_events;
  // A phone's offer as real phones write it: its SSRC and CNAME (the extension at its LAN
  // address), ICE, a video stream.
  const std::string phone_offer =
      "v=0\r\no=101 7 7 IN IP4 127.0.0.1\r\ns=Talk\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
      "a=ice-ufrag:abcd\r\na=ice-pwd:secretsecretsecretsecret\r\n"
      "m=audio " +
      std::to_string(phone.port) +
      " RTP/AVP 9 0 101\r\na=rtpmap:9 G722/8000\r\na=rtpmap:0 PCMU/8000\r\n"
      "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=rtcp:" +
      std::to_string(phone.port + 1) +
      "\r\na=candidate:1 1 UDP 2130706431 192.168.1.20 7078 typ host\r\n"
      "a=ssrc:4660 cname:sip:101@192.168.1.20\r\na=sendrecv\r\n"
      "m=video 9078 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n";
  auto anchor = legs.anchor(phone_offer, phone_events.handler());
  ASSERT_TRUE(anchor) << anchor.error().reason;
  auto offered = legs.anchor_offer(*anchor, provider_events.handler());
  ASSERT_TRUE(offered) << offered.error().reason;
  const std::string& to_provider = offered->sdp;
  // Every codec as the phone offered it, in its order; nothing of the phone itself.
  EXPECT_NE(to_provider.find(" RTP/AVP 9 0 101\r\n"), std::string::npos) << to_provider;
  EXPECT_NE(to_provider.find("a=rtpmap:9 G722/8000"), std::string::npos) << to_provider;
  for (const char* leak : {"ssrc", "cname", "candidate", "ice-", "a=rtcp:", "101@", "o=101"}) {
    EXPECT_EQ(to_provider.find(leak), std::string::npos) << leak << " in\n" << to_provider;
  }
  EXPECT_NE(to_provider.find("m=video 0 RTP/AVP 96"), std::string::npos) << to_provider;
  auto parsed = sip::sdp::parse(to_provider);
  ASSERT_TRUE(parsed) << parsed.error().reason;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(to_provider, m, std::regex("m=audio (\\d+) ")));
  const auto provider_leg = static_cast<std::uint16_t>(std::stoi(m[1]));
  EXPECT_NE(provider_leg, phone.port);

  // The provider answers PCMU with telephone-event 101: the phone gets Cohort's port.
  auto to_phone = legs.pass_sdp(offered->leg, *anchor, callee_answer(provider.port, 0, 101));
  ASSERT_TRUE(to_phone) << to_phone.error().reason;
  ASSERT_TRUE(std::regex_search(*to_phone, m, std::regex("m=audio (\\d+) RTP/AVP 0 101")));
  const auto phone_leg = static_cast<std::uint16_t>(std::stoi(m[1]));
  EXPECT_NE(phone_leg, provider_leg);
  EXPECT_NE(phone_leg, provider.port);
  std::this_thread::sleep_for(50ms);

  // Phone → provider: payload numbers untouched, the SSRC Cohort's.
  for (std::uint16_t i = 1; i <= 3; ++i) {
    phone.send_to(phone_leg,
                  rtp(0, static_cast<std::uint16_t>(500 + i), 9000 + i * 160u, pcmu_tone(i, 440)));
  }
  auto first = receive_pt(provider, 0);
  ASSERT_TRUE(first);
  auto p1 = media::parse_rtp(*first);
  EXPECT_NE(p1->header.ssrc, 0x1234u);
  auto second = receive_pt(provider, 0);
  ASSERT_TRUE(second);
  EXPECT_EQ(media::parse_rtp(*second)->header.sequence,
            static_cast<std::uint16_t>(p1->header.sequence + 1));
  // Provider → phone: a DTMF event keeps its number (codecs are agreed end to end).
  std::array<std::uint8_t, 4> event{5, 0x0a, 0x00, 0xa0};
  provider.send_to(provider_leg, rtp(101, 7, 1000, event));
  auto dtmf = receive_pt(phone, 101);
  ASSERT_TRUE(dtmf);
  EXPECT_NE(media::parse_rtp(*dtmf)->header.ssrc, 0x1234u);

  // The phone holds (a re-INVITE with sendonly): the provider gets it through the relay, with
  // a higher o= version and Cohort's address, and answers recvonly.
  std::string hold = phone_offer;
  hold.replace(hold.find("o=101 7 7"), 9, "o=101 7 8");
  hold.replace(hold.find("a=sendrecv"), 10, "a=sendonly");
  auto hold_out = legs.pass_sdp(*anchor, offered->leg, hold);
  ASSERT_TRUE(hold_out) << hold_out.error().reason;
  EXPECT_NE(hold_out->find("a=sendonly"), std::string::npos) << *hold_out;
  EXPECT_NE(hold_out->find("m=audio " + std::to_string(provider_leg) + " "), std::string::npos);
  EXPECT_NE(hold_out->find("o=cohort "), std::string::npos);
  std::string held_answer = callee_answer(provider.port, 0, 101);
  held_answer.replace(held_answer.find("a=sendrecv"), 10, "a=recvonly");
  ASSERT_TRUE(legs.pass_sdp(offered->leg, *anchor, held_answer));

  // The held provider sends nothing and is not timed out; the phone that went quiet is.
  EXPECT_TRUE(phone_events.wait_for<media::NoRtp>(2000ms));
  EXPECT_FALSE(provider_events.wait_for<media::NoRtp>(300ms));
  legs.close(offered->leg);
  legs.close(*anchor);
  EXPECT_EQ(legs.open_legs(), 0u);
}

TEST(MediaLegs, AnOfferWithoutAnAudioStreamIsNotAnchored) {
  MediaLegs legs(options(16250, 16251));
  ASSERT_TRUE(legs.start());
  Events events;
  auto refused = legs.anchor(
      "v=0\r\no=p 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
      "m=video 9000 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n",
      events.handler());
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().status, 488);
  EXPECT_FALSE(legs.anchor("not sdp", events.handler()));
  EXPECT_EQ(legs.open_legs(), 0u);
  EXPECT_FALSE(legs.pass_sdp(1234, 5678, callee_answer(9, 0, 101)));
}

}  // namespace
}  // namespace cohort::pbx
