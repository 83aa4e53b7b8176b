// groupfirst.go: ponton's test/wa/46 (a peer's first message in a group it
// has just created with us), through the extraCommands hook of main.go.
//
//	create-first <n> <jid>...   n times: create a group "first <i>" with the
//	                            members, print "GROUP <gid>", send the text
//	                            "first message <i>" at once, print
//	                            "SENT <gid> <id>"; then "RESULT create-first
//	                            <n>" (or "RESULT create-first failed ...")
//	stay <secs>                 stay connected that long (retry receipts
//	                            are answered meanwhile): "RESULT stay"
//
// Retry receipts whatsmeow receives are answered by whatsmeow itself (its
// recent-message cache); RETRY lines are not printed here (wasim's log
// has every receipt).
package main

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"google.golang.org/protobuf/proto"
)

func init() {
	extraCommands["stay"] = func(d *driver, ctx context.Context, line string, f []string) {
		secs, err := 0, error(nil)
		if len(f) == 2 {
			secs, err = strconv.Atoi(f[1])
		}
		if len(f) != 2 || err != nil || secs < 1 || secs > 60 {
			say("RESULT stay failed usage: stay <secs> (1..60)")
			return
		}
		select {
		case <-time.After(time.Duration(secs) * time.Second):
		case <-ctx.Done():
		}
		say("RESULT stay")
	}
	extraCommands["create-first"] = func(d *driver, ctx context.Context, line string, f []string) {
		if len(f) < 3 {
			say("RESULT create-first failed usage: create-first <n> <jid>...")
			return
		}
		n, err := strconv.Atoi(f[1])
		if err != nil || n < 1 || n > 100 {
			say("RESULT create-first failed bad count")
			return
		}
		var parts []types.JID
		for _, s := range f[2:] {
			j, err := types.ParseJID(s)
			if err != nil {
				say("RESULT create-first failed %v", err)
				return
			}
			parts = append(parts, j)
		}
		for i := 1; i <= n; i++ {
			info, err := d.cli.CreateGroup(ctx, whatsmeow.ReqCreateGroup{Name: fmt.Sprintf("first %d", i), Participants: parts})
			if err != nil {
				say("RESULT create-first failed create: %v", err)
				return
			}
			say("GROUP %s", info.JID)
			text := fmt.Sprintf("first message %d", i)
			resp, err := d.cli.SendMessage(ctx, info.JID, &waE2E.Message{Conversation: proto.String(text)})
			if err != nil {
				say("RESULT create-first failed send: %v", err)
				return
			}
			say("SENT %s %s", info.JID, resp.ID)
		}
		say("RESULT create-first %d", n)
	}
}
