#include "sip/digest.hpp"

#include <algorithm>
#include <array>
#include <cassert>
#include <cstdio>
#include <stdexcept>

#include "common/crypto.hpp"
#include "common/text.hpp"

namespace cohort::sip::digest {
namespace {

using Hmac = crypto::Sha256Mac;

Hmac hmac_sha256(std::string_view key, std::string_view data) {
  return crypto::hmac_sha256(key, data);
}

std::string to_hex(const unsigned char* data, std::size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(n * 2, '0');
  for (std::size_t i = 0; i < n; ++i) {
    out[2 * i] = kDigits[data[i] >> 4];
    out[2 * i + 1] = kDigits[data[i] & 0x0f];
  }
  return out;
}

// ---- base64url without padding (RFC 4648 §5) ----

constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string b64url_encode(const unsigned char* data, std::size_t n) {
  std::string out;
  out.reserve((n * 4 + 2) / 3);
  std::size_t i = 0;
  for (; i + 3 <= n; i += 3) {
    std::uint32_t v = (std::uint32_t{data[i]} << 16) | (std::uint32_t{data[i + 1]} << 8) |
                      std::uint32_t{data[i + 2]};
    out.push_back(kB64[(v >> 18) & 63]);
    out.push_back(kB64[(v >> 12) & 63]);
    out.push_back(kB64[(v >> 6) & 63]);
    out.push_back(kB64[v & 63]);
  }
  if (n - i == 1) {
    std::uint32_t v = std::uint32_t{data[i]} << 16;
    out.push_back(kB64[(v >> 18) & 63]);
    out.push_back(kB64[(v >> 12) & 63]);
  } else if (n - i == 2) {
    std::uint32_t v = (std::uint32_t{data[i]} << 16) | (std::uint32_t{data[i + 1]} << 8);
    out.push_back(kB64[(v >> 18) & 63]);
    out.push_back(kB64[(v >> 12) & 63]);
    out.push_back(kB64[(v >> 6) & 63]);
  }
  return out;
}

int b64url_value(char c) {
  if (c >= 'A' && c <= 'Z') {
    return c - 'A';
  }
  if (c >= 'a' && c <= 'z') {
    return c - 'a' + 26;
  }
  if (c >= '0' && c <= '9') {
    return c - '0' + 52;
  }
  if (c == '-') {
    return 62;
  }
  if (c == '_') {
    return 63;
  }
  return -1;
}

// Decodes exactly N bytes from their unpadded base64url form; nullopt on anything else
// (including non-zero trailing bits, so that each nonce has exactly one spelling).
template <std::size_t N>
std::optional<std::array<unsigned char, N>> b64url_decode(std::string_view s) {
  if (s.size() != (N * 4 + 2) / 3) {
    return std::nullopt;
  }
  std::array<unsigned char, N> out{};
  std::uint32_t acc = 0;
  int bits = 0;
  std::size_t o = 0;
  for (char c : s) {
    int v = b64url_value(c);
    if (v < 0) {
      return std::nullopt;
    }
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = static_cast<unsigned char>((acc >> bits) & 0xff);
    }
  }
  if ((acc & ((1u << bits) - 1)) != 0) {
    return std::nullopt;
  }
  return out;
}

// ---- nonce layout ----

constexpr std::size_t kTsBytes = 8;
constexpr std::size_t kRandomBytes = 8;
constexpr std::size_t kMacBytes = 16;  // HMAC-SHA256 truncated: 128 bits is plenty here
constexpr std::size_t kNonceBytes = kTsBytes + kRandomBytes + kMacBytes;
// Domain separation from fake_ha1's HMAC input (the NUL is part of the label).
constexpr std::string_view kNonceLabel{"cohort-digest-nonce-v1", sizeof("cohort-digest-nonce-v1")};

Hmac nonce_mac(std::string_view secret, std::string_view realm, const unsigned char* ts_random) {
  std::string data;
  data.reserve(kNonceLabel.size() + kTsBytes + kRandomBytes + realm.size());
  data.append(kNonceLabel);
  data.append(reinterpret_cast<const char*>(ts_random), kTsBytes + kRandomBytes);
  data.append(realm);
  return hmac_sha256(secret, data);
}

// ---- credentials syntax (RFC 3261 §25.1) ----

bool is_lws(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

bool is_token_char(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
    return true;
  }
  switch (c) {
    case '-':
    case '.':
    case '!':
    case '%':
    case '*':
    case '_':
    case '+':
    case '`':
    case '\'':
    case '~':
      return true;
    default:
      return false;
  }
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i];
    char y = b[i];
    if (x >= 'A' && x <= 'Z') {
      x = static_cast<char>(x - 'A' + 'a');
    }
    if (y >= 'A' && y <= 'Z') {
      y = static_cast<char>(y - 'A' + 'a');
    }
    if (x != y) {
      return false;
    }
  }
  return true;
}

