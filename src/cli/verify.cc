// cuslim verify IMAGE|BUNDLE [--gpu]: the static checks, and with --gpu the smoke kernels run
// inside the sandbox with only the host driver injected.
#include <iomanip>
#include <sstream>

#include "cli/command.h"
#include "cli/registry_flags.h"
#include "core/atomic_file.h"
#include "core/output_guard.h"
#include "image/image_reader.h"
#include "prune/gpu_arch.h"
#include "report/report_file.h"
#include "report/report_json.h"
#include "verify/verify_image.h"

namespace cuslim::cli {

namespace {

struct VerifyOptions {
  std::string image, driver_version, junit, tag, report_file;
  std::string gpu_arch;
  bool gpu = false, json = false;
  unsigned smoke_timeout = 600;
  std::shared_ptr<RegistryOptions> registry = std::make_shared<RegistryOptions>();
};

void render(const VerifyReport& r, const std::string& image, std::ostream& out) {
  out << "verify " << image << "\n";
  for (auto& c : r.checks)
    out << "  " << std::left << std::setw(5) << (c.status == CheckStatus::pass ? "PASS" : c.status == CheckStatus::fail ? "FAIL" : "SKIP") << std::setw(18) << c.name << " "
        << c.detail << "\n";
  out << (r.ok() ? "OK" : "FAILED") << "\n";
}

Exit run_verify(const VerifyOptions& o) {
  std::vector<unsigned> ccs;
  if (!o.gpu_arch.empty()) ccs = take(parse_gpu_archs(o.gpu_arch));
  if (!o.report_file.empty()) take(check_report_target("--report", o.report_file));
  if (!o.junit.empty()) take(check_side_output_dir("--junit", o.junit));  // refused before any work, as --report
  std::vector<std::string> inputs;
  if (auto ref = parse_image_ref(o.image); ref.transport != "docker") inputs.push_back(ref.path);
  for (auto& [flag, file] : {std::pair<std::string, std::string>{"--report", o.report_file}, {"--junit", o.junit}})
    if (!file.empty()) take(check_side_output(flag, file, inputs));
  take(check_distinct_outputs({{"--report", o.report_file}, {"--junit", o.junit}}));
  ImageContents contents;
  auto report = take(verify_image({.image = o.image, .tag = o.tag, .driver_version = o.driver_version, .ccs = ccs, .gpu = o.gpu,
                                   .smoke_timeout_s = o.smoke_timeout,
                                   .progress = progress_line("unpacking", false), .registry = *o.registry,
                                   .pull_progress = progress_line("pulling", false)},
                                  o.report_file.empty() ? nullptr : &contents));
  end_progress_line();
  if (!o.report_file.empty()) take(write_report_file(o.report_file, verify_report(report, contents, o.image)));
  if (o.json) std::cout << report.to_json().dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  else {
    std::ostringstream text;
    render(report, o.image, text);
    std::cout << terminal_safe(text.str());
  }
  if (!o.junit.empty()) take(write_file_atomic(o.junit, report.junit("cuslim verify " + o.image)));
  return report.ok() ? Exit::ok : Exit::check_failed;
}

}  // namespace

void add_verify(CLI::App& app, RunState& state) {
  auto o = std::make_shared<VerifyOptions>();
  auto* cmd = app.add_subcommand("verify", "Check an image: no toolkit, no driver, everything resolves, runtime vs driver, GPU smokes");
  cmd->add_option("image", o->image, "OCI layout dir (DIR[:TAG|:@N]), oci-archive (FILE[:TAG|:@N]), docker-archive (FILE[:REF|:@N]), docker://HOST/REPO[:TAG|@DIGEST], rootfs tarball or rootfs dir (@N: the N-th image, from 0)")->required();
  auto* gpu = cmd->add_flag("--gpu", o->gpu, "Also run the smoke kernels (the image's smoke-*, else cuslim's smoke-driver) with the host driver");
  cmd->add_option("--smoke-timeout", o->smoke_timeout,
                  "With --gpu: seconds each smoke may run before it is killed and fails (0: no limit)")
      ->capture_default_str()
      ->check(whole_number())
      ->needs(gpu);  // without --gpu nothing runs: accepted in silence, it looked like a limit in force
  cmd->add_option("--driver-version", o->driver_version, "Judge the bundled runtime against this driver (default: the host's)")
      ->check(driver_version());
  cmd->add_option("--gpu-arch", o->gpu_arch,
                  "Compute capabilities for fatbin coverage, e.g. 90 or 80,90 (default: from --gpu's smoke); an image pruned for "
                  "other GPUs fails")
      ->check(gpu_arch_list());
  cmd->add_flag("--json", o->json, "Machine-readable report: {ok, checks: [{name, status, detail}]}");
  cmd->add_option("--junit", o->junit, "Also write the report as JUnit XML to this file")->check(file_name());
  cmd->add_option("--report", o->report_file,
                  "Also write a report: FILE.html (the checks and a treemap of the image's bytes) or FILE.json ({ok, checks} plus contents)")->check(file_name());
  cmd->add_option("--tag", o->tag, "Pick the manifest with this ref name in an OCI index (default: the only one; IMAGE:TAG works too)");
  add_registry_flags(cmd, o->registry, false);
  cmd->footer(
      "Examples:\n"
      "  cuslim verify out/smoke-cublas --driver-version 580.65.06 --gpu-arch 90\n"
      "  cuslim verify app.docker.tar --junit verify.xml      # in CI, no GPU\n"
      "  cuslim verify --gpu app-oci                           # on a GPU node\n"
      "  cuslim verify app-oci --report verify.html            # the checks and the image's bytes, as a page\n"
      "  cuslim verify --gpu docker://registry.example:5000/team/app:1   # pulled, checked, run\n"
      "Exit: 0 all checks pass or skip; 1 any check failed; 2 usage; 3 unreadable image; 4 a registry failed.");
  cmd->callback([o, &state] { state.exit = run_verify(*o); });
}

}  // namespace cuslim::cli
