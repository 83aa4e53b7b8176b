#!/bin/sh
# WhatsApp -> Matrix, case by case (test/e2e/10_wa_in.py): a Baileys
# contact's first message makes the DM portal (admin invited, is_direct,
# the contact's ghost named from the push name); text with WhatsApp markup
# arrives as HTML; a reply points at the replied event; an edit is an
# m.replace; a reaction is an m.reaction (and its removal a redaction); a
# delete for everyone redacts; a location is m.location with a geo: URI; a
# contact card is its vCard as an m.file; a poll is an MSC3381 poll start;
# an image whose download fails (wasim's media server is not trusted: no
# CA option yet) is the "Failed to bridge media" notice and later messages
# still flow; Bob reading the admin's message is an m.read by his ghost;
# Bob typing (and pausing) is his ghost typing (and not); a
# group the contact creates with the account gets its portal at once
# (named, the creator's ghost joined with the superadmin power level 75)
# and the group's text arrives from the contact's ghost; a whatsmeow
# contact's text arrives in its own DM portal, and a group it creates with
# the account gets its portal (named, its ghost joined) and its text; a
# message our account
# writes from another device (a second Baileys paired as the bridge's
# phone) lands in the DM portal from the account's own ghost; nothing is
# left pending.
. "$TOP/test/e2e/lib.sh"
e2e_run "$TOP/test/e2e/10_wa_in.py"
e2e_finish
