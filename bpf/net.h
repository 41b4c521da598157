/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Network: outbound connections, listeners, binds, accepts and UDP sends.
 * In a record, s* is the local end and d* the remote end (user space turns
 * an accept around: its source is the peer).
 *
 * Why these hooks:
 *  - connect, accept, accept4, listen, bind, sendto and sendmsg are seen at
 *    their exit (syscalls.h), with the arguments read back there: the
 *    result (success, EINPROGRESS, ECONNREFUSED, ...), the destination
 *    from the caller's sockaddr and the local end from the socket the
 *    kernel bound;
 *  - sock:inet_sock_set_state, transition to SYN_SENT, is the kernel's own
 *    view of an outgoing TCP handshake with the 4-tuple it really used.
 *    Inside a connect syscall (the task's registers say so) it only leaves
 *    a note for that call's exit (one connection, one event, both sources
 *    marked); a SYN_SENT outside one (io_uring, sendto with MSG_FASTOPEN)
 *    is reported on its own, without a source port (not chosen yet at
 *    SYN_SENT).
 * UDP sends and UDP connects are folded per (process, destination): the
 * first is reported, repeats are counted in the fold map until user space
 * closes the window and reports the count.
 *
 * What it misses: sendmmsg; 32-bit compat socket calls other than TCP
 * connects; unix-domain connects other than to watched sockets.
 */
#ifndef __LOG_MONITOR_NET_H
#define __LOG_MONITOR_NET_H

#include "base.h"
#include "common.h"
#include "maps.h"
#include "ournr.h"

/* i386 socketcall's calls (linux/net.h) */
#define SYS_BIND 2
#define SYS_CONNECT 3
#define SYS_LISTEN 4
#define SYS_ACCEPT 5
#define SYS_SENDTO 11
#define SYS_SENDMSG 16
#define SYS_ACCEPT4 18

/* The call @nr with arguments @a as a struct net_call: returns 0 for none
 * we report (sendto without a destination: a connected socket). */
static __always_inline int net_args(long nr, const __u64 *a, int compat, struct net_call *p)
{
	p->fd = a[0];
	switch (nr) {
	case NR_connect:
		p->op = NET_OP_CONNECT, p->addr = a[1], p->addrlen = a[2];
		return 1;
	case NR_accept:
	case NR_accept4:
		p->op = NET_OP_ACCEPT;
		return 1;
	case NR_listen:
		p->op = NET_OP_LISTEN, p->backlog = a[1];
		return 1;
	case NR_bind:
		p->op = NET_OP_BIND, p->addr = a[1], p->addrlen = a[2];
		return 1;
	case NR_sendto:
		if (!a[4])
			return 0;
		p->op = NET_OP_SEND, p->addr = a[4], p->addrlen = a[5], p->buf = a[1];
		return 1;
	case NR_sendmsg:
		p->op = NET_OP_SEND, p->addr = a[1], p->is_msg = compat ? 2 : 1;
		return 1;
	}
	return 0;
}

/*
 * Whether the current task is inside a connect syscall, of either ABI
 * (i386: connect, or socketcall(SYS_CONNECT)), from the number its user
 * registers hold.
 */
static __always_inline int in_connect_call(void)
{
	struct task_struct *task;
	int compat;

	switch (our_nr(task_syscall_nr(), &compat, &task)) {
	case NR_connect:
		return 1;
	case COMPAT_SOCKETCALL:
		return BPF_CORE_READ(task_user_regs(), bx) == SYS_CONNECT;
	}
	return 0;
}

/* The struct sock behind descriptor @fd, or NULL if it is not a socket. */
static __always_inline struct sock *fd_sock(struct task_struct *task, long fd)
{
	struct file *f = fd_file(fd);
	struct socket *sock;
	umode_t mode;

	if (!f)
		return NULL;
	mode = BPF_CORE_READ(f, f_inode, i_mode);
	if ((mode & S_IFMT) != S_IFSOCK)
		return NULL;
	sock = BPF_CORE_READ(f, private_data);
	return sock ? BPF_CORE_READ(sock, sk) : NULL;
}

/* Local end of @sk into e->s*, remote end into e->d*. */
static __always_inline void net_from_sock(struct net_event *e, struct sock *sk)
{
	e->family = BPF_CORE_READ(sk, __sk_common.skc_family);
	e->protocol = BPF_CORE_READ(sk, sk_protocol);
	e->sock_type = BPF_CORE_READ(sk, sk_type);
	e->sport = BPF_CORE_READ(sk, __sk_common.skc_num);
	e->dport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if (e->family == AF_INET6) {
		BPF_CORE_READ_INTO(&e->saddr, sk, __sk_common.skc_v6_rcv_saddr);
		BPF_CORE_READ_INTO(&e->daddr, sk, __sk_common.skc_v6_daddr);
	} else {
		BPF_CORE_READ_INTO((__u32 *)e->saddr, sk, __sk_common.skc_rcv_saddr);
		BPF_CORE_READ_INTO((__u32 *)e->daddr, sk, __sk_common.skc_daddr);
	}
}

