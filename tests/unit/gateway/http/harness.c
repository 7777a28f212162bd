/* harness.c -- see harness.h. The receiver is a separate python3 process so that the client
 * under test talks to a real, independent HTTP stack over loopback. */
#include "harness.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

int receiver_start(receiver *r, const char *dir, const char *cert, const char *key)
{
    return receiver_start_mtls(r, dir, cert, key, NULL);
}

int receiver_start_mtls(receiver *r, const char *dir, const char *cert, const char *key,
                        const char *client_ca)
{
    char script[1024];
    const char *src = getenv("CALLPRINT_SOURCE_DIR");
    snprintf(script, sizeof script, "%s/tests/support/receiver.py", src ? src : ".");
    snprintf(r->log, sizeof r->log, "%s/requests-%d.jsonl", dir, rand());
    int fds[2];
    if (pipe(fds) != 0)
        return -1;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    char *argv[] = {"/usr/bin/python3", script,         r->log, (char *)cert,
                    (char *)key,        (char *)client_ca, NULL};
    if (!cert)
        argv[3] = NULL;
    int rc = posix_spawn(&r->pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    if (rc != 0) {
        close(fds[0]);
        return -1;
    }
    char buf[32] = {0};
    size_t n = 0;
    while (n < sizeof buf - 1) {
        ssize_t k = read(fds[0], buf + n, 1);
        if (k <= 0 || buf[n] == '\n')
            break;
        n++;
    }
    close(fds[0]);
    r->port = atoi(buf);
    return r->port > 0 ? 0 : -1;
}

void receiver_stop(receiver *r)
{
    if (r->pid > 0) {
        kill(r->pid, SIGTERM);
        waitpid(r->pid, NULL, 0);
        r->pid = 0;
    }
}

cJSON *receiver_requests(const receiver *r)
{
    cJSON *arr = cJSON_CreateArray();
    FILE *f = fopen(r->log, "r");
    if (!f)
        return arr;
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, f) > 0) {
        cJSON *o = cJSON_Parse(line);
        if (o)
            cJSON_AddItemToArray(arr, o);
    }
    free(line);
    fclose(f);
    return arr;
}

int receiver_count(const receiver *r, const char *prefix)
{
    cJSON *arr = receiver_requests(r), *it;
    int n = 0;
    cJSON_ArrayForEach(it, arr)
    {
        const char *p = cJSON_GetStringValue(cJSON_GetObjectItem(it, "path"));
        if (p && strncmp(p, prefix, strlen(prefix)) == 0)
            n++;
    }
    cJSON_Delete(arr);
    return n;
}

void tmpdir_make(char *out, size_t cap)
{
    snprintf(out, cap, "/tmp/callprint-test-XXXXXX");
    if (!mkdtemp(out))
        out[0] = '\0';
}

void tmpdir_remove(const char *dir)
{
    if (!dir[0] || strncmp(dir, "/tmp/callprint-test-", 20) != 0)
        return;
    pid_t pid;
    char *argv[] = {"/bin/rm", "-rf", (char *)dir, NULL};
    if (posix_spawn(&pid, argv[0], NULL, NULL, argv, environ) == 0)
        waitpid(pid, NULL, 0);
}

int dead_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    close(fd);
    return ntohs(a.sin_port);
}

void set_flag(void *flag)
{
    *(bool *)flag = true;
}

bool flag_is_set(void *flag)
{
    return *(bool *)flag;
}

static void on_tick(uv_timer_t *t)
{
    (void)t;
}

static bool never(void *arg)
{
    (void)arg;
    return false;
}

bool run_until(uv_loop_t *loop, bool (*pred)(void *), void *arg, long timeout_ms)
{
    uv_timer_t tick;
    uv_timer_init(loop, &tick);
    uv_timer_start(&tick, on_tick, 5, 5);
    uv_update_time(loop);
    uint64_t end = uv_now(loop) + (uint64_t)timeout_ms;
    bool ok = pred(arg);
    while (!ok && uv_now(loop) < end) {
        uv_run(loop, UV_RUN_ONCE);
        ok = pred(arg);
    }
    uv_close((uv_handle_t *)&tick, NULL);
    uv_run(loop, UV_RUN_NOWAIT);
    return ok;
}

void run_for(uv_loop_t *loop, long ms)
{
    run_until(loop, never, NULL, ms);
}

int loop_finish(uv_loop_t *loop)
{
    for (int i = 0; i < 1000 && uv_run(loop, UV_RUN_NOWAIT); i++)
        usleep(1000);
    return uv_loop_close(loop);
}
