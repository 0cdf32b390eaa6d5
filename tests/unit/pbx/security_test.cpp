// Authentication-failure bans, the ban list, per-source rate limiting and trusted networks,
// all on a simulated clock.

#include "pbx/security.hpp"
#include "pbx/calls.hpp"
#include "pbx/source_guard.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace cohort::pbx {
namespace {

constexpr std::int64_t kT0 = 1'000'000;  // ms
constexpr std::int64_t kSec = 1000;

std::string ip(int i) {
  return "10." + std::to_string((i >> 16) & 255) + "." + std::to_string((i >> 8) & 255) + "." +
         std::to_string(i & 255);
}

// ---- SourceGuard: floods over the rate limit ----------------------------------------------

SourceGuardOptions flood_options() {
  SourceGuardOptions o;
  o.ban_after_failures = 3;
  o.ban_window_s = 60;
  o.ban_duration_s = 300;
  o.rate_per_second = 10;
  o.rate_burst = 10;
  return o;
}

// Dropped requests carrying credentials count as failed authentications: a brute force
// faster than the limit is banned as one within the limit would be.
TEST(SourceGuard, DroppedRequestsWithCredentialsCountAsFailures) {
  SourceGuard g(flood_options());
  ASSERT_TRUE(g.start());
  for (int i = 0; i < 10; ++i) {
    EXPECT_TRUE(g.take_token("10.0.0.1", kT0, true)) << i;
  }
  EXPECT_FALSE(g.take_token("10.0.0.1", kT0, true));
  EXPECT_FALSE(g.take_token("10.0.0.1", kT0, true));
  EXPECT_TRUE(g.admit("10.0.0.1", kT0)) << "two failures of three";
  EXPECT_FALSE(g.take_token("10.0.0.1", kT0, true));
  EXPECT_FALSE(g.admit("10.0.0.1", kT0)) << "banned at the third";
  ASSERT_EQ(g.bans(kT0).size(), 1u);
  EXPECT_EQ(g.bans(kT0)[0].reason, "authentication failures");
  EXPECT_EQ(g.bans_started(), 1u);
  EXPECT_TRUE(g.admit("10.0.0.2", kT0)) << "another source is not concerned";
}

// Without credentials, a burst over the limit is only limited; a source that keeps over it
// (ban_after_failures bucketfuls dropped within the window) is banned.
TEST(SourceGuard, AFloodIsBannedAShortBurstIsNot) {
  SourceGuard g(flood_options());
  ASSERT_TRUE(g.start());
  int dropped = 0;
  for (int i = 0; i < 39; ++i) {
    dropped += g.take_token("10.0.0.3", kT0) ? 0 : 1;
  }
  EXPECT_EQ(dropped, 29);
  EXPECT_TRUE(g.admit("10.0.0.3", kT0)) << "29 drops (under three bucketfuls) is a burst";
  EXPECT_FALSE(g.take_token("10.0.0.3", kT0));
  EXPECT_FALSE(g.admit("10.0.0.3", kT0)) << "the 30th drop makes it a flood";
  ASSERT_EQ(g.bans(kT0).size(), 1u);
  EXPECT_EQ(g.bans(kT0)[0].reason, "rate limit exceeded");
  EXPECT_EQ(g.rate_limited(), 30u);
  // Drops spread beyond the window do not add up.
  SourceGuard h(flood_options());
  ASSERT_TRUE(h.start());
  for (int minute = 0; minute < 5; ++minute) {
    const std::int64_t t = kT0 + minute * 61 * kSec;
    for (int i = 0; i < 35; ++i) {
      (void)h.take_token("10.0.0.4", t);
    }
  }
  EXPECT_TRUE(h.bans(kT0 + 5 * 61 * kSec).empty());
}

// ---- AuthFailureTracker + BanList -------------------------------------------------------

TEST(AuthFailures, BanAfterNFailuresWithinTheWindow) {
  AuthFailureTracker failures;  // 5 in 60 s → 300 s
  BanList bans;
  for (int i = 0; i < 4; ++i) {
    EXPECT_FALSE(failures.record_failure("192.0.2.7", kT0 + i * kSec, bans));
    EXPECT_FALSE(bans.is_banned("192.0.2.7", kT0 + i * kSec));
  }
  EXPECT_EQ(failures.failures("192.0.2.7", kT0 + 4 * kSec), 4);
  EXPECT_TRUE(failures.record_failure("192.0.2.7", kT0 + 59 * kSec, bans));
  EXPECT_TRUE(bans.is_banned("192.0.2.7", kT0 + 59 * kSec));
  EXPECT_EQ(bans.expiry("192.0.2.7", kT0 + 59 * kSec), kT0 + 359 * kSec);
  EXPECT_FALSE(bans.is_banned("192.0.2.8", kT0 + 59 * kSec));
  // The failures that led to the ban are forgotten.
  EXPECT_EQ(failures.failures("192.0.2.7", kT0 + 59 * kSec), 0);
  EXPECT_EQ(failures.size(), 0u);
}

TEST(AuthFailures, NoBanWhenSpreadOverMoreThanTheWindow) {
  AuthFailureTracker failures;
  BanList bans;
  // Five failures, 15 s apart: the first has left the 60 s window when the fifth comes.
  for (int i = 0; i < 10; ++i) {
    EXPECT_FALSE(failures.record_failure("192.0.2.7", kT0 + i * 15 * kSec, bans)) << i;
  }
  EXPECT_FALSE(bans.is_banned("192.0.2.7", kT0 + 150 * kSec));
  EXPECT_EQ(failures.failures("192.0.2.7", kT0 + 135 * kSec), 4);
  // A failure exactly one window after another no longer counts it.
  AuthFailureTracker edge;
  for (int i = 0; i < 4; ++i) {
    EXPECT_FALSE(edge.record_failure("a", kT0, bans));
  }
  EXPECT_FALSE(edge.record_failure("a", kT0 + 60 * kSec, bans));
  EXPECT_EQ(edge.failures("a", kT0 + 60 * kSec), 1);
}

TEST(AuthFailures, AddressesAreCountedSeparately) {
  AuthFailureTracker failures;
  BanList bans;
  for (int i = 0; i < 4; ++i) {
    failures.record_failure("192.0.2.1", kT0, bans);
    failures.record_failure("192.0.2.2", kT0, bans);
  }
  EXPECT_EQ(bans.size(), 0u);
  EXPECT_TRUE(failures.record_failure("192.0.2.2", kT0, bans));
  EXPECT_FALSE(bans.is_banned("192.0.2.1", kT0));
  EXPECT_TRUE(bans.is_banned("192.0.2.2", kT0));
}

TEST(AuthFailures, CustomPolicy) {
  AuthFailureTracker failures({.max_failures = 2, .window_ms = 10 * kSec, .ban_ms = 30 * kSec});
  BanList bans;
  EXPECT_FALSE(failures.record_failure("x", kT0, bans));
  EXPECT_TRUE(failures.record_failure("x", kT0 + 9 * kSec, bans));
  EXPECT_EQ(bans.expiry("x", kT0 + 9 * kSec), kT0 + 39 * kSec);
}

TEST(AuthFailures, BanExpires) {
  AuthFailureTracker failures;
  BanList bans;
  for (int i = 0; i < 5; ++i) {
    failures.record_failure("192.0.2.7", kT0, bans);
  }
  EXPECT_TRUE(bans.is_banned("192.0.2.7", kT0 + 300 * kSec - 1));
  EXPECT_FALSE(bans.is_banned("192.0.2.7", kT0 + 300 * kSec));
  EXPECT_EQ(bans.expiry("192.0.2.7", kT0 + 300 * kSec), std::nullopt);
  EXPECT_TRUE(bans.list(kT0 + 300 * kSec).empty());
  EXPECT_EQ(bans.prune(kT0 + 300 * kSec), 1u);
  EXPECT_EQ(bans.size(), 0u);
  // After the ban, the count starts from zero.
  EXPECT_FALSE(failures.record_failure("192.0.2.7", kT0 + 301 * kSec, bans));
}

TEST(AuthFailures, MemoryIsBounded) {
  AuthFailureTracker failures({.max_tracked = 100});
  BanList bans;
  for (int i = 0; i < 5000; ++i) {
    failures.record_failure(ip(i), kT0 + i, bans);
  }
  EXPECT_LE(failures.size(), 100u);
  EXPECT_EQ(bans.size(), 0u);
  // Idle entries go away with time.
  EXPECT_EQ(failures.prune(kT0 + 5000 + 60 * kSec), 100u);
  EXPECT_EQ(failures.size(), 0u);
}

TEST(AuthFailures, StaleEntriesArePrunedAsTrafficFlows) {
  AuthFailureTracker failures;
  BanList bans;
  for (int i = 0; i < 1000; ++i) {
    failures.record_failure(ip(i), kT0, bans);
  }
  EXPECT_EQ(failures.size(), 1000u);
  // Each later failure drops a couple of entries that left the window.
  for (int i = 0; i < 600; ++i) {
    failures.record_failure("192.0.2.1", kT0 + 61 * kSec + i, bans);
  }
  EXPECT_LE(failures.size(), 1u);
}

TEST(BanList, ListLiftAndExtend) {
  BanList bans;
  bans.ban("192.0.2.9", kT0, kT0 + 10 * kSec, "manual");
  bans.ban("192.0.2.1", kT0, kT0 + 20 * kSec);
  bans.ban("2001:db8::1", kT0, kT0 + 5 * kSec);
  auto all = bans.list(kT0);
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].ip, "192.0.2.1");
  EXPECT_EQ(all[1].ip, "192.0.2.9");
  EXPECT_EQ(all[1].reason, "manual");
  EXPECT_EQ(all[1].since_ms, kT0);
  EXPECT_EQ(all[1].until_ms, kT0 + 10 * kSec);
  EXPECT_EQ(all[2].ip, "2001:db8::1");
  EXPECT_EQ(bans.list(kT0 + 6 * kSec).size(), 2u);

  // Extended, never shortened.
  bans.ban("192.0.2.9", kT0 + kSec, kT0 + 5 * kSec);
  EXPECT_EQ(bans.expiry("192.0.2.9", kT0 + kSec), kT0 + 10 * kSec);
  bans.ban("192.0.2.9", kT0 + kSec, kT0 + 50 * kSec);
  EXPECT_EQ(bans.expiry("192.0.2.9", kT0 + kSec), kT0 + 50 * kSec);
  EXPECT_EQ(bans.list(kT0 + kSec)[1].since_ms, kT0);

  EXPECT_TRUE(bans.lift("192.0.2.9"));
  EXPECT_FALSE(bans.is_banned("192.0.2.9", kT0 + kSec));
  EXPECT_FALSE(bans.lift("192.0.2.9"));
  EXPECT_FALSE(bans.lift("198.51.100.1"));
  EXPECT_EQ(bans.size(), 2u);
  // A ban that is already over does nothing.
  bans.ban("198.51.100.1", kT0, kT0);
  EXPECT_FALSE(bans.is_banned("198.51.100.1", kT0));
}

