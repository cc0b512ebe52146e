// What importing a Python module runs at import time, read from its source: the modules its
// import statements outside def/class bodies name (at column 0, or inside top-level try/if/with
// blocks), resolved in the standard library and lib-dynload, transitively. A .pth start-up hook
// imports its module at every interpreter start, so what that module imports must ship with the
// interpreter even without a trace (numba-cuda's hook imports importlib.abc, pathlib, warnings).
#pragma once

#include <string>
#include <vector>

#include "core/root.h"

namespace cuslim {

struct ImportStatement {
  std::string module;               // "a.b" of "import a.b" / "from a.b import c"; "" for "from . import c"
  int level = 0;                    // leading dots of a relative import
  std::vector<std::string> names;   // "c" of "from a.b import c" (a submodule, or not)
};

// The import statements that run when `source` is imported (a static reading; imports inside
// functions and classes run later, when called, and are not listed).
std::vector<ImportStatement> import_time_imports(const std::string& source);

// The in-root files importing `sources` (in-root .py files) reads from the standard library
// `stdlib`: each module's .py file (and every __init__.py on its way), its lib-dynload extension,
// transitively. Files not found (builtins, site-packages modules) are skipped.
std::vector<std::string> stdlib_import_closure(const Root& root, const std::string& stdlib, const std::vector<std::string>& sources);

}  // namespace cuslim
