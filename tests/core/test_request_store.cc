// The bounded history and every query filter, pagination and sort.
#include <catch2/catch.hpp>

#include "threadbank/request_store.h"

using namespace threadbank;

namespace {

struct Fixture {
  RequestStore store{1000};
  Interner tasks, clients;
  std::vector<std::string> bank_names{"alpha", "beta"};
  RequestStore::BankNamer namer = [this](std::uint32_t b) -> const std::string& { return bank_names[b]; };

  void add(RequestId id, RequestStatus status, int priority, std::int64_t submitted, const std::string& task,
           const std::string& client, std::uint32_t bank, std::int64_t finished = 0) {
    StoredRequest& s = store.insert(id);
    s.record.status = status;
    s.record.priority = static_cast<std::int8_t>(priority);
    s.record.task = tasks.intern(task);
    s.record.client = clients.intern(client);
    s.record.bank = bank;
    s.record.at_ns[0] = submitted;
    if (is_final(status)) {
      s.record.at_ns[static_cast<std::size_t>(status)] = finished;
      store.finished(id);
    }
  }

  std::vector<RequestId> ids(const RequestQuery& q) {
    std::vector<RequestId> out;
    for (const auto& info : store.query(q, tasks, clients, namer).items) out.push_back(info.id);
    return out;
  }
};

}  // namespace

TEST_CASE("the history keeps the newest finished requests and every live one", "[store]") {
  RequestStore store(3);
  for (RequestId id = 1; id <= 10; ++id) store.insert(id);
  for (RequestId id = 1; id <= 6; ++id) store.finished(id);
  CHECK(store.size() == 7);  // 3 finished + 4 live
  CHECK(store.find(3) == nullptr);
  CHECK(store.find(4) != nullptr);
  for (RequestId id = 7; id <= 10; ++id) CHECK(store.find(id) != nullptr);
}

TEST_CASE("every filter, pagination and sort", "[store]") {
  Fixture f;
  f.add(1, RequestStatus::COMPLETED, 5, 100, "add", "ui", 0, 150);
  f.add(2, RequestStatus::FAILED, 9, 200, "add", "batch", 1, 260);
  f.add(3, RequestStatus::PENDING, 1, 300, "resize", "ui", 0);
  f.add(4, RequestStatus::PROCESSING, 7, 400, "resize", "batch", 1);
  f.add(5, RequestStatus::COMPLETED, 7, 500, "add", "ui", 1, 900);

  RequestQuery q;
  CHECK(f.ids(q) == std::vector<RequestId>{1, 2, 3, 4, 5});
  q.statuses = {RequestStatus::COMPLETED, RequestStatus::PENDING};
  CHECK(f.ids(q) == std::vector<RequestId>{1, 3, 5});
  q = {};
  q.min_priority = 5;
  q.max_priority = 7;
  CHECK(f.ids(q) == std::vector<RequestId>{1, 4, 5});
  q = {};
  q.from_ns = 200;
  q.to_ns = 400;  // inclusive on both ends
  CHECK(f.ids(q) == std::vector<RequestId>{2, 3, 4});
  q = {};
  q.client = "ui";
  CHECK(f.ids(q) == std::vector<RequestId>{1, 3, 5});
  q.client = "nobody";
  CHECK(f.ids(q).empty());
  q = {};
  q.task = "resize";
  CHECK(f.ids(q) == std::vector<RequestId>{3, 4});
  q = {};
  q.bank = "beta";
  CHECK(f.ids(q) == std::vector<RequestId>{2, 4, 5});

  q = {};
  q.sort_by = SortKey::PRIORITY;
  q.descending = true;
  CHECK(f.ids(q) == std::vector<RequestId>{2, 5, 4, 1, 3});  // ties by id, same direction
  q.descending = false;
  CHECK(f.ids(q) == std::vector<RequestId>{3, 1, 4, 5, 2});
  q = {};
  q.sort_by = SortKey::DURATION;
  q.descending = true;
  q.statuses = {RequestStatus::COMPLETED, RequestStatus::FAILED};
  CHECK(f.ids(q) == std::vector<RequestId>{5, 2, 1});
  q = {};
  q.sort_by = SortKey::FINISHED_AT;
  q.statuses = {RequestStatus::COMPLETED, RequestStatus::FAILED};
  CHECK(f.ids(q) == std::vector<RequestId>{1, 2, 5});

  q = {};
  q.offset = 1;
  q.limit = 2;
  auto page = f.store.query(q, f.tasks, f.clients, f.namer);
  CHECK(page.total == 5);
  REQUIRE(page.items.size() == 2);
  CHECK(page.items[0].id == 2);
  CHECK(page.items[0].bank == "beta");
  CHECK(page.items[0].client == "batch");
  CHECK(page.items[0].task == "add");
  q.offset = 10;
  CHECK(f.store.query(q, f.tasks, f.clients, f.namer).items.empty());
}
