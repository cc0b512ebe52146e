// Portable build only: Debian's static libarchive keeps the helper its writers call for file types
// a format cannot hold in the same object as archive_write_set_format(), the by-code dispatcher
// that references every writer -- among them xar's, which needs libxml2 and, through it, 32 MB of
// ICU data. cuslim writes only pax tar (regular files, dirs, symlinks), so defining the helper here
// keeps that object, xar, libxml2 and ICU out of the binary.
#include <archive.h>
#include <archive_entry.h>

#include <cerrno>

extern "C" void __archive_write_entry_filetype_unsupported(struct archive* a, struct archive_entry* entry, const char* format) {
  const char* kind = "this file type";
  switch (archive_entry_filetype(entry)) {
    case AE_IFSOCK: kind = "a socket"; break;
    case AE_IFCHR: kind = "a character device"; break;
    case AE_IFBLK: kind = "a block device"; break;
    case AE_IFIFO: kind = "a FIFO"; break;
    case AE_IFDIR: kind = "a directory"; break;
    case AE_IFLNK: kind = "a symbolic link"; break;
    default: break;
  }
  archive_set_error(a, EINVAL, "%s: the %s format cannot hold %s", archive_entry_pathname(entry), format, kind);
}
