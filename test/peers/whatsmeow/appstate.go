// appstate.go: app state sync commands and event lines for test/wa/65
// (through the extraCommands / extraEvents hooks of main.go).  whatsmeow
// plays the phone's part for another device of its own account: it makes
// an app state key, shares it with that device, and uploads contact
// patches that wasim stores and serves.
//
//	appstate-key-share <device JID>
//	    make a key in whatsmeow's own store unless it has one, then send
//	    ProtocolMessage{APP_STATE_SYNC_KEY_SHARE} to that device of our own
//	    account as a peer message (pkmsg when there is no session yet):
//	    RESULT appstate-key-share <key id hex> <message id>
//	appstate-contact <jid> <first name> <full name...>
//	    SendAppState of a ContactAction SET (index ["contact", <jid>]) in
//	    critical_unblock_low; whatsmeow then fetches it back and verifies
//	    it: RESULT appstate-contact <version>
//	appstate-contact-remove <jid>
//	    a REMOVE of ["contact", <jid>], encoded here (whatsmeow's encoder
//	    only makes SETs) from the key in whatsmeow's store, uploaded, then
//	    fetched back by whatsmeow, which verifies it (LTHash subtraction,
//	    snapshot and patch MACs): RESULT appstate-contact-remove <version>
//	appstate-fetch <name> [full]
//	    FetchAppState: RESULT appstate-fetch <name> <version>
//	appstate-version <name>
//	    RESULT appstate-version <name> <version> (from whatsmeow's store)
//	appstate-raw-upload <name> <version> <patch hex>
//	    one <collection name version><patch>bytes</patch> upload as is:
//	    RESULT appstate-raw-upload ok <version attr>, or
//	    RESULT appstate-raw-upload error <code> <version attr> <patches>
//	    (a per-collection error and how many patches came with it)
//	appstate-contact-get <jid>
//	    RESULT appstate-contact-get <jid> <found> first=<q> full=<q>
//
// Events (the driver sets EmitAppStateEventsOnFullSync on Connected, so a
// first sync reports contacts too):
//
//	CONTACT <jid> first=<quoted> full=<quoted> fullsync=<bool>
//	APPSTATE_SYNCED <name>       a full sync of that collection completed
//	PUSHNAME <jid> <quoted name>
//
// Quoted strings are Go %q.
package main

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"strings"
	"time"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/appstate"
	"go.mau.fi/whatsmeow/appstate/lthash"
	waBinary "go.mau.fi/whatsmeow/binary"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/proto/waServerSync"
	"go.mau.fi/whatsmeow/proto/waSyncAction"
	"go.mau.fi/whatsmeow/store"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
	"go.mau.fi/whatsmeow/util/cbcutil"
	"go.mau.fi/whatsmeow/util/hkdfutil"
	"google.golang.org/protobuf/proto"
)

// The version number WhatsApp gives ContactAction mutations.
const contactActionVersion = 2

func init() {
	extraEvents = append(extraEvents, appStateEvent)
	extraCommands["appstate-key-share"] = cmdKeyShare
	extraCommands["appstate-contact"] = cmdContact
	extraCommands["appstate-contact-remove"] = cmdContactRemove
	extraCommands["appstate-fetch"] = cmdFetch
	extraCommands["appstate-version"] = cmdVersion
	extraCommands["appstate-contact-get"] = cmdContactGet
	extraCommands["appstate-raw-upload"] = cmdRawUpload
}

func appStateEvent(d *driver, raw any) {
	switch e := raw.(type) {
	case *events.Connected:
		d.cli.EmitAppStateEventsOnFullSync = true
	case *events.Contact:
		say("CONTACT %s first=%q full=%q fullsync=%t", e.JID,
			e.Action.GetFirstName(), e.Action.GetFullName(), e.FromFullSync)
	case *events.AppStateSyncComplete:
		say("APPSTATE_SYNCED %s", e.Name)
	case *events.PushName:
		say("PUSHNAME %s %q", e.JID, e.NewPushName)
	}
}

