// The bounded history and every query filter, pagination and sort.
#include <catch2/catch.hpp>

#include "threadbank/request_store.h"

using namespace threadbank;

namespace {

struct Fixture {
  RequestStore store{1000};
  Interner tasks, clients;
  std::vector<std::string> bank_names{"alpha", "beta"};
  RequestStore::BankNamer namer = [this](std::uint32_t b) -> const std::string& {
    return bank_names[b];
  };

  void add(RequestId id, RequestStatus status, int priority, std::int64_t submitted,
           const std::string& task, const std::string& client, std::uint32_t bank,
           std::int64_t finished = 0) {
    StoredRequest& s = store.insert(id);
    s.record.status = status;
    s.record.priority = static_cast<std::int8_t>(priority);
    s.record.task = tasks.intern(task);
    s.record.client = clients.intern(client);
    s.record.bank = bank;
    s.record.at_ns[0] = submitted;
    s.record.submitted_ns = submitted;
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

TEST_CASE("finished() hands back the record it evicts, still whole", "[store]") {
  RequestStore store(2);
  for (RequestId id = 1; id <= 3; ++id) store.insert(id).record.priority = static_cast<std::int8_t>(id);
  CHECK(store.finished(1).empty());
  CHECK(store.finished(2).empty());
  RequestStore::Evicted evicted = store.finished(3);
  REQUIRE_FALSE(evicted.empty());
  CHECK(evicted.key() == 1);
  CHECK(evicted.mapped().record.priority == 1);
  CHECK(store.find(1) == nullptr);
  CHECK(store.size() == 2);
}

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

// ---------------------------------------------------------------------------------------
// The interner, the history bound in finishing order, each filter edge, each sort key in
// both directions, and pagination totals.

TEST_CASE("the interner gives one id per distinct string and 0 to the empty string",
          "[store][interner]") {
  Interner names;
  CHECK(names.intern("") == 0);
  CHECK(names.name(0).empty());
  std::uint32_t a = names.intern("alpha");
  std::uint32_t b = names.intern("beta");
  CHECK(a != 0);
  CHECK(b != 0);
  CHECK(a != b);
  CHECK(names.intern("alpha") == a);
  CHECK(names.name(a) == "alpha");
  CHECK(names.name(b) == "beta");
  CHECK(names.find("alpha") == a);
  CHECK(names.find("") == 0u);
}

TEST_CASE("Interner::find never adds a name", "[store][interner]") {
  Interner names;
  names.intern("seen");
  CHECK_FALSE(names.find("unseen").has_value());
  CHECK_FALSE(names.find("unseen").has_value());
  std::uint32_t id = names.intern("unseen");
  CHECK(names.find("unseen") == id);
  CHECK(names.name(id) == "unseen");
}

TEST_CASE("insert and find", "[store]") {
  RequestStore store(10);
  CHECK(store.find(1) == nullptr);
  StoredRequest& s = store.insert(1);
  CHECK(s.record.id == 1);
  s.record.priority = 9;
  s.set_message("boom");
  StoredRequest* found = store.find(1);
  REQUIRE(found != nullptr);
  CHECK(found->record.priority == 9);
  CHECK(found->message() == "boom");
  const RequestStore& view = store;
  REQUIRE(view.find(1) != nullptr);
  CHECK(view.find(1)->record.id == 1);
  CHECK(view.find(2) == nullptr);
  CHECK(store.size() == 1);
  CHECK(store.history_limit() == 10);
}

TEST_CASE("the history drops the requests that finished first, not the lowest ids", "[store]") {
  RequestStore store(2);
  for (RequestId id = 1; id <= 6; ++id) store.insert(id);
  store.finished(4);
  store.finished(1);
  CHECK(store.history_size() == 2);
  CHECK(store.size() == 6);
  store.finished(5);  // 4 finished first: it goes
  CHECK(store.find(4) == nullptr);
  CHECK(store.find(1) != nullptr);
  CHECK(store.find(5) != nullptr);
  CHECK(store.history_size() == 2);
  store.finished(2);  // now 1 goes
  CHECK(store.find(1) == nullptr);
  CHECK(store.find(5) != nullptr);
  CHECK(store.find(2) != nullptr);
  // Live requests are never dropped, however many finish after them.
  CHECK(store.find(3) != nullptr);
  CHECK(store.find(6) != nullptr);
  CHECK(store.size() == 4);  // 2 finished + 2 live
}

TEST_CASE("live requests stay however many requests pass through the history", "[store]") {
  RequestStore store(5);
  for (RequestId id = 1; id <= 20; ++id) store.insert(id);  // stay live throughout
  for (RequestId id = 100; id < 10'100; ++id) {
    store.insert(id);
    store.finished(id);
  }
  CHECK(store.history_size() == 5);
  CHECK(store.size() == 25);  // memory stays flat: 20 live + the 5 newest finished
  for (RequestId id = 1; id <= 20; ++id) CHECK(store.find(id) != nullptr);
  for (RequestId id = 10'095; id < 10'100; ++id) CHECK(store.find(id) != nullptr);
  CHECK(store.find(10'094) == nullptr);
  CHECK(store.find(100) == nullptr);
}

TEST_CASE("evicted requests are gone from queries too", "[store]") {
  Fixture f;
  f.store = RequestStore(2);
  f.add(1, RequestStatus::COMPLETED, 5, 100, "t", "c", 0, 110);
  f.add(2, RequestStatus::PENDING, 5, 200, "t", "c", 0);
  f.add(3, RequestStatus::FAILED, 5, 300, "t", "c", 0, 310);
  f.add(4, RequestStatus::COMPLETED, 5, 400, "t", "c", 0, 410);
  RequestQuery q;
  auto result = f.store.query(q, f.tasks, f.clients, f.namer);
  CHECK(result.total == 3);
  CHECK(f.ids(q) == std::vector<RequestId>{2, 3, 4});
}

TEST_CASE("each filter bound on its own, inclusive", "[store]") {
  Fixture f;
  f.add(1, RequestStatus::COMPLETED, 0, 100, "add", "ui", 0, 150);
  f.add(2, RequestStatus::FAILED, 3, 200, "add", "batch", 1, 260);
  f.add(3, RequestStatus::PENDING, 5, 300, "resize", "ui", 0);
  f.add(4, RequestStatus::PROCESSING, 8, 400, "resize", "", 1);
  f.add(5, RequestStatus::CANCELLED, 10, 500, "add", "ui", 1, 900);
  f.add(6, RequestStatus::TIMED_OUT, 5, 600, "blur", "batch", 0, 700);
  RequestQuery q;

  SECTION("no filter matches everything") {
    CHECK(f.ids(q) == std::vector<RequestId>{1, 2, 3, 4, 5, 6});
  }
  SECTION("one status, and each final status") {
    q.statuses = {RequestStatus::PROCESSING};
    CHECK(f.ids(q) == std::vector<RequestId>{4});
    q.statuses = {RequestStatus::CANCELLED, RequestStatus::TIMED_OUT, RequestStatus::FAILED};
    CHECK(f.ids(q) == std::vector<RequestId>{2, 5, 6});
    q.statuses = {RequestStatus::ASSIGNED};
    CHECK(f.ids(q).empty());
  }
  SECTION("min priority only, inclusive") {
    q.min_priority = 5;
    CHECK(f.ids(q) == std::vector<RequestId>{3, 4, 5, 6});
  }
  SECTION("max priority only, inclusive") {
    q.max_priority = 3;
    CHECK(f.ids(q) == std::vector<RequestId>{1, 2});
  }
  SECTION("a one-level priority range") {
    q.min_priority = 5;
    q.max_priority = 5;
    CHECK(f.ids(q) == std::vector<RequestId>{3, 6});
  }
  SECTION("from only, inclusive") {
    q.from_ns = 400;
    CHECK(f.ids(q) == std::vector<RequestId>{4, 5, 6});
  }
  SECTION("to only, inclusive") {
    q.to_ns = 200;
    CHECK(f.ids(q) == std::vector<RequestId>{1, 2});
  }
  SECTION("a single-instant date range") {
    q.from_ns = 300;
    q.to_ns = 300;
    CHECK(f.ids(q) == std::vector<RequestId>{3});
    q.from_ns = 301;
    q.to_ns = 399;
    CHECK(f.ids(q).empty());
  }
  SECTION("the date range is over submission time, not finish time") {
    q.from_ns = 650;  // request 6 finished at 700 but was submitted at 600
    CHECK(f.ids(q).empty());
  }
  SECTION("client") {
    q.client = "batch";
    CHECK(f.ids(q) == std::vector<RequestId>{2, 6});
  }
  SECTION("task") {
    q.task = "add";
    CHECK(f.ids(q) == std::vector<RequestId>{1, 2, 5});
    q.task = "never-registered";
    CHECK(f.ids(q).empty());
  }
  SECTION("bank") {
    q.bank = "alpha";
    CHECK(f.ids(q) == std::vector<RequestId>{1, 3, 6});
    q.bank = "gamma";
    CHECK(f.ids(q).empty());
  }
  SECTION("filters combine with AND, and total counts every match") {
    q.task = "add";
    q.client = "ui";
    q.min_priority = 1;
    auto result = f.store.query(q, f.tasks, f.clients, f.namer);
    CHECK(result.total == 1);
    REQUIRE(result.items.size() == 1);
    CHECK(result.items[0].id == 5);
    CHECK(result.items[0].status == RequestStatus::CANCELLED);
    CHECK(result.items[0].priority == 10);
    CHECK(result.items[0].submitted_ns == 500);
    CHECK(result.items[0].finished_ns == 900);
  }
}

TEST_CASE("every sort key, ascending and descending", "[store][sort]") {
  // Keys chosen distinct so each order is fully determined (no ties to break):
  //   id  submitted  priority  finished  duration
  //   1   300        4         1000      700
  //   2   100        8         400       300
  //   3   500        2         600       100
  //   4   200        6         1200      1000
  //   5   400        9         900       500
  Fixture f;
  f.add(4, RequestStatus::COMPLETED, 6, 200, "t", "c", 0, 1200);
  f.add(1, RequestStatus::FAILED, 4, 300, "t", "c", 0, 1000);
  f.add(5, RequestStatus::COMPLETED, 9, 400, "t", "c", 1, 900);
  f.add(3, RequestStatus::TIMED_OUT, 2, 500, "t", "c", 1, 600);
  f.add(2, RequestStatus::CANCELLED, 8, 100, "t", "c", 0, 400);
  // Started as soon as submitted, so "duration" is the same whether it counts from
  // submission or from the start of processing.
  for (RequestId id = 1; id <= 5; ++id) {
    auto& at = f.store.find(id)->record.at_ns;
    at[static_cast<std::size_t>(RequestStatus::ASSIGNED)] = at[0];
    at[static_cast<std::size_t>(RequestStatus::PROCESSING)] = at[0];
  }

  struct Order {
    SortKey key;
    std::vector<RequestId> ascending;
  };
  const std::vector<Order> orders = {
      {SortKey::SUBMITTED_AT, {2, 4, 1, 5, 3}}, {SortKey::PRIORITY, {3, 1, 4, 2, 5}},
      {SortKey::FINISHED_AT, {2, 3, 5, 1, 4}},  {SortKey::DURATION, {3, 2, 5, 1, 4}},
      {SortKey::ID, {1, 2, 3, 4, 5}},
  };
  for (const auto& order : orders) {
    INFO("sort key " << static_cast<int>(order.key));
    RequestQuery q;
    q.sort_by = order.key;
    CHECK(f.ids(q) == order.ascending);
    q.descending = true;
    std::vector<RequestId> descending(order.ascending.rbegin(), order.ascending.rend());
    CHECK(f.ids(q) == descending);
    // A middle page of the sorted list.
    q.offset = 1;
    q.limit = 3;
    CHECK(f.ids(q) == std::vector<RequestId>(descending.begin() + 1, descending.begin() + 4));
  }
}

TEST_CASE("sort keys parse from their camelCase names", "[store][sort]") {
  SortKey key = SortKey::ID;
  REQUIRE(sort_key_from_name("submittedAt", &key));
  CHECK(key == SortKey::SUBMITTED_AT);
  CHECK_FALSE(sort_key_from_name("submitted_at", &key));
  CHECK_FALSE(sort_key_from_name("", &key));
}

TEST_CASE("pagination: offset and limit slice the sorted matches, total ignores them", "[store]") {
  Fixture f;
  for (RequestId id = 1; id <= 25; ++id) {
    f.add(id, id % 5 == 0 ? RequestStatus::COMPLETED : RequestStatus::PENDING, 5,
          static_cast<std::int64_t>(id) * 10, "t", "c", 0, static_cast<std::int64_t>(id) * 10 + 1);
  }
  RequestQuery q;
  q.limit = 10;
  std::vector<RequestId> seen;
  for (std::size_t offset = 0; offset < 30; offset += 10) {
    q.offset = offset;
    auto page = f.store.query(q, f.tasks, f.clients, f.namer);
    CHECK(page.total == 25);
    CHECK(page.items.size() == (offset < 20 ? 10u : 5u));
    for (const auto& info : page.items) seen.push_back(info.id);
  }
  std::vector<RequestId> all(25);
  for (RequestId id = 1; id <= 25; ++id) all[id - 1] = id;
  CHECK(seen == all);  // pages are disjoint and cover everything, in order

  q.offset = 25;
  auto past_end = f.store.query(q, f.tasks, f.clients, f.namer);
  CHECK(past_end.total == 25);
  CHECK(past_end.items.empty());

  q = {};
  q.statuses = {RequestStatus::COMPLETED};
  q.offset = 1;
  q.limit = 2;
  auto filtered = f.store.query(q, f.tasks, f.clients, f.namer);
  CHECK(filtered.total == 5);
  REQUIRE(filtered.items.size() == 2);
  CHECK(filtered.items[0].id == 10);
  CHECK(filtered.items[1].id == 15);
}
