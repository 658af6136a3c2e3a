/*
 * The agency part of a bundle (bundle_info.h): the rules for each
 * AgencyInfo field, the agency signature, and the verification of a
 * received AgencyInfo against its signature.  An AgencyInfo reaches us
 * from a file an operator imports or from a peer daemon, so it is hostile
 * input until its signature and every field have been checked.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "keys/bundle.h"
#include "keys/bundle_info.h"
#include "proto/pbcheck.h"
#include "proto/keys.pb-c.h"

static const uint8_t DOMAIN_AGENCY[16] = "ENV1 agency v1\0";	/* 14 + 2 NUL */

#define AGENCY_DOMAIN_LEN       sizeof(DOMAIN_AGENCY)

static int __attribute__((format(printf, 3, 4)))
refuse(char *why, int reason, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, BUNDLE_WHY_LEN, fmt, ap);
	va_end(ap);
	return reason;
}

/* --- text fields --- */

enum text_problem {
	TEXT_OK = 0,
	TEXT_NOT_UTF8,
	TEXT_CONTROL,
};

/*
 * Characters that change how text around them reads on a screen without
 * showing themselves: the bidirectional overrides and isolates, the
 * direction marks (LRM, RLM, ALM), the zero-width space, word joiner and
 * invisible operators, the deprecated format characters and the BOM.  An
 * agency name holding one could pass for another agency's name.  ZWNJ and
 * ZWJ (U+200C, U+200D) stay allowed: Persian and Indic spellings need them.
 */
static int
invisible_mark(uint32_t c)
{
	return c == 0x061c || c == 0x180e || c == 0x200b || c == 0x200e ||
	    c == 0x200f || (c >= 0x202a && c <= 0x202e) ||
	    (c >= 0x2060 && c <= 0x2064) || (c >= 0x2066 && c <= 0x206f) ||
	    c == 0xfeff;
}

/*
 * Strict UTF-8 (no overlong forms, surrogates or code points past
 * U+10FFFF) without C0/C1 controls, DEL or the bidirectional overrides and
 * isolates, which could make an agency name read differently on an
 * operator's screen than in the file.  NUL is a control: a C string cut
 * short by an embedded NUL would show less than was signed.
 */
static enum text_problem
text_check(const uint8_t *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		uint8_t b = s[i];
		uint32_t c;
		size_t k;

		if (b < 0x80) {
			c = b;
			k = 1;
		} else if ((b & 0xe0) == 0xc0) {
			c = b & 0x1f;
			k = 2;
		} else if ((b & 0xf0) == 0xe0) {
			c = b & 0x0f;
			k = 3;
		} else if ((b & 0xf8) == 0xf0) {
			c = b & 0x07;
			k = 4;
		} else {
			return TEXT_NOT_UTF8;
		}
		if (k > n - i)
			return TEXT_NOT_UTF8;
		for (size_t j = 1; j < k; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				return TEXT_NOT_UTF8;
			c = (c << 6) | (s[i + j] & 0x3f);
		}
		if ((k == 2 && c < 0x80) || (k == 3 && c < 0x800) ||
		    (k == 4 && (c < 0x10000 || c > 0x10ffff)) ||
		    (c >= 0xd800 && c <= 0xdfff))
			return TEXT_NOT_UTF8;
		if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || invisible_mark(c))
			return TEXT_CONTROL;
		i += k;
	}
	return TEXT_OK;
}

static int
is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static int
is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int
text_refuse(const char *field, const uint8_t *s, size_t n, char *why)
{
	switch (text_check(s, n)) {
	case TEXT_NOT_UTF8:
		return refuse(why, ENV1_R_MALFORMED, "agency_info.%s: not valid UTF-8",
		    field);
	case TEXT_CONTROL:
		return refuse(why, ENV1_R_MALFORMED,
		    "agency_info.%s: contains a control character", field);
	default:
		return ENV1_OK;
	}
}

/* Each *_problem returns NULL when the value is fine, else what is wrong. */

const char *
bundle_agency_id_problem(const char *s)
{
	size_t n = strlen(s);

	if (n < 1 || n > 63)
		return "must be 1 to 63 characters";
	for (size_t i = 0; i < n; i++)
		if (!is_lower_alnum(s[i]) && s[i] != '-')
			return "only a-z, 0-9 and '-' are allowed";
	return NULL;
}

