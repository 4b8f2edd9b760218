/* words_check.h: the cmocka assertion that two word tables are the same
 * (words, order, counts), shared by the counting and sampling tests.
 * Include after cmocka.h and bpe_words.h. */
#ifndef JF_WORDS_CHECK_H
#define JF_WORDS_CHECK_H

static inline void tables_equal(const BpeWords *a, const BpeWords *b)
{
    assert_int_equal(a->n, b->n);
    for (size_t i = 0; i < a->n; i++) {
        assert_int_equal(a->w[i].count, b->w[i].count);
        assert_int_equal(a->w[i].len, b->w[i].len);
        assert_memory_equal(bpe_words_text(a, i), bpe_words_text(b, i), a->w[i].len);
    }
}

#endif
