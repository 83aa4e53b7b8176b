/*
 * wa_kinds.c: every message kind of waweb/content.c through ponton's real
 * messaging (waweb/send_message.c, recv_message.c) against a server (wasim
 * in tests), with a paired session in an SQLite file (made by wa_client).
 * Lines on stdout:
 *
 *   CONNECTED
 *   GROUP <jid>              --group-create made this group
 *   RECV <id> <line>         a message decoded (wa_content_line); a poll
 *                            vote on a poll this run saw is decrypted and
 *                            shows its option names
 *   IGNORED <id> <line>      a PROTOCOL_OTHER message (not counted)
 *   BAD <id> <error>         a payload wa_content_decode refused
 *   SENT <id> <line>         one of ours, acked by the server (the line of
 *                            the content as sent)
 *   SEND-FAIL <kind> <error> <code>
 *   VOTE-CREATOR <jid> VOTE-VOTER <jid>   (on a decrypted vote: which
 *                            account forms opened it)
 *   VOTE-FAILED <id> <error> a vote on a known poll did not open
 *
 * Usage: wa_kinds --url URL --db FILE --root-file FILE [--timeout S]
 *          [--to JID] [--send-all] [--expect N] [--vote-received OPTION]
 *          [--vote-as pn|lid] [--dump-dir DIR] [--linger-ms MS]
 *          [--polls-file FILE] [--group-create SUBJECT --member JID...]
 *
 * --send-all sends, to --to, one after the other (each once the previous
 * one is acked, after the offline queue): text with formatting marks,
 * text with a mention of --to, a reply to the first, image, video, GIF,
 * audio, voice note, document, sticker, location, live location, contact,
 * contacts, poll, a vote on that poll, a reaction to the first message,
 * an edit of the first, a revoke of the second, a group invite.
 * --vote-received: once a poll arrives, vote for OPTION on it (as the
 * account form --vote-as, default pn).  --dump-dir: each received payload
 * is written to DIR/recv-<n>-<kind> (fuzz seeds).  --polls-file: polls
 * seen or sent (id, secret, creator, options) are kept there across runs,
 * so that a later run opens votes on them.  --vote-as also picks the
 * account form ponton names itself with as the creator of its own poll.
 * The tool exits --linger-ms (default 1500) after the last send is acked
 * and the last retry receipt came (answered meanwhile).
 * --group-create: create a group with the --member accounts first
 * (waweb/group.h; prints GROUP <jid>) and send --send-all there (the
 * mentions name the first member).
 * Exit 0 when every send was acked and --expect messages (not IGNORED)
 * were received; 1 on a failure or timeout.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bridge/wa_signal_db.h"
#include "bridge/wa_store_db.h"
#include "db/db.h"
#include "util/err.h"
#include "util/loop.h"
#include "util/mem.h"
#include "waweb/client.h"
#include "waweb/content.h"
#include "waweb/errors.h"
#include "waweb/group.h"
#include "waweb/node.h"
#include "waweb/recv_message.h"
#include "waweb/send_message.h"
#include "waweb/signal.h"
#include "waweb/store.h"
#include "test/tools/tool.h"

#define MAX_POLLS 16
#define NSENDS 21
#define LINGER_MS 1500

struct poll {
	char	 id[WA_MSG_ID_MAX];
	uint8_t	 secret[WA_CONTENT_SECRET_LEN];
	char	*options[WA_CONTENT_MAX_POLL_OPTIONS];
	size_t	 noptions;
	/* The creator as seen: sender account, and its PN when known. */
	char	 creator[WA_JID_STR_MAX];
	char	 creator_pn[WA_JID_STR_MAX];
	char	 chat[WA_JID_STR_MAX];
};

