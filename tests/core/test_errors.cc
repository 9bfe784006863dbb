// The stable names that cross every boundary: error codes (`.code` in JS), request
// statuses and event types. test_names.cc checks the round trips over the enums; this
// file pins the spellings themselves, since JS code and users match on them.
#include <catch2/catch.hpp>

#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "threadbank/error.h"
#include "threadbank/events.h"
#include "threadbank/request.h"

using namespace threadbank;

TEST_CASE("each error code has its documented E_ name, and every name parses back", "[errors]") {
  // One row per enumerator, in enum order; a new code must be added here and to the JS
  // layer's expectations at the same time.
  const std::vector<std::pair<ErrorCode, std::string>> table = {
      {ErrorCode::UNKNOWN_TASK, "E_UNKNOWN_TASK"},
      {ErrorCode::UNKNOWN_BANK, "E_UNKNOWN_BANK"},
      {ErrorCode::UNKNOWN_REQUEST, "E_UNKNOWN_REQUEST"},
      {ErrorCode::DUPLICATE_BANK, "E_DUPLICATE_BANK"},
      {ErrorCode::INVALID_PARAMS, "E_INVALID_PARAMS"},
      {ErrorCode::INVALID_MANIFEST, "E_INVALID_MANIFEST"},
      {ErrorCode::INVALID_ARGUMENT, "E_INVALID_ARGUMENT"},
      {ErrorCode::QUEUE_FULL, "E_QUEUE_FULL"},
      {ErrorCode::TIMEOUT, "E_TIMEOUT"},
      {ErrorCode::CANCELLED, "E_CANCELLED"},
      {ErrorCode::WORKER_CRASHED, "E_WORKER_CRASHED"},
      {ErrorCode::SHUTTING_DOWN, "E_SHUTTING_DOWN"},
      {ErrorCode::HANDLER, "E_HANDLER"},
      {ErrorCode::PAYLOAD_TOO_LARGE, "E_PAYLOAD_TOO_LARGE"},
      {ErrorCode::INTERNAL, "E_INTERNAL"},
  };
  // The table covers every code except OK.
  REQUIRE(table.size() == static_cast<std::size_t>(ERROR_CODE_COUNT - 1));

  std::set<std::string> seen;
  for (const auto& [code, name] : table) {
    INFO("code " << static_cast<int>(code));
    CHECK(std::string(error_code_name(code)) == name);
    CHECK(seen.insert(error_code_name(code)).second);
    ErrorCode parsed = ErrorCode::OK;
    REQUIRE(error_code_from_name(name, &parsed));
    CHECK(parsed == code);
  }
  CHECK(std::string(error_code_name(ErrorCode::OK)) == "OK");
  CHECK(seen.count("OK") == 0);
  ErrorCode parsed = ErrorCode::INTERNAL;
  REQUIRE(error_code_from_name("OK", &parsed));
  CHECK(parsed == ErrorCode::OK);
}

TEST_CASE("names that are not error codes are refused", "[errors]") {
  ErrorCode parsed = ErrorCode::OK;
  for (const char* name :
       {"", "E_", "E_NOPE", "e_timeout", "TIMEOUT", "E_TIMEOUT ", " E_TIMEOUT"}) {
    INFO("name '" << name << "'");
    CHECK_FALSE(error_code_from_name(name, &parsed));
  }
}

TEST_CASE("Error carries its code and is a std::runtime_error", "[errors]") {
  try {
    throw Error(ErrorCode::QUEUE_FULL, "queue is full");
  } catch (const std::runtime_error& e) {
    const auto* error = dynamic_cast<const Error*>(&e);
    REQUIRE(error != nullptr);
    CHECK(error->code() == ErrorCode::QUEUE_FULL);
  }
  Error other(ErrorCode::UNKNOWN_TASK, "");
  CHECK(other.code() == ErrorCode::UNKNOWN_TASK);
}

TEST_CASE("request statuses have distinct names that parse back", "[errors][names]") {
  std::set<std::string> seen;
  for (int i = 0; i < REQUEST_STATUS_COUNT; ++i) {
    auto status = static_cast<RequestStatus>(i);
    std::string name = request_status_name(status);
    INFO("status " << i << " named '" << name << "'");
    CHECK_FALSE(name.empty());
    CHECK(seen.insert(name).second);
    RequestStatus parsed =
        status == RequestStatus::PENDING ? RequestStatus::COMPLETED : RequestStatus::PENDING;
    REQUIRE(request_status_from_name(name, &parsed));
    CHECK(parsed == status);
  }
  // The spellings the header and the JS layer document.
  CHECK(std::string(request_status_name(RequestStatus::PENDING)) == "pending");
  CHECK(std::string(request_status_name(RequestStatus::TIMED_OUT)) == "timed-out");
  RequestStatus parsed;
  CHECK_FALSE(request_status_from_name("timed_out", &parsed));
  CHECK_FALSE(request_status_from_name("", &parsed));
  CHECK_FALSE(request_status_from_name("PENDING", &parsed));
}

TEST_CASE("only the first three statuses are live", "[errors][names]") {
  CHECK_FALSE(is_final(RequestStatus::PENDING));
  CHECK_FALSE(is_final(RequestStatus::ASSIGNED));
  CHECK_FALSE(is_final(RequestStatus::PROCESSING));
  CHECK(is_final(RequestStatus::COMPLETED));
  CHECK(is_final(RequestStatus::FAILED));
  CHECK(is_final(RequestStatus::CANCELLED));
  CHECK(is_final(RequestStatus::TIMED_OUT));
}

TEST_CASE("event types have distinct names that parse back", "[errors][names]") {
  std::set<std::string> seen;
  for (int i = 0; i < EVENT_TYPE_COUNT; ++i) {
    auto type = static_cast<EventType>(i);
    std::string name = event_type_name(type);
    INFO("event " << i << " named '" << name << "'");
    CHECK_FALSE(name.empty());
    CHECK(seen.insert(name).second);
    EventType parsed =
        type == EventType::QUEUE_DRAIN ? EventType::REQUEST_SUBMITTED : EventType::QUEUE_DRAIN;
    REQUIRE(event_type_from_name(name.c_str(), &parsed));
    CHECK(parsed == type);
  }
  // The spellings JS listeners use (events.h, docs/scheduling.md).
  CHECK(std::string(event_type_name(EventType::REQUEST_SUBMITTED)) == "request-submitted");
  CHECK(std::string(event_type_name(EventType::WORKER_STATUS)) == "worker-status");
  CHECK(std::string(event_type_name(EventType::QUEUE_DRAIN)) == "queue-drain");
  EventType parsed;
  CHECK_FALSE(event_type_from_name("", &parsed));
  CHECK_FALSE(event_type_from_name("request_submitted", &parsed));
  CHECK_FALSE(event_type_from_name("queue-drained", &parsed));
}

TEST_CASE("event bits are distinct and ALL_EVENTS holds exactly them", "[errors][names]") {
  std::uint32_t all = 0;
  for (int i = 0; i < EVENT_TYPE_COUNT; ++i) {
    std::uint32_t bit = event_bit(static_cast<EventType>(i));
    CHECK((all & bit) == 0);
    all |= bit;
  }
  CHECK(all == ALL_EVENTS);
}
