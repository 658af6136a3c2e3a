/*
 * The field -> data category table of referral.proto, generated at build
 * time (proto/gen/refcat_gen.c writes $(BUILD)/proto/refcat_table.c)
 * because protoc-c 1.4 drops custom options from the code it generates.
 * Only proto/refcat.c reads it; everything else goes through refcat.h.
 */
#ifndef HOMEWARD_PROTO_REFCAT_TABLE_H
#define HOMEWARD_PROTO_REFCAT_TABLE_H

#include <stddef.h>
#include <stdint.h>

struct refcat_entry {
	const char     *message;        /* full name: "homeward.referral.Profile" */
	uint32_t        field;          /* field number */
	uint32_t        category;       /* a DataCategory value, never 0 */
};

/* Every field of every message of package homeward.referral, sorted by
 * message (strcmp) then field number. */
extern const struct refcat_entry refcat_table[];
extern const size_t refcat_table_len;

#endif
