// The terminal for the sandbox. The sandbox runs in a process group of its own, so a signal sent
// to cuslim's group (a shell's job, `timeout`, a CI runner's kill of the group) reaches the
// program once, passed on by cuslim, not once directly and again through each forwarding process.
// When cuslim's group owned the terminal (an interactive run), the sandbox's group gets it for as
// long as it runs, as a shell gives it to a job: the program reads the terminal, and Ctrl-C,
// Ctrl-\ and Ctrl-Z reach it from the terminal itself, once. Ctrl-Z stops the sandbox, then cuslim,
// so the shell sees its job stopped; `fg` and `bg` continue both.
#pragma once

#include <sys/types.h>

namespace cuslim {

class TerminalHandoff {
 public:
  // Before the fork: whether this process's group owns the terminal on stdin.
  TerminalHandoff();
  ~TerminalHandoff();  // the terminal back to this process's group, if the sandbox's still has it
  TerminalHandoff(const TerminalHandoff&) = delete;
  TerminalHandoff& operator=(const TerminalHandoff&) = delete;

  // In the forked child and in the parent alike (whichever runs first; as shells do): the child
  // leads a new process group, which gets the terminal when this process's group had it.
  void enter_own_group() const;          // the child
  void give_to(pid_t child);             // the parent

  // The sandbox's group stopped (Ctrl-Z, SIGTTIN): this process stops too; once continued (`fg`
  // or `bg`), the terminal goes back to the sandbox if this process's group got it, and the
  // sandbox's group continues.
  void sandbox_stopped();

 private:
  bool owned_ = false;  // this process's group owned the terminal when the run began
  pid_t group_ = 0;     // the sandbox's process group
};

}  // namespace cuslim
