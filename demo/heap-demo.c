/* heap-demo: a small WASI program that puts walloc to work the way an application would and
 * prints what the heap looks like after each phase, then runs a script-like workload on the
 * garbage collector, which shares the heap (gc_phase). Built and run by `make demo`; exits
 * nonzero when a check fails. */
#include "gc.h"
#include "gc_typed.h"
#include "walloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct word {
    char *text;
    unsigned count;
    struct word *next;
};

#define BUCKETS 4096
static struct word *table[BUCKETS];

/* Static, not on the stack: wasm-ld gives a program 64 KiB of stack by default. A freed entry
 * is set to NULL: static data is a root of the collector, and a dangling pointer there keeps
 * alive whatever GC object later lands where its block was (left dangling, the 20 000 kept
 * some 800 KiB of the GC phase's garbage alive). */
#define PARTICLES 20000
static float *particles[PARTICLES];

/* Blocks whose address escapes through here are really allocated: the compiler may not fold
 * a malloc/memset/free sequence away. Cleared once they are freed, as `particles` is. */
static void *volatile escaped;

static unsigned hash(const char *s) {
    unsigned h = 2166136261u;
    while (*s) h = (h ^ (unsigned char)*s++) * 16777619u;
    return h % BUCKETS;
}

static void count_word(const char *text) {
    struct word **slot = &table[hash(text)];
    for (struct word *w = *slot; w; w = w->next)
        if (strcmp(w->text, text) == 0) { w->count++; return; }
    struct word *w = malloc(sizeof *w);
    w->text = strdup(text);
    w->count = 1;
    w->next = *slot;
    *slot = w;
}

static void forget_words(void) {
    for (unsigned b = 0; b < BUCKETS; b++)
        while (table[b]) {
            struct word *w = table[b];
            table[b] = w->next;
            free(w->text);
            free(w);
        }
}

static void show(const char *phase) {
    struct walloc_stats s;
    walloc_get_stats(&s);
    printf("%-38s %9zu KiB %9zu KiB %9zu KiB %9zu KiB %6zu %s\n", phase, s.memory_bytes >> 10,
           s.live_bytes >> 10, s.peak_live_bytes >> 10, s.free_bytes >> 10, s.grow_count,
           walloc_check() == 0 ? "ok" : walloc_last_error());
}

/* ---- The garbage collector: a script runtime's objects on the same heap ----
 *
 * A scene of ENTITIES slots, like a script's table of live entities: every frame spawns
 * entities into random slots, dropping the one there, and script calls make temporaries that
 * die at once. An entity is a typed GC object (only its pointer words are scanned) with an
 * atomic name, a scanned array of atomic components, and a malloc'd native part that its
 * finalizer frees; events in a ring are scanned objects that keep their entity and message
 * alive until the ring drops them.
 *
 * The collector sees what lies in memory: static data and the shadow stack. A pointer held
 * only in a wasm local is invisible to it (this program is not linked through wasm-opt's
 * --spill-pointers), so every new object is stored where a root reaches it before the next
 * allocation, which may collect. */

#define ENTITIES 2048
#define EVENTS 256
#define GC_FRAMES 1000
#define SPAWNS 40         /* entities spawned a frame */
#define CALLS 200         /* script calls a frame, each with a temporary array */
#define REPORT_EVERY 200
#define MAX_PARTS 8

struct component {
    float position[3];
    uint32_t kind;
};

/* Typed: the collector scans `name` and `parts` only. `native` points into malloc's memory,
 * which the collector never scans, and the numbers are never taken for pointers. */
struct entity {
    char *name;
    struct component **parts;
    unsigned char *native;
    uint32_t id, part_count, native_bytes, gc_bytes;
};

struct event {
    struct entity *subject;
    char *message;
};

/* The roots. Volatile: the collector reads them through memory, behind the compiler's back,
 * so no store to them may be dropped or put off past the next allocation. */
static struct entity *volatile scene[ENTITIES];
static struct event *volatile events[EVENTS];

static GC_descr entity_layout;
static unsigned gc_seed = 11;
static size_t spawned, finalized, natives_broken;
static size_t scene_bytes, peak_scene_bytes, largest_entity, largest_event, peak_gc_heap;

