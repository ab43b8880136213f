// The one thread that calls the HubPort. Port calls block for a control round trip (ms); running them here keeps
// the AMQP I/O thread free, so one connection's C2D send never stalls another's transfers. Jobs run in order.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace picohub::service::amqp {

class PortWorker {
 public:
  PortWorker();
  ~PortWorker();  // runs what is queued, then joins
  PortWorker(const PortWorker&) = delete;
  PortWorker& operator=(const PortWorker&) = delete;

  void post(std::function<void()> job);

 private:
  void run();
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> jobs_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace picohub::service::amqp