Unexpected<ParseError> malformed(std::string reason) {
  ParseError e;
  e.kind = ParseError::Kind::kMalformed;
  e.status = 400;
  e.reason = std::move(reason);
  e.can_respond = true;  // a bad Authorization header does not stop us answering
  return unexpected(std::move(e));
}

class Cursor {
 public:
  explicit Cursor(std::string_view s) : s_(s) {}
  bool done() const { return i_ >= s_.size(); }
  char peek() const { return s_[i_]; }
  void advance() { ++i_; }
  std::size_t skip_lws() {
    std::size_t start = i_;
    while (!done() && is_lws(s_[i_])) {
      ++i_;
    }
    return i_ - start;
  }
  std::string_view token() {
    std::size_t start = i_;
    while (!done() && is_token_char(s_[i_])) {
      ++i_;
    }
    return s_.substr(start, i_ - start);
  }
  // After the opening quote: the unescaped contents up to the closing quote.
  std::optional<std::string> quoted_rest() {
    // Fast path: no quoted-pair before the closing quote, one copy of the whole value.
    const std::size_t end = s_.find_first_of("\"\\", i_);
    if (end != std::string_view::npos && s_[end] == '"') {
      std::string out(s_.substr(i_, end - i_));
      i_ = end + 1;
      return out;
    }
    std::string out;
    while (!done()) {
      char c = s_[i_++];
      if (c == '"') {
        return out;
      }
      if (c == '\\') {
        if (done() || s_[i_] == '\r' || s_[i_] == '\n') {
          return std::nullopt;
        }
        out.push_back(s_[i_++]);
        continue;
      }
      out.push_back(c);
    }
    return std::nullopt;  // unterminated
  }
  // A value that should be a token but may be sent bare by lenient clients (an unquoted
  // uri has ':' and '@'): everything up to LWS or a comma.
  std::string_view bare_value() {
    std::size_t start = i_;
    while (!done() && !is_lws(s_[i_]) && s_[i_] != ',' && s_[i_] != '"') {
      ++i_;
    }
    return s_.substr(start, i_ - start);
  }

 private:
  std::string_view s_;
  std::size_t i_ = 0;
};

