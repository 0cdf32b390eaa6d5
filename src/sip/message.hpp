#pragma once
// SIP messages (RFC 3261 §7). A Message owns its bytes and hands out string_views into
// them; it is move-only so that no view outlives its buffer. The transaction key (top Via,
// From/To tags, Call-ID, CSeq, Max-Forwards, Content-Length) is parsed eagerly by parse();
// every other header is kept as (id, raw value) and parsed on demand by the typed
// accessors in headers.hpp, which return Expected and never throw.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/errc.hpp"

namespace cohort::sip {

enum class Method : std::uint8_t {
  kUnknown,
  kInvite,
  kAck,
  kBye,
  kCancel,
  kRegister,
  kOptions,
  kInfo,
  kUpdate,
  kPrack,
  kSubscribe,
  kNotify,
  kRefer,
  kMessage,
  kPublish,
};
/// Case-sensitive, as RFC 3261 §7.1 requires ("INVITE", not "invite").
Method parse_method(std::string_view token);
std::string_view to_string(Method m);

/// Header names as an enum; compact forms map to the same id (RFC 3261 §7.3.3).
enum class HeaderId : std::uint8_t {
  kOther,  ///< any header without an id; compare Header::name
  kVia,
  kFrom,
  kTo,
  kCallId,
  kCSeq,
  kMaxForwards,
  kContentLength,
  kContentType,
  kContentEncoding,
  kContact,
  kExpires,
  kMinExpires,
  kRoute,
  kRecordRoute,
  kAuthorization,
  kProxyAuthorization,
  kWwwAuthenticate,
  kProxyAuthenticate,
  kUserAgent,
  kServer,
  kAllow,
  kSupported,
  kRequire,
  kProxyRequire,
  kUnsupported,
  kAccept,
  kPath,
  kTimestamp,
};
/// Case-insensitive; "v", "f", "t", "i", "m", "l", "c", "e", "k", "s", "o", "r", "u"…
HeaderId header_id(std::string_view name);
/// The canonical long name ("Via", "Call-ID", …); empty for kOther.
std::string_view header_name(HeaderId id);

struct Header {
  HeaderId id = HeaderId::kOther;
  std::string_view name;   ///< as received
  std::string_view value;  ///< raw, leading/trailing LWS trimmed, folding kept as received
};

/// Why a parse failed. `Incomplete` means "need more bytes" (TCP framing waits); Malformed
/// carries the SIP status to answer with (400, 505, 416, 513 …) and a reason phrase that
/// says what is wrong. RFC 3261 §21.4, RFC 4475.
struct ParseError {
  enum class Kind : std::uint8_t { kIncomplete, kMalformed };
  Kind kind = Kind::kMalformed;
  int status = 400;
  std::string reason;  ///< e.g. "Bad CSeq: method mismatch"
  /// Whether enough of the message was understood to send a response at all (a response
  /// needs Via, From, To, Call-ID and CSeq; without them the message is dropped).
  bool can_respond = false;
  /// When can_respond: the complete response to send back (status and reason above, the
  /// request's Via, and those of From, To with a tag, Call-ID and CSeq that it has,
  /// Content-Length: 0). parse() consumes the Message, so it builds this instead of
  /// make_response. RFC 3261 §8.2.6.
  std::string response;
  /// When can_respond: the request's top Via value as read (raw bytes, possibly malformed):
  /// where the response goes, read without parsing `response` again.
  std::string top_via;
  /// When !can_respond (kMalformed): why no response can be sent, a metric label — one of
  /// kDropResponse, kDropAck, kDropNoVia, kDropNoStartLine.
  std::string_view drop_reason;
};

/// Why a malformed message is dropped instead of answered (ParseError::drop_reason).
inline constexpr std::string_view kDropResponse = "malformed_response";  ///< never answered
inline constexpr std::string_view kDropAck = "malformed_ack";            ///< RFC 3261 §17.1.1.3
inline constexpr std::string_view kDropNoVia = "no_via";  ///< nowhere to send a response
inline constexpr std::string_view kDropNoStartLine = "no_start_line";  ///< not even a start line

struct ParseLimits {
  std::size_t max_message_bytes = 64 * 1024;
  std::size_t max_headers = 128;
  /// A header line (with its folding) may use the whole message: a Call-ID of any length is
  /// legal (RFC 3261 §25.1 callid), and a long one must still be answered.
  std::size_t max_header_bytes = 64 * 1024;
};

/// The eagerly parsed transaction key and dialog identifiers of a message.
struct Via;  // headers.hpp

class Message {
 public:
  Message(Message&&) noexcept = default;
  Message& operator=(Message&&) noexcept = default;
  Message(const Message&) = delete;
  Message& operator=(const Message&) = delete;

