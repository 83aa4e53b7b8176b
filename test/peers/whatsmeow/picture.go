// picture.go: whatsmeow's profile-picture code (GetProfilePictureInfo, the
// Picture event) as a test peer reading wasim's pictures, through the
// driver's extraCommands / extraEvents hooks.  Commands (stdin, one per
// line; each prints one RESULT line):
//
//	picture-info JID [EXISTING_ID]
//	    -> RESULT picture-info <id> <url>, or "none" (no picture),
//	       "unchanged" (EXISTING_ID is current), "unauthorized"
//	picture-get JID PEMFILE
//	    the info, then a GET of its URL trusting PEMFILE (wasim's media
//	    certificate; TLS verified, loopback only)
//	    -> RESULT picture-get <id> <bytes> <sha256 hex>
//
// Events: "PICTURE <jid> <id>" (or "<jid> remove") for each
// events.Picture.  Failures: "RESULT <command> failed <why>".
package main

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"os"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
)

// pictureMax bounds a downloaded picture (real ones are well under 1 MiB).
const pictureMax = 4 << 20

func pictureInfo(d *driver, ctx context.Context, jidS, existing string) (*types.ProfilePictureInfo, string, error) {
	jid, err := types.ParseJID(jidS)
	if err != nil {
		return nil, "", err
	}
	info, err := d.cli.GetProfilePictureInfo(ctx, jid, &whatsmeow.GetProfilePictureParams{ExistingID: existing})
	switch {
	case errors.Is(err, whatsmeow.ErrProfilePictureNotSet):
		return nil, "none", nil
	case errors.Is(err, whatsmeow.ErrProfilePictureUnauthorized):
		return nil, "unauthorized", nil
	case err != nil:
		return nil, "", err
	case info == nil:
		return nil, "unchanged", nil
	}
	return info, "", nil
}

func init() {
	extraCommands["picture-info"] = func(d *driver, ctx context.Context, line string, f []string) {
		if len(f) != 2 && len(f) != 3 {
			say("RESULT picture-info failed usage: picture-info JID [EXISTING_ID]")
			return
		}
		existing := ""
		if len(f) == 3 {
			existing = f[2]
		}
		info, word, err := pictureInfo(d, ctx, f[1], existing)
		if err != nil {
			say("RESULT picture-info failed %v", err)
		} else if info == nil {
			say("RESULT picture-info %s", word)
		} else {
			say("RESULT picture-info %s %s", info.ID, info.URL)
		}
	}
	extraCommands["picture-get"] = func(d *driver, ctx context.Context, line string, f []string) {
		if len(f) != 3 {
			say("RESULT picture-get failed usage: picture-get JID PEMFILE")
			return
		}
		info, word, err := pictureInfo(d, ctx, f[1], "")
		if err == nil && info == nil {
			err = fmt.Errorf("no picture: %s", word)
		}
		if err != nil {
			say("RESULT picture-get failed %v", err)
			return
		}
		pem, err := os.ReadFile(f[2])
		pool := x509.NewCertPool()
		if err != nil || !pool.AppendCertsFromPEM(pem) {
			say("RESULT picture-get failed no certificate in %s", f[2])
			return
		}
		resp, err := loopbackTLSClient(pool).Get(info.URL)
		if err != nil {
			say("RESULT picture-get failed %v", err)
			return
		}
		defer resp.Body.Close()
		if resp.StatusCode != 200 {
			say("RESULT picture-get failed HTTP %d", resp.StatusCode)
			return
		}
		data, err := io.ReadAll(io.LimitReader(resp.Body, pictureMax+1))
		if err != nil || len(data) > pictureMax {
			say("RESULT picture-get failed read: %v (%d bytes)", err, len(data))
			return
		}
		say("RESULT picture-get %s %d %x", info.ID, len(data), sha256.Sum256(data))
	}
	extraEvents = append(extraEvents, func(d *driver, raw any) {
		e, ok := raw.(*events.Picture)
		if !ok {
			return
		}
		if e.Remove {
			say("PICTURE %s remove", e.JID)
		} else {
			say("PICTURE %s %s", e.JID, e.PictureID)
		}
	})
}
