// cuslim report IMAGE -o FILE.html|FILE.json: what any image holds, by class, group and file.
#include <algorithm>
#include <iomanip>

#include "cli/command.h"
#include "core/plural.h"
#include "cli/progress.h"
#include "cli/registry_flags.h"
#include "core/output_guard.h"
#include "core/units.h"
#include "image/image_reader.h"
#include "report/report_file.h"
#include "report/report_json.h"

namespace cuslim::cli {

namespace {

struct ReportOptions {
  std::string image, out, tag;
  bool json = false;
  std::shared_ptr<RegistryOptions> registry = std::make_shared<RegistryOptions>();
};

Exit run_report(const ReportOptions& o) {
  if (!o.out.empty()) {
    take(check_report_target("-o", o.out));
    if (auto ref = parse_image_ref(o.image); ref.transport != "docker") take(check_side_output("-o", o.out, {ref.path}));
  }
  auto contents = take(read_image_contents(o.image, UnpackOptions{.tag = o.tag, .progress = progress_line("unpacking", o.json),
                                                                   .registry = *o.registry, .pull_progress = progress_line("pulling", o.json)}));
  end_progress_line();
  if (contents.files == 0) fail(bad_input(o.image + ": no files: not an image (an empty directory or image)"));
  auto j = image_report(contents, o.image);
  if (!o.out.empty()) take(write_report_file(o.out, j));
  if (o.json) {
    std::cout << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    return Exit::ok;
  }
  std::cout << "report " << o.image << ": " << count_of(contents.files, "file") << ", " << human_bytes(contents.bytes) << " unpacked\n";
  for (auto& [cls, b] : contents.bytes_by_class) std::cout << "  " << std::left << std::setw(16) << to_string(cls) << human_bytes(b) << "\n";
  std::cout << "  largest groups:\n";
  auto groups = contents.groups;
  std::sort(groups.begin(), groups.end(), [](auto& a, auto& b) { return a.bytes > b.bytes; });
  for (size_t i = 0; i < groups.size() && i < 10; ++i)
    std::cout << "    " << std::setw(10) << human_bytes(groups[i].bytes) << to_string(groups[i].cls) << "  " << terminal_safe(groups[i].key.name) << "\n";
  if (!o.out.empty()) std::cout << "  written to " << o.out << "\n";
  return Exit::ok;
}

}  // namespace

void add_report(CLI::App& app, RunState& state) {
  auto o = std::make_shared<ReportOptions>();
  auto* cmd = app.add_subcommand("report", "What any image holds: its bytes by class, group and file, as a page (HTML) or JSON");
  cmd->add_option("image", o->image, "OCI layout dir (DIR[:TAG]), oci-archive, docker-archive, docker://HOST/REPO[:TAG|@DIGEST], rootfs tarball or rootfs dir")->required();
  cmd->add_option("-o,--out", o->out, "Write FILE.html (a self-contained page with a treemap; no network) or FILE.json (default: none, text summary only)")->check(file_name());
  cmd->add_flag("--json", o->json, "Print the report as JSON on stdout instead of the text summary");
  cmd->add_option("--tag", o->tag, "Pick the manifest with this ref name in an OCI layout of several images (default: the only one; IMAGE:TAG works too)");
  add_registry_flags(cmd, o->registry, false);
  cmd->footer(
      "Examples:\n"
      "  cuslim report torch-oci -o torch.html        # open torch.html in a browser (file:// is fine)\n"
      "  cuslim report docker://registry.example/team/app:1 --cert-dir ./certs --json\n"
      "  cuslim report app.docker.tar -o app.json\n"
      "  cuslim report ./rootfs --json | jq '.bytes_by_class'\n"
      "Classes are read inside the image with the base scratch, as bundle and slim read them (its C library and loader are class app).\n"
      "Exit: 0 written; 2 usage (-o not .html or .json); 3 unreadable image, or one without files; 4 registry or network.");
  cmd->callback([o, &state] { state.exit = run_report(*o); });
}

}  // namespace cuslim::cli
