#ifndef JCRUN_LAZY_H
#define JCRUN_LAZY_H
// The forwarding stubs of lazy_pq.c and lazy_mhd.c.

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

/// A loaded library: its soname, what needs it, and its handle once open.
struct jc_library {
    const char *soname;
    const char *purpose;
    pthread_once_t once;
    void *handle;
};

static inline void jc_open_library(struct jc_library *library) {
    library->handle = dlopen(library->soname, RTLD_NOW | RTLD_LOCAL);
}

/// The address of `name` in `library`, loading it on first use; ends jcrun
/// (status 2) when the library or the function is missing.
static inline void *jc_library_symbol(struct jc_library *library, void (*open)(void),
                                      const char *name) {
    pthread_once(&library->once, open);
    if (library->handle == NULL) {
        fprintf(stderr, "jcrun: error: cannot load %s, which %s needs: %s\n", library->soname,
                library->purpose, dlerror());
        exit(2);
    }
    void *symbol = dlsym(library->handle, name);
    if (symbol == NULL) {
        fprintf(stderr, "jcrun: error: %s has no function '%s'; install the version jcrun was built with\n",
                library->soname, name);
        exit(2);
    }
    return symbol;
}

/// Defines `name` with `params`, forwarding `args` to the library's own.
#define JC_FORWARD(library, open, ret, name, params, args)                                       \
    ret name params {                                                                            \
        static ret(*real) params;                                                                \
        ret(*function) params = __atomic_load_n(&real, __ATOMIC_ACQUIRE);                        \
        if (function == NULL) {                                                                  \
            function = (ret(*) params)jc_library_symbol(&library, open, #name);                  \
            __atomic_store_n(&real, function, __ATOMIC_RELEASE);                                 \
        }                                                                                        \
        return function args;                                                                    \
    }

/// `JC_FORWARD` for a function that returns nothing.
#define JC_FORWARD_VOID(library, open, name, params, args)                                       \
    void name params {                                                                           \
        static void(*real) params;                                                               \
        void(*function) params = __atomic_load_n(&real, __ATOMIC_ACQUIRE);                       \
        if (function == NULL) {                                                                  \
            function = (void(*) params)jc_library_symbol(&library, open, #name);                 \
            __atomic_store_n(&real, function, __ATOMIC_RELEASE);                                 \
        }                                                                                        \
        function args;                                                                           \
    }

#endif
