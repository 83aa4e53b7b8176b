// golibsignal: checks that the Signal records ponton stores in the
// whatsmeow_* tables are the ones whatsmeow reads and writes.  whatsmeow
// keeps sessions and sender keys through go.mau.fi/libsignal's
// serialize.NewProtoBufSerializer() (store.SignalProtobufSerializer), whose
// record serializers are JSON; this program loads and saves records with
// exactly that serializer, as whatsmeow's store/signal.go does.
//
//	golibsignal PEER_BINARY DB_FILE
//
// It drives ponton's test/tools/wa_signal_peer in "db" mode (party A on the
// database, party B in memory, see that file) and plays party A itself
// from the records ponton exported: it decrypts B's message and skmsg with
// ponton-written records, answers with its own, hands the records it wrote
// back to ponton, and ponton continues from them.  Prints PASS:/FAIL:
// lines; exits 1 if anything failed.  Run by test/wa/25-signal-golibsignal.sh.
package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"

	"go.mau.fi/libsignal/ecc"
	"go.mau.fi/libsignal/groups"
	groupRecord "go.mau.fi/libsignal/groups/state/record"
	"go.mau.fi/libsignal/keys/identity"
	"go.mau.fi/libsignal/protocol"
	"go.mau.fi/libsignal/serialize"
	"go.mau.fi/libsignal/session"
	"go.mau.fi/libsignal/state/record"
	"golang.org/x/crypto/curve25519"
)

const group = "120363000000000042@g.us"

// The serializer whatsmeow stores records with (store.SignalProtobufSerializer).
var ser = serialize.NewProtoBufSerializer()

// mem is party A's store: records as whatsmeow keeps them (serialized bytes).
type mem struct {
	id         *identity.KeyPair
	reg        uint32
	sessions   map[string][]byte
	senderKeys map[string][]byte
}

func (m *mem) GetIdentityKeyPair() *identity.KeyPair { return m.id }
func (m *mem) GetLocalRegistrationID() uint32        { return m.reg }
func (m *mem) SaveIdentity(context.Context, *protocol.SignalAddress, *identity.Key) error {
	return nil
}
func (m *mem) IsTrustedIdentity(context.Context, *protocol.SignalAddress, *identity.Key) (bool, error) {
	return true, nil
}
func (m *mem) LoadSession(_ context.Context, a *protocol.SignalAddress) (*record.Session, error) {
	if b, ok := m.sessions[a.String()]; ok {
		return record.NewSessionFromBytes(b, ser.Session, ser.State)
	}
	return record.NewSession(ser.Session, ser.State), nil
}
func (m *mem) GetSubDeviceSessions(context.Context, string) ([]uint32, error) { return nil, nil }
func (m *mem) StoreSession(_ context.Context, a *protocol.SignalAddress, r *record.Session) error {
	m.sessions[a.String()] = r.Serialize()
	return nil
}
func (m *mem) ContainsSession(_ context.Context, a *protocol.SignalAddress) (bool, error) {
	_, ok := m.sessions[a.String()]
	return ok, nil
}
func (m *mem) DeleteSession(_ context.Context, a *protocol.SignalAddress) error {
	delete(m.sessions, a.String())
	return nil
}
func (m *mem) DeleteAllSessions(context.Context) error { return nil }
func (m *mem) LoadPreKey(context.Context, uint32) (*record.PreKey, error) {
	return nil, errors.New("no prekeys here")
}
func (m *mem) StorePreKey(context.Context, uint32, *record.PreKey) error { return nil }
func (m *mem) ContainsPreKey(context.Context, uint32) (bool, error)      { return false, nil }
func (m *mem) RemovePreKey(context.Context, uint32) error                { return nil }
func (m *mem) LoadSignedPreKey(context.Context, uint32) (*record.SignedPreKey, error) {
	return nil, errors.New("no signed prekeys here")
}
func (m *mem) LoadSignedPreKeys(context.Context) ([]*record.SignedPreKey, error) { return nil, nil }
func (m *mem) StoreSignedPreKey(context.Context, uint32, *record.SignedPreKey) error {
	return nil
}
func (m *mem) ContainsSignedPreKey(context.Context, uint32) (bool, error) { return false, nil }
func (m *mem) RemoveSignedPreKey(context.Context, uint32) error           { return nil }

func skKey(n *protocol.SenderKeyName) string { return n.GroupID() + "|" + n.Sender().String() }

func (m *mem) StoreSenderKey(_ context.Context, n *protocol.SenderKeyName, r *groupRecord.SenderKey) error {
	m.senderKeys[skKey(n)] = r.Serialize()
	return nil
}
func (m *mem) LoadSenderKey(_ context.Context, n *protocol.SenderKeyName) (*groupRecord.SenderKey, error) {
	if b, ok := m.senderKeys[skKey(n)]; ok {
		return groupRecord.NewSenderKeyFromBytes(b, ser.SenderKeyRecord, ser.SenderKeyState)
	}
	return groupRecord.NewSenderKey(ser.SenderKeyRecord, ser.SenderKeyState), nil
}

