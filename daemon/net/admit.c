/*
 * Admission of strangers (conn.h, conn_int.h): the count of a listener's
 * unidentified connections, globally and per source address, the caps on
 * both, and the summary of what was refused or closed before
 * identification.
 *
 * Per address means per IPv4 address and per IPv6 /64: one host on IPv6
 * usually holds a whole /64, and counting single addresses there would be
 * no cap at all.  The counts live in a small chained hash table; its
 * chains are bounded by the global cap, and its seed is random, so an
 * attacker choosing addresses gains nothing worth having.
 *
 * Logging is by interval: the first refusal of an interval is logged at
 * once (the operator learns the cap was reached when it happens), the rest
 * is counted and told in one line when the interval ends.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>
#include <sys/random.h>
#include <sys/socket.h>

#include <uv.h>

#include "daemon/base/log.h"
#include "daemon/net/conn.h"
#include "daemon/net/conn_int.h"

#define ADMIT_BUCKETS   256
#define ADMIT_REASONS   (CONN_CLOSE_CONNECT + 1)

struct admit_addr {
	struct admit_addr      *next;
	unsigned                count;
	uint8_t                 key[ADMIT_KEY_LEN];
};

struct admit {
	uv_timer_t              timer;
	struct conn_limits      lim;
	struct admit_addr      *bucket[ADMIT_BUCKETS];
	uint32_t                seed;
	unsigned                count;          /* unidentified now */
	int                     closing;
	int                     timer_closed;
	/* Since the last summary. */
	int                     warned;
	uint64_t                refused_cap;
	uint64_t                refused_addr;
	uint64_t                identified;
	uint64_t                closed[ADMIT_REASONS];
};

static unsigned
admit_hash(const struct admit *a, const uint8_t key[ADMIT_KEY_LEN])
{
	uint32_t h = 2166136261u ^ a->seed;

	for (int i = 0; i < ADMIT_KEY_LEN; i++)
		h = (h ^ key[i]) * 16777619u;
	return (h ^ (h >> 16)) % ADMIT_BUCKETS;
}

static struct admit_addr **
admit_find(struct admit *a, const uint8_t key[ADMIT_KEY_LEN])
{
	struct admit_addr **pp = &a->bucket[admit_hash(a, key)];

	while (*pp != NULL && memcmp((*pp)->key, key, ADMIT_KEY_LEN) != 0)
		pp = &(*pp)->next;
	return pp;
}

static uint64_t
admit_closed_total(const struct admit *a)
{
	uint64_t n = 0;

	for (int i = 0; i < ADMIT_REASONS; i++)
		n += a->closed[i];
	return n;
}

/* One line for the interval, then start counting again. */
static void
admit_summary(struct admit *a)
{
	char why[256] = "", *p = why;
	size_t left = sizeof(why);
	uint64_t closed = admit_closed_total(a);
	int n;

	if (a->refused_cap == 0 && a->refused_addr == 0 && closed == 0)
		return;
	for (int i = 0; i < ADMIT_REASONS && left > 1; i++) {
		if (a->closed[i] == 0)
			continue;
		n = snprintf(p, left, "%s%s %llu", p == why ? "" : ", ",
		    conn_close_reason_name(i), (unsigned long long)a->closed[i]);
		if (n < 0 || (size_t)n >= left)
			break;
		p += n;
		left -= (size_t)n;
	}
	log_info("unidentified connections in the last %llu s: %llu refused "
	    "over max_unidentified (%u), %llu over max_unidentified_per_address "
	    "(%u), %llu closed before identification%s%s%s, %llu identified; "
	    "%u open", (unsigned long long)(a->lim.summary_ms / 1000),
	    (unsigned long long)a->refused_cap, a->lim.max_unidentified,
	    (unsigned long long)a->refused_addr, a->lim.max_per_address,
	    (unsigned long long)closed, why[0] != '\0' ? " (" : "", why,
	    why[0] != '\0' ? ")" : "", (unsigned long long)a->identified,
	    a->count);
	a->refused_cap = a->refused_addr = a->identified = 0;
	memset(a->closed, 0, sizeof(a->closed));
	a->warned = 0;
}

static void
admit_timer_cb(uv_timer_t *t)
{
	admit_summary(t->data);
}

static void
admit_free_if_done(struct admit *a)
{
	if (!a->closing || !a->timer_closed || a->count > 0)
		return;
	for (int i = 0; i < ADMIT_BUCKETS; i++)
		for (struct admit_addr *e = a->bucket[i], *next; e != NULL; e = next) {
			next = e->next;
			free(e);
		}
	free(a);
}

