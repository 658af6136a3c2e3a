/*
 * The audit log's chain (audit.h): the canonical encoding and its keyed
 * mac, appending in or out of the caller's transaction, the anchor, and
 * verification.  The rows themselves are store_audit.c's.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <sodium.h>

#include "daemon/base/log.h"
#include "daemon/store/audit.h"
#include "daemon/store/store.h"
#include "daemon/store/store_audit.h"

static void
put_u64be(uint8_t b[8], uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		b[i] = (uint8_t)v;
}

static void
mac_field(crypto_generichash_state *h, const void *p, size_t len)
{
	uint8_t b[4];

	b[0] = (uint8_t)(len >> 24);
	b[1] = (uint8_t)(len >> 16);
	b[2] = (uint8_t)(len >> 8);
	b[3] = (uint8_t)len;
	crypto_generichash_update(h, b, sizeof(b));
	crypto_generichash_update(h, p, len);
}

void
audit_mac(const uint8_t key[32], const uint8_t prev[AUDIT_MAC_LEN],
    const struct audit_entry *e, uint8_t out[AUDIT_MAC_LEN])
{
	crypto_generichash_state        h;
	uint8_t                         b[8];

	crypto_generichash_init(&h, key, 32, AUDIT_MAC_LEN);
	crypto_generichash_update(&h, (const uint8_t *)AUDIT_DOMAIN,
	    sizeof(AUDIT_DOMAIN) - 1);
	crypto_generichash_update(&h, prev, AUDIT_MAC_LEN);
	put_u64be(b, e->seq);
	crypto_generichash_update(&h, b, sizeof(b));
	put_u64be(b, e->at);
	crypto_generichash_update(&h, b, sizeof(b));
	mac_field(&h, e->actor, strnlen(e->actor, sizeof(e->actor)));
	mac_field(&h, e->action, strnlen(e->action, sizeof(e->action)));
	mac_field(&h, e->case_code, strnlen(e->case_code, sizeof(e->case_code)));
	mac_field(&h, e->message_id, e->has_message_id ? AUDIT_ID_LEN : 0);
	mac_field(&h, e->detail, strnlen(e->detail, sizeof(e->detail)));
	crypto_generichash_final(&h, out, AUDIT_MAC_LEN);
	sodium_memzero(&h, sizeof(h));
}

/* Copy src into a field of size bytes, cut at a character boundary so
 * that a long UTF-8 name does not end in half a character. */
static void
field_copy(char *dst, size_t size, const char *src)
{
	size_t n = src != NULL ? strlen(src) : 0;

	if (n >= size) {
		n = size - 1;
		while (n > 0 && ((unsigned char)src[n] & 0xc0) == 0x80)
			n--;
	}
	if (n > 0)
		memcpy(dst, src, n);
	dst[n] = '\0';
}

int
audit_append(struct store *st, const char *actor, const char *action,
    const char *case_code, const uint8_t *message_id, const char *detail,
    uint64_t now)
{
	struct audit_entry      e;
	uint8_t                 prev[AUDIT_MAC_LEN];
	uint64_t                tail;
	int                     rc, own;

	if (actor == NULL || *actor == '\0' || action == NULL || *action == '\0')
		return -EINVAL;
	memset(&e, 0, sizeof(e));
	e.at = now;
	field_copy(e.actor, sizeof(e.actor), actor);
	field_copy(e.action, sizeof(e.action), action);
	field_copy(e.case_code, sizeof(e.case_code), case_code);
	field_copy(e.detail, sizeof(e.detail), detail);
	if (message_id != NULL) {
		memcpy(e.message_id, message_id, AUDIT_ID_LEN);
		e.has_message_id = 1;
	}
	own = !store_in_tx(st);
	if (own && (rc = store_begin(st)) != 0)
		return rc;
	if ((rc = store_audit_tail(st, &tail, prev)) != 0)
		goto fail;
	e.seq = tail + 1;
	audit_mac(store_audit_key(st), prev, &e, e.mac);
	if ((rc = store_audit_insert(st, &e, prev)) != 0)
		goto fail;
	if (own) {
		if ((rc = store_commit(st)) != 0)
			return rc;
		/* The entry is committed whatever the anchor does: a lagging
		 * anchor only weakens the check of the tail until the next.
		 * -EBADMSG was logged, as tampering. */
		if ((rc = audit_anchor_sync(st)) != 0 && rc != -EBADMSG)
			log_warnx("audit: anchor not advanced to entry %llu",
			    (unsigned long long)e.seq);
	}
	return 0;
fail:
	if (own)
		store_rollback(st);
	return rc;
}

