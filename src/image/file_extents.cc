#include "image/file_extents.h"

#include <fcntl.h>
#include <unistd.h>

#include "core/unique_fd.h"
#include "image/digest.h"

namespace cuslim {

namespace {
constexpr size_t kChunk = 1 << 20;
}

uint64_t extents_size(const FileExtents& x) {
  uint64_t n = 0;
  for (auto& e : x) n += e.size();
  return n;
}

void append_extent(FileExtents& x, FileExtent e) {
  if (e.size() == 0) return;
  if (!x.empty() && x.back().kind == e.kind) {
    auto& b = x.back();
    if (e.kind == FileExtent::zeros) return void(b.len += e.len);
    if (e.kind == FileExtent::copy && b.src + b.len == e.src) return void(b.len += e.len);
  }
  x.push_back(std::move(e));
}

Status stream_extents(const std::string& source, const FileExtents& x, const std::function<Status(const char*, size_t)>& sink) {
  UniqueFd fd(::open(source.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return Error::from_errno(source, errno);
  std::vector<char> buf(kChunk), zero(kChunk, 0);
  for (auto& e : x) {
    if (e.kind == FileExtent::literal) {
      CUSLIM_CHECK(sink(e.bytes.data(), e.bytes.size()));
      continue;
    }
    for (uint64_t done = 0; done < e.len;) {
      size_t n = static_cast<size_t>(std::min<uint64_t>(kChunk, e.len - done));
      if (e.kind == FileExtent::zeros) {
        CUSLIM_CHECK(sink(zero.data(), n));
      } else {
        ssize_t r = ::pread(fd.get(), buf.data(), n, static_cast<off_t>(e.src + done));
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return Error::from_errno(source, errno);
        if (r == 0) return bad_input(source + ": file shrank while it was being packed");
        n = static_cast<size_t>(r);
        CUSLIM_CHECK(sink(buf.data(), n));
      }
      done += n;
    }
  }
  return ok_status();
}

Status write_extents(const std::string& source, const FileExtents& x, const std::string& dst) {
  UniqueFd out(::open(dst.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!out) return Error::from_errno(dst, errno);
  return stream_extents(source, x, [&](const char* p, size_t n) -> Status {
    while (n) {
      ssize_t w = ::write(out.get(), p, n);
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) return Error::from_errno(dst, errno);
      p += w;
      n -= static_cast<size_t>(w);
    }
    return ok_status();
  });
}

std::string extents_key(const FileExtents& x) {
  Sha256 h;
  for (auto& e : x) {
    std::string d = std::to_string(e.kind) + " " + std::to_string(e.src) + " " + std::to_string(e.len) + " " + e.bytes + "\n";
    h.update(d.data(), d.size());
  }
  return h.finish().hex();
}

}  // namespace cuslim
