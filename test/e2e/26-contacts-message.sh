#!/bin/sh
# A contact's address-book name stays on its ghost when the contact writes
# (test/e2e/pending/26_contacts_message.py): with displayname_template
# '{{or .FullName .PushName .Phone}} (WA)', the phone (a whatsmeow device
# of the bridge's account) shares its app-state key and uploads Bob's
# ContactAction before Bob ever wrote; Bob's first message makes the DM
# portal with his ghost named "Bob Martin (WA)" (not his push name), a
# second message keeps it, and so does a message after a restart (the
# stored contacts are read when the login is synced).
# Pending until bridge/portal_in.c names ghosts with br_contacts_fill
# (contacts.h) after each ghost_info(): three lines, see H16's report;
# then move both files up to test/e2e/ (and this path in the e2e_run
# line).
. "$TOP/test/e2e/lib.sh"
e2e_run "$TOP/test/e2e/pending/26_contacts_message.py"
e2e_finish
