#include "http/admin_api.hpp"

#include <charconv>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "http/store_call.hpp"

namespace weir::http {

namespace bhttp = boost::beast::http;
using Json = nlohmann::json;

namespace {

constexpr std::string_view kPrefix = "/admin/";
constexpr std::size_t kDefaultTop = 20;
constexpr std::size_t kMaxListedBans = 1000;
constexpr std::chrono::hours kMaxTtl{24 * 365};

AdminReply reply(int status, const Json& body) {
  return AdminReply{status, body.dump()};
}

AdminReply error(int status, std::string_view message) {
  return reply(status, Json{{"error", message}});
}

Instant now() {
  return std::chrono::time_point_cast<Duration>(std::chrono::system_clock::now());
}

std::int64_t unix_seconds(Instant t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

std::int64_t seconds_left(Instant t) {
  return std::max<std::int64_t>(0, ceil_seconds(t - now()));
}

// The value of `key` in a query string ("a=1&ttl=10m"), or empty.
std::string_view query_value(std::string_view query, std::string_view key) {
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query.remove_prefix(amp == std::string_view::npos ? query.size() : amp + 1);
    if (pair.size() > key.size() && pair.starts_with(key) && pair[key.size()] == '=') {
      return pair.substr(key.size() + 1);
    }
  }
  return {};
}

Json block_json(const DynamicBlock& block) {
  Json j{{"cidr", block.network.to_string()}};
  if (block.expires) {
    j["expires_at"] = unix_seconds(*block.expires);
    j["expires_in_seconds"] = seconds_left(*block.expires);
  } else {
    j["expires_at"] = nullptr;
    j["expires_in_seconds"] = nullptr;
  }
  return j;
}

}  // namespace

bool secrets_equal(std::string_view presented, std::string_view expected) {
  // Every byte of the expected secret is visited whatever was presented, and differences are
  // accumulated without branching.
  unsigned char diff = presented.size() == expected.size() ? 0 : 1;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const unsigned char p = i < presented.size() ? static_cast<unsigned char>(presented[i]) : 0;
    diff |= static_cast<unsigned char>(p ^ static_cast<unsigned char>(expected[i]));
  }
  return diff == 0 && !expected.empty();
}

std::optional<std::chrono::milliseconds> parse_ttl(std::string_view text) {
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end == text.data() || value <= 0) return std::nullopt;
  const std::string_view unit(end, static_cast<std::size_t>(text.data() + text.size() - end));

  std::int64_t ms_per_unit = 0;
  if (unit == "ms") {
    ms_per_unit = 1;
  } else if (unit == "s") {
    ms_per_unit = 1000;
  } else if (unit == "m") {
    ms_per_unit = 60'000;
  } else if (unit == "h") {
    ms_per_unit = 3'600'000;
  } else if (unit == "d") {
    ms_per_unit = 86'400'000;
  } else {
    return std::nullopt;
  }
  const std::int64_t max = std::chrono::milliseconds(kMaxTtl).count();
  if (value > max / ms_per_unit) return std::nullopt;
  return std::chrono::milliseconds(value * ms_per_unit);
}

std::optional<std::string> percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out.push_back(text[i]);
      continue;
    }
    if (i + 2 >= text.size()) return std::nullopt;
    unsigned value = 0;
    auto [end, ec] = std::from_chars(text.data() + i + 1, text.data() + i + 3, value, 16);
    if (ec != std::errc() || end != text.data() + i + 3) return std::nullopt;
    out.push_back(static_cast<char>(value));
    i += 2;
  }
  return out;
}

AdminApi::AdminApi(Store& store, Protection& protection,
                   std::function<std::shared_ptr<const Runtime>()> runtime)
    : store_(store), protection_(protection), runtime_(std::move(runtime)) {}

bool AdminApi::owns(std::string_view target) {
  return target.starts_with(kPrefix) || target == "/admin";
}

boost::asio::awaitable<AdminReply> AdminApi::handle(bhttp::verb method, std::string_view target,
                                                    std::string_view authorization) {
  const std::shared_ptr<const Runtime> rt = runtime_();
  if (rt->admin_token.empty()) co_return error(404, "not found");

  constexpr std::string_view kBearer = "Bearer ";
  const bool has_bearer = authorization.size() > kBearer.size() &&
                          boost::beast::iequals(authorization.substr(0, kBearer.size()), kBearer);
  if (!has_bearer || !secrets_equal(authorization.substr(kBearer.size()), rt->admin_token)) {
    co_return error(401, "unauthorized");
  }

  std::string_view query;
  if (const std::size_t q = target.find('?'); q != std::string_view::npos) {
    query = target.substr(q + 1);
    target = target.substr(0, q);
  }
  target.remove_prefix(std::min(target.size(), kPrefix.size()));
  const std::string_view resource = target.substr(0, target.find('/'));
  const std::string_view rest =
      resource.size() < target.size() ? target.substr(resource.size() + 1) : std::string_view{};

  if (resource == "blocks") co_return co_await blocks(method, rest, query);
  if (resource == "bans") co_return co_await bans(method, rest, *rt);
  if (resource == "top" && rest.empty()) {
    if (method != bhttp::verb::get) co_return error(405, "method not allowed");
    co_return top(query);
  }
  co_return error(404, "not found");
}

