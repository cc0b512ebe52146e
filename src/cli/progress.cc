#include "cli/progress.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <memory>

#include "core/units.h"

namespace cuslim::cli {

namespace {

bool g_line_open = false;  // a progress line is on the terminal without its newline

struct StepState {
  std::string step;
  std::chrono::steady_clock::time_point start{}, last{};  // start: the step's first report
  std::string gzip_hint;
  bool started = false, hinted = false, tty = false;
};

void draw(StepState& s, uint64_t done, uint64_t total) {
  auto now = std::chrono::steady_clock::now();
  if (!s.started) s.start = now, s.started = true;
  if (now - s.last < std::chrono::milliseconds(200) && done < total) return;
  s.last = now;
  double secs = std::chrono::duration<double>(now - s.start).count();
  double rate = secs > 0 ? static_cast<double>(done) / secs : 0;
  total = std::max(total, done);
  std::string text = "\r  " + s.step + " " + human_bytes(done) + " / " + human_bytes(total);
  if (total) text += " (" + std::to_string(100 * done / total) + "%)";
  if (secs > 0.5) text += ", " + human_bytes(static_cast<uint64_t>(rate)) + "/s";
  if (secs > 2 && rate > 0 && done < total) text += ", ETA " + human_duration(static_cast<double>(total - done) / rate);
  std::cerr << text << "\033[K" << std::flush;
  g_line_open = true;
}

}  // namespace

void end_progress_line() {
  if (!g_line_open) return;
  std::cerr << "\n" << std::flush;
  g_line_open = false;
}

ProgressFn progress_line(const std::string& step, bool quiet, std::string gzip_hint) {
  if (quiet) return {};
  auto s = std::make_shared<StepState>();
  s->step = step;
  s->tty = isatty(STDERR_FILENO) == 1;
  s->gzip_hint = std::move(gzip_hint);
  if (!s->tty && s->gzip_hint.empty()) return {};
  return [s](uint64_t done, uint64_t total) {
    if (!s->gzip_hint.empty() && !s->hinted && total > 1000000000ULL) {
      s->hinted = true;
      end_progress_line();
      std::cerr << "cuslim: note: packing " << human_bytes(total) << " with gzip; " << s->gzip_hint << "\n";
    }
    if (s->tty) draw(*s, done, total);
  };
}

}  // namespace cuslim::cli
