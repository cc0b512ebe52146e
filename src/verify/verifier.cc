#include "verify/verifier.h"

#include <fcntl.h>
#include <fnmatch.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <map>
#include <set>

#include "analysis/analysis.h"
#include "core/exec_path.h"
#include "core/hex.h"
#include "core/path.h"
#include "loader/search_plan.h"
#include "core/plural.h"
#include "elf/elf_file.h"
#include "elf/fatbin.h"
#include "image/utf8_names.h"
#include "jit/jit_needs.h"
#include "loader/ld_cache.h"
#include "loader/loader_abi.h"
#include "loader/resolver.h"
#include "profile/forward_compat.h"
#include "profile/inspection.h"
#include "profile/library_version.h"
#include "prune/gpu_arch.h"
#include "python/interpreter.h"

namespace cuslim {

namespace {

constexpr size_t kListed = 8;  // names per failing check, then "... and N more"

struct ImageFile {
  std::string path;  // inside the image
  bool elf = false;
  bool regular = false;
};

std::vector<ImageFile> walk(const std::string& rootfs) {
  std::vector<ImageFile> out;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(rootfs, std::filesystem::directory_options::skip_permission_denied, ec);
       it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) break;
    auto st = it->symlink_status(ec);
    if (std::filesystem::is_directory(st)) continue;
    ImageFile f{"/" + it->path().lexically_relative(rootfs).string(), false, std::filesystem::is_regular_file(st)};
    f.elf = f.regular && has_elf_magic(it->path().string());
    out.push_back(std::move(f));
  }
  return out;
}

std::string listing(const std::vector<std::string>& items) {
  std::string s;
  for (size_t i = 0; i < items.size() && i < kListed; ++i) s += (i ? "; " : "") + items[i];
  if (items.size() > kListed) s += "; ... and " + std::to_string(items.size() - kListed) + " more";
  return s;
}

// `present`: the Python distributions the image holds (a jit file of one that is absent is toolkit).
Check class_check(const std::vector<ImageFile>& files, const Classifier& c, ObjectClass cls, const std::string& name,
                  const std::string& why, const std::set<std::string>& present) {
  std::vector<std::string> hits;
  for (auto& f : files) {
    auto k = c.classify(f.path, f.path, std::nullopt, path::basename(f.path));
    if (class_given(k, present) == cls)
      hits.push_back(f.path + " (" + rule_given(k, present) + (k.cls == ObjectClass::jit ? "; " + k.rule + " when its framework ships, not in this image" : "") + ")");
  }
  if (hits.empty()) return {name, CheckStatus::pass, "no " + to_string(cls) + "-class file in the image"};
  return {name, CheckStatus::fail, std::to_string(hits.size()) + " " + to_string(cls) + "-class file(s): " + listing(hits) + " -- " + why};
}

// A library's need the loader finds only through the search path of what loads it (DT_RPATH is
// inherited: a scipy extension brings libgfortran, whose libquadmath it finds in the extension's
// RPATH dir) is met where that library is loaded: judged in each loader's own graph.
bool met_through_a_loader(Resolver& r, const DepGraph& g, const MissingDep& m) {
  for (auto& o : g.objects) {
    if (!o.path || *o.path != m.needed_by) continue;
    for (auto& p : o.parents) {
      if (p == m.needed_by || p.empty() || p[0] != '/') continue;
      auto pg = r.resolve({p});
      if (pg.ok() && std::none_of(pg->missing.begin(), pg->missing.end(), [&](auto& x) { return x.name == m.name && x.needed_by == m.needed_by; }))
        return true;
    }
  }
  return false;
}

