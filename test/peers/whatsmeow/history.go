// history.go: whatsmeow playing the account's phone for history sync
// (wa-protocol.md §11), through the driver's extraCommands hook.  Paired as
// another device of the bridge's account, it builds a HistorySync protobuf
// (waHistorySync, whatsmeow's own types), zlib-compresses it, uploads it
// with whatsmeow's Upload as history media (mms type md-msg-hist, "WhatsApp
// History Keys") or puts it inline, and sends the HistorySyncNotification
// ProtocolMessage to the bridge's device as a peer message (category=peer,
// encrypted for the LID device as whatsmeow's own peer messages are; a
// session is started from the device's prekey bundle when there is none).
//
//	history DEVICE_JID SPEC_JSON
//	    SPEC_JSON: {"type": 0, "inline": false, "chunk": 1, "conversations":
//	      [{"id": JID, "name": "...", "messages": [{"id": "...",
//	        "from_me": false, "participant": JID, "ts": UNIX_SECONDS,
//	        "push": "...", "text": "...", "image": FILE}]}]}
//	    (messages in any order: they are listed newest first, as a phone
//	    does; "image": FILE is uploaded as image media and the message is
//	    an image (image/png, text as caption); a message without text or
//	    image is a stub without content)
//	    -> RESULT history <message id> <compressed bytes>
//
// Media uploads need `media-ca` (media.go) first.  Failures: "RESULT
// history failed <why>".
package main

import (
	"bytes"
	"compress/zlib"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"

	"go.mau.fi/whatsmeow"
	waBinary "go.mau.fi/whatsmeow/binary"
	"go.mau.fi/whatsmeow/proto/waCommon"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/proto/waHistorySync"
	"go.mau.fi/whatsmeow/proto/waWeb"
	"go.mau.fi/whatsmeow/types"
	"google.golang.org/protobuf/proto"
)

type histMsg struct {
	ID          string `json:"id"`
	FromMe      bool   `json:"from_me"`
	Participant string `json:"participant"`
	TS          uint64 `json:"ts"`
	Push        string `json:"push"`
	Text        string `json:"text"`
	Image       string `json:"image"`
}

type histConv struct {
	ID       string    `json:"id"`
	Name     string    `json:"name"`
	Messages []histMsg `json:"messages"`
}

type histSpec struct {
	Type          int32      `json:"type"`
	Inline        bool       `json:"inline"`
	Chunk         uint32     `json:"chunk"`
	Conversations []histConv `json:"conversations"`
}

func init() {
	extraCommands["history"] = cmdHistory
}

