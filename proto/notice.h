/*
 * The first block of a consent notice (homeward consent notice, issue
 * 13): the scope the notice explains, in a form homewardd checks against
 * the consent recorded with it (control.proto ConsentRecord.notice), so
 * that what she was told and what was recorded cannot differ.  The rest
 * of the notice is prose in her language; only this block is parsed.
 *
 *   Homeward consent notice v1
 *   case: CI-2026-0001
 *   to: ml-bamako,sn-dakar
 *   steps: 1,2,5
 *   categories: identity,travel        ("none": procedure data only)
 *   language: fr
 *   <empty line>
 *
 * Lines end with '\n'; keys in this order, each once; recipients in the
 * order given, steps ascending, categories in DataCategory order.
 */
#ifndef HOMEWARD_PROTO_NOTICE_H
#define HOMEWARD_PROTO_NOTICE_H

#include <stddef.h>
#include <stdint.h>

#define NOTICE_MAGIC            "Homeward consent notice v1"
#define NOTICE_MAX_RECIPIENTS   16
#define NOTICE_AGENCY_LEN       64
#define NOTICE_CODE_LEN         49
#define NOTICE_LANGUAGE_LEN     36
/* A notice is a page or two of text; more is not a notice. */
#define NOTICE_MAX_BYTES        65536

struct notice_head {
	char            code[NOTICE_CODE_LEN];
	char            to[NOTICE_MAX_RECIPIENTS][NOTICE_AGENCY_LEN];
	size_t          nto;
	uint32_t        steps;          /* bit (1u << step), 1..7 */
	uint32_t        categories;     /* bit (1u << DataCategory), 2..7 */
	char            language[NOTICE_LANGUAGE_LEN];
};

/* The block, with its closing empty line, into buf: its length, or -1
 * when it does not fit or a field is malformed. */
int notice_head_format(const struct notice_head *, char *buf, size_t len);
/* The block at the start of text (len bytes, not NUL-terminated): 0, or
 * -1 with *why saying what is wrong (a static string). */
int notice_head_parse(const char *text, size_t len, struct notice_head *,
    const char **why);

#endif
