#include "image/layer.h"

#include "image/parallel_gzip.h"
#include "image/utf8_names.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <map>
#include <memory>
#include <optional>
#include <thread>

#include "core/fs.h"
#include "core/unique_fd.h"

namespace cuslim {

namespace {

using ArchivePtr = std::unique_ptr<archive, decltype(&archive_write_free)>;
using EntryPtr = std::unique_ptr<archive_entry, decltype(&archive_entry_free)>;
constexpr size_t kLayerReadChunk = 1 << 20;
constexpr int kGzipLevel = 6;

int threads_of(const LayerOptions& opt) {
  return opt.threads > 0 ? opt.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

// Where the bytes go: the tar stream is hashed (diff_id), then either written as is or handed
// to the compressing writer, whose output is hashed (digest) and written to the blob file.
struct Sink {
  int fd = -1;
  std::string path;  // the blob file, for errors
  Sha256 diff, digest;
  archive* compressor = nullptr;  // zstd: libarchive's filter
  ParallelGzip* gzip = nullptr;   // gzip: blocks on every core
  uint64_t in = 0, out = 0;
  int err = 0;

  bool write_out(const void* buf, size_t n) {
    digest.update(buf, n);
    out += n;
    auto* p = static_cast<const char*>(buf);
    while (n) {
      ssize_t w = ::write(fd, p, n);
      if (w < 0) {
        if (errno == EINTR) continue;
        err = errno;
        return false;
      }
      p += w;
      n -= static_cast<size_t>(w);
    }
    return true;
  }
};

la_ssize_t tar_cb(archive*, void* ctx, const void* buf, size_t n) {
  auto* s = static_cast<Sink*>(ctx);
  s->diff.update(buf, n);
  s->in += n;
  if (s->gzip) return s->gzip->write(buf, n) ? static_cast<la_ssize_t>(n) : -1;
  if (!s->compressor) return s->write_out(buf, n) ? static_cast<la_ssize_t>(n) : -1;
  return archive_write_data(s->compressor, buf, n) == static_cast<la_ssize_t>(n) ? static_cast<la_ssize_t>(n) : -1;
}

la_ssize_t blob_cb(archive*, void* ctx, const void* buf, size_t n) {
  return static_cast<Sink*>(ctx)->write_out(buf, n) ? static_cast<la_ssize_t>(n) : -1;
}

Error archive_error(archive* a, const std::string& what) {
  const char* why = archive_error_string(a);
  return bad_input(what + ": " + (why ? why : "libarchive error"));
}

// A write the sink refused (a full disk) is the reason, said with the blob file; else libarchive's.
Error write_error(const Sink& sink, archive* a, const std::string& what) {
  return sink.err ? Error::from_errno(sink.path, sink.err) : archive_error(a, what);
}

Result<ArchivePtr> open_compressor(Sink& sink, const LayerOptions& opt, const std::string& out) {
  ArchivePtr b(archive_write_new(), archive_write_free);
  archive_write_set_format_raw(b.get());
  archive_write_set_bytes_per_block(b.get(), 0);
  int threads = threads_of(opt);
  archive_write_add_filter_zstd(b.get());
  archive_write_set_filter_option(b.get(), "zstd", "compression-level", "3");
  archive_write_set_filter_option(b.get(), "zstd", "threads", std::to_string(threads).c_str());
  if (archive_write_open(b.get(), &sink, nullptr, blob_cb, nullptr) != ARCHIVE_OK) return archive_error(b.get(), out);
  EntryPtr e(archive_entry_new(), archive_entry_free);
  archive_entry_set_pathname(e.get(), "layer.tar");
  archive_entry_set_filetype(e.get(), AE_IFREG);
  if (archive_write_header(b.get(), e.get()) != ARCHIVE_OK) return archive_error(b.get(), out);
  return b;
}

// The first name each hard-linked source file (an inode with more than one link) was written
// under in this layer: a later name of the same inode is written as a link to it, as tar does.
// The first name written of each inode, and its entry (a second name is a link to it, with its owner and mode).
using HardLinks = std::map<std::pair<dev_t, ino_t>, const LayerEntry*>;

// A file with holes is written as a sparse entry (PAX GNU sparse 1.0, which Go's archive/tar and
// GNU tar read): a 1 TB sparse file is not 1 TB of zeros in the layer. Its data regions; empty
// for a file without holes, the usual case (then the entry is a plain one).
std::vector<std::pair<off_t, off_t>> sparse_regions(int fd, off_t size) {
  auto regions = data_regions(fd, size);
  if (regions.size() == 1 && regions[0] == std::pair<off_t, off_t>{0, size}) return {};
  if (regions.empty()) regions.emplace_back(size - 1, 1);  // all hole: one byte of data, a zero, keeps it sparse
  return regions;
}

Status write_entry(archive* a, const LayerEntry& le, const LayerOptions& opt, Sink& sink, HardLinks& links) {
  // A plain file is opened first: its inode says whether it is a second name of one already written.
  UniqueFd fd;
  const bool plain = le.type == LayerEntry::file && !le.source.empty();
  const LayerEntry* link_to = nullptr;  // the first name of this inode
  std::vector<std::pair<off_t, off_t>> regions;  // non-empty: a sparse entry
  if (plain) {
    fd = UniqueFd(::open(le.source.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return Error::from_errno(le.source, errno);
    struct stat st;
    if (::fstat(fd.get(), &st) != 0) return Error::from_errno(le.source, errno);
    if (st.st_nlink > 1 && static_cast<uint64_t>(st.st_size) == le.size) {
      auto [it, first] = links.try_emplace({st.st_dev, st.st_ino}, &le);
      if (!first && it->second->extents == le.extents) link_to = it->second;  // a rewrite is linked only to the same rewrite
    }
    if (!link_to && !le.extents && static_cast<uint64_t>(st.st_size) == le.size && st.st_size > 0 &&
        static_cast<uint64_t>(st.st_blocks) * 512 < static_cast<uint64_t>(st.st_size))  // fewer blocks than bytes: maybe holes
      regions = sparse_regions(fd.get(), st.st_size);
  }
  EntryPtr e(archive_entry_new(), archive_entry_free);
  archive_entry_set_pathname(e.get(), le.type == LayerEntry::dir ? (le.name + "/").c_str() : le.name.c_str());
  const LayerEntry& attrs = link_to ? *link_to : le;  // one inode has one owner and mode, whichever name says it
  archive_entry_set_uid(e.get(), attrs.uid);
  archive_entry_set_gid(e.get(), attrs.gid);
  archive_entry_set_mtime(e.get(), opt.mtime, 0);
  archive_entry_set_perm(e.get(), attrs.mode & 07777);
  for (auto& [name, value] : attrs.xattrs) archive_entry_xattr_add_entry(e.get(), name.c_str(), value.data(), value.size());
  switch (le.type) {
    case LayerEntry::dir: archive_entry_set_filetype(e.get(), AE_IFDIR); break;
    case LayerEntry::symlink:
      archive_entry_set_filetype(e.get(), AE_IFLNK);
      archive_entry_set_symlink(e.get(), le.target.c_str());
      break;
    case LayerEntry::file:
      archive_entry_set_filetype(e.get(), AE_IFREG);
      if (link_to) archive_entry_set_hardlink(e.get(), link_to->name.c_str());
      archive_entry_set_size(e.get(), link_to ? 0 : static_cast<la_int64_t>(le.size));
      for (auto [off, len] : regions) archive_entry_sparse_add_entry(e.get(), off, len);
      break;
  }
  int r = archive_write_header(a, e.get());
  // A name or link target that is not valid UTF-8 is written byte-exact (hdrcharset=BINARY) with a warning.
  bool binary = !valid_utf8(le.name) || (le.type == LayerEntry::symlink && !valid_utf8(le.target)) || (link_to && !valid_utf8(link_to->name));
  if (r != ARCHIVE_OK && !(r == ARCHIVE_WARN && binary)) return write_error(sink, a, "layer entry " + le.name);
  if (le.type != LayerEntry::file || link_to) return ok_status();
  if (le.source.empty()) {
    if (archive_write_data(a, le.content.data(), le.content.size()) != static_cast<la_ssize_t>(le.content.size()))
      return write_error(sink, a, "layer entry " + le.name);
    return ok_status();
  }
  auto write = [&](const char* p, size_t n) -> Status {
    if (archive_write_data(a, p, n) != static_cast<la_ssize_t>(n)) {
      if (sink.err) return Error::from_errno(sink.path + ": writing " + le.name, sink.err);
      return write_error(sink, a, "layer entry " + le.name);
    }
    if (opt.progress) opt.progress(n);
    return ok_status();
  };
  if (le.extents) return stream_extents(le.source, *le.extents, write);
  std::vector<char> buf(kLayerReadChunk);
  if (!regions.empty()) {  // the tar writer skips the hole bytes it is given: zeros, never read
    static const std::vector<char> zeros(kLayerReadChunk);
    uint64_t pos = 0;
    auto skip_to = [&](uint64_t end) -> Status {
      for (; pos < end;) {
        size_t n = static_cast<size_t>(std::min<uint64_t>(end - pos, zeros.size()));
        CUSLIM_CHECK(write(zeros.data(), n));
        pos += n;
      }
      return ok_status();
    };
    for (auto [off, len] : regions) {
      CUSLIM_CHECK(skip_to(static_cast<uint64_t>(off)));
      for (uint64_t end = static_cast<uint64_t>(off + len); pos < end;) {
        ssize_t n = ::pread(fd.get(), buf.data(), static_cast<size_t>(std::min<uint64_t>(end - pos, buf.size())), static_cast<off_t>(pos));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return Error::from_errno(le.source, errno);
        if (n == 0) return bad_input(le.source + ": file shrank while it was being packed");
        CUSLIM_CHECK(write(buf.data(), static_cast<size_t>(n)));
        pos += static_cast<uint64_t>(n);
      }
    }
    return skip_to(le.size);
  }
  uint64_t left = le.size;
  while (left) {
    ssize_t n = ::read(fd.get(), buf.data(), std::min<uint64_t>(left, buf.size()));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error::from_errno(le.source, errno);
    if (n == 0) return bad_input(le.source + ": file shrank while it was being packed");
    CUSLIM_CHECK(write(buf.data(), static_cast<size_t>(n)));
    left -= static_cast<uint64_t>(n);
  }
  return ok_status();
}

}  // namespace

std::string media_type(Compression c) {
  switch (c) {
    case Compression::none: return "application/vnd.oci.image.layer.v1.tar";
    case Compression::gzip: return "application/vnd.oci.image.layer.v1.tar+gzip";
    case Compression::zstd: return "application/vnd.oci.image.layer.v1.tar+zstd";
  }
  return "";
}

Result<LayerBlob> write_layer(const std::vector<LayerEntry>& entries, const std::string& out_file, const LayerOptions& opt) {
  Utf8Names utf8;  // names are bytes: PAX UTF-8 where valid, byte-exact otherwise
  UniqueFd fd(::open(out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd) return Error::from_errno(out_file, errno);
  Sink sink;
  sink.fd = fd.get();
  sink.path = out_file;
  ArchivePtr b(nullptr, archive_write_free);
  std::optional<ParallelGzip> gzip;
  if (opt.compression == Compression::zstd) {
    CUSLIM_TRY(b, open_compressor(sink, opt, out_file));
    sink.compressor = b.get();
  } else if (opt.compression == Compression::gzip) {
    gzip.emplace(kGzipLevel, threads_of(opt), [&sink](const void* p, size_t n) { return sink.write_out(p, n); });
    sink.gzip = &*gzip;
  }
  ArchivePtr a(archive_write_new(), archive_write_free);
  archive_write_set_format_pax_restricted(a.get());
  if (archive_write_open(a.get(), &sink, nullptr, tar_cb, nullptr) != ARCHIVE_OK) return archive_error(a.get(), out_file);
  HardLinks links;
  for (auto& e : entries) CUSLIM_CHECK(write_entry(a.get(), e, opt, sink, links));
  if (archive_write_close(a.get()) != ARCHIVE_OK) return write_error(sink, a.get(), out_file);
  if (b && archive_write_close(b.get()) != ARCHIVE_OK) return write_error(sink, b.get(), out_file);
  if (gzip && !gzip->finish() && !sink.err) return bad_input(out_file + ": " + gzip->error());
  if (sink.err) return Error::from_errno(out_file, sink.err);
  LayerBlob blob;
  blob.diff_id = sink.diff.finish();
  blob.digest = opt.compression != Compression::none ? sink.digest.finish() : blob.diff_id;
  blob.size = sink.out;
  blob.uncompressed = sink.in;
  blob.compression = opt.compression;
  return blob;
}

}  // namespace cuslim
