/*
 * curlfloor: the floor for TLS taken from libcurl, as jetstream-tail takes it.
 *
 *   curlfloor [--cacert PEM] --discard BYTES wss://127.0.0.1:PORT/PATH
 *
 * Opens the connection the way the tool's design requires (curl_global_init, then libcurl in
 * CONNECT_ONLY mode with certificate checks, bytes moved with curl_easy_send and curl_easy_recv),
 * sends the upgrade request, then reads BYTES after the response head and throws them away: no
 * frames, no output. Its CPU time is what receiving the stream through libcurl costs, and its peak
 * RSS is the least memory any program that takes its TLS from libcurl needs for this stream.
 * Exit status 0 when exactly BYTES arrived before the server closed.
 */
#define _GNU_SOURCE
#include <curl/curl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK (256 * 1024)

static void die(const char *what, CURLcode rc) {
    fprintf(stderr, "curlfloor: %s%s%s\n", what, rc ? ": " : "", rc ? curl_easy_strerror(rc) : "");
    exit(1);
}

/* Waits until the connection's socket is ready for `events` (TLS may also hold bytes poll cannot
   see, so this is called only after libcurl said CURLE_AGAIN). */
static void wait_for(CURL *curl, short events) {
    curl_socket_t socket = CURL_SOCKET_BAD;
    if (curl_easy_getinfo(curl, CURLINFO_ACTIVESOCKET, &socket) != CURLE_OK || socket == CURL_SOCKET_BAD)
        die("no socket", CURLE_OK);
    struct pollfd ready = {.fd = socket, .events = events};
    if (poll(&ready, 1, 60000) != 1) die("timed out waiting for the socket", CURLE_OK);
}

/* Up to cap bytes; 0 at the end of the stream. */
static size_t receive(CURL *curl, char *into, size_t cap) {
    for (;;) {
        size_t got = 0;
        CURLcode rc = curl_easy_recv(curl, into, cap, &got);
        if (rc == CURLE_OK) return got;
        if (rc != CURLE_AGAIN) die("curl_easy_recv", rc);
        wait_for(curl, POLLIN);
    }
}

int main(int argc, char **argv) {
    const char *cacert = NULL, *url = NULL;
    long long discard = -1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--cacert") && i + 1 < argc) cacert = argv[++i];
        else if (!strcmp(argv[i], "--discard") && i + 1 < argc) discard = atoll(argv[++i]);
        else if (argv[i][0] != '-' && !url) url = argv[i];
        else { fprintf(stderr, "usage: curlfloor [--cacert PEM] --discard BYTES wss://HOST:PORT/PATH\n"); return 2; }
    }
    if (!url || discard < 0 || strncmp(url, "wss://", 6) != 0) { fprintf(stderr, "curlfloor: a wss:// URL and --discard are required\n"); return 2; }
    const char *authority = url + 6;
    const char *path = strchr(authority, '/');
    if (!path) path = "/";
    char https[512], host[256];
    snprintf(https, sizeof https, "https://%.*s/", (int)(path - authority), authority);
    snprintf(host, sizeof host, "%.*s", (int)(path - authority), authority);

    CURLcode rc = curl_global_init(CURL_GLOBAL_DEFAULT);
    if (rc) die("curl_global_init", rc);
    CURL *curl = curl_easy_init();
    if (!curl) die("curl_easy_init", CURLE_OK);
    curl_easy_setopt(curl, CURLOPT_URL, https);
    curl_easy_setopt(curl, CURLOPT_CONNECT_ONLY, 1L);
    if (cacert) curl_easy_setopt(curl, CURLOPT_CAINFO, cacert);
    if ((rc = curl_easy_perform(curl))) die("connecting", rc);

    char request[768];
    int length = snprintf(request, sizeof request,
                          "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                          "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
                          path, host);
    for (size_t sent = 0; sent < (size_t)length;) {
        size_t n = 0;
        rc = curl_easy_send(curl, request + sent, (size_t)length - sent, &n);
        if (rc == CURLE_AGAIN) {
            wait_for(curl, POLLOUT);
            continue;
        }
        if (rc) die("curl_easy_send", rc);
        sent += n;
    }

    char *buffer = malloc(CHUNK);
    if (!buffer) die("malloc", CURLE_OK);
    /* The response head, up to the blank line; what follows it already counts. */
    size_t end = 0;
    long long received = 0;
    for (;;) {
        if (end == CHUNK) die("response head too long", CURLE_OK);
        size_t n = receive(curl, buffer + end, CHUNK - end);
        if (n == 0) die("EOF during the upgrade", CURLE_OK);
        end += n;
        char *blank = memmem(buffer, end, "\r\n\r\n", 4);
        if (blank) {
            if (end < 12 || memcmp(buffer + 9, "101", 3) != 0) die("the server did not switch protocols", CURLE_OK);
            received = (long long)(buffer + end - (blank + 4));
            break;
        }
    }
    while (received < discard) {
        size_t n = receive(curl, buffer, CHUNK);
        if (n == 0) break;
        received += (long long)n;
    }
    printf("%lld\n", received);
    curl_easy_cleanup(curl);
    return received == discard ? 0 : 1;
}
