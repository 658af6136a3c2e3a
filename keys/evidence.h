/*
 * Evidence of delivery, checkable by a third party (crypto-env1.md 2.9):
 * a signed message (header, TBS, signature, body) and its signed receipt,
 * verified against the two agencies' bundles.  This is what
 * `homeward-keys verify-evidence` runs for a court or an auditor.
 */
#ifndef HOMEWARD_KEYS_EVIDENCE_H
#define HOMEWARD_KEYS_EVIDENCE_H

#include <stddef.h>
#include <stdint.h>

#include "keys/bundle.h"
#include "keys/envelope.h"

#define EVIDENCE_VERSION        1
#define EVIDENCE_MAX_LEN        (ENV1_ENVELOPE_MAX * 2 + 8192)
#define EVIDENCE_WHY_LEN        200

/* Encode a SignedMessage; ct may be NULL.  *out malloc'ed. */
int evidence_record_encode(const uint8_t header[ENV1_HDR_LEN],
    const uint8_t tbs[ENV1_TBS_LEN], const uint8_t sig[ENV1_SIG_LEN],
    const uint8_t *body, size_t body_len, const uint8_t *ct, size_t ct_len,
    uint8_t **out, size_t *outlen);

/* The encoded SignedMessage rec again without its body (body_withheld
 * set): what an auditor gets.  *out malloc'ed. */
int evidence_record_withhold(const uint8_t *rec, size_t len, uint8_t **out,
    size_t *outlen);

/* Encode an Evidence from two encoded SignedMessages (receipt may be NULL). */
int evidence_bundle_encode(const uint8_t *msg, size_t msglen,
    const uint8_t *rcpt, size_t rcptlen, uint8_t **out, size_t *outlen);

struct evidence_report {
	uint16_t        msg_type;
	uint8_t         message_id[ENV1_ID_LEN];
	uint64_t        created_at;
	uint8_t         thread_id[ENV1_ID_LEN];
	uint64_t        seq;
	uint8_t         h_inner[ENV1_HASH_LEN];
	int             h_env_known;            /* ciphertext was included */
	uint8_t         h_env[ENV1_HASH_LEN];
	int             receipted;              /* a receipt was given and verified */
	uint64_t        received_at;
	uint64_t        committed_at;
	int             receipt_h_env_matches;  /* -1 unknown, 0 no (retransmission), 1 yes */
	int             body_withheld;          /* content hash not checked */
};

/*
 * Verify msg (an encoded SignedMessage or Evidence) and optionally rcpt (a
 * SignedMessage; or NULL when msg is an Evidence carrying its receipt):
 * layouts, header/TBS agreement, hdr_hash, the signer's certificate from
 * sender's bundle (MSG usage, valid at created_at, not revoked at or
 * before created_at), the signature, the content hash (unless the body
 * was withheld: body_withheld in the report); for the receipt the
 * same checks against recipient's bundle, its 177-byte body, and that it
 * names this message, both agencies and this H_inner.
 * ENV1_OK with *out filled, or a reason with why saying exactly what fails.
 */
int evidence_verify(const uint8_t *msg, size_t msglen, const uint8_t *rcpt,
    size_t rcptlen, const struct bundle *sender, const struct bundle *recipient,
    struct evidence_report *out, char why[EVIDENCE_WHY_LEN]);

#endif
