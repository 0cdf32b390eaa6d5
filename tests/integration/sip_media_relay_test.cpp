// Media anchoring end to end (issue 13, docs/media.md "Media anchoring"), with phones and a
// provider played by hand (raw_phone.hpp) so that every RTP and RTCP packet is the test's
// own: RTCP crosses the relay from Cohort's RTCP port under Cohort's SSRC and CNAME; a phone
// whose REGISTER Contact is not its source address (NAT) is offered the relay and real RTP
// flows both ways through it; a fork that fails closes its relay leg at once; a direct leg
// that answers a partly relayed call closes the relay; an answer the relay cannot carry ends
// the call with cause media_refused.

#include <algorithm>
#include <set>
#include <string>
#include <thread>

#include "raw_phone.hpp"
#include "sip_call_fixture.hpp"

namespace cohort::testing {
namespace {

using namespace std::chrono_literals;

constexpr const char* kOutside = "2125551234";
constexpr std::uint32_t kPhoneSsrc = 0x11AA22BB;
constexpr std::uint32_t kProviderSsrc = 0x33CC44DD;

bool in_cohort_range(std::uint16_t p) {
  return p >= 20000 && p <= 29999;
}

/// `count` packets of PCMU from `from` to `to_ip`:`to_port`, 20 ms apart, each payload byte
/// `fill + i` so that the receiver can tell them apart.
void send_stream(UdpSocket& from, const std::string& to_ip, std::uint16_t to_port,
                 std::uint32_t ssrc, std::uint8_t fill, int count, std::uint16_t first_seq = 100) {
  for (int i = 0; i < count; ++i) {
    RtpPacket p;
    p.payload_type = 0;
    p.sequence = static_cast<std::uint16_t>(first_seq + i);
    p.timestamp = 8000 + 160 * static_cast<std::uint32_t>(i);
    p.ssrc = ssrc;
    p.marker = i == 0;
    p.payload.assign(160, static_cast<std::uint8_t>(fill + i));
    from.send_to(to_ip, to_port, build_rtp_packet(p));
    std::this_thread::sleep_for(20ms);
  }
}

/// The RTP packets among `got` that came from `ip`:`port`.
std::vector<RtpPacket> rtp_from(const std::vector<UdpSocket::Datagram>& got, const std::string& ip,
                                std::uint16_t port) {
  std::vector<RtpPacket> out;
  for (const auto& d : got) {
    if (d.ip == ip && d.port == port) {
      if (auto p = parse_rtp_packet(d.bytes)) {
        out.push_back(std::move(*p));
      }
    }
  }
  return out;
}

std::string describe(const std::vector<UdpSocket::Datagram>& got) {
  std::string out = std::to_string(got.size()) + " datagram(s):";
  for (const auto& d : got) {
    out += " " + d.ip + ":" + std::to_string(d.port) + "/" + std::to_string(d.bytes.size());
  }
  return out;
}

class SipRelayTest : public SipCallTest {
 protected:
  /// A trunk to a provider played by `provider` (on 127.0.0.2, media relayed: the default)
  /// and a rule sending every number there.
  void trunk_to(RawPhone& provider) {
    const std::int64_t trunk = create_trunk("Provider", "127.0.0.2", provider.sip_port(), {});
    ASSERT_GT(trunk, 0);
    ASSERT_GT(create_rule({{"name", "Out"}, {"patterns", {"_X."}}, {"trunks", {trunk}}}), 0);
  }
  /// `[media] rtp_ports` of four pairs that are free now: every port Cohort opens for a call
  /// is one of these, so that a test can see them all closed.
  std::string narrow_range() {
    const std::uint16_t p = free_port(9);
    range_lo_ = static_cast<std::uint16_t>((p + 1) & ~1);
    range_hi_ = static_cast<std::uint16_t>(range_lo_ + 7);
    return "[media]\nrtp_ports = \"" + std::to_string(range_lo_) + "-" + std::to_string(range_hi_) +
           "\"\n";
  }
  /// The ports of the narrow range that Cohort still holds, after waiting up to `timeout`
  /// for them to close.
  bool server_holds(std::uint16_t port) { return udp_ports_of(server_->pid()).contains(port); }
  std::vector<std::uint16_t> held_in_range(std::chrono::milliseconds timeout) {
    const auto end = std::chrono::steady_clock::now() + timeout;
    std::vector<std::uint16_t> held;
    for (;;) {
      held.clear();
      for (std::uint16_t p = range_lo_; p <= range_hi_; ++p) {
        if (udp_ports_of(server_->pid()).contains(p)) {
          held.push_back(p);
        }
      }
      if (held.empty() || std::chrono::steady_clock::now() >= end) {
        return held;
      }
      std::this_thread::sleep_for(50ms);
    }
  }

