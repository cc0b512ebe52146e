#include "core/plural.h"
#include "cli/bundle_output.h"

#include <sstream>

#include "bundle/bundle_report.h"
#include "cli/registry_flags.h"
#include "core/output_guard.h"
#include "report/report_file.h"
#include "report/report_json.h"

namespace cuslim::cli {

std::string gzip_hint(BundleFormat f, Compression compression) {
  if (f == BundleFormat::tar_gz) return "a .tar.zst output (--format tar.zst) packs several times faster";
  bool layers = f == BundleFormat::oci || f == BundleFormat::oci_archive || f == BundleFormat::docker_archive;
  return layers && compression == Compression::gzip ? "--compression zstd is several times faster" : "";
}

std::string gzip_hint(const BundleJob& job) {
  std::string out = job.request.out, tag;
  auto format = job.format.empty() ? format_from_path(out) : parse_format(job.format).value_or(BundleFormat::oci);
  if (!settle_output_ref(out, format, tag, !job.format.empty()).ok()) return "";  // refused later, with its error
  return gzip_hint(format, job.compression == "zstd" ? Compression::zstd : Compression::gzip);
}

void write_report_after_output(const std::string& file, const nlohmann::json& report, const std::string& out) {
  if (auto st = write_report_file(file, report); !st.ok())
    fail(Error(st.error().code(), (st.error().message().rfind("--report", 0) == 0 ? "" : "--report ") + st.error().message() +
                                      " (the output was written: " + out + ")"));
}

void pruning_notice(const PruneReport& prune, bool summary_printed) {
  if (!summary_printed && prune.nvidia_pruned)
    std::cerr << "cuslim: notice: " << count_of(prune.nvidia_pruned, "NVIDIA library", "NVIDIA libraries") << " pruned (--gpu-arch); see the README on their licence\n";
}

void write_reports(const std::function<nlohmann::json()>& make_report, const std::string& report_file, bool json, const std::string& out) {
  if (report_file.empty() && !json) return;
  auto j = make_report();
  if (!report_file.empty()) write_report_after_output(report_file, j, out);
  if (json) {  // the summary: the same fields with or without --report (groups are the report's)
    j.erase("groups");
    std::cout << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  }
}

namespace {

Exit report(const BundleResult& r, const BundleRequest& req, const Output& o) {
  end_progress_line();
  for (auto& w : r.plan.warnings) print_warning(w);
  for (auto& w : r.prune.warnings) print_warning(w);
  pruning_notice(r.prune, !o.quiet && !o.json);
  write_reports([&] { return bundle_report(r, o.command, req.out); }, o.report_file, o.json, req.out);
  if (!o.quiet && !o.json) {
    std::ostringstream summary;
    bundle_summary(r, req, summary, o.command);
    std::cout << terminal_safe(summary.str());
  }
  report_push(r.pushed, r.image ? std::optional<Digest>(r.image->manifest) : std::nullopt, o.registry, o.json);
  return Exit::ok;
}

void use_registry(BundleJob& job, const RegistryOptions& registry, bool quiet) {
  job.request.registry = registry;
  job.request.push_progress = progress_line("pushing", quiet);
  job.pull_progress = progress_line("pulling", quiet);
}

}  // namespace

Exit run_and_report(BundleJob& job, const Output& o) {
  if (!o.report_file.empty()) {
    take(check_report_target("--report", o.report_file, job.request.out));
    job.request.side_outputs.emplace_back("--report", o.report_file);
  }
  check_digestfile(o.registry, job.request.out, job.request.side_outputs);
  check_registry_creds(o.registry, {job.analysis.base}, job.request.out);
  take(check_distinct_outputs(job.request.side_outputs));
  job.request.force = o.force;
  job.request.prune.measure = job.request.report_contents = !o.report_file.empty();
  use_registry(job, o.registry, o.quiet);
  auto r = take(bundle_job(job));
  job.request.format = r.format;
  job.request.base = job.analysis.base;  // as the user named it (a profile, or an image)
  return report(r, job.request, o);
}

}  // namespace cuslim::cli
