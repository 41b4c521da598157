// execloop PROGRAM N: runs PROGRAM (no arguments) N times, one after the
// other (fork, execve, wait), and prints the total time in ns
// (bench/floor.sh).
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct timespec a, b;
	char *args[] = { argv[1], NULL }, *env[] = { NULL };
	long n;

	if (argc != 3)
		return 2;
	n = atol(argv[2]);
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (long i = 0; i < n; i++) {
		pid_t p = fork();
		int st;

		if (p == 0) {
			execve(argv[1], args, env);
			_exit(127);
		}
		if (p < 0 || waitpid(p, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
			return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("%ld\n", (b.tv_sec - a.tv_sec) * 1000000000L + (b.tv_nsec - a.tv_nsec));
	return 0;
}
