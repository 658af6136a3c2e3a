/*
 * A protobuf-c allocator whose free wipes what it frees.  Decoded
 * referral documents hold names, health and travel data; protobuf-c's
 * default allocator hands them back to the heap as they are.  Whatever is
 * unpacked with it must be freed with it.
 */
#ifndef HOMEWARD_PROTO_PBWIPE_H
#define HOMEWARD_PROTO_PBWIPE_H

#include <protobuf-c/protobuf-c.h>

extern ProtobufCAllocator pbwipe_allocator;

#endif
