// The voicemail message index in the store (issue 13): the shared repository suite's cases
// (every backend) — add, list by mailbox with a cursor, heard, delete, counts, the call
// record's voicemail_id — and the group fields of the same migration.

#include <gtest/gtest.h>

#include "unit/store/repository_suite.hpp"

namespace cohort::store::testing {
namespace {

constexpr std::int64_t kMs0 = 1'700'000'000'000;
using Box = model::DestVoicemail::Box;

VoicemailRecord make_message(Box box, std::int64_t box_id, const std::string& name,
                             std::int64_t started_at_ms, std::int64_t duration_ms = 4'000) {
  VoicemailRecord r;
  r.box = {box, box_id};
  r.file = std::string(box == Box::kUser ? "user-" : "group-") + std::to_string(box_id) + "/" +
           name + ".wav";
  r.call_id = "call-" + name;
  r.caller = "+4930123";
  r.caller_name = "Outside Caller";
  r.called = "15550100";
  r.group = box == Box::kGroup ? std::optional<model::GroupId>(box_id) : std::nullopt;
  r.started_at_ms = started_at_ms;
  r.duration_ms = duration_ms;
  r.sample_rate = 8000;
  return r;
}

std::vector<std::int64_t> ids_of(const std::vector<VoicemailRecord>& records) {
  std::vector<std::int64_t> out;
  for (const VoicemailRecord& r : records) {
    out.push_back(r.id);
  }
  return out;
}

TEST_P(RepositorySuite, VoicemailsAreListedNewestFirstByMailboxWithACursor) {
  VoicemailStore& vm = store_->voicemails();
  std::vector<std::int64_t> group3, user7;
  for (int i = 0; i < 5; ++i) {
    auto id = vm.add_voicemail(make_message(Box::kGroup, 3, "g" + std::to_string(i), kMs0 + i));
    ASSERT_TRUE(id) << id.error().message;
    group3.push_back(*id);
    auto uid = vm.add_voicemail(make_message(Box::kUser, 7, "u" + std::to_string(i), kMs0 + i));
    ASSERT_TRUE(uid) << uid.error().message;
    user7.push_back(*uid);
  }
  // A user 3's mailbox is not group 3's.
  ASSERT_TRUE(vm.add_voicemail(make_message(Box::kUser, 3, "other", kMs0)));

  VoicemailQuery q;
  q.boxes = {{Box::kGroup, 3}};
  q.limit = 3;
  auto page1 = vm.query_voicemails(q);
  ASSERT_TRUE(page1) << page1.error().message;
  EXPECT_EQ(ids_of(*page1), (std::vector<std::int64_t>{group3[4], group3[3], group3[2]}));
  q.before_id = page1->back().id;
  auto page2 = vm.query_voicemails(q);
  ASSERT_TRUE(page2);
  EXPECT_EQ(ids_of(*page2), (std::vector<std::int64_t>{group3[1], group3[0]}));

  // Two mailboxes at once; every field comes back as written.
  q = {};
  q.boxes = {{Box::kGroup, 3}, {Box::kUser, 7}};
  auto both = vm.query_voicemails(q);
  ASSERT_TRUE(both);
  EXPECT_EQ(both->size(), 10u);
  VoicemailRecord expected = make_message(Box::kUser, 7, "u4", kMs0 + 4);
  expected.id = user7[4];
  EXPECT_EQ(both->front(), expected);
  auto all = vm.query_voicemails({});
  ASSERT_TRUE(all);
  EXPECT_EQ(all->size(), 11u);

  auto one = vm.voicemail(group3[1]);
  ASSERT_TRUE(one && *one);
  EXPECT_EQ((*one)->file, "group-3/g1.wav");
  auto none = vm.voicemail(9999);
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->has_value());

  // The same file twice is a conflict, and changes nothing.
  auto again = vm.add_voicemail(make_message(Box::kGroup, 3, "g0", kMs0));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, Errc::kConflict);
  EXPECT_EQ(vm.query_voicemails({})->size(), 11u);
}

