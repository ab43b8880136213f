#include "service/amqp/connection_handler.hpp"

#include "service/amqp/addresses.hpp"

#include <proton/error_condition.hpp>
#include <proton/receiver_options.hpp>
#include <proton/source.hpp>
#include <proton/target.hpp>
#include <proton/transport.hpp>
#include <proton/delivery.h>
#include <proton/disposition.h>
#include <proton/condition.h>
#include <proton/container.hpp>

namespace picohub::service::amqp {

namespace {
// Proton's C++ wrappers keep the C object behind a protected accessor; a pointer to member formed through a
// derived class reaches it without casts.
struct DeliveryAccess : proton::delivery {
  static pn_delivery_t* raw(const proton::delivery& d) {
    auto accessor = &DeliveryAccess::pn_object;
    return (d.*accessor)();
  }
};
}  // namespace

void reject_with(proton::delivery& d, const std::string& condition, const std::string& description) {
  pn_delivery_t* raw = DeliveryAccess::raw(d);
  pn_condition_t* c = pn_disposition_condition(pn_delivery_local(raw));
  pn_condition_set_name(c, condition.c_str());
  pn_condition_set_description(c, description.c_str());
  pn_delivery_update(raw, PN_REJECTED);
  pn_delivery_settle(raw);
}

void ConnectionHandler::on_connection_thread(std::function<void()> fn) {
  std::lock_guard lock(mutex_);
  if (work_queue_ != nullptr) work_queue_->add(std::move(fn));
}

// A container timer that hands `fn` to the connection's queue when it fires, not a timer on that queue: Proton
// 0.37 fires a connection queue's timer into the freed queue once the connection is gone (the gateway crashed on
// SIGTERM with a partition receiver attached). Runs on the Proton thread.
void ConnectionHandler::after(int ms, std::function<void()> fn) {
  if (container_ == nullptr || closed_) return;
  container_->schedule(proton::duration(ms), [self = shared_from_this(), fn = std::move(fn)]() mutable {
    self->on_connection_thread(std::move(fn));
  });
}

void ConnectionHandler::on_connection_open(proton::connection& c) {
  {
    std::lock_guard lock(mutex_);
    work_queue_ = &c.work_queue();
  }
  connection_ = c;
  container_ = &c.container();
  c.open();
  check_plain_credentials(c);
}

void ConnectionHandler::on_transport_close(proton::transport&) {
  closed_ = true;
  for (auto& p : partitions_) {
    p->closed = true;
    p->link = proton::sender();
  }
  for (auto& f : feedback_) {
    f->closed = true;
    f->link = proton::sender();
  }
  partitions_.clear();
  feedback_.clear();
  reply_links_.clear();
  unsettled_.clear();
  connection_ = proton::connection();
  std::lock_guard lock(mutex_);
  work_queue_ = nullptr;
}

void ConnectionHandler::on_receiver_open(proton::receiver& r) {
  const std::string address = r.target().address();
  if (address == k_cbs_address || address == k_management_address) {
    r.open(proton::receiver_options().credit_window(10));
    return;
  }
  if (address == k_c2d_address) {
    // Settled after the hub answered (accepted, or rejected with the reason), not when the transfer arrives.
    r.open(proton::receiver_options().auto_accept(false).credit_window(10));
    return;
  }
  r.close(proton::error_condition("amqp:not-found", "no such node: '" + address +
                                                        "' (this endpoint accepts "
                                                        "transfers to $cbs, $management and /messages/devicebound)"));
}

void ConnectionHandler::on_sender_open(proton::sender& s) {
  const std::string address = s.source().address();
  if (address == k_cbs_address || address == k_management_address) {
    reply_links_[s.target().address()] = s;
    reply_links_[address] = s;  // fallback for a request whose reply_to names no link
    s.open();
    return;
  }
  if (address == k_feedback_address) return open_feedback(s);
  if (is_iothub_events_address(address)) return redirect(s);
  if (parse_partition_address(address)) return open_partition(s);
  s.close(proton::error_condition("amqp:not-found", "no such node: '" + address + "'"));
}

void ConnectionHandler::on_sender_close(proton::sender& s) {
  for (auto& p : partitions_) {
    if (p->link != s) continue;
    p->closed = true;
    p->link = proton::sender();
  }
  for (auto& f : feedback_) {
    if (f->link != s) continue;
    f->closed = true;
    f->link = proton::sender();
  }
  std::erase_if(partitions_, [](const auto& p) { return p->closed; });
  std::erase_if(feedback_, [](const auto& f) { return f->closed; });
}

void ConnectionHandler::on_message(proton::delivery& d, proton::message& m) {
  const std::string address = d.receiver().target().address();
  if (address == k_cbs_address) return handle_put_token(m);
  if (address == k_management_address) return handle_management(m);
  if (address == k_c2d_address) return handle_c2d(d, m);
}

void ConnectionHandler::on_sendable(proton::sender& s) {
  for (auto& p : partitions_)
    if (p->link == s) flush_partition(*p);
}

}  // namespace picohub::service::amqp
