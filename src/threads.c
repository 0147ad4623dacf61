/* threads.c - the threads build's slow paths (threads.h): filling and emptying a thread's
 * stacks under the lock, the list of enrolled threads the stats read, and a thread's exit. */
#include "threads.h"
#include "pages.h"
#include "platform.h"

#if defined(WALLOC_THREADS)

_Thread_local struct wl_thread wl_self;
WL_STATE static struct wl_thread *enrolled;
WL_STATE static struct wl_thread *owners[WL_OWNERS]; /* by number; [0] stays NULL */

int wl_thread_keeps(struct span *s) {
    struct wl_thread *t = owners[s->owner];
    if (!t) {
        s->owner = 0;
        return 0;
    }
    wl_ring_add(&t->partial[s->size_class], s);
    s->group = WL_GROUP_OWNED;
    return 1;
}

int wl_thread_lets_go(struct span *s) {
    if (s->group != WL_GROUP_OWNED) return 0;
    wl_ring_remove(&owners[s->owner]->partial[s->size_class], s);
    return 1;
}

/* A span for the next refill of class `cls`: the thread's own with free blocks first, then one
 * from the class (a span nobody owns, or a new one), which becomes the thread's. */
static struct span *next_serving(struct wl_thread *t, unsigned cls) {
    struct span *s = t->partial[cls];
    if (s) wl_ring_remove(&t->partial[cls], s);
    else if (!(s = wl_small_adopt(cls))) return NULL;
    s->group = WL_GROUP_THREAD;
    s->owner = t->number;
    return s;
}

/* An enrolled thread's stacks have a depth (enroll sets every one to 2 or more). */
static int enrolled_thread(const struct wl_thread *t) { return t->depth[0] != 0; }

static void enroll(struct wl_thread *t) {
    for (unsigned cls = 0; cls < WL_CACHED_CLASSES; cls++) {
        uint32_t fit = WL_CACHE_BYTES / wl_classes[cls].size;
        t->depth[cls] = (uint8_t)(fit > WL_CACHE_DEPTH ? WL_CACHE_DEPTH : fit < 2 ? 2 : fit);
    }
    t->number = 0;
    for (unsigned n = 1; n < WL_OWNERS && !t->number; n++)
        if (!owners[n]) owners[t->number = (uint8_t)n] = t;
    t->prev = NULL;
    t->next = enrolled;
    if (enrolled) enrolled->prev = t;
    enrolled = t;
    wl_platform_on_thread_exit(walloc_thread_exit);
}

static void withdraw(struct wl_thread *t) {
    if (t->prev) t->prev->next = t->next;
    else enrolled = t->next;
    if (t->next) t->next->prev = t->prev;
    t->next = t->prev = NULL;
    for (unsigned cls = 0; cls < WL_CACHED_CLASSES; cls++) t->depth[cls] = 0;
}

unsigned wl_thread_refill(unsigned cls) {
    struct wl_thread *t = &wl_self;
    wl_lock();
    /* The class sizes that set the depths are known once the heap is; a heap that cannot start
     * leaves the thread unenrolled, and malloc's locked path reports ENOMEM. */
    if (!enrolled_thread(t) && (wl_heap.ready || wl_heap_init())) enroll(t);
    unsigned n = 0, want = t->depth[cls] / 2u;
    while (n < want) {
        struct span *s = t->serving[cls];
        if (!s && !(s = t->serving[cls] = next_serving(t, cls))) break;
        n += wl_small_take_many(s, &t->blocks[cls][n], want - n);
        if (s->group == WL_GROUP_FULL) t->serving[cls] = NULL;
    }
    WL_OWN_STORE(t->count[cls], (uint8_t)n);
    wl_unlock();
    return n;
}

/* Gives the `n` oldest blocks of the stack of `cls` back to the heap; they stay claimed, as
 * every free block is. */
static void give_back(struct wl_thread *t, unsigned cls, unsigned n) {
    struct recent_block *stack = t->blocks[cls];
    for (unsigned i = 0; i < n; i++) wl_small_free(stack[i].span, stack[i].index);
    unsigned left = t->count[cls] - n;
    for (unsigned i = 0; i < left; i++) stack[i] = stack[n + i];
    WL_OWN_STORE(t->count[cls], (uint8_t)left);
    WL_OWN_STORE(t->spills, t->spills + n);
}

void wl_thread_spill(struct span *s, unsigned index) {
    struct wl_thread *t = &wl_self;
    unsigned cls = s->size_class;
    wl_lock();
    if (!enrolled_thread(t)) enroll(t);
    if (t->count[cls] >= t->depth[cls]) give_back(t, cls, t->depth[cls] / 2u);
    t->blocks[cls][t->count[cls]] = (struct recent_block){ s, index };
    WL_OWN_STORE(t->count[cls], (uint8_t)(t->count[cls] + 1));
    WL_OWN_STORE(t->pushes, t->pushes + 1);
    wl_unlock();
}

