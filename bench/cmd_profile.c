// SPDX-License-Identifier: GPL-2.0
/*
 * `iovbench profile CAPTURE`: what the SMB2 clients in a capture did (report/profile.c reads it),
 * rendered as text or JSON, or written as a PROFILE.json that `iovbench load --profile` replays.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <jansson.h>

#include "cmds.h"
#include "iovb/cli.h"
#include "iovb/profile.h"

static const char profile_usage[] =
	"usage: iovbench profile CAPTURE [--json] [-o PROFILE.json] [-q|-v]\n"
	"\n"
	"Profile the SMB2 traffic in a capture (pcap or pcapng, optionally gzip-compressed;\n"
	"Ethernet with VLAN tags, Linux cooked SLL/SLL2 or raw IP; IPv4 and IPv6): per\n"
	"client/server conversation, READ and WRITE counts, bytes, I/O sizes, sequential and\n"
	"random offsets, requests in flight, credits; other commands; TCP payload bytes per\n"
	"direction; durations and throughput. Captures cut by a snaplen work when the headers\n"
	"were kept (-s 256 is plenty).\n"
	"\n"
	"  -j, --json            print one JSON document instead of text\n"
	"  -o, --output FILE     write the profile (the same JSON) to FILE for\n"
	"                        'iovbench load --profile FILE'\n"
	"  -q, --quiet           nothing on stderr but errors\n"
	"  -v, --verbose         say each step on stderr\n"
	"  -h, --help            this text\n"
	"\n"
	"Exit status: 0 ok, 2 bad usage or a capture that cannot be read, 3 FILE cannot be\n"
	"written or out of memory.\n";

#define CMD "iovbench profile"

static int64_t geti(const json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

static double getr(const json_t *o, const char *k)
{
	const json_t *v = json_object_get(o, k);

	return json_is_number(v) ? json_number_value(v) : 0;
}

static void print_cmd(const char *name, const json_t *o)
{
	const json_t *sizes = json_object_get(o, "io_sizes"), *e;
	size_t i;

	if (!geti(o, "count"))
		return;
	printf("  %-5s  %" PRId64 " I/Os, %" PRId64 " bytes (%.1f MiB) in %.3f s, %.2f Gbit/s\n",
	       name, geti(o, "count"), geti(o, "bytes"), (double)geti(o, "bytes") / (1 << 20),
	       getr(o, "duration_s"), getr(o, "throughput_bps") / 1e9);
	printf("         sizes");
	json_array_foreach(sizes, i, e) {
		if (i == 4) {
			printf(" ...");
			break;
		}
		printf(" %" PRId64 " x%" PRId64, geti(e, "size"), geti(e, "count"));
	}
	if (geti(o, "unknown_size"))
		printf(" (%" PRId64 " unknown)", geti(o, "unknown_size"));
	printf("\n         offsets %" PRId64 " sequential, %" PRId64 " random\n",
	       geti(o, "sequential"), geti(o, "random"));
	printf("         in flight max %" PRId64 ", mean %.2f; credits requested %" PRId64
	       ", granted %" PRId64 "\n",
	       geti(o, "max_in_flight"), getr(o, "mean_in_flight"), geti(o, "credits_requested"),
	       geti(o, "credits_granted"));
	if (geti(o, "errors") || geti(o, "unanswered"))
		printf("         %" PRId64 " errors, %" PRId64 " unanswered\n", geti(o, "errors"),
		       geti(o, "unanswered"));
}

static void print_text(const json_t *doc)
{
	const json_t *convs = json_object_get(doc, "conversations"), *c, *v;
	const char *k;
	size_t i;

	printf("capture  %" PRId64 " packets (%s), %.3f s, %zu SMB2 conversation%s\n",
	       geti(doc, "packets"), json_string_value(json_object_get(doc, "link_type")),
	       getr(doc, "duration_s"), json_array_size(convs),
	       json_array_size(convs) == 1 ? "" : "s");
	json_array_foreach(convs, i, c) {
		const json_t *tcp = json_object_get(c, "tcp_payload_bytes");
		const json_t *msgs = json_object_get(c, "smb2_messages");
		const json_t *inf = json_object_get(c, "inference");

		printf("\n%s -> %s  %.3f s\n", json_string_value(json_object_get(c, "client")),
		       json_string_value(json_object_get(c, "server")), getr(c, "duration_s"));
		print_cmd("read", json_object_get(c, "read"));
		print_cmd("write", json_object_get(c, "write"));
		printf("  other ");
		json_object_foreach((json_t *)json_object_get(c, "commands"), k, v)
			printf(" %s %" PRId64, k, (int64_t)json_integer_value(v));
		printf("\n  tcp    %" PRId64 " payload bytes to server, %" PRId64 " to client\n",
		       geti(tcp, "to_server"), geti(tcp, "to_client"));
		if (geti(msgs, "lost") || geti(msgs, "encrypted"))
			printf("  note   %" PRId64 " SMB2 messages not captured, %" PRId64
			       " encrypted\n",
			       geti(msgs, "lost"), geti(msgs, "encrypted"));
		/* Never silently: whether headers were lost, and how they were made up for. */
		if (!json_is_true(json_object_get(inf, "exact")))
			printf("  note   headers cut: %" PRId64 " PDUs framed by search (%" PRId64
			       " sized by what was left), MessageIds %" PRId64
			       " from responses, %" PRId64 " by sequence, %" PRId64
			       " responses matched by order, %" PRId64
			       " stretches not framed: %s\n",
			       geti(inf, "framed_by_search"), geti(inf, "sized_by_remainder"),
			       geti(inf, "msgid_from_response"), geti(inf, "msgid_from_sequence"),
			       geti(inf, "responses_by_order"), geti(inf, "unframed_gaps"),
			       json_is_true(json_object_get(inf, "recovered"))
				       ? "recovered"
				       : "NOT all recovered (see docs/profile.md)");
	}
}

