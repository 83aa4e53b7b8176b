// media.go: whatsmeow's own media code (Upload, DownloadMediaWithPath) as a
// test peer for ponton's waweb/media.c, through the driver's extraCommands
// hook.  Commands (stdin, one per line; each prints one RESULT line):
//
//	media-ca PEMFILE
//	    trust PEMFILE (wasim's --media-cert-file) as the only root for
//	    media HTTPS, replacing the driver's refusing media client; TLS stays
//	    verified.  Dials are allowed to loopback only.
//	    -> RESULT media-ca ok
//	media-upload TYPE FILE
//	    -> RESULT media-upload <directPath> <mediaKey b64> <fileSha256 hex>
//	       <fileEncSha256 hex> <fileLength>
//	media-download TYPE PATH KEY_B64 SHA_HEX ENC_SHA_HEX LEN OUTFILE
//	    -> RESULT media-download <bytes> <sha256 hex>
//	media-save-dir DIR
//	    from now on every media message received is downloaded (in the
//	    background) into DIR/<id> and printed as "MEDIA <kind> <id> <bytes>
//	    <sha256 hex> <ptt 0|1> <waveform length> <thumbnail length>
//	    <fileName|-> <mimetype>" (or "MEDIA-FAIL <kind> <id> <why>")
//	    -> RESULT media-save-dir ok
//	wait-media N SECS
//	    -> RESULT wait-media ok, once N such downloads finished
//	send-media JID TYPE FILE
//	    upload FILE and send it as an image (the file's first 64 bytes as
//	    JPEGThumbnail), a voice note (ptt: audio/ogg; codecs=opus, a
//	    64-sample waveform) or a document (application/pdf, named after
//	    the file) -> RESULT send-media <id>
//
// The environment can set the last two before any command runs (messages
// from the offline queue may arrive first): WM_MEDIA_CA=PEMFILE as
// media-ca, WM_MEDIA_DIR=DIR as media-save-dir.
//
// Failures: "RESULT <command> failed <why>".  TYPE: image, video, audio,
// ptt (audio keys), document, sticker (image keys).
package main

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
	"google.golang.org/protobuf/proto"
)

// Where received media go (media-save-dir), and one token per finished
// download for wait-media.
var (
	mediaDir  = os.Getenv("WM_MEDIA_DIR")
	mediaDone = make(chan struct{}, maxQueued)
	envCAOnce sync.Once
)

// applyEnvCA installs WM_MEDIA_CA's client once, before the first download.
func applyEnvCA(d *driver) {
	envCAOnce.Do(func() {
		path := os.Getenv("WM_MEDIA_CA")
		if path == "" {
			return
		}
		pem, err := os.ReadFile(path)
		pool := x509.NewCertPool()
		if err != nil || !pool.AppendCertsFromPEM(pem) {
			say("ERROR WM_MEDIA_CA: no certificate in %s", path)
			return
		}
		d.cli.SetMediaHTTPClient(loopbackTLSClient(pool))
	})
}

// mediaOf returns the downloadable part of a message and its description.
func mediaOf(m *waE2E.Message) (whatsmeow.DownloadableMessage, string, bool, int, int, string, string) {
	switch {
	case m.GetImageMessage() != nil:
		im := m.GetImageMessage()
		return im, "image", false, 0, len(im.GetJPEGThumbnail()), "", im.GetMimetype()
	case m.GetAudioMessage() != nil:
		am := m.GetAudioMessage()
		return am, "audio", am.GetPTT(), len(am.GetWaveform()), 0, "", am.GetMimetype()
	case m.GetDocumentMessage() != nil:
		dm := m.GetDocumentMessage()
		return dm, "document", false, 0, len(dm.GetJPEGThumbnail()), dm.GetFileName(), dm.GetMimetype()
	case m.GetVideoMessage() != nil:
		vm := m.GetVideoMessage()
		return vm, "video", false, 0, len(vm.GetJPEGThumbnail()), "", vm.GetMimetype()
	case m.GetStickerMessage() != nil:
		sm := m.GetStickerMessage()
		return sm, "sticker", false, 0, 0, "", sm.GetMimetype()
	}
	return nil, "", false, 0, 0, "", ""
}

