// appstatevec.go: whatsmeow's side of the app-state vectors (ponton's side
// is test/tools/wa_appstate_vec.c, the orchestration
// test/wa/64-appstate-vectors.sh).  Uses whatsmeow's own appstate package
// (Processor.EncodePatch, Processor.DecodePatches with every MAC checked,
// its LTHash) from the pinned module, with in-memory key and state stores;
// no server, no connection.
//
//	whatsmeow-driver appstatevec encode
//	    patches made by whatsmeow's encoder, each followed by the state
//	    whatsmeow reaches by decoding it:
//	    KEY <key id hex> <key data hex>
//	    PATCH <name> <version> <SyncdPatch hex> <LTHash hex after>
//	    CONTACT <version> <jid> <full name hex> <first name hex> <lid jid|->
//	    PUSHNAME <version> <name hex>
//	whatsmeow-driver appstatevec decode FILE
//	    FILE holds ponton's snapshots and patches (KEY, then
//	    SNAPSHOT|PATCH <label> <name> <hex> <version> <LTHash hex> lines,
//	    and BAD <label> <name> <hex> lines ponton refused); whatsmeow
//	    decodes each from its own state and prints
//	    PASS|FAIL: whatsmeow-decodes-ponton-<label> (same version and
//	    LTHash as ponton reached) or whatsmeow-refuses-<label>.
//	    DIFF lines (same fields as PATCH) are where the pinned whatsmeow
//	    computes the LTHash otherwise than ponton and whatsmeow's current
//	    code: a SET after a REMOVE of the same index in one patch, where
//	    the pinned validatePatch subtracts the REMOVE's value MAC (newer
//	    whatsmeow: "Found a REMOVE operation, no previous value").
//	    PASS: whatsmeow-pinned-differs-<label> while it still refuses it
//	    with ErrMismatchingLTHash; a newer pin that accepts it fails the
//	    line, and the vector should become a PATCH.
//
// The command is dispatched from init(), before main() parses its flags,
// like main.go's own "vectors" command (main.go is shared and not edited).
// A SyncdPatch from EncodePatch has no version (the server assigns it); the
// version is set here as a server would before the patch is decoded.
package main

import (
	"bufio"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"go.mau.fi/whatsmeow/appstate"
	"go.mau.fi/whatsmeow/proto/waServerSync"
	"go.mau.fi/whatsmeow/proto/waSyncAction"
	"go.mau.fi/whatsmeow/store"
	waLog "go.mau.fi/whatsmeow/util/log"
	"google.golang.org/protobuf/proto"
)

func init() {
	if len(os.Args) > 1 && os.Args[1] == "appstatevec" {
		os.Exit(asvMain(os.Args[2:]))
	}
}

type asvKeyStore struct {
	keys   map[string]store.AppStateSyncKey
	latest []byte
}

func (s *asvKeyStore) PutAppStateSyncKey(_ context.Context, id []byte, key store.AppStateSyncKey) error {
	s.keys[string(id)] = key
	s.latest = id
	return nil
}

func (s *asvKeyStore) GetAppStateSyncKey(_ context.Context, id []byte) (*store.AppStateSyncKey, error) {
	k, ok := s.keys[string(id)]
	if !ok {
		return nil, nil
	}
	return &k, nil
}

func (s *asvKeyStore) GetLatestAppStateSyncKeyID(_ context.Context) ([]byte, error) {
	return s.latest, nil
}

type asvVersion struct {
	version uint64
	hash    [128]byte
}

type asvMAC struct {
	version uint64
	value   []byte
}

type asvStateStore struct {
	versions map[string]asvVersion
	macs     map[string]map[string][]asvMAC // name -> index MAC -> rows
}

func (s *asvStateStore) PutAppStateVersion(_ context.Context, name string, version uint64, hash [128]byte) error {
	s.versions[name] = asvVersion{version, hash}
	return nil
}

func (s *asvStateStore) GetAppStateVersion(_ context.Context, name string) (uint64, [128]byte, error) {
	v := s.versions[name]
	return v.version, v.hash, nil
}

func (s *asvStateStore) DeleteAppStateVersion(_ context.Context, name string) error {
	delete(s.versions, name)
	delete(s.macs, name)
	return nil
}

func (s *asvStateStore) PutAppStateMutationMACs(_ context.Context, name string, version uint64, muts []store.AppStateMutationMAC) error {
	if s.macs[name] == nil {
		s.macs[name] = map[string][]asvMAC{}
	}
	for _, m := range muts {
		s.macs[name][string(m.IndexMAC)] = append(s.macs[name][string(m.IndexMAC)], asvMAC{version, m.ValueMAC})
	}
	return nil
}

func (s *asvStateStore) DeleteAppStateMutationMACs(_ context.Context, name string, indexMACs [][]byte) error {
	for _, im := range indexMACs {
		delete(s.macs[name], string(im))
	}
	return nil
}

