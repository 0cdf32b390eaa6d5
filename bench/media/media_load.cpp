// Load generator and independent meter for the media benchmarks of issue 13
// (bench/media/media_bench.sh). Loopback only; standard library, POSIX sockets and
// OpenSSL's MD5 (digest auth).
//
//   media_load vm    …  calls from a "trunk" address to two DIDs whose inbound routes end in
//                       a group's voicemail: PLAY calls hear a long greeting for the whole
//                       run, REC calls hear a short greeting and a beep, then are recorded.
//                       Every caller sends a 1 kHz tone (G.711 µ-law, 20 ms) all along.
//                       Measures the pacing of what the server sends: each packet's arrival
//                       (kernel receive timestamp, SO_TIMESTAMPNS) against its stream's
//                       20 ms grid, the grid slot taken from the RTP timestamp.
//   media_load relay …  calls from users (digest MD5) to numbers that leave through a trunk
//                       whose UAS is this tool: two RTP streams per call through the server.
//   media_load rtpengine …  the same streams through rtpengine, set up with its ng protocol
//                       (offer / answer / delete over UDP) instead of SIP.
//   For relay and rtpengine, each packet carries its send time and a counter: the report
//   gives the one-way delay over the relay minus the stream's least delay (the jitter the
//   relay adds, p50/p99/max) and packets lost.
//
// In every mode the server's CPU ticks (/proc/PID/stat, all threads), its RSS and the
// drops counted on its UDP sockets (/proc/net/udp, sockets of PID only) are read at the
// start and the end of the measured window. The last line is "RESULT key=value …".
//
// This file: the three modes and main. The parts: options.{hpp,cpp} (the
// command line), util.{hpp,cpp} (clocks, sockets, percentiles), proc_stats.{hpp,cpp} (the
// server's CPU, RSS and socket drops, the window), sip_ua.{hpp,cpp} (SIP UAC/UAS, digest),
// rtp_meter.{hpp,cpp} (RTP senders, receivers, statistics), rtpengine_ng.{hpp,cpp} (the ng
// client).

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "options.hpp"
#include "proc_stats.hpp"
#include "rtp_meter.hpp"
#include "rtpengine_ng.hpp"
#include "sip_ua.hpp"
#include "util.hpp"

