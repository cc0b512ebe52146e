// cuslim inspect FILE...: CUDA version of runtime libraries, driver version and fwd-compat note
// of driver libraries, fatbin entries per arch.
#include <filesystem>
#include <iomanip>
#include <sstream>

#include "cli/command.h"
#include "core/plural.h"
#include "core/units.h"
#include "cli/analysis_flags.h"
#include "core/fs.h"
#include "profile/inspection.h"
#include "prune/fatbin_prune.h"
#include "prune/gpu_arch.h"

namespace cuslim::cli {

namespace {

struct InspectOptions {
  std::vector<std::string> files;
  bool json = false;
  std::string driver_version;  // verdict of each runtime library against this driver
  std::string gpu_arch;        // arch coverage and what pruning would remove (e.g. 90 or 80,90)
  AnalysisFlags setup;
};

std::string mb(uint64_t bytes) { return human_bytes(bytes); }

std::vector<std::pair<std::string, uint64_t>> archs_in_order(const nlohmann::json& by_arch) {
  std::vector<std::pair<std::string, uint64_t>> v;
  for (auto& [arch, bytes] : by_arch.items()) v.emplace_back(arch, bytes.get<uint64_t>());
  std::sort(v.begin(), v.end(), [](auto& x, auto& y) { return arch_name_less(x.first, y.first); });
  return v;
}

// What --gpu-arch would remove: bytes per arch and per section, containers left whole.
void render_prune(const nlohmann::json& p, uint64_t containers, std::ostream& out) {
  std::string archs;
  for (auto& a : p["archs"]) archs += (archs.empty() ? "sm_" : ",sm_") + std::to_string(a.get<unsigned>());
  out << "  --gpu-arch " << archs << " would zero " << mb(p["bytes_zeroed"]) << " and keep " << mb(p["kept_bytes"]) << " of GPU code; "
      << p["containers_rewritten"] << " of " << containers << " containers rewritten, " << p["containers_without_code"]
      << " without code for these GPUs (kept: their smallest entry)";
  if (p["containers_not_parsed"].get<uint64_t>()) out << ", " << p["containers_not_parsed"] << " left whole (not parsed)";
  out << "; per arch, entries with their headers:\n";
  for (auto& [arch, bytes] : archs_in_order(p["zeroed_by_arch"])) out << "    - " << std::left << std::setw(14) << arch << mb(bytes) << "\n";
  for (auto& [section, bytes] : p["zeroed_by_section"].items()) out << "    in " << std::left << std::setw(16) << section << mb(bytes) << "\n";
  for (auto& n : p["not_indexed"])
    out << "    untouched: " << n["section"].get<std::string>() << " " << mb(n["bytes"]) << " (library-private store, not indexed)\n";
}

void render_text(const nlohmann::json& j, std::ostream& out) {
  out << j["path"].get<std::string>() << "  {" << j["class"].get<std::string>() << "}";
  if (!j["rule"].get<std::string>().empty()) out << " " << j["rule"].get<std::string>();
  out << "\n";
  if (!j["cuda_version"].is_null())
    out << "  CUDA " << j["cuda_version"].get<std::string>() << "  (" << j["cuda_version_source"].get<std::string>() << ")\n";
  if (!j["library_version"].is_null() && !(j["library_version"] == j["cuda_version"] && j["library_version_source"] == j["cuda_version_source"]))
    out << "  version " << j["library_version"].get<std::string>() << "  (" << j["library_version_source"].get<std::string>() << ")\n";
  if (!j["version_cross_check"].get<std::string>().empty()) out << "  " << j["version_cross_check"].get<std::string>() << "\n";
  if (!j["driver_version"].is_null()) out << "  driver " << j["driver_version"].get<std::string>() << " (from the file name)\n";
  if (!j["fwd_compat"].is_null()) out << "  .note.cuda.fwd_compatibility: " << j["fwd_compat"].dump() << "\n";
  if (j.contains("compat"))
    out << "  on driver " << j["compat"]["driver"].get<std::string>() << ": " << j["compat"]["verdict"].get<std::string>() << " -- "
        << j["compat"]["detail"].get<std::string>() << "\n";
  auto& f = j["fatbin"];
  if (f["entries"].get<size_t>() == 0 && f["elsewhere"].empty()) {
    if (f["warnings"].empty()) out << "  no fatbin (no GPU code)\n";
    else  // a section whose first container does not parse is not "no GPU code"
      for (auto& w : f["warnings"]) out << "  fatbin not readable: " << w.get<std::string>() << "\n";
    return;
  }
  out << "  fatbin: " << count_of(f["containers"].get<uint64_t>(), "container") << ", " << count_of(f["entries"].get<uint64_t>(), "entry", "entries") << "\n";
  for (auto& a : f["archs"]) {
    out << "    " << std::left << std::setw(14) << a["arch"].get<std::string>() << (a["kind"] == "ptx" ? "PTX " : a["kind"] == "sass" ? "SASS" : a["kind"] == "lto" ? "LTO " : "?   ") << " x"
        << std::setw(5) << a["entries"].get<int>() << " " << std::setw(10) << mb(a["stored_bytes"]);
    if (a["compressed"].get<int>()) out << " (" << a["compressed"].get<int>() << " compressed, " << mb(a["uncompressed_bytes"]) << " unpacked)";
    if (a.contains("ptx_isa")) out << " ISA " << a["ptx_isa"].get<std::string>();
    out << "\n";
  }
  for (auto& e : f["elsewhere"])
    out << "    GPU code outside .nv_fatbin: " << e["section"].get<std::string>() << " " << mb(e["bytes"]) << ", " << e["containers"]
        << " fatbin containers\n";
  for (auto& w : f["warnings"]) out << "    warning: " << w.get<std::string>() << "\n";
  if (j.contains("arch_coverage"))
    out << "  sm_" << j["arch_coverage"]["cc"] << ": " << (j["arch_coverage"]["covered"].get<bool>() ? "runs" : "NOT covered") << " ("
        << j["arch_coverage"]["detail"].get<std::string>() << ")\n";
  if (j.contains("gpu_prune")) render_prune(j["gpu_prune"], f["containers"].get<uint64_t>(), out);
}

Exit run_inspect(const InspectOptions& o) {
  auto a = take(Analysis::make(o.setup.options()));
  InspectQuestions q{.driver_text = o.driver_version};
  if (!o.gpu_arch.empty()) q.ccs = take(parse_gpu_archs(o.gpu_arch));
  if (!o.driver_version.empty()) {
    q.driver = Version::parse_driver(o.driver_version);
    if (!q.driver) fail(Error(Exit::usage, "--driver-version: '" + o.driver_version + "' is not a version like 580.65.06"));
  }
  nlohmann::json all = nlohmann::json::array();
  Exit worst = Exit::ok;
  for (auto& f : o.files) {  // every bad file is reported; the others are still inspected
    std::string p = a.root().is_host() && !f.empty() && f[0] != '/' ? absolute_path(f).value_or(f) : f;
    auto i = inspect(a.root(), p, a.classifier());
    if (!i.ok()) worst = std::max(worst, static_cast<Exit>(report_error(i.error())));
    else all.push_back(inspection_report(*i, q));
    if (i.ok() && !q.ccs.empty()) {  // what --gpu-arch would remove from this file
      auto pr = FatbinPrune::plan(a.root().host_path(i->realpath), p, q.ccs);
      if (!pr.ok()) worst = std::max(worst, static_cast<Exit>(report_error(pr.error())));
      else (all.back()["gpu_prune"] = to_json(pr->stats))["archs"] = q.ccs;
    }
  }
  if (o.json) std::cout << all.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  else
    for (auto& j : all) render_text(j, std::cout);
  return worst;
}

}  // namespace

void add_inspect(CLI::App& app, RunState& state) {
  auto o = std::make_shared<InspectOptions>();
  auto* cmd = app.add_subcommand("inspect", "What a file is in CUDA terms: class, CUDA/driver version, fatbin archs");
  cmd->add_option("files", o->files, "ELF files")->required();
  cmd->add_flag("--json", o->json, "Machine-readable output");
  cmd->add_option("--driver-version", o->driver_version, "Compat verdict of each runtime library against this driver (e.g. 580.65.06)")
      ->check(driver_version());
  cmd->add_option("--gpu-arch", o->gpu_arch,
                  "Arch coverage for these compute capabilities (e.g. 90 or 80,90), and what bundle --gpu-arch would remove")
      ->check(gpu_arch_list());
  o->setup.add_to(*cmd);
  cmd->footer(
      "Examples:\n"
      "  cuslim inspect /usr/local/cuda/lib64/libcublas.so.13\n"
      "  cuslim inspect --json /usr/local/nvidia/lib64/libcuda.so.1 | jq .[0].fwd_compat\n"
      "  cuslim inspect --driver-version 570.124.06 --gpu-arch 90 libcudart.so.13 libcublasLt.so.13\n"
      "Several files: each bad one is reported on stderr, the rest are inspected; the exit code is the worst.\n"
      "Exit: 0; 2 usage (a bad --driver-version or --gpu-arch); 3 unreadable input.");
  cmd->callback([o, &state] { state.exit = run_inspect(*o); });
}

}  // namespace cuslim::cli
