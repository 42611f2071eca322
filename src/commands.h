/*
 * The subcommands main() dispatches to.  Each parses its own arguments and
 * returns the exit status, or exits or execs itself.
 */
#ifndef FDPASS_COMMANDS_H
#define FDPASS_COMMANDS_H

/*
 * recv's status when it refuses a transfer: malformed or truncated, or not
 * what --count, --at, --inetd or --ucspi asked for.  Every descriptor that
 * came with it is closed.
 */
#define EXIT_REFUSED	3

extern const char send_usage[];
extern const char recv_usage[];
extern const char hold_usage[];

int	cmd_send(int, char **);
int	cmd_recv(int, char **);
int	cmd_hold(int, char **);

#endif
