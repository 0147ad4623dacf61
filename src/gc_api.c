/* gc_api.c - the bdwgc API (include/gc.h) over the collector: when a collection runs and what
 * it does in which order, the allocation entry points, explicit free and realloc, figures and
 * settings, warnings and collection events. */
#include "gc.h"
#include "collector.h"
#include "pages.h"
#include "platform.h"
#include "report.h"

/* A collection waits for at least this much allocation, so a small heap is not collected
 * after every few objects. */
#define WL_GC_MIN_TRIGGER ((size_t)256 << 10)

static void default_warn(char *message, GC_word value);
static void set_trigger(void);

void wl_gc_setup(void) {
    if (wl_gc.ready) return;
    wl_lock();
    if (!wl_heap.ready) wl_heap_init();
    wl_unlock();
    wl_gc.ready = 1;
    wl_gc.free_space_divisor = 3;
    set_trigger();
    wl_gc.all_interior = 1;
    if (!wl_gc.warn) wl_gc.warn = default_warn;
    wl_gc_blacklist_static_data();
}

void GC_init(void) { wl_gc_setup(); }

/* The next collection comes after allocating twice the surviving heap over the divisor: with
 * bdwgc's default 3, two thirds of it. Measured on bench/gc: as much as survived (three over
 * the divisor) took GCBench from 63 collections to 44 and 1.35 times less time, but the heap
 * of the false-retention run to 1.13 times bdwgc's; twice as much matched bdwgc's 31
 * collections and took list churn to 93 % of bdwgc's memory. Memory is the promise. */
static void set_trigger(void) {
    size_t bytes = wl_gc.heap_after / wl_gc.free_space_divisor * 2;
    wl_gc.trigger = bytes > WL_GC_MIN_TRIGGER ? bytes : WL_GC_MIN_TRIGGER;
}


static void event(GC_EventType e) {
    if (wl_gc.on_event) wl_gc.on_event(e);
}

/* The frames a collection is about to push are laid where earlier calls (a finalizer, the
 * last allocation, any function of the program) left their values, and binaryen's
 * --spill-pointers gives each function slots it writes only at some of its calls: scanned
 * unwritten, they would retain whatever those values point to. So the entry points zero the
 * stack below their caller's frame before the collector's frames are there. This function
 * calls nothing (memory.fill is an instruction here), so the pass gives it no slots of its own
 * right below the caller, and returns its argument, so that a caller passing a value through
 * it keeps nothing across the call either. */
#define WL_GC_STACK_CLEAR 4096u

/* Without AddressSanitizer's redzones around the array, which it would leave unwritten. The
 * empty asm tells the compiler the zeroes are used, so it keeps them. */
__attribute__((noinline, no_sanitize("address"))) WL_BULK_MEMORY size_t wl_gc_clear_stack(size_t value) {
    unsigned char area[WL_GC_STACK_CLEAR];
    __builtin_memset(area, 0, sizeof area);
    __asm__ volatile("" : : "r"(area) : "memory");
    return value;
}

static __attribute__((noinline)) void collect(void);

void wl_gc_collect(void) {
    if (!wl_gc.ready) wl_gc_setup();
    if (wl_gc.collecting || wl_gc.disabled) return;
    wl_gc_clear_stack(0);
    collect();
}

static void collect(void) {
    wl_gc.collecting = 1;
    event(GC_EVENT_START);
    event(GC_EVENT_MARK_START);
    wl_gc_mark_roots();
    wl_gc_mark_drain();
    wl_gc_clear_dead_links();
    wl_gc_queue_finalizers();
    event(GC_EVENT_MARK_END);
    event(GC_EVENT_RECLAIM_START);
    size_t freed = wl_gc_sweep();
    wl_gc_forget_freed();
    event(GC_EVENT_RECLAIM_END);
    wl_gc.reclaimed_before += wl_gc.reclaimed_last;
    wl_gc.reclaimed_last = freed;
    wl_gc.heap_after = wl_heap.gc_bytes;
    set_trigger();
    wl_gc.allocated_before += wl_gc.allocated_since;
    wl_gc.allocated_since = 0;
    wl_gc.freed_since = 0;
    wl_gc.gc_no++;
    wl_gc.collecting = 0;
    event(GC_EVENT_END);
    if (!wl_gc_ready_count()) return;
    if (!wl_gc.finalize_on_demand) GC_invoke_finalizers();
    else if (wl_gc.finalizer_notifier) wl_gc.finalizer_notifier();
}

void GC_gcollect(void) {
    wl_gc_clear_stack(0);
    wl_gc_collect();
}
void GC_gcollect_and_unmap(void) { GC_gcollect(); }

