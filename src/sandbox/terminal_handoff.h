// The terminal for the sandbox. The sandbox runs in a process group of its own, so a signal sent
// to cuslim's group (a shell's job, `timeout`, a CI runner's kill of the group) reaches the
// program once, passed on by cuslim, not once directly and again through each forwarding process.
// Whenever cuslim's group is the foreground group of its controlling terminal (an interactive run,
// whatever stdin is), the sandbox's group gets the terminal instead, as a shell gives it to a job:
// the program reads and configures it, and Ctrl-C, Ctrl-\ and Ctrl-Z reach it from the terminal
// itself, once. A stopped sandbox (Ctrl-Z; a read of the terminal while in the background) stops
// cuslim too, so the shell sees its job stopped; `fg` gives the sandbox the terminal, `bg`
// continues it without.
#pragma once

#include <sys/types.h>

namespace cuslim {

class TerminalHandoff {
 public:
  // Before the fork: opens the controlling terminal, if there is one.
  TerminalHandoff();
  ~TerminalHandoff();  // the terminal back to this process's group, if the sandbox's has it
  TerminalHandoff(const TerminalHandoff&) = delete;
  TerminalHandoff& operator=(const TerminalHandoff&) = delete;

  // In the forked child and in the parent alike (whichever runs first; as shells do): the child
  // leads a new process group, which gets the terminal when this process's group has it.
  void enter_own_group() const;  // the child
  void give_to(pid_t child);     // the parent

  // The sandbox's group stopped with `signal`. A terminal access (SIGTTIN, SIGTTOU) while this
  // process's group is in the foreground (`fg` came while the sandbox ran): the terminal goes to
  // the sandbox, which continues. Otherwise this process stops too, and once continued gives the
  // terminal to the sandbox if the shell gave it to us (`fg`), and continues the sandbox.
  void sandbox_stopped(int signal);

 private:
  bool foreground() const;  // this process's group is the terminal's foreground group
  int tty_ = -1;            // the controlling terminal (-1: none)
  pid_t group_ = 0;         // the sandbox's process group
};

}  // namespace cuslim
