#include "app/bootstrap.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "common/crypto.hpp"
#include "common/password.hpp"
#include "common/text.hpp"
#include "model/validate.hpp"

namespace cohort::app {

namespace {

/// Creates `path` with mode 0600 holding `secret`; never overwrites (O_EXCL).
Result<void> write_secret_file(const std::string& path, const std::string& secret) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    return fail(Error::invalid("data_dir",
                               fmt::format("cannot create {}: {}", path, std::strerror(errno))));
  }
  std::string line = secret + "\n";
  bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
  ok = (::fsync(fd) == 0) && ok;
  ::close(fd);
  if (!ok) {
    ::unlink(path.c_str());
    return fail(Error::internal(fmt::format("cannot write {}", path)));
  }
  return {};
}

}  // namespace

Result<AdminToken> bootstrap_admin_token(const std::string& data_dir,
                                         const std::optional<std::string>& env_value) {
  if (env_value) {
    if (env_value->size() < 16) {
      return fail(Error::invalid("COHORT_ADMIN_TOKEN",
                                 "COHORT_ADMIN_TOKEN must be at least 16 characters"));
    }
    return AdminToken{crypto::sha256_hex(*env_value), "", ""};
  }
  std::string path = data_dir + "/admin.token";
  if (std::ifstream in(path); in) {
    std::string secret;
    std::getline(in, secret);
    secret = std::string(text::trim(secret));
    if (secret.size() < 16) {
      return fail(Error::invalid("admin.token", fmt::format("{} is empty or too short; delete it "
                                                            "to generate a new token",
                                                            path)));
    }
    return AdminToken{crypto::sha256_hex(secret), "", path};
  }
  std::string secret = "cha_" + crypto::random_hex(32);
  COHORT_TRY(write_secret_file(path, secret));
  return AdminToken{crypto::sha256_hex(secret), secret, path};
}

Result<std::string> load_or_create_secret(const std::string& path) {
  if (std::ifstream in(path); in) {
    std::string secret;
    std::getline(in, secret);
    secret = std::string(text::trim(secret));
    if (secret.size() < 32) {
      return fail(Error::invalid(
          "data_dir",
          fmt::format("{} is empty or too short; delete it to generate a new one", path)));
    }
    return secret;
  }
  std::string secret = crypto::random_hex(32);
  COHORT_TRY(write_secret_file(path, secret));
  return secret;
}

namespace {

struct DemoUser {
  const char* name;
  const char* email;
  const char* extension;
  model::Role role;
};

constexpr DemoUser kDemoUsers[] = {
    {"Ana Alvarez", "ana.alvarez@example.com", "1001", model::Role::kAdmin},
    {"Ben Okafor", "ben.okafor@example.com", "1002", model::Role::kSupervisor},
    {"Chloe Martin", "chloe.martin@example.com", "1003", model::Role::kAgent},
    {"Dev Patel", "dev.patel@example.com", "1004", model::Role::kAgent},
    {"Elena Rossi", "elena.rossi@example.com", "1005", model::Role::kAgent},
    {"Farid Haddad", "farid.haddad@example.com", "1006", model::Role::kAgent},
    {"Grace Kim", "grace.kim@example.com", "1007", model::Role::kAgent},
    {"Hugo Silva", "hugo.silva@example.com", "1008", model::Role::kAgent},
};

}  // namespace

