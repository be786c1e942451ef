/*
 * creader: the benchmark's yardsticks in C, over plain TCP or OpenSSL.
 *
 *   creader [--cacert PEM] [--zstd-dict FILE] [--check] -n N URL   parse frames, write lines
 *   creader [--cacert PEM] --discard BYTES URL                      read and discard (the floor)
 *
 * As a reader it is the least a correct-enough client can do: one read buffer, server frames
 * parsed in place, every text or binary message's payload (zstd-decoded straight into the
 * output buffer with one context and one digested dictionary) plus "\n" appended to a 1 MiB
 * output buffer that goes out with write(2) when full; it stops after N messages or at a close
 * frame. It checks no UTF-8 and handles no fragmentation or control frames but close: the
 * benchmark server sends none. As the floor it only reads BYTES after the upgrade and throws
 * them away, which is what receiving the stream costs on this machine.
 *
 * With --check it also makes, on every message, the checks jetstream-tail cannot skip, written
 * the same way jetstream-tail makes them: the message is valid UTF-8 (RFC 6455 section 8.1 for a
 * text message; jetstream-tail checks a decompressed one too), it holds no raw line break (an
 * event is one line), and its time_us, the resume cursor, is read from the prefix the server
 * writes. It exits with an error on anything else. What it adds to the minimal reader's cost is
 * what those checks cost a C program: the part of jetstream-tail's cost no implementation of it
 * avoids.
 *
 * URL is ws://127.0.0.1:PORT/PATH or wss://...; only IPv4 literals are accepted.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <emmintrin.h>
#include <zstd.h>

#define READ_CHUNK (256 * 1024)
#define OUT_SIZE (1024 * 1024)

static int fd = -1;
static SSL *ssl = NULL;

static void die(const char *what) {
    fprintf(stderr, "creader: %s\n", what);
    if (errno) perror("creader");
    ERR_print_errors_fp(stderr);
    exit(1);
}

/* Reads up to cap bytes; 0 at EOF. */
static size_t receive(uint8_t *into, size_t cap) {
    if (ssl) {
        int n = SSL_read(ssl, into, (int)cap);
        if (n > 0) return (size_t)n;
        int err = SSL_get_error(ssl, n);
        if (err == SSL_ERROR_ZERO_RETURN) return 0;
        die("SSL_read");
    }
    for (;;) {
        ssize_t n = read(fd, into, cap);
        if (n >= 0) return (size_t)n;
        if (errno != EINTR) die("read");
    }
}

static void send_all(const char *data, size_t length) {
    while (length > 0) {
        ssize_t n = ssl ? SSL_write(ssl, data, (int)length) : write(fd, data, length);
        if (n <= 0) die("write to server");
        data += n;
        length -= (size_t)n;
    }
}

/* --check: RFC 3629 UTF-8, 128 and then 64 bytes at a time while all ASCII; past those steps the
 * final 64 bytes are tried at once, then words, then each multi-byte character whole, a short
 * run of ASCII between characters stepped over a word at a time. The same steps as
 * jetstream-tail's UTF8Validator. */
static __m128i or64(const uint8_t *p) {
    __m128i a = _mm_loadu_si128((const __m128i *)p), b = _mm_loadu_si128((const __m128i *)(p + 16));
    __m128i c = _mm_loadu_si128((const __m128i *)(p + 32)), d = _mm_loadu_si128((const __m128i *)(p + 48));
    return _mm_or_si128(_mm_or_si128(a, b), _mm_or_si128(c, d));
}

static int any_high_bit(const uint8_t *p) { return _mm_movemask_epi8(or64(p)) != 0; }

static uint64_t high_bits(const uint8_t *p) {
    uint64_t w;
    memcpy(&w, p, 8);
    return w & 0x8080808080808080ull;
}

