/*
 * The daemon's TLS identity and policy for daemon-to-daemon connections
 * (conn.h, tls.h): TLS 1.3 only, no session tickets, no session cache and
 * so no resumption and no early data, and a certificate required from the
 * peer in both roles.  No CA is involved: the peer's one self-signed
 * certificate gets through chain verification here, and the decision is
 * the pin on its SubjectPublicKeyInfo, taken by the owner after the
 * handshake (conn.c).  One SSL_CTX serves both the accepting and the
 * dialling side.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "common/fileio.h"
#include "common/tlscert.h"
#include "daemon/base/log.h"
#include "daemon/net/conn.h"
#include "daemon/net/conn_int.h"

_Static_assert(CONN_SPKI_LEN == TLSCERT_SPKI_HASH_LEN, "SPKI hash lengths");

/* A PEM key or certificate is a few hundred bytes; refuse anything huge. */
#define TLS_PEM_MAX     65536

struct conn_tls {
	SSL_CTX        *ctx;
};

/* *cause = the message plus OpenSSL's first queued error, if any. */
static void __attribute__((format(printf, 2, 3)))
tls_cause(char **cause, const char *fmt, ...)
{
	char msg[512], ossl[256] = "";
	unsigned long e;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if ((e = ERR_peek_error()) != 0)
		ERR_error_string_n(e, ossl, sizeof(ossl));
	ERR_clear_error();
	if (cause == NULL)
		return;
	free(*cause);
	if (asprintf(cause, "%s%s%s", msg, ossl[0] != '\0' ? ": " : "",
	    ossl) == -1)
		*cause = NULL;
}

static int
tls_read_cert(const char *path, X509 **out, char **cause)
{
	uint8_t *pem = NULL;
	size_t len = 0;
	BIO *b;
	int rc;

	if ((rc = fileio_read(path, TLS_PEM_MAX, 0, &pem, &len)) != 0) {
		tls_cause(cause, "%s: %s", path, strerror(-rc));
		return rc;
	}
	rc = -EINVAL;
	if ((b = BIO_new_mem_buf(pem, (int)len)) == NULL)
		rc = -ENOMEM;
	else if ((*out = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL)
		rc = 0;
	BIO_free(b);
	free(pem);
	if (rc != 0)
		tls_cause(cause, "%s: not a PEM certificate", path);
	return rc;
}

/* The key file must be ours and private (fileio_read's secret check). */
static int
tls_read_key(const char *path, EVP_PKEY **out, char **cause)
{
	uint8_t *pem = NULL;
	size_t len = 0;
	BIO *b;
	int rc;

	if ((rc = fileio_read(path, TLS_PEM_MAX, 1, &pem, &len)) != 0) {
		tls_cause(cause, "%s: %s", path, strerror(-rc));
		return rc;
	}
	rc = -EINVAL;
	if ((b = BIO_new_mem_buf(pem, (int)len)) == NULL)
		rc = -ENOMEM;
	/* No passphrase callback: an encrypted key is not one of ours. */
	else if ((*out = PEM_read_bio_PrivateKey(b, NULL, NULL,
	    (void *)"")) != NULL)
		rc = 0;
	BIO_free(b);
	OPENSSL_cleanse(pem, len);
	free(pem);
	if (rc != 0)
		tls_cause(cause, "%s: not a PEM private key", path);
	return rc;
}

/*
 * Chain verification for a pinned, self-signed peer.  With no trust store
 * the peer's certificate always fails as "self-signed"; that one error,
 * on the certificate itself, is expected and passed.  Anything else (a
 * chain, an expired or not yet valid certificate, a wrong key usage) is
 * refused: the pin is an extra condition, not a replacement for the rest.
 */
static int
tls_verify_cb(int ok, X509_STORE_CTX *xs)
{
	int err, depth;

	if (ok)
		return 1;
	err = X509_STORE_CTX_get_error(xs);
	depth = X509_STORE_CTX_get_error_depth(xs);
	if (depth == 0 && err == X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT)
		return 1;
	log_debug("tls: peer certificate refused at depth %d: %s", depth,
	    X509_verify_cert_error_string(err));
	return 0;
}

static int
tls_make_ctx(X509 *x, EVP_PKEY *pkey, SSL_CTX **out, char **cause)
{
	SSL_CTX *ctx;

	if ((ctx = SSL_CTX_new(TLS_method())) == NULL) {
		tls_cause(cause, "SSL_CTX_new");
		return -ENOMEM;
	}
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) != 1 ||
	    SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) != 1 ||
	    SSL_CTX_set_num_tickets(ctx, 0) != 1 ||
	    SSL_CTX_set_max_early_data(ctx, 0) != 1 ||
	    SSL_CTX_set_recv_max_early_data(ctx, 0) != 1) {
		tls_cause(cause, "TLS settings");
		goto fail;
	}
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	/* Record buffers (about 17 KB each way) only while a record is in
	 * flight: an idle connection must stay small (conn.c). */
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER |
	    SSL_VERIFY_FAIL_IF_NO_PEER_CERT, tls_verify_cb);
	if (SSL_CTX_use_certificate(ctx, x) != 1 ||
	    SSL_CTX_use_PrivateKey(ctx, pkey) != 1) {
		tls_cause(cause, "certificate or key not usable for TLS");
		goto fail;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		tls_cause(cause, "the key does not match the certificate");
		goto fail;
	}
	*out = ctx;
	return 0;
