// C++ on walloc under emscripten: containers and strings allocate through operator new, which
// emscripten's libc++ routes to malloc, so with -sMALLOC=none every block below is walloc's.
// The heap is checked whole after each phase, and walloc's counters must have seen the work.
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "walloc.h"

static int failures;

static void expect(bool ok, const char *what) {
    if (!ok) {
        std::printf("FAIL %s\n", what);
        failures++;
    }
}

static size_t allocations() {
    walloc_stats s;
    walloc_get_stats(&s);
    return s.alloc_count;
}

int main() {
    size_t before = allocations();
    std::vector<std::string> words;
    for (int i = 0; i < 20000; i++) words.push_back("word number " + std::to_string(i) + std::string(i % 50, 'x'));
    std::map<std::string, int> counts;
    std::unordered_map<int, std::vector<int>> buckets;
    for (int i = 0; i < 20000; i++) {
        counts[words[i % 997]]++;
        buckets[i % 101].push_back(i);
    }
    expect(words[12345].rfind("word number 12345", 0) == 0, "strings keep their text");
    expect(counts.size() == 997 && counts[words[5]] == 21, "the map counts");
    expect(buckets.size() == 101 && buckets[3].size() == 198, "the buckets fill");
    expect(allocations() > before + 20000, "operator new reaches walloc");
    expect(walloc_check() == 0, "the heap is consistent with everything live");
    {
        auto big = std::make_unique<char[]>(64 << 20);
        big[(64 << 20) - 1] = 7;
        expect(big[(64 << 20) - 1] == 7, "a 64 MiB array grows memory");
    }
    words.clear();
    words.shrink_to_fit();
    counts.clear();
    buckets.clear();
    expect(walloc_check() == 0, "the heap is consistent after everything is freed");
    std::printf("%s: C++ containers and strings on walloc\n", failures ? "FAIL" : "ok");
    return failures != 0;
}