  std::uint16_t range_lo_ = 0, range_hi_ = 0;
};

// RTCP on an anchored call (a trunk set to relay): each side's sender report reaches the
// other from Cohort's address and the RTCP port after the relay's RTP port (RFC 3550 §11),
// with the sender SSRC replaced by the one Cohort uses on that side's RTP, the report block
// mapped to the receiver's own SSRC, and the SDES reduced to CNAME "cohort": the phone's
// SSRC, its CNAME (extension at a LAN address) and its NAME never reach the provider, and the
// provider's SSRC never reaches the phone.
TEST_F(SipRelayTest, RtcpCrossesTheRelayFromItsRtcpPortUnderCohortsSsrcAndCname) {
  start_pbx();
  RawPhone provider("carrier", udp_port(), "127.0.0.2");
  ASSERT_TRUE(provider.client().ok());
  trunk_to(provider);
  RtpPair phone_media = rtp_pair();
  RtpPair provider_media = rtp_pair("127.0.0.2");
  ASSERT_TRUE(phone_media.rtp.ok() && provider_media.rtp.ok());

  RawPhone phone("1003", udp_port());
  ASSERT_TRUE(phone.invite(kOutside, audio_sdp("127.0.0.1", phone_media.rtp.port())))
      << server_->log();
  auto invite = provider.next_request("INVITE");
  ASSERT_TRUE(invite) << server_->log();
  const SdpAudio offer = sdp_audio(invite->body());
  EXPECT_EQ(offer.ip, "127.0.0.1") << invite->body();
  ASSERT_TRUE(in_cohort_range(offer.port)) << invite->body();
  provider.reply(*invite, 200, "OK",
                 audio_sdp("127.0.0.2", provider_media.rtp.port(), {}, "carrier"));
  auto ok = phone.invite_final(5s);
  ASSERT_TRUE(ok && ok->status() == 200) << server_->log();
  phone.ack(*ok);
  const SdpAudio answer = sdp_audio(ok->body());
  ASSERT_TRUE(in_cohort_range(answer.port)) << ok->body();
  ASSERT_TRUE(provider.next_request("ACK"));

  // RTP first, both ways, so that each side knows the SSRC Cohort sends it.
  std::thread provider_rtp(
      [&] { send_stream(provider_media.rtp, "127.0.0.1", offer.port, kProviderSsrc, 0x20, 10); });
  send_stream(phone_media.rtp, "127.0.0.1", answer.port, kPhoneSsrc, 0x40, 10);
  provider_rtp.join();
  const auto at_provider = rtp_from(provider_media.rtp.drain(300ms), "127.0.0.1", offer.port);
  const auto at_phone = rtp_from(phone_media.rtp.drain(300ms), "127.0.0.1", answer.port);
  ASSERT_FALSE(at_provider.empty()) << server_->log();
  ASSERT_FALSE(at_phone.empty()) << server_->log();
  const std::uint32_t cohort_to_provider = at_provider.front().ssrc;
  const std::uint32_t cohort_to_phone = at_phone.front().ssrc;
  EXPECT_NE(cohort_to_provider, kPhoneSsrc);
  EXPECT_NE(cohort_to_phone, kProviderSsrc);

  // The phone's sender report, about the stream it receives (Cohort's SSRC on its side).
  constexpr std::uint64_t kPhoneNtp = 0xE1E2E3E4A5A6A7A8ull;
  SenderReport from_phone{kPhoneSsrc,          kPhoneNtp,        9600, 10, 1600, cohort_to_phone,
                          "1003@192.168.1.20", "Chloe at desk 3"};
  phone_media.rtcp.send_to("127.0.0.1", static_cast<std::uint16_t>(answer.port + 1),
                           build_sender_report(from_phone));
  std::optional<UdpSocket::Datagram> relayed;
  RtcpSeen seen;
  for (const auto& d : provider_media.rtcp.drain(1500ms)) {
    RtcpSeen s = parse_rtcp_compound(d.bytes);
    if (s.ntp == kPhoneNtp) {  // the phone's report, not one Cohort may send of its own
      relayed = d;
      seen = s;
      break;
    }
  }
  ASSERT_TRUE(relayed) << "the phone's RTCP did not reach the provider\n" << server_->log();
  EXPECT_EQ(relayed->ip, "127.0.0.1");
  EXPECT_EQ(relayed->port, offer.port + 1) << "not from the RTCP port of the relay's RTP port";
  EXPECT_TRUE(seen.valid);
  EXPECT_FALSE(contains_u32(relayed->bytes, kPhoneSsrc)) << "the phone's SSRC leaked";
  ASSERT_FALSE(seen.ssrc.empty());
  for (std::uint32_t s : seen.ssrc) {
    EXPECT_EQ(s, cohort_to_provider) << "a sender SSRC that is not Cohort's on this side";
  }
  EXPECT_EQ(seen.reported, std::vector<std::uint32_t>{kProviderSsrc})
      << "the report block is not about the provider's own stream";
  EXPECT_EQ(seen.cnames, std::vector<std::string>{"cohort"});
  EXPECT_TRUE(seen.other_items.empty()) << seen.other_items.front();
  EXPECT_EQ(seen.packets, 10u);

  // And the provider's report back to the phone.
  constexpr std::uint64_t kProviderNtp = 0xD1D2D3D4B5B6B7B8ull;
  SenderReport from_provider{kProviderSsrc,
                             kProviderNtp,
                             4800,
                             10,
                             1600,
                             cohort_to_provider,
                             "trunk-7@carrier.internal",
                             ""};
  provider_media.rtcp.send_to("127.0.0.1", static_cast<std::uint16_t>(offer.port + 1),
                              build_sender_report(from_provider));
  std::optional<UdpSocket::Datagram> back;
  RtcpSeen back_seen;
  for (const auto& d : phone_media.rtcp.drain(1500ms)) {
    RtcpSeen s = parse_rtcp_compound(d.bytes);
    if (s.ntp == kProviderNtp) {
      back = d;
      back_seen = s;
      break;
    }
  }
  ASSERT_TRUE(back) << "the provider's RTCP did not reach the phone\n" << server_->log();
  EXPECT_EQ(back->ip, "127.0.0.1");
  EXPECT_EQ(back->port, answer.port + 1);
  EXPECT_FALSE(contains_u32(back->bytes, kProviderSsrc)) << "the provider's SSRC leaked";
  for (std::uint32_t s : back_seen.ssrc) {
    EXPECT_EQ(s, cohort_to_phone);
  }
  EXPECT_EQ(back_seen.reported, std::vector<std::uint32_t>{kPhoneSsrc});
  EXPECT_EQ(back_seen.cnames, std::vector<std::string>{"cohort"});

  EXPECT_EQ(phone.bye(), 200);
  EXPECT_EQ(provider.answer_byes(1s), 1);
}

// A late offer (RFC 3264 §5 with RFC 3261 §13.2.1): a provider on a relayed trunk calls 1003
// with an INVITE without SDP. The phone offers in its 200; the provider must get Cohort's
// relay in its 200, never the phone's address, and its answer in the ACK reaches the phone
// rewritten to the relay's other side; RTP then flows both ways through Cohort.
TEST_F(SipRelayTest, ALateOfferFromARelayedTrunkIsAnchoredToo) {
  start_pbx();
  RawPhone provider("carrier", udp_port(), "127.0.0.2");
  ASSERT_TRUE(provider.client().ok());
  ASSERT_GT(create_trunk("Carrier", "127.0.0.2", provider.sip_port(),
                         {{"inbound_sources", {"127.0.0.2"}}}),
            0);
  post("/api/v1/inbound-routes", {{"name", "Chloe"},
                                  {"did", "15550166"},
                                  {"destination", {{"type", "user"}, {"id", user_id("1003")}}}});
  RawPhone phone("1003", udp_port());
  ASSERT_TRUE(phone.register_contact()) << server_->log();
  RtpPair phone_media = rtp_pair();
  RtpPair provider_media = rtp_pair("127.0.0.2");
  ASSERT_TRUE(phone_media.rtp.ok() && provider_media.rtp.ok());

  ASSERT_TRUE(provider.invite("15550166", "", /*auth=*/false));
  auto invite = phone.next_request("INVITE");
  ASSERT_TRUE(invite) << server_->log();
  EXPECT_TRUE(std::string(invite->body()).empty()) << "a late offer stays a late offer";
  phone.reply(*invite, 200, "OK", audio_sdp("127.0.0.1", phone_media.rtp.port(), {}, "phone"));
  auto ok = provider.invite_final(5s);
  ASSERT_TRUE(ok && ok->status() == 200) << server_->log();
  const SdpAudio offer = sdp_audio(ok->body());
  ASSERT_TRUE(in_cohort_range(offer.port)) << "the provider saw the phone:\n" << ok->body();
  EXPECT_EQ(std::string(ok->body()).find("o=phone"), std::string::npos) << ok->body();
  provider.ack(*ok, audio_sdp("127.0.0.2", provider_media.rtp.port(), {}, "carrier"));
  auto ack = phone.next_request("ACK", 3s);
  ASSERT_TRUE(ack) << server_->log();
  const SdpAudio answer = sdp_audio(ack->body());
  ASSERT_TRUE(in_cohort_range(answer.port)) << "the phone saw the provider:\n" << ack->body();
  EXPECT_NE(answer.port, offer.port);
  EXPECT_EQ(std::string(ack->body()).find("o=carrier"), std::string::npos) << ack->body();

  std::thread provider_rtp(
      [&] { send_stream(provider_media.rtp, "127.0.0.1", offer.port, kProviderSsrc, 0x20, 10); });
  send_stream(phone_media.rtp, "127.0.0.1", answer.port, kPhoneSsrc, 0x40, 10);
  provider_rtp.join();
  EXPECT_GE(rtp_from(provider_media.rtp.drain(300ms), "127.0.0.1", offer.port).size(), 8u)
      << server_->log();
  EXPECT_GE(rtp_from(phone_media.rtp.drain(300ms), "127.0.0.1", answer.port).size(), 8u)
      << server_->log();
  EXPECT_EQ(provider.bye(), 200);
  EXPECT_EQ(phone.answer_byes(1s), 1);
}

// A phone behind NAT: its REGISTER says Contact 10.0.0.5:5060 but comes from 127.0.0.1:P.
// Called, it is sent the INVITE at its source and offered Cohort's relay (not the caller's
// RTP address); it answers with its LAN address, which nothing can reach. Cohort latches on
// the source of the phone's RTP (symmetric RTP), so audio flows both ways through the relay,
// and the caller is given Cohort's address, not 10.0.0.5.
TEST_F(SipRelayTest, ANatedPhoneIsOfferedTheRelayAndRtpFlowsBothWaysThroughIt) {
  start_pbx();
  RawPhone nated("1002", udp_port());
  ASSERT_TRUE(nated.register_contact("10.0.0.5:5060")) << server_->log();
  RtpPair nated_media = rtp_pair();  // the NAT's outside address: never in any SDP
  RtpPair caller_media = rtp_pair();

  RawPhone caller("1003", udp_port());
  ASSERT_TRUE(caller.invite("1002", audio_sdp("127.0.0.1", caller_media.rtp.port())));
  auto invite = nated.next_request("INVITE");
  ASSERT_TRUE(invite) << "the INVITE did not reach the phone's source address\n"
                      << caller.pending() << "\n"
                      << nated.pending() << "\n"
                      << server_->log();
  const SdpAudio offer = sdp_audio(invite->body());
  EXPECT_EQ(offer.ip, "127.0.0.1") << invite->body();
  EXPECT_TRUE(in_cohort_range(offer.port)) << invite->body();
  EXPECT_NE(offer.port, caller_media.rtp.port()) << "offered the caller's own RTP address";
  nated.reply(*invite, 180, "Ringing");
  nated.reply(*invite, 200, "OK", audio_sdp("10.0.0.5", 40000, {}, "nated"));
  auto ok = caller.invite_final(5s);
  ASSERT_TRUE(ok && ok->status() == 200) << server_->log();
  caller.ack(*ok);
  const SdpAudio answer = sdp_audio(ok->body());
  EXPECT_EQ(answer.ip, "127.0.0.1") << ok->body();
  EXPECT_TRUE(in_cohort_range(answer.port)) << ok->body();
  EXPECT_EQ(std::string(ok->body()).find("10.0.0.5"), std::string::npos) << ok->body();
  ASSERT_TRUE(nated.next_request("ACK")) << server_->log();

  // The NATed phone speaks first (its packets open the NAT and teach Cohort where it is),
  // then both at once.
  send_stream(nated_media.rtp, "127.0.0.1", offer.port, 0x5A5A0001, 0x10, 3);
  std::thread nated_rtp(
      [&] { send_stream(nated_media.rtp, "127.0.0.1", offer.port, 0x5A5A0001, 0x13, 20, 103); });
  send_stream(caller_media.rtp, "127.0.0.1", answer.port, 0x6B6B0002, 0x80, 20);
  nated_rtp.join();
  const auto to_nated_raw = nated_media.rtp.drain(300ms);
  const auto to_caller_raw = caller_media.rtp.drain(300ms);
  const auto to_nated = rtp_from(to_nated_raw, "127.0.0.1", offer.port);
  const auto to_caller = rtp_from(to_caller_raw, "127.0.0.1", answer.port);

  // The caller's 20 packets reach the NATed phone's real address from the relay's port, and
  // the phone's reach the caller from the caller's relay port, each payload intact.
  std::set<std::uint8_t> caller_fills, nated_fills;
  for (const RtpPacket& p : to_nated) {
    ASSERT_FALSE(p.payload.empty());
    caller_fills.insert(p.payload.front());
    EXPECT_NE(p.ssrc, 0x6B6B0002u);
  }
  for (const RtpPacket& p : to_caller) {
    ASSERT_FALSE(p.payload.empty());
    nated_fills.insert(p.payload.front());
    EXPECT_NE(p.ssrc, 0x5A5A0001u);
  }
  // Loopback loses nothing; a few packets of margin for the latch itself.
  EXPECT_GE(caller_fills.size(), 18u) << describe(to_nated_raw) << server_->log();
  EXPECT_GE(nated_fills.size(), 18u) << describe(to_caller_raw) << server_->log();
  for (std::uint8_t f : caller_fills) {
    EXPECT_TRUE(f >= 0x80 && f < 0x80 + 20) << int{f};
  }
  for (std::uint8_t f : nated_fills) {
    EXPECT_TRUE(f >= 0x10 && f < 0x13 + 20) << int{f};
  }

  EXPECT_EQ(caller.bye(), 200);
  EXPECT_EQ(nated.answer_byes(1s), 1);
  json cdr = ended_cdr(caller.call_id());
  if (cdr.is_object()) {
    EXPECT_EQ(cdr["disposition"], "answered") << cdr.dump(2);
  }
}

// Two phones of 1002 behind NAT ring at once, each with a relay leg of its own. The first
// answers 486: its relay ports are closed at once (a long hunt must not hold ports), while
// the other fork's stay open; the other answers and the call goes on through its relay.
TEST_F(SipRelayTest, AForkThatFailsClosesItsRelayLegAtOnce) {
  start_pbx();
  RawPhone desk("1002", udp_port());
  RawPhone mobile("1002", udp_port());
  ASSERT_TRUE(desk.register_contact("10.0.0.5:5060"));
  ASSERT_TRUE(mobile.register_contact("10.0.0.6:5060"));
  ASSERT_TRUE(wait_bindings("1002", 2)) << registrations().dump(2);
  RtpPair caller_media = rtp_pair();
  RawPhone caller("1003", udp_port());
  ASSERT_TRUE(caller.invite("1002", audio_sdp("127.0.0.1", caller_media.rtp.port())));
  auto to_desk = desk.next_request("INVITE");
  auto to_mobile = mobile.next_request("INVITE");
  ASSERT_TRUE(to_desk && to_mobile) << server_->log();
  const std::uint16_t desk_relay = sdp_audio(to_desk->body()).port;
  const std::uint16_t mobile_relay = sdp_audio(to_mobile->body()).port;
  ASSERT_TRUE(in_cohort_range(desk_relay) && in_cohort_range(mobile_relay));
  ASSERT_NE(desk_relay, mobile_relay);
  desk.reply(*to_desk, 180, "Ringing");
  mobile.reply(*to_mobile, 180, "Ringing");
  std::this_thread::sleep_for(200ms);
  // Both relay legs are open while both phones ring.
  EXPECT_TRUE(server_holds(desk_relay));
  EXPECT_TRUE(server_holds(mobile_relay));

  desk.reply(*to_desk, 486, "Busy Here");
  ASSERT_TRUE(desk.next_request("ACK"));
  // "At once": the leg is closed on its media thread as the failure is handled; 500 ms is
  // ample on loopback and far below any ring time.
  EXPECT_TRUE(wait_port_released(server_->pid(), desk_relay, 500ms))
      << "the failed fork's relay RTP port";
  EXPECT_TRUE(wait_port_released(server_->pid(), static_cast<std::uint16_t>(desk_relay + 1), 500ms))
      << "the failed fork's relay RTCP port";
  EXPECT_TRUE(server_holds(mobile_relay)) << "the ringing fork's relay was closed too";

  mobile.reply(*to_mobile, 200, "OK", audio_sdp("10.0.0.6", 40000, {}, "mobile"));
  auto ok = caller.invite_final(5s);
  ASSERT_TRUE(ok && ok->status() == 200) << server_->log();
  caller.ack(*ok);
  EXPECT_TRUE(in_cohort_range(sdp_audio(ok->body()).port)) << ok->body();
  EXPECT_TRUE(server_holds(mobile_relay)) << "the answering fork's relay is in use";
  EXPECT_EQ(caller.bye(), 200);
  EXPECT_EQ(mobile.answer_byes(1s), 1);
}

// 1002 has a phone behind NAT (relayed) and one on its own address (direct). The direct one
// answers: the caller gets that phone's own SDP (as it would without the relay), and the
// relay — the NATed fork's leg and the leg facing the caller — is closed, every port of the
// media range free again while the call goes on.
TEST_F(SipRelayTest, ADirectAnswerClosesTheRelayOfAPartlyRelayedCall) {
  start_pbx(narrow_range());
  RawPhone nated("1002", udp_port());
  RawPhone lan("1002", udp_port());
  ASSERT_TRUE(nated.register_contact("10.0.0.5:5060"));
  ASSERT_TRUE(lan.register_contact());
  ASSERT_TRUE(wait_bindings("1002", 2)) << registrations().dump(2);
  RtpPair caller_media = rtp_pair();
  RtpPair lan_media = rtp_pair();
  RawPhone caller("1003", udp_port());
  ASSERT_TRUE(caller.invite("1002", audio_sdp("127.0.0.1", caller_media.rtp.port())));
  auto to_nated = nated.next_request("INVITE");
  auto to_lan = lan.next_request("INVITE");
  ASSERT_TRUE(to_nated && to_lan) << server_->log();
  const std::uint16_t relay = sdp_audio(to_nated->body()).port;
  EXPECT_TRUE(relay >= range_lo_ && relay <= range_hi_) << to_nated->body();
  EXPECT_EQ(sdp_audio(to_lan->body()).port, caller_media.rtp.port())
      << "the LAN phone should get the caller's own SDP\n"
      << to_lan->body();
  nated.reply(*to_nated, 180, "Ringing");
  lan.reply(*to_lan, 180, "Ringing");
  std::this_thread::sleep_for(200ms);
  EXPECT_TRUE(server_holds(relay));

  lan.reply(*to_lan, 200, "OK", audio_sdp("127.0.0.1", lan_media.rtp.port(), {}, "lan"));
  auto ok = caller.invite_final(5s);
  ASSERT_TRUE(ok && ok->status() == 200) << server_->log();
  caller.ack(*ok);
  EXPECT_EQ(sdp_audio(ok->body()).port, lan_media.rtp.port())
      << "the caller should get the direct phone's own SDP\n"
      << ok->body();
  EXPECT_NE(std::string(ok->body()).find("o=lan "), std::string::npos) << ok->body();
  // The NATed fork is cancelled.
  auto cancel = nated.next_request("CANCEL");
  ASSERT_TRUE(cancel) << server_->log();
  nated.reply(*cancel, 200, "OK");
  nated.reply(*to_nated, 487, "Request Terminated");

  const std::vector<std::uint16_t> held = held_in_range(1s);
  std::string list;
  for (std::uint16_t p : held) {
    list += " " + std::to_string(p);
  }
  EXPECT_TRUE(held.empty()) << "relay ports still open with the call answered directly:" << list;
  EXPECT_EQ(caller.bye(), 200);
  EXPECT_EQ(lan.answer_byes(1s), 1);
}

// A provider on a relayed trunk answers with no audio stream (a video-only SDP): the relay
// has nothing to carry, so that answer is the leg's failure. The provider's 2xx is ACKed
// and BYEd; the caller, whose INVITE had no final answer yet, is refused with 488 (a UAS may
// not BYE an early dialog, RFC 3261 §15), and the record says why.
TEST_F(SipRelayTest, AnAnswerTheRelayCannotCarryEndsTheCallMediaRefused) {
  start_pbx();
  RawPhone provider("carrier", udp_port(), "127.0.0.2");
  trunk_to(provider);
  RtpPair phone_media = rtp_pair();
  RawPhone phone("1003", udp_port());
  ASSERT_TRUE(phone.invite(kOutside, audio_sdp("127.0.0.1", phone_media.rtp.port())));
  auto invite = provider.next_request("INVITE");
  ASSERT_TRUE(invite) << server_->log();
  provider.reply(*invite, 200, "OK",
                 "v=0\r\no=carrier 1 1 IN IP4 127.0.0.2\r\ns=-\r\nc=IN IP4 127.0.0.2\r\nt=0 0\r\n"
                 "m=video 40000 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n");
  EXPECT_TRUE(provider.next_request("ACK", 3s)) << "the provider's 200 was not ACKed";
  EXPECT_GE(provider.answer_byes(1500ms), 1) << "the provider's call was not ended";

  // What the caller got, in order: a final response, and no BYE before it.
  std::optional<sip::Message> final_response;
  bool bye_before_final = false;
  std::string seen;
  const auto end = std::chrono::steady_clock::now() + 3s;
  while (!final_response && std::chrono::steady_clock::now() < end) {
    auto m = phone.next(
        [](const sip::Message& x) {
          return (x.is_request() && x.method() == sip::Method::kBye) ||
                 (!x.is_request() && x.cseq_method() == sip::Method::kInvite && x.status() >= 200);
        },
        100ms);
    if (!m) {
      continue;
    }
    seen += std::string(m->bytes().substr(0, m->bytes().find('\r'))) + "\n";
    if (m->is_request()) {
      bye_before_final = true;
      phone.reply(*m, 200, "OK");
    } else {
      final_response = std::move(m);
    }
  }
  json cdr = ended_cdr(phone.call_id());
  ASSERT_TRUE(cdr.is_object()) << server_->log();
  EXPECT_NE(cdr.value("hangup_cause", "").find("media refused"), std::string::npos) << cdr.dump(2);
  EXPECT_EQ(cdr["disposition"], "failed") << cdr.dump(2);
  EXPECT_TRUE(cdr["answered_at"].is_null()) << cdr.dump(2);

  EXPECT_FALSE(bye_before_final) << "the caller got a BYE for a call it was never answered:\n"
                                 << seen << server_->log();
  ASSERT_TRUE(final_response) << "the caller's INVITE got no final response:\n"
                              << seen << server_->log();
  EXPECT_EQ(final_response->status(), 488) << seen;
  if (final_response && final_response->status() < 300) {
    phone.ack(*final_response);
    EXPECT_GE(phone.answer_byes(2s), 1) << "an answered caller must be hung up";
  } else if (final_response) {
    phone.ack_failure(*final_response);
  }
}

}  // namespace
}  // namespace cohort::testing
