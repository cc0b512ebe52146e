// Adding an image to an existing OCI layout (a tag beside the others) leaves nothing behind when
// it fails or is interrupted: the image is written into a staging layout inside it (a hidden
// cuslim temp dir, removed on failure, on SIGINT/SIGTERM/SIGHUP, and -- after a SIGKILL -- by
// the next run), where the blobs the layout already holds are linked, not copied. commit() then
// moves the blobs it wrote into it (one of that name already there is replaced: a damaged blob is
// mended, a sound one replaced by the same bytes), runs the caller's index.json update and
// adopts the layer-cache records, signals held: a failure before the index is written takes the
// blobs that were new out again. The layout is exactly as it was, or holds the image under its tag.
#pragma once

#include <functional>
#include <string>

#include "core/error.h"
#include "core/signal_cleanup.h"

namespace cuslim {

class LayoutStaging {
 public:
  explicit LayoutStaging(const std::string& layout);
  ~LayoutStaging();  // removes the staging dir (whatever commit moved out of it is the layout's)
  LayoutStaging(const LayoutStaging&) = delete;
  LayoutStaging& operator=(const LayoutStaging&) = delete;

  const std::string& dir() const { return dir_; }  // write the image here, as a layout of its own
  // Moves the staged blobs into its blobs/sha256 (those linked from it aside), runs `publish` (the
  // index.json update) and records the staged layers in its cache, signals held throughout; when
  // a move or `publish` fails, the blobs it had added are removed again and the error returned.
  Status commit(const std::function<Status()>& publish);
  // An error about the staging dir, said of the layout.
  Error as_layout(const Error& e) const;

 private:
  std::string layout_, dir_;
  SignalCleanup on_signal_;
};

}  // namespace cuslim
