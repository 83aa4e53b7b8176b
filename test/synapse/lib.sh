# test/synapse/lib.sh: install, configure, start and stop a throw-away Synapse
# on loopback for the Matrix suite.  Sourced (POSIX sh).
#
# The virtual environment lives OUTSIDE the repository and is reused between
# runs: $SYN_VENV (default /var/cache/ponton/synapse-venv, or
# ~/.cache/ponton/synapse-venv when /var/cache is not writable).  It is
# (re)built from the committed lockfile test/synapse/requirements.txt (exact
# versions, --hash lines, --require-hashes) whenever the lockfile changes.
#
# Each run gets a fresh data directory ($SYN_DIR): homeserver.yaml written
# here, SQLite database, media store, signing key.  Synapse listens on
# 127.0.0.1:$SYN_PORT with the client resource only (no federation).
#
# Ports: several runs of the suites may share this machine (developers, a
# fresh-clone check), so no port is fixed.  When this file is sourced,
# $SYN_PORT is taken as a preference only: kept when it can be bound on
# 127.0.0.1, otherwise (or when unset) replaced by a free port the kernel
# picks (bind to port 0).  The choice is exported as SYN_PORT and SYN_URL
# and, once syn_configure has run, written to $SYN_DIR/port and
# $SYN_DIR/url; start.sh / stop.sh read the port from there (SYN_KEEP_PORT=1
# turns the probe off).  syn_free_port gives suites more free ports (the
# appservice, stub servers).  A port is free when probed; another process
# may still take it before Synapse binds it: syn_start then fails loudly,
# it never talks to a stranger's server.
#
# Functions: syn_install, syn_configure <dir> <registration file>...,
# syn_start, syn_stop, syn_wait (start.sh / stop.sh wrap the last ones for
# other processes).  Users are created by the driver through the
# shared-secret admin API (/_synapse/admin/v1/register, HMAC-SHA1 over
# nonce, user, password, admin flag with $SYN_SECRET).

: "${TOP:=$(pwd)}"
: "${SYN_SERVER_NAME:=localhost}"