static unsigned gc_random(unsigned below) {
    gc_seed = gc_seed * 1103515245u + 12345u;
    return (gc_seed >> 16) % below;
}

/* Runs once an entity is unreachable: checks that its native part is as spawn left it (a
 * collector that freed a live object would have let it be overwritten), then frees it. */
static void entity_finalizer(void *object, void *data) {
    (void)data;
    struct entity *e = object;
    for (uint32_t i = 0; i < e->native_bytes; i++)
        if (e->native[i] != (unsigned char)e->id) {
            natives_broken++;
            break;
        }
    free(e->native);
    finalized++;
}

/* The GC heap grows only between collections, so its peak is seen as one starts. */
static void on_collection(GC_EventType event) {
    if (event == GC_EVENT_START && GC_get_heap_size() > peak_gc_heap) peak_gc_heap = GC_get_heap_size();
}

static void entity_name(char *out, size_t size, uint32_t id) { snprintf(out, size, "entity-%u", id); }

/* A new entity in scene[slot], dropping the one there. Returns 0 when memory ran out. */
static __attribute__((noinline)) int spawn(unsigned slot) {
    struct entity *e = GC_malloc_explicitly_typed(sizeof *e, entity_layout);
    if (!e) return 0;
    if (scene[slot]) scene_bytes -= scene[slot]->gc_bytes;
    scene[slot] = e;
    e->id = (uint32_t)spawned++;
    char name[24];
    entity_name(name, sizeof name, e->id);
    e->name = GC_strdup(name);
    e->part_count = 1 + gc_random(MAX_PARTS);
    e->parts = GC_malloc(e->part_count * sizeof *e->parts);
    if (!e->name || !e->parts) return 0;
    for (uint32_t k = 0; k < e->part_count; k++) {
        struct component *c = GC_malloc_atomic(sizeof *c);
        if (!c) return 0;
        c->kind = e->id + k;
        e->parts[k] = c;
    }
    e->native_bytes = 32 + gc_random(480);
    e->native = malloc(e->native_bytes);
    if (!e->native) return 0;
    memset(e->native, (unsigned char)e->id, e->native_bytes);
    /* Entities point at nothing finalizable, but a runtime's objects may form cycles, which
     * ordered finalization never finalizes (bdwgc's rule): scripts get no order. */
    GC_register_finalizer_no_order(e, entity_finalizer, NULL, NULL, NULL);
    e->gc_bytes = (uint32_t)(GC_size(e) + GC_size(e->name) + GC_size(e->parts) + e->part_count * GC_size(e->parts[0]));
    scene_bytes += e->gc_bytes;
    if (scene_bytes > peak_scene_bytes) peak_scene_bytes = scene_bytes;
    if (e->gc_bytes > largest_entity) largest_entity = e->gc_bytes;
    return 1;
}

/* A script call: a temporary array that is garbage on return and, every fourth call, an
 * event naming an entity, in the ring slot of the oldest. Returns 0 when memory ran out. */
static __attribute__((noinline)) int script_call(unsigned call) {
    uint32_t *temporary = GC_malloc_atomic((4 + gc_random(60)) * sizeof *temporary);
    if (!temporary) return 0;
    temporary[0] = call;
    if (call % 4) return 1;
    struct event *ev = GC_malloc(sizeof *ev);
    if (!ev) return 0;
    events[call / 4 % EVENTS] = ev;
    ev->subject = scene[gc_random(ENTITIES)];
    char text[48];
    snprintf(text, sizeof text, "call %u reached entity %u", call, ev->subject ? ev->subject->id : 0);
    ev->message = GC_strdup(text);
    if (!ev->message) return 0;
    size_t bytes = GC_size(ev) + GC_size(ev->message);
    if (bytes > largest_event) largest_event = bytes;
    return 1;
}

/* How many entities of the scene are not as spawn made them: a reachable object the
 * collector freed would read as zeroes or as someone else's. */