struct tool {
	struct u_loop		*loop;
	struct db		*db;
	struct wa_client	*client;
	struct br_wa_signal_db	*sigdb;
	struct wa_signal	*sig;
	struct wa_msg_sender	*sender;
	struct wa_msg_receiver	*receiver;
	const char		*to;
	const char		*peer;		/* mentioned: --to, or the first --member */
	const char		*create;	/* --group-create SUBJECT */
	const char		*members[8];
	unsigned		 nmembers;
	int			 group_pending, create_done;
	char			 group[WA_JID_STR_MAX];
	char			 own_pn[WA_JID_STR_MAX];
	char			 own_lid[WA_JID_STR_MAX];
	int			 send_all;
	unsigned		 next_send, acked, nsends;
	char			 ids[NSENDS][WA_MSG_ID_MAX];
	char			 vote_id[WA_MSG_ID_MAX];	/* --vote-received */
	char			*pending_line;	/* owned, the send in flight */
	int			 sending;
	int			 offline_done;
	const char		*vote_option;
	int			 vote_as_lid;
	int			 vote_pending;	/* a received poll to vote on */
	struct poll		 polls[MAX_POLLS];
	size_t			 npolls;
	const char		*dump_dir;
	const char		*polls_file;	/* --polls-file */
	unsigned		 expect, received, linger_ms, dumped;
	int			 status;
	struct u_timer		*timeout;
	struct u_timer		*linger;
};

static void
quit(struct tool *t, int status)
{
	t->status = status;
	u_loop_stop(t->loop);
}

static void
on_linger(void *arg)
{
	quit(arg, 0);
}

static void
check_done(struct tool *t)
{
	if (t->acked == t->nsends && t->received >= t->expect &&
	    !t->vote_pending && t->linger == NULL) {
		t->linger = u_timer_new(t->loop, on_linger, t);
		u_timer_start(t->linger, t->linger_ms, 0);
	}
}

static char *
line_of(const struct wa_content *c)
{
	struct u_buf b;
	size_t n;

	u_buf_init(&b, 0);
	if (wa_content_line(c, &b) != 0)
		abort();
	u_buf_add(&b, "", 1);
	return (char *)u_buf_steal(&b, &n);
}

static struct poll *
poll_find(struct tool *t, const char *id)
{
	size_t i;

	for (i = 0; i < t->npolls; i++)
		if (strcmp(t->polls[i].id, id) == 0)
			return &t->polls[i];
	return NULL;
}

static struct poll *
poll_add(struct tool *t, const char *id, const struct wa_content *c)
{
	struct poll *p;
	size_t i;

	if (t->npolls >= MAX_POLLS || !c->has_secret)
		return NULL;
	p = &t->polls[t->npolls++];
	memset(p, 0, sizeof(*p));
	snprintf(p->id, sizeof(p->id), "%s", id);
	memcpy(p->secret, c->secret, sizeof(p->secret));
	for (i = 0; i < c->poll.noptions; i++)
		p->options[i] = u_strdup(c->poll.options[i]);
	p->noptions = c->poll.noptions;
	return p;
}

/* --polls-file: one poll a line, tab-separated: id, secret (hex),
 * creator, creator_pn ("-"), chat, options... */
static void
polls_save(struct tool *t)
{
	FILE *f;
	size_t i, j, k;

	if (t->polls_file == NULL || (f = fopen(t->polls_file, "w")) == NULL)
		return;
	for (i = 0; i < t->npolls; i++) {
		const struct poll *p = &t->polls[i];

		fprintf(f, "%s\t", p->id);
		for (k = 0; k < sizeof(p->secret); k++)
			fprintf(f, "%02x", p->secret[k]);
		fprintf(f, "\t%s\t%s\t%s", p->creator, p->creator_pn[0] != '\0' ?
		    p->creator_pn : "-", p->chat);
		for (j = 0; j < p->noptions; j++)
			fprintf(f, "\t%s", p->options[j]);
		fprintf(f, "\n");
	}
	fclose(f);
}

