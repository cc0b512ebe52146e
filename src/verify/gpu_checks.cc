#include "verify/gpu_checks.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/beside_self.h"
#include "core/json_text.h"
#include "core/path.h"
#include "core/unique_fd.h"
#include "sandbox/run_setup.h"
#include "verify/framework_smokes.h"
#include "core/fs.h"

namespace cuslim {

namespace {

// One of cuslim's own smokes, beside the binary (installed or in the build tree).
std::optional<std::string> own_smoke(const std::string& name) {
  return find_beside_self({name, "kernels/" + name, "../kernels/" + name}, X_OK);
}

bool has_file_named(const std::string& rootfs, const std::string& name) {
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(rootfs, ec); !ec && it != std::filesystem::recursive_directory_iterator();
       it.increment(ec))
    if (it->path().filename() == name) return true;
  return false;
}

// The image's smoke-* programs (in-image paths, sorted).
std::vector<std::string> smokes_in(const std::string& rootfs) {
  std::vector<std::string> out;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(rootfs, ec); !ec && it != std::filesystem::recursive_directory_iterator();
       it.increment(ec)) {
    auto name = it->path().filename().string();
    std::error_code st_ec;
    if (name.rfind("smoke-", 0) == 0 && std::filesystem::is_regular_file(it->symlink_status(st_ec)) && ::access(it->path().c_str(), X_OK) == 0)
      out.push_back("/" + it->path().lexically_relative(rootfs).string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Runs one smoke; its stdout is the check's detail.
Check run_smoke(SandboxSpec spec, const std::string& smoke, const std::string& staging, std::string& output) {
  bool injected = smoke.rfind("/.cuslim/", 0) == 0;
  std::string name = "gpu-smoke " + path::basename(smoke) + (injected ? " (injected by cuslim)" : "");
  spec.argv = {smoke};
  std::string log = staging + "/smoke.out";
  UniqueFd fd(::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd) return {name, CheckStatus::fail, Error::from_errno(log, errno).message()};
  spec.stdout_fd = fd.get();
  bool timed_out = false;
  auto rc = run_sandbox(spec, &timed_out);
  fd.reset();
  output = read_smoke_log(log);
  if (!rc.ok()) return {name, CheckStatus::fail, rc.error().message()};
  if (timed_out) return {name, CheckStatus::fail, timed_out_detail(spec.timeout_s, output)};
  return {name, *rc == 0 ? CheckStatus::pass : CheckStatus::fail, "exit " + std::to_string(*rc) + ": " + output};
}

}  // namespace

std::optional<unsigned> compute_capability_of(const std::string& line) {
  auto j = parse_json_or_discarded(line);
  if (!j.is_object() || !j.contains("compute_capability") || !j["compute_capability"].is_string()) return std::nullopt;
  std::string cc = j["compute_capability"].get<std::string>();
  auto dot = cc.find('.');
  if (dot == std::string::npos) return std::nullopt;
  unsigned major = 0, minor = 0;
  auto a = std::from_chars(cc.data(), cc.data() + dot, major);
  auto b = std::from_chars(cc.data() + dot + 1, cc.data() + cc.size(), minor);
  if (a.ec != std::errc() || a.ptr != cc.data() + dot || b.ec != std::errc() || b.ptr != cc.data() + cc.size() || minor > 9 || major > 99)
    return std::nullopt;
  return major * 10 + minor;
}

unsigned run_gpu_checks(const GpuCheckRequest& req, const UnpackedImage& img, const Classifier& c, VerifyReport& report) {
  auto prepared = prepare_unpacked(img, GpuMode::on, req.staging + "/gpu");
  if (!prepared.ok()) {
    report.checks.push_back({"gpu", CheckStatus::fail, prepared.error().message()});
    return 0;
  }
  prepared->spec.timeout_s = req.smoke_timeout_s;
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
    report.checks.push_back({"gpu-smoke", CheckStatus::fail,
                             "the image has no smoke-* program and cuslim's smoke-driver was not found beside the cuslim binary"});
    return 0;
  }
  unsigned cc = 0;
  for (auto& s : smokes) {
    std::string out;
    report.checks.push_back(run_smoke(prepared->spec, s, req.staging, out));
    if (report.checks.back().status == CheckStatus::fail && prepared->forward_compat && prepared->forward_compat->use_compat)
      report.checks.back().detail += " (the image's cuda-compat was used: " + prepared->forward_compat->why + "; " + kDataCenterOnly + ")";
    if (report.checks.back().status == CheckStatus::pass && !cc && !req.cc_given)
      cc = compute_capability_of(out.substr(out.rfind('\n') == std::string::npos ? 0 : out.rfind('\n') + 1)).value_or(0);
  }
  for (auto& check : run_framework_smokes(prepared->spec, prepared->spec.rootfs, img.config.entrypoint, req.staging))
    report.checks.push_back(std::move(check));
  if (cc)
    for (auto& check : report.checks)
      if (check.name == "arch-coverage") check = coverage_check(img, c, {cc});
  return cc;
}

}  // namespace cuslim