// The HistorySync blob of a spec, zlib-compressed (images uploaded).
func buildHistory(ctx context.Context, d *driver, spec *histSpec) ([]byte, error) {
	hs := &waHistorySync.HistorySync{
		SyncType:   waHistorySync.HistorySync_HistorySyncType(spec.Type).Enum(),
		ChunkOrder: proto.Uint32(spec.Chunk),
		Progress:   proto.Uint32(100),
	}
	for _, c := range spec.Conversations {
		msgs := append([]histMsg(nil), c.Messages...)
		sort.SliceStable(msgs, func(i, j int) bool { return msgs[i].TS > msgs[j].TS })
		conv := &waHistorySync.Conversation{ID: proto.String(c.ID)}
		if c.Name != "" {
			conv.Name = proto.String(c.Name)
		}
		for i, m := range msgs {
			if i == 0 {
				conv.LastMsgTimestamp = proto.Uint64(m.TS)
				conv.ConversationTimestamp = proto.Uint64(m.TS)
			}
			key := &waCommon.MessageKey{
				RemoteJID: proto.String(c.ID),
				FromMe:    proto.Bool(m.FromMe),
				ID:        proto.String(m.ID),
			}
			info := &waWeb.WebMessageInfo{Key: key, MessageTimestamp: proto.Uint64(m.TS)}
			if m.Participant != "" {
				key.Participant = proto.String(m.Participant)
				info.Participant = proto.String(m.Participant)
			}
			if m.Push != "" {
				info.PushName = proto.String(m.Push)
			}
			if m.Image != "" {
				data, err := os.ReadFile(m.Image)
				if err != nil {
					return nil, err
				}
				up, err := d.cli.Upload(ctx, data, whatsmeow.MediaImage)
				if err != nil {
					return nil, fmt.Errorf("image upload: %w", err)
				}
				img := &waE2E.ImageMessage{
					URL:           proto.String(up.URL),
					DirectPath:    proto.String(up.DirectPath),
					MediaKey:      up.MediaKey,
					FileSHA256:    up.FileSHA256,
					FileEncSHA256: up.FileEncSHA256,
					FileLength:    proto.Uint64(up.FileLength),
					Mimetype:      proto.String("image/png"),
				}
				if m.Text != "" {
					img.Caption = proto.String(m.Text)
				}
				info.Message = &waE2E.Message{ImageMessage: img}
			} else if m.Text != "" {
				info.Message = &waE2E.Message{Conversation: proto.String(m.Text)}
			}
			conv.Messages = append(conv.Messages, &waHistorySync.HistorySyncMsg{
				Message: info, MsgOrderID: proto.Uint64(uint64(len(msgs) - i)),
			})
		}
		hs.Conversations = append(hs.Conversations, conv)
	}
	raw, err := proto.Marshal(hs)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	zw := zlib.NewWriter(&buf)
	if _, err = zw.Write(raw); err != nil {
		return nil, err
	}
	if err = zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Send msg to one device of our own account as a peer message.
func sendToOwnDevice(ctx context.Context, d *driver, to types.JID, msg *waE2E.Message) (string, error) {
	own, ownLID := d.cli.Store.GetJID(), d.cli.Store.GetLID()
	if to.User != own.User && to.User != ownLID.User {
		return "", fmt.Errorf("%s is not a device of our own account", to)
	}
	dev := types.JID{User: ownLID.User, Device: to.Device, Server: types.HiddenUserServer}
	plain, err := proto.Marshal(msg)
	if err != nil {
		return "", err
	}
	in := d.cli.DangerousInternals()
	var bundleNeeded bool
	if has, err := d.cli.Store.ContainsSession(ctx, dev.SignalAddress()); err != nil {
		return "", err
	} else {
		bundleNeeded = !has
	}
	var enc *waBinary.Node
	var preKey bool
	if !bundleNeeded {
		enc, preKey, err = in.EncryptMessageForDevice(ctx, plain, dev, nil, nil, nil)
	} else if b := in.FetchPreKeysNoError(ctx, []types.JID{dev})[dev]; b != nil {
		enc, preKey, err = in.EncryptMessageForDevice(ctx, plain, dev, b, nil, nil)
	} else {
		err = fmt.Errorf("no prekey bundle for %s", dev)
	}
	if err != nil {
		return "", err
	}
	content := []waBinary.Node{{Tag: "meta", Attrs: waBinary.Attrs{"appdata": "default"}}, *enc}
	if preKey {
		content = append(content, in.MakeDeviceIdentityNode())
	}
	id := d.cli.GenerateMessageID()
	err = in.SendNode(ctx, waBinary.Node{
		Tag:     "message",
		Attrs:   waBinary.Attrs{"id": id, "type": "text", "category": "peer", "to": dev},
		Content: content,
	})
	return id, err
}

func cmdHistory(d *driver, ctx context.Context, line string, f []string) {
	fail := func(err error) { say("RESULT history failed %v", err) }
	parts := strings.SplitN(line, " ", 3)
	if len(parts) != 3 {
		fail(fmt.Errorf("usage: history <device JID> <spec JSON>"))
		return
	}
	to, err := types.ParseJID(parts[1])
	if err != nil {
		fail(err)
		return
	}
	var spec histSpec
	if err = json.Unmarshal([]byte(parts[2]), &spec); err != nil {
		fail(err)
		return
	}
	blob, err := buildHistory(ctx, d, &spec)
	if err != nil {
		fail(err)
		return
	}
	notif := &waE2E.HistorySyncNotification{
		SyncType:   waE2E.HistorySyncType(spec.Type).Enum(),
		ChunkOrder: proto.Uint32(spec.Chunk),
		Progress:   proto.Uint32(100),
	}
	if spec.Inline {
		notif.InitialHistBootstrapInlinePayload = blob
	} else {
		up, err := d.cli.Upload(ctx, blob, whatsmeow.MediaHistory)
		if err != nil {
			fail(fmt.Errorf("upload: %w", err))
			return
		}
		notif.FileSHA256 = up.FileSHA256
		notif.FileEncSHA256 = up.FileEncSHA256
		notif.FileLength = proto.Uint64(up.FileLength)
		notif.MediaKey = up.MediaKey
		notif.DirectPath = proto.String(up.DirectPath)
	}
	msg := &waE2E.Message{ProtocolMessage: &waE2E.ProtocolMessage{
		Type:                    waE2E.ProtocolMessage_HISTORY_SYNC_NOTIFICATION.Enum(),
		HistorySyncNotification: notif,
	}}
	id, err := sendToOwnDevice(ctx, d, to, msg)
	if err != nil {
		fail(err)
		return
	}
	say("RESULT history %s %d", id, len(blob))
}
