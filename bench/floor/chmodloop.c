// chmodloop FILE N: N chmod calls on FILE, alternating two modes: a file
// change the monitor checks at every call (its path is built and matched
// against the watch list) but reports only for watched paths
// (bench/floor.sh).  Prints the loop's own time in ns.
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
int main(int c, char **v)
{
	int n = atoi(v[2]);
	struct timespec a, b;

	clock_gettime(CLOCK_MONOTONIC, &a);
	for (int i = 0; i < n; i++)
		chmod(v[1], i & 1 ? 0644 : 0600);
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("%lld\n", (b.tv_sec - a.tv_sec) * 1000000000LL + (b.tv_nsec - a.tv_nsec));
	return 0;
}
