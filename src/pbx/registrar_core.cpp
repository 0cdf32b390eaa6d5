#include "pbx/registrar_core.hpp"

#include <algorithm>
#include <limits>

#include "common/text.hpp"

namespace cohort::pbx {
namespace {

// RFC 3261 §20.10 / §20.19: "Malformed values SHOULD be treated as equivalent to 3600."
constexpr std::int64_t kMalformedExpires = 3600;
// §20.19: delta-seconds range up to 2**32-1.
constexpr std::int64_t kMaxDelta = 4294967295LL;
// §10.3 step 7: 423 only for intervals below one hour.
constexpr std::int64_t kOneHour = 3600;

Unexpected<RegisterError> error(int status, std::string reason, std::int64_t min_expires = 0) {
  return unexpected(RegisterError{status, std::move(reason), min_expires});
}

std::int64_t parse_delta_seconds(std::string_view text) {
  text = text::trim(text);
  if (!text::all_digits(text)) {
    return kMalformedExpires;
  }
  std::int64_t v = 0;
  for (char c : text) {
    v = v * 10 + (c - '0');
    if (v > kMaxDelta) {
      return kMaxDelta;
    }
  }
  return v;
}

// A contact of the request, validated, with the values the binding will take.
struct NewContact {
  const sip::NameAddr* addr = nullptr;
  std::int64_t expires = 0;
  int q = 1000;
  std::string instance_id;
  std::optional<int> reg_id;
};

std::optional<int> parse_reg_id(std::string_view text) {
  // RFC 5626 §4.2: reg-id = 1*DIGIT, 1 … 2**31.
  if (!text::all_digits(text) || text.size() > 10) {
    return std::nullopt;
  }
  std::int64_t v = 0;
  for (char c : text) {
    v = v * 10 + (c - '0');
  }
  if (v < 1 || v > std::numeric_limits<int>::max()) {
    return std::nullopt;
  }
  return static_cast<int>(v);
}

bool same_uri(std::string_view stored, const sip::Uri& uri) {
  auto parsed = sip::parse_uri(stored);
  return parsed && sip::equivalent(*parsed, uri);
}

// A binding being worked on: where it came from and whether this request changed it.
struct Slot {
  Binding binding;
  std::optional<std::size_t> origin;  // index in `live`; nullopt: added by this request
  bool modified = false;
  bool touched = false;  // matched by an earlier contact of this same request
};

}  // namespace

std::optional<int> parse_q(std::string_view text) {
  // qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )
  if (text.empty() || (text[0] != '0' && text[0] != '1')) {
    return std::nullopt;
  }
  int whole = text[0] - '0';
  std::string_view rest = text.substr(1);
  int frac = 0;
  if (!rest.empty()) {
    if (rest[0] != '.' || rest.size() > 4) {
      return std::nullopt;
    }
    std::string_view digits = rest.substr(1);
    int scale = 100;
    for (char c : digits) {
      if (c < '0' || c > '9') {
        return std::nullopt;
      }
      frac += (c - '0') * scale;
      scale /= 10;
    }
  }
  if (whole == 1 && frac != 0) {
    return std::nullopt;
  }
  return whole * 1000 + frac;
}

std::string format_q(int q) {
  q = std::clamp(q, 0, 1000);
  if (q == 1000) {
    return "1";
  }
  if (q == 0) {
    return "0";
  }
  std::string frac = std::to_string(q);
  frac.insert(0, 3 - frac.size(), '0');
  while (frac.back() == '0') {
    frac.pop_back();
  }
  return "0." + frac;
}

std::string contact_value(const Binding& b, std::int64_t now) {
  std::string out = "<" + b.contact +
                    ">;expires=" + std::to_string(std::max<std::int64_t>(0, b.expires_at - now));
  if (b.q != 1000) {
    out += ";q=" + format_q(b.q);
  }
  if (!b.instance_id.empty()) {
    out += ";+sip.instance=\"" + b.instance_id + "\"";
    if (b.reg_id) {
      out += ";reg-id=" + std::to_string(*b.reg_id);
    }
  }
  return out;
}

ExpireResult expire(const std::vector<Binding>& current, std::int64_t now) {
  ExpireResult r;
  for (const Binding& b : current) {
    (b.expires_at > now ? r.kept : r.expired).push_back(b);
  }
  return r;
}

Expected<RegisterSuccess, RegisterError> apply_register(const std::vector<Binding>& current,
                                                        const RegisterRequest& req,
                                                        const RegistrarLimits& limits,
                                                        std::int64_t now) {
  ExpireResult swept = expire(current, now);
  const std::vector<Binding>& live = swept.kept;

  RegisterSuccess out;
  auto finish = [&](std::vector<Slot> slots) {
    // Removals (the expired, then those this request dropped), updates, additions.
    for (Binding& b : swept.expired) {
      out.changes.push_back({ChangeKind::kRemoved, std::move(b), std::nullopt});
    }
    std::vector<bool> kept(live.size(), false);
    for (const Slot& s : slots) {
      if (s.origin) {
        kept[*s.origin] = true;
      }
    }
    for (std::size_t i = 0; i < live.size(); ++i) {
      if (!kept[i]) {
        out.changes.push_back({ChangeKind::kRemoved, live[i], std::nullopt});
      }
    }
    for (const Slot& s : slots) {
      if (s.origin && s.modified) {
        out.changes.push_back({ChangeKind::kUpdated, s.binding, live[*s.origin]});
      }
    }
    for (const Slot& s : slots) {
      if (!s.origin) {
        out.changes.push_back({ChangeKind::kAdded, s.binding, std::nullopt});
      }
    }
    for (Slot& s : slots) {
      out.contacts.push_back(contact_value(s.binding, now));
      out.bindings.push_back(std::move(s.binding));
    }
    return std::move(out);
  };

  std::vector<Slot> slots;
  slots.reserve(live.size() + req.contacts.contacts.size());
  for (std::size_t i = 0; i < live.size(); ++i) {
    slots.push_back({live[i], i, false, false});
  }

  // §10.3 step 8 / §10.2.3: no Contact is a query.
  if (!req.contacts.star && req.contacts.contacts.empty()) {
    return finish(std::move(slots));
  }

  std::optional<std::int64_t> header_expires;
  if (req.expires) {
    header_expires = parse_delta_seconds(*req.expires);
  }

  // §10.3 step 6: "*" removes every binding, only alone and only with Expires: 0.
  if (req.contacts.star) {
    if (!req.contacts.contacts.empty()) {
      return error(400, "Contact * must be the only Contact");
    }
    if (!header_expires || *header_expires != 0) {
      return error(400, "Contact * requires Expires: 0");
    }
    for (const Binding& b : live) {
      if (b.call_id == req.call_id && req.cseq <= b.cseq) {
        return error(500, "Out of order");
      }
    }
    return finish({});
  }

  // Validate every contact before changing anything (the update is all or nothing).
  std::vector<NewContact> wanted;
  wanted.reserve(req.contacts.contacts.size());
  for (const sip::NameAddr& na : req.contacts.contacts) {
    NewContact nc;
    nc.addr = &na;
    if (na.uri.scheme == sip::Uri::Scheme::kTel) {
      return error(400, "Contact must be a SIP or SIPS URI");
    }
    if (auto e = sip::find_param(na.params, "expires")) {
      nc.expires = parse_delta_seconds(*e);
    } else if (header_expires) {
      nc.expires = *header_expires;
    } else {
      nc.expires = limits.default_expires;
    }
    if (nc.expires > 0 && nc.expires < limits.min_expires && nc.expires < kOneHour) {
      return error(423, "Interval Too Brief", limits.min_expires);
    }
    nc.expires = std::min(nc.expires, limits.max_expires);
    if (auto q = sip::find_param(na.params, "q")) {
      auto parsed = parse_q(text::trim(*q));
      if (!parsed) {
        return error(400, "Bad q value in Contact");
      }
      nc.q = *parsed;
    }
    if (auto inst = sip::find_param(na.params, "+sip.instance"); inst && !inst->empty()) {
      nc.instance_id = std::string(*inst);
      if (auto rid = sip::find_param(na.params, "reg-id")) {
        nc.reg_id = parse_reg_id(*rid);
        if (!nc.reg_id) {
          return error(400, "Bad reg-id in Contact");
        }
      }
    }
    // RFC 5626 §6: a reg-id without +sip.instance is ignored (plain RFC 3261 handling).
    wanted.push_back(std::move(nc));
  }

  // §10.3 step 7, each contact in order.
  std::size_t added = 0;
  for (const NewContact& nc : wanted) {
    auto match = slots.end();
    if (nc.reg_id) {
      match = std::find_if(slots.begin(), slots.end(), [&](const Slot& s) {
        return s.binding.reg_id == nc.reg_id && s.binding.instance_id == nc.instance_id;
      });
    } else {
      match = std::find_if(slots.begin(), slots.end(), [&](const Slot& s) {
        return !s.binding.reg_id && same_uri(s.binding.contact, nc.addr->uri);
      });
    }
    if (match != slots.end() && !match->touched && match->binding.call_id == req.call_id &&
        req.cseq <= match->binding.cseq) {
      return error(500, "Out of order");
    }
    if (nc.expires == 0) {
      if (match != slots.end()) {
        slots.erase(match);
      }
      continue;
    }
    Binding b;
    if (match != slots.end()) {
      b = match->binding;
    }
    b.user = req.user;
    b.aor = std::string(req.aor);
    b.contact = std::string(nc.addr->uri_text);
    b.instance_id = nc.instance_id;
    b.reg_id = nc.reg_id;
    b.q = nc.q;
    b.call_id = std::string(req.call_id);
    b.cseq = req.cseq;
    b.expires_at = now + nc.expires;
    b.source = std::string(req.source);
    b.transport = std::string(req.transport);
    b.local = std::string(req.local);
    b.user_agent = std::string(req.user_agent);
    b.path.assign(req.path.begin(), req.path.end());
    b.updated_at = now;
    if (match != slots.end()) {
      match->binding = std::move(b);
      match->modified = true;
      match->touched = true;
    } else {
      slots.push_back({std::move(b), std::nullopt, true, true});
      ++added;
    }
  }

  // Max contacts per AOR.
  if (slots.size() > limits.max_contacts && added > 0) {
    std::size_t touched = static_cast<std::size_t>(
        std::count_if(slots.begin(), slots.end(), [](const Slot& s) { return s.touched; }));
    if (limits.on_full == RegistrarLimits::OnFull::kReject || touched > limits.max_contacts) {
      return error(403, "Too Many Registrations");
    }
    // Evict the least recently refreshed bindings this request did not touch.
    while (slots.size() > limits.max_contacts) {
      auto victim = slots.end();
      for (auto it = slots.begin(); it != slots.end(); ++it) {
        if (it->touched) {
          continue;
        }
        if (victim == slots.end() || it->binding.updated_at < victim->binding.updated_at ||
            (it->binding.updated_at == victim->binding.updated_at &&
             it->binding.expires_at < victim->binding.expires_at)) {
          victim = it;
        }
      }
      slots.erase(victim);
    }
  }

  return finish(std::move(slots));
}

}  // namespace cohort::pbx
