/*
 * The vectors that need no envelope (see vecgen.h): fingerprints, the RFC
 * 8032 Ed25519 test vectors, and keyfile.json.  As elsewhere in the
 * generator, every value is computed twice, once from the specification's
 * words with libsodium and once through keys/, and must agree.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/bytes.h"
#include "keys/fingerprint.h"
#include "keys/keyfile.h"
#include "keys/secret.h"
#include "tests/vectors/vecgen.h"

/* --- fingerprints (docs/PROTOCOL.md 11) --- */

/* The 40 digits, from the definition: u40be(fp[5j..5j+5)) mod 100000. */
static void
digits40(const uint8_t rik[32], uint8_t fp[64], char out[41])
{
	static const uint8_t label[20] = "ENV1 fingerprint v1\0";
	uint8_t in[sizeof(label) + 32];

	memcpy(in, label, sizeof(label));
	memcpy(in + sizeof(label), rik, 32);
	crypto_generichash(fp, 64, in, sizeof(in), NULL, 0);
	for (int j = 0; j < 8; j++) {
		uint64_t v = 0;

		for (int k = 0; k < 5; k++)
			v = (v << 8) | fp[5 * j + k];
		snprintf(out + 5 * j, 6, "%05u", (unsigned)(v % 100000));
	}
}

static void
grouped(const char *d, char *out)
{
	size_t o = 0;

	for (size_t i = 0; d[i] != '\0'; i++) {
		if (i > 0 && i % 5 == 0)
			out[o++] = ' ';
		out[o++] = d[i];
	}
	out[o] = '\0';
}

