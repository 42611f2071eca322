/*
 * Parsing of the options send and recv have in common.  Bad input ends
 * the process with status 2 and a pointer to --help.
 */
#include <err.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "options.h"
#include "stdstreams.h"

/*
 * The help for the options socket_option handles, but -c, -l and -t,
 * whose SECONDS it explains last.
 */
static const char socket_usage[] =
"      --seqpacket        use a SOCK_SEQPACKET socket\n"
"      --dgram            use a SOCK_DGRAM socket\n"
"  -m, --mode MODE        the mode of socket files made (default 600)\n"
"      --allow-uid UID    also deal with peers of user UID\n"
"      --allow-gid GID    also deal with peers of group GID\n"
"      --peer-uid UID     deal only with a peer of user UID\n"
"      --peer-gid GID     deal only with a peer of group GID\n"
"      --peer-pid PID     deal only with the peer whose process id is PID\n"
"  -h, --help             show this help and exit\n"
"\nSECONDS may have a fraction, as 0.5 or 1.25.\n";

/* The long options socket_option handles, and --help. */
static const struct option socket_longopts[] = {
	{ "connect",	no_argument,		NULL, 'c' },
	{ "listen",	no_argument,		NULL, 'l' },
	{ "seqpacket",	no_argument,		NULL, OPT_SEQPACKET },
	{ "dgram",	no_argument,		NULL, OPT_DGRAM },
	{ "timeout",	required_argument,	NULL, 't' },
	{ "mode",	required_argument,	NULL, 'm' },
	{ "allow-uid",	required_argument,	NULL, OPT_ALLOW_UID },
	{ "allow-gid",	required_argument,	NULL, OPT_ALLOW_GID },
	{ "peer-uid",	required_argument,	NULL, OPT_PEER_UID },
	{ "peer-gid",	required_argument,	NULL, OPT_PEER_GID },
	{ "peer-pid",	required_argument,	NULL, OPT_PEER_PID },
	{ "help",	no_argument,		NULL, 'h' },
};

/* The command whose options are being read, for "Try 'fdpass CMD --help'". */
static const char *parsing = "";

/*
 * Returns a command's own long options (ending with an all-zero entry)
 * followed by the shared ones, as one table for getopt_long.
 */
static const struct option *
longopts_with(const struct option *own)
{
	static struct option all[64];
	size_t n = 0, i;

	while (own[n].name != NULL)
		n++;
	if (n + (sizeof(socket_longopts) / sizeof(socket_longopts[0])) + 1 > sizeof(all) / sizeof(all[0]))
		errx(1, "too many options");
	memcpy(all, own, n * sizeof(*own));
	for (i = 0; i < (sizeof(socket_longopts) / sizeof(socket_longopts[0])); i++)
		all[n + i] = socket_longopts[i];
	memset(&all[n + (sizeof(socket_longopts) / sizeof(socket_longopts[0]))], 0, sizeof(all[0]));
	return all;
}

/*
 * getopt_long over a command's own options and the shared ones, but for
 * one thing: a long option must be spelled out.  getopt_long would take
 * any unambiguous prefix, which a script would come to rely on and a new
 * option could then break.
 */
int
next_option(int argc, char **argv, const char *shortopts,
    const struct option *own, const char *command)
{
	const struct option *all = longopts_with(own);
	const char *word;
	size_t len;
	int ch, index = -1;

	parsing = command;
	ch = getopt_long(argc, argv, shortopts, all, &index);
	if (ch == -1 || index == -1)
		return ch;
	word = argv[optind - 1];
	/* With "--name value" the option is the word before its value. */
	if (optarg == word)
		word = argv[optind - 2];
	len = strcspn(word + 2, "=");
	if (strlen(all[index].name) != len)
		usage_error(command, "unknown option '%.*s' (write out '--%s')",
		    (int)len + 2, word, all[index].name);
	return ch;
}

/* Prints a command's help and the shared options' help, then exits 0. */
void
print_help(const char *usage)
{
	std_stream_needed(STDOUT_FILENO, "--help");
	fputs(usage, stdout);
	fputs(socket_usage, stdout);
	exit(0);
}

/*
 * Reads -b, --ready-fd and --pid-file, which the commands that listen
 * share, into *a (ready_fd -1 beforehand); returns 0 for another option.
 * With open_now, --ready-fd must name a descriptor open now.
 */
int
announce_option(struct announce *a, int ch, const char *arg, int open_now)
{
	switch (ch) {
	case 'b':
		a->background = 1;
		return 1;
	case OPT_READY_FD:
		a->ready_fd = parse_number("--ready-fd", arg, 0, INT32_MAX);
		if (open_now && fcntl(a->ready_fd, F_GETFD) == -1)
			err(1, "--ready-fd %d", a->ready_fd);
		return 1;
	case OPT_PID_FILE:
		a->pid_file = arg;
		return 1;
	}
	return 0;
}

/* Sets the defaults: stream socket, mode 0600, no timeout. */
void
socket_options_init(struct socket_options *so, int listen)
{
	so->listen = listen;
	so->type = SOCK_STREAM;
	so->mode = 0600;
	so->timeout_ms = 0;
	memset(&so->access, 0, sizeof(so->access));
}

/* Prints "fdpass: message" and how to get help, then exits 2. */
void
usage_error(const char *command, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarnx(fmt, ap);
	va_end(ap);
	fprintf(stderr, "Try 'fdpass %s --help'.\n", command);
	exit(2);
}

