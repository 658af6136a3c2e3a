/*
 * The names of the reasons a connection ends (conn.h), for the log; alone
 * so that the connection (conn.c) and the admission count (admit.c) both
 * name them without calling each other.
 */
#include "daemon/net/conn.h"

const char *
conn_close_reason_name(enum conn_close_reason r)
{
	switch (r) {
	case CONN_CLOSE_LOCAL:          return "local";
	case CONN_CLOSE_EOF:            return "eof";
	case CONN_CLOSE_IO:             return "io";
	case CONN_CLOSE_TLS:            return "tls";
	case CONN_CLOSE_PIN:            return "pin";
	case CONN_CLOSE_FRAME:          return "frame";
	case CONN_CLOSE_TIMEOUT:        return "timeout";
	case CONN_CLOSE_CONNECT:        return "connect";
	}
	return "unknown";
}
