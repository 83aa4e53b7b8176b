#!/bin/sh
# No lost rooms: the REAL ponton binary ($BUILD/san/ponton, ASan+UBSan) as
# the appservice of a real Synapse.  Rooms carry m.bridge state with our
# key (made by the bot through the as_token, and by ponton itself through
# the `bridge <chat ID>` command), with our key but another bot, and with
# ANOTHER bridge's key (localhost/signal).  Then ponton's database is
# deleted and ponton restarted: the portal rows come back with the right
# room IDs, no room is created (the bot's rooms are counted before and
# after), the other bridge's state is untouched.  test/bridge/recover.py
# acts as the users and the bot.
set -u
: "${BUILD:=build}"
: "${TOP:=$(pwd)}"
export BUILD TOP
SYN_PORT=16010 AS_PORT=16011 WORK_NAME=bridge-recover
. "$TOP/test/bridge/setup.sh"

run_driver() {
	SERVER_NAME=localhost python3 "$TOP/test/bridge/recover.py" "$1" ||
	    status=1
}

if start_ponton first; then
	pass "ponton_starts"
else
	fail "ponton_starts"
	tail -n 30 ponton-first.out ponton-first.err
	exit 1
fi
run_driver setup
if stop_ponton first; then
	pass "first_run_stops_cleanly"
else
	fail "first_run_stops_cleanly"
	tail -n 20 ponton-first.err
fi

# --- the database is lost -------------------------------------------------
rm -f "$WORK/bridge.db" "$WORK/bridge.db-wal" "$WORK/bridge.db-shm"
if start_ponton second; then
	pass "ponton_starts_on_an_empty_database"
else
	fail "ponton_starts_on_an_empty_database"
	tail -n 30 ponton-second.out ponton-second.err
	exit 1
fi
if grep -q "recovery: .* recovered" ponton-second.out; then
	pass "recovery_ran_before_bridge_started"
else
	fail "recovery_ran_before_bridge_started"
	grep -i "recover" ponton-second.out | head
fi
run_driver check
if stop_ponton second; then
	pass "second_run_stops_cleanly"
else
	fail "second_run_stops_cleanly"
	tail -n 20 ponton-second.err
fi
exit $status