static void
polls_load(struct tool *t)
{
	char line[4096], *save, *tok;
	FILE *f;
	unsigned v;
	size_t k;

	if (t->polls_file == NULL || (f = fopen(t->polls_file, "r")) == NULL)
		return;
	while (t->npolls < MAX_POLLS && fgets(line, sizeof(line), f) != NULL) {
		struct poll *p = &t->polls[t->npolls];
		int field = 0;

		memset(p, 0, sizeof(*p));
		line[strcspn(line, "\n")] = '\0';
		for (tok = strtok_r(line, "\t", &save); tok != NULL;
		    tok = strtok_r(NULL, "\t", &save), field++) {
			switch (field) {
			case 0: snprintf(p->id, sizeof(p->id), "%s", tok); break;
			case 1:
				for (k = 0; k < sizeof(p->secret) &&
				    sscanf(tok + 2 * k, "%2x", &v) == 1; k++)
					p->secret[k] = (uint8_t)v;
				break;
			case 2: snprintf(p->creator, sizeof(p->creator), "%s", tok); break;
			case 3:
				if (strcmp(tok, "-") != 0)
					snprintf(p->creator_pn,
					    sizeof(p->creator_pn), "%s", tok);
				break;
			case 4: snprintf(p->chat, sizeof(p->chat), "%s", tok); break;
			default:
				if (p->noptions < WA_CONTENT_MAX_POLL_OPTIONS)
					p->options[p->noptions++] = u_strdup(tok);
			}
		}
		if (field >= 5)
			t->npolls++;
	}
	fclose(f);
}

static void
fill_media(struct wa_content *c, enum wa_content_type k, const char *mime)
{
	size_t i;

	c->kind = k;
	c->media.url = u_asprintf("https://mmg.whatsapp.net/v/t62.7118-24/"
	    "fake-%d.enc", (int)k);
	c->media.direct_path = u_asprintf("/v/t62.7118-24/fake-%d.enc?oh=x",
	    (int)k);
	c->media.mimetype = u_strdup(mime);
	for (i = 0; i < 32; i++) {
		c->media.media_key[i] = (uint8_t)(i + (unsigned)k);
		c->media.file_sha256[i] = (uint8_t)(0x40 + i);
		c->media.file_enc_sha256[i] = (uint8_t)(0x80 + i);
	}
	c->media.has_media_key = c->media.has_file_sha256 =
	    c->media.has_file_enc_sha256 = 1;
	c->media.file_length = 1000 + (unsigned)k;
	c->media.media_key_timestamp = 1700000000;
}

static char **
strv2(const char *a, const char *b)
{
	char **v = u_calloc(2, sizeof(char *));

	v[0] = u_strdup(a);
	v[1] = u_strdup(b);
	return v;
}

static void
set_key(struct wa_content *c, const char *chat, const char *id, int from_me)
{
	c->key.chat = u_strdup(chat);
	c->key.id = u_strdup(id);
	c->key.from_me = from_me;
}

