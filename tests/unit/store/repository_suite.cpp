#include "unit/store/repository_suite.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <map>
#include <stdexcept>
#include <thread>
#include <vector>

namespace cohort::store::testing {

using model::ExtensionOwner;

// ---- fixture ---------------------------------------------------------------------------

void RepositorySuite::SetUp() {
  set_time(kT0);
  backend_ = GetParam().make();
  auto opened = backend_->open(clock_);
  ASSERT_TRUE(opened) << opened.error().message;
  store_ = std::move(*opened);
}

void RepositorySuite::TearDown() {
  store_.reset();
  backend_.reset();
}

void RepositorySuite::reopen() {
  store_.reset();
  auto opened = backend_->open(clock_);
  ASSERT_TRUE(opened) << opened.error().message;
  store_ = std::move(*opened);
}

Result<model::User> RepositorySuite::create_user(const model::User& u) {
  return in_tx([&](Transaction& tx) { return tx.users().create(u); });
}

Result<model::Group> RepositorySuite::create_group(const model::Group& g) {
  return in_tx([&](Transaction& tx) { return tx.groups().create(g); });
}

Result<model::Trunk> RepositorySuite::create_trunk(const model::Trunk& t) {
  return in_tx([&](Transaction& tx) { return tx.trunks().create(t); });
}

Result<model::OutboundRule> RepositorySuite::create_rule(const model::OutboundRule& r) {
  return in_tx([&](Transaction& tx) { return tx.outbound_rules().create(r); });
}

Result<model::OutboundRule> RepositorySuite::update_rule(const model::OutboundRule& r) {
  return in_tx([&](Transaction& tx) { return tx.outbound_rules().update(r); });
}

std::vector<model::OutboundRuleId> RepositorySuite::rule_ids() {
  auto s = snap();
  std::vector<model::OutboundRuleId> ids;
  int expected = 1;
  for (const model::OutboundRule& r : s->outbound_rules()) {
    EXPECT_EQ(r.position, expected) << "rule " << r.id;
    ++expected;
    ids.push_back(r.id);
    const model::OutboundRule* by_id = s->outbound_rule(r.id);
    EXPECT_TRUE(by_id != nullptr && *by_id == r) << "outbound_rule(" << r.id << ")";
  }
  return ids;
}

Result<MembershipRepository::PutResult> RepositorySuite::put_member(model::GroupId g,
                                                                    model::UserId u,
                                                                    std::optional<int> position) {
  return in_tx([&](Transaction& tx) { return tx.memberships().put(g, u, position); });
}

std::vector<model::UserId> RepositorySuite::member_ids(model::GroupId g) {
  auto s = snap();
  std::vector<model::UserId> ids;
  int expected = 1;
  for (const model::Member& m : s->members(g)) {
    EXPECT_EQ(m.position, expected) << "group " << g << " user " << m.user;
    ++expected;
    ids.push_back(m.user);
    // The user side must agree with the group side.
    bool found = false;
    for (const model::UserMembership& um : s->groups_of(m.user)) {
      if (um.group == g) {
        found = true;
        EXPECT_EQ(um.position, m.position) << "groups_of(" << m.user << ") for group " << g;
        EXPECT_EQ(um.joined_at, m.joined_at);
      }
    }
    EXPECT_TRUE(found) << "user " << m.user << " lacks group " << g << " in groups_of";
  }
  return ids;
}

// ---- builders and dump -----------------------------------------------------------------

model::User make_user(const std::string& name, const std::string& email,
                      const std::string& extension) {
  model::User u;
  u.name = name;
  u.email = email;
  u.extension = extension;
  u.role = model::Role::kAgent;
  u.digest = {"cohort", "md5-" + extension, "sha256-" + extension};
  return u;
}

model::Group make_group(const std::string& name, std::optional<std::string> extension) {
  model::Group g;
  g.name = name;
  g.description = "the " + name + " team";
  g.extension = std::move(extension);
  return g;
}

model::Trunk make_trunk(const std::string& name) {
  model::Trunk t;
  t.name = name;
  return t;
}

model::Trunk make_full_trunk(const std::string& name) {
  model::Trunk t;
  t.name = name;
  t.host = "sip.example.net";
  t.port = 5080;
  t.transport = model::TrunkTransport::kTcp;
  t.username = "17775551234";
  t.password = "s3cret 'quoted' \"too\"";
  t.auth_realm = "example.net";
  t.register_enabled = true;
  t.register_expires_s = 600;
  t.from_domain = "example.net";
  t.max_concurrent_calls = 12;
  t.inbound_sources = {"203.0.113.7", "198.51.100.0/24"};
  t.media = model::TrunkMedia::kDirect;  // not the default, so a lost column shows
  return t;
}

model::OutboundRule make_rule(const std::string& name, std::vector<model::TrunkId> trunks,
                              std::vector<std::string> patterns) {
  model::OutboundRule r;
  r.name = name;
  r.patterns = std::move(patterns);
  r.trunks = std::move(trunks);
  return r;
}

namespace {

std::string opt(const std::optional<std::string>& v) {
  return v ? "'" + *v + "'" : "null";
}

std::string owner(const std::optional<ExtensionOwner>& o) {
  if (!o) {
    return "none";
  }
  return fmt::format("{}:{}", o->kind == ExtensionOwner::Kind::kUser ? "user" : "group", o->id);
}

}  // namespace

std::string dump(const model::Snapshot& s) {
  std::string out;
  for (model::UserId id : s.user_ids()) {
    const model::User* u = s.user(id);
    out += fmt::format(
        "user {} name='{}' email='{}' ext='{}' cid={} role={} active={} paused={}:'{}' "
        "digest={}/{}/{} created={} updated={} owner={} by_email={}\n",
        u->id, u->name, u->email, u->extension, opt(u->caller_id), model::to_string(u->role),
        u->active, u->paused, u->pause_reason, u->digest.realm, u->digest.ha1_md5,
        u->digest.ha1_sha256, u->created_at, u->updated_at, owner(s.extension_owner(u->extension)),
        s.user_by_email(u->email) ? s.user_by_email(u->email)->id : 0);
    for (const model::UserMembership& m : s.groups_of(id)) {
      out += fmt::format("  in group {} at {} since {} paused={}:'{}'\n", m.group, m.position,
                         m.joined_at, m.paused, m.pause_reason);
    }
  }
  for (model::GroupId id : s.group_ids()) {
    const model::Group* g = s.group(id);
    out += fmt::format(
        "group {} name='{}' desc='{}' ext={} ocid={} trunk={} strategy={} ring={} wait={} "
        "wrap={} in_use={} skip_unregistered={} fallback={} schedule={} closed={} cti={} "
        "created={} updated={} by_name={} owner={}\n",
        g->id, g->name, g->description, opt(g->extension), opt(g->outbound_caller_id),
        g->trunk ? std::to_string(*g->trunk) : "null", model::to_string(g->ring_strategy),
        g->ring_timeout_s, g->max_wait_s, g->wrap_up_s, g->ring_in_use, g->skip_unregistered,
        g->fallback ? model::destination_to_json(*g->fallback).dump() : "null",
        g->schedule ? std::to_string(*g->schedule) : "null",
        g->closed_destination ? model::destination_to_json(*g->closed_destination).dump() : "null",
        g->cti_scope, g->created_at, g->updated_at,
        s.group_by_name(g->name) ? s.group_by_name(g->name)->id : 0,
        g->extension ? owner(s.extension_owner(*g->extension)) : "-");
    for (const model::Member& m : s.members(id)) {
      out += fmt::format("  member {} at {} since {} paused={}:'{}'\n", m.user, m.position,
                         m.joined_at, m.paused, m.pause_reason);
    }
  }
  for (model::TrunkId id : s.trunk_ids()) {
    const model::Trunk* t = s.trunk(id);
    out += fmt::format(
        "trunk {} name='{}' host='{}' port={} transport={} user='{}' password='{}' realm={} "
        "register={} expires={} from='{}' max_calls={} sources={} media={} created={} "
        "updated={}\n",
        t->id, t->name, t->host, t->port, model::to_string(t->transport), t->username, t->password,
        opt(t->auth_realm), t->register_enabled, t->register_expires_s, t->from_domain,
        t->max_concurrent_calls, nlohmann::json(t->inbound_sources).dump(),
        model::to_string(t->media), t->created_at, t->updated_at);
  }
  for (const model::OutboundRule& r : s.outbound_rules()) {
    out += fmt::format(
        "rule {} name='{}' at {} patterns={} groups={} users={} strip={} prepend='{}' trunks={} "
        "cid={}:'{}' trunk_callers={} created={} updated={}\n",
        r.id, r.name, r.position, nlohmann::json(r.patterns).dump(),
        nlohmann::json(r.caller_groups).dump(), nlohmann::json(r.caller_users).dump(), r.strip,
        r.prepend, nlohmann::json(r.trunks).dump(),
        r.caller_id ? model::to_string(r.caller_id->policy) : "default",
        r.caller_id ? r.caller_id->value : "", r.allow_trunk_callers, r.created_at, r.updated_at);
  }
  for (const model::InboundRoute& r : s.inbound_routes()) {
    out += fmt::format(
        "route {} name='{}' at {} did='{}' caller={} trunk={} dest={} created={} updated={}\n",
        r.id, r.name, r.position, r.did, opt(r.caller), r.trunk ? std::to_string(*r.trunk) : "null",
        model::destination_to_json(r.destination).dump(), r.created_at, r.updated_at);
  }
  for (model::ScheduleId id : s.schedule_ids()) {
    const model::Schedule* sc = s.schedule(id);
    out += fmt::format(
        "schedule {} name='{}' tz='{}' override={} created={} updated={} by_name={}\n", sc->id,
        sc->name, sc->timezone, model::to_string(sc->override_mode), sc->created_at, sc->updated_at,
        s.schedule_by_name(sc->name) ? s.schedule_by_name(sc->name)->id : 0);
    for (const model::WeeklyInterval& w : sc->weekly) {
      out += fmt::format("  weekly days={} {}..{}\n", w.days, w.from_min, w.to_min);
    }
    for (const model::Holiday& h : sc->holidays) {
      out += fmt::format("  holiday '{}' {}..{} yearly={}\n", h.name, h.from, h.to, h.yearly);
    }
  }
  for (model::IvrMenuId id : s.ivr_menu_ids()) {
    const model::IvrMenu* m = s.ivr_menu(id);
    auto dest = [](const std::optional<model::Destination>& d) {
      return d ? model::destination_to_json(*d).dump() : std::string("null");
    };
    out += fmt::format(
        "ivr_menu {} name='{}' timeout_s={} timeout={} invalid={} repeat={} direct_dial={} "
        "created={} updated={} by_name={}\n",
        m->id, m->name, m->timeout_s, dest(m->timeout), dest(m->invalid), m->repeat, m->direct_dial,
        m->created_at, m->updated_at,
        s.ivr_menu_by_name(m->name) ? s.ivr_menu_by_name(m->name)->id : 0);
    for (const model::IvrOption& o : m->options) {
      out += fmt::format("  option {} {}\n", o.key, dest(o.destination));
    }
  }
  for (model::TokenId id : s.token_ids()) {
    const model::ApiToken* t = s.token(id);
    const model::ApiToken* by_hash = s.token_by_secret_hash(t->secret_sha256);
    out += fmt::format("token {} user={} hash={} created={} by_hash={}\n", t->id, t->user,
                       t->secret_sha256, t->created_at, by_hash ? by_hash->id : 0);
  }
  out += fmt::format("memberships {}\n", s.membership_count());
  return out;
}

// ---- users -----------------------------------------------------------------------------

TEST_P(RepositorySuite, StartsEmptyAndHealthy) {
  auto s = snap();
  ASSERT_NE(s, nullptr);
  EXPECT_TRUE(s->user_ids().empty());
  EXPECT_TRUE(s->group_ids().empty());
  EXPECT_TRUE(s->trunk_ids().empty());
  EXPECT_TRUE(s->token_ids().empty());
  EXPECT_TRUE(store_->healthy());
}

TEST_P(RepositorySuite, UserCreateUpdateRemove) {
  const auto v0 = version();
  model::User draft = make_user("Alice", "alice@example.com", "1001");
  draft.caller_id = "+15550001";
  draft.role = model::Role::kSupervisor;
  draft.id = 999;            // ignored
  draft.created_at = 12345;  // ignored
  auto alice = create_user(draft);
  ASSERT_TRUE(alice) << alice.error().message;
  EXPECT_GT(alice->id, 0);
  EXPECT_NE(alice->id, 999);
  EXPECT_EQ(alice->created_at, kT0);
  EXPECT_EQ(alice->updated_at, kT0);
  model::User expected = draft;
  expected.id = alice->id;
  expected.created_at = kT0;
  expected.updated_at = kT0;
  EXPECT_EQ(*alice, expected);

  auto s1 = snap();
  EXPECT_EQ(s1->version(), v0 + 1);
  ASSERT_NE(s1->user(alice->id), nullptr);
  EXPECT_EQ(*s1->user(alice->id), *alice);
  ASSERT_NE(s1->user_by_extension("1001"), nullptr);
  EXPECT_EQ(s1->user_by_extension("1001")->id, alice->id);
  ASSERT_NE(s1->user_by_email("ALICE@Example.com"), nullptr);
  EXPECT_EQ(s1->extension_owner("1001"), (ExtensionOwner{ExtensionOwner::Kind::kUser, alice->id}));

  set_time(kT0 + 60);
  model::User changed = *alice;
  changed.name = "Alice B";
  changed.email = "alice.b@example.com";
  changed.extension = "1002";
  changed.caller_id.reset();
  changed.active = false;
  changed.digest = {"other", "m", "s"};
  auto updated = in_tx([&](Transaction& tx) { return tx.users().update(changed); });
  ASSERT_TRUE(updated) << updated.error().message;
  EXPECT_EQ(updated->created_at, kT0);
  EXPECT_EQ(updated->updated_at, kT0 + 60);
  changed.updated_at = kT0 + 60;
  EXPECT_EQ(*updated, changed);
  auto s2 = snap();
  EXPECT_EQ(s2->version(), v0 + 2);
  EXPECT_EQ(*s2->user(alice->id), changed);
  EXPECT_EQ(s2->extension_owner("1001"), std::nullopt);
  EXPECT_EQ(s2->user_by_extension("1002")->id, alice->id);
  EXPECT_EQ(s2->user_by_email("alice@example.com"), nullptr);
  // The previous snapshot is a value: readers holding it still see the old user.
  EXPECT_EQ(s1->user(alice->id)->name, "Alice");

  // The freed extension and e-mail can be taken again.
  auto other = create_user(make_user("Other", "alice@example.com", "1001"));
  ASSERT_TRUE(other) << other.error().message;

  ASSERT_TRUE(in_tx([&](Transaction& tx) { return tx.users().remove(alice->id); }));
  auto s3 = snap();
  EXPECT_EQ(s3->version(), v0 + 4);
  EXPECT_EQ(s3->user(alice->id), nullptr);
  EXPECT_EQ(s3->user_by_extension("1002"), nullptr);
  EXPECT_EQ(s3->extension_owner("1002"), std::nullopt);
  EXPECT_EQ(s3->user_ids().size(), 1u);

  // Ids are never handed out again: destinations may still point at a deleted one.
  auto next = create_user(make_user("Next", "next@example.com", "1003"));
  ASSERT_TRUE(next);
  EXPECT_GT(next->id, other->id);
}

TEST_P(RepositorySuite, UpdateOrRemoveMissingIsNotFound) {
  auto alice = create_user(make_user("Alice", "alice@example.com", "1001"));
  ASSERT_TRUE(alice);
  auto group = create_group(make_group("Sales"));
  ASSERT_TRUE(group);
  auto trunk = create_trunk(make_trunk("carrier"));
  ASSERT_TRUE(trunk);
  const auto v = version();

  model::User ghost = *alice;
  ghost.id = alice->id + 100;
  ghost.email = "ghost@example.com";
  ghost.extension = "1999";
  auto r1 = in_tx([&](Transaction& tx) { return tx.users().update(ghost); });
  ASSERT_FALSE(r1);
  EXPECT_EQ(r1.error().code, Errc::kNotFound);
  auto r2 = in_tx([&](Transaction& tx) { return tx.users().remove(ghost.id); });
  ASSERT_FALSE(r2);
  EXPECT_EQ(r2.error().code, Errc::kNotFound);

  model::Group gghost = *group;
  gghost.id += 100;
  gghost.name = "Ghosts";
  auto r3 = in_tx([&](Transaction& tx) { return tx.groups().update(gghost); });
  ASSERT_FALSE(r3);
  EXPECT_EQ(r3.error().code, Errc::kNotFound);
  auto r4 = in_tx([&](Transaction& tx) { return tx.groups().remove(gghost.id); });
  ASSERT_FALSE(r4);
  EXPECT_EQ(r4.error().code, Errc::kNotFound);

  model::Trunk tghost = *trunk;
  tghost.id += 100;
  tghost.name = "ghost";
  auto r5 = in_tx([&](Transaction& tx) { return tx.trunks().update(tghost); });
  ASSERT_FALSE(r5);
  EXPECT_EQ(r5.error().code, Errc::kNotFound);
  auto r6 = in_tx([&](Transaction& tx) { return tx.trunks().remove(tghost.id); });
  ASSERT_FALSE(r6);
  EXPECT_EQ(r6.error().code, Errc::kNotFound);
  auto r7 = in_tx([&](Transaction& tx) { return tx.tokens().remove(12345); });
  ASSERT_FALSE(r7);
  EXPECT_EQ(r7.error().code, Errc::kNotFound);

  EXPECT_EQ(version(), v);
}

// ---- groups and trunks -----------------------------------------------------------------

TEST_P(RepositorySuite, GroupCreateUpdateRemove) {
  auto trunk = create_trunk(make_trunk("carrier"));
  ASSERT_TRUE(trunk) << trunk.error().message;
  auto fallback_user = create_user(make_user("Bob", "bob@example.com", "1001"));
  ASSERT_TRUE(fallback_user);

  model::Group draft = make_group("Sales", "2000");
  draft.outbound_caller_id = "+15550100";
  draft.trunk = trunk->id;
  draft.ring_strategy = model::RingStrategy::kRoundRobin;
  draft.ring_timeout_s = 15;
  draft.max_wait_s = 300;
  draft.wrap_up_s = 10;
  draft.fallback = model::DestUser{fallback_user->id};
  draft.cti_scope = true;
  const auto v0 = version();
  auto sales = create_group(draft);
  ASSERT_TRUE(sales) << sales.error().message;
  model::Group expected = draft;
  expected.id = sales->id;
  expected.created_at = kT0;
  expected.updated_at = kT0;
  EXPECT_EQ(*sales, expected);

  auto s1 = snap();
  EXPECT_EQ(s1->version(), v0 + 1);
  EXPECT_EQ(*s1->group(sales->id), expected);
  EXPECT_EQ(s1->group_by_name("SALES")->id, sales->id);
  EXPECT_EQ(s1->group_by_extension("2000")->id, sales->id);
  EXPECT_EQ(s1->extension_owner("2000"), (ExtensionOwner{ExtensionOwner::Kind::kGroup, sales->id}));

  set_time(kT0 + 5);
  model::Group changed = *sales;
  changed.name = "Inside Sales";
  changed.extension.reset();
  changed.trunk.reset();
  changed.fallback = model::DestNumber{"+15551234"};
  changed.ring_strategy = model::RingStrategy::kSequential;
  auto updated = in_tx([&](Transaction& tx) { return tx.groups().update(changed); });
  ASSERT_TRUE(updated) << updated.error().message;
  changed.updated_at = kT0 + 5;
  EXPECT_EQ(*updated, changed);
  auto s2 = snap();
  EXPECT_EQ(*s2->group(sales->id), changed);
  EXPECT_EQ(s2->group_by_name("sales"), nullptr);
  EXPECT_EQ(s2->extension_owner("2000"), std::nullopt);

  ASSERT_TRUE(in_tx([&](Transaction& tx) { return tx.groups().remove(sales->id); }));
  EXPECT_EQ(snap()->group(sales->id), nullptr);
  EXPECT_TRUE(snap()->group_ids().empty());
}

TEST_P(RepositorySuite, GroupTrunkMustExist) {
  model::Group draft = make_group("Sales");
  draft.trunk = 4242;
  const auto v = version();
  auto created = create_group(draft);
  ASSERT_FALSE(created);
  EXPECT_EQ(created.error().code, Errc::kInvalid);
  EXPECT_EQ(created.error().field, "trunk");

  auto sales = create_group(make_group("Sales"));
  ASSERT_TRUE(sales);
  model::Group changed = *sales;
  changed.trunk = 4242;
  auto updated = in_tx([&](Transaction& tx) { return tx.groups().update(changed); });
  ASSERT_FALSE(updated);
  EXPECT_EQ(updated.error().code, Errc::kInvalid);
  EXPECT_EQ(updated.error().field, "trunk");
  EXPECT_EQ(version(), v + 1);
  EXPECT_EQ(snap()->group(sales->id)->trunk, std::nullopt);
}

TEST_P(RepositorySuite, FallbackRoundTrip) {
  auto target = create_user(make_user("Bob", "bob@example.com", "1001"));
  ASSERT_TRUE(target);
  const std::vector<model::Destination> fallbacks = {
      model::DestUser{target->id},
      model::DestGroup{77},
      model::DestVoicemail{model::DestVoicemail::Box::kUser, target->id},
      model::DestVoicemail{model::DestVoicemail::Box::kGroup, 3},
      model::DestNumber{"+15551234"},
      model::DestHangup{},
  };
  std::vector<model::GroupId> ids;
  for (std::size_t i = 0; i < fallbacks.size(); ++i) {
    model::Group g = make_group("g" + std::to_string(i));
    g.fallback = fallbacks[i];
    auto created = create_group(g);
    ASSERT_TRUE(created) << created.error().message;
    EXPECT_EQ(created->fallback, fallbacks[i]);
    ids.push_back(created->id);
  }
  reopen();
  for (std::size_t i = 0; i < fallbacks.size(); ++i) {
    ASSERT_NE(snap()->group(ids[i]), nullptr);
    EXPECT_EQ(snap()->group(ids[i])->fallback, fallbacks[i]) << i;
  }
}

TEST_P(RepositorySuite, TrunkCreateUpdateRemove) {
  auto trunk = create_trunk(make_trunk("Carrier"));
  ASSERT_TRUE(trunk) << trunk.error().message;
  EXPECT_EQ(trunk->created_at, kT0);
  EXPECT_EQ(*snap()->trunk(trunk->id), *trunk);

  set_time(kT0 + 1);
  model::Trunk changed = *trunk;
  changed.name = "Carrier 2";
  auto updated = in_tx([&](Transaction& tx) { return tx.trunks().update(changed); });
  ASSERT_TRUE(updated);
  EXPECT_EQ(updated->name, "Carrier 2");
  EXPECT_EQ(updated->created_at, kT0);
  EXPECT_EQ(updated->updated_at, kT0 + 1);
  EXPECT_EQ(*snap()->trunk(trunk->id), *updated);

  ASSERT_TRUE(in_tx([&](Transaction& tx) { return tx.trunks().remove(trunk->id); }));
  EXPECT_EQ(snap()->trunk(trunk->id), nullptr);
}

TEST_P(RepositorySuite, TrunkDeleteLeavesGroupsWithoutTrunk) {
  auto trunk = create_trunk(make_trunk("carrier"));
  auto keep = create_trunk(make_trunk("backup"));
  ASSERT_TRUE(trunk && keep);
  model::Group a = make_group("A");
  a.trunk = trunk->id;
  model::Group b = make_group("B");
  b.trunk = trunk->id;
  model::Group c = make_group("C");
  c.trunk = keep->id;
  auto ga = create_group(a);
  auto gb = create_group(b);
  auto gc = create_group(c);
  ASSERT_TRUE(ga && gb && gc);

  set_time(kT0 + 30);
  ASSERT_TRUE(in_tx([&](Transaction& tx) { return tx.trunks().remove(trunk->id); }));
  auto s = snap();
  EXPECT_EQ(s->trunk(trunk->id), nullptr);
  EXPECT_EQ(s->group(ga->id)->trunk, std::nullopt);
  EXPECT_EQ(s->group(gb->id)->trunk, std::nullopt);
  EXPECT_EQ(s->group(ga->id)->updated_at, kT0 + 30);
  EXPECT_EQ(s->group(gc->id)->trunk, keep->id);
  EXPECT_EQ(s->group(gc->id)->updated_at, kT0);
  const std::string before = dump(*s);
  reopen();
  EXPECT_EQ(dump(*snap()), before);
}

// ---- tokens ----------------------------------------------------------------------------

TEST_P(RepositorySuite, TokenCreateRemove) {
  auto alice = create_user(make_user("Alice", "alice@example.com", "1001"));
  ASSERT_TRUE(alice);
  const std::string hash(64, 'a');
  auto token = in_tx([&](Transaction& tx) { return tx.tokens().create(alice->id, hash); });
  ASSERT_TRUE(token) << token.error().message;
  EXPECT_EQ(token->user, alice->id);
  EXPECT_EQ(token->secret_sha256, hash);
  EXPECT_EQ(token->created_at, kT0);
  EXPECT_EQ(*snap()->token(token->id), *token);
  EXPECT_EQ(snap()->token_by_secret_hash(hash)->id, token->id);

  auto again = in_tx([&](Transaction& tx) { return tx.tokens().create(alice->id, hash); });
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, Errc::kConflict);
  EXPECT_EQ(again.error().field, "token");