Check needed_check(const UnpackedImage& img, const std::vector<ImageFile>& files, const Classifier& c) {
  std::vector<std::string> elfs;
  for (auto& f : files)
    if (f.elf && c.classify(f.path, f.path, std::nullopt, "").cls != ObjectClass::toolkit) elfs.push_back(f.path);
  if (elfs.empty()) return {"needed-resolve", CheckStatus::skip, "no ELF file in the image"};
  Root root(img.rootfs);
  ResolveOptions opts;
  opts.is_leaf = [&c](const std::string& n) { return c.is_driver_name(n); };
  for (auto& e : img.config.env)
    if (e.rfind("LD_LIBRARY_PATH=", 0) == 0) opts.ld_library_path = ld_library_path_dirs(e.substr(16));
  Resolver r(root, opts);
  if (auto st = r.init(); !st.ok()) return {"needed-resolve", CheckStatus::fail, st.error().message()};
  std::vector<std::string> problems;
  std::vector<std::string> targets;
  // A library that is also runnable (libc.so.6 has a PT_INTERP and a soname) is loaded, not run:
  // its interpreter is a program's need, not its own.
  std::set<std::pair<std::string, std::string>> library_interps;
  for (auto& e : elfs) {  // objects that fail to parse are reported, not fatal
    auto parsed = ElfFile::read(root.host_path(e), e, ElfFile::Parts::loader);
    if (!parsed.ok()) problems.push_back(parsed.error().message());
    else if (parsed->dynamic) targets.push_back(e);
    if (parsed.ok() && parsed->soname && parsed->interp) library_interps.insert({e, *parsed->interp});
  }
  auto g = r.resolve(targets);
  if (!g.ok()) return {"needed-resolve", CheckStatus::fail, g.error().message()};
  // A name the image holds where the search does not look is said so: "not in the image" misled.
  auto held_at = [&](const std::string& name) -> std::string {
    for (auto& f : files)
      if (path::basename(f.path) == name) return f.path;
    return "";
  };
  for (auto& m : g->missing)
    if (!library_interps.count({m.needed_by, m.name}) && !met_through_a_loader(r, *g, m)) {
      std::string why = missing_what(m);
      if (m.refused.empty())
        why = held_at(m.name).empty() ? "not in the image and not a driver library"
                                      : "not found by the loader's search; the image has it at " + held_at(m.name) +
                                            ", in no directory the search looks in (RUNPATH, LD_LIBRARY_PATH, ld.so.conf)";
      problems.push_back(m.needed_by + " needs " + m.name + ": " + why);
    }
  if (problems.empty()) return {"needed-resolve", CheckStatus::pass, std::to_string(targets.size()) + " ELF objects: every DT_NEEDED resolves inside the image or to the host driver"};
  return {"needed-resolve", CheckStatus::fail, listing(problems)};
}

// Required run-time dlopens (profiles' `required: true`: NVRTC's builtins): each library of the
// image that makes one finds its target in the image, as its dlopen would search.
Check dlopen_check(const UnpackedImage& img, const std::vector<ImageFile>& files, const Classifier& c) {
  std::vector<std::string> loaders;
  for (auto& f : files) {
    if (!f.elf) continue;
    std::string name = path::basename(f.path);
    bool makes_one = false;
    for (auto& p : c.active())
      for (auto& d : p.dlopen)
        if (d.required)
          for (auto& from : d.from) makes_one |= ::fnmatch(from.c_str(), name.c_str(), 0) == 0;
    if (makes_one && c.classify(f.path, f.path, std::nullopt, "").cls != ObjectClass::toolkit) loaders.push_back(f.path);
  }
  if (loaders.empty()) return {"dlopen-resolve", CheckStatus::skip, "no library that needs a run-time dlopen to work (NVRTC: its builtins)"};
  AnalysisOptions ao{.root = img.rootfs, .root_label = "the image", .base = "scratch"};
  for (auto& e : img.config.env)
    if (e.rfind("LD_LIBRARY_PATH=", 0) == 0) ao.ld_library_path = ld_library_path_dirs(e.substr(16));
  auto a = Analysis::make(ao);
  if (!a.ok()) return {"dlopen-resolve", CheckStatus::fail, a.error().message()};
  auto g = a->resolve(loaders);
  if (!g.ok()) return {"dlopen-resolve", CheckStatus::fail, g.error().message()};
  std::vector<std::string> problems;
  for (auto& m : g->dlopen_unmet) problems.push_back(describe_unmet(m));
  if (problems.empty())
    return {"dlopen-resolve", CheckStatus::pass, count_of(loaders.size(), "library", "libraries") + (loaders.size() == 1 ? " finds" : " find") + " what it needs to dlopen: " + listing(loaders)};
  return {"dlopen-resolve", CheckStatus::fail, listing(problems)};
}

