/* gc_final.c - finalizers and disappearing links (weak references).
 *
 * Both tables live in malloc's memory, which the collector never scans, and hold addresses as
 * plain integers: registering an object never keeps it alive.
 *
 * Order of a collection, after marking from the roots:
 *  1. links whose target is unmarked are cleared (bdwgc's "short" links: a target kept only for
 *     its finalizer is gone for them);
 *  2. each unmarked finalizable object has what it points to marked (not itself, and for
 *     GC_register_finalizer_ignore_self not through pointers to itself; nothing for _no_order),
 *     so an object reachable from another finalizable one waits for that one's finalizer first;
 *  3. those still unmarked are ready: they leave the table and are marked, with what they
 *     reach, to survive until their finalizer has run. A cycle of finalizable objects is never
 *     finalized, as in bdwgc.
 * Ready objects are roots until their finalizer runs, at the end of the collection or, with
 * GC_set_finalize_on_demand(1), when the program calls GC_invoke_finalizers. */
#include "gc.h"
#include "collector.h"

enum order { ORDERED, IGNORE_SELF, NO_ORDER };

struct finalizer {
    uintptr_t object;
    GC_finalization_proc fn;
    void *data;
    enum order order;
};

struct link {
    uintptr_t where;   /* the address of the pointer to clear */
    uintptr_t object;  /* its target */
};

/* A growable array in malloc's memory. */
struct table {
    void *items;
    size_t count, capacity;
};

WL_STATE static struct table finalizers, ready, links;
WL_STATE static int running_finalizers;

static void *slot(struct table *t, size_t size, size_t i) { return (char *)t->items + i * size; }

static void *append(struct table *t, size_t size) {
    if (t->count == t->capacity) {
        size_t wanted = t->capacity ? t->capacity * 2 : 32;
        void *bigger = walloc_realloc(t->items, wanted * size);
        if (!bigger) return NULL;
        t->items = bigger;
        t->capacity = wanted;
    }
    return slot(t, size, t->count++);
}

static void remove_at(struct table *t, size_t size, size_t i) {
    t->count--;
    if (i != t->count) __builtin_memcpy(slot(t, size, i), slot(t, size, t->count), size);
}

static struct span *live_span(uintptr_t object) { return wl_gc_span_of((wl_off)(object - wl_memory_base)); }

static int object_marked(uintptr_t object) {
    struct span *s = live_span(object);
    return !s || wl_gc_is_marked(s, (wl_off)(object - wl_memory_base));
}

static void register_finalizer(void *obj, GC_finalization_proc fn, void *cd, GC_finalization_proc *ofn,
                               void **ocd, enum order order) {
    uintptr_t object = (uintptr_t)GC_base(obj);
    if (ofn) *ofn = NULL;
    if (ocd) *ocd = NULL;
    if (!object) return;
    struct finalizer *f = NULL;
    for (size_t i = 0; i < finalizers.count && !f; i++) {
        struct finalizer *at = slot(&finalizers, sizeof *at, i);
        if (at->object == object) f = at;
    }
    if (f) {
        if (ofn) *ofn = f->fn;
        if (ocd) *ocd = f->data;
        if (!fn) {
            remove_at(&finalizers, sizeof *f, (size_t)(f - (struct finalizer *)finalizers.items));
            return;
        }
    } else if (!fn || !(f = append(&finalizers, sizeof *f))) {
        if (fn) wl_gc_warn("walloc GC: no memory to register a finalizer for %lu\n", object);
        return;
    }
    *f = (struct finalizer){ object, fn, cd, order };
}

void GC_register_finalizer(void *obj, GC_finalization_proc fn, void *cd, GC_finalization_proc *ofn, void **ocd) {
    register_finalizer(obj, fn, cd, ofn, ocd, ORDERED);
}

void GC_register_finalizer_ignore_self(void *obj, GC_finalization_proc fn, void *cd, GC_finalization_proc *ofn,
                                       void **ocd) {
    register_finalizer(obj, fn, cd, ofn, ocd, IGNORE_SELF);
}

void GC_register_finalizer_no_order(void *obj, GC_finalization_proc fn, void *cd, GC_finalization_proc *ofn,
                                    void **ocd) {
    register_finalizer(obj, fn, cd, ofn, ocd, NO_ORDER);
}

/* Queues what the finalizable object `f` points to; IGNORE_SELF keeps it marked meanwhile, so
 * pointers to itself lead nowhere. */
static void mark_reachable_from(const struct finalizer *f) {
    struct span *s = live_span(f->object);
    wl_off start = (wl_off)(f->object - wl_memory_base);
    if (!s) return;
    if (f->order == IGNORE_SELF) {
        wl_gc_mark_and_push(s, start);
        wl_gc_mark_drain();
        size_t size;
        unsigned index;
        if (wl_gc_object_at(s, start, &size, &index))
            s->gc.marks[index >> 6] &= ~((uint64_t)1 << (index & 63));
        return;
    }
    wl_gc_push_children(s, start);
    wl_gc_mark_drain();
}

