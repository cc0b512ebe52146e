#include "profile/library_version.h"

#include <cctype>

#include <fcntl.h>
#include <unistd.h>

#include <elf.h>

#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include "core/path.h"
#include "core/unique_fd.h"
#include "profile/classifier.h"

namespace cuslim {

namespace {

// How a version function hands its answer back, as the x86-64 instruction that writes the
// constant: `mov $imm32,%eax` (returned), `movl $imm32,(%rdi)` / `(%rsi)` (stored through the
// first / second pointer argument), or `movl $imm32,(%r13)` / `(%r12)` (the pointer argument kept
// in a callee-saved register while the function checks its handle first: cusparseGetVersion).
enum class Channel { ret, arg0, arg0_major_arg1_minor, saved_pointer };
// How the constant spells the version.
enum class Encoding {
  cuda,   // M*1000 + m*10 (CUDART_VERSION, cudnnGetCudartVersion): 12080 -> 12.8
  mmp,    // M*10000 + m*100 + p (CUBLAS_VERSION, NCCL >= 2.9, cuDNN >= 9): 120804 -> 12.8.4
  mmp1000,  // M*1000 + m*100 + p (CUFFT_VERSION, CURAND_VERSION, CUSOLVER_VERSION, CUSPARSE_VERSION): 12004 -> 12.0.4
  pair,   // major and minor written separately (nvrtcVersion, nvJitLinkVersion)
};
enum class Gives { version, cuda };

struct Probe {
  std::string_view family_prefix;  // soname up to ".so" starts with this
  std::string_view symbol;
  Channel channel;
  Encoding encoding;
  Gives gives;
  bool version_is_cuda;  // the family is versioned with the toolkit (cudart, nvrtc, nvJitLink)
};

// Version functions per family (each library's API reference). A family without one in its own
// code (libcublas asks libcublasLt; the cuDNN sub-libraries other than graph) falls back to its
// wheel, then to its name.
const std::vector<Probe>& probes() {
  static const std::vector<Probe> table = {
      {"libcudart", "cudaRuntimeGetVersion", Channel::arg0, Encoding::cuda, Gives::version, true},
      // cuBLAS's own version is not CUDA's (cuBLAS 13.1 ships with CUDA 13.0): the CUDA release
      // it was built for is what cublas(Lt)GetCudartVersion returns.
      {"libcublasLt", "cublasLtGetVersion", Channel::ret, Encoding::mmp, Gives::version, false},
      {"libcublasLt", "cublasLtGetCudartVersion", Channel::ret, Encoding::cuda, Gives::cuda, false},
      {"libcublas", "cublasGetVersion_v2", Channel::ret, Encoding::mmp, Gives::version, false},
      {"libcublas", "cublasGetCudartVersion", Channel::ret, Encoding::cuda, Gives::cuda, false},
      {"libnvrtc", "nvrtcVersion", Channel::arg0_major_arg1_minor, Encoding::pair, Gives::version, true},
      {"libnvJitLink", "nvJitLinkVersion", Channel::arg0_major_arg1_minor, Encoding::pair, Gives::version, true},
      {"libcudnn", "cudnnGetVersion", Channel::ret, Encoding::mmp, Gives::version, false},
      {"libcudnn", "cudnnGetCudartVersion", Channel::ret, Encoding::cuda, Gives::cuda, false},
      {"libnccl", "ncclGetVersion", Channel::arg0, Encoding::mmp, Gives::version, false},
      {"libcufft", "cufftGetVersion", Channel::arg0, Encoding::mmp1000, Gives::version, false},
      {"libcurand", "curandGetVersion", Channel::arg0, Encoding::mmp1000, Gives::version, false},
      {"libcusolver", "cusolverGetVersion", Channel::arg0, Encoding::mmp1000, Gives::version, false},
      {"libcusparse", "cusparseGetVersion", Channel::saved_pointer, Encoding::mmp1000, Gives::version, false},
  };
  return table;
}

std::string family_of(const std::string& soname) { return soname.substr(0, soname.find(".so")); }

// Families released together with another whose code says the version: cuBLAS with cuBLASLt
// (libcublas.so.13.0.2 beside libcublasLt.so.13.0.2), cuDNN's front library and sub-libraries
// with libcudnn_graph (the one whose cudnnGetVersion holds the constant).
std::optional<std::string> shipped_with(const std::string& family) {
  if (family == "libcublas") return "libcublasLt";
  if (family.rfind("libcudnn", 0) == 0 && family != "libcudnn_graph") return "libcudnn_graph";
  return std::nullopt;
}

uint32_t u32(const std::vector<uint8_t>& b, size_t i) {
  return uint32_t(b[i]) | uint32_t(b[i + 1]) << 8 | uint32_t(b[i + 2]) << 16 | uint32_t(b[i + 3]) << 24;
}

// `n` bytes of code at a virtual address (fewer at the end of its segment).
std::vector<uint8_t> code_at(int fd, const ElfFile& elf, uint64_t vaddr, uint64_t n) {
  uint64_t avail = 0;
  auto off = elf.file_offset(vaddr, &avail);
  if (!off) return {};
  std::vector<uint8_t> out(std::min(n, avail));
  ssize_t got = ::pread(fd, out.data(), out.size(), static_cast<off_t>(*off));
  out.resize(got > 0 ? static_cast<size_t>(got) : 0);
  return out;
}

// The bodies to search: the function itself, then each direct callee and tail-call target (a
// public entry point often wraps the one that writes the constant: cudart's API-trace wrapper).
std::vector<std::vector<uint8_t>> bodies(int fd, const ElfFile& elf, const ElfFunction& fn) {
  std::vector<std::vector<uint8_t>> out;
  out.push_back(code_at(fd, elf, fn.addr, fn.size ? std::min<uint64_t>(fn.size, 8192) : 512));
  const auto body = out.front();
  std::set<uint64_t> seen;
  for (size_t i = 0; i + 5 <= body.size(); ++i) {
    if (body[i] != 0xe8 && body[i] != 0xe9) continue;
    int32_t rel = static_cast<int32_t>(u32(body, i + 1));
    uint64_t target = fn.addr + i + 5 + static_cast<int64_t>(rel);
    if (seen.insert(target).second && seen.size() <= 64) out.push_back(code_at(fd, elf, target, 96));
  }
  return out;
}

// Every constant the chosen instruction writes, in code order.
std::vector<uint32_t> constants(const std::vector<std::vector<uint8_t>>& code, Channel ch, bool second_arg = false) {
  std::vector<uint32_t> out;
  for (auto& b : code)
    for (size_t i = 0; i + 6 <= b.size(); ++i) {
      if (ch == Channel::ret && b[i] == 0xb8) out.push_back(u32(b, i + 1));
      if (ch == Channel::saved_pointer && i + 8 <= b.size() && b[i] == 0x41 && b[i + 1] == 0xc7 &&
          ((b[i + 2] == 0x45 && b[i + 3] == 0x00) || (b[i + 2] == 0x04 && b[i + 3] == 0x24)))
        out.push_back(u32(b, i + 4));
      if (ch == Channel::saved_pointer && b[i] == 0xc7 && b[i + 1] == 0x06) out.push_back(u32(b, i + 2));  // still in %rsi
      if ((ch == Channel::arg0 || ch == Channel::arg0_major_arg1_minor) && b[i] == 0xc7 && b[i + 1] == (second_arg ? 0x06 : 0x07))
        out.push_back(u32(b, i + 2));
    }
  return out;
}

std::optional<Version> decode(uint32_t v, Encoding e) {
  if (e == Encoding::cuda) {
    if (v % 10 || v < 9000 || v > 99990) return std::nullopt;
    return Version{int(v / 1000), int(v % 1000 / 10), 0};
  }
  if (e == Encoding::mmp1000) {
    if (v < 1000 || v > 99999) return std::nullopt;
    return Version{int(v / 1000), int(v % 1000 / 100), int(v % 100)};
  }
  if (v < 10000 || v > 999999) return std::nullopt;
  return Version{int(v / 10000), int(v % 10000 / 100), int(v % 100)};
}

struct CodeAnswer {
  Version v;
  std::string how;
};

// One probe against the object's code. The answer must be the only plausible constant (one
// distinct value whose major is the one the soname promises, when it promises one).
std::optional<CodeAnswer> run_probe(int fd, const ElfFile& elf, const Probe& p, std::optional<int> want_major) {
  auto* fn = elf.function(std::string(p.symbol));
  if (!fn) return std::nullopt;
  auto code = bodies(fd, elf, *fn);
  auto fits = [&](const Version& v) { return !want_major || v.major == *want_major; };
  if (p.encoding == Encoding::pair) {
    std::set<uint32_t> majors, minors;
    for (auto c : constants(code, p.channel))
      if (c > 0 && c < 100 && fits(Version{int(c), 0, 0})) majors.insert(c);
    for (auto c : constants(code, p.channel, true))
      if (c < 100) minors.insert(c);
    if (majors.size() != 1 || minors.size() != 1) return std::nullopt;
    Version v{int(*majors.begin()), int(*minors.begin()), 0};
    return CodeAnswer{v, std::string(p.symbol) + " writes " + std::to_string(v.major) + ", " + std::to_string(v.minor)};
  }
  std::set<Version> found;
  uint32_t raw = 0;
  for (auto c : constants(code, p.channel))
    if (auto v = decode(c, p.encoding); v && fits(*v) && found.insert(*v).second) raw = c;
  if (found.size() != 1) return std::nullopt;
  return CodeAnswer{*found.begin(), std::string(p.symbol) + (p.channel == Channel::ret ? " returns " : " writes ") + std::to_string(raw)};
}

std::optional<int> soname_major(const std::string& soname) {
  auto sv = so_version(soname);
  if (!sv) return std::nullopt;
  auto v = Version::parse(sv->major);
  return v ? std::optional(v->major) : std::nullopt;
}

std::string read_text(const std::string& host_path, size_t limit) {
  std::ifstream f(host_path, std::ios::binary);
  std::string s(limit, '\0');
  f.read(s.data(), static_cast<std::streamsize>(limit));
  s.resize(static_cast<size_t>(f.gcount()));
  return s;
}

std::string header(const std::string& metadata, const std::string& key) {
  std::istringstream in(metadata);
  for (std::string line; std::getline(in, line) && !line.empty() && line != "\r";)
    if (line.rfind(key + ": ", 0) == 0) {
      std::string v = line.substr(key.size() + 2);
      while (!v.empty() && (v.back() == '\r' || v.back() == ' ')) v.pop_back();
      return v;
    }
  return "";
}

// The wheel's Version as the library's version: "11.8.89" -> 11.8.89, "12.8.4.1" -> 12.8.4.
std::optional<Version> wheel_version(const Wheel& w) { return Version::parse(w.version); }

bool same_prefix(const Version& a, const Version& b, int parts) {
  return a.major == b.major && (parts < 2 || a.minor == b.minor) && (parts < 3 || a.patch == b.patch);
}

}  // namespace

std::optional<Version> newest_ptx_cuda(const Fatbin& fatbin, std::optional<int> major) {
  std::optional<Version> best;
  for (auto& e : fatbin.entries)
    if (e.kind == FatbinEntry::ptx)
      if (auto cv = cuda_of_ptx_isa(e.isa_major, e.isa_minor); cv && (!major || cv->major == *major) && (!best || *cv > *best)) best = cv;
  return best;
}

std::optional<CudartVersion> cudart_version_of(const Root& root, const std::string& realpath) {
  if (auto lv = read_library_version(root, realpath); lv && lv->cuda && lv->cuda_parts == 2)
    return CudartVersion{*lv->cuda, 2, lv->cuda_source};
  return cudart_cuda_version(path::basename(realpath));
}

std::optional<Wheel> wheel_of(const Root& root, const std::string& realpath) {
  std::string dir = path::dirname(realpath);
  for (int up = 0; up < 6 && dir != "/" && !dir.empty(); ++up, dir = path::dirname(dir)) {
    auto* names = root.list_dir(dir);
    if (!names) continue;
    std::string rel = realpath.substr(dir.size() + 1);
    for (auto& [name, type] : *names) {
      if (!name.ends_with(".dist-info")) continue;
      std::string info = path::join(dir, name);
      std::string record = read_text(root.host_path(path::join(info, "RECORD")), 4 << 20);
      if (record.find("\n" + rel + ",") == std::string::npos && record.rfind(rel + ",", 0) != 0) continue;
      std::string meta = read_text(root.host_path(path::join(info, "METADATA")), 64 << 10);
      Wheel w{header(meta, "Name"), header(meta, "Version"), info};
      if (!w.name.empty() && !w.version.empty()) return w;
    }
  }
  return std::nullopt;
}

std::optional<int> wheel_cuda_major(const Wheel& w) {
  if (auto at = w.name.rfind("-cu"); at != std::string::npos)
    if (auto v = Version::parse(w.name.substr(at + 3)); v && v->major >= 9) return v->major;
  // A framework's local version label: torch 2.11.0+cu130 is CUDA 13.0, +cu128 12.8, +cu118 11.8.
  if (auto at = w.version.find("+cu"); at != std::string::npos) {
    std::string digits;
    for (size_t i = at + 3; i < w.version.size() && std::isdigit(static_cast<unsigned char>(w.version[i])); ++i) digits += w.version[i];
    if (digits.size() >= 2 && digits.size() <= 4)
      if (int major = std::stoi(digits.substr(0, digits.size() - 1)); major >= 9) return major;
  }
  // The CUDA 13 toolkit wheels dropped the suffix (nvidia-cuda-runtime 13.0.96).
  bool toolkit = w.name.rfind("nvidia-cuda-", 0) == 0 || w.name.rfind("nvidia-cublas", 0) == 0 || w.name.rfind("nvidia-nvjitlink", 0) == 0;
  if (auto v = wheel_version(w); toolkit && v && v->major >= 9 && v->major < 100) return v->major;
  return std::nullopt;
}

Result<LibraryVersion> read_library_version(const Root& root, const std::string& realpath) {
  LibraryVersion out;
  CUSLIM_TRY(auto elf, ElfFile::read(root.host_path(realpath), realpath, ElfFile::Parts::symbols));
  std::string soname = elf.soname.value_or(path::basename(realpath));
  out.family = family_of(soname);
  std::optional<int> want = soname_major(soname);
  bool toolkit_versioned = false;
  // 1. The code.
  if (elf.machine == EM_X86_64 && elf.data == ELFDATA2LSB) {
    UniqueFd fd(::open(root.host_path(realpath).c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return Error::from_errno(realpath, errno);
    for (auto& p : probes()) {
      if (out.family.rfind(p.family_prefix, 0) != 0) continue;
      // libcublasLt is not libcublas: a longer prefix of another probe wins.
      if (p.family_prefix == "libcublas" && out.family != "libcublas") continue;
      toolkit_versioned |= p.version_is_cuda;
      bool cuda_only = p.gives == Gives::cuda;
      if ((cuda_only && out.cuda) || (!cuda_only && out.version)) continue;
      auto a = run_probe(fd.get(), elf, p, cuda_only ? std::nullopt : want);
      if (!a) continue;
      if (cuda_only) {
        out.cuda = a->v, out.cuda_parts = 2, out.cuda_source = "code: " + a->how;
        continue;
      }
      out.version = a->v;
      out.version_parts = p.encoding == Encoding::mmp || p.encoding == Encoding::mmp1000 ? 3 : 2;
      out.version_source = "code: " + a->how;
      if (p.version_is_cuda) out.cuda = Version{a->v.major, a->v.minor, 0}, out.cuda_parts = 2, out.cuda_source = out.version_source;
    }
  }
  bool versioned = false;  // a family with a version of its own (every family of probes())
  for (auto& p : probes())
    if (out.family.rfind(p.family_prefix, 0) == 0 && (p.family_prefix != "libcublas" || out.family == "libcublas"))
      toolkit_versioned |= p.version_is_cuda, versioned = true;
  // 2. The wheel: the cross-check of 1, else the answer.
  out.wheel = wheel_of(root, realpath);
  if (out.wheel) {
    std::string w = "wheel " + out.wheel->name + " " + out.wheel->version + " (" + out.wheel->dist_info + "/METADATA)";
    auto wv = wheel_version(*out.wheel);
    if (out.version && wv) {
      bool agrees = same_prefix(*out.version, *wv, out.version_parts);
      out.cross_check = agrees ? "agrees with " + w : "differs from " + w + ": the code's version is used";
      if (agrees && out.version_parts == 2) {  // the code says 11.8; the wheel that agrees has the patch (11.8.89)
        out.version = *wv, out.version_parts = 3;
        out.version_source += "; the patch from the " + w;
      }
    } else if (wv && versioned && (!want || wv->major == *want || toolkit_versioned)) {
      out.version = *wv, out.version_parts = 3, out.version_source = w;
      if (toolkit_versioned) out.cuda = Version{wv->major, wv->minor, 0}, out.cuda_parts = 2, out.cuda_source = w;
    }
    if (!out.cuda)
      if (auto m = wheel_cuda_major(*out.wheel)) out.cuda = Version{*m, 0, 0}, out.cuda_parts = 1, out.cuda_source = w;
  }
  // 3. libcudart's file name (libcudart.so.13.0.96) when nothing else spoke.
  if (!out.cuda && out.family == "libcudart")
    if (auto v = cudart_cuda_version(path::basename(realpath), elf.soname); v && v->parts == 2)
      out.cuda = v->version, out.cuda_parts = 2, out.cuda_source = v->source;
  // A library whose own functions do not give it away takes the answer of the sibling it ships
  // with (shipped_with()): needed by it, or beside it under the sibling's name and its major. A
  // CUDA major alone (a cu12 wheel's name) is refined by the sibling's code (12.8).
  auto cuda_exact = [&] { return out.cuda && out.cuda_parts >= 2; };
  if (auto sib_family = shipped_with(out.family); sib_family && (!cuda_exact() || !out.version)) {
    std::vector<std::pair<std::string, std::string>> sibs;  // (name, why)
    for (auto& n : elf.needed)
      if (n != soname && family_of(n) == *sib_family) sibs.push_back({n, "which it needs"});
    if (want) sibs.push_back({*sib_family + ".so." + std::to_string(*want), "beside it"});
    for (auto& [n, why] : sibs) {
      std::string sib = path::join(path::dirname(realpath), n);
      auto real = root.realpath(sib);  // an error when there is no such file
      if (!real || *real == realpath) continue;
      auto s = read_library_version(root, *real);
      if (!s) continue;
      std::string of = " (of " + n + ", " + why + ")";
      if (!out.version && s->version && s->version_source.rfind("code:", 0) == 0)
        out.version = s->version, out.version_parts = s->version_parts, out.version_source = s->version_source + of;
      if (!cuda_exact() && s->cuda && s->cuda_source.rfind("code:", 0) == 0 && (!out.cuda || out.cuda->major == s->cuda->major))
        out.cuda = s->cuda, out.cuda_parts = s->cuda_parts, out.cuda_source = s->cuda_source + of;
      if (cuda_exact()) break;
    }
  }
  // 4. Any other object linked against the CUDA runtime (libtorch_cuda, a CuPy or JAX extension)
  // belongs to that runtime's CUDA major: libcudart.so.12 is CUDA 12's.
  if (!out.cuda)
    for (auto& n : elf.needed)
      if (family_of(n) == "libcudart")
        if (auto m = soname_major(n); m && *m >= 9) {
          out.cuda = Version{*m, 0, 0}, out.cuda_parts = 1, out.cuda_source = "needs " + n;
          break;
        }
  // 5. A major alone made exact by the newest PTX ISA of that major in the object's own fatbin.
  if (out.cuda && out.cuda_parts == 1)
    if (auto sections = ElfFile::read(root.host_path(realpath), realpath, ElfFile::Parts::sections); sections.ok())
      if (auto fat = Fatbin::read(root.host_path(realpath), *sections, /*elsewhere=*/false); fat.ok())
        if (auto ptx = newest_ptx_cuda(*fat, out.cuda->major)) {
          out.cuda = ptx, out.cuda_parts = 2;
          out.cuda_source = "newest PTX ISA in its fatbin (built by CUDA " + ptx->str(2) + " or later), of the major from " + out.cuda_source;
        }
  return out;
}

}  // namespace cuslim
