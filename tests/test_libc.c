/* test_libc.c (wasm32-wasi only) - wasi-libc's own allocations go through walloc and work.
 *
 * Linked with libwalloc.a, a program must not contain dlmalloc at all: every libc function
 * that allocates (strdup, asprintf, memory streams, getline, qsort'ed tables, setenv, tsearch,
 * regcomp, %ms in scanf) must take its memory from walloc. Each test shows it twice: walloc's
 * alloc_count moves during the call, and walloc_malloc_usable_size() accepts the returned
 * block (it traps on a pointer that is not a live walloc block).
 */
#define _GNU_SOURCE
#include <regex.h>
#include <search.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "walloc.h"
#include "check.h"

#ifndef __wasm__
#error "test_libc checks wasi-libc's use of walloc; build it for wasm32-wasi"
#endif

/* wasi-libc's internal entry points (locale code calls them); walloc.h promises they are its
 * functions too. */
void *__libc_malloc(size_t size);
void __libc_free(void *ptr);
void *__libc_calloc(size_t count, size_t size);
void *__libc_realloc(void *ptr, size_t size);

static struct walloc_stats stats_now(void) {
    struct walloc_stats stats;
    walloc_get_stats(&stats);
    return stats;
}

/* Keeps the compiler from folding malloc/free pairs it knows as builtins. */
static void *volatile sink;

/* The addresses go through volatile storage: two distinct declarations compare unequal at
 * compile time, whatever the linker later makes of them. */
static int same_function(uintptr_t standard, uintptr_t walloc) {
    volatile uintptr_t seen_standard = standard, seen_walloc = walloc;
    return seen_standard == seen_walloc;
}

TEST(standard_names_are_the_walloc_functions) {
    CHECK(same_function((uintptr_t)malloc, (uintptr_t)walloc_malloc));
    CHECK(same_function((uintptr_t)free, (uintptr_t)walloc_free));
    CHECK(same_function((uintptr_t)calloc, (uintptr_t)walloc_calloc));
    CHECK(same_function((uintptr_t)realloc, (uintptr_t)walloc_realloc));
    CHECK(same_function((uintptr_t)aligned_alloc, (uintptr_t)walloc_aligned_alloc));
    CHECK(same_function((uintptr_t)posix_memalign, (uintptr_t)walloc_posix_memalign));
    CHECK(same_function((uintptr_t)memalign, (uintptr_t)walloc_memalign));
    CHECK(same_function((uintptr_t)malloc_usable_size, (uintptr_t)walloc_malloc_usable_size));
    CHECK(same_function((uintptr_t)__libc_malloc, (uintptr_t)walloc_malloc));
    CHECK(same_function((uintptr_t)__libc_free, (uintptr_t)walloc_free));
}

TEST(malloc_and_walloc_malloc_share_one_heap) {
    struct walloc_stats before = stats_now();
    sink = malloc(100);
    void *p = sink;
    struct walloc_stats allocated = stats_now();
    CHECK(allocated.alloc_count == before.alloc_count + 1);
    CHECK(walloc_malloc_usable_size(p) >= 100);
    walloc_free(p);
    CHECK(stats_now().free_count == allocated.free_count + 1);

    p = walloc_malloc(200);
    CHECK(malloc_usable_size(p) >= 200);
    struct walloc_stats live = stats_now();
    free(p);
    CHECK(stats_now().free_count == live.free_count + 1);
}

TEST(libc_internal_entry_points_are_walloc) {
    struct walloc_stats before = stats_now();
    void *p = __libc_malloc(64);
    void *q = __libc_calloc(4, 16);
    p = __libc_realloc(p, 5000);
    struct walloc_stats after = stats_now();
    CHECK(p != NULL && q != NULL);
    CHECK(after.alloc_count >= before.alloc_count + 3);
    CHECK(walloc_malloc_usable_size(p) >= 5000);
    CHECK(walloc_malloc_usable_size(q) >= 64);
    __libc_free(p);
    __libc_free(q);
    CHECK(stats_now().live_bytes == before.live_bytes);
}