/* The n-th message of --send-all.  0 on success. */
static int
build(struct tool *t, unsigned n, struct wa_content *c)
{
	static const char vcard_a[] = "BEGIN:VCARD\nVERSION:3.0\nFN:Alice "
	    "Example\nTEL;type=CELL;waid=15550001111:+1 555 000 1111\n"
	    "END:VCARD";
	static const char vcard_b[] = "BEGIN:VCARD\nVERSION:3.0\nFN:Bob\n"
	    "END:VCARD";
	char *opts[3] = { "Pizza", "Sushi, rolls", "None" };
	const char *sel[1] = { "Sushi, rolls" };
	char num[WA_JID_STR_MAX], *at;
	size_t i;

	memset(c, 0, sizeof(*c));
	switch (n) {
	case 0:
		c->kind = WA_CONTENT_TEXT;
		c->text = u_strdup("*bold* _italic_ ~strike~ ```mono``` "
		    "plain ünï ✓");
		return 0;
	case 1:
		snprintf(num, sizeof(num), "%s", t->peer);
		if ((at = strchr(num, '@')) != NULL)
			*at = '\0';
		c->kind = WA_CONTENT_TEXT;
		c->text = u_asprintf("hello @%s", num);
		c->mentions = u_calloc(1, sizeof(char *));
		c->mentions[0] = u_strdup(t->peer);
		c->nmentions = 1;
		return 0;
	case 2:
		c->kind = WA_CONTENT_TEXT;
		c->text = u_strdup("a reply");
		c->reply.stanza_id = u_strdup(t->ids[0]);
		c->reply.participant = u_strdup(t->own_pn);
		c->reply.quoted_text = u_strdup("*bold* _italic_ ~strike~ "
		    "```mono``` plain ünï ✓");
		return 0;
	case 3:
		fill_media(c, WA_CONTENT_IMAGE, "image/jpeg");
		c->text = u_strdup("an _image_");
		c->media.width = 640;
		c->media.height = 480;
		return 0;
	case 4:
		fill_media(c, WA_CONTENT_VIDEO, "video/mp4");
		c->text = u_strdup("a video");
		c->media.seconds = 12;
		c->media.width = 320;
		c->media.height = 240;
		return 0;
	case 5:
		fill_media(c, WA_CONTENT_VIDEO, "video/mp4");
		c->media.gif_playback = 1;
		c->media.seconds = 3;
		return 0;
	case 6:
		fill_media(c, WA_CONTENT_AUDIO, "audio/mpeg");
		c->media.seconds = 200;
		return 0;
	case 7:
		fill_media(c, WA_CONTENT_VOICE, "audio/ogg; codecs=opus");
		c->media.seconds = 4;
		c->media.waveform = u_malloc(64);
		for (i = 0; i < 64; i++)
			c->media.waveform[i] = (uint8_t)(i * 3 % 100);
		c->media.waveform_len = 64;
		return 0;
	case 8:
		fill_media(c, WA_CONTENT_DOCUMENT, "application/pdf");
		c->media.file_name = u_strdup("report, final.pdf");
		c->text = u_strdup("the report");
		return 0;
	case 9:
		fill_media(c, WA_CONTENT_STICKER, "image/webp");
		c->media.width = c->media.height = 512;
		return 0;
	case 10:
		c->kind = WA_CONTENT_LOCATION;
		c->location.lat = 48.858370;
		c->location.lon = 2.294481;
		c->location.name = u_strdup("Tour Eiffel");
		c->location.address = u_strdup("Champ de Mars, Paris");
		return 0;
	case 11:
		c->kind = WA_CONTENT_LOCATION;
		c->location.lat = -33.856784;
		c->location.lon = 151.215297;
		c->location.live = 1;
		c->text = u_strdup("on my way");
		return 0;
	case 12:
		c->kind = WA_CONTENT_CONTACT;
		c->contacts = u_calloc(1, sizeof(*c->contacts));
		c->ncontacts = 1;
		c->contacts[0].display_name = u_strdup("Alice Example");
		c->contacts[0].vcard = u_strdup(vcard_a);
		return 0;
	case 13:
		c->kind = WA_CONTENT_CONTACTS;
		c->text = u_strdup("2 contacts");
		c->contacts = u_calloc(2, sizeof(*c->contacts));
		c->ncontacts = 2;
		c->contacts[0].display_name = u_strdup("Alice Example");
		c->contacts[0].vcard = u_strdup(vcard_a);
		c->contacts[1].display_name = u_strdup("Bob");
		c->contacts[1].vcard = u_strdup(vcard_b);
		return 0;
	case 14:
		c->kind = WA_CONTENT_POLL_CREATE;
		c->poll.name = u_strdup("Lunch?");
		c->poll.options = u_calloc(3, sizeof(char *));
		for (i = 0; i < 3; i++)
			c->poll.options[i] = u_strdup(opts[i]);
		c->poll.noptions = 3;
		c->poll.selectable_count = 1;
		wa_content_poll_new_secret(c);
		return 0;
	case 15: {
		struct poll *p = poll_find(t, t->ids[14]);

		if (p == NULL)
			return WA_ERR_INTERNAL;
		set_key(c, t->to, t->ids[14], 1);
		c->timestamp_ms = 1700000000000;
		if (wa_content_vote_encrypt(c, p->secret, p->creator,
		    t->vote_as_lid ? t->own_lid : t->own_pn, sel, 1) != 0)
			return WA_ERR_INTERNAL;
		return wa_content_vote_match(c, opts, 3);
	}
	case 16:
		c->kind = WA_CONTENT_REACTION;
		set_key(c, t->to, t->ids[0], 1);
		c->text = u_strdup("\xf0\x9f\x91\x8d");
		c->timestamp_ms = 1700000000001;
		return 0;
	case 17:
		c->kind = WA_CONTENT_EDIT;
		set_key(c, t->to, t->ids[0], 1);
		c->text = u_strdup("edited *text*");
		c->timestamp_ms = 1700000000002;
		return 0;
	case 18:
		c->kind = WA_CONTENT_REVOKE;
		set_key(c, t->to, t->ids[1], 1);
		return 0;
	case 19:
		c->kind = WA_CONTENT_GROUP_INVITE;
		c->invite.group_jid = u_strdup("120363000000000001@g.us");
		c->invite.code = u_strdup("AbCdEfGhIjK123");
		c->invite.expiration = 1900000000;
		c->invite.group_name = u_strdup("The group");
		c->text = u_strdup("join us");
		return 0;
	case 20:
		c->kind = WA_CONTENT_TEXT;
		c->text = u_strdup("last");
		c->mentions = strv2(t->peer, t->own_pn);
		c->nmentions = 2;
		c->forwarded = 1;
		return 0;
	}
	return WA_ERR_INTERNAL;
}

