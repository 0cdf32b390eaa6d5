// SDP (RFC 4566 §9 grammar, RFC 3264 §5 offer rules), table-driven: a valid description,
// then one line at a time replaced, added or removed — each line type's valid forms, and
// each class of defect with the status (400 malformed, 488 unsupported) and the reason.
#include <gtest/gtest.h>

#include <string>

#include "sip/sdp.hpp"

namespace cohort::sip::sdp {
namespace {

// The lines of a desk phone's offer; tests edit a copy.
std::vector<std::string> base() {
  return {"v=0",
          "o=alice 2890844526 2890844526 IN IP4 198.51.100.7",
          "s=-",
          "c=IN IP4 198.51.100.7",
          "t=0 0",
          "m=audio 49170 RTP/AVP 0 8 101",
          "a=rtpmap:0 PCMU/8000",
          "a=rtpmap:101 telephone-event/8000",
          "a=fmtp:101 0-16",
          "a=sendrecv"};
}
std::string join(const std::vector<std::string>& lines, std::string_view eol = "\r\n") {
  std::string out;
  for (const auto& l : lines) {
    out += l;
    out += eol;
  }
  return out;
}
// `lines` with the first line starting with `prefix` replaced by `with` (removed when empty).
std::vector<std::string> replace(std::vector<std::string> lines, std::string_view prefix,
                                 const std::string& with) {
  for (auto it = lines.begin(); it != lines.end(); ++it) {
    if (it->compare(0, prefix.size(), prefix) == 0) {
      if (with.empty()) {
        lines.erase(it);
      } else {
        *it = with;
      }
      return lines;
    }
  }
  ADD_FAILURE() << "no line " << prefix;
  return lines;
}
std::vector<std::string> insert_after(std::vector<std::string> lines, std::string_view prefix,
                                      const std::string& line) {
  for (auto it = lines.begin(); it != lines.end(); ++it) {
    if (it->compare(0, prefix.size(), prefix) == 0) {
      lines.insert(it + 1, line);
      return lines;
    }
  }
  ADD_FAILURE() << "no line " << prefix;
  return lines;
}

TEST(Sdp, ParsesAnOffer) {
  const std::string body = join(base());  // the result's views point into it
  auto s = parse(body);
  ASSERT_TRUE(s.has_value()) << s.error().reason;
  EXPECT_EQ(s->username, "alice");
  EXPECT_EQ(s->origin.address, "198.51.100.7");
  ASSERT_EQ(s->connections.size(), 1u);
  ASSERT_EQ(s->media.size(), 1u);
  EXPECT_EQ(s->media[0].media, "audio");
  EXPECT_EQ(s->media[0].port, 49170);
  EXPECT_EQ(s->media[0].proto, "RTP/AVP");
  EXPECT_EQ(s->media[0].formats.size(), 3u);
  EXPECT_EQ(s->media[0].attributes.size(), 4u);
  EXPECT_FALSE(validate_offer(join(base())).has_value());
  // RFC 4566 §5: LF alone is tolerated; a last line without its end, or empty lines, are not.
  EXPECT_FALSE(validate_offer(join(base(), "\n")).has_value());
  for (const std::string& bad : {join(base()) + "\r\n", join(base()) + "\n", join(base()) + " ",
                                 join(base()).substr(0, join(base()).size() - 2),
                                 join(base()).substr(0, join(base()).size() - 1)}) {
    auto e = validate_offer(bad);
    ASSERT_TRUE(e.has_value()) << bad;
    EXPECT_EQ(e->status, 400);
  }
}

struct Row {
  const char* name;
  std::vector<std::string> lines;
  int status;  ///< 0: acceptable
  const char* reason = "";
};

std::vector<Row> rows() {
  const auto b = base();
  std::vector<Row> r = {
      // --- valid forms of each line type ---
      {"v", b, 0},
      {"o_fqdn", replace(b, "o=", "o=- 0 0 IN IP4 host.example.com"), 0},
      {"o_ip6", replace(b, "o=", "o=- 1 1 IN IP6 2001:db8::1"), 0},
      {"s_space", replace(b, "s=", "s= "), 0},
      {"s_utf8", replace(b, "s=", "s=\xc3\xa5\xc3\xa4\xc3\xb6"), 0},
      {"i", insert_after(b, "s=", "i=A call"), 0},
      {"u", insert_after(b, "s=", "u=http://www.example.com/s.pdf"), 0},
      {"e_p", insert_after(insert_after(b, "s=", "e=j@example.com"), "e=", "p=+1 617 555-6011"), 0},
      {"b", insert_after(b, "c=", "b=AS:64"), 0},
      {"t_ntp", replace(b, "t=", "t=2873397496 2873404696"), 0},
      {"r",
       insert_after(replace(b, "t=", "t=3034423619 3042462419"), "t=", "r=604800 3600 0 90000"), 0},
      {"r_units", insert_after(replace(b, "t=", "t=3034423619 3042462419"), "t=", "r=7d 1h 0 25h"),
       0},
      {"z", insert_after(b, "t=", "z=2882844526 -1h 2898848070 0"), 0},
      {"k", insert_after(b, "t=", "k=prompt"), 0},
      {"k_clear", insert_after(b, "t=", "k=clear:secret"), 0},
      {"a_session", insert_after(b, "t=", "a=recvonly"), 0},
      {"c_multicast", replace(b, "c=", "c=IN IP4 224.2.36.42/127"), 0},
      {"c_ip6", replace(b, "c=", "c=IN IP6 ::1"), 0},
      {"c_in_media", insert_after(replace(b, "c=", ""), "m=", "c=IN IP4 198.51.100.7"), 0},
      {"m_ports", replace(b, "m=", "m=audio 49170/2 RTP/AVP 0"), 0},
      {"m_video", replace(b, "m=", "m=video 51372 RTP/AVPF 99"), 0},
      {"m_rejected_plus_one", insert_after(b, "a=sendrecv", "m=video 0 RTP/AVP 31"), 0},
      {"m_savp", replace(b, "m=", "m=audio 49170 RTP/SAVP 0"), 0},
      {"rtpmap_channels", replace(b, "a=rtpmap:0", "a=rtpmap:0 L16/8000/2"), 0},
      // --- malformed: the shape of a line ---
      {"not_a_line", insert_after(b, "s=", "aaaa"), 400, "line is not <type>=<value>"},
      {"space_before_eq", replace(b, "s=", "s =x"), 400, "line is not"},
      {"leading_space", replace(b, "c=", " c=IN IP4 198.51.100.7"), 400, "line is not"},
      {"upper_type", replace(b, "s=", "S=x"), 400, "line is not"},
      {"unknown_type", insert_after(b, "t=", "x=1"), 400, "unknown type"},
      {"empty_value", replace(b, "s=", "s="), 400, "empty value"},
      {"nul", replace(b, "s=", std::string("s=a\0b", 5)), 400, "control character"},
      {"bare_cr", replace(b, "s=", "s=a\rb"), 400, "control character"},
      // --- malformed: order and multiplicity ---
      {"no_v", replace(b, "v=", ""), 400, "first line is not v="},
      {"no_o", replace(b, "o=", ""), 400, "missing o= line"},
      {"no_s", replace(b, "s=", ""), 400, "missing s= line"},
      {"no_t", replace(b, "t=", ""), 400, "m= line before t= line"},
      {"no_c", replace(b, "c=", ""), 400, "missing c= line"},
      {"two_v", insert_after(b, "v=", "v=0"), 400, "repeated"},
      {"two_o", insert_after(b, "o=", "o=- 0 0 IN IP4 host.example.com"), 400, "repeated"},
      {"two_c", insert_after(b, "c=", "c=IN IP4 192.0.2.1"), 400, "repeated"},
      {"c_after_t", replace(insert_after(b, "t=", "c=IN IP4 192.0.2.1"), "c=", ""), 400,
       "out of order"},
      {"r_without_t", insert_after(b, "c=", "r=604800 3600 0"), 400, "out of order"},
      {"b_after_a_in_media", insert_after(b, "a=sendrecv", "b=AS:64"), 400, "out of order"},
      {"o_in_media", insert_after(b, "a=sendrecv", "o=- 0 0 IN IP4 h.example.com"), 400,
       "out of place"},
      // --- malformed: each line's grammar ---
      {"v_1", replace(b, "v=", "v=1"), 400, "v= must be 0"},
      {"v_eq", replace(b, "v=", "v========0"), 400, "v= must be 0"},
      {"o_fields", replace(b, "o=", "o=alice 1 1 IN IP4"), 400, "invalid o= line"},
      {"o_double_space", replace(b, "o=", "o=alice  1 1 IN IP4 198.51.100.7"), 400,
       "invalid o= line"},
      {"o_id_letters", replace(b, "o=", "o=alice x1 1 IN IP4 198.51.100.7"), 400,
       "invalid o= line"},
      {"o_id_64bit", replace(b, "o=", "o=alice 99999999999999999999 1 IN IP4 198.51.100.7"), 400,
       "invalid o= line"},
      {"o_bad_address", replace(b, "o=", "o=alice 1 1 IN IP4 %s%s"), 400, "invalid o= line"},
      {"o_short_fqdn", replace(b, "o=", "o=alice 1 1 IN IP4 a.b"), 400, "invalid o= line"},
      {"c_fields", replace(b, "c=", "c=IN IP4"), 400, "invalid c= line"},
      {"c_bad_ip4", replace(b, "c=", "c=IN IP4 10.10.10.256"), 0},  // an FQDN by the grammar
      {"c_bad_chars", replace(b, "c=", "c=IN IP4 %s%s%s%s"), 400, "invalid c= line"},
      {"c_bad_ttl", replace(b, "c=", "c=IN IP4 224.2.36.42/x"), 400, "invalid c= line"},
      {"c_bad_ip6", replace(b, "c=", "c=IN IP6 1:::2"), 400, "invalid c= line"},
      {"b_no_colon", insert_after(b, "c=", "b=AS64"), 400, "invalid b= line"},
      {"b_letters", insert_after(b, "c=", "b=AS:x"), 400, "invalid b= line"},
      {"t_short", replace(b, "t=", "t=123 0"), 400, "invalid t= line"},
      {"t_one", replace(b, "t=", "t=0"), 400, "invalid t= line"},
      {"t_negative", replace(b, "t=", "t=-1 0"), 400, "invalid t= line"},
      {"r_short", insert_after(b, "t=", "r=604800 3600"), 400, "invalid r= line"},
      {"z_odd", insert_after(b, "t=", "z=2882844526"), 400, "invalid z= line"},
      {"k_bad", insert_after(b, "t=", "k=:x"), 400, "invalid k= line"},
      {"a_empty_name", replace(b, "a=sendrecv", "a=:0"), 400, "invalid a= line"},
      {"a_bad_name", replace(b, "a=sendrecv", "a=send recv"), 400, "invalid a= line"},
      {"a_empty_value", replace(b, "a=sendrecv", "a=ptime:"), 400, "invalid a= line"},
      {"rtpmap_no_clock", replace(b, "a=rtpmap:0", "a=rtpmap:0 PCMU"), 400, "invalid a=rtpmap"},
      {"rtpmap_slashes", replace(b, "a=rtpmap:0", "a=rtpmap:0 PCMU/////8000"), 400,
       "invalid a=rtpmap"},
      {"rtpmap_pt", replace(b, "a=rtpmap:0", "a=rtpmap:x PCMU/8000"), 400, "invalid a=rtpmap"},
      {"rtpmap_pt_range", replace(b, "a=rtpmap:0", "a=rtpmap:128 PCMU/8000"), 400,
       "invalid a=rtpmap"},
      {"rtpmap_zero_clock", replace(b, "a=rtpmap:0", "a=rtpmap:0 PCMU/0"), 400, "invalid a=rtpmap"},
      {"rtpmap_double_space", replace(b, "a=rtpmap:0", "a=rtpmap:0  PCMU/8000"), 400,
       "invalid a=rtpmap"},
      {"fmtp_no_params", replace(b, "a=fmtp", "a=fmtp:101"), 400, "invalid a=fmtp"},
      {"m_fields", replace(b, "m=", "m=audio 49170 RTP/AVP"), 400, "invalid m= line"},
      {"m_port_letters", replace(b, "m=", "m=audio x RTP/AVP 0"), 400, "invalid port"},
      {"m_port_range", replace(b, "m=", "m=audio 65536 RTP/AVP 0"), 400, "invalid port"},
      {"m_port_negative", replace(b, "m=", "m=audio -1 RTP/AVP 0"), 400, "invalid port"},
      {"m_port_count", replace(b, "m=", "m=audio 49170/0 RTP/AVP 0"), 400, "invalid port"},
      {"m_proto", replace(b, "m=", "m=audio 49170 RTP//AVP 0"), 400, "invalid protocol"},
      {"m_pt_letters", replace(b, "m=", "m=audio 49170 RTP/AVP aaaa"), 400, "invalid format"},
      {"m_pt_range", replace(b, "m=", "m=audio 49170 RTP/AVP 999"), 400, "invalid format"},
      {"m_media", replace(b, "m=", "m=au:dio 49170 RTP/AVP 0"), 400, "invalid m= line"},
      // --- well-formed but nothing Cohort can accept (RFC 3264: 488) ---
      {"nettype", replace(b, "c=", "c=ATM NSAP 47.0005.80.ffe100"), 488,
       "Unsupported SDP network type"},
      {"addrtype", replace(b, "c=", "c=IN IPX 198.51.100.7"), 488, "Unsupported SDP address type"},
      {"o_nettype", replace(b, "o=", "o=- 1 1 TN RFC2543 x"), 488, "Unsupported SDP network type"},
      {"no_media",
       {"v=0", "o=- 1 1 IN IP4 192.0.2.1", "s=-", "c=IN IP4 192.0.2.1", "t=0 0"},
       488,
       "No usable media"},
      {"all_rejected", replace(b, "m=", "m=audio 0 RTP/AVP 0"), 488, "No usable media"},
      {"not_rtp", replace(b, "m=", "m=audio 49170 udp 0"), 488, "No usable media"},
      {"application_only", replace(b, "m=", "m=application 9 TCP/BFCP *"), 488, "No usable media"},
  };
  return r;
}

TEST(Sdp, EachLineTypeAndEachDefectClass) {
  for (const Row& r : rows()) {
    auto e = validate_offer(join(r.lines));
    if (r.status == 0) {
      EXPECT_FALSE(e.has_value()) << r.name << ": " << (e ? e->reason : "");
      continue;
    }
    ASSERT_TRUE(e.has_value()) << r.name << " was accepted:\n" << join(r.lines);
    EXPECT_EQ(e->status, r.status) << r.name << ": " << e->reason;
    EXPECT_NE(e->reason.find(r.reason), std::string::npos) << r.name << ": " << e->reason;
    if (r.status == 400) {
      EXPECT_EQ(e->reason.rfind("Bad SDP: ", 0), 0u) << r.name << ": " << e->reason;
    }
  }
}

TEST(Sdp, EmptyAndGarbageBodies) {
  EXPECT_EQ(validate_offer("")->status, 400);
  EXPECT_EQ(validate_offer("\r\n")->status, 400);
  EXPECT_EQ(validate_offer("hello")->status, 400);
  EXPECT_EQ(validate_offer(std::string(1000, 'a'))->status, 400);
  // Every prefix of a valid offer cut inside a line either parses or is refused, never read
  // past its end (ASan in the fuzz build checks the "never").
  const std::string full = join(base());
  for (std::size_t n = 0; n < full.size(); ++n) {
    (void)validate_offer(std::string_view(full).substr(0, n));
  }
}

}  // namespace
}  // namespace cohort::sip::sdp
