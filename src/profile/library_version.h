// The version of a CUDA-family library read from the library itself, not from its file name:
// wheels name their files libcudart.so.11.0 (11.8.89 inside), libcudart.so.12, libcublas.so.12.
//
// Sources, best first:
//   1. the object's own code: the constant its version function hands back, as
//      cudaRuntimeGetVersion / cublasLtGetVersion / cudnnGetVersion / nvrtcVersion would at run
//      time (a probe per family, as data, in library_version.cc);
//   2. the wheel's *.dist-info/METADATA whose RECORD lists the file (also the cross-check of 1);
//   3. the file name or soname (libcudart.so.13.0.96; cuda_major_by_soname of the cuda profile).
// A CUDA major alone (a wheel's -cu12, DT_NEEDED libcudart.so.12) is made exact by the newest PTX
// ISA of that major in the object's fatbin, when it has one.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/root.h"
#include "elf/elf_file.h"
#include "elf/fatbin.h"
#include "profile/cuda_compat.h"

namespace cuslim {

struct Wheel {
  std::string name, version;  // METADATA's Name and Version: "nvidia-cudnn-cu12", "9.10.2.21"
  std::string dist_info;      // in-root path of the *.dist-info dir
};

struct LibraryVersion {
  std::string family;              // "cudart", "cublasLt", "cudnn", "nvrtc", ...
  std::optional<Version> version;  // the library's own version (cuDNN 9.10.2, cuBLAS 12.8.4)
  int version_parts = 3;
  std::string version_source;      // "code: cudnnGetVersion returns 91002", "wheel METADATA ..."
  std::optional<Version> cuda;     // the CUDA version it belongs to or was built for
  int cuda_parts = 2;              // 1 when only the major is known
  std::string cuda_source;
  std::optional<Wheel> wheel;
  std::string cross_check;         // how the code's answer compares with the wheel's, "" if not both
};

// Reads what can be read statically about `realpath` (an in-root path). Never fails for a file
// that is simply not a known family: the result then has no version. Errors are I/O errors.
Result<LibraryVersion> read_library_version(const Root& root, const std::string& realpath);

// The CUDA version of a libcudart at an in-root path, the one place bundle, verify and inspect
// get it: read_library_version()'s answer when it has one, else cudart_cuda_version() of its name.
std::optional<CudartVersion> cudart_version_of(const Root& root, const std::string& realpath);

// What a set of CUDA libraries was built for (inspection.h: newest_cuda_built_for).
struct BuiltFor {
  Version cuda;
  std::string path, source;
};

// The newest CUDA (of `major` when given) whose PTX ISA a fatbin carries: the library was built by
// that CUDA or later. A major alone (NCCL's "cu12") is made exact this way (read_library_version).
std::optional<Version> newest_ptx_cuda(const Fatbin& fatbin, std::optional<int> major = std::nullopt);

// The wheel (pip layout) that installed an in-root file: the *.dist-info next to an ancestor dir
// whose RECORD lists the file's path relative to that dir.
std::optional<Wheel> wheel_of(const Root& root, const std::string& realpath);

// The CUDA major a wheel name carries: nvidia-cudnn-cu12 -> 12; nvidia-cuda-runtime 13.0.96 -> 13.
std::optional<int> wheel_cuda_major(const Wheel& w);

}  // namespace cuslim