static const char *
name_problem(const char *s)
{
	size_t n = strlen(s);

	if (n == 0)
		return "empty";
	if (n >= sizeof(((struct agency_info *)0)->name))
		return "longer than 127 bytes";
	return NULL;
}

static const char *
country_problem(const char *s)
{
	if (strlen(s) != 2 || s[0] < 'A' || s[0] > 'Z' || s[1] < 'A' || s[1] > 'Z')
		return "not two upper-case letters (ISO 3166-1 alpha-2)";
	return NULL;
}

/*
 * Syntax only: keys/ does no I/O besides key files, so whether the zone
 * exists in the local tz database is the daemon's question.
 */
static const char *
time_zone_problem(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 63)
		return "not an IANA zone name (1 to 63 characters)";
	if (!is_alpha(s[0]) || s[n - 1] == '/')
		return "not an IANA zone name";
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!is_alpha(c) && !is_digit(c) && c != '/' && c != '_' &&
		    c != '-' && c != '+')
			return "not an IANA zone name";
		if (c == '/' && s[i + 1] == '/')
			return "not an IANA zone name";
	}
	return NULL;
}

/* "host:port", host a DNS name or address, or "[v6]"; empty is no listener. */
static const char *
endpoint_problem(const char *s)
{
	const char *colon, *p;
	size_t hostlen;
	unsigned long port = 0;

	if (*s == '\0')
		return NULL;
	if (strlen(s) >= sizeof(((struct agency_info *)0)->endpoint))
		return "longer than 255 bytes";
	if ((colon = strrchr(s, ':')) == NULL)
		return "not host:port";
	hostlen = (size_t)(colon - s);
	if (hostlen == 0)
		return "not host:port (empty host)";
	if (s[0] == '[') {
		if (hostlen < 3 || s[hostlen - 1] != ']')
			return "not host:port (unbalanced '[')";
		for (p = s + 1; p < s + hostlen - 1; p++)
			if (!is_digit(*p) && !((*p | 0x20) >= 'a' && (*p | 0x20) <= 'f') &&
			    *p != ':' && *p != '.')
				return "not host:port (bad IPv6 address)";
	} else {
		for (p = s; p < colon; p++)
			if (!is_alpha(*p) && !is_digit(*p) && *p != '.' && *p != '-')
				return "not host:port (bad host name)";
	}
	p = colon + 1;
	if (*p == '\0' || *p == '0' || strlen(p) > 5)
		return "port must be 1 to 65535";
	for (; *p != '\0'; p++) {
		if (!is_digit(*p))
			return "port must be 1 to 65535";
		port = port * 10 + (unsigned long)(*p - '0');
	}
	if (port < 1 || port > 65535)
		return "port must be 1 to 65535";
	return NULL;
}

/*
 * Staff data for a person woken at night: a phone number and perhaps a few
 * words, never a paragraph.  The byte cap lets every alert quote it whole
 * (they print it with %.64s, which never cuts a character in two when the
 * whole text fits).  The text rule is checked here too, for the key tool.
 */
const char *
bundle_duty_contact_problem(const char *s)
{
	size_t n = strlen(s);

	switch (text_check((const uint8_t *)s, n)) {
	case TEXT_NOT_UTF8:
		return "not valid UTF-8";
	case TEXT_CONTROL:
		return "contains a control character";
	default:
		break;
	}
	if (n > BUNDLE_CONTACT_MAX)
		return "longer than 64 bytes";
	/* "call X now ( )" would tell a night operator nothing. */
	if (n > 0 && (s[0] == ' ' || s[n - 1] == ' '))
		return "starts or ends with a space";
	return NULL;
}

/* All AgencyInfo checks on C strings; field names as in keys.proto. */
static int
info_fields_check(const char *agency_id, const char *name, const char *country,
    const char *time_zone, const char *endpoint, const char *duty_contact,
    char *why)
{
	const struct {
		const char *field;
		const char *value;
		const char *(*problem)(const char *);
	} f[] = {
		{ "agency_id", agency_id, bundle_agency_id_problem },
		{ "name", name, name_problem },
		{ "country", country, country_problem },
		{ "time_zone", time_zone, time_zone_problem },
		{ "endpoint", endpoint, endpoint_problem },
		{ "duty_contact", duty_contact, bundle_duty_contact_problem },
	};

	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		const char *p;
		int r;

		if ((r = text_refuse(f[i].field, (const uint8_t *)f[i].value,
		    strlen(f[i].value), why)) != ENV1_OK)
			return r;
		if ((p = f[i].problem(f[i].value)) != NULL)
			return refuse(why, ENV1_R_MALFORMED, "agency_info.%s: %s",
			    f[i].field, p);
	}
	return ENV1_OK;
}