// ensureKey returns the newest app state key of the store, making one
// first if there is none.
func ensureKey(ctx context.Context, cli *whatsmeow.Client) ([]byte, *store.AppStateSyncKey, error) {
	id, err := cli.Store.AppStateKeys.GetLatestAppStateSyncKeyID(ctx)
	if err != nil {
		return nil, nil, err
	}
	if id == nil {
		id = make([]byte, 6)
		data := make([]byte, 32)
		if _, err = rand.Read(id[2:]); err != nil {
			return nil, nil, err
		}
		if _, err = rand.Read(data); err != nil {
			return nil, nil, err
		}
		fp, err := proto.Marshal(&waE2E.AppStateSyncKeyFingerprint{
			RawID:         proto.Uint32(binary.BigEndian.Uint32(id[2:])),
			CurrentIndex:  proto.Uint32(0),
			DeviceIndexes: []uint32{0},
		})
		if err != nil {
			return nil, nil, err
		}
		err = cli.Store.AppStateKeys.PutAppStateSyncKey(ctx, id, store.AppStateSyncKey{
			Data: data, Fingerprint: fp, Timestamp: time.Now().UnixMilli(),
		})
		if err != nil {
			return nil, nil, err
		}
	}
	key, err := cli.Store.AppStateKeys.GetAppStateSyncKey(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	if key == nil {
		return nil, nil, fmt.Errorf("key %x vanished from the store", id)
	}
	return id, key, nil
}

func cmdKeyShare(d *driver, ctx context.Context, line string, f []string) {
	fail := func(err error) { say("RESULT appstate-key-share failed %v", err) }
	if len(f) != 2 {
		fail(fmt.Errorf("usage: appstate-key-share <device JID>"))
		return
	}
	to, err := types.ParseJID(f[1])
	if err != nil {
		fail(err)
		return
	}
	own, ownLID := d.cli.Store.GetJID(), d.cli.Store.GetLID()
	if to.User != own.User && to.User != ownLID.User {
		fail(fmt.Errorf("%s is not a device of our own account", to))
		return
	}
	// Encrypt for the LID device, as whatsmeow's own peer messages do.
	lid := types.JID{User: ownLID.User, Device: to.Device, Server: types.HiddenUserServer}
	id, key, err := ensureKey(ctx, d.cli)
	if err != nil {
		fail(err)
		return
	}
	var fp waE2E.AppStateSyncKeyFingerprint
	if err = proto.Unmarshal(key.Fingerprint, &fp); err != nil {
		fail(err)
		return
	}
	msg := &waE2E.Message{ProtocolMessage: &waE2E.ProtocolMessage{
		Type: waE2E.ProtocolMessage_APP_STATE_SYNC_KEY_SHARE.Enum(),
		AppStateSyncKeyShare: &waE2E.AppStateSyncKeyShare{Keys: []*waE2E.AppStateSyncKey{{
			KeyID: &waE2E.AppStateSyncKeyId{KeyID: id},
			KeyData: &waE2E.AppStateSyncKeyData{
				KeyData: key.Data, Fingerprint: &fp, Timestamp: proto.Int64(key.Timestamp),
			},
		}}},
	}}
	plain, err := proto.Marshal(msg)
	if err != nil {
		fail(err)
		return
	}
	// (EncryptMessageForDevice pads the plaintext itself.)
	in := d.cli.DangerousInternals()
	has, err := d.cli.Store.ContainsSession(ctx, lid.SignalAddress())
	if err != nil {
		fail(err)
		return
	}
	var enc *waBinary.Node
	var isPreKey bool
	if has {
		enc, isPreKey, err = in.EncryptMessageForDevice(ctx, plain, lid, nil, nil, nil)
	} else if bundle := in.FetchPreKeysNoError(ctx, []types.JID{lid})[lid]; bundle != nil {
		enc, isPreKey, err = in.EncryptMessageForDevice(ctx, plain, lid, bundle, nil, nil)
	} else {
		err = fmt.Errorf("no prekey bundle for %s", lid)
	}
	if err != nil {
		fail(err)
		return
	}
	content := []waBinary.Node{{Tag: "meta", Attrs: waBinary.Attrs{"appdata": "default"}}, *enc}
	if isPreKey {
		content = append(content, in.MakeDeviceIdentityNode())
	}
	mid := d.cli.GenerateMessageID()
	err = in.SendNode(ctx, waBinary.Node{
		Tag:     "message",
		Attrs:   waBinary.Attrs{"id": mid, "type": "text", "category": "peer", "to": lid},
		Content: content,
	})
	if err != nil {
		fail(err)
		return
	}
	say("RESULT appstate-key-share %s %s", hex.EncodeToString(id), mid)
}

func cmdContact(d *driver, ctx context.Context, line string, f []string) {
	if len(f) < 4 {
		say("RESULT appstate-contact failed usage: appstate-contact <jid> <first> <full name...>")
		return
	}
	full := strings.SplitN(strings.TrimSpace(line), " ", 4)[3]
	if _, _, err := ensureKey(ctx, d.cli); err != nil {
		say("RESULT appstate-contact failed %v", err)
		return
	}
	patch := appstate.PatchInfo{
		Type: appstate.WAPatchCriticalUnblockLow,
		Mutations: []appstate.MutationInfo{{
			Index:   []string{appstate.IndexContact, f[1]},
			Version: contactActionVersion,
			Value: &waSyncAction.SyncActionValue{ContactAction: &waSyncAction.ContactAction{
				FullName:  proto.String(full),
				FirstName: proto.String(f[2]),
			}},
		}},
	}
	if err := d.cli.SendAppState(ctx, patch); err != nil {
		say("RESULT appstate-contact failed %v", err)
		return
	}
	v, _, err := d.cli.Store.AppState.GetAppStateVersion(ctx, string(patch.Type))
	if err != nil {
		say("RESULT appstate-contact failed %v", err)
		return
	}
	say("RESULT appstate-contact %d", v)
}

func hmacOf(h func() hash.Hash, key []byte, parts ...[]byte) []byte {
	m := hmac.New(h, key)
	for _, p := range parts {
		m.Write(p)
	}
	return m.Sum(nil)
}

func be64(v uint64) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint64(b, v)
	return b
}

