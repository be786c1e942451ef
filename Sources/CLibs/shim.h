// Typed, non-variadic wrappers for the few C calls Swift cannot import directly.
// libcurl's curl_easy_setopt and curl_easy_getinfo are variadic; each wrapper fixes one argument type.
//
// libcurl is not linked: it is loaded with dlopen on first use (CurlLibrary.swift), because loading
// it maps about 40 libraries (OpenSSL, GnuTLS, Kerberos, LDAP, ...), some 6 MB resident, that a
// ws:// run never uses. Its functions are called through the table below, whose field types are
// taken from curl.h's own prototypes, so a mismatch cannot compile.
#ifndef JT_SHIM_H
#define JT_SHIM_H

#include <dlfcn.h>
#include <stddef.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <curl/curl.h>
#include <zstd.h>
#include <zstd_errors.h>

// The libcurl functions the tool uses.
struct jt_curl {
    __typeof__(&curl_global_init) global_init;
    __typeof__(&curl_easy_init) easy_init;
    __typeof__(&curl_easy_perform) easy_perform;
    __typeof__(&curl_easy_send) easy_send;
    __typeof__(&curl_easy_recv) easy_recv;
    __typeof__(&curl_easy_cleanup) easy_cleanup;
    __typeof__(&curl_easy_strerror) easy_strerror;
    __typeof__(&curl_slist_append) slist_append;
    __typeof__(&curl_slist_free_all) slist_free_all;
    __typeof__(&curl_easy_setopt) easy_setopt;   // variadic: called through the wrappers below
    __typeof__(&curl_easy_getinfo) easy_getinfo; // variadic: likewise
};

// Loads libcurl (soname libcurl.so.4, the ABI since 2006) and fills `api`. Returns NULL, or
// dlerror's text when the library or one of its functions is missing. The handle is never closed.
static inline const char *jt_curl_load(struct jt_curl *api) {
    void *lib = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (!lib) return dlerror();
#define JT_CURL_SYMBOL(field, name) \
    if (!(*(void **)&api->field = dlsym(lib, name))) return dlerror();
    JT_CURL_SYMBOL(global_init, "curl_global_init")
    JT_CURL_SYMBOL(easy_init, "curl_easy_init")
    JT_CURL_SYMBOL(easy_perform, "curl_easy_perform")
    JT_CURL_SYMBOL(easy_send, "curl_easy_send")
    JT_CURL_SYMBOL(easy_recv, "curl_easy_recv")
    JT_CURL_SYMBOL(easy_cleanup, "curl_easy_cleanup")
    JT_CURL_SYMBOL(easy_strerror, "curl_easy_strerror")
    JT_CURL_SYMBOL(slist_append, "curl_slist_append")
    JT_CURL_SYMBOL(slist_free_all, "curl_slist_free_all")
    JT_CURL_SYMBOL(easy_setopt, "curl_easy_setopt")
    JT_CURL_SYMBOL(easy_getinfo, "curl_easy_getinfo")
#undef JT_CURL_SYMBOL
    return NULL;
}

static inline CURLcode jt_curl_setopt_long(const struct jt_curl *api, CURL *handle, CURLoption option, long value) {
    return api->easy_setopt(handle, option, value);
}

static inline CURLcode jt_curl_setopt_str(const struct jt_curl *api, CURL *handle, CURLoption option, const char *value) {
    return api->easy_setopt(handle, option, value);
}

static inline CURLcode jt_curl_setopt_ptr(const struct jt_curl *api, CURL *handle, CURLoption option, void *value) {
    return api->easy_setopt(handle, option, value);
}

// The body callback and its context pointer, set together.
typedef size_t (*jt_curl_write_callback)(char *data, size_t size, size_t count, void *context);
static inline CURLcode jt_curl_setopt_write(const struct jt_curl *api, CURL *handle, jt_curl_write_callback callback, void *context) {
    CURLcode rc = api->easy_setopt(handle, CURLOPT_WRITEFUNCTION, callback);
    return rc != CURLE_OK ? rc : api->easy_setopt(handle, CURLOPT_WRITEDATA, context);
}

static inline CURLcode jt_curl_getinfo_str(const struct jt_curl *api, CURL *handle, CURLINFO info, const char **value) {
    return api->easy_getinfo(handle, info, value);
}

static inline CURLcode jt_curl_getinfo_socket(const struct jt_curl *api, CURL *handle, curl_socket_t *socket) {
    return api->easy_getinfo(handle, CURLINFO_ACTIVESOCKET, socket);
}

static inline CURLcode jt_curl_getinfo_long(const struct jt_curl *api, CURL *handle, CURLINFO info, long *value) {
    return api->easy_getinfo(handle, info, value);
}

// libcurl's CURLOPT_SSL_CTX_FUNCTION for its OpenSSL backend: before the handshake, let OpenSSL
// read ahead into a 64 KiB buffer, so one recv(2) brings several TLS records instead of two calls
// for each (header, then body). OpenSSL is libcurl's dependency, not linked here: its two
// functions are looked up in the copy libcurl loaded, and when that is not libssl.so.3 nothing
// changes. 41 is SSL_CTRL_SET_READ_AHEAD (openssl/ssl.h), the control that SSL_CTX_set_read_ahead
// wraps.
static inline CURLcode jt_tune_openssl(CURL *curl, void *ssl_ctx, void *context) {
    (void)curl;
    (void)context;
    void *ssl = dlopen("libssl.so.3", RTLD_LAZY | RTLD_NOLOAD);
    if (!ssl) return CURLE_OK;
    long (*control)(void *, int, long, void *) = (long (*)(void *, int, long, void *))dlsym(ssl, "SSL_CTX_ctrl");
    void (*buffer)(void *, size_t) = (void (*)(void *, size_t))dlsym(ssl, "SSL_CTX_set_default_read_buffer_len");
    if (control && buffer) {
        buffer(ssl_ctx, 64 * 1024);
        control(ssl_ctx, 41, 1, NULL);
    }
    dlclose(ssl);
    return CURLE_OK;
}

static inline CURLcode jt_curl_setopt_tune_openssl(const struct jt_curl *api, CURL *handle) {
    return api->easy_setopt(handle, CURLOPT_SSL_CTX_FUNCTION, jt_tune_openssl);
}

// How many CPUs this process may run on (its affinity mask, as taskset or a cpuset sets it), or -1
// when the kernel does not say. The raw system call: syscall(2) is variadic, and glibc declares
// sched_getaffinity only under _GNU_SOURCE.
static inline int jt_allowed_cpus(void) {
    unsigned long mask[64];  // room for 4096 CPUs
    long bytes = syscall(SYS_sched_getaffinity, 0, sizeof mask, mask);
    if (bytes <= 0) return -1;
    int count = 0;
    for (long i = 0; i < bytes / (long)sizeof mask[0]; i++) count += __builtin_popcountl(mask[i]);
    return count;
}

#endif