void
vg_fingerprints(json_t *root, const struct fixture_agency *const *ag, size_t n)
{
	json_t *keys = json_array(), *pairs = json_array(), *o;
	char d[41], d2[41], both[81], want[96], got[96];
	uint8_t fp[64];

	for (size_t i = 0; i < n; i++) {
		o = json_object();
		digits40(ag[i]->rik_pk, fp, d);
		vj_set_str(o, "label", ag[i]->label);
		vj_set_hex(o, "rik", ag[i]->rik_pk, 32);
		vj_set_hex(o, "fingerprint", fp, sizeof(fp));
		grouped(d, want);
		fp_display(ag[i]->rik_pk, got);
		if (strcmp(want, got) != 0)
			vg_die("%s: fp_display disagrees", ag[i]->label);
		vj_set_str(o, "display", want);
		sodium_bin2hex(want, 17, fp, 8);
		fp_key_id(ag[i]->rik_pk, got);
		if (strcmp(want, got) != 0)
			vg_die("%s: fp_key_id disagrees", ag[i]->label);
		vj_set_str(o, "key_id", want);
		memcpy(want, "env1-rik:", 9);
		sodium_bin2base64(want + 9, sizeof(want) - 9, ag[i]->rik_pk, 32,
		    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
		fp_qr(ag[i]->rik_pk, got);
		if (strcmp(want, got) != 0)
			vg_die("%s: fp_qr disagrees", ag[i]->label);
		vj_set_str(o, "qr", want);
		json_array_append_new(keys, o);
	}
	for (size_t i = 0; i + 1 < n; i += 2) {
		o = json_object();
		digits40(ag[i]->rik_pk, fp, d);
		digits40(ag[i + 1]->rik_pk, fp, d2);
		snprintf(both, sizeof(both), "%s%s", strcmp(d, d2) <= 0 ? d : d2,
		    strcmp(d, d2) <= 0 ? d2 : d);
		grouped(both, want);
		fp_safety_number(ag[i]->rik_pk, ag[i + 1]->rik_pk, got);
		if (strcmp(want, got) != 0)
			vg_die("safety number disagrees");
		fp_safety_number(ag[i + 1]->rik_pk, ag[i]->rik_pk, got);
		if (strcmp(want, got) != 0)
			vg_die("safety number depends on the order");
		vj_set_hex(o, "rik_a", ag[i]->rik_pk, 32);
		vj_set_hex(o, "rik_b", ag[i + 1]->rik_pk, 32);
		vj_set_str(o, "safety_number", want);
		json_array_append_new(pairs, o);
	}
	o = json_object();
	json_object_set_new(o, "keys", keys);
	json_object_set_new(o, "pairs", pairs);
	json_object_set_new(root, "fingerprints", o);
}

/* --- RFC 8032 section 7.1, copied from the RFC's text --- */

static const char RFC_TEST1024_MSG[] =
	"08b8b2b733424243760fe426a4b54908632110a66c2f6591eabd3345e3e4eb98"
	"fa6e264bf09efe12ee50f8f54e9f77b1e355f6c50544e23fb1433ddf73be84d8"
	"79de7c0046dc4996d9e773f4bc9efe5738829adb26c81b37c93a1b270b20329d"
	"658675fc6ea534e0810a4432826bf58c941efb65d57a338bbd2e26640f89ffbc"
	"1a858efcb8550ee3a5e1998bd177e93a7363c344fe6b199ee5d02e82d522c4fe"
	"ba15452f80288a821a579116ec6dad2b3b310da903401aa62100ab5d1a36553e"
	"06203b33890cc9b832f79ef80560ccb9a39ce767967ed628c6ad573cb116dbef"
	"efd75499da96bd68a8a97b928a8bbc103b6621fcde2beca1231d206be6cd9ec7"
	"aff6f6c94fcd7204ed3455c68c83f4a41da4af2b74ef5c53f1d8ac70bdcb7ed1"
	"85ce81bd84359d44254d95629e9855a94a7c1958d1f8ada5d0532ed8a5aa3fb2"
	"d17ba70eb6248e594e1a2297acbbb39d502f1a8c6eb6f1ce22b3de1a1f40cc24"
	"554119a831a9aad6079cad88425de6bde1a9187ebb6092cf67bf2b13fd65f270"
	"88d78b7e883c8759d2c4f5c65adb7553878ad575f9fad878e80a0c9ba63bcbcc"
	"2732e69485bbc9c90bfbd62481d9089beccf80cfe2df16a2cf65bd92dd597b07"
	"07e0917af48bbb75fed413d238f5555a7a569d80c3414a8d0859dc65a46128ba"
	"b27af87a71314f318c782b23ebfe808b82b0ce26401d2e22f04d83d1255dc51a"
	"ddd3b75a2b1ae0784504df543af8969be3ea7082ff7fc9888c144da2af58429e"
	"c96031dbcad3dad9af0dcbaaaf268cb8fcffead94f3c7ca495e056a9b47acdb7"
	"51fb73e666c6c655ade8297297d07ad1ba5e43f1bca32301651339e22904cc8c"
	"42f58c30c04aafdb038dda0847dd988dcda6f3bfd15c4b4c4525004aa06eeff8"
	"ca61783aacec57fb3d1f92b0fe2fd1a85f6724517b65e614ad6808d6f6ee34df"
	"f7310fdc82aebfd904b01e1dc54b2927094b2db68d6f903b68401adebf5a7e08"
	"d78ff4ef5d63653a65040cf9bfd4aca7984a74d37145986780fc0b16ac451649"
	"de6188a7dbdf191f64b5fc5e2ab47b57f7f7276cd419c17a3ca8e1b939ae49e4"
	"88acba6b965610b5480109c8b17b80e1b7b750dfc7598d5d5011fd2dcc5600a3"
	"2ef5b52a1ecc820e308aa342721aac0943bf6686b64b2579376504ccc493d97e"
	"6aed3fb0f9cd71a43dd497f01f17c0e2cb3797aa2a2f256656168e6c496afc5f"
	"b93246f6b1116398a346f1a641f3b041e989f7914f90cc2c7fff357876e506b5"
	"0d334ba77c225bc307ba537152f3f1610e4eafe595f6d9d90d11faa933a15ef1"
	"369546868a7f3a45a96768d40fd9d03412c091c6315cf4fde7cb68606937380d"
	"b2eaaa707b4c4185c32eddcdd306705e4dc1ffc872eeee475a64dfac86aba41c"
	"0618983f8741c5ef68d3a101e8a3b8cac60c905c15fc910840b94c00a0b9d0"
	;

static const struct {
	const char *name, *sk, *pk, *msg, *sig;
} RFC8032[] = {
	{ "RFC 8032 7.1 TEST 1",
	    "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
	    "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
	    "",
	    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b" },
	{ "RFC 8032 7.1 TEST 2",
	    "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
	    "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
	    "72",
	    "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00" },
	{ "RFC 8032 7.1 TEST 3",
	    "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
	    "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
	    "af82",
	    "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a" },
	{ "RFC 8032 7.1 TEST 1024",
	    "f5e5767cf153319517630f226876b86c8160cc583bc013744c6bf255f5cc0ee5",
	    "278117fc144c72340f67d0f2316e8386ceffbf2b2428c9c51fef7c597f1d426e",
	    RFC_TEST1024_MSG,
	    "0aab4c900501b3e24d7cdf4663326a3a87df5e4843b2cbdb67cbf6e460fec350aa5371b1508f9f4528ecea23c436d94b5e8fcd4f681e30a6ac00a9704a188a03" },
	{ "RFC 8032 7.1 TEST SHA(abc)",
	    "833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42",
	    "ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf",
	    "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
	    "dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b58909351fc9ac90b3ecfdfbc7c66431e0303dca179c138ac17ad9bef1177331a704" },
};

void
vg_ed25519(json_t *root)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < sizeof(RFC8032) / sizeof(RFC8032[0]); i++) {
		json_t *o = json_pack("{ssssssssss}", "name", RFC8032[i].name,
		    "secret_key", RFC8032[i].sk, "public_key", RFC8032[i].pk,
		    "message", RFC8032[i].msg, "signature", RFC8032[i].sig);
		uint8_t seed[32], pk[32], sk[64], sig[64], want_pk[32], want_sig[64];
		uint8_t *msg;
		size_t mlen;

		if (o == NULL || vj_get_hex(o, "secret_key", seed, 32) != 0 ||
		    vj_get_hex(o, "public_key", want_pk, 32) != 0 ||
		    vj_get_hex(o, "signature", want_sig, 64) != 0 ||
		    vj_get_hex_alloc(o, "message", &msg, &mlen) != 0)
			vg_die("%s: bad hex", RFC8032[i].name);
		/* The RFC's values are facts, not outputs: libsodium must agree. */
		crypto_sign_seed_keypair(pk, sk, seed);
		crypto_sign_detached(sig, NULL, msg, mlen, sk);
		if (memcmp(pk, want_pk, 32) != 0 || memcmp(sig, want_sig, 64) != 0 ||
		    crypto_sign_verify_detached(want_sig, msg, mlen, want_pk) != 0)
			vg_die("%s: libsodium disagrees with the RFC", RFC8032[i].name);
		free(msg);
		sodium_memzero(sk, sizeof(sk));
		json_array_append_new(arr, o);
	}
	json_object_set_new(root, "ed25519", arr);
}