// As whatsmeow's sqlstore: the value MAC of the newest version.
func (s *asvStateStore) GetAppStateMutationMAC(_ context.Context, name string, indexMAC []byte) ([]byte, error) {
	var best *asvMAC
	for i, m := range s.macs[name][string(indexMAC)] {
		if best == nil || m.version > best.version {
			best = &s.macs[name][string(indexMAC)][i]
		}
	}
	if best == nil {
		return nil, nil
	}
	return best.value, nil
}

type asvEnv struct {
	proc  *appstate.Processor
	keys  *asvKeyStore
	state *asvStateStore
}

func asvNewEnv() *asvEnv {
	e := &asvEnv{
		keys:  &asvKeyStore{keys: map[string]store.AppStateSyncKey{}},
		state: &asvStateStore{versions: map[string]asvVersion{}, macs: map[string]map[string][]asvMAC{}},
	}
	dev := &store.Device{Log: waLog.Noop}
	dev.AppStateKeys = e.keys
	dev.AppState = e.state
	e.proc = appstate.NewProcessor(dev, waLog.Noop)
	return e
}

func (e *asvEnv) hashState(name string) appstate.HashState {
	v, h, _ := e.state.GetAppStateVersion(context.Background(), name)
	return appstate.HashState{Version: v, Hash: h}
}

// Fixed key so that a failure is reproducible from the printed lines.
var asvKeyID = []byte{0x00, 0x00, 0x17, 0x2a, 0x5c, 0x01}

func asvKeyData() []byte {
	k := make([]byte, 32)
	for i := range k {
		k[i] = byte(0xa0 + i)
	}
	return k
}

func asvContact(full, first, lid string) *waSyncAction.SyncActionValue {
	ca := &waSyncAction.ContactAction{FullName: proto.String(full), FirstName: proto.String(first)}
	if lid != "" {
		ca.LidJID = proto.String(lid)
	}
	return &waSyncAction.SyncActionValue{ContactAction: ca}
}

type asvStep struct {
	name string
	muts []appstate.MutationInfo
}

func asvEncode() int {
	ctx := context.Background()
	e := asvNewEnv()
	kd := asvKeyData()
	_ = e.keys.PutAppStateSyncKey(ctx, asvKeyID, store.AppStateSyncKey{Data: kd, Timestamp: 1})
	fmt.Printf("KEY %x %x\n", asvKeyID, kd)
	cul := appstate.WAPatchCriticalUnblockLow
	contact := func(jid, full, first, lid string) appstate.MutationInfo {
		return appstate.MutationInfo{Index: []string{appstate.IndexContact, jid}, Version: 2, Value: asvContact(full, first, lid)}
	}
	steps := []asvStep{
		{string(cul), []appstate.MutationInfo{
			contact("33611111111@s.whatsapp.net", "Alice Martin", "Alice", ""),
			contact("33622222222@s.whatsapp.net", "Bob", "Bob", ""),
		}},
		// Alice renamed: the previous value MAC is subtracted.
		{string(cul), []appstate.MutationInfo{
			contact("33611111111@s.whatsapp.net", "Alice Dupont", "Alice", ""),
		}},
		{string(cul), []appstate.MutationInfo{
			contact("33633333333@s.whatsapp.net", "Zoë 🚀 Ünïcode", "Zoë", "123456789012345@lid"),
			contact("33622222222@s.whatsapp.net", "Bob Bobson", "Bob", ""),
			{Index: []string{appstate.IndexMute, "33622222222@s.whatsapp.net"}, Version: 2,
				Value: &waSyncAction.SyncActionValue{MuteAction: &waSyncAction.MuteAction{Muted: proto.Bool(true)}}},
		}},
		{string(appstate.WAPatchCriticalBlock), []appstate.MutationInfo{
			{Index: []string{appstate.IndexSettingPushName}, Version: 1,
				Value: &waSyncAction.SyncActionValue{PushNameSetting: &waSyncAction.PushNameSetting{Name: proto.String("Ponton Tester")}}},
		}},
	}
	for _, st := range steps {
		name := appstate.WAPatchName(st.name)
		state := e.hashState(st.name)
		raw, err := e.proc.EncodePatch(ctx, asvKeyID, state, appstate.PatchInfo{Type: name, Mutations: st.muts})
		if err != nil {
			fmt.Fprintf(os.Stderr, "appstatevec: encode: %v\n", err)
			return 1
		}
		var p waServerSync.SyncdPatch
		if err = proto.Unmarshal(raw, &p); err != nil {
			fmt.Fprintf(os.Stderr, "appstatevec: %v\n", err)
			return 1
		}
		p.Version = &waServerSync.SyncdVersion{Version: proto.Uint64(state.Version + 1)}
		raw, _ = proto.Marshal(&p)
		muts, newState, err := e.proc.DecodePatches(ctx, &appstate.PatchList{Name: name, Patches: []*waServerSync.SyncdPatch{&p}}, state, true)
		if err != nil {
			fmt.Fprintf(os.Stderr, "appstatevec: whatsmeow cannot decode its own patch: %v\n", err)
			return 1
		}
		fmt.Printf("PATCH %s %d %x %x\n", st.name, newState.Version, raw, newState.Hash[:])
		for _, m := range muts {
			if len(m.Index) == 2 && m.Index[0] == appstate.IndexContact {
				ca := m.Action.GetContactAction()
				lid := ca.GetLidJID()
				if lid == "" {
					lid = "-"
				}
				fmt.Printf("CONTACT %d %s %x %x %s\n", newState.Version, m.Index[1], ca.GetFullName(), ca.GetFirstName(), lid)
			} else if len(m.Index) == 1 && m.Index[0] == appstate.IndexSettingPushName {
				fmt.Printf("PUSHNAME %d %x\n", newState.Version, m.Action.GetPushNameSetting().GetName())
			}
		}
	}
	return 0
}

