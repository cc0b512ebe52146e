// cuslim verify IMAGE|BUNDLE [--gpu]: the static checks, and with --gpu the smoke kernels run
// inside the sandbox with only the host driver injected.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iomanip>
#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "cli/run_setup.h"
#include "core/atomic_output.h"
#include "core/path.h"
#include "profile/profile_set.h"
#include "verify/verifier.h"

namespace cuslim::cli {

namespace {

struct VerifyOptions {
  std::string image, driver_version, junit, tag;
  unsigned cc = 0;
  bool gpu = false, json = false;
};

// One of cuslim's own smokes, beside the binary (installed or in the build tree).
std::optional<std::string> own_smoke(const std::string& name) {
  std::error_code ec;
  auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return std::nullopt;
  auto dir = self.parent_path();
  for (auto cand : {dir / name, dir / "kernels" / name, dir.parent_path() / "kernels" / name})
    if (::access(cand.c_str(), X_OK) == 0) return cand.string();
  return std::nullopt;
}

bool has_file_named(const std::string& rootfs, const std::string& name) {
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(rootfs, ec); it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) break;
    if (it->path().filename() == name) return true;
  }
  return false;
}

std::vector<std::string> smokes_in(const std::string& rootfs) {
  std::vector<std::string> out;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(rootfs, ec); it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) break;
    auto name = it->path().filename().string();
    if (name.rfind("smoke-", 0) == 0 && std::filesystem::is_regular_file(it->symlink_status(ec)) && ::access(it->path().c_str(), X_OK) == 0)
      out.push_back("/" + it->path().lexically_relative(rootfs).string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

unsigned cc_of(const std::string& smoke_json) {
  auto j = nlohmann::json::parse(smoke_json, nullptr, false);
  if (j.is_discarded() || !j.contains("compute_capability")) return 0;
  std::string cc = j["compute_capability"];
  auto dot = cc.find('.');
  return dot == std::string::npos ? 0 : static_cast<unsigned>(std::stoi(cc.substr(0, dot)) * 10 + std::stoi(cc.substr(dot + 1)));
}

// Runs every smoke of the image (or cuslim's own smoke-driver) in the sandbox.
void gpu_checks(const VerifyOptions& o, const std::string& staging, VerifyReport& report, unsigned& cc, const Classifier& c,
                const UnpackedImage& img) {
  auto prepared = prepare_run(o.image, o.tag, "on", staging + "/gpu");
  if (!prepared.ok()) {
    report.checks.push_back({"gpu", "fail", prepared.error().message()});
    return;
  }
  // cuslim's own smoke-driver first (the driver path alone, and the GPU's compute capability),
  // then every smoke the image carries.
  auto smokes = smokes_in(prepared->spec.rootfs);
  bool has_nccl_smoke = std::any_of(smokes.begin(), smokes.end(), [](auto& s) { return path::basename(s) == "smoke-nccl"; });
  // An image that carries libnccl gets an all-reduce across every visible GPU (one rank on one GPU).
  if (!has_nccl_smoke && has_file_named(prepared->spec.rootfs, "libnccl.so.2"))
    if (auto nccl = own_smoke("smoke-nccl")) {
      prepared->spec.binds.push_back({*nccl, "/.cuslim/smoke-nccl", true});
      smokes.push_back("/.cuslim/smoke-nccl");
    }
  if (auto own = own_smoke("smoke-driver")) {
    prepared->spec.binds.push_back({*own, "/.cuslim/smoke-driver", true});
    smokes.insert(smokes.begin(), "/.cuslim/smoke-driver");
  } else if (smokes.empty()) {
    report.checks.push_back({"gpu-smoke", "fail", "the image has no smoke-* program and cuslim's smoke-driver was not found beside the cuslim binary"});
    return;
  }
  for (auto& s : smokes) {
    bool injected = s.rfind("/.cuslim/", 0) == 0;
    auto spec = prepared->spec;
    spec.argv = {s};
    std::string log = staging + "/smoke.out";
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    spec.stdout_fd = fd;
    auto rc = run_sandbox(spec);
    ::close(fd);
    std::ifstream in(log);
    std::string out((std::istreambuf_iterator<char>(in)), {});
    while (!out.empty() && out.back() == '\n') out.pop_back();
    std::string name = "gpu-smoke " + path::basename(s) + (injected ? " (injected by cuslim)" : "");
    if (!rc.ok()) report.checks.push_back({name, "fail", rc.error().message()});
    else report.checks.push_back({name, *rc == 0 ? "pass" : "fail", "exit " + std::to_string(*rc) + ": " + out});
    if (rc.ok() && *rc == 0 && !cc) {
      auto last = out.substr(out.rfind('\n') == std::string::npos ? 0 : out.rfind('\n') + 1);
      cc = cc_of(last);
    }
  }
  if (cc && !o.cc)
    for (auto& check : report.checks)
      if (check.name == "arch-coverage") check = coverage_check(img, c, cc);
}

void render(const VerifyReport& r, const std::string& image, std::ostream& out) {
  out << "verify " << image << "\n";
  for (auto& c : r.checks)
    out << "  " << std::left << std::setw(5) << (c.status == "pass" ? "PASS" : c.status == "fail" ? "FAIL" : "SKIP") << std::setw(18) << c.name << " "
        << c.detail << "\n";
  out << (r.ok() ? "OK" : "FAILED") << "\n";
}

Exit run_verify(const VerifyOptions& o) {
  auto staging = take(Staging::make());
  auto img = take(unpack_image(o.image, staging.path() + "/static", o.tag));
  auto set = take(ProfileSet::builtin());
  auto classifier = take(Classifier::make(set, "glibc"));
  VerifyInputs in;
  in.cc = o.cc;
  for (auto& p : classifier.active())
    if (p.kind == "driver") in.driver_needs.insert(in.driver_needs.end(), p.image_needs.begin(), p.image_needs.end());
  if (!o.driver_version.empty()) {
    in.driver = Version::parse(o.driver_version);
    if (!in.driver) fail(Error(Exit::usage, "--driver-version '" + o.driver_version + "': not a version like 580.65.06"));
    in.driver_source = "driver " + o.driver_version;
  } else {
    Root host("/");
    auto d = find_host_driver(host, classifier, {});
    if (d.ok() && *d) {
      in.driver = (*d)->version;
      in.driver_source = "host driver " + (*d)->version_text;
    }
  }
  auto report = verify_static(img, classifier, in);
  unsigned cc = o.cc;
  if (o.gpu) gpu_checks(o, staging.path(), report, cc, classifier, img);
  if (o.json) std::cout << report.to_json().dump(2) << "\n";
  else render(report, o.image, std::cout);
  if (!o.junit.empty()) {
    AtomicOutput out(o.junit);
    std::ofstream(out.temp()) << report.junit("cuslim verify " + o.image);
    take(out.commit());
  }
  return report.ok() ? Exit::ok : Exit::check_failed;
}

}  // namespace

