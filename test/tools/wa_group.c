/*
 * wa_group.c: ponton's group administration, presence and chat states
 * (waweb/group.h, waweb/presence.h) against a server (wasim in tests), with
 * a paired session in an SQLite file (made by wa_client).  Commands come on
 * stdin, one per line, each answered by one RESULT line; events are
 * printed as they arrive:
 *
 *   CONNECTED, READY                 logged in; offline queue delivered
 *                                    (commands run from then on)
 *   GROUP <gid> <change> <actor|-> <who|-> [text]
 *                                    a w:gp2 / picture notification, one
 *                                    line per change; who: the participants
 *                                    (phone numbers when known) comma-joined
 *   CHATSTATE <from> <participant|-> composing|recording|paused
 *   PRESENCE <from> available|unavailable <last|->
 *
 * Commands (text runs to the end of the line; JIDs are full JIDs):
 *   create <jid>[,<jid>…]|- <subject>   RESULT create ok <gid> <members>
 *                                    [<jid>:<error>[:<add_request code>]]…
 *   info <gid>                       RESULT info ok <gid> <members>
 *                                    admins=<pn,…> announce=0|1 locked=0|1
 *                                    approval=0|1 desc=<text|-> subject=<s>
 *   list                             RESULT list ok <n> <gid>…
 *   add|remove|promote|demote <gid> <jid>[,<jid>…]
 *                                    RESULT <cmd> ok <jid>:<error>[:<code>]…
 *   subject <gid> <text>             RESULT subject ok
 *   description <gid> <text>|-       RESULT description ok (reads the
 *                                    current id first; "-" deletes)
 *   setting <gid> announce|locked|approval on|off   RESULT setting ok
 *   picture <gid> <file>             RESULT picture ok <id>
 *   invite <gid> | reset <gid>       RESULT invite|reset ok <link>
 *   join <link>                      RESULT join ok <gid> <pending 0|1>
 *   linkinfo <link>                  RESULT linkinfo ok <gid> <members>
 *                                    <subject>
 *   leave <gid>                      RESULT leave ok
 *   requests <gid>                   RESULT requests ok <jid>:0…  (pending
 *                                    join requests, approval mode)
 *   approve|reject <gid> <jid>[,<jid>…]   RESULT approve ok <jid>:<error>…
 *   accept <gid> <admin jid> <code> <expiration>   RESULT accept ok (join
 *                                    with a privacy-refused add's code)
 *   typing <jid> composing|recording|paused   RESULT typing ok
 *   presence available|unavailable <name>     RESULT presence ok
 *   subscribe <jid>                  RESULT subscribe ok
 *   resolve <phone>                  RESULT resolve ok <pn jid|-> <lid|->
 *                                    (waweb/usync.h; "-" "-": not on it)
 *   quit                             exit 0 (also at end of input)
 * A failed command prints "RESULT <cmd> fail <error> <code>" and the tool
 * goes on.
 *
 * Usage: wa_group --url URL --db FILE --root-file FILE [--timeout S]
 * The tool exits 0 at quit, 1 on a connection failure or timeout.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uv.h>

#include "bridge/wa_store_db.h"
#include "db/db.h"
#include "util/err.h"
#include "util/log.h"
#include "util/loop.h"
#include "util/mem.h"
#include "waweb/client.h"
#include "waweb/errors.h"
#include "waweb/group.h"
#include "waweb/node.h"
#include "waweb/presence.h"
#include "waweb/usync.h"
#include "test/tools/tool.h"

#define LINE_MAX_LEN 4096
#define MAX_JIDS 64

struct tool {
	struct u_loop		*loop;
	struct db		*db;
	struct wa_client	*client;
	uv_poll_t		 in;
	int			 in_init;	/* in needs a uv_close */
	int			 in_open;
	char			 buf[LINE_MAX_LEN * 4];
	size_t			 len;
	int			 eof;
	int			 ready;		/* offline queue delivered */
	int			 busy;		/* a command is in flight */
	char			 cmd[32];	/* its name */
	char			 desc_text[LINE_MAX_LEN];	/* description */
	struct wa_jid		 desc_group;
	int			 status;
	struct u_timer		*timeout;
};

static void pump(struct tool *t);

