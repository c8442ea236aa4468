// The socket calls the system-call layer makes (net/socket.c).
#ifndef SOCKET_H
#define SOCKET_H

#include "../types.h"

#define AF_INET 2
#define SOCK_STREAM 1
#define FD_SOCK0 3                // first socket descriptor (0-2 are the console)

struct tcp_counters;

void net_init(void);
void net_tick(void);
int sock_socket(int domain, int type);
int sock_connect(int fd, u32 ip, u16 port);
int sock_write(int fd, const u8 *buf, u32 n);
int sock_read(int fd, u8 *buf, u32 n);
int sock_close(int fd);
int sock_info(int fd, struct tcp_counters *out);
void sock_release_all(int pid);

#endif
