// SPDX-License-Identifier: GPL-2.0
/*
 * libperf, built from the kernel's tools/lib/perf by scripts/libperf.sh, links and works:
 * CPU and thread maps, and a software cpu-clock counter on this thread counts the time it spins.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>
#include <linux/perf_event.h>
#include <perf/core.h>
#include <perf/cpumap.h>
#include <perf/evsel.h>
#include <perf/threadmap.h>
#include <cmocka.h>

static void test_cpu_map(void **state)
{
	struct perf_cpu_map *cpus = perf_cpu_map__new(NULL);

	(void)state;
	assert_non_null(cpus);
	assert_int_equal(perf_cpu_map__nr(cpus), sysconf(_SC_NPROCESSORS_ONLN));
	perf_cpu_map__put(cpus);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void test_cpu_clock_counts(void **state)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_SOFTWARE,
		.config = PERF_COUNT_SW_TASK_CLOCK,
		.size = sizeof(attr),
		.exclude_kernel = 1, /* allowed at perf_event_paranoid 2 */
		.disabled = 1,
	};
	struct perf_thread_map *threads = perf_thread_map__new_dummy();
	struct perf_counts_values counts = { 0 };
	struct perf_evsel *evsel;
	volatile uint64_t sink = 0;
	uint64_t t0, spent;

	(void)state;
	assert_non_null(threads);
	perf_thread_map__set_pid(threads, 0, 0);
	evsel = perf_evsel__new(&attr);
	assert_non_null(evsel);
	assert_int_equal(perf_evsel__open(evsel, NULL, threads), 0);
	assert_int_equal(perf_evsel__enable(evsel), 0);
	t0 = now_ns();
	while (now_ns() - t0 < 50000000)
		sink += 1;
	spent = now_ns() - t0;
	assert_int_equal(perf_evsel__disable(evsel), 0);
	assert_int_equal(perf_evsel__read(evsel, 0, 0, &counts), 0);
	/* task-clock counted most of the 50 ms the thread spent on CPU (user part). */
	assert_true(counts.val > spent / 4);
	assert_true(counts.val <= spent + spent / 10);
	perf_evsel__close(evsel);
	perf_evsel__delete(evsel);
	perf_thread_map__put(threads);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cpu_map),
		cmocka_unit_test(test_cpu_clock_counts),
	};

	libperf_init(NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
