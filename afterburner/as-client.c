/* The `as` that gcc -B finds: a small client of the afterburn daemon (as-daemon.ts).
 *
 * gcc starts the assembler once per source file; starting Node each time would cost more than
 * compiling many of those files. This client sends its arguments, working directory and
 * environment to a long-lived daemon over a Unix socket (starting the daemon when none
 * answers), and does what the daemon replies: run the real assembler itself for calls that are
 * not afterburnt (so probes keep their own stdin and stdout), send its standard input when the
 * assembler would read it, and run the real assembler on the afterburnt copies the daemon
 * prepared (forking this small process is far cheaper than forking Node), mapping the copies'
 * names in its messages back to the inputs', removing the copies, publishing the report, and
 * exiting with the assembler's status. When no
 * daemon can be reached, or WORLD_AFTERBURN_NO_DAEMON is set, it runs the drop-in in one Node
 * process instead. as-dir.ts compiles it with the paths below defined in config.h. */
#define _GNU_SOURCE /* memmem */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "config.h" /* NODE, DAEMON_JS, PERCALL_JS, SOCKET_PATH */

extern char **environ;

static void die(const char *what) {
  fprintf(stderr, "world afterburn (as drop-in): %s: %s\n", what, strerror(errno));
  exit(1);
}

/* Runs the drop-in in a Node process of its own: slower, needs no daemon. */
static void exec_per_call(int argc, char **argv) {
  char **args = calloc((size_t)argc + 3, sizeof *args);
  if (!args) die("calloc");
  args[0] = NODE;
  args[1] = PERCALL_JS;
  for (int i = 1; i < argc; i++) args[i + 1] = argv[i];
  execv(NODE, args);
  die("exec " NODE);
}

static int try_connect(void) {
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  struct sockaddr_un addr;
  memset(&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  strncpy(addr.sun_path, SOCKET_PATH, sizeof addr.sun_path - 1);
  if (connect(fd, (struct sockaddr *)&addr, sizeof addr) == 0) return fd;
  close(fd);
  return -1;
}

/* Starts the daemon detached from this process: its own session, no inherited descriptors
 * (gcc's pipes and make's jobserver must not stay open in it). */
static void start_daemon(void) {
  pid_t pid = fork();
  if (pid != 0) return;
  setsid();
  int null = open("/dev/null", O_RDWR);
  if (null >= 0) {
    dup2(null, 0);
    dup2(null, 1);
    dup2(null, 2);
  }
  for (int fd = 3; fd < 1024; fd++) close(fd);
  char *args[] = { NODE, DAEMON_JS, SOCKET_PATH, NULL };
  execv(NODE, args);
  _exit(127);
}

static int connect_daemon(void) {
  int fd = try_connect();
  if (fd >= 0) return fd;
  start_daemon();
  struct timespec pause = { 0, 5 * 1000 * 1000 };
  for (int i = 0; i < 2000; i++) { /* up to 10 s for Node to start on a loaded machine */
    nanosleep(&pause, NULL);
    fd = try_connect();
    if (fd >= 0) return fd;
  }
  return -1;
}

static void write_all(int fd, const void *buf, size_t n) {
  const char *p = buf;
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) die("write");
    p += w;
    n -= (size_t)w;
  }
}