static void send_next(struct tool *t);

static void
on_sent(void *arg, const char *id, int err, int code)
{
	struct tool *t = arg;

	t->sending = 0;
	if (err != 0) {
		printf("SEND-FAIL %s %s %d\n", id, u_strerror(err), code);
		quit(t, 1);
		return;
	}
	printf("SENT %s %s\n", id, t->pending_line);
	free(t->pending_line);
	t->pending_line = NULL;
	t->acked++;
	send_next(t);
	check_done(t);
}

static int
send_content(struct tool *t, const char *to, struct wa_content *c, int n)
{
	struct wa_content_attrs a;
	struct wa_msg_send_opts o;
	uint8_t *p;
	size_t len;
	int r;

	if ((r = wa_content_encode(c, &p, &len)) != 0) {
		printf("SEND-FAIL %s %s 0\n", wa_content_kind_name(c->kind),
		    u_strerror(r));
		return r;
	}
	wa_content_stanza_attrs(c, &a);
	memset(&o, 0, sizeof(o));
	o.type = a.type;
	o.edit = a.edit;
	o.mediatype = a.mediatype;
	o.polltype = a.polltype;
	o.decrypt_fail_hide = a.decrypt_fail_hide;
	t->pending_line = line_of(c);
	r = wa_msg_send(t->sender, to, p, len, &o, n >= 0 ? t->ids[n] :
	    t->vote_id, on_sent, t);
	free(p);
	if (r != 0) {
		printf("SEND-FAIL %s %s 0\n", wa_content_kind_name(c->kind),
		    u_strerror(r));
		return r;
	}
	t->sending = 1;
	return 0;
}

static void
send_next(struct tool *t)
{
	struct wa_content c;
	unsigned n;
	int r;

	if (t->sending || !t->offline_done || t->sender == NULL ||
	    t->group_pending)
		return;
	if (t->vote_pending && t->vote_option != NULL && t->npolls > 0) {
		struct poll *p = &t->polls[t->npolls - 1];
		const char *sel[1] = { t->vote_option };

		memset(&c, 0, sizeof(c));
		set_key(&c, p->chat, p->id, 0);
		c.timestamp_ms = 1700000000003;
		t->vote_pending = 0;
		if ((r = wa_content_vote_encrypt(&c, p->secret, p->creator,
		    t->vote_as_lid ? t->own_lid : t->own_pn, sel, 1)) != 0 ||
		    (r = wa_content_vote_match(&c, p->options, p->noptions)) != 0) {
			printf("SEND-FAIL vote %s 0\n", u_strerror(r));
			wa_content_free(&c);
			quit(t, 1);
			return;
		}
		t->nsends++;
		r = send_content(t, p->chat, &c, -1);
		wa_content_free(&c);
		if (r != 0)
			quit(t, 1);
		return;
	}
	if (!t->send_all || t->next_send >= NSENDS)
		return;
	n = t->next_send++;
	if ((r = build(t, n, &c)) != 0) {
		printf("SEND-FAIL build-%u %s 0\n", n, u_strerror(r));
		wa_content_free(&c);
		quit(t, 1);
		return;
	}
	r = send_content(t, t->to, &c, (int)n);
	if (r == 0 && c.kind == WA_CONTENT_POLL_CREATE) {
		struct poll *p = poll_add(t, t->ids[n], &c);

		if (p != NULL) {
			snprintf(p->creator, sizeof(p->creator), "%s",
			    t->vote_as_lid ? t->own_lid : t->own_pn);
			snprintf(p->chat, sizeof(p->chat), "%s", t->to);
			polls_save(t);
		}
	}
	wa_content_free(&c);
	if (r != 0)
		quit(t, 1);
}

