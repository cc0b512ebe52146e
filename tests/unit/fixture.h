// Test fixtures built at test time: a temp dir, one-line C compiled into tiny .so files and
// programs, and a way to run the real program to see what the real loader did.
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

namespace cuslim::test {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "cuslim-test-XXXXXX").string();
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& rel) const { return path_ + "/" + rel; }

 private:
  std::string path_;
};

struct RunResult {
  int status = -1;
  std::string out;  // stdout + stderr
};

inline RunResult run(const std::string& cmd) {
  RunResult r;
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  if (!p) return r;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  int st = pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

// A file holding `text`, its directories made.
inline void write_file(const std::string& path, const std::string& text = "x") {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path) << text;
}

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// The bytes of a .note.cuda.fwd_compatibility section as a cuda-compat libcuda carries it: owner
// "NVIDIA Corporation", type 1, `json` the descriptor (with its NUL when `nul_terminated`).
inline std::string cuda_fwd_note(const std::string& json, bool nul_terminated) {
  std::string owner = "NVIDIA Corporation", desc = nul_terminated ? json + '\0' : json;
  auto pad = [](std::string s) { s.resize((s.size() + 3) & ~size_t(3), '\0'); return s; };
  uint32_t hdr[3] = {static_cast<uint32_t>(owner.size() + 1), static_cast<uint32_t>(desc.size()), 1};
  return std::string(reinterpret_cast<const char*>(hdr), sizeof hdr) + pad(owner + '\0') + pad(desc);
}

// Compiles `code` into a shared object at `out`. `flags` go to the link (e.g. "-Wl,-soname,libx.so.1").

inline void build_lib(const std::string& out, const std::string& code, const std::string& flags = "") {
  fs::create_directories(fs::path(out).parent_path());
  std::string src = out + ".c";
  write_file(src, code);
  auto r = run("cc -shared -fPIC -o '" + out + "' '" + src + "' " + flags);
  ASSERT_EQ(r.status, 0) << "building " << out << ":\n" << r.out;
}

inline void build_exe(const std::string& out, const std::string& code, const std::string& flags = "") {
  fs::create_directories(fs::path(out).parent_path());
  std::string src = out + ".c";
  write_file(src, code);
  auto r = run("cc -o '" + out + "' '" + src + "' " + flags);
  ASSERT_EQ(r.status, 0) << "building " << out << ":\n" << r.out;
}

// A library whose function `fn` prints `text`.
inline std::string printer(const std::string& fn, const std::string& text) {
  return "#include <stdio.h>\nvoid " + fn + "(void){puts(\"" + text + "\");}\n";
}

// Runs a program with a clean loader environment (plus `env`), as the real loader sees it.
inline RunResult run_program(const std::string& exe, const std::string& env = "") {
  return run("env -u LD_LIBRARY_PATH -u LD_PRELOAD " + env + " '" + exe + "'");
}

}  // namespace cuslim::test