  auto orphan = in_tx(
      [&](Transaction& tx) { return tx.tokens().create(alice->id + 50, std::string(64, 'b')); });
  ASSERT_FALSE(orphan);
  EXPECT_EQ(orphan.error().code, Errc::kInvalid);
  EXPECT_EQ(orphan.error().field, "user");

  ASSERT_TRUE(in_tx([&](Transaction& tx) { return tx.tokens().remove(token->id); }));
  EXPECT_EQ(snap()->token(token->id), nullptr);
  EXPECT_EQ(snap()->token_by_secret_hash(hash), nullptr);
}

// ---- conflicts -------------------------------------------------------------------------

TEST_P(RepositorySuite, ConflictsNameTheirField) {
  auto alice = create_user(make_user("Alice", "Alice@Example.com", "1001"));
  auto bob = create_user(make_user("Bob", "bob@example.com", "1002"));
  auto sales = create_group(make_group("Sales", "2000"));
  auto support = create_group(make_group("Support", "2001"));
  auto trunk = create_trunk(make_trunk("Carrier"));
  ASSERT_TRUE(alice && bob && sales && support && trunk);
  const std::string before = dump(*snap());
  const auto v = version();

  auto expect_conflict = [&](const auto& result, const std::string& field, const char* what) {
    ASSERT_FALSE(result) << what;
    EXPECT_EQ(result.error().code, Errc::kConflict) << what << ": " << result.error().message;
    EXPECT_EQ(result.error().field, field) << what << ": " << result.error().message;
  };

  // E-mail, case-insensitively, on create and on update.
  expect_conflict(create_user(make_user("A2", "aLiCe@example.COM", "1100")), "email",
                  "user email create");
  model::User b = *bob;
  b.email = "ALICE@EXAMPLE.COM";
  expect_conflict(in_tx([&](Transaction& tx) { return tx.users().update(b); }), "email",
                  "user email update");

  // Extensions are one namespace across users and groups, both directions.
  expect_conflict(create_user(make_user("A3", "a3@example.com", "1001")), "extension",
                  "user ext vs user");
  expect_conflict(create_user(make_user("A4", "a4@example.com", "2000")), "extension",
                  "user ext vs group");
  expect_conflict(create_group(make_group("G1", "1001")), "extension", "group ext vs user");
  expect_conflict(create_group(make_group("G2", "2001")), "extension", "group ext vs group");
  b = *bob;
  b.extension = "2001";
  expect_conflict(in_tx([&](Transaction& tx) { return tx.users().update(b); }), "extension",
                  "user ext update vs group");
  model::Group g = *support;
  g.extension = "1002";
  expect_conflict(in_tx([&](Transaction& tx) { return tx.groups().update(g); }), "extension",
                  "group ext update vs user");

  // Group and trunk names, case-insensitively.
  expect_conflict(create_group(make_group("sALES")), "name", "group name create");
  g = *support;
  g.name = "SALES";
  expect_conflict(in_tx([&](Transaction& tx) { return tx.groups().update(g); }), "name",
                  "group name update");
  expect_conflict(create_trunk(make_trunk("CARRIER")), "name", "trunk name create");

  EXPECT_EQ(version(), v);
  EXPECT_EQ(dump(*snap()), before);
  reopen();
  EXPECT_EQ(dump(*snap()), before);
}