TEST(strdup_and_friends_allocate_from_walloc) {
    const char *text = "walloc serves wasi-libc";
    struct walloc_stats before = stats_now();
    char *copy = strdup(text);
    char *prefix = strndup(text, 6);
    wchar_t *wide = wcsdup(L"wide");
    struct walloc_stats after = stats_now();
    CHECK(after.alloc_count == before.alloc_count + 3);
    CHECK(copy && strcmp(copy, text) == 0);
    CHECK(prefix && strcmp(prefix, "walloc") == 0);
    CHECK(wide && wcscmp(wide, L"wide") == 0);
    CHECK(walloc_malloc_usable_size(copy) >= strlen(text) + 1);
    CHECK(walloc_malloc_usable_size(wide) >= 5 * sizeof(wchar_t));
    free(copy);
    free(prefix);
    free(wide);
    CHECK(stats_now().free_count == after.free_count + 3);
}

TEST(asprintf_with_big_output) {
    enum { WIDTH = 300000 };
    struct walloc_stats before = stats_now();
    char *text = NULL;
    int length = asprintf(&text, "[%0*d]", WIDTH, 42);
    struct walloc_stats after = stats_now();
    if (!CHECK(length == WIDTH + 2 && text != NULL))
        return;
    CHECK(after.alloc_count > before.alloc_count);
    CHECK(walloc_malloc_usable_size(text) >= WIDTH + 3);
    CHECK(text[0] == '[' && text[WIDTH - 1] == '4' && text[WIDTH] == '2' && text[WIDTH + 1] == ']');
    CHECK(strspn(text + 1, "0") == WIDTH - 2);
    free(text);
}

/* open_memstream grows its buffer with realloc as the printf output comes in. */
TEST(printf_into_a_memory_stream) {
    enum { LINES = 20000 };
    struct walloc_stats before = stats_now();
    char *buffer = NULL;
    size_t size = 0;
    FILE *stream = open_memstream(&buffer, &size);
    if (!CHECK(stream != NULL))
        return;
    for (int i = 0; i < LINES; i++)
        fprintf(stream, "line %05d of the memory stream, %s\n", i, i % 2 ? "odd" : "even");
    CHECK(fclose(stream) == 0);
    struct walloc_stats after = stats_now();
    CHECK(after.alloc_count > before.alloc_count);
    if (!CHECK(buffer != NULL))
        return;
    CHECK(walloc_malloc_usable_size(buffer) > size);
    CHECK(size == strlen(buffer));
    CHECK(strncmp(buffer, "line 00000 of the memory stream, even\n", 38) == 0);
    CHECK(strstr(buffer, "line 19999 of the memory stream, odd\n") != NULL);
    free(buffer);
}

