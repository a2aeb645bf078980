// SPDX-License-Identifier: GPL-2.0
/*
 * The perf collector's pieces that need no perf: the prefix -> module table (parsing, longest
 * prefix, malformed lines named by line number, the shipped data/modules.tsv, where it is found)
 * and the context classifier on synthetic callchains.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <jansson.h>
#include "iovb/perfcol.h"
#include "iovb/rec_perf.h"

struct tmp {
	char dir[64];
	char path[128];
};

static void tmp_write(struct tmp *t, const char *text)
{
	FILE *f;

	snprintf(t->dir, sizeof(t->dir), "/tmp/iovb-perfcol-XXXXXX");
	assert_non_null(mkdtemp(t->dir));
	snprintf(t->path, sizeof(t->path), "%s/modules.tsv", t->dir);
	f = fopen(t->path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void tmp_rm(struct tmp *t)
{
	unlink(t->path);
	rmdir(t->dir);
}

/* Load text that must be rejected; return the error message in err. */
static void load_bad(const char *text, char *err, size_t errlen)
{
	struct perfcol_table *tab;
	struct tmp t;

	tmp_write(&t, text);
	err[0] = '\0';
	errno = 0;
	tab = perfcol_table__load(t.path, err, errlen);
	assert_null(tab);
	assert_int_equal(errno, EINVAL);
	assert_non_null(strstr(err, t.path));
	tmp_rm(&t);
}

static void test_parse_and_lookup(void **state)
{
	struct perfcol_table *tab;
	char err[256] = "";
	struct tmp t;

	(void)state;
	tmp_write(&t, "# comment\n"
		      "\n"
		      "tcp_\tipv4\tnet/ipv4/tcp*.c\n"
		      "tcp_v6_\tipv6\n"
		      "   # indented comment\n"
		      "br_\tbridge\r\n"
		      "__x86_\tarch-x86\n"
		      "x\tshort\n");
	tab = perfcol_table__load(t.path, err, sizeof(err));
	assert_non_null(tab);
	assert_int_equal(perfcol_table__size(tab), 5);
	assert_string_equal(perfcol_table__lookup(tab, "tcp_v4_rcv"), "ipv4");
	/* longest prefix, wherever it is in the file */
	assert_string_equal(perfcol_table__lookup(tab, "tcp_v6_rcv"), "ipv6");
	assert_string_equal(perfcol_table__lookup(tab, "tcp_"), "ipv4");
	assert_string_equal(perfcol_table__lookup(tab, "br_handle_frame.cold"), "bridge");
	/* leading underscores: tried again without them only when the full name fails */
	assert_string_equal(perfcol_table__lookup(tab, "__tcp_push_pending_frames"), "ipv4");
	assert_string_equal(perfcol_table__lookup(tab, "__x86_return_thunk"), "arch-x86");
	assert_string_equal(perfcol_table__lookup(tab, "__xfoo"), "short");
	assert_null(perfcol_table__lookup(tab, "tc"));
	assert_null(perfcol_table__lookup(tab, "veth_xmit"));
	assert_null(perfcol_table__lookup(tab, ""));
	assert_null(perfcol_table__lookup(tab, "___"));
	assert_null(perfcol_table__lookup(NULL, "tcp_"));
	perfcol_table__free(tab);
	tmp_rm(&t);
}

static void test_malformed(void **state)
{
	char err[256];

	(void)state;
	load_bad("tcp_\tipv4\n# ok\nno_tab_here\n", err, sizeof(err));
	assert_non_null(strstr(err, ":3:"));
	load_bad("tcp_\tipv4\nudp_\tipv4\ntcp_\tother\n", err, sizeof(err));
	assert_non_null(strstr(err, ":3:"));
	assert_non_null(strstr(err, "line 1"));
	load_bad("tcp_\t\n", err, sizeof(err));
	assert_non_null(strstr(err, ":1:"));
	load_bad("\tipv4\n", err, sizeof(err));
	assert_non_null(strstr(err, ":1:"));
	load_bad("ok_\tfine\nbad prefix\tipv4\n", err, sizeof(err));
	assert_non_null(strstr(err, ":2:"));
	load_bad("tcp_\tip v4\n", err, sizeof(err));
	assert_non_null(strstr(err, ":1:"));
	load_bad("tcp_\tthis_module_name_is_far_too_long_for_a_cell\n", err, sizeof(err));
	assert_non_null(strstr(err, ":1:"));
	load_bad("# only comments\n\n", err, sizeof(err));
	assert_non_null(strstr(err, "no entries"));
}

