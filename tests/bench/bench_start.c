/*
 * bench_start: the floor of make bench's e2e, a program that starts and
 * does nothing else.  With a COMMAND it execs it, as `fdpass recv S cat`
 * does once the descriptor has come; without one it exits, as `fdpass
 * send` does once it is delivered.  Linked as fdpass is (static or
 * dynamic, LINK), so that the floor starts the same kind of process, in
 * the same places, with nothing passed.
 *
 * usage: bench_start [COMMAND [ARG...]]
 */
#include <err.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	if (argc < 2)
		return 0;
	execvp(argv[1], argv + 1);
	err(127, "%s", argv[1]);
}
