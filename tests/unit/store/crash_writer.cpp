// store_crash_writer DBPATH: creates users forever, one transaction each, and prints each
// id on stdout (flushed) once its commit has returned. The crash test kills it with
// SIGKILL at an arbitrary point and checks that every printed id survived.

#include <cstdio>
#include <string>

#include "store/sqlite/sqlite_store.hpp"
#include "store/system_clock.hpp"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: store_crash_writer DBPATH\n");
    return 2;
  }
  cohort::SystemClock clock;
  auto opened = cohort::store::sqlite::open(argv[1], clock);
  if (!opened) {
    std::fprintf(stderr, "store_crash_writer: %s\n", opened.error().message.c_str());
    return 1;
  }
  cohort::store::Store& store = **opened;
  // Earlier runs on the same file used numbers up to the highest id; continue after it so
  // e-mails and extensions stay unique.
  auto ids = store.snapshot()->user_ids();
  long long next = ids.empty() ? 1 : ids.back() + 1;
  for (;; ++next) {
    cohort::model::UserId id = 0;
    auto committed = store.transact([&](cohort::store::Transaction& tx) -> cohort::Result<void> {
      cohort::model::User u;
      u.name = "Crash " + std::to_string(next);
      u.email = "crash" + std::to_string(next) + "@example.com";
      u.extension = std::to_string(10'000'000 + next);
      auto created = tx.users().create(u);
      if (!created) {
        return cohort::fail(created.error());
      }
      id = created->id;
      return {};
    });
    if (!committed) {
      std::fprintf(stderr, "store_crash_writer: %s\n", committed.error().message.c_str());
      return 1;
    }
    std::printf("%lld\n", static_cast<long long>(id));
    std::fflush(stdout);
  }
}