int hex_value(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

// RFC 8187 ext-value (used by RFC 7616 §3.4.4 username*): charset "'" [language] "'"
// pct-encoded value. Only UTF-8 is accepted, as RFC 7616 requires.
std::optional<std::string> decode_ext_value(std::string_view v) {
  auto q1 = v.find('\'');
  if (q1 == std::string_view::npos) {
    return std::nullopt;
  }
  auto q2 = v.find('\'', q1 + 1);
  if (q2 == std::string_view::npos || !iequals(v.substr(0, q1), "UTF-8")) {
    return std::nullopt;
  }
  std::string out;
  for (std::size_t i = q2 + 1; i < v.size(); ++i) {
    if (v[i] == '%') {
      if (i + 2 >= v.size()) {
        return std::nullopt;
      }
      int hi = hex_value(v[i + 1]);
      int lo = hex_value(v[i + 2]);
      if (hi < 0 || lo < 0) {
        return std::nullopt;
      }
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else {
      out.push_back(v[i]);
    }
  }
  return out;
}

}  // namespace

std::string_view to_string(Algorithm a) {
  switch (a) {
    case Algorithm::kMd5:
      return "MD5";
    case Algorithm::kSha256:
      return "SHA-256";
  }
  return "MD5";
}

std::optional<Algorithm> parse_algorithm(std::string_view name) {
  if (iequals(name, "MD5")) {
    return Algorithm::kMd5;
  }
  if (iequals(name, "SHA-256")) {
    return Algorithm::kSha256;
  }
  return std::nullopt;
}

std::string_view to_string(Outcome o) {
  switch (o) {
    case Outcome::kOk:
      return "ok";
    case Outcome::kStale:
      return "stale";
    case Outcome::kBadCredentials:
      return "bad_credentials";
    case Outcome::kMalformed:
      return "malformed";
    case Outcome::kReplay:
      return "replay";
    case Outcome::kUnknownAlgorithm:
      return "unknown_algorithm";
  }
  return "malformed";
}

Expected<Credentials, ParseError> parse_credentials(std::string_view value) {
  Cursor cur(value);
  cur.skip_lws();
  std::string_view scheme = cur.token();
  if (!iequals(scheme, "Digest")) {
    return malformed("not Digest credentials");
  }
  if (cur.skip_lws() == 0) {
    return malformed("no Digest parameters");
  }

  Credentials c;
  // The names seen so far, lower-cased; credentials carry about ten parameters, so a linear
  // scan of a reserved list beats any set.
  std::vector<std::string> seen;
  seen.reserve(12);
  bool have_username = false;
  bool have_username_ext = false;
  bool any = false;
  while (true) {
    // RFC 7230 §7: empty list elements ("a, , b") are tolerated.
    cur.skip_lws();
    while (!cur.done() && cur.peek() == ',') {
      cur.advance();
      cur.skip_lws();
    }
    if (cur.done()) {
      break;
    }
    std::string_view raw_name = cur.token();
    if (raw_name.empty()) {
      return malformed("bad Digest parameter name");
    }
    std::string name = text::ascii_lower(raw_name);
    cur.skip_lws();
    if (cur.done() || cur.peek() != '=') {
      return malformed("Digest parameter " + name + " has no value");
    }
    cur.advance();
    cur.skip_lws();
    std::string val;
    bool quoted = false;
    if (!cur.done() && cur.peek() == '"') {
      cur.advance();
      auto q = cur.quoted_rest();
      if (!q) {
        return malformed("unterminated quoted string in Digest parameter " + name);
      }
      val = std::move(*q);
      quoted = true;
    } else {
      std::string_view bare = cur.bare_value();
      if (bare.empty()) {
        return malformed("Digest parameter " + name + " has an empty value");
      }
      val = std::string(bare);
    }
    cur.skip_lws();
    if (!cur.done() && cur.peek() != ',') {
      return malformed("junk after Digest parameter " + name);
    }
    for (const auto& s : seen) {
      if (s == name) {
        return malformed("duplicate Digest parameter " + name);
      }
    }
    seen.push_back(name);
    any = true;

    if (name == "username") {
      c.username = std::move(val);
      have_username = true;
    } else if (name == "username*") {
      // RFC 7616 §3.4.4: an ext-value, never quoted.
      auto decoded = quoted ? std::nullopt : decode_ext_value(val);
      if (!decoded) {
        return malformed("bad username* value");
      }
      c.username = std::move(*decoded);
      have_username_ext = true;
    } else if (name == "realm") {
      c.realm = std::move(val);
    } else if (name == "nonce") {
      c.nonce = std::move(val);
    } else if (name == "uri") {
      c.uri = std::move(val);
    } else if (name == "response") {
      c.response = std::move(val);
    } else if (name == "algorithm") {
      c.algorithm = std::move(val);
    } else if (name == "cnonce") {
      c.cnonce = std::move(val);
    } else if (name == "opaque") {
      c.opaque = std::move(val);
    } else if (name == "qop") {
      c.qop = std::move(val);
    } else if (name == "nc") {
      c.nc = std::move(val);
    } else if (name == "userhash") {
      if (iequals(val, "true")) {
        c.userhash = true;
      } else if (!iequals(val, "false")) {
        return malformed("bad userhash value");
      }
    } else {
      c.extra.emplace_back(std::move(name), std::move(val));
    }
  }
  if (!any) {
    return malformed("no Digest parameters");
  }
  if (have_username && have_username_ext) {
    return malformed("both username and username*");  // RFC 7616 §3.4.4
  }
  return c;
}

Expected<std::optional<Credentials>, ParseError> find_credentials(std::span<const Header> headers,
                                                                  HeaderId id,
                                                                  std::string_view realm) {
  std::optional<ParseError> first_error;
  for (const Header& h : headers) {
    if (h.id != id) {
      continue;
    }
    auto c = parse_credentials(h.value);
    if (!c) {
      // Another scheme (e.g. Bearer) is not ours; a broken Digest header may be.
      Cursor cur(h.value);
      cur.skip_lws();
      if (iequals(cur.token(), "Digest") && !first_error) {
        first_error = c.error();
      }
      continue;
    }
    if (c->realm == realm) {
      return std::optional<Credentials>(std::move(*c));
    }
  }
  if (first_error) {
    return unexpected(std::move(*first_error));
  }
  return std::optional<Credentials>();
}

namespace {

void append_quoted(std::string& out, std::string_view v) {
  out.push_back('"');
  for (char c : v) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
    }
    out.push_back(c);
  }
  out.push_back('"');
}

}  // namespace

