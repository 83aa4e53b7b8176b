"""25_ghost_avatar_change: a user's picture change reaches its ghost (see
25-ghost-avatar-change.sh)."""
import base64
import io
import os
import ssl
import urllib.request

from PIL import Image

import e2e


def jpeg(color):
    b = io.BytesIO()
    Image.new("RGB", (96, 96), color).save(b, "JPEG")
    return {"$b64": base64.b64encode(b.getvalue()).decode()}


def served(t, b, jid):
    """wasim's picture of jid as Baileys reads it (TLS verified)."""
    try:
        url = b.call("profilePictureUrl", jid, "image")
    except RuntimeError:
        return None
    ctx = ssl.create_default_context(cafile=os.path.join(
        t.work, "wasim-media.pem"))
    with urllib.request.urlopen(url, context=ctx, timeout=30) as r:
        return r.read()


def ghost_avatar(t, admin, mxid):
    st, js = e2e.http("GET", t.syn_url + "/_matrix/client/v3/profile/%s/"
                      "avatar_url" % e2e.q(mxid), None, admin.token)
    return (js or {}).get("avatar_url") if st == 200 else None


def scenario(t):
    t.start_ponton()
    admin = t.user("admin")
    t.login_bridge(admin, "33600000001")
    b = t.baileys("bob", "33600000002")
    b.call("updateProfilePicture", b.jid, jpeg((200, 30, 30)))
    one = served(t, b, b.jid)
    b.send_text(t.bridge_jid, "hello")
    t.check("gac_dm_portal", t.wait_portal(admin, b.jid) is not None)
    gmx = "@whatsapp_%s:%s" % (b.phone, e2e.SERVER)
    first = e2e.wait(lambda: ghost_avatar(t, admin, gmx), 60)
    t.check("gac_first_avatar", first is not None and
            admin.download(first) == one, first)

    b.call("updateProfilePicture", b.jid, jpeg((30, 30, 200)))
    two = served(t, b, b.jid)
    mxc = e2e.wait(lambda: (lambda m: m if m and m != first else None)(
        ghost_avatar(t, admin, gmx)), 60)
    t.check("gac_ghost_follows_a_change", mxc is not None and
            two != one and admin.download(mxc) == two, mxc)

    b.call("removeProfilePicture", b.jid)
    gone = e2e.wait(lambda: ghost_avatar(t, admin, gmx) in (None, ""), 60)
    t.check("gac_ghost_avatar_removed", gone, ghost_avatar(t, admin, gmx))
    # The row is written once Synapse answered the profile change, just
    # after the change is visible: wait for it.
    q = lambda: t.sql("SELECT avatar_id, avatar_mxc FROM ghost WHERE id=?",
                      (b.phone,))
    rows = e2e.wait(lambda: (lambda r: r if r == [("remove", "")] else None)(
        q()), 30) or q()
    t.check("gac_ghost_row_removed", rows == [("remove", "")], rows)


e2e.Test().run(scenario)
