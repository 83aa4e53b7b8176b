#!/bin/sh
# Contacts on ghosts (bridge/contacts.c, net_wa_appstate.c) against Synapse
# + wasim + ponton, a whatsmeow peer paired as another device of the
# bridge's account playing its phone, and a Baileys contact Bob.  With
# displayname_template '{{or .FullName .PushName .Phone}} (WA)': Bob writes
# first (his ghost is named from his push name, which lands in
# whatsmeow_contacts); the phone uploads a ContactAction for Bob before
# ponton has its app-state key: `sync appstate critical_unblock_low`
# answers upstream's key-not-found text and nothing is renamed; the phone
# shares its key with ponton's device: ponton fetches the collection,
# stores the names and renames the ghost to the full name; a rename patch
# (server_sync notification) renames it again; after a restart with a
# template of first names, the ghost keeps its name until `sync contacts`
# re-applies every stored contact to Bob's phone-number and LID ghosts
# (✅ reaction; the push name was stored under both forms), `sync
# contacts-with-avatars` too; `sync appstate critical_unblock_low`,
# `sync appstate` with a bad name, `sync` with an unknown target and
# without one answer with upstream's texts.
. "$TOP/test/e2e/lib.sh"
e2e_run "$TOP/test/e2e/26_contacts.py"
e2e_finish
