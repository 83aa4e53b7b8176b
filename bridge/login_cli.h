/*
 * login_cli.h: `ponton login`, a terminal login to WhatsApp for admins.
 *
 *   ponton login [-c config.yaml] [--phone +33612345678] [--qr-file PATH]
 *                [--url URL] [--trust-root HEX | --trust-root-file PATH]
 *                [--web-version 2.3000.N] [--timeout SECONDS]
 *
 * Shows the pairing QR code in the terminal (half-block characters,
 * redrawn when the server rotates it) or, with --phone, an 8-character
 * pairing code to type on the phone; then stores the session in the
 * bridge database (whatsmeow_* tables) so that ponton logs in without
 * pairing again.  With a session already stored it only checks that the
 * login works.
 *
 * Config keys read (besides database.* and network.os_name/browser_name):
 * ponton.whatsapp.websocket_url, ponton.whatsapp.trust_root (64 hex digits)
 * and ponton.whatsapp.web_version; the command-line flags override them.
 *
 * Machine-readable lines for scripts: "QR-TEXT <qr string>" and
 * "PAIR-CODE <code>" on stdout; --qr-file keeps the current QR text in a
 * file (replaced atomically at each rotation).
 */
#ifndef PONTON_BRIDGE_LOGIN_CLI_H
#define PONTON_BRIDGE_LOGIN_CLI_H

#include <stdio.h>

/* argv[0] is "login".  Returns a process exit status (0: logged in). */
int br_login_cli(int argc, char **argv);

/* Light modules around the code (the spec asks 4; terminals pad too). */
#define BR_LOGIN_QR_QUIET 2
/*
 * Write text as a QR code (error correction L, smallest version) to out:
 * UTF-8 half blocks, two module rows per line, light modules drawn as
 * blocks.  Returns 0, or -1 if libqrencode cannot encode it (errno set).
 */
int br_login_render_qr(const char *text, FILE *out);

#endif