// The CUDA release the image asks of the driver, and what says so: its newest libcudart (read
// from its code, not its name: libcudart.so.11.0 is 11.8); without one (a program that links the
// runtime statically), the newest release its CUDA libraries were built for (cuBLAS 13 on
// CUDA 13.0 needs a 580 driver all the same). nullopt when nothing says.
std::optional<std::pair<Version, std::string>> bundled_runtime(const Root& root, const std::vector<ImageFile>& files, const Classifier& c) {
  std::optional<std::pair<Version, std::string>> out;
  std::vector<std::string> cuda_libraries;
  for (auto& f : files) {
    if (!f.regular) continue;
    auto k = c.classify(f.path, f.path, std::nullopt, path::basename(f.path));
    if (k.cls == ObjectClass::cuda && k.rule != "cuda:cudart") cuda_libraries.push_back(f.path);
    if (k.rule != "cuda:cudart") continue;
    auto v = cudart_version_of(root, f.path);
    if (v && (!out || v->version > out->first)) out = {v->version, f.path};
  }
  auto b = newest_cuda_built_for(root, cuda_libraries, c);  // a library built for a newer CUDA needs what that CUDA needs
  if (b && (!out || b->cuda > out->first))
    return std::pair{b->cuda, b->path + " (built for CUDA " + b->cuda.str(2) + ": " + b->source +
                                  (out ? "; newer than the image's libcudart " + out->first.str(2) + ", " + out->second : std::string("; no libcudart in the image")) + ")"};
  return out;
}

// What the image's cuda-compat sets mean for this check: the forward-compat data and the sets.
struct ImageCompat {
  const ForwardCompatData* data = nullptr;
  std::vector<CompatSet> sets;
  std::vector<std::string> hiding;  // LD_LIBRARY_PATH dirs of the config where the host driver is injected
  // The dirs NVIDIA's hook looks in (/usr/local/cuda/compat) and what each is in the image: its
  // real path, "" where there is nothing (said when the hook cannot see a set).
  std::vector<std::pair<std::string, std::string>> hook_dirs;
};

ImageCompat image_compat(const Root& root, const Classifier& c, const std::vector<std::string>& env) {
  ImageCompat ic{.data = forward_compat_data(c)};
  if (!ic.data) return ic;
  ic.sets = find_compat_sets(root, *ic.data);
  if (ic.sets.empty()) return ic;
  if (const LoaderAbi* abi = native_loader_abi(root)) ic.hiding = compat_hiding_dirs(env, *abi, *ic.data, root);
  for (auto& d : ic.data->dirs)
    if (d.find('*') == std::string::npos) {
      auto real = root.realpath(d);
      ic.hook_dirs.push_back({d, real.ok() && root.stat(*real) ? *real : ""});
    }
  return ic;
}

// Where the hook would pick the set but cannot reach it, or the image's LD_LIBRARY_PATH finds the
// host's libcuda first: why, or nothing when the set is reachable.
std::optional<std::string> hidden_set(const CompatSet& set, const ImageCompat& ic) {
  if (!ic.hook_dirs.empty() && !hook_sees(set, *ic.data)) {  // the one rule run follows too
    auto& [dir, real] = ic.hook_dirs.front();
    return set.describe() + " is not at " + dir + " (" + (real.empty() ? std::string("nothing there") : "that is " + real) +
           "), the only place NVIDIA's hook (enable-cuda-compat) looks: under the NVIDIA container toolkit the host's libcuda.so.1 "
           "loads instead (link " + path::dirname(dir) + " to the set's CUDA dir; cuslim bundle does when it is free)";
  }
  if (ic.hiding.empty()) return std::nullopt;
  std::string dirs;
  for (auto& d : ic.hiding) dirs += (dirs.empty() ? "" : ":") + d;
  return "the NVIDIA hook would pick " + set.describe() + ", but the image's LD_LIBRARY_PATH names " + dirs +
         ", where the host driver is injected: the loader finds the host's libcuda.so.1 there before the set's ld.so.cache entry, "
         "so the set is never used (leave those dirs out of LD_LIBRARY_PATH)";
}

