/*
 * Synthetic agencies for tests, vectors and benchmarks: every key derived
 * deterministically from a label, so a test can build "alpha" and "beta"
 * and get the same bytes on every run.  No personal data, ever.
 */
#ifndef HOMEWARD_TESTS_FIXTURE_H
#define HOMEWARD_TESTS_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include "keys/bundle.h"
#include "keys/envelope.h"
#include "keys/peerkeys.h"
#include "keys/stmt.h"

/* 2026-01-01T00:00:00Z in ms: the fixed "now" of the fixtures. */
#define FIXTURE_NOW     1767225600000ull
#define FIXTURE_DAY     (24ull * 3600 * 1000)

struct fixture_agency {
	char                    label[32];
	uint8_t                 rik_pk[ENV1_KEY_LEN];
	uint8_t                *rik_sk;        /* 64, secret memory */
	uint8_t                *rik_seed;      /* 32, secret memory */
	uint8_t                *dsk_seed;      /* 32, secret memory */
	struct env1_identity    id;            /* DSK key pair and certificate */
	struct env1_prekey      prekey;        /* one SPK, valid around FIXTURE_NOW */
};

/* Deterministic bytes: BLAKE2b("homeward fixture" || label), stretched. */
void fixture_bytes(const char *label, uint8_t *out, size_t len);

/* An agency named label: RIK, DSK certified for MSG|PREKEY from now - 30 d
 * to now + 335 d, one prekey spk_id 1 valid from now - 1 d for 8 d,
 * retained 21 d more.  Aborts on failure (tests only). */
void fixture_agency_make(struct fixture_agency *, const char *label, uint64_t now);
void fixture_agency_free(struct fixture_agency *);

/* Replace the agency's prekey by a new one with this id and validity. */
void fixture_agency_prekey(struct fixture_agency *, uint64_t spk_id,
    uint64_t not_before, uint64_t not_after, uint64_t retain_until);

/* The pinned view another agency has of a: its certificate and prekey. */
void fixture_peerkeys(const struct fixture_agency *a, struct peerkeys *out);

/* a's parsed, verified bundle: agency info (agency id = label, a synthetic
 * name), its certificate and prekey.  Aborts on failure (tests only). */
void fixture_bundle(const struct fixture_agency *a, struct bundle *out);

/* A recipient's state for env1_open: itself and up to 8 pinned peers. */
struct fixture_inbox {
	const struct fixture_agency    *me;
	struct peerkeys                 peers[8];
	size_t                          npeers;
	int                             prekey_deleted;    /* find_prekey says none */
};

void fixture_inbox_init(struct fixture_inbox *, const struct fixture_agency *me);
/* Pin a peer (copies peerkeys_* of a). */
void fixture_inbox_pin(struct fixture_inbox *, const struct fixture_agency *a);
void fixture_inbox_free(struct fixture_inbox *);
/* An open context over the inbox at time now. */
void fixture_open_ctx(struct fixture_inbox *, uint64_t now, struct env1_open_ctx *out);

/* Seal parameters with deterministic ids for a body (caller keeps body). */
void fixture_seal_params(struct env1_seal_params *, const char *label,
    uint16_t msg_type, uint64_t seq, const uint8_t *body, size_t body_len,
    uint64_t created_at);

#endif
