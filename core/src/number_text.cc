#include "threadbank/number_text.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace threadbank {

std::string shortest_number(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char buffer[32];
  // Whole numbers below 10^15 are exact in a double: every digit, as a counter reads
  // ("30", where the shortest %g would be "3e+01").
  if (std::fabs(value) < 1e15 && std::trunc(value) == value) {
    std::snprintf(buffer, sizeof buffer, "%.0f", value);
    return buffer;
  }
  // std::to_chars would do this in one call, but the libc++ of Emscripten 3.1.6 (the wasm
  // build) declares its floating-point overloads without defining them; one code path for
  // every build beats two. 17 significant digits always read back exactly, so the loop
  // ends there at the latest.
  for (int precision = 1; precision < 17; ++precision) {
    std::snprintf(buffer, sizeof buffer, "%.*g", precision, value);
    if (std::strtod(buffer, nullptr) == value) return buffer;
  }
  std::snprintf(buffer, sizeof buffer, "%.17g", value);
  return buffer;
}

}  // namespace threadbank
