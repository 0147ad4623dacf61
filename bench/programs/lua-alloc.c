/* lua: the Lua 5.4 interpreter (Debian's lua5.4 source package) running an allocation-heavy
 * script: binary trees built and dropped (the classic garbage-collector benchmark), strings
 * formatted, joined and split, records sorted, and a word count in a hash table. Lua allocates
 * every table, string and closure through realloc and frees them from its collector, so the
 * allocator sees the mix of a real scripting workload. The script is embedded below; its one
 * output line is the `result` line the runner checks.
 *
 * Lua is built without setjmp (WASI has none): an error aborts instead of unwinding, which
 * the script never raises. Usage: lua [rounds] */
#include <stdio.h>
#include <stdlib.h>

#include "lauxlib.h"
#include "lua.h"
#include "lualib.h"

static const char SCRIPT[] =
    "local rounds = ...\n"
    "math.randomseed(42)\n"
    "local checksum = 0\n"
    "local function mix(v) checksum = (checksum * 31 + v) % 4294967296 end\n"
    "local function tree(depth)\n"
    "  if depth == 0 then return {} end\n"
    "  return { tree(depth - 1), tree(depth - 1) }\n"
    "end\n"
    "local function count(t)\n"
    "  if t[1] then return 1 + count(t[1]) + count(t[2]) end\n"
    "  return 1\n"
    "end\n"
    "for round = 1, rounds do\n"
    "  local long = tree(12)\n"
    "  for depth = 4, 12, 2 do\n"
    "    local nodes = 0\n"
    "    for i = 1, 1 << (16 - depth) do nodes = nodes + count(tree(depth)) end\n"
    "    mix(nodes)\n"
    "  end\n"
    "  mix(count(long))\n"
    "  local parts = {}\n"
    "  for i = 1, 2000 do\n"
    "    parts[#parts + 1] = string.format('%d:%s', i, string.rep('x', math.random(1, 40)))\n"
    "  end\n"
    "  local text = table.concat(parts, ',')\n"
    "  local words = {}\n"
    "  for w in text:gmatch('[^,]+') do words[#words + 1] = w:upper() end\n"
    "  mix(#text) mix(#words)\n"
    "  local records = {}\n"
    "  for i = 1, 3000 do records[i] = { id = i, key = math.random(1, 1000000), name = 'r' .. i } end\n"
    "  table.sort(records, function(a, b) return a.key < b.key or (a.key == b.key and a.id < b.id) end)\n"
    "  mix(records[1].id) mix(records[#records].id)\n"
    "  local seen = {}\n"
    "  for i = 1, 5000 do local k = 'k' .. math.random(1, 500) seen[k] = (seen[k] or 0) + 1 end\n"
    "  local squares = 0\n"
    "  for _, n in pairs(seen) do squares = squares + n * n end\n"
    "  mix(squares)\n"
    "end\n"
    "print(string.format('result workload=lua ops=%d checksum=%08x peak_live=0', rounds, checksum))\n";

static void open_library(lua_State *L, const char *name, lua_CFunction open) {
    luaL_requiref(L, name, open, 1);
    lua_pop(L, 1);
}

int main(int argc, char **argv) {
    long rounds = argc > 1 ? strtol(argv[1], NULL, 10) : 40;
    lua_State *L = luaL_newstate();
    if (!L) {
        fprintf(stderr, "lua: out of memory\n");
        return 2;
    }
    open_library(L, LUA_GNAME, luaopen_base);
    open_library(L, LUA_TABLIBNAME, luaopen_table);
    open_library(L, LUA_STRLIBNAME, luaopen_string);
    open_library(L, LUA_MATHLIBNAME, luaopen_math);
    if (luaL_loadbuffer(L, SCRIPT, sizeof SCRIPT - 1, "lua-alloc") != LUA_OK) {
        fprintf(stderr, "lua: %s\n", lua_tostring(L, -1));
        return 2;
    }
    lua_pushinteger(L, rounds);
    lua_call(L, 1, 0);
    lua_close(L);
    return 0;
}
