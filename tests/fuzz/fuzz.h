/* fuzz.h: what the fuzz targets share. Each fuzz_<name>.c defines
 * LLVMFuzzerTestOneInput for one parser of outside data; built with clang
 * and -DJF_FUZZ=ON they are libFuzzer programs, and with any compiler they
 * link with replay_main.c, which ctest runs over the seed corpus in
 * tests/fuzz/corpus/<name>/ (label fuzz). */
#ifndef JF_FUZZ_H
#define JF_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Puts data in an anonymous in-memory file and writes a path naming it
 * ("/proc/self/fd/N") into path, for parsers that open files.
 * @return the descriptor (close it when done) or -1. */
int fuzz_memfile(const uint8_t *data, size_t size, char *path, size_t cap);

#endif
