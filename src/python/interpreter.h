// A CPython interpreter among the programs, and the standard library files it reads at every
// start, whatever the program runs: without them an image's interpreter dies before the first
// line ("No module named 'encodings'"), and no ELF walk or untraced bundle would know it.
//
// At start-up CPython finds its prefix by a landmark (os.py in lib/pythonX.Y) and its exec prefix
// by another (lib/pythonX.Y/lib-dynload), looks its codecs up by the locale's name in the
// encodings package (any codec: the package ships whole), and runs site, which imports a fixed
// set of modules -- frozen into the binary since 3.11, files before; shipped in both cases (a
// few hundred kB), as is sitecustomize where the distribution has one (Debian, Ubuntu). A program
// run from a venv (venv/bin/python, a link to the base interpreter) is that venv's only through
// venv/pyvenv.cfg, which ships too. site also reads every *.pth file of its site dirs and runs
// their `import` lines: the .pth files ship, with the modules those lines import.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/root.h"
#include "elf/elf_file.h"

namespace cuslim {

struct PythonInterpreter {
  std::string program;  // the in-root program path as given
  int minor = 0;        // 3.<minor>
  std::string stdlib;   // in-root lib/python3.<minor> holding os.py
};

// 3.N's minor when `program` (with its ELF data) is a CPython 3 interpreter: named python3.N after
// its links are followed, or linked against libpython3.N.
std::optional<int> python_minor(const Root& root, const std::string& program, const ElfFile& elf);

// `program` (with its ELF data) when it is a CPython 3 interpreter: named python3.N after its
// links are followed, or linked against libpython3.N; its standard library is found next to its
// prefix (lib, then lib64). nullopt for anything else, or when no standard library is there.
std::optional<PythonInterpreter> python_interpreter(const Root& root, const std::string& program, const ElfFile& elf);

// What of python_startup() an interpreter cannot start without, missing in the root ("" when
// nothing is): its standard library's os.py and encodings package.
std::string python_startup_missing(const Root& root, const std::string& program, const ElfFile& elf);

struct PythonStartup {
  std::vector<std::string> files;  // in-root files and whole directories (encodings) to ship, and
                                   // a venv's pyvenv.cfg (beside bin/ of the program as given)
  std::vector<std::string> dirs;   // directories that must exist, empty if need be (lib-dynload)
};

PythonStartup python_startup(const Root& root, const PythonInterpreter& py);

// What site's start-up runs from one site dir whatever the program does: its .pth files and the
// modules their `import` lines name (numba-cuda's _numba_cuda_redirector, setuptools'
// _distutils_hack). A trace that saw only these did not see the program import their distribution.
class PthHooks {
 public:
  PthHooks(const Root& root, const std::string& site);
  bool covers(const std::string& inside) const;

 private:
  std::set<std::string> files_;       // the .pth files, hook modules m.py
  std::vector<std::string> prefixes_;  // "site/m/" (a package), "site/__pycache__/m." (its bytecode)
};

}  // namespace cuslim
