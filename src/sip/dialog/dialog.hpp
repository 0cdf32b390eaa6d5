#pragma once
// Dialogs (RFC 3261 §12) as values: built from the request and response that create them,
// used to build the requests sent within them (§12.2.1.1) and to check the requests
// received within them (§12.2.2). Pure: no sockets, no clocks; the call code in pbx/ owns
// the dialogs of its legs and carries out what these functions decide.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/expected.hpp"
#include "sip/headers.hpp"
#include "sip/message.hpp"

namespace cohort::sip::dialog {

enum class DialogState : std::uint8_t { kEarly, kConfirmed, kTerminated };
std::string_view to_string(DialogState s);

/// The state of one dialog (§12: "the dialog ID, local and remote sequence numbers, local
/// and remote URI, remote target, the secure flag and the route set"). The URIs are kept as
/// the whole header values (name-addr with our tag / the peer's tag) because that is what
/// From and To of every in-dialog request carry.
struct Dialog {
  std::string call_id;
  std::string local_tag;
  std::string remote_tag;                    ///< empty: a peer without tags (RFC 2543), §12.1.2
  std::string local_header;                  ///< From of our requests: our URI with our tag
  std::string remote_header;                 ///< To of our requests: the peer's URI with its tag
  std::optional<std::uint32_t> local_cseq;   ///< the last CSeq we sent; nullopt = none yet
  std::optional<std::uint32_t> remote_cseq;  ///< the last CSeq received; nullopt = empty
  std::string remote_target;                 ///< the peer's Contact URI
  std::vector<std::string> route_set;        ///< in the order our Route headers list them
  bool secure = false;
  DialogState state = DialogState::kEarly;
};

/// What a UAC kept of the INVITE it sent, to build the dialogs its responses create
/// (several with a forking proxy, §13.2.2.4) and the ACKs and CANCEL it sends.
struct SentRequest {
  std::string call_id;
  std::string from_header;  ///< with our tag
  std::string from_tag;
  std::string to_header;  ///< as sent, without a tag
  std::string request_uri;
  std::uint32_t cseq = 0;
  bool secure = false;  ///< sent to a sips: Request-URI over TLS
};
/// The parts of `request` (as built by us) that SentRequest keeps.
Expected<SentRequest, ParseError> sent_request(const Message& request, bool secure);

/// §12.1.1: the UAS dialog created by sending a response with a To tag (1xx or 2xx) to
/// `request`. Route set: the request's Record-Route in order; remote target: its Contact
/// (400 "Missing Contact" for a dialog-creating request without one); remote sequence: its
/// CSeq. `state` is kEarly for a provisional response, kConfirmed for a 2xx.
Expected<Dialog, ParseError> uas_dialog(const Message& request, std::string_view local_tag,
                                        bool secure, DialogState state);
/// §12.1.2: the UAC dialog created by `response` (a 1xx with a To tag or a 2xx) to the
/// request we sent. Route set: the response's Record-Route in reverse; remote target: its
/// Contact, or the Request-URI while a provisional response carries none.
Expected<Dialog, ParseError> uac_dialog(const SentRequest& request, const Message& response);
/// §13.2.2.4 / §12.1.2: a 2xx confirms an early dialog: the route set is recomputed from it
/// and its Contact becomes the remote target.
Expected<void, ParseError> confirm(Dialog& dialog, const Message& response_2xx);

/// The Request-URI and Route headers of a request within the dialog (§12.2.1.1): loose
/// routing when the route set is empty or its first entry has `lr`, strict routing (the
/// first route becomes the Request-URI, the remote target goes last) otherwise.
struct RequestTarget {
  std::string request_uri;
  std::vector<std::string> routes;
};
RequestTarget request_target(const Dialog& dialog);

/// A request within the dialog (§12.2.1.1): Request-URI, Via (`via` as given: its branch
/// and transport are the transaction's), Max-Forwards, Route, From, To, Call-ID and CSeq —
/// the next local sequence number, stored back into the dialog. The caller adds Contact,
/// bodies and the rest. Not for ACK and CANCEL, which carry the INVITE's CSeq.
MessageBuilder build_request(Dialog& dialog, Method method, std::string_view via,
                             int max_forwards = 70);
/// The ACK for a 2xx to the INVITE with `invite_cseq` (§13.2.2.4): a request within the
/// dialog with the INVITE's CSeq number and method ACK.
MessageBuilder build_ack(const Dialog& dialog, std::uint32_t invite_cseq, std::string_view via,
                         int max_forwards = 70);

/// What a UAS does with a request received within a dialog (§12.2.2).
enum class Verdict : std::uint8_t {
  kAccept,      ///< in order: process it
  kOutOfOrder,  ///< lower (or, for a new request, equal) CSeq: answer 500
  kUnknown,     ///< no such dialog (or it has ended): answer 481
};
/// The SIP status for a verdict other than kAccept (500 or 481), with its reason.
int status_of(Verdict v);
std::string_view reason_of(Verdict v);
/// Checks `request` against `dialog` (nullptr: not found) and, when accepted, records its
/// CSeq as the remote sequence number and, for a target refresh request (re-INVITE, UPDATE)
/// with a Contact, its URI as the remote target. ACK is checked against the dialog only
/// (its CSeq is the INVITE's); CANCEL never reaches a dialog (it is a transaction matter).
Verdict check_request(Dialog* dialog, const Message& request);
/// §12.2.1.2: a 2xx to a target refresh request we sent replaces the remote target with its
/// Contact, if present.
void on_refresh_response(Dialog& dialog, const Message& response_2xx);

/// Whether `method` refreshes the remote target (RFC 3261 §12.2, RFC 3311).
bool is_target_refresh(Method method);

}  // namespace cohort::sip::dialog
