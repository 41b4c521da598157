// SPDX-License-Identifier: GPL-2.0
/*
 * uring: one request through io_uring with the raw syscalls (no liburing),
 * for the end-to-end tests: the open or connect never passes through the
 * open(2)/connect(2) syscalls, which syscall-hook monitors rely on.
 *
 *   uring open PATH       IORING_OP_OPENAT(AT_FDCWD, PATH, O_RDONLY)
 *   uring connect PORT    IORING_OP_CONNECT to 127.0.0.1:PORT
 *
 * Prints the completion's result; exit status 0 when it is >= 0, else the
 * errno; 100 when io_uring itself is unavailable.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct io_uring_params p;
	struct sockaddr_in sa;
	struct io_uring_sqe *sqes, *sqe;
	struct io_uring_cqe *cqes;
	unsigned *tail, *mask, *array, *chead, *cmask, idx;
	void *sq, *cq;
	int ring, res;

	if (argc != 3) {
		fprintf(stderr, "usage: uring open PATH | connect PORT\n");
		return 2;
	}
	memset(&p, 0, sizeof(p));
	ring = syscall(__NR_io_uring_setup, 4, &p);
	if (ring < 0) {
		perror("io_uring_setup");
		return 100;
	}
	sq = mmap(NULL, p.sq_off.array + p.sq_entries * sizeof(unsigned), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_POPULATE, ring, IORING_OFF_SQ_RING);
	cq = mmap(NULL, p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe),
		  PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring, IORING_OFF_CQ_RING);
	sqes = mmap(NULL, p.sq_entries * sizeof(struct io_uring_sqe), PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_POPULATE, ring, IORING_OFF_SQES);
	if (sq == MAP_FAILED || cq == MAP_FAILED || sqes == MAP_FAILED) {
		perror("mmap");
		return 100;
	}
	tail = (unsigned *)((char *)sq + p.sq_off.tail);
	mask = (unsigned *)((char *)sq + p.sq_off.ring_mask);
	array = (unsigned *)((char *)sq + p.sq_off.array);
	idx = *tail & *mask;
	sqe = &sqes[idx];
	memset(sqe, 0, sizeof(*sqe));

	if (strcmp(argv[1], "open") == 0) {
		sqe->opcode = IORING_OP_OPENAT;
		sqe->fd = AT_FDCWD;
		sqe->addr = (unsigned long)argv[2];
		sqe->open_flags = O_RDONLY;
	} else if (strcmp(argv[1], "connect") == 0) {
		int s = socket(AF_INET, SOCK_STREAM, 0);

		memset(&sa, 0, sizeof(sa));
		sa.sin_family = AF_INET;
		sa.sin_port = htons(atoi(argv[2]));
		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sqe->opcode = IORING_OP_CONNECT;
		sqe->fd = s;
		sqe->addr = (unsigned long)&sa;
		sqe->off = sizeof(sa);
	} else {
		fprintf(stderr, "uring: unknown mode %s\n", argv[1]);
		return 2;
	}
	array[idx] = idx;
	__atomic_store_n(tail, *tail + 1, __ATOMIC_RELEASE);
	if (syscall(__NR_io_uring_enter, ring, 1, 1, IORING_ENTER_GETEVENTS, NULL, 0) < 0) {
		perror("io_uring_enter");
		return 100;
	}
	chead = (unsigned *)((char *)cq + p.cq_off.head);
	cmask = (unsigned *)((char *)cq + p.cq_off.ring_mask);
	cqes = (struct io_uring_cqe *)((char *)cq + p.cq_off.cqes);
	res = cqes[*chead & *cmask].res;
	printf("%d\n", res);
	return res < 0 ? -res : 0;
}
