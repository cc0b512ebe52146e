// Helpers shared by the libFuzzer harnesses: the parsers under test read files, so each input is
// written into a private scratch directory first. Nothing here is part of the library.
#pragma once

#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

namespace cuslim::fuzz {

// A directory private to this fuzzer process, made once, removed at exit. The path lives in a
// plain array: an atexit handler must not read a static std::string destroyed before it runs.
inline const std::string& scratch_dir() {
  static char path[4096];
  static const std::string dir = [] {
    const char* t = std::getenv("TMPDIR");
    std::string tmpl = std::string(t && *t ? t : "/tmp") + "/cuslim-fuzz.XXXXXX";
    if (tmpl.size() >= sizeof path || !::mkdtemp(tmpl.data())) std::abort();
    tmpl.copy(path, tmpl.size());
    std::atexit([] { std::error_code ec; std::filesystem::remove_all(path, ec); });
    return tmpl;
  }();
  return dir;
}

inline void write_file(const std::string& path, std::string_view bytes) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) std::abort();
}

// Several documents in one input, separated by NUL bytes (text formats never contain one).
inline std::vector<std::string_view> split_nul(const uint8_t* data, size_t size, size_t max_parts) {
  std::vector<std::string_view> parts;
  std::string_view all(reinterpret_cast<const char*>(data), size);
  while (parts.size() + 1 < max_parts) {
    auto nul = all.find('\0');
    if (nul == std::string_view::npos) break;
    parts.push_back(all.substr(0, nul));
    all.remove_prefix(nul + 1);
  }
  parts.push_back(all);
  return parts;
}

// Removes a tree even where an input made directories unwritable or unreadable.
inline void remove_all_forced(const std::string& path) {
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(path, std::filesystem::directory_options::skip_permission_denied, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_directory(ec) && !it->is_symlink(ec)) ::chmod(it->path().c_str(), 0700);
  }
  ::chmod(path.c_str(), 0700);
  std::filesystem::remove_all(path, ec);
  if (std::filesystem::exists(std::filesystem::symlink_status(path))) {
    // A second pass: chmod during iteration may have uncovered more directories.
    for (auto it = std::filesystem::recursive_directory_iterator(path, ec); !ec && it != std::filesystem::recursive_directory_iterator();
         it.increment(ec))
      if (it->is_directory(ec) && !it->is_symlink(ec)) ::chmod(it->path().c_str(), 0700);
    std::filesystem::remove_all(path, ec);
  }
}

}  // namespace cuslim::fuzz
