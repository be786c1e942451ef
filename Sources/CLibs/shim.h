// Typed, non-variadic wrappers for the few C calls Swift cannot import directly.
// libcurl's curl_easy_setopt and curl_easy_getinfo are variadic; each wrapper fixes one argument type.
#ifndef JT_SHIM_H
#define JT_SHIM_H

#include <curl/curl.h>
#include <zstd.h>
#include <zstd_errors.h>

static inline CURLcode jt_curl_setopt_long(CURL *handle, CURLoption option, long value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode jt_curl_setopt_str(CURL *handle, CURLoption option, const char *value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode jt_curl_setopt_ptr(CURL *handle, CURLoption option, void *value) {
    return curl_easy_setopt(handle, option, value);
}

// The body callback and its context pointer, set together.
typedef size_t (*jt_curl_write_callback)(char *data, size_t size, size_t count, void *context);
static inline CURLcode jt_curl_setopt_write(CURL *handle, jt_curl_write_callback callback, void *context) {
    CURLcode rc = curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, callback);
    return rc != CURLE_OK ? rc : curl_easy_setopt(handle, CURLOPT_WRITEDATA, context);
}

static inline CURLcode jt_curl_getinfo_str(CURL *handle, CURLINFO info, const char **value) {
    return curl_easy_getinfo(handle, info, value);
}

static inline CURLcode jt_curl_getinfo_socket(CURL *handle, curl_socket_t *socket) {
    return curl_easy_getinfo(handle, CURLINFO_ACTIVESOCKET, socket);
}

static inline CURLcode jt_curl_getinfo_long(CURL *handle, CURLINFO info, long *value) {
    return curl_easy_getinfo(handle, info, value);
}

#endif
