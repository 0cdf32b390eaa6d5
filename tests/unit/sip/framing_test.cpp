// TCP framing (RFC 3261 §18.3): frame_length and skip_keepalives (RFC 5626 §3.5.1).
#include <gtest/gtest.h>

#include <string>

#include "sip/headers.hpp"

namespace cohort::sip {
namespace {

std::string message(std::string_view body, std::string_view content_length_line) {
  std::string s =
      "MESSAGE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bKf\r\n"
      "From: <sip:a@h>;tag=1\r\nTo: <sip:b@h>\r\nCall-ID: f@h\r\nCSeq: 1 MESSAGE\r\n";
  s += content_length_line;
  s += "\r\n";
  s += body;
  return s;
}
std::string message(std::string_view body) {
  return message(body, "Content-Length: " + std::to_string(body.size()) + "\r\n");
}

bool incomplete(const Expected<std::size_t, ParseError>& r) {
  return !r.has_value() && r.error().kind == ParseError::Kind::kIncomplete;
}
bool malformed(const Expected<std::size_t, ParseError>& r, int status, std::string_view reason) {
  return !r.has_value() && r.error().kind == ParseError::Kind::kMalformed &&
         r.error().status == status && r.error().reason == reason;
}

TEST(FrameLength, CompleteMessage) {
  std::string m = message("hello");
  auto n = frame_length(m, {});
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(*n, m.size());
  EXPECT_TRUE(parse(m.substr(0, *n)).has_value());
}

TEST(FrameLength, EveryPrefixIsIncomplete) {
  std::string m = message("hello world");
  for (std::size_t i = 0; i < m.size(); ++i) {
    EXPECT_TRUE(incomplete(frame_length(std::string_view(m).substr(0, i), {}))) << i;
  }
}

TEST(FrameLength, IncompleteHeadAndBody) {
  std::string m = message("0123456789");
  std::size_t head = m.find("\r\n\r\n") + 4;
  EXPECT_TRUE(incomplete(frame_length(m.substr(0, head - 1), {})));
  EXPECT_TRUE(incomplete(frame_length(m.substr(0, head), {})));
  EXPECT_TRUE(incomplete(frame_length(m.substr(0, head + 9), {})));
  EXPECT_EQ(frame_length(m.substr(0, head + 10), {}).value_or(0), m.size());
}

TEST(FrameLength, TwoMessagesBackToBack) {
  std::string a = message("first");
  std::string b = message("second!");
  std::string stream = a + b;
  auto n1 = frame_length(stream, {});
  ASSERT_TRUE(n1.has_value());
  EXPECT_EQ(*n1, a.size());
  auto n2 = frame_length(std::string_view(stream).substr(*n1), {});
  ASSERT_TRUE(n2.has_value());
  EXPECT_EQ(*n2, b.size());
  auto m2 = parse(stream.substr(*n1, *n2));
  ASSERT_TRUE(m2.has_value());
  EXPECT_EQ(m2->body(), "second!");
}

TEST(FrameLength, KeepalivesBeforeAMessage) {
  EXPECT_EQ(skip_keepalives("\r\n\r\nINVITE"), 4u);
  EXPECT_EQ(skip_keepalives("\r\n"), 2u);
  EXPECT_EQ(skip_keepalives(""), 0u);
  EXPECT_EQ(skip_keepalives("INVITE"), 0u);
  EXPECT_TRUE(incomplete(frame_length("\r\n\r\n", {})));
  EXPECT_TRUE(incomplete(frame_length("", {})));
  std::string m = message("x");
  auto n = frame_length("\r\n\r\n" + m, {});
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(*n, m.size() + 4);  // the keep-alives are counted in the frame
  auto parsed = parse("\r\n\r\n" + m);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->body(), "x");
}

TEST(FrameLength, CompactAndSpacedContentLength) {
  std::string m = message("abc", "l   :  3\r\n");
  EXPECT_EQ(frame_length(m, {}).value_or(0), m.size());
}

TEST(FrameLength, BadContentLength) {
  EXPECT_TRUE(malformed(frame_length(message("abc", ""), {}), 400, "Missing Content-Length"));
  EXPECT_TRUE(malformed(frame_length(message("abc", "Content-Length: x\r\n"), {}), 400,
                        "Bad Content-Length"));
  EXPECT_TRUE(malformed(frame_length(message("abc", "Content-Length: -3\r\n"), {}), 400,
                        "Bad Content-Length"));
  EXPECT_TRUE(
      malformed(frame_length(message("abc", "Content-Length: 3\r\nContent-Length: 4\r\n"), {}), 400,
                "Bad Content-Length"));
  // The same value twice frames fine (parse() judges the duplicate).
  std::string same = message("abc", "Content-Length: 3\r\nl: 3\r\n");
  EXPECT_EQ(frame_length(same, {}).value_or(0), same.size());
}

TEST(FrameLength, TooLarge) {
  ParseLimits limits;
  limits.max_message_bytes = 200;
  EXPECT_TRUE(malformed(frame_length(message("", "Content-Length: 100000\r\n"), limits), 513,
                        "Message Too Large"));
  // A head that never ends is cut off at the limit instead of buffering forever.
  std::string endless = "INVITE sip:b@h SIP/2.0\r\nX: " + std::string(300, 'a');
  EXPECT_TRUE(malformed(frame_length(endless, limits), 513, "Message Too Large"));
  EXPECT_TRUE(incomplete(frame_length(endless.substr(0, 150), limits)));
}

}  // namespace
}  // namespace cohort::sip

