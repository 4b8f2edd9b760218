/* test_stream.c: one decompressed stream over plain, gzip (several members),
 * zstd (several frames) and bzip2 (several streams) files: the same lines
 * with the same offsets from each; truncation and trailing garbage reported
 * as JF_ETRUNC after every good line; long lines skipped. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <bzlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "jf_alloc.h"
#include "jf_stream.h"

static char g_path[] = "/tmp/jf-test-stream-XXXXXX";
static char *g_text;
static size_t g_len;

typedef size_t Compressor(const char *in, size_t n, uint8_t *out, size_t cap);

static size_t gz(const char *in, size_t n, uint8_t *out, size_t cap)
{
    z_stream z = { 0 };
    deflateInit2(&z, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY);
    z.next_in = (Bytef *)in, z.avail_in = (uInt)n, z.next_out = out, z.avail_out = (uInt)cap;
    deflate(&z, Z_FINISH);
    size_t made = cap - z.avail_out;
    deflateEnd(&z);
    return made;
}

static size_t zs(const char *in, size_t n, uint8_t *out, size_t cap)
{
    return ZSTD_compress(out, cap, in, n, 3);
}

static size_t bz(const char *in, size_t n, uint8_t *out, size_t cap)
{
    unsigned int len = (unsigned int)cap;
    BZ2_bzBuffToBuffCompress((char *)out, &len, (char *)in, (unsigned int)n, 9, 0, 0);
    return len;
}

static size_t plain(const char *in, size_t n, uint8_t *out, size_t cap)
{
    (void)cap;
    memcpy(out, in, n);
    return n;
}

static size_t g_live;   /* the last read_lines' most bytes held by the stream */

/* Writes the text (its first len bytes; 0: all) in two units
 * (members/frames/streams), split mid-line. */
static size_t write_prefix(Compressor *c, size_t cut_tail, size_t len)
{
    if (len == 0) len = g_len;
    size_t cap = len * 2 + 4096, half = len / 2 + 3;
    uint8_t *buf = malloc(cap);
    size_t n = c(g_text, half, buf, cap);
    n += c(g_text + half, len - half, buf + n, cap - n);
    FILE *f = fopen(g_path, "wb");
    fwrite(buf, 1, n - cut_tail, f);
    fclose(f);
    free(buf);
    return n;
}

static size_t write_file(Compressor *c, size_t cut_tail) { return write_prefix(c, cut_tail, 0); }

/* Reads every line; checks it against the text. @return lines read; *last the final status. */
static size_t read_lines(JfStatus *last)
{
    size_t before = jf_alloc_live_bytes();
    JfStream *s;
    JfError err;
    assert_int_equal(jf_stream_open(g_path, &s, &err), JF_OK);
    JfBuf line;
    jf_buf_init(&line, 0);
    uint64_t off;
    size_t count = 0, pos = 0;
    JfStatus rc;
    g_live = 0;
    while ((rc = jf_stream_line(s, &line, 1 << 20, &off, &err)) == JF_ROW) {
        if (jf_alloc_live_bytes() - before - line.cap > g_live)
            g_live = jf_alloc_live_bytes() - before - line.cap;
        assert_int_equal(off, pos);
        const char *nl = memchr(g_text + pos, '\n', g_len - pos);
        size_t len = nl ? (size_t)(nl - (g_text + pos)) : g_len - pos;
        assert_int_equal(line.len, len);
        assert_memory_equal(line.data, g_text + pos, len);
        pos += len + 1;
        count++;
    }
    *last = rc;
    jf_buf_free(&line);
    jf_stream_close(s);
    return count;
}

static void every_codec_gives_the_same_lines(void **state)
{
    (void)state;
    Compressor *cs[] = { plain, gz, zs, bz };
    JfCodec want[] = { JF_CODEC_PLAIN, JF_CODEC_GZIP, JF_CODEC_ZSTD, JF_CODEC_BZIP2 };
    for (int i = 0; i < 4; i++) {
        write_file(cs[i], 0);
        JfStream *s;
        JfError err;
        assert_int_equal(jf_stream_open(g_path, &s, &err), JF_OK);
        assert_int_equal(jf_stream_codec(s), want[i]);
        jf_stream_close(s);
        JfStatus last;
        assert_int_equal(read_lines(&last), 20000);
        assert_int_equal(last, JF_DONE);
    }
}

