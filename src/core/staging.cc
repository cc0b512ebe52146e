#include "core/staging.h"

#include <stdlib.h>

#include <cstdlib>

#include "core/atomic_output.h"
#include "core/fs.h"

namespace cuslim {

Result<Staging> Staging::make() {
  const char* tmpdir = std::getenv("TMPDIR");
  std::string tmpl = std::string(tmpdir && *tmpdir ? tmpdir : "/tmp") + "/cuslim-run-XXXXXX";
  if (!::mkdtemp(tmpl.data())) return Error::from_errno(tmpl, errno).wrap("creating a staging directory");
  auto real = canonical_path(tmpl);
  if (!real.ok()) {
    remove_tree(tmpl);
    return real.error();
  }
  return Staging(*real);
}

Staging::~Staging() {
  if (!path_.empty()) remove_tree(path_);
}

}  // namespace cuslim
