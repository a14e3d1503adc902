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

#include "http/connection.hpp"
#include "http/metrics_endpoint.hpp"
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

asio::awaitable<void> serve_connection(tcp::socket socket, Worker& worker) {
  Connection connection(std::move(socket), worker);
  co_await connection.run();
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
    socket.set_option(tcp::no_delay(true), ec);
    asio::co_spawn(worker.io, serve_connection(std::move(socket), worker), asio::detached);
  }
}

}  // namespace

struct Server::Impl {
  Impl(ServerOptions o, std::shared_ptr<const Runtime> r, RequestMetrics& m, metrics::Registry& reg)
      : options(std::move(o)), runtime(std::move(r)), context{nullptr, m}, registry(reg) {}

  ServerOptions options;
  std::shared_ptr<const Runtime> runtime;
  ServerContext context;
  metrics::Registry& registry;
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
  asio::awaitable<void> drain();
  asio::awaitable<void> housekeeping();
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

  s.signals.emplace(s.main_worker().io, SIGTERM, SIGINT);
  s.signals->async_wait([&s](const beast::error_code& ec, int signal) {
    if (ec) return;
    spdlog::info("received signal {}, draining", signal);
    s.begin_shutdown();
  });

  asio::co_spawn(s.main_worker().io, MetricsEndpoint::serve(*s.metrics_acceptor, s.registry),
                 asio::detached);
  asio::co_spawn(s.main_worker().io, s.housekeeping(), asio::detached);
  for (auto& worker : s.workers) {
    asio::co_spawn(worker->io, accept_loop(*worker), asio::detached);
    worker->thread = std::thread([&io = worker->io] { io.run(); });
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
      spdlog::info("rejected {} requests in the last {}s (rate_limit={}, blocklist={})", total,
                   kRejectionLogPeriod.count(), delta[0], delta[1]);
    }
  }
}

}  // namespace weir::http
