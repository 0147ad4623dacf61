/* json: cJSON (Debian's cjson source package) building, printing and parsing documents, a
 * real library whose every node, key and string is its own malloc. Each round builds a
 * document of random records, prints it, parses the text back into a second tree, checks the
 * two are equal, and keeps both for a few rounds so that documents of different sizes are
 * live at once, as in a server juggling requests.
 * Usage: json [rounds] */
#include <string.h>

#include "../bench.h"
#include "cJSON.h"

#define WORKLOAD "json"
#define KEEP 4

static const char *const WORDS[] = {
    "alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel",
    "india", "juliett", "kilo", "lima", "mike", "november", "oscar", "papa",
};
#define WORD_COUNT (sizeof WORDS / sizeof WORDS[0])

static cJSON *must(cJSON *item) {
    return checked(WORKLOAD, item);
}

/* A name of 1 to 6 words joined by dashes, so that string sizes vary from 4 to ~50 bytes. */
static void random_name(char *out, size_t room) {
    size_t used = 0;
    int words = (int)rng_between(1, 6);
    for (int w = 0; w < words; w++) {
        int n = snprintf(out + used, room - used, w ? "-%s" : "%s", WORDS[rng_below(WORD_COUNT)]);
        used += (size_t)n;
    }
}

static cJSON *random_record(int id) {
    char name[64];
    cJSON *record = must(cJSON_CreateObject());
    cJSON_AddItemToObject(record, "id", must(cJSON_CreateNumber(id)));
    random_name(name, sizeof name);
    cJSON_AddItemToObject(record, "name", must(cJSON_CreateString(name)));
    cJSON_AddItemToObject(record, "score", must(cJSON_CreateNumber(rng_below(100000) / 8.0)));
    cJSON_AddItemToObject(record, "active", must(cJSON_CreateBool(rng_below(2))));
    cJSON *tags = must(cJSON_CreateArray());
    for (uint32_t t = rng_below(8); t > 0; t--) {
        random_name(name, sizeof name);
        cJSON_AddItemToArray(tags, must(cJSON_CreateString(name)));
    }
    cJSON_AddItemToObject(record, "tags", tags);
    cJSON *pos = must(cJSON_CreateObject());
    cJSON_AddItemToObject(pos, "x", must(cJSON_CreateNumber((int)rng_below(4096) - 2048)));
    cJSON_AddItemToObject(pos, "y", must(cJSON_CreateNumber((int)rng_below(4096) - 2048)));
    cJSON_AddItemToObject(record, "pos", pos);
    return record;
}

/* Folds the printed text into the checksum: its length and every 61st byte. */
static void fold_text(const char *text) {
    size_t length = strlen(text);
    checksum = checksum * 31 + length;
    for (size_t i = 0; i < length; i += 61) checksum = checksum * 31 + (unsigned char)text[i];
}

int main(int argc, char **argv) {
    long rounds = arg_or(argc, argv, 1, 400);
    cJSON *built[KEEP] = {0};
    cJSON *parsed[KEEP] = {0};
    for (long round = 0; round < rounds; round++) {
        int slot = (int)(round % KEEP);
        cJSON_Delete(built[slot]);
        cJSON_Delete(parsed[slot]);
        cJSON *doc = must(cJSON_CreateArray());
        for (int id = (int)rng_between(200, 2000); id > 0; id--) cJSON_AddItemToArray(doc, random_record(id));
        char *text = checked(WORKLOAD, cJSON_PrintUnformatted(doc));
        cJSON *back = cJSON_Parse(text);
        if (!back || !cJSON_Compare(doc, back, 1)) die(WORKLOAD, "parsed document differs from the printed one");
        fold_text(text);
        cJSON_free(text);
        built[slot] = doc;
        parsed[slot] = back;
    }
    for (int slot = 0; slot < KEEP; slot++) {
        cJSON_Delete(built[slot]);
        cJSON_Delete(parsed[slot]);
    }
    report(WORKLOAD, rounds);
    return 0;
}
