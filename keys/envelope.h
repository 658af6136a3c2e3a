/*
 * ENV1 envelopes, suite 1 (crypto-env1.md 2.3 to 2.7): seal a body for one
 * pinned peer, and open an envelope addressed to us, with every check of
 * section 2.7 up to (not including) the ledger step, which is the daemon's.
 * No I/O: keys, peers and prekeys come in through the structures below.
 */
#ifndef HOMEWARD_KEYS_ENVELOPE_H
#define HOMEWARD_KEYS_ENVELOPE_H

#include <stddef.h>
#include <stdint.h>

#include "keys/env1.h"
#include "keys/peerkeys.h"
#include "keys/stmt.h"

/* The cleartext header, as parsed (step 1). */
struct env1_header {
	uint8_t         version;
	uint8_t         suite;
	uint16_t        flags;
	uint8_t         message_id[ENV1_ID_LEN];
	uint64_t        created_at;
	uint64_t        expires_at;
	uint8_t         sender_rik[ENV1_KEY_LEN];
	uint8_t         recipient_rik[ENV1_KEY_LEN];
	uint64_t        spk_id;
	uint16_t        enc_len;
	uint8_t         enc[ENV1_ENC_LEN_SUITE1];
	uint8_t         nonce[ENV1_NONCE_LEN];
	uint8_t         kc[ENV1_HASH_LEN];
	uint32_t        ct_len;
};

/* The to-be-signed block (316 bytes on the wire). */
struct env1_tbs {
	uint8_t         version;
	uint8_t         suite;
	uint8_t         message_id[ENV1_ID_LEN];
	uint64_t        created_at;
	uint8_t         sender_rik[ENV1_KEY_LEN];
	uint8_t         recipient_rik[ENV1_KEY_LEN];
	uint8_t         hdr_hash[ENV1_HASH_LEN];
	uint8_t         signer_dsk[ENV1_KEY_LEN];
	uint16_t        msg_type;
	uint8_t         thread_id[ENV1_ID_LEN];
	uint64_t        seq;
	uint8_t         prev_hash[ENV1_HASH_LEN];
	uint8_t         in_reply_to[ENV1_ID_LEN];
	uint8_t         content_salt[ENV1_HASH_LEN];
	uint8_t         content_hash[ENV1_HASH_LEN];
	uint64_t        body_len;
};

/* Our own signing identity: RIK public key, DSK key pair and certificate. */
struct env1_identity {
	uint8_t                 rik_pub[ENV1_KEY_LEN];
	uint8_t                 dsk_pub[ENV1_KEY_LEN];
	uint8_t                *dsk_sk;        /* 64 bytes, secret_alloc'ed; owned */
	struct stmt_dsk_cert    cert;
};

/* Everything a seal needs besides keys.  The caller chooses and persists
 * message_id, content_salt, seq and prev_hash before sealing, so a crash and
 * retry reuses them (2.6 step 2, 2.10). */
struct env1_seal_params {
	uint8_t         message_id[ENV1_ID_LEN];
	uint64_t        created_at;             /* ms */
	uint64_t        expires_at;             /* ms, 0 = created_at + MAX_AGE */
	uint16_t        msg_type;
	uint8_t         thread_id[ENV1_ID_LEN];
	uint64_t        seq;                    /* >= 1 */
	uint8_t         prev_hash[ENV1_HASH_LEN];
	uint8_t         in_reply_to[ENV1_ID_LEN];
	uint8_t         content_salt[ENV1_HASH_LEN];
	const uint8_t  *body;
	size_t          body_len;               /* <= ENV1_MAX_INLINE */
	/* Deterministic inputs for test vectors only; NULL means random. */
	const uint8_t  *eph_sk;                 /* 32 bytes */
	const uint8_t  *nonce;                  /* 24 bytes */
};

/* A sealed envelope.  env is malloc'ed (public bytes); owned by the caller. */
struct env1_sealed {
	uint8_t        *env;
	size_t          env_len;
	uint8_t         h_env[ENV1_HASH_LEN];
	uint8_t         h_inner[ENV1_HASH_LEN];
	uint8_t         tbs[ENV1_TBS_LEN];      /* evidence: what was signed */
	uint8_t         sig[ENV1_SIG_LEN];
};

void env1_sealed_free(struct env1_sealed *);    /* NULL ok */

/*
 * Seal params->body for peer using prekey spk (validated here with
 * peerkeys_validate_prekey at time now: a bad prekey refuses the seal).
 * ENV1_OK or a reason; on error *out is untouched and nothing is allocated.
 */
