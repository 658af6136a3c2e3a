/*
 * The names operators type and read for the referral procedure
 * (proto/referral.proto): steps, data categories, consent methods, sex,
 * case codes, and which document type each msg_type carries.  Pure
 * functions over the generated enums, with no I/O, so that the parsers are
 * unit-tested alone (tests/unit/test_cli_parse.c).
 */
#ifndef HOMEWARD_CLI_REFNAMES_H
#define HOMEWARD_CLI_REFNAMES_H

#include <stddef.h>
#include <stdint.h>

#include "proto/referral.pb-c.h"

/* Steps 1..7 are the document's msg_type (referral.proto, enum Step). */
#define REFNAMES_STEP_MAX       7
/* Bits (1 << step) of every step. */
#define REFNAMES_STEPS_ALL      0xfeu
/* Bits (1 << DataCategory) of every category a consent covers: identity to
 * reintegration.  CATEGORY_CASE is procedure data and needs no consent. */
#define REFNAMES_CATEGORIES_ALL 0xfcu
#define REFNAMES_CASE_CODE_MAX  48
/* Long enough for every name of a mask joined by commas. */
#define REFNAMES_LIST_BUFLEN    128

/*
 * A comma-separated list, or "all", into a mask of bits.  Steps are their
 * number (1-7) or name (request, confirmation, reintegration,
 * reintegration-confirmation, departure, arrival, follow-up); categories
 * their name (identity, profile, health, security, travel,
 * reintegration).  Case-sensitive; no empty items, no repeats.  0 with
 * *mask set, or -1.
 */
int refnames_steps_parse(const char *list, uint32_t *mask);
int refnames_categories_parse(const char *list, uint32_t *mask);

/* written, oral, oral-interpreted.  0 or -1. */
int refnames_method_parse(const char *s, Homeward__Referral__ConsentMethod *out);
/* female, male, other.  0 or -1. */
int refnames_sex_parse(const char *s, Homeward__Referral__Sex *out);
/* 1-48 of letters, digits, '-', '_', '.', '/' (control.proto CaseOpen).
 * 0 or -1. */
int refnames_check_case_code(const char *s);

/* Names for output; "?" for a value without one. */
const char *refnames_step_name(uint32_t step);
const char *refnames_category_name(uint32_t category);
const char *refnames_method_name(Homeward__Referral__ConsentMethod);
/* The names of a mask's bits joined by commas ("identity,travel"), "none"
 * for 0; unnamed bits as their number. */
const char *refnames_mask_format(uint32_t mask, const char *(*name)(uint32_t),
    char *buf, size_t len);

/* The document a msg_type carries (1..7, 0x101, 0x102), or NULL. */
const ProtobufCMessageDescriptor *refnames_doc_descriptor(uint32_t msg_type);

#endif
