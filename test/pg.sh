# test/pg.sh: a throw-away PostgreSQL server for tests.  Source it, then:
#
#   pg_start || exit 1     # sets PG_URI (admin URI, database "postgres")
#   trap pg_stop EXIT      # always: stops the server, removes its files
#
# The cluster lives in a fresh temp dir and listens on a unix socket in that
# dir only, so runs never collide on a port.  Set PG_TCP_PORT (e.g. 15432,
# ponton's storage suite range is 15400-15499) before pg_start to also
# listen on 127.0.0.1:$PG_TCP_PORT, for peers that need TCP.
# The server runs as the `postgres` system user when we are root (it
# refuses to run as root); the user is created if missing.  Debian's server
# binaries are found under /usr/lib/postgresql/<version>/bin.
#
# Exported after pg_start: PG_URI, PG_DIR (socket dir = host), PG_PORT,
# PG_BIN.  pg_stop is idempotent.

pg__as() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

pg_start() {
	PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
	if [ -z "$PG_BIN" ] || [ ! -x "$PG_BIN/initdb" ]; then
		echo "pg.sh: no PostgreSQL server (Debian package postgresql)" >&2
		return 1
	fi
	if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
		useradd --system --no-create-home --shell /usr/sbin/nologin \
		    postgres || return 1
	fi
	PG_DIR=$(mktemp -d /tmp/ponton-pg-XXXXXX) || return 1
	chmod 755 "$PG_DIR"
	[ "$(id -u)" -eq 0 ] && chown postgres "$PG_DIR"
	# A fixed number only names the socket file inside our own dir.
	PG_PORT=${PG_TCP_PORT:-5432}
	listen="''"
	[ -n "${PG_TCP_PORT:-}" ] && listen=127.0.0.1
	if ! pg__as "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres \
	    --auth=trust -E UTF8 --locale=C --no-sync \
	    > "$PG_DIR/initdb.log" 2>&1; then
		echo "pg.sh: initdb failed:" >&2
		cat "$PG_DIR/initdb.log" >&2
		return 1
	fi
	# Durability is pointless for a cluster deleted after the run.
	if ! pg__as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" \
	    -w -t 60 -o "-k $PG_DIR -p $PG_PORT -c listen_addresses=$listen \
	    -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
	    -c max_connections=40 -c shared_buffers=16MB" start \
	    > "$PG_DIR/pg_ctl.log" 2>&1; then
		echo "pg.sh: server did not start:" >&2
		cat "$PG_DIR/pg_ctl.log" "$PG_DIR/server.log" >&2
		return 1
	fi
	PG_URI="postgresql:///postgres?host=$PG_DIR&port=$PG_PORT&user=postgres"
	export PG_URI PG_DIR PG_PORT PG_BIN
	return 0
}

pg_stop() {
	if [ -n "${PG_DIR:-}" ] && [ -d "$PG_DIR" ]; then
		if [ -f "$PG_DIR/data/postmaster.pid" ]; then
			pg__as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate \
			    -w -t 30 stop > /dev/null 2>&1
		fi
		rm -rf "$PG_DIR"
	fi
	PG_DIR=
}
