#!/bin/sh
# History sync after login (test/e2e/27_history.py), a whatsmeow
# device of the bridge's own account playing its phone: with
# backfill.enabled, the pushed HistorySync (md-msg-hist media) makes the DM
# room of a chat that had none and fills it and an empty group room with
# the listed messages, oldest first, at their original timestamps, from
# the right ghosts (an image among them downloaded and byte-identical on
# Matrix); a room that already held a message gets nothing; the
# conversations and messages are stored in whatsapp_history_sync_*; the
# same blob again (inline) duplicates nothing.  With backfill off (a
# second login) the history makes the rooms and bridges no message.
# A history sync notification kept in whatsapp_history_sync_notification
# by a run that stopped before handling it is handled after the restart
# (its DM room appears, its message is stored, the row is deleted).
. "$TOP/test/e2e/lib.sh"
e2e_run "$TOP/test/e2e/27_history.py"
e2e_finish