TEST_P(RepositorySuite, UpdateKeepingOwnUniqueValuesIsNoConflict) {
  auto alice = create_user(make_user("Alice", "alice@example.com", "1001"));
  auto sales = create_group(make_group("Sales", "2000"));
  ASSERT_TRUE(alice && sales);
  model::User a = *alice;
  a.email = "ALICE@example.com";  // same address, other case
  a.name = "Alice A";
  auto ua = in_tx([&](Transaction& tx) { return tx.users().update(a); });
  ASSERT_TRUE(ua) << ua.error().message;
  model::Group g = *sales;
  g.name = "SALES";
  auto ug = in_tx([&](Transaction& tx) { return tx.groups().update(g); });
  ASSERT_TRUE(ug) << ug.error().message;
  EXPECT_EQ(snap()->extension_owner("1001"),
            (ExtensionOwner{ExtensionOwner::Kind::kUser, alice->id}));
  EXPECT_EQ(snap()->extension_owner("2000"),
            (ExtensionOwner{ExtensionOwner::Kind::kGroup, sales->id}));
}

// ---- transactions ----------------------------------------------------------------------

TEST_P(RepositorySuite, ConflictRollsBackTheWholeTransaction) {
  auto existing = create_user(make_user("Zed", "zed@example.com", "1009"));
  ASSERT_TRUE(existing);
  const std::string before = dump(*snap());
  const auto v = version();
  auto result = store_->transact([&](Transaction& tx) -> Result<void> {
    auto first = tx.users().create(make_user("Alice", "alice@example.com", "1001"));
    if (!first) {
      return fail(first.error());
    }
    auto second = tx.users().create(make_user("Bob", "ZED@example.com", "1002"));
    if (!second) {
      return fail(second.error());
    }
    return {};
  });
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, Errc::kConflict);
  EXPECT_EQ(result.error().field, "email");
  EXPECT_EQ(version(), v);
  EXPECT_EQ(snap()->user_by_email("alice@example.com"), nullptr);
  EXPECT_EQ(dump(*snap()), before);

  // Nothing reached the database either: Alice's e-mail and extension are still free.
  auto alice = create_user(make_user("Alice", "alice@example.com", "1001"));
  ASSERT_TRUE(alice) << alice.error().message;
  ASSERT_TRUE(in_tx([&](Transaction& tx) { return tx.users().remove(alice->id); }));
  reopen();
  EXPECT_EQ(dump(*snap()), before);
}

TEST_P(RepositorySuite, FailingWorkRollsBackEverything) {
  auto trunk = create_trunk(make_trunk("carrier"));
  auto alice = create_user(make_user("Alice", "alice@example.com", "1001"));
  auto sales = create_group(make_group("Sales", "2000"));
  ASSERT_TRUE(trunk && alice && sales);
  ASSERT_TRUE(put_member(sales->id, alice->id));
  const std::string before = dump(*snap());
  const auto v = version();

  auto result = store_->transact([&](Transaction& tx) -> Result<void> {
    auto bob = tx.users().create(make_user("Bob", "bob@example.com", "1002"));
    auto support = tx.groups().create(make_group("Support", "2001"));
    if (!bob || !support) {
      ADD_FAILURE() << "setup inside the transaction failed";
      return {};
    }
    EXPECT_TRUE(tx.memberships().put(sales->id, bob->id, 1));
    EXPECT_TRUE(tx.memberships().put(support->id, alice->id, std::nullopt));
    EXPECT_TRUE(tx.users().remove(alice->id));
    EXPECT_TRUE(tx.trunks().remove(trunk->id));
    return fail(Error::invalid("reason", "the caller changed its mind"));
  });
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().field, "reason");
  EXPECT_EQ(version(), v);
  EXPECT_EQ(dump(*snap()), before);
  reopen();
  EXPECT_EQ(dump(*snap()), before);
}

TEST_P(RepositorySuite, ExceptionInWorkRollsBack) {
  const std::string before = dump(*snap());
  const auto v = version();
  auto result = store_->transact([&](Transaction& tx) -> Result<void> {
    EXPECT_TRUE(tx.users().create(make_user("Alice", "alice@example.com", "1001")));
    throw std::runtime_error("boom");
  });
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, Errc::kInternal);
  EXPECT_EQ(version(), v);
  EXPECT_EQ(dump(*snap()), before);
  EXPECT_TRUE(create_user(make_user("Alice", "alice@example.com", "1001")));
}

TEST_P(RepositorySuite, FailedOperationChangesNothingEvenIfWorkCommits) {
  auto alice = create_user(make_user("Alice", "alice@example.com", "1001"));
  ASSERT_TRUE(alice);
  model::UserId carol_id = 0;
  auto result = store_->transact([&](Transaction& tx) -> Result<void> {
    auto bob = tx.users().create(make_user("Bob", "alice@example.com", "1002"));
    EXPECT_FALSE(bob);
    auto carol = tx.users().create(make_user("Carol", "carol@example.com", "1003"));
    if (!carol) {
      return fail(carol.error());
    }
    carol_id = carol->id;
    return {};
  });
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_NE(snap()->user(carol_id), nullptr);
  EXPECT_EQ(snap()->user_by_extension("1002"), nullptr);
  EXPECT_EQ(snap()->user_ids().size(), 2u);
  // Bob's extension was not claimed by the failed insert.
  EXPECT_TRUE(create_user(make_user("Bob", "bob@example.com", "1002")));
}

TEST_P(RepositorySuite, EmptyTransactionPublishesNothing) {
  const auto before = snap();
  ASSERT_TRUE(store_->transact([](Transaction&) -> Result<void> { return {}; }));
  EXPECT_EQ(snap(), before);
}

TEST_P(RepositorySuite, NestedTransactIsRefused) {
  Result<void> inner;
  auto outer = store_->transact([&](Transaction& tx) -> Result<void> {
    inner = store_->transact([](Transaction&) -> Result<void> { return {}; });
    auto u = tx.users().create(make_user("Alice", "alice@example.com", "1001"));
    if (!u) {
      return fail(u.error());
    }
    return {};
  });
  ASSERT_TRUE(outer) << outer.error().message;
  ASSERT_FALSE(inner);
  EXPECT_EQ(inner.error().code, Errc::kInternal);
  EXPECT_NE(snap()->user_by_extension("1001"), nullptr);
}

TEST_P(RepositorySuite, ConcurrentWritersAreSerialised) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 25;
  const auto v0 = version();
  std::vector<std::thread> threads;
  std::vector<int> failures(kThreads, 0);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const int n = t * kPerThread + i;
        auto r = store_->transact([&](Transaction& tx) -> Result<void> {
          auto u = tx.users().create(make_user(
              fmt::format("U{}", n), fmt::format("u{}@example.com", n), std::to_string(5000 + n)));
          if (!u) {
            return fail(u.error());
          }
          return {};
        });
        failures[t] += r ? 0 : 1;
        // Readers never lock: a snapshot taken any time is whole.
        auto s = store_->snapshot();
        EXPECT_EQ(s->user_ids().size(), s->version() - v0);
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  for (int f : failures) {
    EXPECT_EQ(f, 0);
  }
  EXPECT_EQ(snap()->user_ids().size(), std::size_t{kThreads * kPerThread});
  EXPECT_EQ(version(), v0 + kThreads * kPerThread);
}

// ---- memberships -----------------------------------------------------------------------

TEST_P(RepositorySuite, MembershipAppendInsertMoveRemove) {
  auto g = create_group(make_group("Sales"));
  ASSERT_TRUE(g);
  std::vector<model::UserId> u;
  for (int i = 0; i < 6; ++i) {
    auto user = create_user(make_user(fmt::format("U{}", i), fmt::format("u{}@example.com", i),
                                      std::to_string(1000 + i)));
    ASSERT_TRUE(user);
    u.push_back(user->id);
  }
  using Ids = std::vector<model::UserId>;

  // Append without a position.
  for (int i = 0; i < 3; ++i) {
    set_time(kT0 + i);
    auto put = put_member(g->id, u[i]);
    ASSERT_TRUE(put) << put.error().message;
    EXPECT_TRUE(put->created);
    EXPECT_EQ(put->member, (model::Member{u[i], i + 1, kT0 + i}));
  }
  EXPECT_EQ(member_ids(g->id), (Ids{u[0], u[1], u[2]}));
  EXPECT_EQ(snap()->membership_count(), 3u);

  // Put of an existing member without a position leaves it where it is.
  set_time(kT0 + 100);
  auto again = put_member(g->id, u[1]);
  ASSERT_TRUE(again);
  EXPECT_FALSE(again->created);
  EXPECT_EQ(again->member, (model::Member{u[1], 2, kT0 + 1}));
  EXPECT_EQ(member_ids(g->id), (Ids{u[0], u[1], u[2]}));

  // Insert a new member at a position: the others shift, on both sides of the snapshot.
  auto inserted = put_member(g->id, u[3], 1);
  ASSERT_TRUE(inserted);
  EXPECT_TRUE(inserted->created);
  EXPECT_EQ(inserted->member.position, 1);
  EXPECT_EQ(member_ids(g->id), (Ids{u[3], u[0], u[1], u[2]}));
  EXPECT_EQ(snap()->groups_of(u[2])[0].position, 4);

  // Positions are clamped: past the end appends, below 1 goes first.
  auto far = put_member(g->id, u[4], 99);
  ASSERT_TRUE(far);
  EXPECT_EQ(far->member.position, 5);
  auto low = put_member(g->id, u[5], -3);
  ASSERT_TRUE(low);
  EXPECT_EQ(low->member.position, 1);
  EXPECT_EQ(member_ids(g->id), (Ids{u[5], u[3], u[0], u[1], u[2], u[4]}));

  // Move down, move up, move past the end (clamped to n), move to where it is.
  auto down = put_member(g->id, u[5], 4);
  ASSERT_TRUE(down);
  EXPECT_FALSE(down->created);
  EXPECT_EQ(down->member.position, 4);
  EXPECT_EQ(down->member.joined_at, low->member.joined_at);
  EXPECT_EQ(member_ids(g->id), (Ids{u[3], u[0], u[1], u[5], u[2], u[4]}));
  auto up = put_member(g->id, u[4], 2);
  ASSERT_TRUE(up);
  EXPECT_EQ(member_ids(g->id), (Ids{u[3], u[4], u[0], u[1], u[5], u[2]}));
  auto last = put_member(g->id, u[3], 1000);
  ASSERT_TRUE(last);
  EXPECT_EQ(last->member.position, 6);
  EXPECT_EQ(member_ids(g->id), (Ids{u[4], u[0], u[1], u[5], u[2], u[3]}));
  auto same = put_member(g->id, u[1], 3);
  ASSERT_TRUE(same);
  EXPECT_EQ(member_ids(g->id), (Ids{u[4], u[0], u[1], u[5], u[2], u[3]}));

  // Remove closes the gap.
  ASSERT_TRUE(in_tx([&](Transaction& tx) { return tx.memberships().remove(g->id, u[1]); }));
  EXPECT_EQ(member_ids(g->id), (Ids{u[4], u[0], u[5], u[2], u[3]}));
  EXPECT_TRUE(snap()->groups_of(u[1]).empty());
  EXPECT_EQ(snap()->membership_count(), 5u);
  auto missing = in_tx([&](Transaction& tx) { return tx.memberships().remove(g->id, u[1]); });
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, Errc::kNotFound);

  const std::string before = dump(*snap());
  reopen();
  EXPECT_EQ(dump(*snap()), before);
  EXPECT_EQ(member_ids(g->id), (Ids{u[4], u[0], u[5], u[2], u[3]}));
}

TEST_P(RepositorySuite, MembershipOfUnknownGroupOrUser) {
  auto g = create_group(make_group("Sales"));
  auto u = create_user(make_user("Alice", "alice@example.com", "1001"));
  ASSERT_TRUE(g && u);
  const auto v = version();
  auto no_group = put_member(g->id + 100, u->id);
  ASSERT_FALSE(no_group);
  EXPECT_EQ(no_group.error().code, Errc::kNotFound);
  auto no_user = put_member(g->id, u->id + 100);
  ASSERT_FALSE(no_user);
  EXPECT_EQ(no_user.error().code, Errc::kNotFound);
  EXPECT_EQ(version(), v);
}

TEST_P(RepositorySuite, ReplaceGroupsOfUser) {
  auto g1 = create_group(make_group("G1"));
  auto g2 = create_group(make_group("G2"));
  auto g3 = create_group(make_group("G3"));
  ASSERT_TRUE(g1 && g2 && g3);
  std::vector<model::UserId> u;
  for (int i = 0; i < 4; ++i) {
    auto user = create_user(make_user(fmt::format("U{}", i), fmt::format("u{}@example.com", i),
                                      std::to_string(1000 + i)));
    ASSERT_TRUE(user);
    u.push_back(user->id);
  }
  using Ids = std::vector<model::UserId>;
  // g1: u1 u0 u2; g2: u0 u3; g3: u1
  ASSERT_TRUE(put_member(g1->id, u[1]));
  ASSERT_TRUE(put_member(g1->id, u[0]));
  ASSERT_TRUE(put_member(g1->id, u[2]));
  ASSERT_TRUE(put_member(g2->id, u[0]));
  ASSERT_TRUE(put_member(g2->id, u[3]));
  ASSERT_TRUE(put_member(g3->id, u[1]));
  const auto g2_joined = snap()->members(g2->id)[0].joined_at;

  set_time(kT0 + 500);
  // u0 leaves g1, stays in g2 where it is, joins g3 at the end; duplicates are harmless.
  ASSERT_TRUE(in_tx([&](Transaction& tx) {
    return tx.memberships().replace_groups_of(u[0], {g3->id, g2->id, g3->id});
  }));
  EXPECT_EQ(member_ids(g1->id), (Ids{u[1], u[2]}));
  EXPECT_EQ(member_ids(g2->id), (Ids{u[0], u[3]}));
  EXPECT_EQ(member_ids(g3->id), (Ids{u[1], u[0]}));
  auto mine = snap()->groups_of(u[0]);
  ASSERT_EQ(mine.size(), 2u);
  EXPECT_EQ(mine[0], (model::UserMembership{g2->id, 1, g2_joined}));
  EXPECT_EQ(mine[1], (model::UserMembership{g3->id, 2, kT0 + 500}));
  // u2 moved up in g1 because u0 left.
  EXPECT_EQ(snap()->groups_of(u[2])[0].position, 2);

  // Unknown group: invalid, naming the field; nothing changes.
  const std::string before = dump(*snap());
  auto bad = in_tx([&](Transaction& tx) {
    return tx.memberships().replace_groups_of(u[0], {g1->id, g3->id + 100});
  });
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, Errc::kInvalid);
  EXPECT_EQ(bad.error().field, "group_ids");
  EXPECT_EQ(dump(*snap()), before);
  auto nobody = in_tx(
      [&](Transaction& tx) { return tx.memberships().replace_groups_of(u[3] + 100, {g1->id}); });
  ASSERT_FALSE(nobody);
  EXPECT_EQ(nobody.error().code, Errc::kNotFound);

  // The empty set leaves everything.
  ASSERT_TRUE(in_tx([&](Transaction& tx) { return tx.memberships().replace_groups_of(u[0], {}); }));
  EXPECT_TRUE(snap()->groups_of(u[0]).empty());
  EXPECT_EQ(member_ids(g2->id), (Ids{u[3]}));
  EXPECT_EQ(member_ids(g3->id), (Ids{u[1]}));
  const std::string after = dump(*snap());
  reopen();
  EXPECT_EQ(dump(*snap()), after);
}

