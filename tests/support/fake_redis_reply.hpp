// weir::testing::FakeReply: a hiredis reply built by hand, as hiredis would hand it over, for
// testing what weir makes of replies without a server.
//
//   auto reply = FakeReply::array({FakeReply::integer(3), FakeReply::string("10.0.0.0/8")});
//   parse(*reply.get());
#pragma once

#include <hiredis/hiredis.h>

#include <memory>
#include <string>
#include <vector>

namespace weir::testing {

class FakeReply {
 public:
  static FakeReply integer(long long value) {
    FakeReply r;
    r.node_->reply.type = REDIS_REPLY_INTEGER;
    r.node_->reply.integer = value;
    return r;
  }
  static FakeReply string(std::string text) { return textual(REDIS_REPLY_STRING, std::move(text)); }
  static FakeReply error(std::string text) { return textual(REDIS_REPLY_ERROR, std::move(text)); }
  static FakeReply array(std::vector<FakeReply> elements) {
    FakeReply r;
    r.node_->reply.type = REDIS_REPLY_ARRAY;
    for (const FakeReply& element : elements) {
      r.node_->pointers.push_back(&element.node_->reply);
      r.node_->children.push_back(element.node_);
    }
    r.node_->reply.elements = r.node_->pointers.size();
    r.node_->reply.element = r.node_->pointers.data();
    return r;
  }
  static FakeReply integers(const std::vector<long long>& values) {
    std::vector<FakeReply> elements;
    for (long long v : values)
      elements.push_back(integer(v));
    return array(std::move(elements));
  }

  const redisReply* get() const { return &node_->reply; }

 private:
  // Heap-held and shared (copies of a reply are the same reply), so that a parent's element
  // pointers stay valid however replies are copied or moved.
  struct Node {
    redisReply reply{};
    std::string text;
    std::vector<std::shared_ptr<const Node>> children;
    std::vector<redisReply*> pointers;
  };

  static FakeReply textual(int type, std::string text) {
    FakeReply r;
    r.node_->text = std::move(text);
    r.node_->reply.type = type;
    r.node_->reply.str = r.node_->text.data();
    r.node_->reply.len = r.node_->text.size();
    return r;
  }

  std::shared_ptr<Node> node_ = std::make_shared<Node>();
};

}  // namespace weir::testing
