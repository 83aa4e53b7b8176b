// kinds.go: every message kind between whatsmeow and ponton
// (test/wa/55-ponton-kinds.sh), through the driver's extraCommands /
// extraEvents hooks.  Each message is described by one canonical line in the
// format of ponton's wa_content_line (waweb/content.h,
// docs/whatsapp-content.md), computed here from whatsmeow's decoded
// waE2E.Message (the event's RawMessage, unwrapped the same way).
//
// Events (printed for every message received):
//
//	GOT <id> <line>        a poll vote on a poll this store knows (polls
//	                       file) is decrypted with whatsmeow's
//	                       DecryptPollVote and shows the option names
//	VOTE-FAILED <id> <error>
//
// Commands (stdin):
//
//	kinds-polls FILE       where poll options are kept across runs (JSON)
//	kinds-wait N [SECS]    until N GOT lines were printed:
//	                       RESULT kinds-wait ok | failed timeout
//	kinds-send JID         whatsmeow's set, each message acked before the
//	                       next: SENT <id> <line> each, then
//	                       RESULT kinds-send ok <count>
//	kinds-vote OPTION      vote on the last poll received (BuildPollVote):
//	                       SENT <id> <line>, RESULT kinds-vote ok
package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.mau.fi/whatsmeow/proto/waCommon"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
	"google.golang.org/protobuf/proto"
)

type kindsState struct {
	mu       sync.Mutex
	got      int
	gotCh    chan struct{}
	file     string
	polls    map[string][]string // poll id -> option names
	lastPoll *types.MessageInfo
}

var ks = &kindsState{gotCh: make(chan struct{}, 1024), polls: map[string][]string{}}

func (k *kindsState) save() {
	if k.file == "" {
		return
	}
	b, _ := json.Marshal(k.polls)
	_ = os.WriteFile(k.file, b, 0o600)
}

// --- The canonical line (mirrors waweb/content.c) ---------------------------

