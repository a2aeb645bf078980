/* SPDX-License-Identifier: GPL-2.0 */
/* Subcommand entry points: each lives beside the code it drives. Return the exit status. */
#ifndef IOVB_CMDS_H
#define IOVB_CMDS_H

/* Exit statuses, the same for every subcommand. */
#define IOVB_EXIT_OK 0
#define IOVB_EXIT_FINDING 1 /* e.g. a regression found */
#define IOVB_EXIT_USAGE 2   /* usage or input error */
#define IOVB_EXIT_ENV 3     /* environment: missing privilege, kernel feature */

int cmd_run(int argc, char **argv);
int cmd_topo(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_load(int argc, char **argv);
int cmd_sriov(int argc, char **argv);
int cmd_collect(int argc, char **argv);
int cmd_profile(int argc, char **argv);
int cmd_agent(int argc, char **argv);

#endif
