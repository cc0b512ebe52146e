// Registry references, WWW-Authenticate challenges, docker config credentials, and the image
// transports of inputs and outputs: plain parsing, no network (tests/integration/registry.sh has the servers).
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <unistd.h>

#include <chrono>
#include <fstream>

#include "bundle/bundle.h"
#include "core/staging.h"
#include "image/image_reader.h"
#include "registry/auth_challenge.h"
#include "registry/credential_helper.h"
#include "registry/http_client.h"
#include "registry/registry_options.h"
#include "registry/registry_ref.h"

namespace cuslim {
namespace {

TEST(RegistryRef, HostPortRepoTag) {
  auto r = parse_registry_ref("docker://127.0.0.1:5000/team/app:1.2");
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->host, "127.0.0.1:5000");
  EXPECT_EQ(r->repo, "team/app");
  EXPECT_EQ(r->tag, "1.2");
  EXPECT_EQ(r->reference(), "1.2");
}

TEST(RegistryRef, DefaultsAndDigest) {
  auto r = parse_registry_ref("docker://reg.example/app");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->tag, "latest");
  std::string d = "sha256:" + std::string(64, 'a');
  auto p = parse_registry_ref("docker://reg.example:443/a/b@" + d);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->digest, d);
  EXPECT_EQ(p->reference(), d);
  auto v6 = parse_registry_ref("docker://[::1]:5000/a");
  ASSERT_TRUE(v6.ok()) << v6.error().message();
  EXPECT_EQ(v6->host, "[::1]:5000");
  ASSERT_TRUE(parse_registry_ref("docker://localhost:65535/a").ok());
  auto hub = parse_registry_ref("docker://docker.io/debian:12");
  ASSERT_TRUE(hub.ok());
  EXPECT_EQ(hub->host, "registry-1.docker.io");
  EXPECT_EQ(hub->repo, "library/debian");
}

TEST(RegistryRef, Invalid) {
  for (const char* s : {"docker://", "docker://host.example/Upper", "docker://host.example/a@sha256:12",
                        "docker://host.example/a:bad tag", "docker://127.0.0.1:99999/a", "docker://127.0.0.1:abc/a", "docker://host:/a",
                        "docker://host:0/a", "docker://bad_host.example/a", "docker://-host.example/a", "docker://ho st/a", "docker:///a",
                        "docker://Nvidia/cuda", "docker://nvidia/CUDA:1", "docker://BusyBox", "docker://a//b", "docker://a/b/"}) {
    auto r = parse_registry_ref(s);
    ASSERT_FALSE(r.ok()) << s;
    EXPECT_EQ(r.error().code(), Exit::usage) << s;
  }
  // A registry without a repository: docker's grammar makes it Docker Hub's library/HOST:PORT-as-tag.
  for (const char* s : {"docker://127.0.0.1:5000", "docker://localhost:5000", "docker://reg.example.com:443"}) {
    auto r = parse_registry_ref(s);
    ASSERT_FALSE(r.ok()) << s;
    EXPECT_EQ(r.error().code(), Exit::usage) << s;
    EXPECT_NE(r.error().message().find("a registry without a repository"), std::string::npos) << r.error().message();
  }
  EXPECT_TRUE(parse_registry_ref("docker://busybox:1").ok());  // a Hub image with a numeric tag stays one
}

