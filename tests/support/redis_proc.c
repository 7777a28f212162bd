/* redis_proc.c -- see redis_proc.h. */
#include "redis_proc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int free_port(void) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) || getsockname(fd, (struct sockaddr *)&a, &len)) {
        if (fd >= 0) close(fd);
        return -1;
    }
    close(fd);
    return ntohs(a.sin_port);
}

redisContext *rproc_client(const char *host, int port, const char *password, int db) {
    struct timeval tv = {2, 0};
    redisContext *c = redisConnectWithTimeout(host, port, tv);
    if (!c || c->err) {
        if (c) redisFree(c);
        return NULL;
    }
    redisSetTimeout(c, tv);
    redisReply *r;
    if (password && *password) {
        r = redisCommand(c, "AUTH %s", password);
        int ok = r && r->type == REDIS_REPLY_STATUS;
        freeReplyObject(r);
        if (!ok) return redisFree(c), NULL;
    }
    r = redisCommand(c, "SELECT %d", db);
    int ok = r && r->type == REDIS_REPLY_STATUS;
    freeReplyObject(r);
    if (!ok) return redisFree(c), NULL;
    return c;
}

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int rproc_wait_ready(rproc *p) {
    for (int i = 0; i < 200; i++) {
        redisContext *c = rproc_client("127.0.0.1", p->port, p->password, 0);
        if (c) {
            redisReply *r = redisCommand(c, "PING");
            int ok = r && r->type == REDIS_REPLY_STATUS && strcmp(r->str, "PONG") == 0;
            freeReplyObject(r);
            redisFree(c);
            if (ok) return 0;
        }
        sleep_ms(25);
    }
    return -1;
}

int rproc_start(rproc *p, const char *password) {
    if (!p->dir[0]) {
        snprintf(p->dir, sizeof p->dir, "/tmp/callprint-redis-XXXXXX");
        if (!mkdtemp(p->dir)) return -1;
        snprintf(p->sock, sizeof p->sock, "%s/redis.sock", p->dir);
        p->port = free_port();
        snprintf(p->password, sizeof p->password, "%s", password ? password : "");
    }
    if (p->password[0])
        snprintf(p->url, sizeof p->url, "redis://:%s@127.0.0.1:%d/0", p->password, p->port);
    else
        snprintf(p->url, sizeof p->url, "redis://127.0.0.1:%d/0", p->port);
    char port[16], log[300];
    snprintf(port, sizeof port, "%d", p->port);
    snprintf(log, sizeof log, "%s/redis.log", p->dir);
    const char *argv[32] = {"redis-server", "--bind", "127.0.0.1", "--port", port, "--dir", p->dir,
                            "--save", "", "--appendonly", "yes", "--appendfsync", "always",
                            "--unixsocket", p->sock, "--unixsocketperm", "700",
                            "--logfile", log, "--daemonize", "no"};
    int argc = 21;
    if (p->password[0]) argv[argc++] = "--requirepass", argv[argc++] = p->password;
    argv[argc] = NULL;
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) _exit(127);
        int devnull = open("/dev/null", O_RDWR);
        dup2(devnull, 0), dup2(devnull, 1);
        execvp("redis-server", (char *const *)argv);
        _exit(127);
    }
    p->pid = pid;
    return rproc_wait_ready(p);
}

void rproc_signal(rproc *p, int sig) {
    if (p->pid <= 0) return;
    kill(p->pid, sig);
    if (sig == SIGKILL || sig == SIGTERM) {
        waitpid(p->pid, NULL, 0);
        p->pid = 0;
    }
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb, (void)flag, (void)ftw;
    return remove(path);
}

void rproc_cleanup(rproc *p) {
    if (p->pid > 0) {
        kill(p->pid, SIGCONT);
        rproc_signal(p, SIGKILL);
    }
    if (p->dir[0]) nftw(p->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    p->dir[0] = '\0';
}

redisContext *test_redis(rproc *own, char *url, size_t cap) {
    const char *env = getenv("CALLPRINT_TEST_REDIS_URL");
    char host[128];
    int port, db = 0;
    if (env && sscanf(env, "redis://%127[^:/]:%d/%d", host, &port, &db) >= 2) {
        snprintf(url, cap, "%s", env);
        return rproc_client(host, port, NULL, db);
    }
    memset(own, 0, sizeof *own);
    if (rproc_start(own, NULL)) return NULL;
    snprintf(url, cap, "%s", own->url);
    return rproc_client("127.0.0.1", own->port, NULL, 0);
}

void test_redis_flush_prefix(redisContext *c, const char *prefix) {
    char cursor[32] = "0";
    do {
        redisReply *r = redisCommand(c, "SCAN %s MATCH %s* COUNT 1000", cursor, prefix);
        if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2) {
            freeReplyObject(r);
            return;
        }
        snprintf(cursor, sizeof cursor, "%s", r->element[0]->str);
        for (size_t i = 0; i < r->element[1]->elements; i++)
            freeReplyObject(redisCommand(c, "DEL %b", r->element[1]->element[i]->str,
                                         r->element[1]->element[i]->len));
        freeReplyObject(r);
    } while (strcmp(cursor, "0") != 0);
}

int run_until(uv_loop_t *loop, const int *flag, unsigned timeout_ms) {
    uint64_t end = uv_hrtime() + (uint64_t)timeout_ms * 1000000u;
    while (!*flag && uv_hrtime() < end) uv_run(loop, UV_RUN_ONCE);
    return *flag;
}

void run_for(uv_loop_t *loop, unsigned ms) {
    int never = 0;
    run_until(loop, &never, ms);
}
