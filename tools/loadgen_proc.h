/* loadgen_proc.h -- what the load generator reads from /proc about the gateway process.
 *
 * CPU: utime + stime of /proc/PID/stat (fields 14 and 15, in clock ticks), read before and
 * after a measured window. Memory: VmRSS of /proc/PID/status (kB). Discovery: the process
 * that listens on a TCP port -- the LISTEN socket's inode from /proc/net/tcp (and tcp6),
 * then the /proc/PID/fd/ link "socket:[inode]".
 *
 * The parsers are pure (text in, numbers out) so the tests feed them fixed text; the readers
 * only open the files and call them.
 */
#ifndef CALLPRINT_LOADGEN_PROC_H
#define CALLPRINT_LOADGEN_PROC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The text of /proc/PID/stat: utime + stime in ticks. The command name (field 2) may hold
 * spaces and parentheses, so fields are counted from the LAST ')'. 0, or -1 if malformed. */
int lgproc_parse_stat(const char *text, uint64_t *ticks);
/* The text of /proc/PID/status: VmRSS in kB. 0, or -1 when absent. */
int lgproc_parse_rss(const char *text, uint64_t *kb);
/* The text of /proc/net/tcp or tcp6: the inode of the socket in state LISTEN (0A) on this
 * local port (any address). 0, or -1 when none. */
int lgproc_parse_listen_inode(const char *text, int port, uint64_t *inode);

typedef struct {
    double cpu_seconds; /* utime + stime */
    uint64_t rss_kb;
} lgproc_sample;

/* Read /proc/PID/stat and status. 0, or -1 when the process is gone. */
int lgproc_read(pid_t pid, lgproc_sample *out);
/* The pid listening on 127.0.0.1/any:port, or -1 (also when several processes share it). */
pid_t lgproc_find_listener(int port);
/* This process's own CPU (getrusage user + system), seconds. */
double lgproc_self_cpu(void);

#endif
