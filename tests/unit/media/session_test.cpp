// MediaSession on a simulated clock: the 20 ms send grid under late and early ticks, RTP
// numbering across prompts, hold, recording through reorder/loss/duplicates and its end
// rules (digit from RFC 4733, SIP INFO and in-band; silence; maximum length), the no-RTP
// timeout, foreign packets, RTCP and RFC 4733 sending.
#include "media/session.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "media/g711.hpp"
#include "media/rtcp.hpp"
#include "media/tones.hpp"
#include "signal.hpp"

namespace cohort::media {
namespace {

using namespace std::chrono_literals;
using Bytes = std::vector<std::uint8_t>;

const TimePoint kT0 = TimePoint{} + 1000h;
constexpr std::uint16_t kSeq0 = 65530;  // wraps within the first packets
constexpr std::uint32_t kTs0 = 0xFFFFFE00;
constexpr std::uint32_t kPeerSsrc = 0xCAFE;

SessionConfig config(bool idle_silence = false) {
  SessionConfig c;
  c.codec = CodecId::kPcmu;
  c.payload_type = 0;
  c.telephone_event_pt = 101;
  c.local_ssrc = 0x1234;
  c.initial_seq = kSeq0;
  c.initial_timestamp = kTs0;
  c.idle_silence = idle_silence;
  return c;
}

TimePoint at(std::chrono::milliseconds ms) {
  return kT0 + ms;
}

std::vector<RtpHeader> rtp_headers(const std::vector<Action>& actions,
                                   Bytes* first_payloads = nullptr) {
  std::vector<RtpHeader> out;
  for (const Action& a : actions) {
    if (const auto* s = std::get_if<SendRtp>(&a)) {
      auto p = parse_rtp(s->bytes);
      EXPECT_TRUE(p.has_value());
      out.push_back(p->header);
      if (first_payloads != nullptr) {
        first_payloads->push_back(p->payload.empty() ? 0xEE : p->payload[0]);
      }
    }
  }
  return out;
}

template <class T>
std::size_t count(const std::vector<Action>& actions) {
  return static_cast<std::size_t>(
      std::count_if(actions.begin(), actions.end(),
                    [](const Action& a) { return std::holds_alternative<T>(a); }));
}

template <class T>
std::vector<T> all_of(const std::vector<Action>& actions) {
  std::vector<T> out;
  for (const Action& a : actions) {
    if (const auto* t = std::get_if<T>(&a)) {
      out.push_back(*t);
    }
  }
  return out;
}

void append(std::vector<Action>& to, std::vector<Action> more) {
  for (Action& a : more) {
    to.push_back(std::move(a));
  }
}

/// A prompt whose frame i is 160 bytes of value `first + i`.
std::shared_ptr<const EncodedPrompt> prompt(std::size_t frames, std::uint8_t first = 1) {
  auto p = std::make_shared<EncodedPrompt>(CodecId::kPcmu);
  for (std::size_t i = 0; i < frames; ++i) {
    p->append_frame(Bytes(160, static_cast<std::uint8_t>(first + i)));
  }
  return p;
}

Bytes packet(std::uint16_t seq, std::uint32_t ts, std::span<const std::uint8_t> payload,
             std::uint8_t pt = 0, std::uint32_t ssrc = kPeerSsrc, bool marker = false) {
  RtpHeader h;
  h.payload_type = pt;
  h.sequence = seq;
  h.timestamp = ts;
  h.ssrc = ssrc;
  h.marker = marker;
  return build_rtp(h, payload);
}

/// 20 ms of a 440 Hz tone (well above the silence threshold), µ-law.
Bytes tone_frame(std::size_t i) {
  auto pcm = test::sine(440.0, 8000, 160, 8000.0, static_cast<double>(i) * 0.3);
  return encode_ulaw(pcm);
}
Bytes silence_frame() {
  return Bytes(160, 0xFF);
}

// ---- sending ----

struct PacingRow {
  const char* name;
  std::vector<int> ticks_ms;
  std::vector<std::size_t> packets_per_tick;
};

TEST(MediaSessionPacing, StaysOnTheGridUnderLateAndEarlyTicks) {
  const PacingRow rows[] = {
      {"on time", {0, 20, 40, 60}, {1, 1, 1, 1}},
      {"a 70 ms late tick sends what is due at once", {0, 20, 90, 100}, {1, 1, 3, 1}},
      {"early ticks send nothing early", {0, 19, 20, 39, 40}, {1, 0, 1, 0, 1}},
      {"jittery timer", {0, 25, 38, 61, 79, 100, 101}, {1, 1, 0, 2, 0, 2, 0}},
  };
  for (const PacingRow& row : rows) {
    SCOPED_TRACE(row.name);
    MediaSession s(config(true), kT0);
    std::size_t n = 0;
    for (std::size_t i = 0; i < row.ticks_ms.size(); ++i) {
      const auto headers = rtp_headers(s.on_tick(at(std::chrono::milliseconds(row.ticks_ms[i]))));
      EXPECT_EQ(headers.size(), row.packets_per_tick[i]) << "tick " << row.ticks_ms[i];
      for (const RtpHeader& h : headers) {
        EXPECT_EQ(h.sequence, static_cast<std::uint16_t>(kSeq0 + n));
        EXPECT_EQ(h.timestamp, static_cast<std::uint32_t>(kTs0 + n * 160));
        EXPECT_EQ(h.ssrc, 0x1234u);
        EXPECT_EQ(h.marker, n == 0);
        ++n;
      }
    }
  }
}

TEST(MediaSessionPacing, AStallSkipsOldSlotsButKeepsTimeAndSequence) {
  MediaSession s(config(true), kT0);
  ASSERT_EQ(rtp_headers(s.on_tick(kT0)).size(), 1u);
  const auto late = rtp_headers(s.on_tick(at(1000ms)));  // 50 slots due: 40 skipped, 10 sent
  ASSERT_EQ(late.size(), 10u);
  EXPECT_EQ(s.counters().late_slots_dropped, 40u);
  for (std::size_t i = 0; i < late.size(); ++i) {
    EXPECT_EQ(late[i].sequence, static_cast<std::uint16_t>(kSeq0 + 1 + i));
    EXPECT_EQ(late[i].timestamp, static_cast<std::uint32_t>(kTs0 + (41 + i) * 160));
    EXPECT_EQ(late[i].marker, i == 0);
  }
}

TEST(MediaSessionPlayback, PromptOfKnownLengthGivesExactlyNPacketsAndDone) {
  MediaSession s(config(false), kT0);
  s.play(prompt(7), false, kT0);
  std::vector<Action> all;
  for (int ms = 0; ms <= 400; ms += 20) {
    auto actions = s.on_tick(at(std::chrono::milliseconds(ms)));
    if (count<PlaybackDone>(actions) > 0) {
      EXPECT_EQ(ms, 120) << "done with the 7th packet";
    }
    append(all, std::move(actions));
  }
  Bytes first;
  const auto headers = rtp_headers(all, &first);
  EXPECT_EQ(headers.size(), 7u);
  EXPECT_EQ(first, (Bytes{1, 2, 3, 4, 5, 6, 7}));
  EXPECT_EQ(count<PlaybackDone>(all), 1u);
  EXPECT_EQ(s.play_state(), MediaSession::PlayState::kIdle);
}

TEST(MediaSessionPlayback, SequenceAndTimestampContinueAcrossPrompts) {
  MediaSession s(config(true), kT0);
  s.play(prompt(3, 10), false, kT0);
  std::vector<Action> all;
  bool second = false;
  for (int ms = 0; ms <= 200; ms += 20) {
    auto actions = s.on_tick(at(std::chrono::milliseconds(ms)));
    if (count<PlaybackDone>(actions) > 0 && !second) {
      second = true;
      s.play(prompt(2, 20), false, at(std::chrono::milliseconds(ms)));
    }
    append(all, std::move(actions));
  }
  Bytes first;
  const auto headers = rtp_headers(all, &first);
  ASSERT_EQ(headers.size(), 11u);
  const std::uint8_t silence = encode_ulaw(std::vector<std::int16_t>{0})[0];
  EXPECT_EQ(first,
            (Bytes{10, 11, 12, 20, 21, silence, silence, silence, silence, silence, silence}));
  for (std::size_t i = 0; i < headers.size(); ++i) {
    EXPECT_EQ(headers[i].sequence, static_cast<std::uint16_t>(kSeq0 + i));
    EXPECT_EQ(headers[i].timestamp, static_cast<std::uint32_t>(kTs0 + i * 160));
    EXPECT_EQ(headers[i].marker, i == 0);
  }
  EXPECT_EQ(count<PlaybackDone>(all), 2u);
}

TEST(MediaSessionPlayback, LoopRepeatsUntilStopped) {
  MediaSession s(config(false), kT0);
  s.play(prompt(3), true, kT0);
  std::vector<Action> all;
  for (int ms = 0; ms < 400; ms += 20) {
    append(all, s.on_tick(at(std::chrono::milliseconds(ms))));
  }
  Bytes first;
  EXPECT_EQ(rtp_headers(all, &first).size(), 20u);
  EXPECT_EQ(count<PlaybackDone>(all), 0u);
  EXPECT_EQ(first[3], 1);
  s.stop_playing();
  EXPECT_TRUE(rtp_headers(s.on_tick(at(400ms))).empty());
}

struct HoldRow {
  Direction direction;
  bool sends;
};

TEST(MediaSessionHold, DirectionDecidesWhetherWeSend) {
  const HoldRow rows[] = {{Direction::kSendRecv, true},
                          {Direction::kSendOnly, true},
                          {Direction::kRecvOnly, false},
                          {Direction::kInactive, false}};
  for (const HoldRow& row : rows) {
    SCOPED_TRACE(static_cast<int>(row.direction));
    MediaSession s(config(true), kT0);
    ASSERT_EQ(rtp_headers(s.on_tick(kT0)).size(), 1u);
    s.set_direction(row.direction, at(10ms));
    std::size_t sent = 0;
    std::size_t rtcp = 0;
    for (int ms = 20; ms <= 6000; ms += 20) {
      const auto actions = s.on_tick(at(std::chrono::milliseconds(ms)));
      sent += rtp_headers(actions).size();
      rtcp += count<SendRtcp>(actions);
    }
    EXPECT_EQ(sent, row.sends ? 300u : 0u);
    EXPECT_GE(rtcp, 1u) << "RTCP goes on while on hold";
    // Resume: the sequence continues, the timestamp shows the time on hold, marker set.
    s.set_direction(Direction::kSendRecv, at(6010ms));
    const auto resumed = rtp_headers(s.on_tick(at(6020ms)));
    ASSERT_EQ(resumed.size(), 1u);
    EXPECT_EQ(resumed[0].sequence, static_cast<std::uint16_t>(kSeq0 + 1 + sent));
    EXPECT_EQ(resumed[0].timestamp, static_cast<std::uint32_t>(kTs0 + 301 * 160));
    EXPECT_EQ(resumed[0].marker, !row.sends);
  }
}

TEST(MediaSessionDigitsOut, SendsRfc4733EventsOnTheGrid) {
  MediaSession s(config(true), kT0);
  ASSERT_TRUE(s.play_digits("1#", kT0));
  std::vector<Action> all;
  for (int ms = 0; ms <= 600; ms += 20) {
    append(all, s.on_tick(at(std::chrono::milliseconds(ms))));
  }
  DtmfFromRtpEvents rx(DtmfFromRtpEvents::EmitOn::kEnd);
  std::string digits;
  std::size_t events = 0;
  std::uint16_t expected_seq = kSeq0;
  for (const auto& send : all_of<SendRtp>(all)) {
    auto p = parse_rtp(send.bytes);
    ASSERT_TRUE(p.has_value());
    EXPECT_EQ(p->header.sequence, expected_seq++);
    if (p->header.payload_type == 101) {
      ++events;
      if (auto d = rx.on_packet(p->header.sequence, p->header.timestamp, p->payload)) {
        digits += d->digit;
      }
    }
  }
  EXPECT_EQ(digits, "1#");
  EXPECT_EQ(events, 2u * (4 + 3));  // 100 ms: 4 updates + 3 end packets each

  SessionConfig no_te = config();
  no_te.telephone_event_pt.reset();
  MediaSession s2(no_te, kT0);
  EXPECT_FALSE(s2.play_digits("1", kT0));
}

TEST(MediaSessionRtcp, SenderReportWithNeutralCnameAndReportBlock) {
  MediaSession s(config(true), kT0);
  for (int i = 0; i < 50; ++i) {
    (void)s.on_rtp(packet(static_cast<std::uint16_t>(100 + i), 1000u + 160u * i, tone_frame(i)),
                   at(std::chrono::milliseconds(20 * i + 5)));
  }
  std::vector<Action> all;
  for (int ms = 0; ms <= 2500; ms += 20) {
    append(all, s.on_tick(at(std::chrono::milliseconds(ms))));
  }
  const auto rtcp = all_of<SendRtcp>(all);
  ASSERT_EQ(rtcp.size(), 1u) << "the first report at half the 5 s interval";
  auto parsed = parse_rtcp(rtcp[0].bytes);
  ASSERT_TRUE(parsed.has_value());
  ASSERT_EQ(parsed->size(), 2u);
  const auto* sr = std::get_if<RtcpSenderReport>(&(*parsed)[0]);
  ASSERT_NE(sr, nullptr);
  EXPECT_EQ(sr->ssrc, 0x1234u);
  EXPECT_EQ(sr->info.packet_count, 126u);
  ASSERT_EQ(sr->reports.size(), 1u);
  EXPECT_EQ(sr->reports[0].ssrc, kPeerSsrc);
  EXPECT_EQ(sr->reports[0].highest_seq, 149u);
  const auto* sdes = std::get_if<RtcpSdes>(&(*parsed)[1]);
  ASSERT_NE(sdes, nullptr);
  ASSERT_EQ(sdes->chunks.size(), 1u);
  EXPECT_EQ(sdes->chunks[0].items, (std::vector<SdesItem>{{kSdesCname, "cohort"}}));

  // The peer's SR comes back as LSR in our next report; garbage RTCP is counted.
  RtcpSenderReport peer;
  peer.ssrc = kPeerSsrc;
  peer.info.ntp = 0x0001234567890000ULL;
  const std::vector<RtcpPacket> peer_packets{peer};
  (void)s.on_rtcp(build_rtcp(peer_packets), at(2600ms));
  (void)s.on_rtcp(Bytes{0x80, 0xC8, 0, 1}, at(2600ms));
  EXPECT_EQ(s.counters().malformed, 1u);
  std::vector<Action> next;
  for (int ms = 2520; ms <= 7500; ms += 20) {
    append(next, s.on_tick(at(std::chrono::milliseconds(ms))));
  }
  const auto rtcp2 = all_of<SendRtcp>(next);
  ASSERT_EQ(rtcp2.size(), 1u);
  auto parsed2 = parse_rtcp(rtcp2[0].bytes);
  ASSERT_TRUE(parsed2.has_value());
  const auto* sr2 = std::get_if<RtcpSenderReport>(&(*parsed2)[0]);
  ASSERT_NE(sr2, nullptr);
  ASSERT_EQ(sr2->reports.size(), 1u);
  EXPECT_EQ(sr2->reports[0].lsr, ntp_middle32(peer.info.ntp));
}

// ---- receiving ----

TEST(MediaSessionReceive, ForeignAndMalformedPacketsAreCountedNotUsed) {
  MediaSession s(config(), kT0);
  s.start_recording({}, kT0);
  (void)s.on_rtp(packet(1, 0, tone_frame(0)), at(0ms));
  (void)s.on_rtp(Bytes{0x00, 0x01, 0x02}, at(1ms));                 // garbage
  (void)s.on_rtp(packet(7, 99, tone_frame(0), 0, 0xBAD), at(2ms));  // other SSRC
  (void)s.on_rtp(packet(2, 160, Bytes{0x40}, 13), at(3ms));         // CN
  (void)s.on_rtp(packet(3, 320, tone_frame(2), 0), at(40ms));
  EXPECT_EQ(s.counters().malformed, 1u);
  EXPECT_EQ(s.counters().foreign, 2u);
  EXPECT_EQ(s.counters().rtp_received, 2u);
  EXPECT_EQ(s.remote_ssrc(), kPeerSsrc);
  // A new SSRC takes over once ours has been quiet for a while (phone restarted its stream).
  (void)s.on_rtp(packet(500, 7777, tone_frame(0), 0, 0xBEEF), at(1000ms));
  EXPECT_EQ(s.remote_ssrc(), 0xBEEFu);
}

struct Arrival {
  std::uint16_t seq;
  int at_ms;
};

TEST(MediaSessionRecording, ReorderLossAndDuplicatesKeepTheTrueDuration) {
  // 150 packets (3 s): #10 and #11 swapped, #20 duplicated, #30 and #77 lost, #90 late by 40 ms.
  std::vector<Arrival> arrivals;
  for (std::uint16_t i = 0; i < 150; ++i) {
    if (i == 30 || i == 77) {
      continue;
    }
    int t = 20 * i;
    if (i == 10) {
      t += 25;
    }
    if (i == 90) {
      t += 40;
    }
    arrivals.push_back({i, t});
    if (i == 20) {
      arrivals.push_back({i, t + 3});
    }
  }
  std::stable_sort(arrivals.begin(), arrivals.end(),
                   [](const Arrival& a, const Arrival& b) { return a.at_ms < b.at_ms; });
  MediaSession s(config(), kT0);
  s.start_recording({}, kT0);
  std::vector<Action> all;
  std::size_t next = 0;
  for (int ms = 0; ms <= 3020; ms += 20) {
    for (; next < arrivals.size() && arrivals[next].at_ms <= ms; ++next) {
      const std::uint16_t seq = static_cast<std::uint16_t>(65500 + arrivals[next].seq);  // wraps
      append(all, s.on_rtp(packet(seq, 0xFFFFF000u + 160u * arrivals[next].seq,
                                  tone_frame(arrivals[next].seq)),
                           at(std::chrono::milliseconds(arrivals[next].at_ms))));
    }
    append(all, s.on_tick(at(std::chrono::milliseconds(ms))));
  }
  append(all, s.stop_recording(at(3030ms)));
  const auto done = all_of<RecordingDone>(all);
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].reason, RecordingEnd::kStopped);
  EXPECT_EQ(done[0].sample_rate, 8000u);
  EXPECT_EQ(done[0].pcm.size(), 150u * 160u);
  EXPECT_EQ(done[0].duration, 3000ms);
  EXPECT_FALSE(done[0].too_short);
  EXPECT_FALSE(s.recording());
}

