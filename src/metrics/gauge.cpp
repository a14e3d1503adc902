#include "metrics/gauge.hpp"

#include "metrics/text_format.hpp"

namespace weir::metrics {

void Gauge::render(std::string& out, std::string_view name,
                   std::span<const std::string> label_names,
                   std::span<const std::string> label_values) const {
  out += name;
  append_labels(out, label_names, label_values);
  out += ' ';
  append_value(out, value());
  out += '\n';
}

}  // namespace weir::metrics