/* --- keyfile.json (docs/PROTOCOL.md 12) --- */

struct kf {
	const char             *name;
	enum keyfile_kind       kind;
	const char             *pass;
	uint8_t                 salt[16], nonce[24], wrap_key[32];
	struct keyfile_params   params;
	uint8_t                 payload[512];
	size_t                  payload_len;
	uint8_t                *file;
	size_t                  file_len;
};

static size_t
tlv(uint8_t *p, uint8_t tag, const void *v, size_t n)
{
	p[0] = tag;
	be16_put(p + 1, (uint16_t)n);
	memcpy(p + 3, v, n);
	return 3 + n;
}

/* The whole file from the layout of 12.1, independently of keyfile.c. */
static void
kf_expected(struct kf *k, uint8_t **out, size_t *len)
{
	static const uint8_t kc_label[16] = "ENV1 keyfile kc\0";
	size_t n = KEYFILE_HDR_LEN + k->payload_len + 16;
	uint8_t *b = malloc(n);

	if (b == NULL)
		vg_die("out of memory");
	if (crypto_pwhash(k->wrap_key, 32, k->pass, strlen(k->pass), k->salt,
	    k->params.opslimit, (size_t)k->params.memlimit,
	    crypto_pwhash_ALG_ARGON2ID13) != 0)
		vg_die("%s: Argon2id failed", k->name);
	memcpy(b, "ENV1KEY\0", 8);
	b[8] = 0x01;
	b[9] = 0x01;
	be64_put(b + 10, k->params.opslimit);
	be64_put(b + 18, k->params.memlimit);
	memcpy(b + 26, k->salt, 16);
	memcpy(b + 42, k->nonce, 24);
	crypto_generichash(b + 66, 32, kc_label, sizeof(kc_label), k->wrap_key, 32);
	be32_put(b + 98, (uint32_t)(k->payload_len + 16));
	crypto_aead_xchacha20poly1305_ietf_encrypt(b + KEYFILE_HDR_LEN, NULL,
	    k->payload, k->payload_len, b, KEYFILE_HDR_LEN, NULL, k->nonce,
	    k->wrap_key);
	*out = b;
	*len = n;
}

