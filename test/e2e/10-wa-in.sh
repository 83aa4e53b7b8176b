#!/bin/sh
# WhatsApp -> Matrix, case by case (test/e2e/10_wa_in.py): a Baileys
# contact's first message makes the DM portal (admin invited, is_direct,
# the contact's ghost named from the push name); text with WhatsApp markup
# arrives as HTML; a reply points at the replied event; an edit is an
# m.replace; a reaction is an m.reaction (and its removal a redaction); a
# delete for everyone redacts; a location is m.location with a geo: URI; a
# group the contact creates with the account gets its portal on the first
# message, the contact's ghost joined; a whatsmeow contact's text arrives
# in its own DM portal.
. "$TOP/test/e2e/lib.sh"
e2e_run "$TOP/test/e2e/10_wa_in.py"
e2e_finish
