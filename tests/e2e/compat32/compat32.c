// SPDX-License-Identifier: GPL-2.0
/*
 * compat32: a 32-bit (i386) test program that makes its system calls with
 * int $0x80, the compat entry that syscall tracepoints per call
 * (syscalls:sys_enter_X) never see.  Freestanding: no libc, so it builds
 * with a plain gcc and binutils (gcc -m32 -static -nostdlib), no multilib.
 *
 *   compat32 open PATH          open(2)
 *   compat32 openat PATH        openat(AT_FDCWD, PATH)
 *   compat32 connect PORT       socketcall(SYS_SOCKET), socketcall(SYS_CONNECT) to 127.0.0.1:PORT
 *   compat32 connect2 PORT      socket(2), connect(2) (the direct i386 calls, Linux >= 4.3)
 *   compat32 exec PATH ARG...   execve(2)
 *   compat32 setuid UID         setuid32(2)
 *   compat32 setuid16 UID       the legacy setuid(2), 16-bit ids (classic shellcode: eax=23)
 *   compat32 sendmsg PORT       a UDP datagram to 127.0.0.1:PORT by socketcall(SYS_SENDMSG)
 *   compat32 sendmsg2 PORT      the same by sendmsg(2) (i386 struct msghdr: 32-bit pointers)
 *
 * Exit status: 0 when the call succeeded (connect: also EINPROGRESS is not
 * used, the socket blocks), else the errno.
 */
#define NR_exit 1
#define NR_write 4
#define NR_open 5
#define NR_execve 11
#define NR_socketcall 102
#define NR_setuid32 213
#define NR_setuid16 23
#define NR_openat 295
#define NR_socket 359
#define NR_connect 362
#define NR_sendmsg 370
#define SYS_SOCKET 1
#define SYS_CONNECT 3
#define SYS_SENDMSG 16
#define AT_FDCWD -100

static long sc3(long nr, long a, long b, long c)
{
	long ret;

	__asm__ volatile("int $0x80" : "=a"(ret) : "a"(nr), "b"(a), "c"(b), "d"(c) : "memory");
	return ret;
}

static long sc4(long nr, long a, long b, long c, long d)
{
	long ret;

	__asm__ volatile("int $0x80" : "=a"(ret) : "a"(nr), "b"(a), "c"(b), "d"(c), "S"(d) : "memory");
	return ret;
}

static void exit_with(long ret)
{
	sc3(NR_exit, ret < 0 ? -ret : 0, 0, 0);
	for (;;)
		;
}

static int streq(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

static long atoi_(const char *s)
{
	long n = 0;

	while (*s >= '0' && *s <= '9')
		n = n * 10 + (*s++ - '0');
	return n;
}

static void say(const char *s)
{
	long n = 0;

	while (s[n])
		n++;
	sc3(NR_write, 2, (long)s, n);
}

struct sockaddr_in4 {
	unsigned short family;
	unsigned short port; /* network order */
	unsigned int addr;   /* network order */
	unsigned char zero[8];
};

static long do_connect(long port, int direct)
{
	struct sockaddr_in4 sa = { 2 /* AF_INET */, 0, 0, {0} };
	long args[3], fd;

	sa.port = (unsigned short)(((port & 0xff) << 8) | ((port >> 8) & 0xff));
	sa.addr = 0x0100007f; /* 127.0.0.1 */
	if (direct) {
		fd = sc3(NR_socket, 2, 1 /* SOCK_STREAM */, 0);
		if (fd < 0)
			return fd;
		return sc3(NR_connect, fd, (long)&sa, sizeof(sa));
	}
	args[0] = 2, args[1] = 1, args[2] = 0;
	fd = sc3(NR_socketcall, SYS_SOCKET, (long)args, 0);
	if (fd < 0)
		return fd;
	args[0] = fd, args[1] = (long)&sa, args[2] = sizeof(sa);
	return sc3(NR_socketcall, SYS_CONNECT, (long)args, 0);
}

struct iovec32 {
	void *base;
	unsigned long len;
};

struct msghdr32 {
	void *name;
	int namelen;
	struct iovec32 *iov;
	unsigned long iovlen;
	void *control;
	unsigned long controllen;
	unsigned int flags;
};

static long do_sendmsg(long port, int direct)
{
	struct sockaddr_in4 sa = { 2 /* AF_INET */, 0, 0, {0} };
	char byte = 'x';
	struct iovec32 iov = { &byte, 1 };
	struct msghdr32 msg = { &sa, sizeof(sa), &iov, 1, 0, 0, 0 };
	long args[3], fd;

	sa.port = (unsigned short)(((port & 0xff) << 8) | ((port >> 8) & 0xff));
	sa.addr = 0x0100007f;
	args[0] = 2, args[1] = 2 /* SOCK_DGRAM */, args[2] = 0;
	fd = sc3(NR_socketcall, SYS_SOCKET, (long)args, 0);
	if (fd < 0)
		return fd;
	if (direct)
		return sc3(NR_sendmsg, fd, (long)&msg, 0);
	args[0] = fd, args[1] = (long)&msg, args[2] = 0;
	return sc3(NR_socketcall, SYS_SENDMSG, (long)args, 0);
}

__attribute__((used)) void cmain(long *sp)
{
	long argc = sp[0];
	char **argv = (char **)(sp + 1);
	char **envp = argv + argc + 1;

	if (argc < 3) {
		say("usage: compat32 open|openat|connect|connect2|exec|setuid|setuid16|sendmsg|sendmsg2 ARG...\n");
		exit_with(-22);
	}
	if (streq(argv[1], "open"))
		exit_with(sc3(NR_open, (long)argv[2], 0, 0));
	if (streq(argv[1], "openat"))
		exit_with(sc4(NR_openat, AT_FDCWD, (long)argv[2], 0, 0));
	if (streq(argv[1], "connect"))
		exit_with(do_connect(atoi_(argv[2]), 0));
	if (streq(argv[1], "connect2"))
		exit_with(do_connect(atoi_(argv[2]), 1));
	if (streq(argv[1], "sendmsg"))
		exit_with(do_sendmsg(atoi_(argv[2]), 0));
	if (streq(argv[1], "sendmsg2"))
		exit_with(do_sendmsg(atoi_(argv[2]), 1));
	if (streq(argv[1], "setuid16"))
		exit_with(sc3(NR_setuid16, atoi_(argv[2]), 0, 0));
	if (streq(argv[1], "setuid"))
		exit_with(sc3(NR_setuid32, atoi_(argv[2]), 0, 0));
	if (streq(argv[1], "exec"))
		exit_with(sc3(NR_execve, (long)argv[2], (long)(argv + 2), (long)envp));
	say("compat32: unknown mode\n");
	exit_with(-22);
}

__asm__(".globl _start\n"
	"_start:\n"
	"	xor %ebp, %ebp\n"
	"	mov %esp, %eax\n"
	"	and $-16, %esp\n"
	"	sub $12, %esp\n"
	"	push %eax\n"
	"	call cmain\n"
	"	hlt\n");