static json_t *
kf_make(struct kf *k, const struct fixture_agency *a, const uint8_t ksk[32])
{
	struct keyfile_contents c, back;
	uint8_t cert[STMT_CERT_LEN], kind = (uint8_t)k->kind, *want;
	const char *tls = "tls.key";
	json_t *o = json_object(), *co = json_object();
	char l[96];
	size_t wlen, off = 0;
	int r;

	keyfile_min_params(k->kind, &k->params);
	snprintf(l, sizeof(l), "vectors/keyfile/%s/salt", k->name);
	fixture_bytes(l, k->salt, sizeof(k->salt));
	snprintf(l, sizeof(l), "vectors/keyfile/%s/nonce", k->name);
	fixture_bytes(l, k->nonce, sizeof(k->nonce));
	memset(&c, 0, sizeof(c));
	c.kind = k->kind;
	off += tlv(k->payload + off, KEYFILE_TAG_KIND, &kind, 1);
	if (k->kind == KEYFILE_RIK) {
		c.rik_seed = secret_dup(a->rik_seed, 32);
		off += tlv(k->payload + off, KEYFILE_TAG_RIK_SEED, a->rik_seed, 32);
		vj_set_hex(co, "rik_seed", a->rik_seed, 32);
	} else {
		c.dsk_seed = secret_dup(a->dsk_seed, 32);
		c.ksk = secret_dup(ksk, 32);
		c.has_cert = 1;
		c.cert = a->id.cert;
		snprintf(c.tls_key_ref, sizeof(c.tls_key_ref), "%s", tls);
		stmt_cert_encode(&a->id.cert, cert);
		off += tlv(k->payload + off, KEYFILE_TAG_DSK_SEED, a->dsk_seed, 32);
		off += tlv(k->payload + off, KEYFILE_TAG_DSK_CERT, cert, sizeof(cert));
		off += tlv(k->payload + off, KEYFILE_TAG_KSK, ksk, 32);
		off += tlv(k->payload + off, KEYFILE_TAG_TLS_KEY_REF, tls, strlen(tls));
		vj_set_hex(co, "dsk_seed", a->dsk_seed, 32);
		vj_set_hex(co, "dsk_cert", cert, sizeof(cert));
		vj_set_hex(co, "ksk", ksk, 32);
		vj_set_str(co, "tls_key_ref", tls);
	}
	k->payload_len = off;
	if ((r = keyfile_seal(&c, k->pass, strlen(k->pass), &k->params, k->salt,
	    k->nonce, &k->file, &k->file_len)) != ENV1_OK)
		vg_die("%s: keyfile_seal: %s", k->name, env1_reason_name(r));
	kf_expected(k, &want, &wlen);
	if (wlen != k->file_len || memcmp(want, k->file, wlen) != 0)
		vg_die("%s: keyfile_seal and the specification disagree", k->name);
	free(want);
	if ((r = keyfile_open_key(k->file, k->file_len, k->wrap_key, k->kind,
	    &back)) != ENV1_OK)
		vg_die("%s: does not open: %s", k->name, env1_reason_name(r));
	keyfile_contents_free(&back);
	keyfile_contents_free(&c);

	vj_set_str(o, "name", k->name);
	vj_set_str(o, "kind", k->kind == KEYFILE_RIK ? "rik" : "daemon");
	vj_set_str(o, "passphrase", k->pass);
	vj_set_u64(o, "opslimit", k->params.opslimit);
	vj_set_u64(o, "memlimit", k->params.memlimit);
	vj_set_hex(o, "salt", k->salt, sizeof(k->salt));
	vj_set_hex(o, "nonce", k->nonce, sizeof(k->nonce));
	vj_set_hex(o, "wrap_key", k->wrap_key, 32);
	vj_set_hex(o, "kc", k->file + 66, 32);
	vj_set_hex(o, "payload", k->payload, k->payload_len);
	json_object_set_new(o, "contents", co);
	vj_set_hex(o, "file", k->file, k->file_len);
	return o;
}