static void test_missing_file(void **state)
{
	char err[256] = "";

	(void)state;
	errno = 0;
	assert_null(perfcol_table__load("/nonexistent/iovb/modules.tsv", err, sizeof(err)));
	assert_int_equal(errno, ENOENT);
	assert_non_null(strstr(err, "/nonexistent/iovb/modules.tsv"));
	errno = 0;
	assert_null(perfcol_table__load(NULL, err, sizeof(err)));
	assert_int_equal(errno, EINVAL);
}

static void test_default_table(void **state)
{
	char path[PATH_MAX], err[256] = "";
	struct perfcol_table *tab;
	struct tmp t;

	(void)state;
	/* IOVB_DATADIR first */
	tmp_write(&t, "zz_\tzz\n");
	setenv("IOVB_DATADIR", t.dir, 1);
	assert_int_equal(perfcol__default_table(path, sizeof(path)), 0);
	assert_string_equal(path, t.path);
	/* a buffer too small for any candidate finds nothing rather than a cut path */
	assert_int_not_equal(perfcol__default_table(path, 8), 0);
	assert_string_equal(path, "");
	unsetenv("IOVB_DATADIR");
	tmp_rm(&t);
	/* then the source tree's data/, found from build/tests/test_perfcol_table */
	assert_int_equal(perfcol__default_table(path, sizeof(path)), 0);
	assert_non_null(strstr(path, "/data/modules.tsv"));
	tab = perfcol_table__load(path, err, sizeof(err));
	if (!tab)
		fail_msg("shipped table: %s", err);
	assert_true(perfcol_table__size(tab) > 100);
	/* the examples and the paths' hot spots */
	assert_string_equal(perfcol_table__lookup(tab, "br_handle_frame"), "bridge");
	assert_string_equal(perfcol_table__lookup(tab, "br_forward"), "bridge");
	assert_string_equal(perfcol_table__lookup(tab, "veth_xmit"), "veth");
	assert_string_equal(perfcol_table__lookup(tab, "macvlan_handle_frame"), "macvlan");
	assert_string_equal(perfcol_table__lookup(tab, "tun_get_user"), "tun");
	assert_string_equal(perfcol_table__lookup(tab, "tcp_v4_rcv"), "ipv4");
	assert_string_equal(perfcol_table__lookup(tab, "tcp_v6_rcv"), "ipv6");
	assert_string_equal(perfcol_table__lookup(tab, "ip_rcv"), "ipv4");
	assert_string_equal(perfcol_table__lookup(tab, "__tcp_transmit_skb"), "ipv4");
	assert_string_equal(perfcol_table__lookup(tab, "virtnet_poll"), "virtio_net");
	assert_string_equal(perfcol_table__lookup(tab, "ixgbevf_poll"), "ixgbevf");
	assert_string_equal(perfcol_table__lookup(tab, "iavf_napi_poll"), "iavf");
	assert_string_equal(perfcol_table__lookup(tab, "mlx5e_napi_poll"), "mlx5_core");
	assert_string_equal(perfcol_table__lookup(tab, "vhost_worker"), "vhost");
	assert_string_equal(perfcol_table__lookup(tab, "vhost_net_tx_get_vq"), "vhost_net");
	assert_string_equal(perfcol_table__lookup(tab, "__netif_receive_skb_core"), "core-net");
	assert_string_equal(perfcol_table__lookup(tab, "process_backlog"), "core-net");
	assert_string_equal(perfcol_table__lookup(tab, "loopback_xmit"), "loopback");
	assert_string_equal(perfcol_table__lookup(tab, "_raw_spin_lock_bh"), "locking");
	assert_string_equal(perfcol_table__lookup(tab, "enqueue_to_backlog"), "core-net");
	assert_string_equal(perfcol_table__lookup(tab, "enqueue_task_fair"), "sched");
	assert_string_equal(perfcol_table__lookup(tab, "sched_balance_rq"), "sched");
	assert_string_equal(perfcol_table__lookup(tab, "sch_direct_xmit"), "net-sched");
	assert_string_equal(perfcol_table__lookup(tab, "pv_native_safe_halt"), "idle");
	perfcol_table__free(tab);
}