// The runtime against the driver; a runtime that needs a newer driver passes only through a
// cuda-compat set of the image that serves the driver's branch.
Check compat_check(const std::optional<std::pair<Version, std::string>>& runtime, const ImageCompat& ic, const VerifyInputs& in) {
  if (!runtime) return {"cuda-compat", CheckStatus::skip, "no CUDA runtime (libcudart) in the image, and no CUDA library that says which release it was built for"};
  auto& [cuda, from] = *runtime;
  if (!in.driver) return {"cuda-compat", CheckStatus::skip, "CUDA " + cuda.str(2) + " bundled (" + from + "); no driver known (give --driver-version)"};
  auto r = check_compat(cuda, *in.driver);
  std::string head = std::string(verdict_name(r.verdict)) + ": " + from + " on " + in.driver_source + ": " + r.detail;
  if (r.verdict == CompatVerdict::ok || r.verdict == CompatVerdict::ok_minor_version_compat) return {"cuda-compat", CheckStatus::pass, head};
  std::string why_not;
  if (auto* set = serving_set(ic.sets, cuda, *in.driver, &why_not))
    return {"cuda-compat", CheckStatus::pass, "met through forward compatibility by the image's " + set->describe() + " (" + head + "); " + kDataCenterOnly};
  return {"cuda-compat", CheckStatus::fail, head + "; " + compat_remedy(ic.data, cuda, *in.driver) + " (" + why_not + ")"};
}

// The GPU restriction, where a cuda-compat set is what would run the image at all.
std::string data_center_note(const Version& cuda, const Version& driver) {
  return check_compat(cuda, driver).verdict == CompatVerdict::needs_forward_compat ? std::string("; ") + kDataCenterOnly : "";
}

// The image's cuda-compat sets against the driver: which libcuda the NVIDIA hook would pick, and
// whether the runtime then runs.
Check forward_compat_check(const std::optional<std::pair<Version, std::string>>& runtime, const ImageCompat& ic, const VerifyInputs& in) {
  const char* name = "forward-compat";
  bool needed = runtime && in.driver && needs_newer_driver(runtime->first, *in.driver);
  if (ic.sets.empty()) {
    if (!needed) return {name, CheckStatus::skip, "no cuda-compat set in the image" + std::string(in.driver && runtime ? " (none needed)" : "")};
    auto need = driver_need(runtime->first);
    return {name, CheckStatus::fail, in.driver_source + " is older than CUDA " + runtime->first.str(2) + " needs (" + (need ? need->text() : "?") +
                                         "): " + compat_remedy(ic.data, runtime->first, *in.driver) + " (it has no cuda-compat set)" + data_center_note(runtime->first, *in.driver)};
  }
  const CompatSet& newest = ic.sets.front();
  if (!in.driver) return {name, CheckStatus::skip, "the image carries " + newest.describe() + "; no driver known (give --driver-version)"};
  if (!needed) {
    auto choice = hook_choice(newest, *in.driver);
    std::string caution = !choice.use_compat && newest.version < *in.driver
                              ? "; caution: a runtime that rebuilds the cache from the image's ld.so.conf.d without the hook's rule would load "
                                "this older libcuda against a newer kernel driver"
                              : "";
    if (choice.use_compat) {  // the hook switches to the set all the same: the same GPU restriction applies
      if (auto hidden = hidden_set(newest, ic))  // the host driver runs it, as it can
        return {name, CheckStatus::pass, "not needed on " + in.driver_source + "; " + *hidden};
      return {name, CheckStatus::pass, "not needed for CUDA " + (runtime ? runtime->first.str(2) : std::string("?")) + " on " + in.driver_source +
                                           ", but the NVIDIA hook would still pick it: " + choice.why + "; warning: " + kDataCenterOnly};
    }
    return {name, CheckStatus::pass, "not needed on " + in.driver_source + ": " + choice.why + caution};
  }
  std::string why_not;
  if (auto* set = serving_set(ic.sets, runtime->first, *in.driver, &why_not)) {
    if (auto hidden = hidden_set(*set, ic)) return {name, CheckStatus::fail, *hidden + "; CUDA " + runtime->first.str(2) + " needs the set on " + in.driver_source};
    return {name, CheckStatus::pass, hook_choice(*set, *in.driver).why + "; CUDA " + runtime->first.str(2) + " then runs; warning: " + kDataCenterOnly};
  }
  return {name, CheckStatus::fail, in.driver_source + ": " + compat_remedy(ic.data, runtime->first, *in.driver) + ": " + why_not + data_center_note(runtime->first, *in.driver)};
}

