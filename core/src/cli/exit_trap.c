/* Linked into the tally executable only, and exported (see exit_trap.list),
 * so that a plugin's calls to exit, _exit, _Exit and quick_exit bind here and
 * not to the C library: tally_host_plugin_exit() ends the run with exit code
 * 1 and names the plugin when plugin code is running. Otherwise these do what
 * the C library does. The C library's own internal calls (returning from
 * main) do not come here. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

void tally_host_plugin_exit(const char* how, int status);

typedef void (*exit_fn)(int);

static exit_fn next_function(const char* name) {
  return (exit_fn)dlsym(RTLD_NEXT, name);
}

void exit(int status) {
  tally_host_plugin_exit("exit", status);
  exit_fn real = next_function("exit");
  if (real) real(status);
  syscall(SYS_exit_group, status);
  for (;;) {
  }
}

void quick_exit(int status) {
  tally_host_plugin_exit("quick_exit", status);
  exit_fn real = next_function("quick_exit");
  if (real) real(status);
  syscall(SYS_exit_group, status);
  for (;;) {
  }
}

/* _exit and _Exit are the exit_group system call, as in the C library. */
void _exit(int status) {
  tally_host_plugin_exit("_exit", status);
  syscall(SYS_exit_group, status);
  for (;;) {
  }
}

void _Exit(int status) {
  tally_host_plugin_exit("_Exit", status);
  syscall(SYS_exit_group, status);
  for (;;) {
  }
}
