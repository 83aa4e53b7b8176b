"""23_mx_media: Matrix media -> WhatsApp (see 23-mx-media.sh)."""
import base64
import os
import ssl

import e2e

ADMIN_PHONE = "33600000001"
# A tiny JPEG (1x1).
JPEG = base64.b64decode(
    "/9j/4AAQSkZJRgABAQEASABIAAD/2wBDAP////////////////////////////////"
    "//////////////////////////////////////////////////////wgALCAABAAEB"
    "AREA/8QAFBABAAAAAAAAAAAAAAAAAAAAAP/aAAgBAQABPxA=")
OGG = b"OggS" + bytes(range(60))
PDF = b"%PDF-1.4\n% ponton e2e\n%%EOF\n"


def raw_msg(m):
    return (m or {}).get("raw", {}).get("message", {}) or {}


def trust_wasim_media(t):
    """ponton checks the media server's TLS certificate: give it wasim's
    (self-signed, read from the media port) as ponton.whatsapp.media_ca_file.
    """
    port = None
    with open(os.path.join(t.work, "wasim.ports")) as f:
        for line in f:
            if line.startswith("WASIM_MEDIA_PORT="):
                port = int(line.split("=", 1)[1])
    path = os.path.join(t.work, "wasim-media.pem")
    with open(path, "w") as f:
        f.write(ssl.get_server_certificate(("127.0.0.1", port)))
    t.config(lambda c: c["ponton"]["whatsapp"].update(media_ca_file=path))


def media_event(admin, room, msgtype, data, mime, body, **extra):
    url = admin.upload(data, mime, body)
    c = {"msgtype": msgtype, "body": body, "url": url,
         "info": {"mimetype": mime, "size": len(data)}}
    c.update(extra)
    return admin.send_event(room, "m.room.message", c)


def downloaded(b, m):
    try:
        r = b.call("$download", m["raw"], timeout=60)
    except RuntimeError:
        return None
    if isinstance(r, dict) and "$b64" in r:
        return base64.b64decode(r["$b64"])
    return None


def scenario(t):
    trust_wasim_media(t)
    t.start_ponton()
    admin = t.user("admin")
    t.login_bridge(admin, ADMIN_PHONE)
    b = t.baileys("bob", "33600000002", push_name="Bob")
    b.send_text(t.bridge_jid, "hi")
    room = t.wait_portal(admin, b.jid)
    t.check("media_portal", room is not None)
    if room is None:
        return
    media_event(admin, room, "m.image", JPEG, "image/jpeg", "pic.jpg",
                **{"info": {"mimetype": "image/jpeg", "size": len(JPEG),
                            "w": 1, "h": 1}})
    m = b.wait_message(lambda m: m["kind"] == "imageMessage", 60)
    t.check("image_kind", m is not None)
    t.check("image_bytes", m is not None and downloaded(b, m) == JPEG)
    media_event(admin, room, "m.file", PDF, "application/pdf",
                "see the doc", filename="doc.pdf")
    m = b.wait_message(lambda m: m["kind"] in (
        "documentMessage", "documentWithCaptionMessage"), 60)
    dm = raw_msg(m).get("documentMessage") or raw_msg(m).get(
        "documentWithCaptionMessage", {}).get("message", {}).get(
        "documentMessage", {})
    t.check("file_name_and_caption", dm.get("fileName") == "doc.pdf" and
            dm.get("caption") == "see the doc", dm)
    t.check("file_bytes", m is not None and downloaded(b, m) == PDF)
    media_event(admin, room, "m.audio", OGG, "audio/ogg", "voice.ogg",
                **{"info": {"mimetype": "audio/ogg", "size": len(OGG),
                            "duration": 2000},
                   "org.matrix.msc3245.voice": {},
                   "org.matrix.msc1767.audio": {"duration": 2000,
                                                "waveform": [0, 512, 1024]}})
    m = b.wait_message(lambda m: m["kind"] == "audioMessage", 60)
    am = raw_msg(m).get("audioMessage", {})
    t.check("voice_ptt", am.get("ptt") is True and am.get("seconds") == 2,
            am)
    t.check("voice_bytes", m is not None and downloaded(b, m) == OGG)


e2e.Test().run(scenario)
