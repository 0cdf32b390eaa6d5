// media_load's RTP senders, receivers and statistics (rtp_meter.hpp).
#include "rtp_meter.hpp"

#include <arpa/inet.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <numbers>
#include <random>

namespace media_bench {

Meter::Meter(std::size_t streams) : rx(streams) {
  for (std::size_t i = 0; i < streams; ++i)
    tx.push_back(std::make_unique<TxStream>());
  for (auto& p : by_port)
    p.store(-1);
  for (int i = 0; i < kFrame; ++i) {  // 1 kHz at −12 dBFS: 8 samples a cycle
    tone[i] = linear_to_ulaw(static_cast<int>(8231 * std::sin(2 * std::numbers::pi * i / 8.0)));
  }
}

std::uint8_t linear_to_ulaw(int sample) {
  const int kBias = 0x84, kClip = 32635;
  int sign = (sample >> 8) & 0x80;
  if (sign)
    sample = -sample;
  if (sample > kClip)
    sample = kClip;
  sample += kBias;
  int exponent = 7;
  for (int mask = 0x4000; (sample & mask) == 0 && exponent > 0; mask >>= 1)
    --exponent;
  int mantissa = (sample >> (exponent + 3)) & 0x0F;
  return static_cast<std::uint8_t>(~(sign | (exponent << 4) | mantissa));
}

void sender(Meter& m, std::int64_t t0_mono) {
  prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);
  const std::size_t n = m.tx.size();
  std::mt19937 rng(42);
  for (auto& s : m.tx) {
    s->seq = static_cast<std::uint16_t>(rng());
    s->ts = rng();
    s->ssrc = rng();
  }
  struct Pending {
    std::uint8_t buf[12 + kFrame];
    iovec iov;
  };
  std::map<int, std::vector<mmsghdr>> batches;
  std::vector<Pending> bufs(n);
  std::vector<TxStream*> batch_streams;
  std::uint64_t round = 0;
  std::size_t next = 0;
  auto due = [&](std::uint64_t r, std::size_t i) {
    return t0_mono + static_cast<std::int64_t>(r) * kPtime +
           static_cast<std::int64_t>(i) * kPtime / static_cast<std::int64_t>(n);
  };
  while (!m.stop.load(std::memory_order_relaxed)) {
    std::int64_t now = mono_ns();
    batches.clear();
    std::int64_t stamp = real_ns();
    std::size_t used = 0;
    while (due(round, next) <= now && used < n) {
      TxStream& s = *m.tx[next];
      if (s.active.load(std::memory_order_acquire)) {
        Pending& p = bufs[used++];
        std::uint8_t* b = p.buf;
        b[0] = 0x80;
        b[1] = static_cast<std::uint8_t>(s.sent == 0 ? 0x80 : 0x00);  // PT 0 (PCMU)
        b[2] = static_cast<std::uint8_t>(s.seq >> 8);
        b[3] = static_cast<std::uint8_t>(s.seq);
        std::uint32_t v[2] = {htonl(s.ts), htonl(s.ssrc)};
        std::memcpy(b + 4, v, 8);
        std::memcpy(b + 12, m.tone, kFrame);
        if (s.stamp) {
          std::uint32_t hdr[4] = {htonl(kMagic), static_cast<std::uint32_t>(next), s.sent, 0};
          std::memcpy(b + 12, hdr, sizeof hdr);
          std::memcpy(b + 12 + 16, &stamp, sizeof stamp);
        }
        ++s.seq;
        s.ts += kFrame;
        ++s.sent;
        p.iov = {p.buf, sizeof p.buf};
        mmsghdr h{};
        h.msg_hdr.msg_name = &s.dst;
        h.msg_hdr.msg_namelen = sizeof s.dst;
        h.msg_hdr.msg_iov = &p.iov;
        h.msg_hdr.msg_iovlen = 1;
        batches[s.fd].push_back(h);
      }
      if (++next == n) {
        next = 0;
        ++round;
      }
    }
    for (auto& [fd, hs] : batches) {
      std::size_t off = 0;
      while (off < hs.size()) {
        int r = sendmmsg(fd, hs.data() + off, static_cast<unsigned>(hs.size() - off), 0);
        if (r <= 0) {
          if (errno == EINTR || errno == EAGAIN)
            continue;
          break;  // a refused destination: counted as lost by the receiver
        }
        off += static_cast<std::size_t>(r);
      }
    }
    std::int64_t wake = due(round, next);
    timespec ts{static_cast<time_t>(wake / 1'000'000'000), static_cast<long>(wake % 1'000'000'000)};
    clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr);
  }
}