/// Feeds `seconds` of 20 ms packets (tone or silence) from `start_ms`, ticking as it goes.
struct Feeder {
  MediaSession& s;
  std::uint16_t seq = 1000;
  std::uint32_t ts = 5000;
  std::vector<Action> actions;

  void run(int from_ms, int to_ms, bool tone, bool send = true) {
    for (int ms = from_ms; ms < to_ms; ms += 20) {
      if (send) {
        const Bytes payload = tone ? tone_frame(seq) : silence_frame();
        append(actions, s.on_rtp(packet(seq, ts, payload), at(std::chrono::milliseconds(ms))));
        ++seq;
        ts += 160;
      }
      append(actions, s.on_tick(at(std::chrono::milliseconds(ms))));
    }
  }
};

TEST(MediaSessionRecording, SilenceEndsItAndIsTrimmed) {
  for (bool packets_during_silence : {true, false}) {
    SCOPED_TRACE(packets_during_silence ? "silent packets" : "no packets (DTX)");
    MediaSession s(config(), kT0);
    RecordOptions o;
    o.silence = 5s;
    s.start_recording(o, kT0);
    Feeder f{s};
    f.run(0, 3000, true);
    f.run(3000, 12000, false, packets_during_silence);
    const auto done = all_of<RecordingDone>(f.actions);
    ASSERT_EQ(done.size(), 1u);
    EXPECT_EQ(done[0].reason, RecordingEnd::kSilence);
    EXPECT_GE(done[0].duration, 2980ms);
    EXPECT_LE(done[0].duration, 3040ms);
    EXPECT_FALSE(done[0].too_short);
  }
}

