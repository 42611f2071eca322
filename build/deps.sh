#!/bin/sh
# Makes sure the Debian packages fdpass needs are installed: as root it
# installs what is missing with apt-get, otherwise it prints the command to
# run and fails.
#
# usage: build/deps.sh build|check|lint|fuzz
#   build   what compiling needs (pkg-config, libbsd-dev)
#   check   what `make check` needs besides (bats, bats-assert, bats-support,
#           mandoc, bash-completion, zsh and fish for the completions, jq
#           and python3 for the tests and examples)
#   lint    what `make lint` needs (clang-tidy, cppcheck, shellcheck)
#   fuzz    what `make fuzz` needs (clang and its libFuzzer runtime)
set -eu

missing=""
need() {
	# need PACKAGE TEST...: PACKAGE is missing when the test fails.
	package=$1
	shift
	"$@" >/dev/null 2>&1 || missing="$missing $package"
}

case "${1:-}" in
build)
	need pkg-config command -v pkg-config
	need libbsd-dev pkg-config --exists libbsd-overlay
	;;
check)
	need bats command -v bats
	need bats-support test -f /usr/lib/bats/bats-support/load.bash
	need bats-assert test -f /usr/lib/bats/bats-assert/load.bash
	need mandoc command -v mandoc
	need bash-completion test -f /usr/share/bash-completion/bash_completion
	need zsh command -v zsh
	need fish command -v fish
	need jq command -v jq
	need python3 test -x /usr/bin/python3
	;;
lint)
	need clang-tidy command -v clang-tidy
	need cppcheck command -v cppcheck
	need shellcheck command -v shellcheck
	;;
fuzz)
	need clang command -v clang
	need libclang-rt-dev sh -c 'echo "int LLVMFuzzerTestOneInput(const char *d, long n) { return 0; }" |
	    clang -x c -fsanitize=fuzzer -o /dev/null -'
	;;
*)
	echo "usage: build/deps.sh build|check|lint|fuzz" >&2
	exit 2
	;;
esac

[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "fdpass: missing packages:$missing" >&2
	echo "fdpass: install them with: sudo apt-get install$missing" >&2
	exit 1
fi
echo "fdpass: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
# Another apt-get (a test installing its peer) is waited for.
apt-get -o DPkg::Lock::Timeout=600 update -qq >&2
# shellcheck disable=SC2086 # one word per package
apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends \
    $missing >&2
