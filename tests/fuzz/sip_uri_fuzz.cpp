// Fuzz target: the value parsers on their own (URI, name-addr, Via, CSeq, unescape) and URI
// equivalence, which must be reflexive and symmetric.
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "sip/headers.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace cohort::sip;
  std::string_view input(reinterpret_cast<const char*>(data), size);

  if (auto u = parse_uri(input)) {
    COHORT_FUZZ_CHECK(equivalent(*u, *u));
    (void)find_param(u->params, "transport");
    (void)unescape(u->user);
  } else {
    COHORT_FUZZ_CHECK(u.error().status == 400 || u.error().status == 416);
  }
  (void)unescape(input);
  if (auto na = parse_name_addr(input)) {
    COHORT_FUZZ_CHECK(equivalent(na->uri, na->uri));
    (void)na->tag();
  }
  if (auto v = parse_via(input)) {
    (void)v->branch();
    (void)v->received();
    (void)v->rport();
    std::string stamped_text = stamp_via(input, "[2001:db8::1]", 5062);  // the views' owner
    auto stamped = parse_via(stamped_text);
    COHORT_FUZZ_CHECK(stamped.has_value());
    COHORT_FUZZ_CHECK(stamped->branch() == v->branch());
    COHORT_FUZZ_CHECK(stamped->rport() ==
                      (v->rport() == 0 ? std::optional<std::uint16_t>(5062) : v->rport()));
  }
  (void)parse_cseq(input);

  // Two URIs: the input cut at its first newline.
  std::size_t nl = input.find('\n');
  if (nl != std::string_view::npos) {
    auto a = parse_uri(input.substr(0, nl));
    auto b = parse_uri(input.substr(nl + 1));
    if (a && b) {
      COHORT_FUZZ_CHECK(equivalent(*a, *b) == equivalent(*b, *a));
    }
  }
  return 0;
}
