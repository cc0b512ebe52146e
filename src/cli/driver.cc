// cuslim driver: the host's NVIDIA driver as the container stack would find it.
#include "cli/command.h"
#include "cli/analysis_flags.h"
#include "core/path.h"
#include "loader/search_plan.h"
#include "sandbox/host_driver.h"

namespace cuslim::cli {

namespace {

struct DriverOptions {
  bool json = false;
  AnalysisFlags setup;
};

void render_text(const HostDriver& d, std::ostream& out) {
  out << "NVIDIA driver " << d.version_text;
  if (d.cuda_version) out << ", supports CUDA " << d.cuda_version->str(2);
  out << "\n  libcuda: " << (d.libcuda.empty() ? "none (no compute library: this install has NVML and other utility libraries only)" : d.libcuda) << "\n";
  if (d.fwd_compat && d.fwd_compat->contains("driver")) out << "  forward-compat note: driver branches " << (*d.fwd_compat)["driver"].dump() << "\n";
  out << "  library dirs:";
  for (auto& l : d.library_dirs) out << " " << l;
  std::map<std::string, std::vector<std::string>> by_cap;
  for (auto& l : d.libraries) by_cap[l.capability].push_back(l.path);
  out << "\n  libraries by capability:\n";
  for (auto& [cap, libs] : by_cap) {
    out << "    " << cap << ":";
    for (auto& l : libs) out << " " << l;
    out << "\n";
  }
  auto list = [&](const char* what, const std::vector<std::string>& v) {
    out << "  " << what << ":" << (v.empty() ? " (none)" : "");
    for (auto& x : v) out << " " << x;
    out << "\n";
  };
  list("devices", d.devices);
  list("firmware", d.firmware);
  list("binaries", d.binaries);
}

Exit run_driver(const DriverOptions& o) {
  auto a = take(Analysis::make(o.setup.options()));
  auto llp = o.setup.options().ld_library_path;
  if (llp.empty() && a.root().is_host() && std::getenv("LD_LIBRARY_PATH")) llp = ld_library_path_dirs(std::getenv("LD_LIBRARY_PATH"));  // as the toolkit does
  auto d = take(find_host_driver(a, llp));
  if (!d) {
    if (o.json) std::cout << nlohmann::json{{"found", false}, {"root", a.root().display()}}.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    else std::cout << "no NVIDIA driver found in " << a.root().display() << " (no libcuda.so.<version> or libnvidia-ml.so.<version> in the driver dirs, LD_LIBRARY_PATH or ld.so.cache)\n";
    return Exit::check_failed;
  }
  if (o.json) std::cout << to_json(*d).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  else render_text(*d, std::cout);
  return Exit::ok;
}

}  // namespace

void add_driver(CLI::App& app, RunState& state) {
  auto o = std::make_shared<DriverOptions>();
  auto* cmd = app.add_subcommand("driver", "Find the host NVIDIA driver as the container stack would: version, CUDA, libraries, devices");
  cmd->add_flag("--json", o->json, "Machine-readable output");
  o->setup.add_to(*cmd);
  cmd->footer("On the host (no --root) the LD_LIBRARY_PATH of cuslim's environment is searched as libcuda's own dlopen would,\n"
              "--env-ld-library-path or not; --ld-library-path replaces it.\n"
              "Examples:\n  cuslim driver\n  cuslim driver --json --root /host\nExit: 0 found, 1 no driver, 2 usage, 3 unreadable root.");
  cmd->callback([o, &state] { state.exit = run_driver(*o); });
}

}  // namespace cuslim::cli
