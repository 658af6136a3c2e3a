/*
 * The interop vector files (tests/vectors/env1.json and keyfile.json,
 * docs/PROTOCOL.md section 17) as both sides see them: lower-case hex and
 * integer fields, and the recipient state a "rejects" entry describes,
 * rebuilt into the structures env1_open and env1_seal take.  Shared by
 * the generator, which checks every entry it writes through these
 * loaders, and by the checker.
 */
#ifndef HOMEWARD_TESTS_VECJSON_H
#define HOMEWARD_TESTS_VECJSON_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "keys/envelope.h"
#include "keys/peerkeys.h"

/* A new JSON string holding bytes as lower-case hex. */
json_t *vj_hex(const uint8_t *b, size_t n);
/* Set obj[key] to hex / an integer; the value is stolen. */
void vj_set_hex(json_t *obj, const char *key, const uint8_t *b, size_t n);
void vj_set_u64(json_t *obj, const char *key, uint64_t v);
void vj_set_str(json_t *obj, const char *key, const char *s);

/* obj[key] as exactly n bytes: 0, or -1 (absent, not hex, other length). */
int vj_get_hex(const json_t *obj, const char *key, uint8_t *out, size_t n);
/* obj[key] as malloc'ed bytes of any length (1 byte allocated for ""). */
int vj_get_hex_alloc(const json_t *obj, const char *key, uint8_t **out,
    size_t *n);
/* obj[key] as a non-negative integer. */
int vj_get_u64(const json_t *obj, const char *key, uint64_t *out);
const char *vj_get_str(const json_t *obj, const char *key);

/* Write root to path with sorted keys, indentation 1 and a final newline. */
int vj_dump(const json_t *root, const char *path);

/*
 * A pinned peer from {"rik", "min_suite", "max_age_ms", "certs",
 * "prekeys", "revocations"}: every statement decoded and admitted with
 * peerkeys_add_*.  ENV1_OK, the reason a statement was refused, or
 * ENV1_R_MALFORMED for a bad field.  On error p is cleared.
 */
int vj_peer_load(const json_t *peer, struct peerkeys *p);

/* An identity from {"rik_seed", "dsk_seed", "dsk_cert"}; dsk_sk is
 * secret_alloc'ed (vj_identity_free). */
int vj_identity_load(const json_t *agency, struct env1_identity *id);
void vj_identity_free(struct env1_identity *id);

#define VJ_MAX_PEERS    8
#define VJ_MAX_PREKEYS  4

/* A recipient: {"rik", "prekeys": [{"spk", "spk_secret"}]} plus its
 * pinned peers, behind an env1_open_ctx. */
struct vj_inbox {
	uint8_t                 own_rik[ENV1_KEY_LEN];
	struct env1_prekey      prekeys[VJ_MAX_PREKEYS];
	size_t                  nprekeys;
	struct peerkeys         peers[VJ_MAX_PEERS];
	size_t                  npeers;
};

int vj_inbox_load(const json_t *recipient, const json_t *peers,
    struct vj_inbox *in);
void vj_inbox_free(struct vj_inbox *in);
void vj_open_ctx(struct vj_inbox *in, uint64_t now, struct env1_open_ctx *ctx);

/*
 * Seal parameters from an entry's input fields ("message_id",
 * "created_at", "expires_at", "msg_type", "thread_id", "seq",
 * "prev_hash", "in_reply_to", "content_salt", "body", "eph_secret",
 * "nonce").  The body, eph_sk and nonce point into *bufs, which the caller
 * frees (free(bufs[0..2])).
 */
int vj_seal_params(const json_t *e, struct env1_seal_params *p, uint8_t *bufs[3]);

#endif
