#!/bin/sh
# ponton's media transport (waweb/media.c over util/http.c) against wasim's
# HTTPS media server and two real clients' own media code, Baileys
# (test/peers/baileys/media.mjs) and whatsmeow (test/peers/whatsmeow/
# media.go).  Three fixtures: an image, a voice note (Ogg/Opus bytes,
# uploaded with the audio keys) and a document whose length is not a
# multiple of the AES block (plus, as bare blobs, a video and a sticker).
# Every download is compared byte for byte with
# the file that was uploaded.  TLS is verified everywhere: each client
# trusts wasim's self-signed certificate (--media-cert-file) as its only CA.
#
#   wa60_pair                   Baileys, ponton and whatsmeow pair with wasim
#   wa60_ponton_to_baileys      ponton uploads the three; Baileys downloads
#                               and decrypts them: byte-identical
#   wa60_baileys_to_ponton      Baileys uploads the three; ponton downloads
#                               them with every hash checked: byte-identical
#   wa60_ponton_to_whatsmeow    as above, whatsmeow downloading (it checks
#                               both hashes and the MAC itself)
#   wa60_whatsmeow_to_ponton    whatsmeow uploads, ponton downloads
#   wa60_msg_ponton_to_baileys  as messages: ponton sends an image (with a
#                               thumbnail passed through), a voice note
#                               (ptt, audio/ogg; codecs=opus, 64-sample
#                               waveform) and a document (file name);
#                               Baileys' downloadMediaMessage gets the
#                               exact bytes and sees those fields
#   wa60_msg_baileys_to_ponton  Baileys' sendMessage of the three: ponton
#                               decodes, downloads, checks, byte-identical
#   wa60_msg_ponton_to_whatsmeow  the three through wasim's offline queue
#                               to whatsmeow, which downloads them exactly
#   wa60_msg_whatsmeow_to_ponton  whatsmeow's three to ponton, exact
#   wa60_media_retry            Baileys sends an image and a document to
#                               ponton; both blobs expire before ponton
#                               downloads them (404); ponton asks the
#                               sender's phone (wasim's, which has the
#                               image's key but has lost the document):
#                               the image is re-uploaded and downloaded
#                               exactly, the document reported unavailable
#   wa60_hostile_refused        a wrong media key (MAC), a wrong fileSha256
#                               and fileEncSha256 (hash), a blob longer than
#                               the message says (too big), a 16 MiB + 1
#                               sticker and document (too big for ponton,
#                               too big for the server's media_conn: both
#                               refused before any upload) are
#                               refused with their own error codes and
#                               nothing is written
#   wa60_expired_distinct       a direct path the server no longer has
#                               (404) reports WA_ERR_MEDIA_EXPIRED
#   wa60_tls_verified           without the CA file ponton's upload fails
#                               (certificate not trusted); nothing stored
#   wa60_clean_exit             wasim exits 0, no sanitizer report
set -u
: "${BUILD:=build}"
: "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$TOP/test/wasim/harness.sh"
wh_init ponton-media
MEDIA=$TOP/$BUILD/san/tools/wa_media
CLIENT=$TOP/$BUILD/san/tools/wa_client
for b in "$MEDIA" "$CLIENT"; do
	[ -x "$b" ] || { fail wa60_tools_built "$b"; wh_finish; }
done

wh_start "$W" --state-dir "$W/state" --media-cert-file "$W/media.pem" ||
    { fail wa60_wasim_starts; wh_finish; }
echo "$WASIM_ROOT_PUB" > "$W/root"
MHOST=127.0.0.1:$WASIM_MEDIA_PORT
export NODE_EXTRA_CA_CERTS="$W/media.pem"

