#include "store/redis_cluster_router.hpp"

#include <fmt/format.h>
#include <hiredis/hiredis.h>
#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <optional>
#include <stdexcept>
#include <utility>

#include "store/redis_cluster_slot.hpp"
#include "store/redis_connection.hpp"

namespace weir {

namespace asio = boost::asio;
using SteadyClock = std::chrono::steady_clock;

namespace {

// A request follows at most this many redirects; more means the map is changing faster than
// it can be followed, and the policy decides.
constexpr int kMaxRedirects = 5;
// Refreshes asked for by MOVED or failures come at most this often; every kRefreshPeriod one
// comes anyway.
constexpr std::chrono::milliseconds kMinRefreshInterval{250};
constexpr std::chrono::seconds kRefreshPeriod{5};
// A slot-map read gives each node at least this long, even under a tighter request timeout.
constexpr std::chrono::milliseconds kMinRefreshTimeout{100};

struct SlotRange {
  int first = 0;
  int last = 0;
  std::string host;
  std::uint16_t port = 0;
};

// "MOVED 3999 127.0.0.1:6381" or "ASK 3999 [::1]:6381".
struct Redirect {
  bool ask = false;
  int slot = 0;
  std::string host;
  std::uint16_t port = 0;
};

std::optional<Redirect> parse_redirect(std::string_view error) {
  Redirect redirect;
  if (error.starts_with("MOVED ")) {
    error.remove_prefix(6);
  } else if (error.starts_with("ASK ")) {
    redirect.ask = true;
    error.remove_prefix(4);
  } else {
    return std::nullopt;
  }
  const auto space = error.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  const auto slot = error.substr(0, space);
  auto address = error.substr(space + 1);
  const auto colon = address.rfind(':');
  if (colon == std::string_view::npos) return std::nullopt;
  const auto port = address.substr(colon + 1);
  auto host = address.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }

  unsigned port_number = 0;
  if (std::from_chars(slot.data(), slot.data() + slot.size(), redirect.slot).ec != std::errc{} ||
      std::from_chars(port.data(), port.data() + port.size(), port_number).ec != std::errc{} ||
      redirect.slot < 0 || redirect.slot >= kRedisClusterSlots || port_number == 0 ||
      port_number > 65535 || host.empty()) {
    return std::nullopt;
  }
  redirect.host = std::string(host);
  redirect.port = static_cast<std::uint16_t>(port_number);
  return redirect;
}

// The ranges of a CLUSTER SLOTS reply; empty when it is not one. A master announcing no host
// is reachable where it was asked (`asked`).
std::vector<SlotRange> parse_slots(const redisReply* reply, const std::string& asked) {
  std::vector<SlotRange> ranges;
  if (reply == nullptr || reply->type != REDIS_REPLY_ARRAY) return ranges;
  for (std::size_t i = 0; i < reply->elements; ++i) {
    const redisReply* entry = reply->element[i];
    if (entry == nullptr || entry->type != REDIS_REPLY_ARRAY || entry->elements < 3) continue;
    const redisReply* first = entry->element[0];
    const redisReply* last = entry->element[1];
    const redisReply* master = entry->element[2];
    if (first->type != REDIS_REPLY_INTEGER || last->type != REDIS_REPLY_INTEGER ||
        master->type != REDIS_REPLY_ARRAY || master->elements < 2 ||
        master->element[0]->type != REDIS_REPLY_STRING ||
        master->element[1]->type != REDIS_REPLY_INTEGER) {
      continue;
    }
    SlotRange range;
    range.first = static_cast<int>(first->integer);
    range.last = static_cast<int>(last->integer);
    range.host = std::string(master->element[0]->str, master->element[0]->len);
    if (range.host.empty() || range.host == "?") range.host = asked;
    const long long port = master->element[1]->integer;
    if (range.first < 0 || range.last >= kRedisClusterSlots || range.first > range.last ||
        port < 1 || port > 65535) {
      continue;
    }
    range.port = static_cast<std::uint16_t>(port);
    ranges.push_back(std::move(range));
  }
  return ranges;
}

// CLUSTER SLOTS from one node, with blocking calls bounded by `timeout`; empty on any failure.
std::vector<SlotRange> read_slots(const std::string& host, std::uint16_t port,
                                  const config::RedisUrl& url, std::chrono::milliseconds timeout) {
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(timeout).count();
  const timeval tv{static_cast<time_t>(micros / 1'000'000),
                   static_cast<suseconds_t>(micros % 1'000'000)};
  redisContext* context = redisConnectWithTimeout(host.c_str(), port, tv);
  if (context == nullptr) return {};
  std::vector<SlotRange> ranges;
  if (context->err == 0 && redisSetTimeout(context, tv) == REDIS_OK) {
    bool authenticated = true;
    if (!url.password.empty()) {
      auto* reply = static_cast<redisReply*>(
          url.user.empty()
              ? redisCommand(context, "AUTH %b", url.password.data(), url.password.size())
              : redisCommand(context, "AUTH %b %b", url.user.data(), url.user.size(),
                             url.password.data(), url.password.size()));
      authenticated = reply != nullptr && reply->type != REDIS_REPLY_ERROR;
      if (reply != nullptr) freeReplyObject(reply);
    }
    if (authenticated) {
      auto* reply = static_cast<redisReply*>(redisCommand(context, "CLUSTER SLOTS"));
      ranges = parse_slots(reply, host);
      if (reply != nullptr) freeReplyObject(reply);
    }
  }
  redisFree(context);
  return ranges;
}

// The seeds, for logs (redacted() lives in weir_config, which the store does not link).
std::string seeds_text(const config::RedisUrl& url) {
  std::string out;
  for (const config::RedisSeed& seed : url.seeds) {
    if (!out.empty()) out += ',';
    out += fmt::format("{}:{}", seed.host, seed.port);
  }
  return out;
}

asio::io_context* running_context(const std::vector<asio::io_context*>& contexts) {
  for (asio::io_context* context : contexts) {
    if (context->get_executor().running_in_this_thread()) return context;
  }
  return nullptr;
}

}  // namespace