Expected<ReceivedChallenge, ParseError> parse_challenge(std::string_view value) {
  // A challenge has the same auth-param syntax as credentials (RFC 7235 §2.1).
  auto parsed = parse_credentials(value);
  if (!parsed) {
    return Unexpected(parsed.error());
  }
  ReceivedChallenge c;
  c.realm = parsed->realm;
  c.nonce = parsed->nonce;
  c.opaque = parsed->opaque.value_or("");
  if (parsed->algorithm) {
    auto a = parse_algorithm(*parsed->algorithm);
    if (!a) {
      return Unexpected(ParseError{ParseError::Kind::kMalformed, 400,
                                   "unsupported digest algorithm " + *parsed->algorithm});
    }
    c.algorithm = *a;
  }
  if (parsed->qop) {
    std::string_view rest = *parsed->qop;
    while (!rest.empty()) {
      const std::size_t comma = rest.find(',');
      const std::string_view q = rest.substr(0, comma);
      c.qop_auth = c.qop_auth || text::ascii_lower(text::trim(q)) == "auth";
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    }
  }
  for (const auto& [name, v] : parsed->extra) {
    if (name == "stale") {
      c.stale = text::ascii_lower(v) == "true";
    }
  }
  if (c.realm.empty() || c.nonce.empty()) {
    return Unexpected(
        ParseError{ParseError::Kind::kMalformed, 400, "challenge without realm or nonce"});
  }
  return c;
}

std::string authorization_value(const ReceivedChallenge& c, std::string_view username,
                                std::string_view password, std::string_view method,
                                std::string_view uri, std::string_view cnonce, std::uint32_t nc) {
  const std::string ha1 = compute_ha1(c.algorithm, username, c.realm, password);
  char nc_hex[9];
  std::snprintf(nc_hex, sizeof nc_hex, "%08x", nc);
  const std::string response = compute_response(c.algorithm, ha1, c.nonce, nc_hex, cnonce,
                                                c.qop_auth ? "auth" : "", method, uri);
  std::string out = "Digest username=";
  append_quoted(out, username);
  out.append(", realm=");
  append_quoted(out, c.realm);
  out.append(", nonce=");
  append_quoted(out, c.nonce);
  out.append(", uri=");
  append_quoted(out, uri);
  out.append(", response=");
  append_quoted(out, response);
  out.append(", algorithm=").append(to_string(c.algorithm));
  if (!c.opaque.empty()) {
    out.append(", opaque=");
    append_quoted(out, c.opaque);
  }
  if (c.qop_auth) {
    out.append(", qop=auth, nc=").append(nc_hex).append(", cnonce=");
    append_quoted(out, cnonce);
  }
  return out;
}

