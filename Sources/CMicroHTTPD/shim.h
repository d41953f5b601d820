#ifndef JCRUN_CMICROHTTPD_SHIM_H
#define JCRUN_CMICROHTTPD_SHIM_H
// libmicrohttpd for the web page. MHD_start_daemon is variadic, which Swift
// cannot call, so one fixed-argument wrapper starts the daemon the one way
// jcrun needs it.

#include <stdint.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <microhttpd.h>

/// Seconds an idle or slow connection may stay open.
#define JC_MHD_CONNECTION_TIMEOUT 10u
/// Open connections at once, in all.
#define JC_MHD_CONNECTION_LIMIT 512u
/// Threads answering requests.
#define JC_MHD_THREADS 8u

/// Query arguments a request may have; more are answered 414.
#define JC_MHD_MAX_ARGUMENTS 200u

/// Bytes a request target (path and query) may have; a longer one is
/// answered 414. libmicrohttpd itself answers a request line that does not
/// fit its connection buffer (about 32 KiB) with its own 414 page, before
/// jcrun sees it.
#define JC_MHD_MAX_TARGET 16384u

/// What `jc_mhd_uri_log` returns for a request with too many arguments (a
/// marker, never dereferenced; every other request starts with NULL).
static inline void *jc_mhd_too_many_arguments(void) { return (void *)(uintptr_t)1; }

/// What `jc_mhd_uri_log` returns for a target longer than JC_MHD_MAX_TARGET.
static inline void *jc_mhd_target_too_long(void) { return (void *)(uintptr_t)2; }

/// Called with the request line's URI before libmicrohttpd parses its query
/// arguments into the connection's 32 KiB memory pool. Each argument takes
/// about 60 bytes there, so about 470 of them exhausted it, and then there
/// was no room left to answer: the connection was closed with no response.
/// A query with more than JC_MHD_MAX_ARGUMENTS is cut after its `?` (the
/// URI is libmicrohttpd's own read buffer, parsed right after this call)
/// and the request is marked, so that the access handler answers 414.
static inline void *jc_mhd_uri_log(void *cls, const char *uri, struct MHD_Connection *connection) {
    (void)cls;
    (void)connection;
    // A target over the limit keeps its first 256 bytes of path (enough to
    // tell /api/ from a page, and for the log line) and loses its query.
    if (strlen(uri) > JC_MHD_MAX_TARGET) {
        char *cut = (char *)uri + 256;
        char *query = strchr(uri, '?');
        if (query != NULL && query < cut) cut = query;
        *cut = '\0';
        return jc_mhd_target_too_long();
    }
    char *query = strchr(uri, '?');
    if (query == NULL) return NULL;
    unsigned int count = 1;
    for (const char *p = query + 1; *p != '\0'; p++) {
        if (*p == '&') count++;
    }
    if (count <= JC_MHD_MAX_ARGUMENTS) return NULL;
    query[1] = '\0';
    return jc_mhd_too_many_arguments();
}

static inline int jc_mhd_hex(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/// Decodes `%XX` in place like libmicrohttpd's own unescaper, except that
/// `%00` stays as written: a decoded NUL would cut the C string, so
/// `/builds/1%00` would be served as `/builds/1`.
static inline size_t jc_mhd_unescape(void *cls, struct MHD_Connection *connection, char *s) {
    (void)cls;
    (void)connection;
    char *out = s;
    for (char *in = s; *in != '\0'; in++) {
        if (in[0] == '%' && in[1] != '\0' && in[2] != '\0') {
            int high = jc_mhd_hex(in[1]);
            int low = jc_mhd_hex(in[2]);
            if (high >= 0 && low >= 0 && (high | low) != 0) {
                *out++ = (char)(high * 16 + low);
                in += 2;
                continue;
            }
        }
        *out++ = *in;
    }
    *out = '\0';
    return (size_t)(out - s);
}

/// Serves on the already listening socket `listen_fd` with a pool of
/// JC_MHD_THREADS threads polling with epoll (or poll), so idle connections
/// cost a descriptor, not a thread; connections that send nothing for
/// JC_MHD_CONNECTION_TIMEOUT seconds are closed. `per_ip_limit` 0 means no
/// limit per address (loopback, where every client is the same address).
/// `handler` answers, `completed` frees each request's state.
static inline struct MHD_Daemon *jc_mhd_start(int listen_fd, MHD_AccessHandlerCallback handler,
                                              void *handler_cls,
                                              MHD_RequestCompletedCallback completed,
                                              void *completed_cls, unsigned int per_ip_limit) {
    unsigned int flags = MHD_USE_AUTO_INTERNAL_THREAD;
    return MHD_start_daemon(flags, 0, NULL, NULL, handler, handler_cls,
                            MHD_OPTION_LISTEN_SOCKET, (MHD_socket)listen_fd,
                            MHD_OPTION_NOTIFY_COMPLETED, completed, completed_cls,
                            MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)JC_MHD_THREADS,
                            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)JC_MHD_CONNECTION_TIMEOUT,
                            MHD_OPTION_CONNECTION_LIMIT, (unsigned int)JC_MHD_CONNECTION_LIMIT,
                            MHD_OPTION_PER_IP_CONNECTION_LIMIT, per_ip_limit,
                            MHD_OPTION_UNESCAPE_CALLBACK, jc_mhd_unescape, (void *)NULL,
                            MHD_OPTION_URI_LOG_CALLBACK, jc_mhd_uri_log, (void *)NULL,
                            MHD_OPTION_END);
}

#endif
