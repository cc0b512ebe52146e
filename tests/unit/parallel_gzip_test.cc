// ParallelGzip: one standard gzip member (zlib inflates it to the input and ends exactly at the
// trailer), byte-identical for any thread count, for inputs around the block size and for many
// small blocks (libdeflate's pieces joined).
#include <gtest/gtest.h>
#include <zlib.h>

#include <random>

#include "image/parallel_gzip.h"

namespace cuslim {
namespace {

std::string compress(const std::string& in, int threads, size_t piece, size_t block = ParallelGzip::kBlock) {
  std::string out;
  ParallelGzip gz(6, threads, [&](const void* p, size_t n) { return out.append(static_cast<const char*>(p), n), true; }, block);
  for (size_t i = 0; i < in.size(); i += piece) EXPECT_TRUE(gz.write(in.data() + i, std::min(piece, in.size() - i)));
  EXPECT_TRUE(gz.finish());
  return out;
}

// Inflates one gzip member; `rest` gets how many input bytes follow it.
std::string gunzip(const std::string& gz, size_t* rest) {
  z_stream s{};
  EXPECT_EQ(inflateInit2(&s, 15 + 16), Z_OK);
  std::string out(1 << 16, '\0'), all;
  s.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
  s.avail_in = static_cast<uInt>(gz.size());
  int r;
  do {
    s.next_out = reinterpret_cast<Bytef*>(out.data());
    s.avail_out = static_cast<uInt>(out.size());
    r = inflate(&s, Z_NO_FLUSH);
    EXPECT_TRUE(r == Z_OK || r == Z_STREAM_END) << r;
    all.append(out.data(), out.size() - s.avail_out);
  } while (r == Z_OK);
  *rest = s.avail_in;
  inflateEnd(&s);
  return all;
}

std::string sample(size_t n) {  // half text-like, half random: both compressible and not
  std::mt19937 rng(7);
  std::string s;
  s.reserve(n);
  while (s.size() < n) {
    if ((s.size() / 100000) % 2) s.push_back(static_cast<char>(rng()));
    else s += "libcublasLt.so.13 sm_90 " + std::to_string(rng() % 1000) + "\n";
  }
  s.resize(n);
  return s;
}

TEST(ParallelGzip, one_member_that_inflates_to_the_input_whatever_the_threads) {
  for (size_t n : {size_t{0}, size_t{1}, ParallelGzip::kBlock - 1, ParallelGzip::kBlock, ParallelGzip::kBlock + 1, 3 * ParallelGzip::kBlock + 12345}) {
    std::string in = sample(n);
    std::string one = compress(in, 1, 1 << 20);
    size_t rest = 99;
    EXPECT_EQ(gunzip(one, &rest), in) << n;
    EXPECT_EQ(rest, 0u) << "bytes after the one gzip member, input " << n;
    EXPECT_EQ(compress(in, 2, 4096), one) << n;
    EXPECT_EQ(compress(in, 5, 777777), one) << n;
  }
}

// Hundreds of joins: every way a piece can end inside its last byte (0..7 bits in use, so the
// stored block's header fits in that byte or spills into the next) comes up, for text-like,
// random and all-zero blocks, and the whole is still one member that inflates to the input.
TEST(ParallelGzip, many_small_blocks_join_into_one_member) {
  std::string in = sample(600 * 1000) + std::string(50000, '\0') + sample(7777);
  for (size_t block : {size_t{1}, size_t{1000}, size_t{4096}, size_t{65536}}) {
    std::string one = compress(block == 1 ? in.substr(0, 3000) : in, 1, 100000, block);
    size_t rest = 99;
    EXPECT_EQ(gunzip(one, &rest), block == 1 ? in.substr(0, 3000) : in) << block;
    EXPECT_EQ(rest, 0u) << block;
    EXPECT_EQ(compress(block == 1 ? in.substr(0, 3000) : in, 3, 4097, block), one) << block;
  }
}

TEST(ParallelGzip, a_failing_sink_stops_it) {
  int calls = 0;
  ParallelGzip gz(6, 2, [&](const void*, size_t) { return ++calls < 2; });
  std::string in = sample(4 * ParallelGzip::kBlock);
  bool ok = gz.write(in.data(), in.size()) && gz.finish();
  EXPECT_FALSE(ok);
  EXPECT_FALSE(gz.error().empty());
}

}  // namespace
}  // namespace cuslim
