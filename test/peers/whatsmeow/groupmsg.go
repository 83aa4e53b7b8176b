// groupmsg.go: group commands and event lines for ponton's test/wa/45
// (through the extraCommands / extraEvents hooks of main.go).
//
//	create-group <subject> <jid>...  RESULT create-group <gid>
//	wait-group <n> <secs>   until n group texts (non-empty) have been seen
//	                        in all: RESULT wait-group <n>, or
//	                        "RESULT wait-group failed timeout <seen>"
//	                        (whatsmeow also reports a sender-key
//	                        distribution alone as an empty message: not
//	                        counted)
//	GMESSAGE <chat> <sender> <id> <text>    a group text (event)
//	RECEIPT <chat> <sender> <type|delivery> <id>[,<id>...]  (event)
//	GREACTION <chat> <sender> <id> <target id> <emoji>      (event)
//
// "send <gid> <text>" and "wait-message" of main.go work for groups as
// they are (whatsmeow fetches the member list itself).
package main

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
)

var (
	groupMu    sync.Mutex
	groupTexts int
	groupSeen  = make(chan struct{}, 1024)
)

func init() {
	extraCommands["wait-group"] = func(d *driver, ctx context.Context, line string, f []string) {
		if len(f) != 3 {
			say("RESULT wait-group failed usage: wait-group <n> <secs>")
			return
		}
		n, err1 := strconv.Atoi(f[1])
		secs, err2 := strconv.Atoi(f[2])
		if err1 != nil || err2 != nil || secs <= 0 || secs > 600 {
			say("RESULT wait-group failed bad arguments")
			return
		}
		deadline := time.After(time.Duration(secs) * time.Second)
		for {
			groupMu.Lock()
			seen := groupTexts
			groupMu.Unlock()
			if seen >= n {
				say("RESULT wait-group %d", n)
				return
			}
			select {
			case <-groupSeen:
			case <-deadline:
				say("RESULT wait-group failed timeout %d", seen)
				return
			}
		}
	}
	extraCommands["create-group"] = func(d *driver, ctx context.Context, line string, f []string) {
		if len(f) < 3 {
			say("RESULT create-group failed usage: create-group <subject> <jid>...")
			return
		}
		var parts []types.JID
		for _, s := range f[2:] {
			j, err := types.ParseJID(s)
			if err != nil {
				say("RESULT create-group failed %v", err)
				return
			}
			parts = append(parts, j)
		}
		info, err := d.cli.CreateGroup(ctx, whatsmeow.ReqCreateGroup{Name: f[1], Participants: parts})
		if err != nil {
			say("RESULT create-group failed %v", err)
			return
		}
		say("RESULT create-group %s", info.JID)
	}
	extraEvents = append(extraEvents, func(d *driver, raw any) {
		switch e := raw.(type) {
		case *events.Message:
			if !e.Info.IsGroup {
				return
			}
			if r := e.Message.GetReactionMessage(); r != nil {
				say("GREACTION %s %s %s %s %s", e.Info.Chat, e.Info.Sender, e.Info.ID, r.GetKey().GetID(), r.GetText())
				return
			}
			text := e.Message.GetConversation()
			if text == "" {
				text = e.Message.GetExtendedTextMessage().GetText()
			}
			say("GMESSAGE %s %s %s %s", e.Info.Chat, e.Info.Sender, e.Info.ID, text)
			if text != "" {
				groupMu.Lock()
				groupTexts++
				groupMu.Unlock()
				select {
				case groupSeen <- struct{}{}:
				default:
				}
			}
		case *events.Receipt:
			t := string(e.Type)
			if t == "" {
				t = "delivery"
			}
			say("RECEIPT %s %s %s %s", e.Chat, e.Sender, t, strings.Join(e.MessageIDs, ","))
		}
	})
}
