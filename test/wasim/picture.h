/*
 * picture.h: wasim's profile and group pictures (test/wasim/picture.c),
 * for group.c (which routes w:profile:picture iqs here) and media.c (which
 * serves the JPEGs).  Kept out of wasim.h so that the shared header does
 * not grow for one feature.
 */
#ifndef PONTON_TEST_WASIM_PICTURE_H
#define PONTON_TEST_WASIM_PICTURE_H

#include <stddef.h>
#include <stdint.h>

struct sim;
struct sim_conn;
struct sim_group;
struct wa_node;

/* Where pictures are served on the media vhost. */
#define SIM_PICTURE_PATH "/wasim/pp/"

/* <iq xmlns=w:profile:picture> without a target or for a user: set our
 * own picture, or get anyone's. */
void sim_picture_user_iq(struct sim_conn *c, const struct wa_node *iq,
    const char *type);
/* A get of g's picture (g borrowed). */
void sim_picture_group_get(struct sim_conn *c, const struct wa_node *iq,
    const struct sim_group *g);
/* The JPEG at a GET path (SIM_PICTURE_PATH...), an owned copy in *out,
 * or -1 (unknown or replaced since: 404). */
int sim_picture_serve(struct sim *s, const char *path, uint8_t **out,
    size_t *len);
/* Forget every user picture (at exit). */
void sim_picture_free(struct sim *s);

#endif
