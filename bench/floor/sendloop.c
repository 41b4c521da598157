// sendloop N: N sendto calls of one byte from a UDP socket to itself on
// 127.0.0.1, never read (the kernel drops what the full buffer cannot
// take): a network call the monitor hooks and reports, folded in user
// space (bench/floor.sh).  Prints the loop's own time in ns.
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
int main(int c, char **v)
{
	int n = atoi(v[1]);
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	struct timespec t0, t1;

	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) || getsockname(s, (struct sockaddr *)&a, &len)) {
		perror("sendloop");
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < n; i++)
		sendto(s, "x", 1, MSG_DONTWAIT, (struct sockaddr *)&a, sizeof(a));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("%lld\n", (t1.tv_sec - t0.tv_sec) * 1000000000LL + (t1.tv_nsec - t0.tv_nsec));
	return 0;
}
