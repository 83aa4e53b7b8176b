#!/bin/sh
# CLI suite: drives $BUILD/san/ponton (ASan build) end to end: flags, exit
# codes, -e / -g / config rewrite, environment overrides, logging, database,
# and the Matrix start-up checks against stand-in homeservers
# (test/bridge/hs_stub.py; the real Synapse is in 55-bridge-matrix).
set -u
: "${BUILD:=build}"
: "${TOP:=$(pwd)}"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
P=$TOP/$BUILD/san/ponton
case $BUILD in /*) P=$BUILD/san/ponton ;; esac
DATA=$TOP/test/data/config
[ -x "$P" ] || { echo "FAIL: cli: $P not built"; exit 1; }
W=$(mktemp -d "${TMPDIR:-/tmp}/ponton-cli.XXXXXX")
STUBPIDS=""
trap 'kill $STUBPIDS 2>/dev/null; rm -rf "$W"' EXIT
cd "$W" || exit 1
status=0

# stub MODE: start a stand-in homeserver, set STUB_<MODE> to its URL.
stub() {
	python3 "$TOP/test/bridge/hs_stub.py" "$1" "$W/stub-$1.port" > /dev/null 2>&1 &
	STUBPIDS="$STUBPIDS $!"
	i=0
	while [ ! -s "$W/stub-$1.port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	eval "STUB_$1=http://127.0.0.1:$(cat "$W/stub-$1.port" 2>/dev/null)"
}
stub refuse
stub oldspec
stub whoami
stub ok

pass() { echo "PASS: $1"; }
fail() { echo "FAIL: $1"; status=1; }
# check NAME CONDITION...: PASS if the command succeeds.
check() { n=$1; shift; if "$@"; then pass "$n"; else fail "$n"; fi; }
# run EXPECTED_RC NAME ARGS...: run ponton, keep stdout/stderr in out/err.
run() {
	want=$1; n=$2; shift 2
	${RUNPFX:-} env ${RUNENV:-} "$P" "$@" > out 2> err
	rc=$?
	if [ "$rc" -eq "$want" ] && ! grep -q "ERROR: AddressSanitizer\|runtime error" err; then
		pass "$n"
	else
		fail "$n (exit $rc, expected $want)"; sed 's/^/    /' err | head -5
	fi
}
# A config that passes validation (SQLite database in the work dir).
ready_config() {
	"$P" -e -c "$1" > /dev/null
	sed -i -e "s|address: http://example.localhost:8008|address: $STUB_refuse|" \
	    -e 's|^    domain: example.com$|    domain: cli.test|' \
	    -e 's|^    port: 29318$|    port: 0|' \
	    -e 's|^    type: postgres$|    type: sqlite3-fk-wal|' \
	    -e 's|^    uri: postgres://user:password@host/database?sslmode=disable$|    uri: file:bridge.db?_txlock=immediate|' \
	    -e 's|^        "example.com": user$|        "cli.test": user|' \
	    -e 's|filename: ./logs/bridge.log|filename: ./logs/cli.log|' "$1"
}

# --- flags -------------------------------------------------------------------
run 0 "-h exits 0" -h
check "-h prints usage" grep -q "ponton \[-hgvn\] \[-c <path>\] \[-r <path>\]" out
check "-h lists every flag" sh -c 'for f in --config --registration --generate-registration --no-update --generate-example-config --version --version-json --ignore-unsupported-database --ignore-foreign-tables --ignore-unsupported-server --help; do grep -q -- "$f" out || exit 1; done'
run 0 "--help exits 0" --help
run 0 "-v exits 0" -v
check "-v prints the version" grep -qx "ponton 0.1.0 (mautrix-whatsapp compatible)" out
run 0 "--version exits 0" --version
run 0 "--version-json exits 0" --version-json
check "--version-json is valid JSON" python3 -c 'import json,sys; d=json.load(open("out")); assert d["Name"]=="ponton" and d["FormattedVersion"]=="0.1.0" and "Mautrix" in d'
run 1 "unknown flag exits 1" --bogus
check "unknown flag prints usage on stderr" grep -q "Usage:" err
run 1 "-c without value exits 1" -c
run 1 "stray argument exits 1" -c x.yaml extra
run 0 "login subcommand dispatches" login -h
check "login subcommand prints its own usage" grep -q "usage: ponton login" out

# --- -e ----------------------------------------------------------------------
run 0 "-e writes the example" -e -c x.yaml
check "-e output is the embedded example" cmp -s x.yaml "$TOP/bridge/embed/example-config.yaml"
check "-e file mode is 0600" [ "$(stat -c %a x.yaml)" = 600 ]
run 1 "-e refuses an existing file" -e -c x.yaml
check "-e refusal says so" grep -q "already exists" err
run 0 "-e -c - prints to stdout" -e -c -
check "-e -c - output is the example" cmp -s out "$TOP/bridge/embed/example-config.yaml"

# --- -g ----------------------------------------------------------------------
run 20 "-g with domain example.com exits 20" -g -c x.yaml -r reg.yaml
check "-g refusal leaves no registration" [ ! -e reg.yaml ]
sed -i -e 's|address: http://example.localhost:8008|address: http://127.0.0.1:8008|' \
    -e 's|^    domain: example.com$|    domain: cli.test|' x.yaml
run 5 "-n with -g exits 5" -n -g -c x.yaml -r reg.yaml
run 0 "-g writes the registration" -g -c x.yaml -r reg.yaml
check "registration mode is 0600" [ "$(stat -c %a reg.yaml)" = 600 ]
check "registration keys in upstream order" sh -c 'grep -o "^[a-z.0-9_]*:" reg.yaml | tr -d "\n" | grep -qx "id:url:as_token:hs_token:sender_localpart:rate_limited:namespaces:de.sorunome.msc2409.push_ephemeral:receive_ephemeral:"'
check "registration namespaces" sh -c 'grep -qx "        - regex: ^@whatsappbot:cli\\\\.test\\$" reg.yaml && grep -qx "        - regex: ^@whatsapp_\\.\\*:cli\\\\.test\\$" reg.yaml && [ "$(grep -c "^          exclusive: true$" reg.yaml)" = 2 ]'
check "registration tokens and localpart are random [0-9A-Za-z]" sh -c 'grep -Eq "^as_token: [0-9A-Za-z]{64}$" reg.yaml && grep -Eq "^hs_token: [0-9A-Za-z]{64}$" reg.yaml && grep -Eq "^sender_localpart: [0-9A-Za-z]{32}$" reg.yaml'
AS1=$(sed -n 's/^as_token: //p' reg.yaml); HS1=$(sed -n 's/^hs_token: //p' reg.yaml)
check "config holds the registration's tokens" sh -c "grep -qx '    as_token: $AS1' x.yaml && grep -qx '    hs_token: $HS1' x.yaml"
check "config kept the example's comments" grep -q "^    # Tokens shared with the homeserver; written by -g, do not edit.$" x.yaml
check "generate secrets were replaced" sh -c '! grep -q ": generate$" x.yaml && grep -Eq "^    pickle_key: [0-9A-Za-z]{64}$" x.yaml && grep -Eq "^    server_key: ed25519 [A-Za-z0-9_-]{6} [A-Za-z0-9+/]{43}$" x.yaml'
PK1=$(sed -n 's/^    pickle_key: //p' x.yaml)
run 0 "second -g (with -c=path) works" -g -c=x.yaml --registration=reg.yaml
AS2=$(sed -n 's/^as_token: //p' reg.yaml)
check "second -g rotates the tokens" sh -c "[ -n '$AS2' ] && [ '$AS1' != '$AS2' ] && grep -qx '    as_token: $AS2' x.yaml"
check "second -g keeps generated secrets" grep -qx "    pickle_key: $PK1" x.yaml
run 21 "-g into an unwritable path exits 21" -g -c x.yaml -r "$W/no/such/dir/reg.yaml"
# A directory the bridge cannot write to: read-only bind mount when root
# (permissions do not stop root), plain permissions otherwise.
mkdir ro && cp x.yaml ro/x.yaml
if [ "$(id -u)" = 0 ]; then
	printf '%s\n' 'mount --bind ro ro && mount -o remount,bind,ro ro && exec "$@"' > ro-run.sh
	RUNPFX="unshare -m sh ro-run.sh" run 22 "-g with a config that cannot be rewritten exits 22" -g -c ro/x.yaml -r reg2.yaml
else
	chmod 555 ro
	run 22 "-g with a config that cannot be rewritten exits 22" -g -c ro/x.yaml -r reg2.yaml
	chmod 755 ro
fi
check "exit 22 says the config could not be saved" grep -q "Failed to save config" err

# --- start-up: validation and errors ----------------------------------------
cp x.yaml before.yaml
run 11 "database.uri placeholder exits 11" -c x.yaml
check "validation error is one clear line" grep -q "Configuration error: database.uri not configured" out
"$P" -e -c fresh.yaml > /dev/null
run 11 "homeserver.address placeholder exits 11" -c fresh.yaml
check "address error names the key" grep -q "homeserver.address not configured" out
ready_config ok.yaml
sed -i 's|^    as_token: .*|    as_token: "This value is generated when generating the registration"|' ok.yaml
sed -i 's|^    uri: file:bridge.db.*|    uri: file:bridge.db?_txlock=immediate|' ok.yaml
run 11 "as_token placeholder exits 11" -c ok.yaml
check "as_token error names the key" grep -q "appservice.as_token not configured" out
cp "$DATA/malformed.yaml" bad.yaml
run 10 "malformed YAML exits 10" -c bad.yaml
check "malformed YAML error has file:line:column" grep -Eq "bad.yaml:[0-9]+:[0-9]+: " err
check "malformed config is not rewritten" cmp -s bad.yaml "$DATA/malformed.yaml"
cp "$DATA/wrong-type.yaml" wt.yaml
run 10 "wrong type exits 10" -c wt.yaml
check "wrong type error names key and line" grep -q "wt.yaml:2:[0-9]*: appservice.port: expected an integer, got a string" err
run 10 "missing config exits 10" -c does-not-exist.yaml
cp "$DATA/legacy.yaml" legacy.yaml
run 1 "legacy config exits 1" -c legacy.yaml
ready_config db.yaml
sed -i 's|^    type: sqlite3-fk-wal$|    type: mysql|' db.yaml
"$P" -g -c db.yaml -r r.yaml > /dev/null 2>&1
run 14 "unknown database.type exits 14" -c db.yaml
check "unknown database.type is named" grep -q "database.type mysql is not supported" out
ready_config s3.yaml
sed -i 's|^    type: sqlite3-fk-wal$|    type: sqlite3|' s3.yaml
run 5 "-n -g exits 5 without rewriting" -n -c s3.yaml -r r.yaml -g
check "-n left the file as it was" grep -q "^    type: sqlite3$" s3.yaml

# --- a full start: logging and database -------------------------------------
ready_config full.yaml
run 0 "-g on a filled-in config" -g -c full.yaml -r full-reg.yaml
sed -i 's|^    type: sqlite3-fk-wal$|    type: sqlite3|' full.yaml
run 16 "start reaches the database, then the homeserver refuses the token (16)" -c full.yaml
check "sqlite3 corrected in the rewritten config" grep -q "^    type: sqlite3-fk-wal$" full.yaml
check "the database was created and upgraded" sh -c '[ -s bridge.db ] && python3 -c "import sqlite3; c=sqlite3.connect(\"bridge.db\"); assert c.execute(\"select count(*) from version\").fetchone()[0] >= 1"'
check "stdout log is pretty-colored" grep -q "$(printf '\033')\[" out
check "JSON log file has one object per line" python3 -c '
import json
lines = open("logs/cli.log").read().splitlines()
assert lines
for l in lines: json.loads(l)
assert any("Database is up to date" in json.loads(l)["message"] for l in lines)'
check "no secret in the logs" sh -c "! grep -q '$(sed -n 's/^    as_token: //p' full.yaml)' logs/cli.log out err"
check "fatal line names the homeserver failure" grep -q "the as_token was not accepted" out
sed -i -e 's|^    min_level: debug$|    min_level: warn|' full.yaml
run 16 "min_level warn start" -c full.yaml
check "min_level warn hides info lines" sh -c '! grep -q "INF" out'
cp fresh.yaml quiet.yaml
sed -i 's|^    min_level: debug$|    min_level: disabled|' quiet.yaml
run 11 "validation error with logging disabled exits 11" -c quiet.yaml
check "validation error still reaches stderr" grep -q "Configuration error: homeserver.address not configured" err
cp full.yaml lg.yaml
sed -i 's|^        - type: stdout$|        - type: carrier-pigeon|' lg.yaml
run 12 "unknown log writer type exits 12" -c lg.yaml

# --- environment overrides ----------------------------------------------------
ready_config env.yaml
"$P" -g -c env.yaml -r env-reg.yaml > /dev/null
sed -i 's|^env_config_prefix: null$|env_config_prefix: PONTON_|' env.yaml
cp env.yaml env-before.yaml
PONTON_DATABASE__URI="file:envdb.db?_txlock=immediate" run 16 "env override of database.uri" -c env.yaml
check "env override used" [ -s envdb.db ]
check "env override not written to the file" sh -c '! grep -q envdb env.yaml'
printf 'file:envfile.db?_txlock=immediate\n' > uri.txt
PONTON_DATABASE__URI_FILE=uri.txt run 16 "env _FILE override" -c env.yaml
check "env _FILE value used" [ -s envfile.db ]
RUNENV="PONTON_database.uri=file:dot.db?_txlock=immediate" run 16 "env dotted name" -c env.yaml
check "env dotted name used" [ -s dot.db ]
PONTON_APPSERVICE__NO_SUCH=1 run 10 "env unknown key exits 10" -c env.yaml
check "env unknown key is named" grep -q "appservice->no_such not found" err
PONTON_APPSERVICE__PORT=abc run 10 "env bad integer exits 10" -c env.yaml
PONTON_DATABASE__URI_FILE=missing.txt run 10 "env missing _FILE exits 10" -c env.yaml

# --- Matrix start-up checks (mautrix's exit codes) ---------------------------
ready_config hs.yaml
"$P" -g -c hs.yaml -r hs-reg.yaml > /dev/null
cp hs.yaml hs-base.yaml
sed -i "s|address: $STUB_refuse|address: $STUB_oldspec|" hs.yaml
run 18 "homeserver older than v1.4 exits 18" -c hs.yaml
check "outdated homeserver named" grep -q "The homeserver is outdated" out
cp hs-base.yaml hs.yaml
sed -i "s|address: $STUB_refuse|address: $STUB_whoami|" hs.yaml
run 17 "whoami answering another user exits 17" -c hs.yaml
check "whoami failure named" grep -q "Unexpected user ID in whoami call" out
cp hs-base.yaml hs.yaml
sed -i -e "s|address: $STUB_refuse|address: $STUB_ok|" \
    -e "s|^    port: 0$|    port: $(cat "$W/stub-ok.port")|" hs.yaml
run 23 "appservice port already in use exits 23" -c hs.yaml
cp hs-base.yaml hs.yaml
sed -i 's|^    language: en$|    language: de|' hs.yaml
run 11 "ponton.language other than en/fr exits 11" -c hs.yaml
check "language error named" grep -q "ponton.language must be en or fr" out

# runbg NAME ARGS...: start ponton, wait for "Bridge started", SIGTERM it;
# PASS if it exits 0 without a sanitizer report.
runbg() {
	n=$1; shift
	"$P" "$@" > out 2> err &
	pid=$!
	i=0
	while ! grep -q "Bridge started" out 2>/dev/null && [ $i -lt 300 ] &&
	    kill -0 $pid 2>/dev/null; do
		sleep 0.1
		i=$((i + 1))
	done
	started=0
	grep -q "Bridge started" out && started=1
	kill -TERM $pid 2>/dev/null
	wait $pid
	rc=$?
	if [ $started -eq 1 ] && [ $rc -eq 0 ] &&
	    ! grep -q "ERROR: AddressSanitizer\|runtime error\|LeakSanitizer" err; then
		pass "$n"
	else
		fail "$n (started=$started, exit $rc)"; sed 's/^/    /' err | head -5
	fi
}
cp hs-base.yaml hs.yaml
sed -i "s|address: $STUB_refuse|address: $STUB_ok|" hs.yaml
: > "$W/stub-ok.port.log"
runbg "start-up checks pass, SIGTERM stops with exit 0" -c hs.yaml
check "start-up order: register, versions, whoami, ping, then the bot's profile" python3 -c '
import sys
seen = [l.split()[1] for l in open(sys.argv[1])]
want = ["/register", "/versions", "/account/whoami", "/ping", "/displayname"]
pos = []
for w in want:
    hits = [i for i, p in enumerate(seen) if p.endswith(w)]
    assert hits, (w, seen)
    pos.append(hits[0])
assert pos == sorted(pos), seen' "$W/stub-ok.port.log"
check "stop is logged" grep -q "Bridge stopped" out
check "bot profile from appservice.bot" sh -c 'grep -q "/displayname {\"displayname\": *\"WhatsApp bridge bot\"}" "$1" &&
    grep -q "/avatar_url {\"avatar_url\": *\"mxc://maunium.net/NeXNQarUbrlYBiPCpprYsRqr\"}" "$1"' - "$W/stub-ok.port.log"
cp hs-base.yaml hs.yaml
sed -i -e "s|address: $STUB_refuse|address: $STUB_ok|" \
    -e 's|^        displayname: WhatsApp bridge bot$|        displayname: remove|' \
    -e 's|^        avatar: mxc://maunium.net/NeXNQarUbrlYBiPCpprYsRqr$|        avatar: remove|' hs.yaml
: > "$W/stub-ok.port.log"
runbg "bot profile remove: start-up passes" -c hs.yaml
check "bot profile remove clears both fields" sh -c 'grep -q "/displayname {\"displayname\": *\"\"}" "$1" &&
    grep -q "/avatar_url {\"avatar_url\": *\"\"}" "$1"' - "$W/stub-ok.port.log"
cp hs-base.yaml hs.yaml
sed -i "s|address: $STUB_refuse|address: $STUB_oldspec|" hs.yaml
runbg "--ignore-unsupported-server runs against an old homeserver" -c hs.yaml --ignore-unsupported-server

# --- templates are parsed at load (as upstream's text/template.Parse) ---------
"$P" -e -c tmpl.yaml > /dev/null
sed -i 's|^    displayname_template: .*|    displayname_template: "{{or .PushName .Nope}}"|' tmpl.yaml
cp tmpl.yaml tmpl.orig
run 10 "bad displayname_template exits 10" -c tmpl.yaml
check "bad displayname_template error names the key" grep -q "tmpl.yaml:[0-9]*:[0-9]*: network.displayname_template: invalid template" err
check "config with a bad template is not rewritten" cmp -s tmpl.yaml tmpl.orig

exit $status
