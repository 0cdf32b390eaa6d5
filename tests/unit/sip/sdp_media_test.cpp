// Offer/answer for legs Cohort terminates (sdp::answer_terminated, offer_terminated): real
// phones' offers, one table row each, and the answer checked by parsing it back.
#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "sip/sdp_media.hpp"

namespace cohort::sip::sdp {
namespace {

LocalMedia cohort_media(std::string address = "203.0.113.5") {
  LocalMedia l;
  l.address = std::move(address);
  l.rtp_port = 20000;
  l.session_id = 42;
  l.session_version = 7;
  l.codecs = {
      {"opus", 48000, 2, 111, true, "useinbandfec=1"},
      {"G722", 8000, 1, 9, false, ""},
      {"PCMA", 8000, 1, 8, false, ""},
      {"PCMU", 8000, 1, 0, false, ""},
  };
  return l;
}

std::string crlf(std::string_view lf) {
  std::string out;
  for (char c : lf) {
    if (c == '\n') {
      out += "\r\n";
    } else {
      out += c;
    }
  }
  return out;
}

bool has(const std::vector<std::string_view>& attrs, std::string_view a) {
  return std::find(attrs.begin(), attrs.end(), a) != attrs.end();
}

struct Row {
  const char* name;
  const char* offer;  // LF line ends; converted to CRLF
  const char* codec;
  std::uint32_t clock;
  int pt;
  std::optional<std::uint8_t> te_pt;
  const char* remote_address;
  std::uint16_t rtp_port;
  std::uint16_t rtcp_port;
  Direction direction;
  std::size_t media_index = 0;
  const char* rtcp_address = nullptr;  // nullptr: same as remote_address
};

const Row kRows[] = {
    {"baresip",
     "v=0\no=- 2890844526 2890844526 IN IP4 192.168.1.10\ns=-\nc=IN IP4 192.168.1.10\nt=0 0\n"
     "m=audio 10000 RTP/AVP 96 9 0 8 101\na=rtpmap:96 opus/48000/2\n"
     "a=fmtp:96 stereo=1;sprop-stereo=1\na=rtpmap:9 G722/8000\na=rtpmap:0 PCMU/8000\n"
     "a=rtpmap:8 PCMA/8000\na=rtpmap:101 telephone-event/8000\na=fmtp:101 0-15\n"
     "a=rtcp-rsize\na=ptime:20\na=sendrecv\n",
     "opus", 48000, 96, std::nullopt, "192.168.1.10", 10000, 10001, Direction::kSendRecv},
    {"linphone (telephone-event at every clock)",
     "v=0\no=alice 2786 3018 IN IP4 192.168.0.20\ns=Talk\nc=IN IP4 192.168.0.20\nt=0 0\n"
     "a=rtcp-xr:rcvr-rtt=all:10000 stat-summary=loss,dup,jitt,TTL voip-metrics\n"
     "m=audio 7078 RTP/AVP 96 97 98 0 8 18 101 99 100\na=rtpmap:96 opus/48000/2\n"
     "a=fmtp:96 useinbandfec=1\na=rtpmap:97 speex/16000\na=fmtp:97 vbr=on\n"
     "a=rtpmap:98 speex/8000\na=fmtp:98 vbr=on\na=fmtp:18 annexb=yes\n"
     "a=rtpmap:101 telephone-event/48000\na=rtpmap:99 telephone-event/16000\n"
     "a=rtpmap:100 telephone-event/8000\na=rtcp-fb:* trr-int 1000\n",
     "opus", 48000, 96, 101, "192.168.0.20", 7078, 7079, Direction::kSendRecv},
    {"twinkle (speex first, PCMA next)",
     "v=0\no=twinkle 1190522395 1020426926 IN IP4 192.168.1.5\ns=-\nc=IN IP4 192.168.1.5\n"
     "t=0 0\nm=audio 8000 RTP/AVP 98 97 8 0 3 101\na=rtpmap:98 speex/16000\n"
     "a=rtpmap:97 speex/8000\na=rtpmap:8 PCMA/8000\na=rtpmap:0 PCMU/8000\n"
     "a=rtpmap:3 GSM/8000\na=rtpmap:101 telephone-event/8000\na=fmtp:101 0-15\na=ptime:20\n",
     "PCMA", 8000, 8, 101, "192.168.1.5", 8000, 8001, Direction::kSendRecv},
    {"Zoiper-like (static types without rtpmap, media-level c=, a=rtcp)",
     "v=0\no=Z 0 1 IN IP4 10.0.0.3\ns=Z\nc=IN IP4 10.0.0.99\nt=0 0\n"
     "m=audio 52046 RTP/AVP 0 101 8 3\nc=IN IP4 10.0.0.3\na=rtcp:52047\n"
     "a=rtpmap:101 telephone-event/8000\na=fmtp:101 0-16\na=sendrecv\n",
     "PCMU", 8000, 0, 101, "10.0.0.3", 52046, 52047, Direction::kSendRecv},
    {"trunk, PCMA only, ptime and maxptime",
     "v=0\no=sbc 1 1 IN IP4 198.51.100.1\ns=sbc\nc=IN IP4 198.51.100.20\nt=0 0\n"
     "m=audio 31000 RTP/AVP 8 101\na=rtpmap:8 PCMA/8000\na=rtpmap:101 telephone-event/8000\n"
     "a=fmtp:101 0-15\na=ptime:20\na=maxptime:40\n",
     "PCMA", 8000, 8, 101, "198.51.100.20", 31000, 31001, Direction::kSendRecv},
    {"opus first, G722 second: the offerer's order wins",
     "v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nc=IN IP4 192.0.2.1\nt=0 0\n"
     "m=audio 4000 RTP/AVP 107 9 101 102\na=rtpmap:107 opus/48000/2\na=rtpmap:9 G722/8000\n"
     "a=rtpmap:101 telephone-event/8000\na=rtpmap:102 telephone-event/48000\n",
     "opus", 48000, 107, 102, "192.0.2.1", 4000, 4001, Direction::kSendRecv},
    {"G722 first: telephone-event at its 8000 clock",
     "v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nc=IN IP4 192.0.2.1\nt=0 0\n"
     "m=audio 4000 RTP/AVP 9 107 102 101\na=rtpmap:107 opus/48000/2\na=rtpmap:9 G722/8000\n"
     "a=rtpmap:102 telephone-event/48000\na=rtpmap:101 telephone-event/8000\n",
     "G722", 8000, 9, 101, "192.0.2.1", 4000, 4001, Direction::kSendRecv},
    {"hold: sendonly",
     "v=0\no=- 1 2 IN IP4 192.0.2.1\ns=-\nc=IN IP4 192.0.2.1\nt=0 0\n"
     "m=audio 4000 RTP/AVP 0\na=sendonly\n",
     "PCMU", 8000, 0, std::nullopt, "192.0.2.1", 4000, 4001, Direction::kRecvOnly},
    {"hold: inactive",
     "v=0\no=- 1 2 IN IP4 192.0.2.1\ns=-\nc=IN IP4 192.0.2.1\nt=0 0\n"
     "m=audio 4000 RTP/AVP 8\na=inactive\n",
     "PCMA", 8000, 8, std::nullopt, "192.0.2.1", 4000, 4001, Direction::kInactive},
    {"hold: session-level sendonly",
     "v=0\no=- 1 2 IN IP4 192.0.2.1\ns=-\nc=IN IP4 192.0.2.1\nt=0 0\na=sendonly\n"
     "m=audio 4000 RTP/AVP 8\n",
     "PCMA", 8000, 8, std::nullopt, "192.0.2.1", 4000, 4001, Direction::kRecvOnly},
    {"hold: RFC 2543 c=0.0.0.0",
     "v=0\no=- 1 2 IN IP4 192.0.2.1\ns=-\nc=IN IP4 0.0.0.0\nt=0 0\nm=audio 4000 RTP/AVP 8\n",
     "PCMA", 8000, 8, std::nullopt, "0.0.0.0", 4000, 4001, Direction::kRecvOnly},
    {"peer offers recvonly: we send only",
     "v=0\no=- 1 2 IN IP4 192.0.2.1\ns=-\nc=IN IP4 192.0.2.1\nt=0 0\n"
     "m=audio 4000 RTP/AVP 8\na=recvonly\n",
     "PCMA", 8000, 8, std::nullopt, "192.0.2.1", 4000, 4001, Direction::kSendOnly},
    {"audio + video: video rejected",
     "v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nc=IN IP4 192.0.2.1\nt=0 0\n"
     "m=audio 4000 RTP/AVP 0 101\na=rtpmap:101 telephone-event/8000\n"
     "m=video 4002 RTP/AVP 96\na=rtpmap:96 H264/90000\n",
     "PCMU", 8000, 0, 101, "192.0.2.1", 4000, 4001, Direction::kSendRecv},
    {"video first, then audio",
     "v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nc=IN IP4 192.0.2.1\nt=0 0\n"
     "m=video 4002 RTP/AVP 96\na=rtpmap:96 VP8/90000\nm=audio 4000 RTP/AVP 8\n",
     "PCMA", 8000, 8, std::nullopt, "192.0.2.1", 4000, 4001, Direction::kSendRecv, 1},
    {"SAVP audio rejected, plain AVP audio taken",
     "v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nc=IN IP4 192.0.2.1\nt=0 0\n"
     "m=audio 4000 RTP/SAVP 0\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:"
     "WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz\nm=audio 4010 RTP/AVP 0\n",
     "PCMU", 8000, 0, std::nullopt, "192.0.2.1", 4010, 4011, Direction::kSendRecv, 1},
    {"RTP/AVPF audio",
     "v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nc=IN IP4 192.0.2.1\nt=0 0\n"
     "m=audio 4000 RTP/AVPF 0\na=rtcp-fb:* nack\n",
     "PCMU", 8000, 0, std::nullopt, "192.0.2.1", 4000, 4001, Direction::kSendRecv},
    {"IPv6 offer",
     "v=0\no=- 1 1 IN IP6 2001:db8::7\ns=-\nc=IN IP6 2001:db8::7\nt=0 0\n"
     "m=audio 6000 RTP/AVP 8 0\n",
     "PCMA", 8000, 8, std::nullopt, "2001:db8::7", 6000, 6001, Direction::kSendRecv},
    {"a=rtcp with an address (RFC 3605)",
     "v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nc=IN IP4 192.0.2.1\nt=0 0\n"
     "m=audio 4000 RTP/AVP 0\na=rtcp:53020 IN IP4 126.16.64.4\n",
     "PCMU", 8000, 0, std::nullopt, "192.0.2.1", 4000, 53020, Direction::kSendRecv, 0,
     "126.16.64.4"},
    {"codec names are case-insensitive",
     "v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nc=IN IP4 192.0.2.1\nt=0 0\n"
     "m=audio 4000 RTP/AVP 96 8\na=rtpmap:96 OPUS/48000/2\na=rtpmap:8 pcma/8000\n",
     "opus", 48000, 96, std::nullopt, "192.0.2.1", 4000, 4001, Direction::kSendRecv},
};

TEST(AnswerTerminated, RealPhonesOffers) {
  for (const Row& row : kRows) {
    SCOPED_TRACE(row.name);
    const std::string offer_text = crlf(row.offer);
    auto offer = parse(offer_text);
    ASSERT_TRUE(offer.has_value()) << offer.error().reason;
    auto r = answer_terminated(*offer, cohort_media());
    ASSERT_TRUE(r.has_value()) << r.error().reason;
    EXPECT_EQ(r->codec_name, row.codec);
    EXPECT_EQ(r->clock_rate, row.clock);
    EXPECT_EQ(r->payload_type, row.pt);
    EXPECT_EQ(r->telephone_event_pt, row.te_pt);
    EXPECT_EQ(r->remote_address, row.remote_address);
    EXPECT_EQ(r->remote_rtp_port, row.rtp_port);
    EXPECT_EQ(r->remote_rtcp_port, row.rtcp_port);
    EXPECT_EQ(r->remote_rtcp_address,
              row.rtcp_address != nullptr ? row.rtcp_address : row.remote_address);
    EXPECT_EQ(r->direction, row.direction);
    EXPECT_EQ(r->media_index, row.media_index);

    // The answer: valid SDP, as many m= lines as the offer, only the chosen one open.
    auto a = parse(r->body);
    ASSERT_TRUE(a.has_value()) << a.error().reason << "\n" << r->body;
    EXPECT_EQ(a->username, "cohort");
    EXPECT_EQ(a->sess_id, "42");
    EXPECT_EQ(a->sess_version, "7");
    ASSERT_EQ(a->connections.size(), 1u);
    EXPECT_EQ(a->connections[0].address, "203.0.113.5");
    ASSERT_EQ(a->media.size(), offer->media.size()) << r->body;
    for (std::size_t i = 0; i < a->media.size(); ++i) {
      EXPECT_EQ(a->media[i].media, offer->media[i].media);
      EXPECT_EQ(a->media[i].proto, offer->media[i].proto);
      if (i != row.media_index) {
        EXPECT_EQ(a->media[i].port, 0) << r->body;
        continue;
      }
      const Media& m = a->media[i];
      EXPECT_EQ(m.port, 20000);
      std::vector<std::string_view> formats{std::to_string(row.pt)};
      const std::string te = row.te_pt ? std::to_string(*row.te_pt) : "";
      if (row.te_pt) {
        formats.push_back(te);
      }
      EXPECT_EQ(m.formats, formats) << r->body;
      EXPECT_TRUE(has(m.attributes, to_string(row.direction))) << r->body;
      EXPECT_TRUE(has(m.attributes, "ptime:20")) << r->body;
      if (row.te_pt) {
        const std::string map = "rtpmap:" + te + " telephone-event/" + std::to_string(row.clock);
        EXPECT_TRUE(has(m.attributes, map)) << r->body;
      }
    }
  }
}

TEST(AnswerTerminated, OpusIsWrittenWithTwoChannelsAndOurFmtp) {
  auto offer =
      parse(crlf("v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nc=IN IP4 192.0.2.1\nt=0 0\n"
                 "m=audio 4000 RTP/AVP 111\na=rtpmap:111 opus/48000/2\na=fmtp:111 minptime=10\n"));
  ASSERT_TRUE(offer.has_value());
  auto r = answer_terminated(*offer, cohort_media());
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->channels, 2);
  auto a = parse(r->body);
  ASSERT_TRUE(a.has_value()) << r->body;
  EXPECT_TRUE(has(a->media[0].attributes, "rtpmap:111 opus/48000/2")) << r->body;
  EXPECT_TRUE(has(a->media[0].attributes, "fmtp:111 useinbandfec=1")) << r->body;
}

TEST(AnswerTerminated, MaxptimeEchoedOnlyWhenHonoured) {
  auto offer =
      parse(crlf("v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nc=IN IP4 192.0.2.1\nt=0 0\n"
                 "m=audio 4000 RTP/AVP 8\na=ptime:30\na=maxptime:40\n"));
  ASSERT_TRUE(offer.has_value());
  auto r = answer_terminated(*offer, cohort_media());
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->remote_ptime_ms, 30u);
  EXPECT_EQ(r->remote_maxptime_ms, 40u);
  EXPECT_NE(r->body.find("a=maxptime:40\r\n"), std::string::npos) << r->body;
  EXPECT_NE(r->body.find("a=ptime:20\r\n"), std::string::npos) << r->body;