TEST(MediaSessionRecording, MaxLengthEndsItAtExactlyTheMaximum) {
  MediaSession s(config(), kT0);
  RecordOptions o;
  o.max_duration = 2s;
  s.start_recording(o, kT0);
  Feeder f{s};
  f.run(0, 4000, true);
  const auto done = all_of<RecordingDone>(f.actions);
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].reason, RecordingEnd::kMaxDuration);
  EXPECT_EQ(done[0].duration, 2000ms);
  EXPECT_EQ(done[0].pcm.size(), 16000u);
}

TEST(MediaSessionRecording, ShorterThanTheMinimumIsFlagged) {
  MediaSession s(config(), kT0);
  s.start_recording({}, kT0);
  Feeder f{s};
  f.run(0, 1000, true);
  append(f.actions, s.stop_recording(at(1000ms)));
  const auto done = all_of<RecordingDone>(f.actions);
  ASSERT_EQ(done.size(), 1u);
  EXPECT_TRUE(done[0].too_short);
  EXPECT_EQ(done[0].duration, 1000ms);
}

enum class HashVia { kRfc4733, kSipInfo, kInband };

TEST(MediaSessionRecording, HashEndsItFromEverySource) {
  for (HashVia via : {HashVia::kRfc4733, HashVia::kSipInfo, HashVia::kInband}) {
    SCOPED_TRACE(static_cast<int>(via));
    SessionConfig c = config();
    if (via == HashVia::kInband) {
      c.inband_dtmf = true;
      c.telephone_event_pt.reset();
    }
    MediaSession s(c, kT0);
    s.start_recording({}, kT0);
    Feeder f{s};
    f.run(0, 3000, true);
    switch (via) {
      case HashVia::kRfc4733: {
        // Start, update, three end packets, as a phone sends them.
        for (int i = 0; i < 5; ++i) {
          const TelephoneEvent e{11, i >= 2, 10, static_cast<std::uint16_t>(160 * (i + 1))};
          const auto payload = build_telephone_event(e);
          append(f.actions, s.on_rtp(packet(f.seq++, f.ts, payload, 101, kPeerSsrc, i == 0),
                                     at(std::chrono::milliseconds(3000 + 20 * i))));
        }
        break;
      }
      case HashVia::kSipInfo:
        append(f.actions, s.on_sip_dtmf('#', at(3000ms)));
        break;
      case HashVia::kInband: {
        const auto tones = dtmf_tones("#", 8000, 100ms, 100ms);
        for (std::size_t at_sample = 0; at_sample + 160 <= tones.size(); at_sample += 160) {
          const auto frame =
              encode_ulaw(std::span<const std::int16_t>(tones).subspan(at_sample, 160));
          append(f.actions,
                 s.on_rtp(packet(f.seq++, f.ts, frame),
                          at(std::chrono::milliseconds(3000 + static_cast<int>(at_sample / 8)))));
          f.ts += 160;
        }
        break;
      }
    }
    const auto digits = all_of<Digit>(f.actions);
    const DigitSource source = via == HashVia::kRfc4733   ? DigitSource::kRfc4733
                               : via == HashVia::kSipInfo ? DigitSource::kSipInfo
                                                          : DigitSource::kInband;
    ASSERT_EQ(digits.size(), 1u);
    EXPECT_EQ(digits[0], (Digit{'#', source}));
    const auto done = all_of<RecordingDone>(f.actions);
    ASSERT_EQ(done.size(), 1u);
    EXPECT_EQ(done[0].reason, RecordingEnd::kDigit);
    EXPECT_GE(done[0].duration, 3000ms);
    EXPECT_LE(done[0].duration, 3200ms);
    EXPECT_FALSE(s.recording());
  }
}