struct RedisClusterRouter::Node {
  std::string host;
  std::uint16_t port = 0;
  RedisStoreOptions options;  // url: this node; what its connections read
  std::vector<std::shared_ptr<RedisConnection>> connections;
  std::vector<std::vector<std::size_t>> by_context;  // connection indices per context
  std::vector<std::size_t> all;                      // 0 .. connections - 1
  std::atomic<std::size_t> next{0};
};

RedisClusterRouter::RedisClusterRouter(std::vector<asio::io_context*> contexts,
                                       const RedisStoreOptions& options, RedisRequestSink& sink,
                                       RedisWriteCount& writes)
    : contexts_(std::move(contexts)),
      options_(options),
      sink_(sink),
      writes_(writes),
      slots_(kRedisClusterSlots, -1) {
  if (options_.url.seeds.empty()) {
    throw std::invalid_argument("redis cluster: the url names no seed node");
  }
  if (!refresh_once()) {
    spdlog::warn("redis cluster {}: no seed answered CLUSTER SLOTS; retrying in the background",
                 seeds_text(options_.url));
    refresh_failing_ = true;
  }
  refresher_ = std::thread([this] { refresh_loop(); });
}

RedisClusterRouter::~RedisClusterRouter() {
  stop_refreshing();
  std::lock_guard lock(mutex_);
  nodes_.clear();
}

void RedisClusterRouter::stop_refreshing() {
  {
    std::lock_guard lock(refresh_mutex_);
    stopping_ = true;
  }
  refresh_wake_.notify_all();
  if (refresher_.joinable()) refresher_.join();
}

RedisClusterRouter::Node& RedisClusterRouter::node_for(const std::string& host,
                                                       std::uint16_t port) {
  for (const auto& node : nodes_) {
    if (node->host == host && node->port == port) return *node;
  }

  auto node = std::make_unique<Node>();
  node->host = host;
  node->port = port;
  node->options = options_;
  node->options.url.scheme = config::RedisUrl::Scheme::kTcp;
  node->options.url.host = host;
  node->options.url.port = port;
  node->options.url.db = 0;
  node->options.url.seeds.clear();
  node->by_context.resize(contexts_.size());

  // Each node starts its round robin on another context, so few connections still spread.
  const std::size_t offset = nodes_.size();
  for (std::uint32_t i = 0; i < options_.connections; ++i) {
    const std::size_t home = (offset + i) % contexts_.size();
    const int id = static_cast<int>(offset * options_.connections + i);
    node->connections.push_back(
        std::make_shared<RedisConnection>(*contexts_[home], node->options, sink_, writes_, id));
    node->by_context[home].push_back(i);
    node->all.push_back(i);
  }
  for (auto& connection : node->connections)
    connection->start();
  nodes_.push_back(std::move(node));
  return *nodes_.back();
}

RedisConnection* RedisClusterRouter::pick(std::uint16_t slot, asio::io_context* home) {
  Node* node = nullptr;
  {
    std::lock_guard lock(mutex_);
    const int index = slots_[slot];
    // An unknown slot goes to the first seed, whose MOVED then teaches the map.
    node = index >= 0 ? nodes_[static_cast<std::size_t>(index)].get()
                      : &node_for(options_.url.seeds.front().host, options_.url.seeds.front().port);
  }
  return pick_in(*node, home);
}

RedisConnection* RedisClusterRouter::pick_in(Node& node, asio::io_context* home) {
  const std::vector<std::size_t>* candidates = &node.all;
  if (home != nullptr) {
    const auto index = static_cast<std::size_t>(
        std::find(contexts_.begin(), contexts_.end(), home) - contexts_.begin());
    if (index < node.by_context.size() && !node.by_context[index].empty()) {
      candidates = &node.by_context[index];
    }
  }

  const std::size_t start = node.next.fetch_add(1, std::memory_order_relaxed);
  for (const auto wanted : {RedisConnection::State::kReady, RedisConnection::State::kConnecting}) {
    for (std::size_t i = 0; i < candidates->size(); ++i) {
      RedisConnection* connection =
          node.connections[(*candidates)[(start + i) % candidates->size()]].get();
      if (connection->state() == wanted) return connection;
    }
  }
  return nullptr;
}