/*
 * Reports the option getopt_long did not accept.  For a long option
 * optopt holds its code, not a letter, so the word is shown as given.
 */
void
bad_option(const char *command, char *const *argv, int ch)
{
	const char *word = argv[optind - 1];
	const char *equals = strchr(word, '=');

	if (ch == ':')
		usage_error(command, "option '%s' needs an argument", word);
	if (strncmp(word, "--", 2) != 0)
		usage_error(command, "unknown option '-%c'", optopt);
	if (optopt != 0 && equals != NULL)
		usage_error(command, "option '%.*s' takes no argument",
		    (int)(equals - word), word);
	usage_error(command, "unknown option '%s'", word);
}

/* Reads a decimal number in [min, max] for option what; exits 2 if not. */
long long
parse_number(const char *what, const char *arg, long long min, long long max)
{
	const char *why;
	long long n;

	n = strtonum(arg, min, max, &why);
	if (why != NULL && strcmp(why, "invalid") == 0)
		usage_error(parsing, "%s '%s': not a number", what, arg);
	if (why != NULL)
		usage_error(parsing, "%s '%s': %s (allowed: %lld to %lld)",
		    what, arg, why, min, max);
	return n;
}

/* The longest --timeout: a year, in milliseconds. */
#define TIMEOUT_MAX_MS	(86400LL * 365 * 1000)

/*
 * Reads --timeout's seconds in milliseconds, rounded up: decimal, with a
 * fraction if need be, as timeout(1) takes them (0.5, 1.25), more than 0
 * and up to a year.  Exits 2 if not.
 */
static long long
parse_timeout(const char *arg)
{
	const char *p = arg + (arg[0] == '-');
	long long ms = 0, unit = 1000;
	int digits = 0, beyond = 0;

	for (; *p >= '0' && *p <= '9'; p++, digits++)
		if (ms <= TIMEOUT_MAX_MS)
			ms = ms * 10 + (*p - '0') * 1000LL;
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++, digits++) {
			if (unit > 1) {
				unit /= 10;
				ms += (*p - '0') * unit;
			} else if (*p != '0')
				beyond = 1;
		}
	}
	if (digits == 0 || *p != '\0')
		usage_error(parsing, "--timeout '%s': not a number of seconds",
		    arg);
	/* A part of a millisecond counts as a whole one. */
	ms += beyond;
	if (ms == 0 || arg[0] == '-')
		usage_error(parsing, "--timeout '%s': too small (allowed: "
		    "0.001 to %lld)", arg, TIMEOUT_MAX_MS / 1000);
	if (ms > TIMEOUT_MAX_MS)
		usage_error(parsing, "--timeout '%s': too large (allowed: "
		    "0.001 to %lld)", arg, TIMEOUT_MAX_MS / 1000);
	return ms;
}

/*
 * Milliseconds as seconds for a message: "2", "0.5", "1.25".  The text
 * lasts until the next call.
 */
const char *
seconds_text(long long ms)
{
	static char text[32];
	int len;

	len = snprintf(text, sizeof(text), "%lld.%03lld", ms / 1000,
	    ms % 1000);
	while (text[len - 1] == '0')
		text[--len] = '\0';
	if (text[len - 1] == '.')
		text[len - 1] = '\0';
	return text;
}

static mode_t
parse_mode(const char *arg)
{
	char *end;
	long mode;

	mode = strtol(arg, &end, 8);
	if (*arg == '\0' || *end != '\0' || mode < 0 || mode > 0777)
		usage_error(parsing, "--mode '%s': not an octal mode from 0 "
		    "to 777", arg);
	return mode;
}

static void
allow(const char *what, const char *arg, unsigned int *ids, size_t *n)
{
	if (*n == MAX_ALLOWED)
		usage_error(parsing, "%s: at most %d", what, MAX_ALLOWED);
	ids[(*n)++] = parse_number(what, arg, 0, 0xfffffffe);
}

/* Handles one of the shared options; returns 0 for any other. */
int
socket_option(struct socket_options *so, int ch, const char *arg)
{
	switch (ch) {
	case 'l':
		so->listen = 1;
		break;
	case 'c':
		so->listen = 0;
		break;
	case OPT_SEQPACKET:
		so->type = SOCK_SEQPACKET;
		break;
	case OPT_DGRAM:
		so->type = SOCK_DGRAM;
		break;
	case 'm':
		so->mode = parse_mode(arg);
		break;
	case 't':
		so->timeout_ms = parse_timeout(arg);
		break;
	case OPT_ALLOW_UID:
		allow("--allow-uid", arg, so->access.uids, &so->access.nuids);
		break;
	case OPT_ALLOW_GID:
		allow("--allow-gid", arg, so->access.gids, &so->access.ngids);
		break;
	case OPT_PEER_UID:
		so->access.check_uid = 1;
		so->access.peer_uid = parse_number("--peer-uid", arg, 0,
		    0xfffffffe);
		break;
	case OPT_PEER_GID:
		so->access.check_gid = 1;
		so->access.peer_gid = parse_number("--peer-gid", arg, 0,
		    0xfffffffe);
		break;
	case OPT_PEER_PID:
		so->access.check_pid = 1;
		so->access.peer_pid = parse_number("--peer-pid", arg, 1,
		    INT32_MAX);
		break;
	default:
		return 0;
	}
	return 1;
}
