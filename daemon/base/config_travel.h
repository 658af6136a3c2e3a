/*
 * The travel sections of homewardd.conf, for config.c: [travel] for every
 * partner and [travel "AGENCY"] for the arrivals at one partner agency
 * (config.h, struct config_travel).  The rest of config.c does not know
 * their keys; this file does not know the rest of the file.
 */
#ifndef HOMEWARD_DAEMON_BASE_CONFIG_TRAVEL_H
#define HOMEWARD_DAEMON_BASE_CONFIG_TRAVEL_H

#include <stddef.h>

#include "daemon/base/config.h"

/* The defaults of [travel] (seed 004): 06:00-15:00, Saturday and Sunday
 * off, one transit, 72 hours' notice, no holidays. */
void config_travel_defaults(struct config_travel *);

/* Whether a section is a travel section: "travel", or one that starts
 * "travel " or "travel." (a partner's, perhaps misspelt). */
int config_travel_section(const char *section);

/* One name = value of a travel section into cfg.  0, or -1 with why
 * saying what is wrong (the caller adds "FILE:LINE: "). */
int config_travel_entry(struct config *, const char *section,
    const char *name, const char *value, char *why, size_t whylen);

/* After the whole file: every partner's section takes [travel]'s value
 * for each key it left out, and each section's hours are checked.  0, or
 * -1 with why. */
int config_travel_finish(struct config *, char *why, size_t whylen);

#endif
