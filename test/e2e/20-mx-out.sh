#!/bin/sh
# Matrix -> WhatsApp (bridge/portal_out.c): in a DM portal, the admin's text
# with formatting, a reply, an edit, a reaction and its removal, a location,
# a redaction (revoke), a read receipt and typing reach the Baileys peer as
# WhatsApp expects them; m.notice is not bridged by default; a send that
# WhatsApp refuses (wasim 463) reaches the Matrix sender as a status event
# and a notice, and the next message goes through; whatsmeow receives text.
# Media: 23-mx-media.sh.
. "$TOP/test/e2e/lib.sh"
e2e_run "$TOP/test/e2e/20_mx_out.py"
e2e_finish