// docker's rule (distribution/reference): the first component is a registry only with '.' or ':'
// in it, or as localhost; else the image is Docker Hub's.
TEST(RegistryRef, DockerHubUnlessTheFirstComponentIsAHost) {
  struct Case {
    const char* in;
    const char *host, *domain, *repo, *tag, *auth_key;
  } cases[] = {
      {"docker://nvidia/cuda:12.4.1", "registry-1.docker.io", "docker.io", "nvidia/cuda", "12.4.1", "https://index.docker.io/v1/"},
      {"docker://busybox", "registry-1.docker.io", "docker.io", "library/busybox", "latest", "https://index.docker.io/v1/"},
      {"docker://busybox:1.36", "registry-1.docker.io", "docker.io", "library/busybox", "1.36", "https://index.docker.io/v1/"},
      {"docker://a/b/c", "registry-1.docker.io", "docker.io", "a/b/c", "latest", "https://index.docker.io/v1/"},
      {"docker://docker.io/nvidia/cuda:12", "registry-1.docker.io", "docker.io", "nvidia/cuda", "12", "https://index.docker.io/v1/"},
      {"docker://index.docker.io/debian", "registry-1.docker.io", "docker.io", "library/debian", "latest", "https://index.docker.io/v1/"},
      {"docker://localhost/x", "localhost", "localhost", "x", "latest", "localhost"},
      {"docker://localhost:5000/x", "localhost:5000", "localhost:5000", "x", "latest", "localhost:5000"},
      {"docker://127.0.0.1:45001/a/b", "127.0.0.1:45001", "127.0.0.1:45001", "a/b", "latest", "127.0.0.1:45001"},
      {"docker://registry.example.com/a", "registry.example.com", "registry.example.com", "a", "latest", "registry.example.com"},
      {"docker://Registry.Example.com/a:v", "Registry.Example.com", "Registry.Example.com", "a", "v", "Registry.Example.com"},
      {"docker://myhost:5000/a/b/c:t", "myhost:5000", "myhost:5000", "a/b/c", "t", "myhost:5000"},
      {"docker://bad_host/x", "registry-1.docker.io", "docker.io", "bad_host/x", "latest", "https://index.docker.io/v1/"},
  };
  for (auto& c : cases) {
    auto r = parse_registry_ref(c.in);
    ASSERT_TRUE(r.ok()) << c.in << ": " << r.error().message();
    EXPECT_EQ(r->host, c.host) << c.in;
    EXPECT_EQ(r->domain, c.domain) << c.in;
    EXPECT_EQ(r->repo, c.repo) << c.in;
    EXPECT_EQ(r->tag, c.tag) << c.in;
    EXPECT_EQ(r->auth_key(), c.auth_key) << c.in;
    EXPECT_EQ(r->base_url(), std::string("https://") + c.host + "/v2/" + c.repo) << c.in;
  }
  std::string d = "sha256:" + std::string(64, 'b');
  auto pinned = parse_registry_ref("docker://nvidia/cuda@" + d);
  ASSERT_TRUE(pinned.ok());
  EXPECT_EQ(pinned->repo, "nvidia/cuda");
  EXPECT_EQ(pinned->digest, d);
  EXPECT_EQ(pinned->reference(), d);
  EXPECT_FALSE(pinned->tag_given);
  auto upper = parse_registry_ref("docker://nvidia/Cuda:1");
  ASSERT_FALSE(upper.ok());
  EXPECT_NE(upper.error().message().find("lower case"), std::string::npos) << upper.error().message();
}

TEST(AuthChallenge, BearerWithQuotedParams) {
  auto c = parse_auth_challenge(R"(Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push")");
  EXPECT_EQ(c.scheme, "bearer");
  EXPECT_EQ(c.param("realm"), "https://auth.example/token");
  EXPECT_EQ(c.param("service"), "registry.example");
  EXPECT_EQ(c.param("scope"), "repository:a/b:pull,push");
  auto b = parse_auth_challenge(R"(Basic realm="x \"y\"")");
  EXPECT_EQ(b.scheme, "basic");
  EXPECT_EQ(b.param("realm"), "x \"y\"");
}

TEST(Credentials, Base64RoundTrip) {
  for (std::string s : {"", "a", "ab", "abc", "user:pa:ss", "tester:s3cret:pw"}) EXPECT_EQ(*base64_decode(base64_encode(s)), s);
  EXPECT_EQ(base64_encode("user:pass"), "dXNlcjpwYXNz");
}

