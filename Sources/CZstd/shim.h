#ifndef KIMI_SFT_CZSTD_SHIM_H
#define KIMI_SFT_CZSTD_SHIM_H
#include <zstd.h>
#endif
