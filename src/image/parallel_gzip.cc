#include "image/parallel_gzip.h"

#include <libdeflate.h>
#include <zlib.h>

#include <algorithm>

namespace cuslim {

namespace {

// One worker's tools: a libdeflate compressor at the level, and zlib's raw inflater that finds
// the final block in libdeflate's output.
class BlockDeflater {
 public:
  explicit BlockDeflater(int level) : compressor_(libdeflate_alloc_compressor(level)) {
    ok_ = compressor_ && inflateInit2(&inflater_, -15) == Z_OK;
  }
  ~BlockDeflater() {
    if (compressor_) libdeflate_free_compressor(compressor_);
    inflateEnd(&inflater_);
  }
  BlockDeflater(const BlockDeflater&) = delete;
  BlockDeflater& operator=(const BlockDeflater&) = delete;

  // Raw deflate of `in` into `out`: the last block ends the stream; any other ends byte-aligned
  // on an empty stored block with no final bit anywhere, so the next piece continues the stream.
  bool deflate(const std::string& in, bool last, std::string& out) {
    if (!ok_) return false;
    out.resize(libdeflate_deflate_compress_bound(compressor_, in.size()) + 5);
    size_t n = libdeflate_deflate_compress(compressor_, in.data(), in.size(), out.data(), out.size());
    if (n == 0) return false;
    out.resize(n);
    return last || join(in.size(), out);
  }

 private:
  // gzjoin's method: walk the blocks to the final one's header bit and clear it; zero the unused
  // bits after its end-of-block code and append an empty stored block (3 header bits, zero
  // padding to the byte, LEN 0, NLEN 0xffff).
  bool join(size_t inflated_size, std::string& piece) {
    scratch_.resize(inflated_size + 1);
    if (inflateReset(&inflater_) != Z_OK) return false;
    auto* start = reinterpret_cast<Bytef*>(piece.data());
    inflater_.next_in = start;
    inflater_.avail_in = static_cast<uInt>(piece.size());
    inflater_.next_out = reinterpret_cast<Bytef*>(scratch_.data());
    inflater_.avail_out = static_cast<uInt>(scratch_.size());
    uint64_t final_header = 0, end = 0;  // bit offsets
    for (;;) {
      int r = ::inflate(&inflater_, Z_BLOCK);
      if (r != Z_OK && r != Z_STREAM_END) return false;
      if (inflater_.data_type & 128) {  // at a block boundary: the bit where the next header starts
        uint64_t bit = static_cast<uint64_t>(inflater_.next_in - start) * 8 - (inflater_.data_type & 7);
        if (inflater_.data_type & 64) {  // after the final block
          end = bit;
          break;
        }
        final_header = bit;
      } else if (r == Z_STREAM_END || inflater_.avail_in == 0) {
        return false;  // the walk ended off a boundary: not a stream we understand
      }
    }
    if (inflater_.total_out != inflated_size || (end + 7) / 8 != piece.size()) return false;
    piece[final_header / 8] = static_cast<char>(piece[final_header / 8] & ~(1u << (final_header % 8)));
    unsigned used = end % 8;  // bits of the last byte in use
    if (used) piece.back() = static_cast<char>(piece.back() & ((1u << used) - 1));
    if (used == 0 || 8 - used < 3) piece.push_back('\0');  // the stored block's header bits spill over
    piece.append("\0\0\xff\xff", 4);
    return true;
  }

  libdeflate_compressor* compressor_;
  z_stream inflater_{};
  std::string scratch_;
  bool ok_ = false;
};

}  // namespace

ParallelGzip::ParallelGzip(int level, int threads, Sink sink, size_t block)
    : level_(level), sink_(std::move(sink)), block_size_(std::max<size_t>(block, 1)), max_in_flight_(static_cast<size_t>(std::max(1, threads)) * 2) {
  block_.reserve(block_size_);
  crc_ = static_cast<uint32_t>(crc32(0, nullptr, 0));
  for (int i = 0; i < std::max(1, threads); ++i) workers_.emplace_back([this] { work(); });
  // The header: no name, no mtime (reproducible), XFL by level, OS unix.
  const unsigned char header[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, static_cast<unsigned char>(level >= 9 ? 2 : level == 1 ? 4 : 0), 3};
  emit(header, sizeof header);
}

ParallelGzip::~ParallelGzip() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  work_cv_.notify_all();
  for (auto& t : workers_) t.join();
}

bool ParallelGzip::emit(const void* p, size_t n) {
  if (failed_) return false;
  if (!sink_(p, n)) {
    failed_ = true;
    if (error_.empty()) error_ = "writing the compressed layer failed";
  }
  return !failed_;
}

void ParallelGzip::work() {
  BlockDeflater deflater(level_);
  for (;;) {
    Job job;
    {
      std::unique_lock lock(mu_);
      work_cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
      if (queue_.empty()) return;
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    Done d;
    d.length = job.input.size();
    d.crc = libdeflate_crc32(0, job.input.data(), job.input.size());
    d.ok = deflater.deflate(job.input, job.last, d.output);
    {
      std::lock_guard lock(mu_);
      done_.emplace(job.index, std::move(d));
    }
    done_cv_.notify_all();
  }
}

void ParallelGzip::submit(bool last) {
  Job job{.index = next_index_++, .input = std::move(block_), .last = last};
  {
    std::lock_guard lock(mu_);
    queue_.push_back(std::move(job));
  }
  work_cv_.notify_one();
  block_ = std::string();
  block_.reserve(block_size_);
}

bool ParallelGzip::drain(bool all) {
  for (;;) {
    Done d;
    {
      std::unique_lock lock(mu_);
      size_t in_flight = next_index_ - next_out_;
      if (in_flight == 0) return !failed_;
      bool must_wait = all || in_flight >= max_in_flight_;
      if (must_wait) done_cv_.wait(lock, [&] { return done_.count(next_out_) > 0; });
      auto it = done_.find(next_out_);
      if (it == done_.end()) return !failed_;
      d = std::move(it->second);
      done_.erase(it);
    }
    ++next_out_;
    if (!d.ok) {
      failed_ = true;
      error_ = "compressing a block failed";
    }
    crc_ = static_cast<uint32_t>(crc32_combine(crc_, d.crc, static_cast<z_off_t>(d.length)));
    total_ += d.length;
    if (!emit(d.output.data(), d.output.size())) return false;
  }
}

bool ParallelGzip::write(const void* data, size_t n) {
  auto* p = static_cast<const char*>(data);
  while (n && !failed_) {
    size_t take = std::min(n, block_size_ - block_.size());
    block_.append(p, take);
    p += take;
    n -= take;
    if (block_.size() == block_size_) {
      submit(false);
      if (!drain(false)) return false;
    }
  }
  return !failed_;
}

bool ParallelGzip::finish() {
  if (finished_) return !failed_;
  finished_ = true;
  submit(true);
  if (!drain(true)) return false;
  unsigned char trailer[8];
  uint32_t size = static_cast<uint32_t>(total_);
  for (int i = 0; i < 4; ++i) trailer[i] = static_cast<unsigned char>(crc_ >> (8 * i)), trailer[4 + i] = static_cast<unsigned char>(size >> (8 * i));
  return emit(trailer, sizeof trailer);
}

}  // namespace cuslim
