/*
 * The daemon's own keys: its agency (agency.pub), its signing identity
 * (the DSK from daemon.key), its prekeys with their secrets, and the
 * bundle it sends when a connection opens.  Prekeys live in keystore.db
 * (imported from prekeys.dat at start); they rotate on schedule and
 * expired secrets are deleted through the store's shredding path, which
 * is also rewritten into prekeys.dat so the agency directory never keeps
 * a secret the daemon destroyed.  The one module holding private keys
 * (design.md style 7): the rest of the daemon asks it to seal and open.
 */
#ifndef HOMEWARD_DAEMON_CORE_KEYRING_H
#define HOMEWARD_DAEMON_CORE_KEYRING_H

#include <stddef.h>
#include <stdint.h>

#include "daemon/store/store.h"
#include "keys/agencydir.h"
#include "keys/envelope.h"
#include "keys/fingerprint.h"

/* How far ahead prekeys are published (crypto-env1.md 3.3: four ahead). */
#define KEYRING_PREKEYS_AHEAD   4

struct keyring {
	struct agencydir        dir;            /* agency.pub, prekeys.dat */
	struct env1_identity    id;             /* DSK, owned */
	uint8_t                *ksk;            /* secret, 32 */
	char                    agency_id[64];
	char                    fingerprint[FP_DISPLAY_BUFLEN];
	struct env1_prekey     *prekeys;        /* with secrets; owned */
	size_t                  nprekeys;
	uint8_t                *bundle;         /* our current Bundle, encoded */
	size_t                  bundle_len;
};

/* Load agency.pub and prekeys.dat from dir and open daemon.key with the
 * passphrase; checks that the DSK is certified by this agency.  0 or -1
 * with *cause (malloc'ed). */
int keyring_load(struct keyring *, const char *dir, const char *pass,
    size_t passlen, char **cause);
void keyring_free(struct keyring *);            /* NULL ok */

/*
 * Bring the prekeys up to date at now: import prekeys.dat entries the
 * keystore lacks, make new ones so that KEYRING_PREKEYS_AHEAD periods are
 * covered, delete the secrets past retain_until (keystore, its WAL and
 * prekeys.dat), reload them into memory and rebuild the bundle.  *changed
 * says whether the published set changed.  0 or a negative errno.
 */
int keyring_sync_prekeys(struct keyring *, struct store *, uint64_t now,
    int *changed);

/*
 * After a RIK transition (agency.pub carries one to our RIK, PROTOCOL.md
 * 4.4): the previous RIK, while envelopes a partner sealed to it before it
 * followed may still arrive, i.e. until effective_at + ENV1_MAX_AGE_MS
 * (older ones are refused as expired anyway); else NULL.  The transition
 * itself, for our Hello, or NULL.
 */
const uint8_t *keyring_old_rik(const struct keyring *, uint64_t now);
const struct stmt_transition *keyring_transition(const struct keyring *);

const struct env1_prekey *keyring_find_prekey(const struct keyring *, uint64_t spk_id);

/* The notAfter of the agency directory's tls.crt as it is now on disk
 * (ms); 0 when it cannot be read. */
uint64_t keyring_tls_not_after(const struct keyring *);
/*
 * When tls.crt expires within ahead_ms of now, write a new one for the
 * same key (the partners' pin is the key: nothing changes for them),
 * valid TLSCERT_DAYS, atomically.  1 renewed, 0 nothing to do, or a
 * negative errno with tls.crt unchanged.
 */
int keyring_tls_renew(const struct keyring *, uint64_t now, uint64_t ahead_ms);

#endif
