// The RFC 4475 torture tests, as messages of our own modelled on each case of the RFC
// (tests/data/sip/<rfc name>.sip). Table: valid → parses; invalid → the exact status, a
// reason naming the problem, and whether a response can be sent.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "sip/headers.hpp"
#include "unit/sip/corpus.hpp"

namespace cohort::sip {
namespace {

using test::corpus;

struct Case {
  const char* name;
  int status;  ///< 0: parses
  const char* reason = "";
  bool can_respond = false;
};

// RFC 4475 §3.1.1 (valid), §3.1.2 (invalid), §3.2 and §3.3 as far as a parser can judge.
const Case kCases[] = {
    // §3.1.1 valid messages
    {"wsinv", 0},
    {"intmeth", 0},
    {"esc01", 0},
    {"escnull", 0},
    {"esc02", 0},
    {"lwsdisp", 0},
    {"longreq", 0},
    {"dblreq", 0},
    {"semiuri", 0},
    {"transports", 0},
    {"mpart01", 0},
    {"unreason", 0},
    {"noreason", 0},
    // §3.1.2 invalid messages
    {"badinv01", 400, "Via", true},
    {"clerr", 400, "Content-Length larger than message", true},
    {"ncl", 400, "Content-Length", true},
    {"scalar02", 400, "CSeq", true},
    {"scalarlg", 400, "CSeq", false},  // a response: never answered
    {"quotbal", 400, "unterminated quoted string", true},
    {"ltgtruri", 400, "Request-URI", true},
    {"lwsruri", 400, "Request-URI", true},
    {"lwsstart", 400, "whitespace", true},
    {"trws", 400, "trailing whitespace", true},
    {"escruri", 400, "Request-URI: headers not allowed", true},
    {"baddate", 400, "Date", true},
    {"badaspec", 400, "To", true},
    {"baddn", 400, "quoted", true},
    {"badvers", 505, "Version Not Supported", true},
    {"mismatch01", 400, "CSeq: method mismatch", true},
    {"mismatch02", 400, "CSeq: method mismatch", true},
    {"dupbranch", 400, "Bad Via: branch without a value", true},  // found by the fuzzer
    {"bigcode", 400, "status code", false},
    // §3.2 transaction layer: syntactically valid
    {"badbranch", 0},
    // §3.3 application layer
    {"insuf", 400, "Missing To", true},  // §3.3.1: "should respond with a 400"
    {"unkscm", 416, "Unsupported URI Scheme", true},
    {"novelsc", 416, "Unsupported URI Scheme", true},
    {"unksm2", 0},
    {"bext01", 0},
    {"invut", 0},
    {"regaut01", 0},
    {"multi01", 400, "Multiple", true},
    {"mcl01", 400, "Multiple Content-Length", true},
    {"bcast", 0},
    {"zeromf", 0},
    {"cparam01", 0},
    {"cparam02", 0},
    {"regescrt", 0},
    {"sdp01", 0},
    {"inv2543", 0},
    {"regbadct", 0},  // the Contact is judged lazily: see RegbadctContactIsRejected
    // everyday traffic
    {"invite", 0},
    {"register_auth", 0},
    {"ok200", 0},
    {"ipv6", 0},
};

class Rfc4475 : public ::testing::TestWithParam<Case> {};

TEST_P(Rfc4475, ParsesOrRejectsAsTheRfcSays) {
  const Case& c = GetParam();
  std::string bytes = corpus(c.name);
  ASSERT_FALSE(bytes.empty()) << "missing corpus file " << c.name;
  auto m = parse(bytes);
  if (c.status == 0) {
    ASSERT_TRUE(m.has_value()) << c.name << ": " << m.error().status << " " << m.error().reason;
    EXPECT_FALSE(m->call_id().empty());
    EXPECT_FALSE(m->top_via().empty());
    return;
  }
  ASSERT_FALSE(m.has_value()) << c.name << " parsed";
  EXPECT_EQ(m.error().kind, ParseError::Kind::kMalformed);
  EXPECT_EQ(m.error().status, c.status) << m.error().reason;
  EXPECT_NE(m.error().reason.find(c.reason), std::string::npos) << m.error().reason;
  EXPECT_EQ(m.error().can_respond, c.can_respond);
  if (c.can_respond) {
    // The prepared response copies the request's headers as received (bad ones included:
    // the client matches its transaction by them), adds a To tag and no body.
    const std::string& resp = m.error().response;
    EXPECT_EQ(
        resp.rfind("SIP/2.0 " + std::to_string(c.status) + " " + m.error().reason + "\r\n", 0), 0u)
        << resp;
    // insuf has no Call-ID, From or To (RFC 4475 §3.3.1): there is nothing to copy.
    const bool insufficient = std::string_view(c.name) == "insuf";
    EXPECT_EQ(resp.find("\r\nCall-ID: ") != std::string::npos, !insufficient) << resp;
    EXPECT_NE(resp.find("\r\nCSeq: "), std::string::npos);
    EXPECT_EQ(resp.find(";tag=") != std::string::npos, !insufficient) << resp;
    EXPECT_EQ(resp.substr(resp.size() - 23), "\r\nContent-Length: 0\r\n\r\n");
  } else {
    EXPECT_TRUE(m.error().response.empty());
  }
}

INSTANTIATE_TEST_SUITE_P(Corpus, Rfc4475, ::testing::ValuesIn(kCases),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(Rfc4475, EveryCorpusFileIsInTheTable) {
  for (const auto& entry : std::filesystem::directory_iterator(COHORT_SIP_CORPUS_DIR)) {
    if (entry.path().extension() != ".sip") {
      continue;
    }
    std::string stem = entry.path().stem().string();
    bool listed = false;
    for (const Case& c : kCases) {
      listed = listed || stem == c.name;
    }
    EXPECT_TRUE(listed) << stem;
  }
}

// --- key fields of the valid messages ------------------------------------------------------

TEST(Rfc4475, Wsinv) {
  auto m = parse(corpus("wsinv"));
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->method(), Method::kInvite);
  EXPECT_EQ(m->request_uri(), "sip:alice@pbx.example.com;oddparam");
  EXPECT_EQ(m->call_id(), "wsinv.q81hz@198.51.100.7");
  EXPECT_EQ(m->cseq(), 12u);
  EXPECT_EQ(m->cseq_method(), Method::kInvite);
  EXPECT_EQ(m->to_tag(), "7734k2");
  EXPECT_EQ(m->from_tag(), "b0b9x");
  EXPECT_EQ(m->max_forwards(), 42);
  EXPECT_EQ(m->branch(), "z9hG4bKws1nv");
  EXPECT_EQ(m->body().substr(0, 5), "v=0\r\n");
  // Three Via values over two headers, with LWS around '/' and folding.
  auto vias = m->header_values(HeaderId::kVia);
  ASSERT_EQ(vias.size(), 3u);
  auto v2 = parse_via(vias[1]);
  ASSERT_TRUE(v2.has_value());
  EXPECT_EQ(v2->transport, "TCP");
  EXPECT_EQ(v2->host, "relay.example.net");
  EXPECT_EQ(v2->branch(), "z9hG4bKrelay1");
  auto v3 = parse_via(vias[2]);
  ASSERT_TRUE(v3.has_value());
  EXPECT_EQ(v3->branch(), "z9hG4bKrelay2");
  // From display name keeps its escapes (unquoted contents).
  auto from = parse_name_addr(*m->header(HeaderId::kFrom));
  ASSERT_TRUE(from.has_value());
  EXPECT_EQ(from->display_name, R"(Bob \\\")");
  auto contacts = parse_contacts(*m);
  ASSERT_TRUE(contacts.has_value());
  ASSERT_EQ(contacts->contacts.size(), 1u);
  EXPECT_EQ(contacts->contacts[0].display_name, R"(Quoted \"twice\" name)");
  EXPECT_EQ(find_param(contacts->contacts[0].params, "xparam"), "xvalue");
  EXPECT_EQ(find_param(contacts->contacts[0].params, "q"), "0.5");
  // The empty Subject (compact "s") is a header with an empty value.
  bool subject = false;
  for (const Header& h : m->headers()) {
    subject = subject || (h.name == "s" && h.value.empty());
  }
  EXPECT_TRUE(subject);
}

TEST(Rfc4475, Intmeth) {
  auto m = parse(corpus("intmeth"));
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->method(), Method::kUnknown);
  EXPECT_EQ(m->method_token(), "!weird-Method0123456789_*+`.%indeed'~");
  EXPECT_EQ(m->cseq_method_token(), m->method_token());
  EXPECT_EQ(m->call_id(), "intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{");
  auto uri = parse_uri(m->request_uri());
  ASSERT_TRUE(uri.has_value());
  EXPECT_EQ(uri->user, "1_odd.URI~(be!careful)&isn't+it$/odd?,/;;*");
  EXPECT_EQ(uri->password, "&it+has=1,pass!*wo~rd_here.(ok-then)");
  EXPECT_EQ(uri->host, "example.com");
  EXPECT_EQ(m->from_tag(), "_token~1'+`*%!-.");
  auto from = parse_name_addr(*m->header(HeaderId::kFrom));
  ASSERT_TRUE(from.has_value());
  EXPECT_EQ(from->display_name, "token1~` token2'+_ token3*%!.-");
  EXPECT_EQ(find_param(from->params, "fromParam''~+*_!.-%"), "работа");
  auto to = parse_name_addr(*m->header(HeaderId::kTo));
  ASSERT_TRUE(to.has_value());
  EXPECT_EQ(to->display_name.size(), 20u);  // "BEL:\x07 NUL:\x00 DEL:\x7f" with backslashes
}

TEST(Rfc4475, Esc01) {
  auto m = parse(corpus("esc01"));
  ASSERT_TRUE(m.has_value());
  auto uri = parse_uri(m->request_uri());
  ASSERT_TRUE(uri.has_value());
  EXPECT_EQ(unescape(uri->user), "sips:carol@example.org");
  auto to = parse_name_addr(*m->header(HeaderId::kTo));
  ASSERT_TRUE(to.has_value());
  EXPECT_EQ(unescape(to->uri.user), "carol");
  auto contacts = parse_contacts(*m);
  ASSERT_TRUE(contacts.has_value());
  ASSERT_EQ(contacts->contacts.size(), 1u);
  const Uri& c = contacts->contacts[0].uri;
  EXPECT_EQ(unescape(c.user), "david");
  ASSERT_EQ(c.params.size(), 2u);
  EXPECT_EQ(unescape(c.params[0].name), "lr");
  EXPECT_FALSE(c.params[0].has_value);
  EXPECT_EQ(unescape(c.params[1].name), "name");
  EXPECT_EQ(unescape(c.params[1].value), "value%41");
}

TEST(Rfc4475, Escnull) {
  auto m = parse(corpus("escnull"));
  ASSERT_TRUE(m.has_value());
  auto contacts = parse_contacts(*m);
  ASSERT_TRUE(contacts.has_value());
  ASSERT_EQ(contacts->contacts.size(), 2u);
  EXPECT_EQ(unescape(contacts->contacts[0].uri.user), std::string(1, '\0'));
  EXPECT_EQ(unescape(contacts->contacts[1].uri.user), std::string(2, '\0'));
  auto to = parse_name_addr(*m->header(HeaderId::kTo));
  ASSERT_TRUE(to.has_value());
  EXPECT_EQ(unescape(to->uri.user), std::string("null-\0-null", 11));
}

TEST(Rfc4475, Esc02) {
  auto m = parse(corpus("esc02"));
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->method(), Method::kUnknown);  // RE%47IST%45R is not REGISTER
  EXPECT_EQ(m->method_token(), "RE%47IST%45R");
  auto to = parse_name_addr(*m->header(HeaderId::kTo));
  ASSERT_TRUE(to.has_value());
  EXPECT_EQ(to->display_name, "%Z%45");
  auto contacts = parse_contacts(*m);
  ASSERT_TRUE(contacts.has_value());
  EXPECT_EQ(contacts->contacts.size(), 3u);
  EXPECT_EQ(m->body().size(), 0u);
}

