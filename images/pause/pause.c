/* curtain's pause program: the process that holds a pod sandbox's namespaces.
 *
 * What the sandbox needs of it (the contract of kubernetes build/pause/linux/pause.c, written anew here):
 * block until told to stop, exit on SIGINT or SIGTERM, and, being PID 1 of a pod that shares its PID namespace,
 * reap every child that is re-parented to it so that no zombie is left behind.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void stop(int signal_number) {
  fprintf(stderr, "pause: signal %d, exiting\n", signal_number);
  _exit(0);
}

static void reap(int signal_number) {
  (void)signal_number;
  while (waitpid(-1, NULL, WNOHANG) > 0) {
  }
}

static void install(int signal_number, void (*handler)(int), int flags) {
  struct sigaction action;
  memset(&action, 0, sizeof(action));
  action.sa_handler = handler;
  action.sa_flags = flags;
  if (sigaction(signal_number, &action, NULL) < 0) {
    fprintf(stderr, "pause: sigaction(%d): %s\n", signal_number, strerror(errno));
    exit(1);
  }
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "-v") == 0) {
    printf("curtain-pause 1\n");
    return 0;
  }
  if (getpid() != 1) {
    /* Not an error: the sandbox runs it as PID 1, but it also serves as a plain sleeper. */
    fprintf(stderr, "pause: warning: not PID 1\n");
  }
  install(SIGINT, stop, 0);
  install(SIGTERM, stop, 0);
  install(SIGCHLD, reap, SA_NOCLDSTOP | SA_RESTART);
  for (;;) {
    pause();
  }
  return 1; /* unreachable */
}
