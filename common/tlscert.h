/*
 * The daemon's TLS identity: an Ed25519 key and a self-signed X.509
 * certificate (CN = agency id, one year), made with OpenSSL 3 EVP APIs.
 * Peers are pinned by the SHA-256 of the certificate's DER
 * SubjectPublicKeyInfo, which the agency's signed bundle carries
 * (AgencyInfo.tls_spki_sha256); the certificate itself is not trusted
 * through any CA.  Functions return 0 or a negative errno.
 */
#ifndef HOMEWARD_COMMON_TLSCERT_H
#define HOMEWARD_COMMON_TLSCERT_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#define TLSCERT_SPKI_HASH_LEN   32
#define TLSCERT_DAYS            365
/* notBefore is set this many seconds in the past, so a peer whose clock
 * runs a little behind does not refuse a freshly made certificate. */
#define TLSCERT_BACKDATE        86400
#define TLSCERT_CN_MAX          64      /* X.509 ub-common-name */

struct tlscert {
	char           *key_pem;        /* PKCS#8 PEM private key: secret */
	size_t          key_len;
	char           *crt_pem;        /* the certificate, PEM */
	size_t          crt_len;
	uint8_t         spki_sha256[TLSCERT_SPKI_HASH_LEN];
};

/*
 * A fresh Ed25519 key and a certificate for cn (1..64 printable ASCII
 * characters) valid from now for days.  0, -EINVAL (cn, days) or -EIO
 * (OpenSSL failed; its error queue is cleared); on error *out is zeroed.
 */
int tlscert_generate(const char *cn, unsigned days, struct tlscert *out);
/*
 * A new certificate for the Ed25519 key in key_pem (PKCS#8 PEM), as
 * tlscert_generate makes them, valid from now for days: the renewal that
 * keeps the key, so the SPKI pin partners hold stays valid.  *crt_pem is
 * malloc'ed.  0, -EINVAL (not an Ed25519 key, cn, days) or -EIO.
 */
int tlscert_renew(const char *key_pem, size_t key_len, const char *cn,
    unsigned days, char **crt_pem, size_t *crt_len);
/* Wipes the private key and frees both PEM strings; NULL ok. */
void tlscert_clear(struct tlscert *);

/* SHA-256 of the DER SubjectPublicKeyInfo: of a certificate, of a
 * certificate in PEM, and of the public half of a private key in PEM
 * (so a key and a certificate can be checked to belong together).
 * 0, or -EINVAL when the input is not of that kind. */
int tlscert_spki_sha256(const X509 *, uint8_t out[TLSCERT_SPKI_HASH_LEN]);
int tlscert_crt_spki_sha256(const char *pem, size_t len,
    uint8_t out[TLSCERT_SPKI_HASH_LEN]);
int tlscert_key_spki_sha256(const char *pem, size_t len,
    uint8_t out[TLSCERT_SPKI_HASH_LEN]);

/* The notAfter of a PEM certificate, in ms since the epoch; 0, or -EINVAL
 * when pem is not a certificate. */
int tlscert_crt_not_after(const char *pem, size_t len, uint64_t *ms);

#endif
