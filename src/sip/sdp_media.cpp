// Offer/answer for legs Cohort terminates (sdp_media.hpp): pick one audio stream and one
// codec from an offer, answer it with Cohort's address; build Cohort's own offer.
#include "sip/sdp_media.hpp"

#include <algorithm>
#include <charconv>
#include <string>

namespace cohort::sip::sdp {
namespace {

ParseError not_acceptable(std::string reason) {
  return ParseError{ParseError::Kind::kMalformed, 488, std::move(reason), false, {}, {}, {}};
}

template <class Int>
std::optional<Int> to_int(std::string_view s) {
  Int v{};
  const char* end = s.data() + s.size();
  auto [p, ec] = std::from_chars(s.data(), end, v);
  if (ec != std::errc{} || p != end || s.empty()) {
    return std::nullopt;
  }
  return v;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
           return lower(x) == lower(y);
         });
}

/// The value of attribute `name` ("name:value"), or of a flag ("name" → ""), else nullopt.
std::optional<std::string_view> attribute(const std::vector<std::string_view>& attributes,
                                          std::string_view name) {
  for (std::string_view a : attributes) {
    if (a.size() == name.size() && a == name) {
      return std::string_view{};
    }
    if (a.size() > name.size() && a.substr(0, name.size()) == name && a[name.size()] == ':') {
      return a.substr(name.size() + 1);
    }
  }
  return std::nullopt;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

/// The next space-separated field of `s` (consumed).
std::string_view next_field(std::string_view& s) {
  s = trim(s);
  const auto sp = s.find(' ');
  std::string_view f = s.substr(0, sp);
  s = sp == std::string_view::npos ? std::string_view{} : s.substr(sp + 1);
  return f;
}

struct Format {
  std::string_view name;
  std::uint32_t clock_rate = 0;
  std::uint8_t channels = 1;
};

/// RFC 3551 Table 4: the static audio payload types a phone may list without an rtpmap.
std::optional<Format> static_format(std::uint8_t pt) {
  switch (pt) {
    case 0:
      return Format{"PCMU", 8000, 1};
    case 3:
      return Format{"GSM", 8000, 1};
    case 4:
      return Format{"G723", 8000, 1};
    case 8:
      return Format{"PCMA", 8000, 1};
    case 9:
      return Format{"G722", 8000, 1};
    case 13:
      return Format{"CN", 8000, 1};
    case 18:
      return Format{"G729", 8000, 1};
    default:
      return std::nullopt;
  }
}

/// The encoding of payload type `pt` in media `m`: its a=rtpmap (RFC 4566 §6), else the
/// static table.
std::optional<Format> format_of(const Media& m, std::uint8_t pt) {
  for (std::string_view a : m.attributes) {
    if (a.rfind("rtpmap:", 0) != 0) {
      continue;
    }
    std::string_view rest = a.substr(7);
    if (to_int<unsigned>(next_field(rest)) != pt) {
      continue;
    }
    std::string_view enc = trim(rest);  // name/clock[/channels]
    const auto s1 = enc.find('/');
    if (s1 == std::string_view::npos) {
      return std::nullopt;
    }
    Format f;
    f.name = enc.substr(0, s1);
    std::string_view after = enc.substr(s1 + 1);
    const auto s2 = after.find('/');
    auto clock = to_int<std::uint32_t>(after.substr(0, s2));
    if (!clock) {
      return std::nullopt;
    }
    f.clock_rate = *clock;
    if (s2 != std::string_view::npos) {
      auto ch = to_int<unsigned>(after.substr(s2 + 1));
      if (!ch || *ch == 0 || *ch > 255) {
        return std::nullopt;
      }
      f.channels = static_cast<std::uint8_t>(*ch);
    }
    return f;
  }
  return static_format(pt);
}

const LocalCodec* find_local(const LocalMedia& local, const Format& f) {
  for (const LocalCodec& c : local.codecs) {
    if (!iequals(c.name, f.name) || c.clock_rate != f.clock_rate) {
      continue;
    }
    // RFC 7587 §7: Opus is always "opus/48000/2"; tolerate offers that write /1 or nothing.
    if (c.channels == f.channels || iequals(c.name, "opus")) {
      return &c;
    }
  }
  return nullptr;
}

Direction direction_in(const std::vector<std::string_view>& attributes,
                       std::optional<Direction> fallback) {
  for (std::string_view a : attributes) {
    if (a == "sendrecv") {
      return Direction::kSendRecv;
    }
    if (a == "sendonly") {
      return Direction::kSendOnly;
    }
    if (a == "recvonly") {
      return Direction::kRecvOnly;
    }
    if (a == "inactive") {
      return Direction::kInactive;
    }
  }
  return fallback.value_or(Direction::kSendRecv);
}

/// RFC 3264 §6.1: the answer's direction from the offer's.
Direction mirror(Direction offered) {
  switch (offered) {
    case Direction::kSendOnly:
      return Direction::kRecvOnly;
    case Direction::kRecvOnly:
      return Direction::kSendOnly;
    case Direction::kInactive:
      return Direction::kInactive;
    case Direction::kSendRecv:
      break;
  }
  return Direction::kSendRecv;
}

/// The address of a c= line without the multicast "/ttl[/count]" suffix.
std::string_view bare_address(const Connection& c) {
  return c.address.substr(0, c.address.find('/'));
}

bool is_unspecified(std::string_view address) {
  return address == "0.0.0.0" || address == "::";
}

std::string_view addrtype_of(std::string_view address) {
  return address.find(':') == std::string_view::npos ? "IP4" : "IP6";
}

void line(std::string& out, std::string_view a, std::string_view b = {}, std::string_view c = {}) {
  out += a;
  out += b;
  out += c;
  out += "\r\n";
}

void session_head(std::string& out, const LocalMedia& local) {
  const std::string_view addrtype = addrtype_of(local.address);
  line(out, "v=0");
  std::string o = "o=cohort " + std::to_string(local.session_id) + ' ' +
                  std::to_string(local.session_version) + " IN ";
  line(out, o, addrtype, " " + local.address);
  line(out, "s=-");
  line(out, "c=IN ", addrtype, " " + local.address);
  line(out, "t=0 0");
}

std::string rtpmap_value(std::uint8_t pt, std::string_view name, std::uint32_t clock,
                         std::uint8_t channels) {
  std::string v = std::to_string(pt) + ' ';
  v += name;
  v += '/' + std::to_string(clock);
  if (channels != 1) {
    v += '/' + std::to_string(channels);
  }
  return v;
}

/// §6: a rejected stream keeps its media, proto and formats, with port 0.
void rejected(std::string& out, const Media& m) {
  out += "m=";
  out += m.media;
  out += " 0 ";
  out += m.proto;
  for (std::string_view f : m.formats) {
    out += ' ';
    out += f;
  }
  out += "\r\n";
}

bool usable_audio(const Media& m) {
  return m.media == "audio" && m.port != 0 && (m.proto == "RTP/AVP" || m.proto == "RTP/AVPF");
}

/// Where the sender of `session` takes its m= line `index` (relayed_stream, answers).
StreamAddress stream_address(const Session& session, std::size_t index) {
  const Media& m = session.media[index];
  StreamAddress r;
  r.media_index = index;
  const Connection* conn = !m.connections.empty()         ? &m.connections.front()
                           : !session.connections.empty() ? &session.connections.front()
                                                          : nullptr;
  if (conn != nullptr) {
    r.address = std::string(bare_address(*conn));
  }
  r.rtp_port = m.port;
  r.rtcp_address = r.address;
  r.rtcp_port = m.port == 0 ? 0 : static_cast<std::uint16_t>(m.port + 1);
  // RFC 3605: a=rtcp:<port> [IN IP4 <address>].
  if (auto rtcp = attribute(m.attributes, "rtcp"); rtcp && m.port != 0) {
    std::string_view rest = *rtcp;
    if (auto port = to_int<std::uint16_t>(next_field(rest)); port && *port != 0) {
      r.rtcp_port = *port;
      next_field(rest);  // nettype
      next_field(rest);  // addrtype
      std::string_view addr = next_field(rest);
      if (!addr.empty()) {
        r.rtcp_address = std::string(addr);
      }
    }
  }
  r.direction = direction_in(m.attributes, direction_in(session.attributes, std::nullopt));
  return r;
}

struct Choice {
  std::size_t index = 0;
  std::uint8_t pt = 0;
  const LocalCodec* codec = nullptr;
  std::optional<std::uint8_t> te_pt;
};

std::optional<Choice> choose(const Session& offer, const LocalMedia& local) {
  for (std::size_t i = 0; i < offer.media.size(); ++i) {
    const Media& m = offer.media[i];
    if (!usable_audio(m)) {
      continue;
    }
    Choice c;
    c.index = i;
    for (std::string_view f : m.formats) {
      auto pt = to_int<std::uint8_t>(f);
      if (!pt) {
        continue;
      }
      auto fmt = format_of(m, *pt);
      if (!fmt) {
        continue;
      }
      if (c.codec == nullptr) {
        if (const LocalCodec* lc = find_local(local, *fmt)) {
          c.codec = lc;
          c.pt = *pt;
        }
      }
    }
    if (c.codec == nullptr) {
      continue;
    }
    // RFC 4733 §7.1.1: telephone-event at the clock rate of the audio codec it goes with.
    if (local.telephone_event) {
      for (std::string_view f : m.formats) {
        auto pt = to_int<std::uint8_t>(f);
        auto fmt = pt ? format_of(m, *pt) : std::nullopt;
        if (fmt && iequals(fmt->name, "telephone-event") &&
            fmt->clock_rate == c.codec->clock_rate) {
          c.te_pt = *pt;
          break;
        }
      }
    }
    return c;
  }
  return std::nullopt;
}

}  // namespace

