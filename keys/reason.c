/* Names and explanations of the ENV1 refusal reasons (keys/env1.h). */
#include <string.h>

#include "keys/env1.h"

struct reason_desc {
	const char *name;
	const char *text;
};

static const struct reason_desc reasons[ENV1_R__COUNT] = {
	[ENV1_OK] = { "ok", "accepted" },
	[ENV1_R_TRUNCATED] = { "truncated", "shorter than its fixed layout" },
	[ENV1_R_MAGIC] = { "bad_magic", "not an ENV1 envelope (magic)" },
	[ENV1_R_VERSION] = { "bad_version", "unsupported version" },
	[ENV1_R_SUITE] = { "bad_suite", "suite not supported or below the peer's minimum" },
	[ENV1_R_FLAGS] = { "bad_flags", "flags must be zero" },
	[ENV1_R_ENC_LEN] = { "bad_enc_len", "enc_len is wrong for the suite" },
	[ENV1_R_CT_LEN] = { "bad_ct_len", "ct_len does not match the record or exceeds the limit" },
	[ENV1_R_WRONG_RECIPIENT] = { "wrong_recipient", "addressed to another agency" },
	[ENV1_R_UNKNOWN_SENDER] = { "unknown_sender", "sender is not a pinned, verified peer" },
	[ENV1_R_SENDER_SUSPENDED] = { "sender_suspended", "sender's identity is revoked or suspended" },
	[ENV1_R_FROM_FUTURE] = { "from_future", "created_at is beyond the allowed clock skew" },
	[ENV1_R_TOO_OLD] = { "too_old", "created_at is older than the maximum age" },
	[ENV1_R_EXPIRED] = { "expired", "expires_at has passed" },
	[ENV1_R_DUPLICATE] = { "duplicate", "byte-identical replay of an accepted envelope" },
	[ENV1_R_UNKNOWN_PREKEY] = { "unknown_prekey", "no prekey with this id and suite" },
	[ENV1_R_PREKEY_EXPIRED] = { "prekey_expired", "the prekey's secret is past retain_until" },
	[ENV1_R_BAD_POINT] = { "bad_point", "low-order or invalid X25519 point" },
	[ENV1_R_KEY_COMMITMENT] = { "key_commitment", "key commitment mismatch" },
	[ENV1_R_AEAD] = { "aead", "authenticated decryption failed" },
	[ENV1_R_BODY_LEN] = { "bad_body_len", "body_len does not match the plaintext or exceeds the limit" },
	[ENV1_R_DOMAIN] = { "bad_domain", "wrong domain string in the signed block" },
	[ENV1_R_INNER_MISMATCH] = { "inner_mismatch", "signed fields differ from the header" },
	[ENV1_R_HDR_HASH] = { "hdr_hash", "signed header hash does not match this header" },
	[ENV1_R_CERT_UNKNOWN] = { "cert_unknown", "signing key has no certificate from the sender" },
	[ENV1_R_CERT_USAGE] = { "cert_usage", "certificate does not allow this usage" },
	[ENV1_R_CERT_VALIDITY] = { "cert_validity", "certificate not valid at created_at" },
	[ENV1_R_CERT_REVOKED] = { "cert_revoked", "signing key has been revoked" },
	[ENV1_R_SIGNATURE] = { "bad_signature", "signature does not verify" },
	[ENV1_R_CONTENT_HASH] = { "content_hash", "body does not match the signed content hash" },
	[ENV1_R_MSG_TYPE] = { "msg_type", "unknown message type, or body of another type" },
	[ENV1_R_RECEIPT_BODY] = { "receipt_body", "malformed receipt body" },
	[ENV1_R_RECEIPT_SIGNER] = { "receipt_signer", "receipt not signed by the original recipient" },
	[ENV1_R_RECEIPT_ADDRESSEE] = { "receipt_addressee", "receipt is for a message another agency sent" },
	[ENV1_R_RECEIPT_UNMATCHED] = { "receipt_unmatched", "receipt matches no sent message" },
	[ENV1_R_RECEIPT_FOR_RECEIPT] = { "receipt_for_receipt", "receipts are never acknowledged" },
	[ENV1_R_MALFORMED] = { "malformed", "wrong length or layout" },
	[ENV1_R_STMT_SIGNATURE] = { "stmt_signature", "signature on a certificate or statement fails" },
	[ENV1_R_STMT_ISSUER] = { "stmt_issuer", "statement issued by an unexpected key" },
	[ENV1_R_PREKEY_USAGE] = { "prekey_usage", "prekey signed by a key without PREKEY usage" },
	[ENV1_R_PREKEY_OWNER] = { "prekey_owner", "prekey belongs to another agency" },
	[ENV1_R_PREKEY_VALIDITY] = { "prekey_validity", "prekey not valid now" },
	[ENV1_R_PREKEY_POINT] = { "prekey_point", "prekey public key is a low-order point" },
	[ENV1_R_PREKEY_REVOKED] = { "prekey_revoked", "prekey has been revoked" },
	[ENV1_R_NO_PREKEY] = { "no_prekey", "no valid prekey for this peer" },
	[ENV1_R_RIK_TRANSITION] = { "rik_transition", "identity changed without a valid transition" },
	[ENV1_R_KEYFILE_FORMAT] = { "keyfile_format", "not a valid key file (magic, version, kdf or length)" },
	[ENV1_R_KEYFILE_WEAK] = { "keyfile_weak", "key file KDF parameters below the minimum" },
	[ENV1_R_KEYFILE_PASSPHRASE] = { "keyfile_passphrase", "wrong passphrase (key commitment mismatch)" },
	[ENV1_R_KEYFILE_AEAD] = { "keyfile_aead", "key file modified (authentication failed)" },
	[ENV1_R_KEYFILE_PAYLOAD] = { "keyfile_payload", "key file contents malformed or incomplete" },
	[ENV1_R_KEYFILE_PERMISSIONS] = { "keyfile_permissions", "key file is readable by others or is a symlink" },
	[ENV1_R_ATREST] = { "atrest", "stored ciphertext fails to open (wrong key, row, column or case)" },
	[ENV1_R_NOMEM] = { "no_memory", "out of memory" },
	[ENV1_R_IO] = { "io", "input/output error" },
	[ENV1_R_INVALID_ARG] = { "invalid_argument", "invalid argument" },
};

