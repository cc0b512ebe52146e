#include "core/units.h"

#include <cstdio>

namespace cuslim {

std::string human_bytes(uint64_t b) {
  char buf[32];
  if (b >= 1000000000ULL) std::snprintf(buf, sizeof buf, "%.1f GB", static_cast<double>(b) / 1e9);
  else if (b >= 1000000ULL) std::snprintf(buf, sizeof buf, "%.1f MB", static_cast<double>(b) / 1e6);
  else if (b >= 1000ULL) std::snprintf(buf, sizeof buf, "%.1f kB", static_cast<double>(b) / 1e3);
  else std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(b));
  return buf;
}

std::string human_duration(double s) {
  char buf[32];
  auto t = static_cast<long long>(s + 0.5);
  if (t < 60) std::snprintf(buf, sizeof buf, "%llds", t);
  else if (t < 3600) std::snprintf(buf, sizeof buf, "%lldm%02llds", t / 60, t % 60);
  else std::snprintf(buf, sizeof buf, "%lldh%02lldm", t / 3600, (t % 3600) / 60);
  return buf;
}

}  // namespace cuslim
