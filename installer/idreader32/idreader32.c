/* idreader32.exe: a 32-bit vendor ID card reader DLL read for the 64-bit program (adultschool.idreader.helper).
 *
 * Most vendors ship their reader SDK (sdtapi.dll, termb.dll, SynIDCardAPI.dll, WltRS.dll) as a 32-bit DLL, which
 * the installed 64-bit Python cannot load. This small program can: it is a generic DLL proxy that knows nothing
 * about card readers. It loads the DLL a request names, calls an export by name with the arguments the request
 * gives, and answers with the return code and whatever the call wrote into its buffers. Which calls to make, in
 * which order, and what the bytes mean stays in Python (adultschool/idreader/families.py), once for both paths.
 *
 * The protocol: one JSON object per line on standard input, one JSON object per line on standard output, in order.
 *   {"op": "find", "lib": PATH, "fn": NAME}
 *       → {"ok": true}   (the DLL loads and exports NAME)
 *   {"op": "call", "lib": PATH, "fn": NAME, "args": [ARG, ...]}   (at most 8 arguments)
 *       → {"ok": true, "ret": INT, "out": [OUT, ...]}   (one OUT per ARG)
 *   any failure → {"ok": false, "error": "json" | "request" | "load" | "symbol", "message": TEXT}
 * ARG is one of
 *   ["i", N]             an int by value                                  OUT: null
 *   ["b", SIZE, BASE64]  a pointer to SIZE bytes, first filled from BASE64 (optional; the rest are zero)
 *                                                                         OUT: the SIZE bytes after the call, base64
 *   ["p", N]             a pointer to an int that starts as N             OUT: the int after the call
 *   ["n"]                a null pointer                                   OUT: null
 * PATH is UTF-8 (or \u escapes); a DLL stays loaded for the life of the process (vendor DLLs keep the reader's
 * port open between calls). Exports are called as __stdcall, like ctypes.WinDLL does (the vendor SDKs' convention;
 * the same on 64-bit, where there is one convention), and found by their exact, undecorated name as ctypes finds
 * them ("SDT_OpenPort", not "SDT_OpenPort@4": a DLL built with mingw needs -Wl,--kill-at for that, as the vendors'
 * .def files do). The process ends when standard input closes.
 *
 * The JSON reader below reads what the program sends and rejects the rest: objects, arrays, strings (all
 * escapes), integers, true/false/null; no third-party library. The same source builds on Linux with gcc (dlopen
 * instead of LoadLibraryW), so the tests drive it against the stand-in reader library without Windows.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef _WIN32
#include <fcntl.h>
#include <io.h>
#include <windows.h>
#define VENDOR __stdcall
#else
#include <dlfcn.h>
#define VENDOR
#endif

#define MAX_LINE (4 << 20)
#define MAX_NODES 256
#define MAX_ARGS 8
#define MAX_BUFFER (1 << 20)
#define MAX_LIBRARIES 16

/* --- a small JSON reader: the line is decoded in place into a pool of nodes --------------------------------- */

enum { J_NULL, J_TRUE, J_FALSE, J_NUM, J_STR, J_ARR, J_OBJ };

typedef struct Node {
    int type;
    long long num;
    char *str;        /* J_STR: decoded UTF-8, NUL-terminated (in the line's own memory) */
    size_t len;       /* J_STR: bytes; J_ARR/J_OBJ: members */
    struct Node *key; /* a member's name, when inside an object */
    struct Node *first, *next;
} Node;

static Node pool[MAX_NODES];
static int used;
static char *at;

static void skip_space(void) {
    while (*at == ' ' || *at == '\t' || *at == '\r' || *at == '\n') at++;
}

static Node *node(int type) {
    Node *n;
    if (used >= MAX_NODES) return NULL;
    n = &pool[used++];
    memset(n, 0, sizeof *n);
    n->type = type;
    return n;
}

static int hex4(const char *p, unsigned *out) {
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9') v |= c - '0';
        else if (c >= 'a' && c <= 'f') v |= c - 'a' + 10;
        else if (c >= 'A' && c <= 'F') v |= c - 'A' + 10;
        else return 0;
    }
    *out = v;
    return 1;
}

