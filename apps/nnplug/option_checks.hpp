#pragma once
// Checks of numeric command-line options whose messages give the range as a person writes it ("must be a whole
// number >= 1, got 0"), where CLI11's own print the largest double in full. They run on the text, before CLI11
// converts it, so a value too large for the option's type gets the same message.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <limits>
#include <string>

namespace nnplug::cli {

// What a message shows of the value the user typed.
inline std::string typed(const std::string& value) { return value.size() <= 40 ? value : value.substr(0, 40) + "..."; }

inline CLI::Validator whole_number(long long min, long long max = std::numeric_limits<int>::max()) {
  const std::string range = max == std::numeric_limits<int>::max() ? fmt::format(">= {}", min) : fmt::format("in [{}, {}]", min, max);
  return CLI::Validator(
      [min, max, range](std::string& value) -> std::string {
        long long n = 0;
        const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
        // A value past the implied maximum (an int's) names it: ">= 1, got 9223372036854775807" would read as a slip.
        const bool past_max = (ec == std::errc::result_out_of_range && value.front() != '-') || (ec == std::errc() && n > max);
        if (ec != std::errc() || end != value.data() + value.size() || n < min || n > max)
          return fmt::format("must be a whole number {}, got {}", past_max ? fmt::format("in [{}, {}]", min, max) : range, typed(value));
        return "";
      },
      "INT " + range);
}

inline CLI::Validator number_above(double bound) {
  return CLI::Validator(
      [bound](std::string& value) -> std::string {
        double x = 0;
        const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), x);
        if (ec != std::errc() || end != value.data() + value.size() || !std::isfinite(x) || !(x > bound))
          return fmt::format("must be a number > {}, got {}", bound, typed(value));
        return "";
      },
      fmt::format("NUMBER > {}", bound));
}

}  // namespace nnplug::cli
