/*
 * make bench, after bench-crypto: two real homewardd on 127.0.0.1, driven
 * over their control sockets the way the CLI speaks to them (no CLI
 * processes), next to a bound measured in the same run.  Run by
 * scripts/bench-delivery.sh, which makes the agencies, starts and pairs
 * the daemons and stops them afterwards:
 *
 *   bench_delivery -a ALPHA_SOCK -A ALPHA_PID -b BETA_SOCK -B BETA_PID
 *       -d DIR -x HOMEWARDD [-p PEER] [-n N] [-r ROWS]
 *
 * DIR is the scripts' directory: the bound's commit database goes there
 * (the daemons' filesystem), and DIR/beta.conf, DIR/beta.state and
 * DIR/beta.log serve the startup step, which stops beta (pid BETA_PID),
 * fills its store and starts it again itself.
 *
 * Figures come from the daemons' own records where they exist (created_at
 * and delivered_at of the outbox, in ms) and from /proc for CPU and
 * memory.  A missed target is printed, not failed: exit 1 only when the
 * benchmark itself could not run.
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>
#include <sqlite3.h>

#include "keys/envelope.h"
#include "keys/secret.h"
#include "proto/control.h"
#include "proto/frame.h"
#include "tests/lib/fixture.h"

typedef Homeward__Control__Request  Request;
typedef Homeward__Control__Response Response;

#define BODY_LEN        1024
#define ROUNDS          5               /* best of, for the bound */
#define COMMITS         200             /* commits per round */
#define NCONN           8               /* sending control connections */
#define LIST_PAGE       10000           /* the daemon's cap on one listing */
#define RATE            500.0           /* offered msgs/s, latency step */
#define LAT_SECONDS     10
#define ACK_TIMEOUT     120.0           /* s: a safety net, not a figure */
#define FILL_BUDGET     60.0            /* s for generating the startup rows */
#define FILL_CHUNK      100000

/* Time per message of the work no implementation can avoid. */
struct bound {
	double          seal, open;     /* thread CPU s per call */
	double          commit;         /* wall s per durable commit */
	double          commit_median;  /* of the rounds: how noisy the disk is */
	double          per_msg;        /* 2 seals + 2 opens + 2 commits */
	double          rate;           /* 1 / per_msg */
};

/* One control connection, one request at a time. */
struct conn {
	int                     fd;
	struct frame_reader     rd;
	uint8_t                 buf[65536];
	size_t                  have, off;
	int                     busy;
	size_t                  slot;           /* the message in flight */
	int                     has_thread;     /* later sends continue it */
	uint8_t                 thread_id[ENV1_ID_LEN];
	int                     got_id;         /* the answer named the message */
	uint8_t                 msg_id[ENV1_ID_LEN];
};

struct status {
	int             ok;
	uint64_t        outbox_unacked, inbox_total;
	uint32_t        peers_connected;
};

/* One submitted message and what the sender's outbox says of it. */
struct rec {
	uint8_t         id[ENV1_ID_LEN];
	uint64_t        created_at, delivered_at;
	uint32_t        attempts;
	int             seen;
	double          answered;       /* monotonic s: accepted */
};

/* A run of submissions and its figures. */
struct phase {
	size_t          n;
	double          rate;           /* offered msgs/s; 0: as fast as answered */
	struct rec     *recs;
	double          t_first, t_last_submit, t_last_answer, t_acked; /* mono s */
	uint64_t        wall_start;     /* ms, daemon clock, before the first */
	double          max_lag;        /* s behind the pacing schedule */
	int             acked;          /* all receipts came in time */
	size_t          matched;        /* delivered records found */
	uint64_t        first_created, last_delivered;
	uint64_t        retransmissions;
	double          p50, p99, pmax; /* ms */
	double          accept_first, accept_last;     /* msgs/s, first and last tenth */
};

/* Peak VmRSS sampled while the daemons work. */
struct sampler {
	pid_t           pid[2];
	unsigned long   peak_kib[2];
	double          last;
};

/* --- clocks and /proc ------------------------------------------------------ */