  bool is_request() const { return status_ == 0; }
  // Requests
  Method method() const { return method_; }
  std::string_view method_token() const { return method_token_; }  ///< for kUnknown
  std::string_view request_uri() const { return request_uri_; }    ///< raw
  // Responses
  int status() const { return status_; }
  std::string_view reason() const { return reason_; }

  std::span<const Header> headers() const { return headers_; }
  /// The first header with `id`, if any.
  std::optional<std::string_view> header(HeaderId id) const;
  /// Every value of `id`, split at top-level commas (not inside quotes or <>), in order.
  std::vector<std::string_view> header_values(HeaderId id) const;
  std::string_view body() const { return body_; }
  std::string_view bytes() const { return buffer_; }

  // The eager part (valid after a successful parse):
  std::string_view call_id() const { return call_id_; }
  std::uint32_t cseq() const { return cseq_; }
  Method cseq_method() const { return cseq_method_; }
  std::string_view cseq_method_token() const { return cseq_method_token_; }
  std::string_view from_tag() const { return from_tag_; }  ///< empty when absent
  std::string_view to_tag() const { return to_tag_; }      ///< empty when absent
  std::string_view top_via() const { return top_via_; }    ///< raw value of the first Via
  std::string_view branch() const { return branch_; }      ///< of the top Via
  int max_forwards() const { return max_forwards_; }       ///< -1 when absent

 private:
  friend Expected<Message, ParseError> parse(std::string buffer, const ParseLimits& limits);
  friend class MessageBuilder;
  Message() = default;

  std::string buffer_;
  Method method_ = Method::kUnknown;
  std::string_view method_token_;
  std::string_view request_uri_;
  int status_ = 0;
  std::string_view reason_;
  std::vector<Header> headers_;
  std::string_view body_;
  std::string_view call_id_;
  std::uint32_t cseq_ = 0;
  Method cseq_method_ = Method::kUnknown;
  std::string_view cseq_method_token_;
  std::string_view from_tag_;
  std::string_view to_tag_;
  std::string_view top_via_;
  std::string_view branch_;
  int max_forwards_ = -1;
};

/// Parses one complete message (a UDP datagram, or a TCP frame cut by frame_length).
/// Never throws; views in the result point into the moved-in buffer.
Expected<Message, ParseError> parse(std::string buffer, const ParseLimits& limits = {});

/// TCP framing (RFC 3261 §18.3): the length of the first complete message in `stream`
/// (headers + Content-Length body), Incomplete when more bytes are needed, Malformed when
/// the head cannot be framed (no or bad Content-Length, too long). Leading CRLF keep-alives
/// (RFC 5626 §3.5.1) are counted in the returned length of a message that follows them;
/// `stream` made only of CRLFs returns Incomplete with no consumption — use
/// skip_keepalives() first.
Expected<std::size_t, ParseError> frame_length(std::string_view stream, const ParseLimits& limits);
/// The number of leading CR/LF bytes (keep-alive pings) in `stream`.
std::size_t skip_keepalives(std::string_view stream);

/// Whether the bytes after a framed message can start the next one (RFC 3261 §7.1/§7.2 start
/// lines: `Method SP Request-URI SP SIP/…` or `SIP/…`), judged on as much as `next` holds:
/// kNeedMore when it is a plausible prefix. A stream whose bytes after a message start no
/// message has a Content-Length shorter than its body: it is out of step for good (§18.3).
enum class NextMessage : std::uint8_t { kYes, kNo, kNeedMore };
NextMessage next_message(std::string_view next);

}  // namespace cohort::sip
