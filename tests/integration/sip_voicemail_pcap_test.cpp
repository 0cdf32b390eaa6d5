// A voicemail left from a pcap with loss and reordering (issue 13, "SIPp with a pcap stream
// that has loss and reordering leaves a WAV of the right duration"): the test writes a pcap
// of 4 s of PCMU RTP (a 617 Hz tone whose level rises, so that every 20 ms frame differs
// from every other) with six packets missing and four pairs sent out of order, SIPp plays
// it into a mailbox with play_pcap_audio, and the stored message is checked over the API:
// its length is the stream's media time (lost packets filled with silence in their place,
// not squeezed out), its audio is the tone, and frame by frame every packet that was sent is
// where its sequence number puts it and every lost one is silence.

#include <cmath>
#include <fstream>
#include <set>
#include <string>

#include "raw_phone.hpp"
#include "sip_call_fixture.hpp"

namespace cohort::testing {
namespace {

using namespace std::chrono_literals;

constexpr const char* kTrunkIp = "127.0.0.2";
constexpr const char* kDid = "15550181";
constexpr int kPackets = 200;  // 4 s of 20 ms packets
constexpr int kFrame = 160;    // samples per packet at 8 kHz
constexpr double kToneHz = 617;
const std::set<int> kLost = {23, 57, 58, 101, 150, 177};  // 57–58: a burst
const std::vector<std::pair<int, int>> kSwapped = {{40, 41}, {80, 81}, {120, 122}, {160, 161}};

/// The test's audio, sample `n` of 32,000: the tone, its level rising from 3,000 to 12,000.
std::int16_t sample(int n) {
  const double t = n / 8000.0;
  return static_cast<std::int16_t>((3000 + 9000 * t / 4.0) * std::sin(2 * M_PI * kToneHz * t));
}

void le16(std::string& out, std::uint32_t v) {
  out.push_back(static_cast<char>(v & 0xFF));
  out.push_back(static_cast<char>((v >> 8) & 0xFF));
}
void le32(std::string& out, std::uint32_t v) {
  le16(out, v & 0xFFFF);
  le16(out, v >> 16);
}
void be16(std::string& out, std::uint32_t v) {
  out.push_back(static_cast<char>((v >> 8) & 0xFF));
  out.push_back(static_cast<char>(v & 0xFF));
}

/// The pcap: libpcap's file format (global header, then a record header and the bytes of
/// each frame), Ethernet + IPv4 + UDP (40000 → 40000: SIPp keeps only the port offsets) +
/// RTP. Frames go out on the 20 ms grid in file order; slot k carries packet k, except that
/// lost packets leave their slot empty and swapped pairs trade slots.
std::string make_pcap() {
  std::string out;
  le32(out, 0xA1B2C3D4);  // microsecond timestamps, our byte order (little-endian)
  le16(out, 2);
  le16(out, 4);
  le32(out, 0);      // thiszone
  le32(out, 0);      // sigfigs
  le32(out, 65535);  // snaplen
  le32(out, 1);      // DLT_EN10MB
  std::vector<int> order(kPackets);
  for (int k = 0; k < kPackets; ++k) {
    order[k] = k;
  }
  for (auto [a, b] : kSwapped) {
    std::swap(order[a], order[b]);
  }
  for (int slot = 0; slot < kPackets; ++slot) {
    const int k = order[slot];
    if (kLost.count(k) != 0) {
      continue;
    }
    RtpPacket rtp;
    rtp.payload_type = 0;
    rtp.marker = k == 0;
    rtp.sequence = static_cast<std::uint16_t>(65500 + k);                  // wraps at packet 36
    rtp.timestamp = 0xFFFFF000u + static_cast<std::uint32_t>(k * kFrame);  // wraps too
    rtp.ssrc = 0x0A0B0C0D;
    for (int i = 0; i < kFrame; ++i) {
      rtp.payload.push_back(ulaw_encode(sample(k * kFrame + i)));
    }
    const std::vector<std::uint8_t> rtp_bytes = build_rtp_packet(rtp);
    std::string frame;
    frame.append("\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x08\x00", 14);  // IPv4
    const std::uint32_t udp_len = 8 + static_cast<std::uint32_t>(rtp_bytes.size());
    frame.push_back(0x45);  // IPv4, 20-byte header
    frame.push_back(0);
    be16(frame, 20 + udp_len);
    be16(frame, static_cast<std::uint32_t>(slot));  // identification
    be16(frame, 0x4000);                            // don't fragment
    frame.push_back(64);                            // TTL
    frame.push_back(17);                            // UDP
    be16(frame, 0);                                 // header checksum: not read by SIPp
    frame.append("\x0A\x01\x01\x01\x0A\x01\x01\x02", 8);
    be16(frame, 40000);
    be16(frame, 40000);
    be16(frame, udp_len);
    be16(frame, 0);  // no UDP checksum (SIPp computes its own)
    frame.append(rtp_bytes.begin(), rtp_bytes.end());
    const std::uint32_t usec = static_cast<std::uint32_t>(slot) * 20000;
    le32(out, 1700000000 + usec / 1000000);
    le32(out, usec % 1000000);
    le32(out, static_cast<std::uint32_t>(frame.size()));
    le32(out, static_cast<std::uint32_t>(frame.size()));
    out += frame;
  }
  return out;
}

struct Wav {
  std::uint32_t rate = 0;
  int channels = 0, bits = 0;
  std::vector<std::int16_t> pcm;
};
/// The fmt and data chunks of a RIFF/WAVE file (other chunks, such as Cohort's cmsg record,
/// skipped); rate 0 when it is not one.
Wav parse_wav(const std::string& b) {
  Wav w;
  const auto u16 = [&](std::size_t at) {
    return static_cast<std::uint32_t>(static_cast<std::uint8_t>(b[at]) |
                                      (static_cast<std::uint8_t>(b[at + 1]) << 8));
  };
  const auto u32 = [&](std::size_t at) { return u16(at) | (u16(at + 2) << 16); };
  if (b.size() < 12 || b.compare(0, 4, "RIFF") != 0 || b.compare(8, 4, "WAVE") != 0) {
    return w;
  }
  std::size_t at = 12;
  Wav found;
  while (at + 8 <= b.size()) {
    const std::string id = b.substr(at, 4);
    const std::uint32_t size = u32(at + 4);
    const std::size_t body = at + 8;
    if (body + size > b.size()) {
      break;
    }
    if (id == "fmt ") {
      found.channels = static_cast<int>(u16(body + 2));
      found.rate = u32(body + 4);
      found.bits = static_cast<int>(u16(body + 14));
    } else if (id == "data") {
      for (std::size_t i = 0; i + 1 < size; i += 2) {
        found.pcm.push_back(static_cast<std::int16_t>(u16(body + i)));
      }
    }
    at = body + size + (size & 1);
  }
  return found;
}

double rms(const std::int16_t* p, int n) {
  double sum = 0;
  for (int i = 0; i < n; ++i) {
    sum += static_cast<double>(p[i]) * p[i];
  }
  return std::sqrt(sum / n);
}

class SipVoicemailPcapTest : public SipCallTest {};

TEST_F(SipVoicemailPcapTest, APcapWithLossAndReorderingLeavesAMessageOfItsTrueLength) {
  start_pbx("[media]\nvoicemail_min_s = 1\n");
  const std::int64_t user = user_id("1001");
  ASSERT_GT(create_trunk("Carrier", kTrunkIp, 5060, {{"inbound_sources", {kTrunkIp}}}), 0);
  post("/api/v1/inbound-routes",
       {{"name", "Ana's mailbox"},
        {"did", kDid},
        {"destination", {{"type", "voicemail"}, {"box", "user"}, {"id", user}}}});
  // A short greeting (0.3 s of quiet), so that the beep ends 0.7 s after the answer.
  const std::string uploaded = http_raw(
      server_->port(), wav_put("/api/v1/users/" + std::to_string(user) + "/greeting",
                               mono_wav(std::vector<std::int16_t>(2400, 0), 8000), kAdminToken));
  ASSERT_EQ(uploaded.rfind("HTTP/1.1 200", 0), 0u) << uploaded;

  const std::string pcap = dir_.path() + "/lossy.pcap";
  write_text(pcap, make_pcap());
  // The pcap starts 1.5 s after the ACK (greeting 0.3 s + beep 0.4 s, with room to spare)
  // and lasts 4 s; the BYE follows 1 s after its end (before the 5 s of silence that would
  // end the recording by itself).
  const std::string scenario =
      scenario_from_template(dir_.path(), "trunk_uac_voicemail_pcap.xml",
                             {{"PCAP", pcap}, {"WAIT_MS", "1500"}, {"TAIL_MS", "5000"}});
  const std::string cid = "pcap-" + random_token(8);
  SippRun run = call(scenario, {std::string(kDid) + ";4155550181;"}, cid,
                     {"-mp", std::to_string(free_port(4, kTrunkIp))}, kTrunkIp);
  ASSERT_EQ(run.exit_code, 0) << run.describe() << server_->log();

  json items;
  for (int i = 0; i < 50 && items.empty(); ++i) {
    json j = get("/api/v1/voicemails?box=user&id=" + std::to_string(user));
    items = j.is_object() ? j["items"] : json::array();
    if (items.empty()) {
      std::this_thread::sleep_for(100ms);
    }
  }
  ASSERT_EQ(items.size(), 1u) << server_->log();

  // The length is the stream's media time: 200 packets of 20 ms = 4,000 ms, although only
  // 194 arrived (without the jitter buffer's filling: 3,880 ms). The recording is cut on
  // frame boundaries from the first packet's timestamp to the last one's end, so it should be
  // exact; ±40 ms (two frames) allows for the recorder rounding its end to a frame either way
  // and still tells 4,000 from 3,880.
  const int duration_ms = items[0]["duration_ms"].get<int>();
  EXPECT_NEAR(duration_ms, 4000, 40) << items.dump(2);

  HttpResult audio = api(
      "GET", "/api/v1/voicemails/" + std::to_string(items[0]["id"].get<std::int64_t>()) + "/audio");
  ASSERT_EQ(audio.status, 200);
  const Wav wav = parse_wav(audio.body);
  ASSERT_EQ(wav.rate, 8000u);  // G.711: recorded at its own 8 kHz
  ASSERT_EQ(wav.channels, 1);
  ASSERT_EQ(wav.bits, 16);
  EXPECT_NEAR(static_cast<double>(wav.pcm.size()) / 8000.0, 4.0, 0.04);

  // Frame by frame: a packet that arrived is exactly its µ-law decoded (G.711 decoding is a
  // table: no tolerance but rounding), in its own place; a lost one is silence.
  int misplaced = 0, loud_lost = 0;
  std::string report;
  const int frames = std::min<int>(kPackets, static_cast<int>(wav.pcm.size()) / kFrame);
  for (int k = 0; k < frames; ++k) {
    const std::int16_t* got = wav.pcm.data() + static_cast<std::ptrdiff_t>(k) * kFrame;
    if (kLost.count(k) != 0) {
      if (rms(got, kFrame) > 100) {
        ++loud_lost;
        report += " lost " + std::to_string(k) + " is not silent;";
      }
      continue;
    }
    int worst = 0;
    for (int i = 0; i < kFrame; ++i) {
      const int want = ulaw_decode(ulaw_encode(sample(k * kFrame + i)));
      worst = std::max(worst, std::abs(want - got[i]));
    }
    if (worst > 8) {
      ++misplaced;
      report += " frame " + std::to_string(k) + " off by " + std::to_string(worst) + ";";
    }
  }
  EXPECT_EQ(frames, kPackets);
  EXPECT_EQ(misplaced, 0) << report;
  EXPECT_EQ(loud_lost, 0) << report;

  // The tone, by zero crossings over the frames that arrived.
  int crossings = 0, samples = 0;
  for (int k = 0; k < frames; ++k) {
    if (kLost.count(k) != 0 || kLost.count(k + 1) != 0) {
      continue;
    }
    for (int i = k * kFrame + 1; i < (k + 1) * kFrame; ++i) {
      crossings += (wav.pcm[i - 1] < 0) != (wav.pcm[i] < 0) ? 1 : 0;
      ++samples;
    }
  }
  ASSERT_GT(samples, 0);
  EXPECT_NEAR(crossings / 2.0 / (samples / 8000.0), kToneHz, kToneHz * 0.02);

  json cdr = ended_cdr(cid);
  if (cdr.is_object()) {
    EXPECT_EQ(cdr["disposition"], "voicemail") << cdr.dump(2);
    EXPECT_EQ(cdr["voicemail_id"], items[0]["id"]) << cdr.dump(2);
  }
}

}  // namespace
}  // namespace cohort::testing
