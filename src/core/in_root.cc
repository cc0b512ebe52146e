#include "core/in_root.h"

#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <deque>
#include <vector>

#include "core/path.h"

namespace cuslim {

Result<std::string> resolve_in_root(const std::string& root_dir, const std::string& inside, MissingComponent missing) {
  std::deque<std::string> todo;
  for (auto& c : path::components(inside)) todo.push_back(c);
  std::vector<std::string> done;
  int links = 0;
  while (!todo.empty()) {
    std::string c = std::move(todo.front());
    todo.pop_front();
    if (c == "." || c.empty()) continue;
    if (c == "..") {
      if (!done.empty()) done.pop_back();
      continue;
    }
    std::string host = root_dir;
    for (auto& d : done) host += "/" + d;
    host += "/" + c;
    struct stat st;
    if (::lstat(host.c_str(), &st) != 0) {
      if (missing == MissingComponent::error) return Error::from_errno(inside, errno);
      done.push_back(c);
      continue;
    }
    if (!S_ISLNK(st.st_mode)) {
      done.push_back(c);
      continue;
    }
    if (++links > kMaxSymlinks) return Error::from_errno(inside, ELOOP);
    char buf[PATH_MAX];
    ssize_t n = ::readlink(host.c_str(), buf, sizeof buf - 1);
    if (n < 0) return Error::from_errno(inside, errno);
    std::string target(buf, static_cast<size_t>(n));
    auto parts = path::components(target);
    todo.insert(todo.begin(), parts.begin(), parts.end());
    if (!target.empty() && target[0] == '/') done.clear();  // absolute: restart at the root
  }
  std::string out;
  for (auto& d : done) out += "/" + d;
  return out.empty() ? std::string("/") : out;
}

}  // namespace cuslim
