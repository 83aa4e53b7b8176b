// whatsmeow-driver: drives the pinned whatsmeow (go.mod) as a test peer
// against wasim, the WhatsApp server simulator (test/wasim), and runs
// whatsmeow's binary node codec over the shared vectors.  A test driver, not
// product code; built by build.sh into a cache outside the repository.
//
//	whatsmeow-driver -url WS_URL -root-file FILE -store DB [options] pair-qr
//	    options: -timeout D (to reach CONNECTED), -debug (whatsmeow's debug
//	    log on stderr), -lid-migrated=false (see main)
//	whatsmeow-driver ... pair-code PHONE
//	whatsmeow-driver ... connect
//	whatsmeow-driver vectors encode|check ...   (see vectors.go)
//
// Pointing whatsmeow at wasim uses only its public API, nothing in the module
// cache is edited: whatsmeow.WACertPubKey (an exported variable) is set to
// the simulator's test root, and the websocket's HTTP clients (pre-login and
// logged-in) get a transport whose DialTLSContext opens a plain TCP
// connection to wasim's loopback port.  whatsmeow still dials its constant
// wss://web.whatsapp.com/ws/chat; Go's transport takes a non-TLS conn from
// DialTLSContext as already secured and speaks HTTP/1.1 over it, so the
// request reaches ws://127.0.0.1:PORT/ws/chat.  The media client refuses
// every dial (media is not simulated yet), so nothing leaves the machine.
//
// Output (stdout, one line each, for tests to match):
//
//	QR <string>                 a QR code to scan (pair-qr)
//	CODE <XXXX-XXXX>            the pairing code (pair-code)
//	PAIRED <jid> <lid> <platform>
//	CONNECTED <jid>             logged in (also after the restart that
//	                            follows pairing)
//	OFFLINE_SYNC <count>        the server's <ib><offline/> was handled
//	LOGGED_OUT <reason>         the server logged this device out
//	STREAM_REPLACED, DISCONNECTED, CONNECT_FAILURE <reason>,
//	CLIENT_OUTDATED, TEMP_BAN <code>, STREAM_ERROR <code>
//	MESSAGE <from> <id> <text>  a message whatsmeow decrypted
//	RESULT <command> ...        the answer to a command (below)
//	ERROR <what>: <error>       anything that went wrong; exit status 1
//
// Once connected the driver reads commands from stdin, one per line
// (issue 4's messaging tests add more):
//
//	send <jid> <text>           RESULT send <message id> (the server acked it)
//	wait-message [seconds]      the next message received (queued since
//	                            start): RESULT wait-message <from> <id>
//	                            <text>, or "failed timeout" (default 30 s)
//	iq <xmlns> <get|set> <child tag>
//	                            an iq to s.whatsapp.net with one empty
//	                            child: RESULT iq ok <child tags of the
//	                            answer, comma-separated, "-" for none>
//	                            or RESULT iq error <code> <text>
//	quit                        disconnect, print BYE, exit 0
//
// End of input is the same as quit.  A command that fails prints
// "RESULT <command> failed <error>" and the driver goes on.
package main

import (
	"bufio"
	"context"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	_ "github.com/mattn/go-sqlite3"
	"go.mau.fi/whatsmeow"
	waBinary "go.mau.fi/whatsmeow/binary"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/store/sqlstore"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
	waLog "go.mau.fi/whatsmeow/util/log"
	"google.golang.org/protobuf/proto"
)

var (
	outMu sync.Mutex
	out   = bufio.NewWriter(os.Stdout)
)

// say prints one line on stdout and flushes it (tests read it as it comes).
func say(format string, args ...any) {
	outMu.Lock()
	defer outMu.Unlock()
	fmt.Fprintf(out, format+"\n", args...)
	out.Flush()
}

func die(what string, err error) {
	say("ERROR %s: %v", what, err)
	os.Exit(1)
}

// readRoot reads the test root public key: 64 hex digits (wasim's
// --root-pub-file), surrounding white space allowed.
func readRoot(path string) ([32]byte, error) {
	var key [32]byte
	raw, err := os.ReadFile(path)
	if err != nil {
		return key, err
	}
	b, err := hex.DecodeString(strings.TrimSpace(string(raw)))
	if err != nil {
		return key, err
	}
	if len(b) != 32 {
		return key, fmt.Errorf("root key is %d bytes, want 32", len(b))
	}
	copy(key[:], b)
	return key, nil
}

