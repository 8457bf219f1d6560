/* cmds.h — the crosstag subcommands.  main() (crosstag.c) passes the
 * arguments from the subcommand name on: argv[0] is "run" / "query", so
 * options start at argv[1].  Each returns the process exit status
 * (2 for usage errors). */
#ifndef CT_CMDS_H
#define CT_CMDS_H

int cmd_run(int argc, char **argv);
int cmd_query(int argc, char **argv);
int cmd_agent(int argc, char **argv);
int cmd_db(int argc, char **argv);   /* also main() of crosstagd */
int cmd_bpf(int argc, char **argv);      /* cmd_bpf.c */
int cmd_net(int argc, char **argv);      /* cmd_net.c */
int cmd_alerts(int argc, char **argv);   /* cmd_alerts.c */

#endif
