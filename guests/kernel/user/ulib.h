// The user library: system call wrappers and a few helpers for the programs in user/.
#ifndef ULIB_H
#define ULIB_H

#include "../types.h"
#include "../net/abi.h"

extern u32 ulib_calls;   // system calls made so far by this process (every wrapper counts)

void exit(int status) __attribute__((noreturn));
int write(int fd, const void *buf, u32 n);
int wait(int pid, int *status);
int spawn(const char *name, const char *arg);
u32 uptime(void);
int getpid(void);
int hz(void);
int yield(void);
int sleep(u32 ms);
int read(int fd, void *buf, u32 n);
int close(int fd);
int socket(int domain, int type, int protocol);
int connect(int fd, const struct sockaddr_in *addr, u32 len);
int getsockopt(int fd, int level, int name, void *val, u32 *len);
int netinfo(struct netinfo *ni);

u32 strlen(const char *s);
void *memset(void *dst, int c, u32 n);
void *memcpy(void *dst, const void *src, u32 n);
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
// Read up to max unsigned decimal numbers separated by any non-digits; returns how many.
int parse_numbers(const char *s, u32 *out, int max);

#endif