TEST(BanList, ExpiredBanIsReplacedByANewOne) {
  BanList bans;
  bans.ban("a", kT0, kT0 + kSec, "old");
  bans.ban("a", kT0 + 2 * kSec, kT0 + 3 * kSec, "new");
  auto l = bans.list(kT0 + 2 * kSec);
  ASSERT_EQ(l.size(), 1u);
  EXPECT_EQ(l[0].since_ms, kT0 + 2 * kSec);
  EXPECT_EQ(l[0].reason, "new");
}

TEST(BanList, Bounded) {
  BanList bans(3);
  bans.ban("a", kT0, kT0 + 10 * kSec);
  bans.ban("b", kT0, kT0 + 30 * kSec);
  bans.ban("c", kT0, kT0 + 20 * kSec);
  bans.ban("d", kT0, kT0 + 40 * kSec);  // full: "a" ends soonest and goes
  EXPECT_EQ(bans.size(), 3u);
  EXPECT_FALSE(bans.is_banned("a", kT0));
  EXPECT_TRUE(bans.is_banned("b", kT0));
  EXPECT_TRUE(bans.is_banned("d", kT0));
  // Expired bans make room before bans in force are dropped.
  bans.ban("e", kT0 + 25 * kSec, kT0 + 100 * kSec);  // "c" (until 20 s) has expired
  EXPECT_EQ(bans.size(), 3u);
  EXPECT_TRUE(bans.is_banned("b", kT0 + 25 * kSec));
  EXPECT_TRUE(bans.is_banned("d", kT0 + 25 * kSec));
  EXPECT_TRUE(bans.is_banned("e", kT0 + 25 * kSec));
}

