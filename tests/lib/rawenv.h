/*
 * ENV1 envelopes built straight from the specification (docs/PROTOCOL.md
 * sections 5 and 6) with libsodium primitives, independently of
 * keys/envelope.c, and with every field under the caller's control: the
 * vector generator uses it to cross-check env1_seal and to make the
 * envelopes a correct sealer never makes (lying lengths, foreign domains,
 * forged signatures, re-wrapped inner messages) under a known k_enc.
 */
#ifndef HOMEWARD_TESTS_RAWENV_H
#define HOMEWARD_TESTS_RAWENV_H

#include <stddef.h>
#include <stdint.h>

#include "keys/envelope.h"

/* What raw_seal leaves alone: by default it derives these fields. */
#define RAW_KEEP_HDR_HASH       0x01    /* t.hdr_hash as given */
#define RAW_KEEP_CONTENT_HASH   0x02    /* t.content_hash as given */
#define RAW_KEEP_BODY_LEN       0x04    /* t.body_len as given */
#define RAW_KEEP_INNER          0x08    /* tbs[] and sig[] as given: re-wrap */
#define RAW_KEEP_KC             0x10    /* h.kc as given */

/* Ways to spoil a signature after it is made (negative test 10). */
enum raw_sig_mode {
	RAW_SIG_GOOD = 0,
	RAW_SIG_FLIP,           /* one bit of S flipped */
	RAW_SIG_S_PLUS_L,       /* S + L: the same point, non-canonical scalar */
	RAW_SIG_SMALL_R,        /* R replaced by a point of order 8 */
	RAW_SIG_ZERO,           /* 64 zero bytes */
};

struct raw_env {
	/* Inputs. */
	struct env1_header      h;      /* enc is derived from eph_sk */
	struct env1_tbs         t;
	uint8_t                 eph_sk[32];
	uint8_t                 spk_pub[ENV1_KEY_LEN];
	const uint8_t          *signer_sk;     /* 64; NULL: sig as given */
	const uint8_t          *domain;        /* 16; NULL: "ENV1 message sig" */
	enum raw_sig_mode       sig_mode;
	const uint8_t          *body;
	size_t                  body_len;
	const uint8_t          *sealed_body;   /* NULL: body (test 12 swaps it) */
	size_t                  sealed_body_len;
	unsigned                keep;          /* RAW_KEEP_* */

	/* Outputs (and, with RAW_KEEP_INNER, inputs). */
	uint8_t                 hdr[ENV1_HDR_LEN];
	uint8_t                 tbs[ENV1_TBS_LEN];
	uint8_t                 sig[ENV1_SIG_LEN];
	uint8_t                 ss[32];
	uint8_t                 k_root[32];
	uint8_t                 k_enc[32];
	uint8_t                 hdr_hash[ENV1_HASH_LEN];
	uint8_t                 content_hash[ENV1_HASH_LEN];
	uint8_t                 h_env[ENV1_HASH_LEN];
	uint8_t                 h_inner[ENV1_HASH_LEN];
	uint8_t                *env;           /* malloc'ed */
	size_t                  env_len;
};

/* Header fields into their 206 bytes (no derivation). */
void raw_header_encode(const struct env1_header *, uint8_t out[ENV1_HDR_LEN]);
/* TBS fields into their 316 bytes, with this domain (NULL: the right one). */
void raw_tbs_encode(const struct env1_tbs *, const uint8_t *domain,
    uint8_t out[ENV1_TBS_LEN]);

/* k_root, k_enc and kc from ss, the header prefix and spk_pub. */
void raw_key_schedule(const uint8_t ss[32], const uint8_t hdr[ENV1_HDR_LEN],
    const uint8_t spk_pub[ENV1_KEY_LEN], uint8_t k_root[32], uint8_t k_enc[32],
    uint8_t kc[32]);

/*
 * Seal r as the specification says, deriving enc, hdr_hash, content_hash,
 * body_len, the signature (unless signer_sk is NULL), kc and ct_len, except
 * what r->keep says to keep.  0, or -1 when X25519 fails or memory runs out.
 */
int raw_seal(struct raw_env *r);
void raw_free(struct raw_env *r);      /* frees env; NULL ok */

#endif
