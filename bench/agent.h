/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The agent protocol (docs/agents.md): one JSON object per line over TCP between the
 * controller (`iovbench run --server/--guest`) and each `iovbench agent`. Nothing here prints.
 */
#ifndef IOVB_AGENT_H
#define IOVB_AGENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#define AGENT_PROTO 1
#define AGENT_LINE_MAX (64u << 20) /* a stop reply carries every collector's figures */
#define AGENT_TOKEN_MAX 512
#define AGENT_DEFAULT_PORT 7420

/* One end of a connection: the socket and what was read past the last whole line. */
struct agent_conn {
	int fd;
	char *buf;
	size_t len, cap;
};

void agent_conn__init(struct agent_conn *c, int fd);

/* Close the socket (if open) and free the buffer; NULL-safe, idempotent. */
void agent_conn__close(struct agent_conn *c);

/* Send msg as one compact line. 0 or -errno (-EPIPE when the peer is gone). */
int agent_conn__send(struct agent_conn *c, const json_t *msg);

/*
 * Take one whole line off the front of buf (len bytes) and parse it: 1 with *msg (a JSON
 * object, new reference) and the line removed, 0 when no whole line is there yet, -EBADMSG when
 * the line is not a JSON object (the line is removed), -E2BIG when len reached max without a
 * newline.
 */
int agent__take_line(char *buf, size_t *len, size_t max, json_t **msg);

/*
 * Read what the socket has (one read) into the buffer. 0, -ECONNRESET on end of file or a
 * reset, -errno otherwise.
 */
int agent_conn__fill(struct agent_conn *c);

/*
 * The next message, waiting up to timeout_ms (< 0: no limit). 0 with *msg, -ETIMEDOUT,
 * -ECONNRESET (the peer closed), -EBADMSG, -E2BIG or -errno.
 */
int agent_conn__recv(struct agent_conn *c, int timeout_ms, json_t **msg);

/*
 * Are the two tokens equal once leading and trailing white space is cut? Takes the same time
 * whatever the position of the first difference (no early exit).
 */
bool agent__token_eq(const char *a, const char *b);

/*
 * Read a token file: its content with surrounding white space cut into buf. -ENOENT/-EACCES
 * (unreadable), -ENODATA (empty), -E2BIG (longer than AGENT_TOKEN_MAX), with a one-line reason
 * in err. *loose says the file is readable or writable by group or others.
 */
int agent__token_read(const char *path, char *buf, size_t len, bool *loose, char *err,
		      size_t errlen);

/* "HOST:PORT" or "[V6]:PORT" (min_port..65535) into its parts. 0 or -EINVAL. */
int agent__hostport(const char *s, char *host, size_t hlen, uint16_t *port, uint16_t min_port);

/* "NAME=HOST:PORT" (NAME: [A-Za-z0-9_-], 1-32) into its parts. 0 or -EINVAL. */
int agent__guest_spec(const char *s, char *name, size_t nlen, char *host, size_t hlen,
		      uint16_t *port);

/* `iovbench run --server HOST:PORT --guest NAME=HOST:PORT ...`: the controller (remote.c). */
int run__agents(int argc, char **argv);

/* Does this run command line drive agents (--server or --guest given)? */
bool run__wants_agents(int argc, char **argv);

#endif
