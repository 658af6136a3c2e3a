/*
 * Agency bundles (proto/keys.proto Bundle): build one from an agency's
 * public state, and parse one with every signature checked, saying which
 * field is wrong when it is refused.
 */
#ifndef HOMEWARD_KEYS_BUNDLE_H
#define HOMEWARD_KEYS_BUNDLE_H

#include <stddef.h>
#include <stdint.h>

#include "keys/env1.h"
#include "keys/peerkeys.h"
#include "keys/stmt.h"

#define BUNDLE_VERSION          1
#define BUNDLE_MAX_LEN          (256 * 1024)
#define BUNDLE_WHY_LEN          160
/* Cap on each repeated statement list: an agency has a few DSKs, about
 * five live prekeys and some revocations, never dozens. */
#define BUNDLE_MAX_STMTS        64
/* The duty contact (AgencyInfo.duty_contact): at most this many bytes. */
#define BUNDLE_CONTACT_MAX      64

/* The agency's self-description (AgencyInfo). */
struct agency_info {
	char            agency_id[64];
	char            name[128];
	char            country[3];
	char            time_zone[64];
	char            endpoint[256];
	uint8_t         rik[ENV1_KEY_LEN];
	uint8_t         tls_spki_sha256[32];
	uint64_t        issued_at;
	char            duty_contact[BUNDLE_CONTACT_MAX + 1]; /* "" when none */
};

/* NULL when s is a valid agency id (1 to 63 of a-z, 0-9 and '-'), else
 * what is wrong with it.  The one rule for agency ids, wherever typed. */
const char *bundle_agency_id_problem(const char *s);
/* NULL when s is a valid duty contact ("" is none; else 1 to 64 bytes of
 * UTF-8 text without control characters, not starting or ending with a
 * space), else what is wrong with it. */
const char *bundle_duty_contact_problem(const char *s);

/* Encode an AgencyInfo and sign it with the RIK: *info is malloc'ed. */
int bundle_sign_agency(const struct agency_info *, const uint8_t rik_sk[64],
    uint8_t **info, size_t *infolen, uint8_t sig[ENV1_SIG_LEN]);

/* The parts a bundle is built from; signed statements are the stmt_* structs. */
struct bundle_parts {
	const uint8_t                  *agency_info;   /* encoded, as signed */
	size_t                          agency_info_len;
	const uint8_t                  *agency_sig;    /* 64 */
	const struct stmt_dsk_cert     *certs;
	size_t                          ncerts;
	const struct stmt_spk          *prekeys;
	size_t                          nprekeys;
	const struct stmt_revocation   *revocations;
	size_t                          nrevocations;
	const struct stmt_transition   *transitions;
	size_t                          ntransitions;
};

/* Encode a Bundle from parts (rik from the agency info): *out malloc'ed. */
int bundle_build(const uint8_t rik[ENV1_KEY_LEN], const struct bundle_parts *,
    uint8_t **out, size_t *outlen);

/* A parsed, verified bundle. */
struct bundle {
	struct agency_info       info;
	struct peerkeys          keys;          /* rik, certs, prekeys, revocations */
	struct stmt_transition  *transitions;
	size_t                   ntransitions;
};

/*
 * Parse and verify: size cap, protobuf, version, rik length, agency_info
 * signature and fields (agency_id, country, time_zone and endpoint syntax,
 * info.rik == rik), then every certificate, prekey, revocation and
 * transition (a bad one refuses the bundle: a signed bundle is all or
 * nothing).  Expired prekeys are kept; the seal path skips them.
 * On error *out is zeroed and why (BUNDLE_WHY_LEN) names the field, e.g.
 * "dsk_certs[1]: signature does not verify".
 */
int bundle_parse(const uint8_t *buf, size_t len, struct bundle *out,
    char why[BUNDLE_WHY_LEN]);
void bundle_free(struct bundle *);      /* NULL ok */

/*
 * A bundle claiming to be a peer pinned as pinned_rik: ENV1_OK when it is
 * the same RIK (*rotated = 0), or when it carries a valid transition from
 * pinned_rik that pinned_rik has not revoked (*rotated = 1: the operator
 * must re-verify the new fingerprint); ENV1_R_RIK_TRANSITION otherwise.
 */
int bundle_check_identity(const struct bundle *, const uint8_t pinned_rik[ENV1_KEY_LEN],
    const struct peerkeys *pinned, int *rotated);

/*
 * The transition a Hello carries (PROTOCOL.md 16.4), before any bundle:
 * ENV1_OK when buf is exactly one RIK transition from pinned_rik to
 * new_rik (different keys) with both signatures good, and pinned (may be
 * NULL) holds no revocation of pinned_rik by itself; else
 * ENV1_R_MALFORMED (not a transition), ENV1_R_RIK_TRANSITION (other keys,
 * or the pinned RIK revoked itself) or ENV1_R_STMT_SIGNATURE.
 */
int bundle_check_transition(const uint8_t *buf, size_t len,
    const uint8_t pinned_rik[ENV1_KEY_LEN], const struct peerkeys *pinned,
    const uint8_t new_rik[ENV1_KEY_LEN]);

#endif