static char *put_utf8(char *out, unsigned c) {
    if (c < 0x80) *out++ = (char)c;
    else if (c < 0x800) { *out++ = (char)(0xC0 | c >> 6); *out++ = (char)(0x80 | (c & 0x3F)); }
    else if (c < 0x10000) {
        *out++ = (char)(0xE0 | c >> 12); *out++ = (char)(0x80 | ((c >> 6) & 0x3F)); *out++ = (char)(0x80 | (c & 0x3F));
    } else {
        *out++ = (char)(0xF0 | c >> 18); *out++ = (char)(0x80 | ((c >> 12) & 0x3F));
        *out++ = (char)(0x80 | ((c >> 6) & 0x3F)); *out++ = (char)(0x80 | (c & 0x3F));
    }
    return out;
}

static Node *string(void) {
    /* at points after the opening quote; the decoded text is never longer than its escaped form */
    Node *n = node(J_STR);
    char *out = at;
    if (!n) return NULL;
    n->str = at;
    for (;;) {
        unsigned char c = (unsigned char)*at;
        if (c == '"') { at++; break; }
        if (c < 0x20) return NULL; /* the end of the line, or a raw control character */
        if (c != '\\') { *out++ = *at++; continue; }
        at++;
        switch (*at++) {
        case '"': *out++ = '"'; break;
        case '\\': *out++ = '\\'; break;
        case '/': *out++ = '/'; break;
        case 'b': *out++ = '\b'; break;
        case 'f': *out++ = '\f'; break;
        case 'n': *out++ = '\n'; break;
        case 'r': *out++ = '\r'; break;
        case 't': *out++ = '\t'; break;
        case 'u': {
            unsigned c1, c2;
            if (!hex4(at, &c1)) return NULL;
            at += 4;
            if (c1 >= 0xD800 && c1 < 0xDC00) {
                if (at[0] != '\\' || at[1] != 'u' || !hex4(at + 2, &c2) || c2 < 0xDC00 || c2 >= 0xE000) return NULL;
                at += 6;
                c1 = 0x10000 + ((c1 - 0xD800) << 10) + (c2 - 0xDC00);
            } else if (c1 >= 0xDC00 && c1 < 0xE000) return NULL;
            out = put_utf8(out, c1);
            break;
        }
        default: return NULL;
        }
    }
    n->len = (size_t)(out - n->str);
    *out = 0; /* safe: out < at, and at has moved past the closing quote */
    return n;
}

static Node *value(int depth);

static Node *members(int type, char close, int depth) {
    Node *n = node(type), *last = NULL;
    if (!n) return NULL;
    skip_space();
    if (*at == close) { at++; return n; }
    for (;;) {
        Node *key = NULL, *item;
        skip_space();
        if (type == J_OBJ) {
            if (*at++ != '"' || !(key = string())) return NULL;
            skip_space();
            if (*at++ != ':') return NULL;
        }
        if (!(item = value(depth + 1))) return NULL;
        item->key = key;
        if (last) last->next = item; else n->first = item;
        last = item;
        n->len++;
        skip_space();
        if (*at == ',') { at++; continue; }
        if (*at++ == close) return n;
        return NULL;
    }
}

static Node *value(int depth) {
    skip_space();
    if (depth > 8) return NULL;
    switch (*at) {
    case '{': at++; return members(J_OBJ, '}', depth);
    case '[': at++; return members(J_ARR, ']', depth);
    case '"': at++; return string();
    case 't': if (!strncmp(at, "true", 4)) { at += 4; return node(J_TRUE); } return NULL;
    case 'f': if (!strncmp(at, "false", 5)) { at += 5; return node(J_FALSE); } return NULL;
    case 'n': if (!strncmp(at, "null", 4)) { at += 4; return node(J_NULL); } return NULL;
    default: {
        char *end;
        long long v;
        Node *n;
        if (*at != '-' && (*at < '0' || *at > '9')) return NULL;
        v = strtoll(at, &end, 10);
        if (end == at || *end == '.' || *end == 'e' || *end == 'E') return NULL; /* integers only */
        at = end;
        if (!(n = node(J_NUM))) return NULL;
        n->num = v;
        return n;
    }
    }
}

static Node *parse(char *line) {
    Node *root;
    used = 0;
    at = line;
    root = value(0);
    if (!root) return NULL;
    skip_space();
    return *at ? NULL : root;
}

static Node *member(Node *object, const char *name) {
    for (Node *n = object->first; n; n = n->next)
        if (n->key && !strcmp(n->key->str, name)) return n;
    return NULL;
}

static Node *item(Node *array, size_t index) {
    Node *n = array->first;
    while (n && index--) n = n->next;
    return n;
}