/* Open a vote: every account form of creator and voter we know
 * (wa_content_vote_open). */
static void
open_vote(struct tool *t, struct wa_content *c, const struct wa_msg_event *ev)
{
	struct poll *p = poll_find(t, c->key.id);
	char voters[2][WA_JID_STR_MAX];
	const char *creators[4], *vp[2];
	size_t nc = 0, nv = 0;
	struct wa_jid a;
	int r;

	if (p == NULL)
		return;
	a = wa_jid_to_non_ad(&ev->sender);
	wa_jid_format(&a, voters[nv++], WA_JID_STR_MAX);
	if (ev->has_sender_pn) {
		a = wa_jid_to_non_ad(&ev->sender_pn);
		wa_jid_format(&a, voters[nv++], WA_JID_STR_MAX);
	}
	vp[0] = voters[0];
	vp[1] = nv > 1 ? voters[1] : NULL;
	if (p->creator[0] != '\0')
		creators[nc++] = p->creator;
	if (p->creator_pn[0] != '\0')
		creators[nc++] = p->creator_pn;
	creators[nc++] = t->own_pn;
	if (t->own_lid[0] != '\0')
		creators[nc++] = t->own_lid;
	if ((r = wa_content_vote_open(c, p->secret, creators, nc, vp,
	    nv)) < 0) {
		printf("VOTE-FAILED %s %s\n", ev->id, u_strerror(r));
		return;
	}
	printf("VOTE-CREATOR %s VOTE-VOTER %s\n", creators[(size_t)r / nv],
	    vp[(size_t)r % nv]);
	wa_content_vote_match(c, p->options, p->noptions);
}

static void
dump(struct tool *t, const struct wa_msg_event *ev, const char *kind)
{
	char path[1024];
	FILE *f;

	if (t->dump_dir == NULL)
		return;
	snprintf(path, sizeof(path), "%s/recv-%02u-%s", t->dump_dir,
	    t->dumped++, kind);
	if ((f = fopen(path, "wb")) == NULL)
		return;
	fwrite(ev->payload, 1, ev->payload_len, f);
	fclose(f);
}

static int
on_message(void *arg, const struct wa_msg_event *ev)
{
	struct tool *t = arg;
	struct wa_content c;
	char *l;
	int r;

	if (ev->payload == NULL)
		return 0;
	if ((r = wa_content_decode(ev->payload, ev->payload_len, &c)) != 0) {
		printf("BAD %s %s\n", ev->id, u_strerror(r));
		dump(t, ev, "bad");
		wa_content_free(&c);
		return 0;
	}
	dump(t, ev, wa_content_kind_name(c.kind));
	if (c.kind == WA_CONTENT_POLL_VOTE)
		open_vote(t, &c, ev);
	if (c.kind == WA_CONTENT_POLL_CREATE) {
		struct poll *p = poll_add(t, ev->id, &c);

		if (p != NULL) {
			struct wa_jid a = wa_jid_to_non_ad(&ev->sender);

			wa_jid_format(&a, p->creator, sizeof(p->creator));
			if (ev->has_sender_pn) {
				a = wa_jid_to_non_ad(&ev->sender_pn);
				wa_jid_format(&a, p->creator_pn,
				    sizeof(p->creator_pn));
			}
			wa_jid_format(&ev->chat, p->chat, sizeof(p->chat));
			polls_save(t);
			if (t->vote_option != NULL)
				t->vote_pending = 1;
		}
	}
	l = line_of(&c);
	if (c.kind == WA_CONTENT_PROTOCOL_OTHER) {
		printf("IGNORED %s %s\n", ev->id, l);
	} else {
		printf("RECV %s %s\n", ev->id, l);
		t->received++;
	}
	free(l);
	wa_content_free(&c);
	send_next(t);
	check_done(t);
	return 0;
}

