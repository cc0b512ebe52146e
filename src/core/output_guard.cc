#include "core/output_guard.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <filesystem>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <set>

#include <nlohmann/json.hpp>

#include "core/fs.h"
#include "core/unique_fd.h"
#include "core/path.h"

namespace cuslim {

namespace {

// The canonical host path of p, which may not exist yet (its parent's canonical path + its name).
std::string canonical_or_planned(const std::string& p) {
  if (auto c = canonical_path(p); c.ok()) return *c;
  std::string abs = absolute_path(p).value_or(p);
  while (abs.size() > 1 && abs.back() == '/') abs.pop_back();
  std::string parent = path::dirname(abs);
  if (auto c = canonical_path(parent); c.ok()) return path::join(*c, path::basename(abs));
  return path::normalize(abs);
}

bool inside(const std::string& p, const std::string& dir) {
  return p == dir || (p.size() > dir.size() && p.compare(0, dir.size(), dir) == 0 && (dir == "/" || p[dir.size()] == '/'));
}

// A JSON report of cuslim's: an object whose "command" names the command that wrote it.
bool is_json_report(const std::string& file) {
  auto text = read_regular_file(file, 512ull << 20);
  if (!text.ok()) return false;
  auto j = nlohmann::json::parse(*text, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("command") || !j["command"].is_string()) return false;
  static const std::set<std::string> commands{"bundle", "build", "slim", "verify", "report"};
  return commands.count(j["command"].get<std::string>()) > 0;
}

// Whether an existing file is one cuslim may replace: what it writes itself -- an image archive
// (tar, gzip or zstd), a trace or report (JSON, HTML, XML), a digest file -- or an empty file.
// Text formats are recognised by what cuslim writes in them, not by the format: a JSON or HTML
// file of the user's own is theirs, as is a text file, an ELF, a picture.
bool replaceable_file(const std::string& file) {
  UniqueFd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
  if (!fd) return false;
  unsigned char b[512] = {};
  ssize_t n = ::read(fd.get(), b, sizeof b);
  if (n == 0) return true;
  if (n < 0) return false;
  auto starts = [&](std::string_view magic) { return static_cast<size_t>(n) >= magic.size() && std::memcmp(b, magic.data(), magic.size()) == 0; };
  if (starts("\x1f\x8b") || starts("\x28\xb5\x2f\xfd")) return true;            // gzip, zstd
  if (n >= 262 && std::memcmp(b + 257, "ustar", 5) == 0) return true;             // tar
  std::string_view head(reinterpret_cast<const char*>(b), static_cast<size_t>(n));
  if (starts("{\"event\":\"")) return true;                                          // trace
  if (starts("{\n  \"") && is_json_report(file)) return true;                       // JSON report
  if (starts("<!DOCTYPE html>") && head.find("<title>cuslim ") != std::string_view::npos) return true;  // page report
  if (starts("<?xml") && head.find("<testsuite name=\"cuslim ") != std::string_view::npos) return true;  // junit
  if (starts("sha256:") && n <= 72 && head.find_first_not_of("0123456789abcdef\n", 7) == std::string_view::npos) return true;  // digest
  return false;
}

// A directory below `dir` on another file system (a mount point): replacing `dir` whole would
// delete that file system's files (rm --one-file-system refuses too). Its path, or "".
std::string mount_point_below(const std::string& dir) {
  struct stat top;
  if (::stat(dir.c_str(), &top) != 0) return "";
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, std::filesystem::directory_options::skip_permission_denied, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    struct stat st;
    if (::lstat(it->path().c_str(), &st) == 0 && S_ISDIR(st.st_mode) && st.st_dev != top.st_dev) return it->path().string();
  }
  return "";
}

// A regular file at `p`, or a symlink to one (the link would be replaced, and it is the user's
// unless its file is cuslim's).
bool file_or_link_to_file(const std::string& p, const struct stat& lst) {
  struct stat st;
  return S_ISREG(lst.st_mode) || (S_ISLNK(lst.st_mode) && ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode));
}

