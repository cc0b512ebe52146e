// FileTracer: the files a program tree opens, by ptrace(2) syscall tracing -- open, openat,
// openat2, execve, execveat, stat-family and access calls that succeed, in every thread and
// every child (fork, vfork, clone), without strace installed. Chosen over fanotify because it
// needs no privilege (a user may trace their own processes) and sees paths relative to each
// process's cwd; fanotify needs CAP_SYS_ADMIN and reports only mounts it marked.
#pragma once

#include <string>
#include <vector>

#include "core/error.h"

namespace cuslim {

// Runs argv (environment `env`) under ptrace; appends {"event":"file","pid","path"} lines to
// trace_file for every successful file access; returns the program's exit code.
Result<int> trace_files(const std::vector<std::string>& argv, const std::vector<std::string>& env, const std::string& trace_file);

}  // namespace cuslim
