#include "http/server.hpp"

#include <condition_variable>
#include <mutex>
#include <stdexcept>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "http/admin_api.hpp"
#include "http/connection.hpp"
#include "http/metrics_endpoint.hpp"
#include "http/store_call.hpp"
#include "http/worker.hpp"

namespace weir::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
using asio::use_awaitable;
using asio::ip::tcp;

namespace {

// An accept that fails for lack of descriptors would fail again at once; pausing keeps the
// thread from spinning while connections close.
constexpr std::chrono::milliseconds kAcceptBackoff{50};
constexpr std::chrono::seconds kRejectionLogPeriod{10};
constexpr std::chrono::milliseconds kDrainPoll{20};

tcp::endpoint make_endpoint(const std::string& host, std::uint16_t port) {
  beast::error_code ec;
  std::string literal = host == "localhost" ? "127.0.0.1" : host;
  auto address = asio::ip::make_address(literal, ec);
  if (ec) throw std::runtime_error(fmt::format("cannot listen on \"{}\": not an IP address", host));
  return {address, port};
}

tcp::acceptor open_acceptor(asio::io_context& io, const tcp::endpoint& endpoint, bool reuse_port) {
  tcp::acceptor acceptor(io);
  beast::error_code ec;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec && reuse_port) {
    int one = 1;
    if (::setsockopt(acceptor.native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
      ec.assign(errno, boost::system::system_category());
    }
  }
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    throw std::runtime_error(fmt::format("cannot listen on {}:{}: {}",
                                         endpoint.address().to_string(), endpoint.port(),
                                         ec.message()));
  }
  return acceptor;
}

IpAddress to_ip_address(const asio::ip::address& address) {
  if (address.is_v4()) return IpAddress::from_v4(address.to_v4().to_uint());
  return IpAddress(address.to_v6().to_bytes());
}

// A connection admitted at accept: counted in admitted_connections, and per client address
// when connections.per_ip applies, until the connection ends.
class ConnectionSlot {
 public:
  ConnectionSlot(ServerContext& context, std::optional<IpAddress> per_ip_key)
      : context_(&context), key_(per_ip_key) {
    context_->admitted_connections.fetch_add(1, std::memory_order_relaxed);
  }
  ConnectionSlot(ConnectionSlot&& other) noexcept
      : context_(std::exchange(other.context_, nullptr)), key_(other.key_) {}
  ConnectionSlot(const ConnectionSlot&) = delete;
  ConnectionSlot& operator=(const ConnectionSlot&) = delete;
  ConnectionSlot& operator=(ConnectionSlot&&) = delete;
  ~ConnectionSlot() {
    if (context_ == nullptr) return;
    context_->admitted_connections.fetch_sub(1, std::memory_order_relaxed);
    if (key_) context_->protection.close_connection(*key_);
  }

 private:
  ServerContext* context_;
  std::optional<IpAddress> key_;
};

// `slot` lives in the coroutine frame, so the connection counts until it ends.
asio::awaitable<void> serve_connection(tcp::socket socket, Worker& worker,
                                       [[maybe_unused]] ConnectionSlot slot) {
  Connection connection(std::move(socket), worker);
  co_await connection.run();
}

// The cheapest refusals, decided from the peer address alone, before anything is read. Returns
// the slot for an admitted connection; nullopt when the socket must be closed.
std::optional<ConnectionSlot> admit_connection(Worker& worker, const tcp::socket& socket) {
  ServerContext& shared = worker.shared;
  const Runtime& rt = *worker.runtime;

  if (shared.admitted_connections.load(std::memory_order_relaxed) >=
      static_cast<long>(rt.concurrency.max_connections)) {
    shared.metrics.count_rejection(RejectReason::kConnectionLimit);
    return std::nullopt;
  }

  beast::error_code ec;
  const auto endpoint = socket.remote_endpoint(ec);
  if (ec) return std::nullopt;  // already gone
  const IpAddress peer = to_ip_address(endpoint.address());

  // Only the peer's own address is judged here. A trusted proxy's connections carry other
  // clients, who are judged per request once their forwarding header is read.
  const ClientResolver& resolver = rt.limiter.resolver();
  if (resolver.options().trusted_proxies.contains(peer)) return ConnectionSlot(shared, {});

  const CidrSet& dynamic = worker.dynamic_blocks();
  if (rt.limiter.blocklist().contains(peer) || (!dynamic.empty() && dynamic.contains(peer))) {
    shared.metrics.count_rejection(RejectReason::kBlocklist);
    return std::nullopt;
  }

  if (rt.concurrency.per_ip == 0) return ConnectionSlot(shared, {});
  const IpAddress key = resolver.key_of(peer);
  if (!shared.protection.open_connection(key, rt.concurrency.per_ip)) {
    shared.metrics.count_rejection(RejectReason::kConnectionLimit);
    return std::nullopt;
  }
  return ConnectionSlot(shared, key);
}