/*
 * The caller's sockaddr into e->d* (or e->s* for bind).  Returns its family,
 * or 0 when unreadable.  A unix path goes to e->unix_path.
 */
static __always_inline __u16 net_from_sockaddr(struct net_event *e, __u64 uaddr, int local)
{
	struct sockaddr_in6 sa = {};
	__u16 family = 0;

	if (!uaddr || bpf_probe_read_user(&family, sizeof(family), (void *)uaddr))
		return 0;
	if (family == AF_UNIX) {
		long n = bpf_probe_read_user_str(e->unix_path, UNIX_PATH_LEN,
						 (void *)(uaddr + sizeof(family)));

		e->unix_path_len = n > 1 ? n - 1 : 0;
		return family;
	}
	if (family != AF_INET && family != AF_INET6)
		return family;
	bpf_probe_read_user(&sa, family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(sa),
			    (void *)uaddr);
	__u8 *addr = local ? e->saddr : e->daddr;

	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&sa;

		__builtin_memcpy(addr, &sin->sin_addr, 4);
	} else {
		__builtin_memcpy(addr, &sa.sin6_addr, 16);
	}
	if (local)
		e->sport = bpf_ntohs(sa.sin6_port);
	else
		e->dport = bpf_ntohs(sa.sin6_port);
	return family;
}

static __always_inline struct net_event *net_event_new(struct task_struct *task, __u32 op, long ret)
{
	__u32 zero = 0;
	struct net_event *e = bpf_map_lookup_elem(&net_scratch, &zero);

	if (!e) {
		stat_miss(STAT_SCRATCH_MISS);
		return NULL;
	}
	__builtin_memset(e, 0, sizeof(*e));
	fill_header(&e->hdr, EVENT_NET);
	e->hdr.size = sizeof(*e);
	e->op = op;
	e->ret = ret;
	return e;
}

/* A repeat of a folded send, at @now: counted only. */
static __always_inline void fold_count(struct fold_value *v, __u64 now)
{
	__sync_fetch_and_add(&v->count, 1);
	v->last_ns = now;
	stat_inc(STAT_NET_FOLDED);
}

/* Fold a UDP send: returns 1 when it only counted a repeat. */
static __always_inline int fold_send(struct net_event *e)
{
	struct fold_key k = {
		.pid = e->hdr.pid,
		.family = e->family,
		.port = e->dport,
	};
	struct fold_value *v, nv = {};

	__builtin_memcpy(k.addr, e->daddr, 16);
	v = bpf_map_lookup_elem(&net_fold, &k);
	if (v) {
		fold_count(v, e->hdr.ts_ns);
		return 1;
	}
	nv.first_ns = e->hdr.ts_ns;
	nv.last_ns = e->hdr.ts_ns;
	nv.count = 1;
	nv.uid = e->hdr.uid;
	nv.op = e->op;
	nv.protocol = e->protocol;
	bpf_map_update_elem(&net_fold, &k, &nv, BPF_NOEXIST);
	e->flags |= NET_F_FOLDED;
	return 0;
}

/*
 * A repeat of a folded UDP send or connect (a DNS client's thousandth query
 * to its resolver) is only counted: checked from the caller's sockaddr
 * before a record is built, as a record's header alone takes a few
 * thousand instructions (ownership, credentials, namespaces, root).
 * Returns 1 when it counted.  The fold map holds UDP destinations only,
 * but a TCP call may name one too: the socket's protocol decides.
 */
static __always_inline int fold_repeat(struct task_struct *task, long fd, __u64 uaddr)
{
	struct sockaddr_in6 sa = {};
	struct fold_key k = {};
	struct fold_value *v;
	struct sock *sk;

	/* the largest inet sockaddr: a shorter one at the end of a page
	 * fails here and takes the full path, which reads by family */
	if (bpf_probe_read_user(&sa, sizeof(sa), (void *)uaddr))
		return 0;
	if (sa.sin6_family == AF_INET)
		__builtin_memcpy(k.addr, &((struct sockaddr_in *)&sa)->sin_addr, 4);
	else if (sa.sin6_family == AF_INET6)
		__builtin_memcpy(k.addr, &sa.sin6_addr, 16);
	else
		return 0;
	k.pid = bpf_get_current_pid_tgid() >> 32;
	k.family = sa.sin6_family;
	k.port = bpf_ntohs(sa.sin6_port); /* where sin_port is too */
	v = bpf_map_lookup_elem(&net_fold, &k);
	if (!v)
		return 0;
	sk = fd_sock(task, fd);
	if (!sk || BPF_CORE_READ(sk, sk_protocol) != IPPROTO_UDP)
		return 0;
	fold_count(v, bpf_ktime_get_boot_ns());
	return 1;
}

