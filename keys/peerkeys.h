/*
 * What we hold about one pinned peer's keys: its root identity (RIK),
 * the DSK certificates, prekey statements and revocations it has issued,
 * each verified once when added, so that the per-message path (env1_open,
 * env1_seal) only looks them up.  Invariant: everything stored here has a
 * good signature chaining to rik.  No I/O.
 */
#ifndef HOMEWARD_KEYS_PEERKEYS_H
#define HOMEWARD_KEYS_PEERKEYS_H

#include <stddef.h>
#include <stdint.h>

#include "keys/stmt.h"

struct peerkeys {
	uint8_t                  rik[ENV1_KEY_LEN];
	uint8_t                  min_suite;      /* no downgrade below this */
	uint64_t                 max_age_ms;     /* 0: ENV1_MAX_AGE_MS */
	int                      suspended;      /* RIK revoked, or unverified transition */

	struct stmt_dsk_cert    *certs;
	size_t                   ncerts;
	struct stmt_spk         *prekeys;
	size_t                   nprekeys;
	struct stmt_revocation  *revocations;
	size_t                   nrevocations;
};

/* An empty record for a pinned rik; min_suite 1, default max age. */
void peerkeys_init(struct peerkeys *, const uint8_t rik[ENV1_KEY_LEN]);
/* Frees the arrays; the struct may be reused after peerkeys_init. NULL ok. */
void peerkeys_clear(struct peerkeys *);

/*
 * Add a statement after checking it: issuer == rik and a good signature
 * (ENV1_R_STMT_ISSUER, ENV1_R_STMT_SIGNATURE); a prekey must be signed by
 * a DSK certified here with PREKEY usage (ENV1_R_PREKEY_USAGE when not)
 * and owned by rik (ENV1_R_PREKEY_OWNER).  Adding a statement already
 * present is a no-op.  A RIK self-revocation suspends the peer.
 * On error nothing is added.
 */
int peerkeys_add_cert(struct peerkeys *, const struct stmt_dsk_cert *);
int peerkeys_add_prekey(struct peerkeys *, const struct stmt_spk *);
int peerkeys_add_revocation(struct peerkeys *, const struct stmt_revocation *);

/* Whether a key of this kind was revoked by the peer (any revoked_at: a
 * thief can backdate created_at, crypto-env1.md 3.4). */
int peerkeys_is_revoked(const struct peerkeys *, const uint8_t key[ENV1_KEY_LEN],
    uint8_t kind);

/*
 * Step 12 of open: signer_dsk holds a certificate from this peer with the
 * usage bits, valid at created_at and not revoked.  ENV1_OK or
 * ENV1_R_CERT_UNKNOWN / _USAGE / _VALIDITY / _REVOKED (the most specific
 * failure over all of the DSK's certificates).
 */
int peerkeys_check_signer(const struct peerkeys *, const uint8_t dsk[ENV1_KEY_LEN],
    uint16_t usage, uint64_t created_at);

/*
 * Seal step 1: the prekey is usable now: signed by a DSK certified here
 * with PREKEY usage and not revoked, owned by rik, suite allowed,
 * now in [not_before, not_after - 1 h], spk_pub not low-order, not revoked.
 * Re-checks the signature: statements may come from outside this record.
 */
int peerkeys_validate_prekey(const struct peerkeys *, const struct stmt_spk *,
    uint64_t now);

/* The newest valid prekey (largest not_before), or ENV1_R_NO_PREKEY. */
int peerkeys_choose_prekey(const struct peerkeys *, uint64_t now,
    const struct stmt_spk **out);

#endif
