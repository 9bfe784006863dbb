#include "threadbank/error.h"

#include <array>

namespace threadbank {
namespace {

constexpr std::array<const char*, ERROR_CODE_COUNT> ERROR_NAMES = {
    "OK",
    "E_UNKNOWN_TASK",
    "E_UNKNOWN_BANK",
    "E_UNKNOWN_REQUEST",
    "E_DUPLICATE_BANK",
    "E_INVALID_PARAMS",
    "E_INVALID_MANIFEST",
    "E_INVALID_ARGUMENT",
    "E_QUEUE_FULL",
    "E_TIMEOUT",
    "E_CANCELLED",
    "E_WORKER_CRASHED",
    "E_SHUTTING_DOWN",
    "E_HANDLER",
    "E_PAYLOAD_TOO_LARGE",
    "E_INTERNAL",
};

}  // namespace

const char* error_code_name(ErrorCode code) noexcept {
  auto index = static_cast<std::size_t>(code);
  return index < ERROR_NAMES.size() ? ERROR_NAMES[index] : "E_INTERNAL";
}

bool error_code_from_name(const std::string& name, ErrorCode* out) noexcept {
  for (std::size_t i = 0; i < ERROR_NAMES.size(); ++i) {
    if (name == ERROR_NAMES[i]) {
      *out = static_cast<ErrorCode>(i);
      return true;
    }
  }
  return false;
}

}  // namespace threadbank
