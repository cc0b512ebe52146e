// Descriptors 0-2 that the caller closed (`cuslim trace ... >&-`) are held by /dev/null, opened so
// that writes on 1 and 2 and reads on 0 still fail as on a closed descriptor: no file cuslim or a
// program it runs opens afterwards may take their place (a trace file on descriptor 1 received
// the traced program's output).
#pragma once

namespace cuslim {

void hold_closed_std_fds();

}  // namespace cuslim