static void
admit_timer_closed(uv_handle_t *h)
{
	struct admit *a = h->data;

	a->timer_closed = 1;
	admit_free_if_done(a);
}

int
admit_new(uv_loop_t *loop, struct admit **out)
{
	struct admit *a;

	*out = NULL;
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return -ENOMEM;
	if (getrandom(&a->seed, sizeof(a->seed), GRND_NONBLOCK) !=
	    (ssize_t)sizeof(a->seed))
		a->seed = (uint32_t)uv_hrtime();
	if (uv_timer_init(loop, &a->timer) != 0)
		fatalx("admit: uv_timer_init failed");
	a->timer.data = a;
	/* The summary never keeps the loop alive on its own. */
	uv_unref((uv_handle_t *)&a->timer);
	admit_set_limits(a, NULL);
	*out = a;
	return 0;
}

void
admit_set_limits(struct admit *a, const struct conn_limits *lim)
{
	if (lim != NULL)
		a->lim = *lim;
	if (a->lim.identify_ms == 0)
		a->lim.identify_ms = CONN_HANDSHAKE_MS;
	if (a->lim.summary_ms == 0)
		a->lim.summary_ms = CONN_SUMMARY_MS;
	uv_timer_start(&a->timer, admit_timer_cb, a->lim.summary_ms,
	    a->lim.summary_ms);
}

uint64_t
admit_identify_ms(const struct admit *a)
{
	return a->lim.identify_ms;
}

unsigned
admit_count(const struct admit *a)
{
	return a->count;
}

int
admit_key(int fd, uint8_t key[ADMIT_KEY_LEN])
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	memset(key, 0, ADMIT_KEY_LEN);
	if (getpeername(fd, (struct sockaddr *)&ss, &len) != 0)
		return -1;
	if (ss.ss_family == AF_INET) {
		key[10] = key[11] = 0xff;
		memcpy(key + 12, &((struct sockaddr_in *)&ss)->sin_addr, 4);
		return 0;
	}
	if (ss.ss_family == AF_INET6) {
		const uint8_t *a6 = ((struct sockaddr_in6 *)&ss)->sin6_addr.s6_addr;

		/* A mapped IPv4 address is that address; else its /64. */
		memcpy(key, a6, IN6_IS_ADDR_V4MAPPED(
		    &((struct sockaddr_in6 *)&ss)->sin6_addr) ? 16 : 8);
		return 0;
	}
	return -1;
}

static void
admit_refuse(struct admit *a, int per_address)
{
	if (per_address)
		a->refused_addr++;
	else
		a->refused_cap++;
	if (a->warned)
		return;
	a->warned = 1;
	log_warnx("refusing unidentified connections: %s reached (%u); if "
	    "partners cannot connect, raise it in homewardd.conf, else block "
	    "the sources at the firewall; a summary follows every %llu s",
	    per_address ? "max_unidentified_per_address" : "max_unidentified",
	    per_address ? a->lim.max_per_address : a->lim.max_unidentified,
	    (unsigned long long)(a->lim.summary_ms / 1000));
}

int
admit_take(struct admit *a, const uint8_t key[ADMIT_KEY_LEN])
{
	struct admit_addr **pp, *e;

	if (a->closing)
		return -1;
	if (a->lim.max_unidentified > 0 && a->count >= a->lim.max_unidentified) {
		admit_refuse(a, 0);
		return -1;
	}
	pp = admit_find(a, key);
	if ((e = *pp) == NULL) {
		if ((e = calloc(1, sizeof(*e))) == NULL) {
			admit_refuse(a, 0);
			return -1;
		}
		memcpy(e->key, key, ADMIT_KEY_LEN);
		*pp = e;
	}
	if (a->lim.max_per_address > 0 && e->count >= a->lim.max_per_address) {
		admit_refuse(a, 1);
		return -1;
	}
	e->count++;
	a->count++;
	return 0;
}

void
admit_release(struct admit *a, const uint8_t key[ADMIT_KEY_LEN],
    int identified, enum conn_close_reason why)
{
	struct admit_addr **pp = admit_find(a, key), *e = *pp;

	if (e != NULL && --e->count == 0) {
		*pp = e->next;
		free(e);
	}
	if (a->count > 0)
		a->count--;
	if (identified)
		a->identified++;
	else if ((unsigned)why < ADMIT_REASONS)
		a->closed[why]++;
	admit_free_if_done(a);
}

void
admit_close(struct admit *a)
{
	if (a == NULL || a->closing)
		return;
	admit_summary(a);
	a->closing = 1;
	uv_close((uv_handle_t *)&a->timer, admit_timer_closed);
}
