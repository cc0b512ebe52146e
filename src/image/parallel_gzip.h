// ParallelGzip: one gzip stream (a single member) compressed in blocks on every core. Each 1 MiB
// block is deflated on its own thread by libdeflate (about 3x zlib's speed at the same level and
// ratio); libdeflate ends every piece with a final block, so the piece is joined the way zlib's
// gzjoin joins streams: zlib's inflate walks it block by block (Z_BLOCK) to find the final
// block's header bit, which is cleared, and an empty stored block byte-aligns the end -- what a
// sync flush writes. The last block keeps its final bit. The pieces are written in order between
// a gzip header and a trailer whose CRC-32 is combined from the blocks'. One standard member,
// read by every gzip consumer there is (no multi-member stream); the bytes depend only on the
// input, the level and the block size -- never on the thread count -- so layers stay reproducible.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace cuslim {

class ParallelGzip {
 public:
  using Sink = std::function<bool(const void* data, size_t n)>;  // false: stop, the write failed
  static constexpr size_t kBlock = 1 << 20;

  // `block`: the input bytes per piece (tests use small ones to make many joins).
  ParallelGzip(int level, int threads, Sink sink, size_t block = kBlock);
  ~ParallelGzip();
  ParallelGzip(const ParallelGzip&) = delete;
  ParallelGzip& operator=(const ParallelGzip&) = delete;

  bool write(const void* data, size_t n);  // false: the sink failed or a block failed to compress
  bool finish();                           // the last block and the trailer
  const std::string& error() const { return error_; }

 private:
  struct Job {
    uint64_t index = 0;
    std::string input;
    bool last = false;
  };
  struct Done {
    std::string output;
    uint32_t crc = 0;
    uint64_t length = 0;
    bool ok = true;
  };

  void submit(bool last);
  void work();
  bool drain(bool all);  // writes finished blocks in order; `all`: wait for every one
  bool emit(const void* p, size_t n);

  int level_;
  Sink sink_;
  size_t block_size_;
  std::string block_;
  uint64_t next_index_ = 0, next_out_ = 0, total_ = 0;
  uint32_t crc_ = 0;
  bool failed_ = false, finished_ = false;
  std::string error_;
  size_t max_in_flight_;

  std::mutex mu_;
  std::condition_variable work_cv_, done_cv_;
  std::deque<Job> queue_;
  std::map<uint64_t, Done> done_;
  bool stop_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace cuslim