TEST_P(RepositorySuite, GroupDeleteKeepsUsersAndDropsMemberships) {
  auto sales = create_group(make_group("Sales", "2000"));
  auto support = create_group(make_group("Support"));
  auto a = create_user(make_user("A", "a@example.com", "1001"));
  auto b = create_user(make_user("B", "b@example.com", "1002"));
  ASSERT_TRUE(sales && support && a && b);
  ASSERT_TRUE(put_member(sales->id, a->id));
  ASSERT_TRUE(put_member(sales->id, b->id));
  ASSERT_TRUE(put_member(support->id, b->id));
  ASSERT_TRUE(put_member(support->id, a->id));
  EXPECT_EQ(snap()->membership_count(), 4u);

  ASSERT_TRUE(in_tx([&](Transaction& tx) { return tx.groups().remove(sales->id); }));
  auto s = snap();
  EXPECT_EQ(s->group(sales->id), nullptr);
  EXPECT_TRUE(s->members(sales->id).empty());
  ASSERT_NE(s->user(a->id), nullptr);
  ASSERT_NE(s->user(b->id), nullptr);
  ASSERT_EQ(s->groups_of(a->id).size(), 1u);
  EXPECT_EQ(s->groups_of(a->id)[0].group, support->id);
  EXPECT_EQ(s->groups_of(a->id)[0].position, 2);
  ASSERT_EQ(s->groups_of(b->id).size(), 1u);
  EXPECT_EQ(s->groups_of(b->id)[0].group, support->id);
  EXPECT_EQ(member_ids(support->id), (std::vector<model::UserId>{b->id, a->id}));
  EXPECT_EQ(s->membership_count(), 2u);
  EXPECT_EQ(s->extension_owner("2000"), std::nullopt);
  // The group's name and extension are free again.
  EXPECT_TRUE(create_group(make_group("SALES", "2000")));
  const std::string after = dump(*snap());
  reopen();
  EXPECT_EQ(dump(*snap()), after);
}

TEST_P(RepositorySuite, UserDeleteDropsMembershipsAndTokensAndRenumbers) {
  auto g1 = create_group(make_group("G1"));
  auto g2 = create_group(make_group("G2"));
  ASSERT_TRUE(g1 && g2);
  std::vector<model::UserId> u;
  for (int i = 0; i < 3; ++i) {
    auto user = create_user(make_user(fmt::format("U{}", i), fmt::format("u{}@example.com", i),
                                      std::to_string(1000 + i)));
    ASSERT_TRUE(user);
    u.push_back(user->id);
  }
  // g1: u0 u1 u2; g2: u2 u0 u1
  for (int i : {0, 1, 2}) {
    ASSERT_TRUE(put_member(g1->id, u[i]));
  }
  for (int i : {2, 0, 1}) {
    ASSERT_TRUE(put_member(g2->id, u[i]));
  }
  auto t0 = in_tx([&](Transaction& tx) { return tx.tokens().create(u[0], std::string(64, 'a')); });
  auto t1 = in_tx([&](Transaction& tx) { return tx.tokens().create(u[0], std::string(64, 'b')); });
  auto other =
      in_tx([&](Transaction& tx) { return tx.tokens().create(u[1], std::string(64, 'c')); });
  ASSERT_TRUE(t0 && t1 && other);

  ASSERT_TRUE(in_tx([&](Transaction& tx) { return tx.users().remove(u[0]); }));
  auto s = snap();
  EXPECT_EQ(s->user(u[0]), nullptr);
  EXPECT_TRUE(s->groups_of(u[0]).empty());
  EXPECT_EQ(member_ids(g1->id), (std::vector<model::UserId>{u[1], u[2]}));
  EXPECT_EQ(member_ids(g2->id), (std::vector<model::UserId>{u[2], u[1]}));
  EXPECT_EQ(s->groups_of(u[1])[0].position, 1);  // g1
  EXPECT_EQ(s->groups_of(u[1])[1].position, 2);  // g2
  EXPECT_EQ(s->token(t0->id), nullptr);
  EXPECT_EQ(s->token(t1->id), nullptr);
  EXPECT_EQ(s->token_by_secret_hash(std::string(64, 'a')), nullptr);
  EXPECT_NE(s->token(other->id), nullptr);
  EXPECT_EQ(s->membership_count(), 4u);
  const std::string after = dump(*s);
  reopen();
  EXPECT_EQ(dump(*snap()), after);
}

// ---- reopen ----------------------------------------------------------------------------

TEST_P(RepositorySuite, ReopenGivesIdenticalContent) {
  auto trunk = create_trunk(make_trunk("carrier"));
  ASSERT_TRUE(trunk);
  std::vector<model::UserId> users;
  for (int i = 0; i < 8; ++i) {
    set_time(kT0 + i);
    model::User u = make_user(fmt::format("U{}", i), fmt::format("u{}@example.com", i),
                              std::to_string(1000 + i));
    u.role = i == 0 ? model::Role::kAdmin : model::Role::kAgent;
    u.caller_id = i % 2 ? std::optional<std::string>("+1555000" + std::to_string(i)) : std::nullopt;
    u.active = i != 3;
    auto created = create_user(u);
    ASSERT_TRUE(created);
    users.push_back(created->id);
  }
  std::vector<model::GroupId> groups;
  for (int i = 0; i < 3; ++i) {
    model::Group g = make_group(fmt::format("G{}", i), std::to_string(2000 + i));
    g.trunk = i == 0 ? std::optional<model::TrunkId>(trunk->id) : std::nullopt;
    g.ring_strategy = i == 1 ? model::RingStrategy::kLeastRecent : model::RingStrategy::kRandom;
    g.fallback = model::DestGroup{i + 1};
    g.cti_scope = i == 2;
    auto created = create_group(g);
    ASSERT_TRUE(created) << created.error().message;
    groups.push_back(created->id);
  }
  for (std::size_t i = 0; i < users.size(); ++i) {
    ASSERT_TRUE(put_member(groups[i % 3], users[i], 1));
    ASSERT_TRUE(put_member(groups[(i + 1) % 3], users[i]));
  }
  ASSERT_TRUE(in_tx([&](Transaction& tx) { return tx.tokens().create(users[0], "abc"); }));
  ASSERT_TRUE(in_tx([&](Transaction& tx) { return tx.users().remove(users[5]); }));
  auto full = create_trunk(make_full_trunk("full"));
  ASSERT_TRUE(full) << full.error().message;
  model::OutboundRule sales = make_rule("Sales out", {full->id, trunk->id}, {"_9NXX.", "911"});
  sales.caller_groups = {groups[0], groups[2]};
  sales.caller_users = {users[1]};
  sales.strip = 1;
  sales.prepend = "+1";
  sales.caller_id = model::CallerIdSetting{model::CallerIdPolicy::kGroup, ""};
  sales.allow_trunk_callers = true;
  ASSERT_TRUE(create_rule(sales));
  model::OutboundRule fixed = make_rule("Fixed", {trunk->id});
  fixed.caller_id = model::CallerIdSetting{model::CallerIdPolicy::kFixed, "+15550100"};
  fixed.position = 1;
  ASSERT_TRUE(create_rule(fixed));
  ASSERT_TRUE(create_rule(make_rule("Default caller id", {trunk->id})));
  const std::string before = dump(*snap());
  ASSERT_NE(before.find("rule "), std::string::npos);
  reopen();
  EXPECT_EQ(dump(*snap()), before);
  reopen();
  EXPECT_EQ(dump(*snap()), before);
}

}  // namespace cohort::store::testing

// ---- bindings (registrations) -----------------------------------------------------------

namespace cohort::store::testing {
namespace {

BindingRecord make_binding(model::UserId user, std::string contact, std::int64_t expires_at) {
  BindingRecord b;
  b.user = user;
  b.contact = std::move(contact);
  b.instance_id = "<urn:uuid:00000000-0000-1000-8000-000A95A0E128>";
  b.reg_id = 1;
  b.q_milli = 700;
  b.call_id = "abc@host";
  b.cseq = 42;
  b.expires_at = expires_at;
  b.source = "127.0.0.1:5062";
  b.transport = "udp";
  b.local = "127.0.0.1:5060";
  b.user_agent = "baresip";
  b.path = {"<sip:proxy1;lr>", "<sip:proxy2;lr>"};
  b.updated_at = expires_at - 3600;
  return b;
}

TEST_P(RepositorySuite, BindingsUpsertRemoveAndSurviveReopen) {
  auto alice = create_user(make_user("Alice", "alice@example.com", "1001"));
  auto bob = create_user(make_user("Bob", "bob@example.com", "1002"));
  ASSERT_TRUE(alice && bob);
  BindingRecord a1 = make_binding(alice->id, "sip:1001@127.0.0.1:5062", kT0 + 3600);
  BindingRecord a2 = make_binding(alice->id, "sip:1001@127.0.0.1:5064;transport=tcp", kT0 + 60);
  BindingRecord b1 = make_binding(bob->id, "sip:1002@[::1]:5070", kT0 + 120);
  ASSERT_TRUE(store_->bindings().save_bindings({a1, a2, b1}, {}));
  const auto v = version();

  // An upsert of the same key replaces the row; a removal deletes one.
  a1.cseq = 43;
  a1.expires_at = kT0 + 7200;
  ASSERT_TRUE(
      store_->bindings().save_bindings({a1}, {{alice->id, a2.contact, a2.instance_id, a2.reg_id}}));
  auto loaded = store_->bindings().load_bindings();
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_EQ(*loaded, (std::vector<BindingRecord>{a1, b1}));
  EXPECT_EQ(version(), v) << "bindings are runtime state, not configuration";

  reopen();
  loaded = store_->bindings().load_bindings();
  ASSERT_TRUE(loaded);
  EXPECT_EQ(*loaded, (std::vector<BindingRecord>{a1, b1}));

  // RFC 5626: two flows of one device share the Contact and differ in reg-id.
  BindingRecord flow2 = a1;
  flow2.reg_id = 2;
  ASSERT_TRUE(store_->bindings().save_bindings({flow2}, {}));
  loaded = store_->bindings().load_bindings();
  ASSERT_TRUE(loaded);
  EXPECT_EQ(loaded->size(), 3u);
  ASSERT_TRUE(store_->bindings().save_bindings(
      {}, {{flow2.user, flow2.contact, flow2.instance_id, flow2.reg_id}}));

  // A user's bindings go with the user; a binding for a missing user is skipped and does
  // not spoil the rest of its batch.
  ASSERT_TRUE(store_->transact([&](Transaction& tx) { return tx.users().remove(bob->id); }));
  BindingRecord ghost = make_binding(9999, "sip:9999@127.0.0.1", kT0 + 60);
  a1.cseq = 44;
  ASSERT_TRUE(store_->bindings().save_bindings({ghost, a1}, {}));
  loaded = store_->bindings().load_bindings();
  ASSERT_TRUE(loaded);
  EXPECT_EQ(*loaded, (std::vector<BindingRecord>{a1}));
}

}  // namespace
}  // namespace cohort::store::testing

// ---- trunks with connection fields -------------------------------------------------------

