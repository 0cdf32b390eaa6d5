#include "pbx/registrar.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/log.hpp"

#include <algorithm>
#include <cstring>

namespace cohort::pbx {
namespace {

auto key_of(const Binding& b) {
  return std::tuple(b.user, b.contact, b.instance_id, b.reg_id.value_or(-1));
}

void put_field(std::pmr::string& text, std::string_view field) {
  const auto n = static_cast<std::uint32_t>(field.size());
  char len[4];
  std::memcpy(len, &n, sizeof n);
  text.append(len, sizeof len);
  text.append(field);
}

/// Reads the next field of a Packed text at `at`, moving `at` past it.
std::string_view next_field(std::string_view text, std::size_t& at) {
  std::uint32_t n = 0;
  std::memcpy(&n, text.data() + at, sizeof n);
  at += sizeof n;
  std::string_view field = text.substr(at, n);
  at += n;
  return field;
}

}  // namespace

Registrar::Packed Registrar::pack(const Binding& b) {
  Packed p{std::pmr::polymorphic_allocator<char>(&pool_)};
  std::size_t size = 4 * (8 + b.path.size()) + b.aor.size() + b.contact.size() +
                     b.instance_id.size() + b.call_id.size() + b.source.size() +
                     b.transport.size() + b.local.size() + b.user_agent.size();
  for (const std::string& v : b.path) {
    size += v.size();
  }
  p.text.reserve(size);
  for (std::string_view f :
       {std::string_view(b.aor), std::string_view(b.contact), std::string_view(b.instance_id),
        std::string_view(b.call_id), std::string_view(b.source), std::string_view(b.transport),
        std::string_view(b.local), std::string_view(b.user_agent)}) {
    put_field(p.text, f);
  }
  for (const std::string& v : b.path) {
    put_field(p.text, v);
  }
  p.expires_at = b.expires_at;
  p.updated_at = b.updated_at;
  p.cseq = b.cseq;
  p.reg_id = b.reg_id.value_or(-1);
  p.q = b.q;
  return p;
}

Binding Registrar::unpack(const Packed& p, model::UserId user) {
  Binding b;
  b.user = user;
  const std::string_view text = p.text;
  std::size_t at = 0;
  for (std::string* f : {&b.aor, &b.contact, &b.instance_id, &b.call_id, &b.source, &b.transport,
                         &b.local, &b.user_agent}) {
    f->assign(next_field(text, at));
  }
  while (at < text.size()) {
    b.path.emplace_back(next_field(text, at));
  }
  b.expires_at = p.expires_at;
  b.updated_at = p.updated_at;
  b.cseq = p.cseq;
  if (p.reg_id >= 0) {
    b.reg_id = p.reg_id;
  }
  b.q = p.q;
  return b;
}

std::vector<Binding> Registrar::unpack_all(const PackedList& list, model::UserId user) {
  std::vector<Binding> out;
  out.reserve(list.size());
  for (const Packed& p : list) {
    out.push_back(unpack(p, user));
  }
  return out;
}

void Registrar::store_list(model::UserId user, const std::vector<Binding>& list) {
  if (list.empty()) {
    bindings_.erase(user);
    return;
  }
  auto [it, inserted] = bindings_.try_emplace(user);
  PackedList& packed = it->second;
  packed.clear();
  packed.reserve(list.size());
  for (const Binding& b : list) {
    packed.push_back(pack(b));
  }
  packed.shrink_to_fit();
}

store::BindingRecord Registrar::to_record(const Binding& b) {
  store::BindingRecord r;
  r.user = b.user;
  r.contact = b.contact;
  r.instance_id = b.instance_id;
  r.reg_id = b.reg_id.value_or(-1);
  r.q_milli = b.q;
  r.call_id = b.call_id;
  r.cseq = b.cseq;
  r.expires_at = b.expires_at;
  r.source = b.source;
  r.transport = b.transport;
  r.local = b.local;
  r.user_agent = b.user_agent;
  r.path = b.path;
  r.updated_at = b.updated_at;
  return r;
}

Binding Registrar::from_record(const store::BindingRecord& r, const std::string& aor) {
  Binding b;
  b.user = r.user;
  b.aor = aor;
  b.contact = r.contact;
  b.instance_id = r.instance_id;
  if (r.reg_id >= 0) {
    b.reg_id = r.reg_id;
  }
  b.q = r.q_milli;
  b.call_id = r.call_id;
  b.cseq = r.cseq;
  b.expires_at = r.expires_at;
  b.source = r.source;
  b.transport = r.transport;
  b.local = r.local;
  b.user_agent = r.user_agent;
  b.path = r.path;
  b.updated_at = r.updated_at;
  return b;
}

Registrar::Registrar(RegistrarLimits limits, store::BindingStore& store, std::string host)
    : limits_(limits),
      store_(store),
      host_(std::move(host)),
      // A write nobody waits for (an expiry) may wait 200 ms to share a commit; a REGISTER
      // waiting for its 200 OK starts a commit at once if the writer is idle.
      writer_([this](Batch& b) { return write(b); },
              {std::chrono::milliseconds(200), 2000, kCommitSpacing}) {}

Result<void> Registrar::start(const model::Snapshot& snapshot, std::int64_t now_s) {
  COHORT_TRY_ASSIGN(auto stored, store_.load_bindings());
  std::vector<BindingChange> expired;
  std::size_t loaded = 0;
  {
    std::lock_guard lock(mu_);
    for (const store::BindingRecord& r : stored) {
      const model::User* u = snapshot.user(r.user);
      Binding b = from_record(r, fmt::format("sip:{}@{}", u ? u->extension : "", host_));
      if (u == nullptr || r.expires_at <= now_s) {
        expired.push_back(BindingChange{ChangeKind::kRemoved, std::move(b), std::nullopt});
        continue;
      }
      bindings_[r.user].push_back(pack(b));
      ++loaded;
    }
  }
  writer_.start();
  queue(expired, {});
  spdlog::info("registrar bindings_loaded={} expired_dropped={}", loaded, expired.size());
  return {};
}

void Registrar::stop() {
  writer_.stop();
}

Expected<RegisterSuccess, RegisterError> Registrar::apply(const RegisterRequest& request,
                                                          std::int64_t now_s,
                                                          const Acknowledge& acknowledge) {
  std::lock_guard lock(mu_);
  std::vector<Binding> current;
  if (auto it = bindings_.find(request.user); it != bindings_.end()) {
    current = unpack_all(it->second, request.user);
  }
  auto result = apply_register(current, request, limits_, now_s);
  if (result) {
    store_list(request.user, result->bindings);
  }
  if (result && !result->changes.empty()) {
    // Queued under the map's lock, so that the store sees the changes of one AOR in the
    // order they were made (the batch keeps the last write of a key).
    queue(result->changes, acknowledge(*result));
  }
  return result;
}

void Registrar::queue(const std::vector<BindingChange>& changes, Done durable) {
  if (changes.empty() && !durable) {
    return;
  }
  writer_.add(
      [&](Batch& batch) {
        for (const BindingChange& c : changes) {
          if (c.kind == ChangeKind::kRemoved) {
            batch.changes[key_of(c.binding)] = std::nullopt;
            continue;
          }
          if (c.previous && key_of(*c.previous) != key_of(c.binding)) {
            batch.changes[key_of(*c.previous)] = std::nullopt;
          }
          batch.changes[key_of(c.binding)] = to_record(c.binding);
        }
      },
      std::move(durable));
}

bool Registrar::write(Batch& batch) {
  std::vector<store::BindingRecord> put;
  std::vector<store::BindingKey> removed;
  for (auto& [key, record] : batch.changes) {
    if (record) {
      put.push_back(std::move(*record));
    } else {
      removed.push_back(store::BindingKey{std::get<0>(key), std::get<1>(key), std::get<2>(key),
                                          std::get<3>(key)});
    }
  }
  if (auto saved = store_.save_bindings(put, removed); !saved) {
    spdlog::error("registrar event=persist_failed error={} bindings={}",
                  log::Value{saved.error().message}, put.size() + removed.size());
    return false;
  }
  return true;
}

void Registrar::expire(std::int64_t now_s) {
  std::vector<BindingChange> removed;
  std::lock_guard lock(mu_);
  std::vector<model::UserId> touched;
  for (const auto& [user, list] : bindings_) {
    // Most users have nothing expired: look before unpacking (this runs every second over
    // every binding).
    if (std::any_of(list.begin(), list.end(),
                    [&](const Packed& p) { return p.expires_at <= now_s; })) {
      touched.push_back(user);
    }
  }
  for (model::UserId user : touched) {
    ExpireResult r = pbx::expire(unpack_all(bindings_.at(user), user), now_s);
    for (Binding& b : r.expired) {
      removed.push_back(BindingChange{ChangeKind::kRemoved, std::move(b), std::nullopt});
    }
    store_list(user, r.kept);
  }
  queue(removed, {});
}

std::vector<Binding> Registrar::bindings_of(model::UserId user, std::int64_t now_s) const {
  std::vector<Binding> list;
  {
    std::lock_guard lock(mu_);
    if (auto it = bindings_.find(user); it != bindings_.end()) {
      list = unpack_all(it->second, user);
    }
  }
  std::erase_if(list, [&](const Binding& b) { return b.expires_at <= now_s; });
  std::stable_sort(list.begin(), list.end(),
                   [](const Binding& a, const Binding& b) { return a.q > b.q; });
  return list;
}

bool Registrar::has_binding(model::UserId user, std::int64_t now_s) const {
  std::lock_guard lock(mu_);
  auto it = bindings_.find(user);
  return it != bindings_.end() &&
         std::any_of(it->second.begin(), it->second.end(),
                     [&](const Packed& p) { return p.expires_at > now_s; });
}

std::vector<std::pair<model::UserId, store::BindingRecord>> Registrar::list(
    std::optional<model::UserId> user, std::int64_t now_s) const {
  std::vector<std::pair<model::UserId, store::BindingRecord>> out;
  {
    std::lock_guard lock(mu_);
    for (const auto& [id, list] : bindings_) {
      if (user && id != *user) {
        continue;
      }
      for (const Packed& p : list) {
        if (p.expires_at > now_s) {
          out.emplace_back(id, to_record(unpack(p, id)));
        }
      }
    }
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return std::tie(a.first, a.second.contact) < std::tie(b.first, b.second.contact);
  });
  return out;
}

std::size_t Registrar::count() const {
  std::lock_guard lock(mu_);
  std::size_t n = 0;
  for (const auto& [id, list] : bindings_) {
    n += list.size();
  }
  return n;
}

}  // namespace cohort::pbx