# Fixtures: random bytes behind a real header for each kind.
printf '\377\330\377\340\000\020JFIF\000' > "$W/image.jpg"
head -c 48000 /dev/urandom >> "$W/image.jpg"
printf 'OggS\000\002' > "$W/voice.ogg"
head -c 20011 /dev/urandom >> "$W/voice.ogg"
printf '%%PDF-1.4\n' > "$W/doc.pdf"
head -c 300001 /dev/urandom >> "$W/doc.pdf"
printf '\000\000\000\030ftypmp42' > "$W/video.mp4"
head -c 70003 /dev/urandom >> "$W/video.mp4"
printf 'RIFF\000\000\000\000WEBPVP8 ' > "$W/sticker.webp"
head -c 9001 /dev/urandom >> "$W/sticker.webp"
# As blobs: all five kinds; as messages (below): the first three.
FIX="image:image.jpg ptt:voice.ogg document:doc.pdf video:video.mp4 sticker:sticker.webp"
NFIX=5

# --- Pairing -------------------------------------------------------------------
wh_baileys "$W/pair-b.out" --auth "$W/auth-b" --push-name "Bailey" \
    --timeout-ms 60000 --expect-new-login
if wh_wait_line '^QR ' 300 "$W/pair-b.out"; then
	wh_post /admin/mock-phone/scan-qr \
	    "$(sed -n 's/^QR //p' "$W/pair-b.out" | head -1)" "$W/scan-b.json" >/dev/null
fi
wh_baileys_wait
brc=$?
"$CLIENT" --db "$W/p.db" --url "$WASIM_WS_URL" --root-file "$W/root" \
    --exit-on connected --timeout 40 > "$W/pair-p.out" 2> "$W/pair-p.err" &
cpid=$!
if wh_wait_line '^QR ' 300 "$W/pair-p.out"; then
	wh_post '/admin/mock-phone/scan-qr?phone=33622230001' \
	    "$(sed -n 's/^QR //p' "$W/pair-p.out" | head -1)" "$W/scan-p.json" >/dev/null
fi
wait $cpid
prc=$?
WM=""
wrc=1
if WM=$(sh "$TOP/test/peers/whatsmeow/build.sh") && [ -x "$WM" ]; then
	wm() {	# wm OUT IN ARGS...
		wm_out=$1 wm_in=$2
		shift 2
		"$WM" -url "$WASIM_WS_URL" -root-file "$W/root" -store "$W/wm.db" \
		    -timeout 60s "$@" < "$wm_in" > "$wm_out" 2> "$wm_out.err"
	}
	printf 'quit\n' > "$W/wm-cmd0"
	wm "$W/wm0.out" "$W/wm-cmd0" pair-qr &
	wpid=$!
	if wh_wait_line '^QR 2@' 300 "$W/wm0.out"; then
		wh_post '/admin/mock-phone/scan-qr?phone=33622230003' \
		    "$(sed -n 's/^QR //p' "$W/wm0.out" | head -1)" "$W/scan-w.json" >/dev/null
	fi
	wait $wpid
	wrc=$?
	grep -q '^CONNECTED 33622230003' "$W/wm0.out" || wrc=1
fi
if [ $brc -eq 0 ] && [ $prc -eq 0 ] && [ $wrc -eq 0 ] &&
    grep -q '^CONNECTED$' "$W/pair-p.out"; then
	pass wa60_pair
else
	fail wa60_pair "baileys rc $brc, ponton rc $prc, whatsmeow rc $wrc"
	wh_finish
fi

pmedia() {	# pmedia OUT ARGS...: ponton's wa_media
	out=$1
	shift
	"$MEDIA" --db "$W/p.db" --url "$WASIM_WS_URL" --root-file "$W/root" \
	    --timeout 60 "$@" > "$out" 2> "$out.err"
}

# UPLOADED lines -> "type path key sha encsha len" per line, in order.
uploads() { sed -n "s/^$1 //p" "$2"; }

# --- ponton -> Baileys ---------------------------------------------------------------
set -- $(for f in $FIX; do echo --upload "$(echo "$f" | sed "s|:|:$W/|")"; done)
pmedia "$W/up-p.out" --ca-file "$W/media.pem" "$@"
ok=0
n=0
uploads UPLOADED "$W/up-p.out" > "$W/up-p.list"
while read -r type path key sha encsha len; do
	n=$((n + 1))
	src=$(echo "$FIX" | tr ' ' '\n' | sed -n "s/^$type://p")
	node "$WH_PEER/media.mjs" --mode download --host "$MHOST" \
	    --type "$([ "$type" = ptt ] && echo ptt || echo "$type")" \
	    --direct-path "$path" --media-key "$key" --out "$W/b-$src" \
	    > "$W/down-b-$n.out" 2> "$W/down-b-$n.err"
	[ "$sha" = "$(sha256sum < "$W/$src" | cut -d' ' -f1)" ] &&
	    [ "$len" = "$(wc -c < "$W/$src" | tr -d ' ')" ] &&
	    cmp -s "$W/$src" "$W/b-$src" && ok=$((ok + 1))