static size_t broken_entities(void) {
    size_t broken = 0;
    char name[24];
    for (unsigned i = 0; i < ENTITIES; i++) {
        const struct entity *e = scene[i];
        if (!e) continue;
        entity_name(name, sizeof name, e->id);
        int ok = e->name && strcmp(e->name, name) == 0 && e->parts;
        for (uint32_t k = 0; ok && k < e->part_count; k++) ok = e->parts[k] && e->parts[k]->kind == e->id + k;
        broken += !ok;
    }
    return broken;
}

/* Prints a check's line with its verdict; returns 1 when it failed. */
static int check(int ok, const char *format, ...) {
    va_list args;
    va_start(args, format);
    vprintf(format, args);
    va_end(args);
    printf(" %s\n", ok ? "(ok)" : "(FAILED)");
    return !ok;
}

static void gc_row(unsigned frame) {
    struct walloc_stats s;
    walloc_get_stats(&s);
    printf("%6u %9.1f MiB %9zu KiB %9zu KiB %9zu KiB %11zu %10zu\n", frame, GC_get_total_bytes() / 1048576.0,
           s.gc_bytes >> 10, s.live_bytes >> 10, s.memory_bytes >> 10, GC_get_gc_no(), finalized);
}

/* The GC phase: prints its rows and checks; returns the number of failed checks. */
static int gc_phase(void) {
    printf("\ngarbage collector: %u frames of a script runtime with %d entity slots. Entities are typed GC\n"
           "objects with finalizers, their names and parts atomic, events scanned; most die young.\n"
           "gc heap = walloc_stats gc_bytes; live malloc = live_bytes: the entities' native parts and the\n"
           "collector's own tables (finalizers, black list, mark stack). The last row: after the scene and\n"
           "the events are dropped and two collections.\n\n",
           GC_FRAMES, ENTITIES);
    printf("%6s %13s %13s %13s %13s %11s %10s\n", "frame", "allocated", "gc heap", "live malloc", "memory",
           "collections", "finalized");
    GC_word bits[GC_BITMAP_SIZE(struct entity)] = { 0 };
    GC_set_bit(bits, GC_WORD_OFFSET(struct entity, name));
    GC_set_bit(bits, GC_WORD_OFFSET(struct entity, parts));
    entity_layout = GC_make_descriptor(bits, GC_WORD_LEN(struct entity));
    GC_set_on_collection_event(on_collection);
    /* A collection before the first object: stale words that the phases above left on the
     * stack black-list the slices they point at, so no scanned object is placed where one of
     * them would keep it alive. */
    GC_gcollect();
    struct walloc_stats start;
    walloc_get_stats(&start);

    unsigned call = 0;
    size_t broken = 0;
    for (unsigned frame = 1; frame <= GC_FRAMES; frame++) {
        for (int i = 0; i < SPAWNS; i++)
            if (!spawn(gc_random(ENTITIES))) return printf("out of memory spawning an entity\n"), 1;
        for (int i = 0; i < CALLS; i++)
            if (!script_call(call++)) return printf("out of memory in a script call\n"), 1;
        if (frame % REPORT_EVERY) continue;
        broken += broken_entities();
        gc_row(frame);
    }
    size_t held = GC_get_heap_size();
    if (held > peak_gc_heap) peak_gc_heap = held;
    struct walloc_stats busy;
    walloc_get_stats(&busy);

    for (unsigned i = 0; i < ENTITIES; i++) scene[i] = NULL;
    for (unsigned i = 0; i < EVENTS; i++) events[i] = NULL;
    GC_gcollect(); /* finds every entity unreachable and runs its finalizer */
    GC_gcollect(); /* frees them: a finalized object lives until the next collection */
    struct walloc_stats end;
    walloc_get_stats(&end);
    size_t total = GC_get_total_bytes();
    printf("%-6s %9.1f MiB %9zu KiB %9zu KiB %9zu KiB %11zu %10zu\n", "drop", total / 1048576.0,
           end.gc_bytes >> 10, end.live_bytes >> 10, end.memory_bytes >> 10, GC_get_gc_no(), finalized);

    printf("\nshared heap: at frame %u, %zu KiB of GC spans beside %zu KiB of live malloc blocks in %zu KiB of\n"
           "linear memory, which %s\n", GC_FRAMES, busy.gc_bytes >> 10, busy.live_bytes >> 10,
           busy.memory_bytes >> 10,
           end.memory_bytes == start.memory_bytes ? "did not grow: the spans took pages malloc had freed"
                                                  : "had to grow");
    int failures = 0;
    failures += check(broken == 0, "live objects intact: %zu of the scene's entities differed from what spawn made,\n"
                      "checked every %d frames", broken, REPORT_EVERY);
    failures += check(finalized == spawned && natives_broken == 0,
                      "finalizers: %zu expected (one per entity spawned), %zu run; %zu native parts found broken",
                      spawned, finalized, natives_broken);
    /* What the program keeps reachable at most: the scene at its largest, and entities and
     * messages that the event ring holds on to after the scene dropped them. */
    size_t live = peak_scene_bytes + EVENTS * (largest_event + largest_entity);
    size_t bound = 2 * live + ((size_t)1 << 20);
    failures += check(peak_gc_heap <= bound,
                      "heap bounded: %.1f MiB allocated in %zu collections; the GC heap peaked at %zu KiB for at most\n"
                      "%zu KiB reachable (bound: twice that plus 1 MiB, %zu KiB)",
                      total / 1048576.0, GC_get_gc_no(), peak_gc_heap >> 10, live >> 10, bound >> 10);
    /* A conservative collector keeps what any word that looks like a pointer points at: stale
     * words on the stack or in static data may hold on to a few objects, never to a share of
     * what was allocated. */
    size_t left = GC_get_heap_size() - GC_get_free_bytes();
    failures += check(left <= total / 100,
                      "after the drop: %zu bytes of objects left (held by stale words that look like pointers),\n"
                      "in %zu KiB of GC spans; at most 1 %% of what was allocated may stay", left, end.gc_bytes >> 10);
    return failures;
}

