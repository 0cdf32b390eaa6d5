#pragma once
// Server-side HTTP Digest authentication for SIP (RFC 3261 §22.4 over RFC 2617, RFC 7616
// and RFC 8760): parsing Authorization / Proxy-Authorization credentials, building
// challenges, stateless HMAC-signed nonces, verifying a response, and nonce-count replay
// protection.
//
// Pure: nothing here reads a clock (`now`, unix seconds, is a parameter). The only
// side effect is the CSPRNG read of make_nonce(secret, realm, now).
//
// The caller's flow for a request that needs authentication:
//
//   auto found = digest::find_credentials(msg.headers(), HeaderId::kAuthorization, realm);
//   if (!found)  -> 401 with fresh challenges (the credentials for our realm are malformed)
//   if (!*found) -> 401 with fresh challenges (no credentials for our realm yet)
//   const model::User* u = lookup by (*found)->username;
//   digest::StoredHa1 s{u->digest.realm, u->digest.ha1_md5, u->digest.ha1_sha256};
//   auto v = digest::verify(**found, msg.method_token(), u ? &s : nullptr, opts, now, &counts);
//   kOk -> proceed as v.username; kStale -> 401 with stale=true; anything else -> 401
//   (count kBadCredentials as an authentication failure of the source address).
//
// Multiple-valued header note: Authorization values contain commas, so take the raw
// Header values (Message::headers()), never Message::header_values(), which splits at
// top-level commas.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/expected.hpp"
#include "sip/message.hpp"

