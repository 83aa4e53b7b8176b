/*
 * errors.h: the bridge's error range (-500..-599) as one strerror.
 *
 * Each bridge part owns a slice and its own *_strerror:
 *   -500..-519 config     -520..-529 portal     -560..-569 Matrix adapter
 *   -570..-579 network    -580..-589 QR images  -590..-599 formatting
 * br_errors_register() hooks br_strerror into u_strerror() and registers the
 * other modules' ranges too, so any code prints; call it once at start-up.
 */
#ifndef PONTON_BRIDGE_ERRORS_H
#define PONTON_BRIDGE_ERRORS_H

const char *br_strerror(int code);
void br_errors_register(void);

#endif
