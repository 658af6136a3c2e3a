/*
 * TLS key and self-signed certificate for the daemon (see tlscert.h).
 * Ed25519 signs with no separate digest, hence X509_sign(..., NULL).  The
 * private key's PEM is produced in an OpenSSL secure-memory BIO and copied
 * once into the caller's buffer, which tlscert_clear wipes.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "common/tlscert.h"

static int
cn_ok(const char *cn)
{
	size_t len;

	if (cn == NULL || (len = strlen(cn)) == 0 || len > TLSCERT_CN_MAX)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (cn[i] < 0x20 || cn[i] > 0x7e)
			return 0;
	return 1;
}

/* The contents of a memory BIO as a NUL-terminated malloc'ed string. */
static int
bio_take(BIO *b, char **out, size_t *outlen)
{
	char *p;
	long n;

	if ((n = BIO_get_mem_data(b, &p)) <= 0)
		return -EIO;
	if ((*out = malloc((size_t)n + 1)) == NULL)
		return -ENOMEM;
	memcpy(*out, p, (size_t)n);
	(*out)[n] = '\0';
	*outlen = (size_t)n;
	return 0;
}

static int
add_ext(X509 *x, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	int ok;

	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	if ((ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value)) == NULL)
		return 0;
	ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return ok;
}

static X509 *
make_cert(EVP_PKEY *pkey, const char *cn, unsigned days)
{
	X509 *x;
	X509_NAME *name;
	uint64_t serial;

	if ((x = X509_new()) == NULL)
		return NULL;
	/* A positive 63-bit random serial: unique enough for self-signed. */
	if (RAND_bytes((unsigned char *)&serial, sizeof(serial)) != 1)
		goto fail;
	serial &= 0x7fffffffffffffffull;
	serial |= 1;
	name = X509_get_subject_name(x);
	if (X509_set_version(x, X509_VERSION_3) != 1 ||
	    ASN1_INTEGER_set_uint64(X509_get_serialNumber(x), serial) != 1 ||
	    X509_gmtime_adj(X509_getm_notBefore(x), -TLSCERT_BACKDATE) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(x), (long)days * 86400) == NULL ||
	    X509_set_pubkey(x, pkey) != 1 ||
	    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)cn, -1, -1, 0) != 1 ||
	    X509_set_issuer_name(x, name) != 1)
		goto fail;
	/* An end-entity certificate for both ends of mutual TLS. */
	if (!add_ext(x, NID_basic_constraints, "critical,CA:FALSE") ||
	    !add_ext(x, NID_key_usage, "critical,digitalSignature") ||
	    !add_ext(x, NID_ext_key_usage, "serverAuth,clientAuth") ||
	    !add_ext(x, NID_subject_key_identifier, "hash"))
		goto fail;
	if (X509_sign(x, pkey, NULL) <= 0)
		goto fail;
	return x;
fail:
	X509_free(x);
	return NULL;
}

void
tlscert_clear(struct tlscert *t)
{
	if (t == NULL)
		return;
	if (t->key_pem != NULL)
		OPENSSL_clear_free(t->key_pem, t->key_len);
	free(t->crt_pem);
	memset(t, 0, sizeof(*t));
}