/*
 * A send to the kernel's audit netlink socket: is it a message that
 * changes the audit system (enum audit_reported)?  If so, its type, and
 * for AUDIT_SET the status words, go into @e.  What auditctl -e 0, -D and
 * -R send, and what a program disabling the audit itself would.  Only the
 * first message of a send is read (auditctl sends one per call); a send
 * without a destination address (send(2)) and an i386 sendmsg are not
 * decoded.
 */
static __always_inline int audit_message(struct net_event *e, struct task_struct *task,
					 struct net_call *p)
{
	struct {
		struct nlmsghdr h;
		__u32 status[5];
	} msg = {};
	struct sock *sk;

	if (!p->buf)
		return 0;
	sk = fd_sock(task, p->fd);
	if (!sk || BPF_CORE_READ(sk, sk_protocol) != NETLINK_AUDIT)
		return 0;
	if (p->is_msg == 1) {
		struct iovec iov = {};

		if (bpf_probe_read_user(&iov, sizeof(iov), (void *)p->buf))
			return 0;
		p->buf = (__u64)iov.iov_base; /* the first message */
	}
	if (bpf_probe_read_user(&msg, sizeof(msg.h), (void *)p->buf))
		return 0;
	switch (msg.h.nlmsg_type) {
	case REPORT_AUDIT_SET:
		bpf_probe_read_user(msg.status, sizeof(msg.status), (void *)(p->buf + sizeof(msg.h)));
		break;
	case REPORT_AUDIT_ADD_RULE:
	case REPORT_AUDIT_DEL_RULE:
	case REPORT_AUDIT_TRIM:
	case REPORT_AUDIT_MAKE_EQUIV:
	case REPORT_AUDIT_SET_FEATURE:
		break;
	default:
		return 0;
	}
	e->protocol = NETLINK_AUDIT;
	e->audit_type = msg.h.nlmsg_type;
	for (int i = 0; i < 5; i++)
		e->audit_status[i] = msg.status[i];
	return 1;
}

/*
 * The exit of socket call @nr (x86-64 number; socketcall decoded) with
 * arguments @a read back there, and its result @ret.
 */