TEST(Rfc4475, Lwsdisp) {
  auto m = parse(corpus("lwsdisp"));
  ASSERT_TRUE(m.has_value());
  auto from = parse_name_addr(*m->header(HeaderId::kFrom));
  ASSERT_TRUE(from.has_value());
  EXPECT_EQ(from->display_name, "caller");
  EXPECT_EQ(from->uri_text, "sip:caller@example.com");
  EXPECT_EQ(from->tag(), "7a1");
}

TEST(Rfc4475, Longreq) {
  auto m = parse(corpus("longreq"));
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->header_values(HeaderId::kVia).size(), 35u);
  EXPECT_EQ(m->from_tag().size(), 480u);
  EXPECT_GT(m->call_id().size(), 500u);
  EXPECT_EQ(m->branch().size(), 7u + 250u);
  auto to = parse_name_addr(*m->header(HeaderId::kTo));
  ASSERT_TRUE(to.has_value());
  EXPECT_EQ(to->display_name.size(), 620u);
}

TEST(Rfc4475, DblreqDiscardsTheExtraDatagramBytes) {
  auto m = parse(corpus("dblreq"));
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->method(), Method::kRegister);
  EXPECT_TRUE(m->body().empty());  // RFC 3261 §18.3: bytes past Content-Length are ignored
}

