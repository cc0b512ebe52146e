#include "image/gzip_end.h"

#include <unistd.h>
#include <zlib.h>

#include <vector>

namespace cuslim {

namespace {

// The uncompressed size the last four bytes of a gzip member give (ISIZE, little-endian).
bool trailer_says(int fd, uint64_t size, uint64_t plain_bytes) {
  unsigned char t[4];
  if (size < 18 || ::pread(fd, t, 4, static_cast<off_t>(size - 4)) != 4) return false;
  uint32_t isize = t[0] | (t[1] << 8) | (t[2] << 16) | (static_cast<uint32_t>(t[3]) << 24);
  return isize == static_cast<uint32_t>(plain_bytes);
}

// Inflates every member; the number of bytes after the last one that begin no further member
// (0: the blob ends with a member), or an error when the stream itself is unreadable.
Result<uint64_t> bytes_after_members(int fd, uint64_t size, const std::string& what) {
  z_stream z{};
  if (inflateInit2(&z, 15 + 16) != Z_OK) return Error(Exit::bad_input, what + ": zlib: cannot start an inflater");
  struct End {
    z_stream* z;
    ~End() { inflateEnd(z); }
  } end{&z};
  std::vector<unsigned char> in(1 << 20), out(1 << 20);
  off_t at = 0;
  bool in_member = true;
  for (;;) {
    if (z.avail_in == 0) {
      ssize_t n = ::pread(fd, in.data(), in.size(), at);
      if (n < 0) return Error::from_errno(what, errno);
      if (n == 0) break;
      at += n;
      z.next_in = in.data();
      z.avail_in = static_cast<uInt>(n);
    }
    if (!in_member) {  // between members: another gzip header, or the bytes that follow the stream
      if (z.avail_in >= 2 && (z.next_in[0] != 0x1f || z.next_in[1] != 0x8b)) break;
      if (z.avail_in == 1 && z.next_in[0] != 0x1f) break;
      inflateReset(&z);
      in_member = true;
    }
    z.next_out = out.data();
    z.avail_out = static_cast<uInt>(out.size());
    int r = inflate(&z, Z_NO_FLUSH);
    if (r == Z_STREAM_END) in_member = false;
    else if (r != Z_OK && r != Z_BUF_ERROR) return Error(Exit::bad_input, what + ": the gzip stream is corrupt (" + (z.msg ? z.msg : "inflate failed") + ")");
  }
  if (in_member) return Error(Exit::bad_input, what + ": the gzip stream is truncated");
  // What is left: the unread input of this buffer and the rest of the file.
  return size - static_cast<uint64_t>(at) + z.avail_in;
}

}  // namespace

Status check_gzip_end(int fd, uint64_t size, uint64_t plain_bytes, const std::string& what) {
  if (trailer_says(fd, size, plain_bytes)) return ok_status();
  CUSLIM_TRY(uint64_t extra, bytes_after_members(fd, size, what));
  if (extra == 0) return ok_status();
  return Error(Exit::bad_input, what + ": " + std::to_string(extra) + " byte" + (extra == 1 ? "" : "s") +
                                    " after the end of the gzip stream: refused (Go's gzip reader, and so docker, containerd and umoci, "
                                    "cannot unpack the layer)");
}

}  // namespace cuslim
