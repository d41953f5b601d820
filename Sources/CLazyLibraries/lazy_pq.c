// libpq, loaded on first use (see CLazyLibraries.h).
#include <postgresql/libpq-fe.h>

#include "lazy.h"

static struct jc_library libpq = {"libpq.so.5", "a PostgreSQL store", PTHREAD_ONCE_INIT, NULL};

static void open_libpq(void) { jc_open_library(&libpq); }

#define PQ(ret, name, params, args) JC_FORWARD(libpq, open_libpq, ret, name, params, args)
#define PQ_VOID(name, params, args) JC_FORWARD_VOID(libpq, open_libpq, name, params, args)

PQ(PGconn *, PQconnectdb, (const char *conninfo), (conninfo))
PQ_VOID(PQfinish, (PGconn *conn), (conn))
PQ_VOID(PQreset, (PGconn *conn), (conn))
PQ(ConnStatusType, PQstatus, (const PGconn *conn), (conn))
PQ(char *, PQerrorMessage, (const PGconn *conn), (conn))
PQ(int, PQsocket, (const PGconn *conn), (conn))
PQ(PQnoticeProcessor, PQsetNoticeProcessor, (PGconn *conn, PQnoticeProcessor proc, void *arg),
   (conn, proc, arg))
PQ(PGresult *, PQexec, (PGconn *conn, const char *query), (conn, query))
PQ(PGresult *, PQprepare,
   (PGconn *conn, const char *stmtName, const char *query, int nParams, const Oid *paramTypes),
   (conn, stmtName, query, nParams, paramTypes))
PQ(PGresult *, PQexecPrepared,
   (PGconn *conn, const char *stmtName, int nParams, const char *const *paramValues,
    const int *paramLengths, const int *paramFormats, int resultFormat),
   (conn, stmtName, nParams, paramValues, paramLengths, paramFormats, resultFormat))
PQ(int, PQsendQueryPrepared,
   (PGconn *conn, const char *stmtName, int nParams, const char *const *paramValues,
    const int *paramLengths, const int *paramFormats, int resultFormat),
   (conn, stmtName, nParams, paramValues, paramLengths, paramFormats, resultFormat))
PQ(PGresult *, PQgetResult, (PGconn *conn), (conn))
PQ(int, PQenterPipelineMode, (PGconn *conn), (conn))
PQ(int, PQexitPipelineMode, (PGconn *conn), (conn))
PQ(int, PQpipelineSync, (PGconn *conn), (conn))
PQ(int, PQconsumeInput, (PGconn *conn), (conn))
PQ(PGnotify *, PQnotifies, (PGconn *conn), (conn))
PQ(ExecStatusType, PQresultStatus, (const PGresult *res), (res))
PQ(char *, PQresultErrorMessage, (const PGresult *res), (res))
PQ(char *, PQresultErrorField, (const PGresult *res, int fieldcode), (res, fieldcode))
PQ(int, PQntuples, (const PGresult *res), (res))
PQ(int, PQnfields, (const PGresult *res), (res))
PQ(char *, PQgetvalue, (const PGresult *res, int tup_num, int field_num), (res, tup_num, field_num))
PQ(int, PQgetlength, (const PGresult *res, int tup_num, int field_num), (res, tup_num, field_num))
PQ(int, PQgetisnull, (const PGresult *res, int tup_num, int field_num), (res, tup_num, field_num))
PQ(char *, PQcmdTuples, (PGresult *res), (res))
PQ_VOID(PQclear, (PGresult *res), (res))
PQ_VOID(PQfreemem, (void *ptr), (ptr))
