#!/bin/sh
# A room another bridge already made a portal (its m.bridge state under its
# own key, its bot and a ghost in the room; played here by plain Matrix
# users) becomes a WhatsApp portal too with `!am whatsapp`
# (43_community_otherbridge.py): the other bridge's state is untouched (also
# by `!am reset`), its ghost's messages are relayed to WhatsApp like any
# Matrix user's, exactly once, WhatsApp messages arrive once, and nothing of
# ours (bot answers, commands) is relayed back.
. "$TOP/test/e2e/lib.sh"
. "$TOP/test/e2e/40-community-setup.inc"
e2e_run "$TOP/test/e2e/43_community_otherbridge.py"
e2e_finish
