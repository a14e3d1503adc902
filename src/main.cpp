// The weir executable: loads the configuration, builds the store and the server, and runs
// until SIGTERM or SIGINT; SIGHUP reloads the configuration file and the list files it names.
#include <sys/resource.h>

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>

#include <absl/synchronization/mutex.h>
#include <fmt/format.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include "config/config.hpp"
#include "http/request_metrics.hpp"
#include "http/runtime.hpp"
#include "http/server.hpp"
#include "metrics/registry.hpp"
#include "metrics/server_metrics.hpp"
#include "store/redis_store.hpp"
#include "store/redis_store_metrics.hpp"
#include "store/redis_store_options.hpp"
#include "weir/memory_store.hpp"

namespace {

spdlog::level::level_enum to_spdlog(weir::config::LogLevel level) {
  using weir::config::LogLevel;
  switch (level) {
    case LogLevel::kTrace:
      return spdlog::level::trace;
    case LogLevel::kDebug:
      return spdlog::level::debug;
    case LogLevel::kInfo:
      return spdlog::level::info;
    case LogLevel::kWarn:
      return spdlog::level::warn;
    case LogLevel::kError:
      return spdlog::level::err;
    case LogLevel::kOff:
      return spdlog::level::off;
  }
  return spdlog::level::info;
}

std::optional<weir::config::ListenAddress> parse_listen(const std::string& text, const char* flag) {
  auto address = weir::config::ListenAddress::parse(text);
  if (!address) {
    std::fprintf(stderr, "weir: %s: \"%s\" is not HOST:PORT (e.g. 127.0.0.1:8000, [::1]:8000)\n",
                 flag, text.c_str());
  }
  return address;
}

// WEIR_ADMIN_TOKEN keeps the admin token out of the configuration file.
void apply_environment(weir::config::Config& config) {
  if (const char* token = std::getenv("WEIR_ADMIN_TOKEN"); token != nullptr && *token != '\0') {
    config.admin.token = token;
  }
}

// Each connection is a descriptor; the usual soft limit of 1024 would make weir refuse
// connections long before connections.max. Raise it to the hard limit.
void raise_descriptor_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= limit.rlim_max) return;
  limit.rlim_cur = limit.rlim_max;
  if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) {
    spdlog::warn("cannot raise the open file limit to {}", limit.rlim_max);
  }
}

// Settings a running server cannot change: a reload that changes them keeps the old value
// until a restart, and says so.
void warn_restart_only(const weir::config::Config& running, const weir::config::Config& next) {
  auto warn = [](std::string_view key) {
    spdlog::warn("reload: \"{}\" changed; it takes effect only after a restart", key);
  };
  if (next.listen != running.listen) warn("listen");
  if (next.metrics_listen != running.metrics_listen) warn("metrics_listen");
  if (next.threads != running.threads) warn("threads");
  if (next.store != running.store) warn("store");
  if (next.shutdown_grace != running.shutdown_grace) warn("shutdown_grace");
}