namespace cohort::sip::digest {

/// The digest algorithms we verify. RFC 8760 §2 adds SHA-512-256 and RFC 7616 the "-sess"
/// variants; we do not offer them, and credentials naming them get kUnknownAlgorithm.
enum class Algorithm : std::uint8_t { kMd5, kSha256 };
/// "MD5" / "SHA-256", the RFC 7616 §6.1 registry names.
std::string_view to_string(Algorithm a);
/// Case-insensitive (RFC 7616 §3.3: algorithm tokens compare case-insensitively); nullopt
/// for anything else, including MD5-sess and SHA-256-sess.
std::optional<Algorithm> parse_algorithm(std::string_view name);

/// Parsed credentials (RFC 7616 §3.4, RFC 2617 §3.2.2). Values are unquoted and unescaped.
/// Required directives that are absent are left empty; verify() reports them as kMalformed.
struct Credentials {
  std::string username;  ///< from `username`, or decoded from `username*` (RFC 7616 §3.4.4)
  std::string realm;
  std::string nonce;
  std::string uri;
  std::string response;
  std::optional<std::string> algorithm;  ///< absent means MD5 (RFC 2617 §3.2.2)
  std::optional<std::string> cnonce;
  std::optional<std::string> opaque;
  std::optional<std::string> qop;
  std::optional<std::string> nc;
  bool userhash = false;  ///< RFC 7616 §3.4.4; never offered by us, so never accepted
  /// Other auth-params (names lower-cased), kept for logs and future extensions.
  std::vector<std::pair<std::string, std::string>> extra;
};

/// Parses one credentials value: `Digest` (case-insensitive) followed by a comma list of
/// auth-params (RFC 7235 §2.1, RFC 3261 §25.1 `digest-response`). Names compare
/// case-insensitively; values may be tokens or quoted-strings with `\` escapes (RFC 3261
/// §25.1 quoted-pair). A repeated parameter, another scheme, or a syntax error →
/// ParseError{kMalformed, 400}. Never throws.
Expected<Credentials, ParseError> parse_credentials(std::string_view value);

/// RFC 3261 §22.4: a request may carry credentials for several realms, one header each.
/// Returns the credentials of `realm` among the `id` headers (kAuthorization or
/// kProxyAuthorization), nullopt when none is for `realm`, or the ParseError of a Digest
/// header that could not be parsed (its realm is unknowable, so it may be ours).
Expected<std::optional<Credentials>, ParseError> find_credentials(std::span<const Header> headers,
                                                                  HeaderId id,
                                                                  std::string_view realm);

/// A WWW-Authenticate / Proxy-Authenticate value (RFC 7616 §3.3). qop is always "auth".
struct Challenge {
  std::string_view realm;
  std::string_view nonce;
  std::string_view opaque;  ///< empty: no opaque directive
  Algorithm algorithm = Algorithm::kMd5;
  bool stale = false;  ///< RFC 7616 §3.3: the nonce was stale but the response was right
};
/// `Digest realm="…", nonce="…", opaque="…", algorithm=SHA-256, qop="auth", stale=true`.
/// RFC 7616 §3.7 / RFC 8760 §2: to offer both algorithms send two headers with the same
/// nonce, the preferred (SHA-256) first.
std::string challenge_value(const Challenge& c);

// ---- Stateless nonces ----------------------------------------------------------------
// nonce = base64url(ts(8, big-endian) | random(8) | HMAC-SHA256(secret, label|ts|random|realm)
// truncated to 16 bytes), 43 characters. The server keeps no state per nonce: the HMAC
// proves we minted it for this realm, the timestamp bounds its life.

inline constexpr std::int64_t kDefaultNonceTtl = 300;  ///< seconds
/// A nonce dated up to this far in the future is still fresh (nodes sharing a secret with
/// slightly different clocks); further out it is stale, never "bad".
inline constexpr std::int64_t kNonceClockSkew = 30;

/// A fresh nonce with 8 bytes from the CSPRNG. `secret` must not be empty.
std::string make_nonce(std::string_view secret, std::string_view realm, std::int64_t now);
/// Deterministic form (tests, benchmarks).
std::string make_nonce(std::string_view secret, std::string_view realm, std::int64_t now,
                       std::uint64_t random);

enum class NonceState : std::uint8_t {
  kFresh,
  kStale,    ///< minted by us for this realm, but older than `ttl` (or too far ahead)
  kInvalid,  ///< not ours: bad encoding, tampered, other secret or other realm
};
/// Checks the HMAC in constant time, then the age.
NonceState check_nonce(std::string_view secret, std::string_view realm, std::string_view nonce,
                       std::int64_t now, std::int64_t ttl = kDefaultNonceTtl);

// ---- Hashes --------------------------------------------------------------------------

/// Lower-case hex H(data) for `a`.
std::string hash_hex(Algorithm a, std::string_view data);
/// HA1 = H(username ":" realm ":" password) (RFC 7616 §3.4.2; no -sess variants).
std::string compute_ha1(Algorithm a, std::string_view username, std::string_view realm,
                        std::string_view password);
/// The expected `response` for qop=auth (RFC 7616 §3.4.1: H(HA1:nonce:nc:cnonce:qop:HA2),
/// HA2 = H(method:uri)); when `qop` is empty, the RFC 2069 form H(HA1:nonce:HA2) and `nc`,
/// `cnonce` are ignored. No nonce check: the low-level function for known-answer tests.
std::string compute_response(Algorithm a, std::string_view ha1, std::string_view nonce,
                             std::string_view nc, std::string_view cnonce, std::string_view qop,
                             std::string_view method, std::string_view uri);
/// A stand-in HA1 for a user that does not exist (or has no password for `a`), derived from
/// `secret` so that it is stable per username: verifying against it costs the same work as a
/// real user and always ends in kBadCredentials, so responses do not reveal which
/// usernames exist.
std::string fake_ha1(std::string_view secret, std::string_view username, std::string_view realm,
                     Algorithm a);

// ---- Replay protection ---------------------------------------------------------------

/// The highest nonce-count accepted per nonce (RFC 7616 §3.4 / RFC 2617 §3.2.2: the server
/// detects replays by watching nc grow). Bounded: when `capacity` nonces are remembered the
/// least recently used one is forgotten; size the capacity above (successful
/// authentications per second × nonce TTL) so that only expired nonces are evicted.
/// Not thread-safe: the caller serialises.
class NonceCounts {
 public:
  static constexpr std::size_t kDefaultCapacity = 100'000;
  explicit NonceCounts(std::size_t capacity = kDefaultCapacity);

  /// True, remembering `nc`, when `nc` is higher than every count accepted for `nonce`
  /// before; false (a replay) otherwise.
  bool accept(std::string_view nonce, std::uint32_t nc);
  /// The last count accepted for `nonce`, if remembered.
  std::optional<std::uint32_t> last(std::string_view nonce) const;
  std::size_t size() const { return slots_.size(); }
  std::size_t capacity() const { return capacity_; }

 private:
  // One entry per registered phone at scale: 32 bytes in one array (a nonce is known by two
  // independent 64-bit hashes of its text, not the text), chained per bucket and linked in
  // recency order by index. The arrays are reserved at their full size once: pages are
  // only touched as nonces arrive, and nothing is scattered among other allocations.
  static constexpr std::uint32_t kNone = 0xffffffffu;
  struct Slot {
    std::uint64_t h1 = 0;
    std::uint64_t h2 = 0;
    std::uint32_t nc = 0;
    std::uint32_t chain = kNone;  ///< next slot in the same bucket
    std::uint32_t newer = kNone;  ///< towards the most recently used
    std::uint32_t older = kNone;  ///< towards the least recently used
  };
  struct Key {
    std::uint64_t h1;
    std::uint64_t h2;
  };
  static Key key_of(std::string_view nonce);
  std::uint32_t find(const Key& k) const;
  std::uint32_t& bucket_of(std::uint64_t h1) { return buckets_[h1 & (buckets_.size() - 1)]; }
  void unlink(std::uint32_t i);
  void push_front(std::uint32_t i);

