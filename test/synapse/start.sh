#!/bin/sh
# start.sh DIR: (re)start the configured Synapse of data directory DIR and
# wait until it answers /health.  Used by the driver to restart Synapse in
# the middle of a test.
set -u
SYN_DIR=$1
. "$(dirname "$0")/lib.sh"
syn_start
