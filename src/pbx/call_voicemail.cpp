// A mailbox answers the call (issue 13, docs/life-of-a-call.md "Voicemail"): Cohort answers
// the caller's offer itself (MediaLegs), and once the caller has ACKed plays the mailbox's
// greeting and a beep, records the message until '#', silence, the maximum length or the
// caller's BYE, saves it (VoicemailWriter, off the SIP and media threads), says goodbye and
// hangs up. The call's record has disposition `voicemail`.

#include <charconv>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "audio/audio_catalog.hpp"
#include "common/log.hpp"
#include "common/text.hpp"
#include "pbx/call_state.hpp"

namespace cohort::pbx {

namespace {

/// The greeting a mailbox plays: its upload, else the default naming the box, the closed
/// variant when the group's schedule sent the call here (audio::AudioCatalog). Runs on the
/// call's shard: resolve() reads only memory (the store's index, the snapshot); the loader
/// that reads the file or speaks runs later on the leg's media thread, in MediaLegs'
/// prompt cache (once per key and codec: a new upload has a new key). Without a catalog,
/// the built-in greetings.
PromptSource greeting_of(const audio::AudioCatalog* catalog, const Call& c,
                         const model::DestVoicemail& box) {
  const bool closed = c.cdr.fallback_reason == model::FallbackReason::kClosed;
  const bool user = box.box == model::DestVoicemail::Box::kUser;
  if (catalog != nullptr && c.snap) {
    if (auto source = catalog->resolve(*c.snap, user ? audio::Owner::kUser : audio::Owner::kGroup,
                                       box.id, audio::Kind::kGreeting, closed)) {
      spdlog::debug("call event=greeting call={} prompt={} uploaded={}", c.id,
                    log::Value{source->key}, source->uploaded);
      return {std::move(source->key), std::move(source->load)};
    }
  }
  if (user) {
    return {"greeting_user_unavailable", {}};
  }
  return {closed ? "greeting_closed" : "greeting_group_default", {}};
}

}  // namespace

/// The digit of a SIP INFO (`application/dtmf-relay`: "Signal=5\r\nDuration=160";
/// `application/dtmf`: "5"), or nullopt.
std::optional<char> info_digit(std::string_view content_type, std::string_view body) {
  const std::string type = text::ascii_lower(
      std::string(content_type.substr(0, std::min(content_type.find(';'), content_type.size()))));
  std::string_view value;
  if (text::trim(type) == "application/dtmf-relay") {
    for (std::string_view rest = body; !rest.empty();) {
      const std::size_t eol = rest.find('\n');
      std::string_view line = text::trim(rest.substr(0, eol));
      rest = eol == std::string_view::npos ? std::string_view{} : rest.substr(eol + 1);
      const std::size_t eq = line.find('=');
      if (eq != std::string_view::npos &&
          text::ascii_lower(std::string(text::trim(line.substr(0, eq)))) == "signal") {
        value = text::trim(line.substr(eq + 1));
      }
    }
  } else if (text::trim(type) == "application/dtmf") {
    value = text::trim(body);
  } else {
    return std::nullopt;
  }
  if (value.size() == 1) {
    const char d = static_cast<char>(std::toupper(static_cast<unsigned char>(value[0])));
    if ((d >= '0' && d <= '9') || d == '*' || d == '#' || (d >= 'A' && d <= 'D')) {
      return d;
    }
  }
  int event = -1;  // RFC 4733 event numbers: 10 is '*', 11 is '#'
  const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), event);
  if (ec == std::errc{} && end == value.data() + value.size() && event >= 10 && event <= 15) {
    return "*#ABCD"[event - 10];
  }
  return std::nullopt;
}