static int read_all(int fd, void *buf, size_t n) {
  char *p = buf;
  while (n > 0) {
    ssize_t r = read(fd, p, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return -1;
    p += r;
    n -= (size_t)r;
  }
  return 0;
}

/* A growable byte buffer for the request and for standard input. */
struct buf { char *data; size_t len, cap; };

static void put(struct buf *b, const void *p, size_t n) {
  if (b->len + n > b->cap) {
    b->cap = (b->len + n) * 2 + 4096;
    b->data = realloc(b->data, b->cap);
    if (!b->data) die("realloc");
  }
  memcpy(b->data + b->len, p, n);
  b->len += n;
}

static void put_str(struct buf *b, const char *s) { put(b, s, strlen(s) + 1); }

static void send_block(int fd, struct buf *b) {
  uint32_t n = (uint32_t)b->len;
  write_all(fd, &n, 4);
  write_all(fd, b->data, b->len);
}

/* Writes `text` to standard error with every occurrence of `from` replaced by `to`. */
static void replace_all(struct buf *text, const char *from, const char *to) {
  size_t fl = strlen(from), tl = strlen(to);
  if (fl == 0 || text->len == 0) return;
  struct buf out = { 0 };
  size_t i = 0;
  while (i < text->len) {
    char *hit = memmem(text->data + i, text->len - i, from, fl);
    if (!hit) break;
    put(&out, text->data + i, (size_t)(hit - (text->data + i)));
    put(&out, to, tl);
    i = (size_t)(hit - text->data) + fl;
  }
  if (!out.data) return;
  put(&out, text->data + i, text->len - i);
  free(text->data);
  *text = out;
}

/* Runs the real assembler as the daemon says and finishes the call (see the 'R' message in
 * as-daemon.ts): never returns. */
static void run_assembler(char *data, uint32_t len) {
  char *end = data + len, *p = data;
  char *field[4];
  for (int i = 0; i < 4; i++) {
    field[i] = p < end ? p : "";
    p += strlen(field[i]) + 1;
  }
  char *as = field[0], *in = field[1], *report_tmp = field[2], *report_final = field[3];
  int nmap = atoi(p < end ? p : "0");
  p += strlen(p) + 1;
  char **map = (char **)calloc((size_t)nmap * 2 + 1, sizeof *map);
  for (int i = 0; i < nmap * 2 && p < end; i++) {
    map[i] = p;
    p += strlen(p) + 1;
  }
  int ntemp = atoi(p < end ? p : "0");
  p += strlen(p) + 1;
  char **temps = (char **)calloc((size_t)ntemp + 1, sizeof *temps);
  for (int i = 0; i < ntemp && p < end; i++) {
    temps[i] = p;
    p += strlen(p) + 1;
  }
  int nargs = 0;
  for (char *q = p; q < end; q += strlen(q) + 1) nargs++;
  char **args = (char **)calloc((size_t)nargs + 2, sizeof *args);
  if (!map || !temps || !args) die("calloc");
  int k = 0;
  args[k++] = as;
  for (; p < end; p += strlen(p) + 1) args[k++] = p;
  args[k] = NULL;

  int err[2];
  if (pipe(err) < 0) die("pipe");
  pid_t pid = fork();
  if (pid < 0) die("fork");
  if (pid == 0) {
    if (*in) {
      int f = open(in, O_RDONLY);
      if (f < 0 || dup2(f, 0) < 0) _exit(126);
      close(f);
    }
    dup2(err[1], 2);
    close(err[0]);
    close(err[1]);
    execv(as, args);
    fprintf(stderr, "world afterburn (as drop-in): exec %s: %s\n", as, strerror(errno));
    _exit(127);
  }
  close(err[1]);
  struct buf msgs = { 0 };
  char chunk[65536];
  ssize_t r;
  while ((r = read(err[0], chunk, sizeof chunk)) != 0) {
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) die("reading the assembler's messages");
    put(&msgs, chunk, (size_t)r);
  }
  close(err[0]);
  int st;
  while (waitpid(pid, &st, 0) < 0)
    if (errno != EINTR) die("waitpid");
  int status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);

  for (int i = 0; i < nmap; i++) replace_all(&msgs, map[2 * i], map[2 * i + 1]);
  if (msgs.len) write_all(2, msgs.data, msgs.len);
  for (int i = 0; i < ntemp; i++) unlink(temps[i]);
  if (*report_tmp) {
    if (status == 0) {
      if (rename(report_tmp, report_final) < 0) die("publishing the afterburn report");
    } else {
      unlink(report_tmp);
    }
  }
  exit(status);
}

int main(int argc, char **argv) {
  if (getenv("WORLD_AFTERBURN_NO_DAEMON")) exec_per_call(argc, argv);
  signal(SIGPIPE, SIG_IGN);
  int fd = connect_daemon();
  if (fd < 0) exec_per_call(argc, argv);

  struct buf req = { 0 };
  char cwd[8192];
  if (!getcwd(cwd, sizeof cwd)) die("getcwd");
  char count[32];
  snprintf(count, sizeof count, "%d", argc - 1);
  put_str(&req, cwd);
  put_str(&req, count);
  for (int i = 1; i < argc; i++) put_str(&req, argv[i]);
  for (char **e = environ; *e; e++) put_str(&req, *e);
  send_block(fd, &req);

  int replies = 0;
  for (;;) {
    unsigned char type;
    uint32_t len;
    if (read_all(fd, &type, 1) < 0 || read_all(fd, &len, 4) < 0) {
      /* A daemon that went away before answering (idle exit racing this call) has consumed
       * nothing: do the call in a process of its own. */
      if (replies == 0) exec_per_call(argc, argv);
      fprintf(stderr, "world afterburn (as drop-in): the afterburn daemon hung up\n");
      return 1;
    }
    replies++;
    char *data = malloc((size_t)len + 1);
    if (!data || read_all(fd, data, len) < 0) die("reading the daemon's reply");
    data[len] = 0;
    switch (type) {
    case 'P': /* not ours: the real assembler, with this process's stdin and stdout */
      argv[0] = data;
      execv(data, argv);
      die(data);
      break;
    case 'I': { /* the assembler reads standard input: send it */
      struct buf in = { 0 };
      char chunk[65536];
      ssize_t r;
      while ((r = read(0, chunk, sizeof chunk)) != 0) {
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) die("reading standard input");
        put(&in, chunk, (size_t)r);
      }
      send_block(fd, &in);
      free(in.data);
      break;
    }
    case 'R': run_assembler(data, len); break;
    case 'E': write_all(2, data, len); break;
    case 'X': return atoi(data);
    default:
      fprintf(stderr, "world afterburn (as drop-in): unexpected reply from the daemon\n");
      return 1;
    }
    free(data);
  }
}
