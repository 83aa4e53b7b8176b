#!/bin/sh
# Matrix media -> WhatsApp (bridge/portal_out.c): an image, a file with a
# caption and a voice note (PTT, duration) sent from Matrix reach the
# Baileys peer with the right kind and fields, and the bytes Baileys
# downloads and decrypts are the ones uploaded to Matrix.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$TOP/test/e2e/lib.sh"
e2e_run "$HERE/23_mx_media.py"
e2e_finish