static double
mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The daemons' clock (daemon_now): ms since the epoch. */
static uint64_t
wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
nap(double s)
{
	struct timespec ts = { (time_t)s, (long)((s - (double)(time_t)s) * 1e9) };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static double
thread_cpu(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* /proc/PID/stat into buf from the field after the command name (which
 * may hold spaces): the state letter first.  NULL when pid is gone. */
static const char *
proc_stat(pid_t pid, char *buf, size_t len)
{
	char    path[64], *p;
	ssize_t n;
	int     fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return NULL;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	if ((p = strrchr(buf, ')')) == NULL || p[1] == '\0' || p[2] == '\0')
		return NULL;
	return p + 2;
}

/* utime + stime of pid in seconds; -1 when it is gone. */
static double
proc_cpu(pid_t pid)
{
	char                    buf[1024];
	const char             *p;
	unsigned long long      ut, st;

	if ((p = proc_stat(pid, buf, sizeof(buf))) == NULL ||
	    sscanf(p, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
	    &ut, &st) != 2)
		return -1;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* The state letter of pid ('Z' for a zombie), 0 when it is gone. */
static char
proc_state(pid_t pid)
{
	char            buf[1024];
	const char     *p = proc_stat(pid, buf, sizeof(buf));

	return p != NULL ? *p : 0;
}

/* A "Vm...:" line of /proc/PID/status in KiB; 0 when absent. */
static unsigned long
proc_kib(pid_t pid, const char *field)
{
	char            path[64], line[256];
	unsigned long   kib = 0;
	size_t          flen = strlen(field);
	FILE           *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if ((f = fopen(path, "re")) == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, field, flen) == 0 && line[flen] == ':') {
			kib = strtoul(line + flen + 1, NULL, 10);
			break;
		}
	fclose(f);
	return kib;
}

/* --- the bound: crypto in-process, one durable commit ----------------------- */

struct crypto_ctx {
	struct fixture_agency   alpha, beta;
	struct peerkeys         beta_pinned;
	struct fixture_inbox    inbox;
	struct env1_open_ctx    octx;
	struct env1_seal_params params;
	uint8_t                 body[BODY_LEN];
	struct env1_sealed      sealed;
};

static void
do_seal(struct crypto_ctx *b)
{
	struct env1_sealed s;

	if (env1_seal(&b->alpha.id, &b->beta_pinned, &b->beta.prekey.stmt,
	    &b->params, FIXTURE_NOW, &s) != ENV1_OK)
		errx(1, "bound: env1_seal failed");
	env1_sealed_free(&s);
}

static void
do_open(struct crypto_ctx *b)
{
	struct env1_opened o;

	if (env1_open(&b->octx, b->sealed.env, b->sealed.env_len, &o) != ENV1_OK)
		errx(1, "bound: env1_open failed");
	env1_opened_free(&o);
}

/* Best thread CPU seconds per call over ROUNDS rounds of n calls. */
static double
best_cpu(void (*fn)(struct crypto_ctx *), struct crypto_ctx *b, int n)
{
	double best = 1e9;

	for (int r = 0; r < ROUNDS; r++) {
		double t0 = thread_cpu();

		for (int i = 0; i < n; i++)
			fn(b);
		double per = (thread_cpu() - t0) / n;
		if (per < best)
			best = per;
	}
	return best;
}

static void
bound_crypto(struct bound *bd)
{
	static struct crypto_ctx b;

	fixture_agency_make(&b.alpha, "alpha", FIXTURE_NOW);
	fixture_agency_make(&b.beta, "beta", FIXTURE_NOW);
	fixture_peerkeys(&b.beta, &b.beta_pinned);
	fixture_inbox_init(&b.inbox, &b.beta);
	fixture_inbox_pin(&b.inbox, &b.alpha);
	fixture_open_ctx(&b.inbox, FIXTURE_NOW, &b.octx);
	randombytes_buf(b.body, sizeof(b.body));
	fixture_seal_params(&b.params, "bench", ENV1_MSG_TEST_DOCUMENT, 1, b.body,
	    sizeof(b.body), FIXTURE_NOW);
	if (env1_seal(&b.alpha.id, &b.beta_pinned, &b.beta.prekey.stmt,
	    &b.params, FIXTURE_NOW, &b.sealed) != ENV1_OK)
		errx(1, "bound: env1_seal failed");
	/* Interleaved, so drift in machine speed hits both. */
	bd->seal = best_cpu(do_seal, &b, 300);
	bd->open = best_cpu(do_open, &b, 300);
	env1_sealed_free(&b.sealed);
	fixture_inbox_free(&b.inbox);
	peerkeys_clear(&b.beta_pinned);
	fixture_agency_free(&b.alpha);
	fixture_agency_free(&b.beta);
}

static void
sql_or_die(sqlite3 *db, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		errx(1, "sqlite: %s: %s", sql, msg != NULL ? msg : "?");
}

static int
dbl_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* One 1 KiB row per transaction in a WAL database with synchronous=FULL,
 * as the daemons' store is opened: best wall seconds per commit. */
static void
bound_commit(struct bound *bd, const char *dir)
{
	char            path[4096];
	uint8_t         row[BODY_LEN];
	sqlite3        *db;
	sqlite3_stmt   *ins;
	double          per[ROUNDS];

	snprintf(path, sizeof(path), "%s/bound.db", dir);
	if (sqlite3_open(path, &db) != SQLITE_OK)
		errx(1, "%s: %s", path, sqlite3_errmsg(db));
	sql_or_die(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
	    "CREATE TABLE t (id INTEGER PRIMARY KEY, body BLOB NOT NULL)");
	if (sqlite3_prepare_v2(db, "INSERT INTO t (body) VALUES (?)", -1, &ins,
	    NULL) != SQLITE_OK)
		errx(1, "sqlite: %s", sqlite3_errmsg(db));
	for (int r = 0; r < ROUNDS; r++) {
		double t0 = mono();

		for (int i = 0; i < COMMITS; i++) {
			randombytes_buf(row, sizeof(row));
			sql_or_die(db, "BEGIN IMMEDIATE");
			sqlite3_bind_blob(ins, 1, row, sizeof(row), SQLITE_STATIC);
			if (sqlite3_step(ins) != SQLITE_DONE)
				errx(1, "sqlite: %s", sqlite3_errmsg(db));
			sqlite3_reset(ins);
			sql_or_die(db, "COMMIT");
		}
		per[r] = (mono() - t0) / COMMITS;
	}
	sqlite3_finalize(ins);
	sqlite3_close(db);
	qsort(per, ROUNDS, sizeof(per[0]), dbl_cmp);
	bd->commit = per[0];
	bd->commit_median = per[ROUNDS / 2];
	unlink(path);
}

static void
bound_measure(struct bound *bd, const char *dir)
{
	bound_crypto(bd);
	bound_commit(bd, dir);
	bd->per_msg = 2 * bd->seal + 2 * bd->open + 2 * bd->commit;
	bd->rate = 1 / bd->per_msg;
}

/* --- control connections ---------------------------------------------------- */

static int
conn_open(struct conn *c, const char *path)
{
	struct sockaddr_un sun;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	memcpy(sun.sun_path, path, strlen(path));
	if ((c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -errno;
	if (connect(c->fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		int e = errno;

		close(c->fd);
		c->fd = -1;
		return -e;
	}
	frame_reader_init(&c->rd, FRAME_CONTROL_MAX);
	return 0;
}

static void
conn_close(struct conn *c)
{
	if (c->fd >= 0) {
		close(c->fd);
		frame_reader_free(&c->rd);
	}
	c->fd = -1;
}

static int
conn_request(struct conn *c, Request *req)
{
	uint8_t        *enc, *p;
	size_t          len;
	int             rc;

	if ((rc = control_request_encode(req, &enc, &len)) != 0)
		return rc;
	for (p = enc; len > 0; ) {
		ssize_t k = send(c->fd, p, len, MSG_NOSIGNAL);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			rc = -errno;
			break;
		}
		p += k;
		len -= (size_t)k;
	}
	free(enc);
	return rc;
}

/* The next Response on c, reading (blocking) until one is complete. */
static int
conn_response(struct conn *c, Response **out)
{
	uint8_t        *pl;
	size_t          used, plen;
	int             r, err;

	for (;;) {
		if (c->off < c->have) {
			r = frame_reader_feed(&c->rd, c->buf + c->off, c->have - c->off,
			    &used, &pl, &plen);
			if (r < 0)
				return r;
			c->off += used;
			if (r == FRAME_READY) {
				*out = control_response_decode(pl, plen, &err);
				free(pl);
				return *out != NULL ? 0 : err;
			}
			continue;
		}
		ssize_t k = recv(c->fd, c->buf, sizeof(c->buf), 0);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return k == 0 ? -ECONNRESET : -errno;
		c->have = (size_t)k;
		c->off = 0;
	}
}

/* Read an answer to its Result: each data Response goes to cb (which must
 * not keep it).  0 when the Result is RESULT_OK. */
static int
conn_answer(struct conn *c, void (*cb)(const Response *, void *), void *arg)
{
	Response       *r = NULL;
	int             rc;

	for (;;) {
		if ((rc = conn_response(c, &r)) != 0)
			return rc;
		if (r->kind_case == HOMEWARD__CONTROL__RESPONSE__KIND_RESULT) {
			rc = r->result->code == HOMEWARD__CONTROL__RESULT_CODE__RESULT_OK ?
			    0 : -EPROTO;
			if (rc != 0)
				warnx("daemon answered %s: %s",
				    control_result_name(r->result->code),
				    r->result->message != NULL ? r->result->message : "");
			homeward__control__response__free_unpacked(r, NULL);
			return rc;
		}
		if (cb != NULL)
			cb(r, arg);
		homeward__control__response__free_unpacked(r, NULL);
	}
}

static void
status_cb(const Response *r, void *arg)
{
	struct status *s = arg;

	if (r->kind_case != HOMEWARD__CONTROL__RESPONSE__KIND_STATUS)
		return;
	s->outbox_unacked = r->status->outbox_unacked;
	s->inbox_total = r->status->inbox_total;
	s->peers_connected = r->status->peers_connected;
	s->ok = 1;
}

static int
status_get(struct conn *c, struct status *s)
{
	Request                         req = HOMEWARD__CONTROL__REQUEST__INIT;
	Homeward__Control__StatusRequest sr = HOMEWARD__CONTROL__STATUS_REQUEST__INIT;
	int                             rc;

	memset(s, 0, sizeof(*s));
	req.kind_case = HOMEWARD__CONTROL__REQUEST__KIND_STATUS;
	req.status = &sr;
	if ((rc = conn_request(c, &req)) != 0 ||
	    (rc = conn_answer(c, status_cb, s)) != 0)
		return rc;
	return s->ok ? 0 : -EPROTO;
}

/* --- sending and waiting ------------------------------------------------------ */

static void
sampler_tick(struct sampler *s, int force)
{
	double now = mono();

	if (!force && now - s->last < 0.05)
		return;
	s->last = now;
	for (int i = 0; i < 2; i++) {
		unsigned long kib = proc_kib(s->pid[i], "VmRSS");

		if (kib > s->peak_kib[i])
			s->peak_kib[i] = kib;
	}
}

static void
send_cb(const Response *r, void *arg)
{
	struct conn *c = arg;

	if (r->kind_case != HOMEWARD__CONTROL__RESPONSE__KIND_MESSAGE ||
	    r->message->thread_id.len != ENV1_ID_LEN ||
	    r->message->message_id.len != ENV1_ID_LEN)
		return;
	memcpy(c->thread_id, r->message->thread_id.data, ENV1_ID_LEN);
	memcpy(c->msg_id, r->message->message_id.data, ENV1_ID_LEN);
	c->has_thread = c->got_id = 1;
}

/* Submit one SendDocument of a fresh random body on c.  Each connection
 * keeps one thread, so positions chain as a caseworker's would. */
static void
submit(struct conn *c, const char *peer, size_t slot)
{
	Request                         req = HOMEWARD__CONTROL__REQUEST__INIT;
	Homeward__Control__SendDocument sd = HOMEWARD__CONTROL__SEND_DOCUMENT__INIT;
	uint8_t                         body[BODY_LEN];
	int                             rc;

	randombytes_buf(body, sizeof(body));
	sd.peer = (char *)peer;
	sd.msg_type = ENV1_MSG_TEST_DOCUMENT;
	sd.body.data = body;
	sd.body.len = sizeof(body);
	if (c->has_thread) {
		sd.thread_id.data = c->thread_id;
		sd.thread_id.len = ENV1_ID_LEN;
	}
	req.kind_case = HOMEWARD__CONTROL__REQUEST__KIND_SEND;
	req.send = &sd;
	if ((rc = conn_request(c, &req)) != 0)
		errx(1, "send: %s", strerror(-rc));
	c->busy = 1;
	c->slot = slot;
	c->got_id = 0;
}

/*
 * Submit ph->n messages over the connections, each with one request in
 * flight: as fast as they are answered, or paced at ph->rate (a message
 * whose time has come waits only for a free connection).
 */
static void
run_sends(struct conn *cs, size_t nc, const char *peer, struct phase *ph,
    struct sampler *sm)
{
	struct pollfd   pfd[NCONN];
	size_t          map[NCONN], next = 0, done = 0;
	double          t0;

	ph->wall_start = wall_ms();
	ph->t_first = t0 = mono();
	while (done < ph->n) {
		double now = mono();
		int timeout = 100, np = 0;

		for (size_t i = 0; i < nc && next < ph->n; i++) {
			if (cs[i].busy)
				continue;
			if (ph->rate > 0) {
				double due = t0 + (double)next / ph->rate;

				if (now < due)
					break;
				if (now - due > ph->max_lag)
					ph->max_lag = now - due;
			}
			submit(&cs[i], peer, next++);
		}
		if (next == ph->n && ph->t_last_submit == 0)
			ph->t_last_submit = mono();
		if (ph->rate > 0 && next < ph->n) {
			double wait = t0 + (double)next / ph->rate - mono();

			timeout = wait <= 0 ? 0 : (int)(wait * 1000) + 1;
		}
		for (size_t i = 0; i < nc; i++)
			if (cs[i].busy) {
				pfd[np].fd = cs[i].fd;
				pfd[np].events = POLLIN;
				map[np++] = i;
			}
		/* Answers already buffered need no poll. */
		for (int k = 0; k < np; k++)
			if (cs[map[k]].off < cs[map[k]].have)
				timeout = 0;
		if (poll(pfd, (nfds_t)np, timeout) < 0 && errno != EINTR)
			err(1, "poll");
		for (int k = 0; k < np; k++) {
			struct conn *c = &cs[map[k]];

			if ((pfd[k].revents & (POLLIN | POLLHUP | POLLERR)) == 0 &&
			    c->off >= c->have)
				continue;
			if (conn_answer(c, send_cb, c) != 0 || !c->got_id)
				errx(1, "message %zu was not accepted", c->slot);
			memcpy(ph->recs[c->slot].id, c->msg_id, ENV1_ID_LEN);
			ph->recs[c->slot].answered = mono();
			c->busy = 0;
			done++;
		}
		sampler_tick(sm, 0);
	}
	ph->t_last_answer = mono();
}

/* Until the sender's status says no message waits for a receipt. */
static void
wait_acked(struct conn *aux, struct phase *ph, struct sampler *sm)
{
	struct status   s;
	int             rc;

	while (mono() - ph->t_first < ACK_TIMEOUT) {
		if ((rc = status_get(aux, &s)) != 0)
			errx(1, "status: %s", strerror(-rc));
		sampler_tick(sm, 1);
		if (s.outbox_unacked == 0) {
			ph->t_acked = mono();
			ph->acked = 1;
			return;
		}
		/* Each status counts the outbox: poll gently. */
		nap(0.05);
	}
	ph->t_acked = mono();
	warnx("not every message was acknowledged within %.0f s", ACK_TIMEOUT);
}

/* --- the sender's records ----------------------------------------------------- */

static int
rec_cmp(const void *a, const void *b)
{
	return memcmp(a, b, ENV1_ID_LEN);
}

struct list_walk {
	struct phase   *ph;
	size_t          rows;
	uint64_t        min_created;
};

static void
list_cb(const Response *r, void *arg)
{
	struct list_walk               *w = arg;
	const Homeward__Control__MessageInfo *mi;
	struct rec                     *rc;

	if (r->kind_case != HOMEWARD__CONTROL__RESPONSE__KIND_MESSAGE)
		return;
	mi = r->message;
	w->rows++;
	if (mi->created_at < w->min_created)
		w->min_created = mi->created_at;
	if (mi->message_id.len != ENV1_ID_LEN ||
	    (rc = bsearch(mi->message_id.data, w->ph->recs, w->ph->n,
	    sizeof(struct rec), rec_cmp)) == NULL || rc->seen)
		return;
	rc->seen = 1;
	rc->created_at = mi->created_at;
	rc->delivered_at = mi->delivered_at;
	rc->attempts = mi->attempts;
	w->ph->matched++;
}

static int
u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * The delivered outbox rows of the phase's messages, newest first, page
 * by page.  `before` is exclusive and in ms, and many rows share a ms: the
 * next page starts at the oldest ms seen, plus one, and rows seen twice
 * are matched once.
 */
static void
collect(struct conn *aux, const char *peer, struct phase *ph)
{
	Request                         req = HOMEWARD__CONTROL__REQUEST__INIT;
	Homeward__Control__MessageList  ml = HOMEWARD__CONTROL__MESSAGE_LIST__INIT;
	uint64_t                        before = 0, *lat;
	size_t                          k = 0;
	int                             rc;

	/* Still in submission order: does accepting slow down as the store
	 * grows? */
	if (ph->n >= 20) {
		size_t tenth = ph->n / 10;

		ph->accept_first = (double)tenth / (ph->recs[tenth - 1].answered -
		    ph->t_first);
		ph->accept_last = (double)tenth / (ph->recs[ph->n - 1].answered -
		    ph->recs[ph->n - tenth - 1].answered);
	}
	qsort(ph->recs, ph->n, sizeof(struct rec), rec_cmp);
	ml.direction = HOMEWARD__CONTROL__DIRECTION__DIRECTION_OUT;
	ml.peer = (char *)peer;
	ml.state = (char *)"delivered";
	ml.limit = LIST_PAGE;
	req.kind_case = HOMEWARD__CONTROL__REQUEST__KIND_MESSAGE_LIST;
	req.message_list = &ml;
	for (;;) {
		struct list_walk w = { ph, 0, UINT64_MAX };

		ml.before = before;
		if ((rc = conn_request(aux, &req)) != 0 ||
		    (rc = conn_answer(aux, list_cb, &w)) != 0)
			errx(1, "list: %s", strerror(-rc));
		if (w.rows < LIST_PAGE || ph->matched == ph->n ||
		    w.min_created + 1000 < ph->wall_start)
			break;
		before = w.min_created + 1 < before || before == 0 ?
		    w.min_created + 1 : w.min_created;
	}
	if ((lat = calloc(ph->n + 1, sizeof(*lat))) == NULL)
		err(1, "calloc");
	ph->first_created = UINT64_MAX;
	for (size_t i = 0; i < ph->n; i++) {
		const struct rec *r = &ph->recs[i];

		if (!r->seen)
			continue;
		if (r->created_at < ph->first_created)
			ph->first_created = r->created_at;
		if (r->delivered_at > ph->last_delivered)
			ph->last_delivered = r->delivered_at;
		ph->retransmissions += r->attempts > 1 ? r->attempts - 1 : 0;
		lat[k++] = r->delivered_at - r->created_at;
	}
	if (k > 0) {
		qsort(lat, k, sizeof(*lat), u64_cmp);
		ph->p50 = (double)lat[(k - 1) / 2];
		ph->p99 = (double)lat[(k * 99 + 99) / 100 - 1];
		ph->pmax = (double)lat[k - 1];
	}
	free(lat);
}

/* --- startup with a large store ----------------------------------------------- */

/* SIGTERM a daemon that is not our child and wait until it has exited. */
static void
stop_foreign(pid_t pid)
{
	double t0 = mono();

	kill(pid, SIGTERM);
	while (mono() - t0 < 30) {
		char st = proc_state(pid);

		if (st == 0 || st == 'Z' || st == 'X')
			return;
		nap(0.01);
	}
	errx(1, "daemon %d did not stop within 30 s", (int)pid);
}

static void
stop_child(pid_t pid)
{
	int st;

	kill(pid, SIGTERM);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
}

/* What a start costs, in s from exec: to a control socket that accepts
 * (keys unlocked, store open, everything set up), to the first status
 * answer, and one status after that. */
struct startup {
	double          listening, answered, status;
	uint64_t        inbox_total;
};

/* Start homewardd NAME (DIR/NAME.conf), time it, and leave it running:
 * *pidp is the child.  0, or -1 when it died or did not answer in 30 s. */
static int
time_start(const char *hwd, const char *dir, const char *name, pid_t *pidp,
    struct startup *su)
{
	char            conf[4096], log[4096], sock[4096];
	struct conn     c;
	struct status   s;
	double          t0, t;
	pid_t           pid;
	int             st, rc;

	memset(su, 0, sizeof(*su));
	snprintf(conf, sizeof(conf), "%s/%s.conf", dir, name);
	snprintf(log, sizeof(log), "%s/%s.log", dir, name);
	snprintf(sock, sizeof(sock), "%s/%s.sock", dir, name);
	t0 = mono();
	if ((pid = fork()) < 0)
		err(1, "fork");
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_APPEND | O_CREAT, 0600);

		if (fd >= 0)
			dup2(fd, STDERR_FILENO);
		execl(hwd, hwd, "-f", conf, (char *)NULL);
		_exit(127);
	}
	*pidp = pid;
	while (mono() - t0 < 30) {
		if (waitpid(pid, &st, WNOHANG) == pid) {
			*pidp = -1;
			return -1;
		}
		if (conn_open(&c, sock) == 0) {
			if (su->listening == 0)
				su->listening = mono() - t0;
			rc = status_get(&c, &s);
			t = mono();
			if (rc == 0) {
				su->answered = t - t0;
				rc = status_get(&c, &s);
				su->status = mono() - t;
				su->inbox_total = s.inbox_total;
			}
			conn_close(&c);
			if (rc == 0)
				return 0;
		}
		nap(0.002);
	}
	return -1;
}

/*
 * Add rows synthetic messages to NAME's stopped store, half delivered
 * outbox rows and half accepted inbox rows of its one peer, with small
 * random blobs: nothing reads them at start.  A recursive CTE in SQLite
 * itself, in chunks, stopping when the budget would be exceeded.
 */
static size_t
fill_store(const char *dir, const char *name, size_t rows, double *secs)
{
	static const char out_sql[] =
	    "INSERT INTO outbox (message_id, row_id, peer_rik, thread_id, seq, "
	    "msg_type, in_reply_to, content_salt, body_len, body, created_at, state, "
	    "envelope, signed, h_env, h_inner, attempts, sent_at, delivered_at, "
	    "receipt_id) WITH RECURSIVE c(i) AS (SELECT ?1 UNION ALL SELECT i + 1 "
	    "FROM c WHERE i < ?2) SELECT randomblob(16), randomblob(16), ?3, ?4, i, "
	    "32512, zeroblob(16), randomblob(32), 1024, randomblob(64), ?5 + i, 2, "
	    "randomblob(64), randomblob(64), randomblob(32), randomblob(32), 1, "
	    "?5 + i, ?5 + i + 5, randomblob(16) FROM c";
	static const char in_sql[] =
	    "INSERT INTO inbox (sender_rik, message_id, row_id, thread_id, seq, "
	    "msg_type, h_env, h_inner, prev_hash, in_reply_to, semantic, state, "
	    "created_at, received_at, committed_at, body_len, evidence, receipt_id) "
	    "WITH RECURSIVE c(i) AS (SELECT ?1 UNION ALL SELECT i + 1 FROM c "
	    "WHERE i < ?2) SELECT ?3, randomblob(16), randomblob(16), ?4, i, 32512, "
	    "randomblob(32), randomblob(32), randomblob(32), zeroblob(16), "
	    "randomblob(32), 1, ?5 + i, ?5 + i, ?5 + i, 1024, randomblob(64), "
	    "randomblob(16) FROM c";
	char            path[4096];
	uint8_t         rik[ENV1_KEY_LEN], tout[ENV1_ID_LEN], tin[ENV1_ID_LEN];
	sqlite3        *db;
	sqlite3_stmt   *s, *ins[2];
	size_t          done = 0;
	double          t0 = mono();
	/* Long ago: these rows are older than anything the run sent. */
	int64_t         at0 = (int64_t)wall_ms() - 400ll * 86400 * 1000;

	snprintf(path, sizeof(path), "%s/%s.state/data.db", dir, name);
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
		errx(1, "%s: %s", path, sqlite3_errmsg(db));
	sql_or_die(db, "PRAGMA cache_size = -262144; PRAGMA synchronous = NORMAL");
	if (sqlite3_prepare_v2(db, "SELECT rik FROM peers LIMIT 1", -1, &s,
	    NULL) != SQLITE_OK || sqlite3_step(s) != SQLITE_ROW ||
	    sqlite3_column_bytes(s, 0) != ENV1_KEY_LEN)
		errx(1, "%s: no peer to file the messages under", path);
	memcpy(rik, sqlite3_column_blob(s, 0), ENV1_KEY_LEN);
	sqlite3_finalize(s);
	randombytes_buf(tout, sizeof(tout));
	randombytes_buf(tin, sizeof(tin));
	if (sqlite3_prepare_v2(db, out_sql, -1, &ins[0], NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, in_sql, -1, &ins[1], NULL) != SQLITE_OK)
		errx(1, "sqlite: %s", sqlite3_errmsg(db));
	while (done < rows) {
		double  el = mono() - t0;
		size_t  half = FILL_CHUNK / 2;

		/* Stop before a chunk would run past the budget. */
		if (done > 0 && el + el / (double)(done / FILL_CHUNK) > FILL_BUDGET)
			break;
		sql_or_die(db, "BEGIN");
		for (int k = 0; k < 2; k++) {
			sqlite3_bind_int64(ins[k], 1, (int64_t)(done / 2 + 1));
			sqlite3_bind_int64(ins[k], 2, (int64_t)(done / 2 + half));
			sqlite3_bind_blob(ins[k], 3, rik, ENV1_KEY_LEN, SQLITE_STATIC);
			sqlite3_bind_blob(ins[k], 4, k == 0 ? tout : tin, ENV1_ID_LEN,
			    SQLITE_STATIC);
			sqlite3_bind_int64(ins[k], 5, at0);
			if (sqlite3_step(ins[k]) != SQLITE_DONE)
				errx(1, "sqlite: %s", sqlite3_errmsg(db));
			sqlite3_reset(ins[k]);
		}
		sql_or_die(db, "COMMIT");
		done += FILL_CHUNK;
	}
	sqlite3_finalize(ins[0]);
	sqlite3_finalize(ins[1]);
	if (sqlite3_close(db) != SQLITE_OK)
		errx(1, "%s: cannot close", path);
	*secs = mono() - t0;
	return done;
}

/* --- the run and its table ---------------------------------------------------- */

struct opts {
	const char     *alpha_sock, *beta_sock, *dir, *hwd, *peer;
	pid_t           alpha_pid, beta_pid;
	size_t          n, rows;
};

/* Everything the table shows. */
struct results {
	struct bound    bd;
	struct phase    warm, tp, lat;
	struct sampler  sm;
	double          cpu[2];         /* s of each daemon over the throughput step */
	unsigned long   hwm[2], rss_end[2];
	struct startup  base, big;
	size_t          filled;
	double          fill_s;
	long            ncpu;
};

static void
usage(void)
{
	fprintf(stderr, "usage: bench_delivery -a ALPHA_SOCK -A ALPHA_PID -b BETA_SOCK "
	    "-B BETA_PID -d DIR -x HOMEWARDD [-p PEER] [-n N] [-r ROWS]\n");
	exit(2);
}

static void
parse(int argc, char **argv, struct opts *o)
{
	int ch;

	memset(o, 0, sizeof(*o));
	o->peer = "beta";
	o->n = 20000;
	o->rows = 1000000;
	while ((ch = getopt(argc, argv, "a:A:b:B:d:x:p:n:r:")) != -1) {
		switch (ch) {
		case 'a': o->alpha_sock = optarg; break;
		case 'A': o->alpha_pid = (pid_t)atoi(optarg); break;
		case 'b': o->beta_sock = optarg; break;
		case 'B': o->beta_pid = (pid_t)atoi(optarg); break;
		case 'd': o->dir = optarg; break;
		case 'x': o->hwd = optarg; break;
		case 'p': o->peer = optarg; break;
		case 'n': o->n = strtoul(optarg, NULL, 10); break;
		case 'r': o->rows = strtoul(optarg, NULL, 10); break;
		default: usage();
		}
	}
	if (o->alpha_sock == NULL || o->beta_sock == NULL || o->dir == NULL ||
	    o->hwd == NULL || o->alpha_pid <= 0 || o->beta_pid <= 0 || o->n < 20)
		usage();
}

static void
phase_init(struct phase *ph, size_t n, double rate)
{
	memset(ph, 0, sizeof(*ph));
	ph->n = n;
	ph->rate = rate;
	if ((ph->recs = calloc(n, sizeof(*ph->recs))) == NULL)
		err(1, "calloc");
}

/* Submit, wait for every receipt, read the records. */
static void
run_phase(struct conn *cs, struct conn *aux, const struct opts *o,
    struct phase *ph, struct sampler *sm, double cpu[2])
{
	double c0[2] = { proc_cpu(sm->pid[0]), proc_cpu(sm->pid[1]) };

	run_sends(cs, NCONN, o->peer, ph, sm);
	wait_acked(aux, ph, sm);
	if (cpu != NULL)
		for (int i = 0; i < 2; i++)
			cpu[i] = proc_cpu(sm->pid[i]) - c0[i];
	collect(aux, o->peer, ph);
}

/* Steps 2 to 5 against the running daemons. */
static void
run_delivery(const struct opts *o, struct results *res)
{
	struct conn     cs[NCONN], aux;
	struct status   st;

	for (int i = 0; i < NCONN; i++)
		if (conn_open(&cs[i], o->alpha_sock) != 0)
			err(1, "%s", o->alpha_sock);
	if (conn_open(&aux, o->alpha_sock) != 0)
		err(1, "%s", o->alpha_sock);
	if (status_get(&aux, &st) != 0 || st.peers_connected == 0)
		errx(1, "alpha is not connected to its peer");
	res->sm.pid[0] = o->alpha_pid;
	res->sm.pid[1] = o->beta_pid;

	/* Threads made and caches warm before anything counts. */
	fprintf(stderr, "  warming up ...\n");
	phase_init(&res->warm, 25 * NCONN, 0);
	run_phase(cs, &aux, o, &res->warm, &res->sm, NULL);

	fprintf(stderr, "  throughput: %zu messages over %d connections ...\n",
	    o->n, NCONN);
	phase_init(&res->tp, o->n, 0);
	run_phase(cs, &aux, o, &res->tp, &res->sm, res->cpu);

	fprintf(stderr, "  latency: %d messages at %.0f/s ...\n",
	    (int)(RATE * LAT_SECONDS), RATE);
	phase_init(&res->lat, (size_t)(RATE * LAT_SECONDS), RATE);
	run_phase(cs, &aux, o, &res->lat, &res->sm, NULL);

	for (int i = 0; i < 2; i++) {
		res->hwm[i] = proc_kib(res->sm.pid[i], "VmHWM");
		res->rss_end[i] = proc_kib(res->sm.pid[i], "VmRSS");
	}
	for (int i = 0; i < NCONN; i++)
		conn_close(&cs[i]);
	conn_close(&aux);
}

/* Step 6: beta restarted as it is, then with o->rows more messages. */
static void
run_startup(const struct opts *o, struct results *res)
{
	pid_t child;

	fprintf(stderr, "  startup: restarting beta, then with %zu more rows ...\n",
	    o->rows);
	stop_foreign(o->beta_pid);
	if (time_start(o->hwd, o->dir, "beta", &child, &res->base) != 0)
		errx(1, "beta did not restart (see %s/beta.log)", o->dir);
	stop_child(child);
	res->filled = fill_store(o->dir, "beta", o->rows, &res->fill_s);
	if (time_start(o->hwd, o->dir, "beta", &child, &res->big) != 0)
		errx(1, "beta did not start on the large store (see %s/beta.log)",
		    o->dir);
	stop_child(child);
}

static double
phase_rate(const struct phase *ph)
{
	if (ph->matched == 0 || ph->last_delivered <= ph->first_created)
		return 0;
	return (double)ph->matched * 1000 /
	    (double)(ph->last_delivered - ph->first_created);
}

static const char *
verdict(int met)
{
	return met ? "met" : "MISSED";
}

/* One row of the table; the measured figure is formatted from fmt. */
static void __attribute__((format(printf, 5, 6)))
row(const char *figure, const char *target, const char *vs, const char *v,
    const char *fmt, ...)
{
	char    m[64];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m, sizeof(m), fmt, ap);
	va_end(ap);
	printf("  %-44s %16s  %-14s %9s  %s\n", figure, m, target, vs, v);
}

static void
report(const struct opts *o, const struct results *r)
{
	const struct bound     *bd = &r->bd;
	const struct phase     *tp = &r->tp, *lat = &r->lat;
	double                  e2e = phase_rate(tp), cpu = r->cpu[0] + r->cpu[1];
	double                  crypto = 2 * bd->seal + 2 * bd->open;
	char                    t[64], vs[64], f[64];

	printf("\nbound, measured in this run, per message (both sides' work once, "
	    "one after the other):\n");
	printf("  2 x env1_seal        2 x %7.1f us  thread CPU, best of %d\n",
	    bd->seal * 1e6, ROUNDS);
	printf("  2 x env1_open        2 x %7.1f us  thread CPU, best of %d\n",
	    bd->open * 1e6, ROUNDS);
	printf("  2 x durable commit   2 x %7.1f us  wall, best of %d rounds of %d "
	    "(median round %.1f us): SQLite WAL,\n", bd->commit * 1e6, ROUNDS,
	    COMMITS, bd->commit_median * 1e6);
	printf("                                     synchronous=FULL, one 1 KiB row "
	    "per transaction, the daemons' filesystem\n");
	printf("  = %.3f ms per message: bound %.0f msgs/s.  This machine has %ld "
	    "CPU(s), shared by both\n  daemons and this driver.\n\n",
	    bd->per_msg * 1e3, bd->rate, r->ncpu);

	printf("  %-44s %16s  %-14s %9s\n", "figure", "measured", "target", "vs bound");
	snprintf(t, sizeof(t), ">= %.0f (50%%)", bd->rate / 2);
	snprintf(vs, sizeof(vs), "%.2f", e2e / bd->rate);
	row("throughput, end to end (outbox records)", t, vs,
	    verdict(e2e >= bd->rate / 2), "%.0f msgs/s", e2e);
	snprintf(vs, sizeof(vs), "%.2f", (double)tp->matched /
	    (tp->t_acked - tp->t_first) / bd->rate);
	row("  wall clock, first submit to all acked", "", vs, "", "%.0f msgs/s",
	    (double)tp->matched / (tp->t_acked - tp->t_first));
	row("  accepted into the outbox", "", "", "", "%.0f msgs/s",
	    (double)tp->n / (tp->t_last_answer - tp->t_first));
	row("    first / last tenth of the submissions", "", "", "",
	    "%.0f / %.0f", tp->accept_first, tp->accept_last);
	row("  latency p50 / p99, saturated", "", "", "", "%.0f / %.0f ms",
	    tp->p50, tp->p99);
	row("  retransmissions", "", "", "", "%llu",
	    (unsigned long long)tp->retransmissions);

	snprintf(vs, sizeof(vs), "%.1fx", lat->p50 / (bd->per_msg * 1e3));
	row("latency p50 at 500 msgs/s offered", "", vs, "", "%.0f ms", lat->p50);
	snprintf(vs, sizeof(vs), "%.1fx", lat->p99 / (bd->per_msg * 1e3));
	row("latency p99 at 500 msgs/s offered", "< 20 ms", vs,
	    verdict(lat->p99 < 20), "%.0f ms", lat->p99);
	row("  max", "", "", "", "%.0f ms", lat->pmax);
	row("  offered, as this driver achieved it", "", "", "", "%.0f msgs/s",
	    (double)lat->n / (lat->t_last_submit - lat->t_first));
	row("  this driver's worst lag behind its pacing", "", "", "", "%.1f ms",
	    lat->max_lag * 1e3);

	snprintf(vs, sizeof(vs), "%.2fx", cpu / (double)o->n / crypto);
	row("CPU per message, both daemons", "", vs, "", "%.0f us",
	    cpu * 1e6 / (double)o->n);
	row("  alpha / beta", "", "", "", "%.0f / %.0f us",
	    r->cpu[0] * 1e6 / (double)o->n, r->cpu[1] * 1e6 / (double)o->n);

	for (int i = 0; i < 2; i++) {
		snprintf(f, sizeof(f), "peak RSS %s (VmHWM, whole process life)",
		    i == 0 ? "alpha" : "beta");
		row(f, "< 32 MiB", "", verdict(r->hwm[i] < 32 * 1024), "%.1f MiB",
		    (double)r->hwm[i] / 1024);
		row("  peak VmRSS sampled while delivering", "< 32 MiB", "",
		    verdict(r->sm.peak_kib[i] < 32 * 1024), "%.1f MiB",
		    (double)r->sm.peak_kib[i] / 1024);
		row("  VmRSS at the end", "", "", "", "%.1f MiB",
		    (double)r->rss_end[i] / 1024);
	}

	row("startup, this run's store: socket / status", "", "", "",
	    "%.0f / %.0f ms", r->base.listening * 1e3, r->base.answered * 1e3);
	snprintf(f, sizeof(f), "startup, %zuk more rows: first status", r->filled / 1000);
	row(f, "< 1 s", "", verdict(r->big.answered < 1.0), "%.0f ms",
	    r->big.answered * 1e3);
	row("  of which to an accepting control socket", "", "", "", "%.0f ms",
	    r->big.listening * 1e3);
	row("  one more status on that store", "", "", "", "%.0f ms",
	    r->big.status * 1e3);

	printf("\nEnd-to-end rate: delivered messages / (last delivered_at - first "
	    "created_at) of the sender's\noutbox records; latency: delivered_at - "
	    "created_at of each record (both ms resolution).\n%zu of %zu and %zu of "
	    "%zu messages found delivered%s.  CPU: utime + stime of both daemons\n"
	    "from the first submit to all acked; vs bound: over 2 seals + 2 opens.  "
	    "A warm-up of %zu\nmessages came first, not counted.\n", tp->matched,
	    tp->n, lat->matched, lat->n, tp->acked && lat->acked ? "" :
	    " (NOT all acknowledged in time)", r->warm.n);
	if (r->filled < o->rows)
		printf("Startup store: only %zu of %zu rows could be generated within "
		    "%.0f s (%.0f s taken).\n", r->filled, o->rows, FILL_BUDGET,
		    r->fill_s);
	else
		printf("Startup store: %zu synthetic rows, half outbox, half inbox, "
		    "made in %.0f s; beta then counted\n%llu inbox messages.\n",
		    r->filled, r->fill_s, (unsigned long long)r->big.inbox_total);
}

int
main(int argc, char **argv)
{
	static struct results   res;
	struct opts             o;

	parse(argc, argv, &o);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (secret_init() != 0)
		errx(1, "libsodium failed to start");
	res.ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	printf("bench-delivery: homewardd alpha -> beta on 127.0.0.1, %zu messages of "
	    "1 KiB\n", o.n);
	fprintf(stderr, "  measuring the bound ...\n");
	bound_measure(&res.bd, o.dir);
	run_delivery(&o, &res);
	run_startup(&o, &res);
	report(&o, &res);
	free(res.warm.recs);
	free(res.tp.recs);
	free(res.lat.recs);
	return 0;
}