Check entrypoint_check(const UnpackedImage& img) {
  std::vector<std::string> argv = img.config.entrypoint;
  argv.insert(argv.end(), img.config.cmd.begin(), img.config.cmd.end());
  if (argv.empty()) return {"entrypoint", CheckStatus::skip, "the image declares no Entrypoint or Cmd"};
  Root root(img.rootfs);
  std::string prog = argv[0];
  if (prog.find('/') == std::string::npos) {
    std::string search = path_from_env(img.config.env);
    for (auto& d : path::split_list(search))
      if (root.stat(path::join(d, prog))) {
        prog = path::join(d, prog);
        break;
      }
  }
  auto st = root.stat(prog);
  if (!st || !S_ISREG(st->st_mode)) return {"entrypoint", CheckStatus::fail, prog + ": not a file in the image"};
  if (!(st->st_mode & 0111)) return {"entrypoint", CheckStatus::fail, prog + ": not executable"};
  auto real = root.realpath(prog);
  auto elf = ElfFile::read(root.host_path(*real), prog, ElfFile::Parts::loader);
  if (elf.ok() && elf->interp && !root.stat(*elf->interp))
    return {"entrypoint", CheckStatus::fail, prog + ": its ELF interpreter " + *elf->interp + " is not in the image (exec would fail with ENOENT)"};
  if (std::string missing = elf.ok() ? python_startup_missing(root, prog, *elf) : ""; !missing.empty())
    return {"entrypoint", CheckStatus::fail, prog + ": a Python interpreter without " + missing + " in the image: it dies at start (\"No module named 'encodings'\")"};
  return {"entrypoint", CheckStatus::pass, prog + (elf.ok() && elf->interp ? " (interpreter " + *elf->interp + " present)" : "")};
}

// The injected libcuda loads libm, libdl, ... from the image: they must be findable there.
Check driver_needs_check(const UnpackedImage& img, const std::vector<std::string>& needs) {
  if (needs.empty()) return {"driver-needs", CheckStatus::skip, "no driver profile lists what the driver loads"};
  Root root(img.rootfs);
  std::optional<LdCache> cache;
  if (auto real = root.realpath("/etc/ld.so.cache"))
    if (auto c = LdCache::read(root.host_path(*real), "/etc/ld.so.cache"); c.ok()) cache = std::move(*c);
  const LoaderAbi* abi = native_loader_abi(root);  // the driver's ABI: what its libcuda searches
  std::vector<int32_t> flags = abi ? abi->cache_flags : std::vector<int32_t>{};
  std::vector<std::string> dirs = abi ? abi->default_dirs : std::vector<std::string>{};
  std::vector<std::string> absent;
  for (auto& n : needs) {
    auto hit = cache ? cache->lookup(n, flags, {}) : std::nullopt;
    bool found = hit && root.stat(*hit);
    for (auto& d : dirs) found = found || root.stat(path::join(d, n)).has_value();
    if (!found) absent.push_back(n);
  }
  if (absent.empty()) return {"driver-needs", CheckStatus::pass, "the image has what libcuda loads: " + listing(needs)};
  return {"driver-needs", CheckStatus::fail, "libcuda.so.1 will not load: the image lacks " + listing(absent)};
}

}  // namespace

std::string to_string(CheckStatus s) {
  switch (s) {
    case CheckStatus::pass: return "pass";
    case CheckStatus::fail: return "fail";
    case CheckStatus::skip: return "skip";
  }
  return "skip";
}

bool VerifyReport::ok() const {
  for (auto& c : checks)
    if (c.status == CheckStatus::fail) return false;
  return true;
}

nlohmann::json VerifyReport::to_json() const {
  nlohmann::json list = nlohmann::json::array();
  for (auto& c : checks) list.push_back({{"name", c.name}, {"status", to_string(c.status)}, {"detail", c.detail}});
  return {{"ok", ok()}, {"checks", list}};
}