namespace cohort::store::testing {
namespace {

TEST_P(RepositorySuite, TrunkKeepsEveryFieldAndSurvivesReopen) {
  const model::Trunk draft = make_full_trunk("Provider");
  auto created = create_trunk(draft);
  ASSERT_TRUE(created) << created.error().message;
  model::Trunk expected = draft;
  expected.id = created->id;
  expected.created_at = kT0;
  expected.updated_at = kT0;
  EXPECT_EQ(*created, expected);
  EXPECT_EQ(*snap()->trunk(created->id), expected);

  // Optional and list fields go back to their empty forms too.
  set_time(kT0 + 3);
  model::Trunk plain = *created;
  plain.auth_realm.reset();
  plain.inbound_sources.clear();
  plain.transport = model::TrunkTransport::kUdp;
  plain.register_enabled = false;
  plain.media = model::TrunkMedia::kRelay;
  auto updated = in_tx([&](Transaction& tx) { return tx.trunks().update(plain); });
  ASSERT_TRUE(updated) << updated.error().message;
  plain.updated_at = kT0 + 3;
  EXPECT_EQ(*updated, plain);

  const std::string before = dump(*snap());
  reopen();
  EXPECT_EQ(dump(*snap()), before);
  EXPECT_EQ(*snap()->trunk(created->id), plain);
}

// Issue 13: a trunk relays its calls' RTP unless told otherwise, and keeps either word.
TEST_P(RepositorySuite, TrunkMediaDefaultsToRelayAndRoundTrips) {
  auto created = create_trunk(make_trunk("Provider"));
  ASSERT_TRUE(created) << created.error().message;
  EXPECT_EQ(created->media, model::TrunkMedia::kRelay);
  EXPECT_EQ(snap()->trunk(created->id)->media, model::TrunkMedia::kRelay);

  for (model::TrunkMedia media : {model::TrunkMedia::kDirect, model::TrunkMedia::kRelay}) {
    SCOPED_TRACE(std::string(model::to_string(media)));
    model::Trunk changed = *snap()->trunk(created->id);
    changed.media = media;
    auto updated = in_tx([&](Transaction& tx) { return tx.trunks().update(changed); });
    ASSERT_TRUE(updated) << updated.error().message;
    EXPECT_EQ(updated->media, media);
    EXPECT_EQ(snap()->trunk(created->id)->media, media);
    reopen();
    EXPECT_EQ(snap()->trunk(created->id)->media, media);
    EXPECT_EQ(snap()->trunk(created->id)->name, "Provider");
  }

  model::Trunk direct = make_trunk("Direct");
  direct.media = model::TrunkMedia::kDirect;
  auto second = create_trunk(direct);
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_EQ(second->media, model::TrunkMedia::kDirect);
  reopen();
  EXPECT_EQ(snap()->trunk(second->id)->media, model::TrunkMedia::kDirect);
  EXPECT_EQ(snap()->trunk(created->id)->media, model::TrunkMedia::kRelay);
}

TEST_P(RepositorySuite, TrunkUpdateOfOtherFieldsKeepsThePassword) {
  auto created = create_trunk(make_full_trunk("Provider"));
  ASSERT_TRUE(created);
  // The API edits the stored trunk (from the snapshot); a rename must not lose the secret
  // it never shows.
  model::Trunk renamed = *snap()->trunk(created->id);
  renamed.name = "Provider 2";
  renamed.port = 5060;
  ASSERT_TRUE(in_tx([&](Transaction& tx) { return tx.trunks().update(renamed); }));
  EXPECT_EQ(snap()->trunk(created->id)->password, make_full_trunk("x").password);
  reopen();
  EXPECT_EQ(snap()->trunk(created->id)->password, make_full_trunk("x").password);
  EXPECT_EQ(snap()->trunk(created->id)->name, "Provider 2");
}

// ---- outbound rules ----------------------------------------------------------------------

model::OutboundRule at(model::OutboundRule r, int position) {
  r.position = position;
  return r;
}

TEST_P(RepositorySuite, OutboundRuleCreateAtPositionsKeepsThemDense) {
  auto trunk = create_trunk(make_trunk("carrier"));
  ASSERT_TRUE(trunk);
  const auto v0 = version();
  auto a = create_rule(make_rule("A", {trunk->id}));  // 0 = at the end
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(a->position, 1);
  EXPECT_EQ(version(), v0 + 1);
  auto b = create_rule(at(make_rule("B", {trunk->id}), 1));
  ASSERT_TRUE(b);
  EXPECT_EQ(b->position, 1);
  auto c = create_rule(at(make_rule("C", {trunk->id}), 2));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->position, 2);
  auto d = create_rule(at(make_rule("D", {trunk->id}), 99));  // clamped to n+1
  ASSERT_TRUE(d);
  EXPECT_EQ(d->position, 4);
  auto e = create_rule(at(make_rule("E", {trunk->id}), -3));  // = at the end
  ASSERT_TRUE(e);
  EXPECT_EQ(e->position, 5);
  EXPECT_EQ(rule_ids(), (std::vector<model::OutboundRuleId>{b->id, c->id, a->id, d->id, e->id}));
  // The stored after-state of a shifted rule reaches the snapshot.
  EXPECT_EQ(snap()->outbound_rule(a->id)->position, 3);
  EXPECT_EQ(snap()->outbound_rule(a->id)->created_at, kT0);
}

TEST_P(RepositorySuite, OutboundRuleUpdateReplacesFieldsAndMoves) {
  auto t1 = create_trunk(make_trunk("one"));
  auto t2 = create_trunk(make_trunk("two"));
  ASSERT_TRUE(t1 && t2);
  std::vector<model::OutboundRule> rules;
  for (const char* name : {"A", "B", "C", "D"}) {
    auto r = create_rule(make_rule(name, {t1->id}));
    ASSERT_TRUE(r) << r.error().message;
    rules.push_back(*r);
  }
  auto ids = [&](std::initializer_list<int> order) {
    std::vector<model::OutboundRuleId> out;
    for (int i : order) {
      out.push_back(rules[static_cast<std::size_t>(i)].id);
    }
    return out;
  };

  set_time(kT0 + 10);
  // Every field changes; the rule moves down from 1 to 3.
  model::OutboundRule changed = rules[0];
  changed.name = "A prime";
  changed.position = 3;
  changed.patterns = {"_0[1-5]X!", "112"};
  changed.caller_groups = {7, 8};
  changed.caller_users = {9};
  changed.strip = 2;
  changed.prepend = "*#+0";
  changed.trunks = {t2->id, t1->id};
  changed.caller_id = model::CallerIdSetting{model::CallerIdPolicy::kFixed, "+4930123"};
  changed.allow_trunk_callers = true;
  changed.created_at = 1;  // ignored
  auto updated = update_rule(changed);
  ASSERT_TRUE(updated) << updated.error().message;
  model::OutboundRule expected = changed;
  expected.created_at = kT0;
  expected.updated_at = kT0 + 10;
  EXPECT_EQ(*updated, expected);
  EXPECT_EQ(rule_ids(), ids({1, 2, 0, 3}));
  // Neighbours that only moved keep their updated_at.
  EXPECT_EQ(snap()->outbound_rule(rules[1].id)->updated_at, kT0);
  EXPECT_EQ(snap()->outbound_rule(rules[1].id)->position, 1);

  // Up from 4 to 1.
  model::OutboundRule d = *snap()->outbound_rule(rules[3].id);
  d.position = 1;
  ASSERT_TRUE(update_rule(d));
  EXPECT_EQ(rule_ids(), ids({3, 1, 2, 0}));

  // Position 0 keeps the place, beyond n clamps to n, the same place changes nothing else.
  model::OutboundRule b = *snap()->outbound_rule(rules[1].id);
  b.position = 0;
  b.prepend = "9";
  auto kept = update_rule(b);
  ASSERT_TRUE(kept);
  EXPECT_EQ(kept->position, 2);
  EXPECT_EQ(rule_ids(), ids({3, 1, 2, 0}));
  b = *kept;
  b.position = 50;
  auto last = update_rule(b);
  ASSERT_TRUE(last);
  EXPECT_EQ(last->position, 4);
  EXPECT_EQ(rule_ids(), ids({3, 2, 0, 1}));

  // Back to the default caller ID.
  model::OutboundRule a = *snap()->outbound_rule(rules[0].id);
  a.caller_id.reset();
  auto defaulted = update_rule(a);
  ASSERT_TRUE(defaulted);
  EXPECT_EQ(defaulted->caller_id, std::nullopt);

  const std::string before = dump(*snap());
  reopen();
  EXPECT_EQ(dump(*snap()), before);
  EXPECT_EQ(rule_ids(), ids({3, 2, 0, 1}));
}

TEST_P(RepositorySuite, OutboundRuleRemoveClosesTheGap) {
  auto trunk = create_trunk(make_trunk("carrier"));
  ASSERT_TRUE(trunk);
  std::vector<model::OutboundRuleId> ids;
  for (const char* name : {"A", "B", "C"}) {
    auto r = create_rule(make_rule(name, {trunk->id}));
    ASSERT_TRUE(r);
    ids.push_back(r->id);
  }
  ASSERT_TRUE(in_tx([&](Transaction& tx) { return tx.outbound_rules().remove(ids[0]); }));
  EXPECT_EQ(rule_ids(), (std::vector<model::OutboundRuleId>{ids[1], ids[2]}));
  EXPECT_EQ(snap()->outbound_rule(ids[0]), nullptr);
  ASSERT_TRUE(in_tx([&](Transaction& tx) { return tx.outbound_rules().remove(ids[2]); }));
  ASSERT_TRUE(in_tx([&](Transaction& tx) { return tx.outbound_rules().remove(ids[1]); }));
  EXPECT_TRUE(snap()->outbound_rules().empty());
  // A deleted id is never handed out again: it could still be in logs and CDRs.
  auto next = create_rule(make_rule("D", {trunk->id}));
  ASSERT_TRUE(next);
  EXPECT_GT(next->id, ids[2]);
  EXPECT_EQ(next->position, 1);
  reopen();
  EXPECT_EQ(rule_ids(), (std::vector<model::OutboundRuleId>{next->id}));
}

TEST_P(RepositorySuite, OutboundRuleNameIsUniqueIgnoringCase) {
  auto trunk = create_trunk(make_trunk("carrier"));
  ASSERT_TRUE(trunk);
  auto a = create_rule(make_rule("Local", {trunk->id}));
  auto b = create_rule(make_rule("Long distance", {trunk->id}));
  ASSERT_TRUE(a && b);
  const std::string before = dump(*snap());
  const auto v = version();

  auto dup = create_rule(at(make_rule("LOCAL", {trunk->id}), 1));
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code, Errc::kConflict);
  EXPECT_EQ(dup.error().field, "name");

  // The failed move must not leave the others shifted.
  model::OutboundRule renamed = *b;
  renamed.name = "local";
  renamed.position = 1;
  auto clash = update_rule(renamed);
  ASSERT_FALSE(clash);
  EXPECT_EQ(clash.error().code, Errc::kConflict);
  EXPECT_EQ(clash.error().field, "name");
  EXPECT_EQ(version(), v);
  EXPECT_EQ(dump(*snap()), before);

  // Keeping its own name (in another case) is no conflict.
  renamed.name = "LONG DISTANCE";
  ASSERT_TRUE(update_rule(renamed));
  EXPECT_EQ(rule_ids(), (std::vector<model::OutboundRuleId>{b->id, a->id}));
}

TEST_P(RepositorySuite, OutboundRuleUpdateOrRemoveMissingIsNotFound) {
  auto trunk = create_trunk(make_trunk("carrier"));
  ASSERT_TRUE(trunk);
  auto a = create_rule(make_rule("A", {trunk->id}));
  ASSERT_TRUE(a);
  const auto v = version();
  model::OutboundRule ghost = *a;
  ghost.id += 100;
  ghost.name = "ghost";
  auto updated = update_rule(ghost);
  ASSERT_FALSE(updated);
  EXPECT_EQ(updated.error().code, Errc::kNotFound);
  auto removed = in_tx([&](Transaction& tx) { return tx.outbound_rules().remove(ghost.id); });
  ASSERT_FALSE(removed);
  EXPECT_EQ(removed.error().code, Errc::kNotFound);
  EXPECT_EQ(version(), v);
}

TEST_P(RepositorySuite, OutboundRulesKeepIdsOfDeletedObjects) {
  // Deleting what a rule names is the API's decision (409 or forced); the store keeps the
  // id, which then matches nobody and shows as a routing gap.
  auto trunk = create_trunk(make_trunk("carrier"));
  auto alice = create_user(make_user("Alice", "alice@example.com", "1001"));
  auto sales = create_group(make_group("Sales"));
  ASSERT_TRUE(trunk && alice && sales);
  model::OutboundRule r = make_rule("Sales", {trunk->id});
  r.caller_groups = {sales->id};
  r.caller_users = {alice->id};
  auto rule = create_rule(r);
  ASSERT_TRUE(rule);
  ASSERT_TRUE(store_->transact([&](Transaction& tx) -> Result<void> {
    COHORT_TRY(tx.groups().remove(sales->id));
    COHORT_TRY(tx.users().remove(alice->id));
    return tx.trunks().remove(trunk->id);
  }));
  reopen();
  const model::OutboundRule* kept = snap()->outbound_rule(rule->id);
  ASSERT_NE(kept, nullptr);
  EXPECT_EQ(kept->caller_groups, std::vector<model::GroupId>{sales->id});
  EXPECT_EQ(kept->caller_users, std::vector<model::UserId>{alice->id});
  EXPECT_EQ(kept->trunks, std::vector<model::TrunkId>{trunk->id});
}

TEST_P(RepositorySuite, OutboundRuleChangesRollBackWithTheirTransaction) {
  auto trunk = create_trunk(make_trunk("carrier"));
  ASSERT_TRUE(trunk);
  auto a = create_rule(make_rule("A", {trunk->id}));
  ASSERT_TRUE(a);
  const std::string before = dump(*snap());
  const auto v = version();
  auto failed = store_->transact([&](Transaction& tx) -> Result<void> {
    COHORT_TRY(tx.outbound_rules().create(at(make_rule("B", {trunk->id}), 1)));
    COHORT_TRY(tx.outbound_rules().remove(a->id));
    return fail(Error::invalid("x", "changed my mind"));
  });
  ASSERT_FALSE(failed);
  EXPECT_EQ(version(), v);
  EXPECT_EQ(dump(*snap()), before);
  reopen();
  EXPECT_EQ(dump(*snap()), before);
}

// ---- call records ------------------------------------------------------------------------

constexpr std::int64_t kMs0 = 1'700'000'000'000;

CdrRecord make_cdr(std::string id, std::int64_t start_ms) {
  CdrRecord r;
  r.id = std::move(id);
  r.a_leg_call_id = "a-" + r.id + "@10.0.0.5";
  r.b_leg_call_id = "b-" + r.id + "@cohort";
  r.direction = model::CallDirection::kOutbound;
  r.caller_user = 3;
  r.caller = "1003";
  r.dialled = "915551234";
  r.number_sent = "+15551234";
  r.caller_id = "010000";
  r.caller_id_group = 1;
  r.trunk = 1;
  r.rule = 2;
  r.start_ms = start_ms;
  r.ringing_ms = start_ms + 800;
  r.answer_ms = start_ms + 4'000;
  r.end_ms = start_ms + 64'000;
  r.disposition = model::Disposition::kAnswered;
  r.hangup_cause = "caller_bye";
  r.sip_status = 200;
  return r;
}

std::vector<std::string> ids_of(const std::vector<CdrRecord>& records) {
  std::vector<std::string> out;
  for (const CdrRecord& r : records) {
    out.push_back(r.id);
  }
  return out;
}

