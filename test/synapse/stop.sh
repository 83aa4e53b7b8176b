#!/bin/sh
# stop.sh DIR: stop the Synapse of data directory DIR (SIGTERM, then KILL
# after 30 s) and wait until it is gone.
set -u
SYN_DIR=$1
# The port syn_configure chose for this data directory, not a new probe.
if [ -r "$SYN_DIR/port" ]; then
	SYN_PORT=$(cat "$SYN_DIR/port")
	SYN_KEEP_PORT=1
fi
. "$(dirname "$0")/lib.sh"
syn_stop
