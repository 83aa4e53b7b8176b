"""25_avatars: WhatsApp pictures on Matrix (see 25-avatars.sh)."""
import hashlib
import io
import os
import ssl
import urllib.request

from PIL import Image

import e2e


def jpeg(color):
    b = io.BytesIO()
    Image.new("RGB", (96, 96), color).save(b, "JPEG")
    return {"$b64": __import__("base64").b64encode(b.getvalue()).decode()}


def fetch(t, url):
    """A picture URL of wasim's media server, TLS verified against its
    certificate: the bytes, or None."""
    if not url:
        return None
    ctx = ssl.create_default_context(cafile=os.path.join(
        t.work, "wasim-media.pem"))
    try:
        with urllib.request.urlopen(url, context=ctx, timeout=30) as r:
            return r.read()
    except Exception:
        return None


def sha(b):
    return hashlib.sha256(b).hexdigest() if b is not None else None


def served(t, b, jid):
    """What wasim serves as jid's picture, read the Baileys way."""
    try:
        url = b.call("profilePictureUrl", jid, "image")
    except RuntimeError:
        return None
    return fetch(t, url)


def room_avatar_bytes(t, admin, room):
    st = admin.state(room, "m.room.avatar") or {}
    mxc = st.get("url")
    if not mxc:
        return None
    data = admin.download(mxc)
    return data


def ghost_avatar(t, admin, mxid):
    st, js = e2e.http("GET", t.syn_url + "/_matrix/client/v3/profile/%s/"
                      "avatar_url" % e2e.q(mxid), None, admin.token)
    return (js or {}).get("avatar_url") if st == 200 else None


def scenario(t):
    t.start_ponton()
    admin = t.user("admin")
    t.login_bridge(admin, "33600000001")
    b = t.baileys("bob", "33600000002")
    w = t.whatsmeow("wendy", "33600000003")
    pem = os.path.join(t.work, "wasim-media.pem")

    # ---- a user's picture, read by Baileys and whatsmeow ----
    b.call("updateProfilePicture", b.jid, jpeg((200, 30, 30)))
    bob1 = served(t, b, b.jid)
    t.check("av_wasim_serves_user_picture_to_baileys", bob1 is not None and
            bob1[:2] == b"\xff\xd8", len(bob1 or b""))
    r = w.cmd("picture-get %s %s" % (b.jid, pem)) or ""
    t.check("av_wasim_serves_user_picture_to_whatsmeow",
            r.split()[3:5] == [str(len(bob1 or b"")), sha(bob1)], r)
    pid = r.split()[2] if len(r.split()) > 2 else "x"
    ev = e2e.wait(lambda: [l for l in list(w.history) if l.startswith(
        "PICTURE %s %s" % (b.jid, pid))], 30)
    t.check("av_whatsmeow_gets_the_user_picture_event", ev, pid)
    r = w.cmd("picture-info %s %s" % (b.jid, pid)) or ""
    t.check("av_wasim_known_id_unchanged", r.endswith(" unchanged"), r)
    r = w.cmd("picture-info 33600000099@s.whatsapp.net") or ""
    t.check("av_wasim_no_picture_404", r.endswith(" none"), r)

    # ---- the ghost's avatar on first sight ----
    b.send_text(t.bridge_jid, "hello with a face")
    dm = t.wait_portal(admin, b.jid)
    t.check("av_dm_portal", dm is not None, b.jid)
    gmx = "@whatsapp_%s:%s" % (b.phone, e2e.SERVER)
    mxc = e2e.wait(lambda: ghost_avatar(t, admin, gmx), 60)
    data = admin.download(mxc) if mxc else None
    t.check("av_ghost_avatar_is_the_picture", data is not None and
            data == bob1, "%s %s" % (mxc, len(data or b"")))
    # bridge.private_chat_portal_meta (true in the example config): the
    # DM room shows the contact's picture too.
    dmav = e2e.wait(lambda: room_avatar_bytes(t, admin, dm), 60) \
        if dm else None
    t.check("av_dm_room_avatar_is_the_picture", dmav == bob1,
            len(dmav or b""))
    # Rows are written once Synapse answered, just after the change is
    # visible there: wait for them.
    want = [(pid, sha(bob1), mxc)]
    q = lambda: t.sql("SELECT avatar_id, avatar_hash, avatar_mxc FROM ghost "
                      "WHERE id=?", (b.phone,))
    rows = e2e.wait(lambda: (lambda r: r if r == want else None)(q()),
                    30) or q()
    t.check("av_ghost_row_saved", rows == want, rows)

    # ---- a group's picture: set, changed, removed ----
    gid = b.call("groupCreate", "Photos", [t.bridge_jid, w.jid])["id"]
    room = t.wait_portal(admin, gid)
    t.check("av_group_portal", room is not None, gid)
    if room is None:
        return
    b.call("updateProfilePicture", gid, jpeg((30, 200, 30)))
    g1 = served(t, b, gid)
    r = w.cmd("picture-get %s %s" % (gid, pem)) or ""
    t.check("av_wasim_serves_group_picture", g1 is not None and
            r.split()[3:5] == [str(len(g1)), sha(g1)], r)
    got = e2e.wait(lambda: (lambda d: d if d == g1 else None)(
        room_avatar_bytes(t, admin, room)), 60)
    t.check("av_room_avatar_is_the_group_picture", got is not None and
            got == g1, len(got or b""))
    b.call("updateProfilePicture", gid, jpeg((30, 30, 200)))
    g2 = served(t, b, gid)
    got = e2e.wait(lambda: (lambda d: d if d == g2 else None)(
        room_avatar_bytes(t, admin, room)), 60)
    t.check("av_room_avatar_follows_a_change", got is not None and
            g2 != g1 and got == g2, len(got or b""))
    b.call("removeProfilePicture", gid)
    def no_url():
        st = admin.state(room, "m.room.avatar")
        return st is not None and "url" not in st
    gone = e2e.wait(no_url, 60)
    t.check("av_room_avatar_removed", gone,
            admin.state(room, "m.room.avatar"))
    q = lambda: t.sql("SELECT avatar_id, avatar_mxc FROM portal WHERE id=?",
                      (gid,))
    rows = e2e.wait(lambda: (lambda r: r if r == [("remove", "")] else None)(
        q()), 30) or q()
    t.check("av_portal_row_removed", rows == [("remove", "")], rows)
    # The bridge's own m.room.avatar changes did not go back to WhatsApp
    # (the picture stays removed, no set from ponton).
    t.check("av_no_echo_to_whatsapp", served(t, b, gid) is None,
            "picture set again")


e2e.Test().run(scenario)