namespace {

// Text for an XML attribute or element: & < > " escaped, and what XML 1.0 cannot hold -- a control
// byte (a name from the image may have one) or bytes that are not UTF-8 in a UTF-8 document --
// shown as \xNN and U+FFFD (the JSON report has the same names with U+FFFD), so CI tools always
// parse the file.
std::string xml_text(const std::string& s) {
  std::string o;
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '&': o += "&amp;"; break;
        case '<': o += "&lt;"; break;
        case '>': o += "&gt;"; break;
        case '"': o += "&quot;"; break;
        case '\t': case '\n': case '\r': o += static_cast<char>(c); break;
        default:
          if (c < 0x20) o += "\\x" + to_hex(s.substr(i, 1));
          else o += static_cast<char>(c);
      }
      ++i;
      continue;
    }
    size_t n = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
    if (n > 1 && i + n <= s.size() && valid_utf8(std::string_view(s).substr(i, n))) {
      o.append(s, i, n);
      i += n;
    } else {
      o += "\xEF\xBF\xBD";  // U+FFFD
      ++i;
    }
  }
  return o;
}

}  // namespace

std::string VerifyReport::junit(const std::string& suite) const {
  auto esc = [](const std::string& s) { return xml_text(s); };
  int failures = 0, skipped = 0;
  for (auto& c : checks) failures += c.status == CheckStatus::fail, skipped += c.status == CheckStatus::skip;
  std::string x = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuite name=\"" + esc(suite) + "\" tests=\"" +
                  std::to_string(checks.size()) + "\" failures=\"" + std::to_string(failures) + "\" skipped=\"" + std::to_string(skipped) + "\">\n";
  for (auto& c : checks) {
    x += "  <testcase classname=\"cuslim.verify\" name=\"" + esc(c.name) + "\">";
    if (c.status == CheckStatus::fail) x += "<failure message=\"" + esc(c.detail) + "\"/>";
    if (c.status == CheckStatus::skip) x += "<skipped message=\"" + esc(c.detail) + "\"/>";
    x += "<system-out>" + esc(c.detail) + "</system-out></testcase>\n";
  }
  return x + "</testsuite>\n";
}

namespace {

constexpr uint64_t kTinyGpuCode = 16 << 10;  // a lone internal container (libcufftw's sm_75 stub)

// One library's answer for one GPU: covered, not judged (why), or not covered (why).
struct LibraryCoverage {
  enum { covered, unknown, uncovered } state = covered;
  std::string why;
};

// `nvidia`: an NVIDIA library (class cuda), whose lone tiny containers are internal stubs; a
// program's or an application library's GPU code is always judged, however small.
// `lost_to_pruning`: the image was pruned for GPUs (`pruned_for`) whose code is not all this one
// runs (its labels say so): then every container must still hold code this GPU runs.
LibraryCoverage library_coverage(const FatbinLayout& layout, bool private_store, bool nvidia, unsigned cc, bool lost_to_pruning,
                                 const std::optional<std::vector<unsigned>>& pruned_for) {
  std::vector<FatbinEntry> entries;
  uint64_t code = 0;
  for (auto& c : layout.containers)
    for (auto& e : c.entries) entries.push_back(e.entry), code += e.span();
  std::string why;
  bool covered = arch_covered(entries, cc, &why);
  if (lost_to_pruning && pruned_for) {
    std::string pruned = " (the image was pruned for " + gpu_archs_text(*pruned_for);
    if (!covered) return {LibraryCoverage::uncovered, why + pruned + ")"};
    size_t without = 0;
    for (auto& c : layout.containers)
      without += std::none_of(c.entries.begin(), c.entries.end(), [&](auto& e) { return runs_on(e.entry, cc); });
    if (without)
      return {LibraryCoverage::uncovered, std::to_string(without) + " of " + std::to_string(layout.containers.size()) +
                                              " containers have no code for sm_" + std::to_string(cc) + pruned + ", which took it from them)"};
  }
  if (covered) return {LibraryCoverage::covered, why};
  // cuFFT and cuBLASLt keep most of their kernels in .ldata stores that are not indexed: their
  // containers alone prove nothing missing; nor does a lone tiny internal container.
  if (private_store) return {LibraryCoverage::unknown, "GPU code in .ldata, not indexed"};
  if (nvidia && code < kTinyGpuCode) return {LibraryCoverage::unknown, "only " + std::to_string(code) + " bytes of GPU code (" + why + ")"};
  return {LibraryCoverage::uncovered, why};
}

}  // namespace

