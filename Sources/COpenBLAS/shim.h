#ifndef KIMI_SFT_COPENBLAS_SHIM_H
#define KIMI_SFT_COPENBLAS_SHIM_H
#include <cblas.h>
#endif