TEST(Credentials, FlagThenDockerConfig) {
  auto st = Staging::make();
  ASSERT_TRUE(st.ok());
  std::ofstream(st->path() + "/config.json") << R"({"auths":{"https://reg.example:5000/v1/":{"auth":"dXNlcjpwYXNz"},"other":{"username":"u","password":"p"}}})";
  ::setenv("DOCKER_CONFIG", st->path().c_str(), 1);
  RegistryOptions o;
  auto c = find_credentials("reg.example:5000", o);
  ASSERT_TRUE(c.ok() && c->has_value());
  EXPECT_EQ((*c)->user, "user");
  EXPECT_EQ((*c)->password, "pass");
  auto u = find_credentials("other", o);
  ASSERT_TRUE(u.ok() && u->has_value());
  EXPECT_EQ((*u)->user, "u");
  auto none = find_credentials("unknown.example", o);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  o.creds = "flag:wins:yes";
  auto f = find_credentials("reg.example:5000", o);
  ASSERT_TRUE(f.ok() && f->has_value());
  EXPECT_EQ((*f)->user, "flag");
  EXPECT_EQ((*f)->password, "wins:yes");
  ::unsetenv("DOCKER_CONFIG");
}

// A staging dir holding docker-credential-NAME (a shell script), put first on PATH for the test's
// life; PATH and DOCKER_CONFIG are restored when it goes.
class HelperOnPath {
 public:
  HelperOnPath(const std::string& name, const std::string& script) : st_(Staging::make()) {
    if (!st_.ok()) return;
    std::ofstream(dir() + "/docker-credential-" + name) << script;
    ok_ = ::chmod((dir() + "/docker-credential-" + name).c_str(), 0755) == 0;
    old_path_ = std::getenv("PATH") ? std::getenv("PATH") : "";
    ::setenv("PATH", (dir() + ":" + old_path_).c_str(), 1);
  }
  ~HelperOnPath() {
    ::setenv("PATH", old_path_.c_str(), 1);
    ::unsetenv("DOCKER_CONFIG");
  }
  HelperOnPath(const HelperOnPath&) = delete;
  HelperOnPath& operator=(const HelperOnPath&) = delete;
  bool ok() const { return st_.ok() && ok_; }
  std::string dir() const { return st_->path(); }

 private:
  Result<Staging> st_;
  std::string old_path_;
  bool ok_ = false;
};

TEST(Credentials, HelpersFromDockerConfig) {
  // A helper that knows one server, and says "not found" for the others, as docker's helpers do.
  HelperOnPath h("fake", "#!/bin/sh\n[ \"$1\" = get ] || exit 2\nread s\n"
                         "if [ \"$s\" = reg.example:5000 ]; then echo '{\"ServerURL\":\"x\",\"Username\":\"hu\",\"Secret\":\"hs\"}';"
                         " else echo 'credentials not found in native keychain'; exit 1; fi\n");
  ASSERT_TRUE(h.ok());
  std::ofstream(h.dir() + "/config.json") << R"({"credHelpers":{"reg.example:5000":"fake","missing.example":"nosuchhelper"},"credsStore":"fake"})";
  ::setenv("DOCKER_CONFIG", h.dir().c_str(), 1);
  RegistryOptions o;
  auto c = find_credentials("reg.example:5000", o);
  ASSERT_TRUE(c.ok()) << c.error().message();
  ASSERT_TRUE(c->has_value());
  EXPECT_EQ((*c)->user, "hu");
  EXPECT_EQ((*c)->password, "hs");
  auto store = find_credentials("other.example", o);  // credsStore answers "not found": anonymous
  ASSERT_TRUE(store.ok()) << store.error().message();
  EXPECT_FALSE(store->has_value());
  auto missing = find_credentials("missing.example", o);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message().find("not on PATH"), std::string::npos);
}

