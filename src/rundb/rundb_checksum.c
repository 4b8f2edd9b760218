/* rundb_checksum.c: the xxh3-64 of a file's content, read in fixed-size
 * chunks so any file size takes the same memory. It does not stat or cache:
 * rundb_input_register decides when hashing is needed. */
#define XXH_STATIC_LINKING_ONLY   /* XXH3_state_t on the stack: no hidden malloc */
#include <xxhash.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "jf_alloc.h"
#include "rundb.h"

#define RUNDB_HASH_CHUNK (256 * 1024)   /* bytes per read(2); large enough for disk speed */

/* Feeds the whole of fd to state. @return JF_OK or JF_EIO with the offset. */
static JfStatus checksum_feed(int fd, const char *path, XXH3_state_t *state, uint8_t *buf,
                              uint64_t *total, JfError *err)
{
    for (;;) {
        ssize_t n = read(fd, buf, RUNDB_HASH_CHUNK);
        if (n == 0) return JF_OK;
        if (n < 0) {
            if (errno == EINTR) continue;
            return jf_error_set(err, JF_EIO, path, *total, "cannot read input: %s",
                                strerror(errno));
        }
        XXH3_64bits_update(state, buf, (size_t)n);
        *total += (uint64_t)n;
    }
}

JfStatus rundb_file_checksum(const char *path, char hex[17], uint64_t *size, JfError *err)
{
    hex[0] = '\0';
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return jf_error_set(err, JF_EIO, path, JF_OFFSET_UNKNOWN, "cannot open input: %s",
                            strerror(errno));
    JfStatus st = JF_OK;
    uint8_t *buf = jf_malloc(RUNDB_HASH_CHUNK);
    if (!buf) {
        st = jf_error_set(err, JF_ENOMEM, path, JF_OFFSET_UNKNOWN, "out of memory for checksum");
        goto out_close;
    }
    XXH3_state_t state;
    XXH3_INITSTATE(&state);
    XXH3_64bits_reset(&state);
    uint64_t total = 0;
    st = checksum_feed(fd, path, &state, buf, &total, err);
    if (st == JF_OK) {
        snprintf(hex, 17, "%016llx", (unsigned long long)XXH3_64bits_digest(&state));
        if (size) *size = total;
    }
    jf_free(buf);
out_close:
    close(fd);
    return st;
}