fail:
	SSL_CTX_free(ctx);
	return -EINVAL;
}

int
conn_tls_new(const char *cert_path, const char *key_path,
    struct conn_tls **out, char **cause)
{
	struct conn_tls *t = NULL;
	X509 *x = NULL;
	EVP_PKEY *pkey = NULL;
	int rc;

	*out = NULL;
	if (cause != NULL)
		*cause = NULL;
	if (cert_path == NULL || key_path == NULL) {
		tls_cause(cause, "no certificate or key path");
		return -EINVAL;
	}
	if ((t = calloc(1, sizeof(*t))) == NULL) {
		tls_cause(cause, "out of memory");
		return -ENOMEM;
	}
	if ((rc = tls_read_cert(cert_path, &x, cause)) != 0 ||
	    (rc = tls_read_key(key_path, &pkey, cause)) != 0)
		goto out;
	if (X509_check_private_key(x, pkey) != 1) {
		tls_cause(cause, "%s does not match %s", key_path, cert_path);
		rc = -EINVAL;
		goto out;
	}
	if ((rc = tls_make_ctx(x, pkey, &t->ctx, cause)) != 0)
		goto out;
	*out = t;
	t = NULL;
out:
	free(t);
	X509_free(x);
	EVP_PKEY_free(pkey);            /* the context holds its own references */
	ERR_clear_error();
	return rc;
}

int
conn_tls_reload(struct conn_tls *t, const char *cert_path, const char *key_path,
    char **cause)
{
	struct conn_tls *nt;
	int rc;

	if ((rc = conn_tls_new(cert_path, key_path, &nt, cause)) != 0)
		return rc;
	/* Connections made before keep the old context by their reference. */
	SSL_CTX_free(t->ctx);
	t->ctx = nt->ctx;
	free(nt);
	return 0;
}

void
conn_tls_free(struct conn_tls *t)
{
	if (t == NULL)
		return;
	SSL_CTX_free(t->ctx);           /* live connections keep their reference */
	free(t);
}

SSL_CTX *
conn_tls_ctx(const struct conn_tls *t)
{
	return t->ctx;
}

int
conn_tls_ssl_new(SSL_CTX *ctx, int server, SSL **out)
{
	SSL *ssl;
	BIO *rbio = NULL, *wbio = NULL;

	*out = NULL;
	if ((ssl = SSL_new(ctx)) == NULL ||
	    (rbio = BIO_new(BIO_s_mem())) == NULL ||
	    (wbio = BIO_new(BIO_s_mem())) == NULL) {
		BIO_free(rbio);
		SSL_free(ssl);
		ERR_clear_error();
		return -ENOMEM;
	}
	SSL_set_bio(ssl, rbio, wbio);           /* the SSL owns both now */
	if (server)
		SSL_set_accept_state(ssl);
	else
		SSL_set_connect_state(ssl);
	*out = ssl;
	return 0;
}

/* An empty memory BIO may keep this much; a larger one is replaced. */
#define TLS_BIO_KEEP    4096

static void
tls_trim(SSL *ssl, BIO *b, int read_side)
{
	BUF_MEM *bm = NULL;
	BIO *fresh;

	if (BIO_ctrl_pending(b) != 0 || BIO_get_mem_ptr(b, &bm) != 1 ||
	    bm == NULL || bm->max <= TLS_BIO_KEEP)
		return;
	if ((fresh = BIO_new(BIO_s_mem())) == NULL) {
		ERR_clear_error();
		return;                 /* the old one still works */
	}
	/* set0 takes the new one and frees the old. */
	if (read_side)
		SSL_set0_rbio(ssl, fresh);
	else
		SSL_set0_wbio(ssl, fresh);
}

void
conn_tls_trim_bios(SSL *ssl)
{
	tls_trim(ssl, SSL_get_rbio(ssl), 1);
	tls_trim(ssl, SSL_get_wbio(ssl), 0);
}

int
conn_tls_peer_spki(const SSL *ssl, uint8_t spki[CONN_SPKI_LEN])
{
	X509 *x;

	/* The context allows nothing else; checked again all the same. */
	if (SSL_version(ssl) != TLS1_3_VERSION)
		return -EPROTO;
	if ((x = SSL_get0_peer_certificate(ssl)) == NULL)
		return -EPROTO;
	if (tlscert_spki_sha256(x, spki) != 0)
		return -EPROTO;
	return 0;
}

void
conn_tls_log_errors(const char *peer, const char *what)
{
	char buf[256];
	unsigned long e;
	int any = 0;

	while ((e = ERR_get_error()) != 0) {
		ERR_error_string_n(e, buf, sizeof(buf));
		log_debug("%s: tls %s: %s", peer, what, buf);
		any = 1;
	}
	if (!any)
		log_debug("%s: tls %s failed", peer, what);
}
