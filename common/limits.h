/*
 * The size limits of ENV1 that more than the crypto checks: the largest
 * body and the largest envelope.  The framing (proto/frame.h) sizes its caps
 * from them and the programs refuse an oversized document early; keys/env1.h
 * includes this header, derives its layout's lengths and checks
 * ENV1_OVERHEAD against them.  docs/PROTOCOL.md section 2 names each number.
 */
#ifndef HOMEWARD_COMMON_LIMITS_H
#define HOMEWARD_COMMON_LIMITS_H

#define ENV1_MAX_INLINE         (1u << 20)                              /* 1 MiB body */
#define ENV1_OVERHEAD           602                                     /* envelope size minus body size */
#define ENV1_ENVELOPE_MAX       (ENV1_MAX_INLINE + ENV1_OVERHEAD)       /* largest envelope record */

#endif