/* A small file costs buffers of about its size, not 2 x 256 KiB; a small file
 * that decompresses to much more, or grows after open, is still read whole. */
static void small_files_get_small_buffers(void **state)
{
    (void)state;
    Compressor *cs[] = { plain, gz, zs, bz };
    size_t small = 0;
    for (int i = 0; i < 300; i++) small = (size_t)(strchr(g_text + small, '\n') - g_text) + 1;
    for (int i = 0; i < 4; i++) {
        write_prefix(cs[i], 0, small);
        JfStatus last;
        assert_int_equal(read_lines(&last), 300);
        assert_int_equal(last, JF_DONE);
        assert_true(g_live < 64 * 1024);
    }
    /* 20,000 lines in a few KiB of gzip: the window is refilled, not outgrown */
    char *same = malloc(g_len + 1);
    for (size_t i = 0; i < g_len; i++) same[i] = (char)((i % 40 == 39) ? '\n' : 'a');
    char *keep = g_text;
    g_text = same;
    write_file(gz, 0);
    JfStatus last;
    assert_int_equal(read_lines(&last), (g_len + 39) / 40);
    assert_int_equal(last, JF_DONE);
    g_text = keep;
    free(same);
    /* lines appended after open are read too */
    write_prefix(plain, 0, small);
    JfStream *s;
    JfError err;
    assert_int_equal(jf_stream_open(g_path, &s, &err), JF_OK);
    FILE *f = fopen(g_path, "ab");
    fwrite(g_text + small, 1, g_len - small, f);
    fclose(f);
    JfBuf line;
    jf_buf_init(&line, 0);
    uint64_t off;
    size_t n = 0;
    while (jf_stream_line(s, &line, 1 << 20, &off, &err) == JF_ROW) n++;
    assert_int_equal(n, 20000);
    jf_buf_free(&line);
    jf_stream_close(s);
}

static void truncation_is_reported_after_the_good_lines(void **state)
{
    (void)state;
    Compressor *cs[] = { gz, zs, bz };
    for (int i = 0; i < 3; i++) {
        write_file(cs[i], 50);
        JfStatus last;
        size_t n = read_lines(&last);
        assert_true(n > 10000 && n < 20000);
        assert_int_equal(last, JF_ETRUNC);
    }
}

static void garbage_after_a_member_is_reported(void **state)
{
    (void)state;
    write_file(gz, 0);
    FILE *f = fopen(g_path, "ab");
    fputs("not gzip at all", f);
    fclose(f);
    JfStatus last;
    assert_int_equal(read_lines(&last), 20000);
    assert_int_equal(last, JF_ETRUNC);
}

static void long_lines_are_skipped(void **state)
{
    (void)state;
    FILE *f = fopen(g_path, "wb");
    fputs("short\n", f);
    for (int i = 0; i < 100000; i++) fputc('x', f);
    fputs("\nafter\n", f);
    fclose(f);
    JfStream *s;
    JfError err;
    assert_int_equal(jf_stream_open(g_path, &s, &err), JF_OK);
    JfBuf line;
    jf_buf_init(&line, 0);
    uint64_t off;
    assert_int_equal(jf_stream_line(s, &line, 1000, &off, &err), JF_ROW);
    assert_int_equal(jf_stream_line(s, &line, 1000, &off, &err), JF_ETOOBIG);
    assert_int_equal(err.offset, 6);
    assert_int_equal(jf_stream_line(s, &line, 1000, &off, &err), JF_ROW);
    assert_string_equal((char *)line.data, "after");
    assert_int_equal(jf_stream_line(s, &line, 1000, &off, &err), JF_DONE);
    jf_buf_free(&line);
    jf_stream_close(s);
}

static int setup(void **state)
{
    (void)state;
    int fd = mkstemp(g_path);
    if (fd < 0) return -1;
    g_text = malloc(20000 * 40);
    g_len = 0;
    for (int i = 0; i < 20000; i++)
        g_len += (size_t)sprintf(g_text + g_len, "{\"id\":%d,\"text\":\"行 %d\"}\n", i, i * 7);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    remove(g_path);
    free(g_text);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_codec_gives_the_same_lines),
        cmocka_unit_test(truncation_is_reported_after_the_good_lines),
        cmocka_unit_test(garbage_after_a_member_is_reported),
        cmocka_unit_test(long_lines_are_skipped),
        cmocka_unit_test(small_files_get_small_buffers),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