func onMediaEvent(d *driver, raw any) {
	e, ok := raw.(*events.Message)
	if !ok || mediaDir == "" {
		return
	}
	dm, kind, ptt, wave, thumb, name, mime := mediaOf(e.Message)
	if dm == nil {
		return
	}
	id := e.Info.ID
	applyEnvCA(d)
	go func() {
		defer func() { mediaDone <- struct{}{} }()
		data, err := d.cli.Download(context.Background(), dm)
		if err != nil {
			say("MEDIA-FAIL %s %s %v", kind, id, err)
			return
		}
		if err = os.WriteFile(filepath.Join(mediaDir, id), data, 0o644); err != nil {
			say("MEDIA-FAIL %s %s %v", kind, id, err)
			return
		}
		if name == "" {
			name = "-"
		}
		p := 0
		if ptt {
			p = 1
		}
		say("MEDIA %s %s %d %x %d %d %d %s %s", kind, id, len(data), sha256.Sum256(data), p, wave, thumb, name, mime)
	}()
}

func mediaType(name string) (whatsmeow.MediaType, bool) {
	switch name {
	case "image", "sticker":
		return whatsmeow.MediaImage, true
	case "video":
		return whatsmeow.MediaVideo, true
	case "audio", "ptt":
		return whatsmeow.MediaAudio, true
	case "document":
		return whatsmeow.MediaDocument, true
	}
	return "", false
}

// loopbackTLSClient verifies the server against pool and refuses to dial
// anything but a loopback address.
func loopbackTLSClient(pool *x509.CertPool) *http.Client {
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, err
		}
		if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			return nil, fmt.Errorf("media dial to %s refused: loopback only", addr)
		}
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}
	return &http.Client{Transport: &http.Transport{
		DialContext:     dial,
		TLSClientConfig: &tls.Config{RootCAs: pool},
	}}
}

func sendMedia(d *driver, ctx context.Context, f []string) {
	to, err := types.ParseJID(f[1])
	if err != nil {
		say("RESULT send-media failed %v", err)
		return
	}
	mt, ok := mediaType(f[2])
	if !ok {
		say("RESULT send-media failed unknown type %s", f[2])
		return
	}
	data, err := os.ReadFile(f[3])
	if err != nil {
		say("RESULT send-media failed %v", err)
		return
	}
	applyEnvCA(d)
	up, err := d.cli.Upload(ctx, data, mt)
	if err != nil {
		say("RESULT send-media failed %v", err)
		return
	}
	now := proto.Int64(time.Now().Unix())
	var msg *waE2E.Message
	switch f[2] {
	case "image":
		thumb := data
		if len(thumb) > 64 {
			thumb = thumb[:64]
		}
		msg = &waE2E.Message{ImageMessage: &waE2E.ImageMessage{
			URL: proto.String(up.URL), DirectPath: proto.String(up.DirectPath),
			MediaKey: up.MediaKey, FileEncSHA256: up.FileEncSHA256, FileSHA256: up.FileSHA256,
			FileLength: proto.Uint64(up.FileLength), Mimetype: proto.String("image/jpeg"),
			MediaKeyTimestamp: now, JPEGThumbnail: thumb,
		}}
	case "ptt":
		wave := make([]byte, 64)
		for i := range wave {
			wave[i] = byte((i * 7) % 101)
		}
		msg = &waE2E.Message{AudioMessage: &waE2E.AudioMessage{
			URL: proto.String(up.URL), DirectPath: proto.String(up.DirectPath),
			MediaKey: up.MediaKey, FileEncSHA256: up.FileEncSHA256, FileSHA256: up.FileSHA256,
			FileLength: proto.Uint64(up.FileLength), Mimetype: proto.String("audio/ogg; codecs=opus"),
			MediaKeyTimestamp: now, PTT: proto.Bool(true), Seconds: proto.Uint32(1), Waveform: wave,
		}}
	case "document":
		msg = &waE2E.Message{DocumentMessage: &waE2E.DocumentMessage{
			URL: proto.String(up.URL), DirectPath: proto.String(up.DirectPath),
			MediaKey: up.MediaKey, FileEncSHA256: up.FileEncSHA256, FileSHA256: up.FileSHA256,
			FileLength: proto.Uint64(up.FileLength), Mimetype: proto.String("application/pdf"),
			MediaKeyTimestamp: now, FileName: proto.String(filepath.Base(f[3])),
		}}
	default:
		say("RESULT send-media failed cannot send %s", f[2])
		return
	}
	resp, err := d.cli.SendMessage(ctx, to, msg)
	if err != nil {
		say("RESULT send-media failed %v", err)
		return
	}
	say("RESULT send-media %s", resp.ID)
}