TEST(Credentials, DockerHubKeys) {
  auto st = Staging::make();
  ASSERT_TRUE(st.ok());
  ::setenv("DOCKER_CONFIG", st->path().c_str(), 1);
  for (const char* key : {"https://index.docker.io/v1/", "docker.io", "index.docker.io"}) {
    std::ofstream(st->path() + "/config.json", std::ios::trunc) << R"({"auths":{")" << key << R"(":{"auth":"dXNlcjpwYXNz"}}})";
    auto ref = parse_registry_ref("docker://nvidia/cuda:12.4.1");
    ASSERT_TRUE(ref.ok());
    auto c = find_credentials(ref->host, RegistryOptions{});
    ASSERT_TRUE(c.ok() && c->has_value()) << key;
    EXPECT_EQ((*c)->user, "user") << key;
    auto other = find_credentials("nvidia", RegistryOptions{});  // the old misreading: no credentials for a host "nvidia"
    ASSERT_TRUE(other.ok());
    EXPECT_FALSE(other->has_value()) << key;
  }
  ::unsetenv("DOCKER_CONFIG");
}

// --src-creds for pulls, --dest-creds for pushes, --creds for either when the other is not given.
TEST(Credentials, EachSideItsOwnFlag) {
  ::setenv("DOCKER_CONFIG", "/nonexistent-cuslim-test", 1);
  RegistryOptions o;
  o.src_creds = "su:sp";
  o.dest_creds = "du:dp";
  auto src = find_credentials("a.example", o, RegistrySide::source);
  auto dest = find_credentials("b.example", o, RegistrySide::destination);
  ASSERT_TRUE(src.ok() && src->has_value() && dest.ok() && dest->has_value());
  EXPECT_EQ((*src)->user, "su");
  EXPECT_EQ((*src)->source, "--src-creds");
  EXPECT_EQ((*dest)->user, "du");
  EXPECT_EQ((*dest)->source, "--dest-creds");
  RegistryOptions only_src;
  only_src.src_creds = "su:sp";
  auto none = find_credentials("b.example", only_src, RegistrySide::destination);  // never the other side's
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  RegistryOptions one;
  one.creds = "u:p";
  for (auto side : {RegistrySide::source, RegistrySide::destination}) {
    auto c = find_credentials("a.example", one, side);
    ASSERT_TRUE(c.ok() && c->has_value());
    EXPECT_EQ((*c)->source, "--creds");
  }
  ::unsetenv("DOCKER_CONFIG");
}

// A helper that never answers is killed (its process group: the shell and its sleep) after
// CUSLIM_CRED_HELPER_TIMEOUT_S, and the lookup fails with exit 3 naming it.
TEST(Credentials, HelperThatNeverAnswersIsKilled) {
  auto st = Staging::make();  // the pid files' dir: the helper's own is on PATH
  ASSERT_TRUE(st.ok());
  std::string dir = st->path();
  HelperOnPath h("stuck", "#!/bin/sh\necho $$ > " + dir + "/helper.pid\nsleep 300 &\necho $! > " + dir + "/sleep.pid\nwait\n");
  ASSERT_TRUE(h.ok());
  ::setenv("CUSLIM_CRED_HELPER_TIMEOUT_S", "1", 1);
  auto t0 = std::chrono::steady_clock::now();
  auto r = run_credential_helper("stuck", "reg.example");
  double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ::unsetenv("CUSLIM_CRED_HELPER_TIMEOUT_S");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), Exit::bad_input);
  EXPECT_NE(r.error().message().find("docker-credential-stuck get (reg.example): no answer within 1 s"), std::string::npos) << r.error().message();
  EXPECT_LT(took, 10);
  for (const char* f : {"/helper.pid", "/sleep.pid"}) {
    std::ifstream in(dir + f);
    pid_t pid = 0;
    ASSERT_TRUE(in >> pid) << f;
    bool gone = false;
    // Gone, or a zombie its new parent has not reaped yet (a container's init may never reap).
    auto dead = [](pid_t p) {
      std::ifstream stat("/proc/" + std::to_string(p) + "/stat");
      std::string line;
      if (!std::getline(stat, line)) return true;
      auto paren = line.rfind(')');
      return paren != std::string::npos && paren + 2 < line.size() && (line[paren + 2] == 'Z' || line[paren + 2] == 'X');
    };
    for (int i = 0; i < 100 && !gone; ++i, ::usleep(20000)) gone = dead(pid);
    EXPECT_TRUE(gone) << f << " " << pid << " still runs";
  }
  EXPECT_EQ(credential_helper_timeout_s(), kCredentialHelperTimeoutS);  // 30 s unless the variable says otherwise
}

