/* loadgen_proc.c -- /proc parsing for the load generator. See loadgen_proc.h. */
#include "tools/loadgen_proc.h"

#include <ctype.h>
#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#define PROC_TEXT_MAX (16u << 20) /* /proc/net/tcp: ~150 bytes a socket */
#define PATH_MAX_LINK 600
#define PROC_SMALL_MAX 8192 /* /proc/PID/stat and status */

int lgproc_parse_stat(const char *text, uint64_t *ticks)
{
    const char *p = text ? strrchr(text, ')') : NULL;
    if (!p)
        return -1;
    p++;
    /* After ')': field 3 (state) is the first; utime is field 14, stime field 15. */
    unsigned long long v[15];
    int field = 3;
    while (field <= 15) {
        while (*p == ' ')
            p++;
        if (!*p || *p == '\n')
            return -1;
        if (field >= 14) {
            char *end;
            if (!isdigit((unsigned char)*p))
                return -1;
            v[field - 1] = strtoull(p, &end, 10);
            p = end;
        } else {
            while (*p && *p != ' ' && *p != '\n')
                p++;
        }
        field++;
    }
    *ticks = v[13] + v[14];
    return 0;
}

int lgproc_parse_rss(const char *text, uint64_t *kb)
{
    const char *p = text;
    while (p && *p) {
        if (strncmp(p, "VmRSS:", 6) == 0) {
            char *end;
            p += 6;
            while (*p == ' ' || *p == '\t')
                p++;
            if (!isdigit((unsigned char)*p))
                return -1;
            *kb = strtoull(p, &end, 10);
            return 0;
        }
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    return -1;
}

/* "  0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  0  0 12345 ..." */
int lgproc_parse_listen_inode(const char *text, int port, uint64_t *inode)
{
    const char *line = text ? strchr(text, '\n') : NULL; /* skip the header */
    while (line && *++line) {
        char local[64], remote[64], st[8];
        unsigned long long ino;
        if (sscanf(line, "%*s %63s %63s %7s %*s %*s %*s %*s %*s %llu", local, remote, st, &ino) ==
            4) {
            const char *colon = strrchr(local, ':');
            if (colon && strcmp(st, "0A") == 0 && strtol(colon + 1, NULL, 16) == port) {
                *inode = ino;
                return 0;
            }
        }
        line = strchr(line, '\n');
    }
    return -1;
}

static char *read_text(const char *path, size_t cap)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    char *buf = malloc(cap);
    size_t n = buf ? fread(buf, 1, cap - 1, f) : 0;
    fclose(f);
    if (buf)
        buf[n] = '\0';
    return buf;
}

int lgproc_read(pid_t pid, lgproc_sample *out)
{
    char path[64];
    uint64_t ticks = 0, kb = 0;
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    char *t = read_text(path, PROC_SMALL_MAX);
    int rc = t && lgproc_parse_stat(t, &ticks) == 0 ? 0 : -1;
    free(t);
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    t = read_text(path, PROC_SMALL_MAX);
    if (rc == 0 && (!t || lgproc_parse_rss(t, &kb) != 0))
        rc = -1;
    free(t);
    if (rc == 0) {
        out->cpu_seconds = (double)ticks / (double)sysconf(_SC_CLK_TCK);
        out->rss_kb = kb;
    }
    return rc;
}

static int pid_has_socket(const char *pid, const char *want)
{
    char dir[300], link[PATH_MAX_LINK], target[64];
    snprintf(dir, sizeof dir, "/proc/%s/fd", pid);
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    struct dirent *e;
    int found = 0;
    while (!found && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(link, sizeof link, "%s/%s", dir, e->d_name);
        ssize_t n = readlink(link, target, sizeof target - 1);
        if (n > 0) {
            target[n] = '\0';
            found = strcmp(target, want) == 0;
        }
    }
    closedir(d);
    return found;
}

pid_t lgproc_find_listener(int port)
{
    uint64_t inode = 0;
    char *t = read_text("/proc/net/tcp", PROC_TEXT_MAX);
    int rc = t ? lgproc_parse_listen_inode(t, port, &inode) : -1;
    free(t);
    if (rc != 0) {
        t = read_text("/proc/net/tcp6", PROC_TEXT_MAX);
        rc = t ? lgproc_parse_listen_inode(t, port, &inode) : -1;
        free(t);
    }
    if (rc != 0 || inode == 0)
        return -1;
    char want[64];
    snprintf(want, sizeof want, "socket:[%" PRIu64 "]", inode);
    DIR *d = opendir("/proc");
    if (!d)
        return -1;
    pid_t found = -1;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!isdigit((unsigned char)e->d_name[0]) || !pid_has_socket(e->d_name, want))
            continue;
        found = found == -1 ? (pid_t)atoi(e->d_name) : -2;
    }
    closedir(d);
    return found >= 0 ? found : -1;
}

double lgproc_self_cpu(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return 0;
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}
