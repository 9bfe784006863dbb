#include "threadbank/request_store.h"

#include <algorithm>

namespace threadbank {

std::uint32_t Interner::intern(const std::string& name) {
  if (name.empty()) return 0;
  auto it = ids_.find(name);
  if (it != ids_.end()) return it->second;
  auto id = static_cast<std::uint32_t>(names_.size());
  names_.push_back(name);
  ids_.emplace(name, id);
  return id;
}

std::optional<std::uint32_t> Interner::find(const std::string& name) const {
  if (name.empty()) return 0u;
  auto it = ids_.find(name);
  if (it == ids_.end()) return std::nullopt;
  return it->second;
}

StoredRequest& RequestStore::insert(RequestId id) {
  StoredRequest& stored = requests_[id];
  stored.record.id = id;
  return stored;
}

std::vector<RequestId> RequestStore::live_ids() const {
  std::vector<RequestId> ids;
  for (const auto& [id, stored] : requests_) {
    if (!is_final(stored.record.status)) ids.push_back(id);
  }
  return ids;
}

StoredRequest* RequestStore::find(RequestId id) {
  auto it = requests_.find(id);
  return it == requests_.end() ? nullptr : &it->second;
}

const StoredRequest* RequestStore::find(RequestId id) const {
  auto it = requests_.find(id);
  return it == requests_.end() ? nullptr : &it->second;
}

RequestStore::Evicted RequestStore::finished(RequestId id) {
  history_.push_back(id);
  // Params are not needed once a request is final; drop them before the record ages out.
  if (StoredRequest* stored = find(id)) stored->params.reset();
  Evicted evicted;
  // One per call once the history is full (it grows by one); a record taken earlier in the
  // loop is freed here when the next replaces it.
  while (history_.size() > history_limit_) {
    evicted = requests_.extract(history_.front());
    history_.pop_front();
  }
  return evicted;
}

namespace {

// NEVER_NS while live.
std::int64_t finished_at(const RequestRecord& r) {
  std::int64_t latest = NEVER_NS;
  for (int s = static_cast<int>(RequestStatus::COMPLETED); s < REQUEST_STATUS_COUNT; ++s) {
    latest = std::max(latest, r.at_ns[static_cast<std::size_t>(s)]);
  }
  return is_final(r.status) ? latest : NEVER_NS;
}

std::int64_t submitted_at(const RequestRecord& r) { return r.submitted_ns; }

}  // namespace

RequestInfo RequestStore::info(const StoredRequest& stored, const Interner& tasks,
                               const Interner& clients, const BankNamer& bank_name) const {
  const RequestRecord& r = stored.record;
  RequestInfo info;
  info.id = r.id;
  info.task = tasks.name(r.task);
  info.bank = bank_name(r.bank);
  info.client = clients.name(r.client);
  info.worker = r.worker;
  info.priority = r.priority;
  info.status = r.status;
  info.error = r.error;
  info.error_message = stored.message();
  info.attempts = r.attempts;
  info.max_attempts = r.max_attempts;
  info.at_ns = r.at_ns;
  info.submitted_ns = submitted_at(r);
  info.finished_ns = finished_at(r);
  return info;
}

QueryResult RequestStore::query(const RequestQuery& q, const Interner& tasks,
                                const Interner& clients, const BankNamer& bank_name) const {
  // Resolve string filters to interned ids once; a name never interned matches nothing.
  std::optional<std::uint32_t> task_id, client_id;
  if (q.task) {
    task_id = tasks.find(*q.task);
    if (!task_id) return {};
  }
  if (q.client) {
    client_id = clients.find(*q.client);
    if (!client_id) return {};
  }
  unsigned status_mask = 0;
  for (auto s : q.statuses) status_mask |= 1u << static_cast<unsigned>(s);

  std::vector<const StoredRequest*> hits;
  for (const auto& [id, stored] : requests_) {
    const RequestRecord& r = stored.record;
    if (status_mask != 0 && (status_mask & (1u << static_cast<unsigned>(r.status))) == 0) continue;
    if (q.min_priority && r.priority < *q.min_priority) continue;
    if (q.max_priority && r.priority > *q.max_priority) continue;
    if (q.from_ns && submitted_at(r) < *q.from_ns) continue;
    if (q.to_ns && submitted_at(r) > *q.to_ns) continue;
    if (task_id && r.task != *task_id) continue;
    if (client_id && r.client != *client_id) continue;
    if (q.bank && bank_name(r.bank) != *q.bank) continue;
    hits.push_back(&stored);
  }

  auto key = [&](const StoredRequest* s) -> std::int64_t {
    const RequestRecord& r = s->record;
    switch (q.sort_by) {
      case SortKey::PRIORITY: return r.priority;
      case SortKey::FINISHED_AT: return finished_at(r);
      case SortKey::DURATION: {
        std::int64_t end = finished_at(r);
        return stamped(end) ? end - submitted_at(r) : 0;
      }
      case SortKey::ID: return static_cast<std::int64_t>(r.id);
      case SortKey::SUBMITTED_AT: break;
    }
    return submitted_at(r);
  };
  // Ties break on id in the same direction, so pages are stable across calls.
  auto less = [&](const StoredRequest* a, const StoredRequest* b) {
    auto ka = key(a), kb = key(b);
    if (ka != kb) return q.descending ? ka > kb : ka < kb;
    return q.descending ? a->record.id > b->record.id : a->record.id < b->record.id;
  };

  QueryResult result;
  result.total = hits.size();
  if (q.offset >= hits.size() || q.limit == 0) return result;
  std::size_t end = std::min(hits.size(), q.offset + q.limit);
  std::partial_sort(hits.begin(), hits.begin() + static_cast<std::ptrdiff_t>(end), hits.end(), less);
  for (std::size_t i = q.offset; i < end; ++i) {
    result.items.push_back(info(*hits[i], tasks, clients, bank_name));
  }
  return result;
}

}  // namespace threadbank
