// One AMQP connection to the endpoint: routes each link to what it serves (CBS, C2D send, feedback,
// Event Hubs $management, partition receivers, the IoT Hub -> Event Hub redirect) and keeps the connection's
// claims. Lives on the Proton thread; hub calls go to the PortWorker and their results come back through the
// connection's work queue (call()).
#pragma once

#include "service/amqp/amqp_endpoint.hpp"
#include "service/amqp/event_position.hpp"
#include "service/amqp/port_worker.hpp"

#include <proton/connection.hpp>
#include <proton/container.hpp>
#include <proton/delivery.hpp>
#include <proton/message.hpp>
#include <proton/messaging_handler.hpp>
#include <proton/receiver.hpp>
#include <proton/sender.hpp>
#include <proton/work_queue.hpp>

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace picohub::service::amqp {

// What every connection shares: options, the port, its worker.
struct EndpointContext {
  AmqpOptions options;
  HubPort* hub = nullptr;
  PortWorker* worker = nullptr;
  std::string event_hub_name;
  std::string hub_host;  // the hub's host name (HubPort::host_name(), read once)
  int listen_port = 0;
};

class ConnectionHandler : public proton::messaging_handler, public std::enable_shared_from_this<ConnectionHandler> {
 public:
  explicit ConnectionHandler(const EndpointContext& context) : context_(context) {}

  bool finished() const { return closed_; }

  void on_connection_open(proton::connection& c) override;
  void on_transport_close(proton::transport& t) override;
  void on_receiver_open(proton::receiver& r) override;
  void on_sender_open(proton::sender& s) override;
  void on_sender_close(proton::sender& s) override;
  void on_message(proton::delivery& d, proton::message& m) override;
  void on_sendable(proton::sender& s) override;
  // Proton's default throws from the container thread (a client that drops TLS would end the process).
  void on_error(const proton::error_condition&) override {}

 private:
  struct PartitionStream {
    proton::sender link;
    std::uint32_t partition = 0;
    EventPosition position;
    std::uint64_t cursor = 0;
    bool ready = false;  // position resolved
    bool polling = false;
    bool closed = false;
    std::deque<TelemetryEvent> pending;
  };
  struct FeedbackStream {
    proton::sender link;
    bool polling = false;
    bool closed = false;
  };

  // Runs `job` on the worker with the hub, then `done` with its result back on this connection's thread (dropped
  // if the connection is gone by then).
  template <class Job, class Done>
  void call(Job job, Done done);
  void on_connection_thread(std::function<void()> fn);
  void after(int ms, std::function<void()> fn);

  // cbs.cpp
  void handle_put_token(const proton::message& request);
  bool authorized_for_iothub() const;
  bool authorized_for_event_hub() const;
  void check_plain_credentials(proton::connection& c);
  // c2d_link.cpp
  void handle_c2d(proton::delivery& d, const proton::message& m);
  void open_feedback(proton::sender& s);
  void poll_feedback(const std::shared_ptr<FeedbackStream>& stream);
  // management.cpp
  void handle_management(const proton::message& request);
  void reply(const std::string& reply_to, const std::string& source, const proton::message& request,
             proton::message response);
  // partition_link.cpp
  void open_partition(proton::sender& s);
  void poll_partition(const std::shared_ptr<PartitionStream>& stream);
  void flush_partition(PartitionStream& stream);
  void redirect(proton::sender& s);

  const EndpointContext& context_;
  std::mutex mutex_;  // guards work_queue_ (the worker posts through it)
  proton::work_queue* work_queue_ = nullptr;
  bool closed_ = false;                                // Proton thread only
  std::set<std::string> audiences_;                    // CBS claims accepted on this connection
  std::map<std::string, proton::sender> reply_links_;  // by target address (reply_to), for $cbs and $management
  std::vector<std::shared_ptr<PartitionStream>> partitions_;
  std::vector<std::shared_ptr<FeedbackStream>> feedback_;
  // Proton objects stay on the Proton thread: closures that cross to the worker carry only a key, and
  // on_transport_close drops every reference here (so none is released on the worker thread).
  proton::connection connection_;
  proton::container* container_ = nullptr;  // for timers (after())
  std::uint64_t next_delivery_ = 0;
  std::map<std::uint64_t, proton::delivery> unsettled_;  // C2D transfers waiting for the hub's answer
};

template <class Job, class Done>
void ConnectionHandler::call(Job job, Done done) {
  auto self = shared_from_this();
  HubPort* hub = context_.hub;
  context_.worker->post([self, hub, job = std::move(job), done = std::move(done)]() mutable {
    auto result = std::make_shared<decltype(job(*hub))>(job(*hub));
    self->on_connection_thread([self, result, done = std::move(done)]() mutable {
      if (!self->closed_) done(std::move(*result));
    });
  });
}

// Settles a received delivery as rejected with an AMQP error condition (Proton's C++ API has no condition on
// reject).
void reject_with(proton::delivery& d, const std::string& condition, const std::string& description);

}  // namespace picohub::service::amqp
