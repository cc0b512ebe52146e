// cuslim build SPEC: bundle from an image spec (images/*.yaml), the options of bundle in a file.
#include "bundle/image_spec.h"
#include "cli/bundle_output.h"
#include "cli/command.h"
#include "cli/registry_flags.h"

namespace cuslim::cli {

namespace {

struct BuildOptions {
  std::string spec, out, report_file;
  bool quiet = false, force = false, json = false;
  std::shared_ptr<RegistryOptions> registry = std::make_shared<RegistryOptions>();
};

// OUT's own tag (oci:DIR:T, docker://HOST/REPO:T, ...) against a `tag:` the spec writes: a
// conflict names the spec, the only other source of a tag here (build has no --tag). A spec that
// writes none is tagged with its name unless OUT names a tag, which then wins.
// Both from the spec (its own `out:`): the spec's error, at its `tag:` (exit 3).
void check_spec_tag(const ImageSpec& spec, const std::string& out, bool out_from_spec) {
  std::string settled = out, out_tag;
  BundleFormat format = format_from_path(out);
  if (!spec.tag_given || !settle_output_ref(settled, format, out_tag, false).ok() || out_tag.empty() || out_tag == spec.tag) return;
  if (out_from_spec)
    fail(bad_input(spec.where("tag") + ": '" + spec.tag + "', and the spec's out: " + out + " names the tag '" + out_tag +
                   "': make them agree, or leave the tag out of one of them"));
  std::string where = spec.file.empty() ? "image spec " + spec.name : spec.file;
  fail(Error(Exit::usage, out + ": names the tag '" + out_tag + "' and " + where + " says '" + spec.tag +
                              "' (its `tag:`): make them agree, or leave the tag out of one of them"));
}

Exit run_build(const BuildOptions& b) {
  auto spec = take(read_image_spec(b.spec));
  check_spec_tag(spec, b.out.empty() ? spec.out : b.out, b.out.empty());
  auto job = take(job_from_spec(spec, b.out));
  job.request.progress = progress_line("packing", b.quiet, gzip_hint(job));
  return run_and_report(job, {"build", b.report_file, b.quiet, b.json, b.force, *b.registry});
}

}  // namespace

void add_build(CLI::App& app, RunState& state) {
  auto o = std::make_shared<BuildOptions>();
  auto* cmd = app.add_subcommand("build", "Bundle from an image spec (images/*.yaml): the options of bundle, declared in a file");
  cmd->add_option("spec", o->spec, "Image spec YAML")->required();  // a missing or unreadable spec: exit 3 from the reader
  cmd->add_option("-o,--out", o->out, "Override the spec's out")->check(file_name());
  cmd->add_option("--report", o->report_file, "Also write a report: FILE.html (a page with a treemap) or FILE.json")->check(file_name());
  cmd->add_flag("--json", o->json, "Print the summary as JSON on stdout instead of text (the --report FILE.json fields)");
  cmd->add_flag("-q,--quiet", o->quiet, "No progress and no summary");
  cmd->add_flag("--force", o->force, "Replace OUT even when it is a non-empty directory that is not an OCI layout");
  add_registry_flags(cmd, o->registry, true);
  cmd->footer(
      "Examples:\n  cuslim build images/smoke-driver.yaml\n  cuslim build images/smoke-cublas.yaml -o /tmp/cublas.docker.tar\n"
      "  cuslim build images/smoke-cublas.yaml --report cublas.html\n"
      "Relative paths in a spec are taken from the working directory.\n"
      "Exit: 0 written; 1 a dependency is missing; 2 usage (including a refused OUT); 3 unreadable spec or input;\n"
      "4 a registry failed (a docker:// OUT or base).");
  cmd->callback([o, &state] { state.exit = run_build(*o); });
}

}  // namespace cuslim::cli
