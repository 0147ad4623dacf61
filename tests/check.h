/* check.h - the smallest test framework that serves the walloc suite, native and wasm32-wasi.
 *
 * A test is a `void name(void)` declared with TEST(name) and listed in a table of TEST_ENTRY
 * rows; check_main() runs the table (or only the tests named on the command line), prints one
 * line per failed CHECK and ends with exactly `N passed, M failed`. CHECK never stops a test,
 * but it yields the truth of its condition, so a test can bail out where going on would only
 * dereference a NULL: `if (!CHECK(p != NULL)) return;`.
 *
 * Everything is static and header-only: each test program is one translation unit.
 */
#ifndef WALLOC_TESTS_CHECK_H
#define WALLOC_TESTS_CHECK_H

#include <stdio.h>
#include <string.h>

#include "walloc.h"

struct test_entry {
    const char *name;
    void (*run)(void);
};

#define TEST(name) static void name(void)
#define TEST_ENTRY(name) { #name, name }
#define CHECK(cond) check_record((cond) != 0, #cond, __FILE__, __LINE__)
#define TEST_COUNT(table) (sizeof(table) / sizeof((table)[0]))

static unsigned long check_passed_count;
static unsigned long check_failed_count;
static const char *check_current_test = "";

static inline int check_record(int ok, const char *expression, const char *file, int line) {
    if (ok) {
        check_passed_count++;
    } else {
        check_failed_count++;
        printf("%s:%d: %s: CHECK(%s) failed\n", file, line, check_current_test, expression);
    }
    return ok;
}

/* A test that checks nothing cannot fail, so it is reported as a failure of its own. */
static inline void check_run_one(const struct test_entry *test, void (*after_each)(void)) {
    unsigned long before = check_passed_count + check_failed_count;
    check_current_test = test->name;
    test->run();
    if (after_each)
        after_each();
    if (check_passed_count + check_failed_count == before)
        check_record(0, "the test checked something", __FILE__, __LINE__);
}

/* Prints the closing line and returns the exit status: for programs that do not use
 * check_main because their arguments are not test names. */
static inline int check_summary(void) {
    printf("%lu passed, %lu failed\n", check_passed_count, check_failed_count);
    fflush(stdout);
    return check_failed_count > 0;
}

static inline int check_selected(const char *name, int argc, char **argv) {
    if (argc <= 1)
        return 1;
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], name) == 0)
            return 1;
    return 0;
}

/* Runs the tests (all of them, or those named in argv), calls after_each (may be NULL) after
 * every test, prints the summary and returns the exit status. An unknown name in argv is a
 * failure, so a typo cannot turn into a silent pass. */
static inline int check_main(const struct test_entry *tests, size_t count, int argc, char **argv,
                      void (*after_each)(void)) {
    for (int i = 1; i < argc; i++) {
        int known = 0;
        for (size_t t = 0; t < count; t++)
            known |= strcmp(argv[i], tests[t].name) == 0;
        if (!known) {
            check_current_test = argv[i];
            check_record(0, "the test named on the command line exists", __FILE__, __LINE__);
        }
    }
    for (size_t t = 0; t < count; t++)
        if (check_selected(tests[t].name, argc, argv))
            check_run_one(&tests[t], after_each);
    return check_summary();
}

/* The after_each hook of the heap tests: the whole heap must still be consistent. */
static inline void check_heap_is_consistent(void) {
    CHECK(walloc_check() == 0);
}

#endif