  std::size_t capacity_;
  std::vector<Slot> slots_;
  std::vector<std::uint32_t> buckets_;  ///< a power of two, at least capacity_
  std::uint32_t newest_ = kNone;
  std::uint32_t oldest_ = kNone;
};

// ---- Verification --------------------------------------------------------------------

enum class Outcome : std::uint8_t {
  kOk,
  kStale,             ///< right response, stale nonce: challenge again with stale=true
  kBadCredentials,    ///< wrong response, unknown user, or a nonce we did not mint
  kMalformed,         ///< a required directive missing or unusable, qop not offered, …
  kReplay,            ///< nc not above the last accepted for this nonce
  kUnknownAlgorithm,  ///< an algorithm we do not verify (MD5-sess, SHA-512-256, …)
};
std::string_view to_string(Outcome o);

/// The HA1 values stored for a user (model::DigestCredentials as views).
struct StoredHa1 {
  std::string_view realm;  ///< the realm the HA1 values were computed under
  std::string_view md5;
  std::string_view sha256;
};

struct VerifyOptions {
  std::string_view realm;   ///< ours; credentials for another realm are kMalformed
  std::string_view secret;  ///< the nonce HMAC key (and fake_ha1 key); not empty
  std::int64_t nonce_ttl = kDefaultNonceTtl;
  /// RFC 2069 responses (no qop, no nc, hence no replay protection). Off by default: we
  /// always offer qop="auth" and every current client uses it.
  bool allow_no_qop = false;
  /// When the challenges carried an opaque, the value clients must return; empty: not checked.
  std::string_view opaque;
};

struct Verdict {
  Outcome outcome = Outcome::kMalformed;
  std::string username;  ///< the authenticated username for kOk (also set for kStale)
  Algorithm algorithm = Algorithm::kMd5;
};

/// Verifies `creds` for a request with method token `method` (RFC 7616 §3.4.1 A2 uses the
/// request method, not "REGISTER" literally). `stored` is the user's HA1 set, nullptr for
/// an unknown username: fake_ha1 then keeps the work and the outcome (kBadCredentials)
/// identical to a wrong password. A stored HA1 computed under another realm, or missing for
/// the algorithm, counts as wrong too. When `counts` is given, a right response with a
/// fresh nonce is also checked against it (and recorded) for replay; pass nullptr to keep
/// the hashing outside the caller's lock and call counts.accept(creds.nonce, nc) after kOk.
/// Order of checks: syntax/realm/algorithm → nonce authenticity → response → staleness →
/// replay. Pure apart from `counts`; thread-safe when `counts` is nullptr.
Verdict verify(const Credentials& creds, std::string_view method, const StoredHa1* stored,
               const VerifyOptions& opts, std::int64_t now, NonceCounts* counts = nullptr);

// ---- Client side (Cohort answering a provider's challenge) ---------------------------

/// A WWW-Authenticate / Proxy-Authenticate value as received (RFC 7616 §3.3).
struct ReceivedChallenge {
  std::string realm;
  std::string nonce;
  std::string opaque;
  Algorithm algorithm = Algorithm::kMd5;
  bool qop_auth = false;  ///< "auth" is among the offered qop values
  bool stale = false;
};
/// Parses a Digest challenge. Another scheme, an unknown algorithm (MD5-sess, …) or a
/// missing realm/nonce → ParseError.
Expected<ReceivedChallenge, ParseError> parse_challenge(std::string_view value);

/// The Authorization / Proxy-Authorization value answering `c` for a request `method` to
/// `uri` (RFC 7616 §3.4; qop=auth when offered, else the RFC 2069 form). `cnonce` is the
/// client nonce (random hex), `nc` the nonce count (1 for the first use of a nonce).
std::string authorization_value(const ReceivedChallenge& c, std::string_view username,
                                std::string_view password, std::string_view method,
                                std::string_view uri, std::string_view cnonce, std::uint32_t nc);

/// The nonce-count of `creds` as a number: 8 hex digits, non-zero (RFC 7616 §3.4).
std::optional<std::uint32_t> parse_nonce_count(std::string_view nc);

}  // namespace cohort::sip::digest
