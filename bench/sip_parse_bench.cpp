// The SIP message layer on the hot path: parse() of the three shapes a PBX sees most, the
// eager accessors the transaction layer reads, and building a response. Items/s is messages
// per second on one core. Target: ≥ 1,000,000 INVITE parses/s.
// Run: build/<preset>/bench/sip_parse_bench
#include <benchmark/benchmark.h>

#include <string>

#include "sip/headers.hpp"

namespace {

using namespace cohort::sip;

std::string crlf(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\n') {
      out += '\r';
    }
    out += c;
  }
  return out;
}

// A head (without Content-Length) and a body, as one message with the right Content-Length.
std::string with_body(std::string_view head, std::string_view body) {
  std::string b = crlf(body);
  return crlf(head) + "Content-Length: " + std::to_string(b.size()) + "\r\n\r\n" + b;
}

// ~870 bytes, 12 headers, SDP body: what a desk phone sends (tests/data/sip/invite.sip).
const std::string kInvite = with_body(
    "INVITE sip:201@pbx.example.com SIP/2.0\n"
    "Via: SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bK776asdhds;rport\n"
    "Max-Forwards: 70\n"
    "To: \"Reception\" <sip:201@pbx.example.com>\n"
    "From: \"Alice Smith\" <sip:alice@pbx.example.com>;tag=1928301774\n"
    "Call-ID: a84b4c76e66710@pc33.example.com\n"
    "CSeq: 314159 INVITE\n"
    "Contact: <sip:alice@198.51.100.7:5060;transport=udp>\n"
    "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE, REFER, NOTIFY\n"
    "Supported: replaces, timer, 100rel\n"
    "User-Agent: ExamplePhone/4.2.1\n"
    "Content-Type: application/sdp\n",
    "v=0\n"
    "o=bob 53655765 2353687637 IN IP4 198.51.100.7\n"
    "s=-\n"
    "c=IN IP4 198.51.100.7\n"
    "t=0 0\n"
    "m=audio 49170 RTP/AVP 0 8 9 18 101\n"
    "a=rtpmap:0 PCMU/8000\n"
    "a=rtpmap:8 PCMA/8000\n"
    "a=rtpmap:9 G722/8000\n"
    "a=rtpmap:18 G729/8000\n"
    "a=fmtp:18 annexb=no\n"
    "a=rtpmap:101 telephone-event/8000\n"
    "a=fmtp:101 0-16\n"
    "a=ptime:20\n"
    "a=maxptime:150\n"
    "a=sendrecv\n");

const std::string kRegister = crlf(
    "REGISTER sip:pbx.example.com SIP/2.0\n"
    "Via: SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bKnashds7;rport\n"
    "Max-Forwards: 70\n"
    "To: <sip:alice@pbx.example.com>\n"
    "From: <sip:alice@pbx.example.com>;tag=456248\n"
    "Call-ID: 843817637684230@998sdasdh09\n"
    "CSeq: 1827 REGISTER\n"
    "Contact: <sip:alice@198.51.100.7:5060>;expires=3600\n"
    "Authorization: Digest username=\"alice\", realm=\"pbx.example.com\", "
    "nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", uri=\"sip:pbx.example.com\", "
    "response=\"6629fae49393a05397450978507c4ef1\", algorithm=MD5, qop=auth, nc=00000001, "
    "cnonce=\"0a4f113b\"\n"
    "User-Agent: ExamplePhone/4.2.1\n"
    "Content-Length: 0\n"
    "\n");

const std::string kOk = crlf(
    "SIP/2.0 200 OK\n"
    "Via: SIP/2.0/UDP 203.0.113.1:5060;branch=z9hG4bKnashds8;received=203.0.113.1\n"
    "Via: SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bK776asdhds;rport=5060;"
    "received=198.51.100.7\n"
    "To: \"Reception\" <sip:201@pbx.example.com>;tag=a6c85cf\n"
    "From: \"Alice Smith\" <sip:alice@pbx.example.com>;tag=1928301774\n"
    "Call-ID: a84b4c76e66710@pc33.example.com\n"
    "CSeq: 314159 INVITE\n"
    "Contact: <sip:201@203.0.113.50:5060>\n"
    "Content-Length: 0\n"
    "\n");

// Each iteration copies the datagram into a fresh buffer first, as a transport does when it
// hands a received datagram to parse(): the copy is part of the measured cost.
void parse_loop(benchmark::State& state, const std::string& wire) {
  for (auto _ : state) {
    auto m = parse(std::string(wire));
    benchmark::DoNotOptimize(m);
    if (!m) {
      state.SkipWithError("parse failed");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(wire.size()));
}

void BM_ParseInvite(benchmark::State& state) {
  parse_loop(state, kInvite);
}
void BM_ParseRegisterWithAuthorization(benchmark::State& state) {
  parse_loop(state, kRegister);
}
void BM_Parse200Ok(benchmark::State& state) {
  parse_loop(state, kOk);
}

void BM_ParseInviteAndReadTheKey(benchmark::State& state) {
  for (auto _ : state) {
    auto m = parse(std::string(kInvite));
    benchmark::DoNotOptimize(m->call_id());
    benchmark::DoNotOptimize(m->branch());
    benchmark::DoNotOptimize(m->from_tag());
    benchmark::DoNotOptimize(m->cseq());
    benchmark::DoNotOptimize(m->cseq_method());
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_ParseInviteAndTypedHeaders(benchmark::State& state) {
  for (auto _ : state) {
    auto m = parse(std::string(kInvite));
    auto via = parse_via(m->top_via());
    auto from = parse_name_addr(*m->header(HeaderId::kFrom));
    auto contacts = parse_contacts(*m);
    benchmark::DoNotOptimize(via);
    benchmark::DoNotOptimize(from);
    benchmark::DoNotOptimize(contacts);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_BuildResponse(benchmark::State& state) {
  auto req = parse(std::string(kInvite));
  std::string via = stamp_via(req->top_via(), "198.51.100.7", 5060);
  for (auto _ : state) {
    std::string wire = make_response(*req, 180, "Ringing", "a6c85cf", via)
                           .header(HeaderId::kContact, "<sip:201@203.0.113.50:5060>")
                           .str();
    benchmark::DoNotOptimize(wire);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_FrameLengthInvite(benchmark::State& state) {
  ParseLimits limits;
  for (auto _ : state) {
    auto n = frame_length(kInvite, limits);
    benchmark::DoNotOptimize(n);
  }
  state.SetItemsProcessed(state.iterations());
}

}  // namespace

BENCHMARK(BM_ParseInvite);
BENCHMARK(BM_ParseRegisterWithAuthorization);
BENCHMARK(BM_Parse200Ok);
BENCHMARK(BM_ParseInviteAndReadTheKey);
BENCHMARK(BM_ParseInviteAndTypedHeaders);
BENCHMARK(BM_BuildResponse);
BENCHMARK(BM_FrameLengthInvite);
