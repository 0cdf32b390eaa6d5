// Fuzz target: parse() of any bytes, then every typed accessor on the parsed headers, the
// response helpers, and TCP framing — with invariants that hold for every input.
#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "sip/headers.hpp"
#include "sip/sdp.hpp"

namespace {

using namespace cohort::sip;

bool inside(std::string_view part, std::string_view whole) {
  return part.empty() ||
         (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

void check_error(const ParseError& e) {
  COHORT_FUZZ_CHECK(e.kind == ParseError::Kind::kMalformed);
  COHORT_FUZZ_CHECK(e.status == 400 || e.status == 416 || e.status == 505 || e.status == 513);
  COHORT_FUZZ_CHECK(!e.reason.empty());
  COHORT_FUZZ_CHECK(e.can_respond == !e.response.empty());
  // Either answered (and routed by the Via as read) or dropped for a named reason.
  COHORT_FUZZ_CHECK(e.can_respond == e.drop_reason.empty());
  if (e.can_respond) {
    COHORT_FUZZ_CHECK(e.response.rfind("SIP/2.0 " + std::to_string(e.status) + " ", 0) == 0);
    (void)parse_via(e.top_via);  // may be empty or malformed: then answered symmetrically
  }
}

void exercise(const Message& m) {
  std::string_view bytes = m.bytes();
  for (std::string_view v :
       {m.method_token(), m.request_uri(), m.reason(), m.body(), m.call_id(), m.cseq_method_token(),
        m.from_tag(), m.to_tag(), m.top_via(), m.branch()}) {
    COHORT_FUZZ_CHECK(inside(v, bytes));
  }
  COHORT_FUZZ_CHECK(!m.call_id().empty());
  COHORT_FUZZ_CHECK(m.max_forwards() >= -1 && m.max_forwards() <= 255);
  COHORT_FUZZ_CHECK(m.cseq() <= 0x7fffffffu);
  if (m.is_request()) {
    COHORT_FUZZ_CHECK(m.cseq_method_token() == m.method_token());
    auto uri = parse_uri(m.request_uri());
    COHORT_FUZZ_CHECK(uri.has_value());
    COHORT_FUZZ_CHECK(equivalent(*uri, *uri));
  } else {
    COHORT_FUZZ_CHECK(m.status() >= 100 && m.status() <= 699);
  }
  // The top Via was validated eagerly: the typed parser agrees.
  auto top = parse_via(m.top_via());
  COHORT_FUZZ_CHECK(top.has_value());
  COHORT_FUZZ_CHECK(top->branch() == m.branch());
  COHORT_FUZZ_CHECK(parse_cseq(*m.header(HeaderId::kCSeq)).has_value());

  bool seen[256] = {};
  for (const Header& h : m.headers()) {
    COHORT_FUZZ_CHECK(inside(h.name, bytes) && inside(h.value, bytes));
    // Each id once: header_values() already visits every header with that id.
    if (seen[static_cast<std::uint8_t>(h.id)]) {
      continue;
    }
    seen[static_cast<std::uint8_t>(h.id)] = true;
    for (std::string_view v : m.header_values(h.id)) {
      COHORT_FUZZ_CHECK(inside(v, bytes));
      switch (h.id) {
        case HeaderId::kVia:
          (void)parse_via(v);
          break;
        case HeaderId::kFrom:
        case HeaderId::kTo:
        case HeaderId::kRoute:
        case HeaderId::kRecordRoute:
        case HeaderId::kPath:
        case HeaderId::kContact:
          if (auto na = parse_name_addr(v)) {
            (void)na->tag();
            (void)parse_uri(na->uri_text);
            COHORT_FUZZ_CHECK(equivalent(na->uri, na->uri));
            (void)unescape(na->uri.user);
          }
          break;
        default:
          (void)parse_uri(v);
          break;
      }
    }
  }
  (void)parse_contacts(m);
  // The offer check an INVITE gets before a leg is offered it.
  if (auto problem = sdp::check_offer_body(m)) {
    COHORT_FUZZ_CHECK(problem->status == 400 || problem->status == 415 || problem->status == 488);
    COHORT_FUZZ_CHECK(!problem->reason.empty());
  }

  // A response built from the request parses and answers the same transaction.
  ParseLimits roomy{1 << 22, 1 << 16, 1 << 20};
  std::string stamped = stamp_via(m.top_via(), "192.0.2.1", 5060);
  auto stamped_via = parse_via(stamped);
  COHORT_FUZZ_CHECK(stamped_via.has_value());
  COHORT_FUZZ_CHECK(stamped_via->branch() == m.branch());
  if (m.is_request()) {
    std::string wire = make_response(m, 400, "", "fuzztag", stamped).str();
    auto r = parse(wire, roomy);
    COHORT_FUZZ_CHECK(r.has_value());
    COHORT_FUZZ_CHECK(r->status() == 400);
    COHORT_FUZZ_CHECK(r->call_id() == m.call_id());
    COHORT_FUZZ_CHECK(r->cseq() == m.cseq());
    COHORT_FUZZ_CHECK(r->branch() == m.branch());
    COHORT_FUZZ_CHECK(r->from_tag() == m.from_tag());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  ParseLimits limits;

  std::size_t keepalives = skip_keepalives(input);
  COHORT_FUZZ_CHECK(keepalives <= input.size());
  auto frame = frame_length(input, limits);
  if (frame) {
    COHORT_FUZZ_CHECK(*frame > keepalives && *frame <= input.size());
  } else if (frame.error().kind == ParseError::Kind::kMalformed) {
    COHORT_FUZZ_CHECK(frame.error().status == 400 || frame.error().status == 513);
  }

  // Whatever follows a framed message: start of the next one or not, never a read past it.
  (void)next_message(input.substr(std::min(input.size(), frame ? *frame : keepalives)));
  // The SDP parser on the raw bytes too (a body is any bytes).
  if (auto s = sdp::parse(input)) {
    (void)sdp::check_offer(*s);
  }

  auto m = parse(std::string(input), limits);
  if (!m) {
    check_error(m.error());
    return 0;
  }
  exercise(*m);
  return 0;
}
