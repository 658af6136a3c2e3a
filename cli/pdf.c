/*
 * A printed document (pdf.h): blocks of text set with pango on A4 pages
 * of a cairo PDF surface.  Pango shapes every script (Arabic joined and
 * right to left, set by the paragraph direction the language gives) and
 * falls back to whichever installed font has the glyphs; the fonts come
 * from Debian's fonts-noto-core and fonts-dejavu-core.
 *
 * Laid out twice: once to count the pages, once to draw them, so that
 * every page can say "page 2 of 3".  Pagination is per line, so a long
 * paragraph continues on the next page.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cairo-pdf.h>
#include <pango/pangocairo.h>

#include "cli/cli.h"
#include "cli/pdf.h"
#include "common/fileio.h"
#include "common/i18n.h"

#define PAGE_W          595.276         /* A4, points */
#define PAGE_H          841.890
#define MARGIN          56.0
#define TEXT_W          (PAGE_W - 2 * MARGIN)
#define BODY_TOP        (MARGIN + 30.0)
#define BODY_BOTTOM     (PAGE_H - MARGIN - 24.0)
#define FAMILIES        "Noto Sans, Noto Naskh Arabic, DejaVu Sans"
#define FONT_TITLE      FAMILIES " Bold 18"
#define FONT_HEADING    FAMILIES " Bold 12.5"
#define FONT_TEXT       FAMILIES " 10.5"
#define FONT_SMALL      "DejaVu Sans Mono, Noto Sans Mono 7.5"
#define FONT_MARGIN     FAMILIES " 8"

struct block {
	enum pdf_block  kind;
	char           *text;
};

struct pdf_doc {
	const struct pdf_lang  *lang;
	char                   *title, *agency, *code;
	struct block           *v;
	size_t                  n, cap;
	int                     oom;
};

/* One pass over the blocks: counting (cr draws nothing) or drawing. */
struct pass {
	const struct pdf_doc   *doc;
	cairo_t                *cr;
	int                     draw;
	int                     page, pages;
	double                  y;
};

struct pdf_doc *
pdf_new(const struct pdf_lang *lang, const char *title, const char *agency,
    const char *case_code)
{
	struct pdf_doc *d;

	if ((d = calloc(1, sizeof(*d))) == NULL ||
	    (d->title = strdup(title)) == NULL ||
	    (d->agency = strdup(agency)) == NULL ||
	    (d->code = strdup(case_code)) == NULL) {
		pdf_free(d);
		cli_warnx(_("out of memory"));
		return NULL;
	}
	d->lang = lang;
	return d;
}

void
pdf_free(struct pdf_doc *d)
{
	if (d == NULL)
		return;
	for (size_t i = 0; i < d->n; i++)
		free(d->v[i].text);
	free(d->v);
	free(d->title);
	free(d->agency);
	free(d->code);
	free(d);
}

int
pdf_add(struct pdf_doc *d, enum pdf_block kind, const char *fmt, ...)
{
	struct block *grown;
	va_list ap;
	char *s;
	int n;

	if (d->oom)
		return -1;
	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		goto oom;
	if (d->n == d->cap) {
		if ((grown = reallocarray(d->v, d->cap ? d->cap * 2 : 32,
		    sizeof(*grown))) == NULL) {
			free(s);
			goto oom;
		}
		d->v = grown;
		d->cap = d->cap ? d->cap * 2 : 32;
	}
	d->v[d->n].kind = kind;
	d->v[d->n++].text = s;
	return 0;
oom:
	d->oom = 1;
	return -1;
}

/* A layout of text in font, width w, in the document's direction: ids
 * and fingerprints in right-to-left text are left-to-right runs of it. */
static PangoLayout *
layout_new(const struct pass *p, const char *text, const char *font, double w)
{
	PangoFontDescription *fd = pango_font_description_from_string(font);
	PangoLayout *l = pango_cairo_create_layout(p->cr);
	PangoContext *ctx = pango_layout_get_context(l);

	pango_context_set_language(ctx, pango_language_from_string(
	    p->doc->lang->tag));
	pango_context_set_base_dir(ctx, p->doc->lang->rtl ?
	    PANGO_DIRECTION_RTL : PANGO_DIRECTION_LTR);
	pango_layout_context_changed(l);
	pango_layout_set_auto_dir(l, FALSE);
	pango_layout_set_font_description(l, fd);
	pango_font_description_free(fd);
	pango_layout_set_width(l, (int)(w * PANGO_SCALE));
	pango_layout_set_wrap(l, PANGO_WRAP_WORD_CHAR);
	/* Right to left, "left" is the paragraph's start: its right edge. */
	pango_layout_set_alignment(l, PANGO_ALIGN_LEFT);
	pango_layout_set_text(l, text, -1);
	return l;
}

/* One line of text at y, in the page margin (header, footer). */
static void
margin_line(struct pass *p, const char *text, double y, PangoAlignment align)
{
	PangoLayout *l = layout_new(p, text, FONT_MARGIN, TEXT_W);

	pango_layout_set_alignment(l, align);
	cairo_set_source_rgb(p->cr, 0.35, 0.35, 0.35);
	cairo_move_to(p->cr, MARGIN, y);
	pango_cairo_show_layout(p->cr, l);
	cairo_set_source_rgb(p->cr, 0, 0, 0);
	g_object_unref(l);
}