// whatsmeow's padMessage / unpadMessage (v=2).
func pad(p []byte) []byte {
	b := make([]byte, 1)
	rand.Read(b)
	n := b[0] & 0xf
	if n == 0 {
		n = 0xf
	}
	return append(append([]byte{}, p...), bytes.Repeat([]byte{n}, int(n))...)
}

func unpad(p []byte) ([]byte, error) {
	if len(p) == 0 {
		return nil, errors.New("empty plaintext")
	}
	n := p[len(p)-1]
	if !bytes.HasSuffix(p, bytes.Repeat([]byte{n}, int(n))) {
		return nil, errors.New("bad padding")
	}
	return p[:len(p)-int(n)], nil
}

type peer struct {
	in  *bufio.Writer
	out *bufio.Scanner
}

func (p *peer) cmd(line string) ([]string, error) {
	p.in.WriteString(line + "\n")
	p.in.Flush()
	if !p.out.Scan() {
		return nil, fmt.Errorf("%s: peer exited", strings.Fields(line)[0])
	}
	f := strings.Fields(p.out.Text())
	if len(f) == 0 || f[0] != "ok" {
		return nil, fmt.Errorf("%s: %s", strings.Fields(line)[0], p.out.Text())
	}
	return f[1:], nil
}

func unhex(s string) []byte {
	b, _ := hex.DecodeString(s)
	return b
}

var failed bool

func check(name string, err error) {
	if err != nil {
		failed = true
		fmt.Printf("FAIL: signal-golibsignal: %s: %v\n", name, err)
	} else {
		fmt.Printf("PASS: signal-golibsignal: %s\n", name)
	}
}

func same(got []byte, want string) error {
	if string(got) != want {
		return fmt.Errorf("got %q, want %q", got, want)
	}
	return nil
}

