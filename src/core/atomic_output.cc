#include "core/atomic_output.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <random>

#include "core/fs.h"
#include "core/path.h"

namespace cuslim {

namespace {
std::string suffix() {
  std::random_device rd;
  return std::to_string(getpid()) + "-" + std::to_string(rd() % 1000000);
}

// Gives every directory under p (p included) owner rwx, never following a link: a directory
// without them (overlayfs's work/work is mode 000) cannot be emptied otherwise.
void make_removable(const std::string& p, int depth = 0) {
  struct stat st;
  if (depth > 256 || ::lstat(p.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return;
  if ((st.st_mode & S_IRWXU) != S_IRWXU) ::chmod(p.c_str(), (st.st_mode & 07777) | S_IRWXU);
  std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(p.c_str()), ::closedir);
  if (!d) return;
  while (auto* e = ::readdir(d.get()))
    if (std::string n = e->d_name; n != "." && n != ".." && (e->d_type == DT_DIR || e->d_type == DT_UNKNOWN)) make_removable(p + "/" + n, depth + 1);
}
}  // namespace

void remove_tree(const std::string& path) {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
  if (!ec) return;
  make_removable(path);
  std::filesystem::remove_all(path, ec);
}

AtomicOutput::AtomicOutput(std::string out) : out_(std::move(out)) {
  while (out_.size() > 1 && out_.back() == '/') out_.pop_back();
  if (struct stat st; ::lstat(out_.c_str(), &st) == 0)
    before_ = {.exists = true, .empty_dir = S_ISDIR(st.st_mode) && dir_is_empty(out_), .dev = st.st_dev, .ino = st.st_ino};
  remove_stale_temps(path::dirname(out_));
  temp_ = path::join(path::dirname(out_), "." + path::basename(out_) + ".cuslim-tmp-" + suffix());
  on_signal_.emplace_back(temp_);
}

AtomicOutput::~AtomicOutput() {
  if (!committed_) remove_tree(temp_);
  for (auto& s : scratch_) remove_tree(s);
}

Error AtomicOutput::as_out(const Error& e) const {
  Error out = e;
  for (auto& s : scratch_) out = out.said_as(s, out_);  // before the temp: they start with its name
  return out.said_as(temp_, out_);
}

Status AtomicOutput::commit() {
  struct stat st;
  std::string old;
  struct stat tst;
  bool temp_dir = ::lstat(temp_.c_str(), &tst) == 0 && S_ISDIR(tst.st_mode);
  if (is_special_file(out_))
    return Error(Exit::usage, out_ + ": a device, fifo or socket: not replaced");  // never renamed over
  auto appeared = [&](const std::string& what) {
    appeared_ = true;
    return Error(Exit::bad_input, out_ + ": " + what + " while cuslim was writing it (another run, or a user, wrote there): left as it is; nothing written");
  };
  bool now = ::lstat(out_.c_str(), &st) == 0;
  if (now) {
    // Only what was there at the start (and judged then) may be replaced; an empty directory that
    // is still empty may go whatever its history.
    bool same = before_.exists && st.st_dev == before_.dev && st.st_ino == before_.ino;
    bool empty = S_ISDIR(st.st_mode) && dir_is_empty(out_);
    if (!same && !empty) return appeared(S_ISDIR(st.st_mode) ? "a directory appeared" : "a file appeared");
    if (same && before_.empty_dir && !empty) return appeared("the empty directory got files");
  }
  // rename() cannot replace a non-empty dir, nor a file with a dir: the old one is moved aside.
  if (now && (S_ISDIR(st.st_mode) || temp_dir)) {
    old = path::join(path::dirname(out_), "." + path::basename(out_) + ".cuslim-old-" + suffix());
    if (::rename(out_.c_str(), old.c_str()) != 0) return Error::from_errno(out_, errno).wrap("replacing output");
  }
  // A file, or a directory, that appears between here and the rename: RENAME_NOREPLACE where
  // nothing was there, so it is never replaced.
  int r = now ? ::rename(temp_.c_str(), out_.c_str()) : ::renameat2(AT_FDCWD, temp_.c_str(), AT_FDCWD, out_.c_str(), RENAME_NOREPLACE);
  if (r != 0 && !now && errno == EINVAL) r = ::rename(temp_.c_str(), out_.c_str());  // a file system without RENAME_NOREPLACE
  if (r != 0) {
    int err = errno;
    if (!old.empty()) ::rename(old.c_str(), out_.c_str());
    if (err == EEXIST || err == ENOTEMPTY) return appeared("appeared");
    return Error::from_errno(out_, err).wrap("writing output");
  }
  committed_ = true;
  if (!old.empty()) remove_tree(old);
  return ok_status();
}

}  // namespace cuslim