static void
quit(struct tool *t, int status)
{
	t->status = status;
	if (t->in_open) {
		uv_poll_stop(&t->in);
		t->in_open = 0;
	}
	u_loop_stop(t->loop);
}

static void
done(struct tool *t)
{
	t->busy = 0;
	pump(t);
}

static void
fail_line(struct tool *t, int err, int code)
{
	printf("RESULT %s fail %s %d\n", t->cmd, u_strerror(err), code);
}

static const char *
pfmt(const struct wa_group_participant *p, char *buf, size_t size)
{
	return wa_jid_format(p->has_pn ? &p->phone_number : &p->jid, buf, size);
}

static void
print_results(const struct wa_group_participant *p, size_t n)
{
	char s[WA_JID_STR_MAX];
	size_t i;

	for (i = 0; i < n; i++) {
		printf(" %s:%d", wa_jid_format(&p[i].jid, s, sizeof(s)),
		    p[i].error);
		if (p[i].add_request_code != NULL)
			printf(":%s", p[i].add_request_code);
	}
	printf("\n");
}

/* --- Completions ------------------------------------------------------- */

static void
on_done(void *arg, int err, int code)
{
	struct tool *t = arg;

	if (err != 0)
		fail_line(t, err, code);
	else
		printf("RESULT %s ok\n", t->cmd);
	done(t);
}

static void
on_info(void *arg, int err, int code, const struct wa_group_info *g)
{
	struct tool *t = arg;
	char s[WA_JID_STR_MAX];
	size_t i, na = 0;

	if (err != 0) {
		fail_line(t, err, code);
		done(t);
		return;
	}
	printf("RESULT %s ok %s %zu", t->cmd, wa_jid_format(&g->jid, s,
	    sizeof(s)), g->nparticipants);
	if (strcmp(t->cmd, "create") == 0) {
		/* Refused participants come with their error. */
		for (i = 0; i < g->nparticipants; i++)
			if (g->participants[i].error != 0)
				print_results(&g->participants[i], 1);
		printf("\n");
		done(t);
		return;
	}
	if (strcmp(t->cmd, "linkinfo") == 0) {
		printf(" %s\n", g->subject);
		done(t);
		return;
	}
	printf(" admins=");
	for (i = 0; i < g->nparticipants; i++)
		if (g->participants[i].role != WA_GROUP_MEMBER)
			printf("%s%s", na++ > 0 ? "," : "",
			    pfmt(&g->participants[i], s, sizeof(s)));
	printf(" announce=%d locked=%d approval=%d desc=%s subject=%s\n",
	    g->announce, g->locked, g->approval,
	    g->description != NULL ? g->description : "-", g->subject);
	done(t);
}

static void
on_list(void *arg, int err, int code, struct wa_group_info *const *gs,
    size_t n)
{
	struct tool *t = arg;
	char s[WA_JID_STR_MAX];
	size_t i;

	if (err != 0) {
		fail_line(t, err, code);
		done(t);
		return;
	}
	printf("RESULT list ok %zu", n);
	for (i = 0; i < n; i++)
		printf(" %s", wa_jid_format(&gs[i]->jid, s, sizeof(s)));
	printf("\n");
	done(t);
}

static void
on_participants(void *arg, int err, int code,
    const struct wa_group_participant *p, size_t n)
{
	struct tool *t = arg;

	if (err != 0) {
		fail_line(t, err, code);
		done(t);
		return;
	}
	printf("RESULT %s ok", t->cmd);
	print_results(p, n);
	done(t);
}

static void
on_str(void *arg, int err, int code, const char *v)
{
	struct tool *t = arg;

	if (err != 0)
		fail_line(t, err, code);
	else
		printf("RESULT %s ok %s\n", t->cmd, v);
	done(t);
}

static void
on_join(void *arg, int err, int code, const struct wa_jid *g, int pending)
{
	struct tool *t = arg;
	char s[WA_JID_STR_MAX];

	if (err != 0)
		fail_line(t, err, code);
	else
		printf("RESULT join ok %s %d\n", wa_jid_format(g, s, sizeof(s)),
		    pending);
	done(t);
}

