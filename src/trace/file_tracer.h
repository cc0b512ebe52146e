// FileTracer: the files a program tree opens, by ptrace(2) syscall tracing -- open, openat,
// openat2, execve, execveat, stat-family and access calls that succeed, in every thread and
// every child (fork, vfork, clone), without strace installed. Chosen over fanotify because it
// needs no privilege (a user may trace their own processes) and sees paths relative to each
// process's cwd; fanotify needs CAP_SYS_ADMIN and reports only mounts it marked.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/error.h"

namespace cuslim {

class SignalForwarding;

// Runs argv (environment `env`) under ptrace; appends {"event":"file","pid","path","how"} lines
// to trace_file for every successful file access -- how: "open" (opened, read or listed),
// "exec" (run), "stat" (stat'ed, access'ed or readlink'ed only); returns the program's exit code.
// `forwarding` (trace): signals sent to cuslim go to the program (SignalForwarding::target).
Result<int> trace_files(const std::vector<std::string>& argv, const std::vector<std::string>& env, const std::string& trace_file,
                        SignalForwarding* forwarding = nullptr);

// The same for a forked child running `child_body` (its return value is the exit code), e.g. a
// sandbox that execs the program after its own set-up. With `after_first_exec` only accesses
// from the first exec in the traced tree on are recorded (the set-up's host paths are not).
Result<int> trace_files_of(const std::function<int()>& child_body, const std::string& trace_file, bool after_first_exec,
                           SignalForwarding* forwarding = nullptr);

}  // namespace cuslim