/* --- base64 -------------------------------------------------------------------------------------------------- */

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void put_base64(const unsigned char *data, size_t size) {
    for (size_t i = 0; i < size; i += 3) {
        unsigned v = data[i] << 16 | (i + 1 < size ? data[i + 1] << 8 : 0) | (i + 2 < size ? data[i + 2] : 0);
        putchar(B64[v >> 18 & 63]);
        putchar(B64[v >> 12 & 63]);
        putchar(i + 1 < size ? B64[v >> 6 & 63] : '=');
        putchar(i + 2 < size ? B64[v & 63] : '=');
    }
}

static long base64_into(const char *text, unsigned char *out, size_t room) {
    /* the decoded length, or -1 for text that is not base64 or longer than room */
    size_t n = 0;
    unsigned v = 0;
    int bits = 0;
    for (; *text && *text != '='; text++) {
        const char *p = strchr(B64, *text);
        if (!p || !*text) return -1;
        v = v << 6 | (unsigned)(p - B64);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (n >= room) return -1;
            out[n++] = (unsigned char)(v >> bits & 0xFF);
        }
    }
    return (long)n;
}

/* --- replies ------------------------------------------------------------------------------------------------- */

static void put_string(const char *text) {
    putchar('"');
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        if (*p == '"' || *p == '\\') { putchar('\\'); putchar(*p); }
        else if (*p < 0x20) printf("\\u%04x", *p);
        else putchar(*p);
    }
    putchar('"');
}

static void fail(const char *error, const char *message) {
    printf("{\"ok\": false, \"error\": \"%s\", \"message\": ", error);
    put_string(message);
    printf("}\n");
    fflush(stdout);
}

/* --- libraries ----------------------------------------------------------------------------------------------- */

static struct { char *path; void *handle; } libraries[MAX_LIBRARIES];
static int library_count;

static void *library(const char *path, char *why, size_t room) {
    void *handle;
    for (int i = 0; i < library_count; i++)
        if (!strcmp(libraries[i].path, path)) return libraries[i].handle;
    if (library_count >= MAX_LIBRARIES) { snprintf(why, room, "too many libraries"); return NULL; }
#ifdef _WIN32
    {
        int chars = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, path, -1, NULL, 0);
        wchar_t *wide;
        if (chars <= 0) { snprintf(why, room, "the path is not UTF-8"); return NULL; }
        wide = malloc(sizeof(wchar_t) * (size_t)chars);
        if (!wide) { snprintf(why, room, "out of memory"); return NULL; }
        MultiByteToWideChar(CP_UTF8, 0, path, -1, wide, chars);
        /* the DLL's own folder first for the DLLs it needs (vendor SDKs bring several) */
        handle = LoadLibraryExW(wide, NULL, LOAD_WITH_ALTERED_SEARCH_PATH);
        free(wide);
        if (!handle) {
            snprintf(why, room, "LoadLibrary failed with Windows error %lu", (unsigned long)GetLastError());
            return NULL;
        }
    }
#else
    handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!handle) { snprintf(why, room, "%s", dlerror()); return NULL; }
#endif
    libraries[library_count].path = strdup(path);
    libraries[library_count].handle = handle;
    library_count++;
    return handle;
}

static void *symbol(void *handle, const char *name) {
#ifdef _WIN32
    return (void *)GetProcAddress((HMODULE)handle, name);
#else
    return dlsym(handle, name);
#endif
}

typedef intptr_t A;

static int invoke(void *f, int n, A *a) {
    switch (n) {
    case 0: return ((int(VENDOR *)(void))f)();
    case 1: return ((int(VENDOR *)(A))f)(a[0]);
    case 2: return ((int(VENDOR *)(A, A))f)(a[0], a[1]);
    case 3: return ((int(VENDOR *)(A, A, A))f)(a[0], a[1], a[2]);
    case 4: return ((int(VENDOR *)(A, A, A, A))f)(a[0], a[1], a[2], a[3]);
    case 5: return ((int(VENDOR *)(A, A, A, A, A))f)(a[0], a[1], a[2], a[3], a[4]);
    case 6: return ((int(VENDOR *)(A, A, A, A, A, A))f)(a[0], a[1], a[2], a[3], a[4], a[5]);
    case 7: return ((int(VENDOR *)(A, A, A, A, A, A, A))f)(a[0], a[1], a[2], a[3], a[4], a[5], a[6]);
    default: return ((int(VENDOR *)(A, A, A, A, A, A, A, A))f)(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]);
    }
}

/* --- one request --------------------------------------------------------------------------------------------- */

