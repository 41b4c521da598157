// openloop FILE N: N open+close pairs of FILE, the flat-out ordinary-open
// loop of bench/floor.sh, with no runtime in the way (every syscall is one
// of the two).  Prints the loop's own time in ns.
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
int main(int c, char **v)
{
	int n = atoi(v[2]);
	struct timespec a, b;

	clock_gettime(CLOCK_MONOTONIC, &a);
	for (int i = 0; i < n; i++) {
		int fd = open(v[1], O_RDONLY);

		close(fd);
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("%lld\n", (b.tv_sec - a.tv_sec) * 1000000000LL + (b.tv_nsec - a.tv_nsec));
	return 0;
}
