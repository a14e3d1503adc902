// copy_proxy: the least work a proxy can do, for measuring what the proxy scenario's harness
// allows, not a proxy to use. One thread and one epoll set; every client connection gets its
// own upstream connection, and bytes are copied each way as they arrive: no parsing, no header
// rewriting, no limits, no timeouts. It is correct only for the benchmark's traffic (one small
// request in flight per connection, each message read whole by one recv).
//
//   copy_proxy LISTEN_PORT UPSTREAM_PORT      (both on 127.0.0.1)
//
// What it costs per request is the kernel's part of proxying (two receives, two sends, a share
// of an epoll_wait) plus almost nothing, so its requests per second against nginx's bound what
// any proxy can reach on the same machine and pinning (see docs/performance.md).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <vector>

namespace {

constexpr int kMaxEvents = 256;
constexpr std::size_t kBufferBytes = 16 * 1024;

// One side of a pair; `peer` is the other side's descriptor.
struct Side {
  int fd = -1;
  int peer = -1;
};

std::vector<Side> sides;  // indexed by descriptor

sockaddr_in loopback(int port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return address;
}

void watch(int epoll, int fd) {
  epoll_event event{};
  event.events = EPOLLIN | EPOLLRDHUP;
  event.data.fd = fd;
  if (fd >= static_cast<int>(sides.size())) sides.resize(fd + 1);
  epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &event);
}

void close_pair(int fd) {
  const int peer = sides[fd].peer;
  close(fd);
  sides[fd] = Side{};
  if (peer >= 0) {
    close(peer);
    sides[peer] = Side{};
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: copy_proxy LISTEN_PORT UPSTREAM_PORT\n");
    return 2;
  }
  const sockaddr_in listen_address = loopback(std::atoi(argv[1]));
  const sockaddr_in upstream_address = loopback(std::atoi(argv[2]));

  const int listener = socket(AF_INET, SOCK_STREAM, 0);
  const int on = 1;
  setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  if (bind(listener, reinterpret_cast<const sockaddr*>(&listen_address), sizeof listen_address) !=
          0 ||
      listen(listener, 1024) != 0) {
    std::perror("copy_proxy: listen");
    return 1;
  }
  const int epoll = epoll_create1(0);
  watch(epoll, listener);

  std::vector<char> buffer(kBufferBytes);
  epoll_event events[kMaxEvents];
  for (;;) {
    const int ready = epoll_wait(epoll, events, kMaxEvents, -1);
    for (int i = 0; i < ready; ++i) {
      const int fd = events[i].data.fd;
      if (fd == listener) {
        const int client = accept4(listener, nullptr, nullptr, 0);
        if (client < 0) continue;
        const int upstream = socket(AF_INET, SOCK_STREAM, 0);
        if (connect(upstream, reinterpret_cast<const sockaddr*>(&upstream_address),
                    sizeof upstream_address) != 0) {
          close(client);
          close(upstream);
          continue;
        }
        setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
        setsockopt(upstream, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
        watch(epoll, client);
        watch(epoll, upstream);
        sides[client] = Side{client, upstream};
        sides[upstream] = Side{upstream, client};
        continue;
      }
      if (sides[fd].fd < 0) continue;  // closed earlier in this batch
      const ssize_t n = recv(fd, buffer.data(), buffer.size(), 0);
      if (n <= 0) {
        if (n < 0 && errno == EAGAIN) continue;
        close_pair(fd);
        continue;
      }
      if (send(sides[fd].peer, buffer.data(), static_cast<std::size_t>(n), MSG_NOSIGNAL) != n)
        close_pair(fd);
    }
  }
}