func asvDecode(path string) int {
	ctx := context.Background()
	f, err := os.Open(path)
	if err != nil {
		fmt.Fprintf(os.Stderr, "appstatevec: %v\n", err)
		return 1
	}
	defer f.Close()
	e := asvNewEnv()
	status, n := 0, 0
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		fl := strings.Fields(sc.Text())
		if len(fl) == 0 {
			continue
		}
		switch fl[0] {
		case "KEY":
			id, _ := hex.DecodeString(fl[1])
			kd, _ := hex.DecodeString(fl[2])
			_ = e.keys.PutAppStateSyncKey(ctx, id, store.AppStateSyncKey{Data: kd, Timestamp: 1})
		case "SNAPSHOT", "PATCH", "BAD", "DIFF":
			if len(fl) < 4 {
				fmt.Println("FAIL: whatsmeow-reads-line", fl[0])
				status = 1
				continue
			}
			label, name := fl[1], appstate.WAPatchName(fl[2])
			raw, _ := hex.DecodeString(fl[3])
			list := &appstate.PatchList{Name: name}
			var err error
			if fl[0] == "SNAPSHOT" {
				var ss waServerSync.SyncdSnapshot
				err = proto.Unmarshal(raw, &ss)
				list.Snapshot = &ss
			} else {
				var p waServerSync.SyncdPatch
				err = proto.Unmarshal(raw, &p)
				list.Patches = []*waServerSync.SyncdPatch{&p}
			}
			n++
			state := e.hashState(string(name))
			if err == nil {
				_, state, err = e.proc.DecodePatches(ctx, list, state, true)
			}
			if fl[0] == "DIFF" {
				if err != nil && errors.Is(err, appstate.ErrMismatchingLTHash) {
					fmt.Printf("PASS: whatsmeow-pinned-differs-%s\n", label)
				} else {
					fmt.Printf("FAIL: whatsmeow-pinned-differs-%s (now %v: make it a PATCH line)\n", label, err)
					status = 1
				}
				continue
			}
			if fl[0] == "BAD" {
				if err != nil {
					fmt.Printf("PASS: whatsmeow-refuses-%s\n", label)
				} else {
					fmt.Printf("FAIL: whatsmeow-refuses-%s (accepted, v%d)\n", label, state.Version)
					status = 1
				}
				continue
			}
			if len(fl) < 6 {
				fmt.Println("FAIL: whatsmeow-reads-line", label)
				status = 1
				continue
			}
			wantV, _ := strconv.ParseUint(fl[4], 10, 64)
			if err != nil {
				fmt.Printf("FAIL: whatsmeow-decodes-ponton-%s (%v)\n", label, err)
				status = 1
			} else if state.Version != wantV || hex.EncodeToString(state.Hash[:]) != fl[5] {
				fmt.Printf("FAIL: whatsmeow-decodes-ponton-%s (v%d %x, ponton v%d %s)\n", label, state.Version, state.Hash[:8], wantV, fl[5][:16])
				status = 1
			} else {
				fmt.Printf("PASS: whatsmeow-decodes-ponton-%s\n", label)
			}
		}
	}
	if n == 0 {
		fmt.Println("FAIL: whatsmeow-decodes-ponton (no vectors)")
		status = 1
	}
	return status
}

func asvMain(args []string) int {
	if len(args) == 1 && args[0] == "encode" {
		return asvEncode()
	}
	if len(args) == 2 && args[0] == "decode" {
		return asvDecode(args[1])
	}
	fmt.Fprintln(os.Stderr, "usage: whatsmeow-driver appstatevec encode | decode FILE")
	return 2
}
