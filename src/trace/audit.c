/* libcuslim-audit.so: an LD_AUDIT library that records what the loader does, as JSON lines
 * appended to $CUSLIM_TRACE_FILE. Every object opened (la_objopen: the program, its DT_NEEDED,
 * every dlopen) and every name asked for (la_objsearch with LA_SER_ORIG: a dlopen that finds
 * nothing leaves a "search" line and no "open" line). One write(2) per line on an O_APPEND file:
 * safe across threads (the loader serialises these callbacks) and across fork/exec (each process
 * loads its own copy through the inherited LD_AUDIT and appends to the same file). Plain C and
 * libc only, so it loads into any glibc program. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int trace_fd = -2;

static int out_fd(void) {
  if (trace_fd == -2) {
    const char* file = getenv("CUSLIM_TRACE_FILE");
    /* cuslim made the file; once its run has ended the name is gone, and a process left behind
       that starts later must not make it again (a stray file beside the trace). */
    trace_fd = file ? open(file, O_WRONLY | O_APPEND | O_CLOEXEC) : -1;
    /* Never on 0-2: a program started with stdout closed would write its output into the trace. */
    if (trace_fd >= 0 && trace_fd <= 2) {
      int high = fcntl(trace_fd, F_DUPFD_CLOEXEC, 3);
      close(trace_fd);
      trace_fd = high;
    }
  }
  return trace_fd;
}

/* Whether s is valid UTF-8 (RFC 3629: no overlongs, no surrogates, at most U+10FFFF). */
static int valid_utf8(const char* s) {
  const unsigned char* p = (const unsigned char*)s;
  while (p && *p) {
    unsigned char c = *p;
    int n = c < 0x80 ? 0 : (c & 0xe0) == 0xc0 ? 1 : (c & 0xf0) == 0xe0 ? 2 : (c & 0xf8) == 0xf0 ? 3 : -1;
    if (n < 0 || (n == 1 && c < 0xc2) || (n == 3 && c > 0xf4)) return 0;
    for (int i = 1; i <= n; ++i)
      if ((p[i] & 0xc0) != 0x80) return 0;
    if (n == 2 && ((c == 0xe0 && p[1] < 0xa0) || (c == 0xed && p[1] >= 0xa0))) return 0;
    if (n == 3 && ((c == 0xf0 && p[1] < 0x90) || (c == 0xf4 && p[1] >= 0x90))) return 0;
    p += n + 1;
  }
  return 1;
}

/* Appends s to buf as a JSON string body; returns the new length or -1 when it does not fit.
 * A name that is not UTF-8 cannot be a JSON string: its non-ASCII bytes become U+FFFD here, and
 * the exact bytes go into a "<field>_hex" field beside it (hex_field). */
static int json_str(char* buf, int len, int cap, const char* s) {
  int ascii_only = !valid_utf8(s);
  for (; s && *s; ++s) {
    unsigned char c = (unsigned char)*s;
    if (len + 7 >= cap) return -1;
    if (c == '"' || c == '\\') { buf[len++] = '\\'; buf[len++] = (char)c; }
    else if (c < 0x20) len += snprintf(buf + len, (size_t)(cap - len), "\\u%04x", c);
    else if (c >= 0x80 && ascii_only) len += snprintf(buf + len, (size_t)(cap - len), "\\ufffd");
    else buf[len++] = (char)c;
  }
  return len;
}

/* ,"<field>_hex":"<the bytes of s in hex>" when s is not valid UTF-8; the length unchanged otherwise. */
static int hex_field(char* buf, int len, int cap, const char* field, const char* s) {
  if (!s || valid_utf8(s)) return len;
  int n = snprintf(buf + len, (size_t)(cap - len), ",\"%s_hex\":\"", field);
  if (n < 0 || len + n >= cap) return -1;
  len += n;
  for (const unsigned char* p = (const unsigned char*)s; *p; ++p) {
    if (len + 3 >= cap) return -1;
    len += snprintf(buf + len, (size_t)(cap - len), "%02x", *p);
  }
  if (len + 2 >= cap) return -1;
  buf[len++] = '"';
  return len;
}

static void emit(const char* event, const char* name, const char* path) {
  int fd = out_fd();
  if (fd < 0) return;
  char buf[8192];
  int len = snprintf(buf, sizeof buf, "{\"event\":\"%s\",\"pid\":%d,\"name\":\"", event, (int)getpid());
  if ((len = json_str(buf, len, (int)sizeof buf, name)) < 0) return;
  len += snprintf(buf + len, sizeof buf - (size_t)len, "\",\"path\":\"");
  if ((len = json_str(buf, len, (int)sizeof buf, path)) < 0 || len + 4 >= (int)sizeof buf) return;
  buf[len++] = '"';
  if ((len = hex_field(buf, len, (int)sizeof buf, "name", name)) < 0) return;
  if ((len = hex_field(buf, len, (int)sizeof buf, "path", path)) < 0 || len + 3 >= (int)sizeof buf) return;
  memcpy(buf + len, "}\n", 2);
  len += 2;
  ssize_t w = write(fd, buf, (size_t)len);
  (void)w;
}

unsigned int la_version(unsigned int version) { return version < LAV_CURRENT ? version : LAV_CURRENT; }

char* la_objsearch(const char* name, uintptr_t* cookie, unsigned int flag) {
  (void)cookie;
  if (flag == LA_SER_ORIG) emit("search", name, "");
  return (char*)name;
}

unsigned int la_objopen(struct link_map* map, Lmid_t lmid, uintptr_t* cookie) {
  (void)lmid;
  (void)cookie;
  const char* path = map->l_name;
  char exe[4096];
  if (!path || !*path) {  /* the main program has an empty l_name */
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = '\0';
    path = exe;
    emit("exec", path, path);
    return 0;
  }
  /* A relative name (LD_LIBRARY_PATH=., dlopen("./x.so")) is recorded as the loader keeps it;
   * the path is made absolute here, as the file tracer records the same open. A name without a
   * '/' is no file: the vDSO (linux-vdso.so.1), recorded as it is (readers skip it). */
  char abs_path[8192];
  if (path[0] != '/' && strchr(path, '/') && getcwd(abs_path, 4096)) {
    const char* rel = path;
    while (rel[0] == '.' && rel[1] == '/') rel += 2;
    size_t n = strlen(abs_path);
    snprintf(abs_path + n, sizeof abs_path - n, "%s%s", n > 1 ? "/" : "", rel);
    emit("open", path, abs_path);
    return 0;
  }
  emit("open", path, path);
  return 0;
}
