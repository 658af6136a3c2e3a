/*
 * ENV1 key files (crypto-env1.md 3.6, see keyfile.h).  The passphrase-
 * derived key is the textbook partitioning-oracle case for a non-committing
 * AEAD, so the file carries kc = BLAKE2b(key = wrap_key) and we compare it
 * before the AEAD ever runs.  Cheap refusals come first: an edited file is
 * turned away on its header before we spend a second and a gigabyte on
 * Argon2id.
 */
#include <errno.h>
#include <string.h>
#include <stdlib.h>

#include <sodium.h>

#include "common/bytes.h"
#include "common/fileio.h"
#include "keys/keyfile.h"
#include "keys/secret.h"

static const uint8_t MAGIC[8] = "ENV1KEY\0";
static const uint8_t KC_DOMAIN[16] = "ENV1 keyfile kc\0";

/* Header offsets (crypto-env1.md 3.6). */
#define OFF_VERSION     8
#define OFF_KDF         9
#define OFF_OPS         10
#define OFF_MEM         18
#define OFF_SALT        26
#define OFF_NONCE       42
#define OFF_KC          66
#define OFF_CT_LEN      98

#define SEED_LEN        32
#define TLV_HDR         3       /* tag(1) || len(2) */
#define TLS_REF_MAX     255

#define BIT(tag)        (1u << (tag))

void
keyfile_min_params(enum keyfile_kind kind, struct keyfile_params *out)
{
	switch (kind) {
	case KEYFILE_DAEMON:
		out->opslimit = 3;              /* crypto_pwhash_OPSLIMIT_MODERATE */
		out->memlimit = 268435456;      /* crypto_pwhash_MEMLIMIT_MODERATE */
		break;
	case KEYFILE_RIK:
		out->opslimit = 4;              /* crypto_pwhash_OPSLIMIT_SENSITIVE */
		out->memlimit = 1073741824;     /* crypto_pwhash_MEMLIMIT_SENSITIVE */
		break;
	default:
		out->opslimit = 0;
		out->memlimit = 0;
		break;
	}
}

static int
kind_valid(enum keyfile_kind kind)
{
	return kind == KEYFILE_DAEMON || kind == KEYFILE_RIK;
}

/* Above the maximums, or a memlimit Argon2id would silently round. */
static int
params_malformed(uint64_t ops, uint64_t mem)
{
	return ops > KEYFILE_OPS_MAX || mem > KEYFILE_MEM_MAX || mem % 1024 != 0;
}

static int
params_weak(enum keyfile_kind kind, uint64_t ops, uint64_t mem)
{
	struct keyfile_params min;

	keyfile_min_params(kind, &min);
	return ops < min.opslimit || mem < min.memlimit;
}

void
keyfile_contents_free(struct keyfile_contents *c)
{
	if (c == NULL)
		return;
	secret_free(c->rik_seed);
	secret_free(c->dsk_seed);
	secret_free(c->ksk);
	sodium_memzero(c, sizeof(*c));
}

int
keyfile_parse_header(const uint8_t *buf, size_t len, enum keyfile_kind kind,
    struct keyfile_header *out)
{
	uint64_t ops, mem;
	uint32_t ct_len;

	memset(out, 0, sizeof(*out));
	if (!kind_valid(kind))
		return ENV1_R_INVALID_ARG;
	if (buf == NULL || len < KEYFILE_HDR_LEN || len > KEYFILE_MAX_LEN)
		return ENV1_R_KEYFILE_FORMAT;
	if (memcmp(buf, MAGIC, sizeof(MAGIC)) != 0 ||
	    buf[OFF_VERSION] != KEYFILE_VERSION ||
	    buf[OFF_KDF] != KEYFILE_KDF_ARGON2ID13)
		return ENV1_R_KEYFILE_FORMAT;
	ops = be64_get(buf + OFF_OPS);
	mem = be64_get(buf + OFF_MEM);
	ct_len = be32_get(buf + OFF_CT_LEN);
	if (params_malformed(ops, mem))
		return ENV1_R_KEYFILE_FORMAT;
	/* Exactly the bytes that follow: no truncation, nothing appended. */
	if (ct_len != len - KEYFILE_HDR_LEN || ct_len < KEYFILE_CT_MIN)
		return ENV1_R_KEYFILE_FORMAT;
	/* Before any Argon2id work, so an edit cannot weaken the KDF. */
	if (params_weak(kind, ops, mem))
		return ENV1_R_KEYFILE_WEAK;
	out->opslimit = ops;
	out->memlimit = mem;
	memcpy(out->salt, buf + OFF_SALT, KEYFILE_SALT_LEN);
	memcpy(out->nonce, buf + OFF_NONCE, ENV1_NONCE_LEN);
	memcpy(out->kc, buf + OFF_KC, KEYFILE_KEY_LEN);
	out->ct_len = ct_len;
	return ENV1_OK;
}

