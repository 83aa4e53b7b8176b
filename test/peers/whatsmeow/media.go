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
	"strconv"

	"go.mau.fi/whatsmeow"
)

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

func init() {
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