func init() {
	extraEvents = append(extraEvents, onMediaEvent)
	extraCommands["media-save-dir"] = func(d *driver, ctx context.Context, line string, f []string) {
		if len(f) != 2 {
			say("RESULT media-save-dir failed usage: media-save-dir DIR")
			return
		}
		mediaDir = f[1]
		say("RESULT media-save-dir ok")
	}
	extraCommands["wait-media"] = func(d *driver, ctx context.Context, line string, f []string) {
		n, secs := 1, 30
		if len(f) == 3 {
			n, _ = strconv.Atoi(f[1])
			secs, _ = strconv.Atoi(f[2])
		}
		deadline := time.After(time.Duration(secs) * time.Second)
		for i := 0; i < n; i++ {
			select {
			case <-mediaDone:
			case <-deadline:
				say("RESULT wait-media failed timeout after %d", i)
				return
			}
		}
		say("RESULT wait-media ok")
	}
	extraCommands["send-media"] = func(d *driver, ctx context.Context, line string, f []string) {
		if len(f) != 4 {
			say("RESULT send-media failed usage: send-media JID TYPE FILE")
			return
		}
		sendMedia(d, ctx, f)
	}
	extraCommands["media-ca"] = func(d *driver, ctx context.Context, line string, f []string) {
		if len(f) != 2 {
			say("RESULT media-ca failed usage: media-ca PEMFILE")
			return
		}
		pem, err := os.ReadFile(f[1])
		if err != nil {
			say("RESULT media-ca failed %v", err)
			return
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			say("RESULT media-ca failed no certificate in %s", f[1])
			return
		}
		envCAOnce.Do(func() {})
		d.cli.SetMediaHTTPClient(loopbackTLSClient(pool))
		say("RESULT media-ca ok")
	}
	extraCommands["media-upload"] = func(d *driver, ctx context.Context, line string, f []string) {
		if len(f) != 3 {
			say("RESULT media-upload failed usage: media-upload TYPE FILE")
			return
		}
		mt, ok := mediaType(f[1])
		if !ok {
			say("RESULT media-upload failed unknown type %s", f[1])
			return
		}
		data, err := os.ReadFile(f[2])
		if err != nil {
			say("RESULT media-upload failed %v", err)
			return
		}
		up, err := d.cli.Upload(ctx, data, mt)
		if err != nil {
			say("RESULT media-upload failed %v", err)
			return
		}
		say("RESULT media-upload %s %s %x %x %d", up.DirectPath,
			base64.StdEncoding.EncodeToString(up.MediaKey), up.FileSHA256,
			up.FileEncSHA256, up.FileLength)
	}
	extraCommands["media-download"] = func(d *driver, ctx context.Context, line string, f []string) {
		if len(f) != 8 {
			say("RESULT media-download failed usage: media-download TYPE PATH KEY_B64 SHA_HEX ENC_SHA_HEX LEN OUT")
			return
		}
		mt, ok := mediaType(f[1])
		if !ok {
			say("RESULT media-download failed unknown type %s", f[1])
			return
		}
		key, err1 := base64.StdEncoding.DecodeString(f[3])
		sha, err2 := hex.DecodeString(f[4])
		encSha, err3 := hex.DecodeString(f[5])
		n, err4 := strconv.Atoi(f[6])
		for _, err := range []error{err1, err2, err3, err4} {
			if err != nil {
				say("RESULT media-download failed %v", err)
				return
			}
		}
		data, err := d.cli.DownloadMediaWithPath(ctx, f[2], encSha, sha, key, n, mt, "")
		if err != nil {
			say("RESULT media-download failed %v", err)
			return
		}
		if err = os.WriteFile(f[7], data, 0o644); err != nil {
			say("RESULT media-download failed %v", err)
			return
		}
		say("RESULT media-download %d %x", len(data), sha256.Sum256(data))
	}
}
