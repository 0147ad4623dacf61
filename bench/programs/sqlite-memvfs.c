/* The operating-system layer SQLite needs for speedtest1 under WASI. SQLite's unix layer does
 * not build against wasi-libc (no fcntl locks, fchown, geteuid), so the amalgamation is built
 * with SQLITE_OS_OTHER=1 and this file supplies sqlite3_os_init with one VFS.
 *
 * speedtest1 runs on an in-memory database (--memdb); what still reaches the VFS are the
 * temporary files of the sorter and statement journals. Each open therefore makes a new
 * anonymous file held in a malloc'd buffer that grows by realloc and is freed on close: the
 * memory goes through the allocator under test, as it would in a browser build of SQLite.
 * Randomness is a fixed sequence, so every allocator sees the same run. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sqlite3.h"

struct mem_file {
    sqlite3_file base;
    unsigned char *data;
    sqlite3_int64 size;
    sqlite3_int64 capacity;
};

static int mem_close(sqlite3_file *file) {
    free(((struct mem_file *)file)->data);
    return SQLITE_OK;
}

static int mem_read(sqlite3_file *file, void *out, int amount, sqlite3_int64 offset) {
    struct mem_file *f = (struct mem_file *)file;
    sqlite3_int64 have = offset < f->size ? f->size - offset : 0;
    if (have >= amount) {
        memcpy(out, f->data + offset, (size_t)amount);
        return SQLITE_OK;
    }
    if (have > 0) memcpy(out, f->data + offset, (size_t)have);
    memset((unsigned char *)out + have, 0, (size_t)(amount - have));
    return SQLITE_IOERR_SHORT_READ;
}

/* Grows the buffer geometrically so that appending pages stays linear overall. */
static int mem_reserve(struct mem_file *f, sqlite3_int64 size) {
    if (size <= f->capacity) return SQLITE_OK;
    sqlite3_int64 capacity = f->capacity ? f->capacity : 4096;
    while (capacity < size) capacity *= 2;
    unsigned char *grown = realloc(f->data, (size_t)capacity);
    if (!grown) return SQLITE_IOERR_NOMEM;
    f->data = grown;
    f->capacity = capacity;
    return SQLITE_OK;
}

static int mem_write(sqlite3_file *file, const void *in, int amount, sqlite3_int64 offset) {
    struct mem_file *f = (struct mem_file *)file;
    sqlite3_int64 end = offset + amount;
    if (mem_reserve(f, end) != SQLITE_OK) return SQLITE_IOERR_NOMEM;
    if (offset > f->size) memset(f->data + f->size, 0, (size_t)(offset - f->size));
    memcpy(f->data + offset, in, (size_t)amount);
    if (end > f->size) f->size = end;
    return SQLITE_OK;
}

static int mem_truncate(sqlite3_file *file, sqlite3_int64 size) {
    struct mem_file *f = (struct mem_file *)file;
    if (size < f->size) f->size = size;
    return SQLITE_OK;
}

static int mem_sync(sqlite3_file *file, int flags) {
    (void)file, (void)flags;
    return SQLITE_OK;
}

static int mem_file_size(sqlite3_file *file, sqlite3_int64 *size) {
    *size = ((struct mem_file *)file)->size;
    return SQLITE_OK;
}

/* A file belongs to the one connection that opened it: locking has nothing to arbitrate. */
static int mem_lock(sqlite3_file *file, int level) {
    (void)file, (void)level;
    return SQLITE_OK;
}

static int mem_check_reserved(sqlite3_file *file, int *reserved) {
    (void)file;
    *reserved = 0;
    return SQLITE_OK;
}

static int mem_file_control(sqlite3_file *file, int op, void *arg) {
    (void)file, (void)op, (void)arg;
    return SQLITE_NOTFOUND;
}

static int mem_sector_size(sqlite3_file *file) {
    (void)file;
    return 512;
}

static int mem_device(sqlite3_file *file) {
    (void)file;
    return SQLITE_IOCAP_ATOMIC | SQLITE_IOCAP_SAFE_APPEND | SQLITE_IOCAP_SEQUENTIAL;
}

static const sqlite3_io_methods mem_methods = {
    .iVersion = 1,
    .xClose = mem_close,
    .xRead = mem_read,
    .xWrite = mem_write,
    .xTruncate = mem_truncate,
    .xSync = mem_sync,
    .xFileSize = mem_file_size,
    .xLock = mem_lock,
    .xUnlock = mem_lock,
    .xCheckReservedLock = mem_check_reserved,
    .xFileControl = mem_file_control,
    .xSectorSize = mem_sector_size,
    .xDeviceCharacteristics = mem_device,
};

static int vfs_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *file, int flags, int *out_flags) {
    (void)vfs, (void)name;
    struct mem_file *f = (struct mem_file *)file;
    memset(f, 0, sizeof *f);
    f->base.pMethods = &mem_methods;
    if (out_flags) *out_flags = flags;
    return SQLITE_OK;
}

/* Files are anonymous and vanish on close, so no name ever exists to delete or find. */
static int vfs_delete(sqlite3_vfs *vfs, const char *name, int sync_dir) {
    (void)vfs, (void)name, (void)sync_dir;
    return SQLITE_OK;
}

static int vfs_access(sqlite3_vfs *vfs, const char *name, int flags, int *result) {
    (void)vfs, (void)name, (void)flags;
    *result = 0;
    return SQLITE_OK;
}

static int vfs_full_pathname(sqlite3_vfs *vfs, const char *name, int size, char *out) {
    (void)vfs;
    sqlite3_snprintf(size, out, "%s", name);
    return SQLITE_OK;
}

static int vfs_randomness(sqlite3_vfs *vfs, int size, char *out) {
    (void)vfs;
    static unsigned state = 0x9e3779b9u;
    for (int i = 0; i < size; i++) {
        state = state * 1664525u + 1013904223u;
        out[i] = (char)(state >> 24);
    }
    return size;
}

static int vfs_sleep(sqlite3_vfs *vfs, int microseconds) {
    (void)vfs;
    return microseconds;
}

/* Julian day in milliseconds, which speedtest1 reads to time its steps. */
static int vfs_current_time_int64(sqlite3_vfs *vfs, sqlite3_int64 *now) {
    (void)vfs;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    *now = (sqlite3_int64)210866760000000LL + (sqlite3_int64)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    return SQLITE_OK;
}

static int vfs_current_time(sqlite3_vfs *vfs, double *now) {
    sqlite3_int64 ms;
    vfs_current_time_int64(vfs, &ms);
    *now = ms / 86400000.0;
    return SQLITE_OK;
}

static int vfs_last_error(sqlite3_vfs *vfs, int size, char *out) {
    (void)vfs, (void)size, (void)out;
    return 0;
}

static sqlite3_vfs mem_vfs = {
    .iVersion = 2,
    .szOsFile = sizeof(struct mem_file),
    .mxPathname = 512,
    .zName = "bench-mem",
    .xOpen = vfs_open,
    .xDelete = vfs_delete,
    .xAccess = vfs_access,
    .xFullPathname = vfs_full_pathname,
    .xRandomness = vfs_randomness,
    .xSleep = vfs_sleep,
    .xCurrentTime = vfs_current_time,
    .xGetLastError = vfs_last_error,
    .xCurrentTimeInt64 = vfs_current_time_int64,
};

int sqlite3_os_init(void) {
    return sqlite3_vfs_register(&mem_vfs, 1);
}

int sqlite3_os_end(void) {
    return SQLITE_OK;
}