TEST(Credentials, CertDirCrtThatIsNoCertificate) {
  auto st = Staging::make();
  ASSERT_TRUE(st.ok());
  RegistryOptions plain;
  plain.cert_dir = st->path();
  if (auto c = HttpClient::make(plain, "reg.example"); !c.ok()) GTEST_SKIP() << "no HTTP client in this build: " << c.error().message();
  std::ofstream(st->path() + "/broken.crt") << "not a certificate\n";
  RegistryOptions o;
  o.cert_dir = st->path();
  auto c = HttpClient::make(o, "reg.example");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code(), Exit::bad_input);
  EXPECT_NE(c.error().message().find(st->path() + "/broken.crt: "), std::string::npos) << c.error().message();
}

TEST(Transports, InputRefs) {
  auto a = parse_image_ref("oci-archive:/x/img.tar:v1");
  EXPECT_EQ(a.path, "/x/img.tar");
  EXPECT_EQ(a.tag, "v1");
  EXPECT_EQ(a.transport, "oci-archive");
  auto d = parse_image_ref("docker-archive:/x/img.tar:repo/app:1");
  EXPECT_EQ(d.path, "/x/img.tar");  // REF holds ':' and '/' itself
  auto d2 = parse_image_ref("docker-archive:/x/img.tar");
  EXPECT_EQ(d2.path, "/x/img.tar");
  EXPECT_EQ(parse_image_ref("dir:/x/root:fs").path, "/x/root:fs");
  EXPECT_EQ(parse_image_ref("docker://h/r:1").transport, "docker");
  EXPECT_TRUE(names_image("docker://h/r:1"));
  EXPECT_TRUE(names_image("oci:/nowhere"));
  EXPECT_FALSE(names_image("ubuntu24.04"));
}

TEST(Transports, OutputRefs) {
  std::string out = "oci:/x/layout:v2", tag;
  BundleFormat f = BundleFormat::tar;
  ASSERT_TRUE(settle_output_ref(out, f, tag, false).ok());
  EXPECT_EQ(out, "/x/layout");
  EXPECT_EQ(f, BundleFormat::oci);
  EXPECT_EQ(tag, "v2");
  out = "docker-archive:/x/a.tar:repo/app:3", tag = "";
  ASSERT_TRUE(settle_output_ref(out, f, tag, false).ok());
  EXPECT_EQ(out, "/x/a.tar");
  EXPECT_EQ(f, BundleFormat::docker_archive);
  EXPECT_EQ(tag, "repo/app:3");
  out = "dir:/x/root", tag = "";
  ASSERT_TRUE(settle_output_ref(out, f, tag, false).ok());
  EXPECT_EQ(f, BundleFormat::dir);
  out = "docker://h:5000/r/app:7", tag = "";
  ASSERT_TRUE(settle_output_ref(out, f, tag, false).ok());
  EXPECT_EQ(out, "docker://h:5000/r/app:7");
  EXPECT_EQ(f, BundleFormat::oci);
  EXPECT_EQ(tag, "7");
  out = "oci-archive:/x/a.tar", f = BundleFormat::tar, tag = "";
  auto clash = settle_output_ref(out, f, tag, true);
  ASSERT_FALSE(clash.ok());
  EXPECT_EQ(clash.error().code(), Exit::usage);
  out = "oci:/x/l:a", tag = "b", f = BundleFormat::oci;
  EXPECT_FALSE(settle_output_ref(out, f, tag, false).ok());
}

}  // namespace
}  // namespace cuslim