static void answer(char *line) {
    Node *request = parse(line), *op, *lib, *fn, *args = NULL, *arg;
    char why[600];
    void *handle, *function;
    A values[MAX_ARGS];
    int ints[MAX_ARGS], kinds[MAX_ARGS], sizes[MAX_ARGS], count = 0, ret;
    unsigned char *buffers[MAX_ARGS] = {0};

    if (!request || request->type != J_OBJ) { fail("json", "the request is not a JSON object"); return; }
    op = member(request, "op");
    lib = member(request, "lib");
    fn = member(request, "fn");
    if (!op || op->type != J_STR || (strcmp(op->str, "find") && strcmp(op->str, "call"))) {
        fail("request", "op must be \"find\" or \"call\""); return;
    }
    if (!lib || lib->type != J_STR || !lib->len || !fn || fn->type != J_STR || !fn->len) {
        fail("request", "lib and fn must be non-empty strings"); return;
    }
    if (!strcmp(op->str, "call")) {
        args = member(request, "args");
        if (!args || args->type != J_ARR || args->len > MAX_ARGS) {
            fail("request", "args must be a list of at most 8 arguments"); return;
        }
        for (arg = args->first; arg; arg = arg->next, count++) {
            Node *kind = arg->type == J_ARR ? item(arg, 0) : NULL, *a1 = arg->type == J_ARR ? item(arg, 1) : NULL;
            Node *a2 = arg->type == J_ARR ? item(arg, 2) : NULL;
            kinds[count] = kind && kind->type == J_STR && kind->len == 1 ? kind->str[0] : 0;
            if ((kinds[count] == 'i' || kinds[count] == 'p') && a1 && a1->type == J_NUM && !a2) {
                ints[count] = (int)a1->num;
                values[count] = kinds[count] == 'i' ? (A)ints[count] : (A)&ints[count];
            } else if (kinds[count] == 'n' && !a1) {
                values[count] = 0;
            } else if (kinds[count] == 'b' && a1 && a1->type == J_NUM && a1->num >= 0 && a1->num <= MAX_BUFFER
                       && (!a2 || a2->type == J_STR)) {
                sizes[count] = (int)a1->num;
                buffers[count] = calloc((size_t)sizes[count] + 1, 1);
                if (!buffers[count]) { fail("request", "out of memory"); goto done; }
                if (a2 && base64_into(a2->str, buffers[count], (size_t)sizes[count]) < 0) {
                    snprintf(why, sizeof why, "argument %d: the bytes are not base64 or longer than %d", count + 1,
                             sizes[count]);
                    fail("request", why);
                    goto done;
                }
                values[count] = (A)buffers[count];
            } else {
                snprintf(why, sizeof why, "argument %d must be [\"i\", N], [\"b\", SIZE, BASE64], [\"p\", N] "
                                          "or [\"n\"]", count + 1);
                fail("request", why);
                goto done;
            }
        }
    }
    if (!(handle = library(lib->str, why, sizeof why))) { fail("load", why); goto done; }
    if (!(function = symbol(handle, fn->str))) {
        snprintf(why, sizeof why, "the library does not export %.200s", fn->str);
        fail("symbol", why);
        goto done;
    }
    if (!args) { printf("{\"ok\": true}\n"); fflush(stdout); goto done; }
    ret = invoke(function, count, values);
    printf("{\"ok\": true, \"ret\": %d, \"out\": [", ret);
    for (int i = 0; i < count; i++) {
        if (i) printf(", ");
        if (kinds[i] == 'b') { putchar('"'); put_base64(buffers[i], (size_t)sizes[i]); putchar('"'); }
        else if (kinds[i] == 'p') printf("%d", ints[i]);
        else printf("null");
    }
    printf("]}\n");
    fflush(stdout);
done:
    for (int i = 0; i < MAX_ARGS; i++) free(buffers[i]);
}

int main(void) {
    char *line = malloc(MAX_LINE + 2);
    if (!line) return 1;
#ifdef _WIN32
    SetErrorMode(SEM_FAILCRITICALERRORS | SEM_NOOPENFILEERRORBOX); /* no message boxes from a failed load */
    _setmode(_fileno(stdin), _O_BINARY);
    _setmode(_fileno(stdout), _O_BINARY);
#endif
    while (fgets(line, MAX_LINE + 2, stdin)) {
        size_t len = strlen(line);
        if (len && line[len - 1] != '\n' && len > MAX_LINE) {
            int c;
            while ((c = getchar()) != EOF && c != '\n') {}
            fail("json", "the request line is too long");
            continue;
        }
        if (strspn(line, " \t\r\n") == len) continue;
        answer(line);
    }
    free(line);
    return 0;
}