namespace cohort::sip {
namespace {

// RFC 3261 §18.3: on a stream, the bytes after a message's declared body either start the
// next message or the Content-Length was short. Every cut of an SDP body must read as "no
// message" (the class of defect: a short Content-Length), every start line as one.
TEST(NextMessage, TheRestOfABodyCutAnywhereStartsNoMessage) {
  const std::string sdp =
      "v=0\r\no=0 0 0 IN IP4 127.0.0.1\r\ns=Session SDP\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
      "m=audio 9876 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n";
  const std::string cancel = "CANCEL sip:1001@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP h\r\n";
  for (std::size_t cut = 0; cut < sdp.size(); ++cut) {
    std::string_view rest = std::string_view(sdp).substr(cut);
    if (skip_keepalives(rest) == rest.size()) {
      continue;  // only line ends left: keep-alives
    }
    // With the next message after the body, as a pipelining peer sends it.
    const std::string stream = std::string(rest) + cancel;
    EXPECT_EQ(next_message(stream), NextMessage::kNo) << "cut at " << cut << ": " << rest;
  }
}

TEST(NextMessage, StartLinesAndTheirPrefixes) {
  for (std::string_view start :
       {"INVITE sip:bob@example.com SIP/2.0\r\n", "SIP/2.0 200 OK\r\n",
        "\r\n\r\nOPTIONS sip:h SIP/2.0\r\n", "FOO tel:+1555 SIP/2.0\r\n"}) {
    EXPECT_EQ(next_message(start), NextMessage::kYes) << start;
    for (std::size_t n = 0; n + 2 < start.size(); ++n) {
      NextMessage r = next_message(start.substr(0, n));
      EXPECT_NE(r, NextMessage::kNo) << "prefix " << start.substr(0, n);
    }
  }
  EXPECT_EQ(next_message(""), NextMessage::kNeedMore);
  EXPECT_EQ(next_message("\r\n"), NextMessage::kNeedMore);
  for (std::string_view junk : {"v=0\r\n", " INVITE sip:h SIP/2.0\r\n", "hello world\r\n",
                                "INVITE sip:h HTTP/1.1\r\n", "INVITE\r\n", "\x01\x02"}) {
    EXPECT_EQ(next_message(junk), NextMessage::kNo) << junk;
  }
}

}  // namespace
}  // namespace cohort::sip
