// AtomicOutput replaces only what was at OUT when the output started: whatever appears there while
// it writes (another run's output, a user's directory) is left as it is and commit() fails.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "core/atomic_output.h"
#include "fixture.h"

namespace cuslim {
namespace {

using test::TempDir;
using test::write_file;

std::string read(const std::string& p) {
  std::ifstream f(p);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

TEST(AtomicOutput, NewPathIsWritten) {
  TempDir t;
  std::string out = t / "img.tar";
  AtomicOutput o(out);
  write_file(o.temp(), "new");
  ASSERT_TRUE(o.commit().ok());
  EXPECT_EQ(read(out), "new");
}

TEST(AtomicOutput, ReplacesWhatWasThereAtTheStart) {
  TempDir t;
  std::string out = t / "img";
  ::mkdir(out.c_str(), 0755);
  write_file(out + "/old", "old");
  AtomicOutput o(out);  // the guard judged it (e.g. --force)
  ::mkdir(o.temp().c_str(), 0755);
  write_file(o.temp() + "/new", "new");
  ASSERT_TRUE(o.commit().ok());
  EXPECT_TRUE(std::filesystem::exists(out + "/new"));
  EXPECT_FALSE(std::filesystem::exists(out + "/old"));
}

TEST(AtomicOutput, DirectoryThatAppearedIsKept) {
  TempDir t;
  std::string out = t / "img";
  AtomicOutput o(out);
  ::mkdir(o.temp().c_str(), 0755);
  write_file(o.temp() + "/index.json", "{}");
  ::mkdir(out.c_str(), 0755);  // meanwhile, someone's project
  write_file(out + "/notes.txt", "precious");
  auto st = o.commit();
  ASSERT_FALSE(st.ok());
  EXPECT_TRUE(o.appeared());
  EXPECT_EQ(st.error().code(), Exit::bad_input);
  EXPECT_NE(st.error().message().find("appeared while cuslim was writing it"), std::string::npos) << st.error().message();
  EXPECT_EQ(read(out + "/notes.txt"), "precious");
}

TEST(AtomicOutput, FileThatAppearedIsKept) {
  TempDir t;
  std::string out = t / "img.tar";
  AtomicOutput o(out);
  write_file(o.temp(), "archive");
  write_file(out, "precious");
  ASSERT_FALSE(o.commit().ok());
  EXPECT_TRUE(o.appeared());
  EXPECT_EQ(read(out), "precious");
}

TEST(AtomicOutput, EmptyDirectoryThatGotFilesIsKept) {
  TempDir t;
  std::string out = t / "img";
  ::mkdir(out.c_str(), 0755);
  AtomicOutput o(out);  // empty at the start: replaceable then
  ::mkdir(o.temp().c_str(), 0755);
  write_file(out + "/mine.txt", "precious");
  ASSERT_FALSE(o.commit().ok());
  EXPECT_EQ(read(out + "/mine.txt"), "precious");
}

TEST(AtomicOutput, EmptyDirectoryThatAppearedIsReplaced) {
  TempDir t;
  std::string out = t / "img";
  AtomicOutput o(out);
  ::mkdir(o.temp().c_str(), 0755);
  write_file(o.temp() + "/index.json", "{}");
  ::mkdir(out.c_str(), 0755);  // nothing in it to lose
  ASSERT_TRUE(o.commit().ok());
  EXPECT_TRUE(std::filesystem::exists(out + "/index.json"));
}

}  // namespace
}  // namespace cuslim