  auto low =
      parse(crlf("v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nc=IN IP4 192.0.2.1\nt=0 0\n"
                 "m=audio 4000 RTP/AVP 8\na=maxptime:10\n"));
  ASSERT_TRUE(low.has_value());
  auto r2 = answer_terminated(*low, cohort_media());
  ASSERT_TRUE(r2.has_value());
  EXPECT_EQ(r2->body.find("maxptime"), std::string::npos) << r2->body;
}

TEST(AnswerTerminated, Ipv6LocalAddress) {
  auto offer =
      parse(crlf("v=0\no=- 1 1 IN IP6 2001:db8::7\ns=-\nc=IN IP6 2001:db8::7\nt=0 0\n"
                 "m=audio 6000 RTP/AVP 0\n"));
  ASSERT_TRUE(offer.has_value());
  auto r = answer_terminated(*offer, cohort_media("2001:db8::5"));
  ASSERT_TRUE(r.has_value());
  auto a = parse(r->body);
  ASSERT_TRUE(a.has_value()) << r->body;
  EXPECT_EQ(a->origin.addrtype, "IP6");
  EXPECT_EQ(a->origin.address, "2001:db8::5");
  EXPECT_EQ(a->connections[0].addrtype, "IP6");
  EXPECT_EQ(a->connections[0].address, "2001:db8::5");
}

