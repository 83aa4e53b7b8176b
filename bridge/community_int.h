/*
 * community_int.h: the community feature's state, shared by
 * bridge/community.c (commands, flows) and bridge/community_warn.c (the
 * phone-inactivity warning).  Not for use outside those files.
 */
#ifndef PONTON_BRIDGE_COMMUNITY_INT_H
#define PONTON_BRIDGE_COMMUNITY_INT_H

#include <stdint.h>

#include "bridge/community.h"
#include "bridge/texts.h"

/* Groups created by `!am whatsapp` remembered (no welcome there); a ring:
 * older ones are forgotten, which only risks one extra welcome. */
#define CREATED_MAX	64

struct job;
struct u_timer;

struct br_community {
	struct br_bridge	*br;		/* borrowed */
	const struct br_config	*cfg;		/* borrowed */
	enum br_lang		 lang;
	const char		*prefix;	/* borrowed (config) */
	struct br_rate		 cmd_rate;	/* per sender / group, minute */
	struct br_rate		 add_member;	/* per member, day */
	struct br_rate		 add_all;	/* whole bridge, day */
	struct br_rate		 welcome;	/* per group, day, 1 */
	char			*created[CREATED_MAX];	/* owned ring */
	size_t			 created_next;
	uint64_t		(*now)(void *);
	void			*now_arg;
	unsigned		 jobs;		/* live, for logs and tests */
	struct job		*job_list;	/* owned: live jobs (freed at
						 * br_community_free if the
						 * sides dropped them) */
	char			 relay_id[32];	/* the only login's ID, cached
						 * (community.relay_login "") */
	uint64_t		 relay_at;	/* ms when it was looked up */
	struct u_timer		*warn_timer;	/* owned or NULL */
	int64_t			 warned_at;	/* s; last warning */
};

/* community_warn.c: stop and free its timer (br_community_free). */
void br__community_warn_stop(struct br_community *c);

#endif
