/*
 * The signed statements of ENV1 key management (crypto-env1.md 3.2): DSK
 * certificates, SPK (prekey) statements, revocations and RIK transitions.
 * Each is a fixed layout starting with its own 16-byte domain string,
 * followed by a 64-byte Ed25519 signature over the layout (two for a
 * transition).  Decoding checks lengths, domain and version only; the
 * *_verify functions check signatures.  Byte layouts: docs/PROTOCOL.md.
 */
#ifndef HOMEWARD_KEYS_STMT_H
#define HOMEWARD_KEYS_STMT_H

#include <stdint.h>

#include "keys/env1.h"

#define STMT_VERSION            0x01

/* DSK certificate usages. */
#define STMT_USAGE_MSG          0x0001
#define STMT_USAGE_PREKEY       0x0002
#define STMT_USAGE_RELAY_HOP    0x0008

#define STMT_CERT_BODY_LEN      107
#define STMT_CERT_LEN           (STMT_CERT_BODY_LEN + ENV1_SIG_LEN)      /* 171 */
#define STMT_SPK_BODY_LEN       148     /* suite 1: pk_len 32 */
#define STMT_SPK_LEN            (STMT_SPK_BODY_LEN + ENV1_SIG_LEN)       /* 212 */
#define STMT_REVOCATION_BODY_LEN 91
#define STMT_REVOCATION_LEN     (STMT_REVOCATION_BODY_LEN + ENV1_SIG_LEN) /* 155 */
#define STMT_TRANSITION_BODY_LEN 89
#define STMT_TRANSITION_LEN     (STMT_TRANSITION_BODY_LEN + 2 * ENV1_SIG_LEN) /* 217 */

/* Revocation kinds and reasons. */
enum stmt_revoked_kind {
	STMT_REVOKE_DSK = 1,
	STMT_REVOKE_RIK = 2,
	STMT_REVOKE_SPK = 3,
};
enum stmt_revoke_reason {
	STMT_REASON_UNSPECIFIED = 0,
	STMT_REASON_COMPROMISED = 1,
	STMT_REASON_SUPERSEDED  = 2,
	STMT_REASON_RETIRED     = 3,
};

struct stmt_dsk_cert {
	uint8_t         issuer_rik[ENV1_KEY_LEN];
	uint8_t         dsk_pub[ENV1_KEY_LEN];
	uint64_t        serial;
	uint64_t        not_before;     /* ms */
	uint64_t        not_after;      /* ms */
	uint16_t        usage;          /* STMT_USAGE_* */
	uint8_t         sig[ENV1_SIG_LEN];
};

struct stmt_spk {
	uint8_t         suite;
	uint8_t         owner_rik[ENV1_KEY_LEN];
	uint8_t         signer_dsk[ENV1_KEY_LEN];
	uint64_t        spk_id;
	uint64_t        not_before;
	uint64_t        not_after;
	uint64_t        retain_until;
	uint8_t         spk_pub[ENV1_KEY_LEN];  /* suite 1: X25519 */
	uint8_t         sig[ENV1_SIG_LEN];
};

struct stmt_revocation {
	uint8_t         issuer_rik[ENV1_KEY_LEN];
	uint8_t         revoked_key[ENV1_KEY_LEN];  /* for SPK: spk_pub */
	uint8_t         kind;                       /* enum stmt_revoked_kind */
	uint64_t        revoked_at;
	uint8_t         reason;                     /* enum stmt_revoke_reason */
	uint8_t         sig[ENV1_SIG_LEN];
};

struct stmt_transition {
	uint8_t         old_rik[ENV1_KEY_LEN];
	uint8_t         new_rik[ENV1_KEY_LEN];
	uint64_t        effective_at;
	uint8_t         sig_old[ENV1_SIG_LEN];
	uint8_t         sig_new[ENV1_SIG_LEN];
};

/* Encode the signed layout (body then signature). */
void stmt_cert_encode(const struct stmt_dsk_cert *, uint8_t out[STMT_CERT_LEN]);
void stmt_spk_encode(const struct stmt_spk *, uint8_t out[STMT_SPK_LEN]);
void stmt_revocation_encode(const struct stmt_revocation *, uint8_t out[STMT_REVOCATION_LEN]);
void stmt_transition_encode(const struct stmt_transition *, uint8_t out[STMT_TRANSITION_LEN]);

/* Decode exactly len bytes: ENV1_OK, ENV1_R_MALFORMED (length, domain,
 * version, pk_len, kind) or ENV1_R_SUITE (an SPK of a suite we lack). */
int stmt_cert_decode(const uint8_t *, size_t len, struct stmt_dsk_cert *);
int stmt_spk_decode(const uint8_t *, size_t len, struct stmt_spk *);
int stmt_revocation_decode(const uint8_t *, size_t len, struct stmt_revocation *);
int stmt_transition_decode(const uint8_t *, size_t len, struct stmt_transition *);

/* Sign in place with an Ed25519 secret key (64 bytes, seed || pk).
 * The issuer / signer / owner fields must already be filled. */
int stmt_cert_sign(struct stmt_dsk_cert *, const uint8_t rik_sk[64]);
int stmt_spk_sign(struct stmt_spk *, const uint8_t dsk_sk[64]);
int stmt_revocation_sign(struct stmt_revocation *, const uint8_t rik_sk[64]);
int stmt_transition_sign(struct stmt_transition *, const uint8_t old_sk[64],
    const uint8_t new_sk[64]);

/* Signature checks: ENV1_OK or ENV1_R_STMT_SIGNATURE.  A certificate and a
 * revocation verify under issuer_rik, an SPK under signer_dsk, a transition
 * under both RIKs. */
int stmt_cert_verify(const struct stmt_dsk_cert *);
int stmt_spk_verify(const struct stmt_spk *);
int stmt_revocation_verify(const struct stmt_revocation *);
int stmt_transition_verify(const struct stmt_transition *);

/* Equality of two statements by their encoded bytes (structs have padding). */
int stmt_cert_equal(const struct stmt_dsk_cert *, const struct stmt_dsk_cert *);
int stmt_spk_equal(const struct stmt_spk *, const struct stmt_spk *);
int stmt_revocation_equal(const struct stmt_revocation *, const struct stmt_revocation *);

/* Whether a certificate is within [not_before, not_after] at time t (ms). */
int stmt_cert_valid_at(const struct stmt_dsk_cert *, uint64_t t);

#endif
