// ppidloop N: N getppid() calls, a syscall the monitor never reports: what
// every unrelated call (a database's read, futex, epoll_wait) pays for the
// hooks (bench/floor.sh).  Prints the loop's own time in ns.
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
int main(int c, char **v)
{
	int n = atoi(v[1]);
	struct timespec a, b;

	clock_gettime(CLOCK_MONOTONIC, &a);
	for (int i = 0; i < n; i++)
		syscall(SYS_getppid);
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("%lld\n", (b.tv_sec - a.tv_sec) * 1000000000LL + (b.tv_nsec - a.tv_nsec));
	return 0;
}