// ---- RateLimiter ------------------------------------------------------------------------

TEST(RateLimiter, BurstThenRefill) {
  RateLimiter limiter;  // 50/s, burst 100
  for (int i = 0; i < 100; ++i) {
    EXPECT_TRUE(limiter.allow("192.0.2.1", kT0)) << i;
  }
  EXPECT_FALSE(limiter.allow("192.0.2.1", kT0));
  EXPECT_TRUE(limiter.allow("192.0.2.2", kT0));  // per address
  // 100 ms at 50/s: 5 tokens.
  for (int i = 0; i < 5; ++i) {
    EXPECT_TRUE(limiter.allow("192.0.2.1", kT0 + 100)) << i;
  }
  EXPECT_FALSE(limiter.allow("192.0.2.1", kT0 + 100));
  // 20 ms: one token.
  EXPECT_TRUE(limiter.allow("192.0.2.1", kT0 + 120));
  EXPECT_FALSE(limiter.allow("192.0.2.1", kT0 + 120));
}

TEST(RateLimiter, RefillIsCappedAtTheBurst) {
  RateLimiter limiter({.rate_per_s = 10, .burst = 3});
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(limiter.allow("x", kT0));
  }
  EXPECT_FALSE(limiter.allow("x", kT0));
  EXPECT_DOUBLE_EQ(limiter.tokens("x", kT0 + 3600 * kSec), 3.0);
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(limiter.allow("x", kT0 + 3600 * kSec));
  }
  EXPECT_FALSE(limiter.allow("x", kT0 + 3600 * kSec));
}