TEST(MediaSessionReceive, NoRtpFiresOnceAfterTheTimeout) {
  MediaSession s(config(true), kT0);
  Feeder f{s};
  f.run(0, 1000, true);
  f.run(1000, 65000, false, false);
  std::size_t fired_at = 0;
  std::size_t n = 0;
  for (const Action& a : f.actions) {
    n += std::holds_alternative<SendRtp>(a) ? 1 : 0;
    if (std::holds_alternative<NoRtp>(a)) {
      fired_at = n;
    }
  }
  EXPECT_EQ(count<NoRtp>(f.actions), 1u);
  // The last packet arrived at 980 ms: the timeout ends at 30.98 s (slot 1549).
  EXPECT_EQ(fired_at, 1550u);

  // Nothing expected while the peer has put the stream on hold (inactive).
  MediaSession held(config(true), kT0);
  held.set_direction(Direction::kInactive, kT0);
  Feeder h{held};
  h.run(0, 65000, false, false);
  EXPECT_EQ(count<NoRtp>(h.actions), 0u);
}

// ---- prompts ----

TEST(EncodedPrompt, EncodesTwentyMillisecondFramesForEachCodec) {
  const auto pcm = test::sine(440.0, 44100, 44100 + 441, 8000.0);  // 1.01 s at 44.1 kHz
  struct Row {
    CodecId codec;
    std::size_t frame_bytes;  // 0: variable (Opus)
  };
  for (Row row : {Row{CodecId::kPcmu, 160}, Row{CodecId::kPcma, 160}, Row{CodecId::kG722, 160},
                  Row{CodecId::kOpus, 0}}) {
    SCOPED_TRACE(static_cast<int>(row.codec));
    auto p = encode_prompt(pcm, 44100, row.codec);
    ASSERT_TRUE(p.has_value());
    EXPECT_EQ(p->codec(), row.codec);
    EXPECT_EQ(p->frame_count(), 51u);
    EXPECT_EQ(p->duration(), 1020ms);
    for (std::size_t i = 0; i < p->frame_count(); ++i) {
      if (row.frame_bytes != 0) {
        EXPECT_EQ(p->frame(i).size(), row.frame_bytes);
      } else {
        EXPECT_FALSE(p->frame(i).empty());
      }
    }
    const EncodedPrompt* parts[] = {&*p, &*p};
    EXPECT_EQ(concat_prompts(parts).frame_count(), 102u);
  }
  auto empty = encode_prompt({}, 8000, CodecId::kPcmu);
  ASSERT_TRUE(empty.has_value());
  EXPECT_EQ(empty->frame_count(), 0u);
}

TEST(EncodedPrompt, GreetingPlusBeepPlaysThroughASession) {
  ToneGenerator beep({1000.0}, 8000, 500ms, 0ms, -13.0, true);
  auto greeting = encode_prompt(test::sine(440.0, 8000, 8000), 8000, CodecId::kPcmu);
  auto beep_prompt = encode_prompt(beep.next(4000), 8000, CodecId::kPcmu);
  ASSERT_TRUE(greeting.has_value() && beep_prompt.has_value());
  const EncodedPrompt* parts[] = {&*greeting, &*beep_prompt};
  auto both = std::make_shared<const EncodedPrompt>(concat_prompts(parts));
  EXPECT_EQ(both->duration(), 1500ms);
  MediaSession s(config(false), kT0);
  s.play(both, false, kT0);
  std::vector<Action> all;
  for (int ms = 0; ms <= 2000; ms += 20) {
    append(all, s.on_tick(at(std::chrono::milliseconds(ms))));
  }
  EXPECT_EQ(rtp_headers(all).size(), 75u);
  EXPECT_EQ(count<PlaybackDone>(all), 1u);
}

}  // namespace
}  // namespace cohort::media
