/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Credential tracking: every task's last known credentials, kept in the
 * kernel and compared at each transition we can see.
 *
 * Why: only tracepoints are available here, so there is no hook on
 * commit_creds.  Instead the credentials are read (a) after set*id,
 * setgroups and capset (syscall.h), (b) after exec (process.h), and (c) at
 * the exit of every monitored syscall and at fork: a task that became root
 * with none of (a) or (b) in between changed credentials behind the
 * kernel's back, the signature of a kernel exploit (PRIV_UNEXPLAINED).
 * Where the kernel has kprobes, a hook on commit_creds itself (kprobes.h)
 * sees the change when it happens, not at the task's next monitored
 * syscall.
 */
#ifndef __LOG_MONITOR_CREDS_H
#define __LOG_MONITOR_CREDS_H

#include "base.h"
#include "common.h"
#include "maps.h"

static __always_inline void read_cred(const struct cred *c, struct cred_snap *s)
{
	s->uid = BPF_CORE_READ(c, uid.val);
	s->euid = BPF_CORE_READ(c, euid.val);
	s->suid = BPF_CORE_READ(c, suid.val);
	s->fsuid = BPF_CORE_READ(c, fsuid.val);
	s->gid = BPF_CORE_READ(c, gid.val);
	s->egid = BPF_CORE_READ(c, egid.val);
	s->sgid = BPF_CORE_READ(c, sgid.val);
	s->fsgid = BPF_CORE_READ(c, fsgid.val);
	/* kernel_cap_t is u32[2] before 6.3 and a u64 since: 8 bytes either way */
	s->cap_effective = 0;
	s->cap_permitted = 0;
	bpf_probe_read_kernel(&s->cap_effective, 8, __builtin_preserve_access_index(&c->cap_effective));
	bpf_probe_read_kernel(&s->cap_permitted, 8, __builtin_preserve_access_index(&c->cap_permitted));
}

static __always_inline void read_creds(struct task_struct *task, struct cred_snap *s)
{
	read_cred(BPF_CORE_READ(task, cred), s);
}

/* Are the capabilities of @c those of @s? */
static __always_inline int same_caps(const struct cred *c, const struct cred_snap *s)
{
	__u64 eff = 0, prm = 0;

	bpf_probe_read_kernel(&eff, 8, __builtin_preserve_access_index(&c->cap_effective));
	bpf_probe_read_kernel(&prm, 8, __builtin_preserve_access_index(&c->cap_permitted));
	return eff == s->cap_effective && prm == s->cap_permitted;
}

/* Did @a become root where @b was not (uid, euid or fsuid 0)? */
static __always_inline int creds_gained_root(const struct cred_snap *b, const struct cred_snap *a)
{
	return (a->uid == 0 && b->uid != 0) || (a->euid == 0 && b->euid != 0) ||
	       (a->fsuid == 0 && b->fsuid != 0);
}

/*
 * Did @a gain privilege over @b: root, or an effective capability @b had
 * neither in effect nor in reserve (permitted: raising those back with
 * capset is no gain).
 */
static __always_inline int creds_gained(const struct cred_snap *b, const struct cred_snap *a)
{
	if (creds_gained_root(b, a))
		return 1;
	return (a->cap_effective & ~(b->cap_effective | b->cap_permitted)) != 0;
}

/* The record of a gain, built in priv_scratch; NULL when there is no
 * scratch (counted). */
static __always_inline struct priv_event *fill_priv(struct task_struct *task,
						    const struct cred_snap *before,
						    const struct cred_snap *after,
						    __u32 means, __u32 nr, long ret)
{
	__u32 zero = 0;
	struct priv_event *e = bpf_map_lookup_elem(&priv_scratch, &zero);

	if (!e) {
		stat_miss(STAT_SCRATCH_MISS);
		return NULL;
	}
	fill_header(&e->hdr, EVENT_PRIV);
	e->hdr.size = sizeof(*e);
	e->before = *before;
	e->after = *after;
	e->means = means;
	e->nr = nr;
	e->ret = ret;
	e->exe_uid = -1;
	e->exe_mode = 0;
	if (means == PRIV_EXEC) {
		struct inode *ino = BPF_CORE_READ(task, mm, exe_file, f_inode);

		if (ino) {
			e->exe_uid = BPF_CORE_READ(ino, i_uid.val);
			e->exe_mode = BPF_CORE_READ(ino, i_mode);
		}
	}
	return e;
}

