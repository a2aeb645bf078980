// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for the topology's parsers (bench/topo.c): --guests, --offload, and --vf
 * resolution against the sysfs fixtures (tests/fixtures/sysfs, found from the source path,
 * or $IOVB_FIXTURES). No root, no namespaces.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "../../bench/topo.h"

static char fixtures[PATH_MAX];

static void test_parse_guests(void **state)
{
	unsigned g[TOPO_NPATH] = { 0 };

	(void)state;
	assert_int_equal(topo__parse_guests("2+2", g), 0);
	assert_int_equal(g[TOPO_VF], 2);
	assert_int_equal(g[TOPO_PV], 2);
	assert_int_equal(topo__parse_guests("0+3", g), 0);
	assert_int_equal(g[TOPO_VF], 0);
	assert_int_equal(g[TOPO_PV], 3);
	assert_int_equal(topo__parse_guests("8+0", g), 0);
	for (const char *const *bad = (const char *const[]){ "2", "+", "1+", "+1", "0+0", "5+4",
							      "9+0", "1+1+1", "a+b", "-1+2", "",
							      NULL };
	     *bad; bad++)
		assert_int_equal(topo__parse_guests(*bad, g), -EINVAL);
}

static void test_offload_check(void **state)
{
	(void)state;
	assert_int_equal(topo__offload_check("host/br0:gro=off"), 0);
	assert_int_equal(topo__offload_check("eth0:tso=off,gso=off"), 0);
	assert_int_equal(topo__offload_check("*:rx-csum=on,tx-csum=off,sg=on,lro=off"), 0);
	assert_int_equal(topo__offload_check("guest-1/*:gro=on"), 0);
	for (const char *const *bad = (const char *const[]){ "eth0", "eth0:", "eth0:gro",
							      "eth0:gro=maybe", "eth0:bogus=on",
							      "/eth0:gro=on", "host/:gro=on",
							      ":gro=on", NULL };
	     *bad; bad++)
		assert_int_equal(topo__offload_check(*bad), -EINVAL);
}

static void test_vf_resolve(void **state)
{
	char host[PATH_MAX], buf[16];

	(void)state;
	assert_true(snprintf(host, sizeof(host), "%s/host", fixtures) < (int)sizeof(host));
	/* by PF netdev and by PCI address (which holds ':' itself) */
	assert_int_equal(topo__vf_resolve(host, "enp1s0f0:2", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "enp1s0f0v2");
	assert_int_equal(topo__vf_resolve(host, "0000:01:00.0:11", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "enp1s0f0v11");
	/* VF 3 is bound to vfio-pci: no netdev to move */
	assert_int_equal(topo__vf_resolve(host, "enp1s0f0:3", buf, sizeof(buf)), -ENOENT);
	/* 12 VFs enabled: 0..11 */
	assert_int_equal(topo__vf_resolve(host, "enp1s0f0:12", buf, sizeof(buf)), -ERANGE);
	/* a PF with no VFs enabled, a NIC that is no PF, no such device */
	assert_int_equal(topo__vf_resolve(host, "enp1s0f1:0", buf, sizeof(buf)), -ERANGE);
	assert_int_equal(topo__vf_resolve(host, "eno1:0", buf, sizeof(buf)), -ENODEV);
	assert_int_equal(topo__vf_resolve(host, "nosuch0:0", buf, sizeof(buf)), -ENODEV);
	/* a stand-in, or a VF whose PF is elsewhere */
	assert_int_equal(topo__vf_resolve(host, "netdev:standin0", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "standin0");
	for (const char *const *bad = (const char *const[]){ "enp1s0f0", "enp1s0f0:", ":3",
							      "enp1s0f0:x", "netdev:",
							      "netdev:muchtoolongname00", NULL };
	     *bad; bad++)
		assert_int_equal(topo__vf_resolve(host, *bad, buf, sizeof(buf)), -EINVAL);
}

static int group_setup(void **state)
{
	const char *env = getenv("IOVB_FIXTURES");
	char *slash;
	struct stat st;

	(void)state;
	if (env && *env) {
		snprintf(fixtures, sizeof(fixtures), "%s", env);
	} else {
		/* tests/unit/test_topo.c -> tests/fixtures/sysfs */
		snprintf(fixtures, sizeof(fixtures), "%s", __FILE__);
		slash = strrchr(fixtures, '/');
		if (slash)
			snprintf(slash, sizeof(fixtures) - (size_t)(slash - fixtures),
				 "/../fixtures/sysfs");
	}
	if (stat(fixtures, &st) || !S_ISDIR(st.st_mode)) {
		fprintf(stderr, "test_topo: fixtures not found at %s (run from the repository "
				"root or set IOVB_FIXTURES)\n", fixtures);
		return -1;
	}
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_guests),
		cmocka_unit_test(test_offload_check),
		cmocka_unit_test(test_vf_resolve),
	};

	return cmocka_run_group_tests(tests, group_setup, NULL);
}
