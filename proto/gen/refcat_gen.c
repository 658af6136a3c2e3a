/*
 * Build-time generator of the data category table (proto/refcat_table.h).
 *
 *	refcat_gen referral.desc > refcat_table.c
 *
 * protoc-c 1.4 drops custom options from the code it generates, so the
 * `(homeward.referral.category)` option of each field is read here from
 * the FileDescriptorSet protoc writes (--descriptor_set_out
 * --include_imports).  Our compiled descriptor.proto does not know the
 * extension, so it reaches us as an unknown field of FieldOptions (field
 * 50101, a varint).
 *
 * This is the build-time check of the categories: it fails, naming every
 * such field, when a field of a message of package homeward.referral has no
 * category, CATEGORY_UNSPECIFIED, or a value the DataCategory enum does not
 * declare.  A field nobody classified must never reach the consent gate.
 */
#include <err.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "google/protobuf/descriptor.pb-c.h"

#define PACKAGE         "homeward.referral"
#define CATEGORY_ENUM   "DataCategory"
#define CATEGORY_OPTION 50101u
#define DESC_MAX        (16u << 20)     /* ours is about 16 KiB */
#define BITS_MAX        32              /* categories are bits of a uint32_t */

struct entry {
	char           *message;        /* full name, malloc'ed */
	const char     *field_name;     /* in the unpacked set */
	uint32_t        field;
	uint32_t        category;
};

struct table {
	struct entry   *v;
	size_t          n, cap;
	uint32_t        declared;       /* bit c set: DataCategory declares c */
	int             errors;
};

static unsigned char *
load(const char *path, size_t *len)
{
	FILE *f;
	unsigned char *buf;
	size_t n;

	if ((f = fopen(path, "rb")) == NULL)
		err(1, "%s", path);
	if ((buf = malloc(DESC_MAX)) == NULL)
		err(1, "malloc");
	n = fread(buf, 1, DESC_MAX, f);
	if (ferror(f))
		err(1, "%s", path);
	if (!feof(f))
		errx(1, "%s: larger than %u bytes", path, DESC_MAX);
	fclose(f);
	*len = n;
	return buf;
}

/* The value of the category option, or -1 when the field has none (or
 * one whose varint does not decode).  Repeated occurrences: the last wins,
 * as for any protobuf scalar. */
static int64_t
option_category(const Google__Protobuf__FieldOptions *o)
{
	int64_t cat = -1;

	if (o == NULL)
		return -1;
	for (unsigned i = 0; i < o->base.n_unknown_fields; i++) {
		const ProtobufCMessageUnknownField *u =
		    &o->base.unknown_fields[i];
		uint64_t v = 0;
		size_t j;

		if (u->tag != CATEGORY_OPTION)
			continue;
		if (u->wire_type != PROTOBUF_C_WIRE_TYPE_VARINT)
			return -1;
		for (j = 0; j < u->len && j < 10; j++) {
			v |= (uint64_t)(u->data[j] & 0x7f) << (7 * j);
			if ((u->data[j] & 0x80) == 0)
				break;
		}
		if (j == u->len || j == 10)
			return -1;
		/* An enum is an int32 on the wire: negative values are ten
		 * bytes long and never declared. */
		cat = v > INT32_MAX ? INT64_MAX : (int64_t)v;
	}
	return cat;
}

static void
add(struct table *t, const char *message,
    const Google__Protobuf__FieldDescriptorProto *f)
{
	int64_t cat = option_category(f->options);
	struct entry *e;

	if (cat < 0) {
		warnx("%s.%s (field %d) has no data category", message,
		    f->name, f->number);
		t->errors++;
		return;
	}
	if (cat == 0) {
		warnx("%s.%s (field %d) has CATEGORY_UNSPECIFIED", message,
		    f->name, f->number);
		t->errors++;
		return;
	}
	if (cat >= BITS_MAX || (t->declared & (1u << cat)) == 0) {
		warnx("%s.%s (field %d) has category %lld, which %s does not "
		    "declare", message, f->name, f->number, (long long)cat,
		    CATEGORY_ENUM);
		t->errors++;
		return;
	}
	if (t->n == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 64;
		if ((t->v = reallocarray(t->v, t->cap, sizeof(*t->v))) == NULL)
			err(1, "reallocarray");
	}
	e = &t->v[t->n++];
	if ((e->message = strdup(message)) == NULL)
		err(1, "strdup");
	e->field_name = f->name;
	e->field = (uint32_t)f->number;
	e->category = (uint32_t)cat;
}