// Directories --force never replaces whole, like rm's --preserve-root: the root, one directly
// under it (/usr, /etc, /home, ...) and the user's home or one above it.
Status check_not_precious(const std::string& given, const std::string& out) {
  std::string why;
  if (out == "/" || path::dirname(out) == "/") why = "a system directory";
  if (const char* home = std::getenv("HOME"); why.empty() && home && *home == '/')
    if (auto h = canonical_path(home); h.ok() && inside(*h, out)) why = *h == out ? "your home directory" : "a directory holding your home directory";
  if (why.empty()) return ok_status();
  return Error(Exit::usage, given + ": is " + why + ": refused, even with --force (it would be replaced whole; give a new path under it)");
}

}  // namespace

Status check_not_special(const std::string& flag, const std::string& path) {
  if (path == "-") return Error(Exit::usage, flag + " -: cuslim writes files and directories, not stdout: give a path");
  // /dev/stdout, /proc/self/fd/N: names of the system's, whatever they point at now (a redirected
  // stdout is a regular file; the link itself would be replaced). /dev/shm is a plain tmpfs.
  for (const std::string& p : {canonical_or_planned(path), std::filesystem::absolute(path).lexically_normal().string()})
    for (const char* sys : {"/dev/", "/proc/", "/sys/"})
      if (p.rfind(sys, 0) == 0 && p.rfind("/dev/shm/", 0) != 0) return Error(Exit::usage, flag + " " + path + ": under " + std::string(sys) + ", a system directory: give a path of your own");
  if (!is_special_file(path)) return ok_status();
  struct stat st;
  ::stat(path.c_str(), &st);
  const char* what = S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) ? "a device" : S_ISFIFO(st.st_mode) ? "a fifo" : "a socket";
  return Error(Exit::usage, flag + " " + path + ": is " + what + ", not a file or directory cuslim may replace: give a path");
}

Result<ExistingOutput> check_output(const OutputRequest& req) {
  if (req.out.empty()) return Error(Exit::usage, "-o OUT: empty");
  CUSLIM_CHECK(check_not_special("-o", req.out));
  std::string out = canonical_or_planned(req.out);
  for (auto& in : req.inputs) {
    if (in.empty()) continue;
    std::string input = canonical_or_planned(in);
    if (inside(out, input))
      return Error(Exit::usage, req.out + ": the output is " + (out == input ? "an input" : "inside the input " + in) +
                                    ": refused (it would overwrite what cuslim reads)");
  }
  // An existing OUT that is, or holds, a file the output is made of (only an existing one can).
  auto over_read_files = [&]() -> Status {
    if (req.read_files.empty()) return ok_status();
    std::string root = canonical_or_planned(req.read_root.empty() ? "/" : req.read_root);
    for (auto& f : req.read_files)
      if (std::string host = root == "/" ? f : root + f; inside(host, out))
        return Error(Exit::usage, req.out + ": " + (host == out ? "is " : "holds ") + f +
                                      ", a file the output is made of: refused (it would overwrite what cuslim reads)");
    return ok_status();
  };
  struct stat st;
  if (::lstat(req.out.c_str(), &st) != 0) {
    if (errno == ENOENT) return ExistingOutput::none;
    if (errno == ENOTDIR) {  // "-o afile/sub": name the ancestor that is a file, before any work
      std::string up = path::dirname(req.out);
      while (up.size() > 1 && ::stat(up.c_str(), &st) != 0) up = path::dirname(up);
      return Error(Exit::usage, req.out + ": " + up + " is not a directory: refused");
    }
    return Error(Exit::bad_input, req.out + ": checking the output: " + std::strerror(errno));
  }
  if (!S_ISDIR(st.st_mode)) {
    CUSLIM_CHECK(over_read_files());
    if (file_or_link_to_file(req.out, st) && !req.force && !replaceable_file(req.out))
      return Error(Exit::usage, req.out + ": an existing file that cuslim did not write (not an image archive, trace or report): refused "
                                          "(it would be replaced; choose a new path" + std::string(req.has_force_flag ? ", or --force to replace it)" : ")"));
    return ExistingOutput::file;
  }
  bool layout = ::access(path::join(out, "oci-layout").c_str(), F_OK) == 0;
  if (layout && req.oci_output) return ExistingOutput::oci_layout;
  // The directory is replaced whole from here on: not the working directory (or one above it),
  // and no input may live in it.
  if (auto cwd = canonical_path("."); cwd.ok() && inside(*cwd, out))
    return Error(Exit::usage, req.out + ": " + (*cwd == out ? "is" : "holds") + " the working directory: refused (it would be replaced whole; choose a new path)");
  for (auto& in : req.inputs)
    if (!in.empty() && inside(canonical_or_planned(in), out))
      return Error(Exit::usage, req.out + ": the input " + in + " is inside the output directory: refused (replacing it would delete the input)");
  CUSLIM_CHECK(over_read_files());
  CUSLIM_CHECK(check_not_precious(req.out, out));  // empty or not, with or without --force
  if (dir_is_empty(out)) return ExistingOutput::empty_dir;
  if (std::string m = mount_point_below(out); !m.empty())
    return Error(Exit::usage, req.out + ": holds " + m + ", a mount point (another file system): refused, even with --force (replacing the "
                                        "directory would delete that file system's files; unmount it, or give a new path)");
  if (req.force) return ExistingOutput::forced_dir;
  return Error(Exit::usage, req.out + ": a non-empty directory" + std::string(req.oci_output ? " that is not an OCI layout" : "") +
                                ": refused (it would be replaced whole; choose a new path, or --force to replace it)");
}