void receiver(Meter& m, int rtp_fd, int rtcp_fd, bool stamped) {
  constexpr int kBatch = 64;
  std::vector<std::array<std::uint8_t, 2048>> bufs(kBatch);
  std::vector<std::array<char, 256>> ctrl(kBatch);
  std::vector<sockaddr_in> from(kBatch);
  std::vector<iovec> iov(kBatch);
  std::vector<mmsghdr> msgs(kBatch);
  pollfd fds[2] = {{rtp_fd, POLLIN, 0}, {rtcp_fd, POLLIN, 0}};
  while (!m.stop.load(std::memory_order_relaxed)) {
    if (poll(fds, 2, 50) <= 0)
      continue;
    if (fds[1].revents & POLLIN) {
      char junk[2048];
      while (recv(rtcp_fd, junk, sizeof junk, MSG_DONTWAIT) > 0) {
      }
    }
    if (!(fds[0].revents & POLLIN))
      continue;
    for (;;) {
      for (int i = 0; i < kBatch; ++i) {
        iov[i] = {bufs[i].data(), bufs[i].size()};
        msgs[i] = {};
        msgs[i].msg_hdr.msg_name = &from[i];
        msgs[i].msg_hdr.msg_namelen = sizeof(sockaddr_in);
        msgs[i].msg_hdr.msg_iov = &iov[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
        msgs[i].msg_hdr.msg_control = ctrl[i].data();
        msgs[i].msg_hdr.msg_controllen = ctrl[i].size();
      }
      int got = recvmmsg(rtp_fd, msgs.data(), kBatch, MSG_DONTWAIT, nullptr);
      if (got <= 0)
        break;
      std::int64_t fallback = real_ns();
      for (int i = 0; i < got; ++i) {
        const std::uint8_t* b = bufs[i].data();
        const unsigned len = msgs[i].msg_len;
        std::int64_t arrival = fallback;
        for (cmsghdr* c = CMSG_FIRSTHDR(&msgs[i].msg_hdr); c;
             c = CMSG_NXTHDR(&msgs[i].msg_hdr, c)) {
          if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
            timespec t;
            std::memcpy(&t, CMSG_DATA(c), sizeof t);
            arrival = std::int64_t{t.tv_sec} * 1'000'000'000 + t.tv_nsec;
          }
        }
        if (len < 12 || (b[0] >> 6) != 2) {
          m.malformed.fetch_add(1, std::memory_order_relaxed);
          continue;
        }
        std::uint32_t ts, ssrc;
        std::memcpy(&ts, b + 4, 4);
        std::memcpy(&ssrc, b + 8, 4);
        RxRecord r{arrival, 0, ntohl(ts), ntohl(ssrc),
                   static_cast<std::uint32_t>((b[2] << 8) | b[3])};
        int stream = -1;
        if (stamped) {
          std::uint32_t hdr[3];
          if (len >= 12 + 24) {
            std::memcpy(hdr, b + 12, sizeof hdr);
            if (ntohl(hdr[0]) == kMagic) {
              stream = static_cast<int>(hdr[1]);
              r.counter = hdr[2];
              std::memcpy(&r.tx, b + 12 + 16, sizeof r.tx);
            }
          }
        } else {
          stream = m.by_port[ntohs(from[i].sin_port)].load(std::memory_order_relaxed);
        }
        if (stream == -2)
          continue;
        if (stream < 0 || static_cast<std::size_t>(stream) >= m.rx.size()) {
          m.unknown.fetch_add(1, std::memory_order_relaxed);
          continue;
        }
        m.rx[static_cast<std::size_t>(stream)].packets.push_back(r);
      }
    }
  }
}

