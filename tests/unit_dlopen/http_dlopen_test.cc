// The portable build's HTTP client, built here as the portable binary builds it (CUSLIM_CURL_DLOPEN:
// the curl_* calls go through src/registry/curl_dlopen.cc to the host's libcurl.so.4, opened at
// run time) so every CI run covers it: HTTPS against `openssl s_server` with a CA made here, taken
// from a --cert-dir (the system bundle and the CA joined into one PEM blob); a wrong CA is refused.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "registry/curl_dlopen.h"
#include "registry/http_client.h"

namespace cuslim {
namespace {

namespace fs = std::filesystem;

int free_port() {
  int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  ::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
  ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(s);
  return ntohs(a.sin_port);
}

bool listening(int port) {
  int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  bool ok = ::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(s);
  return ok;
}

int sh(const std::string& cmd) { return std::system((cmd + " >/dev/null 2>&1").c_str()); }

class HttpDlopen : public ::testing::Test {
 protected:
  void SetUp() override {
    if (sh("command -v openssl") != 0) GTEST_SKIP() << "no openssl";
    char tmpl[] = "/var/tmp/cuslim-dlcurl-XXXXXX";
    dir = ::mkdtemp(tmpl);
    fs::create_directories(dir + "/certs.d");
    fs::create_directories(dir + "/wrong.d");
    std::string d = dir;
    ASSERT_EQ(sh("cd " + d + " && openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=dlcurl-ca -keyout ca.key -out certs.d/ca.crt"
                 " && openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=wrong-ca -keyout w.key -out wrong.d/ca.crt"
                 " && openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -keyout s.key -out s.csr"
                 " && printf 'subjectAltName=IP:127.0.0.1\\n' > san.ext"
                 " && openssl x509 -req -in s.csr -CA certs.d/ca.crt -CAkey ca.key -CAcreateserial -days 2 -extfile san.ext -out s.crt"),
              0);
    port = free_port();
    server = ::fork();
    if (server == 0) {
      ::setsid();
      ::execlp("openssl", "openssl", "s_server", "-quiet", "-accept", std::to_string(port).c_str(), "-cert", (d + "/s.crt").c_str(), "-key",
               (d + "/s.key").c_str(), "-www", static_cast<char*>(nullptr));
      _exit(127);
    }
    for (int i = 0; i < 200 && !listening(port); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(25));  // up within 5 s
  }
  void TearDown() override {
    if (server > 0) ::kill(server, SIGTERM), ::waitpid(server, nullptr, 0);
    if (!dir.empty()) fs::remove_all(dir);
  }
  Result<HttpResponse> get(const std::string& cert_dir) {
    CUSLIM_TRY(auto client, HttpClient::make(RegistryOptions{.cert_dir = cert_dir}, "127.0.0.1:" + std::to_string(port)));
    return client.send(HttpRequest{.url = "https://127.0.0.1:" + std::to_string(port) + "/"});
  }
  std::string dir;
  int port = 0;
  pid_t server = -1;
};

TEST_F(HttpDlopen, the_hosts_libcurl_is_opened_and_a_cert_dir_ca_verifies_the_server) {
  std::string why;
  ASSERT_TRUE(host_curl_available(&why)) << why;
  auto r = get(dir + "/certs.d");
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->status, 200);
  EXPECT_NE(r->body.find("s_server"), std::string::npos) << r->body.substr(0, 200);
}

TEST_F(HttpDlopen, a_ca_that_did_not_sign_the_server_is_refused) {
  auto r = get(dir + "/wrong.d");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("certificate"), std::string::npos) << r.error().message();
}

}  // namespace
}  // namespace cuslim
