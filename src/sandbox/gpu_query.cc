#include "sandbox/gpu_query.h"

#include <dlfcn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>

#include "core/path.h"
#include "core/unique_fd.h"
#include "prune/gpu_arch.h"

namespace cuslim {

namespace {

constexpr int kAttrMajor = 75, kAttrMinor = 76;  // CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR / _MINOR
constexpr unsigned kMaxDevices = 64;

// In the child: writes "cc cc ...\n" or "error TEXT\n" to fd, then _exit.
[[noreturn]] void query_child(const std::string& libcuda, int fd) {
  auto say = [&](const std::string& s) {
    (void)!::write(fd, s.data(), s.size());
    ::_exit(0);
  };
  void* h = ::dlopen(libcuda.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!h) say(std::string("error dlopen: ") + ::dlerror() + "\n");
  using Init = int (*)(unsigned);
  using Count = int (*)(int*);
  using Get = int (*)(int*, int);
  using Attr = int (*)(int*, int, int);
  auto init = reinterpret_cast<Init>(::dlsym(h, "cuInit"));
  auto count = reinterpret_cast<Count>(::dlsym(h, "cuDeviceGetCount"));
  auto get = reinterpret_cast<Get>(::dlsym(h, "cuDeviceGet"));
  auto attr = reinterpret_cast<Attr>(::dlsym(h, "cuDeviceGetAttribute"));
  if (!init || !count || !get || !attr) say("error libcuda lacks cuInit/cuDeviceGetAttribute\n");
  if (int r = init(0); r != 0) say("error cuInit returned " + std::to_string(r) + "\n");
  int n = 0;
  if (count(&n) != 0) say("error cuDeviceGetCount failed\n");
  std::string out;
  for (int i = 0; i < n && i < static_cast<int>(kMaxDevices); ++i) {
    int dev = 0, major = 0, minor = 0;
    if (get(&dev, i) != 0 || attr(&major, kAttrMajor, dev) != 0 || attr(&minor, kAttrMinor, dev) != 0) say("error device " + std::to_string(i) + ": no attributes\n");
    out += std::to_string(major * 10 + minor) + " ";
  }
  say(out + "\n");
  ::_exit(0);  // say() ends the process; this line tells the compiler so
}

}  // namespace

Result<std::vector<unsigned>> gpu_compute_capabilities(const std::string& libcuda) {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) return Error::from_errno("pipe", errno);
  UniqueFd rd(p[0]), wr(p[1]);
  pid_t pid = ::fork();
  if (pid < 0) return Error::from_errno("fork", errno);
  if (pid == 0) {
    rd.reset();
    query_child(libcuda, wr.get());
  }
  wr.reset();
  std::string text;
  char buf[256];
  for (ssize_t n; (n = ::read(rd.get(), buf, sizeof buf)) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    text.append(buf, static_cast<size_t>(n));
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
  if (text.rfind("error ", 0) == 0 || text.empty())
    return bad_input(libcuda + ": the driver did not tell the GPUs' compute capabilities" + (text.empty() ? "" : ": " + text.substr(6, text.size() - 7)));
  std::vector<unsigned> out;
  for (auto& s : path::split_list(text.substr(0, text.find('\n')), ' '))
    if (!s.empty()) out.push_back(static_cast<unsigned>(std::stoul(s)));
  return out;
}

Status check_pruned_for(const std::map<std::string, std::string>& labels, const std::vector<unsigned>& gpus, const std::string& image) {
  auto it = labels.find(kGpuArchLabel);
  if (it == labels.end()) return ok_status();
  for (size_t i = 0; i < gpus.size(); ++i)
    if (pruned_image_serves(labels, gpus[i]) == std::optional<bool>(false))
      return Error(Exit::check_failed, image + ": its GPU code was pruned for sm_" + it->second + " (label " + kGpuArchLabel + "), but GPU " +
                                           std::to_string(i) + " of this host is sm_" + std::to_string(gpus[i]) +
                                           ": kernels it needs were removed. Rebuild with --gpu-arch including " + std::to_string(gpus[i]) +
                                           " (or run with --no-arch-check to see the failure)");
  return ok_status();
}

}  // namespace cuslim
