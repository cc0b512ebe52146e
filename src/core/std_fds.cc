#include "core/std_fds.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace cuslim {

void hold_closed_std_fds() {
  for (int fd = 0; fd <= 2; ++fd) {
    if (::fcntl(fd, F_GETFD) != -1 || errno != EBADF) continue;
    // The opposite direction of the descriptor's use: reads and writes fail (EBADF) as before.
    int held = ::open("/dev/null", fd == 0 ? O_WRONLY : O_RDONLY);
    if (held >= 0 && held != fd) {
      ::dup2(held, fd);
      ::close(held);
    }
  }
}

}  // namespace cuslim
