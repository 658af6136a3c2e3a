/*
 * An agency as a test tool plays it, loaded from the directory that
 * `homeward-keys init` made: agency.pub, daemon.key opened with the
 * passphrase in a file, the signing identity, and every prekey with its
 * secret (to open what is sealed to the agency).  Synthetic agencies of
 * the integration tests only.
 */
#ifndef HOMEWARD_TESTS_PARTY_H
#define HOMEWARD_TESTS_PARTY_H

#include <stddef.h>

#include "keys/envelope.h"
#include "keys/keyfile.h"
#include "keys/peerkeys.h"
#include "keys/agencydir.h"

struct party {
	struct agencydir        dir;
	struct keyfile_contents kc;
	struct env1_identity    id;
	struct env1_prekey     *pks;
	size_t                  npks;
	int                     loaded;
};

/* 0, or -1 with the reason printed (agencydir reports its own errors). */
int party_load(struct party *p, const char *dir, const char *passfile);
void party_free(struct party *p);              /* NULL and unloaded ok */
/* DIR/tls.crt and DIR/tls.key, to speak TLS as the agency; 0 or -1. */
int party_tls_paths(const char *dir, char crt[PATH_MAX], char key[PATH_MAX]);
/* The RIK in DIR/agency.pub, with no key opened; 0 or -1. */
int party_rik(const char *dir, uint8_t rik[ENV1_KEY_LEN]);
/* The prekey with this id, for env1_open's find_prekey; NULL when none. */
const struct env1_prekey *party_prekey(const struct party *p, uint64_t spk_id);

/*
 * Whether env, from the peer whose keys are from, opens with p's prekeys
 * (env1_open at the current time) as the delivery receipt for message id
 * with h_inner: receipt_check, then the receipt names exactly that.  1
 * with *receipt_id (the receipt's own message id) set, or 0; an envelope
 * that does not open is reported on stderr.
 */
int party_is_receipt(const struct party *p, const struct peerkeys *from,
    const uint8_t *env, size_t len, const uint8_t id[ENV1_ID_LEN],
    const uint8_t h_inner[ENV1_HASH_LEN], uint8_t receipt_id[ENV1_ID_LEN]);

#endif