// loopbackClient returns an HTTP client that sends every connection, TLS or
// not, to addr as plain TCP (see the file comment).
func loopbackClient(addr string) *http.Client {
	dial := func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "tcp", addr)
	}
	return &http.Client{Transport: &http.Transport{
		DialContext:    dial,
		DialTLSContext: dial,
	}}
}

func refusingClient() *http.Client {
	refuse := func(_ context.Context, _, addr string) (net.Conn, error) {
		return nil, fmt.Errorf("media is not simulated (dial %s refused)", addr)
	}
	return &http.Client{Transport: &http.Transport{
		DialContext:    refuse,
		DialTLSContext: refuse,
	}}
}

// wsAddr checks that the URL is wasim's: ws://127.0.0.1:PORT/ws/chat (the
// path whatsmeow dials is fixed, so another one could not be honoured).
func wsAddr(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", err
	}
	if u.Scheme != "ws" || u.Path != "/ws/chat" {
		return "", fmt.Errorf("want ws://HOST:PORT/ws/chat, got %q", raw)
	}
	ip := net.ParseIP(u.Hostname())
	if u.Hostname() != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return "", fmt.Errorf("only loopback hosts are allowed, got %q", u.Hostname())
	}
	if u.Port() == "" {
		return "", fmt.Errorf("no port in %q", raw)
	}
	return u.Host, nil
}

// maxQueued bounds the messages kept for wait-message; more are printed
// but not queued.
const maxQueued = 1024

// Extensions: other files of this package add commands and event
// printers in their init() (one file per feature, so that several test
// areas can grow the driver without editing this one):
//
//	extraCommands["name"] = func(d *driver, ctx context.Context, line string, f []string) { ... }
//	extraEvents = append(extraEvents, func(d *driver, evt any) { ... })
//
// A command prints its own "RESULT name ..." line.  Every event goes to
// every extraEvents function after the built-in printing below.
var (
	extraCommands = map[string]func(d *driver, ctx context.Context, line string, f []string){}
	extraEvents   []func(d *driver, evt any)
)

type driver struct {
	cli       *whatsmeow.Client
	connected chan struct{}
	once      sync.Once
	fatal     chan string
	messages  chan string // "<from> <id> <text>" for wait-message
}

func (d *driver) onEvent(raw any) {
	defer func() {
		for _, fn := range extraEvents {
			fn(d, raw)
		}
	}()
	switch e := raw.(type) {
	case *events.PairSuccess:
		say("PAIRED %s %s %s", e.ID, e.LID, e.Platform)
	case *events.PairError:
		say("PAIR_ERROR %s %v", e.ID, e.Error)
	case *events.Connected:
		say("CONNECTED %s", d.cli.Store.ID)
		d.once.Do(func() { close(d.connected) })
	case *events.OfflineSyncCompleted:
		say("OFFLINE_SYNC %d", e.Count)
	case *events.LoggedOut:
		say("LOGGED_OUT %s", e.Reason)
		d.fatal <- "logged out"
	case *events.StreamReplaced:
		say("STREAM_REPLACED")
		d.fatal <- "stream replaced"
	case *events.ConnectFailure:
		say("CONNECT_FAILURE %d %s", int(e.Reason), e.Message)
	case *events.ClientOutdated:
		say("CLIENT_OUTDATED")
		d.fatal <- "client outdated"
	case *events.TemporaryBan:
		say("TEMP_BAN %d", int(e.Code))
		d.fatal <- "temporary ban"
	case *events.StreamError:
		say("STREAM_ERROR %s", e.Code)
	case *events.Disconnected:
		say("DISCONNECTED")
	case *events.Message:
		text := e.Message.GetConversation()
		if text == "" {
			text = e.Message.GetExtendedTextMessage().GetText()
		}
		line := fmt.Sprintf("%s %s %s", e.Info.Sender, e.Info.ID, text)
		say("MESSAGE %s", line)
		select {
		case d.messages <- line:
		default:
		}
	}
}