/* The records a kind may hold, and those it must hold. */
static unsigned
tags_allowed(enum keyfile_kind kind)
{
	if (kind == KEYFILE_RIK)
		return BIT(KEYFILE_TAG_KIND) | BIT(KEYFILE_TAG_RIK_SEED);
	return BIT(KEYFILE_TAG_KIND) | BIT(KEYFILE_TAG_DSK_SEED) |
	    BIT(KEYFILE_TAG_DSK_CERT) | BIT(KEYFILE_TAG_KSK) |
	    BIT(KEYFILE_TAG_TLS_KEY_REF);
}

static unsigned
tags_required(enum keyfile_kind kind)
{
	return tags_allowed(kind) & ~BIT(KEYFILE_TAG_TLS_KEY_REF);
}

/* Whether the certificate is for the DSK this file holds: a file pairing
 * one key with another key's certificate would sign unverifiable mail. */
static int
cert_matches_seed(const struct keyfile_contents *c)
{
	uint8_t pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
	int ok;

	crypto_sign_seed_keypair(pk, sk, c->dsk_seed);
	sodium_memzero(sk, sizeof(sk));
	ok = sodium_memcmp(pk, c->cert.dsk_pub, sizeof(pk)) == 0;
	sodium_memzero(pk, sizeof(pk));
	return ok;
}

/* One record's value into out (order, repeats and the kind's allowed
 * tags are the caller's): ENV1_OK, ENV1_R_KEYFILE_PAYLOAD or
 * ENV1_R_NOMEM. */
static int
take_record(uint8_t tag, const uint8_t *v, size_t vlen, enum keyfile_kind kind,
    struct keyfile_contents *out)
{
	uint8_t **seed = NULL;

	switch (tag) {
	case KEYFILE_TAG_KIND:
		if (vlen != 1 || v[0] != (uint8_t)kind)
			return ENV1_R_KEYFILE_PAYLOAD;
		out->kind = kind;
		break;
	case KEYFILE_TAG_RIK_SEED:
		seed = &out->rik_seed;
		break;
	case KEYFILE_TAG_DSK_SEED:
		seed = &out->dsk_seed;
		break;
	case KEYFILE_TAG_KSK:
		seed = &out->ksk;
		break;
	case KEYFILE_TAG_DSK_CERT:
		if (stmt_cert_decode(v, vlen, &out->cert) != ENV1_OK)
			return ENV1_R_KEYFILE_PAYLOAD;
		out->has_cert = 1;
		break;
	case KEYFILE_TAG_TLS_KEY_REF:
		/* A path: it becomes a C string, so no NUL inside. */
		if (vlen == 0 || vlen > TLS_REF_MAX || memchr(v, '\0', vlen) != NULL)
			return ENV1_R_KEYFILE_PAYLOAD;
		memcpy(out->tls_key_ref, v, vlen);
		out->tls_key_ref[vlen] = '\0';
		break;
	default:
		return ENV1_R_KEYFILE_PAYLOAD;
	}
	if (seed != NULL) {
		if (vlen != SEED_LEN)
			return ENV1_R_KEYFILE_PAYLOAD;
		if ((*seed = secret_dup(v, SEED_LEN)) == NULL)
			return ENV1_R_NOMEM;
	}
	return ENV1_OK;
}

int
keyfile_parse_payload(const uint8_t *pt, size_t len, enum keyfile_kind kind,
    struct keyfile_contents *out)
{
	unsigned seen = 0;
	size_t off = 0;
	int r, rc = ENV1_R_KEYFILE_PAYLOAD;

