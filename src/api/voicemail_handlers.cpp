// /api/v1/voicemails (issue 13): the messages of the mailboxes a caller may read, their
// audio, heard/unheard and delete. The index is the store's (VoicemailStore); the audio is
// the message file under the voicemail directory (docs/media.md "Voicemail messages on
// disk"). A change reaches MWI through SipView::mailbox_changed.
//
// Who reads a mailbox (DESIGN.md): admins and supervisors every one; an agent its own and
// those of the groups it belongs to. A message in another mailbox is, to an agent, a
// message that does not exist (404); a list of another mailbox is a 403.

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

#include <unistd.h>

#include "api/handlers.hpp"

namespace cohort::api {
namespace {

using nlohmann::json;
using Box = model::DestVoicemail::Box;

std::string_view box_word(Box b) {
  return b == Box::kUser ? "user" : "group";
}

json voicemail_json(const store::VoicemailRecord& r) {
  return {{"id", r.id},
          {"box", box_word(r.box.box)},
          {"box_id", r.box.id},
          {"caller", {{"number", r.caller}, {"name", r.caller_name}}},
          {"called", r.called},
          {"group", r.group ? json(*r.group) : json(nullptr)},
          {"started_at", rfc3339_ms(r.started_at_ms)},
          {"duration_ms", r.duration_ms},
          {"heard", r.heard},
          {"call_id", r.call_id}};
}

/// The mailboxes `p` may read; nullopt = every one.
std::optional<std::vector<store::MailboxKey>> readable(const Principal& p,
                                                       const model::Snapshot& s) {
  if (p.reads_all()) {
    return std::nullopt;
  }
  std::vector<store::MailboxKey> out{{Box::kUser, p.user}};
  for (const model::UserMembership& m : s.groups_of(p.user)) {
    out.push_back({Box::kGroup, m.group});
  }
  return out;
}

bool may_read(const Principal& p, const model::Snapshot& s, const store::MailboxKey& box) {
  auto boxes = readable(p, s);
  return !boxes || std::find(boxes->begin(), boxes->end(), box) != boxes->end();
}

Result<std::optional<bool>> heard_param(const Request& req) {
  auto v = req.query_param("heard");
  if (!v) {
    return std::optional<bool>();
  }
  if (*v == "true") {
    return std::optional<bool>(true);
  }
  if (*v == "false") {
    return std::optional<bool>(false);
  }
  return fail(Error::invalid("heard", "heard must be true or false"));
}

/// `box` and `id` together, or neither.
Result<std::optional<store::MailboxKey>> box_params(const Request& req) {
  auto box = req.query_param("box");
  auto id = req.query_param("id");
  if (!box && !id) {
    return std::optional<store::MailboxKey>();
  }
  if (!box) {
    return fail(Error::invalid("box", "box (user or group) is required with id"));
  }
  store::MailboxKey key;
  if (*box == "user") {
    key.box = Box::kUser;
  } else if (*box == "group") {
    key.box = Box::kGroup;
  } else {
    return fail(Error::invalid("box", "box must be user or group"));
  }
  if (!id) {
    return fail(Error::invalid("id", "id (the user's or group's id) is required with box"));
  }
  auto n = path_id(std::string(*id), "mailbox");
  if (!n) {
    return fail(Error::invalid("id", "id must be a positive integer"));
  }
  key.id = *n;
  return std::optional<store::MailboxKey>(key);
}

Response list_voicemails(Context& ctx, const Request& req) {
  return respond([&]() -> Result<Response> {
    model::SnapshotPtr snap = ctx.store.snapshot();
    COHORT_TRY_ASSIGN(Principal p, authenticate(req, *snap, ctx.options));
    COHORT_TRY_ASSIGN(std::optional<store::MailboxKey> box, box_params(req));
    store::VoicemailQuery q;
    COHORT_TRY_ASSIGN(q.heard, heard_param(req));
    COHORT_TRY_ASSIGN(Page page, page_from_query(req));
    if (box) {
      if (!may_read(p, *snap, *box)) {
        return fail({Errc::kForbidden,
                     "agents may read only their own mailbox and their groups' mailboxes", "id"});
      }
      q.boxes = {*box};
    } else if (auto boxes = readable(p, *snap)) {
      q.boxes = std::move(*boxes);
    }
    q.before_id = page.after;
    q.limit = page.limit + 1;  // one more tells whether another page follows
    COHORT_TRY_ASSIGN(std::vector<store::VoicemailRecord> records,
                      ctx.store.voicemails().query_voicemails(q));
    std::optional<std::int64_t> next;
    if (records.size() > page.limit) {
      records.resize(page.limit);
      next = records.back().id;
    }
    json items = json::array();
    for (const store::VoicemailRecord& r : records) {
      items.push_back(voicemail_json(r));
    }
    return json_response(200, page_json(std::move(items), next));
  });
}

/// The message `id_text` names, if `p` may read it; 404 otherwise.
Result<store::VoicemailRecord> readable_message(Context& ctx, const Principal& p,
                                                const model::Snapshot& s,
                                                const std::string& id_text) {
  COHORT_TRY_ASSIGN(std::int64_t id, path_id(id_text, "voicemail"));
  COHORT_TRY_ASSIGN(std::optional<store::VoicemailRecord> r, ctx.store.voicemails().voicemail(id));
  if (!r || !may_read(p, s, r->box)) {
    return fail(Error::not_found(fmt::format("no voicemail with id {}", id)));
  }
  return std::move(*r);
}

std::string path_of(const Context& ctx, const store::VoicemailRecord& r) {
  return ctx.options.voicemail_dir + "/" + r.file;
}

void tell_sip(Context& ctx, const store::MailboxKey& box) {
  if (ctx.options.sip != nullptr) {
    ctx.options.sip->mailbox_changed(box.box, box.id);
  }
}

Response get_voicemail(Context& ctx, const Request& req, const PathParams& pp) {
  return respond([&]() -> Result<Response> {
    model::SnapshotPtr snap = ctx.store.snapshot();
    COHORT_TRY_ASSIGN(Principal p, authenticate(req, *snap, ctx.options));
    COHORT_TRY_ASSIGN(store::VoicemailRecord r, readable_message(ctx, p, *snap, pp.at("id")));
    return json_response(200, voicemail_json(r));
  });
}

Response get_audio(Context& ctx, const Request& req, const PathParams& pp) {
  return respond([&]() -> Result<Response> {
    model::SnapshotPtr snap = ctx.store.snapshot();
    COHORT_TRY_ASSIGN(Principal p, authenticate(req, *snap, ctx.options));
    COHORT_TRY_ASSIGN(store::VoicemailRecord r, readable_message(ctx, p, *snap, pp.at("id")));
    std::ifstream in(path_of(ctx, r), std::ios::binary);
    if (!in) {
      // Deleted meanwhile (the row goes right after the file).
      return fail(Error::not_found(fmt::format("no voicemail with id {}", r.id)));
    }
    Response res;
    res.content_type = "audio/wav";
    res.body.assign(std::istreambuf_iterator<char>(in), {});
    res.headers.emplace_back("Cache-Control", "no-store");  // a private message
    res.headers.emplace_back("Content-Disposition",
                             fmt::format("inline; filename=\"voicemail-{}.wav\"", r.id));
    return res;
  });
}

Response patch_voicemail(Context& ctx, const Request& req, const PathParams& pp) {
  return respond([&]() -> Result<Response> {
    model::SnapshotPtr snap = ctx.store.snapshot();
    COHORT_TRY_ASSIGN(Principal p, authenticate(req, *snap, ctx.options));
    COHORT_TRY_ASSIGN(store::VoicemailRecord r, readable_message(ctx, p, *snap, pp.at("id")));
    COHORT_TRY_ASSIGN(JsonBody body, JsonBody::parse(req));
    COHORT_TRY(body.check_keys({"heard"}, {"id", "box", "box_id", "caller", "called", "group",
                                           "started_at", "duration_ms", "call_id"}));
    if (body.has("heard")) {
      COHORT_TRY_ASSIGN(bool heard, body.boolean("heard"));
      COHORT_TRY_ASSIGN(bool found, ctx.store.voicemails().set_heard(r.id, heard));
      if (!found) {
        return fail(Error::not_found(fmt::format("no voicemail with id {}", r.id)));
      }
      if (heard != r.heard) {
        r.heard = heard;
        tell_sip(ctx, r.box);
      }
    }
    return json_response(200, voicemail_json(r));
  });
}

Response delete_voicemail(Context& ctx, const Request& req, const PathParams& pp) {
  return respond([&]() -> Result<Response> {
    model::SnapshotPtr snap = ctx.store.snapshot();
    COHORT_TRY_ASSIGN(Principal p, authenticate(req, *snap, ctx.options));
    COHORT_TRY_ASSIGN(store::VoicemailRecord r, readable_message(ctx, p, *snap, pp.at("id")));
    // The file first, then its row: a crash between the two leaves a row without a file,
    // which the next start deletes (pbx/mailboxes.hpp); never a file nobody lists.
    if (::unlink(path_of(ctx, r).c_str()) != 0 && errno != ENOENT) {
      return fail(Error::internal(
          fmt::format("cannot delete the file of voicemail {}: {}", r.id, std::strerror(errno))));
    }
    COHORT_TRY(ctx.store.voicemails().remove_voicemail(r.id));
    tell_sip(ctx, r.box);
    Response res;
    res.status = 204;
    res.content_type.clear();
    return res;
  });
}

}  // namespace

void add_voicemail_routes(Router& r, const ContextPtr& ctx) {
  r.add("GET", "/api/v1/voicemails",
        [ctx](const Request& req, const PathParams&) { return list_voicemails(*ctx, req); });
  r.add("GET", "/api/v1/voicemails/{id}",
        [ctx](const Request& req, const PathParams& pp) { return get_voicemail(*ctx, req, pp); });
  r.add("PATCH", "/api/v1/voicemails/{id}",
        [ctx](const Request& req, const PathParams& pp) { return patch_voicemail(*ctx, req, pp); });
  r.add("DELETE", "/api/v1/voicemails/{id}", [ctx](const Request& req, const PathParams& pp) {
    return delete_voicemail(*ctx, req, pp);
  });
  r.add("GET", "/api/v1/voicemails/{id}/audio",
        [ctx](const Request& req, const PathParams& pp) { return get_audio(*ctx, req, pp); });
}

}  // namespace cohort::api
