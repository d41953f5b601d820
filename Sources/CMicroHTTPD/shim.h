#ifndef JCRUN_CMICROHTTPD_SHIM_H
#define JCRUN_CMICROHTTPD_SHIM_H
// libmicrohttpd for the web page. MHD_start_daemon is variadic, which Swift
// cannot call, so one fixed-argument wrapper starts the daemon the one way
// jcrun needs it.

#include <stdint.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <microhttpd.h>

/// Serves on the already listening socket `listen_fd`: one internal polling
/// thread plus a thread per connection, so a slow request never stalls the
/// others; `handler` answers, `completed` frees each request's state.
static inline struct MHD_Daemon *jc_mhd_start(int listen_fd, MHD_AccessHandlerCallback handler,
                                              void *handler_cls,
                                              MHD_RequestCompletedCallback completed,
                                              void *completed_cls) {
    unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION;
    return MHD_start_daemon(flags, 0, NULL, NULL, handler, handler_cls,
                            MHD_OPTION_LISTEN_SOCKET, (MHD_socket)listen_fd,
                            MHD_OPTION_NOTIFY_COMPLETED, completed, completed_cls,
                            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)30,
                            MHD_OPTION_CONNECTION_LIMIT, (unsigned int)128,
                            MHD_OPTION_END);
}

#endif
