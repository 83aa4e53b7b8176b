#!/bin/sh
# Storage suite: the db/ unit tests and the bridge's data-access layer
# (bridge/store.h) on both backends.
#
#   sqlite:   test_db_api and test_db_migrate on fresh SQLite files, plus
#             the SQLite-only tests (pragmas, URI parameters, txlock)
#   postgres: the same test_db_api and test_db_migrate on a throw-away
#             PostgreSQL cluster started here (test/pg.sh) and removed
#             afterwards, plus test_db_pg: PostgreSQL-only tests
#             (unreachable server, malformed URIs, reconnection, bytea)
#   both:     test_br_store (bridge/store.h on the migrated schema),
#             test_br_net_wa_pending (ponton's own pending-inbound table),
#             test_br_store_outq (Matrix events kept until sent to WhatsApp)
#
# Each line names its backend: "PASS: sqlite: test_db_...".
set -u
: "${BUILD:=build}"
: "${TOP:=$(pwd)}"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:halt_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
. "$TOP/test/pg.sh"

bin=$BUILD/san/test/unit
status=0
tmp=$(mktemp /tmp/ponton-db-suite-XXXXXX)
trap 'pg_stop; rm -f "$tmp"' EXIT
trap 'exit 1' INT TERM

# run BACKEND MODULE/TEST-BINARY: prefixes each PASS/FAIL line with the
# backend.
run() {
	backend=$1
	t=$bin/$2
	echo "# $backend: $t"
	if [ ! -x "$t" ]; then
		echo "FAIL: $backend: $2 (binary missing; make test-bins)"
		status=1
		return
	fi
	"$t" > "$tmp" 2>&1
	rc=$?
	sed "s/^\(PASS\|FAIL\): /\1: $backend: /" "$tmp"
	if [ $rc -ne 0 ]; then
		status=1
		grep -q '^FAIL: ' "$tmp" ||
		    echo "FAIL: $backend: $2 exited with status $rc"
	fi
}

PONTON_TEST_DB=sqlite
export PONTON_TEST_DB
run sqlite db/test_db_api
run sqlite db/test_db_migrate
run sqlite db/test_db_sqlite
run sqlite bridge/test_br_store
run sqlite bridge/test_br_wa_store_db
run sqlite bridge/test_br_wa_store_db_appstate
run sqlite bridge/test_br_wa_signal_db
run sqlite bridge/test_br_net_wa_pending
run sqlite bridge/test_br_store_outq

if pg_start; then
	PONTON_TEST_DB=postgres
	PONTON_TEST_PG_URI=$PG_URI
	export PONTON_TEST_DB PONTON_TEST_PG_URI
	run postgres db/test_db_api
	run postgres db/test_db_migrate
	run postgres db/test_db_pg
	run postgres bridge/test_br_store
	run postgres bridge/test_br_wa_store_db
	run postgres bridge/test_br_wa_store_db_appstate
	run postgres bridge/test_br_wa_signal_db
	run postgres bridge/test_br_net_wa_pending
	run postgres bridge/test_br_store_outq
	run postgres bridge/test_br_contacts_wa
	run postgres bridge/test_br_history
else
	echo "FAIL: postgres: server did not start (see above)"
	run postgres db/test_db_pg
	status=1
fi
exit $status
