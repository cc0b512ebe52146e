#include "core/error.h"

#include <cstring>

namespace cuslim {

Error Error::from_errno(std::string what, int err) {
  return {Exit::bad_input, what + ": " + std::strerror(err)};
}

}  // namespace cuslim
