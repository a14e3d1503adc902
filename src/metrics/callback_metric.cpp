#include "metrics/callback_metric.hpp"

#include <exception>

#include "metrics/text_format.hpp"

namespace weir::metrics {

CallbackMetric::CallbackMetric(std::string name, std::string help, std::string_view type, Read read)
    : name_(std::move(name)), help_(std::move(help)), type_(type), read_(std::move(read)) {}

void CallbackMetric::collect(std::string& out) const {
  out += "# HELP ";
  out += name_;
  out += ' ';
  append_help(out, help_);
  out += "\n# TYPE ";
  out += name_;
  out += ' ';
  out += type_;
  out += '\n';

  double value;
  try {
    value = read_();
  } catch (const std::exception&) {
    return;
  }
  out += name_;
  out += ' ';
  append_value(out, value);
  out += '\n';
}

}  // namespace weir::metrics