// cmdContactRemove encodes a REMOVE from the wire format (wa-protocol.md
// §10), with whatsmeow's stored key, version, hash and previous value MAC.
func cmdContactRemove(d *driver, ctx context.Context, line string, f []string) {
	fail := func(err error) { say("RESULT appstate-contact-remove failed %v", err) }
	if len(f) != 2 {
		fail(fmt.Errorf("usage: appstate-contact-remove <jid>"))
		return
	}
	name := appstate.WAPatchCriticalUnblockLow
	keyID, key, err := ensureKey(ctx, d.cli)
	if err != nil {
		fail(err)
		return
	}
	exp := hkdfutil.SHA256(key.Data, nil, []byte("WhatsApp Mutation Keys"), 160)
	indexKey, encKey, valueMACKey, snapMACKey, patchMACKey :=
		exp[0:32], exp[32:64], exp[64:96], exp[96:128], exp[128:160]
	version, hash, err := d.cli.Store.AppState.GetAppStateVersion(ctx, string(name))
	if err != nil {
		fail(err)
		return
	}
	index, _ := json.Marshal([]string{appstate.IndexContact, f[1]})
	indexMAC := hmacOf(sha256.New, indexKey, index)
	prev, err := d.cli.Store.AppState.GetAppStateMutationMAC(ctx, string(name), indexMAC)
	if err != nil || prev == nil {
		fail(fmt.Errorf("no previous SET of %s (%v)", f[1], err))
		return
	}
	data, err := proto.Marshal(&waSyncAction.SyncActionData{
		Index:   index,
		Value:   &waSyncAction.SyncActionValue{Timestamp: proto.Int64(time.Now().UnixMilli())},
		Padding: []byte{},
		Version: proto.Int32(contactActionVersion),
	})
	if err != nil {
		fail(err)
		return
	}
	ivct, err := cbcutil.Encrypt(encKey, nil, data)
	if err != nil {
		fail(err)
		return
	}
	const opRemove = byte(waServerSync.SyncdMutation_REMOVE) + 1
	valueMAC := hmacOf(sha512.New, valueMACKey, []byte{opRemove}, keyID, ivct,
		be64(uint64(len(keyID)+1)))[:32]
	lthash.WAPatchIntegrity.SubtractThenAddInPlace(hash[:], [][]byte{prev}, nil)
	next := version + 1
	snapMAC := hmacOf(sha256.New, snapMACKey, hash[:], be64(next), []byte(name))
	patchMAC := hmacOf(sha256.New, patchMACKey, snapMAC, valueMAC, be64(next), []byte(name))
	raw, err := proto.Marshal(&waServerSync.SyncdPatch{
		Mutations: []*waServerSync.SyncdMutation{{
			Operation: waServerSync.SyncdMutation_REMOVE.Enum(),
			Record: &waServerSync.SyncdRecord{
				Index: &waServerSync.SyncdIndex{Blob: indexMAC},
				Value: &waServerSync.SyncdValue{Blob: append(append([]byte{}, ivct...), valueMAC...)},
				KeyID: &waServerSync.KeyId{ID: keyID},
			},
		}},
		SnapshotMAC: snapMAC,
		PatchMAC:    patchMAC,
		KeyID:       &waServerSync.KeyId{ID: keyID},
	})
	if err != nil {
		fail(err)
		return
	}
	resp, err := d.cli.DangerousInternals().SendIQ(ctx, whatsmeow.DangerousInfoQuery{
		Namespace: "w:sync:app:state",
		Type:      whatsmeow.DangerousInfoQueryType("set"),
		To:        types.ServerJID,
		Content: []waBinary.Node{{Tag: "sync", Content: []waBinary.Node{{
			Tag:     "collection",
			Attrs:   waBinary.Attrs{"name": string(name), "version": version, "return_snapshot": false},
			Content: []waBinary.Node{{Tag: "patch", Content: raw}},
		}}}},
	})
	if err != nil {
		fail(err)
		return
	}
	col, ok := resp.GetOptionalChildByTag("sync", "collection")
	if !ok || col.AttrGetter().OptionalString("type") == "error" {
		fail(fmt.Errorf("upload refused: %s", resp.XMLString()))
		return
	}
	// whatsmeow fetches its own patch back and verifies every MAC.
	if err = d.cli.FetchAppState(ctx, name, false, false); err != nil {
		fail(err)
		return
	}
	v, _, err := d.cli.Store.AppState.GetAppStateVersion(ctx, string(name))
	if err != nil {
		fail(err)
		return
	}
	if v != next {
		fail(fmt.Errorf("whatsmeow is at v%d after the fetch, want v%d", v, next))
		return
	}
	say("RESULT appstate-contact-remove %d", v)
}