std::string_view to_string(Direction d) {
  switch (d) {
    case Direction::kSendOnly:
      return "sendonly";
    case Direction::kRecvOnly:
      return "recvonly";
    case Direction::kInactive:
      return "inactive";
    case Direction::kSendRecv:
      break;
  }
  return "sendrecv";
}

Expected<NegotiatedMedia, ParseError> answer_terminated(const Session& offer,
                                                        const LocalMedia& local) {
  const auto choice = choose(offer, local);
  if (!choice) {
    const bool any_audio = std::any_of(offer.media.begin(), offer.media.end(), usable_audio);
    return unexpected(not_acceptable(any_audio ? "No common codec" : "No audio stream"));
  }
  const Media& m = offer.media[choice->index];
  const LocalCodec& codec = *choice->codec;

  NegotiatedMedia r;
  r.media_index = choice->index;
  r.codec_name = codec.name;
  r.clock_rate = codec.clock_rate;
  r.channels = codec.channels;
  r.payload_type = choice->pt;
  r.telephone_event_pt = choice->te_pt;
  const StreamAddress where = stream_address(offer, choice->index);
  r.remote_address = where.address;
  r.remote_rtp_port = where.rtp_port;
  r.remote_rtcp_address = where.rtcp_address;
  r.remote_rtcp_port = where.rtcp_port;
  if (auto p = attribute(m.attributes, "ptime")) {
    r.remote_ptime_ms = to_int<std::uint32_t>(trim(*p));
  }
  if (auto p = attribute(m.attributes, "maxptime")) {
    r.remote_maxptime_ms = to_int<std::uint32_t>(trim(*p));
  }

  Direction offered = where.direction;
  // RFC 3264 §8.4 (RFC 2543 style hold): c=0.0.0.0 means "do not send to me".
  if (is_unspecified(r.remote_address)) {
    if (offered == Direction::kSendRecv) {
      offered = Direction::kSendOnly;
    } else if (offered == Direction::kRecvOnly) {
      offered = Direction::kInactive;
    }
  }
  r.direction = mirror(offered);

  std::string& out = r.body;
  session_head(out, local);
  for (std::size_t i = 0; i < offer.media.size(); ++i) {
    if (i != choice->index) {
      rejected(out, offer.media[i]);
      continue;
    }
    std::string mline = "m=audio " + std::to_string(local.rtp_port) + ' ';
    mline += m.proto;
    mline += ' ' + std::to_string(choice->pt);
    if (choice->te_pt) {
      mline += ' ' + std::to_string(*choice->te_pt);
    }
    line(out, mline);
    line(out, "a=rtpmap:", rtpmap_value(choice->pt, codec.name, codec.clock_rate, codec.channels));
    if (!codec.fmtp.empty()) {
      line(out, "a=fmtp:" + std::to_string(choice->pt) + ' ', codec.fmtp);
    }
    if (choice->te_pt) {
      line(out, "a=rtpmap:", rtpmap_value(*choice->te_pt, "telephone-event", codec.clock_rate, 1));
      // The events Cohort understands: the 16 DTMF events (RFC 4733 §3.2).
      line(out, "a=fmtp:" + std::to_string(*choice->te_pt), " 0-15");
    }
    line(out, "a=ptime:", std::to_string(local.ptime_ms));
    // We send local.ptime_ms; echo the offerer's maxptime only when we honour it.
    if (r.remote_maxptime_ms && *r.remote_maxptime_ms >= local.ptime_ms) {
      line(out, "a=maxptime:", std::to_string(*r.remote_maxptime_ms));
    }
    line(out, "a=", to_string(r.direction));
  }
  return r;
}