struct Refusal {
  const char* name;
  const char* offer;
  const char* reason;
};

const Refusal kRefusals[] = {
    {"G.729 only trunk",
     "v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nc=IN IP4 192.0.2.1\nt=0 0\n"
     "m=audio 4000 RTP/AVP 18 101\na=rtpmap:18 G729/8000\na=rtpmap:101 telephone-event/8000\n",
     "No common codec"},
    {"SAVP only",
     "v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nc=IN IP4 192.0.2.1\nt=0 0\n"
     "m=audio 4000 RTP/SAVP 0\n",
     "No audio stream"},
    {"video only",
     "v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nc=IN IP4 192.0.2.1\nt=0 0\n"
     "m=video 4000 RTP/AVP 96\na=rtpmap:96 H264/90000\n",
     "No audio stream"},
    {"audio rejected by the offerer",
     "v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nc=IN IP4 192.0.2.1\nt=0 0\n"
     "m=audio 0 RTP/AVP 0\n",
     "No audio stream"},
    {"opus written at a wrong clock",
     "v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nc=IN IP4 192.0.2.1\nt=0 0\n"
     "m=audio 4000 RTP/AVP 96\na=rtpmap:96 opus/8000\n",
     "No common codec"},
};

TEST(AnswerTerminated, Refusals) {
  for (const Refusal& row : kRefusals) {
    SCOPED_TRACE(row.name);
    auto offer = parse(crlf(row.offer));
    ASSERT_TRUE(offer.has_value()) << offer.error().reason;
    auto r = answer_terminated(*offer, cohort_media());
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().status, 488);
    EXPECT_EQ(r.error().reason, row.reason);
  }
}

