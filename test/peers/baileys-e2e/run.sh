#!/bin/sh
# test/peers/baileys-e2e/run.sh: runs Baileys' OWN end-to-end suite
# (src/__tests__/e2e/*.test-e2e.ts of a Baileys source tree) against wasim
# and prints one PASS:/FAIL: line per Baileys test.
#
#   BAILEYS_SRC=<tree> [BAILEYS_REV=HEAD] [BAILEYS_E2E_MATCH=regex] \
#       [BAILEYS_E2E_TIMEOUT=1200] BUILD=build sh test/peers/baileys-e2e/run.sh
#
# BAILEYS_E2E_MATCH narrows the run to test files matching it (jest's
# path pattern); BAILEYS_E2E_TIMEOUT (seconds) bounds the jest run, whose
# report is then missing (one FAIL line).  BAILEYS_E2E_WORK replaces the
# work directory $BUILD/baileys-e2e.
#
# BAILEYS_SRC is one of
#   * a Baileys checkout (a directory with package.json; .git and
#     node_modules are not copied),
#   * a bare git directory (e.g. the `fetch` mirror
#     /work/.mirror/WhiskeySockets+Baileys/repo): BAILEYS_REV (default HEAD)
#     is exported with `git archive`, leaving out blobs the mirror lacks,
#   * a tar archive of a tree (`git archive --format=tar.gz HEAD`), with or
#     without one leading directory.
# The tests are not in Baileys' npm packages and the registries are the only
# network here, so the caller brings the sources; nothing of Baileys is ever
# committed to ponton (see test/peers/README.md, "Baileys' own e2e suite").
#
# What it does, all outside the tracked tree:
#   1. copies the sources into $BUILD/baileys-e2e/src (fresh each run);
#   2. installs Baileys' dev dependencies with npm into a cache
#      ($PONTON_CACHE, else /var/cache/ponton or ~/.cache/ponton, under
#      baileys-e2e/<hash of package.json and lockfile>) and links
#      node_modules to it; when the tree's package.json is the one
#      package-lock.json here was made for (package.json.sha256), that lock
#      pins the install, otherwise it is an unpinned `npm install` from the
#      tree's own package.json, and a line says so;
#   3. generates WAProto/index.js from WAProto.proto with Baileys' own
#      pbjs when the tree lacks it (the mirror has no copy of that blob);
#   4. adds our glue wasim-setup.ts (the certificate root) and starts
#      $BUILD/rel/wasim with --wss-port (the suite dials wss:// only);
#   5. runs jest as Baileys' `test:e2e` script does, with --json, and
#      prints the verdicts through report.mjs; stops wasim.
# Exit status: 0 all passed, 1 some failed, 2 the set-up failed.
set -u
: "${BUILD:=build}"
TOP=$(cd "$(dirname "$0")/../../.." && pwd)
HERE=$TOP/test/peers/baileys-e2e
case $BUILD in /*) ;; *) BUILD=$TOP/$BUILD ;; esac

die() {
	echo "FAIL: baileys_e2e_setup: $*"
	echo "baileys-e2e: $*" >&2
	exit 2
}

if [ -z "${BAILEYS_SRC:-}" ]; then
	die "BAILEYS_SRC is not set: give a Baileys checkout, a bare git dir or a tar archive of one (test/peers/README.md, \"Baileys' own e2e suite\")"
fi
[ -e "$BAILEYS_SRC" ] || die "BAILEYS_SRC=$BAILEYS_SRC does not exist"
WASIM=$BUILD/rel/wasim
[ -x "$WASIM" ] || die "$WASIM is not built (make BUILD=... $WASIM)"
command -v node >/dev/null 2>&1 || die "node is not installed"
command -v npm >/dev/null 2>&1 || die "npm is not installed"

WORK=${BAILEYS_E2E_WORK:-$BUILD/baileys-e2e}
SRC=$WORK/src
WPID=
cleanup() {
	if [ -n "$WPID" ]; then
		kill "$WPID" 2>/dev/null
		wait "$WPID" 2>/dev/null
	fi
}
trap cleanup EXIT
trap 'exit 2' INT TERM

# --- 1. sources ---------------------------------------------------------------
rm -rf "$SRC"
mkdir -p "$SRC" || die "cannot make $SRC"
rev=unknown
if [ -d "$BAILEYS_SRC" ] && [ -f "$BAILEYS_SRC/package.json" ]; then
	(cd "$BAILEYS_SRC" && tar --exclude=./node_modules --exclude=./.git \
	    -cf - .) | (cd "$SRC" && tar -xf -) ||
	    die "cannot copy $BAILEYS_SRC"
	rev=$(git -C "$BAILEYS_SRC" rev-parse HEAD 2>/dev/null || echo unknown)
elif [ -d "$BAILEYS_SRC" ] &&
    git --git-dir="$BAILEYS_SRC" rev-parse --verify -q \
    "${BAILEYS_REV:-HEAD}^{commit}" >/dev/null 2>&1; then
	G=$BAILEYS_SRC
	rev=$(git --git-dir="$G" rev-parse "${BAILEYS_REV:-HEAD}^{commit}")
	# Through an index of our own (the mirror is only read): a partial
	# mirror may list blobs it does not hold; those are left out
	# (WAProto/index.js is regenerated below; anything else missing
	# shows up as a failing test, not as a silent gap).
	export GIT_INDEX_FILE="$WORK/git-index"
	rm -f "$GIT_INDEX_FILE"
	git --git-dir="$G" --work-tree="$SRC" read-tree "$rev" || die "cannot read $rev"
	git --git-dir="$G" --work-tree="$SRC" ls-files -s |
	    awk '{ print $2 }' |
	    git --git-dir="$G" cat-file --batch-check='%(objectname) %(objecttype)' |
	    awk '$2 == "missing" { print $1 }' >"$WORK/missing.txt"
	git --git-dir="$G" --work-tree="$SRC" ls-files -s | while read -r mode obj stage path; do
		grep -qx "$obj" "$WORK/missing.txt" || continue
		echo "# baileys_e2e: $path is not in the mirror, left out"
		git --git-dir="$G" --work-tree="$SRC" update-index --force-remove "$path"
	done
	git --git-dir="$G" --work-tree="$SRC" checkout-index -a -f --prefix="$SRC/" ||
	    die "cannot export $rev"
	unset GIT_INDEX_FILE
elif [ -f "$BAILEYS_SRC" ]; then
	tar -xf "$BAILEYS_SRC" -C "$SRC" || die "cannot unpack $BAILEYS_SRC"
	if [ ! -f "$SRC/package.json" ]; then
		# One leading directory (GitHub's tarballs, git archive --prefix).
		sub=$(find "$SRC" -mindepth 2 -maxdepth 2 -name package.json | head -n 1)
		[ -n "$sub" ] || die "no package.json in $BAILEYS_SRC"
		sub=$(dirname "$sub")
		sub=${sub#"$SRC"/}
		rm -rf "$WORK/src.unpacked"
		mv "$SRC" "$WORK/src.unpacked" &&
		    mv "$WORK/src.unpacked/$sub" "$SRC" &&
		    rm -rf "$WORK/src.unpacked" || die "cannot unpack $BAILEYS_SRC"
	fi
else
	die "BAILEYS_SRC=$BAILEYS_SRC is not a checkout, bare git dir or tar archive"
fi
[ -f "$SRC/package.json" ] && [ -d "$SRC/src/__tests__/e2e" ] ||
    die "$BAILEYS_SRC has no package.json or src/__tests__/e2e"
echo "# baileys_e2e: Baileys commit $rev"

# --- 2. dependencies -------------------------------------------------------------
if [ -n "${PONTON_CACHE:-}" ]; then
	CACHE=$PONTON_CACHE
elif mkdir -p /var/cache/ponton 2>/dev/null && [ -w /var/cache/ponton ]; then
	CACHE=/var/cache/ponton
else
	CACHE=$HOME/.cache/ponton
fi
pkg_sum=$(sha256sum "$SRC/package.json" | cut -d' ' -f1)
if [ "$pkg_sum" = "$(cut -d' ' -f1 "$HERE/package.json.sha256")" ]; then
	cp "$HERE/package-lock.json" "$SRC/package-lock.json"
	# Not `npm ci`: npm 11 leaves other platforms' optional packages
	# (@unrs/resolver-binding-*) out of a lock it writes, then `npm ci`
	# refuses that lock as out of sync.  `npm install` with the lock in
	# place installs exactly the locked versions.
	install="npm install"
	echo "# baileys_e2e: dependencies pinned by test/peers/baileys-e2e/package-lock.json"
else
	install="npm install"
	echo "# baileys_e2e: package.json is not the one package-lock.json was made for: unpinned npm install"
fi
key=$( (cat "$SRC/package.json"; cat "$SRC/package-lock.json" 2>/dev/null;
    node --version) | sha256sum | cut -c1-16)
DEPS=$CACHE/baileys-e2e/$key
if [ ! -f "$DEPS/.installed" ]; then
	rm -rf "$DEPS"
	mkdir -p "$DEPS" || die "cannot make $DEPS"
	cp "$SRC/package.json" "$DEPS/"
	[ -f "$SRC/package-lock.json" ] && cp "$SRC/package-lock.json" "$DEPS/"
	echo "# baileys_e2e: $install into $DEPS"
	# --ignore-scripts: Baileys' prepare script would build the library
	# with tsc, which the suite does not need (ts-jest compiles).
	(cd "$DEPS" && $install --ignore-scripts --no-audit --no-fund \
	    >"$DEPS/npm.log" 2>&1) ||
	    { tail -n 20 "$DEPS/npm.log" >&2; die "$install failed (log $DEPS/npm.log)"; }
	touch "$DEPS/.installed"
fi
rm -rf "$SRC/node_modules"
ln -s "$DEPS/node_modules" "$SRC/node_modules" || die "cannot link node_modules"

# --- 3. generated protobuf code ----------------------------------------------------
if [ ! -s "$SRC/WAProto/index.js" ]; then
	echo "# baileys_e2e: generating WAProto/index.js from WAProto.proto"
	(cd "$SRC/WAProto" &&
	    ../node_modules/.bin/pbjs -t static-module --no-beautify -w es6 \
	    --no-bundle --no-delimited --no-verify --no-comments \
	    -o ./index.js ./WAProto.proto &&
	    node ./fix-imports.js) >"$WORK/pbjs.log" 2>&1 ||
	    { tail -n 20 "$WORK/pbjs.log" >&2; die "pbjs failed"; }
fi

# --- 4. glue and wasim --------------------------------------------------------------
cp "$HERE/wasim-setup.ts" "$SRC/ponton-wasim-setup.ts" || die "cannot copy the glue"
rm -f "$WORK/wasim.port"
"$WASIM" --wss-port 0 --port-file "$WORK/wasim.port" --log-level info \
    >"$WORK/wasim.log" 2>&1 &
WPID=$!
i=0
while [ ! -s "$WORK/wasim.port" ]; do
	i=$((i + 1))
	kill -0 "$WPID" 2>/dev/null || die "wasim exited (log $WORK/wasim.log)"
	[ $i -lt 100 ] || die "wasim did not start (log $WORK/wasim.log)"
	sleep 0.1
done
. "$WORK/wasim.port"
[ -n "${WASIM_WSS_URL:-}" ] || die "wasim wrote no WASIM_WSS_URL"
echo "# baileys_e2e: wasim at $WASIM_WSS_URL"

# --- 5. the suite -------------------------------------------------------------------
rm -f "$WORK/jest.json"
echo "# baileys_e2e: running jest (log $WORK/jest.log)"
(cd "$SRC" && SOCKET_URL=$WASIM_WSS_URL WASIM_ROOT_PUB=$WASIM_ROOT_PUB \
    NODE_TLS_REJECT_UNAUTHORIZED=0 \
    timeout -k 20 "${BAILEYS_E2E_TIMEOUT:-1200}" \
    node --experimental-vm-modules ./node_modules/.bin/jest --ci \
    --runInBand --forceExit --testMatch '**/*.test-e2e.ts' \
    --setupFilesAfterEnv ./ponton-wasim-setup.ts \
    --json --outputFile="$WORK/jest.json" ${BAILEYS_E2E_MATCH:+"$BAILEYS_E2E_MATCH"}) \
    >"$WORK/jest.log" 2>&1
node "$HERE/report.mjs" "$WORK/jest.json"
rc=$?
cleanup
WPID=
exit $rc