# syn_free_port [PREFERRED [EXCLUDED...]]: print PREFERRED if it can be bound
# on 127.0.0.1 (with SO_REUSEADDR, as Twisted and libuv bind), else a port
# the kernel picks, never one of EXCLUDED.
syn_free_port() {
	python3 - "$@" <<'PYEOF'
import socket, sys
pref = sys.argv[1] if len(sys.argv) > 1 else ""
excl = set(int(x) for x in sys.argv[2:] if x.isdigit())
def probe(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind(("127.0.0.1", port))
        return s.getsockname()[1]
    except OSError:
        return 0
    finally:
        s.close()
if pref.isdigit() and 0 < int(pref) < 65536 and int(pref) not in excl and probe(int(pref)):
    print(int(pref))
    sys.exit(0)
for _ in range(50):
    p = probe(0)
    if p and p not in excl:
        print(p)
        sys.exit(0)
sys.exit(1)
PYEOF
}

if [ "${SYN_KEEP_PORT:-0}" != 1 ]; then
	_syn_want=${SYN_PORT:-}
	SYN_PORT=$(syn_free_port "$_syn_want") || SYN_PORT=${_syn_want:-19008}
	if [ -n "$_syn_want" ] && [ "$_syn_want" != 0 ] &&
	    [ "$SYN_PORT" != "$_syn_want" ]; then
		echo "# synapse: port $_syn_want is taken; using $SYN_PORT" >&2
	fi
	unset _syn_want
fi
SYN_URL=http://127.0.0.1:$SYN_PORT
export SYN_PORT SYN_URL
SYN_SECRET=ponton_test_shared_secret
SYN_LOCK=$TOP/test/synapse/requirements.txt

if [ -z "${SYN_VENV:-}" ]; then
	if mkdir -p /var/cache/ponton 2>/dev/null && [ -w /var/cache/ponton ]; then
		SYN_VENV=/var/cache/ponton/synapse-venv
	else
		SYN_VENV=$HOME/.cache/ponton/synapse-venv
	fi
fi

syn_log() { echo "# synapse: $*" >&2; }

# Install (or reuse) the venv.  A stamp file holds the lockfile's checksum.
syn_install() {
	want=$(sha256sum "$SYN_LOCK" | cut -d' ' -f1)
	if [ -x "$SYN_VENV/bin/python" ] &&
	    [ "$(cat "$SYN_VENV/.ponton-lock" 2>/dev/null)" = "$want" ] &&
	    "$SYN_VENV/bin/python" -c 'import synapse' 2>/dev/null; then
		return 0
	fi
	syn_log "installing Synapse into $SYN_VENV from $SYN_LOCK"
	rm -rf "$SYN_VENV"
	mkdir -p "$(dirname "$SYN_VENV")"
	python3 -m venv "$SYN_VENV" || return 1
	"$SYN_VENV/bin/pip" install -q --disable-pip-version-check \
	    --require-hashes --no-deps -r "$SYN_LOCK" || return 1
	"$SYN_VENV/bin/python" -c 'import synapse' || return 1
	echo "$want" > "$SYN_VENV/.ponton-lock"
}

syn_version() {
	"$SYN_VENV/bin/python" -c 'import synapse; print(synapse.__version__)'
}

# syn_configure <dir> <registration file>...
syn_configure() {
	SYN_DIR=$1
	shift
	rm -rf "$SYN_DIR"
	mkdir -p "$SYN_DIR/media_store"
	regs=""
	for r in "$@"; do regs="$regs \"$r\","; done
	regs="[${regs%,} ]"
	rl='{per_second: 9999, burst_count: 9999}'
	cat > "$SYN_DIR/log.yaml" <<LOGEOF
version: 1
formatters:
  precise: {format: '%(asctime)s - %(name)s - %(lineno)d - %(levelname)s - %(request)s - %(message)s'}
handlers:
  file: {class: logging.FileHandler, formatter: precise, filename: "$SYN_DIR/homeserver.log"}
loggers:
  synapse.storage.SQL: {level: WARNING}
root: {level: INFO, handlers: [file]}
disable_existing_loggers: false
LOGEOF
	cat > "$SYN_DIR/homeserver.yaml" <<CFGEOF
server_name: "$SYN_SERVER_NAME"
public_baseurl: "$SYN_URL/"
pid_file: "$SYN_DIR/homeserver.pid"
listeners:
  - port: $SYN_PORT
    bind_addresses: ["127.0.0.1"]
    type: http
    tls: false
    x_forwarded: false
    resources: [{names: [client], compress: false}]
database: {name: sqlite3, args: {database: "$SYN_DIR/homeserver.db"}}
log_config: "$SYN_DIR/log.yaml"
media_store_path: "$SYN_DIR/media_store"
max_upload_size: 50M
url_preview_enabled: false
enable_registration: false
registration_shared_secret: "$SYN_SECRET"
report_stats: false
macaroon_secret_key: "ponton_test_macaroon_secret"
form_secret: "ponton_test_form_secret"
signing_key_path: "$SYN_DIR/$SYN_SERVER_NAME.signing.key"
trusted_key_servers: []
suppress_key_server_warning: true
federation_domain_whitelist: []
bcrypt_rounds: 4
app_service_config_files: $regs
presence: {enabled: false}
rc_message: $rl
rc_registration: $rl
rc_login: {address: $rl, account: $rl, failed_attempts: $rl}
rc_joins: {local: $rl, remote: $rl}
rc_joins_per_room: $rl
rc_invites: {per_room: $rl, per_user: $rl, per_issuer: $rl}
rc_admin_redaction: $rl
rc_room_creation: $rl
rc_media_create: $rl
CFGEOF
	echo "$SYN_PORT" > "$SYN_DIR/port"
	echo "$SYN_URL" > "$SYN_DIR/url"
	"$SYN_VENV/bin/python" -m synapse.app.homeserver -c "$SYN_DIR/homeserver.yaml" \
	    --generate-keys > "$SYN_DIR/genkeys.log" 2>&1
}

syn_wait() {
	i=0
	while [ $i -lt 600 ]; do
		if curl -sf "$SYN_URL/health" > /dev/null 2>&1; then
			return 0
		fi
		if [ -n "${SYN_PID:-}" ] && ! kill -0 "$SYN_PID" 2>/dev/null; then
			syn_log "Synapse exited during start-up"
			tail -n 30 "$SYN_DIR/synapse.out" >&2
			return 1
		fi
		sleep 0.1
		i=$((i + 1))
	done
	syn_log "Synapse not ready after 60 s"
	return 1
}

syn_start() {
	if curl -sf "$SYN_URL/health" > /dev/null 2>&1; then
		syn_log "something already answers on $SYN_URL; refusing to start"
		return 1
	fi
	(cd "$SYN_DIR" && exec "$SYN_VENV/bin/python" -m synapse.app.homeserver \
	    -c "$SYN_DIR/homeserver.yaml") >> "$SYN_DIR/synapse.out" 2>&1 &
	SYN_PID=$!
	echo "$SYN_PID" > "$SYN_DIR/synapse.pid"
	syn_wait
}

# Works from another shell than the one that started Synapse: the pid file
# is the truth (start.sh may have restarted it under a new pid).
syn_stop() {
	SYN_PID=$(cat "$SYN_DIR/synapse.pid" 2>/dev/null)
	if [ -n "${SYN_PID:-}" ]; then
		kill -TERM "$SYN_PID" 2>/dev/null
		i=0
		while kill -0 "$SYN_PID" 2>/dev/null && [ $i -lt 300 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		kill -KILL "$SYN_PID" 2>/dev/null
		wait "$SYN_PID" 2>/dev/null
		SYN_PID=
		rm -f "$SYN_DIR/synapse.pid"
	fi
}
