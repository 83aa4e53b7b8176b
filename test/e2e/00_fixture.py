"""00_fixture: the fixture's own check (see 00-fixture.sh)."""
import e2e


def scenario(t):
    t.start_ponton()
    admin = t.user("admin")
    t.login_bridge(admin, "33600000001")
    rows = t.sql("SELECT id, user_mxid FROM user_login")
    t.check("fixture_bridge_logged_in", rows == [("33600000001",
                                                   admin.mxid)], rows)
    b = t.baileys("bob", "33600000002")
    t.check("fixture_baileys_paired", b.jid == "33600000002@s.whatsapp.net")
    w = t.whatsmeow("wendy", "33600000003")
    t.check("fixture_whatsmeow_paired", w is not None)
    b.send_text(w.jid, "hello from bob")
    got = w.wait_message(lambda m: m[2] == "hello from bob")
    t.check("fixture_peers_talk_baileys_to_whatsmeow", got is not None, got)
    w.send(b.jid, "hello from wendy")
    m = b.wait_message(lambda m: m["text"] == "hello from wendy")
    t.check("fixture_peers_talk_whatsmeow_to_baileys", m is not None)


e2e.Test().run(scenario)