void walloc_thread_exit(void) {
    struct wl_thread *t = &wl_self;
    if (!enrolled_thread(t)) return;
    wl_lock();
    for (unsigned cls = 0; cls < WL_CACHED_CLASSES; cls++) give_back(t, cls, t->count[cls]);
    /* Then its spans become nobody's before they are listed again, so that they join their
     * class's groups; full ones keep the number, and pass to whoever gets it next. */
    if (t->number) owners[t->number] = NULL;
    for (unsigned cls = 0; cls < WL_CACHED_CLASSES; cls++) {
        if (t->serving[cls]) {
            t->serving[cls]->owner = 0;
            wl_small_disown(t->serving[cls]);
            t->serving[cls] = NULL;
        }
        for (struct span *s; (s = t->partial[cls]);) {
            wl_ring_remove(&t->partial[cls], s);
            s->owner = 0;
            wl_small_disown(s);
        }
    }
    /* With its stacks empty the thread's share of the counts is pushes - spills each. */
    wl_heap.alloc_count += t->pushes - t->spills;
    wl_heap.free_count += t->pushes - t->spills;
    WL_OWN_STORE(t->pushes, 0);
    WL_OWN_STORE(t->spills, 0);
    withdraw(t);
    wl_unlock();
}

void wl_thread_totals(struct wl_thread_totals *out) {
    *out = (struct wl_thread_totals){ 0 };
    for (const struct wl_thread *t = enrolled; t; t = t->next) {
        for (unsigned cls = 0; cls < WL_CACHED_CLASSES; cls++) {
            size_t n = __atomic_load_n(&t->count[cls], __ATOMIC_RELAXED);
            out->cached_blocks += n;
            out->cached_bytes += n * wl_classes[cls].size;
            out->owned_spans += t->serving[cls] != NULL;
            const struct span *head = t->partial[cls], *s = head;
            if (s) do out->owned_spans++; while ((s = s->next) != head);
        }
        out->pushes += __atomic_load_n(&t->pushes, __ATOMIC_RELAXED);
        out->spills += __atomic_load_n(&t->spills, __ATOMIC_RELAXED);
    }
}

int wl_thread_check_span(const struct span *s, size_t *cached) {
    if ((s->group == WL_GROUP_THREAD || s->group == WL_GROUP_OWNED) && !owners[s->owner])
        return wl_check_failed(-97, "span kept for a thread that left", wl_span_start(s));
    for (unsigned w = 0; w < WL_BITMAP_WORDS; w++) {
        uint64_t claimed = __atomic_load_n(&s->claimed_bits[w], __ATOMIC_RELAXED);
        if (s->free_bits[w] & ~claimed) return wl_check_failed(-90, "free block not claimed", wl_span_start(s));
        *cached += (size_t)__builtin_popcountll(claimed & ~s->free_bits[w]);
    }
    return 0;
}

int wl_thread_check_own(void) {
    const struct wl_thread *t = &wl_self;
    for (unsigned cls = 0; cls < WL_CACHED_CLASSES; cls++) {
        if (t->count[cls] > t->depth[cls]) return wl_check_failed(-91, "thread cache overflows", 0);
        const struct span *own = t->serving[cls];
        if (own && (own->kind != SPAN_SMALL || own->size_class != cls || own->group != WL_GROUP_THREAD ||
                    own->owner != t->number))
            return wl_check_failed(-95, "bad span serving a thread cache", wl_span_start(own));
        const struct span *head = t->partial[cls], *s = head;
        if (s) do {
                if (s->kind != SPAN_SMALL || s->size_class != cls || s->group != WL_GROUP_OWNED ||
                    s->owner != t->number || s->next->prev != s || !s->free_blocks)
                    return wl_check_failed(-96, "bad span in a thread's ring", wl_span_start(s));
            } while ((s = s->next) != head);
        for (unsigned i = 0; i < t->count[cls]; i++) {
            const struct recent_block *b = &t->blocks[cls][i];
            const struct span *s = b->span;
            if (!s || s->kind != SPAN_SMALL || s->size_class != cls || b->index >= wl_classes[cls].blocks ||
                wl_map_get(s->first) != s || wl_small_is_free(s, b->index) || !wl_thread_is_claimed(s, b->index))
                return wl_check_failed(-92, "bad block in a thread cache", s ? wl_span_start(s) : 0);
            for (unsigned j = 0; j < i; j++)
                if (t->blocks[cls][j].span == s && t->blocks[cls][j].index == b->index)
                    return wl_check_failed(-93, "block held twice in a thread cache", wl_span_start(s));
        }
    }
    return 0;
}

#else

/* Single-threaded builds keep no blocks per thread. */
void walloc_thread_exit(void) {}

#endif