Check coverage_check(const UnpackedImage& img, const Classifier& c, const std::vector<unsigned>& ccs) {
  if (ccs.empty()) return {"arch-coverage", CheckStatus::skip, "compute capability unknown (give --gpu-arch, or --gpu to read it from the GPU)"};
  std::optional<std::vector<unsigned>> pruned_for;
  if (auto it = img.config.labels.find(kGpuArchLabel); it != img.config.labels.end())
    if (auto archs = parse_gpu_archs(it->second); archs.ok()) pruned_for = *archs;
  std::vector<std::string> uncovered, unknown;
  size_t with_gpu_code = 0;
  Root root(img.rootfs);
  for (auto& f : walk(img.rootfs)) {
    if (!f.elf) continue;
    auto elf = ElfFile::read(root.host_path(f.path), f.path, ElfFile::Parts::all);
    if (!elf.ok() || !(elf->section(".nv_fatbin") || elf->section("__nv_relfatbin") || elf->section(".cask_resource"))) continue;
    auto layout = FatbinLayout::read(root.host_path(f.path), *elf, false);
    if (!layout.ok() || layout->containers.empty()) continue;
    ++with_gpu_code;
    bool judged = true;
    bool nvidia = c.classify(f.path, f.path, elf->soname, path::basename(f.path)).cls == ObjectClass::cuda;
    for (unsigned cc : ccs) {
      bool lost = pruned_image_serves(img.config.labels, cc) == std::optional<bool>(false);
      auto r = library_coverage(*layout, elf->section(".ldata") != nullptr, nvidia, cc, lost, pruned_for);
      std::string on = ccs.size() > 1 ? " [sm_" + std::to_string(cc) + "]" : "";
      if (r.state == LibraryCoverage::uncovered) uncovered.push_back(f.path + on + ": " + r.why);
      else if (r.state == LibraryCoverage::unknown && judged) unknown.push_back(f.path + " (" + r.why + ")"), judged = false;
    }
  }
  std::string gpus;
  for (auto cc : ccs) gpus += (gpus.empty() ? "sm_" : ", sm_") + std::to_string(cc);
  if (!with_gpu_code) return {"arch-coverage", CheckStatus::skip, "no object with GPU code (fatbin) in the image"};
  std::string note = unknown.empty() ? "" : "; not judged: " + listing(unknown);
  if (pruned_for && uncovered.empty()) note += "; image pruned for " + gpu_archs_text(*pruned_for);  // a failure says it per object
  if (uncovered.empty())
    return {"arch-coverage", CheckStatus::pass, count_of(with_gpu_code - unknown.size(), "object") + " with GPU code run on " + gpus + note};
  return {"arch-coverage", CheckStatus::fail, listing(uncovered) + note};
}

// An image has something to run: an empty directory or a tree without any program is not one.
Check contents_check(const UnpackedImage& img, const std::vector<ImageFile>& files) {
  size_t elfs = 0, regular = 0;
  for (auto& f : files) elfs += f.elf, regular += f.regular;
  bool declares = !img.config.entrypoint.empty() || !img.config.cmd.empty();
  if (files.empty()) return {"contents", CheckStatus::fail, "no files (its layers hold none, or whiteouts removed them all): not an image"};
  if (!elfs && !declares)
    return {"contents", CheckStatus::fail, count_of(files.size(), "file") + ", no ELF program and no Entrypoint/Cmd: not an image"};
  // Regular files, as every report counts them; links apart.
  return {"contents", CheckStatus::pass, count_of(regular, "file") + " (and " + count_of(files.size() - regular, "link") + "), " +
                                             std::to_string(elfs) + " ELF objects"};
}