func escK(s string, list bool) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\\':
			b.WriteString(`\\`)
		case r == '|':
			b.WriteString(`\|`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == ',' && list:
			b.WriteString(`\,`)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func unwrapK(m *waE2E.Message) *waE2E.Message {
	for i := 0; i < 8 && m != nil; i++ {
		var w *waE2E.FutureProofMessage
		switch {
		case m.EphemeralMessage != nil:
			w = m.EphemeralMessage
		case m.ViewOnceMessage != nil:
			w = m.ViewOnceMessage
		case m.ViewOnceMessageV2 != nil:
			w = m.ViewOnceMessageV2
		case m.ViewOnceMessageV2Extension != nil:
			w = m.ViewOnceMessageV2Extension
		case m.DocumentWithCaptionMessage != nil:
			w = m.DocumentWithCaptionMessage
		case m.EditedMessage != nil:
			w = m.EditedMessage
		}
		if w == nil || w.Message == nil {
			break
		}
		m = w.Message
	}
	return m
}

func textOfK(m *waE2E.Message) *string {
	m = unwrapK(m)
	switch {
	case m == nil:
		return nil
	case m.Conversation != nil:
		return m.Conversation
	case m.ExtendedTextMessage != nil:
		return m.ExtendedTextMessage.Text
	case m.ImageMessage != nil:
		return m.ImageMessage.Caption
	case m.VideoMessage != nil:
		return m.VideoMessage.Caption
	case m.PtvMessage != nil:
		return m.PtvMessage.Caption
	case m.DocumentMessage != nil:
		return m.DocumentMessage.Caption
	}
	return nil
}

func pollOfK(m *waE2E.Message) *waE2E.PollCreationMessage {
	switch {
	case m.PollCreationMessage != nil:
		return m.PollCreationMessage
	case m.PollCreationMessageV2 != nil:
		return m.PollCreationMessageV2
	case m.PollCreationMessageV3 != nil:
		return m.PollCreationMessageV3
	}
	return m.PollCreationMessageV5
}

func contextOfK(m *waE2E.Message) *waE2E.ContextInfo {
	switch {
	case m.ExtendedTextMessage != nil:
		return m.ExtendedTextMessage.ContextInfo
	case m.ImageMessage != nil:
		return m.ImageMessage.ContextInfo
	case m.VideoMessage != nil:
		return m.VideoMessage.ContextInfo
	case m.PtvMessage != nil:
		return m.PtvMessage.ContextInfo
	case m.AudioMessage != nil:
		return m.AudioMessage.ContextInfo
	case m.DocumentMessage != nil:
		return m.DocumentMessage.ContextInfo
	case m.StickerMessage != nil:
		return m.StickerMessage.ContextInfo
	case m.LocationMessage != nil:
		return m.LocationMessage.ContextInfo
	case m.LiveLocationMessage != nil:
		return m.LiveLocationMessage.ContextInfo
	case m.ContactMessage != nil:
		return m.ContactMessage.ContextInfo
	case m.ContactsArrayMessage != nil:
		return m.ContactsArrayMessage.ContextInfo
	case m.GroupInviteMessage != nil:
		return m.GroupInviteMessage.ContextInfo
	}
	if p := pollOfK(m); p != nil {
		return p.ContextInfo
	}
	return nil
}

type lineK struct{ b strings.Builder }

func (l *lineK) s(n string, v *string) {
	if v != nil {
		fmt.Fprintf(&l.b, "|%s=%s", n, escK(*v, false))
	}
}
func (l *lineK) list(n string, v []string) {
	if len(v) == 0 {
		return
	}
	e := make([]string, len(v))
	for i, x := range v {
		e[i] = escK(x, true)
	}
	fmt.Fprintf(&l.b, "|%s=%s", n, strings.Join(e, ","))
}
func (l *lineK) u(n string, v uint64) {
	if v != 0 {
		fmt.Fprintf(&l.b, "|%s=%d", n, v)
	}
}
func (l *lineK) x(n string, v []byte, want int) {
	if v != nil && (want == 0 || len(v) == want) {
		fmt.Fprintf(&l.b, "|%s=%s", n, hex.EncodeToString(v))
	}
}
func b2u(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

type mediaK struct {
	url, directPath, mimetype, fileName *string
	mediaKey, sha, encSha, waveform     []byte
	length                              uint64
	width, height, seconds              uint32
	gif, note, animated                 bool
	thumb                               int
}

// lineOfK: vote names the decrypted vote's options (nil: not decrypted).
func lineOfK(top *waE2E.Message, vote []string) string {
	m := top
	secret := top.GetMessageContextInfo().GetMessageSecret()
	if m.GetDeviceSentMessage().GetMessage() != nil {
		m = m.GetDeviceSentMessage().GetMessage()
	}
	m = unwrapK(m)
	if secret == nil {
		secret = m.GetMessageContextInfo().GetMessageSecret()
	}
	var l lineK
	var text *string
	var key *waCommon.MessageKey
	var ci *waE2E.ContextInfo
	var md *mediaK
	kind := "unsupported"
	tail := ""
	ctx := true
	switch {
	case m.ProtocolMessage != nil:
		pm := m.ProtocolMessage
		ctx = false
		switch pm.GetType() {
		case waE2E.ProtocolMessage_REVOKE:
			kind, key = "revoke", pm.Key
		case waE2E.ProtocolMessage_MESSAGE_EDIT:
			kind, key = "edit", pm.Key
			em := unwrapK(pm.EditedMessage)
			text = textOfK(em)
			if em != nil {
				ci = contextOfK(em)
			}
		default:
			kind = "protocol_other"
			tail = fmt.Sprintf("|protocol_type=%d", int32(pm.GetType()))
		}
	case m.ReactionMessage != nil:
		ctx = false
		kind, key = "reaction", m.ReactionMessage.Key
		t := m.ReactionMessage.GetText()
		text = &t
	case m.PollUpdateMessage != nil:
		ctx = false
		kind, key = "poll_vote", m.PollUpdateMessage.PollCreationMessageKey
	}
	if ctx {
		ci = contextOfK(m)
	}
	var locTail, pollTail, invTail string
	var contacts []*waE2E.ContactMessage
	if kind == "unsupported" {
		switch p := pollOfK(m); {
		case p != nil:
			kind = "poll_create"
			var opts []string
			for _, o := range p.Options {
				opts = append(opts, o.GetOptionName())
			}
			var pl lineK
			pl.s("poll_name", p.Name)
			pl.list("poll_options", opts)
			hasSecret := len(secret) == 32 || len(p.EncKey) == 32
			pollTail = pl.b.String() + fmt.Sprintf("|selectable=%d|secret=%d", p.GetSelectableOptionsCount(), b2u(hasSecret))
		case m.ImageMessage != nil:
			x := m.ImageMessage
			kind, text = "image", x.Caption
			md = &mediaK{url: x.URL, directPath: x.DirectPath, mimetype: x.Mimetype, mediaKey: x.MediaKey, sha: x.FileSHA256, encSha: x.FileEncSHA256,
				length: x.GetFileLength(), width: x.GetWidth(), height: x.GetHeight(), thumb: len(x.JPEGThumbnail)}
		case m.VideoMessage != nil || m.PtvMessage != nil:
			x := m.VideoMessage
			note := false
			if x == nil {
				x, note = m.PtvMessage, true
			}
			kind, text = "video", x.Caption
			md = &mediaK{url: x.URL, directPath: x.DirectPath, mimetype: x.Mimetype, mediaKey: x.MediaKey, sha: x.FileSHA256, encSha: x.FileEncSHA256,
				length: x.GetFileLength(), width: x.GetWidth(), height: x.GetHeight(), seconds: x.GetSeconds(), gif: x.GetGifPlayback(), note: note, thumb: len(x.JPEGThumbnail)}
		case m.AudioMessage != nil:
			x := m.AudioMessage
			kind = "audio"
			if x.GetPTT() {
				kind = "voice"
			}
			md = &mediaK{url: x.URL, directPath: x.DirectPath, mimetype: x.Mimetype, mediaKey: x.MediaKey, sha: x.FileSHA256, encSha: x.FileEncSHA256,
				length: x.GetFileLength(), seconds: x.GetSeconds(), waveform: x.Waveform}
		case m.DocumentMessage != nil:
			x := m.DocumentMessage
			kind, text = "document", x.Caption
			md = &mediaK{url: x.URL, directPath: x.DirectPath, mimetype: x.Mimetype, fileName: x.FileName, mediaKey: x.MediaKey, sha: x.FileSHA256, encSha: x.FileEncSHA256,
				length: x.GetFileLength(), thumb: len(x.JPEGThumbnail)}
		case m.StickerMessage != nil:
			x := m.StickerMessage
			kind = "sticker"
			md = &mediaK{url: x.URL, directPath: x.DirectPath, mimetype: x.Mimetype, mediaKey: x.MediaKey, sha: x.FileSHA256, encSha: x.FileEncSHA256,
				length: x.GetFileLength(), width: x.GetWidth(), height: x.GetHeight(), animated: x.GetIsAnimated(), thumb: len(x.PngThumbnail)}
		case m.LocationMessage != nil:
			x := m.LocationMessage
			kind, text = "location", x.Comment
			var ll lineK
			fmt.Fprintf(&ll.b, "|lat=%.6f|lon=%.6f", x.GetDegreesLatitude(), x.GetDegreesLongitude())
			ll.s("loc_name", x.Name)
			ll.s("loc_address", x.Address)
			ll.u("live", b2u(x.GetIsLive()))
			locTail = ll.b.String()
		case m.LiveLocationMessage != nil:
			x := m.LiveLocationMessage
			kind, text = "location", x.Caption
			locTail = fmt.Sprintf("|lat=%.6f|lon=%.6f|live=1", x.GetDegreesLatitude(), x.GetDegreesLongitude())
		case m.ContactMessage != nil:
			kind = "contact"
			contacts = []*waE2E.ContactMessage{m.ContactMessage}
		case m.ContactsArrayMessage != nil:
			kind, text = "contacts", m.ContactsArrayMessage.DisplayName
			contacts = m.ContactsArrayMessage.Contacts
		case m.GroupInviteMessage != nil:
			x := m.GroupInviteMessage
			kind, text = "group_invite", x.Caption
			var il lineK
			il.s("invite_group", x.GroupJID)
			il.s("invite_code", x.InviteCode)
			il.u("invite_expiration", uint64(x.GetInviteExpiration()))
			il.s("invite_name", x.GroupName)
			invTail = il.b.String()
		case m.Conversation != nil:
			kind, text = "text", m.Conversation
		case m.ExtendedTextMessage != nil:
			t := m.ExtendedTextMessage.GetText()
			kind, text = "text", &t
		}
	}
	l.b.WriteString(kind)
	l.s("text", text)
	if ci != nil {
		l.list("mentions", ci.MentionedJID)
		if ci.GetStanzaID() != "" {
			l.s("reply", ci.StanzaID)
			l.s("reply_to", ci.Participant)
			l.s("quoted", textOfK(ci.QuotedMessage))
		}
		l.u("forwarded", b2u(ci.GetIsForwarded()))
	}
	if key != nil && key.GetID() != "" {
		l.s("key_chat", key.RemoteJID)
		l.s("key_id", key.ID)
		fmt.Fprintf(&l.b, "|key_from_me=%d", b2u(key.GetFromMe()))
		l.s("key_participant", key.Participant)
	}
	if md != nil {
		l.s("url", md.url)
		l.s("direct_path", md.directPath)
		l.s("mimetype", md.mimetype)
		l.s("file_name", md.fileName)
		l.x("media_key", md.mediaKey, 32)
		l.x("file_sha256", md.sha, 32)
		l.x("file_enc_sha256", md.encSha, 32)
		l.u("file_length", md.length)
		l.u("width", uint64(md.width))
		l.u("height", uint64(md.height))
		l.u("seconds", uint64(md.seconds))
		l.u("gif", b2u(md.gif))
		l.u("video_note", b2u(md.note))
		l.u("animated", b2u(md.animated))
		if len(md.waveform) > 0 {
			l.x("waveform", md.waveform, 0)
		}
		l.u("thumbnail_len", uint64(md.thumb))
	}
	l.b.WriteString(locTail)
	for i, c := range contacts {
		l.s(fmt.Sprintf("contact%d_name", i), c.DisplayName)
		l.s(fmt.Sprintf("contact%d_vcard", i), c.Vcard)
	}
	l.b.WriteString(pollTail)
	if kind == "poll_vote" && vote != nil {
		l.list("vote", vote)
	}
	l.b.WriteString(invTail)
	l.b.WriteString(tail)
	return l.b.String()
}

// --- Events and commands ------------------------------------------------------------

func kindsEvent(d *driver, raw any) {
	e, ok := raw.(*events.Message)
	if !ok || e.RawMessage == nil || e.Info.IsFromMe {
		return
	}
	m := e.RawMessage
	inner := unwrapK(m)
	if inner.GetDeviceSentMessage().GetMessage() != nil {
		inner = unwrapK(inner.GetDeviceSentMessage().GetMessage())
	}
	if inner.ProtocolMessage != nil && inner.ProtocolMessage.GetType() != waE2E.ProtocolMessage_REVOKE &&
		inner.ProtocolMessage.GetType() != waE2E.ProtocolMessage_MESSAGE_EDIT {
		return
	}
	if inner.SenderKeyDistributionMessage != nil && inner.Conversation == nil && contextOfK(inner) == nil &&
		pollOfK(inner) == nil && inner.ReactionMessage == nil && inner.PollUpdateMessage == nil &&
		inner.ProtocolMessage == nil && inner.ImageMessage == nil && inner.ExtendedTextMessage == nil {
		return
	}
	var vote []string
	ks.mu.Lock()
	if p := pollOfK(inner); p != nil {
		var opts []string
		for _, o := range p.Options {
			opts = append(opts, o.GetOptionName())
		}
		ks.polls[e.Info.ID] = opts
		info := e.Info
		ks.lastPoll = &info
		ks.save()
	}
	var opts []string
	var known bool
	if inner.PollUpdateMessage != nil {
		opts, known = ks.polls[inner.PollUpdateMessage.GetPollCreationMessageKey().GetID()]
	}
	ks.mu.Unlock()
	if inner.PollUpdateMessage != nil && known {
		pv, err := d.cli.DecryptPollVote(context.Background(), e)
		if err != nil {
			say("VOTE-FAILED %s %v", e.Info.ID, err)
		} else {
			vote = []string{}
			for _, h := range pv.GetSelectedOptions() {
				for _, o := range opts {
					if s := sha256.Sum256([]byte(o)); string(s[:]) == string(h) {
						vote = append(vote, o)
					}
				}
			}
		}
	}
	say("GOT %s %s", e.Info.ID, lineOfK(m, vote))
	ks.mu.Lock()
	ks.got++
	ks.mu.Unlock()
	ks.gotCh <- struct{}{}
}

func fakeMedia(k byte) (url, path *string, key, sha, enc []byte, length *uint64) {
	u := fmt.Sprintf("https://mmg.whatsapp.net/v/t62.7118-24/wm-%d.enc", k)
	p := fmt.Sprintf("/v/t62.7118-24/wm-%d.enc?oh=z", k)
	key = make([]byte, 32)
	sha = make([]byte, 32)
	enc = make([]byte, 32)
	for i := range key {
		key[i], sha[i], enc[i] = k+byte(i), 0x40+k, 0x80+byte(i)
	}
	return &u, &p, key, sha, enc, proto.Uint64(3000 + uint64(k))
}

func kindsSend(d *driver, ctx context.Context, to types.JID, m *waE2E.Message) (string, error) {
	resp, err := d.cli.SendMessage(ctx, to, m)
	if err != nil {
		return "", err
	}
	say("SENT %s %s", resp.ID, lineOfK(m, nil))
	return resp.ID, nil
}

func init() {
	extraEvents = append(extraEvents, kindsEvent)
	extraCommands["kinds-polls"] = func(d *driver, ctx context.Context, line string, f []string) {
		if len(f) != 2 {
			say("RESULT kinds-polls failed usage")
			return
		}
		ks.mu.Lock()
		ks.file = f[1]
		if b, err := os.ReadFile(f[1]); err == nil {
			_ = json.Unmarshal(b, &ks.polls)
		}
		ks.mu.Unlock()
		say("RESULT kinds-polls ok")
	}
	extraCommands["kinds-wait"] = func(d *driver, ctx context.Context, line string, f []string) {
		n, _ := strconv.Atoi(f[len(f)-1])
		secs := 30
		if len(f) == 3 {
			n, _ = strconv.Atoi(f[1])
			secs, _ = strconv.Atoi(f[2])
		}
		deadline := time.After(time.Duration(secs) * time.Second)
		for {
			ks.mu.Lock()
			got := ks.got
			ks.mu.Unlock()
			if got >= n {
				say("RESULT kinds-wait ok")
				return
			}
			select {
			case <-ks.gotCh:
			case <-deadline:
				say("RESULT kinds-wait failed timeout (%d of %d)", got, n)
				return
			}
		}
	}
	extraCommands["kinds-vote"] = func(d *driver, ctx context.Context, line string, f []string) {
		option := strings.SplitN(strings.TrimSpace(line), " ", 2)
		ks.mu.Lock()
		info := ks.lastPoll
		ks.mu.Unlock()
		if info == nil || len(option) != 2 {
			say("RESULT kinds-vote failed no poll")
			return
		}
		m, err := d.cli.BuildPollVote(ctx, info, []string{option[1]})
		if err != nil {
			say("RESULT kinds-vote failed %v", err)
			return
		}
		resp, err := d.cli.SendMessage(ctx, info.Chat, m)
		if err != nil {
			say("RESULT kinds-vote failed %v", err)
			return
		}
		say("SENT %s %s", resp.ID, lineOfK(m, []string{option[1]}))
		say("RESULT kinds-vote ok")
	}
	extraCommands["kinds-send"] = func(d *driver, ctx context.Context, line string, f []string) {
		if len(f) != 2 {
			say("RESULT kinds-send failed usage")
			return
		}
		to, err := types.ParseJID(f[1])
		if err != nil {
			say("RESULT kinds-send failed %v", err)
			return
		}
		own := d.cli.Store.ID.ToNonAD()
		count := 0
		send := func(m *waE2E.Message) string {
			if err != nil {
				return ""
			}
			var id string
			id, err = kindsSend(d, ctx, to, m)
			count++
			return id
		}
		s := proto.String
		first := send(&waE2E.Message{Conversation: s("*negrita* _cursiva_ ~tachado~ ```mono``` from whatsmeow, ñ ✓")})
		second := send(&waE2E.Message{ExtendedTextMessage: &waE2E.ExtendedTextMessage{
			Text:        s("hey @" + to.User),
			ContextInfo: &waE2E.ContextInfo{MentionedJID: []string{to.String()}},
		}})
		send(&waE2E.Message{ExtendedTextMessage: &waE2E.ExtendedTextMessage{
			Text: s("quoting you"),
			ContextInfo: &waE2E.ContextInfo{StanzaID: s(first), Participant: s(own.String()),
				QuotedMessage: &waE2E.Message{Conversation: s("*negrita* _cursiva_ ~tachado~ ```mono``` from whatsmeow, ñ ✓")}},
		}})
		u, p, k, h, e, n := fakeMedia(1)
		send(&waE2E.Message{ImageMessage: &waE2E.ImageMessage{URL: u, DirectPath: p, MediaKey: k, FileSHA256: h, FileEncSHA256: e, FileLength: n,
			Mimetype: s("image/png"), Caption: s("wm image"), Width: proto.Uint32(100), Height: proto.Uint32(50),
			JPEGThumbnail: []byte{0xff, 0xd8, 0xff, 0xd9}}})
		u, p, k, h, e, n = fakeMedia(2)
		send(&waE2E.Message{VideoMessage: &waE2E.VideoMessage{URL: u, DirectPath: p, MediaKey: k, FileSHA256: h, FileEncSHA256: e, FileLength: n,
			Mimetype: s("video/mp4"), Seconds: proto.Uint32(30), GifPlayback: proto.Bool(true)}})
		u, p, k, h, e, n = fakeMedia(3)
		send(&waE2E.Message{AudioMessage: &waE2E.AudioMessage{URL: u, DirectPath: p, MediaKey: k, FileSHA256: h, FileEncSHA256: e, FileLength: n,
			Mimetype: s("audio/ogg; codecs=opus"), PTT: proto.Bool(true), Seconds: proto.Uint32(2), Waveform: []byte{1, 2, 3, 4}}})
		u, p, k, h, e, n = fakeMedia(4)
		send(&waE2E.Message{DocumentMessage: &waE2E.DocumentMessage{URL: u, DirectPath: p, MediaKey: k, FileSHA256: h, FileEncSHA256: e, FileLength: n,
			Mimetype: s("application/zip"), FileName: s("a|b.zip"), Caption: s("zipped")}})
		u, p, k, h, e, n = fakeMedia(5)
		send(&waE2E.Message{StickerMessage: &waE2E.StickerMessage{URL: u, DirectPath: p, MediaKey: k, FileSHA256: h, FileEncSHA256: e, FileLength: n,
			Mimetype: s("image/webp"), IsAnimated: proto.Bool(true), Width: proto.Uint32(512), Height: proto.Uint32(512)}})
		send(&waE2E.Message{LocationMessage: &waE2E.LocationMessage{DegreesLatitude: proto.Float64(-22.951916), DegreesLongitude: proto.Float64(-43.210487),
			Name: s("Cristo"), Address: s("Rio")}})
		send(&waE2E.Message{ContactMessage: &waE2E.ContactMessage{DisplayName: s("Frank"), Vcard: s("BEGIN:VCARD\nVERSION:3.0\nFN:Frank\nEND:VCARD")}})
		pollOpts := []string{"red", "green", "blue"}
		if id := send(d.cli.BuildPollCreation("whatsmeow poll", pollOpts, 2)); id != "" {
			ks.mu.Lock()
			ks.polls[id] = pollOpts
			ks.save()
			ks.mu.Unlock()
		}
		send(d.cli.BuildReaction(to, own, first, "😂"))
		send(d.cli.BuildEdit(to, first, &waE2E.Message{Conversation: s("edited by whatsmeow")}))
		send(d.cli.BuildRevoke(to, types.EmptyJID, second))
		send(&waE2E.Message{GroupInviteMessage: &waE2E.GroupInviteMessage{GroupJID: s("120363000000000003@g.us"),
			InviteCode: s("WmCode1"), InviteExpiration: proto.Int64(1900000002), GroupName: s("wm group")}})
		if err != nil {
			say("RESULT kinds-send failed %v", err)
			return
		}
		say("RESULT kinds-send ok %d", count)
	}
}
