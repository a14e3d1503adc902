#include "store/redis_connection.hpp"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <utility>

#include "store/redis_asio_events.hpp"

namespace weir {

namespace asio = boost::asio;
using SteadyClock = std::chrono::steady_clock;

namespace {

constexpr std::chrono::milliseconds kFirstBackoff{10};

// What an answered setup command was, passed to hiredis as the reply's private data.
enum class SetupStep { kAuth, kSelect };
SetupStep kAuthStep = SetupStep::kAuth;
SetupStep kSelectStep = SetupStep::kSelect;

// A connection whose oldest request has had no answer for this long is stuck (a peer that
// vanished without closing, a paused server): drop it and connect again.
std::chrono::milliseconds stall_limit(std::chrono::milliseconds timeout) {
  return std::max<std::chrono::milliseconds>(4 * timeout, std::chrono::seconds(1));
}

}  // namespace

RedisConnection::RedisConnection(asio::io_context& io, const RedisStoreOptions& options,
                                 RedisRequestSink& sink, RedisWriteCount& writes, int id)
    : io_(io),
      options_(options),
      sink_(sink),
      writes_(writes),
      id_(id),
      resolver_(io),
      timer_(io),
      reconnect_(io),
      backoff_(kFirstBackoff) {}

RedisConnection::~RedisConnection() {
  stopping_ = true;
  for (RedisRequest* request : waiting_)
    delete request;
  if (context_ != nullptr) {
    redisAsyncContext* context = std::exchange(context_, nullptr);
    redisAsyncFree(context);
  }
}

void RedisConnection::start() {
  asio::post(io_, [weak = weak_from_this()] {
    if (auto self = weak.lock()) self->resolve();
  });
}

std::string RedisConnection::endpoint() const {
  // Never the password: this goes to logs.
  if (options_.url.scheme == config::RedisUrl::Scheme::kUnix) return options_.url.path;
  return fmt::format("{}:{}", options_.url.host, options_.url.port);
}

void RedisConnection::resolve() {
  if (stopping_ || context_ != nullptr) return;
  state_.store(State::kConnecting, std::memory_order_release);
  if (options_.url.scheme == config::RedisUrl::Scheme::kUnix) {
    connect({});
    return;
  }

  // hiredis would resolve a host name with a blocking getaddrinfo(); Asio resolves it off the
  // io_context's thread. An address literal needs no resolving.
  boost::system::error_code ec;
  asio::ip::make_address(options_.url.host, ec);
  if (!ec) {
    connect(options_.url.host);
    return;
  }
  resolver_.async_resolve(
      options_.url.host, std::to_string(options_.url.port),
      [weak = weak_from_this()](const boost::system::error_code& error,
                                asio::ip::tcp::resolver::results_type results) {
        auto self = weak.lock();
        if (!self || self->stopping_) return;
        if (error || results.empty()) {
          self->connection_failed(fmt::format("cannot resolve host: {}", error.message()));
          return;
        }
        self->connect(results.begin()->endpoint().address().to_string());
      });
}

void RedisConnection::connect(const std::string& address) {
  const bool unix_socket = options_.url.scheme == config::RedisUrl::Scheme::kUnix;
  redisAsyncContext* context = unix_socket ? redisAsyncConnectUnix(options_.url.path.c_str())
                                           : redisAsyncConnect(address.c_str(), options_.url.port);
  if (context == nullptr) {
    connection_failed("cannot allocate a connection");
    return;
  }
  if (context->err != 0) {
    std::string reason = context->errstr;
    redisAsyncFree(context);
    connection_failed(reason);
    return;
  }

  context->data = this;
  RedisAsioEvents::attach(context, io_, &writes_);
  redisAsyncSetConnectCallback(context, &RedisConnection::on_connect);
  redisAsyncSetDisconnectCallback(context, &RedisConnection::on_disconnect);
  context_ = context;
  state_.store(State::kConnecting, std::memory_order_release);

  connect_deadline_ = SteadyClock::now() + options_.timeout;
  arm_timer();
  send_setup();

  // Requests that came before the context, in their order, behind the setup commands.
  std::vector<RedisRequest*> waiting = std::exchange(waiting_, {});
  for (RedisRequest* request : waiting) {
    if (request->finished) {
      delete request;
    } else if (!submit(request)) {
      request->finished = true;
      sink_.finish(*request, RedisOutcome::kLost, nullptr);
      delete request;
    }
  }
}

void RedisConnection::fail_waiting() {
  std::vector<RedisRequest*> waiting = std::exchange(waiting_, {});
  for (RedisRequest* request : waiting) {
    if (!request->finished) {
      request->finished = true;
      sink_.finish(*request, RedisOutcome::kLost, nullptr);
    }
    delete request;
  }
}

void RedisConnection::send_setup() {
  // Pipelined ahead of any request: whatever is sent next runs authenticated, in the right
  // database, with the scripts loaded.
  const auto& url = options_.url;
  if (!url.password.empty()) {
    std::array<const char*, 3> argv{"AUTH", nullptr, nullptr};
    std::array<std::size_t, 3> lengths{4, 0, 0};
    int argc = 1;
    if (!url.user.empty()) {
      argv[argc] = url.user.data();
      lengths[argc++] = url.user.size();
    }
    argv[argc] = url.password.data();
    lengths[argc++] = url.password.size();
    redisAsyncCommandArgv(context_, &RedisConnection::on_setup_reply, &kAuthStep, argc, argv.data(),
                          lengths.data());
  }
  if (url.db != 0) {
    redisAsyncCommand(context_, &RedisConnection::on_setup_reply, &kSelectStep, "SELECT %u",
                      url.db);
  }
  for (const RedisScript* script : redis_scripts()) {
    std::array<const char*, 3> argv{"SCRIPT", "LOAD", script->source.data()};
    std::array<std::size_t, 3> lengths{6, 4, script->source.size()};
    redisAsyncCommandArgv(context_, &RedisConnection::on_setup_reply,
                          const_cast<RedisScript*>(script), 3, argv.data(), lengths.data());
  }
}

void RedisConnection::on_connect(const redisAsyncContext* context, int status) {
  auto* self = static_cast<RedisConnection*>(context->data);
  if (context != self->context_) return;

  if (status != REDIS_OK) {
    // hiredis frees the context when this returns; its queued requests report kLost.
    self->context_ = nullptr;
    self->connection_failed(context->errstr);
    return;
  }
  // Requests flow from now on; the connection counts as recovered once its setup has passed
  // (a refused AUTH would otherwise read as a recovery every reconnect).
  self->state_.store(State::kReady, std::memory_order_release);
}

void RedisConnection::on_disconnect(const redisAsyncContext* context, int /*status*/) {
  auto* self = static_cast<RedisConnection*>(context->data);
  // A context this connection dropped itself (reset, destructor) is already accounted for.
  if (context != self->context_) return;
  self->context_ = nullptr;
  self->connection_failed(context->err != 0 ? context->errstr : "closed by the server");
}

void RedisConnection::on_setup_reply(redisAsyncContext* context, void* reply, void* step) {
  auto* self = static_cast<RedisConnection*>(context->data);
  const auto* r = static_cast<const redisReply*>(reply);
  if (r == nullptr || self->stopping_) return;  // the connection is going away anyway

  if (step == &kAuthStep || step == &kSelectStep) {
    if (r->type == REDIS_REPLY_ERROR) {
      // Every request on this connection would fail the same way: drop it, and try again later
      // (an ACL or database fixed on the server is then picked up).
      self->reset(fmt::format("{} failed: {}", step == &kAuthStep ? "AUTH" : "SELECT",
                              std::string_view(r->str, r->len)));
    }
    return;
  }

  const auto* script = static_cast<const RedisScript*>(step);
  if (script == redis_scripts().back()) {
    // The last setup reply: AUTH and SELECT passed.
    self->backoff_ = kFirstBackoff;
    if (self->failure_logged_) {
      spdlog::info("redis connection {} to {} is up again", self->id_, self->endpoint());
      self->failure_logged_ = false;
    }
  }
  const bool loaded =
      r->type == REDIS_REPLY_STRING && std::string_view(r->str, r->len) == script->sha1;
  if (!loaded) {
    // Requests still work (EVALSHA fails with NOSCRIPT, then EVAL sends the source), one extra
    // round trip each; say why once per connection.
    spdlog::warn("redis connection {}: loading script {} answered {:?}, not its sha1 {}", self->id_,
                 script->name,
                 r->type == REDIS_REPLY_ERROR || r->type == REDIS_REPLY_STRING
                     ? std::string_view(r->str, r->len)
                     : std::string_view("(not a string)"),
                 script->sha1);
  }
}

void RedisConnection::send(RedisRequest* request) {
  if (context_ == nullptr && !stopping_ && state() == State::kConnecting) {
    // The first connect has not started yet, or a host name is being resolved.
    waiting_.push_back(request);
    if (!timer_armed_ || request->deadline < timer_expiry_) arm_timer();
    return;
  }
  if (context_ == nullptr || stopping_ || !submit(request)) {
    request->finished = true;
    sink_.finish(*request, RedisOutcome::kLost, nullptr);
    delete request;
  }
}

bool RedisConnection::submit(RedisRequest* request) {
  if (context_ == nullptr) return false;

  // EVALSHA normally; EVAL with the source once the server said NOSCRIPT, which loads the
  // script again as it runs.
  const RedisScript& script =
      request->call ? *request->call->command().script : redis_script(request->limit.algorithm);
  const std::string_view command = request->retried ? "EVAL" : "EVALSHA";
  const std::string_view sha_or_source = request->retried ? script.source : script.sha1;

  std::vector<std::string> args;
  if (request->call) {
    const RedisCommand& call = request->call->command();
    args.reserve(2 + call.keys.size() + call.args.size());
    args.emplace_back(sha_or_source);
    args.push_back(std::to_string(call.keys.size()));
    args.insert(args.end(), call.keys.begin(), call.keys.end());
    args.insert(args.end(), call.args.begin(), call.args.end());
  } else {
    args = redis_script_arguments(options_.key_prefix, request->key, request->limit, sha_or_source,
                                  request->at);
  }

  // Decisions and calls are at most 9 words, the command's name included.
  constexpr std::size_t kMaxArgs = 12;
  std::array<const char*, kMaxArgs> argv{};
  std::array<std::size_t, kMaxArgs> lengths{};
  argv[0] = command.data();
  lengths[0] = command.size();
  const std::size_t argc = std::min(args.size() + 1, kMaxArgs);
  for (std::size_t i = 1; i < argc; ++i) {
    argv[i] = args[i - 1].data();
    lengths[i] = args[i - 1].size();
  }

  // Redirected by ASK: the importing node serves the slot for the next command only.
  if (request->asking && redisAsyncCommand(context_, nullptr, nullptr, "ASKING") != REDIS_OK) {
    return false;
  }
  if (redisAsyncCommandArgv(context_, &RedisConnection::on_reply, request, static_cast<int>(argc),
                            argv.data(), lengths.data()) != REDIS_OK) {
    return false;
  }
  in_flight_.push_back(request);
  // Deadlines mostly grow in sending order: only a request due before the timer re-arms it.
  if (!timer_armed_ || request->deadline < timer_expiry_) arm_timer();
  return true;
}

void RedisConnection::on_reply(redisAsyncContext* context, void* reply, void* request) {
  auto* self = static_cast<RedisConnection*>(context->data);
  self->handle_reply(static_cast<RedisRequest*>(request), static_cast<const redisReply*>(reply));
}

void RedisConnection::handle_reply(RedisRequest* request, const redisReply* reply) {
  // Replies come in order, so this is nearly always the front.
  auto it = std::find(in_flight_.begin(), in_flight_.end(), request);
  if (it != in_flight_.end()) in_flight_.erase(it);

  // Stopping, or the request timed out earlier: its outcome is reported (a call has gone to
  // complete itself), and a late reply is dropped.
  if (stopping_ || request->finished) {
    delete request;
    return;
  }
  if (reply == nullptr) {  // the connection ended first
    request->finished = true;
    sink_.finish(*request, RedisOutcome::kLost, nullptr);
    delete request;
    return;
  }

  ParsedReply parsed = request->call ? parse_call_reply(reply, *request->call)
                                     : parse_script_reply(reply, request->limit);
  if (parsed.kind == RedisReplyKind::kNoScript && !request->retried) {
    // The server restarted, failed over or flushed its scripts; nothing ran, so sending again
    // cannot count twice.
    request->retried = true;
    if (submit(request)) return;
    request->finished = true;
    sink_.finish(*request, RedisOutcome::kLost, nullptr);
    delete request;
    return;
  }

  request->finished = true;
  sink_.finish(*request, RedisOutcome::kReply, &parsed);
  delete request;
}

void RedisConnection::arm_timer() {
  // The earliest of: an unanswered request's deadline, the connect deadline, the stall check.
  SteadyClock::time_point next = SteadyClock::time_point::max();
  for (const RedisRequest* request : in_flight_) {
    if (!request->finished) next = std::min(next, request->deadline);
  }
  for (const RedisRequest* request : waiting_)
    next = std::min(next, request->deadline);
  if (!in_flight_.empty()) {
    next = std::min(next, in_flight_.front()->started + stall_limit(options_.timeout));
  }
  if (state() == State::kConnecting) next = std::min(next, connect_deadline_);
  if (next == SteadyClock::time_point::max()) return;
  if (timer_armed_ && timer_expiry_ <= next) return;

  timer_armed_ = true;
  timer_expiry_ = next;
  timer_.expires_at(next);
  timer_.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
    if (ec) return;
    if (auto self = weak.lock()) self->on_timer();
  });
}

