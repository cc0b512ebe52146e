#include "core/signal_cleanup.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <climits>
#include <cstdint>
#include <cstring>
#include <memory>

#include "core/atomic_output.h"

namespace cuslim {

namespace {

constexpr int kSlots = 64;
struct Slot {
  std::atomic<bool> used{false};
  std::atomic<bool> ready{false};
  char path[PATH_MAX]{};
};
// constinit: zero pages of .bss, not 64 pages written by a static constructor at every start.
constinit Slot g_slots[kSlots]{};

// The entries of a directory as the kernel lists them (struct linux_dirent64).
struct Dirent64 {
  uint64_t ino;
  int64_t off;
  unsigned short reclen;
  unsigned char type;
  char name[1];
};

// Removes `name` under dirfd, recursing into directories, with system calls only: the signal may
// have interrupted malloc (opendir/readdir allocate and would deadlock on its lock), so the
// directory is read with getdents64 into a buffer on the stack.
void remove_at(int dirfd, const char* name, int depth) {
  if (::unlinkat(dirfd, name, 0) == 0 || errno == ENOENT || depth > 64) return;
  int fd = ::openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return;
  alignas(8) char buf[2048];
  // Entries removed while listing may shift the listing: a few passes until the dir is empty.
  for (int pass = 0; pass < 4; ++pass) {
    ::lseek(fd, 0, SEEK_SET);
    bool removed = false;
    for (long n; (n = ::syscall(SYS_getdents64, fd, buf, sizeof buf)) > 0;)
      for (long off = 0; off < n;) {
        auto* e = reinterpret_cast<Dirent64*>(buf + off);
        off += e->reclen;
        if (std::strcmp(e->name, ".") == 0 || std::strcmp(e->name, "..") == 0) continue;
        remove_at(fd, e->name, depth + 1);
        removed = true;
      }
    if (!removed) break;
  }
  ::close(fd);
  ::unlinkat(dirfd, name, AT_REMOVEDIR);
}

void on_signal(int sig) {
  for (auto& s : g_slots)
    if (s.used.load() && s.ready.load()) remove_at(AT_FDCWD, s.path, 0);
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

bool alive(pid_t pid) { return pid > 0 && (::kill(pid, 0) == 0 || errno != ESRCH); }

// The writer's pid in a cuslim temp name, or 0.
pid_t temp_owner(const std::string& name) {
  for (const char* marker : {".cuslim-tmp-", ".cuslim-old-"}) {
    auto at = name.find(marker);
    if (at == std::string::npos) continue;
    pid_t pid = 0;
    for (size_t i = at + std::strlen(marker); i < name.size() && name[i] >= '0' && name[i] <= '9' && pid < 100000000; ++i)
      pid = pid * 10 + (name[i] - '0');
    return pid;
  }
  return 0;
}

}  // namespace

void install_signal_cleanup() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) ::sigaction(sig, &sa, nullptr);
}

SignalCleanup::SignalCleanup(const std::string& path) {
  if (path.size() >= PATH_MAX) return;
  for (int i = 0; i < kSlots; ++i) {
    bool expected = false;
    if (!g_slots[i].used.compare_exchange_strong(expected, true)) continue;
    std::memcpy(g_slots[i].path, path.c_str(), path.size() + 1);
    g_slots[i].ready.store(true);
    slot_ = i;
    return;
  }
}

SignalCleanup::~SignalCleanup() {
  if (slot_ < 0) return;
  g_slots[slot_].ready.store(false);
  g_slots[slot_].used.store(false);
}

CleanupSignalsHeld::CleanupSignalsHeld() {
  sigset_t held;
  sigemptyset(&held);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&held, sig);
  ::pthread_sigmask(SIG_BLOCK, &held, &previous_);
}

CleanupSignalsHeld::~CleanupSignalsHeld() { ::pthread_sigmask(SIG_SETMASK, &previous_, nullptr); }

int remove_stale_temps(const std::string& dir) {
  std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(dir.c_str()), ::closedir);
  if (!d) return 0;
  int n = 0;
  while (dirent* e = ::readdir(d.get())) {
    std::string name = e->d_name;
    if (name.empty() || name[0] != '.') continue;  // cuslim's temps are hidden names
    pid_t owner = temp_owner(name);
    if (owner <= 0 || alive(owner)) continue;
    remove_tree(dir + "/" + name);
    ++n;
  }
  return n;
}

}  // namespace cuslim
