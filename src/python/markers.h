// PEP 508 environment markers of a Requires-Dist ("; python_version < '3.11' and sys_platform ==
// 'linux'"), evaluated for the interpreter an image carries: a requirement whose marker is false
// there (tomli on 3.11, a Windows-only helper) is not one of its distribution's needs. What cannot
// be decided here (a variable not known, an expression not understood) counts as true: the
// distribution is kept, as before.
#pragma once

#include <optional>
#include <string>

namespace cuslim {

struct MarkerEnv {
  std::optional<int> python_minor;  // 3.<minor>, when the site dir says it (lib/python3.11/site-packages)
  std::string machine = "x86_64";   // platform_machine
};

enum class Truth { no, yes, unknown };

// `expr`: the text after the ';'. No extra is ever requested: `extra == 'dev'` is false.
Truth evaluate_marker(const std::string& expr, const MarkerEnv& env);

}  // namespace cuslim