std::string offer_terminated(const LocalMedia& local, Direction direction) {
  // telephone-event once per clock rate among our codecs, on free dynamic numbers.
  std::vector<std::uint8_t> used;
  for (const LocalCodec& c : local.codecs) {
    used.push_back(c.payload_type);
  }
  std::vector<std::pair<std::uint32_t, std::uint8_t>> events;  // clock, pt
  if (local.telephone_event) {
    std::uint8_t next = local.telephone_event_pt;
    for (const LocalCodec& c : local.codecs) {
      const bool seen = std::any_of(events.begin(), events.end(),
                                    [&](const auto& e) { return e.first == c.clock_rate; });
      if (seen) {
        continue;
      }
      while (std::find(used.begin(), used.end(), next) != used.end()) {
        next = next >= 127 ? 96 : static_cast<std::uint8_t>(next + 1);
      }
      events.emplace_back(c.clock_rate, next);
      used.push_back(next);
    }
  }

  std::string out;
  session_head(out, local);
  std::string mline = "m=audio " + std::to_string(local.rtp_port) + " RTP/AVP";
  for (const LocalCodec& c : local.codecs) {
    mline += ' ' + std::to_string(c.payload_type);
  }
  for (const auto& e : events) {
    mline += ' ' + std::to_string(e.second);
  }
  line(out, mline);
  for (const LocalCodec& c : local.codecs) {
    line(out, "a=rtpmap:", rtpmap_value(c.payload_type, c.name, c.clock_rate, c.channels));
    if (!c.fmtp.empty()) {
      line(out, "a=fmtp:" + std::to_string(c.payload_type) + ' ', c.fmtp);
    }
  }
  for (const auto& e : events) {
    line(out, "a=rtpmap:", rtpmap_value(e.second, "telephone-event", e.first, 1));
    line(out, "a=fmtp:" + std::to_string(e.second), " 0-15");
  }
  line(out, "a=ptime:", std::to_string(local.ptime_ms));
  line(out, "a=", to_string(direction));
  return out;
}