static void
visit(struct table *t, const char *prefix,
    const Google__Protobuf__DescriptorProto *m)
{
	char *name;

	if (asprintf(&name, "%s.%s", prefix, m->name) == -1)
		err(1, "asprintf");
	for (size_t i = 0; i < m->n_field; i++)
		add(t, name, m->field[i]);
	for (size_t i = 0; i < m->n_nested_type; i++)
		visit(t, name, m->nested_type[i]);
	free(name);
}

/* The values DataCategory declares, as bits; 0 when the package has no
 * such enum (then every field fails, which says what is wrong). */
static uint32_t
declared_categories(const Google__Protobuf__FileDescriptorSet *set)
{
	uint32_t bits = 0;

	for (size_t i = 0; i < set->n_file; i++) {
		const Google__Protobuf__FileDescriptorProto *fd = set->file[i];

		if (fd->package == NULL || strcmp(fd->package, PACKAGE) != 0)
			continue;
		for (size_t j = 0; j < fd->n_enum_type; j++) {
			const Google__Protobuf__EnumDescriptorProto *e =
			    fd->enum_type[j];

			if (strcmp(e->name, CATEGORY_ENUM) != 0)
				continue;
			for (size_t k = 0; k < e->n_value; k++) {
				int32_t v = e->value[k]->number;

				if (v < 0 || v >= BITS_MAX)
					errx(1, "%s.%s: value %d does not fit "
					    "a 32-bit mask", PACKAGE,
					    CATEGORY_ENUM, v);
				bits |= 1u << v;
			}
		}
	}
	return bits;
}

static int
entry_cmp(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	int c = strcmp(x->message, y->message);

	if (c != 0)
		return c;
	return x->field < y->field ? -1 : x->field > y->field;
}

static void
emit(const struct table *t, const char *src)
{
	printf("/* Generated by proto/gen/refcat_gen.c from %s: "
	    "do not edit. */\n"
	    "#include \"proto/refcat_table.h\"\n\n"
	    "const struct refcat_entry refcat_table[] = {\n", src);
	for (size_t i = 0; i < t->n; i++)
		printf("\t{ \"%s\", %u, %u },\t/* %s */\n", t->v[i].message,
		    t->v[i].field, t->v[i].category, t->v[i].field_name);
	printf("};\n\n"
	    "const size_t refcat_table_len = %zu;\n", t->n);
	if (fflush(stdout) != 0 || ferror(stdout))
		err(1, "stdout");
}

int
main(int argc, char **argv)
{
	Google__Protobuf__FileDescriptorSet *set;
	struct table t = { 0 };
	unsigned char *buf;
	size_t len;

	if (argc != 2) {
		fprintf(stderr, "usage: refcat_gen file.desc > table.c\n");
		return 2;
	}
	buf = load(argv[1], &len);
	if ((set = google__protobuf__file_descriptor_set__unpack(NULL, len,
	    buf)) == NULL)
		errx(1, "%s: not a FileDescriptorSet", argv[1]);
	free(buf);

	t.declared = declared_categories(set);
	for (size_t i = 0; i < set->n_file; i++) {
		const Google__Protobuf__FileDescriptorProto *fd = set->file[i];

		if (fd->package == NULL || strcmp(fd->package, PACKAGE) != 0)
			continue;
		for (size_t j = 0; j < fd->n_message_type; j++)
			visit(&t, PACKAGE, fd->message_type[j]);
	}
	if (t.errors > 0)
		errx(1, "%s: %d field(s) of %s without a valid data category",
		    argv[1], t.errors, PACKAGE);
	if (t.n == 0)
		errx(1, "%s: no message fields in package %s", argv[1],
		    PACKAGE);
	qsort(t.v, t.n, sizeof(*t.v), entry_cmp);
	/* refcat.c looks fields up with bsearch: keys must be unique. */
	for (size_t i = 1; i < t.n; i++)
		if (entry_cmp(&t.v[i - 1], &t.v[i]) == 0)
			errx(1, "%s: field %u twice", t.v[i].message,
			    t.v[i].field);
	emit(&t, "proto/referral.proto");

	for (size_t i = 0; i < t.n; i++)
		free(t.v[i].message);
	free(t.v);
	google__protobuf__file_descriptor_set__free_unpacked(set, NULL);
	return 0;
}