	memset(out, 0, sizeof(*out));
	if (!kind_valid(kind))
		return ENV1_R_INVALID_ARG;
	if (pt == NULL && len > 0)
		return ENV1_R_INVALID_ARG;
	while (off < len) {
		const uint8_t *v;
		uint8_t tag;
		size_t vlen;

		if (len - off < TLV_HDR)
			goto fail;
		tag = pt[off];
		vlen = be16_get(pt + off + 1);
		off += TLV_HDR;
		if (vlen > len - off)
			goto fail;
		v = pt + off;
		off += vlen;
		/* KIND first: the file says what it is before anything else. */
		if (seen == 0 && tag != KEYFILE_TAG_KIND)
			goto fail;
		if (tag >= 32 || (tags_allowed(kind) & BIT(tag)) == 0 ||
		    (seen & BIT(tag)) != 0)
			goto fail;
		seen |= BIT(tag);
		if ((r = take_record(tag, v, vlen, kind, out)) != ENV1_OK) {
			rc = r;
			goto fail;
		}
	}
	if ((seen & tags_required(kind)) != tags_required(kind))
		goto fail;
	if (kind == KEYFILE_DAEMON && !cert_matches_seed(out))
		goto fail;
	return ENV1_OK;
fail:
	keyfile_contents_free(out);
	return rc;
}

int
keyfile_derive(const struct keyfile_header *h, const char *pass, size_t passlen,
    uint8_t wrap_key[KEYFILE_KEY_LEN])
{
	sodium_memzero(wrap_key, KEYFILE_KEY_LEN);
	if (h == NULL || (pass == NULL && passlen > 0))
		return ENV1_R_INVALID_ARG;
	if (params_malformed(h->opslimit, h->memlimit) ||
	    (uint64_t)(size_t)h->memlimit != h->memlimit ||
	    h->opslimit < crypto_pwhash_OPSLIMIT_MIN ||
	    h->memlimit < crypto_pwhash_MEMLIMIT_MIN)
		return ENV1_R_INVALID_ARG;
	if (crypto_pwhash(wrap_key, KEYFILE_KEY_LEN, pass != NULL ? pass : "",
	    passlen, h->salt, h->opslimit, (size_t)h->memlimit,
	    crypto_pwhash_ALG_ARGON2ID13) != 0) {
		/* With valid parameters, only the allocation can fail. */
		sodium_memzero(wrap_key, KEYFILE_KEY_LEN);
		return ENV1_R_NOMEM;
	}
	return ENV1_OK;
}

static void
key_commitment(const uint8_t wrap_key[KEYFILE_KEY_LEN], uint8_t kc[KEYFILE_KEY_LEN])
{
	crypto_generichash(kc, KEYFILE_KEY_LEN, KC_DOMAIN, sizeof(KC_DOMAIN),
	    wrap_key, KEYFILE_KEY_LEN);
}

int
keyfile_open_key(const uint8_t *buf, size_t len,
    const uint8_t wrap_key[KEYFILE_KEY_LEN], enum keyfile_kind kind,
    struct keyfile_contents *out)
{
	struct keyfile_header h;
	uint8_t kc[KEYFILE_KEY_LEN];
	uint8_t *pt = NULL;
	unsigned long long ptlen;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = keyfile_parse_header(buf, len, kind, &h)) != ENV1_OK)
		return rc;
	/* The commitment first: a wrong key never reaches the AEAD. */
	key_commitment(wrap_key, kc);
	if (sodium_memcmp(kc, h.kc, sizeof(kc)) != 0) {
		rc = ENV1_R_KEYFILE_PASSPHRASE;
		goto out;
	}
	if ((pt = secret_alloc(h.ct_len - ENV1_TAG_LEN)) == NULL) {
		rc = ENV1_R_NOMEM;
		goto out;
	}
	/* ad = the whole header: any edited header byte fails here at least. */
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(pt, &ptlen, NULL,
	    buf + KEYFILE_HDR_LEN, h.ct_len, buf, KEYFILE_HDR_LEN, h.nonce,
	    wrap_key) != 0) {
		rc = ENV1_R_KEYFILE_AEAD;
		goto out;
	}
	rc = keyfile_parse_payload(pt, (size_t)ptlen, kind, out);
