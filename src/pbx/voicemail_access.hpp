#pragma once
// What the *97 voicemail menu (call_voicemail_menu.cpp) asks of the disk: a mailbox's
// messages, marking one heard, deleting one, storing a greeting recorded from the phone.
// Each runs on a thread of its own, in the order asked, so that no SIP shard or media thread
// waits for SQLite or an fsync; its answer goes to a callback on that thread, which posts it
// back to the call's shard.
//
// Threading: every method may be called from any thread; callbacks run on the access thread.

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "common/errc.hpp"
#include "pbx/mailboxes.hpp"
#include "store/repository.hpp"

namespace cohort::audio {
class AudioCatalog;
}  // namespace cohort::audio

namespace cohort::pbx {

class VoicemailAccess {
 public:
  /// `mailboxes` and `audio` (null: greetings cannot be stored) must outlive this.
  VoicemailAccess(Mailboxes& mailboxes, const audio::AudioCatalog* audio);
  ~VoicemailAccess();
  VoicemailAccess(const VoicemailAccess&) = delete;
  VoicemailAccess& operator=(const VoicemailAccess&) = delete;

  void start();
  /// Runs what is queued, then stops. Idempotent.
  void stop();

  MailboxSummary summary(const store::MailboxKey& box) const { return mailboxes_.summary(box); }
  std::string path_of(const store::VoicemailRecord& r) const { return mailboxes_.path_of(r); }

  void messages(store::MailboxKey box,
                std::function<void(Result<std::vector<store::VoicemailRecord>>)> done);
  void set_heard(store::VoicemailRecord r);
  void remove(store::VoicemailRecord r, std::function<void(bool ok)> done);
  /// Stores `pcm` as `box`'s greeting (audio::AudioStore::put, converted as an upload is).
  void save_greeting(store::MailboxKey box, std::vector<std::int16_t> pcm,
                     std::uint32_t sample_rate, std::function<void(bool ok)> done);

 private:
  void post(std::function<void()> job);
  void run();

  Mailboxes& mailboxes_;
  const audio::AudioCatalog* audio_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> jobs_;  ///< under mu_
  bool stopping_ = false;                   ///< under mu_
  std::thread thread_;
};

}  // namespace cohort::pbx