void RedisConnection::on_timer() {
  timer_armed_ = false;
  const auto now = SteadyClock::now();

  for (RedisRequest* request : in_flight_) {
    if (!request->finished && request->deadline <= now) {
      request->finished = true;
      sink_.finish(*request, RedisOutcome::kTimeout, nullptr);
    }
  }
  std::erase_if(waiting_, [&](RedisRequest* request) {
    if (request->deadline > now) return false;
    request->finished = true;
    sink_.finish(*request, RedisOutcome::kTimeout, nullptr);
    delete request;
    return true;
  });

  if (context_ != nullptr && state() == State::kConnecting && now >= connect_deadline_) {
    reset("connect timed out");
    return;
  }
  if (context_ != nullptr && !in_flight_.empty() &&
      now - in_flight_.front()->started >= stall_limit(options_.timeout)) {
    reset("no reply for too long");
    return;
  }
  arm_timer();
}

void RedisConnection::reset(const std::string& reason) {
  if (context_ == nullptr) return;
  // Clearing context_ first makes on_disconnect ignore the context being dropped here.
  redisAsyncContext* context = std::exchange(context_, nullptr);
  redisAsyncFree(context);
  connection_failed(reason);
}

void RedisConnection::connection_failed(const std::string& reason) {
  state_.store(State::kDown, std::memory_order_release);
  if (stopping_) return;
  fail_waiting();
  if (!failure_logged_) {
    spdlog::warn("redis connection {} to {} failed: {}; reconnecting", id_, endpoint(), reason);
    failure_logged_ = true;
  } else {
    spdlog::debug("redis connection {} to {} failed again: {}", id_, endpoint(), reason);
  }
  schedule_reconnect();
}

void RedisConnection::schedule_reconnect() {
  reconnect_.expires_after(backoff_);
  reconnect_.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
    if (ec) return;
    if (auto self = weak.lock()) self->resolve();
  });
  backoff_ = std::min(2 * backoff_, options_.max_reconnect_backoff);
}

}  // namespace weir