int
audit_anchor_sync(struct store *st)
{
	uint8_t         mac[AUDIT_MAC_LEN], amac[AUDIT_MAC_LEN], cur[AUDIT_MAC_LEN];
	uint64_t        tail, aseq;
	int             rc, moved;

	if (store_in_tx(st))
		return -EBUSY;
	if ((rc = store_audit_tail(st, &tail, mac)) != 0)
		return rc;
	if ((rc = store_audit_anchor_get(st, &aseq, amac)) != 0) {
		if (rc == -ENOENT)
			log_warnx("audit: the anchor in keystore.db is gone");
		return rc == -ENOENT ? -EBADMSG : rc;
	}
	if (aseq > tail) {
		/* Never moved back: that would hide the deletion. */
		log_warnx("audit: the log ends at entry %llu, its anchor is at "
		    "%llu: entries deleted", (unsigned long long)tail,
		    (unsigned long long)aseq);
		return -EBADMSG;
	}
	if (aseq == tail)
		return 0;
	/* Nor moved past an entry that is not the one it knew: the log was
	 * cut and has grown back, and the anchor is the only witness. */
	if (aseq > 0) {
		if ((rc = store_audit_mac_at(st, aseq, cur)) != 0 && rc != -ENOENT)
			return rc;
		if (rc == -ENOENT || sodium_memcmp(cur, amac, AUDIT_MAC_LEN) != 0) {
			log_warnx("audit: entry %llu is not the one the anchor "
			    "knew: entries replaced", (unsigned long long)aseq);
			return -EBADMSG;
		}
	}
	return store_audit_anchor_put(st, tail, mac, &moved);
}

struct verify {
	const uint8_t  *key;
	uint64_t        expect;                 /* the next seq */
	uint8_t         prev[AUDIT_MAC_LEN];    /* the previous entry's mac */
	uint64_t        anchor_seq;
	uint8_t         anchor_mac[AUDIT_MAC_LEN];
	uint64_t        bad;
	const char     *why;
};

static int
verify_one(const struct audit_entry *e, const uint8_t prev[AUDIT_MAC_LEN],
    int malformed, void *arg)
{
	struct verify  *v = arg;
	uint8_t         mac[AUDIT_MAC_LEN];

	if (e->seq > v->expect) {
		v->bad = v->expect;
		v->why = "sequence gap";
		return 1;
	}
	if (malformed || e->seq != v->expect) {
		/* A seq below the expected one is not a positive integer
		 * (seq is the primary key, and rows come in seq order). */
		v->bad = v->expect;
		v->why = "malformed entry";
		return 1;
	}
	v->bad = e->seq;
	if (sodium_memcmp(prev, v->prev, AUDIT_MAC_LEN) != 0) {
		v->why = "link mismatch";
		return 1;
	}
	audit_mac(v->key, v->prev, e, mac);
	if (sodium_memcmp(mac, e->mac, AUDIT_MAC_LEN) != 0) {
		v->why = "mac mismatch";
		return 1;
	}
	if (e->seq == v->anchor_seq &&
	    sodium_memcmp(e->mac, v->anchor_mac, AUDIT_MAC_LEN) != 0) {
		v->why = "anchor mismatch";
		return 1;
	}
	memcpy(v->prev, e->mac, AUDIT_MAC_LEN);
	v->expect++;
	return 0;
}

int
audit_verify(struct store *st, uint64_t *checked, uint64_t *first_bad,
    const char **why)
{
	struct verify   v;
	int             rc, anchored;

	*checked = 0;
	*first_bad = 0;
	*why = NULL;
	memset(&v, 0, sizeof(v));
	v.key = store_audit_key(st);
	v.expect = 1;
	rc = store_audit_anchor_get(st, &v.anchor_seq, v.anchor_mac);
	if (rc != 0 && rc != -ENOENT)
		return rc;
	anchored = rc == 0;
	if ((rc = store_audit_each(st, NULL, 0, 0, verify_one, &v)) != 0)
		return rc;
	*checked = v.expect - 1;
	if (v.why == NULL && !anchored) {
		v.bad = 0;
		v.why = "anchor missing";
	} else if (v.why == NULL && v.anchor_seq > v.expect - 1) {
		v.bad = v.expect;
		v.why = "anchor beyond the end: entries deleted";
	}
	if (v.why == NULL)
		return 0;
	*first_bad = v.bad;
	*why = v.why;
	log_warnx("audit: chain broken at entry %llu: %s",
	    (unsigned long long)v.bad, v.why);
	return -EBADMSG;
}

struct list {
	audit_cb        cb;
	void           *arg;
};

static int
list_one(const struct audit_entry *e, const uint8_t prev[AUDIT_MAC_LEN],
    int malformed, void *arg)
{
	struct list *l = arg;

	(void)prev;
	(void)malformed;
	return l->cb(e, l->arg);
}

int
audit_list(struct store *st, const char *case_code, uint64_t after,
    unsigned limit, audit_cb cb, void *arg)
{
	struct list l = { cb, arg };

	return store_audit_each(st, case_code, after, limit == 0 ? 100 : limit,
	    list_one, &l);
}
