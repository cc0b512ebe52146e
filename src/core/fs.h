// std::filesystem through its error_code overloads: every call returns an Error that names the
// path, never throws. Library code uses these instead of the throwing overloads.
#pragma once

#include <cstdint>
#include <sys/types.h>

#include <string>
#include <utility>
#include <vector>

#include "core/error.h"

namespace cuslim {

Status make_dirs(const std::string& dir);                          // create_directories
Result<std::string> canonical_path(const std::string& p);         // canonical
Result<std::string> absolute_path(const std::string& p);          // absolute (no filesystem access)
Status copy_regular_file(const std::string& from, const std::string& to);  // overwrites `to`; holes stay holes
// The data regions ({offset, length}) of an open file of `size` bytes, by SEEK_DATA/SEEK_HOLE (a
// file system without them: all of it is data). A sparse file's holes lie between them.
std::vector<std::pair<off_t, off_t>> data_regions(int fd, off_t size);
// A hard link where the filesystem allows one, else a copy.
Status link_or_copy(const std::string& from, const std::string& to);
Status set_mode(const std::string& p, unsigned mode);              // permissions (replace)
// The whole content of a regular file of at most `limit` bytes. A directory, FIFO or device, a
// larger file and a read error are errors naming the file (std::ifstream would hang on a FIFO and
// throw from inside a parser on a directory).
Result<std::string> read_regular_file(const std::string& p, uint64_t limit = 64ull << 20);
// Whether `p` exists (links followed) as something other than a file or directory: a device,
// fifo or socket -- never an output cuslim renames over.
bool is_special_file(const std::string& p);

// A directory with no entry but . and ..; false for anything else, or one that cannot be read.
bool dir_is_empty(const std::string& dir);
// The extended attributes of `p` itself (a symlink's own), sorted by name; only the one named
// `only` when it is given. Empty where the filesystem has none or cannot say.
std::vector<std::pair<std::string, std::string>> read_xattrs(const std::string& p, const std::string& only = "");
// Whether the regular file `p` holds the bytes `needle` anywhere (read in blocks, never whole);
// false when it cannot be read.
bool file_holds(const std::string& p, const std::string& needle);

}  // namespace cuslim