out:
	sodium_memzero(kc, sizeof(kc));
	secret_free(pt);
	return rc;
}

int
keyfile_open(const uint8_t *buf, size_t len, const char *pass, size_t passlen,
    enum keyfile_kind kind, struct keyfile_contents *out)
{
	struct keyfile_header h;
	uint8_t *wrap_key = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	/* Format and minimum parameters before any Argon2id work. */
	if ((rc = keyfile_parse_header(buf, len, kind, &h)) != ENV1_OK)
		return rc;
	if ((wrap_key = secret_alloc(KEYFILE_KEY_LEN)) == NULL)
		return ENV1_R_NOMEM;
	if ((rc = keyfile_derive(&h, pass, passlen, wrap_key)) == ENV1_OK)
		rc = keyfile_open_key(buf, len, wrap_key, kind, out);
	secret_free(wrap_key);
	return rc;
}

static size_t
put_record(uint8_t *p, uint8_t tag, const void *v, size_t vlen)
{
	p[0] = tag;
	be16_put(p + 1, (uint16_t)vlen);
	memcpy(p + TLV_HDR, v, vlen);
	return TLV_HDR + vlen;
}

/* The TLV payload of c, into secret memory. */
static int
build_payload(const struct keyfile_contents *c, uint8_t **pt, size_t *ptlen)
{
	uint8_t cert[STMT_CERT_LEN], kind = (uint8_t)c->kind;
	size_t tls_len = 0, len, off = 0;
	uint8_t *p;

	*pt = NULL;
	*ptlen = 0;
	len = TLV_HDR + 1;
	if (c->kind == KEYFILE_RIK) {
		if (c->rik_seed == NULL)
			return ENV1_R_INVALID_ARG;
		len += TLV_HDR + SEED_LEN;
	} else {
		tls_len = strnlen(c->tls_key_ref, sizeof(c->tls_key_ref));
		if (c->dsk_seed == NULL || c->ksk == NULL || !c->has_cert ||
		    tls_len > TLS_REF_MAX)
			return ENV1_R_INVALID_ARG;
		len += 2 * (TLV_HDR + SEED_LEN) + TLV_HDR + STMT_CERT_LEN;
		if (tls_len > 0)
			len += TLV_HDR + tls_len;
	}
	if ((p = secret_alloc(len)) == NULL)
		return ENV1_R_NOMEM;
	off += put_record(p + off, KEYFILE_TAG_KIND, &kind, 1);
	if (c->kind == KEYFILE_RIK) {
		off += put_record(p + off, KEYFILE_TAG_RIK_SEED, c->rik_seed, SEED_LEN);
	} else {
		stmt_cert_encode(&c->cert, cert);
		off += put_record(p + off, KEYFILE_TAG_DSK_SEED, c->dsk_seed, SEED_LEN);
		off += put_record(p + off, KEYFILE_TAG_DSK_CERT, cert, sizeof(cert));
		off += put_record(p + off, KEYFILE_TAG_KSK, c->ksk, SEED_LEN);
		if (tls_len > 0)
			off += put_record(p + off, KEYFILE_TAG_TLS_KEY_REF,
			    c->tls_key_ref, tls_len);
	}
	*pt = p;
	*ptlen = off;
	return ENV1_OK;
}

/* The KDF parameters, and the salt and nonce given (fixed ones are for
 * tests and vectors) or fresh random ones. */
static void
header_init(struct keyfile_header *h, const struct keyfile_params *params,
    const uint8_t *salt, const uint8_t *nonce)
{
	memset(h, 0, sizeof(*h));
	h->opslimit = params->opslimit;
	h->memlimit = params->memlimit;
	if (salt != NULL)
		memcpy(h->salt, salt, KEYFILE_SALT_LEN);
	else
		randombytes_buf(h->salt, KEYFILE_SALT_LEN);
	if (nonce != NULL)
		memcpy(h->nonce, nonce, ENV1_NONCE_LEN);
	else
		randombytes_buf(h->nonce, ENV1_NONCE_LEN);
}

