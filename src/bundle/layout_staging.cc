#include "bundle/layout_staging.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <memory>
#include <vector>

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

Status LayoutStaging::commit(const std::function<Status()>& publish) {
  std::string from = dir_ + "/blobs/sha256", to = layout_ + "/blobs/sha256";
  CUSLIM_CHECK(make_dirs(to));
  CleanupSignalsHeld held;
  std::vector<std::string> added;  // blobs the layout did not have: taken out again on failure
  auto undo = [&](Error e) {
    for (auto& name : added) ::unlink((to + "/" + name).c_str());
    return e;
  };
  std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(from.c_str()), ::closedir);
  if (!d) return Error::from_errno(from, errno).wrap(layout_ + ": reading the staged blobs");
  while (dirent* e = ::readdir(d.get())) {
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    // A blob linked from the layout (the same inode) is its own; one this run wrote replaces a
    // file of that name (the same bytes when the layout is sound, a damaged one mended).
    struct stat have, staged;
    bool had = ::lstat((to + "/" + name).c_str(), &have) == 0;
    if (had && ::lstat((from + "/" + name).c_str(), &staged) == 0 && have.st_ino == staged.st_ino && have.st_dev == staged.st_dev) continue;
    if (::rename((from + "/" + name).c_str(), (to + "/" + name).c_str()) != 0)
      return undo(Error::from_errno(to + "/" + name, errno).wrap(layout_ + ": moving a new blob in"));
    if (!had) added.push_back(name);
  }
  if (auto st = publish(); !st.ok()) return undo(st.error());
  // The image is in; the layer records only spare a later run's packing (a record whose blob is
  // gone is ignored): one that cannot be written is not this run's failure.
  (void)adopt_layer_records(dir_, layout_);
  return ok_status();
}

Error LayoutStaging::as_layout(const Error& e) const { return e.said_as(dir_, layout_); }

}  // namespace cuslim