void *GC_malloc(size_t size) { return wl_gc_alloc_inline(size, WL_GC_NORMAL); }
void *GC_malloc_atomic(size_t size) { return wl_gc_alloc_inline(size, WL_GC_ATOMIC); }
void *GC_malloc_uncollectable(size_t size) { return wl_gc_alloc(size, WL_GC_UNCOLLECTABLE, 0); }
void *GC_malloc_atomic_uncollectable(size_t size) { return wl_gc_alloc(size, WL_GC_ATOMIC_UNCOLLECTABLE, 0); }
void *GC_malloc_ignore_off_page(size_t size) { return wl_gc_alloc(size, WL_GC_NORMAL, 1); }
void *GC_malloc_atomic_ignore_off_page(size_t size) { return wl_gc_alloc(size, WL_GC_ATOMIC, 1); }
void *GC_malloc_kind(size_t size, int k) {
    return k == GC_I_PTRFREE ? wl_gc_alloc_inline(size, WL_GC_ATOMIC) : wl_gc_alloc_inline(size, WL_GC_NORMAL);
}

/* The live object `p` starts, with its span and block; NULL when `p` is no object's start. */
static struct span *object_of(const void *p, size_t *usable, unsigned *index) {
    wl_off off = wl_off_of(p);
    struct span *s = wl_gc_span_of(off);
    if (!s || wl_gc_object_at(s, off, usable, index) != off) return NULL;
    return s;
}

void GC_free(void *p) {
    if (!p) return;
    size_t usable;
    unsigned index;
    struct span *s = object_of(p, &usable, &index);
    if (!s) {
        /* Freed: a free block of a collector span, or, as free() judges it, the first byte of
         * a page of free heap memory (a large object's span went back whole). */
        wl_off off = wl_off_of(p);
        struct span *gc = wl_gc_span_of(off);
        int freed = gc ? gc->size_class != WL_GC_LARGE_CLASS &&
                             (off - wl_span_start(gc)) % wl_classes[gc->size_class].size == 0
                       : (off & (WL_SLICE_SIZE - 1)) == 0 && wl_is_free_memory(off);
        wl_fatal(freed ? "double GC_free" : "invalid GC_free", p);
    }
    wl_gc_forget_object((uintptr_t)p);
    wl_gc_free_object(s, index);
}

void *GC_realloc(void *p, size_t size) {
    if (!p) return GC_malloc(size);
    if (!size) {
        GC_free(p);
        return NULL;
    }
    size_t usable;
    unsigned index;
    struct span *s = object_of(p, &usable, &index);
    if (!s) wl_fatal("invalid GC_realloc", p);
    if (size <= usable && size >= usable / 2) {
        __builtin_memset((char *)p + size, 0, usable - size);
        return p;
    }
    unsigned kind = s->gc_kind & WL_GC_KIND_MASK;
    void *moved = wl_gc_alloc(size, kind == WL_GC_TYPED ? WL_GC_NORMAL : kind, (s->gc_kind & WL_GC_OFF_PAGE) != 0);
    if (!moved) return NULL;
    __builtin_memcpy(moved, p, size < usable ? size : usable);
    GC_free(p);
    return moved;
}

char *GC_strndup(const char *s, size_t n) {
    size_t length = 0;
    while (length < n && s[length]) length++;
    char *copy = GC_malloc_atomic(length + 1);
    if (copy) __builtin_memcpy(copy, s, length);
    return copy;
}

char *GC_strdup(const char *s) { return GC_strndup(s, SIZE_MAX); }

void *GC_base(void *p) {
    size_t size;
    unsigned index;
    wl_off off = wl_off_of(p);
    struct span *s = wl_gc_span_of(off);
    wl_off start = s ? wl_gc_object_at(s, off, &size, &index) : 0;
    return start ? wl_ptr_of(start) : NULL;
}

size_t GC_size(const void *p) {
    size_t usable;
    unsigned index;
    return object_of(p, &usable, &index) ? usable : 0;
}

int GC_is_heap_ptr(const void *p) { return wl_gc_span_of(wl_off_of(p)) != NULL; }

size_t GC_get_heap_size(void) { return wl_heap.gc_bytes; }
size_t GC_get_free_bytes(void) { return wl_gc.free_in_spans; }
size_t GC_get_total_bytes(void) { return wl_gc.total_allocated; }
size_t GC_get_bytes_since_gc(void) { return wl_gc.allocated_since; }
size_t GC_get_gc_no(void) { return wl_gc.gc_no; }
size_t GC_get_unmapped_bytes(void) { return 0; }

size_t GC_get_obtained_from_os_bytes(void) {
    struct walloc_stats s;
    walloc_get_stats(&s);
    return s.heap_bytes;
}

void GC_get_heap_usage_safe(GC_word *heap_size, GC_word *free_bytes, GC_word *unmapped_bytes, GC_word *bytes_since_gc,
                            GC_word *total_bytes) {
    if (heap_size) *heap_size = GC_get_heap_size();
    if (free_bytes) *free_bytes = GC_get_free_bytes();
    if (unmapped_bytes) *unmapped_bytes = 0;
    if (bytes_since_gc) *bytes_since_gc = GC_get_bytes_since_gc();
    if (total_bytes) *total_bytes = GC_get_total_bytes();
}

