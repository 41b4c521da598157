/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Credential tracking: every task's last known credentials, kept in the
 * kernel and compared at each transition we can see.
 *
 * Why: only tracepoints are available here, so there is no hook on
 * commit_creds.  Instead the credentials are read (a) around set*id,
 * setgroups and capset (syscall.h), (b) around exec (process.h), and (c) at
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

static __always_inline void emit_priv(void *ctx, struct task_struct *task,
				      const struct cred_snap *before, const struct cred_snap *after,
				      __u32 means, __u32 nr, long ret)
{
	__u32 zero = 0;
	struct priv_event *e = bpf_map_lookup_elem(&priv_scratch, &zero);

	if (!e) {
		stat_inc(STAT_SCRATCH_MISS);
		return;
	}
	fill_header(&e->hdr, EVENT_PRIV, task);
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
	emit(ctx, e, sizeof(*e));
}

static __always_inline void store_creds(__u32 tid, const struct cred_snap *c)
{
	if (bpf_map_update_elem(&task_creds, &tid, c, BPF_ANY))
		stat_inc(STAT_CREDS_FULL);
}

/* the task is gone: its tid may be reused by a task with other credentials */
static __always_inline void forget_creds(__u32 tid)
{
	bpf_map_delete_elem(&task_creds, &tid);
}

/*
 * Compare the current credentials with the last known ones: a gain nobody
 * explained is reported.  Called after the explained transitions of this
 * syscall have been recorded.
 */
static __always_inline void check_creds(void *ctx, struct task_struct *task, __u32 nr)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	const struct cred *c = BPF_CORE_READ(task, cred);
	struct cred_snap cur, *old;

	old = bpf_map_lookup_elem(&task_creds, &tid);
	/* the common case in three reads: nothing that matters changed */
	if (old && BPF_CORE_READ(c, euid.val) == old->euid && BPF_CORE_READ(c, uid.val) == old->uid &&
	    BPF_CORE_READ(c, fsuid.val) == old->fsuid)
		return;
	read_creds(task, &cur);
	if (!old) {
		store_creds(tid, &cur); /* first sight: nothing to compare */
		return;
	}
	/* root only: a new user namespace legitimately grants every
	 * capability inside it, but never uid 0 outside */
	if (creds_gained_root(old, &cur))
		emit_priv(ctx, task, old, &cur, PRIV_UNEXPLAINED, nr, 0);
	if (old->uid != cur.uid || old->euid != cur.euid || old->fsuid != cur.fsuid ||
	    old->cap_effective != cur.cap_effective || old->suid != cur.suid ||
	    old->gid != cur.gid || old->egid != cur.egid)
		*old = cur;
}

#endif /* __LOG_MONITOR_CREDS_H */
