#!/bin/sh
# build.sh: build the whatsmeow test driver (main.go, vectors.go against the
# whatsmeow pinned in go.mod/go.sum) into a cache outside the repository and
# print the binary's path on stdout.  The cache key is the SHA-256 of go.mod,
# go.sum and the driver's sources (and the Go version), so a fresh clone on
# the same machine reuses the binary; a changed pin or source builds anew.
#
#   PONTON_CACHE   cache root (default /var/cache/ponton if writable, else
#                  ~/.cache/ponton); the binary goes to
#                  $PONTON_CACHE/whatsmeow-driver/<key>/whatsmeow-driver
#
# Modules come from the Go module proxy as the machine has it (GOPROXY);
# -mod=readonly: go.sum must already pin everything, nothing is vendored.
# Safe to call from several scripts at once (one flock).  A build removes
# drivers of other sources that are more than an hour old.  Build output goes
# to stderr; exits non-zero if Go is missing or the build fails.
set -eu
dir=$(cd "$(dirname "$0")" && pwd)
# The Go toolchain of this kind of machine lives in /usr/local/go.
command -v go >/dev/null 2>&1 || PATH=$PATH:/usr/local/go/bin
if ! command -v go >/dev/null 2>&1; then
	echo "build.sh: go not found" >&2
	exit 1
fi
if [ -z "${PONTON_CACHE:-}" ]; then
	if mkdir -p /var/cache/ponton 2>/dev/null && [ -w /var/cache/ponton ]; then
		PONTON_CACHE=/var/cache/ponton
	else
		PONTON_CACHE=$HOME/.cache/ponton
	fi
fi
key=$( (cd "$dir" && go version && cat go.mod go.sum ./*.go) | sha256sum | cut -c1-16)
out=$PONTON_CACHE/whatsmeow-driver/$key
bin=$out/whatsmeow-driver
if [ ! -x "$bin" ]; then
	mkdir -p "$out"
	(
		flock 9
		if [ ! -x "$bin" ]; then
			echo "build.sh: go build in $dir -> $bin" >&2
			(cd "$dir" && GOFLAGS="-mod=readonly -buildvcs=false" \
			    CGO_ENABLED=1 go build -trimpath -o "$bin.tmp" . >&2)
			mv "$bin.tmp" "$bin"
			# Drivers of other sources not rebuilt for an hour are
			# stale (another checkout may still be using a recent one).
			find "$PONTON_CACHE/whatsmeow-driver" -mindepth 1 -maxdepth 1 \
			    -type d ! -name "$key" -mmin +60 -exec rm -rf {} + 2>/dev/null || :
		fi
	) 9>"$out/.lock"
fi
echo "$bin"