#define CLASSIFY(idle, ...)                                                                        \
	({                                                                                         \
		const char *const chain_[] = { __VA_ARGS__ };                                      \
		perfcol_ctx__classify(chain_, sizeof(chain_) / sizeof(chain_[0]), idle);           \
	})

static void test_classify(void **state)
{
	(void)state;
	/* softirq on irq exit, interrupting a task: the innermost marker wins */
	assert_int_equal(CLASSIFY(false, "tcp_v4_rcv", "ip_local_deliver_finish",
				  "__netif_receive_skb_one_core", "process_backlog", "__napi_poll",
				  "net_rx_action", "handle_softirqs", "__irq_exit_rcu",
				  "sysvec_apic_timer_interrupt", "asm_sysvec_apic_timer_interrupt",
				  "tcp_sendmsg_locked"),
			 PERFCOL_CTX_NET_RX);
	/* softirq run by local_bh_enable in a sending task */
	assert_int_equal(CLASSIFY(false, "tcp_ack", "tcp_rcv_established", "net_rx_action",
				  "handle_softirqs.cold", "do_softirq", "__local_bh_enable_ip",
				  "__dev_queue_xmit", "ip_finish_output2", "__tcp_transmit_skb"),
			 PERFCOL_CTX_NET_RX);
	assert_int_equal(CLASSIFY(false, "dev_hard_start_xmit", "net_tx_action", "handle_softirqs"),
			 PERFCOL_CTX_NET_TX);
	assert_int_equal(CLASSIFY(true, "call_timer_fn", "run_timer_softirq", "handle_softirqs",
				  "__irq_exit_rcu", "sysvec_apic_timer_interrupt", "default_idle"),
			 PERFCOL_CTX_TIMER);
	assert_int_equal(CLASSIFY(false, "rcu_do_batch", "rcu_core", "rcu_core_si",
				  "handle_softirqs", "run_ksoftirqd", "smpboot_thread_fn"),
			 PERFCOL_CTX_RCU);
	assert_int_equal(CLASSIFY(false, "x", "hrtimer_run_softirq", "__do_softirq"),
			 PERFCOL_CTX_HRTIMER);
	assert_int_equal(CLASSIFY(false, "x", "sched_balance_softirq", "handle_softirqs"),
			 PERFCOL_CTX_SCHED);
	assert_int_equal(CLASSIFY(false, "x", "tasklet_action", "handle_softirqs"),
			 PERFCOL_CTX_TASKLET);
	assert_int_equal(CLASSIFY(false, "x", "tasklet_hi_action", "handle_softirqs"),
			 PERFCOL_CTX_HI);
	assert_int_equal(CLASSIFY(false, "x", "blk_done_softirq", "handle_softirqs"),
			 PERFCOL_CTX_BLOCK);
	assert_int_equal(CLASSIFY(false, "x", "irq_poll_softirq", "handle_softirqs"),
			 PERFCOL_CTX_IRQ_POLL);
	/* a softirq frame with no known vector above it */
	assert_int_equal(
		CLASSIFY(false, "handle_softirqs", "__irq_exit_rcu", "sysvec_apic_timer_interrupt"),
		PERFCOL_CTX_SOFTIRQ);
	/* an irq handler with no softirq nearer the leaf */
	assert_int_equal(CLASSIFY(false, "vp_interrupt", "__handle_irq_event_percpu",
				  "handle_irq_event", "handle_edge_irq", "__common_interrupt",
				  "common_interrupt", "net_rx_action", "handle_softirqs"),
			 PERFCOL_CTX_HARDIRQ);
	assert_int_equal(CLASSIFY(false, "smp_call_function_single_interrupt",
				  "__sysvec_call_function_single", "sysvec_call_function_single"),
			 PERFCOL_CTX_HARDIRQ);
	/* near misses are not markers */
	assert_int_equal(CLASSIFY(false, "net_rx_action_x", "handle_softirqs_foo", "do_syscall_64"),
			 PERFCOL_CTX_PROCESS);
	/* unresolved frames are skipped */
	assert_int_equal(CLASSIFY(false, NULL, "net_rx_action"), PERFCOL_CTX_NET_RX);
	assert_int_equal(CLASSIFY(false, "tcp_sendmsg", "__sys_sendto", "do_syscall_64"),
			 PERFCOL_CTX_PROCESS);
	assert_int_equal(CLASSIFY(true, "pv_native_safe_halt", "default_idle", "do_idle"),
			 PERFCOL_CTX_IDLE);
	assert_int_equal(perfcol_ctx__classify(NULL, 0, false), PERFCOL_CTX_PROCESS);
	assert_string_equal(perfcol_ctx__name(PERFCOL_CTX_NET_RX), "NET_RX");
	assert_string_equal(perfcol_ctx__name(PERFCOL_CTX_PROCESS), "process");
	assert_string_equal(perfcol_ctx__name(PERFCOL_NR_CTX), "?");
}