/* One keyfile reject: an edited copy of k, refused as reason. */
static void
kf_reject(json_t *arr, const struct kf *k, const char *name, const char *desc,
    enum keyfile_kind kind, const char *pass, size_t off, uint8_t xor_mask,
    const uint8_t *patch, size_t patch_len, long grow, int with_key, int reason)
{
	json_t *o = json_object();
	struct keyfile_contents c;
	size_t n = (size_t)((long)k->file_len + grow);
	uint8_t *b = calloc(1, n + 1);
	int r;

	if (b == NULL)
		vg_die("out of memory");
	memcpy(b, k->file, n < k->file_len ? n : k->file_len);
	if (patch != NULL)
		memcpy(b + off, patch, patch_len);
	else
		b[off] ^= xor_mask;
	/* with_key: the KDF would run with the file's own parameters and
	 * passphrase; the vector carries its output so checkers can skip it. */
	if (with_key)
		r = keyfile_open_key(b, n, k->wrap_key, kind, &c);
	else
		r = keyfile_open(b, n, pass, strlen(pass), kind, &c);
	if (r != reason)
		vg_die("%s: expected %s, got %s", name, env1_reason_name(reason),
		    env1_reason_name(r));
	vj_set_str(o, "name", name);
	vj_set_str(o, "description", desc);
	vj_set_str(o, "kind", kind == KEYFILE_RIK ? "rik" : "daemon");
	vj_set_str(o, "passphrase", pass);
	vj_set_hex(o, "file", b, n);
	if (with_key)
		vj_set_hex(o, "wrap_key", k->wrap_key, 32);
	vj_set_str(o, "reason", env1_reason_name(reason));
	json_array_append_new(arr, o);
	free(b);
}