asio::awaitable<void> accept_loop(Worker& worker) {
  asio::steady_timer backoff(worker.io);
  for (;;) {
    beast::error_code ec;
    tcp::socket socket =
        co_await worker.acceptor->async_accept(asio::redirect_error(use_awaitable, ec));
    if (ec == asio::error::operation_aborted || !worker.acceptor->is_open()) co_return;
    if (ec) {
      backoff.expires_after(kAcceptBackoff);
      co_await backoff.async_wait(asio::redirect_error(use_awaitable, ec));
      continue;
    }
    std::optional<ConnectionSlot> slot = admit_connection(worker, socket);
    if (!slot) {
      socket.close(ec);
      continue;
    }
    socket.set_option(tcp::no_delay(true), ec);
    asio::co_spawn(worker.io, serve_connection(std::move(socket), worker, std::move(*slot)),
                   asio::detached);
  }
}

}  // namespace

struct Server::Impl {
  Impl(ServerOptions o, std::shared_ptr<const Runtime> r, RequestMetrics& m, metrics::Registry& reg)
      : options(std::move(o)),
        runtime(std::move(r)),
        protection(reg),
        context{nullptr, m, protection},
        registry(reg) {}

  ServerOptions options;
  std::shared_ptr<const Runtime> runtime;
  Protection protection;
  ServerContext context;
  metrics::Registry& registry;
  std::optional<AdminApi> admin;  // made in start(), with the store
  std::vector<std::unique_ptr<Worker>> workers;
  std::optional<tcp::acceptor> metrics_acceptor;
  std::optional<asio::signal_set> signals;
  std::uint16_t port = 0;
  std::uint16_t metrics_port = 0;

  std::mutex mutex;
  std::condition_variable stopped_cv;
  bool stopping = false;
  bool stopped = false;

  Worker& main_worker() { return *workers.front(); }
  void begin_shutdown();
  void wait_for_signal();
  void reload();
  asio::awaitable<void> drain();
  asio::awaitable<void> housekeeping();
  asio::awaitable<void> refresh_protection_state();
};

Server::Server(ServerOptions options, std::shared_ptr<const Runtime> runtime,
               RequestMetrics& metrics, metrics::Registry& registry)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(runtime), metrics, registry)) {
  Impl& s = *impl_;
  unsigned threads = s.options.threads;
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  for (unsigned i = 0; i < threads; ++i) {
    s.workers.push_back(std::make_unique<Worker>(s.context));
    s.workers.back()->runtime = s.runtime;
  }
}

std::vector<asio::io_context*> Server::contexts() {
  std::vector<asio::io_context*> contexts;
  for (auto& worker : impl_->workers)
    contexts.push_back(&worker->io);
  return contexts;
}

Server::~Server() {
  stop();
  wait();
}

void Server::start(Store& store) {
  Impl& s = *impl_;
  s.context.store = &store;
  s.admin.emplace(store, s.protection, [&s] { return s.main_worker().runtime; });
  const bool reuse_port = s.workers.size() > 1;

  // The first acceptor may be asked for port 0; the others must share the port it got.
  tcp::endpoint endpoint = make_endpoint(s.options.listen_host, s.options.listen_port);
  for (auto& worker : s.workers) {
    worker->acceptor.emplace(open_acceptor(worker->io, endpoint, reuse_port));
    endpoint.port(worker->acceptor->local_endpoint().port());
  }
  s.port = endpoint.port();

  tcp::endpoint metrics_endpoint = make_endpoint(s.options.metrics_host, s.options.metrics_port);
  s.metrics_acceptor.emplace(open_acceptor(s.main_worker().io, metrics_endpoint, false));
  s.metrics_port = s.metrics_acceptor->local_endpoint().port();

  s.signals.emplace(s.main_worker().io, SIGTERM, SIGINT, SIGHUP);
  s.wait_for_signal();

  asio::co_spawn(s.main_worker().io,
                 MetricsEndpoint::serve(*s.metrics_acceptor, s.registry, &*s.admin),
                 asio::detached);
  asio::co_spawn(s.main_worker().io, s.housekeeping(), asio::detached);
  for (auto& worker : s.workers) {
    asio::co_spawn(worker->io, accept_loop(*worker), asio::detached);
    worker->thread = std::thread([&io = worker->io] { io.run(); });
  }
}

void Server::swap_runtime(std::shared_ptr<const Runtime> runtime) {
  Impl& s = *impl_;
  for (auto& worker : s.workers) {
    asio::post(worker->io, [w = worker.get(), runtime] { w->runtime = runtime; });
  }
}

