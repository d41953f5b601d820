#ifndef JCRUN_CLAZYLIBRARIES_H
#define JCRUN_CLAZYLIBRARIES_H
// libpq and libmicrohttpd are loaded when first used, not when jcrun starts.
//
// Linked normally, the two libraries and theirs (OpenSSL, GnuTLS, Kerberos,
// LDAP, ...) cost every jcrun process about 4 ms of CPU and 6 MB of memory
// at start-up (issue #4), although only a PostgreSQL store or `jcrun web`
// uses them. This target defines each function jcrun calls under its own
// name; the first call opens the library with dlopen and forwards to it.
// A library that cannot be loaded ends jcrun with a message and status 2.
//
// Nothing here is called by name: the CPostgres and CMicroHTTPD modules
// declare the functions, and they link to these definitions. A function
// jcrun starts to call needs its line in lazy_pq.c or lazy_mhd.c: until it
// has one, linking fails with "undefined reference" (never at run time).

#endif
