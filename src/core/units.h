// Sizes, rates and durations for people: SI units everywhere (1 kB = 1000 bytes, 1 MB = 10^6,
// 1 GB = 10^9), one decimal; the same in summaries, progress lines and reports.
#pragma once

#include <cstdint>
#include <string>

namespace cuslim {

std::string human_bytes(uint64_t bytes);     // "812 B", "4.2 kB", "13.0 MB", "4.1 GB"
std::string human_duration(double seconds);  // "45s", "3m05s", "1h02m"

}  // namespace cuslim