int main(void) {
    printf("walloc demo: a heap at work (memory = linear memory, live = usable bytes in use)\n\n");
    printf("%-38s %13s %13s %13s %13s %6s %s\n", "phase", "memory", "live", "peak live", "free",
           "grows", "check");
    show("start");

    unsigned seed = 7;
    char word[16];
    for (int i = 0; i < 200000; i++) {
        seed = seed * 1103515245u + 12345u;
        int length = 2 + (int)(seed >> 28) % 12;
        for (int k = 0; k < length; k++) {
            seed = seed * 1103515245u + 12345u;
            word[k] = (char)('a' + (seed >> 16) % 6);
        }
        word[length] = '\0';
        count_word(word);
    }
    show("200 000 words counted (strdup)");

    for (int i = 0; i < PARTICLES; i++) particles[i] = calloc(4 + i % 28, sizeof(float));
    for (int i = 0; i < PARTICLES; i += 2) {
        free(particles[i]);
        particles[i] = NULL;
    }
    show("20 000 particles, half freed");

    unsigned char *frames[8];
    unsigned long checksum = 0;
    for (int f = 0; f < 8; f++) {
        frames[f] = malloc(1280 * 720 * 4);
        escaped = frames[f];
        memset(frames[f], f + 1, 1280 * 720 * 4);
    }
    for (int f = 0; f < 8; f++) checksum += frames[f][f * 4099];
    show("8 frame buffers of 3.5 MiB");
    for (int f = 0; f < 8; f++) free(frames[f]);
    show("frame buffers dropped");

    for (int i = 1; i < PARTICLES; i += 2) particles[i] = realloc(particles[i], 64 * sizeof(float));
    show("odd particles grown by realloc");
    for (int i = 1; i < PARTICLES; i += 2) {
        free(particles[i]);
        particles[i] = NULL;
    }
    forget_words();
    show("everything freed");

    struct walloc_stats before, after;
    walloc_get_stats(&before);
    unsigned char *reused = malloc(16 << 20);
    escaped = reused;
    reused[12345] = 1;
    checksum += reused[12345];
    walloc_get_stats(&after);
    show(after.memory_bytes == before.memory_bytes ? "one 16 MiB block: freed pages reused"
                                                   : "one 16 MiB block: memory had to grow");
    free(reused);
    escaped = NULL;
    printf("\nchecksum %lu\n", checksum);

    int failures = gc_phase();
    return failures == 0 && walloc_check() == 0 ? 0 : 1;
}