void Server::Impl::wait_for_signal() {
  signals->async_wait([this](const beast::error_code& ec, int signal) {
    if (ec) return;
    if (signal == SIGHUP) {
      reload();
      wait_for_signal();
      return;
    }
    spdlog::info("received signal {}, draining", signal);
    begin_shutdown();
  });
}

// Runs on the main worker's thread.
void Server::Impl::reload() {
  if (!options.reload || stopping) return;
  std::shared_ptr<const Runtime> next = options.reload();
  if (!next) return;
  runtime = next;
  for (auto& worker : workers) {
    asio::post(worker->io, [w = worker.get(), next] { w->runtime = next; });
  }
}

void Server::stop() {
  Impl& s = *impl_;
  if (s.workers.empty()) return;
  asio::post(s.main_worker().io, [&s] { s.begin_shutdown(); });
}

void Server::wait() {
  Impl& s = *impl_;
  for (auto& worker : s.workers) {
    if (worker->thread.joinable()) worker->thread.join();
  }
}

std::uint16_t Server::port() const {
  return impl_->port;
}
std::uint16_t Server::metrics_port() const {
  return impl_->metrics_port;
}

// Runs on the main worker's thread.
void Server::Impl::begin_shutdown() {
  if (stopping) return;
  stopping = true;
  context.draining.store(true);
  beast::error_code ec;
  if (signals) signals->cancel(ec);
  if (metrics_acceptor) metrics_acceptor->close(ec);

  // Each worker closes its own acceptor and its idle connections; busy ones finish their
  // request and close because the server is draining.
  for (auto& worker : workers) {
    asio::post(worker->io, [w = worker.get()] {
      beast::error_code ignored;
      w->acceptor->close(ignored);
      std::vector<Connection*> idle(w->connections.begin(), w->connections.end());
      for (Connection* c : idle)
        c->close_if_idle();
    });
  }
  asio::co_spawn(main_worker().io, drain(), asio::detached);
}

asio::awaitable<void> Server::Impl::drain() {
  const auto deadline = std::chrono::steady_clock::now() + options.shutdown_grace;
  asio::steady_timer timer(main_worker().io);
  while (context.open_connections.load() > 0 && std::chrono::steady_clock::now() < deadline) {
    timer.expires_after(kDrainPoll);
    beast::error_code ec;
    co_await timer.async_wait(asio::redirect_error(use_awaitable, ec));
  }
  long left = context.open_connections.load();
  if (left > 0) spdlog::warn("shutdown grace period over, closing {} connections", left);
  spdlog::info("stopped");
  for (auto& worker : workers)
    worker->io.stop();
}

// Once a second: store housekeeping; every few seconds, a summary of rejections instead of a
// line per rejected request, so a flood cannot flood the log.
asio::awaitable<void> Server::Impl::housekeeping() {
  asio::steady_timer timer(main_worker().io);
  std::uint64_t last[static_cast<int>(RejectReason::kCount)] = {};
  auto last_log = std::chrono::steady_clock::now();

  while (!stopping) {
    timer.expires_after(std::chrono::seconds(1));
    beast::error_code ec;
    co_await timer.async_wait(asio::redirect_error(use_awaitable, ec));
    if (stopping) break;
    if (options.housekeeping) options.housekeeping();
    co_await refresh_protection_state();

    auto now = std::chrono::steady_clock::now();
    if (now - last_log < kRejectionLogPeriod) continue;
    last_log = now;
    std::uint64_t delta[static_cast<int>(RejectReason::kCount)];
    std::uint64_t total = 0;
    for (int i = 0; i < static_cast<int>(RejectReason::kCount); ++i) {
      std::uint64_t value = context.metrics.rejections(static_cast<RejectReason>(i));
      delta[i] = value - last[i];
      last[i] = value;
      total += delta[i];
    }
    if (total > 0) {
      spdlog::info(
          "rejected {} requests in the last {}s (rate_limit={}, blocklist={}, ban={}, shed={}, "
          "connection_limit={})",
          total, kRejectionLogPeriod.count(), delta[0], delta[1], delta[2], delta[3], delta[4]);
    }
  }
}

// Dynamic blocks are matched from a local snapshot; renewing it each second applies their
// expiry, and changes made through another instance sharing the store.
asio::awaitable<void> Server::Impl::refresh_protection_state() {
  if (!context.store->supports_protection()) co_return;
  co_await admin->refresh_blocks();
  auto bans = co_await store_call<std::optional<BanList>>(
      [this](auto done) { context.store->list_bans(0, std::move(done)); });
  if (bans) protection.set_bans_active(static_cast<std::int64_t>(bans->total));
}

}  // namespace weir::http
