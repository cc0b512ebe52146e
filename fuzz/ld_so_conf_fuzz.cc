// read_ld_so_conf inside a root: the input is up to four NUL-separated files, /etc/ld.so.conf
// and three files under /etc/ld.so.conf.d/ that `include` lines may reach (globs, relative
// includes, loops).
#include <cstddef>
#include <cstdint>

#include "core/root.h"
#include "fuzz_util.h"
#include "loader/ld_so_conf.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string root = cuslim::fuzz::scratch_dir() + "/root";
  cuslim::fuzz::remove_all_forced(root);
  auto parts = cuslim::fuzz::split_nul(data, size, 4);
  static const char* const kFiles[] = {"/etc/ld.so.conf", "/etc/ld.so.conf.d/a.conf", "/etc/ld.so.conf.d/b.conf",
                                       "/etc/ld.so.conf.d/sub/c.conf"};
  for (size_t i = 0; i < parts.size(); ++i) cuslim::fuzz::write_file(root + kFiles[i], parts[i]);
  cuslim::Root r(root);
  (void)cuslim::read_ld_so_conf(r, "/etc/ld.so.conf");
  return 0;
}