boost::asio::awaitable<void> AdminApi::refresh_blocks() {
  auto blocks = co_await store_call<std::optional<std::vector<DynamicBlock>>>(
      [this](auto done) { store_.list_blocks(std::move(done)); });
  if (blocks) protection_.set_blocks(*blocks);
}

boost::asio::awaitable<AdminReply> AdminApi::blocks(bhttp::verb method, std::string_view rest,
                                                    std::string_view query) {
  if (!store_.supports_protection()) co_return error(501, "the store keeps no dynamic blocks");

  if (rest.empty()) {
    if (method != bhttp::verb::get) co_return error(405, "method not allowed");
    auto blocks = co_await store_call<std::optional<std::vector<DynamicBlock>>>(
        [this](auto done) { store_.list_blocks(std::move(done)); });
    if (!blocks) co_return error(503, "store unavailable");
    Json list = Json::array();
    for (const DynamicBlock& block : *blocks)
      list.push_back(block_json(block));
    co_return reply(200, Json{{"blocks", list}});
  }

  // The CIDR arrives as one segment with %2F, or as two with a literal '/'.
  const auto text = percent_decode(rest);
  const auto network = text ? Cidr::parse(*text) : std::nullopt;
  if (!network) co_return error(400, "not a CIDR (such as 198.51.100.0/24 or 2001:db8::/32)");

  if (method == bhttp::verb::put) {
    DynamicBlock block{*network, std::nullopt};
    if (const std::string_view ttl_text = query_value(query, "ttl"); !ttl_text.empty()) {
      const auto ttl = parse_ttl(ttl_text);
      if (!ttl) co_return error(400, "ttl is not a duration (such as 30s, 10m, 1h, 7d)");
      block.expires = now() + std::chrono::duration_cast<Duration>(*ttl);
    }
    const bool stored = co_await store_call<bool>(
        [this, &block](auto done) { store_.put_block(block, std::move(done)); });
    if (!stored) co_return error(503, "the block was not stored");
    co_await refresh_blocks();
    spdlog::info("admin: blocked \"{}\"{}", network->to_string(),
                 block.expires ? " for " + std::string(query_value(query, "ttl")) : "");
    co_return reply(200, block_json(block));
  }
  if (method == bhttp::verb::delete_) {
    const std::optional<bool> removed = co_await store_call<std::optional<bool>>(
        [this, &network](auto done) { store_.remove_block(*network, std::move(done)); });
    co_await refresh_blocks();
    if (!removed) co_return error(503, "store unavailable: the block may still be in force");
    if (!*removed) co_return error(404, "not blocked");
    spdlog::info("admin: unblocked \"{}\"", network->to_string());
    co_return reply(200, Json{{"cidr", network->to_string()}, {"removed", true}});
  }
  co_return error(405, "method not allowed");
}

boost::asio::awaitable<AdminReply> AdminApi::bans(bhttp::verb method, std::string_view rest,
                                                  const Runtime& rt) {
  if (!store_.supports_protection()) co_return error(501, "the store keeps no bans");

  if (rest.empty()) {
    if (method != bhttp::verb::get) co_return error(405, "method not allowed");
    auto list = co_await store_call<std::optional<BanList>>(
        [this](auto done) { store_.list_bans(kMaxListedBans, std::move(done)); });
    if (!list) co_return error(503, "store unavailable");
    Json bans = Json::array();
    for (const BanEntry& ban : list->bans) {
      bans.push_back({{"client", ban.client.to_string()},
                      {"until", unix_seconds(ban.until)},
                      {"remaining_seconds", seconds_left(ban.until)},
                      {"length_seconds", ceil_seconds(ban.length)},
                      {"bans", ban.bans}});
    }
    co_return reply(200, Json{{"total", list->total}, {"bans", bans}});
  }

  if (method != bhttp::verb::delete_) co_return error(405, "method not allowed");
  const auto text = percent_decode(rest);
  const auto ip = text ? IpAddress::parse(*text) : std::nullopt;
  if (!ip) co_return error(400, "not an IP address");
  // Bans are kept per client key: an IPv6 client's whole prefix.
  const IpAddress key = rt.limiter.resolver().key_of(*ip);
  const std::optional<bool> lifted = co_await store_call<std::optional<bool>>(
      [this, &key](auto done) { store_.lift_ban(key, std::move(done)); });
  if (!lifted) co_return error(503, "store unavailable: the ban may still be in force");
  if (!*lifted) co_return error(404, "not banned");
  spdlog::info("admin: lifted the ban of \"{}\"", key.to_string());
  co_return reply(200, Json{{"client", key.to_string()}, {"lifted", true}});
}

AdminReply AdminApi::top(std::string_view query) const {
  std::size_t n = kDefaultTop;
  if (const std::string_view text = query_value(query, "n"); !text.empty()) {
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec != std::errc() || end != text.data() + text.size() || n == 0) {
      return error(400, "n is not a positive number");
    }
  }
  std::uint64_t total = 0;
  Json clients = Json::array();
  for (const SpaceSaving::Entry& e : protection_.top(n, &total)) {
    clients.push_back({{"client", e.client.to_string()}, {"count", e.count}, {"error", e.error}});
  }
  return reply(200, Json{{"shadow_rejections", total},
                         {"capacity", Protection::kTopClients},
                         {"clients", clients}});
}

}  // namespace weir::http