TEST(Rfc4475, SemiuriUserHoldsASemicolon) {
  auto m = parse(corpus("semiuri"));
  ASSERT_TRUE(m.has_value());
  auto uri = parse_uri(m->request_uri());
  ASSERT_TRUE(uri.has_value());
  EXPECT_EQ(uri->user, "user;par=u%40example.net");
  EXPECT_EQ(uri->host, "example.com");
  EXPECT_TRUE(uri->params.empty());
  EXPECT_EQ(m->header_values(HeaderId::kAccept).size(), 6u);
}

TEST(Rfc4475, Transports) {
  auto m = parse(corpus("transports"));
  ASSERT_TRUE(m.has_value());
  auto vias = m->header_values(HeaderId::kVia);
  ASSERT_EQ(vias.size(), 5u);
  const char* expected[] = {"UDP", "SCTP", "TLS", "UNKNOWN", "TCP"};
  for (std::size_t i = 0; i < vias.size(); ++i) {
    auto v = parse_via(vias[i]);
    ASSERT_TRUE(v.has_value()) << vias[i];
    EXPECT_EQ(v->transport, expected[i]);
    EXPECT_EQ(v->protocol, "SIP/2.0");
  }
}

TEST(Rfc4475, Mpart01KeepsABinaryBody) {
  std::string bytes = corpus("mpart01");
  auto m = parse(bytes);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(*m->header(HeaderId::kContentType), "multipart/mixed;boundary=7jsu3kl9rq");
  EXPECT_EQ(m->body().size(), 370u);
  EXPECT_NE(m->body().find(std::string_view("\0\x01\x02", 3)), std::string_view::npos);
  EXPECT_EQ(m->body().substr(m->body().size() - 16), "--7jsu3kl9rq--\r\n");
}