size_t GC_get_prof_stats(struct GC_prof_stats_s *stats, size_t stats_sz) {
    struct walloc_stats heap;
    walloc_get_stats(&heap);
    struct GC_prof_stats_s all = {
        .heapsize_full = wl_heap.gc_bytes,
        .free_bytes_full = wl_gc.free_in_spans,
        .bytes_allocd_since_gc = wl_gc.allocated_since,
        .allocd_bytes_before_gc = wl_gc.allocated_before,
        .non_gc_bytes = heap.live_bytes,
        .gc_no = wl_gc.gc_no,
        .bytes_reclaimed_since_gc = wl_gc.reclaimed_last,
        .reclaimed_bytes_before_gc = wl_gc.reclaimed_before,
        .expl_freed_bytes_since_gc = wl_gc.freed_since,
        .obtained_from_os_bytes = heap.heap_bytes,
    };
    size_t n = stats_sz < sizeof all ? stats_sz : sizeof all;
    __builtin_memcpy(stats, &all, n);
    return n;
}

void GC_set_max_heap_size(GC_word n) { wl_gc.max_heap = n; }

int wl_gc_expand(size_t bytes) {
    uint64_t slices = ((uint64_t)bytes + WL_SLICE_SIZE - 1) >> WL_SLICE_SHIFT;
    if (!slices || slices > WL_MAX_SLICES) return 0;
    /* Taken and given back at once: the pages stay in the pool, the memory stays grown. */
    struct span *s = wl_span_alloc((uint32_t)slices, 1, SPAN_LARGE);
    if (!s) return 0;
    wl_span_release(s);
    return 1;
}

int GC_expand_hp(size_t bytes) {
    if (!wl_gc.ready) wl_gc_setup();
    wl_lock();
    int grown = wl_gc_expand(bytes);
    wl_unlock();
    return grown;
}

void GC_enable(void) {
    if (wl_gc.disabled) wl_gc.disabled--;
}
void GC_disable(void) { wl_gc.disabled++; }
int GC_is_disabled(void) { return wl_gc.disabled != 0; }

void GC_set_free_space_divisor(GC_word value) {
    wl_gc_setup();
    wl_gc.free_space_divisor = value ? value : 1;
    set_trigger();
}
GC_word GC_get_free_space_divisor(void) { return wl_gc.ready ? wl_gc.free_space_divisor : 3; }
void GC_set_all_interior_pointers(int value) {
    wl_gc_setup();
    wl_gc.all_interior = value != 0;
}
int GC_get_all_interior_pointers(void) { return wl_gc.ready ? wl_gc.all_interior : 1; }

void GC_set_finalize_on_demand(int value) { wl_gc.finalize_on_demand = value != 0; }
int GC_get_finalize_on_demand(void) { return wl_gc.finalize_on_demand; }
void GC_set_finalizer_notifier(GC_finalizer_notifier_proc fn) { wl_gc.finalizer_notifier = fn; }
GC_finalizer_notifier_proc GC_get_finalizer_notifier(void) { return wl_gc.finalizer_notifier; }
void GC_set_java_finalization(int value) { wl_gc.java_finalization = value != 0; }
int GC_get_java_finalization(void) { return wl_gc.java_finalization; }

void GC_set_on_collection_event(GC_on_collection_event_proc fn) { wl_gc.on_event = (void (*)(int))fn; }
GC_on_collection_event_proc GC_get_on_collection_event(void) { return (GC_on_collection_event_proc)wl_gc.on_event; }

/* Warnings are formats with one "%lu" for their argument, as bdwgc's are. */
static void default_warn(char *message, GC_word value) {
    char text[160], digits[24];
    size_t at = 0;
    int n = 0;
    do {
        digits[n++] = (char)('0' + value % 10);
        value /= 10;
    } while (value);
    for (const char *c = message; *c && at < sizeof text - 24; c++) {
        if (c[0] == '%' && c[1] == 'l' && c[2] == 'u') {
            while (n) text[at++] = digits[--n];
            c += 2;
        } else {
            text[at++] = *c;
        }
    }
    wl_platform_write_error(text, at);
}

void GC_ignore_warn_proc(char *message, GC_word value) { (void)message, (void)value; }
void GC_set_warn_proc(GC_warn_proc fn) {
    wl_gc_setup();
    wl_gc.warn = fn ? fn : default_warn;
}
GC_warn_proc GC_get_warn_proc(void) { return wl_gc.warn ? wl_gc.warn : default_warn; }

void wl_gc_warn(const char *message, uintptr_t value) {
    wl_gc_setup();
    wl_gc.warn((char *)message, value);
}
