// Seeds a Cohort database with N users (one transaction) for the benchmarks. Extensions
// are 100000, 100001, …; with PASSWORD and REALM every user gets SIP digest credentials
// (the REGISTER benchmark). Usage: seed_users DBPATH N [PASSWORD REALM]

#include <cstdio>
#include <cstdlib>
#include <string>

#include "store/sqlite/sqlite_store.hpp"
#include "store/system_clock.hpp"

int main(int argc, char** argv) {
  if (argc != 3 && argc != 5) {
    std::fprintf(stderr, "usage: seed_users DBPATH N [PASSWORD REALM]\n");
    return 2;
  }
  const long n = std::strtol(argv[2], nullptr, 10);
  static const char* kFirst[] = {"Ana",  "Ben",  "Chloe", "Dev",  "Elena", "Farid", "Grace",
                                 "Hugo", "Ivy",  "Jonas", "Kira", "Liam",  "Maya",  "Noah",
                                 "Olga", "Pere", "Quinn", "Rosa", "Sven",  "Tara"};
  static const char* kLast[] = {"Alvarez", "Okafor", "Martin", "Patel", "Rossi", "Haddad",
                                "Kim",     "Silva",  "Novak",  "Berg",  "Sato",  "Moreau"};
  cohort::SystemClock clock;
  auto store = cohort::store::sqlite::open(argv[1], clock);
  if (!store) {
    std::fprintf(stderr, "%s\n", store.error().message.c_str());
    return 1;
  }
  auto done = (*store)->transact([&](cohort::store::Transaction& tx) -> cohort::Result<void> {
    for (long i = 0; i < n; ++i) {
      cohort::model::User u;
      u.name = std::string(kFirst[i % 20]) + " " + kLast[(i / 20) % 12] + " " + std::to_string(i);
      u.email = "user" + std::to_string(i) + "@bench.example";
      u.extension = std::to_string(100000 + i);
      if (argc == 5) {
        u.digest = cohort::model::make_digest_credentials(u.extension, argv[4], argv[3]);
      }
      COHORT_TRY(tx.users().create(u));
    }
    return {};
  });
  if (!done) {
    std::fprintf(stderr, "%s\n", done.error().message.c_str());
    return 1;
  }
  std::printf("seeded %ld users into %s\n", n, argv[1]);
  return 0;
}
