#include "image/parallel_gzip.h"

#include <zlib.h>

#include <algorithm>

namespace cuslim {

namespace {

constexpr size_t kWindow = 32 << 10;

// Raw deflate of one block: `dictionary` primes the window, a sync flush byte-aligns the end (a
// final block for the last one).
bool deflate_block(int level, const std::string& in, const std::string& dictionary, bool last, std::string& out) {
  z_stream s{};
  if (deflateInit2(&s, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) return false;
  bool ok = dictionary.empty() ||
            deflateSetDictionary(&s, reinterpret_cast<const Bytef*>(dictionary.data()), static_cast<uInt>(dictionary.size())) == Z_OK;
  out.resize(deflateBound(&s, in.size()) + 16);
  s.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  s.avail_in = static_cast<uInt>(in.size());
  s.next_out = reinterpret_cast<Bytef*>(out.data());
  s.avail_out = static_cast<uInt>(out.size());
  int r = ok ? deflate(&s, last ? Z_FINISH : Z_SYNC_FLUSH) : Z_STREAM_ERROR;
  ok = ok && (last ? r == Z_STREAM_END : r == Z_OK) && s.avail_in == 0;
  out.resize(out.size() - s.avail_out);
  deflateEnd(&s);
  return ok;
}

}  // namespace

ParallelGzip::ParallelGzip(int level, int threads, Sink sink)
    : level_(level), sink_(std::move(sink)), max_in_flight_(static_cast<size_t>(std::max(1, threads)) * 2) {
  block_.reserve(kBlock);
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
    d.crc = static_cast<uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(job.input.data()), static_cast<uInt>(job.input.size())));
    d.ok = deflate_block(level_, job.input, job.dictionary, job.last, d.output);
    {
      std::lock_guard lock(mu_);
      done_.emplace(job.index, std::move(d));
    }
    done_cv_.notify_all();
  }
}

void ParallelGzip::submit(bool last) {
  Job job{.index = next_index_++, .input = std::move(block_), .dictionary = dictionary_, .last = last};
  size_t keep = std::min(kWindow, job.input.size());
  if (!last) dictionary_ = job.input.substr(job.input.size() - keep);
  {
    std::lock_guard lock(mu_);
    queue_.push_back(std::move(job));
  }
  work_cv_.notify_one();
  block_ = std::string();
  block_.reserve(kBlock);
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
      error_ = "zlib failed to compress a block";
    }
    crc_ = static_cast<uint32_t>(crc32_combine(crc_, d.crc, static_cast<z_off_t>(d.length)));
    total_ += d.length;
    if (!emit(d.output.data(), d.output.size())) return false;
  }
}

bool ParallelGzip::write(const void* data, size_t n) {
  auto* p = static_cast<const char*>(data);
  while (n && !failed_) {
    size_t take = std::min(n, kBlock - block_.size());
    block_.append(p, take);
    p += take;
    n -= take;
    if (block_.size() == kBlock) {
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
