#include "cli/registry_flags.h"

#include <iostream>

#include "cli/command.h"
#include "core/atomic_file.h"
#include "core/output_guard.h"
#include "registry/registry_ref.h"
#include "report/report_file.h"

namespace cuslim::cli {

namespace {

// Written after the image: a failure says the image is there (as --report's does), the file once.
void write_digestfile(const std::string& file, const Digest& d) {
  if (auto w = write_file_atomic(file, d.str()); !w) {
    std::string m = w.error().message();
    if (m.rfind(file + ": ", 0) != 0) m = file + ": " + m;
    fail(Error(w.error().code(), "--digestfile " + m + " (the image was written: " + d.str() + ")"));
  }
}

}  // namespace

void add_registry_flags(CLI::App* cmd, const std::shared_ptr<RegistryOptions>& o, bool with_push) {
  auto* g = "Registry (docker://)";
  cmd->add_option("--creds", o->creds,
                  with_push ? "USER:PASS for the registry, when the command talks to one (default: auths of $DOCKER_CONFIG/config.json "
                              "or ~/.docker/config.json); two registries: --src-creds and --dest-creds"
                            : "USER:PASS for the registry (default: auths of $DOCKER_CONFIG/config.json or ~/.docker/config.json)")
      ->group(g);
  if (with_push) {
    cmd->add_option("--src-creds", o->src_creds, "USER:PASS for the registry of the input or --base (pulled from)")->group(g);
    cmd->add_option("--dest-creds", o->dest_creds, "USER:PASS for the registry of -o docker://... (pushed to)")->group(g);
  }
  cmd->add_option("--cert-dir", o->cert_dir, "docker certs.d dir: *.crt CAs added to the system store, a *.cert/*.key client pair (default: "
                  "/etc/containers/certs.d/HOST[:PORT], else /etc/docker/certs.d/HOST[:PORT], when it exists)")
      ->check(CLI::ExistingDirectory)->group(g);
  cmd->add_flag("--tls-verify", o->tls_verify, "--tls-verify=false: do not check the registry's certificate (only when asked)")->group(g);
  cmd->add_option("--registry-jobs", o->jobs, "Blobs pushed or pulled at once, each on its own connection")
      ->check(CLI::Range(1, 16))->capture_default_str()->group(g);
  if (!with_push) return;
  cmd->add_option("--digestfile", o->digestfile, "Write the image manifest's digest to this file (the pushed one, or the OCI image written)")
      ->check(file_name())
      ->group(g);
  cmd->add_option("--chunk-size", o->chunk_size, "Upload blobs in PATCH chunks of this many bytes, 0 or at least 65536 (default 0: one PUT per blob)")
      ->check(CLI::Validator(
          [](std::string& s) -> std::string {
            bool digits = !s.empty() && s.size() <= 15 && s.find_first_not_of("0123456789") == std::string::npos;
            return digits && (std::stoull(s) == 0 || std::stoull(s) >= 65536) ? "" : "'" + s + "' is not 0 or a byte count of at least 65536";
          },
          "N"))
      ->group(g);
}

void check_digestfile(const RegistryOptions& o, const std::string& out, std::vector<std::pair<std::string, std::string>>& side_outputs) {
  if (o.digestfile.empty()) return;
  // All of it here, before any work: a docker:// OUT skips the library's check of OUT and its side
  // outputs, and a push that succeeded must not then fail on the file.
  take(check_not_special("--digestfile", o.digestfile));
  take(check_side_output_dir("--digestfile", o.digestfile, is_registry_ref(out) ? "" : out));
  side_outputs.emplace_back("--digestfile", o.digestfile);
}

void check_registry_creds(const RegistryOptions& o, const std::vector<std::string>& sources, const std::string& dest) {
  if (o.creds.empty()) return;
  if (!o.src_creds.empty() || !o.dest_creds.empty())
    fail(Error(Exit::usage, "--creds goes with one registry; with --src-creds or --dest-creds, give those two instead"));
  std::vector<std::pair<std::string, std::string>> hosts;  // {host[:port], as spelled}
  for (auto& s : sources)
    if (auto r = parse_registry_ref(s); is_registry_ref(s) && r.ok()) hosts.emplace_back(r->host, s);
  if (auto r = parse_registry_ref(dest); is_registry_ref(dest) && r.ok()) hosts.emplace_back(r->host, dest);
  for (auto& [host, spelled] : hosts)
    if (host != hosts.front().first)
      fail(Error(Exit::usage, "--creds: " + hosts.front().second + " and " + spelled +
                                  " are on two registries, and one set of credentials would go to both: give --src-creds "
                                  "USER:PASS for the source and --dest-creds USER:PASS for -o"));
}

void report_push(const std::optional<PushResult>& p, const std::optional<Digest>& manifest, const RegistryOptions& o, bool json) {
  if (!p) {
    // Not pushed: --digestfile still gets the manifest's digest, as skopeo writes it for any destination.
    if (!o.digestfile.empty()) {
      if (manifest) write_digestfile(o.digestfile, *manifest);
      else std::cerr << "cuslim: warning: --digestfile " << o.digestfile << ": this output has no image manifest (a rootfs tar or dir): not written\n";
    }
    return;
  }
  // With --json stdout is the one JSON document (it has "pushed"): the line goes to stderr.
  (json ? std::cerr : std::cout) << "pushed " << p->pushed << " (" << p->blobs_uploaded << " blobs, " << p->bytes_uploaded << " bytes uploaded; "
            << p->blobs_skipped << " blobs, " << p->bytes_skipped << " bytes already there; " << p->blobs_mounted << " blobs, "
            << p->bytes_mounted << " bytes mounted from another repository)\n";
  if (!o.digestfile.empty()) write_digestfile(o.digestfile, p->manifest);
}

}  // namespace cuslim::cli
