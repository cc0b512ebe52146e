// What cuslim may do at OUT. It replaces only what it writes itself: a new path, a file of a kind it
// writes (an image archive, a trace, a report; an empty file), an empty directory, or (for an OCI output) an existing OCI layout it adds the image to. Any other
// non-empty directory is refused unless forced, and OUT is never an input, inside an input, or a
// directory holding an input.
#pragma once

#include <string>
#include <vector>

#include "core/error.h"

namespace cuslim {

enum class ExistingOutput {
  none,        // OUT does not exist
  file,        // a file cuslim writes (or forced): replaced atomically
  empty_dir,   // an empty directory: replaced
  oci_layout,  // an OCI layout (has oci-layout): updated in place (new blobs, the tag in index.json)
  forced_dir,  // a non-empty directory the user said to replace (--force)
};

struct OutputRequest {
  std::string out;
  std::vector<std::string> inputs;  // host paths the command reads (files or directories)
  bool oci_output = false;          // an OCI layout may be updated in place
  bool force = false;               // a non-empty directory may be replaced whole, any file replaced
  bool has_force_flag = true;       // the command takes --force (errors suggest it)
  // The files the output is made of, as paths inside `read_root` (a host dir; "" for /): a
  // library the program loads, a file of --root. OUT is never one of them nor holds one.
  std::string read_root;
  std::vector<std::string> read_files;
};

Result<ExistingOutput> check_output(const OutputRequest& req);

// OUT (or a side output) that is, or links to, a device, fifo or socket -- /dev/null, /dev/stdout,
// a named pipe -- is refused (exit 2): renaming a finished file over it would destroy it, and
// cuslim's outputs are files and directories only. "-" (stdout) is refused the same way.
Status check_not_special(const std::string& flag, const std::string& path);

// Where OUT is to be written, before any work: its nearest existing ancestor must be a directory
// (exit 2 naming the file in the way) this user may write in (exit 3 with the path and the reason);
// the directories between are created.
Status check_output_place(const std::string& flag, const std::string& out);

// A second file a command writes (--report, --junit, report -o) named by `flag`: never an input,
// inside one, or OUT itself or inside it (a report inside an OCI layout would replace its files).
Status check_side_output(const std::string& flag, const std::string& file, const std::vector<std::string>& inputs,
                         const std::string& out = "");

// Side outputs of one command, {flag, file}: no two may name the same file (exit 2), or one
// would silently replace the other.
Status check_distinct_outputs(const std::vector<std::pair<std::string, std::string>>& outputs);

}  // namespace cuslim
