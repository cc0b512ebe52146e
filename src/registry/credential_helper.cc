#include "registry/credential_helper.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "core/json_text.h"
#include "core/unique_fd.h"

namespace cuslim {

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
  pid_t pid = ::fork();
  if (pid < 0) return Error::from_errno(prog, errno);
  if (pid == 0) {
    ::dup2(in.get(), 0);
    ::dup2(out_w.get(), 1);
    ::execlp(prog.c_str(), prog.c_str(), "get", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  out_w.reset();
  std::string text;
  char buf[4096];
  for (ssize_t n; (n = ::read(out_r.get(), buf, sizeof buf)) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 || text.size() > (1u << 20)) break;
    text.append(buf, static_cast<size_t>(n));
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  std::string where = prog + " get (" + server + ")";
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
  if (user == "<token>") return bad_input(where + ": an identity token (OAuth refresh token) is not supported yet");
  return std::optional<Credentials>{Credentials{user, j["Secret"].get<std::string>(), prog}};
}

}  // namespace cuslim