static void
page_frame(struct pass *p)
{
	const struct pdf_lang *lang = p->doc->lang;
	char line[512];

	if (!p->draw)
		return;
	snprintf(line, sizeof(line), "%s  \xc2\xb7  %s %s", p->doc->agency,
	    pdf_tr(lang, T_("Case")), p->doc->code);
	margin_line(p, line, MARGIN - 14, PANGO_ALIGN_LEFT);
	cairo_set_line_width(p->cr, 0.5);
	cairo_move_to(p->cr, MARGIN, MARGIN + 2);
	cairo_line_to(p->cr, PAGE_W - MARGIN, MARGIN + 2);
	cairo_stroke(p->cr);
	snprintf(line, sizeof(line), pdf_tr(lang, T_("Page %d of %d")), p->page,
	    p->pages);
	margin_line(p, line, PAGE_H - MARGIN, PANGO_ALIGN_CENTER);
}

static void
new_page(struct pass *p)
{
	if (p->draw && p->page > 0)
		cairo_show_page(p->cr);
	p->page++;
	p->y = BODY_TOP;
	page_frame(p);
}

/* Place l's lines from p->y on, breaking pages between lines. */
static void
place(struct pass *p, PangoLayout *l, double indent)
{
	PangoLayoutIter *it = pango_layout_get_iter(l);
	PangoRectangle r;
	double h;
	int base;

	do {
		pango_layout_iter_get_line_extents(it, NULL, &r);
		base = pango_layout_iter_get_baseline(it);
		h = (double)r.height / PANGO_SCALE;
		if (p->y + h > BODY_BOTTOM)
			new_page(p);
		if (p->draw) {
			cairo_move_to(p->cr, MARGIN + indent + (double)r.x / PANGO_SCALE,
			    p->y + (double)(base - r.y) / PANGO_SCALE);
			pango_cairo_show_layout_line(p->cr,
			    pango_layout_iter_get_line_readonly(it));
		}
		p->y += h;
	} while (pango_layout_iter_next_line(it));
	pango_layout_iter_free(it);
}

static void
run(struct pass *p)
{
	const struct pdf_doc *d = p->doc;
	PangoLayout *l;

	p->page = 0;
	new_page(p);
	l = layout_new(p, d->title, FONT_TITLE, TEXT_W);
	place(p, l, 0);
	g_object_unref(l);
	p->y += 14;
	for (size_t i = 0; i < d->n; i++) {
		const struct block *b = &d->v[i];

		if (b->kind == PDF_HEADING) {
			/* A heading never ends a page. */
			if (p->y + 60 > BODY_BOTTOM)
				new_page(p);
			else
				p->y += 10;
		}
		l = layout_new(p, b->text, b->kind == PDF_HEADING ? FONT_HEADING :
		    b->kind == PDF_SMALL ? FONT_SMALL : FONT_TEXT, TEXT_W);
		place(p, l, 0);
		g_object_unref(l);
		p->y += b->kind == PDF_HEADING ? 4 : b->kind == PDF_SMALL ? 3 : 6;
	}
	p->pages = p->page;
}

struct sink {
	uint8_t        *buf;
	size_t          len, cap;
};

static cairo_status_t
sink_write(void *arg, const unsigned char *data, unsigned int n)
{
	struct sink *s = arg;
	uint8_t *grown;

	if (s->len + n > s->cap) {
		size_t cap = s->cap ? s->cap : 65536;

		while (cap < s->len + n)
			cap *= 2;
		if ((grown = realloc(s->buf, cap)) == NULL)
			return CAIRO_STATUS_NO_MEMORY;
		s->buf = grown;
		s->cap = cap;
	}
	memcpy(s->buf + s->len, data, n);
	s->len += n;
	return CAIRO_STATUS_SUCCESS;
}

int
pdf_write(struct pdf_doc *d, const char *path)
{
	struct sink sink = { NULL, 0, 0 };
	struct pass p = { d, NULL, 0, 0, 0, 0 };
	cairo_surface_t *sf;
	cairo_status_t st;
	int rc = -1;

	if (d->oom) {
		cli_warnx(_("out of memory"));
		return -1;
	}
	sf = cairo_pdf_surface_create_for_stream(sink_write, &sink, PAGE_W, PAGE_H);
	cairo_pdf_surface_set_metadata(sf, CAIRO_PDF_METADATA_TITLE, d->title);
	cairo_pdf_surface_set_metadata(sf, CAIRO_PDF_METADATA_CREATOR,
	    "homeward " HOMEWARD_VERSION);
	p.cr = cairo_create(sf);
	run(&p);                        /* counts the pages */
	p.draw = 1;
	run(&p);
	cairo_show_page(p.cr);
	cairo_destroy(p.cr);
	cairo_surface_finish(sf);
	st = cairo_surface_status(sf);
	cairo_surface_destroy(sf);
	if (st != CAIRO_STATUS_SUCCESS)
		cli_warnx(_("cannot make the PDF: %s"), cairo_status_to_string(st));
	else if ((rc = fileio_write_atomic(path, sink.buf, sink.len, 0600, 1)) != 0)
		cli_warn_errno(-rc, _("cannot write %s"), path);
	free(sink.buf);
	return st == CAIRO_STATUS_SUCCESS && rc == 0 ? 0 : -1;
}

int
pdf_text(struct pdf_doc *d, const char *prefix, char **buf, size_t *len)
{
	FILE *f;

	*buf = NULL;
	*len = 0;
	if (d->oom || (f = open_memstream(buf, len)) == NULL) {
		cli_warnx(_("out of memory"));
		return -1;
	}
	fprintf(f, "%s%s\n%s\n%s %s\n", prefix, d->title, d->agency,
	    pdf_tr(d->lang, T_("Case")), d->code);
	for (size_t i = 0; i < d->n; i++)
		fprintf(f, "%s%s\n", d->v[i].kind == PDF_HEADING ? "\n" : "",
		    d->v[i].text);
	if (fclose(f) != 0) {
		free(*buf);
		*buf = NULL;
		*len = 0;
		cli_warnx(_("out of memory"));
		return -1;
	}
	return 0;
}