TEST(Rfc4475, UnreasonAndNoreason) {
  auto m = parse(corpus("unreason"));
  ASSERT_TRUE(m.has_value());
  EXPECT_FALSE(m->is_request());
  EXPECT_EQ(m->status(), 200);
  EXPECT_EQ(m->reason().substr(0, 14), "= 2**3 * 5**2 ");
  auto n = parse(corpus("noreason"));
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(n->status(), 100);
  EXPECT_TRUE(n->reason().empty());
}

TEST(Rfc4475, RegbadctContactIsRejected) {
  auto m = parse(corpus("regbadct"));
  ASSERT_TRUE(m.has_value());
  auto contacts = parse_contacts(*m);
  ASSERT_FALSE(contacts.has_value());
  EXPECT_EQ(contacts.error().status, 400);
  EXPECT_NE(contacts.error().reason.find("angle brackets"), std::string::npos);
}

TEST(Rfc4475, Badinv01ResponseCopiesTheViaAsReceived) {
  std::string bytes = corpus("badinv01");
  auto m = parse(bytes);
  ASSERT_FALSE(m.has_value());
  // The response copies the broken Via as received: the client matches it by branch.
  EXPECT_NE(m.error().response.find("Via: SIP/2.0/UDP 198.51.100.15;;,;,,\r\n"), std::string::npos);
}

TEST(Rfc4475, Unksm2AcceptsUnknownSchemesInAddresses) {
  auto m = parse(corpus("unksm2"));
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->from_tag(), "3234233");
  // The typed accessors answer 416 for the schemes they cannot represent.
  auto to = parse_name_addr(*m->header(HeaderId::kTo));
  ASSERT_FALSE(to.has_value());
  EXPECT_EQ(to.error().status, 416);
  auto contacts = parse_contacts(*m);
  ASSERT_FALSE(contacts.has_value());
  EXPECT_EQ(contacts.error().status, 416);
}

TEST(Rfc4475, Bext01) {
  auto m = parse(corpus("bext01"));
  ASSERT_TRUE(m.has_value());
  auto req = m->header_values(HeaderId::kRequire);
  ASSERT_EQ(req.size(), 2u);
  EXPECT_EQ(req[0], "nothingSupportsThis");
  EXPECT_EQ(req[1], "nothingSupportsThisEither");
  EXPECT_EQ(m->header_values(HeaderId::kProxyRequire).size(), 2u);
}

TEST(Rfc4475, InvutAndSdp01) {
  auto m = parse(corpus("invut"));
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(*m->header(HeaderId::kContentType), "application/unknownformat");
  EXPECT_EQ(m->body().size(), 40u);
  auto s = parse(corpus("sdp01"));
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->header_values(HeaderId::kAccept).size(), 1u);
}