#define RULE(tid, ...)                                                                             \
	({                                                                                         \
		const char *const chain_[] = { __VA_ARGS__ };                                      \
		perfcol_irq__rule(chain_, sizeof(chain_) / sizeof(chain_[0]), tid);                \
	})

static void test_irq_rule(void **state)
{
	(void)state;
	/* NET_RX run by local_bh_enable in the sending task: that task's work */
	assert_int_equal(RULE(4242, "tcp_ack", "tcp_rcv_established", "net_rx_action",
			      "handle_softirqs.cold", "__do_softirq", "do_softirq_own_stack",
			      "do_softirq", "__local_bh_enable_ip", "__dev_queue_xmit",
			      "ip_finish_output2", "__tcp_transmit_skb"),
			 PERFCOL_RULE_TASK_BH);
	assert_int_equal(RULE(4242, "x", "net_rx_action", "handle_softirqs", "local_bh_enable",
			      "tun_get_user"),
			 PERFCOL_RULE_TASK_BH);
	/* on irq exit the task was only interrupted, even if it had bh_enable frames deeper */
	assert_int_equal(RULE(4242, "tcp_v4_rcv", "net_rx_action", "handle_softirqs",
			      "__irq_exit_rcu", "sysvec_apic_timer_interrupt",
			      "asm_sysvec_apic_timer_interrupt", "__local_bh_enable_ip",
			      "tcp_sendmsg_locked"),
			 PERFCOL_RULE_IRQ_EXIT);
	assert_int_equal(RULE(4242, "x", "run_timer_softirq", "handle_softirqs", "irq_exit_rcu",
			      "sysvec_apic_timer_interrupt"),
			 PERFCOL_RULE_IRQ_EXIT);
	/* ksoftirqd: a thread, but nobody's work in particular */
	assert_int_equal(RULE(15, "rcu_do_batch", "rcu_core_si", "handle_softirqs",
			      "run_ksoftirqd", "smpboot_thread_fn", "kthread"),
			 PERFCOL_RULE_KSOFTIRQD);
	/* on top of the idle task, whatever the origin */
	assert_int_equal(RULE(0, "x", "net_rx_action", "handle_softirqs", "__irq_exit_rcu",
			      "sysvec_apic_timer_interrupt", "default_idle"),
			 PERFCOL_RULE_IDLE);
	assert_int_equal(RULE(0, "x", "net_rx_action", "handle_softirqs"), PERFCOL_RULE_IDLE);
	/* an irq handler nearer the leaf than any softirq: the interrupted task is incidental */
	assert_int_equal(RULE(4242, "vp_interrupt", "__handle_irq_event_percpu",
			      "handle_irq_event", "__common_interrupt", "common_interrupt",
			      "net_rx_action", "handle_softirqs", "__local_bh_enable_ip"),
			 PERFCOL_RULE_HARDIRQ);
	/* the origin is looked for below the softirq only: a bh_enable above it is not one */
	assert_int_equal(RULE(4242, "__local_bh_enable_ip", "net_rx_action", "handle_softirqs",
			      NULL, "entry_SYSCALL_64"),
			 PERFCOL_RULE_NO_ORIGIN);
	/* near misses are no origin */
	assert_int_equal(RULE(4242, "x", "net_rx_action", "handle_softirqs", "do_softirq_x",
			      "irq_exit_rcu_y"),
			 PERFCOL_RULE_NO_ORIGIN);
	assert_string_equal(perfcol_irq_rule__name(PERFCOL_RULE_TASK_BH), "task-bh");
	assert_string_equal(perfcol_irq_rule__name(PERFCOL_RULE_NO_ORIGIN), "no-origin");
	assert_string_equal(perfcol_irq_rule__name(PERFCOL_NR_RULES), "?");
}

