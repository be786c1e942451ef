/*
 * runstat: runs one command and reports what it cost, for the benchmark.
 *
 *   runstat REPORT COMMAND [ARG...]
 *
 * Forks, execs COMMAND (standard streams inherited), waits for it with wait4(2) and writes one
 * JSON line to REPORT: {"wall": seconds from fork to exit, "user": s, "sys": s,
 * "maxrss_kib": peak RSS, "status": exit code or 128 + signal}. It exists because Linux keeps
 * the larger of the pre-exec and post-exec peak RSS in ru_maxrss, so a command forked straight
 * from the (large) Python driver would report the driver's size; forked from this small
 * program, it reports its own. Exit status: COMMAND's.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double seconds(struct timeval t) { return (double)t.tv_sec + (double)t.tv_usec / 1e6; }

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: runstat REPORT COMMAND [ARG...]\n");
        return 2;
    }
    FILE *report = fopen(argv[1], "w");
    if (!report) {
        perror("runstat: REPORT");
        return 2;
    }
    struct timespec start, end;
    clock_gettime(CLOCK_MONOTONIC, &start);
    pid_t pid = fork();
    if (pid < 0) {
        perror("runstat: fork");
        return 2;
    }
    if (pid == 0) {
        execvp(argv[2], argv + 2);
        perror("runstat: exec");
        _exit(127);
    }
    int status = 0;
    struct rusage usage;
    if (wait4(pid, &status, 0, &usage) < 0) {
        perror("runstat: wait4");
        return 2;
    }
    clock_gettime(CLOCK_MONOTONIC, &end);
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    double wall = (double)(end.tv_sec - start.tv_sec) + (double)(end.tv_nsec - start.tv_nsec) / 1e9;
    fprintf(report, "{\"wall\": %.6f, \"user\": %.6f, \"sys\": %.6f, \"maxrss_kib\": %ld, \"status\": %d}\n", wall,
            seconds(usage.ru_utime), seconds(usage.ru_stime), usage.ru_maxrss, code);
    fclose(report);
    return code;
}