TEST(OfferTerminated, EveryCodecAndTelephoneEventPerClock) {
  const std::string body = offer_terminated(cohort_media(), Direction::kSendRecv);
  auto o = parse(body);
  ASSERT_TRUE(o.has_value()) << o.error().reason << "\n" << body;
  EXPECT_FALSE(check_offer(*o).has_value());
  ASSERT_EQ(o->media.size(), 1u);
  const Media& m = o->media[0];
  EXPECT_EQ(m.port, 20000);
  EXPECT_EQ(m.formats, (std::vector<std::string_view>{"111", "9", "8", "0", "101", "102"}));
  EXPECT_TRUE(has(m.attributes, "rtpmap:111 opus/48000/2"));
  EXPECT_TRUE(has(m.attributes, "fmtp:111 useinbandfec=1"));
  EXPECT_TRUE(has(m.attributes, "rtpmap:101 telephone-event/48000"));
  EXPECT_TRUE(has(m.attributes, "rtpmap:102 telephone-event/8000"));
  EXPECT_TRUE(has(m.attributes, "sendrecv"));
  EXPECT_TRUE(has(m.attributes, "ptime:20"));
}

TEST(OfferTerminated, HoldAndResumeRoundTrip) {
  // Our hold offer answered by a phone (here: our own answerer) mirrors to recvonly.
  for (auto [ours, theirs] : {std::pair{Direction::kSendOnly, Direction::kRecvOnly},
                              std::pair{Direction::kInactive, Direction::kInactive},
                              std::pair{Direction::kSendRecv, Direction::kSendRecv}}) {
    const std::string body = offer_terminated(cohort_media(), ours);
    auto o = parse(body);
    ASSERT_TRUE(o.has_value()) << body;
    auto r = answer_terminated(*o, cohort_media("198.51.100.9"));
    ASSERT_TRUE(r.has_value()) << r.error().reason;
    EXPECT_EQ(r->direction, theirs);
    EXPECT_EQ(r->codec_name, "opus");
    EXPECT_EQ(r->telephone_event_pt, 101);
  }
}

