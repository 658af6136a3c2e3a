/*
 * prekeys.dat encoding (see spkfile.h).  Parsing is exact: the length must
 * be the header plus count whole entries, so a truncated or extended file
 * is refused rather than half read.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/bytes.h"
#include "keys/spkfile.h"

static const uint8_t MAGIC[8] = "ENV1PKS\0";

int
spkfile_is(const uint8_t *buf, size_t len)
{
	return len >= sizeof(MAGIC) && memcmp(buf, MAGIC, sizeof(MAGIC)) == 0;
}

int
spkfile_decode(const uint8_t *buf, size_t len, struct spkfile *out,
    char why[SPKFILE_WHY_LEN])
{
	uint32_t count;
	int r;

	memset(out, 0, sizeof(*out));
	why[0] = '\0';
	if (len < SPKFILE_HDR_LEN || !spkfile_is(buf, len)) {
		snprintf(why, SPKFILE_WHY_LEN, "magic: not a prekeys.dat file");
		return ENV1_R_MALFORMED;
	}
	if (buf[8] != SPKFILE_VERSION) {
		snprintf(why, SPKFILE_WHY_LEN, "version: %u is not supported", buf[8]);
		return ENV1_R_MALFORMED;
	}
	count = be32_get(buf + 9);
	if (count > SPKFILE_MAX_ENTRIES ||
	    len != SPKFILE_HDR_LEN + (size_t)count * SPKFILE_ENTRY_LEN) {
		snprintf(why, SPKFILE_WHY_LEN, "count: %lu entries do not fill "
		    "%zu bytes", (unsigned long)count, len);
		return ENV1_R_MALFORMED;
	}
	if (count > 0 && (out->e = calloc(count, sizeof(*out->e))) == NULL)
		return ENV1_R_NOMEM;
	for (uint32_t i = 0; i < count; i++) {
		const uint8_t *p = buf + SPKFILE_HDR_LEN + (size_t)i * SPKFILE_ENTRY_LEN;

		if ((r = stmt_spk_decode(p, STMT_SPK_LEN, &out->e[i].stmt)) != ENV1_OK) {
			snprintf(why, SPKFILE_WHY_LEN, "entry %lu: prekey statement "
			    "malformed", (unsigned long)i);
			spkfile_free(out);
			return ENV1_R_MALFORMED;
		}
		memcpy(out->e[i].wrapped, p + STMT_SPK_LEN, ATREST_WRAPPED_LEN);
	}
	out->n = count;
	return ENV1_OK;
}

int
spkfile_encode(const struct spkfile *f, uint8_t **out, size_t *outlen)
{
	size_t len = SPKFILE_HDR_LEN + f->n * SPKFILE_ENTRY_LEN;
	uint8_t *b;

	*out = NULL;
	*outlen = 0;
	if (f->n > SPKFILE_MAX_ENTRIES)
		return ENV1_R_INVALID_ARG;
	if ((b = malloc(len)) == NULL)
		return ENV1_R_NOMEM;
	memcpy(b, MAGIC, sizeof(MAGIC));
	b[8] = SPKFILE_VERSION;
	be32_put(b + 9, (uint32_t)f->n);
	for (size_t i = 0; i < f->n; i++) {
		uint8_t *p = b + SPKFILE_HDR_LEN + i * SPKFILE_ENTRY_LEN;

		stmt_spk_encode(&f->e[i].stmt, p);
		memcpy(p + STMT_SPK_LEN, f->e[i].wrapped, ATREST_WRAPPED_LEN);
	}
	*out = b;
	*outlen = len;
	return ENV1_OK;
}

int
spkfile_add(struct spkfile *f, const struct spkfile_entry *e)
{
	struct spkfile_entry *grown;

	if (f->n >= SPKFILE_MAX_ENTRIES)
		return ENV1_R_INVALID_ARG;
	if ((grown = realloc(f->e, (f->n + 1) * sizeof(*grown))) == NULL)
		return ENV1_R_NOMEM;
	grown[f->n++] = *e;
	f->e = grown;
	return ENV1_OK;
}

void
spkfile_remove(struct spkfile *f, size_t i)
{
	if (i >= f->n)
		return;
	sodium_memzero(f->e[i].wrapped, ATREST_WRAPPED_LEN);
	memmove(&f->e[i], &f->e[i + 1], (f->n - i - 1) * sizeof(f->e[0]));
	f->n--;
}

long
spkfile_find(const struct spkfile *f, uint64_t spk_id)
{
	for (size_t i = 0; i < f->n; i++)
		if (f->e[i].stmt.spk_id == spk_id)
			return (long)i;
	return -1;
}

void
spkfile_free(struct spkfile *f)
{
	if (f == NULL)
		return;
	if (f->e != NULL)
		sodium_memzero(f->e, f->n * sizeof(f->e[0]));
	free(f->e);
	f->e = NULL;
	f->n = 0;
}

void
spkfile_id_format(uint64_t spk_id, char out[SPKFILE_ID_BUFLEN])
{
	snprintf(out, SPKFILE_ID_BUFLEN, "%016llx", (unsigned long long)spk_id);
}
