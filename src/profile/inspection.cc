#include "profile/inspection.h"

#include <map>

#include "core/json_text.h"
#include "core/path.h"

namespace cuslim {

CudaReading cuda_reading(const LibraryVersion& lib, const ElfFile& elf, const Fatbin& fatbin, const std::string& realpath, const Classifier& c,
                         bool cuda_class) {
  if (lib.cuda && lib.cuda_parts == 2) return {lib.cuda, 2, lib.cuda_source};
  auto major_only = [&](Version major, std::string source) -> CudaReading {
    if (auto ptx = newest_ptx_cuda(fatbin, major.major))
      return {ptx, 2, "newest PTX ISA in its fatbin (built by CUDA " + ptx->str(2) + " or later), of the major from " + source};
    return {major, 1, std::move(source)};
  };
  std::string soname = elf.soname.value_or(path::basename(realpath));
  std::string family = soname.substr(0, soname.find(".so"));
  auto sv = so_version(soname);
  for (auto& p : c.active()) {
    auto fam = p.cuda_major_by_soname.find(family);
    if (fam == p.cuda_major_by_soname.end() || !sv) continue;
    if (auto m = fam->second.find(sv->major); m != fam->second.end())
      if (auto v = Version::parse(m->second))
        return major_only(*v, "soname " + soname + " (" + p.name + " profile: " + family + " " + sv->major + " ships with CUDA " + m->second + ".x)");
  }
  if (lib.cuda) return major_only(*lib.cuda, lib.cuda_source);  // the wheel's name (nvidia-cudnn-cu12)
  if (auto ptx = newest_ptx_cuda(fatbin); ptx && cuda_class)
    return {ptx, 2, "newest PTX ISA in its fatbin (built by CUDA " + ptx->str(2) + " or later)"};
  return {};
}

Result<CudaReading> read_cuda_version(const Root& root, const std::string& realpath, const Classifier& c) {
  CUSLIM_TRY(auto lib, read_library_version(root, realpath));
  if (lib.cuda && lib.cuda_parts == 2) return CudaReading{lib.cuda, 2, lib.cuda_source};
  CUSLIM_TRY(auto elf, ElfFile::read(root.host_path(realpath), realpath, ElfFile::Parts::sections));
  CUSLIM_TRY(auto fatbin, Fatbin::read(root.host_path(realpath), elf, /*elsewhere=*/false));
  bool cuda_class = c.classify(realpath, realpath, elf.soname, path::basename(realpath)).cls == ObjectClass::cuda;
  return cuda_reading(lib, elf, fatbin, realpath, c, cuda_class);
}

std::optional<BuiltFor> newest_cuda_built_for(const Root& root, const std::vector<std::string>& realpaths, const Classifier& c) {
  std::optional<BuiltFor> out;
  for (auto& p : realpaths) {
    auto r = read_cuda_version(root, p, c);
    if (!r.ok() || !r->cuda || r->parts < 2) continue;
    if (!out || *r->cuda > out->cuda) out = BuiltFor{*r->cuda, p, r->source};
  }
  return out;
}

namespace {

// A library's version as its vendor writes it: 12.8.4, not the driver style 12.8.04.
std::string library_version_text(const Version& v, int parts) {
  std::string s = std::to_string(v.major) + "." + std::to_string(v.minor);
  return parts > 2 ? s + "." + std::to_string(v.patch) : s;
}

}  // namespace

std::optional<nlohmann::json> fwd_compat_note(const ElfFile& elf) {
  for (auto& n : elf.notes) {
    if (n.section != ".note.cuda.fwd_compatibility" && n.owner != "NVIDIA Corporation") continue;
    std::string text(n.desc.begin(), n.desc.end());
    text = text.substr(0, text.find('\0'));
    auto j = parse_json_or_discarded(text);
    if (!j.is_discarded()) return j;
  }
  return std::nullopt;
}

Result<Inspection> inspect(const Root& root, const std::string& path, const Classifier& classifier) {
  Inspection i;
  i.path = path;
  CUSLIM_TRY(i.realpath, root.realpath(path));
  CUSLIM_TRY(i.elf, ElfFile::read(root.host_path(i.realpath), path, ElfFile::Parts::all));
  i.cls = classifier.classify(path, i.realpath, i.elf.soname, path::basename(path));
  CUSLIM_TRY(i.fatbin, Fatbin::read(root.host_path(i.realpath), i.elf));
  if (i.cls.cls == ObjectClass::driver || i.cls.cls == ObjectClass::forward_compat)  // a cuda-compat set's libcuda too
    if (auto v = so_version(path::basename(i.realpath)); v && v->major.size() >= 3) i.driver_version = v->version;
  i.fwd_compat = fwd_compat_note(i.elf);
  if (i.cls.cls == ObjectClass::cuda) {
    CUSLIM_TRY(i.library, read_library_version(root, i.realpath));
    auto r = cuda_reading(i.library, i.elf, i.fatbin, i.realpath, classifier, true);
    i.cuda_version = r.cuda, i.cuda_version_parts = r.parts, i.cuda_version_source = r.source;
  }
  return i;
}

nlohmann::json to_json(const Inspection& i) {
  using nlohmann::json;
  struct Arch {
    int kind = 0, entries = 0, compressed = 0;
    uint64_t stored = 0, uncompressed = 0;
    std::string isa;
    std::map<std::string, int> sections;  // entries per section (.nv_fatbin, __nv_relfatbin, .cask_resource)
  };
  std::map<std::pair<unsigned, std::string>, Arch> archs;  // (arch, name) sorted by arch
  for (auto& e : i.fatbin.entries) {
    unsigned order = e.kind == FatbinEntry::ptx ? 2 : e.kind == FatbinEntry::sass ? 0 : 3;  // SASS, PTX, then LTO-IR and others
    auto& a = archs[{e.arch * 8 + order * 2 + (e.variant.empty() ? 0 : 1), e.arch_name()}];
    a.kind = e.kind;
    a.entries++;
    a.compressed += e.compressed;
    a.sections[e.section]++;
    a.stored += e.stored_size;
    a.uncompressed += e.uncompressed_size;
    if (e.kind == FatbinEntry::ptx) a.isa = std::to_string(e.isa_major) + "." + std::to_string(e.isa_minor);
  }
  json arch_list = json::array();
  for (auto& [k, a] : archs) {
    std::string kind = a.kind == FatbinEntry::ptx ? "ptx" : a.kind == FatbinEntry::sass ? "sass" : a.kind == FatbinEntry::lto ? "lto" : "other";
    json row = {{"arch", k.second}, {"kind", kind}, {"entries", a.entries},
                {"compressed", a.compressed}, {"stored_bytes", a.stored}, {"uncompressed_bytes", a.uncompressed}, {"sections", a.sections}};
    if (!a.isa.empty()) row["ptx_isa"] = a.isa;
    arch_list.push_back(row);
  }
  json elsewhere = json::array();
  for (auto& e : i.fatbin.elsewhere) elsewhere.push_back({{"section", e.section}, {"bytes", e.section_size}, {"containers", e.containers}});
  return {{"path", i.path},
          {"realpath", i.realpath},
          {"soname", i.elf.soname ? json(*i.elf.soname) : json(nullptr)},
          {"class", to_string(i.cls.cls)},
          {"rule", i.cls.rule},
          {"cuda_version", i.cuda_version ? json(i.cuda_version->str(i.cuda_version_parts)) : json(nullptr)},
          {"cuda_version_source", i.cuda_version_source},
          {"driver_version", i.driver_version ? json(*i.driver_version) : json(nullptr)},
          {"fwd_compat", i.fwd_compat ? *i.fwd_compat : json(nullptr)},
          {"library_version", i.library.version ? json(library_version_text(*i.library.version, i.library.version_parts)) : json(nullptr)},
          {"library_version_source", i.library.version_source},
          {"wheel", i.library.wheel ? json{{"name", i.library.wheel->name}, {"version", i.library.wheel->version},
                                           {"dist_info", i.library.wheel->dist_info}}
                                    : json(nullptr)},
          {"version_cross_check", i.library.cross_check},
          {"fatbin", {{"containers", i.fatbin.containers}, {"entries", i.fatbin.entries.size()}, {"archs", arch_list},
                      {"elsewhere", elsewhere}, {"warnings", i.fatbin.warnings}}}};
}

nlohmann::json inspection_report(const Inspection& i, const InspectQuestions& q) {
  auto j = to_json(i);
  if (q.driver && i.cuda_version) {
    auto r = check_compat(*i.cuda_version, *q.driver);
    j["compat"] = {{"driver", q.driver_text}, {"verdict", verdict_name(r.verdict)}, {"detail", r.detail}};
  }
  if (!q.ccs.empty() && !i.fatbin.entries.empty()) {
    std::string why;
    bool ok = arch_covered(i.fatbin.entries, q.ccs.front(), &why);
    j["arch_coverage"] = {{"cc", q.ccs.front()}, {"covered", ok}, {"detail", why}};
  }
  return j;
}

}  // namespace cuslim