TEST(OfferTerminated, TelephoneEventAvoidsCodecNumbers) {
  LocalMedia l = cohort_media();
  l.codecs = {{"PCMU", 8000, 1, 0, false, ""}, {"opus", 48000, 2, 101, true, ""}};
  const std::string body = offer_terminated(l, Direction::kSendRecv);
  auto o = parse(body);
  ASSERT_TRUE(o.has_value()) << body;
  EXPECT_EQ(o->media[0].formats, (std::vector<std::string_view>{"0", "101", "102", "103"}));
  EXPECT_TRUE(has(o->media[0].attributes, "rtpmap:102 telephone-event/8000"));
  EXPECT_TRUE(has(o->media[0].attributes, "rtpmap:103 telephone-event/48000"));

  l.telephone_event = false;
  auto o2 = parse(offer_terminated(l, Direction::kSendRecv));
  ASSERT_TRUE(o2.has_value());
  EXPECT_EQ(o2->media[0].formats, (std::vector<std::string_view>{"0", "101"}));
}

// Media anchoring (relayed_stream, relay_description): what passes the relay, what does not.
RelayRewrite relay_to(std::uint16_t port, std::string address = "203.0.113.5") {
  return RelayRewrite{std::move(address), port, 77, 3};
}

TEST(RelayDescription, KeepsTheCodecsAndHidesTheSender) {
  const std::string body = crlf(
      "v=0\no=alice 9 9 IN IP4 192.168.1.20\ns=Talk\nc=IN IP4 192.168.1.20\nb=AS:80\nt=0 0\n"
      "a=group:BUNDLE 0 1\na=ice-ufrag:u\na=ice-pwd:pppppppppppppppppppppp\na=sendrecv\n"
      "m=video 9078 RTP/AVP 96\na=rtpmap:96 H264/90000\n"
      "m=audio 7078 RTP/AVPF 111 9 101\nc=IN IP4 192.168.1.21\na=rtpmap:111 opus/48000/2\n"
      "a=fmtp:111 useinbandfec=1\na=rtpmap:9 G722/8000\na=rtpmap:101 telephone-event/8000\n"
      "a=rtcp:7079 IN IP4 192.168.1.22\na=rtcp-mux\na=mid:1\na=ssrc:1 cname:sip:101@lan\n"
      "a=msid:s t\na=candidate:1 1 UDP 1 192.168.1.20 7078 typ host\na=rtcp-fb:111 nack\n"
      "a=ptime:20\n");
  auto offer = parse(body);
  ASSERT_TRUE(offer) << offer.error().reason;
  auto stream = relayed_stream(*offer, std::nullopt);
  ASSERT_TRUE(stream);
  EXPECT_EQ(stream->media_index, 1u);          // the first usable audio line, not the first line
  EXPECT_EQ(stream->address, "192.168.1.21");  // media-level c= over session-level
  EXPECT_EQ(stream->rtp_port, 7078);
  EXPECT_EQ(stream->rtcp_address, "192.168.1.22");
  EXPECT_EQ(stream->rtcp_port, 7079);
  EXPECT_EQ(stream->direction, Direction::kSendRecv);

  const std::string out = relay_description(*offer, *stream, relay_to(20100));
  auto back = parse(out);
  ASSERT_TRUE(back) << back.error().reason << "\n" << out;
  EXPECT_EQ(back->username, "cohort");
  EXPECT_EQ(back->sess_id, "77");
  EXPECT_EQ(back->sess_version, "3");
  EXPECT_EQ(back->origin.address, "203.0.113.5");
  ASSERT_EQ(back->connections.size(), 1u);
  EXPECT_EQ(back->connections[0].address, "203.0.113.5");
  ASSERT_EQ(back->media.size(), 2u);  // the same lines, in the same order (RFC 3264 §6)
  EXPECT_EQ(back->media[0].port, 0);  // the video is disabled: the relay carries audio only
  const Media& audio = back->media[1];
  EXPECT_EQ(audio.port, 20100);
  EXPECT_EQ(audio.proto, "RTP/AVPF");
  EXPECT_EQ(audio.formats, (std::vector<std::string_view>{"111", "9", "101"}));
  EXPECT_TRUE(audio.connections.empty());
  for (std::string_view kept : {"rtpmap:111 opus/48000/2", "fmtp:111 useinbandfec=1",
                                "rtpmap:9 G722/8000", "rtcp-fb:111 nack", "ptime:20"}) {
    EXPECT_TRUE(has(audio.attributes, kept)) << kept;
  }
  EXPECT_TRUE(has(back->attributes, "sendrecv"));
  for (std::string_view gone : {"192.168.1", "7078", "7079", "ssrc", "cname", "candidate", "ice-",
                                "BUNDLE", "mid:", "msid", "rtcp-mux", "alice"}) {
    EXPECT_EQ(out.find(gone), std::string::npos) << gone << " in\n" << out;
  }
}