TEST(Rfc4475, Regaut01AuthorizationIsNotSplit) {
  auto m = parse(corpus("regaut01"));
  ASSERT_TRUE(m.has_value());
  auto auth = m->header_values(HeaderId::kAuthorization);
  ASSERT_EQ(auth.size(), 1u);
  EXPECT_EQ(auth[0], R"(NoOneKnowsThisScheme opaque-data=here, more-data="a, b")");
}

TEST(Rfc4475, BcastAndZeromf) {
  auto m = parse(corpus("bcast"));
  ASSERT_TRUE(m.has_value());
  auto vias = m->header_values(HeaderId::kVia);
  ASSERT_EQ(vias.size(), 2u);
  EXPECT_EQ(parse_via(vias[1])->host, "255.255.255.255");
  auto z = parse(corpus("zeromf"));
  ASSERT_TRUE(z.has_value());
  EXPECT_EQ(z->max_forwards(), 0);
}

TEST(Rfc4475, Cparam01And02) {
  // Without <> the parameter belongs to the header (RFC 3261 §20.10) ...
  auto m1 = parse(corpus("cparam01"));
  ASSERT_TRUE(m1.has_value());
  auto c1 = parse_contacts(*m1);
  ASSERT_TRUE(c1.has_value());
  ASSERT_EQ(c1->contacts.size(), 1u);
  EXPECT_TRUE(c1->contacts[0].uri.params.empty());
  ASSERT_EQ(c1->contacts[0].params.size(), 1u);
  EXPECT_EQ(c1->contacts[0].params[0].name, "unknownparam");
  // ... inside <> to the URI.
  auto m2 = parse(corpus("cparam02"));
  ASSERT_TRUE(m2.has_value());
  auto c2 = parse_contacts(*m2);
  ASSERT_TRUE(c2.has_value());
  EXPECT_TRUE(c2->contacts[0].params.empty());
  ASSERT_EQ(c2->contacts[0].uri.params.size(), 1u);
  EXPECT_EQ(c2->contacts[0].uri.params[0].name, "unknownparam");
  EXPECT_EQ(c2->contacts[0].uri.user, "+19725552222");
}

TEST(Rfc4475, RegescrtKeepsTheUriHeaders) {
  auto m = parse(corpus("regescrt"));
  ASSERT_TRUE(m.has_value());
  auto c = parse_contacts(*m);
  ASSERT_TRUE(c.has_value());
  ASSERT_EQ(c->contacts.size(), 1u);
  EXPECT_EQ(c->contacts[0].uri.headers, "Route=%3Csip:sip.example.com%3E");
}

TEST(Rfc4475, Inv2543HasNoBranchAndNoTag) {
  auto m = parse(corpus("inv2543"));
  ASSERT_TRUE(m.has_value());
  EXPECT_TRUE(m->branch().empty());
  EXPECT_TRUE(m->from_tag().empty());
  EXPECT_EQ(m->max_forwards(), -1);
  EXPECT_EQ(m->body().size(), 197u);  // no Content-Length on a datagram: the rest is body
}

TEST(Rfc4475, BadbranchIsOnlyThePrefix) {
  auto m = parse(corpus("badbranch"));
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->branch(), "z9hG4bK");  // RFC 4475 §3.2.1: the transaction layer judges it
}

TEST(Corpus, Ipv6) {
  auto m = parse(corpus("ipv6"));
  ASSERT_TRUE(m.has_value());
  auto via = parse_via(m->top_via());
  ASSERT_TRUE(via.has_value());
  EXPECT_EQ(via->host, "[2001:db8::9:1]");
  EXPECT_EQ(via->port, 5060);
  EXPECT_EQ(via->rport(), 0);
  EXPECT_EQ(via->received(), "[2001:db8::9:255]");
  auto uri = parse_uri(m->request_uri());
  ASSERT_TRUE(uri.has_value());
  EXPECT_EQ(uri->host, "[2001:db8::10]");
  EXPECT_EQ(uri->port, 5070);
}

TEST(Corpus, TypicalInvite) {
  auto m = parse(corpus("invite"));
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->headers().size(), 12u);
  EXPECT_EQ(m->header_values(HeaderId::kAllow).size(), 9u);
  EXPECT_EQ(m->header_values(HeaderId::kSupported).size(), 3u);
  auto via = parse_via(m->top_via());
  ASSERT_TRUE(via.has_value());
  EXPECT_EQ(via->rport(), 0);
  EXPECT_FALSE(via->received().has_value());
}

}  // namespace
}  // namespace cohort::sip