void CallController::Impl::enter_voicemail(std::size_t shard, Call& c,
                                           const model::DestVoicemail& box, TimePoint now) {
  const auto unavailable = [&](int status, std::string_view reason) {
    spdlog::info("call event=voicemail_unavailable call={} box={} reason={}", c.id, box.id,
                 log::Value{reason});
    fail_call(shard, c, status, reason, Disposition::kVoicemailUnavailable, now);
  };
  if (opts.media == nullptr) {
    unavailable(480, "Temporarily Unavailable: voicemail is not running");
    return;
  }
  if (c.a_body.empty() && !c.media) {
    // A late offer (INVITE without SDP) would need our offer in the 200 and the answer in
    // the ACK; phones and trunks send their offer in the INVITE.
    unavailable(480, "Temporarily Unavailable: voicemail needs an SDP offer");
    return;
  }
  // The record of a message is taken now: the call may be gone when its recording ends.
  VoicemailMessage meta;
  meta.box = box;
  meta.call_id = c.cdr.id;
  meta.caller = c.cdr.caller;
  meta.caller_name = c.caller_display;
  meta.called = c.cdr.did.empty() ? c.cdr.dialled : c.cdr.did;
  meta.group = box.box == model::DestVoicemail::Box::kGroup ? std::optional(box.id) : c.cdr.group;
  auto handler = [this, shard, key = c.key, meta = std::move(meta), save = opts.save_voicemail](
                     MediaLegs::LegId, MediaEvent event) {
    // On the media thread. A message is saved from here (not from the call, which a BYE
    // may have ended meanwhile); the call hears only that its recording ended.
    if (auto* done = std::get_if<media::RecordingDone>(&event)) {
      if (!done->too_short && !done->pcm.empty() && save) {
        VoicemailMessage m = meta;
        m.started_at_ms = core.now_ms() - done->duration.count();
        m.pcm = std::move(done->pcm);
        m.sample_rate = done->sample_rate;
        save(std::move(m));
      }
      done->pcm.clear();
    }
    core.post(shard, [this, shard, key, event = std::move(event)](TimePoint now) mutable {
      on_media_event(shard, key, std::move(event), now);
    });
  };
  if (c.media) {
    // Cohort answered the caller already (an IVR menu led here): its leg takes the message.
    opts.media->set_handler(c.media->leg, std::move(handler));
    // From a queue's early media, the caller gets its 200 now.
    c.voicemail = VoicemailCall{c.media->leg, box, VoicemailCall::Phase::kAnswering};
    c.voicemail->full = opts.mailbox_full && opts.mailbox_full(box);
    c.state = CallState::kAnswered;
    c.cdr.answer_ms = core.now_ms();
    spdlog::info("call event=voicemail call={} box={} via=caller_media full={}", c.id, box.id,
                 c.voicemail->full);
    if (!c.media->answered) {
      confirm_caller(shard, c);
    }
    if (c.media->started) {
      c.voicemail->full ? mailbox_full_acked(shard, c, now) : voicemail_acked(shard, c, now);
    }
    return;
  }
  auto answered = opts.media->answer(c.a_body, std::move(handler));
  if (!answered) {
    unavailable(answered.error().status == 488 ? 488 : 480,
                answered.error().status == 488
                    ? answered.error().reason
                    : "Temporarily Unavailable: " + answered.error().reason);
    return;
  }
  c.voicemail = VoicemailCall{answered->leg, box, VoicemailCall::Phase::kAnswering};
  // Over its quota (messages or minutes, `[media] mailbox_max_*`): still answered, so that
  // the caller hears why no message can be left rather than a bare failure.
  c.voicemail->full = opts.mailbox_full && opts.mailbox_full(box);
  if (c.listed_ringing) {
    core.ringing().stopped(c.key);
    c.listed_ringing = false;
  }
  c.state = CallState::kAnswered;
  c.a.state = LegState::kConfirmed;
  c.cdr.answer_ms = core.now_ms();
  if (c.cdr.ringing_ms == 0) {
    c.cdr.ringing_ms = c.cdr.answer_ms;
  }
  c.cdr.sip_status = 200;
  spdlog::info("call event=voicemail call={} box={} codec={} full={}", c.id, box.id,
               log::Value{answered->codec}, c.voicemail->full);
  release(c.a_body);
  c.a_ok = response_to(c.a_answer, 200, "OK", c.a.local_tag, [&](sip::MessageBuilder& b) {
    b.header(HeaderId::kContact, contact_of(c.a.route.protocol));
    b.header(HeaderId::kAllow, kCallAllow);
    add_uas_session(b, c.a_session);  // RFC 4028 §9
    b.body("application/sdp", answered->sdp);
  });
  remember_sdp(c.a, "application/sdp", answered->sdp);  // what a session refresh offers
  // As for a member's answer: the caller hears the 200 once the answer is on disk.
  c.cdr.dialogs = {leg_record(c.a)};
  core.write_cdr_durable(shard, c.cdr, c.key);
  c.cdr.dialogs.clear();
}

