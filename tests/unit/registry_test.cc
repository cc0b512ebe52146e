// Registry references, WWW-Authenticate challenges, docker config credentials, and the image
// transports of inputs and outputs: plain parsing, no network (tests/integration/registry.sh has the servers).
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <fstream>

#include "bundle/bundle.h"
#include "core/staging.h"
#include "image/image_reader.h"
#include "registry/auth_challenge.h"
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
  for (const char* s : {"docker://", "docker://host", "docker://host/Upper", "docker://host/a@sha256:12", "docker://host/a:bad tag",
                        "docker://127.0.0.1:99999/a", "docker://127.0.0.1:abc/a", "docker://host:/a", "docker://host:0/a",
                        "docker://bad_host/a", "docker://-host/a", "docker://ho st/a"}) {
    auto r = parse_registry_ref(s);
    ASSERT_FALSE(r.ok()) << s;
    EXPECT_EQ(r.error().code(), Exit::usage) << s;
  }
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

TEST(Credentials, HelpersFromDockerConfig) {
  auto st = Staging::make();
  ASSERT_TRUE(st.ok());
  std::string dir = st->path();
  // A helper that knows one server, and says "not found" for the others, as docker's helpers do.
  std::ofstream(dir + "/docker-credential-fake") << "#!/bin/sh\n[ \"$1\" = get ] || exit 2\nread s\n"
                                                    "if [ \"$s\" = reg.example:5000 ]; then echo '{\"ServerURL\":\"x\",\"Username\":\"hu\",\"Secret\":\"hs\"}';"
                                                    " else echo 'credentials not found in native keychain'; exit 1; fi\n";
  ASSERT_EQ(::chmod((dir + "/docker-credential-fake").c_str(), 0755), 0);
  std::ofstream(dir + "/config.json") << R"({"credHelpers":{"reg.example:5000":"fake","missing.example":"nosuchhelper"},"credsStore":"fake"})";
  std::string old_path = std::getenv("PATH") ? std::getenv("PATH") : "";
  ::setenv("PATH", (dir + ":" + old_path).c_str(), 1);
  ::setenv("DOCKER_CONFIG", dir.c_str(), 1);
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
  ::setenv("PATH", old_path.c_str(), 1);
  ::unsetenv("DOCKER_CONFIG");
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
