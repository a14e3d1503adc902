#include "store/redis_asio_events.hpp"

#include <hiredis/async.h>

#include <utility>

namespace weir {

namespace asio = boost::asio;

bool RedisAsioEvents::attach(redisAsyncContext* context, asio::io_context& io,
                             RedisWriteCount* writes) {
  if (context->ev.data != nullptr) return false;

  auto events = std::make_shared<RedisAsioEvents>(context, io, writes);
  events->self_ = events;
  context->ev.data = events.get();
  context->ev.addRead = &RedisAsioEvents::add_read;
  context->ev.delRead = &RedisAsioEvents::del_read;
  context->ev.addWrite = &RedisAsioEvents::add_write;
  context->ev.delWrite = &RedisAsioEvents::del_write;
  context->ev.cleanup = &RedisAsioEvents::cleanup;
  return true;
}

RedisAsioEvents::RedisAsioEvents(redisAsyncContext* context, asio::io_context& io,
                                 RedisWriteCount* writes)
    : context_(context), descriptor_(io, context->c.fd), writes_(writes) {}

void RedisAsioEvents::add_read(void* self) {
  auto* events = static_cast<RedisAsioEvents*>(self);
  events->reading_ = true;
  if (!events->read_waiting_) events->wait_readable();
}

void RedisAsioEvents::del_read(void* self) {
  // A wait already started finds reading_ false when it completes and stops there.
  static_cast<RedisAsioEvents*>(self)->reading_ = false;
}

void RedisAsioEvents::add_write(void* self) {
  auto* events = static_cast<RedisAsioEvents*>(self);
  events->writing_ = true;
  if (!events->write_waiting_) events->wait_writable();
}

void RedisAsioEvents::del_write(void* self) {
  static_cast<RedisAsioEvents*>(self)->writing_ = false;
}

void RedisAsioEvents::cleanup(void* self) {
  // hiredis is freeing the context and will close the socket itself: give the descriptor back
  // without closing it (this also cancels pending waits), then let the last handler go.
  auto* events = static_cast<RedisAsioEvents*>(self);
  std::shared_ptr<RedisAsioEvents> keep = std::move(events->self_);
  events->context_ = nullptr;
  events->reading_ = false;
  events->writing_ = false;
  boost::system::error_code ignored;
  events->descriptor_.cancel(ignored);
  events->descriptor_.release();
}

void RedisAsioEvents::wait_readable() {
  read_waiting_ = true;
  descriptor_.async_wait(
      asio::posix::stream_descriptor::wait_read,
      [self = shared_from_this()](const boost::system::error_code& ec) {
        self->read_waiting_ = false;
        if (ec || self->context_ == nullptr || !self->reading_) return;
        // May free the context (peer closed): cleanup then clears context_.
        redisAsyncHandleRead(self->context_);
        if (self->context_ != nullptr && self->reading_ && !self->read_waiting_) {
          self->wait_readable();
        }
      });
}

void RedisAsioEvents::wait_writable() {
  write_waiting_ = true;
  descriptor_.async_wait(
      asio::posix::stream_descriptor::wait_write,
      [self = shared_from_this()](const boost::system::error_code& ec) {
        self->write_waiting_ = false;
        if (ec || self->context_ == nullptr || !self->writing_) return;
        // Completes a pending connect, then flushes the buffered commands.
        redisAsyncHandleWrite(self->context_);
        const bool wrote =
            self->context_ != nullptr && (self->context_->c.flags & REDIS_CONNECTED) != 0;
        if (wrote && self->writes_ != nullptr) self->writes_->add();
        if (self->context_ != nullptr && self->writing_ && !self->write_waiting_) {
          self->wait_writable();
        }
      });
}

}  // namespace weir
