// Call records (CdrStore): written in batches by the writer, read back at start-up and
// queried by the API on the reader connection.

#include <nlohmann/json.hpp>

#include <SQLiteCpp/Exception.h>
#include <SQLiteCpp/Statement.h>
#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/sqlite/rows.hpp"
#include "store/sqlite/sqlite_store_impl.hpp"

namespace cohort::store::sqlite::detail {
namespace {

constexpr std::string_view kUpsertCdr =
    "INSERT INTO cdrs(id, a_leg_call_id, b_leg_call_id, direction, caller_user, callee_user, "
    "caller, dialled, number_sent, caller_id, caller_id_group, trunk_id, rule_id, start_ms, "
    "ringing_ms, answer_ms, end_ms, disposition, hangup_cause, sip_status, inbound_route_id, "
    "did, group_id, answered_by, wait_ms, talk_ms, fallback_reason, fallback_to, attempts, "
    "dialogs, transferred_by, transferred_from, transferred_to, forwarded_from, forward_reason, "
    "voicemail_id, ivr_keys, ivr_option, ivr_ms, queue_ms) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, "
    "?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30, ?31, ?32, ?33, ?34, ?35, ?36, "
    "?37, ?38, ?39, ?40) "
    // DO UPDATE rewrites the row in place and so keeps its seq; INSERT OR REPLACE would
    // delete it and hand out a new seq, moving the call in every cursor's order.
    "ON CONFLICT(id) DO UPDATE SET a_leg_call_id = excluded.a_leg_call_id, "
    "b_leg_call_id = excluded.b_leg_call_id, direction = excluded.direction, "
    "caller_user = excluded.caller_user, callee_user = excluded.callee_user, "
    "caller = excluded.caller, dialled = excluded.dialled, number_sent = excluded.number_sent, "
    "caller_id = excluded.caller_id, caller_id_group = excluded.caller_id_group, "
    "trunk_id = excluded.trunk_id, rule_id = excluded.rule_id, start_ms = excluded.start_ms, "
    "ringing_ms = excluded.ringing_ms, answer_ms = excluded.answer_ms, end_ms = excluded.end_ms, "
    "disposition = excluded.disposition, hangup_cause = excluded.hangup_cause, "
    "sip_status = excluded.sip_status, inbound_route_id = excluded.inbound_route_id, "
    "did = excluded.did, group_id = excluded.group_id, answered_by = excluded.answered_by, "
    "wait_ms = excluded.wait_ms, talk_ms = excluded.talk_ms, "
    "fallback_reason = excluded.fallback_reason, fallback_to = excluded.fallback_to, "
    "attempts = excluded.attempts, dialogs = excluded.dialogs, "
    "transferred_by = excluded.transferred_by, transferred_from = excluded.transferred_from, "
    "transferred_to = excluded.transferred_to, "
    "forwarded_from = excluded.forwarded_from, forward_reason = excluded.forward_reason, "
    "ivr_keys = excluded.ivr_keys, ivr_option = excluded.ivr_option, ivr_ms = excluded.ivr_ms, "
    "queue_ms = excluded.queue_ms, "
    // The message id is set by the voicemail index (sqlite_voicemail.cpp) between the
    // answer's write and the end's; the call's own record does not know it and must not
    // clear it.
    "voicemail_id = COALESCE(excluded.voicemail_id, cdrs.voicemail_id)";
constexpr std::string_view kCloseInterrupted =
    "UPDATE cdrs SET disposition = 'interrupted', end_ms = ?1 WHERE end_ms = 0";
constexpr std::string_view kSelectInterruptedDialogs =
    " WHERE dialogs != '' AND end_ms > 0 AND end_ms >= ?1 AND disposition = 'interrupted' "
    "ORDER BY seq";
constexpr std::string_view kSelectCdrs =
    "SELECT seq, id, a_leg_call_id, b_leg_call_id, direction, caller_user, callee_user, caller, "
    "dialled, number_sent, caller_id, caller_id_group, trunk_id, rule_id, start_ms, ringing_ms, "
    "answer_ms, end_ms, disposition, hangup_cause, sip_status, inbound_route_id, did, group_id, "
    "answered_by, wait_ms, talk_ms, fallback_reason, fallback_to, attempts, dialogs, "
    "transferred_by, transferred_from, transferred_to, "
    "forwarded_from, forward_reason, voicemail_id, ivr_keys, ivr_option, ivr_ms, queue_ms FROM "
    "cdrs";

// A call record's enums are stored as their words (model/call_record.hpp), none as ''.
template <class E>
std::string word_or_empty(const std::optional<E>& value) {
  return value ? std::string(model::to_string(*value)) : std::string();
}

/// The value of the word stored in `column` of cdrs row `seq`; another word is a corrupt
/// row.
template <class E>
E word_of(const std::string& text, std::optional<E> (*parse)(std::string_view),
          std::string_view column, std::int64_t seq) {
  if (std::optional<E> value = parse(text)) {
    return *value;
  }
  throw detail::CorruptRow(fmt::format("cdrs.{} of row {} is '{}'", column, seq, text));
}

/// As word_of, with '' for none.
template <class E>
std::optional<E> optional_word_of(const std::string& text,
                                  std::optional<E> (*parse)(std::string_view),
                                  std::string_view column, std::int64_t seq) {
  if (text.empty()) {
    return std::nullopt;
  }
  return word_of(text, parse, column, seq);
}

std::string attempts_text(const std::vector<CdrRecord::Attempt>& attempts) {
  auto out = nlohmann::json::array();
  for (const CdrRecord::Attempt& a : attempts) {
    nlohmann::json item = {{"user", a.user},
                           {"group", nullptr},
                           {"start_ms", a.start_ms},
                           {"end_ms", a.end_ms},
                           {"result", word_or_empty(a.result)}};
    if (a.group) {
      item["group"] = *a.group;
    }
    out.push_back(std::move(item));
  }
  return out.dump();
}

std::string dialogs_text(const std::vector<LegDialog>& dialogs) {
  if (dialogs.empty()) {
    return {};
  }
  auto out = nlohmann::json::array();
  for (const LegDialog& d : dialogs) {
    out.push_back({{"call_id", d.call_id},
                   {"local_tag", d.local_tag},
                   {"remote_tag", d.remote_tag},
                   {"local_header", d.local_header},
                   {"remote_header", d.remote_header},
                   {"remote_target", d.remote_target},
                   {"route_set", d.route_set},
                   {"local_cseq", d.local_cseq},
                   {"transport", d.transport},
                   {"peer", d.peer}});
  }
  return out.dump();
}

std::vector<LegDialog> dialogs_of(const std::string& text, std::int64_t seq) {
  if (text.empty()) {
    return {};
  }
  auto json = nlohmann::json::parse(text, nullptr, false);
  if (!json.is_array()) {
    throw detail::CorruptRow(fmt::format("cdrs.dialogs of row {} is not a JSON array", seq));
  }
  std::vector<LegDialog> out;
  for (const auto& item : json) {
    auto text_of = [&](const char* key) {
      const auto& v = item.is_object() ? item.value(key, nlohmann::json()) : nlohmann::json();
      if (!v.is_string()) {
        throw detail::CorruptRow(
            fmt::format("cdrs.dialogs of row {} lacks the text field {}", seq, key));
      }
      return v.get<std::string>();
    };
    LegDialog d;
    d.call_id = text_of("call_id");
    d.local_tag = text_of("local_tag");
    d.remote_tag = text_of("remote_tag");
    d.local_header = text_of("local_header");
    d.remote_header = text_of("remote_header");
    d.remote_target = text_of("remote_target");
    d.transport = text_of("transport");
    d.peer = text_of("peer");
    const auto& routes = item.value("route_set", nlohmann::json());
    const auto& cseq = item.value("local_cseq", nlohmann::json());
    if (!routes.is_array() || !cseq.is_number_unsigned()) {
      throw detail::CorruptRow(fmt::format("cdrs.dialogs of row {} holds a bad dialog", seq));
    }
    for (const auto& r : routes) {
      if (!r.is_string()) {
        throw detail::CorruptRow(fmt::format("cdrs.dialogs of row {} holds a bad route", seq));
      }
      d.route_set.push_back(r.get<std::string>());
    }
    d.local_cseq = cseq.get<std::uint32_t>();
    out.push_back(std::move(d));
  }
  return out;
}

std::vector<CdrRecord::Attempt> attempts_of(const std::string& text, std::int64_t seq) {
  auto json = nlohmann::json::parse(text, nullptr, false);
  if (!json.is_array()) {
    throw detail::CorruptRow(fmt::format("cdrs.attempts of row {} is not a JSON array", seq));
  }
  std::vector<CdrRecord::Attempt> out;
  for (const auto& item : json) {
    if (!item.is_object() || !item.value("user", nlohmann::json()).is_number_integer() ||
        !item.value("start_ms", nlohmann::json()).is_number_integer() ||
        !item.value("end_ms", nlohmann::json()).is_number_integer() ||
        !item.value("result", nlohmann::json()).is_string()) {
      throw detail::CorruptRow(fmt::format("cdrs.attempts of row {} holds a bad attempt", seq));
    }
    CdrRecord::Attempt a;
    a.user = item["user"].get<model::UserId>();
    if (const auto& g = item.value("group", nlohmann::json()); g.is_number_integer()) {
      a.group = g.get<model::GroupId>();
    }
    a.start_ms = item["start_ms"].get<std::int64_t>();
    a.end_ms = item["end_ms"].get<std::int64_t>();
    a.result = optional_word_of(item["result"].get<std::string>(), model::parse_attempt_result,
                                "attempts[].result", seq);
    out.push_back(std::move(a));
  }
  return out;
}

void bind_optional_id(SQLite::Statement& s, int index, const std::optional<std::int64_t>& id) {
  if (id) {
    s.bind(index, *id);
  } else {
    s.bind(index);
  }
}

CdrRecord read_cdr(SQLite::Statement& s) {
  CdrRecord r;
  r.seq = s.getColumn(0).getInt64();
  r.id = s.getColumn(1).getString();
  r.a_leg_call_id = s.getColumn(2).getString();
  r.b_leg_call_id = s.getColumn(3).getString();
  r.direction =
      word_of(s.getColumn(4).getString(), model::parse_call_direction, "direction", r.seq);
  r.caller_user = optional_id(s.getColumn(5));
  r.callee_user = optional_id(s.getColumn(6));
  r.caller = s.getColumn(7).getString();
  r.dialled = s.getColumn(8).getString();
  r.number_sent = s.getColumn(9).getString();
  r.caller_id = s.getColumn(10).getString();
  r.caller_id_group = optional_id(s.getColumn(11));
  r.trunk = optional_id(s.getColumn(12));
  r.rule = optional_id(s.getColumn(13));
  r.start_ms = s.getColumn(14).getInt64();
  r.ringing_ms = s.getColumn(15).getInt64();
  r.answer_ms = s.getColumn(16).getInt64();
  r.end_ms = s.getColumn(17).getInt64();
  r.disposition =
      optional_word_of(s.getColumn(18).getString(), model::parse_disposition, "disposition", r.seq);
  r.hangup_cause = s.getColumn(19).getString();
  r.sip_status = s.getColumn(20).getInt();
  r.inbound_route = optional_id(s.getColumn(21));
  r.did = s.getColumn(22).getString();
  r.group = optional_id(s.getColumn(23));
  r.answered_by = optional_id(s.getColumn(24));
  r.wait_ms = s.getColumn(25).getInt64();
  r.talk_ms = s.getColumn(26).getInt64();
  r.fallback_reason = optional_word_of(s.getColumn(27).getString(), model::parse_fallback_reason,
                                       "fallback_reason", r.seq);
  r.fallback_to = s.getColumn(28).getString();
  r.attempts = attempts_of(s.getColumn(29).getString(), r.seq);
  r.dialogs = dialogs_of(s.getColumn(30).getString(), r.seq);
  r.transferred_by = optional_id(s.getColumn(31));
  r.transferred_from = s.getColumn(32).getString();
  r.transferred_to = s.getColumn(33).getString();
  r.forwarded_from = optional_id(s.getColumn(34));
  r.forward_reason = optional_word_of(s.getColumn(35).getString(), model::parse_forward_reason,
                                      "forward_reason", r.seq);
  r.voicemail_id = optional_id(s.getColumn(36));
  r.ivr_keys = s.getColumn(37).getString();
  r.ivr_option = s.getColumn(38).getString();
  r.ivr_ms = s.getColumn(39).getInt64();
  r.queue_ms = s.getColumn(40).getInt64();
  return r;
}

}  // namespace

Result<void> SqliteStore::save_cdrs(const std::vector<CdrRecord>& records) {
  if (records.empty()) {
    return {};
  }
  std::lock_guard lock(writer_mutex_);
  try {
    writer_->exec("BEGIN IMMEDIATE");
    for (const CdrRecord& r : records) {
      auto q = statements_.get(kUpsertCdr);
      q->bind(1, r.id);
      q->bind(2, r.a_leg_call_id);
      q->bind(3, r.b_leg_call_id);
      q->bind(4, std::string(model::to_string(r.direction)));
      bind_optional_id(*q, 5, r.caller_user);
      bind_optional_id(*q, 6, r.callee_user);
      q->bind(7, r.caller);
      q->bind(8, r.dialled);
      q->bind(9, r.number_sent);
      q->bind(10, r.caller_id);
      bind_optional_id(*q, 11, r.caller_id_group);
      bind_optional_id(*q, 12, r.trunk);
      bind_optional_id(*q, 13, r.rule);
      q->bind(14, r.start_ms);
      q->bind(15, r.ringing_ms);
      q->bind(16, r.answer_ms);
      q->bind(17, r.end_ms);
      q->bind(18, word_or_empty(r.disposition));
      q->bind(19, r.hangup_cause);
      q->bind(20, r.sip_status);
      bind_optional_id(*q, 21, r.inbound_route);
      q->bind(22, r.did);
      bind_optional_id(*q, 23, r.group);
      bind_optional_id(*q, 24, r.answered_by);
      q->bind(25, r.wait_ms);
      q->bind(26, r.talk_ms);
      q->bind(27, word_or_empty(r.fallback_reason));
      q->bind(28, r.fallback_to);
      q->bind(29, attempts_text(r.attempts));
      q->bind(30, dialogs_text(r.dialogs));
      bind_optional_id(*q, 31, r.transferred_by);
      q->bind(32, r.transferred_from);
      q->bind(33, r.transferred_to);
      bind_optional_id(*q, 34, r.forwarded_from);
      q->bind(35, word_or_empty(r.forward_reason));
      bind_optional_id(*q, 36, r.voicemail_id);
      q->bind(37, r.ivr_keys);
      q->bind(38, r.ivr_option);
      q->bind(39, r.ivr_ms);
      q->bind(40, r.queue_ms);
      q->exec();
    }
    writer_->exec("COMMIT");
  } catch (const SQLite::Exception& e) {
    rollback();
    return fail(map_error(e, "save cdrs", {}));
  }
  return {};
}

Result<std::size_t> SqliteStore::close_interrupted(std::int64_t now_ms) {
  std::lock_guard lock(writer_mutex_);
  try {
    auto q = statements_.get(kCloseInterrupted);
    q->bind(1, now_ms);
    return static_cast<std::size_t>(q->exec());
  } catch (const SQLite::Exception& e) {
    return fail(map_error(e, "close interrupted cdrs", {}));
  }
}

Result<std::vector<CdrRecord>> SqliteStore::interrupted_dialogs(std::int64_t since_ms) {
  std::lock_guard lock(writer_mutex_);  // start-up: read what close_interrupted wrote
  std::vector<CdrRecord> out;
  try {
    std::string sql(kSelectCdrs);
    sql.append(kSelectInterruptedDialogs);
    SQLite::Statement q(*writer_, sql);
    q.bind(1, since_ms);
    while (q.executeStep()) {
      out.push_back(read_cdr(q));
    }
  } catch (const SQLite::Exception& e) {
    return fail(map_error(e, "interrupted dialogs", {}));
  } catch (const detail::CorruptRow& e) {
    return fail(Error::internal(fmt::format("interrupted dialogs: {}", e.what())));
  }
  return out;
}

Result<std::vector<CdrRecord>> SqliteStore::query_cdrs(const CdrQuery& query) {
  // Only the filters in use go into the SQL, so that SQLite can pick the index of the
  // most selective one; the text varies, so it is prepared per call (the API calls this
  // at human rates) on the reader connection, which never waits for a write.
  std::string sql(kSelectCdrs);
  std::string_view joiner = " WHERE ";
  auto where = [&](std::string_view condition) {
    sql.append(joiner).append(condition);
    joiner = " AND ";
  };
  if (query.from_ms) {
    where("start_ms >= :from");
  }
  if (query.to_ms) {
    where("start_ms < :to");
  }
  if (query.user) {
    where("(caller_user = :user OR callee_user = :user)");
  }
  if (query.group) {
    where("(caller_id_group = :group OR group_id = :group)");
  }
  if (query.direction) {
    where("direction = :direction");
  }
  if (query.disposition) {
    where("disposition = :disposition");
  }
  if (query.before_seq > 0) {
    where("seq < :before");
  }
  sql.append(" ORDER BY seq DESC LIMIT :limit");
  std::lock_guard lock(reader_mutex_);
  std::vector<CdrRecord> out;
  try {
    SQLite::Statement q(*reader_, sql);
    if (query.from_ms) {
      q.bind(":from", *query.from_ms);
    }
    if (query.to_ms) {
      q.bind(":to", *query.to_ms);
    }
    if (query.user) {
      q.bind(":user", *query.user);
    }
    if (query.group) {
      q.bind(":group", *query.group);
    }
    if (query.direction) {
      q.bind(":direction", std::string(model::to_string(*query.direction)));
    }
    if (query.disposition) {
      q.bind(":disposition", std::string(model::to_string(*query.disposition)));
    }
    if (query.before_seq > 0) {
      q.bind(":before", query.before_seq);
    }
    q.bind(":limit", static_cast<std::int64_t>(std::min<std::size_t>(
                         query.limit, std::numeric_limits<std::int64_t>::max())));
    while (q.executeStep()) {
      out.push_back(read_cdr(q));
    }
  } catch (const SQLite::Exception& e) {
    return fail(map_error(e, "query cdrs", {}));
  } catch (const detail::CorruptRow& e) {
    return fail(Error::internal(fmt::format("query cdrs: {}", e.what())));
  }
  return out;
}

}  // namespace cohort::store::sqlite::detail
