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
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "keys/envelope.h"
#include "keys/secret.h"
#include "tests/lib/bound.h"
#include "tests/lib/ctlclient.h"
#include "tests/lib/daemonrun.h"
#include "tests/lib/procstat.h"

typedef Homeward__Control__Request  Request;
typedef Homeward__Control__Response Response;

#define BODY_LEN        BOUND_BODY_LEN
#define NCONN           8               /* sending control connections */
#define LIST_PAGE       10000           /* the daemon's cap on one listing */
#define RATE            500.0           /* offered msgs/s, latency step */
#define LAT_SECONDS     10
#define ACK_TIMEOUT     120.0           /* s: a safety net, not a figure */
#define FILL_BUDGET     60.0            /* s for generating the startup rows */

/* A sending control connection, one request at a time. */
struct conn {
	struct ctlclient        cc;
	int                     busy;
	size_t                  slot;           /* the message in flight */
	int                     has_thread;     /* later sends continue it */
	uint8_t                 thread_id[ENV1_ID_LEN];
	int                     got_id;         /* the answer named the message */
	uint8_t                 msg_id[ENV1_ID_LEN];
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

/* --- sending and waiting ------------------------------------------------------ */

static void
sampler_tick(struct sampler *s, int force)
{
	double now = procstat_mono();

	if (!force && now - s->last < 0.05)
		return;
	s->last = now;
	for (int i = 0; i < 2; i++) {
		unsigned long kib = procstat_kib(s->pid[i], "VmRSS");

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
	if ((rc = ctlclient_request(&c->cc, &req)) != 0)
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

	ph->wall_start = procstat_wall_ms();
	ph->t_first = t0 = procstat_mono();
	while (done < ph->n) {
		double now = procstat_mono();
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
			ph->t_last_submit = procstat_mono();
		if (ph->rate > 0 && next < ph->n) {
			double wait = t0 + (double)next / ph->rate - procstat_mono();

			timeout = wait <= 0 ? 0 : (int)(wait * 1000) + 1;
		}
		for (size_t i = 0; i < nc; i++)
			if (cs[i].busy) {
				pfd[np].fd = cs[i].cc.fd;
				pfd[np].events = POLLIN;
				map[np++] = i;
			}
		/* Answers already buffered need no poll. */
		for (int k = 0; k < np; k++)
			if (ctlclient_buffered(&cs[map[k]].cc))
				timeout = 0;
		if (poll(pfd, (nfds_t)np, timeout) < 0 && errno != EINTR)
			err(1, "poll");
		for (int k = 0; k < np; k++) {
			struct conn *c = &cs[map[k]];

			if ((pfd[k].revents & (POLLIN | POLLHUP | POLLERR)) == 0 &&
			    !ctlclient_buffered(&c->cc))
				continue;
			if (ctlclient_answer(&c->cc, send_cb, c) != 0 || !c->got_id)
				errx(1, "message %zu was not accepted", c->slot);
			memcpy(ph->recs[c->slot].id, c->msg_id, ENV1_ID_LEN);
			ph->recs[c->slot].answered = procstat_mono();
			c->busy = 0;
			done++;
		}
		sampler_tick(sm, 0);
	}
	ph->t_last_answer = procstat_mono();
}

/* Until the sender's status says no message waits for a receipt. */
static void
wait_acked(struct ctlclient *aux, struct phase *ph, struct sampler *sm)
{
	struct ctlclient_status s;
	int             rc;

	while (procstat_mono() - ph->t_first < ACK_TIMEOUT) {
		if ((rc = ctlclient_status(aux, &s)) != 0)
			errx(1, "status: %s", ctlclient_strerror(aux, rc));
		sampler_tick(sm, 1);
		if (s.outbox_unacked == 0) {
			ph->t_acked = procstat_mono();
			ph->acked = 1;
			return;
		}
		/* Each status counts the outbox: poll gently. */
		procstat_nap(0.05);
	}
	ph->t_acked = procstat_mono();
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
collect(struct ctlclient *aux, const char *peer, struct phase *ph)
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
		if ((rc = ctlclient_call(aux, &req, list_cb, &w)) != 0)
			errx(1, "list: %s", ctlclient_strerror(aux, rc));
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
	struct daemonrun_startup base, big;
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
run_phase(struct conn *cs, struct ctlclient *aux, const struct opts *o,
    struct phase *ph, struct sampler *sm, double cpu[2])
{
	double c0[2] = { procstat_cpu(sm->pid[0]), procstat_cpu(sm->pid[1]) };

	run_sends(cs, NCONN, o->peer, ph, sm);
	wait_acked(aux, ph, sm);
	if (cpu != NULL)
		for (int i = 0; i < 2; i++)
			cpu[i] = procstat_cpu(sm->pid[i]) - c0[i];
	collect(aux, o->peer, ph);
}

static void
open_or_die(struct ctlclient *c, const char *path)
{
	int rc;

	if ((rc = ctlclient_open(c, path)) != 0)
		errx(1, "%s: %s", path, strerror(-rc));
}

/* Steps 2 to 5 against the running daemons. */
static void
run_delivery(const struct opts *o, struct results *res)
{
	struct conn     cs[NCONN];
	struct ctlclient aux;
	struct ctlclient_status st;

	memset(cs, 0, sizeof(cs));
	for (int i = 0; i < NCONN; i++)
		open_or_die(&cs[i].cc, o->alpha_sock);
	open_or_die(&aux, o->alpha_sock);
	if (ctlclient_status(&aux, &st) != 0 || st.peers_connected == 0)
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
		res->hwm[i] = procstat_kib(res->sm.pid[i], "VmHWM");
		res->rss_end[i] = procstat_kib(res->sm.pid[i], "VmRSS");
	}
	for (int i = 0; i < NCONN; i++)
		ctlclient_close(&cs[i].cc);
	ctlclient_close(&aux);
}

/* Step 6: beta restarted as it is, then with o->rows more messages. */
static void
run_startup(const struct opts *o, struct results *res)
{
	char    why[DAEMONRUN_WHY_LEN];
	pid_t   child;

	fprintf(stderr, "  startup: restarting beta, then with %zu more rows ...\n",
	    o->rows);
	if (daemonrun_stop_foreign(o->beta_pid) != 0)
		errx(1, "daemon %d did not stop within %d s", (int)o->beta_pid,
		    DAEMONRUN_WAIT_S);
	if (daemonrun_start(o->hwd, o->dir, "beta", &child, &res->base) != 0)
		errx(1, "beta did not restart (see %s/beta.log)", o->dir);
	daemonrun_stop_child(child);
	if (daemonrun_fill(o->dir, "beta", o->rows, FILL_BUDGET, &res->filled,
	    &res->fill_s, why) != 0)
		errx(1, "%s", why);
	if (daemonrun_start(o->hwd, o->dir, "beta", &child, &res->big) != 0)
		errx(1, "beta did not start on the large store (see %s/beta.log)",
		    o->dir);
	daemonrun_stop_child(child);
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
	    bd->seal * 1e6, BOUND_ROUNDS);
	printf("  2 x env1_open        2 x %7.1f us  thread CPU, best of %d\n",
	    bd->open * 1e6, BOUND_ROUNDS);
	printf("  2 x durable commit   2 x %7.1f us  wall, best of %d rounds of %d "
	    "(median round %.1f us): SQLite WAL,\n", bd->commit * 1e6, BOUND_ROUNDS,
	    BOUND_COMMITS, bd->commit_median * 1e6);
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
	char                    why[BOUND_WHY_LEN];

	parse(argc, argv, &o);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (secret_init() != 0)
		errx(1, "libsodium failed to start");
	res.ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	printf("bench-delivery: homewardd alpha -> beta on 127.0.0.1, %zu messages of "
	    "1 KiB\n", o.n);
	fprintf(stderr, "  measuring the bound ...\n");
	if (bound_measure(&res.bd, o.dir, why) != 0)
		errx(1, "bound: %s", why);
	run_delivery(&o, &res);
	run_startup(&o, &res);
	report(&o, &res);
	free(res.warm.recs);
	free(res.tp.recs);
	free(res.lat.recs);
	return 0;
}
