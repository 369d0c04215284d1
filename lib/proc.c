/*
 * proc.c - see proc.h.
 *
 * fork and exec (spawn() says why not posix_spawn): in a host with
 * threads, the forked child calls only async-signal-safe functions until
 * it execs.  The parent's ends of the pipes are close-on-exec, so a child
 * another thread of the host starts at the same time does not keep them
 * open.
 *
 * A fed stdin is a socket rather than a pipe: send(MSG_NOSIGNAL) to a
 * child that has gone fails with EPIPE instead of raising SIGPIPE, which
 * would kill a host that had not ignored it, and a library must not
 * change the host's signal dispositions.
 */
#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "strbuf.h"
#include "util.h"

/* How long a stopped child has after SIGTERM before SIGKILL. */
#define PROC_KILL_AFTER_MS 5000

/* The parent's view of a running child. */
typedef struct child {
    pid_t pid;
    int in_fd;           /* stdin's write end, -1 when not fed or closed */
    const char *in_data; /* what the input callback gave and the child has not taken */
    size_t in_len;
    int out_fd; /* stdout's read end, -1 when not captured or at EOF */
    int err_fd; /* stderr's read end, -1 at EOF */
    strbuf out;
    double stop_at; /* when SIGTERM went, 0: not stopped */
    double last_tick;
} child;

void proc_result_free(proc_result *res)
{
    free(res->out);
    res->out = NULL;
}

static void close_pipe(int fds[2])
{
    for (int i = 0; i < 2; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    fds[0] = fds[1] = -1;
}

/* @fd as @target in the child, not closed on exec; false on failure.
 * dup2 onto itself keeps the close-on-exec flag: cleared by hand. */
static bool child_fd(int fd, int target)
{
    if (fd == target)
        return fcntl(fd, F_SETFD, 0) == 0;
    return dup2(fd, target) == target;
}

/*
 * In the child, between fork and exec: async-signal-safe calls only (the
 * host may have threads).  The child starts with every signal at its
 * default action and none blocked, whatever the host did with them (an
 * ignored SIGPIPE, say); stdin from @in_r or /dev/null, stdout to @out_w
 * or /dev/null, stderr to @err_w.  An error before exec goes to the
 * parent through @report (close-on-exec: its end of file is success).
 */
static _Noreturn void exec_child(const proc_spec *spec, pid_t parent, int in_r, int out_w,
                                 int err_w, int report)
{
    struct sigaction dfl;
    memset(&dfl, 0, sizeof(dfl));
    dfl.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; sig++)
        sigaction(sig, &dfl, NULL); /* fails harmlessly for SIGKILL, SIGSTOP */
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    /* killed with the thread that started it, even by SIGKILL; a parent
     * already gone by now is not seen by the kernel: checked */
    int failed = prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent ? ECHILD : 0;
    int in = in_r >= 0 ? in_r : open("/dev/null", O_RDONLY);
    int out = out_w >= 0 ? out_w : open("/dev/null", O_WRONLY);
    if (!failed && (in < 0 || out < 0 || !child_fd(in, STDIN_FILENO) ||
                    !child_fd(out, STDOUT_FILENO) || !child_fd(err_w, STDERR_FILENO)))
        failed = errno;
    if (!failed) {
        execve(spec->path, (char *const *)spec->argv, (char *const *)spec->envp);
        failed = errno;
    }
    ssize_t n = write(report, &failed, sizeof(failed));
    (void)n;
    _exit(127);
}

/*
 * fork and exec rather than posix_spawn, for what posix_spawn cannot do:
 * the child dies with the thread that started it (PR_SET_PDEATHSIG), so
 * that a pg_dump or pg_restore whose run was killed (SIGKILL, an OOM
 * kill) does not go on without the migration lock: a restore committing
 * while another run migrates, a dump filling the disk.  The calling
 * thread waits for the child (proc_run), so it outlives it.  0, or the
 * errno of what failed, exec included.
 */
static int spawn(const proc_spec *spec, child *c, int in_r, int out_w, int err_w)
{
    int report[2];
    if (pipe2(report, O_CLOEXEC) != 0)
        return errno;
    pid_t parent = getpid();
    c->pid = fork();
    if (c->pid == 0)
        exec_child(spec, parent, in_r, out_w, err_w, report[1]);
    int failed = c->pid < 0 ? errno : 0;
    close(report[1]);
    ssize_t n;
    while (c->pid > 0 && (n = read(report[0], &failed, sizeof(failed))) < 0 && errno == EINTR)
        ;
    close(report[0]);
    if (failed && c->pid > 0) {
        while (waitpid(c->pid, NULL, 0) < 0 && errno == EINTR)
            ;
        c->pid = -1;
    }
    return failed;
}

/* Keeps the last PROC_ERR_TAIL bytes of stderr in @tail. */
static void keep_tail(char *tail, const char *buf, size_t n)
{
    size_t have = strlen(tail);
    if (n >= PROC_ERR_TAIL) {
        memcpy(tail, buf + n - PROC_ERR_TAIL, PROC_ERR_TAIL);
        tail[PROC_ERR_TAIL] = '\0';
        return;
    }
    if (have + n > PROC_ERR_TAIL) {
        size_t drop = have + n - PROC_ERR_TAIL;
        memmove(tail, tail + drop, have - drop);
        have -= drop;
    }
    memcpy(tail + have, buf, n);
    tail[have + n] = '\0';
}