Expected<StreamAddress, ParseError> relayed_stream(const Session& session,
                                                   std::optional<std::size_t> index) {
  if (index) {
    if (*index >= session.media.size() || session.media[*index].media != "audio") {
      return unexpected(not_acceptable("No audio stream"));
    }
    return stream_address(session, *index);
  }
  for (std::size_t i = 0; i < session.media.size(); ++i) {
    if (usable_audio(session.media[i])) {
      return stream_address(session, i);
    }
  }
  return unexpected(not_acceptable("No audio stream"));
}

namespace {

/// The attributes a relayed description leaves out: they name the sender's own SSRC and
/// CNAME (often sip:EXT@lan-address), its RTCP port, or let the peers reach each other
/// around the relay (ICE, BUNDLE, DTLS).
bool relay_drops(std::string_view attribute) {
  const std::string_view name = attribute.substr(0, attribute.find(':'));
  for (std::string_view dropped :
       {"ssrc", "ssrc-group", "msid", "msid-semantic", "rtcp", "rtcp-mux", "candidate",
        "end-of-candidates", "remote-candidates", "ice-ufrag", "ice-pwd", "ice-options", "ice-lite",
        "group", "mid", "fingerprint", "setup"}) {
    if (name == dropped) {
      return true;
    }
  }
  return false;
}

void relayed_attributes(std::string& out, const std::vector<std::string_view>& attributes) {
  for (std::string_view a : attributes) {
    if (!relay_drops(a)) {
      line(out, "a=", a);
    }
  }
}

}  // namespace

std::string relay_description(const Session& session, const StreamAddress& stream,
                              const RelayRewrite& rewrite) {
  const std::string_view addrtype = addrtype_of(rewrite.address);
  std::string out;
  line(out, "v=0");
  line(out,
       "o=cohort " + std::to_string(rewrite.session_id) + ' ' +
           std::to_string(rewrite.session_version) + " IN ",
       addrtype, " " + rewrite.address);
  line(out, "s=-");
  line(out, "c=IN ", addrtype, " " + rewrite.address);
  line(out, "t=0 0");
  relayed_attributes(out, session.attributes);
  for (std::size_t i = 0; i < session.media.size(); ++i) {
    const Media& m = session.media[i];
    if (i != stream.media_index || stream.rtp_port == 0) {
      rejected(out, m);
      continue;
    }
    std::string mline = "m=";
    mline += m.media;
    mline += ' ' + std::to_string(rewrite.rtp_port) + ' ';
    mline += m.proto;
    for (std::string_view f : m.formats) {
      mline += ' ';
      mline += f;
    }
    line(out, mline);
    if (is_unspecified(stream.address)) {
      // RFC 2543 hold: "do not send to me" goes on to the other side as it was written.
      line(out, "c=IN ", addrtype_of(stream.address), " " + stream.address);
    }
    relayed_attributes(out, m.attributes);
  }
  return out;
}

}  // namespace cohort::sip::sdp
