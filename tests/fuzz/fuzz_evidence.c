/*
 * libFuzzer target: the files an auditor or operator hands to
 * homeward-keys: evidence records and receipts (evidence_verify, against
 * two fixed synthetic bundles) and prekeys.dat (spkfile_decode).  Beyond
 * "no crash": a refusal always says why.  The seed corpus holds a genuine
 * alpha-to-beta message and receipt, so mutations start deep inside.
 *
 * Input: u16 BE length of the evidence, the evidence, then the receipt
 * (nothing left means "no receipt given").
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "keys/evidence.h"
#include "keys/secret.h"
#include "keys/spkfile.h"
#include "tests/lib/fixture.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct fixture_agency alpha, beta;
static struct bundle alpha_bundle, beta_bundle;

static void
setup(void)
{
	static int done;

	if (done)
		return;
	if (secret_init() != 0)
		abort();
	fixture_agency_make(&alpha, "alpha", FIXTURE_NOW);
	fixture_agency_make(&beta, "beta", FIXTURE_NOW);
	fixture_bundle(&alpha, &alpha_bundle);
	fixture_bundle(&beta, &beta_bundle);
	done = 1;
}

static void
check_evidence(const uint8_t *data, size_t size)
{
	struct evidence_report rep;
	char why[EVIDENCE_WHY_LEN];
	size_t evlen, rest;
	int r;

	if (size < 2)
		return;
	evlen = (size_t)data[0] << 8 | data[1];
	if (evlen > size - 2)
		evlen = size - 2;
	rest = size - 2 - evlen;
	r = evidence_verify(data + 2, evlen, rest > 0 ? data + 2 + evlen : NULL, rest,
	    &alpha_bundle, &beta_bundle, &rep, why);
	if (r != ENV1_OK && why[0] == '\0')
		abort();
}

static void
check_spkfile(const uint8_t *data, size_t size)
{
	struct spkfile f;
	char why[SPKFILE_WHY_LEN];
	uint8_t *out;
	size_t outlen;

	if (spkfile_decode(data, size, &f, why) != ENV1_OK) {
		if (why[0] == '\0' || f.e != NULL || f.n != 0)
			abort();
		return;
	}
	/* What decodes re-encodes to the same bytes. */
	if (spkfile_encode(&f, &out, &outlen) != ENV1_OK || outlen != size ||
	    memcmp(out, data, size) != 0)
		abort();
	free(out);
	spkfile_free(&f);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	setup();
	check_evidence(data, size);
	check_spkfile(data, size);
	return 0;
}