/* The KEYFILE_HDR_LEN header bytes, with the commitment to wrap_key. */
static void
header_put(uint8_t *buf, const struct keyfile_header *h,
    const uint8_t *wrap_key, size_t ct_len)
{
	memcpy(buf, MAGIC, sizeof(MAGIC));
	buf[OFF_VERSION] = KEYFILE_VERSION;
	buf[OFF_KDF] = KEYFILE_KDF_ARGON2ID13;
	be64_put(buf + OFF_OPS, h->opslimit);
	be64_put(buf + OFF_MEM, h->memlimit);
	memcpy(buf + OFF_SALT, h->salt, KEYFILE_SALT_LEN);
	memcpy(buf + OFF_NONCE, h->nonce, ENV1_NONCE_LEN);
	key_commitment(wrap_key, buf + OFF_KC);
	be32_put(buf + OFF_CT_LEN, (uint32_t)ct_len);
}

int
keyfile_seal(const struct keyfile_contents *c, const char *pass, size_t passlen,
    const struct keyfile_params *params, const uint8_t *salt, const uint8_t *nonce,
    uint8_t **out, size_t *outlen)
{
	struct keyfile_contents check;
	struct keyfile_header h;
	uint8_t *pt = NULL, *wrap_key = NULL, *buf = NULL;
	size_t ptlen = 0, len;
	int rc;

	if (out == NULL || outlen == NULL)
		return ENV1_R_INVALID_ARG;
	*out = NULL;
	*outlen = 0;
	/* An empty passphrase would make the file a plaintext key. */
	if (c == NULL || params == NULL || pass == NULL || passlen == 0 ||
	    !kind_valid(c->kind) ||
	    params_malformed(params->opslimit, params->memlimit))
		return ENV1_R_INVALID_ARG;
	if (params_weak(c->kind, params->opslimit, params->memlimit))
		return ENV1_R_KEYFILE_WEAK;
	if ((rc = build_payload(c, &pt, &ptlen)) != ENV1_OK)
		goto out;
	/* Never write a file keyfile_open would refuse. */
	if ((rc = keyfile_parse_payload(pt, ptlen, c->kind, &check)) != ENV1_OK) {
		rc = rc == ENV1_R_NOMEM ? rc : ENV1_R_INVALID_ARG;
		goto out;
	}
	keyfile_contents_free(&check);

	len = KEYFILE_HDR_LEN + ptlen + ENV1_TAG_LEN;
	wrap_key = secret_alloc(KEYFILE_KEY_LEN);
	buf = malloc(len);
	if (wrap_key == NULL || buf == NULL) {
		rc = ENV1_R_NOMEM;
		goto out;
	}
	header_init(&h, params, salt, nonce);
	if ((rc = keyfile_derive(&h, pass, passlen, wrap_key)) != ENV1_OK)
		goto out;

	header_put(buf, &h, wrap_key, ptlen + ENV1_TAG_LEN);
	crypto_aead_xchacha20poly1305_ietf_encrypt(buf + KEYFILE_HDR_LEN, NULL,
	    pt, ptlen, buf, KEYFILE_HDR_LEN, NULL, h.nonce, wrap_key);
	*out = buf;
	*outlen = len;
	buf = NULL;
	rc = ENV1_OK;
out:
	free(buf);
	secret_free(wrap_key);
	secret_free(pt);
	return rc;
}

int
keyfile_read(const char *path, uint8_t **buf, size_t *len)
{
	int rc;

	if (buf == NULL || len == NULL)
		return ENV1_R_INVALID_ARG;
	if ((rc = fileio_read(path, KEYFILE_MAX_LEN, 1, buf, len)) == 0)
		return ENV1_OK;
	errno = -rc;
	switch (rc) {
	case -EPERM:
	case -ELOOP:            /* O_NOFOLLOW met a symlink */
		return ENV1_R_KEYFILE_PERMISSIONS;
	case -EFBIG:
		return ENV1_R_KEYFILE_FORMAT;
	default:
		return ENV1_R_IO;
	}
}

int
keyfile_write(const char *path, const uint8_t *buf, size_t len, int replace)
{
	int rc;

	if (path == NULL || buf == NULL || len == 0 || len > KEYFILE_MAX_LEN) {
		errno = EINVAL;
		return ENV1_R_INVALID_ARG;
	}
	if ((rc = fileio_write_atomic(path, buf, len, 0600, replace)) != 0) {
		errno = -rc;
		return ENV1_R_IO;
	}
	return ENV1_OK;
}