static int compare_strings(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

TEST(getline_from_a_memory_file_then_qsort) {
    static char contents[] = "pear\nfig\napple\nquince\nbanana\ncherry\n";
    FILE *stream = fmemopen(contents, strlen(contents), "r");
    if (!CHECK(stream != NULL))
        return;
    char *lines[8];
    size_t count = 0;
    char *line = NULL;
    size_t capacity = 0;
    ssize_t length;
    struct walloc_stats before = stats_now();
    while (count < 8 && (length = getline(&line, &capacity, stream)) > 0) {
        line[length - 1] = '\0';
        lines[count++] = strdup(line);
    }
    struct walloc_stats after = stats_now();
    CHECK(fclose(stream) == 0);
    CHECK(count == 6);
    CHECK(after.alloc_count >= before.alloc_count + 1 + count);
    CHECK(line != NULL && walloc_malloc_usable_size(line) >= capacity);
    free(line);
    qsort(lines, count, sizeof lines[0], compare_strings);
    const char *sorted[] = { "apple", "banana", "cherry", "fig", "pear", "quince" };
    int in_order = count == 6;
    for (size_t i = 0; i < count; i++) {
        in_order &= i < 6 && strcmp(lines[i], sorted[i]) == 0;
        free(lines[i]);
    }
    CHECK(in_order);
}

TEST(scanf_allocating_conversion) {
    char *word = NULL;
    struct walloc_stats before = stats_now();
    CHECK(sscanf("allocated-by-scanf rest", "%ms", &word) == 1);
    CHECK(stats_now().alloc_count > before.alloc_count);
    CHECK(word && strcmp(word, "allocated-by-scanf") == 0);
    CHECK(word && walloc_malloc_usable_size(word) >= 19);
    free(word);
}

TEST(setenv_copies_through_walloc) {
    struct walloc_stats before = stats_now();
    CHECK(setenv("WALLOC_TEST_VARIABLE", "some value", 1) == 0);
    CHECK(stats_now().alloc_count > before.alloc_count);
    const char *value = getenv("WALLOC_TEST_VARIABLE");
    CHECK(value && strcmp(value, "some value") == 0);
    CHECK(setenv("WALLOC_TEST_VARIABLE", "another, longer value", 1) == 0);
    value = getenv("WALLOC_TEST_VARIABLE");
    CHECK(value && strcmp(value, "another, longer value") == 0);
    CHECK(unsetenv("WALLOC_TEST_VARIABLE") == 0);
    CHECK(getenv("WALLOC_TEST_VARIABLE") == NULL);
}

static int compare_ints(const void *a, const void *b) {
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

TEST(tsearch_nodes_come_from_walloc) {
    enum { KEYS = 1000 };
    static int keys[KEYS];
    void *root = NULL;
    struct walloc_stats before = stats_now();
    for (int i = 0; i < KEYS; i++) {
        keys[i] = (i * 7919) % KEYS;
        tsearch(&keys[i], &root, compare_ints);
    }
    struct walloc_stats grown = stats_now();
    CHECK(grown.alloc_count - before.alloc_count == KEYS);
    int probe = 500;
    void *found = tfind(&probe, &root, compare_ints);
    CHECK(found && **(int **)found == 500);
    for (int i = 0; i < KEYS; i++)
        tdelete(&keys[i], &root, compare_ints);
    CHECK(root == NULL);
    CHECK(stats_now().free_count - grown.free_count == KEYS);
    CHECK(stats_now().live_bytes == before.live_bytes);
}

TEST(regcomp_and_regexec) {
    regex_t regex;
    struct walloc_stats before = stats_now();
    if (!CHECK(regcomp(&regex, "^w(al)+oc [0-9]+$", REG_EXTENDED | REG_NOSUB) == 0))
        return;
    CHECK(stats_now().alloc_count > before.alloc_count);
    CHECK(regexec(&regex, "walalaloc 2024", 0, NULL, 0) == 0);
    CHECK(regexec(&regex, "walloc 2024", 0, NULL, 0) == REG_NOMATCH);
    regfree(&regex);
    CHECK(stats_now().live_bytes == before.live_bytes);
}

static const struct test_entry tests[] = {
    TEST_ENTRY(standard_names_are_the_walloc_functions),
    TEST_ENTRY(malloc_and_walloc_malloc_share_one_heap),
    TEST_ENTRY(libc_internal_entry_points_are_walloc),
    TEST_ENTRY(strdup_and_friends_allocate_from_walloc),
    TEST_ENTRY(asprintf_with_big_output),
    TEST_ENTRY(printf_into_a_memory_stream),
    TEST_ENTRY(getline_from_a_memory_file_then_qsort),
    TEST_ENTRY(scanf_allocating_conversion),
    TEST_ENTRY(setenv_copies_through_walloc),
    TEST_ENTRY(tsearch_nodes_come_from_walloc),
    TEST_ENTRY(regcomp_and_regexec),
};

int main(int argc, char **argv) {
    return check_main(tests, TEST_COUNT(tests), argc, argv, check_heap_is_consistent);
}