void
vg_keyfiles(json_t *root, const struct fixture_agency *a)
{
	struct kf d = { .name = "daemon", .kind = KEYFILE_DAEMON,
	    .pass = "vector passphrase: daemon key file" };
	struct kf rk = { .name = "rik", .kind = KEYFILE_RIK,
	    .pass = "vector passphrase: offline root identity" };
	json_t *files = json_array(), *bad = json_array();
	uint8_t ksk[32], be[8];
	const char *dp = d.pass;

	fixture_bytes("vectors/keyfile/ksk", ksk, sizeof(ksk));
	json_array_append_new(files, kf_make(&d, a, ksk));
	json_array_append_new(files, kf_make(&rk, a, ksk));

	kf_reject(bad, &d, "wrong_passphrase", "the daemon file with another "
	    "passphrase", KEYFILE_DAEMON, "vector passphrase: wrong", 0, 0, NULL, 0,
	    0, 0, ENV1_R_KEYFILE_PASSPHRASE);
	be64_put(be, 2);
	kf_reject(bad, &d, "opslimit_below_minimum", "opslimit edited 3 -> 2",
	    KEYFILE_DAEMON, dp, 10, 0, be, 8, 0, 0, ENV1_R_KEYFILE_WEAK);
	be64_put(be, 134217728);
	kf_reject(bad, &d, "memlimit_below_minimum", "memlimit edited 256 MiB -> "
	    "128 MiB", KEYFILE_DAEMON, dp, 18, 0, be, 8, 0, 0, ENV1_R_KEYFILE_WEAK);
	kf_reject(bad, &d, "daemon_file_as_rik", "the daemon file opened as a RIK "
	    "file: its parameters are below the RIK minimum", KEYFILE_RIK, dp, 0,
	    0, NULL, 0, 0, 0, ENV1_R_KEYFILE_WEAK);
	be64_put(be, 3);
	kf_reject(bad, &rk, "rik_with_daemon_params", "the RIK file with opslimit "
	    "edited 4 -> 3", KEYFILE_RIK, rk.pass, 10, 0, be, 8, 0, 0,
	    ENV1_R_KEYFILE_WEAK);
	be64_put(be, 268435456 + 1);
	kf_reject(bad, &d, "memlimit_not_kib", "memlimit not a multiple of 1024",
	    KEYFILE_DAEMON, dp, 18, 0, be, 8, 0, 0, ENV1_R_KEYFILE_FORMAT);
	be64_put(be, 65);
	kf_reject(bad, &d, "opslimit_above_maximum", "opslimit 65", KEYFILE_DAEMON,
	    dp, 10, 0, be, 8, 0, 0, ENV1_R_KEYFILE_FORMAT);
	kf_reject(bad, &d, "magic_modified", "first magic byte", KEYFILE_DAEMON, dp,
	    0, 0x01, NULL, 0, 0, 0, ENV1_R_KEYFILE_FORMAT);
	kf_reject(bad, &d, "version_modified", "version 0x01 -> 0x02",
	    KEYFILE_DAEMON, dp, 8, 0x03, NULL, 0, 0, 0, ENV1_R_KEYFILE_FORMAT);
	kf_reject(bad, &d, "kdf_modified", "kdf 0x01 -> 0x02", KEYFILE_DAEMON, dp,
	    9, 0x03, NULL, 0, 0, 0, ENV1_R_KEYFILE_FORMAT);
	kf_reject(bad, &d, "ct_len_modified", "ct_len off by one", KEYFILE_DAEMON,
	    dp, 101, 0x01, NULL, 0, 0, 0, ENV1_R_KEYFILE_FORMAT);
	kf_reject(bad, &d, "truncated", "the last byte cut off", KEYFILE_DAEMON, dp,
	    0, 0, NULL, 0, -1, 0, ENV1_R_KEYFILE_FORMAT);
	kf_reject(bad, &d, "extended", "one byte appended", KEYFILE_DAEMON, dp,
	    d.file_len, 0, NULL, 0, 1, 0, ENV1_R_KEYFILE_FORMAT);
	kf_reject(bad, &d, "kc_modified", "one bit of kc: refused before the AEAD",
	    KEYFILE_DAEMON, dp, 66, 0x01, NULL, 0, 0, 1, ENV1_R_KEYFILE_PASSPHRASE);
	kf_reject(bad, &d, "nonce_modified", "one bit of the nonce, an AD byte the "
	    "key commitment does not cover", KEYFILE_DAEMON, dp, 42, 0x01, NULL, 0,
	    0, 1, ENV1_R_KEYFILE_AEAD);
	kf_reject(bad, &d, "ct_flip", "first ciphertext byte", KEYFILE_DAEMON, dp,
	    102, 0x01, NULL, 0, 0, 1, ENV1_R_KEYFILE_AEAD);
	kf_reject(bad, &d, "tag_flip", "last byte of the tag", KEYFILE_DAEMON, dp,
	    d.file_len - 1, 0x80, NULL, 0, 0, 1, ENV1_R_KEYFILE_AEAD);
	json_object_set_new(root, "keyfiles", files);
	json_object_set_new(root, "rejects", bad);
	free(d.file);
	free(rk.file);
	sodium_memzero(d.wrap_key, 32);
	sodium_memzero(rk.wrap_key, 32);
}