Result<bool> seed_demo_data(store::Store& store, const std::string& realm) {
  model::SnapshotPtr s = store.snapshot();
  if (!s->user_ids().empty() || !s->group_ids().empty() || !s->trunk_ids().empty()) {
    return false;
  }
  COHORT_TRY(store.transact([&](store::Transaction& tx) -> Result<void> {
    std::vector<model::UserId> users;
    for (const DemoUser& d : kDemoUsers) {
      model::User u;
      u.name = d.name;
      u.email = d.email;
      u.extension = d.extension;
      u.role = d.role;
      // Demo only: the password of extension 1001 is "demo-1001" (docs/operations.md).
      u.digest =
          model::make_digest_credentials(u.extension, realm, fmt::format("demo-{}", u.extension));
      // And the console password "cohort-demo-1001" (kDemoAdminPassword for the admin).
      u.password_hash = password::hash(fmt::format("cohort-demo-{}", u.extension));
      COHORT_TRY_ASSIGN(model::User created, tx.users().create(u));
      users.push_back(created.id);
    }
    model::Trunk trunk;
    trunk.name = "CallCentric";
    trunk.host = "sip.callcentric.net";
    trunk.port = 5060;
    trunk.transport = model::TrunkTransport::kUdp;
    // Demo only: a made-up account. Registration stays off so that `make run` never
    // reaches out to the internet; an operator with a real account turns it on.
    trunk.username = "17775551234";
    trunk.password = "demo-trunk-secret";
    trunk.register_enabled = false;
    trunk.from_domain = "callcentric.net";
    COHORT_TRY_ASSIGN(model::Trunk callcentric, tx.trunks().create(trunk));

    // Business hours of the US office (CallCentric is a US provider): weekdays 9 to 5 in
    // New York, closed on Christmas Day and New Year's Day every year.
    model::Schedule office;
    office.name = "US office hours";
    office.timezone = "America/New_York";
    office.weekly = {model::WeeklyInterval{
        model::kMon | model::kTue | model::kWed | model::kThu | model::kFri, 9 * 60, 17 * 60}};
    office.holidays = {model::Holiday{"Christmas Day", 20261225, 20261225, true},
                       model::Holiday{"New Year's Day", 20270101, 20270101, true}};
    COHORT_TRY_ASSIGN(office, tx.schedules().create(office));

    model::Group sales;
    sales.name = "Sales Dept";
    sales.schedule = office.id;  // closed: the group's voicemail (the default)
    sales.description = "Sales department: calls out as 010000 over CallCentric.";
    sales.extension = "600";
    sales.outbound_caller_id = "010000";
    sales.trunk = callcentric.id;
    COHORT_TRY_ASSIGN(sales, tx.groups().create(sales));

    model::Group west;
    west.name = "West Coast Sales";
    west.description = "Sales team for the Pacific time zone.";
    west.extension = "601";
    west.ring_strategy = model::RingStrategy::kRoundRobin;
    west.fallback = model::DestGroup{sales.id};
    COHORT_TRY_ASSIGN(west, tx.groups().create(west));

    model::Group support;
    support.name = "Tier 2 Support";
    support.description = "Escalated support cases.";
    support.extension = "602";
    support.ring_strategy = model::RingStrategy::kLeastRecent;
    support.wrap_up_s = 30;
    support.cti_scope = true;
    COHORT_TRY_ASSIGN(support, tx.groups().create(support));
    support.fallback = model::DestVoicemail{model::DestVoicemail::Box::kGroup, support.id};
    COHORT_TRY(tx.groups().update(support));

    // Overlapping memberships: Dev and Elena sell on both sales teams, Grace and Hugo
    // also take support escalations.
    auto join = [&](const model::Group& g, std::initializer_list<int> members) -> Result<void> {
      for (int i : members) {
        COHORT_TRY(tx.memberships().put(g.id, users[static_cast<std::size_t>(i)], std::nullopt));
      }
      return {};
    };
    COHORT_TRY(join(sales, {2, 3, 4, 6}));
    COHORT_TRY(join(west, {3, 4, 7}));
    COHORT_TRY(join(support, {1, 5, 6, 7}));

    // The product example: Sales Dept calls out as its own number 010000, everyone else
    // as themselves, both over CallCentric. Order matters: the Sales rule must come first.
    // North American numbers (CallCentric is a US provider): 10 digits, 1 + 10 digits, 011
    // international. Four-digit numbers stay internal, so an unknown extension is a 404
    // and never a call to the provider.
    const std::vector<std::string> nanp = {"_NXXNXXXXXX", "_1NXXNXXXXXX", "_011."};
    model::OutboundRule sales_out;
    sales_out.name = "Sales via CallCentric";
    sales_out.position = 1;
    sales_out.patterns = nanp;
    sales_out.caller_groups = {sales.id};
    sales_out.trunks = {callcentric.id};
    sales_out.caller_id = model::CallerIdSetting{model::CallerIdPolicy::kGroup, ""};
    COHORT_TRY(tx.outbound_rules().create(sales_out));
    model::OutboundRule everyone;
    everyone.name = "Everyone else";
    everyone.position = 2;
    everyone.patterns = nanp;
    everyone.trunks = {callcentric.id};
    everyone.caller_id = model::CallerIdSetting{model::CallerIdPolicy::kUser, ""};
    COHORT_TRY(tx.outbound_rules().create(everyone));

    // The DIDs on the CallCentric account: the main number rings Sales in office hours,
    // the support line the support escalation team.
    model::InboundRoute main_line;
    main_line.name = "Main number";
    main_line.position = 1;
    main_line.did = "17775551234";
    main_line.trunk = callcentric.id;
    main_line.destination = model::DestGroup{sales.id};
    COHORT_TRY(tx.inbound_routes().create(main_line));
    model::InboundRoute support_line;
    support_line.name = "Support line";
    support_line.position = 2;
    support_line.did = "17775551235";
    support_line.trunk = callcentric.id;
    support_line.destination = model::DestGroup{support.id};
    COHORT_TRY(tx.inbound_routes().create(support_line));
    return {};
  }));
  return true;
}

}  // namespace cohort::app
