#pragma once
// Typed header values (RFC 3261 §19–§20, §25 grammar), parsed on demand from the raw
// header values of a Message. Plain structs of string_views into the message buffer: valid
// while the Message lives. Every parser returns Expected and never throws.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sip/message.hpp"

namespace cohort::sip {

struct Param {
  std::string_view name;
  std::string_view value;  ///< unquoted contents when the value was a quoted-string
  bool has_value = false;
  bool operator==(const Param&) const = default;
};
/// The value of the first parameter named `name` (case-insensitive), if present.
std::optional<std::string_view> find_param(const std::vector<Param>& params, std::string_view name);

struct Uri {
  enum class Scheme : std::uint8_t { kSip, kSips, kTel };
  Scheme scheme = Scheme::kSip;
  std::string_view user;  ///< still %-escaped; tel: the number
  std::string_view password;
  std::string_view host;  ///< IPv6 references keep their brackets
  std::optional<std::uint16_t> port;
  std::vector<Param> params;  ///< uri-parameters (";transport=tcp;lr")
  std::string_view headers;   ///< raw "?a=b&c=d" without the '?'
};
/// sip:, sips: and tel: URIs. Another scheme → ParseError{status 416}.
Expected<Uri, ParseError> parse_uri(std::string_view text);
/// RFC 3261 §19.1.4 URI equivalence (user case-sensitive after unescaping, host
/// case-insensitive, the listed parameters compared when present in both…).
bool equivalent(const Uri& a, const Uri& b);
/// %XX-decoding; nullopt on a bad escape.
std::optional<std::string> unescape(std::string_view text);

/// name-addr or addr-spec with header parameters (From, To, Contact, Route, Path…).
struct NameAddr {
  std::string_view display_name;  ///< unquoted contents, may be empty
  std::string_view uri_text;      ///< raw URI between <> (or the addr-spec)
  Uri uri;
  std::vector<Param> params;     ///< header params after the address (";tag=x;expires=60")
  std::string_view tag() const;  ///< the "tag" param or empty
};
Expected<NameAddr, ParseError> parse_name_addr(std::string_view text);

struct Via {
  std::string_view protocol;   ///< "SIP/2.0"
  std::string_view transport;  ///< "UDP", "TCP", …
  std::string_view host;
  std::optional<std::uint16_t> port;
  std::vector<Param> params;
  std::string_view branch() const;
  std::optional<std::string_view> received() const;
  /// nullopt: no rport; a present rport without value → 0.
  std::optional<std::uint16_t> rport() const;
};
Expected<Via, ParseError> parse_via(std::string_view text);

struct CSeq {
  std::uint32_t number = 0;
  Method method = Method::kUnknown;
  std::string_view method_token;
};
Expected<CSeq, ParseError> parse_cseq(std::string_view text);

/// The Contact header of a REGISTER: either "*" or a list of name-addrs.
struct ContactList {
  bool star = false;
  std::vector<NameAddr> contacts;
};
/// Parses all Contact values of `m` (several headers and comma lists together).
Expected<ContactList, ParseError> parse_contacts(const Message& m);

/// Builds outgoing messages from values (B2BUA legs and responses are new values, never
/// edits of received text). Header order is kept; Content-Length is added by str().
class MessageBuilder {
 public:
  static MessageBuilder request(Method method, std::string_view request_uri);
  static MessageBuilder response(int status, std::string_view reason);

  MessageBuilder& header(HeaderId id, std::string_view value);
  MessageBuilder& header(std::string_view name, std::string_view value);
  MessageBuilder& body(std::string_view content_type, std::string_view body);
  /// The wire form with a correct Content-Length.
  std::string str() const;
  /// The message as a value, without parsing its wire form again (issue 11: what Cohort
  /// builds is sent, matched and stored as the value it was built as): the headers are
  /// indexed as they were added, and the eager fields (top Via and branch, tags, Call-ID,
  /// CSeq, Max-Forwards) read from the values given. The wire form is str()'s.
  Message message() &&;

 private:
  // Appended as they come: one buffer, no allocation per header. Content-Type and
  // Content-Length are kept aside and written last (the builder owns Content-Length,
  // RFC 3261 §20.14; body() may set Content-Type after the headers).
  struct Entry {
    HeaderId id = HeaderId::kOther;
    std::uint32_t name_at = 0, name_len = 0, value_at = 0, value_len = 0;
  };
  void append(HeaderId id, std::string_view name, std::string_view value);

  std::string head_;  ///< start line, CRLF, then "Name: value" CRLF per header
  std::vector<Entry> entries_;
  Method method_ = Method::kUnknown;
  int status_ = 0;
  std::uint32_t first_at_ = 0, first_len_ = 0;    ///< method token / status code
  std::uint32_t second_at_ = 0, second_len_ = 0;  ///< Request-URI / reason phrase
  std::string content_type_;
  bool has_content_type_ = false;
  std::string body_;
};

/// RFC 3261 §18.2.1 + RFC 3581 §4: the top Via value of a received request with
/// `received=source_ip` added when the sent-by host differs from it (or rport is present),
/// and an empty `rport` filled with `source_port`.
std::string stamp_via(std::string_view top_via, std::string_view source_ip,
                      std::uint16_t source_port);

/// A response to request `req` per RFC 3261 §8.2.6.2: every Via (in order; the first
/// replaced by `top_via` when given, e.g. from stamp_via), From, To (with `to_tag` added when
/// the request's To has none and `status` > 100), Call-ID, CSeq; the caller adds more
/// headers to the returned builder.
MessageBuilder make_response(const Message& req, int status, std::string_view reason,
                             std::string_view to_tag = {}, std::string_view top_via = {});
/// The standard reason phrase of `status` ("Not Found"), or "Unknown".
std::string_view default_reason(int status);

}  // namespace cohort::sip