// command runs one stdin command; false means quit.
func (d *driver) command(ctx context.Context, line string) bool {
	f := strings.Fields(line)
	if len(f) == 0 {
		return true
	}
	switch f[0] {
	case "quit":
		return false
	case "send":
		if len(f) < 3 {
			say("RESULT send failed usage: send <jid> <text>")
			break
		}
		to, err := types.ParseJID(f[1])
		if err != nil {
			say("RESULT send failed %v", err)
			break
		}
		text := strings.SplitN(strings.TrimSpace(line), " ", 3)[2]
		resp, err := d.cli.SendMessage(ctx, to, &waE2E.Message{Conversation: proto.String(text)})
		if err != nil {
			say("RESULT send failed %v", err)
			break
		}
		say("RESULT send %s", resp.ID)
	case "wait-message":
		secs := 30
		if len(f) == 2 {
			if n, err := strconv.Atoi(f[1]); err == nil && n > 0 && n <= 600 {
				secs = n
			}
		}
		select {
		case m := <-d.messages:
			say("RESULT wait-message %s", m)
		case <-time.After(time.Duration(secs) * time.Second):
			say("RESULT wait-message failed timeout")
		}
	case "iq":
		if len(f) != 4 || (f[2] != "get" && f[2] != "set") {
			say("RESULT iq failed usage: iq <xmlns> <get|set> <child>")
			break
		}
		typ := whatsmeow.DangerousInfoQueryType(f[2])
		resp, err := d.cli.DangerousInternals().SendIQ(ctx, whatsmeow.DangerousInfoQuery{
			Namespace: f[1],
			Type:      typ,
			To:        types.ServerJID,
			Content:   []waBinary.Node{{Tag: f[3]}},
		})
		var iqErr *whatsmeow.IQError
		switch {
		case errors.As(err, &iqErr):
			say("RESULT iq error %d %s", iqErr.Code, iqErr.Text)
		case err != nil:
			say("RESULT iq failed %v", err)
		default:
			var tags []string
			for _, c := range resp.GetChildren() {
				tags = append(tags, c.Tag)
			}
			if len(tags) == 0 {
				tags = []string{"-"}
			}
			say("RESULT iq ok %s", strings.Join(tags, ","))
		}
	default:
		if fn, ok := extraCommands[f[0]]; ok {
			fn(d, ctx, line, f)
			break
		}
		say("RESULT %s failed unknown command", f[0])
	}
	return true
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "vectors" {
		os.Exit(runVectors(os.Args[2:]))
	}
	wsURL := flag.String("url", "", "wasim's websocket URL (ws://127.0.0.1:PORT/ws/chat)")
	rootFile := flag.String("root-file", "", "file with the test root public key (64 hex digits)")
	storePath := flag.String("store", "", "SQLite file for whatsmeow's sqlstore (the session)")
	timeout := flag.Duration("timeout", 60*time.Second, "give up if not connected by then")
	debug := flag.Bool("debug", false, "whatsmeow's debug log on stderr")
	lidMigrated := flag.Bool("lid-migrated", true, "act as an account whose chats are LID-migrated (see below)")
	flag.Parse()
	args := flag.Args()
	if *wsURL == "" || *rootFile == "" || *storePath == "" || len(args) == 0 {
		fmt.Fprintln(os.Stderr, "usage: whatsmeow-driver -url URL -root-file FILE -store DB pair-qr|pair-code PHONE|connect")
		os.Exit(2)
	}
	cmd := args[0]
	if (cmd == "pair-code") != (len(args) == 2) || len(args) > 2 ||
		(cmd != "pair-qr" && cmd != "pair-code" && cmd != "connect") {
		fmt.Fprintln(os.Stderr, "unknown command or wrong arguments:", strings.Join(args, " "))
		os.Exit(2)
	}
	addr, err := wsAddr(*wsURL)
	if err != nil {
		die("url", err)
	}
	root, err := readRoot(*rootFile)
	if err != nil {
		die("root-file", err)
	}
	whatsmeow.WACertPubKey = root

	ctx := context.Background()
	// whatsmeow's log goes to stderr so stdout stays line-parseable.
	var logger waLog.Logger = &stderrLogger{module: "whatsmeow", debug: *debug}
	container, err := sqlstore.New(ctx, "sqlite3", "file:"+*storePath+"?_foreign_keys=on", logger.Sub("DB"))
	if err != nil {
		die("store", err)
	}
	dev, err := container.GetFirstDevice(ctx)
	if err != nil {
		die("store", err)
	}
	if cmd == "connect" && dev.ID == nil {
		die("connect", errors.New("no session in the store: pair first"))
	}
	if cmd != "connect" && dev.ID != nil {
		die(cmd, fmt.Errorf("the store already holds a session (%s)", dev.ID))
	}
	// A real phone tells a new companion, in its first history sync, when
	// the account's chats moved to LID addressing (chatDbMigrationTimestamp);
	// from then on whatsmeow sends 1:1 messages to LIDs, as WhatsApp
	// delivers them.  wasim's simulated phone sends no history sync yet and
	// delivers everything from LIDs (wa-protocol.md §14.4), so the driver
	// sets the timestamp itself: otherwise whatsmeow keeps PN sessions that
	// a reply from a LID never finds.
	if *lidMigrated && dev.LIDMigrationTimestamp == 0 {
		dev.LIDMigrationTimestamp = time.Now().Unix()
	}
	cli := whatsmeow.NewClient(dev, logger.Sub("Client"))
	cli.SetPreLoginHTTPClient(loopbackClient(addr))
	cli.SetWebsocketHTTPClient(loopbackClient(addr))
	cli.SetMediaHTTPClient(refusingClient())
	d := &driver{cli: cli, connected: make(chan struct{}), fatal: make(chan string, 8),
		messages: make(chan string, maxQueued)}
	cli.AddEventHandler(d.onEvent)

	var qr <-chan whatsmeow.QRChannelItem
	if cmd != "connect" {
		if qr, err = cli.GetQRChannel(ctx); err != nil {
			die("qr-channel", err)
		}
	}
	if err = cli.Connect(); err != nil {
		die("connect", err)
	}
	deadline := time.After(*timeout)
	if qr != nil {
		go func() {
			codeAsked := false
			for item := range qr {
				switch {
				case item.Event == whatsmeow.QRChannelEventCode && cmd == "pair-qr":
					say("QR %s", item.Code)
				case item.Event == whatsmeow.QRChannelEventCode && !codeAsked:
					codeAsked = true
					code, err := cli.PairPhone(ctx, args[1], true, whatsmeow.PairClientChrome, "Chrome (Linux)")
					if err != nil {
						say("ERROR pair-code: %v", err)
						d.fatal <- "pair-code"
						return
					}
					say("CODE %s", code)
				case item.Event == "success" || item.Event == whatsmeow.QRChannelEventCode:
				default:
					say("ERROR qr: %s %v", item.Event, item.Error)
					d.fatal <- "qr " + item.Event
					return
				}
			}
		}()
	}
	select {
	case <-d.connected:
	case why := <-d.fatal:
		cli.Disconnect()
		die(cmd, errors.New(why))
	case <-deadline:
		cli.Disconnect()
		die(cmd, fmt.Errorf("not connected after %s", *timeout))
	}

	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(os.Stdin)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	for {
		select {
		case why := <-d.fatal:
			cli.Disconnect()
			die("session", errors.New(why))
		case line, ok := <-lines:
			if !ok || !d.command(ctx, line) {
				cli.Disconnect()
				say("BYE")
				return
			}
		}
	}
}

// stderrLogger is a waLog.Logger writing to stderr (waLog.Stdout writes to
// stdout, which is the driver's protocol channel); debug lines only with
// -debug.
type stderrLogger struct {
	module string
	debug  bool
}

func (l *stderrLogger) out(level, msg string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s [%s %s] %s\n", time.Now().Format("15:04:05.000"),
		l.module, level, fmt.Sprintf(msg, args...))
}

func (l *stderrLogger) Errorf(msg string, args ...any) { l.out("ERROR", msg, args...) }
func (l *stderrLogger) Warnf(msg string, args ...any)  { l.out("WARN", msg, args...) }
func (l *stderrLogger) Infof(msg string, args ...any)  { l.out("INFO", msg, args...) }
func (l *stderrLogger) Debugf(msg string, args ...any) {
	if l.debug {
		l.out("DEBUG", msg, args...)
	}
}
func (l *stderrLogger) Sub(module string) waLog.Logger {
	return &stderrLogger{module: l.module + "/" + module, debug: l.debug}
}