TEST(RelayDescription, HoldAndRejectedStreamsStayWhatTheyWere) {
  // RFC 2543 hold: c=0.0.0.0 goes on, so the other side does not send to the relay.
  // (parse() returns views into the body: each body is kept while its session is read.)
  const std::string held_body = crlf(
      "v=0\no=a 1 2 IN IP4 10.0.0.1\ns=-\nc=IN IP4 0.0.0.0\nt=0 0\n"
      "m=audio 4000 RTP/AVP 0\na=sendonly\n");
  auto held = parse(held_body);
  ASSERT_TRUE(held);
  auto stream = relayed_stream(*held, std::nullopt);
  ASSERT_TRUE(stream);
  EXPECT_EQ(stream->direction, Direction::kSendOnly);
  const std::string out = relay_description(*held, *stream, relay_to(20102));
  auto back = parse(out);
  ASSERT_TRUE(back) << out;
  ASSERT_EQ(back->media[0].connections.size(), 1u);
  EXPECT_EQ(back->media[0].connections[0].address, "0.0.0.0");
  EXPECT_TRUE(has(back->media[0].attributes, "sendonly"));

  // An answer that rejects the audio line: found by its index, passed with port 0.
  const std::string rejected_body = crlf(
      "v=0\no=b 1 1 IN IP4 10.0.0.2\ns=-\nc=IN IP4 10.0.0.2\nt=0 0\n"
      "m=audio 0 RTP/AVP 0\n");
  auto rejected = parse(rejected_body);
  ASSERT_TRUE(rejected);
  EXPECT_FALSE(relayed_stream(*rejected, std::nullopt));
  auto at = relayed_stream(*rejected, 0);
  ASSERT_TRUE(at);
  EXPECT_EQ(at->rtp_port, 0);
  const std::string out2 = relay_description(*rejected, *at, relay_to(20104));
  auto back2 = parse(out2);
  ASSERT_TRUE(back2);
  EXPECT_EQ(back2->media[0].port, 0);
  EXPECT_FALSE(relayed_stream(*rejected, 3));  // no such line

  // IPv6: Cohort's own address family is written, the formats kept.
  const std::string v6_body = crlf(
      "v=0\no=c 1 1 IN IP6 ::1\ns=-\nc=IN IP6 ::1\nt=0 0\n"
      "m=audio 5000 RTP/AVP 8\n");
  auto v6 = parse(v6_body);
  ASSERT_TRUE(v6);
  auto s6 = relayed_stream(*v6, std::nullopt);
  ASSERT_TRUE(s6);
  const std::string out3 = relay_description(*v6, *s6, relay_to(20106, "2001:db8::5"));
  auto back3 = parse(out3);
  ASSERT_TRUE(back3);
  EXPECT_EQ(back3->connections[0].addrtype, "IP6");
  EXPECT_EQ(back3->connections[0].address, "2001:db8::5");
}

}  // namespace
}  // namespace cohort::sip::sdp