/* Write doc to path through a temp file and rename, so a reader never sees half a profile. */
static int write_profile(const json_t *doc, const char *path)
{
	char tmp[PATH_MAX];
	FILE *f = NULL;
	int fd = -1, err = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", path) >= (int)sizeof(tmp)) {
		err = -ENAMETOOLONG;
		goto cleanup;
	}
	fd = mkstemp(tmp);
	if (fd < 0) {
		err = -errno;
		goto cleanup;
	}
	f = fdopen(fd, "w");
	if (!f) {
		err = -errno;
		goto cleanup;
	}
	fd = -1;
	if (json_dumpf(doc, f, JSON_INDENT(1) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12)) ||
	    fputc('\n', f) == EOF || fflush(f) || fsync(fileno(f))) {
		err = -EIO;
		goto cleanup;
	}
	if (fclose(f)) {
		f = NULL;
		err = -EIO;
		goto cleanup;
	}
	f = NULL;
	if (rename(tmp, path))
		err = -errno;
cleanup:
	if (f)
		fclose(f);
	if (fd >= 0)
		close(fd);
	if (err)
		unlink(tmp);
	return err;
}

int cmd_profile(int argc, char **argv)
{
	const char *capture = NULL, *out = NULL;
	struct iovb_profile *p = NULL;
	json_t *doc = NULL;
	bool json = false;
	char err[512] = "";
	int rc = IOVB_EXIT_OK, e, verbosity = CLI_NORMAL;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			fputs(profile_usage, stdout);
			goto cleanup;
		} else if (cli__verbosity_opt(a, &verbosity)) {
			continue;
		} else if (!strcmp(a, "-j") || !strcmp(a, "--json")) {
			json = true;
		} else if (!strcmp(a, "-o") || cli__opt_is(a, "--output")) {
			out = cli__opt_arg(argc, argv, &i);
			if (!out || !*out) {
				rc = cli__usage_error(CMD, "%s needs a file name", a);
				goto cleanup;
			}
		} else if (a[0] == '-' && a[1]) {
			rc = cli__usage_error(CMD, "unknown option '%s'", a);
			goto cleanup;
		} else if (capture) {
			rc = cli__usage_error(CMD, "unexpected argument '%s'", a);
			goto cleanup;
		} else {
			capture = a;
		}
	}
	if (!capture) {
		rc = cli__usage_error(CMD, "%s", "a CAPTURE file is required");
		goto cleanup;
	}
	p = profile__new();
	if (!p) {
		fprintf(stderr, CMD ": out of memory\n");
		rc = IOVB_EXIT_ENV;
		goto cleanup;
	}
	cli__say(verbosity, CLI_VERBOSE, CMD, "reading %s", capture);
	e = profile__read_file(p, capture, err, sizeof(err));
	if (e) {
		fprintf(stderr, CMD ": %s\n", err);
		rc = e == -ENOMEM ? IOVB_EXIT_ENV : IOVB_EXIT_USAGE;
		goto cleanup;
	}
	doc = profile__json(p);
	if (!doc) {
		fprintf(stderr, CMD ": out of memory\n");
		rc = IOVB_EXIT_ENV;
		goto cleanup;
	}
	json_object_set_new(doc, "capture", json_string(capture));
	if (out) {
		cli__say(verbosity, CLI_VERBOSE, CMD, "writing %s", out);
		e = write_profile(doc, out);
		if (e) {
			fprintf(stderr, CMD ": cannot write %s: %s\n", out, strerror(-e));
			rc = IOVB_EXIT_ENV;
			goto cleanup;
		}
	}
	if (json) {
		if (json_dumpf(doc, stdout,
			       JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12)) ||
		    putchar('\n') == EOF) {
			fprintf(stderr, CMD ": cannot write the JSON document\n");
			rc = IOVB_EXIT_ENV;
		}
	} else if (!out) {
		print_text(doc);
	}
cleanup:
	json_decref(doc);
	profile__free(p);
	return rc;
}