void add_verify(CLI::App& app, RunState& state) {
  auto o = std::make_shared<VerifyOptions>();
  auto* cmd = app.add_subcommand("verify", "Check an image: no toolkit, no driver, everything resolves, runtime vs driver, GPU smokes");
  cmd->add_option("image", o->image, "OCI layout dir, oci-archive, docker-archive, rootfs tarball or rootfs dir")->required();
  cmd->add_flag("--gpu", o->gpu, "Also run the smoke kernels (the image's smoke-*, else cuslim's smoke-driver) with the host driver");
  cmd->add_option("--driver-version", o->driver_version, "Judge the bundled runtime against this driver (default: the host's)");
  cmd->add_option("--gpu-arch", o->cc, "Compute capability for fatbin coverage, e.g. 90 (default: from --gpu's smoke)");
  cmd->add_flag("--json", o->json, "Machine-readable report: {ok, checks: [{name, status, detail}]}");
  cmd->add_option("--junit", o->junit, "Also write the report as JUnit XML to this file");
  cmd->add_option("--tag", o->tag, "Pick the manifest with this ref name in an OCI index");
  cmd->footer(
      "Examples:\n"
      "  cuslim verify out/smoke-cublas --driver-version 570.124.06 --gpu-arch 90\n"
      "  cuslim verify app.docker.tar --junit verify.xml      # in CI, no GPU\n"
      "  cuslim verify --gpu app-oci                           # on a GPU node\n"
      "Exit: 0 all checks pass or skip; 1 any check failed; 3 unreadable image.");
  cmd->callback([o, &state] { state.exit = run_verify(*o); });
}

}  // namespace cuslim::cli