done < "$W/up-p.list"
if [ $n -eq $NFIX ] && [ $ok -eq $NFIX ]; then
	pass wa60_ponton_to_baileys
else
	fail wa60_ponton_to_baileys "$ok/$n identical"
	cat "$W/up-p.out" "$W/up-p.out.err" | tail -n 8
fi

# --- Baileys -> ponton ---------------------------------------------------------------
set --
n=0
for f in $FIX; do
	type=${f%%:*} src=${f#*:}
	n=$((n + 1))
	node "$WH_PEER/media.mjs" --mode upload --url "$WASIM_WS_URL" \
	    --root "$WASIM_ROOT_PUB" --auth "$W/auth-b" --type "$type" \
	    --in "$W/$src" > "$W/up-b-$n.out" 2> "$W/up-b-$n.err"
	line=$(sed -n 's/^UPLOADED //p' "$W/up-b-$n.out")
	[ -n "$line" ] || continue
	set -- "$@" --download "$(echo "$type $line" | awk -v out="$W/p-$src" \
	    '{ print $1 "," $2 "," $3 "," $4 "," $5 "," $6 "," out }')"
done
pmedia "$W/down-p.out" --ca-file "$W/media.pem" "$@"
ok=0
for f in $FIX; do
	src=${f#*:}
	cmp -s "$W/$src" "$W/p-$src" && ok=$((ok + 1))
done
if [ $# -eq $((2 * NFIX)) ] && [ $ok -eq $NFIX ] &&
    [ "$(grep -c '^DOWNLOADED ' "$W/down-p.out")" = $NFIX ]; then
	pass wa60_baileys_to_ponton
else
	fail wa60_baileys_to_ponton "$ok/$NFIX identical, $(($# / 2)) uploads"
	tail -n 5 "$W/down-p.out" "$W/up-b-1.out" "$W/up-b-1.err"
fi

# --- whatsmeow -----------------------------------------------------------------------
{
	echo "media-ca $W/media.pem"
	while read -r type path key sha encsha len; do
		src=$(echo "$FIX" | tr ' ' '\n' | sed -n "s/^$type://p")
		echo "media-download $type $path $key $sha $encsha $len $W/w-$src"
	done < "$W/up-p.list"
	for f in $FIX; do
		echo "media-upload ${f%%:*} $W/${f#*:}"
	done
	echo quit
} > "$W/wm-cmd1"
wm "$W/wm1.out" "$W/wm-cmd1" connect
wrc=$?
ok=0
for f in $FIX; do
	src=${f#*:}
	cmp -s "$W/$src" "$W/w-$src" && ok=$((ok + 1))
done
if [ $wrc -eq 0 ] && [ $ok -eq $NFIX ] && grep -q '^RESULT media-ca ok' "$W/wm1.out"; then
	pass wa60_ponton_to_whatsmeow
else
	fail wa60_ponton_to_whatsmeow "rc $wrc, $ok/$NFIX identical"
	grep '^RESULT' "$W/wm1.out" | head -n 5
fi
set --
n=0
for f in $FIX; do
	n=$((n + 1))
	line=$(grep '^RESULT media-upload ' "$W/wm1.out" | sed -n "${n}p" |
	    sed 's/^RESULT media-upload //')
	[ -n "$line" ] || continue
	set -- "$@" --download "$(echo "${f%%:*} $line" | awk -v out="$W/pw-${f#*:}" \
	    '{ print $1 "," $2 "," $3 "," $4 "," $5 "," $6 "," out }')"
done
pmedia "$W/down-pw.out" --ca-file "$W/media.pem" "$@"
ok=0
for f in $FIX; do
	src=${f#*:}
	cmp -s "$W/$src" "$W/pw-$src" && ok=$((ok + 1))
done
if [ $# -eq $((2 * NFIX)) ] && [ $ok -eq $NFIX ]; then
	pass wa60_whatsmeow_to_ponton
else
	fail wa60_whatsmeow_to_ponton "$ok/$NFIX identical"
	tail -n 5 "$W/down-pw.out"
fi

# --- As messages ---------------------------------------------------------------------
BJID=$(sed -n 's/^MILESTONE open \([0-9]*\)[:@].*/\1/p' "$W/pair-b.out" | head -1)@s.whatsapp.net
PJID=33622230001@s.whatsapp.net
WJID=33622230003@s.whatsapp.net
mkdir -p "$W/bm" "$W/pm" "$W/wm" "$W/pwm"

# The file a kind stands for, and whether a RECV-MEDIA line's file is it.
src_of() {
	case $1 in
	image) echo image.jpg ;; audio|voice|ptt) echo voice.ogg ;; *) echo doc.pdf ;;
	esac
}
# same DIR FILE-OF-LIST: each "<kind> <id> ..." line's DIR/<id> equals its source
same() {
	sn=0
	while read -r kind id _; do
		cmp -s "$1/$id" "$W/$(src_of "$kind")" && sn=$((sn + 1))
	done < "$2"
	echo $sn
}

node "$WH_PEER/media.mjs" --mode chat --url "$WASIM_WS_URL" \
    --root "$WASIM_ROOT_PUB" --auth "$W/auth-b" --peer "$PJID" --expect 3 \
    --save-dir "$W/bm" --send "image:$W/image.jpg" --send "ptt:$W/voice.ogg" \
    --send "document:$W/doc.pdf" --timeout-ms 90000 \
    > "$W/bchat.out" 2> "$W/bchat.err" &
bpid=$!
wh_wait_line '^MILESTONE open' 300 "$W/bchat.out"
pmedia "$W/pchat.out" --ca-file "$W/media.pem" --to "$BJID" \
    --send-media "image:$W/image.jpg" --send-media "ptt:$W/voice.ogg" \
    --send-media "document:$W/doc.pdf" --expect-media 3 --save-dir "$W/pm"
prc=$?
wait $bpid
brc=$?
sed -n 's/^RECV-MEDIA //p' "$W/bchat.out" > "$W/bchat.list"
# image: thumbnail 64; audio: ptt 1, waveform 64; document: its name.
if [ $prc -eq 0 ] && [ $brc -eq 0 ] && [ "$(same "$W/bm" "$W/bchat.list")" = 3 ] &&
    grep -q '^image [^ ]* 48011 [0-9a-f]* 0 0 64 - image/jpeg$' "$W/bchat.list" &&
    grep -q '^audio [^ ]* 20017 [0-9a-f]* 1 64 0 - audio/ogg; codecs=opus$' "$W/bchat.list" &&
    grep -q '^document [^ ]* 300010 [0-9a-f]* 0 0 0 doc.pdf application/pdf$' "$W/bchat.list"; then
	pass wa60_msg_ponton_to_baileys
else
	fail wa60_msg_ponton_to_baileys "ponton rc $prc, baileys rc $brc"
	cat "$W/bchat.out"
	grep -v '^STATE' "$W/pchat.out"
fi
sed -n 's/^RECV-MEDIA //p' "$W/pchat.out" > "$W/pchat.list"
if [ $prc -eq 0 ] && [ "$(same "$W/pm" "$W/pchat.list")" = 3 ] &&
    grep -q '^image [^ ]* 48011 [0-9a-f]* 0 64 - image/jpeg$' "$W/pchat.list" &&
    grep -q '^voice [^ ]* 20017 [0-9a-f]* 64 0 - audio/ogg; codecs=opus$' "$W/pchat.list" &&
    grep -q '^document [^ ]* 300010 [0-9a-f]* 0 0 doc.pdf application/pdf$' "$W/pchat.list"; then
	pass wa60_msg_baileys_to_ponton
else
	fail wa60_msg_baileys_to_ponton "ponton rc $prc"
	grep -v '^STATE' "$W/pchat.out"
fi

# whatsmeow is offline while ponton sends: wasim queues the messages.
pmedia "$W/pwsend.out" --ca-file "$W/media.pem" --to "$WJID" \
    --send-media "image:$W/image.jpg" --send-media "ptt:$W/voice.ogg" \
    --send-media "document:$W/doc.pdf"
prc=$?
printf 'wait-media 3 30\nsend-media %s image %s\nsend-media %s ptt %s\nsend-media %s document %s\nquit\n' \
    "$PJID" "$W/image.jpg" "$PJID" "$W/voice.ogg" "$PJID" "$W/doc.pdf" > "$W/wm-cmd2"
WM_MEDIA_CA="$W/media.pem" WM_MEDIA_DIR="$W/wm" wm "$W/wm2.out" "$W/wm-cmd2" connect
wrc=$?
sed -n 's/^MEDIA //p' "$W/wm2.out" > "$W/wm2.list"
if [ $prc -eq 0 ] && [ $wrc -eq 0 ] && [ "$(same "$W/wm" "$W/wm2.list")" = 3 ] &&
    grep -q '^audio [^ ]* 20017 [0-9a-f]* 1 64 0 - audio/ogg; codecs=opus$' "$W/wm2.list" &&
    grep -q '^image [^ ]* 48011 [0-9a-f]* 0 0 64 - image/jpeg$' "$W/wm2.list" &&
    grep -q '^document [^ ]* 300010 [0-9a-f]* 0 0 0 doc.pdf application/pdf$' "$W/wm2.list"; then
	pass wa60_msg_ponton_to_whatsmeow
else
	fail wa60_msg_ponton_to_whatsmeow "ponton rc $prc, whatsmeow rc $wrc"
	grep -v '^STATE' "$W/pwsend.out"
	grep -E '^(MEDIA|RESULT)' "$W/wm2.out"
fi
pmedia "$W/pwrecv.out" --ca-file "$W/media.pem" --expect-media 3 --save-dir "$W/pwm"
prc=$?
sed -n 's/^RECV-MEDIA //p' "$W/pwrecv.out" > "$W/pwrecv.list"
if [ $prc -eq 0 ] && [ "$(same "$W/pwm" "$W/pwrecv.list")" = 3 ] &&
    [ "$(grep -c '^RESULT send-media 3EB0' "$W/wm2.out")" = 3 ] &&
    grep -q '^voice [^ ]* 20017 [0-9a-f]* 64 0 - audio/ogg; codecs=opus$' "$W/pwrecv.list" &&
    grep -q '^image [^ ]* 48011 [0-9a-f]* 0 64 - image/jpeg$' "$W/pwrecv.list" &&
    grep -q '^document [^ ]* 300010 [0-9a-f]* 0 0 doc.pdf application/pdf$' "$W/pwrecv.list"; then
	pass wa60_msg_whatsmeow_to_ponton
else
	fail wa60_msg_whatsmeow_to_ponton "ponton rc $prc"
	grep -v '^STATE' "$W/pwrecv.out"
	grep '^RESULT' "$W/wm2.out"
fi

# --- Media retry ---------------------------------------------------------------------
node "$WH_PEER/media.mjs" --mode chat --url "$WASIM_WS_URL" \
    --root "$WASIM_ROOT_PUB" --auth "$W/auth-b" --peer "$PJID" \
    --send "image:$W/image.jpg" --send "document:$W/doc.pdf" \
    > "$W/bretry.out" 2> "$W/bretry.err"
expire() {	# expire ID PATH [KEY]: the blob's URL stops working
	if [ -n "${3:-}" ]; then
		body=$(printf '{"direct_path":"%s","message_id":"%s","media_key":"%s"}' "$2" "$1" "$3")
	else
		body=$(printf '{"direct_path":"%s","message_id":"%s"}' "$2" "$1")
	fi
	curl -s -o /dev/null -w '%{http_code}' --cacert "$W/media.pem" \
	    --data-binary "$body" "https://$MHOST/wasim/expire"
}
set -- $(sed -n 's/^SENT image //p' "$W/bretry.out")
rimg=${1:-none}
e1=$(expire "$rimg" "${2:-}" "${3:-}")
set -- $(sed -n 's/^SENT document //p' "$W/bretry.out")
rdoc=${1:-none}
e2=$(expire "$rdoc" "${2:-}")
mkdir -p "$W/rm"
pmedia "$W/pretry.out" --ca-file "$W/media.pem" --expect-media 2 \
    --save-dir "$W/rm" --media-retry
prc=$?
if [ "$e1$e2" = 200200 ] && [ $prc -eq 0 ] &&
    grep -q "^MEDIA-RETRY $rimg 0 /wasim/m/" "$W/pretry.out" &&
    grep -q "^RECV-MEDIA image $rimg 48011 " "$W/pretry.out" &&
    cmp -s "$W/rm/$rimg" "$W/image.jpg" &&
    grep -q "^MEDIA-RETRY $rdoc -367 " "$W/pretry.out" &&
    grep -q "^RECV-MEDIA-FAIL document $rdoc -367 " "$W/pretry.out" &&
    grep -q "media: retry of $rimg: re-uploaded" "$W/wasim.log"; then
	pass wa60_media_retry
else
	fail wa60_media_retry "expire $e1 $e2, ponton rc $prc"
	cat "$W/bretry.out"
	grep -v '^STATE' "$W/pretry.out"
fi

# --- Hostile and expired ---------------------------------------------------------------
# From the image ponton uploaded: path key sha encsha len.
read -r _ path key sha encsha len < "$W/up-p.list"
flip() {	# the first hex digit changed
	case $1 in 0*) echo "1${1#?}" ;; *) echo "0${1#?}" ;; esac
}
badkey=$(printf '%s' "$key" | sed 's/^./A/')
[ "$badkey" = "$key" ] && badkey=$(printf '%s' "$key" | sed 's/^./B/')
head -c 16777217 /dev/zero > "$W/huge.webp"
pmedia "$W/bad.out" --ca-file "$W/media.pem" \
    --download "image,$path,$badkey,$sha,$encsha,$len,$W/x1" \
    --download "image,$path,$key,$(flip "$sha"),$encsha,$len,$W/x2" \
    --download "image,$path,$key,$sha,$(flip "$encsha"),$len,$W/x3" \
    --download "image,$path,$key,-,-,100,$W/x4" \
    --upload "sticker:$W/huge.webp" \
    --upload "document:$W/huge.webp" \
    --download "image,/wasim/m/00000000000000000000000000000000.enc?ccb=11-4,$key,$sha,$encsha,$len,$W/x5"
got=$(sed -n 's/^\(DOWNLOAD-FAIL\|UPLOAD-FAIL\) [a-z]* \(-[0-9]*\) .*/\2/p' "$W/bad.out" | tr '\n' ' ')
# MAC, hash, hash, too big, too big (a sticker over ponton's image limit),
# too big (a document within ponton's limit but over the server's
# maxContentLengthBytes: refused before sending; sent, wasim would answer
# 413, i.e. -364), expired.
if [ "$got" = "-360 -361 -361 -362 -362 -362 -363 " ] &&
    ! ls "$W"/x? >/dev/null 2>&1; then
	pass wa60_hostile_refused
else
	fail wa60_hostile_refused "codes: $got"
	cat "$W/bad.out"
fi
if grep -q '^DOWNLOAD-FAIL image -363 waweb: media URL expired' "$W/bad.out"; then
	pass wa60_expired_distinct
else
	fail wa60_expired_distinct
fi

# No CA file: the system store does not know wasim's certificate.
blobs_before=$(grep -c 'media: stored' "$W/wasim.log")
pmedia "$W/notls.out" --upload "document:$W/doc.pdf"
if grep -q '^UPLOAD-FAIL document -6 ' "$W/notls.out" &&
    [ "$(grep -c 'media: stored' "$W/wasim.log")" = "$blobs_before" ]; then
	pass wa60_tls_verified
else
	fail wa60_tls_verified "$(head -n 3 "$W/notls.out" | tr '\n' '|')"
fi

if wh_stop && wh_logs_clean &&
    ! grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$W"/*.err; then
	pass wa60_clean_exit
else
	fail wa60_clean_exit
fi
wh_finish
