/*
 * prekeys.dat: an agency's own signed prekeys with their wrapped secrets.
 *
 *   "ENV1PKS\0" || version 0x01 || count u32 BE ||
 *   count x (SPK statement, 212 bytes || wrapped secret, 72 bytes)
 *
 * The secret is atrest_spk_wrap'ed under K_spkwrap, derived from the KSK
 * in daemon.key, so the file is useless without that key file; it is still
 * kept 0600.  Deleting an entry is how a prekey secret is destroyed after
 * retain_until (forward secrecy).
 */
#ifndef HOMEWARD_KEYS_SPKFILE_H
#define HOMEWARD_KEYS_SPKFILE_H

#include <stddef.h>
#include <stdint.h>

#include "keys/atrest.h"
#include "keys/stmt.h"

#define SPKFILE_VERSION         0x01
#define SPKFILE_HDR_LEN         13
#define SPKFILE_ENTRY_LEN       (STMT_SPK_LEN + ATREST_WRAPPED_LEN)     /* 284 */
#define SPKFILE_MAX_ENTRIES     1024
#define SPKFILE_MAX_LEN         (SPKFILE_HDR_LEN + SPKFILE_MAX_ENTRIES * SPKFILE_ENTRY_LEN)
#define SPKFILE_WHY_LEN         96

struct spkfile_entry {
	struct stmt_spk         stmt;
	uint8_t                 wrapped[ATREST_WRAPPED_LEN];
};

struct spkfile {
	struct spkfile_entry   *e;
	size_t                  n;
};

/* Whether buf starts like a prekeys.dat file. */
int spkfile_is(const uint8_t *buf, size_t len);

/* Parse exactly len bytes.  ENV1_OK, or ENV1_R_MALFORMED with why naming
 * the part ("entry 2: prekey statement malformed"); *out empty on error. */
int spkfile_decode(const uint8_t *buf, size_t len, struct spkfile *out,
    char why[SPKFILE_WHY_LEN]);
/* *out malloc'ed. */
int spkfile_encode(const struct spkfile *, uint8_t **out, size_t *outlen);

/* Append a copy; ENV1_R_NOMEM, or ENV1_R_INVALID_ARG when full. */
int spkfile_add(struct spkfile *, const struct spkfile_entry *);
/* Remove entry i (the wrapped secret is wiped). */
void spkfile_remove(struct spkfile *, size_t i);
/* Index of spk_id, or -1. */
long spkfile_find(const struct spkfile *, uint64_t spk_id);
void spkfile_free(struct spkfile *);    /* NULL ok */
/* An spk id as shown to operators: 16 hex digits. */
#define SPKFILE_ID_BUFLEN       17
void spkfile_id_format(uint64_t spk_id, char out[SPKFILE_ID_BUFLEN]);

#endif