namespace media_bench {
namespace {

int run_vm(const Options& o) {
  const int total = o.play_calls + o.rec_calls;
  Meter m(static_cast<std::size_t>(total));
  int sip = udp_socket(o.local_ip, o.sip_port, false);
  int rtp = udp_socket(o.local_ip, o.rtp_a, true);
  int rtcp = udp_socket(o.local_ip, o.rtp_a + 1, false);
  SipUac uac(o, sip, o.local_ip, o.sip_port);
  std::vector<Call> calls(static_cast<std::size_t>(total) + 2);
  for (std::size_t i = 0; i < calls.size(); ++i)
    calls[i].index = static_cast<int>(i);
  auto did_of = [&](int i) { return i < o.play_calls ? o.play_did : o.rec_did; };
  auto on_up = [&](Call& c, const std::string& sdp) {
    auto a = sdp_audio(sdp);
    if (!a)
      return;
    if (c.index >= total) {  // the warm-up calls: no media from us, theirs ignored
      m.by_port[ntohs(a->sin_port)].store(-2);
      return;
    }
    TxStream& t = *m.tx[static_cast<std::size_t>(c.index)];
    m.by_port[ntohs(a->sin_port)].store(c.index);
    t.fd = rtp;
    t.dst = *a;
    t.active.store(true, std::memory_order_release);
  };
  auto handle = [&](int, const SipMessage& msg, const sockaddr_in& src) {
    uac.handle(msg, src, on_up);
  };

  std::thread rx([&] { receiver(m, rtp, rtcp, false); });
  std::thread tx([&] { sender(m, mono_ns()); });

  if (o.warmup) {  // one call to each mailbox first: the greetings are loaded and encoded
    uac.invite(calls[static_cast<std::size_t>(total)], "warmup", o.play_did, o.local_ip, o.rtp_a);
    uac.invite(calls[static_cast<std::size_t>(total) + 1], "warmup", o.rec_did, o.local_ip,
               o.rtp_a);
    std::int64_t until = mono_ns() + 3'000'000'000;
    while (mono_ns() < until) {
      pump({sip}, 20, handle);
      uac.tick();
    }
    uac.bye(calls[static_cast<std::size_t>(total)]);
    uac.bye(calls[static_cast<std::size_t>(total) + 1]);
    until = mono_ns() + 3'000'000'000;
    while (mono_ns() < until) {
      pump({sip}, 20, handle);
      uac.tick();
    }
  }
  ProcSample baseline = proc_sample(o.cpu_pid);

  // Set-up: interleave the two kinds so both are spread over the ramp.
  std::vector<int> order;
  for (int i = 0, p = 0, r = o.play_calls; i < total; ++i) {
    if ((i % 2 == 0 && p < o.play_calls) || r >= total)
      order.push_back(p++);
    else
      order.push_back(r++);
  }
  std::int64_t start = mono_ns();
  std::size_t next = 0;
  std::int64_t setup_deadline =
      start + static_cast<std::int64_t>(total / o.rate * 1e9) + 30'000'000'000;
  while (mono_ns() < setup_deadline) {
    std::int64_t now = mono_ns();
    while (next < order.size() && now >= start + static_cast<std::int64_t>(next / o.rate * 1e9)) {
      int i = order[next++];
      char user[32];
      std::snprintf(user, sizeof user, "caller%d", i);
      uac.invite(calls[static_cast<std::size_t>(i)], user, did_of(i), o.local_ip, o.rtp_a);
    }
    pump({sip}, 5, handle);
    uac.tick();
    if (next == order.size() && !uac.pending())
      break;
  }
  double setup_s = static_cast<double>(mono_ns() - start) / 1e9;
  std::fprintf(stderr, "media_load: %d calls up, %d failed, in %.1f s\n", uac.stats.up,
               uac.stats.failed, setup_s);
  std::int64_t settle_until = mono_ns() + std::int64_t{o.settle_s} * 1'000'000'000;
  while (mono_ns() < settle_until)
    pump({sip}, 20, handle);

  Window w;
  std::thread meter([&] { w = measure_window(o.cpu_pid, o.seconds); });
  std::int64_t window_end = mono_ns() + std::int64_t{o.seconds} * 1'000'000'000 + 500'000'000;
  while (mono_ns() < window_end) {
    pump({sip}, 20, handle);
    uac.tick();
  }
  meter.join();
  long own_before_bye = own_drops();
  int up_at_end = 0, up = 0;
  for (int i = 0; i < total; ++i) {
    if (calls[static_cast<std::size_t>(i)].state == CallState::kUp)
      ++up_at_end;
    if (calls[static_cast<std::size_t>(i)].up_at != 0)
      ++up;
  }
  // Hang up (the recordings end: the server saves them) and stop the media.
  std::vector<std::int64_t> rec_up;
  for (int i = 0; i < total; ++i) {
    Call& c = calls[static_cast<std::size_t>(i)];
    if (i >= o.play_calls && c.state == CallState::kUp)
      rec_up.push_back(c.up_at);
    uac.bye(c);
    m.tx[static_cast<std::size_t>(i)]->active.store(false);
    if (i % 20 == 19)
      pump({sip}, 5, handle);
  }
  std::int64_t bye_at = real_ns();
  std::int64_t bye_deadline = mono_ns() + 20'000'000'000;
  while (mono_ns() < bye_deadline && uac.pending()) {
    pump({sip}, 20, handle);
    uac.tick();
  }
  m.stop = true;
  rx.join();
  tx.join();

  if (!o.dump.empty()) {
    if (FILE* f = std::fopen(o.dump.c_str(), "w")) {
      for (int s = 0; s < total; ++s) {
        for (auto& r : m.rx[static_cast<std::size_t>(s)].packets) {
          std::fprintf(f, "%d %u %u %u %" PRId64 "\n", s, r.ssrc, r.counter, r.ts, r.arrival);
        }
      }
      std::fclose(f);
    }
  }
  PacingReport play = pacing(m, w, 0, static_cast<std::size_t>(o.play_calls));
  PacingReport rec =
      pacing(m, w, static_cast<std::size_t>(o.play_calls), static_cast<std::size_t>(total));
  // The longest message each recorded call can leave: from its answer to the BYE.
  std::int64_t longest = 0, shortest = INT64_MAX;
  for (auto t : rec_up) {
    longest = std::max(longest, bye_at - t);
    shortest = std::min(shortest, bye_at - t);
  }
  std::printf(
      "RESULT mode=vm calls=%d up=%d failed=%d up_at_window_end=%d remote_byes=%d bye_ok=%d "
      "sip_retrans=%d"
      " setup_s=%.1f",
      total, up, uac.stats.failed, up_at_end, uac.stats.remote_bye, uac.stats.bye_ok,
      uac.stats.retrans, setup_s);
  for (auto& [code, n] : uac.stats.statuses)
    std::printf(" status_%d=%d", code, n);
  print_window(w, baseline.rss_kb);
  print_pacing("play", play);
  print_pacing("rec", rec);
  std::printf(" rec_answered_to_bye_min_ms=%" PRId64 " rec_answered_to_bye_max_ms=%" PRId64
              " meter_drops=%ld unknown=%ld malformed=%ld\n",
              rec_up.empty() ? 0 : shortest / 1'000'000, longest / 1'000'000, own_before_bye,
              m.unknown.load(), m.malformed.load());
  return 0;
}

// Shared by relay and rtpengine: stream 2i is call i's caller → callee direction (sent on
// the A socket, received on B), 2i+1 the other way.
struct RelayRig {
  Meter m;
  int a_rtp, a_rtcp, b_rtp, b_rtcp;
  RelayRig(const Options& o, std::size_t calls)
      : m(calls * 2),
        a_rtp(udp_socket(o.local_ip, o.rtp_a, true)),
        a_rtcp(udp_socket(o.local_ip, o.rtp_a + 1, false)),
        b_rtp(udp_socket(o.local_ip, o.rtp_b, true)),
        b_rtcp(udp_socket(o.local_ip, o.rtp_b + 1, false)) {
    for (auto& t : m.tx)
      t->stamp = true;
  }
  // to_caller_side: where the caller sends (the server's A-facing port); to_callee_side: where
  // the callee sends (the server's B-facing port).
  void set(int call, const sockaddr_in& to_caller_side, const sockaddr_in& to_callee_side) {
    TxStream& ab = *m.tx[static_cast<std::size_t>(2 * call)];
    ab.fd = a_rtp;
    ab.dst = to_caller_side;
    TxStream& ba = *m.tx[static_cast<std::size_t>(2 * call + 1)];
    ba.fd = b_rtp;
    ba.dst = to_callee_side;
  }
};

// After every call is set up: all streams start together (phases spread), run the window,
// stop, drain, report.
void relay_media(const Options& o, RelayRig& rig, const std::vector<bool>& ok, const char* mode,
                 const std::string& extra) {
  Meter& m = rig.m;
  std::thread rxa([&] { receiver(m, rig.a_rtp, rig.a_rtcp, true); });
  std::thread rxb([&] { receiver(m, rig.b_rtp, rig.b_rtcp, true); });
  for (std::size_t c = 0; c < ok.size(); ++c) {
    if (!ok[c])
      continue;
    m.tx[2 * c]->active.store(true, std::memory_order_release);
    m.tx[2 * c + 1]->active.store(true, std::memory_order_release);
  }
  ProcSample baseline = proc_sample(o.cpu_pid);
  std::thread tx([&] { sender(m, mono_ns()); });
  std::this_thread::sleep_for(std::chrono::seconds(o.settle_s));
  Window w = measure_window(o.cpu_pid, o.seconds);
  long own = own_drops();
  for (auto& t : m.tx)
    t->active.store(false);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // the last packets drain
  m.stop = true;
  tx.join();
  rxa.join();
  rxb.join();
  if (!o.dump.empty()) {
    if (FILE* f = std::fopen(o.dump.c_str(), "w")) {
      for (std::size_t s = 0; s < m.rx.size(); ++s) {
        for (auto& r : m.rx[s].packets) {
          std::fprintf(f, "%zu %u %" PRId64 " %" PRId64 "\n", s, r.counter, r.tx, r.arrival);
        }
      }
      std::fclose(f);
    }
  }
  std::size_t streams = 0;
  for (bool b : ok)
    streams += b ? 2 : 0;
  std::printf("RESULT mode=%s calls=%zu%s", mode, ok.size(), extra.c_str());
  print_window(w, baseline.rss_kb);
  // streams of failed calls sent nothing and count as neither sent nor lost
  relay_report(m, w, m.tx.size());
  std::printf(" active_streams=%zu meter_drops=%ld unknown=%ld malformed=%ld\n", streams, own,
              m.unknown.load(), m.malformed.load());
}

int run_relay(const Options& o) {
  RelayRig rig(o, static_cast<std::size_t>(o.calls));
  int sip = udp_socket(o.local_ip, o.sip_port, false);
  int uas_fd = udp_socket(o.local_ip, o.uas_port, false);
  SipUac uac(o, sip, o.local_ip, o.sip_port);
  SipUas uas(uas_fd, o.local_ip, o.uas_port, o.rtp_b);
  std::vector<Call> calls(static_cast<std::size_t>(o.calls));
  std::vector<std::optional<sockaddr_in>> b_side(calls.size()), a_side(calls.size());
  for (std::size_t i = 0; i < calls.size(); ++i)
    calls[i].index = static_cast<int>(i);
  auto on_up = [&](Call& c, const std::string& sdp) {
    a_side[static_cast<std::size_t>(c.index)] = sdp_audio(sdp);
  };
  auto on_offer = [&](int i, const sockaddr_in& a) {
    if (i >= 0 && i < o.calls)
      b_side[static_cast<std::size_t>(i)] = a;
  };
  auto handle = [&](int fd, const SipMessage& msg, const sockaddr_in& src) {
    if (fd == sip)
      uac.handle(msg, src, on_up);
    else
      uas.handle(msg, src, on_offer);
  };
  std::int64_t start = mono_ns();
  int next = 0;
  std::int64_t deadline =
      start + static_cast<std::int64_t>(o.calls / o.rate * 1e9) + 30'000'000'000;
  while (mono_ns() < deadline) {
    std::int64_t now = mono_ns();
    while (next < o.calls && now >= start + static_cast<std::int64_t>(next / o.rate * 1e9)) {
      char number[32];
      std::snprintf(number, sizeof number, "%s%06d", o.number_prefix.c_str(), next);
      uac.invite(calls[static_cast<std::size_t>(next)], std::to_string(o.first_user + next), number,
                 o.local_ip, o.rtp_a);
      ++next;
    }
    pump({sip, uas_fd}, 5, handle);
    uac.tick();
    uas.tick();
    if (next == o.calls && !uac.pending())
      break;
  }
  double setup_s = static_cast<double>(mono_ns() - start) / 1e9;
  std::vector<bool> ok(calls.size());
  int up = 0;
  for (std::size_t i = 0; i < calls.size(); ++i) {
    if (calls[i].state == CallState::kUp && a_side[i] && b_side[i]) {
      rig.set(static_cast<int>(i), *a_side[i], *b_side[i]);
      ok[i] = true;
      ++up;
    }
  }
  std::fprintf(stderr, "media_load: %d relayed calls up, %d failed, in %.1f s\n", up,
               uac.stats.failed, setup_s);
  // The SIP side keeps being served while the media runs (retransmissions, OPTIONS).
  std::atomic<bool> media_done{false};
  std::thread sip_thread([&] {
    while (!media_done) {
      pump({sip, uas_fd}, 20, handle);
      uac.tick();
      uas.tick();
    }
  });
  char extra[256];
  std::snprintf(extra, sizeof extra, " up=%d failed=%d challenged=%d setup_s=%.1f", up,
                uac.stats.failed, uac.stats.challenged, setup_s);
  std::string statuses;
  for (auto& [code, n] : uac.stats.statuses)
    statuses += " status_" + std::to_string(code) + "=" + std::to_string(n);
  relay_media(o, rig, ok, "relay", extra + statuses);
  media_done = true;
  sip_thread.join();
  for (auto& c : calls)
    uac.bye(c);
  std::int64_t bye_deadline = mono_ns() + 20'000'000'000;
  while (mono_ns() < bye_deadline && uac.pending()) {
    pump({sip, uas_fd}, 20, handle);
    uac.tick();
  }
  std::fprintf(stderr,
               "media_load: %d BYEs answered 200, %d BYEs reached the trunk, remote BYEs %d\n",
               uac.stats.bye_ok, uas.byes, uac.stats.remote_bye);
  return 0;
}

int run_rtpengine(const Options& o) {
  RelayRig rig(o, static_cast<std::size_t>(o.calls));
  NgClient ng(o.local_ip, o.sip_port, o.ng);
  std::mt19937_64 rng(11);
  std::vector<bool> ok(static_cast<std::size_t>(o.calls));
  std::vector<std::string> ids(ok.size()), tags(ok.size());
  std::int64_t start = mono_ns();
  int up = 0, failed = 0;
  std::string first_error;
  for (int i = 0; i < o.calls; ++i) {
    std::int64_t due = start + static_cast<std::int64_t>(i / o.rate * 1e9);
    while (mono_ns() < due)
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    std::string id = random_token(rng) + "@bench", ft = random_token(rng), tt = random_token(rng);
    ids[static_cast<std::size_t>(i)] = id;
    tags[static_cast<std::size_t>(i)] = ft;
    std::string offer_sdp = make_sdp(o.local_ip, o.rtp_a, static_cast<std::uint64_t>(i) + 1);
    std::string r1 = ng.command("d7:command5:offer3:sdp" + bstr(offer_sdp) + "7:call-id" +
                                bstr(id) + "8:from-tag" + bstr(ft) + "e");
    std::string answer_sdp = make_sdp(o.local_ip, o.rtp_b, 900000 + static_cast<std::uint64_t>(i));
    std::string r2;
    if (bget(r1, "result") == "ok") {
      r2 = ng.command("d7:command6:answer3:sdp" + bstr(answer_sdp) + "7:call-id" + bstr(id) +
                      "8:from-tag" + bstr(ft) + "6:to-tag" + bstr(tt) + "e");
    }
    auto to_callee_side =
        sdp_audio(bget(r1, "sdp"));  // what the callee was offered: it sends there
    auto to_caller_side = sdp_audio(bget(r2, "sdp"));  // what the caller was answered
    if (bget(r2, "result") == "ok" && to_callee_side && to_caller_side) {
      rig.set(i, *to_caller_side, *to_callee_side);
      ok[static_cast<std::size_t>(i)] = true;
      ++up;
    } else {
      ++failed;
      if (first_error.empty())
        first_error = r1 + " | " + r2;
    }
  }
  double setup_s = static_cast<double>(mono_ns() - start) / 1e9;
  std::fprintf(stderr, "media_load: %d rtpengine calls up, %d failed, in %.1f s%s%s\n", up, failed,
               setup_s, first_error.empty() ? "" : "; first error: ", first_error.c_str());
  char extra[128];
  std::snprintf(extra, sizeof extra, " up=%d failed=%d setup_s=%.1f", up, failed, setup_s);
  relay_media(o, rig, ok, "rtpengine", extra);
  for (int i = 0; i < o.calls; ++i) {
    if (ok[static_cast<std::size_t>(i)]) {
      ng.command("d7:command6:delete7:call-id" + bstr(ids[static_cast<std::size_t>(i)]) +
                 "8:from-tag" + bstr(tags[static_cast<std::size_t>(i)]) + "e");
    }
  }
  return 0;
}

}  // namespace
}  // namespace media_bench

int main(int argc, char** argv) {
  using namespace media_bench;
  Options o = parse_options(argc, argv);
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  if (o.mode == "vm")
    return run_vm(o);
  if (o.mode == "relay")
    return run_relay(o);
  if (o.mode == "rtpengine")
    return run_rtpengine(o);
  die("unknown mode " + o.mode);
}
