"""24_room_meta: group name and topic both ways (see 24-room-meta.sh)."""
import e2e


def scenario(t):
    t.start_ponton()
    admin = t.user("admin")
    t.login_bridge(admin, "33600000001")
    b = t.baileys("bob", "33600000002")
    gid = b.call("groupCreate", "Jardin", [t.bridge_jid])["id"]
    room = t.wait_portal(admin, gid)
    t.check("meta_portal_room", room is not None, gid)
    if room is None:
        return
    name = e2e.wait(lambda: (admin.state(room, "m.room.name") or {}).get(
        "name"), 30)
    t.check("meta_room_named_after_group", name == "Jardin", name)

    # Matrix -> WhatsApp: room name and topic.
    admin.set_state(room, "m.room.name", {"name": "Jardin partagé"})
    meta = e2e.wait(lambda: (lambda m: m if m.get("subject") ==
                             "Jardin partagé" else None)(
        b.call("groupMetadata", gid)), 30, 1.0)
    t.check("meta_name_to_subject", meta is not None,
            b.call("groupMetadata", gid).get("subject"))
    admin.set_state(room, "m.room.topic", {"topic": "Les légumes du coin"})
    meta = e2e.wait(lambda: (lambda m: m if m.get("desc") ==
                             "Les légumes du coin" else None)(
        b.call("groupMetadata", gid)), 30, 1.0)
    t.check("meta_topic_to_description", meta is not None,
            b.call("groupMetadata", gid).get("desc"))

    # WhatsApp -> Matrix: the contact renames the group.
    b.call("groupUpdateSubject", gid, "Jardin d'hiver")
    name = e2e.wait(lambda: (lambda n: n if n == "Jardin d'hiver" else None)(
        (admin.state(room, "m.room.name") or {}).get("name")), 30)
    t.check("meta_subject_to_room_name", name == "Jardin d'hiver", name)


e2e.Test().run(scenario)
