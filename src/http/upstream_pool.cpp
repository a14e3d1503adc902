#include "http/upstream_pool.hpp"

#include <sys/socket.h>

#include <cerrno>

namespace weir::http {

namespace {

// An idle connection is usable when reading it would block: nothing arrived while it waited.
// A FIN (the upstream's idle timeout) reads as 0, a reset as an error, and stray bytes would be
// taken for the next response, so all of those disqualify it.
bool still_open(UpstreamConnection& connection) {
  char byte;
  const ssize_t n = ::recv(connection.socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

}  // namespace

std::unique_ptr<UpstreamConnection> UpstreamPool::take(std::string_view key) {
  if (key != key_) return nullptr;
  while (!idle_.empty()) {
    std::unique_ptr<UpstreamConnection> connection = std::move(idle_.back());
    idle_.pop_back();
    if (still_open(*connection)) return connection;
  }
  return nullptr;
}

void UpstreamPool::give(std::string_view key, std::unique_ptr<UpstreamConnection> connection,
                        std::size_t max_idle) {
  if (key != key_) {
    idle_.clear();
    key_.assign(key);
  }
  if (max_idle == 0) return;
  while (idle_.size() >= max_idle)
    idle_.pop_front();
  // An idle connection waits on nobody, so no deadline must fire on it.
  connection->deadline.expires_never();
  connection->buffer.clear();
  idle_.push_back(std::move(connection));
}

}  // namespace weir::http
