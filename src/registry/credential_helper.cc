#include "registry/credential_helper.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <mutex>
#include <nlohmann/json.hpp>

#include "core/json_text.h"
#include "core/unique_fd.h"

namespace cuslim {

namespace {

// Helpers running now, by process group: SIGINT, SIGTERM and SIGHUP kill them before the handler
// installed earlier (core/signal_cleanup.h: temp outputs removed, the signal re-raised) runs.
// Slots of atomics, as signal_cleanup's: the handler may run on any thread, at any point.
constexpr int kGroups = 32;
std::atomic<pid_t> g_groups[kGroups];
struct sigaction g_previous[3];
constexpr int kSignals[3] = {SIGINT, SIGTERM, SIGHUP};

void kill_helpers_then_chain(int sig) {
  for (auto& g : g_groups)
    if (pid_t p = g.load(); p > 0) ::kill(-p, SIGKILL);
  for (int i = 0; i < 3; ++i) {
    if (kSignals[i] != sig) continue;
    auto& prev = g_previous[i];
    if (!(prev.sa_flags & SA_SIGINFO) && prev.sa_handler != SIG_DFL && prev.sa_handler != SIG_IGN) return prev.sa_handler(sig);
    if (prev.sa_handler == SIG_IGN) return;
  }
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

// Registers a helper's process group for the signal handler while it lives.
class HelperGroup {
 public:
  explicit HelperGroup(pid_t pgid) {
    static std::once_flag once;
    std::call_once(once, [] {
      struct sigaction sa {};
      sa.sa_handler = kill_helpers_then_chain;
      sigemptyset(&sa.sa_mask);
      for (int i = 0; i < 3; ++i) ::sigaction(kSignals[i], &sa, &g_previous[i]);
    });
    for (int i = 0; i < kGroups; ++i) {
      pid_t expected = 0;
      if (g_groups[i].compare_exchange_strong(expected, pgid)) {
        slot_ = i;
        return;
      }
    }
  }
  ~HelperGroup() {
    if (slot_ >= 0) g_groups[slot_].store(0);
  }
  HelperGroup(const HelperGroup&) = delete;
  HelperGroup& operator=(const HelperGroup&) = delete;

 private:
  int slot_ = -1;
};

}  // namespace

double credential_helper_timeout_s() {
  if (const char* v = std::getenv("CUSLIM_CRED_HELPER_TIMEOUT_S"); v && *v) {
    char* end = nullptr;
    double s = std::strtod(v, &end);
    if (end && *end == '\0' && s > 0 && s <= 3600) return s;
  }
  return kCredentialHelperTimeoutS;
}

Result<std::optional<Credentials>> run_credential_helper(const std::string& name, const std::string& server) {
  std::string prog = "docker-credential-" + name;
  if (name.empty() || name.find('/') != std::string::npos) return bad_input("credential helper '" + name + "': not a helper name");
  // The server goes in through a memfd, not a pipe: a helper that exits without reading cannot
  // SIGPIPE cuslim.
  UniqueFd in(::memfd_create("cuslim-cred", MFD_CLOEXEC));
  int out[2];
  if (!in || ::pipe2(out, O_CLOEXEC) != 0) return Error::from_errno(prog, errno);
  UniqueFd out_r(out[0]), out_w(out[1]);
  if (::write(in.get(), server.data(), server.size()) != static_cast<ssize_t>(server.size()) || ::lseek(in.get(), 0, SEEK_SET) != 0)
    return Error::from_errno(prog, errno);
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) return Error::from_errno(prog, errno);
  if (pid == 0) {
    // Its own process group, so that it and whatever it starts are killed together; and killed
    // if cuslim dies without a word (SIGKILL).
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    ::dup2(in.get(), 0);
    ::dup2(out_w.get(), 1);
    ::execlp(prog.c_str(), prog.c_str(), "get", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::setpgid(pid, pid);  // either side may win the race; both ask for the same group
  HelperGroup on_signal(pid);
  out_w.reset();
  std::string where = prog + " get (" + server + ")";
  // Its answer, until EOF or the time limit: a helper that never answers (a locked keychain, a
  // prompt nobody sees) must not hang cuslim.
  double limit = credential_helper_timeout_s();
  auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(limit);
  std::string text;
  bool timed_out = false;
  char buf[4096];
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
    if (left <= 0) {
      timed_out = true;
      break;
    }
    pollfd p{out_r.get(), POLLIN, 0};
    int ready = ::poll(&p, 1, static_cast<int>(std::min<long long>(left, 1000)));
    if (ready < 0 && errno != EINTR) break;
    if (ready <= 0) continue;
    ssize_t n = ::read(out_r.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0 || text.size() > (1u << 20)) break;
    text.append(buf, static_cast<size_t>(n));
  }
  if (timed_out) ::kill(-pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  ::kill(-pid, SIGKILL);  // whatever it left behind in its group
  if (timed_out) {
    char secs[32];
    std::snprintf(secs, sizeof secs, "%g", limit);
    return bad_input(where + ": no answer within " + secs + " s: killed (the docker config's credHelpers/credsStore; "
                     "CUSLIM_CRED_HELPER_TIMEOUT_S sets the limit)");
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 127) return bad_input(where + ": the helper is not on PATH (credHelpers/credsStore of the docker config)");
  if (text.find("credentials not found") != std::string::npos) return std::optional<Credentials>{};
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::string why = WIFEXITED(status) ? "exit " + std::to_string(WEXITSTATUS(status)) : "killed by signal " + std::to_string(WTERMSIG(status));
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    return bad_input(where + ": failed (" + why + ")" + (text.empty() ? " (its message, if any, is on stderr above)" : ": " + text.substr(0, 200)));
  }
  auto j = parse_json_or_discarded(text);
  if (!j.is_object() || !j.contains("Username") || !j["Username"].is_string() || !j.contains("Secret") || !j["Secret"].is_string())
    return bad_input(where + ": the answer is not {\"Username\", \"Secret\"}");
  std::string user = j["Username"].get<std::string>();
  if (user == "<token>")  // docker's convention: the secret is an identity (OAuth refresh) token
    return std::optional<Credentials>{Credentials{.source = prog, .identity_token = j["Secret"].get<std::string>()}};
  return std::optional<Credentials>{Credentials{user, j["Secret"].get<std::string>(), prog}};
}

}  // namespace cuslim