static const char *role_by_ino(void *arg, uint64_t ino)
{
	(void)arg;
	return ino == 7 ? "guest-1" : "other";
}

/* task-bh samples follow their process's role; everything else is unattributed, by rule. */
static void test_irq_roles(void **state)
{
	struct perfcol_pid pids[3] = {
		{ .pid = 100, .samples = 5, .bh_samples = 3, .netns_ino = 99 },
		{ .pid = 200, .samples = 1, .bh_samples = 2, .netns_ino = 7 },
		{ .pid = 300, .samples = 4, .netns_ino = 7 },
	};
	struct thread_cpu tc = { .pid = 100, .tid = 100, .role = "server" };
	struct threads_snap known = { .t = &tc, .n = 1 };
	struct perfcol_stats st = { .period_ns = 1000, .pids = pids, .npids = 3 };
	json_t *o, *u;

	(void)state;
	pids[0].bh_ctx[PERFCOL_CTX_NET_RX] = 3;
	pids[1].bh_ctx[PERFCOL_CTX_NET_RX] = 1;
	pids[1].bh_ctx[PERFCOL_CTX_TIMER] = 1;
	st.ctx_samples[PERFCOL_CTX_NET_RX] = 10;
	st.ctx_samples[PERFCOL_CTX_TIMER] = 1;
	st.ctx_samples[PERFCOL_CTX_HARDIRQ] = 2;
	st.ctx_samples[PERFCOL_CTX_PROCESS] = 10;
	st.ctx_samples[PERFCOL_CTX_IDLE] = 50;
	st.rule_samples[PERFCOL_RULE_TASK_BH] = 5;
	st.rule_samples[PERFCOL_RULE_IRQ_EXIT] = 4;
	st.rule_samples[PERFCOL_RULE_IDLE] = 2;
	st.rule_samples[PERFCOL_RULE_HARDIRQ] = 2;
	o = record__perf_irq_roles(&st, &known, role_by_ino, NULL);
	assert_non_null(o);
	/* pid 100 is the caller's server whatever its netns */
	assert_int_equal(json_integer_value(json_object_get(json_object_get(o, "server"), "samples")),
			 3);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(o, "server"), "ns")),
			 3000);
	assert_string_equal(json_string_value(json_object_get(json_object_get(o, "server"), "rule")),
			    "task-bh");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(json_object_get(
				 o, "guest-1"), "contexts"), "TIMER")), 1);
	/* pid 300 ran no softirq: no role entry from it */
	assert_int_equal(json_integer_value(json_object_get(json_object_get(o, "guest-1"), "pids")),
			 1);
	u = json_object_get(o, "unattributed");
	/* NET_RX 10 - 4, TIMER 1 - 1, HARDIRQ 2: 8 */
	assert_int_equal(json_integer_value(json_object_get(u, "samples")), 8);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(u, "contexts"),
							    "NET_RX")), 6);
	assert_null(json_object_get(json_object_get(u, "contexts"), "TIMER"));
	assert_int_equal(json_integer_value(json_object_get(json_object_get(u, "rules"),
							    "irq-exit")), 4);
	assert_null(json_object_get(json_object_get(u, "rules"), "task-bh"));
	json_decref(o);
	/* process-context roles leave the softirq-only pids out */
	pids[1].samples = 0;
	o = record__perf_roles(&st, &known, role_by_ino, NULL);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(o, "guest-1"), "pids")),
			 1);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(o, "guest-1"),
							    "samples")), 4);
	json_decref(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_and_lookup), cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_missing_file),	 cmocka_unit_test(test_default_table),
		cmocka_unit_test(test_classify),	 cmocka_unit_test(test_irq_rule),
		cmocka_unit_test(test_irq_roles),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