static void
on_undecryptable(void *arg, const struct wa_msg_event *ev, int err)
{
	char s[WA_JID_STR_MAX];

	printf("UNDECRYPTABLE %s %s %s\n", wa_jid_format(&ev->sender, s,
	    sizeof(s)), ev->id, u_strerror(err));
}

static void
on_state(void *arg, enum wa_state old, enum wa_state cur, const char *reason)
{
	struct tool *t = arg;

	if (wa_state_is_terminal(cur)) {
		printf("STATE %s %s %s\n", wa_state_name(old),
		    wa_state_name(cur), reason);
		quit(t, 1);
	}
}

static void
account(const char *jid, char *out, size_t n)
{
	struct wa_jid j, a;

	out[0] = '\0';
	if (jid == NULL || wa_jid_parse(jid, &j) != 0)
		return;
	a = wa_jid_to_non_ad(&j);
	wa_jid_format(&a, out, n);
}

static void
on_connected(void *arg)
{
	struct tool *t = arg;
	const struct wa_device *dev = wa_client_device(t->client);
	struct wa_msg_receiver_cbs rcbs = {
		.on_message = on_message, .on_undecryptable = on_undecryptable,
	};

	printf("CONNECTED\n");
	if (t->sig != NULL)
		return;
	account(dev->jid, t->own_pn, sizeof(t->own_pn));
	account(dev->lid, t->own_lid, sizeof(t->own_lid));
	t->sigdb = br_wa_signal_db_new(t->db, dev->jid);
	t->sig = wa_signal_new(&br_wa_signal_db_ops, t->sigdb);
	t->sender = wa_msg_sender_new(t->loop, t->client, t->sig);
	t->receiver = wa_msg_receiver_new(t->client, t->sig, &rcbs, t);
}

static void
on_created(void *arg, int err, int code, const struct wa_group_info *info)
{
	struct tool *t = arg;

	if (err != 0 || info == NULL) {
		printf("GROUP-FAIL %s %d\n", u_strerror(err), code);
		quit(t, 1);
		return;
	}
	wa_jid_format(&info->jid, t->group, sizeof(t->group));
	t->to = t->group;
	printf("GROUP %s\n", t->group);
	t->group_pending = 0;
	send_next(t);
	check_done(t);
}

static void
create_group(struct tool *t)
{
	struct wa_jid m[8];
	unsigned i;
	int r;

	for (i = 0; i < t->nmembers; i++)
		if (wa_jid_parse(t->members[i], &m[i]) != 0) {
			printf("GROUP-FAIL bad member %s\n", t->members[i]);
			quit(t, 1);
			return;
		}
	t->create_done = 1;
	if ((r = wa_group_create(t->client, t->create, m, t->nmembers,
	    on_created, t)) != 0) {
		printf("GROUP-FAIL %s 0\n", u_strerror(r));
		quit(t, 1);
	}
}

static void
on_offline(void *arg, unsigned count)
{
	struct tool *t = arg;

	t->offline_done = 1;
	if (t->create != NULL && !t->create_done)
		create_group(t);
	send_next(t);
	check_done(t);
}