static void
on_resolved(void *arg, int err, int code, const struct wa_usync_contact *c,
    size_t n)
{
	struct tool *t = arg;
	char a[WA_JID_STR_MAX], b[WA_JID_STR_MAX];

	if (err != 0 || n != 1)
		fail_line(t, err, code);
	else
		printf("RESULT resolve ok %s %s\n",
		    c[0].on_whatsapp && c[0].has_pn ?
		    wa_jid_format(&c[0].pn, a, sizeof(a)) : "-",
		    c[0].on_whatsapp && c[0].has_lid ?
		    wa_jid_format(&c[0].lid, b, sizeof(b)) : "-");
	done(t);
}

/* description: the current id first, then the change. */
static void
on_desc_info(void *arg, int err, int code, const struct wa_group_info *g)
{
	struct tool *t = arg;
	int r;

	if (err != 0) {
		fail_line(t, err, code);
		done(t);
		return;
	}
	r = wa_group_set_description(t->client, &t->desc_group,
	    strcmp(t->desc_text, "-") == 0 ? NULL : t->desc_text,
	    g->description_id, on_done, t);
	if (r != 0) {
		fail_line(t, r, 0);
		done(t);
	}
}

/* --- Commands ------------------------------------------------------------ */

/* "a,b,c" -> jids; returns the count or -1. */
static int
parse_jids(char *s, struct wa_jid *out, size_t max)
{
	char *tok, *save = NULL;
	size_t n = 0;

	for (tok = strtok_r(s, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		if (n >= max || wa_jid_parse(tok, &out[n]) != 0)
			return -1;
		n++;
	}
	return (int)n;
}

static int
read_file(const char *path, uint8_t **out, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *p;
	long n;

	if (f == NULL)
		return U_ERR_IO;
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    (size_t)n > WA_GROUP_MAX_PICTURE || fseek(f, 0, SEEK_SET) != 0) {
		fclose(f);
		return U_ERR_TOO_BIG;
	}
	p = u_malloc((size_t)n + 1);
	if (fread(p, 1, (size_t)n, f) != (size_t)n) {
		free(p);
		fclose(f);
		return U_ERR_IO;
	}
	fclose(f);
	*out = p;
	*len = (size_t)n;
	return 0;
}

