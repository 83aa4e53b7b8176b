#!/bin/sh
# start.sh DIR: (re)start the configured Synapse of data directory DIR and
# wait until it answers /health.  Used by the driver to restart Synapse in
# the middle of a test.
set -u
SYN_DIR=$1
# The port syn_configure chose for this data directory, not a new probe.
if [ -r "$SYN_DIR/port" ]; then
	SYN_PORT=$(cat "$SYN_DIR/port")
	SYN_KEEP_PORT=1
fi
. "$(dirname "$0")/lib.sh"
syn_start
