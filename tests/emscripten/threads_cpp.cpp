// C++ threads on walloc's threads build under emscripten (make test-emscripten-threads):
// std::thread runs on emscripten's pthreads, and with -sMALLOC=none libc++'s operator new and
// delete, its containers and the threads' own bookkeeping all allocate from walloc. Objects
// are made on one thread and destroyed on another; once the threads are joined the heap must
// be whole (walloc_check) and every byte given back (live bytes as before).
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
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

static walloc_stats stats() {
    walloc_stats s;
    walloc_get_stats(&s);
    return s;
}

// Each thread builds containers of its own and checks what they hold; returns through `ok`.
static void containers(int id, bool *ok) {
    std::vector<std::string> words;
    for (int i = 0; i < 5000; i++) words.push_back("thread " + std::to_string(id) + " word " + std::to_string(i));
    std::map<std::string, int> counts;
    std::unordered_map<int, std::vector<int>> buckets;
    for (int i = 0; i < 20000; i++) {
        counts[words[i % 499]]++;
        buckets[i % 97].push_back(i * id);
    }
    *ok = counts.size() == 499 && counts[words[7]] == 41 && buckets.size() == 97 && buckets[5].size() == 207 &&
          buckets[5][3] == (3 * 97 + 5) * id && words[4321] == "thread " + std::to_string(id) + " word 4321";
}

// A queue from producers to consumers: what one thread allocated another checks and deletes.
struct parcel {
    int from, serial;
    std::string label;
    std::vector<int> body;
};

class queue {
  public:
    void put(std::unique_ptr<parcel> p) {
        std::lock_guard<std::mutex> hold(lock_);
        items_.push_back(std::move(p));
        ready_.notify_one();
    }
    // NULL once every producer is done and the queue is empty.
    std::unique_ptr<parcel> take() {
        std::unique_lock<std::mutex> hold(lock_);
        ready_.wait(hold, [this] { return !items_.empty() || producing_ == 0; });
        if (items_.empty()) return nullptr;
        std::unique_ptr<parcel> p = std::move(items_.front());
        items_.pop_front();
        return p;
    }
    void producer_done() {
        std::lock_guard<std::mutex> hold(lock_);
        producing_--;
        ready_.notify_all();
    }
    explicit queue(int producers) : producing_(producers) {}

  private:
    std::mutex lock_;
    std::condition_variable ready_;
    std::deque<std::unique_ptr<parcel>> items_;
    int producing_;
};

static const int PARCELS = 20000;

static void produce(queue *q, int id) {
    for (int serial = 0; serial < PARCELS; serial++) {
        auto p = std::make_unique<parcel>();
        p->from = id;
        p->serial = serial;
        p->label = "parcel " + std::to_string(serial) + " from producer " + std::to_string(id);
        p->body.assign(serial % 300, serial ^ id);
        q->put(std::move(p));
    }
    q->producer_done();
}

static void consume(queue *q, long *taken, bool *intact) {
    *intact = true;
    while (std::unique_ptr<parcel> p = q->take()) {
        bool good = p->label == "parcel " + std::to_string(p->serial) + " from producer " + std::to_string(p->from) &&
                    p->body.size() == (size_t)(p->serial % 300);
        for (int v : p->body) good = good && v == (p->serial ^ p->from);
        *intact = *intact && good;
        ++*taken;
    }
}

// Two producers and two consumers on one queue; true when every parcel arrived intact.
static bool hand_over() {
    queue q(2);
    long taken[2] = { 0, 0 };
    bool intact[2];
    std::thread producers[2] = { std::thread(produce, &q, 1), std::thread(produce, &q, 2) };
    std::thread consumers[2] = { std::thread(consume, &q, &taken[0], &intact[0]),
                                 std::thread(consume, &q, &taken[1], &intact[1]) };
    for (auto &t : producers) t.join();
    for (auto &t : consumers) t.join();
    expect(taken[0] + taken[1] == 2 * PARCELS, "every parcel reached a consumer");
    return intact[0] && intact[1];
}

int main() {
    walloc_stats before = stats();

    bool ok[4];
    {
        std::thread threads[4];
        for (int id = 0; id < 4; id++) threads[id] = std::thread(containers, id + 1, &ok[id]);
        for (auto &t : threads) t.join();
    }
    expect(ok[0] && ok[1] && ok[2] && ok[3], "containers built on four threads hold what was put in");
    expect(walloc_check() == 0, "the heap is whole after the container threads");

    expect(hand_over(), "parcels arrive intact on another thread");
    expect(walloc_check() == 0, "the heap is whole after the producers and consumers");

    walloc_stats after = stats();
    expect(after.alloc_count > before.alloc_count + 4 * PARCELS, "operator new on the threads reaches walloc");
    expect(after.live_bytes == before.live_bytes, "every byte allocated on the threads is back");
    expect(after.alloc_count - before.alloc_count == after.free_count - before.free_count,
           "as many frees as allocations");
    std::printf("%s: C++ threads (std::thread, containers, new and delete across threads) on walloc\n",
                failures ? "FAIL" : "ok");
    return failures != 0;
}
