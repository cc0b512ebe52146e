#include "core/atomic_file.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <optional>
#include <cstring>

#include "core/fs.h"
#include "core/path.h"
#include "core/signal_cleanup.h"
#include "core/unique_fd.h"

namespace cuslim {

namespace {

Status write_all(int fd, std::string_view bytes, const std::string& name) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error::from_errno(name + ": writing", errno);
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return ok_status();
}

// Removes the temp file unless released (after a successful rename).
struct TempFile {
  std::string path;
  ~TempFile() {
    if (!path.empty()) ::unlink(path.c_str());
  }
};

}  // namespace

Status write_file_atomic(const std::string& target, std::string_view bytes, Durability durability, unsigned mode) {
  TempFile tmp{path::join(path::dirname(target), "." + path::basename(target) + ".cuslim-tmp-" + std::to_string(::getpid()) + "-XXXXXX")};
  // Created and registered for removal with the cleanup signals held back: a SIGTERM between
  // the two would leave the temp behind.
  std::optional<CleanupSignalsHeld> held(std::in_place);
  UniqueFd fd(::mkostemp(tmp.path.data(), O_CLOEXEC));
  SignalCleanup on_signal(tmp.path);
  held.reset();
  if (!fd) {
    int err = errno;
    tmp.path.clear();
    return Error(Exit::bad_input, target + ": creating a temp file beside it: " + std::strerror(err));
  }
  // Errors name the file the user asked for, not the temp name it is written under.
  if (::fchmod(fd.get(), static_cast<mode_t>(mode)) != 0) return Error::from_errno(target, errno);
  CUSLIM_CHECK(write_all(fd.get(), bytes, target));
  if (durability == Durability::fsync && ::fsync(fd.get()) != 0) return Error::from_errno(target + ": fsync", errno);
  if (::close(fd.get()) != 0) {
    int err = errno;
    (void)fd.release();
    return Error::from_errno(target + ": closing", err);
  }
  (void)fd.release();
  if (is_special_file(target))
    return Error(Exit::usage, target + ": a device, fifo or socket: not replaced");  // never renamed over
  if (::rename(tmp.path.c_str(), target.c_str()) != 0) return Error::from_errno(target + ": renaming into place", errno);
  tmp.path.clear();
  return ok_status();
}

}  // namespace cuslim