static int valid_utf8(const uint8_t *p, size_t n) {
    size_t i = 0;
    while (i < n) {
        while (i + 128 <= n && !_mm_movemask_epi8(_mm_or_si128(or64(p + i), or64(p + i + 64)))) i += 128;
        if (i + 64 <= n && !any_high_bit(p + i)) i += 64;
        if (i < n && n - i < 64 && n >= 64 && !any_high_bit(p + n - 64)) return 1;
        for (; i + 8 <= n; i += 8) {
            uint64_t h = high_bits(p + i);
            if (h) { i += (size_t)__builtin_ctzll(h) / 8; break; }
        }
        while (i < n && p[i] < 0x80) i++;
        while (i < n) {
            uint8_t lead = p[i], low = 0x80, high = 0xBF;
            size_t length;
            if (lead < 0x80) {
                uint64_t h = i + 8 <= n ? high_bits(p + i) : 0;
                if (!h) break;                             /* eight or more ASCII: the fast steps */
                i += (size_t)__builtin_ctzll(h) / 8;
                continue;
            }
            if (lead >= 0xC2 && lead <= 0xDF) length = 2;
            else if (lead == 0xE0) { length = 3; low = 0xA0; }
            else if (lead == 0xED) { length = 3; high = 0x9F; }
            else if (lead >= 0xE1 && lead <= 0xEF) length = 3;
            else if (lead == 0xF0) { length = 4; low = 0x90; }
            else if (lead == 0xF4) { length = 4; high = 0x8F; }
            else if (lead >= 0xF1 && lead <= 0xF3) length = 4;
            else return 0;
            if (n - i < length || p[i + 1] < low || p[i + 1] > high) return 0;
            if (length >= 3 && (p[i + 2] & 0xC0) != 0x80) return 0;
            if (length == 4 && (p[i + 3] & 0xC0) != 0x80) return 0;
            i += length;
        }
    }
    return 1;
}

/* The time_us values read, summed and reported at the end, so that reading them is real work. */
static long long checked_time_sum;

/* --check on one message, where it lies in the output buffer. */
static void check_message(const uint8_t *p, size_t n) {
    if (!valid_utf8(p, n)) die("a message is not valid UTF-8");
    if (memchr(p, '\n', n)) die("a message holds a line break");
    static const char did[] = "{\"did\":\"", time_us[] = "\",\"time_us\":";
    if (n < 8 || p[n - 1] != '}' || memcmp(p, did, 8) != 0) die("a message does not start with did");
    const uint8_t *q = memchr(p + 8, '"', n - 8);
    if (!q || (size_t)(p + n - q) < sizeof time_us || memcmp(q, time_us, sizeof time_us - 1) != 0)
        die("a message has no time_us after its did");
    q += sizeof time_us - 1;
    long long t = 0;
    for (; *q >= '0' && *q <= '9'; q++) t = t * 10 + (*q - '0');  /* stops at the final '}' at worst */
    checked_time_sum += t;
}

static uint8_t *out;
static size_t out_used;

static void flush_out(void) {
    size_t done = 0;
    while (done < out_used) {
        ssize_t n = write(1, out + done, out_used - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) die("write to stdout");
        done += (size_t)n;
    }
    out_used = 0;
}

static void connect_to(const char *url, const char *cacert) {
    int tls = 0;
    if (strncmp(url, "wss://", 6) == 0) { tls = 1; url += 6; }
    else if (strncmp(url, "ws://", 5) == 0) url += 5;
    else die("URL must start with ws:// or wss://");
    char host[64];
    const char *colon = strchr(url, ':');
    if (!colon || colon - url >= (long)sizeof host) die("URL needs HOST:PORT");
    memcpy(host, url, (size_t)(colon - url));
    host[colon - url] = 0;
    int port = atoi(colon + 1);
    const char *path = strchr(colon, '/');
    if (!path) path = "/";

    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (inet_pton(AF_INET, host, &address.sin_addr) != 1) die("host must be an IPv4 literal");
    fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&address, sizeof address) != 0) die("connect");
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);

    if (tls) {
        SSL_CTX *context = SSL_CTX_new(TLS_client_method());
        if (!context) die("SSL_CTX_new");
        if (cacert ? SSL_CTX_load_verify_locations(context, cacert, NULL) != 1
                   : SSL_CTX_set_default_verify_paths(context) != 1)
            die("loading CA certificates");
        SSL_CTX_set_verify(context, SSL_VERIFY_PEER, NULL);
        ssl = SSL_new(context);
        X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host);
        SSL_set_fd(ssl, fd);
        if (SSL_connect(ssl) != 1) die("TLS handshake");
    }

    char request[512];
    int length = snprintf(request, sizeof request,
                          "GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                          "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
                          path, host, port);
    send_all(request, (size_t)length);
}

