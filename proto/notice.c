/*
 * The scope block of a consent notice (notice.h): written by homeward,
 * read back by homewardd.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/notice.h"
#include "proto/refcat.h"

#define LINE_MAX_LEN    (NOTICE_MAX_RECIPIENTS * NOTICE_AGENCY_LEN + 16)

static int
put(char *buf, size_t len, size_t *off, const char *fmt, const char *s)
{
	int n = snprintf(buf + *off, len - *off, fmt, s);

	if (n < 0 || (size_t)n >= len - *off)
		return -1;
	*off += (size_t)n;
	return 0;
}

int
notice_head_format(const struct notice_head *h, char *buf, size_t len)
{
	char    line[LINE_MAX_LEN], item[24];
	size_t  off = 0, lo;

	if (len == 0 || h->nto == 0 || h->nto > NOTICE_MAX_RECIPIENTS ||
	    h->steps == 0 || h->code[0] == '\0' || h->language[0] == '\0')
		return -1;
	buf[0] = '\0';
	if (put(buf, len, &off, "%s\n", NOTICE_MAGIC) != 0 ||
	    put(buf, len, &off, "case: %s\n", h->code) != 0)
		return -1;
	lo = 0;
	line[0] = '\0';
	for (size_t i = 0; i < h->nto; i++)
		if (put(line, sizeof(line), &lo, i ? ",%s" : "%s", h->to[i]) != 0)
			return -1;
	if (put(buf, len, &off, "to: %s\n", line) != 0)
		return -1;
	lo = 0;
	for (unsigned s = 1; s <= 7; s++)
		if (h->steps & (1u << s)) {
			snprintf(item, sizeof(item), "%s%u", lo ? "," : "", s);
			if (put(line, sizeof(line), &lo, "%s", item) != 0)
				return -1;
		}
	if (put(buf, len, &off, "steps: %s\n", line) != 0)
		return -1;
	lo = 0;
	line[0] = '\0';
	for (int c = 2; c <= 7; c++)
		if (h->categories & (1u << c) && put(line, sizeof(line), &lo,
		    lo ? ",%s" : "%s", refcat_name(c)) != 0)
			return -1;
	if (put(buf, len, &off, "categories: %s\n", lo ? line : "none") != 0 ||
	    put(buf, len, &off, "language: %s\n\n", h->language) != 0)
		return -1;
	return (int)off;
}

/* The next line of [*p, end) into line (NUL-terminated, without '\n'):
 * 0, or -1 when there is none or it is too long. */
static int
next_line(const char **p, const char *end, char *line, size_t len)
{
	const char *nl = memchr(*p, '\n', (size_t)(end - *p));
	size_t n;

	if (nl == NULL || (n = (size_t)(nl - *p)) >= len)
		return -1;
	memcpy(line, *p, n);
	line[n] = '\0';
	*p = nl + 1;
	return 0;
}

/* "key: value" with this key: the value, or NULL. */
static char *
value_of(char *line, const char *key)
{
	size_t k = strlen(key);

	if (strncmp(line, key, k) != 0 || line[k] != ':' || line[k + 1] != ' ')
		return NULL;
	return line + k + 2;
}

static int
parse_to(char *v, struct notice_head *h)
{
	char *p, *save = NULL;

	for (p = strtok_r(v, ",", &save); p != NULL; p = strtok_r(NULL, ",", &save)) {
		if (h->nto == NOTICE_MAX_RECIPIENTS || strlen(p) >= NOTICE_AGENCY_LEN ||
		    strspn(p, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(p))
			return -1;
		memcpy(h->to[h->nto++], p, strlen(p) + 1);
	}
	return h->nto > 0 ? 0 : -1;
}

static int
parse_steps(char *v, uint32_t *mask)
{
	char *p, *save = NULL;

	*mask = 0;
	for (p = strtok_r(v, ",", &save); p != NULL; p = strtok_r(NULL, ",", &save)) {
		if (strlen(p) != 1 || p[0] < '1' || p[0] > '7')
			return -1;
		*mask |= 1u << (p[0] - '0');
	}
	return *mask != 0 ? 0 : -1;
}

static int
parse_categories(char *v, uint32_t *mask)
{
	char *p, *save = NULL;
	int c;

	*mask = 0;
	if (strcmp(v, "none") == 0)
		return 0;
	for (p = strtok_r(v, ",", &save); p != NULL; p = strtok_r(NULL, ",", &save)) {
		if ((c = refcat_parse(p)) < 2 || c > 7)
			return -1;
		*mask |= 1u << c;
	}
	return *mask != 0 ? 0 : -1;
}

int
notice_head_parse(const char *text, size_t len, struct notice_head *h,
    const char **why)
{
	const char *p = text, *end = text + len;
	char line[LINE_MAX_LEN], *v;

	memset(h, 0, sizeof(*h));
	*why = "it does not start with \"" NOTICE_MAGIC "\": give the text "
	    "file 'homeward consent notice --text' wrote";
	if (next_line(&p, end, line, sizeof(line)) != 0 ||
	    strcmp(line, NOTICE_MAGIC) != 0)
		return -1;
	*why = "its line \"case: CODE\" is missing or malformed";
	if (next_line(&p, end, line, sizeof(line)) != 0 ||
	    (v = value_of(line, "case")) == NULL || *v == '\0' ||
	    strlen(v) >= sizeof(h->code))
		return -1;
	memcpy(h->code, v, strlen(v) + 1);
	*why = "its line \"to: AGENCY,...\" is missing or malformed";
	if (next_line(&p, end, line, sizeof(line)) != 0 ||
	    (v = value_of(line, "to")) == NULL || parse_to(v, h) != 0)
		return -1;
	*why = "its line \"steps: N,...\" is missing or malformed";
	if (next_line(&p, end, line, sizeof(line)) != 0 ||
	    (v = value_of(line, "steps")) == NULL || parse_steps(v, &h->steps) != 0)
		return -1;
	*why = "its line \"categories: ...\" is missing or malformed";
	if (next_line(&p, end, line, sizeof(line)) != 0 ||
	    (v = value_of(line, "categories")) == NULL ||
	    parse_categories(v, &h->categories) != 0)
		return -1;
	*why = "its line \"language: TAG\" is missing or malformed";
	if (next_line(&p, end, line, sizeof(line)) != 0 ||
	    (v = value_of(line, "language")) == NULL || *v == '\0' ||
	    strlen(v) >= sizeof(h->language) ||
	    strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789-") != strlen(v))
		return -1;
	memcpy(h->language, v, strlen(v) + 1);
	*why = "its scope block does not end with an empty line";
	if (next_line(&p, end, line, sizeof(line)) != 0 || line[0] != '\0')
		return -1;
	*why = NULL;
	return 0;
}
