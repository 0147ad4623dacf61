/* fuzz.h - what the two halves of the fuzz_heap target share: fuzz_heap.c (the input loop,
 * the malloc-family and tier operations and their shadow model) and fuzz_gc.c (collector
 * operations on the same heap and their model). */
#ifndef WALLOC_FUZZ_H
#define WALLOC_FUZZ_H

#include <stddef.h>
#include <stdint.h>

struct input {
    const uint8_t *data;
    size_t left;
};

/* fuzz_heap.c */
_Noreturn void broken(const char *what, const void *p, size_t size);
uint8_t next_byte(struct input *in);
/* A request size, weighted toward small ones; `touching`: the caller writes the block. */
size_t next_size(struct input *in, int touching);
/* A failed allocation: broken unless it failed with ENOMEM where failing is allowed. */
void failed(int error, size_t size, size_t alignment);
/* A new block (malloc, tier or collector) shares no byte with any block a model holds. */
void check_no_overlap(const unsigned char *p, size_t size);
void check_heap(void);
extern int grow_refused;

/* fuzz_gc.c: the collector's operations, one opcode each after the malloc and tier ones. */
enum gc_op {
    GC_OP_ALLOC, GC_OP_REALLOC, GC_OP_FREE, GC_OP_DROP, GC_OP_ATTACH, GC_OP_COLLECT,
    GC_OP_FINALIZER, GC_OP_LINK, GC_OP_SETTING, GC_OP_COUNT
};
void gc_begin_input(void);
void gc_op(enum gc_op op, size_t slot, struct input *in);
void gc_end_input(void);
/* Broken when [p, p + size) overlaps an object the collector model holds. */
void gc_check_apart(const unsigned char *p, size_t size);

#endif
