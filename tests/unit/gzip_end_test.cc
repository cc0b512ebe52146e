// check_gzip_end: a gzip layer must end with its last member (Go's reader refuses anything after
// it); several members in a row are one valid stream.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <unistd.h>

#include <fstream>

#include "core/staging.h"
#include "core/unique_fd.h"
#include "image/gzip_end.h"
#include "image/parallel_gzip.h"

namespace cuslim {
namespace {

std::string gzip(const std::string& in) {
  std::string out;
  ParallelGzip gz(6, 1, [&](const void* p, size_t n) { return out.append(static_cast<const char*>(p), n), true; });
  EXPECT_TRUE(gz.write(in.data(), in.size()));
  EXPECT_TRUE(gz.finish());
  return out;
}

Status check(const std::string& blob, uint64_t plain) {
  auto st = Staging::make();
  EXPECT_TRUE(st.ok());
  std::string f = st->path() + "/blob";
  std::ofstream(f, std::ios::binary) << blob;
  UniqueFd fd(::open(f.c_str(), O_RDONLY | O_CLOEXEC));
  return check_gzip_end(fd.get(), blob.size(), plain, "layer 0");
}

TEST(GzipEnd, OneMemberEndsAtItsTrailer) {
  std::string plain(300000, 'a');
  EXPECT_TRUE(check(gzip(plain), plain.size()).ok());
}

TEST(GzipEnd, TwoMembersAreOneStream) {
  std::string a(5000, 'a'), b(7000, 'b');
  auto st = check(gzip(a) + gzip(b), a.size() + b.size());  // the trailer says 7000: inflated to be sure
  EXPECT_TRUE(st.ok()) << st.error().message();
}

TEST(GzipEnd, BytesAfterTheStreamAreRefused) {
  std::string plain(5000, 'a');
  for (std::string tail : {std::string("GARBAGE"), std::string(512, '\0')}) {
    auto st = check(gzip(plain) + tail, plain.size());
    ASSERT_FALSE(st.ok()) << tail.size();
    EXPECT_EQ(st.error().code(), Exit::bad_input);
    EXPECT_NE(st.error().message().find("layer 0: " + std::to_string(tail.size()) + " bytes after the end of the gzip stream"), std::string::npos)
        << st.error().message();
  }
}

TEST(GzipEnd, TruncatedMemberIsNamed) {
  std::string plain(5000, 'a');
  std::string gz = gzip(plain);
  auto st = check(gz.substr(0, gz.size() - 3), plain.size());
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message().find("truncated"), std::string::npos) << st.error().message();
}

}  // namespace
}  // namespace cuslim
