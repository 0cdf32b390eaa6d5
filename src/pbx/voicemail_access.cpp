// The voicemail menu's disk work on a thread of its own (voicemail_access.hpp).

#include "pbx/voicemail_access.hpp"

#include <utility>

#include <spdlog/spdlog.h>

#include "audio/audio_catalog.hpp"
#include "audio/audio_store.hpp"
#include "common/log.hpp"
#include "media/wav.hpp"

namespace cohort::pbx {

VoicemailAccess::VoicemailAccess(Mailboxes& mailboxes, const audio::AudioCatalog* audio)
    : mailboxes_(mailboxes), audio_(audio) {}

VoicemailAccess::~VoicemailAccess() {
  stop();
}

void VoicemailAccess::start() {
  std::lock_guard lock(mu_);
  if (!thread_.joinable() && !stopping_) {
    thread_ = std::thread([this] { run(); });
  }
}

void VoicemailAccess::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) {
    thread_.join();
  }
}

void VoicemailAccess::post(std::function<void()> job) {
  {
    std::lock_guard lock(mu_);
    if (stopping_ || !thread_.joinable()) {
      return;  // stopped: the calls asking are being torn down too
    }
    jobs_.push_back(std::move(job));
  }
  wake_.notify_one();
}

void VoicemailAccess::run() {
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock lock(mu_);
      wake_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      if (jobs_.empty()) {
        return;  // stopping, and nothing left
      }
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    job();
  }
}

void VoicemailAccess::messages(
    store::MailboxKey box, std::function<void(Result<std::vector<store::VoicemailRecord>>)> done) {
  post([this, box, done = std::move(done)] { done(mailboxes_.messages(box)); });
}

void VoicemailAccess::set_heard(store::VoicemailRecord r) {
  post([this, r = std::move(r)] {
    if (auto ok = mailboxes_.set_heard(r); !ok) {
      spdlog::error("voicemail event=mark_heard_failed id={} error={}", r.id,
                    log::Value{ok.error().message});
    }
  });
}

void VoicemailAccess::remove(store::VoicemailRecord r, std::function<void(bool)> done) {
  post([this, r = std::move(r), done = std::move(done)] {
    auto ok = mailboxes_.remove(r);
    if (!ok) {
      spdlog::error("voicemail event=delete_failed id={} error={}", r.id,
                    log::Value{ok.error().message});
    } else {
      spdlog::info("voicemail event=deleted id={} by=phone", r.id);
    }
    done(ok.has_value());
  });
}

void VoicemailAccess::save_greeting(store::MailboxKey box, std::vector<std::int16_t> pcm,
                                    std::uint32_t sample_rate, std::function<void(bool)> done) {
  post([this, box, pcm = std::move(pcm), sample_rate, done = std::move(done)] {
    if (audio_ == nullptr) {
      done(false);
      return;
    }
    const auto owner =
        box.box == model::DestVoicemail::Box::kUser ? audio::Owner::kUser : audio::Owner::kGroup;
    const std::vector<std::uint8_t> wav = media::write_wav(pcm, sample_rate);
    auto put = audio_->store().put(owner, box.id, audio::Kind::kGreeting, wav);
    if (!put) {
      spdlog::error("voicemail event=greeting_save_failed owner={} id={} error={}",
                    audio::to_string(owner), box.id, log::Value{put.error().message});
    } else {
      spdlog::info("voicemail event=greeting_saved owner={} id={} ms={} by=phone",
                   audio::to_string(owner), box.id, put->duration_ms);
    }
    done(put.has_value());
  });
}

}  // namespace cohort::pbx
