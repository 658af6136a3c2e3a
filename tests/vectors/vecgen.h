/*
 * The building blocks of the interop vector generator (tests/vectors/
 * vectorgen.c, docs/PROTOCOL.md section 17): a message "plan" with every
 * input of a seal, its JSON form, and emitters that confirm each entry
 * (sealed both ways, reopened or refused exactly) before it is kept.
 */
#ifndef HOMEWARD_TESTS_VECGEN_H
#define HOMEWARD_TESTS_VECGEN_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "keys/envelope.h"
#include "tests/lib/fixture.h"
#include "tests/lib/rawenv.h"
#include "tests/lib/vecjson.h"

/* Every input of one seal. */
struct plan {
	const char                     *label;
	const struct fixture_agency    *from, *to;
	const struct stmt_spk          *spk;           /* default: to's prekey */
	const uint8_t                  *spk_sk;
	uint8_t                         message_id[ENV1_ID_LEN];
	uint64_t                        created_at;     /* default: now - 1 min */
	uint64_t                        expires_at;
	uint16_t                        msg_type;       /* default: TEST_DOCUMENT */
	uint8_t                         thread_id[ENV1_ID_LEN];
	uint64_t                        seq;
	uint8_t                         prev_hash[ENV1_HASH_LEN];
	uint8_t                         in_reply_to[ENV1_ID_LEN];
	uint8_t                         content_salt[ENV1_HASH_LEN];
	const uint8_t                  *body;
	size_t                          body_len;
	uint8_t                         eph_sk[32];
	uint8_t                         nonce[ENV1_NONCE_LEN];
	uint64_t                        now;            /* default: FIXTURE_NOW */
};

/* Print "vectorgen: ..." and exit 1. */
void vg_die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* {"label", "rik_seed", "rik_pub", "dsk_seed", "dsk_pub", "dsk_cert"}
 * and, with_prekey, "spk" and "spk_secret". */
json_t *vg_agency_json(const struct fixture_agency *, int with_prekey);
/* A pinned peer: rik, min_suite 1, max_age_ms 0, its certificate and
 * prekey, no revocations. */
json_t *vg_peer_json(const struct fixture_agency *);
/* Append an encoded statement to peer["certs" | "prekeys" | "revocations"]. */
void vg_peer_add(json_t *peer, const char *what, const uint8_t *b, size_t n);
json_t *vg_prekey_json(const struct stmt_spk *, const uint8_t sk[32]);
/* {"rik", "prekeys": [its prekey]}. */
json_t *vg_recipient_json(const struct fixture_agency *);

/* Defaults for a message named label from -> to in a thread; ids, salt,
 * ephemeral secret and nonce derived from the label. */
void vg_plan_init(struct plan *, const char *label,
    const struct fixture_agency *from, const struct fixture_agency *to,
    const char *thread, uint64_t seq, const uint8_t *body, size_t body_len);
/* The fields a correct sealer writes, for the raw builder to change. */
void vg_plan_raw(const struct plan *, struct raw_env *);
/* Every seal input into o. */
void vg_plan_inputs_json(const struct plan *, json_t *o);

/* env1_seal from an entry's own fields; the reason. */
int vg_seal_from_json(const json_t *entry, struct env1_sealed *out);
/* env1_open as the described recipient; the reason. */
int vg_open_as(const json_t *recipient, const json_t *peers, uint64_t now,
    const uint8_t *env, size_t len, struct env1_opened *out);

/* An "envelopes"-shaped entry appended to arr (also used for receipts);
 * h_inner (may be NULL) receives the message's H_inner. */
json_t *vg_emit_envelope(json_t *arr, const char *name, const char *desc,
    const struct plan *, uint8_t h_inner[32]);
/* A "rejects" entry appended to arr; recipient and peers are stolen. */
void vg_emit_reject(json_t *arr, const char *name, int test, const char *desc,
    const uint8_t *env, size_t len, json_t *recipient, json_t *peers,
    uint64_t now, int reason);

/* Statements for the rejects, all derived from labels. */
/* A DSK key pair from label; certified by issuer unless it is NULL. */
void vg_make_dsk(const struct fixture_agency *issuer, const char *label,
    uint16_t usage, uint64_t not_before, uint64_t not_after, uint8_t pk[32],
    uint8_t sk[64], struct stmt_dsk_cert *c);
/* A MSG certificate from issuer for any 32 bytes. */
void vg_certify(const struct fixture_agency *issuer, const uint8_t key[32],
    uint8_t out[STMT_CERT_LEN]);
/* Another prekey of a, signed by dsk_sk / dsk_pk (NULL: a's DSK). */
void vg_make_prekey(const struct fixture_agency *a, uint64_t id,
    uint64_t not_before, uint64_t not_after, uint64_t retain_until,
    const uint8_t *dsk_sk, const uint8_t *dsk_pk, struct stmt_spk *s,
    uint8_t sk[32]);
void vg_revocation(const struct fixture_agency *a, const uint8_t key[32],
    uint8_t kind, uint64_t at, uint8_t out[STMT_REVOCATION_LEN]);
/* [peer a, peer b]; either may be NULL. */
json_t *vg_peers(const struct fixture_agency *a, const struct fixture_agency *b);

/* tests/lib/vecgen_misc.c: the parts that need no envelope. */
/* root["fingerprints"]: {"keys": [...], "pairs": [...]}. */
void vg_fingerprints(json_t *root, const struct fixture_agency *const *agencies,
    size_t n);
/* root["ed25519"]: RFC 8032 section 7.1 TEST 1, 2, 3, 1024, SHA(abc). */
void vg_ed25519(json_t *root);
/* keyfile.json: root["keyfiles"] and root["rejects"]. */
void vg_keyfiles(json_t *root, const struct fixture_agency *a);

/* tests/vectors/vecgen_referral.c: DIR/referral.json (PROTOCOL.md 17.5). */
void vg_referral(const char *dir);
/* The protobuf-c encoding of a document given as docjson with ' for "
 * (malloc'ed, one byte spare); dies on any error. */
void vg_doc_body(const char *name, uint16_t msg_type, const char *lit,
    uint8_t **body, size_t *len);
/* tests/vectors/vecgen_refreject.c: root["rejects"] of referral.json. */
void vg_referral_rejects(json_t *root);
/* tests/vectors/vecgen_header.c: root["header_rejects"] of referral.json. */
void vg_referral_header_rejects(json_t *root);

#endif