std::string challenge_value(const Challenge& c) {
  std::string out = "Digest realm=";
  append_quoted(out, c.realm);
  out.append(", nonce=");
  append_quoted(out, c.nonce);
  if (!c.opaque.empty()) {
    out.append(", opaque=");
    append_quoted(out, c.opaque);
  }
  out.append(", algorithm=").append(to_string(c.algorithm));
  out.append(", qop=\"auth\"");
  if (c.stale) {
    out.append(", stale=true");
  }
  return out;
}

std::string make_nonce(std::string_view secret, std::string_view realm, std::int64_t now) {
  return make_nonce(secret, realm, now, crypto::random_u64());
}

std::string make_nonce(std::string_view secret, std::string_view realm, std::int64_t now,
                       std::uint64_t random) {
  assert(!secret.empty());
  std::array<unsigned char, kNonceBytes> raw{};
  auto ts = static_cast<std::uint64_t>(now);
  for (std::size_t i = 0; i < kTsBytes; ++i) {
    raw[i] = static_cast<unsigned char>(ts >> (8 * (kTsBytes - 1 - i)));
  }
  for (std::size_t i = 0; i < kRandomBytes; ++i) {
    raw[kTsBytes + i] = static_cast<unsigned char>(random >> (8 * (kRandomBytes - 1 - i)));
  }
  Hmac mac = nonce_mac(secret, realm, raw.data());
  std::copy(mac.begin(), mac.begin() + kMacBytes, raw.begin() + kTsBytes + kRandomBytes);
  return b64url_encode(raw.data(), raw.size());
}

NonceState check_nonce(std::string_view secret, std::string_view realm, std::string_view nonce,
                       std::int64_t now, std::int64_t ttl) {
  auto raw = b64url_decode<kNonceBytes>(nonce);
  if (!raw) {
    return NonceState::kInvalid;
  }
  Hmac mac = nonce_mac(secret, realm, raw->data());
  std::string_view got(reinterpret_cast<const char*>(raw->data() + kTsBytes + kRandomBytes),
                       kMacBytes);
  std::string_view want(reinterpret_cast<const char*>(mac.data()), kMacBytes);
  if (!crypto::constant_time_equal(got, want)) {
    return NonceState::kInvalid;
  }
  std::uint64_t ts = 0;
  for (std::size_t i = 0; i < kTsBytes; ++i) {
    ts = (ts << 8) | (*raw)[i];
  }
  auto minted = static_cast<std::int64_t>(ts);
  if (minted > now + kNonceClockSkew || now - minted > ttl) {
    return NonceState::kStale;
  }
  return NonceState::kFresh;
}

std::string hash_hex(Algorithm a, std::string_view data) {
  return a == Algorithm::kSha256 ? crypto::sha256_hex(data) : crypto::md5_hex(data);
}

std::string compute_ha1(Algorithm a, std::string_view username, std::string_view realm,
                        std::string_view password) {
  std::string a1;
  a1.reserve(username.size() + realm.size() + password.size() + 2);
  a1.append(username).append(":").append(realm).append(":").append(password);
  return hash_hex(a, a1);
}

std::string compute_response(Algorithm a, std::string_view ha1, std::string_view nonce,
                             std::string_view nc, std::string_view cnonce, std::string_view qop,
                             std::string_view method, std::string_view uri) {
  std::string a2;
  a2.reserve(method.size() + uri.size() + 1);
  a2.append(method).append(":").append(uri);
  std::string ha2 = hash_hex(a, a2);
  std::string kd;
  kd.reserve(ha1.size() + nonce.size() + nc.size() + cnonce.size() + qop.size() + ha2.size() + 5);
  kd.append(ha1).append(":").append(nonce).append(":");
  if (!qop.empty()) {
    // RFC 7616 §3.4.1 / RFC 2617 §3.2.2.1
    kd.append(nc).append(":").append(cnonce).append(":").append(qop).append(":");
  }
  // else RFC 2069 §2.1.2: KD(HA1, nonce ":" HA2)
  kd.append(ha2);
  return hash_hex(a, kd);
}

