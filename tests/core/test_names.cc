// Error codes and enum names are stable strings that round-trip.
#include <catch2/catch.hpp>

#include <set>
#include <string>

#include "threadbank/error.h"
#include "threadbank/events.h"
#include "threadbank/request.h"

using namespace threadbank;

TEST_CASE("every error code has a distinct E_ name that round-trips", "[names]") {
  std::set<std::string> names;
  for (int i = 1; i < ERROR_CODE_COUNT; ++i) {
    auto code = static_cast<ErrorCode>(i);
    std::string name = error_code_name(code);
    CHECK(name.rfind("E_", 0) == 0);
    names.insert(name);
    ErrorCode parsed;
    REQUIRE(error_code_from_name(name, &parsed));
    CHECK(parsed == code);
  }
  CHECK(names.size() == static_cast<std::size_t>(ERROR_CODE_COUNT - 1));
}

TEST_CASE("statuses and event types round-trip through their names", "[names]") {
  for (int i = 0; i < REQUEST_STATUS_COUNT; ++i) {
    RequestStatus parsed;
    REQUIRE(request_status_from_name(request_status_name(static_cast<RequestStatus>(i)), &parsed));
    CHECK(static_cast<int>(parsed) == i);
  }
  for (int i = 0; i < EVENT_TYPE_COUNT; ++i) {
    EventType parsed;
    REQUIRE(event_type_from_name(event_type_name(static_cast<EventType>(i)), &parsed));
    CHECK(static_cast<int>(parsed) == i);
  }
}
