/*
 * util/version.h — the version of ptm, ptmctl and pumpd, in one place.
 * Each prints it for --version as "PROGRAM VERSION".  The Makefile reads
 * the line below (make version); keep it a plain #define of a string.
 */
#ifndef PTM_UTIL_VERSION_H
#define PTM_UTIL_VERSION_H

#define PTM_VERSION "0.1.0"

#endif
