/* pumpd/version.h — the version pumpd prints (ptm and ptmctl print the same). */
#ifndef PTM_PUMPD_VERSION_H
#define PTM_PUMPD_VERSION_H
#ifndef PTM_VERSION
#define PTM_VERSION "0.3.0"
#endif
#endif