func cmdFetch(d *driver, ctx context.Context, line string, f []string) {
	if len(f) < 2 || len(f) > 3 || (len(f) == 3 && f[2] != "full") {
		say("RESULT appstate-fetch failed usage: appstate-fetch <name> [full]")
		return
	}
	name := appstate.WAPatchName(f[1])
	if err := d.cli.FetchAppState(ctx, name, len(f) == 3, false); err != nil {
		say("RESULT appstate-fetch failed %v", err)
		return
	}
	v, _, err := d.cli.Store.AppState.GetAppStateVersion(ctx, string(name))
	if err != nil {
		say("RESULT appstate-fetch failed %v", err)
		return
	}
	say("RESULT appstate-fetch %s %d", name, v)
}

func cmdVersion(d *driver, ctx context.Context, line string, f []string) {
	if len(f) != 2 {
		say("RESULT appstate-version failed usage: appstate-version <name>")
		return
	}
	v, _, err := d.cli.Store.AppState.GetAppStateVersion(ctx, f[1])
	if err != nil {
		say("RESULT appstate-version failed %v", err)
		return
	}
	say("RESULT appstate-version %s %d", f[1], v)
}

func cmdContactGet(d *driver, ctx context.Context, line string, f []string) {
	if len(f) != 2 {
		say("RESULT appstate-contact-get failed usage: appstate-contact-get <jid>")
		return
	}
	j, err := types.ParseJID(f[1])
	if err != nil {
		say("RESULT appstate-contact-get failed %v", err)
		return
	}
	ci, err := d.cli.Store.Contacts.GetContact(ctx, j)
	if err != nil {
		say("RESULT appstate-contact-get failed %v", err)
		return
	}
	say("RESULT appstate-contact-get %s %t first=%q full=%q", j, ci.Found, ci.FirstName, ci.FullName)
}

func cmdRawUpload(d *driver, ctx context.Context, line string, f []string) {
	if len(f) != 4 {
		say("RESULT appstate-raw-upload failed usage: appstate-raw-upload <name> <version> <patch hex>")
		return
	}
	raw, err := hex.DecodeString(f[3])
	if err != nil {
		say("RESULT appstate-raw-upload failed %v", err)
		return
	}
	resp, err := d.cli.DangerousInternals().SendIQ(ctx, whatsmeow.DangerousInfoQuery{
		Namespace: "w:sync:app:state",
		Type:      whatsmeow.DangerousInfoQueryType("set"),
		To:        types.ServerJID,
		Content: []waBinary.Node{{Tag: "sync", Content: []waBinary.Node{{
			Tag:     "collection",
			Attrs:   waBinary.Attrs{"name": f[1], "version": f[2], "return_snapshot": false},
			Content: []waBinary.Node{{Tag: "patch", Content: raw}},
		}}}},
	})
	if err != nil {
		say("RESULT appstate-raw-upload failed %v", err)
		return
	}
	col, ok := resp.GetOptionalChildByTag("sync", "collection")
	if !ok {
		say("RESULT appstate-raw-upload failed no collection in %s", resp.XMLString())
		return
	}
	ag := col.AttrGetter()
	if ag.OptionalString("type") != "error" {
		say("RESULT appstate-raw-upload ok %s", ag.OptionalString("version"))
		return
	}
	e, _ := col.GetOptionalChildByTag("error")
	n := 0
	if ps, ok := col.GetOptionalChildByTag("patches"); ok {
		n = len(ps.GetChildren())
	}
	say("RESULT appstate-raw-upload error %s %s %d", e.AttrGetter().OptionalString("code"),
		ag.OptionalString("version"), n)
}
