// libFuzzer target: manifest text from anywhere must either parse into a valid manifest or
// fail with E_INVALID_MANIFEST. Anything else (a crash, another exception, a manifest that
// does not round-trip) is a finding.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include <nlohmann/json.hpp>

#include "threadbank/error.h"
#include "threadbank/manifest.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  try {
    threadbank::Manifest manifest = threadbank::parse_manifest_text(text);
    // What parsed must survive a round trip unchanged.
    auto json = threadbank::manifest_to_json(manifest);
    if (threadbank::manifest_to_json(threadbank::parse_manifest(json)) != json) std::abort();
  } catch (const threadbank::Error& error) {
    if (error.code() != threadbank::ErrorCode::INVALID_MANIFEST) std::abort();
  }
  return 0;
}
