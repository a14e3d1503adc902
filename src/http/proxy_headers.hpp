// weir::http::ProxyHeaders: the header fields of one message, kept in a single arena so they
// can be forwarded, filtered, to the other side of the proxy.
//
// Names and values are appended to one string and indexed by offsets, so collecting a message's
// fields costs two appends and no allocation once the arena has grown to fit; clear() keeps the
// capacity for the next message on the same connection.
//
//   ProxyHeaders fields;
//   fields.add(field::host, "Host", "example.com");
//   for (std::size_t i = 0; i < fields.size(); ++i) out << fields.name(i) << fields.value(i);
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <boost/beast/http/field.hpp>

namespace weir::http {

// Not thread-safe; owned by one connection or one exchange.
class ProxyHeaders {
 public:
  void clear() {
    bytes_.clear();
    fields_.clear();
  }

  // Keeps one field as received: `name` keeps its spelling, `id` is Beast's code for it
  // (field::unknown for names Beast does not know).
  void add(boost::beast::http::field id, std::string_view name, std::string_view value);

  std::size_t size() const { return fields_.size(); }
  boost::beast::http::field id(std::size_t i) const { return fields_[i].id; }
  std::string_view name(std::size_t i) const {
    return {bytes_.data() + fields_[i].offset, fields_[i].name_size};
  }
  std::string_view value(std::size_t i) const {
    return {bytes_.data() + fields_[i].offset + fields_[i].name_size, fields_[i].value_size};
  }

  // True when a field named `name` (any case) is present.
  bool contains(std::string_view name) const;

 private:
  struct Field {
    boost::beast::http::field id;
    std::uint32_t offset;  // of the name in bytes_; the value follows it
    std::uint32_t name_size;
    std::uint32_t value_size;
  };

  std::string bytes_;
  std::vector<Field> fields_;
};

}  // namespace weir::http
