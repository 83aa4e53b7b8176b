// groupadmin.go: group administration, presence and chat-state commands
// and event printers for the whatsmeow driver (test/wa/50-ponton-groups.sh),
// through main.go's extraCommands / extraEvents hooks.
//
// Commands (stdin):
//
//	ga-subject <gid> <text>         SetGroupName: RESULT ga-subject ok
//	ga-add|ga-remove|ga-promote|ga-demote <gid> <jid>
//	                                UpdateGroupParticipants:
//	                                RESULT ga-add ok <jid>:<error>[:<add
//	                                request code>:<expiration>]
//	ga-join <link>                  JoinGroupWithLink: RESULT ga-join ok <gid>
//	ga-info <gid>                   GetGroupInfo: RESULT ga-info ok <members>
//	                                <name> | <topic>
//	ga-typing <jid> composing|recording|paused   SendChatPresence
//	ga-presence available|unavailable   SendPresence (push name "Meow" if
//	                                the store has none)
//	ga-subscribe <jid>              SubscribePresence
//
// Events (stdout):
//
//	GA joined <gid> <name>                      events.JoinedGroup
//	GA info <gid> <sender|-> <key>=<value>…     events.GroupInfo (name,
//	                                topic, join, leave, promote, demote,
//	                                announce, locked, link)
//	GA picture <gid> <author|-> <id|remove>     events.Picture
//	GA chatstate <chat> <sender> <state>[/<media>]   events.ChatPresence
//	GA presence <from> available|unavailable    events.Presence
package main

import (
	"context"
	"fmt"
	"strings"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
)

func jids(js []types.JID) string {
	s := make([]string, len(js))
	for i, j := range js {
		s[i] = j.String()
	}
	return strings.Join(s, ",")
}

func gaResult(cmd string, err error, format string, args ...any) {
	if err != nil {
		say("RESULT %s failed %v", cmd, err)
		return
	}
	say("RESULT %s ok"+format, append([]any{cmd}, args...)...)
}

func init() {
	parse := func(cmd string, f []string, n int) ([]types.JID, bool) {
		if len(f) < n+1 {
			say("RESULT %s failed usage", cmd)
			return nil, false
		}
		var out []types.JID
		for _, s := range f[1 : n+1] {
			j, err := types.ParseJID(s)
			if err != nil {
				say("RESULT %s failed %v", cmd, err)
				return nil, false
			}
			out = append(out, j)
		}
		return out, true
	}
	extraCommands["ga-subject"] = func(d *driver, ctx context.Context, line string, f []string) {
		js, ok := parse(f[0], f, 1)
		if !ok || len(f) < 3 {
			return
		}
		text := strings.SplitN(strings.TrimSpace(line), " ", 3)[2]
		gaResult(f[0], d.cli.SetGroupName(ctx, js[0], text), "")
	}
	for _, a := range []string{"add", "remove", "promote", "demote"} {
		action := whatsmeow.ParticipantChange(a)
		extraCommands["ga-"+a] = func(d *driver, ctx context.Context, line string, f []string) {
			js, ok := parse(f[0], f, 2)
			if !ok {
				return
			}
			res, err := d.cli.UpdateGroupParticipants(ctx, js[0], []types.JID{js[1]}, action)
			var parts []string
			for _, p := range res {
				part := fmt.Sprintf("%s:%d", p.JID, p.Error)
				if p.AddRequest != nil {
					part += fmt.Sprintf(":%s:%d", p.AddRequest.Code, p.AddRequest.Expiration.Unix())
				}
				parts = append(parts, part)
			}
			gaResult(f[0], err, " %s", strings.Join(parts, " "))
		}
	}
	extraCommands["ga-join"] = func(d *driver, ctx context.Context, line string, f []string) {
		if len(f) != 2 {
			say("RESULT ga-join failed usage")
			return
		}
		gid, err := d.cli.JoinGroupWithLink(ctx, f[1])
		gaResult(f[0], err, " %s", gid)
	}
	extraCommands["ga-info"] = func(d *driver, ctx context.Context, line string, f []string) {
		js, ok := parse(f[0], f, 1)
		if !ok {
			return
		}
		info, err := d.cli.GetGroupInfo(ctx, js[0])
		if err != nil {
			gaResult(f[0], err, "")
			return
		}
		topic := info.Topic
		if topic == "" {
			topic = "-"
		}
		gaResult(f[0], nil, " %d %s | %s", len(info.Participants), info.Name, topic)
	}
	extraCommands["ga-typing"] = func(d *driver, ctx context.Context, line string, f []string) {
		js, ok := parse(f[0], f, 1)
		if !ok || len(f) != 3 {
			return
		}
		state, media := types.ChatPresence(f[2]), types.ChatPresenceMediaText
		if f[2] == "recording" {
			state, media = types.ChatPresenceComposing, types.ChatPresenceMediaAudio
		}
		gaResult(f[0], d.cli.SendChatPresence(ctx, js[0], state, media), "")
	}
	extraCommands["ga-presence"] = func(d *driver, ctx context.Context, line string, f []string) {
		if len(f) != 2 {
			say("RESULT ga-presence failed usage")
			return
		}
		if d.cli.Store.PushName == "" {
			d.cli.Store.PushName = "Meow"
		}
		gaResult(f[0], d.cli.SendPresence(ctx, types.Presence(f[1])), "")
	}
	extraCommands["ga-subscribe"] = func(d *driver, ctx context.Context, line string, f []string) {
		js, ok := parse(f[0], f, 1)
		if !ok {
			return
		}
		gaResult(f[0], d.cli.SubscribePresence(ctx, js[0]), "")
	}
	extraEvents = append(extraEvents, func(d *driver, raw any) {
		switch e := raw.(type) {
		case *events.JoinedGroup:
			say("GA joined %s %s", e.JID, e.Name)
		case *events.GroupInfo:
			var kv []string
			if e.Name != nil {
				kv = append(kv, "name="+e.Name.Name)
			}
			if e.Topic != nil {
				kv = append(kv, "topic="+e.Topic.Topic)
			}
			if len(e.Join) > 0 {
				kv = append(kv, "join="+jids(e.Join))
			}
			if len(e.Leave) > 0 {
				kv = append(kv, "leave="+jids(e.Leave))
			}
			if len(e.Promote) > 0 {
				kv = append(kv, "promote="+jids(e.Promote))
			}
			if len(e.Demote) > 0 {
				kv = append(kv, "demote="+jids(e.Demote))
			}
			if e.Announce != nil {
				kv = append(kv, fmt.Sprintf("announce=%v", e.Announce.IsAnnounce))
			}
			if e.Locked != nil {
				kv = append(kv, fmt.Sprintf("locked=%v", e.Locked.IsLocked))
			}
			if e.NewInviteLink != nil {
				kv = append(kv, "link="+*e.NewInviteLink)
			}
			sender := "-"
			if e.Sender != nil {
				sender = e.Sender.String()
			}
			say("GA info %s %s %s", e.JID, sender, strings.Join(kv, " "))
		case *events.Picture:
			id := e.PictureID
			if e.Remove {
				id = "remove"
			}
			say("GA picture %s %s %s", e.JID, e.Author, id)
		case *events.ChatPresence:
			st := string(e.State)
			if e.Media != "" {
				st += "/" + string(e.Media)
			}
			say("GA chatstate %s %s %s", e.Chat, e.Sender, st)
		case *events.Presence:
			av := "available"
			if e.Unavailable {
				av = "unavailable"
			}
			say("GA presence %s %s", e.From, av)
		}
	})
}