TEST(RateLimiter, ARefundGivesBackWhatWasTakenUpToTheBurst) {
  RateLimiter limiter({.rate_per_s = 10, .burst = 3});
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(limiter.allow("x", kT0));
  }
  EXPECT_FALSE(limiter.allow("x", kT0));
  limiter.refund("x");  // an authenticated request does not pay
  EXPECT_DOUBLE_EQ(limiter.tokens("x", kT0), 1.0);
  EXPECT_TRUE(limiter.allow("x", kT0));
  EXPECT_FALSE(limiter.allow("x", kT0));
  for (int i = 0; i < 10; ++i) {
    limiter.refund("x");
  }
  EXPECT_DOUBLE_EQ(limiter.tokens("x", kT0), 3.0) << "never above the burst";
  limiter.refund("unknown");  // nothing to give back to
  EXPECT_EQ(limiter.size(), 1u);
}

TEST(RateLimiter, SustainedRateIsHeld) {
  RateLimiter limiter({.rate_per_s = 50, .burst = 100});
  int allowed = 0;
  // 200 requests/s offered for 10 s, one every 5 ms.
  for (int t = 0; t < 10'000; t += 5) {
    allowed += limiter.allow("x", kT0 + t) ? 1 : 0;
  }
  // The burst plus 50/s for 10 s (give or take the last partial token).
  EXPECT_GE(allowed, 100 + 499);
  EXPECT_LE(allowed, 100 + 500);
}

TEST(RateLimiter, CostAndClockSteppingBack) {
  RateLimiter limiter({.rate_per_s = 1, .burst = 10});
  EXPECT_TRUE(limiter.allow("x", kT0, 8));
  EXPECT_FALSE(limiter.allow("x", kT0, 3));  // refused requests take nothing
  EXPECT_TRUE(limiter.allow("x", kT0, 2));
  EXPECT_FALSE(limiter.allow("x", kT0 - 60 * kSec));  // no refill from a backwards step
  EXPECT_TRUE(limiter.allow("x", kT0 + kSec));
}