/*
 * protobuf-c hands strings over NUL-terminated, so a string with an
 * embedded NUL or invalid UTF-8 would be silently cut or passed on.  Look at
 * the raw bytes of the string fields (1..5 and 9) of the encoded AgencyInfo,
 * which the protobuf-c parse has already accepted as well-formed.
 */
static int
info_raw_strings_check(const uint8_t *b, size_t len, char *why)
{
	static const char *names[] = { NULL, "agency_id", "name", "country",
	    "time_zone", "endpoint", NULL, NULL, NULL, "duty_contact" };
	const uint8_t *p = b, *end = b + len;
	struct pbcheck_field f;
	int r;

	while (p < end) {
		if (pbcheck_next_field(&p, end, &f) != 0)
			return refuse(why, ENV1_R_MALFORMED,
			    "agency_info: not a valid AgencyInfo");
		if (f.wire_type == 2 &&
		    f.number < sizeof(names) / sizeof(names[0]) &&
		    names[f.number] != NULL &&
		    (r = text_refuse(names[f.number], f.value, f.len, why)) != ENV1_OK)
			return r;
	}
	return ENV1_OK;
}

/* --- the agency signature --- */

static int
agency_msg(const uint8_t *info, size_t infolen, uint8_t **msg, size_t *msglen)
{
	if ((*msg = malloc(AGENCY_DOMAIN_LEN + infolen)) == NULL)
		return ENV1_R_NOMEM;
	memcpy(*msg, DOMAIN_AGENCY, AGENCY_DOMAIN_LEN);
	if (infolen > 0)
		memcpy(*msg + AGENCY_DOMAIN_LEN, info, infolen);
	*msglen = AGENCY_DOMAIN_LEN + infolen;
	return ENV1_OK;
}

/* A C string that fits its array, or NULL. */
static const char *
bounded(const char *s, size_t size)
{
	return memchr(s, '\0', size) != NULL ? s : NULL;
}

int
bundle_sign_agency(const struct agency_info *ai, const uint8_t rik_sk[64],
    uint8_t **info, size_t *infolen, uint8_t sig[ENV1_SIG_LEN])
{
	Homeward__Keys__AgencyInfo pi = HOMEWARD__KEYS__AGENCY_INFO__INIT;
	uint8_t *buf = NULL, *msg = NULL;
	size_t n, msglen;
	char why[BUNDLE_WHY_LEN];
	int r;

	*info = NULL;
	*infolen = 0;
	memset(sig, 0, ENV1_SIG_LEN);
	/* Never sign what bundle_parse would refuse. */
	if (!bounded(ai->agency_id, sizeof(ai->agency_id)) ||
	    !bounded(ai->name, sizeof(ai->name)) ||
	    !bounded(ai->country, sizeof(ai->country)) ||
	    !bounded(ai->time_zone, sizeof(ai->time_zone)) ||
	    !bounded(ai->endpoint, sizeof(ai->endpoint)) ||
	    !bounded(ai->duty_contact, sizeof(ai->duty_contact)))
		return ENV1_R_INVALID_ARG;
	if (info_fields_check(ai->agency_id, ai->name, ai->country, ai->time_zone,
	    ai->endpoint, ai->duty_contact, why) != ENV1_OK || ai->issued_at == 0)
		return ENV1_R_INVALID_ARG;
	/* The secret key's public half (seed || pk) must be the named RIK. */
	if (memcmp(rik_sk + 32, ai->rik, ENV1_KEY_LEN) != 0)
		return ENV1_R_INVALID_ARG;

	pi.agency_id = (char *)ai->agency_id;
	pi.name = (char *)ai->name;
	pi.country = (char *)ai->country;
	pi.time_zone = (char *)ai->time_zone;
	pi.endpoint = (char *)ai->endpoint;
	/* Empty is not encoded (proto3): a bundle without a duty contact is
	 * byte for byte what it was before the field existed. */
	pi.duty_contact = (char *)ai->duty_contact;
	pi.rik.data = (uint8_t *)ai->rik;
	pi.rik.len = ENV1_KEY_LEN;
	pi.tls_spki_sha256.data = (uint8_t *)ai->tls_spki_sha256;
	pi.tls_spki_sha256.len = sizeof(ai->tls_spki_sha256);
	pi.issued_at = ai->issued_at;

	n = homeward__keys__agency_info__get_packed_size(&pi);
	if ((buf = malloc(n)) == NULL)
		return ENV1_R_NOMEM;
	homeward__keys__agency_info__pack(&pi, buf);
	if ((r = agency_msg(buf, n, &msg, &msglen)) != ENV1_OK)
		goto fail;
	if (crypto_sign_detached(sig, NULL, msg, msglen, rik_sk) != 0) {
		r = ENV1_R_INVALID_ARG;
		goto fail;
	}
	free(msg);
	*info = buf;
	*infolen = n;
	return ENV1_OK;
fail:
	free(msg);
	free(buf);
	memset(sig, 0, ENV1_SIG_LEN);
	return r;
}

