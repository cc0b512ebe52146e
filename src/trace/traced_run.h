// Running a program under the audit library (libcuslim-audit.so), on the host (cuslim trace) or
// in the sandbox on an unpacked image (slim --probe): one environment rule for both -- the audit
// library appended to any LD_AUDIT the program already has, its trace file named by
// CUSLIM_TRACE_FILE.
#pragma once

#include <string>
#include <vector>

#include "core/error.h"
#include "core/root.h"
#include "image/image_reader.h"
#include "trace/trace_file.h"

namespace cuslim {

// `env` with the audit library added to LD_AUDIT and CUSLIM_TRACE_FILE set to trace_file.
std::vector<std::string> audited_env(const std::vector<std::string>& env, const std::string& audit_lib, const std::string& trace_file);

struct HostTraceRequest {
  std::vector<std::string> argv;  // found through PATH
  std::string trace_file;         // created empty, then appended to
  bool files = false;             // also ptrace every file access (cuslim trace --files)
  bool warm_cache = false;        // keep the user's JIT cache dirs (default: fresh, empty ones)
};
// Runs argv on the host with cuslim's own environment plus the audit settings; returns the
// program's exit code (128 + signal when killed).
Result<int> run_traced_on_host(const HostTraceRequest& req);

struct ProbeResult {
  int exit_code = 0;
  size_t mapped = 0;                 // objects the run mapped
  std::vector<std::string> in_image; // in-image paths of those objects (the programs excluded)
  std::vector<std::string> files;    // in-image files the run opened or ran (modules, data, programs)
};
// slim --probe: runs the image's program (or `cmd`) in the sandbox under the audit library (what
// the loader maps) and syscall tracing (what files it opens), the host driver injected when there
// is one; `root` is the image's rootfs.
Result<ProbeResult> probe_image(const UnpackedImage& img, const std::vector<std::string>& cmd, const std::string& staging, const Root& root);

}  // namespace cuslim
