// A profile: YAML data that sorts files into classes (driver | system | cuda | toolkit | jit | forward-compat | app),
// adds run-time dlopen edges, and describes what a base image provides.
#pragma once

#include <map>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/object_class.h"
#include "core/yaml_schema.h"

namespace cuslim {

// One classification rule: any glob in `names` (a file name, soname or needed name), any glob
// in `paths` (an in-root path; '*' crosses '/'), or the regex on the file name.
struct ClassRule {
  ObjectClass cls = ObjectClass::app;
  std::string rule;        // the rule's name, reported as "<profile>:<rule>"
  std::string capability;  // driver capability (compute, utility, ...)
  std::vector<std::string> names;
  std::vector<std::string> paths;
  std::vector<size_t> name_lits, path_lits;  // length of each glob's literal prefix (a quick reject)
  std::string regex_text;  // ECMAScript; compiled on first use (rule_regex)
};

// The compiled regex of a rule with regex_text, compiled once per process on first use: most runs
// never reach a rule's regex, and compiling one costs more than a small `deps`.
const std::regex& rule_regex(const ClassRule& r);

// A run-time edge: an object matching `from` may dlopen each group of `to`; the first name of a
// group that resolves wins. Names may use {major}, {minor}, {version} of the loading object.
struct DlopenRule {
  std::vector<std::string> from;
  std::vector<std::vector<std::string>> to;
  // The loading library refuses a candidate built for another CUDA major even where the name is
  // the same (cuDNN's sub-libraries: libcudnn_graph.so.9 of a CUDA 13 build beside a CUDA 12
  // libcudnn.so.9): every group of the rule follows the loader's CUDA major, read from contents.
  bool same_cuda = false;
  // The loading library opens the one name its own CUDA version makes (libnvrtc.so.12 of CUDA 12.9
  // opens libnvrtc-builtins.so.12.9, whatever its file name says): where that version (major and
  // minor) is known, only the alternatives naming {cuda_major}/{cuda_minor} are tried; the others
  // are fallbacks for a library whose version cannot be read.
  bool cuda_exact = false;
  // Each group must resolve where the loading library ships: without it the library fails at
  // run time (NVRTC compiles nothing without its builtins). verify fails, bundle warns.
  bool required = false;
};

// A JIT framework's run-time toolchain: which toolkit files it runs (`files`: they are class jit)
// and what it cannot compile without (`needs`), when one of the distributions `when` is present.
// Need globs: '*' stays within a path component, a trailing "/**" is a whole directory; {site} is
// any site dir (site-packages, dist-packages), {prefix} any Python prefix (lib/pythonX.Y's parent's parent).
struct JitNeed {
  std::string what;                   // "ptxas", "a C compiler", ...
  std::vector<std::string> any;       // satisfied when one of these exists (first found is what bundle adds)
  std::vector<std::string> programs;  // ... or one of these programs is found through PATH
  std::vector<std::string> keep;      // what bundle adds with it (the compiler's pieces, a header dir)
  std::vector<JitNeed> parts;         // what must be there with it, or it does not count (a compiler's cc1)
};
struct JitFramework {
  std::string name;                   // "triton", "jax", ...
  std::vector<std::string> when;      // distribution names (any present)
  std::vector<std::string> requires_; // distribution names that must all be present too (YAML `requires`)
  std::string consequence;            // "torch.compile will fail at its first compiled region"
  std::vector<std::string> files;     // profile path globs of its jit-class files ('*' crosses '/')
  std::vector<JitNeed> needs;
  // Distributions that import it only when it is there and run without it (torch imports triton
  // in a try/except): under --no-jit it is left out even when imported, unless its toolchain ran.
  std::vector<std::string> optional_for;
};

// A JIT framework is there when one of its `when` distributions and every `requires` one are.
bool jit_framework_present(const std::vector<std::string>& when, const std::vector<std::string>& requires_,
                           const std::set<std::string>& present);

// CUDA forward compatibility (the cuda-compat-X-Y package): where its sets live in a root, the
// package's name and the loader entry an image that ships a set gets (forward_compat.h).
struct ForwardCompatData {
  std::vector<std::string> dirs;  // in-root dir globs, each '*' one component: /usr/local/cuda-*/compat
  std::string package;            // "cuda-compat-{cuda_major}-{cuda_minor}"
  std::string ld_so_conf;         // "/etc/ld.so.conf.d/01-cuda-compat-cuslim.conf"
  std::vector<std::string> injected_dirs;  // where else a host driver is put: /usr/local/nvidia/lib64
  bool empty() const { return dirs.empty(); }
};

// What a profile describes: a host driver, CUDA families, a base image, or a framework.
enum class ProfileKind { base, cuda, driver, framework };
std::string to_string(ProfileKind k);
std::optional<ProfileKind> parse_profile_kind(const std::string& s);

struct Profile {
  std::string name, description, file;
  ProfileKind kind = ProfileKind::base;
  std::vector<std::string> extends;
  std::vector<ClassRule> rules;
  std::vector<DlopenRule> dlopen;
  std::vector<std::string> provides;  // base images: names they carry (class system)
  std::map<std::string, std::vector<std::string>> binaries;
  std::vector<std::string> devices, firmware, library_dirs, wheel_lib_dirs;
  std::vector<std::string> image_needs;  // driver: what its libraries load from the image
  std::vector<std::string> keep;         // slim: globs every slimmed image keeps (certs, passwd, ...)
  // Python: distributions a distribution needs at run time without importing them at start-up.
  std::map<std::string, std::vector<std::string>> python_companions;
  // Python: file-name globs of libraries a wheel carries that nothing loads unless a program links
  // them (APIs of their own: cuSOLVER's multi-GPU API, the NVBLAS and FFTW shims). A kept
  // distribution leaves them out; the DT_NEEDED closure or a trace that saw them still ships them.
  std::vector<std::string> link_only;
  // Python: globs of files only a profiler or an instrumentation pass loads (CUPTI's metrics and
  // sampling back ends, Triton's Proton and its own CUPTI); a glob with a '/' matches the path,
  // '*' crossing '/', one without matches the file name. Left out of a kept distribution like
  // link_only; a trace that saw one loaded still ships it.
  std::vector<std::string> profiler_only;
  std::vector<JitFramework> jit;
  std::map<std::string, std::map<std::string, std::string>> cuda_major_by_soname;
  std::string glibc;  // base images: the glibc version
  ForwardCompatData forward_compat;

  // Parses one profile. Errors name the file, line and column.
  static Result<Profile> parse(const std::string& text, const std::string& file);
};

// Every key a profile may have, its type and allowed values (Profile::parse checks it first).
const SchemaNode& profile_schema();

}  // namespace cuslim