bool RedisClusterRouter::redirect(RedisRequest& request, std::string_view error) {
  const std::optional<Redirect> target = parse_redirect(error);
  if (!target || request.redirects >= kMaxRedirects || (target->ask && request.asking)) {
    return false;
  }

  Node* node = nullptr;
  {
    std::lock_guard lock(mutex_);
    node = &node_for(target->host, target->port);
    if (!target->ask) {
      // The slot has moved for good: later requests go straight there.
      const auto index = std::find_if(nodes_.begin(), nodes_.end(),
                                      [&](const auto& n) { return n.get() == node; }) -
                         nodes_.begin();
      slots_[static_cast<std::size_t>(target->slot)] = static_cast<int>(index);
    }
  }
  if (!target->ask) want_refresh();

  asio::io_context* here = running_context(contexts_);
  RedisConnection* connection = pick_in(*node, here);
  if (connection == nullptr) return false;

  // Neither MOVED nor ASK ran the script: sending it again cannot count twice.
  auto next = std::make_unique<RedisRequest>(std::move(request));
  next->finished = false;
  next->retried = false;
  next->asking = target->ask;
  next->redirects += 1;
  if (&connection->context() == here) {
    connection->send(next.release());
    return true;
  }
  asio::post(connection->context(),
             [weak = std::weak_ptr<RedisConnection>(connection->shared_from_this()),
              next = std::move(next)]() mutable {
               if (auto target_connection = weak.lock()) target_connection->send(next.release());
             });
  return true;
}

void RedisClusterRouter::note_failure() {
  want_refresh();
}

void RedisClusterRouter::want_refresh() {
  {
    std::lock_guard lock(refresh_mutex_);
    if (refresh_wanted_) return;
    refresh_wanted_ = true;
  }
  refresh_wake_.notify_one();
}

bool RedisClusterRouter::refresh_once() {
  // Ask the masters known now, then the seeds: a master just killed refuses at once.
  std::vector<Target> targets;
  {
    std::lock_guard lock(mutex_);
    std::vector<bool> used(nodes_.size(), false);
    for (const int index : slots_) {
      if (index >= 0) used[static_cast<std::size_t>(index)] = true;
    }
    for (std::size_t i = 0; i < nodes_.size(); ++i) {
      if (used[i]) targets.push_back({nodes_[i]->host, nodes_[i]->port});
    }
  }
  for (const config::RedisSeed& seed : options_.url.seeds) {
    const bool known = std::any_of(targets.begin(), targets.end(), [&](const Target& t) {
      return t.host == seed.host && t.port == seed.port;
    });
    if (!known) targets.push_back({seed.host, seed.port});
  }

  const auto timeout = std::max(options_.timeout, kMinRefreshTimeout);
  for (const Target& target : targets) {
    const std::vector<SlotRange> ranges =
        read_slots(target.host, target.port, options_.url, timeout);
    if (ranges.empty()) continue;

    std::lock_guard lock(mutex_);
    std::vector<int> slots(kRedisClusterSlots, -1);
    for (const SlotRange& range : ranges) {
      Node& node = node_for(range.host, range.port);
      const auto index = std::find_if(nodes_.begin(), nodes_.end(),
                                      [&](const auto& n) { return n.get() == &node; }) -
                         nodes_.begin();
      std::fill(slots.begin() + range.first, slots.begin() + range.last + 1,
                static_cast<int>(index));
    }
    slots_ = std::move(slots);
    return true;
  }
  return false;
}

void RedisClusterRouter::refresh_loop() {
  std::unique_lock lock(refresh_mutex_);
  auto last = SteadyClock::now();
  while (!stopping_) {
    refresh_wake_.wait_until(lock, last + kRefreshPeriod,
                             [&] { return stopping_ || refresh_wanted_; });
    if (stopping_) break;
    if (refresh_wanted_) {
      // A burst of failures asks once per interval, not once per request.
      refresh_wake_.wait_until(lock, last + kMinRefreshInterval, [&] { return stopping_; });
      if (stopping_) break;
    }
    refresh_wanted_ = false;

    lock.unlock();
    const bool ok = refresh_once();
    lock.lock();
    last = SteadyClock::now();
    if (!ok && !refresh_failing_) {
      spdlog::warn("redis cluster {}: no node answered CLUSTER SLOTS; keeping the old slot map",
                   seeds_text(options_.url));
    } else if (ok && refresh_failing_) {
      spdlog::info("redis cluster {}: slot map read again", seeds_text(options_.url));
    }
    refresh_failing_ = !ok;
  }
}

}  // namespace weir