void relay_report(Meter& m, const Window& w, std::size_t streams) {
  std::vector<std::int64_t> added;
  long sent = 0, received = 0, dup = 0, lost = 0, streams_with_loss = 0;
  double delay_sum = 0;
  long delay_n = 0;
  for (std::size_t s = 0; s < streams; ++s) {
    auto& pk = m.rx[s].packets;
    std::uint32_t n_sent = m.tx[s]->sent;
    sent += n_sent;
    std::vector<bool> seen(n_sent + 1);
    long got = 0;
    for (auto& r : pk) {
      if (r.counter < seen.size()) {
        if (seen[r.counter])
          ++dup;
        else {
          seen[r.counter] = true;
          ++got;
        }
      }
    }
    received += got;
    if (got < static_cast<long>(n_sent)) {
      lost += n_sent - got;
      ++streams_with_loss;
    }
    std::int64_t mn = INT64_MAX;
    for (auto& r : pk) {
      if (r.arrival >= w.start_real && r.arrival <= w.end_real)
        mn = std::min(mn, r.arrival - r.tx);
    }
    for (auto& r : pk) {
      if (r.arrival >= w.start_real && r.arrival <= w.end_real) {
        added.push_back(r.arrival - r.tx - mn);
        delay_sum += static_cast<double>(r.arrival - r.tx);
        ++delay_n;
      }
    }
  }
  Percentiles p = percentiles(added);
  std::printf(
      " streams=%zu sent=%ld received=%ld lost=%ld streams_with_loss=%ld duplicates=%ld"
      " window_packets=%zu delay_mean_ms=%.3f added_jitter_p50_ms=%.3f added_jitter_p99_ms=%.3f"
      " added_jitter_p999_ms=%.3f added_jitter_max_ms=%.3f",
      streams, sent, received, lost, streams_with_loss, dup, p.n,
      delay_n ? delay_sum / delay_n / 1e6 : 0.0, p.p50, p.p99, p.p999, p.max);
}

PacingReport pacing(Meter& m, const Window& w, std::size_t first, std::size_t last) {
  PacingReport r;
  std::vector<std::int64_t> devs;
  for (std::size_t s = first; s < last; ++s) {
    auto& pk = m.rx[s].packets;
    std::vector<const RxRecord*> in;
    for (auto& p : pk) {
      if (p.arrival >= w.start_real && p.arrival <= w.end_real)
        in.push_back(&p);
    }
    if (in.empty())
      continue;
    ++r.streams;
    std::size_t i = 0;
    while (i < in.size()) {  // one run per SSRC
      std::size_t j = i;
      while (j < in.size() && in[j]->ssrc == in[i]->ssrc)
        ++j;
      if (i > 0)
        ++r.ssrc_changes;
      std::vector<std::int64_t> off;
      std::int64_t mn = INT64_MAX;
      for (std::size_t k = i; k < j; ++k) {
        std::int64_t n = static_cast<std::int32_t>(in[k]->ts - in[i]->ts) / kFrame;
        std::int64_t o = in[k]->arrival - n * kPtime;
        off.push_back(o);
        mn = std::min(mn, o);
        if (k > i) {
          std::uint16_t dseq = static_cast<std::uint16_t>(in[k]->counter - in[k - 1]->counter);
          std::int32_t dts = static_cast<std::int32_t>(in[k]->ts - in[k - 1]->ts);
          if (dseq > 1 && dseq < 3000)
            r.seq_gaps += dseq - 1;
          if (dseq == 1 && dts > kFrame)
            r.skipped_slots += dts / kFrame - 1;
        }
      }
      // the stream's usual phase: the median offset (a receiver's view of its grid)
      std::vector<std::int64_t> sorted = off;
      std::nth_element(sorted.begin(),
                       sorted.begin() + static_cast<std::ptrdiff_t>(sorted.size() / 2),
                       sorted.end());
      const std::int64_t anchor = sorted[sorted.size() / 2];
      for (auto o : off)
        devs.push_back(std::llabs(o - anchor));
      r.late_sum += anchor - mn;
      r.packets += static_cast<long>(j - i);
      i = j;
    }
  }
  r.dev = percentiles(devs);
  return r;
}

void print_pacing(const char* name, const PacingReport& p) {
  std::printf(
      " %s_streams=%ld %s_packets=%ld %s_dev_p50_ms=%.3f %s_dev_p99_ms=%.3f %s_dev_p999_ms=%.3f"
      " %s_dev_max_ms=%.3f %s_seq_gaps=%ld %s_skipped_slots=%ld %s_ssrc_changes=%ld"
      " %s_median_minus_earliest_ms=%.3f",
      name, p.streams, name, p.packets, name, p.dev.p50, name, p.dev.p99, name, p.dev.p999, name,
      p.dev.max, name, p.seq_gaps, name, p.skipped_slots, name, p.ssrc_changes, name,
      p.streams ? static_cast<double>(p.late_sum) / static_cast<double>(p.streams) / 1e6 : 0.0);
}

}  // namespace media_bench
