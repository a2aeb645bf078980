/* SPDX-License-Identifier: GPL-2.0 */
/* Subcommand entry points: each lives beside the code it drives. Return the exit status. */
#ifndef IOVB_CMDS_H
#define IOVB_CMDS_H

#include "iovb/cli.h" /* the exit statuses IOVB_EXIT_* */

int cmd_run(int argc, char **argv);
int cmd_topo(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_load(int argc, char **argv);
int cmd_sriov(int argc, char **argv);
int cmd_collect(int argc, char **argv);
int cmd_profile(int argc, char **argv);
int cmd_agent(int argc, char **argv);

#endif
