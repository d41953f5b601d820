// libmicrohttpd, loaded on first use (see CLazyLibraries.h).
#include <stdarg.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <microhttpd.h>

#include "lazy.h"

static struct jc_library libmhd = {"libmicrohttpd.so.12", "the web page ('jcrun web')",
                                   PTHREAD_ONCE_INIT, NULL};

static void open_libmhd(void) { jc_open_library(&libmhd); }

#define MHD(ret, name, params, args) JC_FORWARD(libmhd, open_libmhd, ret, name, params, args)
#define MHD_VOID(name, params, args) JC_FORWARD_VOID(libmhd, open_libmhd, name, params, args)

MHD_VOID(MHD_stop_daemon, (struct MHD_Daemon *daemon), (daemon))
MHD(enum MHD_Result, MHD_queue_response,
    (struct MHD_Connection *connection, unsigned int status_code, struct MHD_Response *response),
    (connection, status_code, response))
MHD(struct MHD_Response *, MHD_create_response_from_buffer,
    (size_t size, void *buffer, enum MHD_ResponseMemoryMode mode), (size, buffer, mode))
MHD_VOID(MHD_destroy_response, (struct MHD_Response *response), (response))
MHD(enum MHD_Result, MHD_add_response_header,
    (struct MHD_Response *response, const char *header, const char *content),
    (response, header, content))
MHD(int, MHD_get_connection_values,
    (struct MHD_Connection *connection, enum MHD_ValueKind kind, MHD_KeyValueIterator iterator,
     void *iterator_cls),
    (connection, kind, iterator, iterator_cls))
MHD(struct MHD_Daemon *, MHD_start_daemon_va,
    (unsigned int flags, uint16_t port, MHD_AcceptPolicyCallback apc, void *apc_cls,
     MHD_AccessHandlerCallback dh, void *dh_cls, va_list ap),
    (flags, port, apc, apc_cls, dh, dh_cls, ap))

/// The variadic start, through the library's `va_list` form.
struct MHD_Daemon *MHD_start_daemon(unsigned int flags, uint16_t port, MHD_AcceptPolicyCallback apc,
                                    void *apc_cls, MHD_AccessHandlerCallback dh, void *dh_cls, ...) {
    va_list ap;
    va_start(ap, dh_cls);
    struct MHD_Daemon *daemon = MHD_start_daemon_va(flags, port, apc, apc_cls, dh, dh_cls, ap);
    va_end(ap);
    return daemon;
}