/* Run one line; returns 1 if a completion will follow. */
static int
run(struct tool *t, char *line)
{
	struct wa_jid g, jids[MAX_JIDS];
	char *cmd, *a1 = NULL, *rest = NULL, *sp;
	uint8_t *pic = NULL;
	size_t piclen = 0;
	int n = 0, r = U_ERR_INVALID, on;

	while (*line == ' ')
		line++;
	if (*line == '\0')
		return 0;
	cmd = line;
	if ((sp = strchr(cmd, ' ')) != NULL) {
		*sp = '\0';
		a1 = sp + 1;
		if ((sp = strchr(a1, ' ')) != NULL) {
			*sp = '\0';
			rest = sp + 1;
		}
	}
	snprintf(t->cmd, sizeof(t->cmd), "%.31s", cmd);
	if (strcmp(cmd, "quit") == 0) {
		quit(t, 0);
		return 0;
	}
	if (strcmp(cmd, "list") == 0)
		r = wa_group_list(t->client, on_list, t);
	else if (strcmp(cmd, "join") == 0 && a1 != NULL)
		r = wa_group_join_link(t->client, a1, on_join, t);
	else if (strcmp(cmd, "resolve") == 0 && a1 != NULL) {
		const char *pv[1] = { a1 };

		r = wa_usync_contacts(t->client, pv, 1, on_resolved, t);
	} else if (strcmp(cmd, "linkinfo") == 0 && a1 != NULL)
		r = wa_group_link_info(t->client, a1, on_info, t);
	else if (strcmp(cmd, "create") == 0 && a1 != NULL && rest != NULL) {
		n = strcmp(a1, "-") == 0 ? 0 : parse_jids(a1, jids, MAX_JIDS);
		if (n >= 0)
			r = wa_group_create(t->client, rest, jids, (size_t)n,
			    on_info, t);
	} else if (strcmp(cmd, "presence") == 0 && a1 != NULL && rest != NULL) {
		r = wa_presence_send(t->client, strcmp(a1, "available") == 0,
		    rest);
		goto sync;
	} else if (strcmp(cmd, "typing") == 0 && a1 != NULL && rest != NULL &&
	    wa_jid_parse(a1, &g) == 0) {
		enum wa_chatstate st = strcmp(rest, "composing") == 0 ?
		    WA_CHAT_COMPOSING : strcmp(rest, "recording") == 0 ?
		    WA_CHAT_RECORDING : WA_CHAT_PAUSED;

		r = wa_presence_send_chatstate(t->client, &g, st);
		goto sync;
	} else if (strcmp(cmd, "subscribe") == 0 && a1 != NULL &&
	    wa_jid_parse(a1, &g) == 0) {
		r = wa_presence_subscribe(t->client, &g);
		goto sync;
	} else if (a1 == NULL || wa_jid_parse(a1, &g) != 0)
		r = U_ERR_INVALID;
	else if (strcmp(cmd, "info") == 0)
		r = wa_group_get_info(t->client, &g, on_info, t);
	else if (strcmp(cmd, "leave") == 0)
		r = wa_group_leave(t->client, &g, on_done, t);
	else if (strcmp(cmd, "requests") == 0)
		r = wa_group_join_requests(t->client, &g, on_participants, t);
	else if ((strcmp(cmd, "approve") == 0 || strcmp(cmd, "reject") == 0) &&
	    rest != NULL) {
		if ((n = parse_jids(rest, jids, MAX_JIDS)) > 0)
			r = wa_group_join_requests_action(t->client, &g,
			    strcmp(cmd, "approve") == 0, jids, (size_t)n,
			    on_participants, t);
	} else if (strcmp(cmd, "accept") == 0 && rest != NULL) {
		char code[WA_GROUP_MAX_TOKEN + 1], adm[WA_JID_STR_MAX];
		unsigned long long exp;
		struct wa_jid admin;

		if (sscanf(rest, "%100s %128s %llu", adm, code, &exp) == 3 &&
		    wa_jid_parse(adm, &admin) == 0)
			r = wa_group_accept_invite(t->client, &g, &admin, code,
			    exp, on_done, t);
	} else if (strcmp(cmd, "invite") == 0 || strcmp(cmd, "reset") == 0)
		r = wa_group_invite_link(t->client, &g,
		    strcmp(cmd, "reset") == 0, on_str, t);
	else if (rest == NULL)
		r = U_ERR_INVALID;
	else if (strcmp(cmd, "subject") == 0)
		r = wa_group_set_subject(t->client, &g, rest, on_done, t);
	else if (strcmp(cmd, "description") == 0) {
		snprintf(t->desc_text, sizeof(t->desc_text), "%s", rest);
		t->desc_group = g;
		r = wa_group_get_info(t->client, &g, on_desc_info, t);
	} else if (strcmp(cmd, "picture") == 0) {
		if ((r = read_file(rest, &pic, &piclen)) == 0)
			r = wa_group_set_picture(t->client, &g, pic, piclen,
			    on_str, t);
		free(pic);
	} else if (strcmp(cmd, "setting") == 0) {
		enum wa_group_setting s;

		on = strstr(rest, " on") != NULL;
		s = strncmp(rest, "announce", 8) == 0 ? WA_GROUP_SET_ANNOUNCE :
		    strncmp(rest, "locked", 6) == 0 ? WA_GROUP_SET_LOCKED :
		    WA_GROUP_SET_APPROVAL;
		r = wa_group_set_setting(t->client, &g, s, on, on_done, t);
	} else {
		enum wa_group_action act = WA_GROUP_ADD;

		if (strcmp(cmd, "add") == 0)
			act = WA_GROUP_ADD;
		else if (strcmp(cmd, "remove") == 0)
			act = WA_GROUP_REMOVE;
		else if (strcmp(cmd, "promote") == 0)
			act = WA_GROUP_PROMOTE;
		else if (strcmp(cmd, "demote") == 0)
			act = WA_GROUP_DEMOTE;
		else
			n = -1;
		if (n != -1 && (n = parse_jids(rest, jids, MAX_JIDS)) > 0)
			r = wa_group_participants(t->client, &g, act, jids,
			    (size_t)n, on_participants, t);
	}
	if (r != 0) {
		fail_line(t, r, 0);
		return 0;
	}
	return 1;
sync:
	if (r != 0)
		fail_line(t, r, 0);
	else
		printf("RESULT %s ok\n", t->cmd);
	return 0;
}

