// Progress lines on a TTY (stderr): "  unpacking 1.2 GB / 4.1 GB (29%), 310.2 MB/s, ETA 9s".
// One line at a time for the whole process (the terminal's last line is one resource): a new
// step or any other output first ends the open line, so summaries start on a line of their own.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

namespace cuslim::cli {

using ProgressFn = std::function<void(uint64_t done, uint64_t total)>;

// A progress callback for one step ("unpacking", "packing"); empty when `quiet` or stderr is
// not a TTY. With a `gzip_hint` (advice such as "--compression zstd is several times faster"), a
// step whose total passes 1 GB says once (on any stderr, unless quiet) "packing N with gzip; HINT".
ProgressFn progress_line(const std::string& step, bool quiet, std::string gzip_hint = "");

// Ends the open progress line, if any (before a summary, a warning or an error).
void end_progress_line();

}  // namespace cuslim::cli