TEST_P(RepositorySuite, CdrsUpsertKeepsTheirSeqAndSurviveReopen) {
  CdrRecord a = make_cdr("call-a", kMs0);
  a.end_ms = 0;  // answered, still up
  a.disposition.reset();
  a.hangup_cause.clear();
  CdrRecord b = make_cdr("call-b", kMs0 + 1'000);
  b.caller_user.reset();
  b.caller_id_group.reset();
  b.trunk.reset();
  b.rule.reset();
  b.direction = model::CallDirection::kInternal;
  b.callee_user = 4;
  ASSERT_TRUE(store_->cdrs().save_cdrs({a, b}));
  const auto v = version();
  auto all = store_->cdrs().query_cdrs({});
  ASSERT_TRUE(all) << all.error().message;
  ASSERT_EQ(all->size(), 2u);
  // Newest first; seq assigned by the store in write order.
  EXPECT_EQ(ids_of(*all), (std::vector<std::string>{"call-b", "call-a"}));
  const std::int64_t seq_a = (*all)[1].seq;
  const std::int64_t seq_b = (*all)[0].seq;
  EXPECT_GT(seq_a, 0);
  EXPECT_GT(seq_b, seq_a);
  a.seq = seq_a;
  b.seq = seq_b;
  EXPECT_EQ((*all)[1], a);
  EXPECT_EQ((*all)[0], b);

  // The end of call a arrives after b was written: same row, same seq, new fields.
  a.end_ms = kMs0 + 90'000;
  a.disposition = model::Disposition::kAnswered;
  a.hangup_cause = "callee_bye";
  a.seq = 0;  // ignored on write
  CdrRecord c = make_cdr("call-c", kMs0 + 2'000);
  ASSERT_TRUE(store_->cdrs().save_cdrs({a, c}));
  all = store_->cdrs().query_cdrs({});
  ASSERT_TRUE(all);
  EXPECT_EQ(ids_of(*all), (std::vector<std::string>{"call-c", "call-b", "call-a"}));
  a.seq = seq_a;
  EXPECT_EQ(all->back(), a);
  EXPECT_EQ(version(), v) << "call records are not configuration";

  const auto before = *all;
  reopen();
  auto reopened = store_->cdrs().query_cdrs({});
  ASSERT_TRUE(reopened);
  EXPECT_EQ(*reopened, before);
  EXPECT_TRUE(store_->cdrs().save_cdrs({}));
}

TEST_P(RepositorySuite, CdrsLeftOpenByACrashAreClosedAsInterrupted) {
  CdrRecord up = make_cdr("up", kMs0);
  up.end_ms = 0;
  up.disposition.reset();
  CdrRecord up2 = make_cdr("up2", kMs0 + 5);
  up2.end_ms = 0;
  up2.disposition.reset();
  CdrRecord done = make_cdr("done", kMs0 + 10);
  ASSERT_TRUE(store_->cdrs().save_cdrs({up, done, up2}));
  reopen();
  auto closed = store_->cdrs().close_interrupted(kMs0 + 500'000);
  ASSERT_TRUE(closed) << closed.error().message;
  EXPECT_EQ(*closed, 2u);
  auto all = store_->cdrs().query_cdrs({});
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 3u);
  for (const CdrRecord& r : *all) {
    if (r.id == "done") {
      EXPECT_EQ(r.disposition, model::Disposition::kAnswered);
      EXPECT_EQ(r.end_ms, done.end_ms);
    } else {
      EXPECT_EQ(r.disposition, model::Disposition::kInterrupted) << r.id;
      EXPECT_EQ(r.end_ms, kMs0 + 500'000) << r.id;
      EXPECT_EQ(r.answer_ms, (r.id == "up" ? up : up2).answer_ms) << r.id;
    }
  }
  auto again = store_->cdrs().close_interrupted(kMs0 + 600'000);
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, 0u);
}

TEST_P(RepositorySuite, CdrQueriesFilterAndPageNewestFirst) {
  // 12 calls, one per second: users 1..3 call in turn, alternating directions and outcomes.
  std::vector<CdrRecord> batch;
  for (int i = 0; i < 12; ++i) {
    CdrRecord r = make_cdr(fmt::format("c{:02}", i), kMs0 + i * 1'000);
    r.caller_user = 1 + i % 3;
    r.callee_user = i % 4 == 0 ? std::optional<model::UserId>(1) : std::nullopt;
    r.caller_id_group = i % 2 == 0 ? std::optional<model::GroupId>(7) : std::nullopt;
    r.direction = i % 4 == 0 ? model::CallDirection::kInternal : model::CallDirection::kOutbound;
    r.disposition = i % 3 == 0 ? model::Disposition::kBusy : model::Disposition::kAnswered;
    batch.push_back(r);
  }
  ASSERT_TRUE(store_->cdrs().save_cdrs(batch));
  auto q = [&](CdrQuery query) {
    auto r = store_->cdrs().query_cdrs(query);
    EXPECT_TRUE(r) << r.error().message;
    return r ? ids_of(*r) : std::vector<std::string>{};
  };
  using Ids = std::vector<std::string>;

  EXPECT_EQ(q({.from_ms = kMs0 + 9'000}), (Ids{"c11", "c10", "c09"}));
  EXPECT_EQ(q({.to_ms = kMs0 + 2'000}), (Ids{"c01", "c00"}));  // to is exclusive
  EXPECT_EQ(q({.from_ms = kMs0 + 3'000, .to_ms = kMs0 + 5'000}), (Ids{"c04", "c03"}));
  // User 1 as caller (0, 3, 6, 9) or as callee (0, 4, 8).
  EXPECT_EQ(q({.user = 1}), (Ids{"c09", "c08", "c06", "c04", "c03", "c00"}));
  EXPECT_EQ(q({.user = 2}), (Ids{"c10", "c07", "c04", "c01"}));
  EXPECT_EQ(q({.group = 7}), (Ids{"c10", "c08", "c06", "c04", "c02", "c00"}));
  EXPECT_EQ(q({.direction = model::CallDirection::kInternal}), (Ids{"c08", "c04", "c00"}));
  EXPECT_EQ(q({.disposition = model::Disposition::kBusy}), (Ids{"c09", "c06", "c03", "c00"}));
  EXPECT_EQ(
      q({.direction = model::CallDirection::kInternal, .disposition = model::Disposition::kBusy}),
      (Ids{"c00"}));
  EXPECT_EQ(q({.user = 3, .group = 7}), (Ids{"c08", "c02"}));
  EXPECT_TRUE(q({.direction = model::CallDirection::kInbound}).empty());
  EXPECT_TRUE(q({.user = 99}).empty());

  // Pages of 5 by seq cursor: every record once, in order.
  Ids walked;
  std::int64_t before = 0;
  for (int page = 0; page < 10; ++page) {
    auto r = store_->cdrs().query_cdrs({.before_seq = before, .limit = 5});
    ASSERT_TRUE(r);
    if (r->empty()) {
      break;
    }
    EXPECT_LE(r->size(), 5u);
    for (const CdrRecord& c : *r) {
      walked.push_back(c.id);
    }
    before = r->back().seq;
  }
  Ids expected;
  for (int i = 11; i >= 0; --i) {
    expected.push_back(fmt::format("c{:02}", i));
  }
  EXPECT_EQ(walked, expected);
  // A cursor combines with the filters.
  auto busy = store_->cdrs().query_cdrs({.disposition = model::Disposition::kBusy, .limit = 2});
  ASSERT_TRUE(busy);
  EXPECT_EQ(ids_of(*busy), (Ids{"c09", "c06"}));
  EXPECT_EQ(q({.disposition = model::Disposition::kBusy, .before_seq = busy->back().seq}),
            (Ids{"c03", "c00"}));
}

// ---- inbound routes, schedules, pauses and hunt state (issue 5) ---------------------------

model::InboundRoute make_route(const std::string& name, const std::string& did, int position = 0) {
  model::InboundRoute r;
  r.name = name;
  r.did = did;
  r.position = position;
  r.destination = model::DestGroup{1};
  return r;
}

/// The route ids in position order, checking that positions are 1..n and that
/// inbound_route(id) finds each.
std::vector<model::InboundRouteId> route_ids(const model::Snapshot& s) {
  std::vector<model::InboundRouteId> ids;
  int expected = 1;
  for (const model::InboundRoute& r : s.inbound_routes()) {
    EXPECT_EQ(r.position, expected) << "route " << r.id;
    ++expected;
    ids.push_back(r.id);
    const model::InboundRoute* by_id = s.inbound_route(r.id);
    EXPECT_TRUE(by_id != nullptr && *by_id == r) << "inbound_route(" << r.id << ")";
  }
  return ids;
}

model::Schedule make_schedule(const std::string& name) {
  model::Schedule sc;
  sc.name = name;
  sc.timezone = "Europe/Berlin";
  sc.weekly = {
      {model::kMon | model::kTue | model::kWed | model::kThu | model::kFri, 8 * 60, 17 * 60 + 30},
      {model::kSat, 22 * 60, 2 * 60},
      {model::kSun, 0, 0}};
  sc.holidays = {{"Christmas \"eve\"", 20261224, 20261226, false}, {"New year", 1231, 102, true}};
  sc.override_mode = model::ScheduleOverride::kClosed;
  return sc;
}

TEST_P(RepositorySuite, InboundRoutesKeepPositionsDenseThroughCreateMoveRemove) {
  auto create = [&](const model::InboundRoute& r) {
    return in_tx([&](Transaction& tx) { return tx.inbound_routes().create(r); });
  };
  auto a = create(make_route("A", "4930123"));  // 0 = at the end
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(a->position, 1);
  EXPECT_EQ(a->created_at, kT0);
  auto b = create(make_route("B", "_49X.", 1));
  auto c = create(make_route("C", "100", 2));
  auto d = create(make_route("D", "200", 99));  // clamped to n+1
  ASSERT_TRUE(b && c && d);
  EXPECT_EQ(d->position, 4);
  EXPECT_EQ(route_ids(*snap()), (std::vector<model::InboundRouteId>{b->id, c->id, a->id, d->id}));

  // Update every field and move to the front.
  set_time(kT0 + 10);
  model::InboundRoute changed = *d;
  changed.name = "Dee";
  changed.did = "_0X.";
  changed.caller = "_+1X.";
  changed.trunk = 42;  // not checked: a missing trunk is a routing gap, not a store error
  changed.destination = model::DestVoicemail{model::DestVoicemail::Box::kUser, 3};
  changed.position = 1;
  auto updated = in_tx([&](Transaction& tx) { return tx.inbound_routes().update(changed); });
  ASSERT_TRUE(updated) << updated.error().message;
  EXPECT_EQ(updated->position, 1);
  EXPECT_EQ(updated->updated_at, kT0 + 10);
  EXPECT_EQ(updated->created_at, kT0);
  changed.updated_at = kT0 + 10;
  changed.created_at = kT0;
  EXPECT_EQ(*updated, changed);
  EXPECT_EQ(*snap()->inbound_route(d->id), changed);
  EXPECT_EQ(route_ids(*snap()), (std::vector<model::InboundRouteId>{d->id, b->id, c->id, a->id}));
  // A neighbour that only moved keeps its updated_at.
  EXPECT_EQ(snap()->inbound_route(a->id)->updated_at, kT0);

  // Back down, and position 0 keeps the place.
  changed.position = 3;
  ASSERT_TRUE(in_tx([&](Transaction& tx) { return tx.inbound_routes().update(changed); }));
  EXPECT_EQ(route_ids(*snap()), (std::vector<model::InboundRouteId>{b->id, c->id, d->id, a->id}));
  changed.position = 0;
  changed.caller.reset();
  changed.trunk.reset();
  ASSERT_TRUE(in_tx([&](Transaction& tx) { return tx.inbound_routes().update(changed); }));
  EXPECT_EQ(route_ids(*snap()), (std::vector<model::InboundRouteId>{b->id, c->id, d->id, a->id}));
  EXPECT_FALSE(snap()->inbound_route(d->id)->caller);
  EXPECT_FALSE(snap()->inbound_route(d->id)->trunk);

  ASSERT_TRUE(in_tx([&](Transaction& tx) { return tx.inbound_routes().remove(c->id); }));
  EXPECT_EQ(route_ids(*snap()), (std::vector<model::InboundRouteId>{b->id, d->id, a->id}));
  EXPECT_EQ(snap()->inbound_route(c->id), nullptr);

  auto missing = in_tx([&](Transaction& tx) { return tx.inbound_routes().remove(c->id); });
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, Errc::kNotFound);
  model::InboundRoute ghost = *c;
  auto ghost_update = in_tx([&](Transaction& tx) { return tx.inbound_routes().update(ghost); });
  ASSERT_FALSE(ghost_update);
  EXPECT_EQ(ghost_update.error().code, Errc::kNotFound);
}

TEST_P(RepositorySuite, InboundRouteNameIsUniqueIgnoringCase) {
  auto a =
      in_tx([&](Transaction& tx) { return tx.inbound_routes().create(make_route("Main", "1")); });
  auto b =
      in_tx([&](Transaction& tx) { return tx.inbound_routes().create(make_route("Night", "2")); });
  ASSERT_TRUE(a && b);
  const std::string before = dump(*snap());
  const auto v = version();
  auto dup = in_tx(
      [&](Transaction& tx) { return tx.inbound_routes().create(make_route("MAIN", "3", 1)); });
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code, Errc::kConflict);
  EXPECT_EQ(dup.error().field, "name");
  model::InboundRoute renamed = *b;
  renamed.name = "main";
  renamed.position = 1;
  auto clash = in_tx([&](Transaction& tx) { return tx.inbound_routes().update(renamed); });
  ASSERT_FALSE(clash);
  EXPECT_EQ(clash.error().code, Errc::kConflict);
  EXPECT_EQ(clash.error().field, "name");
  EXPECT_EQ(version(), v);
  EXPECT_EQ(dump(*snap()), before);
}

TEST_P(RepositorySuite, InboundRouteKeepsTheIdOfADeletedTrunk) {
  auto trunk = create_trunk(make_trunk("carrier"));
  ASSERT_TRUE(trunk);
  model::InboundRoute r = make_route("From carrier", "_X.");
  r.trunk = trunk->id;
  auto route = in_tx([&](Transaction& tx) { return tx.inbound_routes().create(r); });
  ASSERT_TRUE(route);
  ASSERT_TRUE(in_tx([&](Transaction& tx) { return tx.trunks().remove(trunk->id); }));
  ASSERT_EQ(snap()->inbound_routes().size(), 1u);
  EXPECT_EQ(snap()->inbound_routes()[0].trunk, trunk->id);  // a routing gap, kept
}

TEST_P(RepositorySuite, ScheduleKeepsEveryFieldAndItsNameIsUnique) {
  const model::Schedule draft = make_schedule("Office hours");
  auto created = in_tx([&](Transaction& tx) { return tx.schedules().create(draft); });
  ASSERT_TRUE(created) << created.error().message;
  model::Schedule expected = draft;
  expected.id = created->id;
  expected.created_at = kT0;
  expected.updated_at = kT0;
  EXPECT_EQ(*created, expected);
  ASSERT_NE(snap()->schedule(created->id), nullptr);
  EXPECT_EQ(*snap()->schedule(created->id), expected);
  EXPECT_EQ(snap()->schedule_by_name("OFFICE HOURS"), snap()->schedule(created->id));
  EXPECT_EQ(snap()->schedule_by_name("other"), nullptr);

  set_time(kT0 + 5);
  model::Schedule changed = *created;
  changed.name = "Support hours";
  changed.timezone = "America/New_York";
  changed.weekly = {{model::kSun, 60, 120}};
  changed.holidays.clear();
  changed.override_mode = model::ScheduleOverride::kOpen;
  auto updated = in_tx([&](Transaction& tx) { return tx.schedules().update(changed); });
  ASSERT_TRUE(updated) << updated.error().message;
  changed.updated_at = kT0 + 5;
  EXPECT_EQ(*updated, changed);
  EXPECT_EQ(*snap()->schedule(changed.id), changed);
  EXPECT_EQ(snap()->schedule_by_name("office hours"), nullptr);

  auto other =
      in_tx([&](Transaction& tx) { return tx.schedules().create(make_schedule("Other")); });
  ASSERT_TRUE(other);
  EXPECT_EQ(
      std::vector<model::ScheduleId>(snap()->schedule_ids().begin(), snap()->schedule_ids().end()),
      (std::vector<model::ScheduleId>{created->id, other->id}));
  const auto v = version();
  auto dup =
      in_tx([&](Transaction& tx) { return tx.schedules().create(make_schedule("SUPPORT hours")); });
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code, Errc::kConflict);
  EXPECT_EQ(dup.error().field, "name");
  model::Schedule clash = *other;
  clash.name = "support HOURS";
  auto clashed = in_tx([&](Transaction& tx) { return tx.schedules().update(clash); });
  ASSERT_FALSE(clashed);
  EXPECT_EQ(clashed.error().field, "name");
  EXPECT_EQ(version(), v);

  model::Schedule ghost = changed;
  ghost.id = 999;
  auto missing = in_tx([&](Transaction& tx) { return tx.schedules().update(ghost); });
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, Errc::kNotFound);
  auto missing_rm = in_tx([&](Transaction& tx) { return tx.schedules().remove(999); });
  ASSERT_FALSE(missing_rm);
  EXPECT_EQ(missing_rm.error().code, Errc::kNotFound);

  reopen();
  EXPECT_EQ(*snap()->schedule(changed.id), changed);
}

TEST_P(RepositorySuite, ScheduleDeleteLeavesItsGroupsWithoutOne) {
  auto hours =
      in_tx([&](Transaction& tx) { return tx.schedules().create(make_schedule("Hours")); });
  auto keep = in_tx([&](Transaction& tx) { return tx.schedules().create(make_schedule("Keep")); });
  ASSERT_TRUE(hours && keep);
  model::Group a = make_group("A");
  a.schedule = hours->id;
  model::Group b = make_group("B");
  b.schedule = keep->id;
  model::Group c = make_group("C");
  c.schedule = hours->id;
  auto ga = create_group(a);
  auto gb = create_group(b);
  auto gc = create_group(c);
  ASSERT_TRUE(ga && gb && gc);
  EXPECT_EQ(snap()->group(ga->id)->schedule, hours->id);

  set_time(kT0 + 60);
  const auto v = version();
  ASSERT_TRUE(in_tx([&](Transaction& tx) { return tx.schedules().remove(hours->id); }));
  EXPECT_EQ(version(), v + 1);
  auto s = snap();
  EXPECT_EQ(s->schedule(hours->id), nullptr);
  EXPECT_EQ(std::vector<model::ScheduleId>(s->schedule_ids().begin(), s->schedule_ids().end()),
            (std::vector<model::ScheduleId>{keep->id}));
  EXPECT_FALSE(s->group(ga->id)->schedule);
  EXPECT_FALSE(s->group(gc->id)->schedule);
  EXPECT_EQ(s->group(ga->id)->updated_at, kT0 + 60);
  EXPECT_EQ(s->group(gb->id)->schedule, keep->id);
  EXPECT_EQ(s->group(gb->id)->updated_at, kT0);
  const std::string after = dump(*s);
  reopen();  // the store agrees with the published snapshot
  EXPECT_EQ(dump(*snap()), after);
  EXPECT_FALSE(snap()->group(ga->id)->schedule);
}

TEST_P(RepositorySuite, GroupDistributionFieldsRoundTrip) {
  model::Group g = make_group("Hunt", "600");
  EXPECT_FALSE(g.ring_in_use);
  EXPECT_TRUE(g.skip_unregistered);
  auto plain = create_group(g);
  ASSERT_TRUE(plain);
  EXPECT_FALSE(plain->ring_in_use);
  EXPECT_TRUE(plain->skip_unregistered);
  EXPECT_FALSE(plain->schedule);
  EXPECT_FALSE(plain->closed_destination);

  auto hours =
      in_tx([&](Transaction& tx) { return tx.schedules().create(make_schedule("Hours")); });
  ASSERT_TRUE(hours);
  model::Group changed = *plain;
  changed.ring_in_use = true;
  changed.skip_unregistered = false;
  changed.schedule = hours->id;
  changed.closed_destination = model::DestNumber{"+15550199"};
  changed.fallback = model::DestVoicemail{model::DestVoicemail::Box::kGroup, plain->id};
  auto updated = in_tx([&](Transaction& tx) { return tx.groups().update(changed); });
  ASSERT_TRUE(updated) << updated.error().message;
  changed.updated_at = updated->updated_at;
  EXPECT_EQ(*updated, changed);
  EXPECT_EQ(*snap()->group(plain->id), changed);

  model::Group created = changed;
  created.name = "Second";
  created.extension = "601";
  created.closed_destination = model::DestHangup{};
  auto second = create_group(created);
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_EQ(second->closed_destination, created.closed_destination);
  EXPECT_TRUE(second->ring_in_use);
  EXPECT_FALSE(second->skip_unregistered);

  reopen();
  EXPECT_EQ(*snap()->group(plain->id), changed);
  EXPECT_EQ(*snap()->group(second->id), *second);
}

TEST_P(RepositorySuite, GroupAutoPauseFieldsRoundTrip) {
  auto plain = create_group(make_group("Desk", "600"));
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->auto_pause_after, 0);
  EXPECT_FALSE(plain->auto_pause_unreachable);
  EXPECT_EQ(plain->auto_pause_scope, model::AutoPauseScope::kGroup);
  model::Group changed = *plain;
  changed.auto_pause_after = 3;
  changed.auto_pause_unreachable = true;
  changed.auto_pause_scope = model::AutoPauseScope::kAll;
  auto updated = in_tx([&](Transaction& tx) { return tx.groups().update(changed); });
  ASSERT_TRUE(updated) << updated.error().message;
  changed.updated_at = updated->updated_at;
  EXPECT_EQ(*updated, changed);
  model::Group created = changed;
  created.name = "Second";
  created.extension = "601";
  auto second = create_group(created);
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_EQ(second->auto_pause_after, 3);
  EXPECT_EQ(second->auto_pause_scope, model::AutoPauseScope::kAll);
  reopen();
  EXPECT_EQ(*snap()->group(plain->id), changed);
  EXPECT_EQ(*snap()->group(second->id), *second);
}

TEST_P(RepositorySuite, UserPauseRoundTrip) {
  auto u = create_user(make_user("Ann", "ann@example.com", "1001"));
  ASSERT_TRUE(u);
  EXPECT_FALSE(u->paused);
  EXPECT_EQ(u->pause_reason, "");
  model::User paused = *u;
  paused.paused = true;
  paused.pause_reason = "lunch";
  auto updated = in_tx([&](Transaction& tx) { return tx.users().update(paused); });
  ASSERT_TRUE(updated);
  EXPECT_TRUE(updated->paused);
  EXPECT_EQ(updated->pause_reason, "lunch");
  EXPECT_TRUE(snap()->user(u->id)->paused);
  EXPECT_EQ(snap()->user(u->id)->pause_reason, "lunch");
  reopen();
  EXPECT_TRUE(snap()->user(u->id)->paused);
  EXPECT_EQ(snap()->user(u->id)->pause_reason, "lunch");
  model::User created = make_user("Bob", "bob@example.com", "1002");
  created.paused = true;
  created.pause_reason = "training";
  auto bob = create_user(created);
  ASSERT_TRUE(bob);
  EXPECT_TRUE(bob->paused);
  EXPECT_EQ(bob->pause_reason, "training");
}

TEST_P(RepositorySuite, MembershipPauseIsPerGroupAndClearedOnResume) {
  auto ann = create_user(make_user("Ann", "ann@example.com", "1001"));
  auto bob = create_user(make_user("Bob", "bob@example.com", "1002"));
  auto sales = create_group(make_group("Sales"));
  auto support = create_group(make_group("Support"));
  ASSERT_TRUE(ann && bob && sales && support);
  ASSERT_TRUE(put_member(sales->id, ann->id));
  ASSERT_TRUE(put_member(sales->id, bob->id));
  ASSERT_TRUE(put_member(support->id, ann->id));
  set_time(kT0 + 30);

  const auto v = version();
  auto paused = in_tx([&](Transaction& tx) {
    return tx.memberships().set_pause(sales->id, ann->id, true, "coaching");
  });
  ASSERT_TRUE(paused) << paused.error().message;
  EXPECT_EQ(*paused, (model::Member{ann->id, 1, kT0, true, "coaching"}));
  EXPECT_EQ(version(), v + 1);
  auto s = snap();
  ASSERT_EQ(s->members(sales->id).size(), 2u);
  EXPECT_EQ(s->members(sales->id)[0], (model::Member{ann->id, 1, kT0, true, "coaching"}));
  EXPECT_FALSE(s->members(sales->id)[1].paused);
  ASSERT_EQ(s->members(support->id).size(), 1u);
  EXPECT_FALSE(s->members(support->id)[0].paused);  // only in this group
  ASSERT_EQ(s->groups_of(ann->id).size(), 2u);
  EXPECT_EQ(s->groups_of(ann->id)[0], (model::UserMembership{sales->id, 1, kT0, true, "coaching"}));
  EXPECT_FALSE(s->groups_of(ann->id)[1].paused);
  EXPECT_FALSE(s->user(ann->id)->paused);  // the user-wide pause is another thing

  // A move keeps the pause.
  ASSERT_TRUE(put_member(sales->id, ann->id, 2));
  EXPECT_EQ(snap()->members(sales->id)[1], (model::Member{ann->id, 2, kT0, true, "coaching"}));
  EXPECT_EQ(member_ids(sales->id), (std::vector<model::UserId>{bob->id, ann->id}));

  reopen();
  EXPECT_EQ(snap()->groups_of(ann->id)[0],
            (model::UserMembership{sales->id, 2, kT0, true, "coaching"}));

  auto resumed = in_tx([&](Transaction& tx) {
    return tx.memberships().set_pause(sales->id, ann->id, false, "ignored");
  });
  ASSERT_TRUE(resumed);
  EXPECT_EQ(*resumed, (model::Member{ann->id, 2, kT0, false, ""}));
  EXPECT_EQ(snap()->members(sales->id)[1], (model::Member{ann->id, 2, kT0, false, ""}));
  EXPECT_EQ(snap()->groups_of(ann->id)[0], (model::UserMembership{sales->id, 2, kT0, false, ""}));

  auto missing = in_tx(
      [&](Transaction& tx) { return tx.memberships().set_pause(support->id, bob->id, true, "x"); });
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, Errc::kNotFound);
  auto no_group =
      in_tx([&](Transaction& tx) { return tx.memberships().set_pause(999, ann->id, true, "x"); });
  ASSERT_FALSE(no_group);
  EXPECT_EQ(no_group.error().code, Errc::kNotFound);
}

CdrRecord make_group_cdr(std::string id, std::int64_t start_ms) {
  CdrRecord r = make_cdr(std::move(id), start_ms);
  r.direction = model::CallDirection::kInbound;
  r.caller_user.reset();
  r.caller_id_group.reset();
  r.rule.reset();
  r.callee_user = 5;
  r.inbound_route = 3;
  r.did = "+4930123456";
  r.group = 7;
  r.answered_by = 5;
  r.wait_ms = 4'000;
  r.talk_ms = 60'000;
  r.fallback_reason = model::FallbackReason::kNoAnswer;
  r.fallback_to = R"({"type":"voicemail","box":"group","id":7})";
  r.attempts = {{4, 7, start_ms + 100, start_ms + 2'000, model::AttemptResult::kNoAnswer},
                {5, 7, start_ms + 2'000, start_ms + 4'000, model::AttemptResult::kAnswered},
                {6, std::nullopt, start_ms + 2'000, 0, model::AttemptResult::kCancelled}};
  return r;
}

TEST_P(RepositorySuite, CdrGroupFieldsRoundTripAndTheGroupFilterMatchesEitherColumn) {
  CdrRecord full = make_group_cdr("full", kMs0);
  CdrRecord outbound = make_cdr("out", kMs0 + 1'000);  // caller_id_group = 1
  outbound.caller_id_group = 7;
  CdrRecord other = make_group_cdr("other", kMs0 + 2'000);
  other.group = 8;
  other.attempts.clear();
  ASSERT_TRUE(store_->cdrs().save_cdrs({full, outbound, other}));
  auto all = store_->cdrs().query_cdrs({});
  ASSERT_TRUE(all) << all.error().message;
  ASSERT_EQ(all->size(), 3u);
  full.seq = all->back().seq;
  EXPECT_EQ(all->back(), full);
  other.seq = all->front().seq;
  EXPECT_EQ(all->front(), other);

  auto by_group = store_->cdrs().query_cdrs({.group = 7});
  ASSERT_TRUE(by_group);
  EXPECT_EQ(ids_of(*by_group), (std::vector<std::string>{"out", "full"}));
  auto by_8 = store_->cdrs().query_cdrs({.group = 8});
  ASSERT_TRUE(by_8);
  EXPECT_EQ(ids_of(*by_8), (std::vector<std::string>{"other"}));

  // An update rewrites the new fields too.
  full.answered_by.reset();
  full.attempts.pop_back();
  full.attempts.push_back({8, 7, kMs0 + 5'000, 0, std::nullopt});  // ringing: no result yet
  full.fallback_reason.reset();
  full.fallback_to.clear();
  ASSERT_TRUE(store_->cdrs().save_cdrs({full}));
  reopen();
  all = store_->cdrs().query_cdrs({});
  ASSERT_TRUE(all);
  EXPECT_EQ(all->back(), full);
}

TEST_P(RepositorySuite, CdrForwardFieldsRoundTrip) {
  CdrRecord forwarded = make_cdr("fwd", kMs0);
  forwarded.forwarded_from = 4;
  forwarded.forward_reason = model::ForwardReason::kNoAnswer;
  CdrRecord plain = make_cdr("plain", kMs0 + 1'000);
  ASSERT_TRUE(store_->cdrs().save_cdrs({forwarded, plain}));
  reopen();
  auto all = store_->cdrs().query_cdrs({});
  ASSERT_TRUE(all) << all.error().message;
  ASSERT_EQ(all->size(), 2u);
  forwarded.seq = all->back().seq;
  plain.seq = all->front().seq;
  EXPECT_EQ(all->back(), forwarded);
  EXPECT_EQ(all->front(), plain);
  EXPECT_FALSE(all->front().forward_reason.has_value());
}

TEST_P(RepositorySuite, UserForwardingRoundTrips) {
  auto bob = create_user(make_user("Bob", "bob@example.com", "1002"));
  ASSERT_TRUE(bob) << bob.error().message;
  model::User alice = make_user("Alice", "alice@example.com", "1001");
  alice.forward_always = model::DestUser{bob->id};
  alice.forward_busy = model::DestNumber{"+4930123"};
  alice.forward_no_answer = model::DestGroup{7};
  alice.forward_no_answer_s = 45;
  auto created = create_user(alice);
  ASSERT_TRUE(created) << created.error().message;
  reopen();
  const model::User* stored = snap()->user(created->id);
  ASSERT_NE(stored, nullptr);
  EXPECT_EQ(*stored, *created);
  EXPECT_EQ(stored->forward_always, (std::optional<model::Destination>(model::DestUser{bob->id})));
  EXPECT_EQ(stored->forward_no_answer_s, 45);

  model::User cleared = *stored;
  cleared.forward_always.reset();
  cleared.forward_busy.reset();
  cleared.forward_no_answer.reset();
  cleared.forward_no_answer_s = model::kDefaultForwardNoAnswerS;
  auto updated = in_tx([&](Transaction& tx) { return tx.users().update(cleared); });
  ASSERT_TRUE(updated) << updated.error().message;
  reopen();
  EXPECT_EQ(*snap()->user(created->id), *updated);
  EXPECT_FALSE(snap()->user(created->id)->forward_always.has_value());
}

TEST_P(RepositorySuite, HuntCursorsUpsertAndSkipDeletedGroups) {
  auto a = create_group(make_group("A"));
  auto b = create_group(make_group("B"));
  auto c = create_group(make_group("C"));
  ASSERT_TRUE(a && b && c);
  auto empty = store_->hunt().load_cursors();
  ASSERT_TRUE(empty) << empty.error().message;
  EXPECT_TRUE(empty->empty());
  using Cursors = std::vector<std::pair<model::GroupId, model::UserId>>;
  ASSERT_TRUE(store_->hunt().save_cursors({{a->id, 11}, {b->id, 12}}));
  ASSERT_TRUE(store_->hunt().save_cursors({}));
  auto loaded = store_->hunt().load_cursors();
  ASSERT_TRUE(loaded);
  EXPECT_EQ(*loaded, (Cursors{{a->id, 11}, {b->id, 12}}));

  ASSERT_TRUE(in_tx([&](Transaction& tx) { return tx.groups().remove(c->id); }));
  const auto v = version();
  // c was deleted meanwhile, 999 never existed: skipped, the others still written.
  ASSERT_TRUE(store_->hunt().save_cursors({{a->id, 21}, {c->id, 22}, {999, 23}}));
  EXPECT_EQ(version(), v) << "cursors are not configuration";
  reopen();
  loaded = store_->hunt().load_cursors();
  ASSERT_TRUE(loaded);
  EXPECT_EQ(*loaded, (Cursors{{a->id, 21}, {b->id, 12}}));
  // A group's cursor goes with the group.
  ASSERT_TRUE(in_tx([&](Transaction& tx) { return tx.groups().remove(b->id); }));
  loaded = store_->hunt().load_cursors();
  ASSERT_TRUE(loaded);
  EXPECT_EQ(*loaded, (Cursors{{a->id, 21}}));
}

TEST_P(RepositorySuite, HuntHistoryComesFromAnsweredCdrs) {
  using Pairs = std::vector<std::pair<model::UserId, std::int64_t>>;
  auto none = store_->hunt().last_calls();
  ASSERT_TRUE(none) << none.error().message;
  EXPECT_TRUE(none->empty());

  CdrRecord first = make_group_cdr("first", kMs0);  // user 5: answered +4s, ended +64s
  CdrRecord second = make_group_cdr("second", kMs0 + 100'000);
  second.answered_by = 5;
  second.end_ms = 0;  // still up: counts with its answer time
  CdrRecord third = make_group_cdr("third", kMs0 + 10'000);
  third.answered_by = 6;
  CdrRecord missed = make_group_cdr("missed", kMs0 + 200'000);
  missed.answered_by = 9;
  missed.answer_ms = 0;  // not answered: ignored
  CdrRecord nobody = make_group_cdr("nobody", kMs0 + 300'000);
  nobody.answered_by.reset();
  ASSERT_TRUE(store_->cdrs().save_cdrs({first, second, third, missed, nobody}));

  auto last = store_->hunt().last_calls();
  ASSERT_TRUE(last);
  EXPECT_EQ(*last, (Pairs{{5, kMs0 + 104'000}, {6, kMs0 + 74'000}}));

  auto since = store_->hunt().answered_since(kMs0 + 5'000);
  ASSERT_TRUE(since) << since.error().message;
  EXPECT_EQ(*since, (Pairs{{6, kMs0 + 14'000}, {5, kMs0 + 104'000}}));
  auto all = store_->hunt().answered_since(0);
  ASSERT_TRUE(all);
  EXPECT_EQ(*all, (Pairs{{5, kMs0 + 4'000}, {6, kMs0 + 14'000}, {5, kMs0 + 104'000}}));
  auto exact = store_->hunt().answered_since(kMs0 + 104'000);  // inclusive
  ASSERT_TRUE(exact);
  EXPECT_EQ(*exact, (Pairs{{5, kMs0 + 104'000}}));
}

TEST_P(RepositorySuite, ReopenKeepsRoutesSchedulesAndPauses) {
  auto trunk = create_trunk(make_trunk("carrier"));
  auto hours =
      in_tx([&](Transaction& tx) { return tx.schedules().create(make_schedule("Hours")); });
  auto plain = in_tx([&](Transaction& tx) {
    model::Schedule sc;
    sc.name = "Plain";
    return tx.schedules().create(sc);
  });
  ASSERT_TRUE(trunk && hours && plain);
  model::User u = make_user("Ann", "ann@example.com", "1001");
  u.paused = true;
  u.pause_reason = "away";
  auto ann = create_user(u);
  auto bob = create_user(make_user("Bob", "bob@example.com", "1002"));
  model::Group g = make_group("Sales", "600");
  g.schedule = hours->id;
  g.closed_destination = model::DestUser{7};
  g.ring_in_use = true;
  auto sales = create_group(g);
  ASSERT_TRUE(ann && bob && sales);
  ASSERT_TRUE(put_member(sales->id, ann->id));
  ASSERT_TRUE(put_member(sales->id, bob->id));
  ASSERT_TRUE(in_tx([&](Transaction& tx) {
    return tx.memberships().set_pause(sales->id, bob->id, true, "it's \"late\"");
  }));
  model::InboundRoute r1 = make_route("Main", "_49X.");
  r1.caller = "_+1X.";
  r1.trunk = trunk->id;
  r1.destination = model::DestGroup{sales->id};
  ASSERT_TRUE(in_tx([&](Transaction& tx) { return tx.inbound_routes().create(r1); }));
  ASSERT_TRUE(in_tx(
      [&](Transaction& tx) { return tx.inbound_routes().create(make_route("First", "100", 1)); }));
  const std::string before = dump(*snap());
  ASSERT_NE(before.find("route "), std::string::npos);
  ASSERT_NE(before.find("holiday 'New year' 1231..102 yearly=true"), std::string::npos) << before;
  ASSERT_NE(before.find("paused=true:'away'"), std::string::npos);
  ASSERT_NE(before.find("paused=true:'it's \"late\"'"), std::string::npos);
  reopen();
  EXPECT_EQ(dump(*snap()), before);
  EXPECT_EQ(snap()->inbound_routes().size(), 2u);
  EXPECT_EQ(*snap()->schedule(hours->id), *hours);
  EXPECT_EQ(*snap()->schedule(plain->id), *plain);
  EXPECT_TRUE(snap()->schedule(plain->id)->weekly.empty());
}

}  // namespace
}  // namespace cohort::store::testing

namespace cohort::store::testing {

TEST_P(RepositorySuite, ConsolePasswordHashRoundTrips) {
  model::User draft = make_user("Ann", "ann@example.com", "1001");
  draft.password_hash = "$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$aGFzaA";
  auto ann = create_user(draft);
  ASSERT_TRUE(ann) << ann.error().message;
  EXPECT_EQ(ann->password_hash, draft.password_hash);
  model::User cleared = *ann;
  cleared.password_hash.clear();
  ASSERT_TRUE(in_tx([&](Transaction& tx) { return tx.users().update(cleared); }));
  EXPECT_EQ(snap()->user(ann->id)->password_hash, "");
  reopen();
  EXPECT_EQ(snap()->user(ann->id)->password_hash, "");
}

TEST_P(RepositorySuite, SessionsUpsertDeleteSurviveReopenAndGoWithTheirUser) {
  auto ann = create_user(make_user("Ann", "ann@example.com", "1001"));
  auto bob = create_user(make_user("Bob", "bob@example.com", "1002"));
  ASSERT_TRUE(ann && bob);
  SessionRecord a{"a1", ann->id, SessionKind::kPassword, "stamp", 1000, 1000};
  SessionRecord b{"b1", bob->id, SessionKind::kToken, "tokenhash", 2000, 2500};
  SessionRecord boot{"boot", std::nullopt, SessionKind::kBootstrap, "adminhash", 3000, 3000};
  for (const auto& s : {a, b, boot}) {
    ASSERT_TRUE(store_->sessions().save_session(s));
  }
  // An upsert moves last use only: what a session stands on never changes.
  SessionRecord touched = a;
  touched.last_seen_ms = 9000;
  touched.credential = "other";
  ASSERT_TRUE(store_->sessions().save_session(touched));
  // A session of a user deleted meanwhile is not stored.
  SessionRecord ghost{"ghost", 999, SessionKind::kPassword, "s", 1, 1};
  ASSERT_TRUE(store_->sessions().save_session(ghost));
  reopen();
  auto loaded = store_->sessions().load_sessions();
  ASSERT_TRUE(loaded) << loaded.error().message;
  std::map<std::string, SessionRecord> by_id;
  for (const auto& s : *loaded) {
    by_id[s.id_sha256] = s;
  }
  ASSERT_EQ(by_id.size(), 3u);
  EXPECT_EQ(by_id["a1"].last_seen_ms, 9000);
  EXPECT_EQ(by_id["a1"].credential, "stamp");
  EXPECT_EQ(by_id["b1"], b);
  EXPECT_EQ(by_id["boot"], boot);

  ASSERT_TRUE(in_tx([&](Transaction& tx) { return tx.users().remove(bob->id); }));
  ASSERT_TRUE(store_->sessions().delete_sessions({"a1", "not-there"}));
  loaded = store_->sessions().load_sessions();
  ASSERT_TRUE(loaded);
  ASSERT_EQ(loaded->size(), 1u);
  EXPECT_EQ((*loaded)[0].id_sha256, "boot");
}

TEST_P(RepositorySuite, AnInterruptedCallKeepsItsLegDialogsUntilTheyAreEnded) {
  LegDialog a{"a-call",
              "ours",
              "theirs",
              "<sip:100@pbx>;tag=ours",
              "<sip:200@pbx>;tag=theirs",
              "sip:200@192.0.2.5:5062",
              {"<sip:p1;lr>", "<sip:p2;lr>"},
              4,
              "udp",
              "192.0.2.5:5062"};
  LegDialog b{"b-call",
              "b-ours",
              "b-theirs",
              "<sip:x@pbx>;tag=b-ours",
              "<sip:y@pbx>;tag=b-theirs",
              "sip:y@192.0.2.6",
              {},
              1,
              "tcp",
              "192.0.2.6:5060"};
  CdrRecord up = make_cdr("up", kMs0);
  up.end_ms = 0;
  up.disposition = {};
  up.dialogs = {a, b};
  CdrRecord plain = make_cdr("plain", kMs0 + 5);  // ended: no dialogs
  CdrRecord old = make_cdr("old", kMs0 + 7);
  old.end_ms = 0;
  old.disposition = {};
  old.dialogs = {b};
  ASSERT_TRUE(store_->cdrs().save_cdrs({up, plain, old}));
  reopen();
  ASSERT_TRUE(store_->cdrs().close_interrupted(kMs0 + 500'000));
  auto found = store_->cdrs().interrupted_dialogs(kMs0 + 400'000);
  ASSERT_TRUE(found) << found.error().message;
  ASSERT_EQ(found->size(), 2u);
  EXPECT_EQ((*found)[0].id, "up");
  EXPECT_EQ((*found)[0].dialogs, (std::vector<LegDialog>{a, b}));
  EXPECT_EQ((*found)[1].id, "old");
  // Closed before `since`: too old to be ended by a request now.
  auto none = store_->cdrs().interrupted_dialogs(kMs0 + 500'001);
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
  // A request of the call ended it: the record is written back without dialogs.
  CdrRecord ended = (*found)[0];
  ended.dialogs.clear();
  ASSERT_TRUE(store_->cdrs().save_cdrs({ended}));
  found = store_->cdrs().interrupted_dialogs(kMs0);
  ASSERT_TRUE(found);
  ASSERT_EQ(found->size(), 1u);
  EXPECT_EQ((*found)[0].id, "old");
}

}  // namespace cohort::store::testing