int
tlscert_generate(const char *cn, unsigned days, struct tlscert *out)
{
	EVP_PKEY *pkey = NULL;
	X509 *x = NULL;
	BIO *kb = NULL, *cb = NULL;
	int rc = -EIO;

	memset(out, 0, sizeof(*out));
	if (!cn_ok(cn) || days == 0 || days > 3650)
		return -EINVAL;
	if ((pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519")) == NULL)
		goto out;
	if ((x = make_cert(pkey, cn, days)) == NULL)
		goto out;
	if ((kb = BIO_new(BIO_s_secmem())) == NULL ||
	    (cb = BIO_new(BIO_s_mem())) == NULL)
		goto out;
	if (PEM_write_bio_PrivateKey(kb, pkey, NULL, NULL, 0, NULL, NULL) != 1 ||
	    PEM_write_bio_X509(cb, x) != 1)
		goto out;
	if ((rc = bio_take(kb, &out->key_pem, &out->key_len)) != 0 ||
	    (rc = bio_take(cb, &out->crt_pem, &out->crt_len)) != 0 ||
	    (rc = tlscert_spki_sha256(x, out->spki_sha256)) != 0)
		goto out;
	rc = 0;
out:
	if (rc != 0) {
		tlscert_clear(out);
		ERR_clear_error();
	}
	BIO_free(kb);           /* a secmem BIO wipes its buffer */
	BIO_free(cb);
	X509_free(x);
	EVP_PKEY_free(pkey);
	return rc;
}

int
tlscert_renew(const char *key_pem, size_t key_len, const char *cn,
    unsigned days, char **crt_pem, size_t *crt_len)
{
	EVP_PKEY *pkey = NULL;
	X509 *x = NULL;
	BIO *kb = NULL, *cb = NULL;
	int rc = -EINVAL;

	*crt_pem = NULL;
	*crt_len = 0;
	if (!cn_ok(cn) || days == 0 || days > 3650 || key_len > INT_MAX)
		return -EINVAL;
	if ((kb = BIO_new_mem_buf(key_pem, (int)key_len)) == NULL ||
	    (pkey = PEM_read_bio_PrivateKey(kb, NULL, NULL, NULL)) == NULL ||
	    EVP_PKEY_get_id(pkey) != EVP_PKEY_ED25519)
		goto out;
	rc = -EIO;
	if ((x = make_cert(pkey, cn, days)) == NULL ||
	    (cb = BIO_new(BIO_s_mem())) == NULL || PEM_write_bio_X509(cb, x) != 1)
		goto out;
	rc = bio_take(cb, crt_pem, crt_len);
out:
	ERR_clear_error();
	BIO_free(kb);
	BIO_free(cb);
	X509_free(x);
	EVP_PKEY_free(pkey);
	return rc;
}

static int
sha256(const unsigned char *der, int len, uint8_t out[TLSCERT_SPKI_HASH_LEN])
{
	unsigned int mdlen = 0;

	if (EVP_Digest(der, (size_t)len, out, &mdlen, EVP_sha256(), NULL) != 1 ||
	    mdlen != TLSCERT_SPKI_HASH_LEN)
		return -EIO;
	return 0;
}

int
tlscert_spki_sha256(const X509 *x, uint8_t out[TLSCERT_SPKI_HASH_LEN])
{
	X509_PUBKEY *pk;
	unsigned char *der = NULL;
	int len, rc;

	if (x == NULL || (pk = X509_get_X509_PUBKEY(x)) == NULL)
		return -EINVAL;
	if ((len = i2d_X509_PUBKEY(pk, &der)) <= 0)
		return -EINVAL;
	rc = sha256(der, len, out);
	OPENSSL_free(der);
	return rc;
}

int
tlscert_crt_spki_sha256(const char *pem, size_t len,
    uint8_t out[TLSCERT_SPKI_HASH_LEN])
{
	BIO *b;
	X509 *x;
	int rc;

	if (pem == NULL || len == 0 || len > INT32_MAX)
		return -EINVAL;
	if ((b = BIO_new_mem_buf(pem, (int)len)) == NULL)
		return -ENOMEM;
	x = PEM_read_bio_X509(b, NULL, NULL, NULL);
	BIO_free(b);
	if (x == NULL) {
		ERR_clear_error();
		return -EINVAL;
	}
	rc = tlscert_spki_sha256(x, out);
	X509_free(x);
	return rc;
}

int
tlscert_key_spki_sha256(const char *pem, size_t len,
    uint8_t out[TLSCERT_SPKI_HASH_LEN])
{
	EVP_PKEY *pkey;
	BIO *b;
	unsigned char *der = NULL;
	int derlen, rc;

	if (pem == NULL || len == 0 || len > INT32_MAX)
		return -EINVAL;
	if ((b = BIO_new_mem_buf(pem, (int)len)) == NULL)
		return -ENOMEM;
	/* No passphrase callback: an encrypted key is not ours. */
	pkey = PEM_read_bio_PrivateKey(b, NULL, NULL, (void *)"");
	BIO_free(b);
	if (pkey == NULL) {
		ERR_clear_error();
		return -EINVAL;
	}
	derlen = i2d_PUBKEY(pkey, &der);
	EVP_PKEY_free(pkey);
	if (derlen <= 0)
		return -EINVAL;
	rc = sha256(der, derlen, out);
	OPENSSL_free(der);
	return rc;
}

int
tlscert_crt_not_after(const char *pem, size_t len, uint64_t *ms)
{
	BIO *b;
	X509 *x = NULL;
	struct tm tm;
	int rc = -EINVAL;

	*ms = 0;
	if (len > INT_MAX || (b = BIO_new_mem_buf(pem, (int)len)) == NULL)
		return -EINVAL;
	if ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL &&
	    ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm) == 1) {
		time_t t = timegm(&tm);

		if (t > 0) {
			*ms = (uint64_t)t * 1000;
			rc = 0;
		}
	}
	X509_free(x);
	BIO_free(b);
	ERR_clear_error();
	return rc;
}
