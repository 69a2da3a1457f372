/*
 * fuzz_vendor.c -- libFuzzer entry point for the vendor text parsers
 * (FEI INI, Zeiss SmartSEM, ImageJ description) on raw text, without a
 * TIFF around it.  Uses the private parsers of formats/src.
 */
#include <stdint.h>
#include <stdlib.h>

#include "fmt_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *t = (const char *)data;
    fib__kv kv = {0};
    fib_fmt_meta m;
    fib_fmt_meta_init(&m);
    fib__fei_parse(t, size, 1000, &kv, &m);
    fib_fmt_meta_init(&m);
    fib__zeiss_parse(t, size, &kv, &m);
    double unit;
    size_t images;
    fib_fmt_meta_init(&m);
    fib__imagej_parse(t, size, &kv, &m, &unit, &images);
    fib__kv_free(&kv);
    return 0;
}
