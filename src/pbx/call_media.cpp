// Cohort answers the caller itself (issue 13, docs/life-of-a-call.md "IVR menus"): the
// caller's offer is answered by MediaLegs, the 200 OK leaves once the call's record is on
// disk, and after the caller's ACK the menu's prompt plays (routing/ivr.hpp says what to play,
// how long to wait and where a key leads). A destination reached from the menu rings as any
// other, but its phones are offered Cohort's relay leg instead of the caller's SDP; the one
// that answers is bridged to the caller's leg, so the caller, already answered, never has
// to renegotiate: RTP passes through Cohort (MediaLegs::bridge).

#include <algorithm>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "audio/audio_catalog.hpp"
#include "common/log.hpp"
#include "model/ivr_menu.hpp"
#include "pbx/call_state.hpp"

namespace cohort::pbx {

namespace {

/// The built-in prompt naming a key: "n0"…"n9", "star", "pound".
std::string key_prompt(char key) {
  if (key == '*') {
    return "star";
  }
  if (key == '#') {
    return "pound";
  }
  return fmt::format("n{}", key);
}

/// What a menu plays: "invalid choice" or "no input" first when it plays again for that, then
/// its prompt — the upload, else speech reading its options (audio::AudioCatalog); without a
/// catalog, "press 1, press 2 …" from the built-in parts.
std::vector<PromptSource> menu_prompt(const audio::AudioCatalog* catalog, const model::Snapshot& s,
                                      const model::IvrMenu& menu, routing::PlayReason reason) {
  std::vector<PromptSource> out;
  if (reason == routing::PlayReason::kInvalid) {
    out.push_back({"ivr_invalid", {}});
  } else if (reason == routing::PlayReason::kNoInput) {
    out.push_back({"ivr_no_input", {}});
  }
  if (catalog != nullptr) {
    if (auto source = catalog->resolve(s, audio::Owner::kIvrMenu, menu.id, audio::Kind::kPrompt)) {
      out.push_back({std::move(source->key), std::move(source->load)});
      return out;
    }
  }
  for (const model::IvrOption& o : menu.options) {
    out.push_back({"ivr_press", {}});
    out.push_back({key_prompt(o.key), {}});
  }
  if (menu.direct_dial) {
    out.push_back({"ivr_dial_extension", {}});
  }
  return out;
}

}  // namespace

/// Answers the caller's offer with Cohort's own media and sends the 200 OK (once the record
/// is durable, on_record_durable), or with `early` a 183 carrying our answer. False when it
/// cannot: no media engine, no offer, no port.
bool CallController::Impl::answer_caller(std::size_t shard, Call& c, TimePoint now, bool early) {
  if (c.media) {
    if (!early && !c.media->answered) {
      confirm_caller(shard, c);
    }
    return true;
  }
  if (opts.media == nullptr || c.a_body.empty()) {
    return false;
  }
  auto handler = [this, shard, key = c.key](MediaLegs::LegId, MediaEvent event) {
    core.post(shard, [this, shard, key, event = std::move(event)](TimePoint at) mutable {
      on_media_event(shard, key, std::move(event), at);
    });
  };
  auto answered = opts.media->answer(c.a_body, std::move(handler));
  if (!answered) {
    spdlog::warn("call event=caller_media_failed call={} status={} reason={}", c.id,
                 answered.error().status, log::Value{answered.error().reason});
    return false;
  }
  c.media.emplace();
  c.media->leg = answered->leg;
  c.media->answer = std::move(answered->sdp);
  release(c.a_body);
  spdlog::info("call event=caller_answered call={} codec={} early={}", c.id,
               log::Value{answered->codec}, early);
  if (early) {
    // Early media (RFC 3960): our answer in a 183; the 200 follows when someone answers.
    c.media->started = true;
    c.a.state = LegState::kEarly;
    // Sent here, not through reply_a: that one keeps the phones' own 18x from a caller
    // Cohort answers, and would keep this one too.
    core.respond(shard, c.a_txn, 183,
                 response_to(c.a_answer, 183, "Session Progress", c.a.local_tag,
                             [&](sip::MessageBuilder& b) {
                               b.header(HeaderId::kContact, contact_of(c.a.route.protocol));
                               b.body("application/sdp", c.media->answer);
                             }),
                 now);
    return true;
  }
  confirm_caller(shard, c);
  return true;
}

void CallController::Impl::confirm_caller(std::size_t shard, Call& c) {
  if (c.listed_ringing) {
    core.ringing().stopped(c.key);
    c.listed_ringing = false;
  }
  c.media->answered = true;
  c.a.state = LegState::kConfirmed;
  c.a_ok = response_to(c.a_answer, 200, "OK", c.a.local_tag, [&](sip::MessageBuilder& b) {
    b.header(HeaderId::kContact, contact_of(c.a.route.protocol));
    b.header(HeaderId::kAllow, kCallAllow);
    add_uas_session(b, c.a_session);  // RFC 4028 §9
    b.body("application/sdp", c.media->answer);
  });
  remember_sdp(c.a, "application/sdp", c.media->answer);
  // The caller's dialog is on disk before it hears the 200 (as for a member's answer).
  c.cdr.dialogs = {leg_record(c.a)};
  core.write_cdr_durable(shard, c.cdr, c.key);
  c.cdr.dialogs.clear();
}

/// The caller ACKed our 200: what waited for it plays now.
void CallController::Impl::caller_acked(std::size_t shard, Call& c, TimePoint now) {
  if (c.media->started) {
    return;  // it had our answer in a 183 and hears its queue already
  }
  c.media->started = true;
  if (c.vm_menu) {
    routing::VmStep first{std::move(c.vm_menu->pending), c.vm_menu->state};
    c.vm_menu->pending.clear();
    run_vm_menu(shard, c, std::move(first), now);  // call_voicemail_menu.cpp
  } else if (c.ivr && c.ivr->pending) {
    const routing::PlayPrompt play = *c.ivr->pending;
    c.ivr->pending.reset();
    routing::IvrStep step;
    step.action = play;
    step.state = c.ivr->state;
    run_ivr(shard, c, step, now);
  } else if (c.ringback_sent && !c.media->bridged) {
    play_waiting(shard, c, now);
  }
}

void CallController::Impl::enter_ivr(std::size_t shard, Call& c, model::IvrMenuId menu,
                                     TimePoint now) {
  c.ivr_since_ms = core.now_ms();
  c.hunt.reset();
  c.ringback_sent = false;
  c.ring_deadline = TimePoint::max();  // a menu has its own timeouts
  c.ivr.emplace();
  spdlog::info("call event=ivr call={} menu={}", c.id, menu);
  run_ivr(shard, c, routing::ivr_start(*c.snap, menu), now);
}

/// Carries out one step of the menu (routing/ivr.hpp).
void CallController::Impl::run_ivr(std::size_t shard, Call& c, const routing::IvrStep& step,
                                   TimePoint now) {
  IvrCall& ivr = *c.ivr;
  ivr.state = step.state;
  if (const auto* play = std::get_if<routing::PlayPrompt>(&step.action)) {
    ivr.deadline.reset();
    if (!c.media->started) {
      ivr.pending = *play;  // after the caller's ACK
      return;
    }
    const model::IvrMenu* menu = c.snap->ivr_menu(play->menu);
    if (menu == nullptr) {
      return;  // deleted meanwhile: the next event says HangUp
    }
    opts.media->play(c.media->leg, menu_prompt(opts.audio, *c.snap, *menu, play->reason));
    return;
  }
  if (const auto* wait = std::get_if<routing::WaitForKeys>(&step.action)) {
    if (wait->stop_prompt) {
      opts.media->stop_playing(c.media->leg);
    }
    const std::int64_t in_ms = std::max<std::int64_t>(0, wait->deadline_ms - core.now_ms());
    ivr.deadline = now + std::chrono::milliseconds(in_ms);
    core.arm(shard, c.key, *ivr.deadline);
    return;
  }
  if (std::holds_alternative<routing::KeepGoing>(step.action)) {
    return;
  }
  // The call leaves the menu.
  spdlog::info("call event=ivr_exit call={} menu={} exit={} keys={} taken={}", c.id, ivr.state.menu,
               log::Value{step.exit ? routing::to_string(*step.exit) : "-"},
               log::Value{ivr.state.keys}, log::Value{step.taken});
  // The record: every key of every menu, the last option taken, the time in menus.
  c.cdr.ivr_keys += ivr.state.keys;
  c.cdr.ivr_option = step.taken;
  c.cdr.ivr_ms += core.now_ms() - c.ivr_since_ms;
  c.ivr.reset();
  opts.media->stop_playing(c.media->leg);
  if (const auto* go = std::get_if<routing::GoTo>(&step.action)) {
    routing::FlowState state = flow(c);
    if (step.by_caller()) {
      // The caller chose: a new count of hops (routing/ivr.hpp GoTo).
      state.visited = {};
      state.users = {};
      state.forwards = 0;
      state.menus = {};
    }
    c.ring_deadline = now + opts.ring_timeout;
    take(shard, c, routing::route(*c.snap, go->destination, std::nullopt, state, core.now_ms()),
         now);
    return;
  }
  c.ended_in_ivr = true;
  end_answered(shard, c, "ivr_hangup", now);
}

void CallController::Impl::on_ivr_event(std::size_t shard, Call& c, const MediaEvent& event,
                                        TimePoint now) {
  if (std::holds_alternative<media::NoRtp>(event)) {
    if (!c.media && c.winner < 0) {
      return;  // a relayed call's early media fell silent: it may still be answered
    }
    spdlog::warn("call event=no_rtp call={}", c.id);
    end_answered(shard, c, "no_rtp", now);
    return;
  }
  if (!c.ivr) {
    if (c.announcing && std::holds_alternative<media::PlaybackDone>(event)) {
      c.announcing = false;  // the position announcement ended: the music again
      play_waiting(shard, c, now);
    }
    return;  // a digit or a prompt's end outside a menu
  }
  if (const auto* d = std::get_if<media::Digit>(&event)) {
    run_ivr(shard, c,
            routing::ivr_next(*c.snap, c.ivr->state, routing::KeyPressed{d->digit, core.now_ms()}),
            now);
  } else if (std::holds_alternative<media::PlaybackDone>(event)) {
    run_ivr(shard, c, routing::ivr_next(*c.snap, c.ivr->state, routing::PromptEnded{core.now_ms()}),
            now);
  }
}

bool CallController::Impl::ivr_due(const Call& c, TimePoint now) const {
  return c.ivr && c.ivr->deadline && now >= *c.ivr->deadline;
}

std::optional<std::string> CallController::Impl::relay_offer(std::size_t shard, Call& c) {
  if (c.media->relay == 0) {
    auto handler = [this, shard, key = c.key](MediaLegs::LegId, MediaEvent event) {
      core.post(shard, [this, shard, key, event = std::move(event)](TimePoint at) mutable {
        on_media_event(shard, key, std::move(event), at);
      });
    };
    auto offered = opts.media->offer_relay(c.media->leg, std::move(handler));
    if (!offered) {
      spdlog::warn("call event=relay_failed call={} reason={}", c.id,
                   log::Value{offered.error().reason});
      return std::nullopt;
    }
    c.media->relay = offered->leg;
    c.media->relay_offer = std::move(offered->sdp);
  }
  return c.media->relay_offer;
}

void CallController::Impl::bridge_answer(std::size_t shard, Call& c, int i, const sip::Message& r,
                                         TimePoint now) {
  Leg& leg = c.b[static_cast<std::size_t>(i)];
  ack_leg(shard, c, i, leg.invite_cseq, {}, {});  // Cohort made the offer: an empty ACK
  auto [ctype, body] = relay_body(r);
  auto bridged = c.media->relay != 0 ? opts.media->bridge(c.media->leg, c.media->relay, body)
                                     : Result<void>(fail(Error::invalid("sdp", "no relay leg")));
  if (!bridged) {
    spdlog::warn("call event=bridge_failed call={} reason={}", c.id,
                 log::Value{bridged.error().message});
    end_answered(shard, c, "bridge_failed", now);
    return;
  }
  c.media->bridged = true;
  spdlog::info("call event=bridged call={}", c.id);
  if (!c.media->answered) {
    confirm_caller(shard, c);  // early media until now: the 200, with the same answer
  }
  c.cdr.dialogs = {leg_record(c.a), leg_record(leg)};
  core.write_cdr_durable(shard, c.cdr, c.key);
  c.cdr.dialogs.clear();
}

/// A number as built-in prompts: "n0"…"n20", tens, "n100" (positions and minutes; larger
/// numbers are said as 100).
std::vector<PromptSource> number_prompt(int n) {
  n = std::clamp(n, 0, 100);
  if (n <= 20 || n % 10 == 0) {
    return {{fmt::format("n{}", n), {}}};
  }
  return {{fmt::format("n{}", n / 10 * 10), {}}, {fmt::format("n{}", n % 10), {}}};
}

/// While a caller waits for a group: ringback, or the group's music after our answer.
void CallController::Impl::play_waiting(std::size_t shard, Call& c, TimePoint now) {
  if (!c.media || !c.media->started || c.media->bridged) {
    return;
  }
  const model::Group* g = c.hunt ? c.snap->group(c.hunt->group) : nullptr;
  if (g == nullptr || g->waiting_mode == model::WaitingMode::kRingback) {
    opts.media->play(c.media->leg, {{"tone:ringback", {}}}, /*loop=*/true);
    return;
  }
  // The group's music: its upload, else the built-in one (audio::AudioCatalog).
  auto music = opts.audio != nullptr ? opts.audio->resolve(*c.snap, audio::Owner::kGroup, g->id,
                                                           audio::Kind::kWaitingMusic)
                                     : std::nullopt;
  if (!music) {
    opts.media->play(c.media->leg, {{"tone:ringback", {}}}, /*loop=*/true);
    return;
  }
  opts.media->play(c.media->leg, {{std::move(music->key), std::move(music->load)}},
                   /*loop=*/true);
  if (g->announce_position_every_s > 0 && !c.announce_at) {
    c.announce_at = now + std::chrono::seconds(g->announce_position_every_s);
    core.arm(shard, c.key, *c.announce_at);
  }
}

/// "You are number N in line. Your expected wait is M minutes." over the music, which
/// resumes when it ends (on_ivr_event).
void CallController::Impl::announce_position(std::size_t shard, Call& c, TimePoint now) {
  c.announce_at.reset();
  if (!c.hunt || !c.media || !c.media->started || c.media->bridged) {
    return;
  }
  const model::Group* g = c.snap->group(c.hunt->group);
  if (g == nullptr || g->announce_position_every_s <= 0) {
    return;
  }
  const int position = std::max(1, queues.position(g->id, c.key));
  std::vector<PromptSource> words{{"queue_you_are", {}}};
  for (PromptSource& p : number_prompt(position)) {
    words.push_back(std::move(p));
  }
  words.push_back({"queue_in_line", {}});
  if (const auto wait = queues.expected_wait_ms(g->id, position)) {
    words.push_back({"queue_expected_wait", {}});
    const int minutes = static_cast<int>((*wait + 59'999) / 60'000);
    if (*wait < 60'000) {
      words.push_back({"queue_less_than_a_minute", {}});
    } else {
      for (PromptSource& p : number_prompt(minutes)) {
        words.push_back(std::move(p));
      }
      words.push_back({minutes == 1 ? "queue_minute" : "queue_minutes", {}});
    }
  }
  spdlog::info("call event=queue_announcement call={} group={} position={}", c.id,
               log::Value{g->name}, position);
  c.announcing = true;
  opts.media->play(c.media->leg, std::move(words));
  c.announce_at = now + std::chrono::seconds(g->announce_position_every_s);
  core.arm(shard, c.key, *c.announce_at);
}

void CallController::Impl::leave_queue(Call& c) {
  if (c.queued_in) {
    queues.leave(*c.queued_in, c.key);
    c.queued_in.reset();
    c.cdr.queue_ms += core.now_ms() - c.queued_since_ms;  // the record's time in queues
  }
  c.announce_at.reset();
}

void CallController::Impl::close_caller_media(Call& c) {
  if (!c.media || opts.media == nullptr) {
    return;
  }
  if (c.media->relay != 0) {
    opts.media->close(c.media->relay);
    c.media->relay = 0;
  }
  if (c.media->leg != 0) {
    opts.media->close(c.media->leg);
    c.media->leg = 0;
  }
}

}  // namespace cohort::pbx
