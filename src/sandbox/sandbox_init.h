// The sandbox's pid 1: a minimal init, like tini or `docker run --init`. The program runs as its
// child, because pid 1 of a pid namespace is special: the kernel does not deliver it signals it
// has no handler for (SIGTERM would not stop a program that never installed one), and every
// orphan in the namespace becomes its child to reap.
#pragma once

#include <signal.h>
#include <sys/types.h>

namespace cuslim {

// Blocks every signal the init waits for (all but SIGKILL, SIGSTOP and the ones a fault raises),
// so none is lost between here and init_supervise(). Returns the mask that was in effect.
sigset_t init_block_signals();

// Waits for `program`: every signal received is sent on to it (except SIGCHLD, and the ones the
// terminal sent, which reached the program's process group already), every child that ends is
// reaped, and when the program ends the init exits with its exit code, or 128 + the signal that
// killed it. The namespace's other processes are then killed by the kernel.
[[noreturn]] void init_supervise(pid_t program);

}  // namespace cuslim