/* --- verify --- */

/* Copy the validated strings of an AgencyInfo into the fixed struct. */
static void
info_copy(const Homeward__Keys__AgencyInfo *pi, struct agency_info *ai)
{
	/* Lengths were checked against these arrays by the field checks. */
	snprintf(ai->agency_id, sizeof(ai->agency_id), "%s", pi->agency_id);
	snprintf(ai->name, sizeof(ai->name), "%s", pi->name);
	snprintf(ai->country, sizeof(ai->country), "%s", pi->country);
	snprintf(ai->time_zone, sizeof(ai->time_zone), "%s", pi->time_zone);
	snprintf(ai->endpoint, sizeof(ai->endpoint), "%s", pi->endpoint);
	snprintf(ai->duty_contact, sizeof(ai->duty_contact), "%s", pi->duty_contact);
	memcpy(ai->rik, pi->rik.data, ENV1_KEY_LEN);
	memcpy(ai->tls_spki_sha256, pi->tls_spki_sha256.data, 32);
	ai->issued_at = pi->issued_at;
}

int
bundle_info_verify(const uint8_t rik[ENV1_KEY_LEN], const uint8_t *info,
    size_t infolen, const uint8_t *sig, size_t siglen, struct agency_info *ai,
    char *why)
{
	Homeward__Keys__AgencyInfo *pi = NULL;
	uint8_t *msg = NULL;
	size_t msglen;
	int r;

	if (siglen != ENV1_SIG_LEN)
		return refuse(why, ENV1_R_MALFORMED, "agency_sig: %zu bytes, expected %d",
		    siglen, ENV1_SIG_LEN);
	if ((r = agency_msg(info, infolen, &msg, &msglen)) != ENV1_OK)
		return refuse(why, r, "agency_info: out of memory");
	r = crypto_sign_verify_detached(sig, msg, msglen, rik);
	free(msg);
	if (r != 0)
		return refuse(why, ENV1_R_STMT_SIGNATURE,
		    "agency_sig: signature does not verify under rik");

	pi = homeward__keys__agency_info__unpack(NULL, infolen, info);
	if (pi == NULL)
		return refuse(why, ENV1_R_MALFORMED, "agency_info: not a valid AgencyInfo");
	if ((r = pbcheck_singular_once(info, infolen,
	    &homeward__keys__agency_info__descriptor)) > 0) {
		r = refuse(why, ENV1_R_MALFORMED,
		    "agency_info: field %d occurs more than once", r);
		goto done;
	}
	if ((r = info_raw_strings_check(info, infolen, why)) != ENV1_OK)
		goto done;
	if ((r = info_fields_check(pi->agency_id, pi->name, pi->country,
	    pi->time_zone, pi->endpoint, pi->duty_contact, why)) != ENV1_OK)
		goto done;
	if (pi->rik.len != ENV1_KEY_LEN)
		r = refuse(why, ENV1_R_MALFORMED, "agency_info.rik: %zu bytes, expected %d",
		    pi->rik.len, ENV1_KEY_LEN);
	else if (memcmp(pi->rik.data, rik, ENV1_KEY_LEN) != 0)
		r = refuse(why, ENV1_R_MALFORMED, "agency_info.rik: not the bundle's rik");
	else if (pi->tls_spki_sha256.len != 32)
		r = refuse(why, ENV1_R_MALFORMED,
		    "agency_info.tls_spki_sha256: %zu bytes, expected 32",
		    pi->tls_spki_sha256.len);
	else if (pi->issued_at == 0)
		r = refuse(why, ENV1_R_MALFORMED, "agency_info.issued_at: missing");
	else
		info_copy(pi, ai);
done:
	homeward__keys__agency_info__free_unpacked(pi, NULL);
	return r;
}

