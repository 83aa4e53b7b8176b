#!/bin/sh
# Group name and topic both ways: a Baileys contact makes a group with the
# bridged account (portal room named after it); the admin renames the room
# and sets its topic on Matrix -> the WhatsApp group's subject and
# description change (read back with Baileys' groupMetadata); the contact
# renames the group on WhatsApp -> the room's m.room.name follows.
. "$TOP/test/e2e/lib.sh"
e2e_run "$TOP/test/e2e/24_room_meta.py"
e2e_finish