Status check_output_place(const std::string& flag, const std::string& out) {
  std::string abs = absolute_path(out).value_or(out);
  while (abs.size() > 1 && abs.back() == '/') abs.pop_back();
  struct stat st;
  // An existing OCI layout is updated inside itself (a tag added): it is where writes go.
  if (::stat(path::join(abs, "oci-layout").c_str(), &st) == 0) {
    if (::access(abs.c_str(), W_OK | X_OK) != 0)
      return Error(Exit::bad_input, flag + " " + out + ": the OCI layout " + abs + ": " + std::strerror(errno) + " (not writable)");
    return ok_status();
  }
  abs = path::dirname(abs);  // OUT is written beside itself and renamed
  std::string up = abs;
  while (up.size() > 1 && ::stat(up.c_str(), &st) != 0) {
    if (errno != ENOENT && errno != ENOTDIR) return Error(Exit::bad_input, flag + " " + out + ": " + up + ": " + std::strerror(errno));
    up = path::dirname(up);
  }
  if (::stat(up.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return Error(Exit::usage, flag + " " + out + ": " + up + " is not a directory: refused");
  if (::access(up.c_str(), W_OK | X_OK) != 0)  // the file system's answer, not a usage error: exit 3 as any write failure
    return Error(Exit::bad_input, flag + " " + out + ": " + (up == abs ? "its directory " : "the directory it would be created in, ") + up +
                                      ": " + std::strerror(errno) + " (not writable)");
  return ok_status();
}

Status check_side_output(const std::string& flag, const std::string& file, const std::vector<std::string>& inputs,
                         const std::string& out) {
  CUSLIM_CHECK(check_not_special(flag, file));
  std::string f = canonical_or_planned(file);
  for (auto& in : inputs) {
    if (in.empty()) continue;
    std::string input = canonical_or_planned(in);
    if (inside(f, input))
      return Error(Exit::usage, flag + " " + file + ": " + (f == input ? "is an input" : "is inside the input " + in) +
                                    ": refused (it would overwrite what cuslim reads)");
  }
  if (!out.empty() && inside(f, canonical_or_planned(out)))
    return Error(Exit::usage, flag + " " + file + ": " + (f == canonical_or_planned(out) ? "is the output -o " : "is inside the output -o ") + out +
                                  ": refused (choose a path outside it)");
  struct stat st;
  if (::lstat(file.c_str(), &st) == 0 && file_or_link_to_file(file, st) && !replaceable_file(file))
    return Error(Exit::usage, flag + " " + file + ": an existing file that cuslim did not write (not a report, JUnit file, trace or digest): refused "
                                 "(it would be replaced; choose a new path)");
  return ok_status();
}

Status check_distinct_outputs(const std::vector<std::pair<std::string, std::string>>& outputs) {
  for (size_t i = 0; i < outputs.size(); ++i)
    for (size_t j = i + 1; j < outputs.size(); ++j)
      if (!outputs[i].second.empty() && canonical_or_planned(outputs[i].second) == canonical_or_planned(outputs[j].second))
        return Error(Exit::usage, outputs[i].first + " " + outputs[i].second + " and " + outputs[j].first + " " + outputs[j].second +
                                      " name the same file: refused (one would replace the other)");
  return ok_status();
}

}  // namespace cuslim