static __always_inline void emit_priv(void *ctx, struct task_struct *task,
				      const struct cred_snap *before, const struct cred_snap *after,
				      __u32 means, __u32 nr, long ret)
{
	struct priv_event *e = fill_priv(task, before, after, means, nr, ret);

	if (e)
		emit(ctx, e, sizeof(*e));
}

static __always_inline void store_creds(__u32 tid, const struct cred_snap *c)
{
	if (bpf_map_update_elem(&task_creds, &tid, c, BPF_ANY))
		stat_miss(STAT_CREDS_FULL);
}

/* the task is gone: its tid may be reused by a task with other credentials */
static __always_inline void forget_creds(__u32 tid)
{
	bpf_map_delete_elem(&task_creds, &tid);
}

/*
 * The task changed its credentials by a means we see (@means: a set*id
 * call, a set-uid exec) and is back from it: compare the credentials now
 * with the last known ones of thread @before_tid (an exec by a non-leader
 * thread takes its leader's tid), report a gain, and keep the new ones.
 * Nothing is kept at the call's entry: the last known credentials are the
 * ones before it, for the table is kept current at every new task, exec
 * and monitored syscall, and seeded at start (monitor/creds.go).  Where
 * none are known (the table was full: STAT_CREDS_FULL), the change is only
 * recorded.
 */
static __always_inline void creds_explained(void *ctx, struct task_struct *task, __u32 before_tid,
					    __u32 means, __u32 nr, long ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct cred_snap cur, *old = bpf_map_lookup_elem(&task_creds, &before_tid);

	read_creds(task, &cur);
	if (old && creds_gained(old, &cur))
		emit_priv(ctx, task, old, &cur, means, nr, ret);
	if (old && before_tid == tid) {
		*old = cur;
		return;
	}
	if (old)
		forget_creds(before_tid);
	store_creds(tid, &cur);
}

/*
 * Compare the current credentials with the last known ones: a gain nobody
 * explained is reported.  Called after the explained transitions of this
 * syscall have been recorded.
 */
/*
 * The common case of check_creds: nothing that matters changed.  The
 * capabilities too: they are the "before" of the next set*id call or exec
 * (creds_explained), so a change of theirs alone (unshare of a user
 * namespace) must be kept.  Where the current task is a BTF pointer (5.11)
 * the fields are plain loads, and so are the capabilities where they are
 * one u64 (6.3); elsewhere a helper call each (six per monitored call).
 */
static __always_inline int creds_unchanged(const struct cred_snap *old)
{
	struct task_struct *t = current_btf();

	if (t) {
		const struct cred *c = t->cred;

		if (c->euid.val != old->euid || c->uid.val != old->uid || c->fsuid.val != old->fsuid)
			return 0;
		/* kernel_cap_t is one u64 from 6.3 */
#ifdef BUILD_6_4
		if (1)
#else
		if (bpf_core_field_exists(c->cap_effective.val))
#endif
			return c->cap_effective.val == old->cap_effective &&
			       c->cap_permitted.val == old->cap_permitted;
		return same_caps(c, old);
	}
	t = (struct task_struct *)bpf_get_current_task();
	const struct cred *c = BPF_CORE_READ(t, cred);

	return BPF_CORE_READ(c, euid.val) == old->euid && BPF_CORE_READ(c, uid.val) == old->uid &&
	       BPF_CORE_READ(c, fsuid.val) == old->fsuid && same_caps(c, old);
}

/*
 * Whether the current task's credentials gained root since they were last
 * seen, with no means we see (the signature of a kernel exploit): if so the
 * record is built in priv_scratch, for the caller to send, and 1 returned.
 * @nr is the syscall it was noticed at.
 */
static __always_inline int creds_unexplained(__u32 nr)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct cred_snap cur, *old;
	int gained = 0;

	old = bpf_map_lookup_elem(&task_creds, &tid);
	if (old && creds_unchanged(old))
		return 0;
	read_creds(task, &cur);
	if (!old) {
		store_creds(tid, &cur); /* first sight: nothing to compare */
		return 0;
	}
	/* root only: a new user namespace legitimately grants every
	 * capability inside it, but never uid 0 outside */
	if (creds_gained_root(old, &cur))
		gained = fill_priv(task, old, &cur, PRIV_UNEXPLAINED, nr, 0) != NULL;
	*old = cur;
	return gained;
}

/* Send the record creds_unexplained built. */
static __always_inline void emit_priv_scratch(void *ctx)
{
	__u32 zero = 0;
	struct priv_event *e = bpf_map_lookup_elem(&priv_scratch, &zero);

	if (e)
		emit(ctx, e, sizeof(*e));
}

#endif /* __LOG_MONITOR_CREDS_H */