std::string fake_ha1(std::string_view secret, std::string_view username, std::string_view realm,
                     Algorithm a) {
  std::string data = "cohort-digest-fake-ha1";
  data.push_back('\0');
  data.append(to_string(a)).append(":").append(username).append(":").append(realm);
  Hmac mac = hmac_sha256(secret, data);
  // Same length as a real HA1 of `a`: 32 hex digits for MD5, 64 for SHA-256.
  return to_hex(mac.data(), a == Algorithm::kSha256 ? 32 : 16);
}

std::optional<std::uint32_t> parse_nonce_count(std::string_view nc) {
  if (nc.size() != 8) {
    return std::nullopt;
  }
  std::uint32_t v = 0;
  for (char c : nc) {
    int h = hex_value(c);
    if (h < 0) {
      return std::nullopt;
    }
    v = (v << 4) | static_cast<std::uint32_t>(h);
  }
  if (v == 0) {
    return std::nullopt;
  }
  return v;
}

Verdict verify(const Credentials& creds, std::string_view method, const StoredHa1* stored,
               const VerifyOptions& opts, std::int64_t now, NonceCounts* counts) {
  Verdict v;
  v.outcome = Outcome::kMalformed;
  if (creds.username.empty() || creds.nonce.empty() || creds.uri.empty() ||
      creds.response.empty() || creds.userhash) {
    return v;
  }
  if (creds.realm != opts.realm) {
    return v;
  }
  // RFC 2617 §3.2.2: no algorithm directive means MD5.
  auto alg = creds.algorithm ? parse_algorithm(*creds.algorithm) : Algorithm::kMd5;
  if (!alg) {
    v.outcome = Outcome::kUnknownAlgorithm;
    return v;
  }
  v.algorithm = *alg;
  std::optional<std::uint32_t> nc;
  if (creds.qop) {
    // We only ever offer qop="auth" (auth-int would need the body hash).
    if (!iequals(*creds.qop, "auth") || !creds.cnonce || !creds.nc) {
      return v;
    }
    nc = parse_nonce_count(*creds.nc);
    if (!nc) {
      return v;
    }
  } else if (!opts.allow_no_qop) {
    return v;
  }
  if (!opts.opaque.empty() && (!creds.opaque || *creds.opaque != opts.opaque)) {
    return v;
  }

  NonceState ns = check_nonce(opts.secret, opts.realm, creds.nonce, now, opts.nonce_ttl);
  if (ns == NonceState::kInvalid) {
    v.outcome = Outcome::kBadCredentials;
    return v;
  }

  // Always derive the fake HA1 so that a known and an unknown user cost the same.
  std::string fake = fake_ha1(opts.secret, creds.username, opts.realm, *alg);
  std::string_view ha1 = fake;
  bool real = false;
  if (stored != nullptr && stored->realm == opts.realm) {
    std::string_view s = *alg == Algorithm::kSha256 ? stored->sha256 : stored->md5;
    if (!s.empty()) {
      ha1 = s;
      real = true;
    }
  }
  std::string expected = compute_response(
      *alg, ha1, creds.nonce, creds.nc.value_or(""), creds.cnonce.value_or(""),
      creds.qop ? std::string_view(*creds.qop) : std::string_view(), method, creds.uri);
  // HA1 values are stored lower-case; accept a client's upper-case hex response too.
  std::string got = text::ascii_lower(creds.response);
  bool match = crypto::constant_time_equal(got, expected);
  if (!match || !real) {
    v.outcome = Outcome::kBadCredentials;
    return v;
  }
  v.username = creds.username;
  if (ns == NonceState::kStale) {
    // RFC 7616 §3.3: stale=true only when the response was right for the old nonce.
    v.outcome = Outcome::kStale;
    return v;
  }
  if (counts != nullptr && nc && !counts->accept(creds.nonce, *nc)) {
    v.outcome = Outcome::kReplay;
    return v;
  }
  v.outcome = Outcome::kOk;
  return v;
}

}  // namespace cohort::sip::digest
