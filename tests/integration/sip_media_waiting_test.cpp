// A caller waiting for a group (issue 13, docs/life-of-a-call.md "Waiting for a group"),
// with the caller and the member played by hand (raw_phone.hpp). `early_media`: Cohort
// answers the caller's offer in a 183 with its own SDP and sends the waiting music as RTP
// before any member answers; the member's answer is a 200 with the same SDP, and from then
// on the caller hears the member through the relay. `ringback` (the default), for
// comparison: a 180 without SDP, no media before the answer, the member's own SDP in the 200.

#include <string>
#include <thread>

#include "raw_phone.hpp"
#include "sip_call_fixture.hpp"

namespace cohort::testing {
namespace {

using namespace std::chrono_literals;

bool in_cohort_range(std::uint16_t p) {
  return p >= 20000 && p <= 29999;
}

/// µ-law silence is 0xFF (and 0x7F): a payload of anything else carries sound.
bool has_sound(const std::vector<std::uint8_t>& payload) {
  int loud = 0;
  for (std::uint8_t b : payload) {
    loud += std::abs(ulaw_decode(b)) > 300 ? 1 : 0;
  }
  return loud > 10;
}

class SipGroupWaitingTest : public SipCallTest {
 protected:
  /// A group with extension `ext`, waiting mode `mode` and 1002 as its one member.
  void group(const std::string& ext, const std::string& mode) {
    const std::int64_t g = id_of(post("/api/v1/groups", {{"name", "Waiting " + mode},
                                                         {"extension", ext},
                                                         {"ring_timeout_s", 20},
                                                         {"max_wait_s", 30},
                                                         {"waiting_mode", mode}}));
    ASSERT_GT(g, 0);
    HttpResult r =
        api("PUT",
            "/api/v1/groups/" + std::to_string(g) + "/members/" + std::to_string(user_id("1002")),
            "{}");
    ASSERT_TRUE(r.status == 200 || r.status == 201) << r.body;
  }
};

TEST_F(SipGroupWaitingTest, EarlyMediaSends183WithCohortsSdpAndMusicBeforeTheMemberAnswers) {
  start_pbx();
  group("2997", "early_media");
  RawPhone member("1002", udp_port());
  ASSERT_TRUE(member.register_contact());
  RtpPair caller_media = rtp_pair();
  RtpPair member_media = rtp_pair();
  RawPhone caller("1003", udp_port());
  ASSERT_TRUE(caller.invite("2997", audio_sdp("127.0.0.1", caller_media.rtp.port())));

  // The member's phone rings, offered Cohort's relay leg (not the caller's SDP).
  auto invite = member.next_request("INVITE");
  ASSERT_TRUE(invite) << server_->log();
  const SdpAudio relay = sdp_audio(invite->body());
  EXPECT_TRUE(in_cohort_range(relay.port)) << invite->body();
  EXPECT_NE(relay.port, caller_media.rtp.port());
  member.reply(*invite, 180, "Ringing");

  // The caller gets a 183 with Cohort's answer (a phone's 180 is not passed on: the caller
  // has Cohort's media), and no final response.
  std::optional<sip::Message> progress;
  bool final_before_answer = false;
  while (auto m = caller.invite_response(1500ms)) {
    final_before_answer = final_before_answer || m->status() >= 200;
    if (m->status() == 183 && !progress) {
      progress = std::move(m);
    }
  }
  EXPECT_FALSE(final_before_answer) << "a final response before any member answered";
  EXPECT_TRUE(progress) << "no 183 Session Progress with Cohort's SDP\n"
                        << caller.pending() << "\n"
                        << server_->log();
  SdpAudio early;
  if (progress) {
    early = sdp_audio(progress->body());
    EXPECT_EQ(early.ip, "127.0.0.1") << progress->body();
    EXPECT_TRUE(in_cohort_range(early.port)) << progress->body();
    EXPECT_NE(std::string(progress->body()).find("PCMU/8000"), std::string::npos);
  }

  // Waiting music, as RTP from Cohort (the 183's address), while nobody has answered: 1.5 s
  // is 75 packets at 20 ms; most of them carry sound.
  const auto waiting = caller_media.rtp.drain(1500ms);
  int packets = 0, sounding = 0;
  std::uint16_t music_port = 0;
  for (const auto& d : waiting) {
    auto p = parse_rtp_packet(d.bytes);
    if (p && d.ip == "127.0.0.1" && in_cohort_range(d.port) && p->payload_type == 0) {
      music_port = d.port;
      ++packets;
      sounding += has_sound(p->payload) ? 1 : 0;
    }
  }
  EXPECT_GE(packets, 50) << "too little early media before the answer";
  EXPECT_GE(sounding, packets / 2) << "the early media is silence, not music";
  if (progress) {
    EXPECT_EQ(music_port, early.port) << "the music does not come from the 183's address";
  }
  auto not_yet =
      caller.next([](const sip::Message& m) { return !m.is_request() && m.status() >= 200; }, 0ms);
  EXPECT_FALSE(not_yet) << "a final response before the member answered";

  // The member answers: the caller gets the 200 with the same answer as the 183, and then
  // the member's audio instead of the music.
  member.reply(*invite, 200, "OK", audio_sdp("127.0.0.1", member_media.rtp.port(), {}, "member"));
  auto ok = caller.invite_final(5s);
  ASSERT_TRUE(ok && ok->status() == 200) << server_->log();
  caller.ack(*ok);
  const SdpAudio answered = sdp_audio(ok->body());
  EXPECT_EQ(answered.port, music_port) << ok->body();
  if (progress) {
    EXPECT_EQ(answered.port, early.port) << "the 200 must repeat the 183's answer\n" << ok->body();
    EXPECT_EQ(answered.ip, early.ip) << ok->body();
  }
  ASSERT_TRUE(member.next_request("ACK"));
  for (int i = 0; i < 15; ++i) {
    RtpPacket p;
    p.sequence = static_cast<std::uint16_t>(i);
    p.timestamp = 160 * static_cast<std::uint32_t>(i);
    p.ssrc = 0x77778888;
    p.payload.assign(160, 0x55);
    member_media.rtp.send_to("127.0.0.1", relay.port, build_rtp_packet(p));
    std::this_thread::sleep_for(20ms);
  }
  int from_member = 0;
  for (const auto& d : caller_media.rtp.drain(300ms)) {
    auto p = parse_rtp_packet(d.bytes);
    from_member += p && d.port == answered.port && !p->payload.empty() && p->payload[0] == 0x55 &&
                           p->payload[159] == 0x55
                       ? 1
                       : 0;
  }
  EXPECT_GE(from_member, 12) << "the member's audio did not reach the caller\n" << server_->log();

  EXPECT_EQ(caller.bye(), 200);
  EXPECT_EQ(member.answer_byes(1s), 1);
  json cdr = ended_cdr(caller.call_id());
  if (cdr.is_object()) {
    EXPECT_EQ(cdr["disposition"], "answered") << cdr.dump(2);
    EXPECT_EQ(cdr["answered_by"], user_id("1002")) << cdr.dump(2);
  }
}

TEST_F(SipGroupWaitingTest, RingbackSends180WithoutMediaAndTheMembersOwnAnswer) {
  start_pbx();
  group("2996", "ringback");
  RawPhone member("1002", udp_port());
  ASSERT_TRUE(member.register_contact());
  RtpPair caller_media = rtp_pair();
  RtpPair member_media = rtp_pair();
  RawPhone caller("1003", udp_port());
  ASSERT_TRUE(caller.invite("2996", audio_sdp("127.0.0.1", caller_media.rtp.port())));
  auto invite = member.next_request("INVITE");
  ASSERT_TRUE(invite) << server_->log();
  // Both phones on their own addresses: the member gets the caller's SDP as it was.
  EXPECT_EQ(sdp_audio(invite->body()).port, caller_media.rtp.port()) << invite->body();
  member.reply(*invite, 180, "Ringing");

  auto ringing = caller.invite_response(3s);
  ASSERT_TRUE(ringing) << server_->log();
  EXPECT_EQ(ringing->status(), 180);
  EXPECT_TRUE(ringing->body().empty()) << ringing->body();
  EXPECT_TRUE(caller_media.rtp.drain(1s).empty()) << "media before the answer in ringback mode";

  member.reply(*invite, 200, "OK", audio_sdp("127.0.0.1", member_media.rtp.port(), {}, "member"));
  auto ok = caller.invite_final(5s);
  ASSERT_TRUE(ok && ok->status() == 200) << server_->log();
  caller.ack(*ok);
  EXPECT_EQ(sdp_audio(ok->body()).port, member_media.rtp.port()) << ok->body();
  EXPECT_EQ(caller.bye(), 200);
  EXPECT_EQ(member.answer_byes(1s), 1);
}

}  // namespace
}  // namespace cohort::testing