func run(p *peer) error {
	ctx := context.Background()
	f, err := p.cmd("setup")
	if err != nil {
		return err
	}
	var priv, pub [32]byte
	copy(priv[:], unhex(f[0]))
	pubb, _ := curve25519.X25519(priv[:], curve25519.Basepoint)
	copy(pub[:], pubb)
	reg, _ := strconv.Atoi(f[1])
	aAddr, bAddr, cAddr := f[2], f[3], f[4]
	m := &mem{
		id:         identity.NewKeyPair(identity.NewKey(ecc.NewDjbECPublicKey(pub)), ecc.NewDjbECPrivateKey(priv)),
		reg:        uint32(reg),
		sessions:   map[string][]byte{},
		senderKeys: map[string][]byte{},
	}
	addr := func(s string) *protocol.SignalAddress {
		i := strings.LastIndexByte(s, ':')
		d, _ := strconv.Atoi(s[i+1:])
		return protocol.NewSignalAddress(s[:i], uint32(d))
	}
	b := addr(bAddr)
	if b.String() != bAddr {
		return fmt.Errorf("address %s reads back as %s", bAddr, b.String())
	}

	// 1. whatsmeow's serializer reads the session ponton stored.
	f, err = p.cmd("export session " + bAddr)
	if err != nil {
		return err
	}
	m.sessions[bAddr] = unhex(f[0])
	cipher := session.NewCipher(session.NewBuilderFromSignal(m, b, ser), b)
	f, err = p.cmd("b2a " + hex.EncodeToString([]byte("to whatsmeow")))
	if err != nil {
		return err
	}
	check("session-from-ponton-record", func() error {
		if f[0] != "msg" {
			return fmt.Errorf("type %s", f[0])
		}
		msg, err := protocol.NewSignalMessageFromBytes(unhex(f[1]), ser.SignalMessage)
		if err != nil {
			return err
		}
		pt, err := cipher.Decrypt(ctx, msg)
		if err != nil {
			return err
		}
		if pt, err = unpad(pt); err != nil {
			return err
		}
		return same(pt, "to whatsmeow")
	}())
	ct, err := cipher.Encrypt(ctx, pad([]byte("from whatsmeow")))
	if err != nil {
		return err
	}
	f, err = p.cmd(fmt.Sprintf("bdec msg %x", ct.Serialize()))
	check("whatsmeow-reply-decrypts", func() error {
		if err != nil {
			return err
		}
		return same(unhex(f[0]), "from whatsmeow")
	}())

	// 2. ponton reads the session whatsmeow's serializer wrote.
	if _, err = p.cmd(fmt.Sprintf("import session %s %x", bAddr, m.sessions[bAddr])); err != nil {
		return err
	}
	check("session-from-whatsmeow-record", func() error {
		f, err := p.cmd("b2a " + hex.EncodeToString([]byte("to ponton again")))
		if err != nil {
			return err
		}
		if f, err = p.cmd("dec " + bAddr + " " + f[0] + " " + f[1]); err != nil {
			return err
		}
		if err = same(unhex(f[0]), "to ponton again"); err != nil {
			return err
		}
		if f, err = p.cmd("enc " + bAddr + " " + hex.EncodeToString([]byte("ponton answers"))); err != nil {
			return err
		}
		if f, err = p.cmd("bdec " + f[0] + " " + f[1]); err != nil {
			return err
		}
		return same(unhex(f[0]), "ponton answers")
	}())

	// 3. A's record for C still has a pending prekey (C has not answered):
	// whatsmeow's serializer must keep it, so its next message is again a
	// pkmsg C accepts; then C's answer decrypts with the same record.
	if f, err = p.cmd("export session " + cAddr); err != nil {
		return err
	}
	m.sessions[cAddr] = unhex(f[0])
	c := addr(cAddr)
	cc := session.NewCipher(session.NewBuilderFromSignal(m, c, ser), c)
	check("pending-prekey-from-ponton-record", func() error {
		ct, err := cc.Encrypt(ctx, pad([]byte("pending to C")))
		if err != nil {
			return err
		}
		if ct.Type() != protocol.PREKEY_TYPE {
			return fmt.Errorf("type %d, want a prekey message", ct.Type())
		}
		f, err := p.cmd(fmt.Sprintf("cdec pkmsg %x", ct.Serialize()))
		if err != nil {
			return err
		}
		if err = same(unhex(f[0]), "pending to C"); err != nil {
			return err
		}
		if f, err = p.cmd("c2a " + hex.EncodeToString([]byte("C answers"))); err != nil {
			return err
		}
		if f[0] != "msg" {
			return fmt.Errorf("C answered with %s", f[0])
		}
		msg, err := protocol.NewSignalMessageFromBytes(unhex(f[1]), ser.SignalMessage)
		if err != nil {
			return err
		}
		pt, err := cc.Decrypt(ctx, msg)
		if err != nil {
			return err
		}
		if pt, err = unpad(pt); err != nil {
			return err
		}
		return same(pt, "C answers")
	}())

	// 4. Sender keys: B's (received) and A's own, both ways.
	if f, err = p.cmd("export sk " + group + " " + bAddr); err != nil {
		return err
	}
	bName := protocol.NewSenderKeyName(group, b)
	m.senderKeys[skKey(bName)] = unhex(f[0])
	if f, err = p.cmd("export sk " + group + " " + aAddr); err != nil {
		return err
	}
	aName := protocol.NewSenderKeyName(group, addr(aAddr))
	m.senderKeys[skKey(aName)] = unhex(f[0])
	gb := groups.NewGroupSessionBuilder(m, ser)
	check("sender-key-from-ponton-record", func() error {
		f, err := p.cmd("bgenc " + hex.EncodeToString([]byte("group to whatsmeow")))
		if err != nil {
			return err
		}
		msg, err := protocol.NewSenderKeyMessageFromBytes(unhex(f[0]), ser.SenderKeyMessage)
		if err != nil {
			return err
		}
		pt, err := groups.NewGroupCipher(gb, bName, m).Decrypt(ctx, msg)
		if err != nil {
			return err
		}
		if pt, err = unpad(pt); err != nil {
			return err
		}
		return same(pt, "group to whatsmeow")
	}())
	check("own-sender-key-from-ponton-record", func() error {
		enc, err := groups.NewGroupCipher(gb, aName, m).Encrypt(ctx, pad([]byte("group from whatsmeow")))
		if err != nil {
			return err
		}
		f, err := p.cmd(fmt.Sprintf("bgdec %x", enc.SignedSerialize()))
		if err != nil {
			return err
		}
		return same(unhex(f[0]), "group from whatsmeow")
	}())
	if _, err = p.cmd(fmt.Sprintf("import sk %s %s %x", group, bAddr, m.senderKeys[skKey(bName)])); err != nil {
		return err
	}
	if _, err = p.cmd(fmt.Sprintf("import sk %s %s %x", group, aAddr, m.senderKeys[skKey(aName)])); err != nil {
		return err
	}
	check("sender-keys-from-whatsmeow-records", func() error {
		f, err := p.cmd("bgenc " + hex.EncodeToString([]byte("group to ponton")))
		if err != nil {
			return err
		}
		if f, err = p.cmd("gdec " + group + " " + bAddr + " " + f[0]); err != nil {
			return err
		}
		if err = same(unhex(f[0]), "group to ponton"); err != nil {
			return err
		}
		if f, err = p.cmd("genc " + group + " " + aAddr + " " + hex.EncodeToString([]byte("ponton to group"))); err != nil {
			return err
		}
		if f, err = p.cmd("bgdec " + f[0]); err != nil {
			return err
		}
		return same(unhex(f[0]), "ponton to group")
	}())
	return nil
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: golibsignal PEER_BINARY DB_FILE")
		os.Exit(2)
	}
	c := exec.Command(os.Args[1], "db", os.Args[2])
	c.Stderr = os.Stderr
	stdin, _ := c.StdinPipe()
	stdout, _ := c.StdoutPipe()
	if err := c.Start(); err != nil {
		check("start-peer", err)
		os.Exit(1)
	}
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 1<<20), 1<<23)
	if err := run(&peer{in: bufio.NewWriter(stdin), out: sc}); err != nil {
		check("exchange", err)
	}
	stdin.Close()
	if err := c.Wait(); err != nil {
		check("peer-exit", err)
	}
	if failed {
		os.Exit(1)
	}
}