TEST(RateLimiter, UnknownAddressHasAFullBucket) {
  RateLimiter limiter;
  EXPECT_DOUBLE_EQ(limiter.tokens("nobody", kT0), 100.0);
  EXPECT_EQ(limiter.size(), 0u);
}

TEST(RateLimiter, MemoryIsBounded) {
  RateLimiter limiter({.max_tracked = 1000});
  for (int i = 0; i < 50'000; ++i) {
    limiter.allow(ip(i), kT0 + i / 100);
  }
  EXPECT_LE(limiter.size(), 1000u);
}

TEST(RateLimiter, IdleBucketsAreForgotten) {
  RateLimiter limiter;  // full again after 2 s
  for (int i = 0; i < 500; ++i) {
    limiter.allow(ip(i), kT0);
  }
  EXPECT_EQ(limiter.size(), 500u);
  EXPECT_EQ(limiter.prune(kT0 + 1999), 0u);
  EXPECT_EQ(limiter.prune(kT0 + 2000), 500u);
  EXPECT_EQ(limiter.size(), 0u);
  // And a little at a time as traffic flows.
  for (int i = 0; i < 500; ++i) {
    limiter.allow(ip(i), kT0);
  }
  for (int i = 0; i < 300; ++i) {
    limiter.allow("192.0.2.1", kT0 + 3000 + i);
  }
  EXPECT_LE(limiter.size(), 1u);
}

TEST(RateLimiter, EvictedBucketBehavesAsNew) {
  RateLimiter limiter({.rate_per_s = 1, .burst = 1, .max_tracked = 1});
  EXPECT_TRUE(limiter.allow("a", kT0));
  EXPECT_FALSE(limiter.allow("a", kT0));
  EXPECT_TRUE(limiter.allow("b", kT0));  // evicts a
  EXPECT_EQ(limiter.size(), 1u);
  EXPECT_TRUE(limiter.allow("a", kT0));
}

// ---- TrustedNetworks --------------------------------------------------------------------

// Which phones' media Cohort relays: a relay network always, a direct network never, else
// a phone behind NAT (its Contact names another address than it sent from).
TEST(PhoneMediaPolicy, RelayNetworksThenDirectNetworksThenNat) {
  PhoneMediaPolicy none;
  EXPECT_FALSE(none.relays("sip:1001@192.168.1.20:5060", "192.168.1.20"));
  EXPECT_TRUE(none.relays("sip:1001@192.168.1.20:5060", "203.0.113.9"));  // NAT
  EXPECT_TRUE(none.relays("sip:1001@[2001:db8::20]:5060", "2001:db8::21"));
  EXPECT_FALSE(none.relays("sip:1001@[2001:db8::20]:5060", "2001:db8::20"));
  EXPECT_TRUE(none.relays("not a uri", "192.168.1.20"));  // unreadable: relayed, to be safe

  PhoneMediaPolicy p;
  const std::vector<std::string> relay{"198.51.100.0/24"};
  const std::vector<std::string> direct{"203.0.113.0/24", "198.51.100.7"};
  p.relay = *TrustedNetworks::parse(relay);
  p.direct = *TrustedNetworks::parse(direct);
  // In a relay network: relayed though not behind NAT, and though also in a direct one.
  EXPECT_TRUE(p.relays("sip:1001@198.51.100.20", "198.51.100.20"));
  EXPECT_TRUE(p.relays("sip:1001@198.51.100.7", "198.51.100.7"));
  // In a direct network: never relayed, though behind NAT (e.g. a VPN whose gateway
  // rewrites the source).
  EXPECT_FALSE(p.relays("sip:1001@10.8.0.5:5060", "203.0.113.9"));
  // Elsewhere: NAT decides.
  EXPECT_TRUE(p.relays("sip:1001@10.8.0.5:5060", "192.0.2.1"));
  EXPECT_FALSE(p.relays("sip:1001@192.0.2.1:5060", "192.0.2.1"));
}

