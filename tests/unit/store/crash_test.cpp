// Durability under a process crash: a writer is killed with SIGKILL in the middle of its
// writes; every commit it acknowledged must be in the file, and the file must be sound.

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <set>
#include <string>
#include <system_error>
#include <vector>

#include "store/sqlite/sqlite_store.hpp"
#include "store/system_clock.hpp"
#include "unit/store/temp_dir.hpp"

namespace cohort::store::testing {
namespace {

/// The writer process: stdout piped to us; killed and reaped on destruction if still there.
class Writer {
 public:
  explicit Writer(const std::string& db_path) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) {
      throw std::system_error(errno, std::generic_category(), "pipe2");
    }
    // Built before fork: only async-signal-safe calls may run in the child.
    std::string program = COHORT_STORE_CRASH_WRITER;
    std::vector<char*> argv = {program.data(), const_cast<char*>(db_path.c_str()), nullptr};
    pid_ = ::fork();
    if (pid_ < 0) {
      throw std::system_error(errno, std::generic_category(), "fork");
    }
    if (pid_ == 0) {
      ::dup2(fds[1], STDOUT_FILENO);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    ::close(fds[1]);
    out_ = ::fdopen(fds[0], "r");
  }
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;
  ~Writer() {
    kill_and_reap();
    if (out_ != nullptr) {
      std::fclose(out_);
    }
  }

  /// The next acknowledged id, or nullopt at end of output.
  std::optional<long long> next_id() {
    char* line = nullptr;
    std::size_t cap = 0;
    ssize_t n = ::getline(&line, &cap, out_);
    std::optional<long long> id;
    // Only a whole line is an acknowledgement.
    if (n > 1 && line[n - 1] == '\n') {
      id = std::stoll(std::string(line, static_cast<std::size_t>(n - 1)));
    }
    std::free(line);
    return id;
  }

  /// SIGKILL (once) and wait; returns the wait status.
  int kill_and_reap() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      while (::waitpid(pid_, &status_, 0) < 0 && errno == EINTR) {
      }
      pid_ = -1;
    }
    return status_;
  }

 private:
  pid_t pid_ = -1;
  int status_ = 0;
  std::FILE* out_ = nullptr;
};

TEST(StoreCrash, AcknowledgedCommitsSurviveSigkill) {
  TempDir dir;
  const std::string path = dir.file("cohort.db");
  std::set<long long> acknowledged;
  // Kill after different numbers of acknowledged writes; the kill itself lands wherever
  // the writer happens to be (mid-transaction, mid-commit, between transactions).
  for (int wanted : {200, 137, 251, 64, 199}) {
    SCOPED_TRACE("round killing after " + std::to_string(wanted) + " acknowledgements");
    {
      Writer writer(path);
      int seen = 0;
      while (seen < wanted) {
        auto id = writer.next_id();
        ASSERT_TRUE(id) << "writer stopped after " << seen << " ids";
        acknowledged.insert(*id);
        ++seen;
      }
      const int status = writer.kill_and_reap();
      ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "status " << status;
      // Lines written before the kill are acknowledgements too.
      while (auto id = writer.next_id()) {
        acknowledged.insert(*id);
      }
    }

    {
      SQLite::Database db(path, SQLite::OPEN_READWRITE);
      EXPECT_EQ(db.execAndGet("PRAGMA integrity_check").getString(), "ok");
      SQLite::Statement exists(db, "SELECT count(*) FROM users WHERE id = ?");
      std::size_t missing = 0;
      for (long long id : acknowledged) {
        exists.bind(1, static_cast<std::int64_t>(id));
        exists.executeStep();
        if (exists.getColumn(0).getInt() != 1) {
          ++missing;
          ADD_FAILURE() << "acknowledged user " << id << " is missing";
        }
        exists.reset();
      }
      ASSERT_EQ(missing, 0u);
    }

    SystemClock clock;
    auto store = sqlite::open(path, clock);
    ASSERT_TRUE(store) << store.error().message;
    auto snapshot = (*store)->snapshot();
    for (long long id : acknowledged) {
      ASSERT_NE(snapshot->user(id), nullptr) << "user " << id;
    }
  }
}

}  // namespace
}  // namespace cohort::store::testing
