// Seeds a Cohort database for the call benchmarks (bench/sip/call_bench.sh), in one
// transaction: N users (extensions 100000, 100001, …, SIP digest credentials with PASSWORD
// under realm "cohort"), a group "Sales Dept" with outbound caller ID 010000 that holds all
// of them, a trunk "bench-trunk" to 127.0.0.1:TRUNK_PORT over UDP without credentials (the
// SIPp UAS), and one outbound rule: any number (_X.) from Sales Dept leaves through
// bench-trunk with the group's caller ID.
// Usage: seed_calls DBPATH N PASSWORD TRUNK_PORT

#include <cstdio>
#include <cstdlib>
#include <string>

#include "store/sqlite/sqlite_store.hpp"
#include "store/system_clock.hpp"

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: seed_calls DBPATH N PASSWORD TRUNK_PORT\n");
    return 2;
  }
  const long n = std::strtol(argv[2], nullptr, 10);
  const std::string password = argv[3];
  const long trunk_port = std::strtol(argv[4], nullptr, 10);
  if (n <= 0 || trunk_port <= 0 || trunk_port > 65535) {
    std::fprintf(stderr, "N must be > 0 and TRUNK_PORT in 1..65535\n");
    return 2;
  }
  cohort::SystemClock clock;
  auto store = cohort::store::sqlite::open(argv[1], clock);
  if (!store) {
    std::fprintf(stderr, "%s\n", store.error().message.c_str());
    return 1;
  }
  auto done = (*store)->transact([&](cohort::store::Transaction& tx) -> cohort::Result<void> {
    cohort::model::Trunk trunk;
    trunk.name = "bench-trunk";
    trunk.host = "127.0.0.1";
    trunk.port = static_cast<int>(trunk_port);
    trunk.transport = cohort::model::TrunkTransport::kUdp;
    COHORT_TRY_ASSIGN(cohort::model::Trunk stored_trunk, tx.trunks().create(trunk));

    cohort::model::Group group;
    group.name = "Sales Dept";
    group.outbound_caller_id = "010000";
    COHORT_TRY_ASSIGN(cohort::model::Group stored_group, tx.groups().create(group));

    for (long i = 0; i < n; ++i) {
      cohort::model::User u;
      u.name = "Bench Caller " + std::to_string(i);
      u.email = "caller" + std::to_string(i) + "@bench.example";
      u.extension = std::to_string(100000 + i);
      u.digest = cohort::model::make_digest_credentials(u.extension, "cohort", password);
      COHORT_TRY_ASSIGN(cohort::model::User stored_user, tx.users().create(u));
      COHORT_TRY(tx.memberships().put(stored_group.id, stored_user.id, std::nullopt));
    }

    cohort::model::OutboundRule rule;
    rule.name = "bench-out";
    rule.patterns = {"_X."};
    rule.caller_groups = {stored_group.id};
    rule.trunks = {stored_trunk.id};
    rule.caller_id = cohort::model::CallerIdSetting{cohort::model::CallerIdPolicy::kGroup, ""};
    COHORT_TRY(tx.outbound_rules().create(rule));
    return {};
  });
  if (!done) {
    std::fprintf(stderr, "%s\n", done.error().message.c_str());
    return 1;
  }
  std::printf("seeded %ld users, group Sales Dept, trunk bench-trunk (127.0.0.1:%ld) into %s\n", n,
              trunk_port, argv[1]);
  return 0;
}
