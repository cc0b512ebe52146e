// Reports: files grouped by distribution, family, Debian package and directory on a tree written
// at test time; the HTML page keeps hostile names inert and carries the report's JSON intact.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "fixture.h"
#include "profile/classifier.h"
#include "report/content_groups.h"
#include "report/html_report.h"

namespace cuslim {
namespace {

using test::TempDir;
using test::write_file;

TEST(ContentGroups, DistributionFamilyPackageDirectory) {
  TempDir dir;
  std::string root = dir.path(), site = root + "/usr/lib/python3/dist-packages";
  write_file(site + "/demo-1.0.dist-info/METADATA", "Name: demo\nVersion: 1.0\n");
  write_file(site + "/demo-1.0.dist-info/RECORD", "demo/__init__.py,,\ndemo-1.0.dist-info/RECORD,,\n");
  write_file(site + "/demo/__init__.py", std::string(100, 'x'));
  // The same distribution in a venv: a group of its own.
  std::string venv = root + "/venv/lib/python3.11/site-packages";
  write_file(venv + "/demo-1.0.dist-info/METADATA", "Name: demo\nVersion: 1.0\n");
  write_file(venv + "/demo-1.0.dist-info/RECORD", "demo/__init__.py,,\ndemo-1.0.dist-info/RECORD,,\n");
  write_file(venv + "/demo/__init__.py", std::string(60, 'x'));
  write_file(root + "/usr/local/cuda/lib64/libcublas.so.13", std::string(300, 'x'));
  write_file(root + "/usr/local/cuda/lib64/libcublasLt.so.13", std::string(500, 'x'));
  write_file(root + "/var/lib/dpkg/info/libfoo1:amd64.list", "/.\n/lib/x86_64-linux-gnu/libfoo.so.1\n");
  write_file(root + "/usr/lib/x86_64-linux-gnu/libfoo.so.1", std::string(40, 'x'));  // merged /usr
  write_file(root + "/opt/app/data/blob.bin", std::string(7, 'x'));
  Root r(root);
  auto set = *ProfileSet::builtin();
  auto c = *Classifier::make(set, "scratch");
  auto files = rootfs_files(r, c);
  std::vector<std::string> paths;
  for (auto& f : files) paths.push_back(f.path);
  FileGrouper g(r, c, paths);
  EXPECT_EQ(g.group_of("/usr/lib/python3/dist-packages/demo/__init__.py", ObjectClass::app), (GroupKey{"demo 1.0", "distribution", "/usr/lib/python3/dist-packages"}));
  EXPECT_EQ(g.group_of("/venv/lib/python3.11/site-packages/demo/__init__.py", ObjectClass::app), (GroupKey{"demo 1.0", "distribution", "/venv/lib/python3.11/site-packages"}));
  EXPECT_EQ(g.group_of("/usr/local/cuda/lib64/libcublasLt.so.13", ObjectClass::app), (GroupKey{"cuda:cublas", "family"}));
  EXPECT_EQ(g.group_of("/usr/lib/x86_64-linux-gnu/libfoo.so.1", ObjectClass::app), (GroupKey{"deb:libfoo1", "package"}));
  EXPECT_EQ(g.group_of("/opt/app/data/blob.bin", ObjectClass::app), (GroupKey{"/opt/app/data", "directory"}));
  // The nvcc wheel's nvlink is a JIT framework's toolchain: named by that framework's rule where it
  // counts as jit, by the toolkit rule where its framework is absent (it counts as toolkit).
  EXPECT_EQ(g.group_of("/venv/lib/python3.11/site-packages/nvidia/cu13/bin/nvlink", ObjectClass::toolkit), (GroupKey{"cuda:compiler", "family"}));
  EXPECT_NE(g.group_of("/venv/lib/python3.11/site-packages/nvidia/cu13/bin/nvlink", ObjectClass::jit).name, "cuda:compiler");
  auto groups = group_files(g, files, false, [](const ContentFile& f, const GroupKey&) { return f.bytes > 400 ? "big" : "small"; });
  uint64_t total = 0;
  for (auto& x : groups) total += x.bytes;
  uint64_t expect = 0;
  for (auto& f : files) expect += f.bytes;
  EXPECT_EQ(total, expect);  // every byte in exactly one group
  EXPECT_EQ(std::count_if(groups.begin(), groups.end(), [](auto& x) { return x.key.name == "demo 1.0"; }), 2);  // one per site
  auto it = std::find_if(groups.begin(), groups.end(), [](auto& x) { return x.key.name == "cuda:cublas"; });
  ASSERT_NE(it, groups.end());
  EXPECT_EQ(it->cls, ObjectClass::cuda);
  EXPECT_EQ(it->files, 2u);
  EXPECT_EQ(it->bytes, 800u);
  EXPECT_EQ(it->reason, "big; small");  // by bytes, largest first
  EXPECT_FALSE(it->kept);
  EXPECT_EQ(it->largest.front().first, "/usr/local/cuda/lib64/libcublasLt.so.13");
}

TEST(HtmlReport, HostileNamesStayInertAndTheDataRoundTrips) {
  nlohmann::json r{{"command", "report"}, {"input", "<img src=x onerror=alert(1)>"}, {"files", 1}, {"bytes", 5},
                   {"bytes_by_class", {{"app", 5}}},
                   {"groups", {{{"class", "app"}, {"group", "</script><script>alert(1)</script>"}, {"kind", "directory"}, {"kept", true},
                                {"reason", "a & b"}, {"files", 1}, {"bytes", 5}, {"largest", {{{"path", "/x</script>"}, {"bytes", 5}}}}}}}};
  std::string html = render_html(r);
  EXPECT_EQ(html.find("<img src=x"), std::string::npos);
  EXPECT_NE(html.find("&lt;img src=x"), std::string::npos);
  EXPECT_EQ(html.find("</script><script>alert"), std::string::npos);
  EXPECT_EQ(html.find("http://"), std::string::npos);
  EXPECT_EQ(html.find("https://"), std::string::npos);
  auto start = html.find("id=\"report-data\">") + 17, end = html.find("</script>", start);
  EXPECT_EQ(nlohmann::json::parse(html.substr(start, end - start)), r);  // the page carries the report as it is
}

TEST(HtmlReport, SharesAreRoundedNotTruncated) {
  nlohmann::json r{{"command", "report"}, {"input", "img"}, {"files", 2}, {"bytes", 1000}, {"bytes_by_class", {{"app", 889}, {"cuda", 111}}}};
  std::string html = render_html(r);
  EXPECT_NE(html.find(">88.9%<"), std::string::npos);
  EXPECT_NE(html.find(">11.1%<"), std::string::npos);
}

}  // namespace
}  // namespace cuslim