static void
on_node(void *arg, const struct wa_node *n)
{
	struct tool *t = arg;
	const char *type;

	/* A peer's retry receipt is answered by the sender (a re-send, maybe
	 * after a bundle fetch): stay linger_ms after the last one, so that
	 * a retry of a burst arriving late is still answered. */
	if (strcmp(n->tag, "receipt") == 0 &&
	    (type = wa_node_attr(n, "type")) != NULL &&
	    strcmp(type, "retry") == 0) {
		fprintf(stderr, "RETRY %s\n", wa_node_attr(n, "id") != NULL ?
		    wa_node_attr(n, "id") : "?");
		if (t->linger != NULL)
			u_timer_start(t->linger, t->linger_ms, 0);
	}
	if (t->sender != NULL && wa_msg_sender_handle_node(t->sender, n))
		return;
	if (t->receiver != NULL && wa_msg_receiver_handle_node(t->receiver, n))
		return;
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
		{ "to", required_argument, NULL, 'T' },
		{ "send-all", no_argument, NULL, 'S' },
		{ "expect", required_argument, NULL, 'e' },
		{ "vote-received", required_argument, NULL, 'v' },
		{ "vote-as", required_argument, NULL, 'V' },
		{ "dump-dir", required_argument, NULL, 'D' },
		{ "linger-ms", required_argument, NULL, 'l' },
		{ "polls-file", required_argument, NULL, 'P' },
		{ "group-create", required_argument, NULL, 'g' },
		{ "member", required_argument, NULL, 'm' },
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
	unsigned timeout_s = 60;
	size_t i, j;
	int ch, r;

	memset(&o, 0, sizeof(o));
	memset(&t, 0, sizeof(t));
	t.status = 1;
	t.linger_ms = LINGER_MS;
	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (ch) {
		case 'u': o.url = optarg; break;
		case 'd': dbpath = optarg; break;
		case 'r':
			if (tool_read_root_file(optarg, root) != 0) {
				fprintf(stderr, "wa_kinds: cannot read %s\n",
				    optarg);
				return 2;
			}
			o.trust_root = root;
			break;
		case 't': timeout_s = (unsigned)atoi(optarg); break;
		case 'T': t.to = optarg; break;
		case 'S': t.send_all = 1; break;
		case 'e': t.expect = (unsigned)atoi(optarg); break;
		case 'v': t.vote_option = optarg; break;
		case 'V': t.vote_as_lid = strcmp(optarg, "lid") == 0; break;
		case 'D': t.dump_dir = optarg; break;
		case 'l': t.linger_ms = (unsigned)atoi(optarg); break;
		case 'P': t.polls_file = optarg; break;
		case 'g': t.create = optarg; break;
		case 'm':
			if (t.nmembers >= 8)
				goto usage;
			t.members[t.nmembers++] = optarg;
			break;
		default: goto usage;
		}
	}
	if (o.url == NULL || dbpath == NULL || o.trust_root == NULL ||
	    (t.send_all && t.to == NULL && t.create == NULL) ||
	    (t.create != NULL && t.nmembers == 0))
		goto usage;
	t.peer = t.create != NULL ? t.members[0] : t.to;
	t.group_pending = t.create != NULL;
	t.nsends = t.send_all ? NSENDS : 0;
	polls_load(&t);
	o.os_name = "ponton-test";
	o.browser_name = "chrome";
	wa_errors_register();
	if ((r = db_open(&t.db, "sqlite3-fk-wal", dbpath, NULL)) != 0 ||
	    (r = db_upgrade(t.db)) != 0) {
		fprintf(stderr, "wa_kinds: database: %s\n", u_strerror(r));
		db_close(t.db);
		return 1;
	}
	t.loop = u_loop_new();
	u_loop_on_signal(t.loop, on_signal, &t);
	t.client = wa_client_new(t.loop, &o, &br_wa_store_db_ops, t.db, &cbs,
	    &t);
	if (wa_client_start(t.client) != 0) {
		printf("REFUSED %s\n", o.url);
	} else {
		t.timeout = u_timer_new(t.loop, on_timeout, &t);
		u_timer_start(t.timeout, (uint64_t)timeout_s * 1000, 0);
		u_loop_run(t.loop);
		u_timer_free(t.timeout);
		u_timer_free(t.linger);
	}
	wa_msg_sender_free(t.sender);
	wa_client_free(t.client);
	wa_msg_receiver_free(t.receiver);
	wa_signal_free(t.sig);
	br_wa_signal_db_free(t.sigdb);
	wa_client_shutdown(t.loop);
	u_loop_free(t.loop);
	db_close(t.db);
	free(t.pending_line);
	for (i = 0; i < t.npolls; i++)
		for (j = 0; j < t.polls[i].noptions; j++)
			free(t.polls[i].options[j]);
	return t.status;
usage:
	fprintf(stderr, "usage: wa_kinds --url URL --db FILE --root-file FILE "
	    "[--timeout S] [--to JID] [--send-all] [--expect N] "
	    "[--vote-received OPTION] [--vote-as pn|lid] [--dump-dir DIR] "
	    "[--linger-ms MS] [--polls-file FILE] [--group-create SUBJECT "
	    "--member JID...]\n");
	return 2;
}