// The config's architecture against the ELF files': an image whose config says arm64 over x86-64
// programs runs on no machine (a runtime picks it by the config, the kernel refuses the files).
Check architecture_check(const UnpackedImage& img, const std::vector<ImageFile>& files) {
  std::map<std::string, size_t> by_arch;
  for (auto& f : files)
    if (f.elf)
      if (auto a = oci_architecture_of(img.rootfs + f.path); !a.empty()) ++by_arch[a];
  if (by_arch.empty()) return {"architecture", CheckStatus::skip, "no ELF file of a known machine in the image"};
  const std::string& want = img.config.architecture;
  std::string counts;
  for (auto& [a, n] : by_arch) counts += (counts.empty() ? "" : ", ") + std::to_string(n) + " " + a;
  if (!by_arch.count(want))
    return {"architecture", CheckStatus::fail, "the config says " + want + ", the ELF files are for another machine (" + counts + ")"};
  return {"architecture", CheckStatus::pass, want + " (ELF files: " + counts + ")"};
}

// One check per JIT framework the image holds: can it compile at run time? ("jit-ready:triton")
std::vector<Check> jit_checks(const UnpackedImage& img, const std::vector<ImageFile>& files, const Classifier& c, const std::set<std::string>& present) {
  std::vector<const JitFramework*> frameworks;
  for (auto& p : c.active())
    for (auto& j : p.jit) frameworks.push_back(&j);
  Root root(img.rootfs);
  std::vector<std::string> paths;
  for (auto& f : files) paths.push_back(f.path);
  std::string path_var = path_from_env(img.config.env);
  std::vector<Check> out;
  std::set<std::string> seen;
  for (auto& r : jit_readiness(root, frameworks, present, JitPlaces::of(root, paths), path::split_list(path_var))) {
    if (!seen.insert(r.framework->name).second) continue;
    std::string name = "jit-ready:" + r.framework->name;
    if (r.missing.empty()) out.push_back({name, CheckStatus::pass, listing(r.found)});
    else out.push_back({name, CheckStatus::fail, jit_failure(r, "the image")});
  }
  if (out.empty()) out.push_back({"jit-ready", CheckStatus::skip, "no JIT framework (triton, jax, cupy, numba-cuda) in the image"});
  return out;
}

VerifyReport verify_static(const UnpackedImage& img, const Classifier& c, const VerifyInputs& in) {
  VerifyReport r;
  auto files = walk(img.rootfs);
  std::vector<std::string> paths;
  for (auto& f : files) paths.push_back(f.path);
  auto present = distributions_present(Root(img.rootfs), paths);
  r.checks.push_back(contents_check(img, files));
  r.checks.push_back(architecture_check(img, files));
  r.checks.push_back(class_check(files, c, ObjectClass::toolkit, "no-toolkit-files", "the toolkit is for building; a runtime image must not need it", present));
  r.checks.push_back(class_check(files, c, ObjectClass::driver, "no-driver-files", "driver libraries come from the host; a bundled copy breaks on every other driver", present));
  for (auto& j : jit_checks(img, files, c, present)) r.checks.push_back(std::move(j));
  r.checks.push_back(needed_check(img, files, c));
  r.checks.push_back(dlopen_check(img, files, c));
  bool cuda = false;  // only an image that uses CUDA needs what the driver loads
  for (auto& f : files) {
    auto k = c.classify(f.path, f.path, std::nullopt, path::basename(f.path));
    cuda |= k.cls == ObjectClass::cuda || path::basename(f.path).rfind("smoke-", 0) == 0;
  }
  if (cuda) r.checks.push_back(driver_needs_check(img, in.driver_needs));
  else r.checks.push_back({"driver-needs", CheckStatus::skip, "no CUDA library or smoke program in the image"});
  Root root(img.rootfs);
  auto runtime = bundled_runtime(root, files, c);
  ImageCompat ic = image_compat(root, c, img.config.env);
  r.checks.push_back(compat_check(runtime, ic, in));
  r.checks.push_back(forward_compat_check(runtime, ic, in));
  r.checks.push_back(coverage_check(img, c, in.ccs));
  r.checks.push_back(entrypoint_check(img));
  return r;
}

}  // namespace cuslim