// `overrides` applies the command line and the environment to a configuration just loaded.
int run(weir::config::Config config, std::string config_path,
        std::function<void(weir::config::Config&)> overrides) {
  spdlog::set_level(to_spdlog(config.log_level));
  raise_descriptor_limit();

  weir::metrics::Registry registry;
  weir::metrics::ServerMetrics server_metrics(registry);  // with the process metrics
  weir::http::RequestMetrics request_metrics(server_metrics);

  // The embedded store: the only store with `backend: memory`, the fallback of `on_error: local`
  // with Redis.
  weir::SystemClock clock;
  weir::MemoryStore memory(clock, weir::MemoryStoreOptions{.max_keys = config.store.max_keys});
  registry.callback_gauge("weir_store_keys", "Rate-limit keys held in the embedded store.",
                          [&memory] { return static_cast<double>(memory.size()); });

  weir::http::ServerOptions options;
  options.listen_host = config.listen.host;
  options.listen_port = config.listen.port;
  options.metrics_host = config.metrics_listen.host;
  options.metrics_port = config.metrics_listen.port;
  options.threads = config.threads;
  options.shutdown_grace = config.shutdown_grace;
  options.housekeeping = [&memory, &clock] { memory.sweep(clock.now(), 100'000); };

  // SIGHUP: reread the file; a bad one leaves everything as it was.
  auto& reloads = registry.counter_family(
      "weir_config_reloads_total", "Configuration reloads (SIGHUP), by result.", {"result"}, 2);
  auto& reload_success = reloads.with({"success"});
  auto& reload_failure = reloads.with({"failure"});
  options.reload = [&, running = config]() mutable -> std::shared_ptr<const weir::http::Runtime> {
    if (config_path.empty()) {
      spdlog::warn("reload: weir runs the built-in configuration; nothing to reread");
      reload_failure.inc();
      return nullptr;
    }
    try {
      weir::config::Config next = weir::config::load_config_file(config_path);
      overrides(next);
      auto runtime = weir::http::make_runtime(next);
      warn_restart_only(running, next);
      spdlog::set_level(to_spdlog(next.log_level));
      spdlog::info(
          "reloaded configuration \"{}\": {} rules, {} allowlisted and {} blocklisted "
          "networks",
          config_path, runtime->limiter.rules().size(), next.allowlist.size(),
          next.blocklist.size());
      // Keep what needs a restart, so the next reload compares against what is running.
      next.listen = running.listen;
      next.metrics_listen = running.metrics_listen;
      next.threads = running.threads;
      next.store = running.store;
      next.shutdown_grace = running.shutdown_grace;
      running = std::move(next);
      reload_success.inc();
      return runtime;
    } catch (const std::exception& e) {
      spdlog::error("reload failed, keeping the running configuration: {}", e.what());
      reload_failure.inc();
      return nullptr;
    }
  };

  auto runtime = weir::http::make_runtime(config);
  weir::http::Server server(options, runtime, request_metrics, registry);

  // Declared after the server so that it is destroyed first, while the server's io_contexts it
  // runs on still exist (their threads have stopped by then).
  std::optional<weir::RedisStoreMetrics> redis_metrics;
  std::unique_ptr<weir::RedisStore> redis;
  std::string store_description = fmt::format("\"memory\" (max_keys {})", config.store.max_keys);
  if (config.store.backend == weir::config::StoreBackend::kRedis) {
    redis_metrics.emplace(registry);
    redis = std::make_unique<weir::RedisStore>(server.contexts(),
                                               weir::RedisStoreOptions::from_config(config.store),
                                               memory, &*redis_metrics);
    store_description =
        fmt::format("\"redis\" ({}, on_error {})", config.store.redis_url->redacted(),
                    weir::config::to_string(config.store.on_error));
  }
  weir::Store& store = redis ? static_cast<weir::Store&>(*redis) : memory;

  try {
    server.start(store);
  } catch (const std::exception& e) {
    spdlog::critical("{}", e.what());
    return 1;
  }
  spdlog::info("weir {} listening on {}:{} (metrics on {}:{}), store {}, {} rules, config \"{}\"",
               WEIR_VERSION, config.listen.host, server.port(), config.metrics_listen.host,
               server.metrics_port(), store_description, runtime->limiter.rules().size(),
               config.source);
  if (runtime->proxy)
    spdlog::info("forwarding admitted requests to {}", config.upstream->to_string());
  server.wait();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // Debian builds Abseil with its mutex deadlock detector on; it costs every lock a graph check
  // and weir's locks are leaves (none is held while taking another).
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);

  CLI::App app{"weir: a rate limiter and DDoS shield for HTTP services"};
  std::string config_path;
  std::string check_path;
  std::string listen;
  std::string metrics_listen;
  bool version = false;
  app.add_option("--config", config_path, "YAML configuration file (default: built-in)");
  app.add_option("--check-config", check_path, "validate a configuration file and exit");
  app.add_option("--listen", listen, "HOST:PORT for client traffic (overrides the file)");
  app.add_option("--metrics-listen", metrics_listen, "HOST:PORT for /metrics (overrides the file)");
  app.add_flag("--version", version, "print the version and exit");
  CLI11_PARSE(app, argc, argv);

  if (version) {
    std::printf("weir %s\n", WEIR_VERSION);
    return 0;
  }

  auto logger = spdlog::stderr_logger_mt("weir");
  spdlog::set_default_logger(logger);
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %l %v");

  if (!check_path.empty()) {
    try {
      weir::config::load_config_file(check_path);
      std::printf("%s: ok\n", check_path.c_str());
      return 0;
    } catch (const weir::ConfigError& e) {
      std::fprintf(stderr, "weir: %s\n", e.what());
      return 1;
    }
  }

  weir::config::Config config;
  try {
    config = config_path.empty() ? weir::config::builtin_config()
                                 : weir::config::load_config_file(config_path);
  } catch (const weir::ConfigError& e) {
    std::fprintf(stderr, "weir: %s\n", e.what());
    return 1;
  }
  std::optional<weir::config::ListenAddress> listen_override;
  std::optional<weir::config::ListenAddress> metrics_override;
  if (!listen.empty() && !(listen_override = parse_listen(listen, "--listen"))) return 2;
  if (!metrics_listen.empty() &&
      !(metrics_override = parse_listen(metrics_listen, "--metrics-listen"))) {
    return 2;
  }
  auto overrides = [listen_override, metrics_override](weir::config::Config& c) {
    apply_environment(c);
    if (listen_override) c.listen = *listen_override;
    if (metrics_override) c.metrics_listen = *metrics_override;
  };
  overrides(config);
  return run(std::move(config), config_path, overrides);
}