/* Run buffered lines while nothing is in flight. */
static void
pump(struct tool *t)
{
	char line[LINE_MAX_LEN];
	char *nl;
	size_t n;

	while (t->ready && !t->busy && (nl = memchr(t->buf, '\n', t->len))) {
		n = (size_t)(nl - t->buf);
		if (n >= sizeof(line))
			n = sizeof(line) - 1;
		memcpy(line, t->buf, n);
		line[n] = '\0';
		memmove(t->buf, nl + 1, t->len - (size_t)(nl - t->buf) - 1);
		t->len -= (size_t)(nl - t->buf) + 1;
		if (run(t, line))
			t->busy = 1;
		if (t->status == 0)
			return;		/* quit */
	}
	if (t->ready && !t->busy && t->eof)
		quit(t, 0);
}

static void
on_stdin(uv_poll_t *h, int status, int events)
{
	struct tool *t = h->data;
	ssize_t n;

	if (t->len >= sizeof(t->buf)) {
		/* A line longer than the buffer: drop it all. */
		t->len = 0;
	}
	n = read(0, t->buf + t->len, sizeof(t->buf) - t->len);
	if (n > 0)
		t->len += (size_t)n;
	else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
		t->eof = 1;
		uv_poll_stop(&t->in);
		t->in_open = 0;
	}
	pump(t);
}

/* --- Client events --------------------------------------------------------- */

static void
print_event(const struct wa_group_event *ev)
{
	char gs[WA_JID_STR_MAX], as[WA_JID_STR_MAX], ps[WA_JID_STR_MAX];
	const struct wa_group_change *c;
	size_t i, k;

	wa_jid_format(&ev->group, gs, sizeof(gs));
	if (ev->has_actor_pn)
		wa_jid_format(&ev->actor_pn, as, sizeof(as));
	else if (ev->has_actor)
		wa_jid_format(&ev->actor, as, sizeof(as));
	else
		snprintf(as, sizeof(as), "-");
	for (i = 0; i < ev->nchanges; i++) {
		c = &ev->changes[i];
		printf("GROUP %s %s %s ", gs, wa_group_change_name(c->kind), as);
		for (k = 0; k < c->nparticipants; k++)
			printf("%s%s", k > 0 ? "," : "",
			    pfmt(&c->participants[k], ps, sizeof(ps)));
		if (c->nparticipants == 0)
			printf("-");
		if (c->kind == WA_GROUP_CH_CREATE && c->info != NULL)
			printf(" %s", c->info->subject);
		else if (c->kind == WA_GROUP_CH_PICTURE)
			printf(" %s", c->id != NULL ? c->id : "removed");
		else if (c->kind == WA_GROUP_CH_ANNOUNCE ||
		    c->kind == WA_GROUP_CH_LOCKED ||
		    c->kind == WA_GROUP_CH_APPROVAL)
			printf(" %s", c->on ? "on" : "off");
		else if (c->text != NULL)
			printf(" %s", c->text);
		else if (c->kind == WA_GROUP_CH_DESCRIPTION)
			printf(" (deleted)");
		printf("\n");
	}
}

static void
on_node(void *arg, const struct wa_node *n)
{
	struct tool *t = arg;
	struct wa_group_event *ev;
	struct wa_presence_event pe;
	char a[WA_JID_STR_MAX], b[WA_JID_STR_MAX];
	int r;

	if (strcmp(n->tag, "notification") == 0) {
		if (wa_group_is_notification(n)) {
			if ((r = wa_group_parse_notification(n, &ev)) == 0) {
				print_event(ev);
				wa_group_event_free(ev);
			} else
				printf("BAD-NOTIFICATION %s\n", u_strerror(r));
		}
		/* Handled (or of no interest here): acked. */
		wa_client_send_ack(t->client, n);
		return;
	}
	if (wa_presence_is_stanza(n)) {
		/* Not acked, as the real clients do. */
		if ((r = wa_presence_parse(n, &pe)) != 0) {
			printf("BAD-PRESENCE %s\n", u_strerror(r));
			return;
		}
		wa_jid_format(&pe.from, a, sizeof(a));
		if (pe.kind == WA_PRESENCE_EV_CHATSTATE)
			printf("CHATSTATE %s %s %s\n", a, pe.has_participant ?
			    wa_jid_format(&pe.participant, b, sizeof(b)) : "-",
			    wa_chatstate_name(pe.state));
		else if (pe.last_seen > 0)
			printf("PRESENCE %s %s %llu\n", a, pe.available ?
			    "available" : "unavailable",
			    (unsigned long long)pe.last_seen);
		else
			printf("PRESENCE %s %s -\n", a, pe.available ?
			    "available" : "unavailable");
	}
}

