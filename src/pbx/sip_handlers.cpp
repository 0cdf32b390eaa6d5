// SipServer::Impl's request handlers (the TU of RFC 3261 §8.2): REGISTER, OPTIONS, INVITE,
// CANCEL and the rest, with digest authentication first.
#include "pbx/sip_server_impl.hpp"

namespace cohort::pbx {

void SipServer::Impl::on_unparseable(const net::Inbound& in, const sip::ParseError& err) {
  ++n_parse_errors;
  if (!err.can_respond) {
    ++n_dropped;
    for (std::size_t i = 0; i < kDropReasons.size(); ++i) {
      if (kDropReasons[i] == err.drop_reason) {
        ++n_dropped_by[i];
      }
    }
    spdlog::debug("sip event=dropped peer={}:{} reason={} problem={}", in.source.address,
                  in.source.port, log::Value{err.drop_reason}, log::Value{err.reason});
    return;
  }
  // Routed by the request's top Via as it was read (never by parsing the response again).
  // A Via too malformed to read is answered where the request came from (symmetric, as
  // RFC 3581 §4 would): the one address known to reach the sender.
  auto via = sip::parse_via(err.top_via);
  if (!via) {
    sip::Via symmetric;
    symmetric.host = in.source.address;
    symmetric.port = in.source.port;
    send(net::response_route(in, symmetric, err.response));
    return;
  }
  send(net::response_route(in, *via, err.response));
}

Reply SipServer::Impl::reply(const sip::Message& req, std::string_view top_via, int status,
                             std::string_view reason,
                             const std::function<void(sip::MessageBuilder&)>& extra) {
  sip::MessageBuilder b =
      sip::make_response(req, status, reason.empty() ? sip::default_reason(status) : reason,
                         status > 100 ? new_tag() : std::string(), top_via);
  b.header(HeaderId::kServer, kUserAgent);
  if (extra) {
    extra(b);
  }
  return Reply{status, b.str()};
}

Reply SipServer::Impl::handle(const sip::Message& req, const net::Inbound& in,
                              std::string_view top_via, std::int64_t now_ms, bool is_trusted,
                              const Here& here) {
  // RFC 3261 §8.2.2.3: extensions the request requires and we lack → 420.
  if (req.method() != Method::kCancel && req.method() != Method::kAck) {
    std::string unsupported;
    for (std::string_view option : req.header_values(HeaderId::kRequire)) {
      std::string o = text::ascii_lower(text::trim(option));
      if (o != "path" && o != "timer") {
        unsupported += unsupported.empty() ? "" : ", ";
        unsupported += std::string(text::trim(option));
      }
    }
    if (!unsupported.empty()) {
      return reply(req, top_via, 420, "Bad Extension",
                   [&](sip::MessageBuilder& b) { b.header(HeaderId::kUnsupported, unsupported); });
    }
  }
  // A request inside a dialog goes to the call that owns it (§12.2.2): no new
  // authentication, the dialog identifiers are the proof.
  if (!req.to_tag().empty() && req.method() != Method::kCancel &&
      req.method() != Method::kRegister) {
    if (req.method() == Method::kSubscribe) {  // a refresh or an unsubscribe (mwi.cpp)
      auto [status, bytes] = mwi->resubscribe(here.shard, req, top_via);
      return Reply{status, std::move(bytes), status < 300};
    }
    if (calls->on_in_dialog(here.shard, here.txn, req, *here.reply_route, here.now) ||
        interrupted->on_request(here.shard, here.txn, req, here.now)) {
      return Reply{0, {}, true};
    }
    return reply(req, top_via, 481);
  }
  switch (req.method()) {
    case Method::kRegister:
      return on_register(req, in, top_via, now_ms, is_trusted, here);
    case Method::kOptions:
      return on_options(req, in, top_via, now_ms, is_trusted);
    case Method::kInvite:
      return on_invite(req, in, top_via, now_ms, is_trusted, here);
    case Method::kSubscribe:
      return on_subscribe(req, in, top_via, now_ms, is_trusted, here);
    case Method::kCancel: {
      // §9.2: a CANCEL matching a pending INVITE is answered 200, then the INVITE 487: the
      // cancellation runs once this handler's 200 has left, from the shard's queue.
      std::optional<TxnId> target = shards[here.shard]->table.find_cancel_target(req);
      if (target && calls->owns_invite(here.shard, *target)) {
        on_shard(here.shard, [this, shard = here.shard, txn = *target](TimePoint now) {
          calls->on_cancel(shard, txn, now);
        });
        Reply r = reply(req, top_via, 200);
        r.authenticated = true;
        return r;
      }
      return reply(req, top_via, 481);
    }
    case Method::kBye:
      return reply(req, top_via, 481);  // §15.1.2: BYE outside any dialog
    case Method::kUnknown:
      return reply(req, top_via, 501, {},
                   [](sip::MessageBuilder& b) { b.header(HeaderId::kAllow, kAllow); });
    default:
      return on_to_user(req, in, top_via, now_ms, is_trusted);
  }
}

Reply SipServer::Impl::challenge(const sip::Message& req, std::string_view top_via, bool stale) {
  ++n_challenges;
  // The same status and header set whatever went wrong (unknown user, wrong password,
  // no credentials): nothing tells an attacker which extensions exist.
  return reply(req, top_via, 401, {}, [&](sip::MessageBuilder& b) {
    for (const std::string& value : auth.challenges(stale, now_s())) {
      b.header(HeaderId::kWwwAuthenticate, value);
    }
  });
}

SipServer::Impl::Auth SipServer::Impl::authenticate(const sip::Message& req, const net::Inbound& in,
                                                    std::string_view top_via,
                                                    const model::Snapshot& snap,
                                                    std::int64_t now_ms, bool is_trusted) {
  AuthVerdict v = auth.verify(req, snap, now_s());
  switch (v.outcome) {
    case AuthOutcome::kAuthenticated:
      return Auth{v.user, std::nullopt};
    case AuthOutcome::kStale:
      return Auth{nullptr, challenge(req, top_via, true)};
    case AuthOutcome::kFailed:
      ++n_auth_failures;
      ++n_auth_failures_by[static_cast<std::size_t>(v.failure)];
      // Every failure leaves a trace, not only the ban it may lead to. The reason is for the
      // operator: on the wire an unknown user and a wrong password get the same 401.
      spdlog::warn("sip event=auth_failed method={} source={} username={} reason={}",
                   log::Value{req.method_token()}, in.source.address, log::Value{v.username},
                   log::Value{to_string(v.failure)});
      if (!is_trusted) {  // never banned; the failure is still counted
        guard.record_failure(in.source.address, v.username, now_ms);
      }
      return Auth{nullptr, challenge(req, top_via, false)};
    case AuthOutcome::kChallenge:
      break;
  }
  return Auth{nullptr, challenge(req, top_via, false)};
}

Reply SipServer::Impl::on_options(const sip::Message& req, const net::Inbound& in,
                                  std::string_view top_via, std::int64_t now_ms, bool is_trusted) {
  auto ruri = sip::parse_uri(req.request_uri());
  auto capabilities = [](sip::MessageBuilder& b) {
    b.header(HeaderId::kAllow, kAllow);
    b.header(HeaderId::kAccept, kAccept);
    b.header(HeaderId::kSupported, kSupported);
  };
  if (!ruri || ruri->user.empty()) {
    return reply(req, top_via, 200, {}, capabilities);  // OPTIONS to Cohort itself
  }
  model::SnapshotPtr snap = store.snapshot();
  Auth auth = authenticate(req, in, top_via, *snap, now_ms, is_trusted);
  if (auth.reply) {
    return std::move(*auth.reply);
  }
  auto user = sip::unescape(ruri->user);
  Reply r = (!user || !snap->extension_owner(*user)) ? reply(req, top_via, 404)
                                                     : reply(req, top_via, 200, {}, capabilities);
  r.authenticated = true;
  return r;
}

std::optional<model::TrunkId> SipServer::Impl::trunk_source(const model::Snapshot& snap,
                                                            const std::string& ip) {
  std::lock_guard lock(sources_mu);
  if (sources_version != snap.version()) {
    sources.clear();
    for (model::TrunkId id : snap.trunk_ids()) {
      const model::Trunk* t = snap.trunk(id);
      if (t == nullptr || t->inbound_sources.empty()) {
        continue;
      }
      auto nets = TrustedNetworks::parse(t->inbound_sources);
      if (nets) {
        sources.emplace_back(std::move(*nets), id);
      }
    }
    sources_version = snap.version();
  }
  for (const auto& [nets, id] : sources) {
    if (nets.contains(ip)) {
      return id;
    }
  }
  return std::nullopt;
}

Reply SipServer::Impl::on_invite(const sip::Message& req, const net::Inbound& in,
                                 std::string_view top_via, std::int64_t now_ms, bool is_trusted,
                                 const Here& here) {
  if (calls->absorb_retransmission(here.shard, here.txn, req, here.now)) {
    return Reply{0, {}, true};
  }
  if (draining) {
    // A graceful stop is under way: the caller tries another server, or this one later.
    return reply(req, top_via, 503, "Shutting Down",
                 [](sip::MessageBuilder& b) { b.header("Retry-After", "30"); });
  }
  model::SnapshotPtr snap = store.snapshot();
  NewCall call;
  call.shard = here.shard;
  call.txn = here.txn;
  call.invite = &req;
  call.reply_route = *here.reply_route;
  call.reply_route.bytes.clear();
  call.top_via = std::string(top_via);
  call.snapshot = snap;
  call.from_trunk = trunk_source(*snap, in.source.address);
  bool authenticated = call.from_trunk.has_value();
  if (!call.from_trunk) {
    Auth auth = authenticate(req, in, top_via, *snap, now_ms, is_trusted);
    if (auth.reply) {
      return std::move(*auth.reply);
    }
    call.caller = auth.user;
    authenticated = true;
  }
  // What a leg would be offered is checked before any leg exists: a malformed Contact or
  // offer is a 400 naming it, another body type 415 (RFC 3261 §8.2.3); an offer with nothing
  // usable is refused 488 once the call is routed (CallController::refuse_offer).
  if (auto problem = check_invite(req)) {
    Reply r = reply(req, top_via, problem->status, problem->reason, [&](sip::MessageBuilder& b) {
      if (problem->status == 415) {
        b.header(HeaderId::kAccept, kAccept);
      }
    });
    r.authenticated = authenticated;
    return r;
  }
  // A request that left Cohort and came back (a trunk pointing at ourselves) is a loop.
  for (std::string_view v : req.header_values(HeaderId::kVia)) {
    auto via = sip::parse_via(v);
    if (via && sip::txn::shard_of_branch(via->branch()) &&
        own_address(via->host, via->port.value_or(5060))) {
      Reply r = reply(req, top_via, 482, "Loop Detected");
      r.authenticated = authenticated;
      return r;
    }
  }
  calls->on_invite(call, here.now);
  return Reply{0, {}, true};
}

std::optional<sip::ParseError> SipServer::Impl::check_invite(const sip::Message& req) {
  // RFC 3261 §8.1.1.8: the remote target of the dialog; one that does not parse cannot be.
  if (req.header(HeaderId::kContact)) {
    auto contacts = sip::parse_contacts(req);
    if (!contacts) {
      sip::ParseError e = std::move(contacts.error());
      if (e.status == 416) {  // 416 is about the Request-URI (§21.4.17); this is a Contact
        e.reason = "Bad Contact: unsupported URI scheme";
      }
      e.status = 400;
      return e;
    }
    if (contacts->star || contacts->contacts.size() != 1) {
      return sip::ParseError{sip::ParseError::Kind::kMalformed,
                             400,
                             "Bad Contact: an INVITE has exactly one",
                             false,
                             {},
                             {},
                             {}};
    }
  }
  return sip::sdp::check_offer_body(req);
}

bool SipServer::Impl::own_address(std::string_view host, std::uint16_t port) const {
  for (const net::ListenAddress& l : transports->bound()) {
    if (l.endpoint.port == port && l.endpoint.address == host) {
      return true;
    }
  }
  return !opts.advertised_address.empty() &&
         opts.advertised_address == fmt::format("{}:{}", host, port);
}

Reply SipServer::Impl::on_to_user(const sip::Message& req, const net::Inbound& in,
                                  std::string_view top_via, std::int64_t now_ms, bool is_trusted) {
  model::SnapshotPtr snap = store.snapshot();
  Auth auth = authenticate(req, in, top_via, *snap, now_ms, is_trusted);
  if (auth.reply) {
    return std::move(*auth.reply);
  }
  auto ruri = sip::parse_uri(req.request_uri());
  if (ruri && !ruri->user.empty()) {
    auto user = sip::unescape(ruri->user);
    if (!user || !snap->extension_owner(*user)) {
      return reply(req, top_via, 404);
    }
  }
  return reply(req, top_via, 501, {},
               [](sip::MessageBuilder& b) { b.header(HeaderId::kAllow, kAllow); });
}

Reply SipServer::Impl::on_subscribe(const sip::Message& req, const net::Inbound& in,
                                    std::string_view top_via, std::int64_t now_ms, bool is_trusted,
                                    const Here& here) {
  model::SnapshotPtr snap = store.snapshot();
  Auth auth = authenticate(req, in, top_via, *snap, now_ms, is_trusted);
  if (auth.reply) {
    return std::move(*auth.reply);
  }
  auto [status, bytes] = mwi->subscribe(here.shard, req, top_via, *auth.user, *here.reply_route);
  return Reply{status, std::move(bytes), true};
}

Reply SipServer::Impl::on_register(const sip::Message& req, const net::Inbound& in,
                                   std::string_view top_via, std::int64_t now_ms, bool is_trusted,
                                   const Here& here) {
  model::SnapshotPtr snap = store.snapshot();
  Auth auth = authenticate(req, in, top_via, *snap, now_ms, is_trusted);
  if (auth.reply) {
    return std::move(*auth.reply);
  }
  Reply r = register_user(req, in, top_via, *auth.user, here);
  r.authenticated = true;
  return r;
}

Reply SipServer::Impl::register_user(const sip::Message& req, const net::Inbound& in,
                                     std::string_view top_via, const model::User& user,
                                     const Here& here) {
  // §10.3 steps 2–3: the AOR in To must be the authenticated user's (no third-party
  // registrations yet) and in our domain.
  auto to = sip::parse_name_addr(*req.header(HeaderId::kTo));
  if (!to) {
    return reply(req, top_via, 400, "Bad To header");
  }
  auto to_user = sip::unescape(to->uri.user);
  if (!to_user || *to_user != user.extension) {
    return reply(req, top_via, 403, "Forbidden: To is not the authenticated user");
  }
  if (!opts.domain.empty() && text::ascii_lower(to->uri.host) != text::ascii_lower(opts.domain)) {
    return reply(req, top_via, 404, "Not Found: unknown domain");
  }
  auto contacts = sip::parse_contacts(req);
  if (!contacts) {
    return reply(req, top_via, 400, contacts.error().reason);
  }
  const std::string aor =
      fmt::format("sip:{}@{}", user.extension, opts.domain.empty() ? opts.realm : opts.domain);
  const std::string source = net::to_string(in.source);
  const std::string local = net::to_string(in.local);
  RegisterRequest rr;
  rr.user = user.id;
  rr.aor = aor;
  rr.contacts = std::move(*contacts);
  rr.expires = req.header(HeaderId::kExpires);
  rr.call_id = req.call_id();
  rr.cseq = req.cseq();
  rr.source = source;
  rr.transport = net::to_string(in.protocol);
  rr.local = local;
  rr.user_agent = req.header(HeaderId::kUserAgent).value_or("");
  std::vector<std::string_view> path_values = req.header_values(HeaderId::kPath);
  rr.path.assign(path_values.begin(), path_values.end());

  auto ok = [&](const RegisterSuccess& result) {
    return reply(req, top_via, 200, {}, [&](sip::MessageBuilder& b) {
      for (const std::string& c : result.contacts) {
        b.header(HeaderId::kContact, c);
      }
      // RFC 3327 §5.3: the registrar echoes the Path it stored.
      for (std::string_view p : rr.path) {
        b.header(HeaderId::kPath, p);
      }
      b.header(HeaderId::kSupported, kSupported);
    });
  };
  // §10.3 step 7: the 200 OK leaves once the changes are committed; a store failure gets a
  // 500 (the phone retries) instead of an acknowledgement that a restart would forget.
  bool queued = false;
  auto acknowledge = [&](const RegisterSuccess& result) -> Registrar::Done {
    queued = true;
    Reply done = ok(result);
    Reply failed = reply(req, top_via, 500, "Server Internal Error: bindings not stored",
                         [](sip::MessageBuilder& b) { b.header("Retry-After", "5"); });
    return [this, index = here.shard, txn = here.txn, done = std::move(done),
            failed = std::move(failed)](bool durable) mutable {
      Reply& r = durable ? done : failed;
      on_shard(index,
               [this, index, txn, status = r.status, bytes = std::move(r.bytes)](
                   TimePoint now) mutable { respond(index, txn, status, std::move(bytes), now); });
    };
  };
  auto result = registrar.apply(rr, now_s(), acknowledge);
  if (!result) {
    const RegisterError& e = result.error();
    return reply(req, top_via, e.status, e.reason, [&](sip::MessageBuilder& b) {
      if (e.status == 423) {
        b.header(HeaderId::kMinExpires, std::to_string(e.min_expires));
      }
    });
  }
  ++n_registrations;
  if (queued) {
    return Reply{0, {}, true};  // answered by the acknowledgement
  }
  return ok(*result);
}

}  // namespace cohort::pbx
