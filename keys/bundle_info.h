/*
 * The agency part of a bundle, for bundle.c: verify a received AgencyInfo
 * and its signature.  Its field rules and the signing side are declared in
 * bundle.h (bundle_agency_id_problem, bundle_sign_agency).
 */
#ifndef HOMEWARD_KEYS_BUNDLE_INFO_H
#define HOMEWARD_KEYS_BUNDLE_INFO_H

#include <stddef.h>
#include <stdint.h>

#include "keys/bundle.h"

/*
 * Steps 4 and 5 of PROTOCOL.md 14.3: sig (siglen bytes) must verify under
 * rik over the received info bytes, then info must parse as an AgencyInfo
 * whose every field is valid and whose rik is this rik.  ENV1_OK with *ai
 * filled, or a reason with why (BUNDLE_WHY_LEN) naming the field.
 */
int bundle_info_verify(const uint8_t rik[ENV1_KEY_LEN], const uint8_t *info,
    size_t infolen, const uint8_t *sig, size_t siglen, struct agency_info *ai,
    char *why);

#endif