const char *
env1_reason_name(int reason)
{
	if (reason < 0 || reason >= ENV1_R__COUNT || reasons[reason].name == NULL)
		return "unknown";
	return reasons[reason].name;
}

const char *
env1_reason_text(int reason)
{
	if (reason < 0 || reason >= ENV1_R__COUNT || reasons[reason].text == NULL)
		return "unknown reason";
	return reasons[reason].text;
}

int
env1_reason_from_name(const char *name)
{
	for (int i = 0; i < ENV1_R__COUNT; i++)
		if (reasons[i].name != NULL && strcmp(reasons[i].name, name) == 0)
			return i;
	return -1;
}

int
env1_msg_type_known(uint16_t msg_type)
{
	switch (msg_type) {
	case ENV1_MSG_ASSISTANCE_REQUEST:
	case ENV1_MSG_ASSISTANCE_CONFIRMATION:
	case ENV1_MSG_REINTEGRATION_REQUEST:
	case ENV1_MSG_REINTEGRATION_CONFIRMATION:
	case ENV1_MSG_DEPARTURE_NOTIFICATION:
	case ENV1_MSG_ARRIVAL_CONFIRMATION:
	case ENV1_MSG_FOLLOW_UP_REPORT:
	case ENV1_MSG_DELIVERY_RECEIPT:
	case ENV1_MSG_CONSENT_WITHDRAWAL:
	case ENV1_MSG_ERASURE_CONFIRMATION:
	case ENV1_MSG_TEST_DOCUMENT:
		return 1;
	default:
		return 0;
	}
}