TEST(TrustedNetworks, Ipv4) {
  std::vector<std::string> list = {"10.0.0.0/8", "192.168.1.10", "172.16.0.0/12",
                                   "198.51.100.0/22"};
  auto t = TrustedNetworks::parse(list);
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_EQ(t->size(), 4u);
  EXPECT_TRUE(t->contains("10.0.0.1"));
  EXPECT_TRUE(t->contains("10.255.255.255"));
  EXPECT_FALSE(t->contains("11.0.0.1"));
  EXPECT_TRUE(t->contains("192.168.1.10"));
  EXPECT_FALSE(t->contains("192.168.1.11"));
  EXPECT_TRUE(t->contains("172.31.255.1"));
  EXPECT_FALSE(t->contains("172.32.0.1"));
  EXPECT_TRUE(t->contains("198.51.103.255"));
  EXPECT_FALSE(t->contains("198.51.104.0"));
  EXPECT_FALSE(t->contains("::1"));
}

TEST(TrustedNetworks, Ipv6) {
  std::vector<std::string> list = {"::1/128", "2001:db8::/32", "fe80::/10", "2001:db8:1::5/127"};
  auto t = TrustedNetworks::parse(list);
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_TRUE(t->contains("::1"));
  EXPECT_TRUE(t->contains("[::1]"));
  EXPECT_FALSE(t->contains("::2"));
  EXPECT_TRUE(t->contains("2001:db8:ffff::1"));
  EXPECT_TRUE(t->contains("2001:DB8::abcd"));
  EXPECT_FALSE(t->contains("2001:db9::1"));
  EXPECT_TRUE(t->contains("fe80::1%eth0"));
  EXPECT_TRUE(t->contains("febf::1"));
  EXPECT_FALSE(t->contains("fec0::1"));
  EXPECT_FALSE(t->contains("127.0.0.1"));
}

TEST(TrustedNetworks, MappedIpv4AndHostBits) {
  std::vector<std::string> list = {"10.1.2.3/8", "127.0.0.1"};
  auto t = TrustedNetworks::parse(list);
  ASSERT_TRUE(t);
  EXPECT_TRUE(t->contains("10.9.9.9"));  // host bits of the entry ignored
  EXPECT_TRUE(t->contains("::ffff:10.9.9.9"));
  EXPECT_TRUE(t->contains("::ffff:127.0.0.1"));
  EXPECT_FALSE(t->contains("::ffff:11.0.0.1"));
}

TEST(TrustedNetworks, EverythingAndNothing) {
  TrustedNetworks none;
  EXPECT_TRUE(none.empty());
  EXPECT_FALSE(none.contains("127.0.0.1"));
  std::vector<std::string> all = {"0.0.0.0/0", "::/0"};
  auto t = TrustedNetworks::parse(all);
  ASSERT_TRUE(t);
  EXPECT_TRUE(t->contains("203.0.113.9"));
  EXPECT_TRUE(t->contains("2001:db8::1"));
  EXPECT_FALSE(t->contains("not-an-address"));
  EXPECT_FALSE(t->contains(""));
  EXPECT_FALSE(t->contains("10.0.0.1:5060"));
}

TEST(TrustedNetworks, BadEntriesAreNamed) {
  for (std::string bad :
       {"", "abc", "10.0.0.0/33", "::/129", "10.0.0/8", "10.0.0.0/", "10.0.0.0/8/8", "10.0.0.0/-1",
        "1.2.3.256", "[::1]", "fe80::1%eth0", "10.0.0.0/ 8", "10.0.0.0/0x8"}) {
    std::vector<std::string> list = {"127.0.0.1", bad};
    auto t = TrustedNetworks::parse(list);
    ASSERT_FALSE(t) << bad;
    EXPECT_EQ(t.error().code, Errc::kInvalid);
    EXPECT_EQ(t.error().field, "trusted_networks");
    EXPECT_NE(t.error().message.find("\"" + bad + "\""), std::string::npos) << t.error().message;
  }
  TrustedNetworks t;
  EXPECT_FALSE(t.add("bogus"));
  EXPECT_TRUE(t.empty());
  EXPECT_TRUE(t.add("10.0.0.0/8"));
  EXPECT_EQ(t.size(), 1u);
}

}  // namespace
}  // namespace cohort::pbx