static void
on_state(void *arg, enum wa_state old, enum wa_state cur, const char *reason)
{
	struct tool *t = arg;

	printf("STATE %s %s %s\n", wa_state_name(old), wa_state_name(cur),
	    reason);
	if (wa_state_is_terminal(cur))
		quit(t, 1);
}

static void
on_connected(void *arg)
{
	printf("CONNECTED\n");
}

static void
on_offline(void *arg, unsigned count)
{
	struct tool *t = arg;

	if (!t->ready)
		printf("READY\n");
	t->ready = 1;
	pump(t);
}

static void
on_timeout(void *arg)
{
	printf("TIMEOUT\n");
	quit(arg, 1);
}

static void
on_signal(void *arg)
{
	quit(arg, 1);
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "url", required_argument, NULL, 'u' },
		{ "db", required_argument, NULL, 'd' },
		{ "root-file", required_argument, NULL, 'r' },
		{ "timeout", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	struct wa_client_opts o;
	struct wa_client_cbs cbs = {
		.on_state = on_state, .on_connected = on_connected,
		.on_offline_done = on_offline, .on_node = on_node,
	};
	struct tool t;
	const char *dbpath = NULL;
	uint8_t root[32];
	unsigned timeout_s = 300;
	int ch, r;

	memset(&o, 0, sizeof(o));
	memset(&t, 0, sizeof(t));
	t.status = 1;
	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (ch) {
		case 'u': o.url = optarg; break;
		case 'd': dbpath = optarg; break;
		case 'r':
			if (tool_read_root_file(optarg, root) != 0) {
				fprintf(stderr, "wa_group: cannot read %s\n",
				    optarg);
				return 2;
			}
			o.trust_root = root;
			break;
		case 't': timeout_s = (unsigned)atoi(optarg); break;
		default: goto usage;
		}
	}
	if (o.url == NULL || dbpath == NULL || o.trust_root == NULL)
		goto usage;
	o.os_name = "ponton-test";
	o.browser_name = "chrome";
	if ((r = db_open(&t.db, "sqlite3-fk-wal", dbpath, NULL)) != 0 ||
	    (r = db_upgrade(t.db)) != 0) {
		fprintf(stderr, "wa_group: database: %s\n", u_strerror(r));
		db_close(t.db);
		return 1;
	}
	t.loop = u_loop_new();
	u_loop_on_signal(t.loop, on_signal, &t);
	(void)fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK);
	if (uv_poll_init(u_loop_uv(t.loop), &t.in, 0) == 0) {
		t.in.data = &t;
		t.in_init = 1;
		uv_poll_start(&t.in, UV_READABLE, on_stdin);
		t.in_open = 1;
	} else
		t.eof = 1;
	t.client = wa_client_new(t.loop, &o, &br_wa_store_db_ops, t.db, &cbs,
	    &t);
	if (wa_client_start(t.client) != 0) {
		printf("REFUSED %s\n", o.url);
	} else {
		t.timeout = u_timer_new(t.loop, on_timeout, &t);
		u_timer_start(t.timeout, (uint64_t)timeout_s * 1000, 0);
		u_loop_run(t.loop);
		u_timer_free(t.timeout);
	}
	if (t.in_open)
		uv_poll_stop(&t.in);
	if (t.in_init)
		uv_close((uv_handle_t *)&t.in, NULL);
	wa_client_free(t.client);
	wa_client_shutdown(t.loop);
	u_loop_free(t.loop);
	db_close(t.db);
	return t.status;
usage:
	fprintf(stderr, "usage: wa_group --url URL --db FILE --root-file FILE "
	    "[--timeout S]\n");
	return 2;
}