int env1_seal(const struct env1_identity *me, const struct peerkeys *peer,
    const struct stmt_spk *spk, const struct env1_seal_params *params,
    uint64_t now, struct env1_sealed *out);

/* One of our own prekeys with its secret. */
struct env1_prekey {
	struct stmt_spk         stmt;
	uint8_t                *sk;            /* 32 bytes, secret_alloc'ed */
};

/* How env1_open reaches the recipient's state; the callbacks do lookups only. */
struct env1_open_ctx {
	const uint8_t          *own_rik;       /* 32 bytes */
	/* Optional: our previous RIK after a transition (PROTOCOL.md 4.4),
	 * also accepted as the recipient while what a partner sealed to it
	 * may still arrive; NULL when none or past that time. */
	const uint8_t          *old_rik;
	uint64_t                now;           /* ms */
	/* The pinned peer with this RIK, or NULL. */
	const struct peerkeys *(*find_peer)(void *arg, const uint8_t rik[ENV1_KEY_LEN]);
	/* Our prekey with this id, or NULL (deleted or never existed). */
	const struct env1_prekey *(*find_prekey)(void *arg, uint64_t spk_id);
	/* Step 5, optional: 1 when (sender, message_id) is in the ledger with
	 * this exact H_env. */
	int (*is_replay)(void *arg, const uint8_t sender_rik[ENV1_KEY_LEN],
	    const uint8_t message_id[ENV1_ID_LEN], const uint8_t h_env[ENV1_HASH_LEN]);
	/* Step 14: 0 when body parses as a protobuf of msg_type.  Receipts
	 * (0x0100, a fixed layout) are checked by env1_open itself and test
	 * documents (0x7f00) are opaque; any other type is refused
	 * (ENV1_R_MSG_TYPE) when this is NULL. */
	int (*check_body)(void *arg, uint16_t msg_type, const uint8_t *body, size_t len);
	void                   *arg;
};

/* An opened envelope.  inner (TBS || sig || body) is secret_alloc'ed. */
struct env1_opened {
	struct env1_header      hdr;
	struct env1_tbs         tbs;
	uint8_t                 h_env[ENV1_HASH_LEN];
	uint8_t                 h_inner[ENV1_HASH_LEN];
	uint8_t                 semantic[ENV1_HASH_LEN];   /* env1_semantic_digest */
	uint8_t                *inner;
	size_t                  inner_len;
	const uint8_t          *body;          /* inner + 380 */
	size_t                  body_len;
};

/* Wipes and frees inner; NULL ok. */
void env1_opened_free(struct env1_opened *);

/*
 * Open env (exactly len bytes: one envelope record).  Returns ENV1_OK with
 * *out filled, or a reason with *out zeroed and no plaintext anywhere.
 * Checks run in the order of crypto-env1.md 2.7 (docs/PROTOCOL.md).
 */
int env1_open(const struct env1_open_ctx *ctx, const uint8_t *env, size_t len,
    struct env1_opened *out);

/* Step 1 alone, for routing without keys: exact-length header parse. */
int env1_header_parse(const uint8_t *env, size_t len, struct env1_header *out);
/* The same checks on a header alone (evidence records keep no ciphertext):
 * ct_len is checked against the limits only, not against a record. */
int env1_header_decode(const uint8_t hdr[ENV1_HDR_LEN], struct env1_header *out);

/* TBS layout. */
void env1_tbs_encode(const struct env1_tbs *, uint8_t out[ENV1_TBS_LEN]);
int env1_tbs_decode(const uint8_t in[ENV1_TBS_LEN], struct env1_tbs *);  /* ENV1_R_DOMAIN */

/* H_env over header||ct, H_inner over TBS||sig (2.4). */
void env1_h_env(const uint8_t *env, size_t len, uint8_t out[ENV1_HASH_LEN]);
/* The same H_env from a header and its ciphertext held apart. */
void env1_h_env_parts(const uint8_t hdr[ENV1_HDR_LEN], const uint8_t *ct,
    size_t ct_len, uint8_t out[ENV1_HASH_LEN]);
void env1_h_inner(const uint8_t tbs[ENV1_TBS_LEN], const uint8_t sig[ENV1_SIG_LEN],
    uint8_t out[ENV1_HASH_LEN]);

/* Digest of the semantic fields compared in step 15 (msg_type, thread_id,
 * seq, prev_hash, in_reply_to, content_salt, content_hash, body_len); two
 * envelopes of one message_id are a retransmission iff these are equal. */
void env1_semantic_digest(const struct env1_tbs *, uint8_t out[ENV1_HASH_LEN]);

/* Test hook (21): how many times the AEAD decryption was attempted. */
unsigned long env1_aead_attempts(void);

#endif
