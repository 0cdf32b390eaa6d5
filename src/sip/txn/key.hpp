#pragma once
// Transaction keys: the strings a TransactionTable indexes transactions by. Two messages
// belong to the same transaction exactly when their keys are equal.

#include <string>
#include <string_view>

#include "sip/message.hpp"

namespace cohort::sip::txn {

/// Whether `branch` starts with the RFC 3261 magic cookie (§8.1.1.7); without it a request
/// comes from an RFC 2543 element and is matched the old way (§17.2.3).
bool is_rfc3261_branch(std::string_view branch);

/// RFC 3261 §17.2.3 server key of a request. With the magic cookie: top Via branch +
/// sent-by + method, where ACK counts as INVITE so that it finds the INVITE's transaction.
/// Without: rfc2543_key() with the request's own To tag. The method of the key is
/// `as_method` when given (§9.2: a CANCEL looks for its INVITE with "INVITE").
std::string server_key(const sip::Message& request, std::string_view as_method = {});

/// RFC 2543 fallback key (§17.2.3): Request-URI, `to_tag`, From tag, Call-ID, CSeq number,
/// `method` and top Via. The table looks up the ACK of an initial INVITE with an empty
/// `to_tag` (the INVITE had none) and checks the ACK's tag against the response's itself.
std::string rfc2543_key(const sip::Message& request, std::string_view to_tag,
                        std::string_view method);

/// RFC 3261 §17.1.3 client key: top Via branch + CSeq method (so a CANCEL, which shares its
/// INVITE's branch, has its own transaction). Works for the request and its responses.
std::string client_key(const sip::Message& message);

/// RFC 3261 §8.2.2.2 merge key of a request without To tag: From tag + Call-ID + CSeq.
/// Empty for a request with a To tag or an ACK (those are never merge-checked).
std::string merge_key(const sip::Message& request);

/// The method text of a request ("INVITE"), or of a response's CSeq.
std::string_view method_text(const sip::Message& message);

}  // namespace cohort::sip::txn
