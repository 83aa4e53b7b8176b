#!/bin/sh
# install.sh: install the pinned Baileys test peer (package-lock.json) into
# test/peers/baileys/node_modules (gitignored) with `npm ci`, unless the
# lockfile is unchanged since the last successful install.  Safe to call
# from several suites at once (one flock).  Prints nothing on success when
# there is nothing to do; exits non-zero if npm fails.
set -eu
dir=$(cd "$(dirname "$0")" && pwd)
stamp=$dir/node_modules/.ponton-lock-sha256
want=$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
	exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
	echo "install.sh: npm not found (Debian package npm)" >&2
	exit 1
fi
lock=${TMPDIR:-/tmp}/ponton-baileys-npm-$(echo "$dir" | cksum | cut -d' ' -f1).lock
(
	flock 9
	if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
		exit 0
	fi
	echo "install.sh: npm ci in $dir" >&2
	# Install scripts are not needed (Baileys' only checks the Node version).
	(cd "$dir" && npm ci --no-audit --no-fund --ignore-scripts >&2)
	echo "$want" > "$stamp"
) 9>"$lock"
