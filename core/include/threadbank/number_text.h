#pragma once
/// @file number_text.h
/// @brief Doubles as the shortest text that reads back as the same double.

#include <string>

namespace threadbank {

/// @brief The shortest `%g` form of `value` that parses back to exactly `value`:
/// 0.00025 is "0.00025" (not "0.00025000000000000001"), 1e300 is "1e+300". Whole numbers
/// below 10^15 print every digit ("30", "123456789").
/// Non-finite values print as "+Inf", "-Inf" and "NaN", Prometheus' spellings.
std::string shortest_number(double value);

}  // namespace threadbank
