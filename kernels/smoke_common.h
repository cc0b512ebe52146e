// Shared by the nvcc smoke programs: check every call, print one JSON line, exit non-zero on any
// failure or mismatch.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>

namespace smoke {

inline std::string escape(const std::string& s) {
  std::string o;
  for (char c : s) o += (c == '"' || c == '\\') ? std::string("\\") + c : std::string(1, c);
  return o;
}

[[noreturn]] inline void die(const char* smoke, const std::string& step, const std::string& why) {
  std::printf("{\"ok\": false, \"smoke\": \"%s\", \"step\": \"%s\", \"error\": \"%s\"}\n", smoke, escape(step).c_str(), escape(why).c_str());
  std::exit(1);
}

}  // namespace smoke
