// SPDX-License-Identifier: GPL-2.0
/* A record's meta section. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/utsname.h>

#include "iovb/rec_meta.h"
#include "iovb/record.h"

static void cpu_model(char *buf, size_t len)
{
	char line[512];
	FILE *f = fopen("/proc/cpuinfo", "re");

	snprintf(buf, len, "unknown");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');

		if (strncmp(line, "model name", 10) || !colon)
			continue;
		colon += 1 + (colon[1] == ' ');
		colon[strcspn(colon, "\n")] = '\0';
		snprintf(buf, len, "%s", colon);
		break;
	}
	fclose(f);
}

int record__default_path(char *buf, size_t len, const char *output, const char *label)
{
	char stamp[32];
	struct tm tm;
	time_t t = time(NULL);

	if (output) {
		snprintf(buf, len, "%s", output);
		return 0;
	}
	gmtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	if (mkdir("results", 0755) && errno != EEXIST)
		return -errno;
	snprintf(buf, len, "results/%s-%s.json.gz", stamp, label);
	return 0;
}

void record__iso_now(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

json_t *record__meta(const char *label, int argc, char **argv, const char *started)
{
	struct utsname u;
	char model[256];
	json_t *cmd = json_array(), *meta;

	uname(&u);
	cpu_model(model, sizeof(model));
	for (int i = 0; i < argc; i++)
		json_array_append_new(cmd, json_string(argv[i]));
	meta = json_pack("{s{ss ss} ss s{ss ss ss} s{ss sI sI} ss so}", "tool", "version",
			 IOVB_VERSION, "git_rev", IOVB_GIT_REV, "label", label, "kernel", "release",
			 u.release, "version", u.version, "machine", u.machine, "cpu", "model",
			 model, "nproc", (json_int_t)sysconf(_SC_NPROCESSORS_ONLN), "clk_tck",
			 (json_int_t)sysconf(_SC_CLK_TCK), "started", started, "command_line", cmd);
	/* the nominal clock for cycles per byte; a CPU without one simply has no such field */
	if (meta)
		record__cpu_nominal(json_object_get(meta, "cpu"), NULL);
	return meta;
}
