#include "bundle/layout_staging.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <memory>

#include "bundle/layer_cache.h"
#include "core/fs.h"

namespace cuslim {

LayoutStaging::LayoutStaging(const std::string& layout)
    : layout_(layout), dir_(layout + "/.image.cuslim-tmp-" + std::to_string(::getpid())), on_signal_(dir_) {
  remove_stale_temps(layout_);  // a killed run's staging dir
}

LayoutStaging::~LayoutStaging() {
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

Status LayoutStaging::commit() {
  std::string from = dir_ + "/blobs/sha256", to = layout_ + "/blobs/sha256";
  CUSLIM_CHECK(make_dirs(to));
  CleanupSignalsHeld held;
  std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(from.c_str()), ::closedir);
  if (!d) return Error::from_errno(from, errno).wrap(layout_ + ": reading the staged blobs");
  while (dirent* e = ::readdir(d.get())) {
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    // A blob linked from the layout (the same inode) is its own; one this run wrote replaces a
    // file of that name (the same bytes when the layout is sound, a damaged one mended).
    struct stat have, staged;
    if (::lstat((to + "/" + name).c_str(), &have) == 0 && ::lstat((from + "/" + name).c_str(), &staged) == 0 && have.st_ino == staged.st_ino &&
        have.st_dev == staged.st_dev)
      continue;
    if (::rename((from + "/" + name).c_str(), (to + "/" + name).c_str()) != 0)
      return Error::from_errno(to + "/" + name, errno).wrap(layout_ + ": moving a new blob in");
  }
  return adopt_layer_records(dir_, layout_);
}

Error LayoutStaging::as_layout(const Error& e) const { return e.said_as(dir_, layout_); }

}  // namespace cuslim
