/*
 * ENV1 suite 1: the constants of the wire format and the reasons an
 * envelope, statement or key file is refused.  Every byte layout is in
 * docs/PROTOCOL.md; the numbers here are the ones that document names.
 * The body and envelope limits (common/limits.h) and the message types
 * (common/msgtype.h) are seen by other layers too and are defined there.
 */
#ifndef HOMEWARD_KEYS_ENV1_H
#define HOMEWARD_KEYS_ENV1_H

#include <stddef.h>
#include <stdint.h>

#include "common/limits.h"
#include "common/msgtype.h"

#define ENV1_VERSION            0x01
#define ENV1_SUITE_X25519       0x01
#define ENV1_SUITE_XWING        0x02    /* reserved: needs libsodium >= 1.0.22 */

#define ENV1_KEY_LEN            32      /* Ed25519 / X25519 public keys */
#define ENV1_SIG_LEN            64
#define ENV1_ID_LEN             16      /* message ids, thread ids, case ids */
#define ENV1_HASH_LEN           32
#define ENV1_NONCE_LEN          24
#define ENV1_TAG_LEN            16

#define ENV1_ENC_LEN_SUITE1     32
#define ENV1_HDR_PREFIX_LEN     146     /* header[0 .. 114+E) */
#define ENV1_HDR_LEN            206     /* full suite-1 header */
#define ENV1_TBS_LEN            316
#define ENV1_INNER_OVERHEAD     (ENV1_TBS_LEN + ENV1_SIG_LEN)           /* 380 */
#define ENV1_CT_MIN             (ENV1_INNER_OVERHEAD + ENV1_TAG_LEN)    /* 396 */
#define ENV1_CT_MAX             (ENV1_MAX_INLINE + ENV1_CT_MIN)
/* ENV1_MAX_INLINE, ENV1_OVERHEAD, ENV1_ENVELOPE_MAX: common/limits.h. */
_Static_assert(ENV1_OVERHEAD == ENV1_HDR_LEN + ENV1_CT_MIN,
    "ENV1_OVERHEAD is the header plus the smallest ciphertext");
_Static_assert(ENV1_ENVELOPE_MAX == ENV1_HDR_LEN + ENV1_CT_MAX,
    "ENV1_ENVELOPE_MAX is the header plus the largest ciphertext");

#define ENV1_SKEW_MS            (10ull * 60 * 1000)                     /* 10 min */
#define ENV1_MAX_AGE_MS         (21ull * 24 * 3600 * 1000)              /* 21 d */
#define ENV1_PREKEY_MARGIN_MS   (3600ull * 1000)                        /* not_after - 1 h */

/* Whether a msg_type value (common/msgtype.h) is one this implementation knows. */
int env1_msg_type_known(uint16_t msg_type);

/*
 * Why something was refused.  The names (env1_reason_name) are stable: they
 * appear in the test vectors and in local logs.  Only ENV1_OK is success;
 * ENV1_R_DUPLICATE is not an attack but still yields no plaintext.
 */
enum env1_reason {
	ENV1_OK = 0,
	/* open, step 1: parsing */
	ENV1_R_TRUNCATED,               /* shorter than a header, or ct_len < 396 */
	ENV1_R_MAGIC,
	ENV1_R_VERSION,
	ENV1_R_SUITE,                   /* unsupported, or below the peer's min_suite */
	ENV1_R_FLAGS,
	ENV1_R_ENC_LEN,
	ENV1_R_CT_LEN,                  /* != remaining bytes, or above the limit */
	/* steps 2-6 */
	ENV1_R_WRONG_RECIPIENT,
	ENV1_R_UNKNOWN_SENDER,          /* not pinned: quarantine */
	ENV1_R_SENDER_SUSPENDED,        /* pinned but RIK revoked or suspended */
	ENV1_R_FROM_FUTURE,
	ENV1_R_TOO_OLD,
	ENV1_R_EXPIRED,
	ENV1_R_DUPLICATE,               /* byte-identical replay: resend the stored receipt */
	ENV1_R_UNKNOWN_PREKEY,
	ENV1_R_PREKEY_EXPIRED,
	/* steps 7-9 */
	ENV1_R_BAD_POINT,               /* X25519 low-order point / all-zero output */
	ENV1_R_KEY_COMMITMENT,
	ENV1_R_AEAD,
	/* steps 10-14 */
	ENV1_R_BODY_LEN,
	ENV1_R_DOMAIN,
	ENV1_R_INNER_MISMATCH,          /* TBS fields differ from the header */
	ENV1_R_HDR_HASH,
	ENV1_R_CERT_UNKNOWN,            /* signer_dsk has no certificate from sender_rik */
	ENV1_R_CERT_USAGE,
	ENV1_R_CERT_VALIDITY,           /* not valid at created_at */
	ENV1_R_CERT_REVOKED,
	ENV1_R_SIGNATURE,
	ENV1_R_CONTENT_HASH,
	ENV1_R_MSG_TYPE,                /* unknown msg_type, or body is not of that type */
	/* receipts (sender side) */
	ENV1_R_RECEIPT_BODY,            /* not a 177-byte receipt body */
	ENV1_R_RECEIPT_SIGNER,          /* signed by someone other than the original recipient */
	ENV1_R_RECEIPT_ADDRESSEE,       /* original sender / receipt recipient is not us */
	ENV1_R_RECEIPT_UNMATCHED,       /* H_inner matches no sent message */
	ENV1_R_RECEIPT_FOR_RECEIPT,
	/* signed statements and bundles */
	ENV1_R_MALFORMED,               /* wrong length or layout */
	ENV1_R_STMT_SIGNATURE,          /* a certificate / prekey / revocation signature fails */
	ENV1_R_STMT_ISSUER,             /* issued by a key other than the expected one */
	ENV1_R_PREKEY_USAGE,            /* prekey signed by a DSK without PREKEY usage */
	ENV1_R_PREKEY_OWNER,            /* owner_rik != pinned peer */
	ENV1_R_PREKEY_VALIDITY,         /* outside [not_before, not_after - 1 h] */
	ENV1_R_PREKEY_POINT,            /* low-order spk_pub */
	ENV1_R_PREKEY_REVOKED,
	ENV1_R_NO_PREKEY,               /* no valid prekey to seal to */
	ENV1_R_RIK_TRANSITION,          /* new RIK without a valid dual-signed transition */
	/* key files (section 3.6) */
	ENV1_R_KEYFILE_FORMAT,          /* magic, version, kdf, lengths */
	ENV1_R_KEYFILE_WEAK,            /* Argon2id parameters below the minimum */
	ENV1_R_KEYFILE_PASSPHRASE,      /* key commitment mismatch: wrong passphrase */
	ENV1_R_KEYFILE_AEAD,            /* header or ciphertext modified */
	ENV1_R_KEYFILE_PAYLOAD,         /* TLV records malformed or incomplete */
	ENV1_R_KEYFILE_PERMISSIONS,     /* readable by group/others, or a symlink */
	/* at rest (section 4) */
	ENV1_R_ATREST,                  /* wrapped key or column blob fails to open */
	/* resources */
	ENV1_R_NOMEM,
	ENV1_R_IO,
	ENV1_R_INVALID_ARG,
	ENV1_R__COUNT
};

/* Stable snake_case name ("aead", "key_commitment"), never NULL. */
const char *env1_reason_name(int reason);
/* One-line English explanation for operators, never NULL. */
const char *env1_reason_text(int reason);
/* Reverse of env1_reason_name, for the vector files; -1 when unknown. */
int env1_reason_from_name(const char *name);

#endif