int main(int argc, char **argv) {
    const char *cacert = NULL, *dict_path = NULL, *url = NULL;
    long long limit = 0, discard = -1;
    int check = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--cacert") && i + 1 < argc) cacert = argv[++i];
        else if (!strcmp(argv[i], "--zstd-dict") && i + 1 < argc) dict_path = argv[++i];
        else if (!strcmp(argv[i], "-n") && i + 1 < argc) limit = atoll(argv[++i]);
        else if (!strcmp(argv[i], "--check")) check = 1;
        else if (!strcmp(argv[i], "--discard") && i + 1 < argc) discard = atoll(argv[++i]);
        else if (argv[i][0] != '-' && !url) url = argv[i];
        else { fprintf(stderr, "usage: creader [--cacert PEM] [--zstd-dict FILE] [--check] (-n N | --discard BYTES) URL\n"); return 2; }
    }
    if (!url) { fprintf(stderr, "creader: no URL\n"); return 2; }

    ZSTD_DCtx *dctx = NULL;
    ZSTD_DDict *ddict = NULL;
    if (dict_path) {
        FILE *f = fopen(dict_path, "rb");
        if (!f) die("opening the dictionary");
        static uint8_t dict[1 << 20];
        size_t size = fread(dict, 1, sizeof dict, f);
        fclose(f);
        ddict = ZSTD_createDDict(dict, size);
        dctx = ZSTD_createDCtx();
        if (!ddict || !dctx) die("zstd setup");
    }

    connect_to(url, cacert);

    size_t capacity = 4 * READ_CHUNK;
    uint8_t *buffer = malloc(capacity);
    out = malloc(OUT_SIZE);
    if (!buffer || !out) die("malloc");
    size_t start = 0, end = 0;

    /* The response head, up to the blank line; what follows it is frame data. */
    for (;;) {
        if (end == capacity) die("response head too long");
        size_t n = receive(buffer + end, capacity - end);
        if (n == 0) die("EOF during the upgrade");
        end += n;
        uint8_t *blank = memmem(buffer, end, "\r\n\r\n", 4);
        if (blank) {
            if (end < 12 || memcmp(buffer + 9, "101", 3) != 0) die("the server did not switch protocols");
            start = (size_t)(blank + 4 - buffer);
            break;
        }
    }

    if (discard >= 0) {
        long long received = (long long)(end - start);
        while (received < discard) {
            size_t n = receive(buffer, capacity);
            if (n == 0) break;
            received += (long long)n;
        }
        printf("%lld\n", received);
        return received == discard ? 0 : 1;
    }

    long long count = 0;
    for (;;) {
        /* Every whole frame in the buffer. */
        while (end - start >= 2) {
            uint8_t *p = buffer + start;
            uint8_t opcode = p[0] & 0x0F;
            if (p[1] & 0x80) die("masked server frame");
            uint64_t length = p[1] & 0x7F;
            size_t header = 2;
            if (length == 126) {
                if (end - start < 4) break;
                length = ((uint64_t)p[2] << 8) | p[3];
                header = 4;
            } else if (length == 127) {
                if (end - start < 10) break;
                length = 0;
                for (int i = 2; i < 10; i++) length = (length << 8) | p[i];
                header = 10;
            }
            if (end - start < header + length) {
                if (header + length > capacity) {
                    capacity = header + length + READ_CHUNK;
                    buffer = realloc(buffer, capacity);
                    if (!buffer) die("realloc");
                }
                break;
            }
            const uint8_t *payload = buffer + start + header;
            start += header + length;
            if (opcode == 0x8) goto done;
            if (opcode != 0x1 && opcode != 0x2) die("unexpected opcode");
            if (dctx) {
                unsigned long long size = ZSTD_getFrameContentSize(payload, length);
                if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN || size > OUT_SIZE - 1)
                    die("zstd frame without a usable content size");
                if (OUT_SIZE - out_used < size + 1) flush_out();
                size_t n = ZSTD_decompress_usingDDict(dctx, out + out_used, OUT_SIZE - out_used, payload, length, ddict);
                if (ZSTD_isError(n)) die(ZSTD_getErrorName(n));
                if (check) check_message(out + out_used, n);
                out_used += n;
            } else {
                if (length + 1 > OUT_SIZE - out_used) flush_out();
                if (length + 1 > OUT_SIZE) die("message larger than the output buffer");
                memcpy(out + out_used, payload, length);
                if (check) check_message(out + out_used, length);
                out_used += length;
            }
            out[out_used++] = '\n';
            if (++count == limit) goto done;
        }
        /* Keep the partial frame, read more behind it. */
        if (start > 0) {
            memmove(buffer, buffer + start, end - start);
            end -= start;
            start = 0;
        }
        if (capacity - end < READ_CHUNK / 4) {
            capacity += READ_CHUNK;
            buffer = realloc(buffer, capacity);
            if (!buffer) die("realloc");
        }
        size_t n = receive(buffer + end, capacity - end);
        if (n == 0) break;
        end += n;
    }
done:
    flush_out();
    if (check) fprintf(stderr, "creader: time_us sum %lld\n", checked_time_sum);
    return 0;
}
