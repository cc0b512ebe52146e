// Where cuslim keeps what it may rebuild at any time (the profiles' ready form, run's unpacked
// images): $CUSLIM_CACHE_DIR, else $XDG_CACHE_HOME/cuslim, else ~/.cache/cuslim; "" when none
// of them is set.
#pragma once

#include <string>

namespace cuslim {

std::string cache_dir();

}  // namespace cuslim
