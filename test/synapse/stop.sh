#!/bin/sh
# stop.sh DIR: stop the Synapse of data directory DIR (SIGTERM, then KILL
# after 30 s) and wait until it is gone.
set -u
SYN_DIR=$1
. "$(dirname "$0")/lib.sh"
syn_stop
