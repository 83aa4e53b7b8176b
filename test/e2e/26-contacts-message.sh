#!/bin/sh
# A contact's address-book name stays on its ghost when the contact writes
# (test/e2e/26_contacts_message.py): with displayname_template
# '{{or .FullName .PushName .Phone}} (WA)', the phone (a whatsmeow device
# of the bridge's account) shares its app-state key and uploads Bob's
# ContactAction before Bob ever wrote; Bob's first message makes the DM
# portal with his ghost named "Bob Martin (WA)" (not his push name), a
# second message keeps it, and so does a message after a restart (the
# stored contacts are read when the login is synced).
. "$TOP/test/e2e/lib.sh"
e2e_run "$TOP/test/e2e/26_contacts_message.py"
e2e_finish
