#pragma once

#include <cstdint>

namespace cohort::model {

// Integer ids assigned by the store (SQLite rowids). Plain aliases keep the snapshot's
// hash maps and the JSON mapping simple; the field names say which kind an id is.
using UserId = std::int64_t;
using GroupId = std::int64_t;
using TrunkId = std::int64_t;
using TokenId = std::int64_t;
using OutboundRuleId = std::int64_t;
using InboundRouteId = std::int64_t;
using ScheduleId = std::int64_t;
using IvrMenuId = std::int64_t;

}  // namespace cohort::model
