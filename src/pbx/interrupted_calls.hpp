#pragma once
// Answered calls cut by a crash (issue 11). Their records kept both legs' dialogs
// (store::LegDialog), so when one phone sends a request of such a call after the restart —
// a BYE, a re-INVITE or UPDATE refreshing the session, anything — the request is answered
// (200 to a BYE, 481 to the rest: the call no longer exists here, RFC 5057 §5.1) and the
// other leg is sent a BYE, so neither phone stays in a call nobody relays any more.
//
// Share-nothing (STYLE practice 8): the dialogs are split at start-up into one map per
// shard, by the shard their Call-ID hashes to, and each map is only touched on its shard's
// thread. The two legs of a call normally hash to the same shard (B-leg Call-IDs are minted
// so); when the shard count changed across the restart they may not, and the `ended` flag
// (the one value both shards may touch) keeps the second leg's request from ending the
// call twice.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "pbx/calls.hpp"
#include "store/repository.hpp"

namespace cohort::pbx {

class InterruptedCalls {
 public:
  /// How far the sequence number of a BYE after a restart jumps past the one recorded at the
  /// answer: requests sent on the leg later in the call were not recorded, and a peer
  /// refuses a CSeq that does not grow (RFC 3261 §12.2.2); a gap is allowed.
  static constexpr std::uint32_t kCSeqJump = 1000;

  InterruptedCalls(SipCore& core, std::size_t shards,
                   std::function<std::size_t(std::string_view call_id)> shard_of);

  /// Start-up, before the shards run: the interrupted records that still hold dialogs.
  void load(std::vector<store::CdrRecord> records);
  /// A request within a dialog that no live call owns (`txn` 0 for an ACK). True when it
  /// belonged to an interrupted call and was dealt with; false: answer 481 as usual.
  bool on_request(std::size_t shard, TxnId txn, const sip::Message& request, TimePoint now);
  /// Dialogs still waiting on `shard` (tests, metrics).
  std::size_t pending(std::size_t shard) const { return shards_[shard].size(); }

 private:
  struct Call {
    store::CdrRecord record;
    std::atomic<bool> ended{false};
  };
  struct Entry {
    std::shared_ptr<Call> call;
    std::size_t leg = 0;  ///< index in record.dialogs
  };
  using Map = std::unordered_map<std::string, Entry>;  ///< Call-ID + '\x1f' + local tag

  void bye(std::size_t shard, const store::LegDialog& leg, TimePoint now);

  SipCore& core_;
  std::function<std::size_t(std::string_view)> shard_of_;
  std::vector<Map> shards_;
};

}  // namespace cohort::pbx