void CallController::Impl::voicemail_acked(std::size_t, Call& c, TimePoint) {
  VoicemailCall& vm = *c.voicemail;
  vm.phase = VoicemailCall::Phase::kGreeting;
  opts.media->play(vm.leg, {greeting_of(opts.audio, c, vm.box), {"tone:beep", {}}});
}

void CallController::Impl::mailbox_full_acked(std::size_t, Call& c, TimePoint) {
  VoicemailCall& vm = *c.voicemail;
  vm.phase = VoicemailCall::Phase::kRefusing;
  opts.media->play(vm.leg, {{"voicemail_full", {}}});
}

void CallController::Impl::on_media_event(std::size_t shard, std::uint64_t key, MediaEvent event,
                                          TimePoint now) {
  Call* c = find(shard, key);
  if (c == nullptr || c->state == CallState::kEnding) {
    return;
  }
  if (c->vm_menu) {
    on_vm_menu_event(shard, *c, event, now);  // call_voicemail_menu.cpp: *97
    return;
  }
  if (!c->voicemail) {
    on_ivr_event(shard, *c, event, now);  // call_media.cpp: a menu, a relay
    return;
  }
  VoicemailCall& vm = *c->voicemail;
  if (std::holds_alternative<media::NoRtp>(event)) {
    spdlog::warn("call event=no_rtp call={}", c->id);
    end_answered(shard, *c, "no_rtp", now);
  } else if (std::holds_alternative<media::PlaybackDone>(event)) {
    if (vm.phase == VoicemailCall::Phase::kGreeting) {
      vm.phase = VoicemailCall::Phase::kRecording;
      opts.media->record(vm.leg, opts.voicemail_recording);
    } else if (vm.phase == VoicemailCall::Phase::kGoodbye) {
      end_answered(shard, *c, "voicemail_done", now);
    } else if (vm.phase == VoicemailCall::Phase::kRefusing) {
      end_answered(shard, *c, "mailbox_full", now);
    }
  } else if (const auto* done = std::get_if<media::RecordingDone>(&event)) {
    if (vm.phase == VoicemailCall::Phase::kRecording) {
      spdlog::info("call event=voicemail_recorded call={} ms={} kept={}", c->id,
                   done->duration.count(), !done->too_short);
      vm.phase = VoicemailCall::Phase::kGoodbye;
      opts.media->play(vm.leg, {{"goodbye", {}}});
    }
  }
  // Digits: '#' ends the recording inside the session; others have no meaning here.
}

void CallController::Impl::close_voicemail(Call& c) {
  if (!c.voicemail || opts.media == nullptr) {
    return;
  }
  if (c.voicemail->phase == VoicemailCall::Phase::kRecording) {
    opts.media->stop_recording(c.voicemail->leg);  // the caller hung up: keep the message
  }
  opts.media->close(c.voicemail->leg);
  c.voicemail->leg = 0;
}

}  // namespace cohort::pbx
