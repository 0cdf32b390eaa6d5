// Uploaded audio (issue 13; docs/api.md "Greetings, waiting music and IVR prompts"): a
// group's greeting and waiting music, a user's greeting, an IVR menu's prompt. PUT takes the
// WAV as the raw body (up to 10 MB: these routes have a body limit of their own), GET
// returns what plays (the upload, or the default rendered to a 16 kHz WAV), DELETE goes back
// to the default.

#include <fmt/format.h>

#include <algorithm>
#include <chrono>

#include "api/handlers.hpp"
#include "audio/audio_catalog.hpp"
#include "common/text.hpp"
#include "media/resample.hpp"
#include "media/wav.hpp"
#include "routing/schedule.hpp"
#include "store/system_clock.hpp"

namespace cohort::api {
namespace {

using audio::Kind;
using audio::Owner;
using nlohmann::json;

/// One of the four audio routes.
struct AudioRoute {
  Owner owner;
  Kind kind;
  const char* collection;  ///< "groups"
  const char* segment;     ///< "greeting"
  const char* what;        ///< "group", for messages
};

constexpr AudioRoute kRoutes[] = {
    {Owner::kGroup, Kind::kGreeting, "groups", "greeting", "group"},
    {Owner::kGroup, Kind::kWaitingMusic, "groups", "waiting-music", "group"},
    {Owner::kUser, Kind::kGreeting, "users", "greeting", "user"},
    {Owner::kIvrMenu, Kind::kPrompt, "ivr-menus", "prompt", "IVR menu"},
};

constexpr std::size_t kMaxUploadBytes = media::WavLimits{}.max_bytes;

// The media types a WAV arrives under (RFC 2361 audio/vnd.wave; the common unofficial
// ones; and what a script sends when it does not say).
constexpr std::string_view kWavTypes[] = {"audio/wav", "audio/x-wav", "audio/wave",
                                          "audio/vnd.wave", "application/octet-stream"};

Result<void> check_content_type(const Request& req) {
  const std::string_view full = req.content_type;
  const std::string type = text::ascii_lower(
      std::string(text::trim(full.substr(0, std::min(full.find(';'), full.size())))));
  if (std::find(std::begin(kWavTypes), std::end(kWavTypes), type) != std::end(kWavTypes)) {
    return {};
  }
  return fail(Error::invalid(
      "", type.empty() ? "Content-Type is missing: send the WAV file as audio/wav"
                       : fmt::format("Content-Type must be audio/wav (or audio/x-wav, audio/wave, "
                                     "audio/vnd.wave, application/octet-stream), not {}",
                                     text::trim(full).substr(0, 100))));
}

/// Who may do what (docs/api.md): admins everything; a user its own greeting; a group's
/// audio is read by supervisors and the group's members; an IVR prompt by supervisors.
Result<void> check_role(const Principal& p, const model::Snapshot& s, const AudioRoute& r,
                        std::int64_t id, bool write) {
  if (p.admin()) {
    return {};
  }
  if (r.owner == Owner::kUser) {
    if (p.user == id) {
      return {};
    }
    return fail({Errc::kForbidden, "users may change and hear only their own greeting", {}});
  }
  if (write) {
    return require_admin(p);
  }
  if (r.owner == Owner::kGroup) {
    return require_can_read_group(p, id, s);
  }
  return require_reads_all(p);
}

bool owner_exists(const model::Snapshot& s, Owner owner, std::int64_t id) {
  switch (owner) {
    case Owner::kGroup:
      return s.group(id) != nullptr;
    case Owner::kUser:
      return s.user(id) != nullptr;
    case Owner::kIvrMenu:
      return s.ivr_menu(id) != nullptr;
  }
  return false;
}

/// Authenticates, parses the id, checks the role and that the owner exists.
Result<std::int64_t> admit(Context& ctx, const Request& req, const PathParams& params,
                           const AudioRoute& r, bool write, model::SnapshotPtr& s) {
  s = ctx.store.snapshot();
  COHORT_TRY_ASSIGN(Principal p, authenticate(req, *s, ctx.options));
  COHORT_TRY_ASSIGN(std::int64_t id, path_id(params.at("id"), r.what));
  COHORT_TRY(check_role(p, *s, r, id, write));
  if (!owner_exists(*s, r.owner, id)) {
    return fail(Error::not_found(fmt::format("no {} with id {}", r.what, id)));
  }
  if (ctx.options.audio == nullptr) {
    return fail(Error{Errc::kUnavailable, "audio storage is not configured", ""});
  }
  return id;
}

/// Whether the group is closed now (its schedule): its default greeting is the closed one.
bool group_closed(const Context& ctx, const model::Snapshot& s, std::int64_t id) {
  const model::Group* g = s.group(id);
  if (g == nullptr || !g->schedule) {
    return false;
  }
  const model::Schedule* sc = s.schedule(*g->schedule);
  if (sc == nullptr) {
    return false;
  }
  static const SystemClock kSystemClock;
  const Clock& clock = ctx.options.clock != nullptr ? *ctx.options.clock : kSystemClock;
  const std::int64_t now_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(clock.now().time_since_epoch()).count();
  return !routing::schedule_state(*sc, now_ms).open;
}

Response audio_response(std::string body, bool uploaded) {
  Response r;
  r.content_type = "audio/wav";
  r.body = std::move(body);
  r.headers = {{"X-Cohort-Audio-Source", uploaded ? "uploaded" : "default"},
               {"Cache-Control", "no-store"}};
  return r;
}

Response put_audio(Context& ctx, const Request& req, const PathParams& params,
                   const AudioRoute& r) {
  return respond([&]() -> Result<Response> {
    model::SnapshotPtr s;
    COHORT_TRY_ASSIGN(std::int64_t id, admit(ctx, req, params, r, /*write=*/true, s));
    COHORT_TRY(check_content_type(req));
    const auto* bytes = reinterpret_cast<const std::uint8_t*>(req.body.data());
    COHORT_TRY_ASSIGN(audio::AudioInfo info, ctx.options.audio->store().put(
                                                 r.owner, id, r.kind, {bytes, req.body.size()}));
    return json_response(200, {{"source", "uploaded"},
                               {"duration_ms", info.duration_ms},
                               {"sample_rate", info.sample_rate},
                               {"updated_at", rfc3339_ms(info.updated_at_ms)}});
  });
}

Response get_audio(Context& ctx, const Request& req, const PathParams& params,
                   const AudioRoute& r) {
  return respond([&]() -> Result<Response> {
    model::SnapshotPtr s;
    COHORT_TRY_ASSIGN(std::int64_t id, admit(ctx, req, params, r, /*write=*/false, s));
    audio::AudioCatalog& catalog = *ctx.options.audio;
    if (auto stored = catalog.store().get_wav(r.owner, id, r.kind)) {
      return audio_response(std::string(stored->begin(), stored->end()), true);
    }
    const bool closed = r.owner == Owner::kGroup && group_closed(ctx, *s, id);
    auto source = catalog.resolve(*s, r.owner, id, r.kind, closed);
    auto pcm = source ? source->load() : std::nullopt;
    if (!pcm || pcm->pcm.empty()) {
      return fail(Error{Errc::kUnavailable, "the default audio could not be rendered", ""});
    }
    if (pcm->sample_rate != audio::kStoredRate) {
      pcm->pcm = media::resample_pcm16(pcm->pcm, pcm->sample_rate, audio::kStoredRate);
    }
    const std::vector<std::uint8_t> wav = media::write_wav(pcm->pcm, audio::kStoredRate);
    return audio_response(std::string(wav.begin(), wav.end()), source->uploaded);
  });
}

Response delete_audio(Context& ctx, const Request& req, const PathParams& params,
                      const AudioRoute& r) {
  return respond([&]() -> Result<Response> {
    model::SnapshotPtr s;
    COHORT_TRY_ASSIGN(std::int64_t id, admit(ctx, req, params, r, /*write=*/true, s));
    COHORT_TRY(ctx.options.audio->store().remove(r.owner, id, r.kind));
    Response out;
    out.status = 204;
    out.content_type.clear();
    return out;
  });
}

std::string pattern_of(const AudioRoute& r) {
  return fmt::format("/api/v1/{}/{{id}}/{}", r.collection, r.segment);
}

}  // namespace

void add_audio_routes(Router& router, const ContextPtr& ctx) {
  for (const AudioRoute& r : kRoutes) {
    router.add("PUT", pattern_of(r), [ctx, &r](const Request& req, const PathParams& p) {
      return put_audio(*ctx, req, p, r);
    });
    router.add("GET", pattern_of(r), [ctx, &r](const Request& req, const PathParams& p) {
      return get_audio(*ctx, req, p, r);
    });
    router.add("DELETE", pattern_of(r), [ctx, &r](const Request& req, const PathParams& p) {
      return delete_audio(*ctx, req, p, r);
    });
  }
}

void remove_audio_of(Context& ctx, Owner owner, std::int64_t id) {
  if (ctx.options.audio != nullptr) {
    ctx.options.audio->store().remove_all(owner, id);
  }
}

std::vector<BodyLimitRule> upload_body_limits() {
  BodyLimitRule rule;
  rule.applies = [](std::string_view method, std::string_view path) {
    if (method != "PUT") {
      return false;
    }
    for (const AudioRoute& r : kRoutes) {
      const std::string prefix = fmt::format("/api/v1/{}/", r.collection);
      const std::string suffix = fmt::format("/{}", r.segment);
      if (path.size() > prefix.size() + suffix.size() && path.starts_with(prefix) &&
          path.ends_with(suffix) &&
          path.substr(prefix.size(), path.size() - prefix.size() - suffix.size()).find('/') ==
              std::string_view::npos) {
        return true;
      }
    }
    return false;
  };
  rule.limit = kMaxUploadBytes;
  rule.too_big = [](std::optional<std::uint64_t> declared) {
    const std::string size = declared ? fmt::format("{} bytes", *declared)
                                      : fmt::format("more than {} bytes", kMaxUploadBytes);
    return error_response(
        Error::invalid("wav", fmt::format("too big: {}, at most {} bytes", size, kMaxUploadBytes)));
  };
  return {rule};
}

}  // namespace cohort::api