/* Reads what @fd has; closes it (and sets it to -1) at its end. */
static void drain(int *fd, child *c, proc_result *res, bool is_err)
{
    char buf[8192];
    ssize_t n = read(*fd, buf, sizeof(buf));
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return;
    if (n <= 0) {
        close(*fd);
        *fd = -1;
        return;
    }
    if (is_err)
        keep_tail(res->err, buf, (size_t)n);
    else
        sb_append(&c->out, buf, (size_t)n);
}

static void stop_child(child *c, proc_result *res)
{
    res->stopped = true;
    c->stop_at = util_now_ms();
    kill(c->pid, SIGTERM);
}

/* Gives the child what the input callback has while it takes it; closes
 * stdin at the end, stops the child when the callback says so. */
static void feed(const proc_spec *spec, child *c, proc_result *res)
{
    while (c->in_fd >= 0 && c->stop_at == 0) {
        if (c->in_len == 0 && spec->input(spec->payload, &c->in_data, &c->in_len)) {
            stop_child(c, res);
            return;
        }
        if (c->in_len == 0) {
            close(c->in_fd);
            c->in_fd = -1;
            return;
        }
        ssize_t n = send(c->in_fd, c->in_data, c->in_len, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        if (n < 0) {
            /* the child closed its stdin or is gone: its status tells */
            close(c->in_fd);
            c->in_fd = -1;
            return;
        }
        c->in_data += n;
        c->in_len -= (size_t)n;
    }
}

/* The tick, and what follows a request to stop: SIGTERM, later SIGKILL. */
static void tick(const proc_spec *spec, child *c, proc_result *res)
{
    double now = util_now_ms();
    if (c->stop_at > 0) {
        if (now - c->stop_at > PROC_KILL_AFTER_MS)
            kill(c->pid, SIGKILL);
        return;
    }
    if (now - c->last_tick < PROC_TICK_MS && c->last_tick > 0)
        return;
    c->last_tick = now;
    if (spec->tick && spec->tick(spec->payload))
        stop_child(c, res);
}

/* Feeds the child and reads its output until both pipes end, ticking
 * between reads.  poll() skips the descriptors that are -1. */
static void pump(const proc_spec *spec, child *c, proc_result *res)
{
    tick(spec, c, res);
    while (c->out_fd >= 0 || c->err_fd >= 0) {
        struct pollfd p[3] = { { c->err_fd, POLLIN, 0 },
                               { c->out_fd, POLLIN, 0 },
                               { c->stop_at == 0 ? c->in_fd : -1, POLLOUT, 0 } };
        int n = poll(p, 3, PROC_TICK_MS);
        if (n < 0 && errno != EINTR)
            break;
        if (n > 0 && p[0].revents)
            drain(&c->err_fd, c, res, true);
        if (n > 0 && c->out_fd >= 0 && p[1].revents)
            drain(&c->out_fd, c, res, false);
        if (n > 0 && p[2].revents)
            feed(spec, c, res);
        tick(spec, c, res);
    }
}

static int wait_child(pid_t pid)
{
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int proc_run(const proc_spec *spec, proc_result *res, err_buf *err)
{
    int in_pair[2] = { -1, -1 }, out_pipe[2] = { -1, -1 }, err_pipe[2] = { -1, -1 };
    child c = { .pid = -1, .in_fd = -1, .out_fd = -1, .err_fd = -1, .out = STRBUF_INIT };
    memset(res, 0, sizeof(*res));
    res->status = -1;

    int rc = UM_OK;
    if (pipe2(err_pipe, O_CLOEXEC) != 0 ||
        (spec->capture_stdout && pipe2(out_pipe, O_CLOEXEC) != 0) ||
        (spec->input && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in_pair) != 0)) {
        rc = err_set(err, UM_ERROR, NULL, 0, NULL, "cannot make a pipe for %s: %s", spec->path,
                     strerror(errno));
        goto done;
    }
    int spawned = spawn(spec, &c, in_pair[1], out_pipe[1], err_pipe[1]);
    if (spawned) {
        rc = err_set(err, UM_EBACKUP, NULL, 0, NULL, "cannot run %s: %s", spec->path,
                     strerror(spawned));
        goto done;
    }
    /* the child has the write ends: EOF comes when it exits */
    close(err_pipe[1]);
    err_pipe[1] = -1;
    if (out_pipe[1] >= 0) {
        close(out_pipe[1]);
        out_pipe[1] = -1;
    }
    if (in_pair[1] >= 0) {
        close(in_pair[1]);
        in_pair[1] = -1;
    }
    c.err_fd = err_pipe[0];
    c.out_fd = out_pipe[0];
    c.in_fd = in_pair[0];
    err_pipe[0] = out_pipe[0] = in_pair[0] = -1;
    pump(spec, &c, res);
    res->status = wait_child(c.pid);
    if (spec->capture_stdout) {
        res->out = sb_detach(&c.out);
        if (!res->out)
            rc = err_nomem(err);
    }
done:
    if (c.in_fd >= 0)
        close(c.in_fd);
    if (c.err_fd >= 0)
        close(c.err_fd);
    if (c.out_fd >= 0)
        close(c.out_fd);
    close_pipe(err_pipe);
    close_pipe(out_pipe);
    close_pipe(in_pair);
    sb_free(&c.out);
    return rc;
}
