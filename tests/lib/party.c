/*
 * Test agencies loaded from their directories (see party.h).  Argon2id
 * on daemon.key takes its 256 MiB once per load: tools load each agency
 * once and play every case with it.
 */
#include <stdio.h>
#include <string.h>

#include "keys/receipt.h"
#include "keys/secret.h"
#include "keys/tool/tool.h"
#include "keys/passphrase.h"
#include "tests/lib/party.h"

int
party_load(struct party *p, const char *dir, const char *passfile)
{
	struct passphrase_src src;
	char path[PATH_MAX], *pass = NULL;
	size_t passlen;
	int rc = -1;

	memset(p, 0, sizeof(*p));
	passphrase_src_init(&src);
	src.file = passfile;
	if (agencydir_load(dir, 1, &p->dir) != 0)
		return -1;
	if (agencydir_path(dir, AGENCYDIR_DAEMON_KEY, path) != 0 ||
	    passphrase_get(&src, "daemon key file", 0, &pass, &passlen) != 0 ||
	    agencydir_open_key(path, KEYFILE_DAEMON, pass, passlen, &p->kc, NULL) != 0)
		goto fail;
	if (agencydir_identity(&p->dir, &p->kc, &p->id) != 0)
		goto fail_kc;
	if (agencydir_unwrap_prekeys(&p->dir, p->kc.ksk, &p->pks, &p->npks) != 0)
		goto fail_id;
	secret_free(pass);
	p->loaded = 1;
	return 0;
fail_id:
	agencydir_identity_free(&p->id);
fail_kc:
	keyfile_contents_free(&p->kc);
fail:
	secret_free(pass);
	agencydir_free(&p->dir);
	memset(p, 0, sizeof(*p));
	return rc;
}

void
party_free(struct party *p)
{
	if (p == NULL || !p->loaded)
		return;
	agencydir_prekeys_free(p->pks, p->npks);
	agencydir_identity_free(&p->id);
	keyfile_contents_free(&p->kc);
	agencydir_free(&p->dir);
	memset(p, 0, sizeof(*p));
}

const struct env1_prekey *
party_prekey(const struct party *p, uint64_t spk_id)
{
	for (size_t i = 0; i < p->npks; i++)
		if (p->pks[i].stmt.spk_id == spk_id)
			return &p->pks[i];
	return NULL;
}

int
party_tls_paths(const char *dir, char crt[PATH_MAX], char key[PATH_MAX])
{
	if (agencydir_path(dir, AGENCYDIR_TLS_CRT, crt) != 0 ||
	    agencydir_path(dir, AGENCYDIR_TLS_KEY, key) != 0)
		return -1;
	return 0;
}

int
party_rik(const char *dir, uint8_t rik[ENV1_KEY_LEN])
{
	struct agencydir d;

	if (agencydir_load(dir, 0, &d) != 0)
		return -1;
	memcpy(rik, d.pub.info.rik, ENV1_KEY_LEN);
	agencydir_free(&d);
	return 0;
}

/* What env1_open looks in: the receiving party and the one sending peer. */
struct party_inbox {
	const struct party     *me;
	const struct peerkeys  *from;
};

static const struct peerkeys *
inbox_find_peer(void *arg, const uint8_t rik[ENV1_KEY_LEN])
{
	const struct party_inbox *in = arg;

	return memcmp(in->from->rik, rik, ENV1_KEY_LEN) == 0 ? in->from : NULL;
}

static const struct env1_prekey *
inbox_find_prekey(void *arg, uint64_t spk_id)
{
	const struct party_inbox *in = arg;

	return party_prekey(in->me, spk_id);
}

int
party_is_receipt(const struct party *p, const struct peerkeys *from,
    const uint8_t *env, size_t len, const uint8_t id[ENV1_ID_LEN],
    const uint8_t h_inner[ENV1_HASH_LEN], uint8_t receipt_id[ENV1_ID_LEN])
{
	struct party_inbox in = { p, from };
	struct env1_open_ctx ctx;
	struct env1_opened o;
	struct receipt r;
	int ok = 0, rc;

	memset(&ctx, 0, sizeof(ctx));
	ctx.own_rik = p->id.rik_pub;
	ctx.now = tool_now();
	ctx.find_peer = inbox_find_peer;
	ctx.find_prekey = inbox_find_prekey;
	ctx.arg = &in;
	if ((rc = env1_open(&ctx, env, len, &o)) != ENV1_OK) {
		fprintf(stderr, "an envelope does not open: %s\n", env1_reason_name(rc));
		return 0;
	}
	if (o.tbs.msg_type == ENV1_MSG_DELIVERY_RECEIPT &&
	    receipt_check(&o, p->id.rik_pub, &r) == ENV1_OK &&
	    memcmp(r.message_id, id, ENV1_ID_LEN) == 0 &&
	    memcmp(r.h_inner, h_inner, ENV1_HASH_LEN) == 0) {
		memcpy(receipt_id, o.hdr.message_id, ENV1_ID_LEN);
		ok = 1;
	}
	env1_opened_free(&o);
	return ok;
}
