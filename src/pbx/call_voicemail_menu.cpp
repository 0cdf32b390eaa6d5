// The voicemail menu a user reaches by dialling *97 (issue 13, docs/media.md "Voicemail from
// the phone"): Cohort answers the call itself (answer_caller), and routing/voicemail_menu.hpp
// says what to play and do at each key. Here its actions are carried out: prompts through
// MediaLegs, messages read from their files on the media thread, the disk work (listing,
// marking heard, deleting, storing a greeting) on VoicemailAccess's thread, whose answers
// come back to the call's shard as events of the menu.
//
// Who may open what: the caller is an authenticated user (*97 from anything else is routed
// as a number), and is offered its own mailbox and those of the groups it is a member of —
// the same mailboxes the API lets an agent read (docs/api.md "Voicemail").

#include <algorithm>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "audio/audio_catalog.hpp"
#include "audio/speech.hpp"
#include "common/log.hpp"
#include "pbx/call_state.hpp"
#include "pbx/voicemail_access.hpp"

namespace cohort::pbx {

namespace {

using routing::Phrase;

std::string_view phase_name(routing::VmPhase p) {
  switch (p) {
    case routing::VmPhase::kChoose:
      return "choose";
    case routing::VmPhase::kBoxMenu:
      return "box_menu";
    case routing::VmPhase::kLoading:
      return "loading";
    case routing::VmPhase::kMessage:
      return "message";
    case routing::VmPhase::kAfterMessage:
      return "after_message";
    case routing::VmPhase::kDeleting:
      return "deleting";
    case routing::VmPhase::kRecordIntro:
      return "record_intro";
    case routing::VmPhase::kRecording:
      return "recording";
    case routing::VmPhase::kReview:
      return "review";
    case routing::VmPhase::kSaving:
      return "saving";
    case routing::VmPhase::kBye:
      return "bye";
    case routing::VmPhase::kDone:
      return "done";
  }
  return "?";
}

const store::VoicemailRecord* record_of(const VmMenuCall& m, std::int64_t id) {
  const auto it = std::find_if(m.records.begin(), m.records.end(),
                               [id](const store::VoicemailRecord& r) { return r.id == id; });
  return it == m.records.end() ? nullptr : &*it;
}

}  // namespace

void CallController::Impl::enter_vm_menu(std::size_t shard, Call& c, const model::User& user,
                                         TimePoint now) {
  if (opts.voicemail_access == nullptr || opts.media == nullptr) {
    fail_call(shard, c, 480, "Temporarily Unavailable: voicemail is not running",
              Disposition::kVoicemailUnavailable, now);
    return;
  }
  // Its own mailbox first, then its groups' by name (keys 2–9).
  std::vector<routing::VmBox> boxes;
  const auto box_of = [&](model::DestVoicemail::Box kind, std::int64_t id, std::string name) {
    const MailboxSummary s = opts.voicemail_access->summary({kind, id});
    boxes.push_back({{kind, id}, std::move(name), s.total, s.unheard});
  };
  box_of(model::DestVoicemail::Box::kUser, user.id, "");
  std::vector<const model::Group*> groups;
  for (const model::UserMembership& m : c.snap->groups_of(user.id)) {
    if (const model::Group* g = c.snap->group(m.group)) {
      groups.push_back(g);
    }
  }
  std::sort(groups.begin(), groups.end(), [](const model::Group* a, const model::Group* b) {
    return a->name != b->name ? a->name < b->name : a->id < b->id;
  });
  for (const model::Group* g : groups) {
    box_of(model::DestVoicemail::Box::kGroup, g->id, g->name);
  }
  c.vm_menu.emplace();
  c.vm_menu->user = user.id;
  if (!answer_caller(shard, c, now, /*early=*/false)) {
    c.vm_menu.reset();
    fail_call(shard, c, 480, "Temporarily Unavailable: the call cannot be answered",
              Disposition::kVoicemailUnavailable, now);
    return;
  }
  c.state = CallState::kAnswered;
  c.cdr.answer_ms = core.now_ms();
  c.cdr.sip_status = 200;
  spdlog::info("call event=voicemail_menu call={} user={} mailboxes={}", c.id, user.id,
               boxes.size());
  run_vm_menu(shard, c, routing::vm_start(std::move(boxes)), now);
}

void CallController::Impl::run_vm_menu(std::size_t shard, Call& c, routing::VmStep step,
                                       TimePoint now) {
  VmMenuCall& m = *c.vm_menu;
  if (m.state.phase != step.state.phase) {
    spdlog::debug("call event=voicemail_menu_phase call={} phase={}", c.id,
                  phase_name(step.state.phase));
  }
  m.state = std::move(step.state);
  if (!c.media->started) {
    // The caller has not ACKed our 200 yet: the first prompt waits for it (caller_acked).
    for (routing::VmAction& a : step.actions) {
      m.pending.push_back(std::move(a));
    }
    return;
  }
  const std::uint64_t leg = c.media->leg;
  const std::uint64_t key = c.key;
  for (const routing::VmAction& action : step.actions) {
    if (const auto* say = std::get_if<routing::Say>(&action)) {
      m.deadline.reset();
      opts.media->play(leg, vm_phrases(c, *say));
    } else if (std::holds_alternative<routing::StopSaying>(action)) {
      opts.media->stop_playing(leg);
    } else if (const auto* wait = std::get_if<routing::WaitForKey>(&action)) {
      const std::int64_t in_ms = std::max<std::int64_t>(0, wait->deadline_ms - core.now_ms());
      m.deadline = now + std::chrono::milliseconds(in_ms);
      core.arm(shard, key, *m.deadline);
    } else if (const auto* load = std::get_if<routing::LoadMessages>(&action)) {
      opts.voicemail_access->messages(
          {load->box.box, load->box.id},
          [this, shard, key](Result<std::vector<store::VoicemailRecord>> found) {
            // On the access thread: the records go to the call with the event.
            core.post(shard, [this, shard, key, found = std::move(found)](TimePoint at) mutable {
              Call* call = find(shard, key);
              if (call == nullptr || !call->vm_menu || call->state == CallState::kEnding) {
                return;
              }
              routing::MessagesLoaded loaded;
              loaded.ok = found.has_value();
              loaded.now_ms = core.now_ms();
              if (found) {
                call->vm_menu->records = std::move(*found);
                for (const store::VoicemailRecord& r : call->vm_menu->records) {
                  loaded.messages.push_back({r.id, r.caller, r.started_at_ms, r.heard});
                }
              }
              run_vm_menu(shard, *call, routing::vm_next(call->vm_menu->state, loaded), at);
            });
          });
    } else if (const auto* heard = std::get_if<routing::MarkHeard>(&action)) {
      if (const store::VoicemailRecord* r = record_of(m, heard->id)) {
        opts.voicemail_access->set_heard(*r);
      }
    } else if (const auto* del = std::get_if<routing::DeleteMessage>(&action)) {
      const store::VoicemailRecord* r = record_of(m, del->id);
      if (r == nullptr) {
        vm_menu_post(shard, key, routing::StoreDone{false, core.now_ms()});
        continue;
      }
      spdlog::info("call event=voicemail_menu_delete call={} message={}", c.id, r->id);
      opts.voicemail_access->remove(*r, [this, shard, key](bool ok) {
        vm_menu_post(shard, key, routing::StoreDone{ok, 0});
      });
    } else if (std::holds_alternative<routing::RecordGreeting>(action)) {
      m.recorded.reset();
      opts.media->record(leg, opts.voicemail_recording);
    } else if (const auto* save = std::get_if<routing::SaveGreeting>(&action)) {
      if (!m.recorded) {
        vm_menu_post(shard, key, routing::StoreDone{false, 0});
        continue;
      }
      spdlog::info("call event=voicemail_menu_greeting call={} box={} id={}", c.id,
                   save->box.box == model::DestVoicemail::Box::kUser ? "user" : "group",
                   save->box.id);
      opts.voicemail_access->save_greeting({save->box.box, save->box.id}, m.recorded->pcm,
                                           m.recorded->sample_rate, [this, shard, key](bool ok) {
                                             vm_menu_post(shard, key, routing::StoreDone{ok, 0});
                                           });
    } else if (std::holds_alternative<routing::Leave>(action)) {
      end_answered(shard, c, "voicemail_menu_done", now);
      return;  // the call is ending: nothing after this
    }
  }
}

void CallController::Impl::vm_menu_post(std::size_t shard, std::uint64_t key,
                                        routing::VmEvent event) {
  core.post(shard, [this, shard, key, event = std::move(event)](TimePoint at) mutable {
    Call* call = find(shard, key);
    if (call == nullptr || !call->vm_menu || call->state == CallState::kEnding) {
      return;
    }
    // The time of the event is the shard's, not that of the thread that answered.
    std::visit([&](auto& e) { e.now_ms = core.now_ms(); }, event);
    run_vm_menu(shard, *call, routing::vm_next(call->vm_menu->state, event), at);
  });
}

void CallController::Impl::on_vm_menu_event(std::size_t shard, Call& c, MediaEvent& event,
                                            TimePoint now) {
  if (std::holds_alternative<media::NoRtp>(event)) {
    spdlog::warn("call event=no_rtp call={}", c.id);
    end_answered(shard, c, "no_rtp", now);
    return;
  }
  VmMenuCall& m = *c.vm_menu;
  routing::VmEvent in;
  if (const auto* d = std::get_if<media::Digit>(&event)) {
    in = routing::VmKey{d->digit, core.now_ms()};
  } else if (std::holds_alternative<media::PlaybackDone>(event)) {
    in = routing::VmPromptEnded{core.now_ms()};
  } else if (auto* done = std::get_if<media::RecordingDone>(&event)) {
    const bool usable = !done->too_short && !done->pcm.empty();
    if (usable) {
      m.recorded = std::make_shared<const media::PromptAudio>(
          media::PromptAudio{std::move(done->pcm), done->sample_rate});
      ++m.takes;
    }
    spdlog::info("call event=voicemail_menu_recorded call={} ms={} kept={}", c.id,
                 done->duration.count(), usable);
    in = routing::RecordingEnded{!usable, core.now_ms()};
  } else {
    return;
  }
  run_vm_menu(shard, c, routing::vm_next(m.state, in), now);
}

bool CallController::Impl::vm_menu_due(const Call& c, TimePoint now) const {
  return c.vm_menu && c.vm_menu->deadline && now >= *c.vm_menu->deadline;
}

std::vector<PromptSource> CallController::Impl::vm_phrases(const Call& c,
                                                           const routing::Say& say) const {
  const VmMenuCall& m = *c.vm_menu;
  std::vector<PromptSource> out;
  for (const Phrase& p : say.phrases) {
    switch (p.kind) {
      case Phrase::Kind::kPrompt:
        out.push_back({p.text, {}});
        break;
      case Phrase::Kind::kNumber:
        for (PromptSource& n : number_prompt(static_cast<int>(p.value))) {
          out.push_back(std::move(n));
        }
        break;
      case Phrase::Kind::kDigits: {
        int said = 0;
        for (const char ch : p.text) {
          if (ch >= '0' && ch <= '9' && said++ < 20) {
            out.push_back({fmt::format("n{}", ch), {}});
          }
        }
        break;
      }
      case Phrase::Kind::kBoxName: {
        const auto i = static_cast<std::size_t>(p.value);
        const std::string& name = i < m.state.boxes.size() ? m.state.boxes[i].name : "";
        if (name.empty()) {
          out.push_back({"vm_your_mailbox", {}});
        } else if (opts.audio != nullptr) {
          // A group's name is spoken (cached by its text, as a default greeting's words).
          audio::Speech* speech = &opts.audio->speech();
          out.push_back({audio::Speech::key_of(name), [speech, name] {
                           auto said = speech->say(name);
                           return said ? std::optional<media::PromptAudio>(**said) : std::nullopt;
                         }});
        }
        break;
      }
      case Phrase::Kind::kMessage:
        if (const store::VoicemailRecord* r = record_of(m, p.value)) {
          // Read from its file on the media thread, for this play only.
          out.push_back({fmt::format("voicemail:{}", r->id),
                         [path = opts.voicemail_access->path_of(*r)] {
                           auto message = read_voicemail(path);
                           return message ? std::optional<media::PromptAudio>(media::PromptAudio{
                                                std::move(message->pcm), message->sample_rate})
                                          : std::nullopt;
                         },
                         /*cache=*/false});
        }
        break;
      case Phrase::Kind::kRecorded:
        if (m.recorded) {
          out.push_back({fmt::format("recorded:{}:{}", c.id, m.takes),
                         [audio = m.recorded] { return std::optional(*audio); },
                         /*cache=*/false});
        }
        break;
      case Phrase::Kind::kBeep:
        out.push_back({"tone:beep", {}});
        break;
    }
  }
  return out;
}

}  // namespace cohort::pbx