static __always_inline int net_exit(void *ctx, long ret, long nr, const __u64 *a, int compat)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__u64 syn_sk = 0, *note;
	__u32 zero = 0;
	struct net_call *p = bpf_map_lookup_elem(&net_call_scratch, &zero);
	struct net_event *e;
	struct sock *sk;
	__u64 uaddr;

	if (!p) {
		stat_miss(STAT_SCRATCH_MISS);
		return 0;
	}
	__builtin_memset(p, 0, sizeof(*p));
	if (!net_args(nr, a, compat, p))
		return 0;
	/* read back from the map, not from what clang knows it stored */
	asm volatile("" ::: "memory");
	if (p->op == NET_OP_CONNECT && (note = bpf_map_lookup_elem(&net_handshakes, &tid))) {
		/* read before the delete: a deleted element's memory goes back
		 * to the map's free list at once, and another CPU's SYN_SENT
		 * may take it and write its own socket there (1 connect in
		 * 5,000-60,000 of two threads lacked TCP's view) */
		syn_sk = *note;
		/* a connect a signal interrupted (-ERESTARTSYS) is usually
		 * restarted, and goes on with the same handshake: its exit
		 * needs the note too (a stale one names another socket) */
		if (!is_restart(ret))
			bpf_map_delete_elem(&net_handshakes, &tid);
	}

	switch (p->op) {
	case NET_OP_ACCEPT:
		if (ret < 0)
			return 0; /* a failed accept says nothing */
		sk = fd_sock(task, ret);
		if (!sk)
			return 0;
		e = net_event_new(task, p->op, ret);
		if (!e)
			return 0;
		net_from_sock(e, sk);
		if (e->family != AF_INET && e->family != AF_INET6)
			return 0;
		break;
	case NET_OP_LISTEN:
		sk = fd_sock(task, p->fd);
		if (!sk)
			return 0;
		e = net_event_new(task, p->op, ret);
		if (!e)
			return 0;
		net_from_sock(e, sk);
		if (e->family != AF_INET && e->family != AF_INET6)
			return 0;
		e->backlog = p->backlog;
		break;
	case NET_OP_BIND:
		e = net_event_new(task, p->op, ret);
		if (!e)
			return 0;
		e->family = net_from_sockaddr(e, p->addr, 1);
		if ((e->family != AF_INET && e->family != AF_INET6) || e->sport == 0)
			return 0; /* ephemeral or not inet: not worth a line */
		sk = fd_sock(task, p->fd);
		if (sk) {
			e->protocol = BPF_CORE_READ(sk, sk_protocol);
			e->sock_type = BPF_CORE_READ(sk, sk_type);
		}
		break;
	case NET_OP_CONNECT:
	case NET_OP_SEND:
		uaddr = p->addr;
		if (p->is_msg == 1) {
			struct user_msghdr msg = {};

			bpf_probe_read_user(&msg, sizeof(msg), (void *)p->addr);
			uaddr = (__u64)msg.msg_name;
			/* the first iovec: read only for the audit socket */
			p->buf = msg.msg_iovlen > 0 ? (__u64)msg.msg_iov : 0;
		} else if (p->is_msg == 2) {
			__u32 name32 = 0;

			bpf_probe_read_user(&name32, sizeof(name32), (void *)p->addr);
			uaddr = name32;
		}
		if (!uaddr)
			return 0; /* a send on a connected socket: reported at connect */
		if (fold_repeat(task, p->fd, uaddr))
			return 0;
		e = net_event_new(task, p->op, ret);
		if (!e)
			return 0;
		e->family = net_from_sockaddr(e, uaddr, 0);
		if (e->family == AF_NETLINK) {
			if (p->op != NET_OP_SEND || ret < 0 || !audit_message(e, task, p))
				return 0;
			break;
		}
		if (e->family == AF_UNIX) {
			if (p->op != NET_OP_CONNECT || !bpf_map_lookup_elem(&unix_watch, e->unix_path))
				return 0;
			break;
		}
		if (e->family != AF_INET && e->family != AF_INET6)
			return 0;
		sk = fd_sock(task, p->fd);
		if (sk) {
			e->protocol = BPF_CORE_READ(sk, sk_protocol);
			e->sock_type = BPF_CORE_READ(sk, sk_type);
			e->sport = BPF_CORE_READ(sk, __sk_common.skc_num);
			if (e->family == AF_INET6)
				BPF_CORE_READ_INTO(&e->saddr, sk, __sk_common.skc_v6_rcv_saddr);
			else
				BPF_CORE_READ_INTO((__u32 *)e->saddr, sk, __sk_common.skc_rcv_saddr);
		}
		/* TCP's own view of this socket's handshake: at SYN_SENT the
		 * port is not chosen yet (inet_hash_connect comes after), so the
		 * socket, read now, has the final 4-tuple */
		if (syn_sk && syn_sk == (__u64)sk)
			e->flags |= NET_F_KERNEL;
		if (e->protocol == IPPROTO_UDP && fold_send(e))
			return 0;
		if (p->op == NET_OP_SEND && e->protocol != IPPROTO_UDP)
			return 0; /* TCP Fast Open is reported by the SYN_SENT hook */
		break;
	default:
		return 0;
	}
	e->flags |= NET_F_SYSCALL;
	emit(ctx, e, sizeof(*e));
	return 0;
}

/*
 * The kernel starts a TCP handshake.  Inside a connect syscall this only
 * notes the socket for the call's exit; otherwise it is the only witness.  (The
 * address arrays are copied with a helper: the verifier refuses loads
 * through a ctx pointer plus an offset.)
 */
SEC("tracepoint/sock/inet_sock_set_state")
int tracepoint__sock__inet_sock_set_state(struct trace_event_raw_inet_sock_set_state *ctx)
{
	struct task_struct *task;
	struct net_event *e;
	__u64 id;
	__u32 tid;

	if (ctx->newstate != TCP_SYN_SENT || ctx->protocol != IPPROTO_TCP)
		return 0;
	id = bpf_get_current_pid_tgid();
	if ((id >> 32) == self_tgid)
		return 0;
	tid = (__u32)id;
	if (in_connect_call()) {
		__u64 sk = (__u64)ctx->skaddr;

		if (bpf_map_update_elem(&net_handshakes, &tid, &sk, BPF_ANY))
			stat_miss(STAT_PENDING_FULL);
		return 0;
	}

	task = (struct task_struct *)bpf_get_current_task();
	e = net_event_new(task, NET_OP_CONNECT, 0);
	if (!e)
		return 0;
	e->flags = NET_F_KERNEL | NET_F_NO_RESULT;
	e->family = ctx->family;
	e->protocol = IPPROTO_TCP;
	e->sock_type = 1; /* SOCK_STREAM */
	e->sport = ctx->sport;
	e->dport = ctx->dport;
	if (ctx->family == AF_INET6) {
		bpf_probe_read_kernel(e->saddr, 16, ctx->saddr_v6);
		bpf_probe_read_kernel(e->daddr, 16, ctx->daddr_v6);
	} else {
		bpf_probe_read_kernel(e->saddr, 4, ctx->saddr);
		bpf_probe_read_kernel(e->daddr, 4, ctx->daddr);
	}
	emit(ctx, e, sizeof(*e));
	return 0;
}

#endif /* __LOG_MONITOR_NET_H */