void wl_gc_queue_finalizers(void) {
    for (size_t i = 0; i < finalizers.count; i++) {
        struct finalizer *f = slot(&finalizers, sizeof *f, i);
        if (f->order != NO_ORDER && !object_marked(f->object)) mark_reachable_from(f);
    }
    for (size_t i = 0; i < finalizers.count;) {
        struct finalizer *f = slot(&finalizers, sizeof *f, i);
        if (object_marked(f->object)) {
            i++;
            continue;
        }
        struct finalizer *r = append(&ready, sizeof *r);
        if (!r) {
            /* No room to queue it: it stays registered and alive, for the next collection. */
            wl_gc_mark_and_push(live_span(f->object), (wl_off)(f->object - wl_memory_base));
            i++;
            continue;
        }
        *r = *f;
        remove_at(&finalizers, sizeof *f, i);
    }
    wl_gc_mark_ready();
    wl_gc_mark_drain();
}

void wl_gc_mark_ready(void) {
    for (size_t i = 0; i < ready.count; i++) {
        struct finalizer *r = slot(&ready, sizeof *r, i);
        struct span *s = live_span(r->object);
        if (s) wl_gc_mark_and_push(s, (wl_off)(r->object - wl_memory_base));
    }
}

size_t wl_gc_ready_count(void) { return ready.count; }

int GC_should_invoke_finalizers(void) { return ready.count != 0; }

/* Runs the finalizers of the ready objects, oldest first; one that allocates may start a
 * collection, whose own ready objects wait for this loop (it is not entered twice). */
int GC_invoke_finalizers(void) {
    int count = 0;
    if (running_finalizers) return 0;
    running_finalizers = 1;
    while (ready.count) {
        struct finalizer r = *(struct finalizer *)slot(&ready, sizeof r, 0);
        __builtin_memmove(ready.items, slot(&ready, sizeof r, 1), (ready.count - 1) * sizeof r);
        ready.count--;
        r.fn((void *)r.object, r.data);
        count++;
    }
    running_finalizers = 0;
    return count;
}

static struct link *find_link(uintptr_t where, size_t *index) {
    for (size_t i = 0; i < links.count; i++) {
        struct link *l = slot(&links, sizeof *l, i);
        if (l->where == where) {
            *index = i;
            return l;
        }
    }
    return NULL;
}

int GC_general_register_disappearing_link(void **link, const void *obj) {
    uintptr_t where = (uintptr_t)link, object = (uintptr_t)GC_base((void *)obj);
    size_t index;
    if (where % sizeof(void *) || !object) return GC_UNIMPLEMENTED;
    struct link *l = find_link(where, &index);
    if (l) return GC_DUPLICATE;
    if (!(l = append(&links, sizeof *l))) return GC_NO_MEMORY;
    *l = (struct link){ where, object };
    return GC_SUCCESS;
}

int GC_register_disappearing_link(void **link) { return GC_general_register_disappearing_link(link, *link); }

int GC_unregister_disappearing_link(void **link) {
    size_t index;
    if (!find_link((uintptr_t)link, &index)) return 0;
    remove_at(&links, sizeof(struct link), index);
    return 1;
}

void wl_gc_clear_dead_links(void) {
    for (size_t i = 0; i < links.count;) {
        struct link *l = slot(&links, sizeof *l, i);
        if (object_marked(l->object)) {
            i++;
            continue;
        }
        *(void **)l->where = NULL;
        remove_at(&links, sizeof *l, i);
    }
}

/* After the sweep: a link stored inside an object that was freed is forgotten with it. */
void wl_gc_forget_freed(void) {
    for (size_t i = 0; i < links.count;) {
        struct link *l = slot(&links, sizeof *l, i);
        struct span *s = live_span(l->where);
        size_t size;
        unsigned index;
        if (s && !wl_gc_object_at(s, (wl_off)(l->where - wl_memory_base), &size, &index)) remove_at(&links, sizeof *l, i);
        else i++;
    }
}

/* GC_free of `p`: its finalizer and the links to it or inside it go with it. */
void wl_gc_forget_object(uintptr_t p) {
    struct span *s = live_span(p);
    size_t size = 0;
    unsigned index;
    if (s) wl_gc_object_at(s, (wl_off)(p - wl_memory_base), &size, &index);
    for (size_t i = 0; i < finalizers.count;) {
        struct finalizer *f = slot(&finalizers, sizeof *f, i);
        if (f->object == p) remove_at(&finalizers, sizeof *f, i);
        else i++;
    }
    for (size_t i = 0; i < links.count;) {
        struct link *l = slot(&links, sizeof *l, i);
        if (l->object == p || (l->where >= p && l->where < p + size)) remove_at(&links, sizeof *l, i);
        else i++;
    }
}
