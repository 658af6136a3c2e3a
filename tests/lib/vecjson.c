/* Reading and writing the interop vector files (see vecjson.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "keys/secret.h"
#include "keys/stmt.h"
#include "tests/lib/vecjson.h"

json_t *
vj_hex(const uint8_t *b, size_t n)
{
	char *s = malloc(2 * n + 1);
	json_t *j;

	if (s == NULL)
		abort();
	sodium_bin2hex(s, 2 * n + 1, b, n);
	j = json_string(s);
	free(s);
	if (j == NULL)
		abort();
	return j;
}

void
vj_set_hex(json_t *obj, const char *key, const uint8_t *b, size_t n)
{
	if (json_object_set_new(obj, key, vj_hex(b, n)) != 0)
		abort();
}

void
vj_set_u64(json_t *obj, const char *key, uint64_t v)
{
	/* Every value in the files is a time, a count or a small id. */
	if (v > INT64_MAX || json_object_set_new(obj, key,
	    json_integer((json_int_t)v)) != 0)
		abort();
}

void
vj_set_str(json_t *obj, const char *key, const char *s)
{
	if (json_object_set_new(obj, key, json_string(s)) != 0)
		abort();
}

const char *
vj_get_str(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

/* A JSON string of lower-case hex as malloc'ed bytes. */
static int
hex_value(const json_t *v, uint8_t **out, size_t *n)
{
	const char *s = json_string_value(v);
	size_t slen, got;

	*out = NULL;
	*n = 0;
	if (s == NULL || (slen = strlen(s)) % 2 != 0)
		return -1;
	for (size_t i = 0; i < slen; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return -1;      /* lower case only, as the format says */
	if ((*out = malloc(slen / 2 + 1)) == NULL)
		return -1;
	if (sodium_hex2bin(*out, slen / 2 + 1, s, slen, NULL, &got, NULL) != 0 ||
	    got != slen / 2) {
		free(*out);
		*out = NULL;
		return -1;
	}
	*n = got;
	return 0;
}

int
vj_get_hex_alloc(const json_t *obj, const char *key, uint8_t **out, size_t *n)
{
	return hex_value(json_object_get(obj, key), out, n);
}

/* A JSON string of hex as exactly n bytes. */
static int
hex_exact(const json_t *v, uint8_t *out, size_t n)
{
	uint8_t *b;
	size_t got;

	if (hex_value(v, &b, &got) != 0)
		return -1;
	if (got != n) {
		free(b);
		return -1;
	}
	memcpy(out, b, n);
	sodium_memzero(b, got);
	free(b);
	return 0;
}

int
vj_get_hex(const json_t *obj, const char *key, uint8_t *out, size_t n)
{
	return hex_exact(json_object_get(obj, key), out, n);
}

int
vj_get_u64(const json_t *obj, const char *key, uint64_t *out)
{
	const json_t *v = json_object_get(obj, key);

	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return -1;
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

int
vj_dump(const json_t *root, const char *path)
{
	char *s = json_dumps(root, JSON_INDENT(1) | JSON_SORT_KEYS);
	FILE *f;
	int rc = 0;

	if (s == NULL || (f = fopen(path, "w")) == NULL) {
		free(s);
		return -1;
	}
	if (fputs(s, f) == EOF || fputc('\n', f) == EOF)
		rc = -1;
	if (fclose(f) != 0)
		rc = -1;
	free(s);
	return rc;
}

/* Each hex string of arr decoded to exactly n bytes and handed to add. */
static int
each_stmt(const json_t *arr, size_t n, int (*add)(struct peerkeys *,
    const uint8_t *, size_t), struct peerkeys *p)
{
	size_t i;
	json_t *v;

	if (arr == NULL)
		return ENV1_OK;
	if (!json_is_array(arr))
		return ENV1_R_MALFORMED;
	json_array_foreach(arr, i, v) {
		uint8_t b[STMT_SPK_LEN > STMT_CERT_LEN ? STMT_SPK_LEN : STMT_CERT_LEN];
		int r;

		if (n > sizeof(b) || hex_exact(v, b, n) != 0)
			return ENV1_R_MALFORMED;
		if ((r = add(p, b, n)) != ENV1_OK)
			return r;
	}
	return ENV1_OK;
}

static int
add_cert(struct peerkeys *p, const uint8_t *b, size_t n)
{
	struct stmt_dsk_cert c;
	int r;

	if ((r = stmt_cert_decode(b, n, &c)) != ENV1_OK)
		return r;
	return peerkeys_add_cert(p, &c);
}

static int
add_prekey(struct peerkeys *p, const uint8_t *b, size_t n)
{
	struct stmt_spk s;
	int r;

	if ((r = stmt_spk_decode(b, n, &s)) != ENV1_OK)
		return r;
	return peerkeys_add_prekey(p, &s);
}

static int
add_revocation(struct peerkeys *p, const uint8_t *b, size_t n)
{
	struct stmt_revocation rv;
	int r;

	if ((r = stmt_revocation_decode(b, n, &rv)) != ENV1_OK)
		return r;
	return peerkeys_add_revocation(p, &rv);
}

int
vj_peer_load(const json_t *peer, struct peerkeys *p)
{
	uint8_t rik[ENV1_KEY_LEN];
	uint64_t min_suite, max_age;
	int r;

	memset(p, 0, sizeof(*p));
	if (vj_get_hex(peer, "rik", rik, sizeof(rik)) != 0 ||
	    vj_get_u64(peer, "min_suite", &min_suite) != 0 || min_suite > 255 ||
	    vj_get_u64(peer, "max_age_ms", &max_age) != 0)
		return ENV1_R_MALFORMED;
	peerkeys_init(p, rik);
	p->min_suite = (uint8_t)min_suite;
	p->max_age_ms = max_age;
	/* In the order they would have arrived: certificates (prekeys chain
	 * to them), prekeys, then revocations, which may revoke either. */
	if ((r = each_stmt(json_object_get(peer, "certs"), STMT_CERT_LEN,
	    add_cert, p)) != ENV1_OK ||
	    (r = each_stmt(json_object_get(peer, "prekeys"), STMT_SPK_LEN,
	    add_prekey, p)) != ENV1_OK ||
	    (r = each_stmt(json_object_get(peer, "revocations"),
	    STMT_REVOCATION_LEN, add_revocation, p)) != ENV1_OK) {
		peerkeys_clear(p);
		return r;
	}
	return ENV1_OK;
}

int
vj_identity_load(const json_t *a, struct env1_identity *id)
{
	uint8_t rik_seed[32], dsk_seed[32], cert[STMT_CERT_LEN], sk[64];
	int r = ENV1_R_MALFORMED;

	memset(id, 0, sizeof(*id));
	if (vj_get_hex(a, "rik_seed", rik_seed, 32) != 0 ||
	    vj_get_hex(a, "dsk_seed", dsk_seed, 32) != 0 ||
	    vj_get_hex(a, "dsk_cert", cert, sizeof(cert)) != 0)
		goto out;
	if ((r = stmt_cert_decode(cert, sizeof(cert), &id->cert)) != ENV1_OK)
		goto out;
	if ((id->dsk_sk = secret_alloc(64)) == NULL) {
		r = ENV1_R_NOMEM;
		goto out;
	}
	crypto_sign_seed_keypair(id->rik_pub, sk, rik_seed);
	crypto_sign_seed_keypair(id->dsk_pub, id->dsk_sk, dsk_seed);
	r = ENV1_OK;
out:
	sodium_memzero(rik_seed, sizeof(rik_seed));
	sodium_memzero(dsk_seed, sizeof(dsk_seed));
	sodium_memzero(sk, sizeof(sk));
	if (r != ENV1_OK)
		vj_identity_free(id);
	return r;
}

void
vj_identity_free(struct env1_identity *id)
{
	if (id == NULL)
		return;
	secret_free(id->dsk_sk);
	memset(id, 0, sizeof(*id));
}

void
vj_inbox_free(struct vj_inbox *in)
{
	if (in == NULL)
		return;
	for (size_t i = 0; i < in->nprekeys; i++)
		secret_free(in->prekeys[i].sk);
	for (size_t i = 0; i < in->npeers; i++)
		peerkeys_clear(&in->peers[i]);
	memset(in, 0, sizeof(*in));
}

int
vj_inbox_load(const json_t *recipient, const json_t *peers, struct vj_inbox *in)
{
	const json_t *pks = json_object_get(recipient, "prekeys");
	json_t *v;
	size_t i;
	int r = ENV1_R_MALFORMED;

	memset(in, 0, sizeof(*in));
	if (vj_get_hex(recipient, "rik", in->own_rik, ENV1_KEY_LEN) != 0 ||
	    !json_is_array(pks) || json_array_size(pks) > VJ_MAX_PREKEYS ||
	    !json_is_array(peers) || json_array_size(peers) > VJ_MAX_PEERS)
		goto fail;
	json_array_foreach(pks, i, v) {
		struct env1_prekey *k = &in->prekeys[in->nprekeys];
		uint8_t spk[STMT_SPK_LEN];

		if ((k->sk = secret_alloc(32)) == NULL) {
			r = ENV1_R_NOMEM;
			goto fail;
		}
		in->nprekeys++;
		if (vj_get_hex(v, "spk", spk, sizeof(spk)) != 0 ||
		    vj_get_hex(v, "spk_secret", k->sk, 32) != 0 ||
		    stmt_spk_decode(spk, sizeof(spk), &k->stmt) != ENV1_OK)
			goto fail;
	}
	json_array_foreach(peers, i, v) {
		if ((r = vj_peer_load(v, &in->peers[in->npeers])) != ENV1_OK)
			goto fail;
		in->npeers++;
	}
	return ENV1_OK;
fail:
	vj_inbox_free(in);
	return r;
}

static const struct peerkeys *
inbox_peer(void *arg, const uint8_t rik[ENV1_KEY_LEN])
{
	struct vj_inbox *in = arg;

	for (size_t i = 0; i < in->npeers; i++)
		if (memcmp(in->peers[i].rik, rik, ENV1_KEY_LEN) == 0)
			return &in->peers[i];
	return NULL;
}

static const struct env1_prekey *
inbox_prekey(void *arg, uint64_t spk_id)
{
	struct vj_inbox *in = arg;

	for (size_t i = 0; i < in->nprekeys; i++)
		if (in->prekeys[i].stmt.spk_id == spk_id)
			return &in->prekeys[i];
	return NULL;
}

void
vj_open_ctx(struct vj_inbox *in, uint64_t now, struct env1_open_ctx *ctx)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->own_rik = in->own_rik;
	ctx->now = now;
	ctx->find_peer = inbox_peer;
	ctx->find_prekey = inbox_prekey;
	ctx->arg = in;
}

int
vj_seal_params(const json_t *e, struct env1_seal_params *p, uint8_t *bufs[3])
{
	uint64_t msg_type;
	size_t n, blen;

	memset(p, 0, sizeof(*p));
	bufs[0] = bufs[1] = bufs[2] = NULL;
	if (vj_get_hex(e, "message_id", p->message_id, ENV1_ID_LEN) != 0 ||
	    vj_get_u64(e, "created_at", &p->created_at) != 0 ||
	    vj_get_u64(e, "expires_at", &p->expires_at) != 0 ||
	    vj_get_u64(e, "msg_type", &msg_type) != 0 || msg_type > 0xffff ||
	    vj_get_hex(e, "thread_id", p->thread_id, ENV1_ID_LEN) != 0 ||
	    vj_get_u64(e, "seq", &p->seq) != 0 ||
	    vj_get_hex(e, "prev_hash", p->prev_hash, ENV1_HASH_LEN) != 0 ||
	    vj_get_hex(e, "in_reply_to", p->in_reply_to, ENV1_ID_LEN) != 0 ||
	    vj_get_hex(e, "content_salt", p->content_salt, ENV1_HASH_LEN) != 0 ||
	    vj_get_hex_alloc(e, "body", &bufs[0], &blen) != 0 ||
	    vj_get_hex_alloc(e, "eph_secret", &bufs[1], &n) != 0 || n != 32 ||
	    vj_get_hex_alloc(e, "nonce", &bufs[2], &n) != 0 || n != ENV1_NONCE_LEN) {
		for (int i = 0; i < 3; i++) {
			free(bufs[i]);
			bufs[i] = NULL;
		}
		return ENV1_R_MALFORMED;
	}
	p->msg_type = (uint16_t)msg_type;
	p->body = bufs[0];
	p->body_len = blen;
	p->eph_sk = bufs[1];
	p->nonce = bufs[2];
	return ENV1_OK;
}