TEST_P(RepositorySuite, VoicemailHeardDeleteAndCountsSurviveReopen) {
  VoicemailStore& vm = store_->voicemails();
  auto a = vm.add_voicemail(make_message(Box::kUser, 7, "a", kMs0, 4'000));
  auto b = vm.add_voicemail(make_message(Box::kUser, 7, "b", kMs0 + 1, 6'500));
  auto c = vm.add_voicemail(make_message(Box::kGroup, 2, "c", kMs0 + 2, 1'000));
  ASSERT_TRUE(a && b && c);

  auto counts = vm.mailbox_counts(std::nullopt);
  ASSERT_TRUE(counts) << counts.error().message;
  EXPECT_EQ(*counts, (std::vector<MailboxCounts>{{{Box::kGroup, 2}, 1, 1, 1'000},
                                                 {{Box::kUser, 7}, 2, 2, 10'500}}));

  auto marked = vm.set_heard(*a, true);
  ASSERT_TRUE(marked && *marked);
  auto missing = vm.set_heard(9999, true);
  ASSERT_TRUE(missing);
  EXPECT_FALSE(*missing);
  auto user7 = vm.mailbox_counts(MailboxKey{Box::kUser, 7});
  ASSERT_TRUE(user7);
  EXPECT_EQ(*user7, (std::vector<MailboxCounts>{{{Box::kUser, 7}, 2, 1, 10'500}}));

  VoicemailQuery unheard;
  unheard.boxes = {{Box::kUser, 7}};
  unheard.heard = false;
  EXPECT_EQ(ids_of(*vm.query_voicemails(unheard)), (std::vector<std::int64_t>{*b}));
  unheard.heard = true;
  EXPECT_EQ(ids_of(*vm.query_voicemails(unheard)), (std::vector<std::int64_t>{*a}));

  auto removed = vm.remove_voicemail(*b);
  ASSERT_TRUE(removed && *removed);
  removed = vm.remove_voicemail(*b);
  ASSERT_TRUE(removed);
  EXPECT_FALSE(*removed);

  reopen();
  VoicemailStore& again = store_->voicemails();
  auto files = again.voicemail_files();
  ASSERT_TRUE(files);
  EXPECT_EQ(*files, (std::vector<std::pair<std::int64_t, std::string>>{{*a, "user-7/a.wav"},
                                                                       {*c, "group-2/c.wav"}}));
  auto after = again.voicemail(*a);
  ASSERT_TRUE(after && *after);
  EXPECT_TRUE((*after)->heard);
  auto empty = again.mailbox_counts(MailboxKey{Box::kUser, 99});
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->empty());
}

TEST_P(RepositorySuite, AddingAMessageNamesItInItsCallRecordAndTheCallsEndKeepsIt) {
  CdrRecord r;
  r.id = "call-m";
  r.a_leg_call_id = "a-m@10.0.0.5";
  r.caller = "+4930123";
  r.dialled = "15550100";
  r.direction = model::CallDirection::kInbound;
  r.start_ms = kMs0;
  r.answer_ms = kMs0 + 100;
  ASSERT_TRUE(store_->cdrs().save_cdrs({r}));  // the record written at the answer

  VoicemailRecord m = make_message(Box::kGroup, 3, "m", kMs0 + 5'000);
  m.call_id = "call-m";
  auto id = store_->voicemails().add_voicemail(m);
  ASSERT_TRUE(id) << id.error().message;
  auto read = store_->cdrs().query_cdrs({});
  ASSERT_TRUE(read && read->size() == 1u);
  EXPECT_EQ(read->front().voicemail_id, *id);

  // The call's end is written from the call's own record, which never learnt the id.
  r.end_ms = kMs0 + 20'000;
  r.disposition = model::Disposition::kVoicemail;
  r.hangup_cause = "caller_bye";
  ASSERT_FALSE(r.voicemail_id.has_value());
  ASSERT_TRUE(store_->cdrs().save_cdrs({r}));
  read = store_->cdrs().query_cdrs({});
  ASSERT_TRUE(read && read->size() == 1u);
  EXPECT_EQ(read->front().voicemail_id, *id);
  EXPECT_EQ(read->front().disposition, model::Disposition::kVoicemail);

  // A message whose call has no record (yet) is still indexed.
  VoicemailRecord orphan = make_message(Box::kGroup, 3, "orphan", kMs0);
  orphan.call_id = "call-unknown";
  EXPECT_TRUE(store_->voicemails().add_voicemail(orphan));
}

TEST_P(RepositorySuite, GroupWaitingFieldsRoundTrip) {
  auto plain = create_group(make_group("Queue", "610"));
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->waiting_mode, model::WaitingMode::kRingback);
  EXPECT_EQ(plain->announce_position_every_s, 0);
  model::Group changed = *plain;
  changed.waiting_mode = model::WaitingMode::kEarlyMedia;
  changed.announce_position_every_s = 45;
  auto updated = in_tx([&](Transaction& tx) { return tx.groups().update(changed); });
  ASSERT_TRUE(updated) << updated.error().message;
  changed.updated_at = updated->updated_at;
  EXPECT_EQ(*updated, changed);
  model::Group created = changed;
  created.name = "Answered queue";
  created.extension = "611";
  created.waiting_mode = model::WaitingMode::kAnswer;
  auto second = create_group(created);
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_EQ(second->waiting_mode, model::WaitingMode::kAnswer);
  EXPECT_EQ(second->announce_position_every_s, 45);
  reopen();
  EXPECT_EQ(*snap()->group(plain->id), changed);
  EXPECT_EQ(*snap()->group(second->id), *second);
}

}  // namespace
}  // namespace cohort::store::testing
