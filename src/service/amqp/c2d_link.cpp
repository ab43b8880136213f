// C2D send (/messages/devicebound) and the feedback receiver (/messages/serviceBound/feedback): both go to the
// hub's own C2D queue and feedback store through the port, so their limits and semantics are the CLI's.
#include "service/amqp/connection_handler.hpp"

#include "service/amqp/c2d_message.hpp"
#include "service/amqp/feedback_message.hpp"

#include <proton/tracker.hpp>

#include <chrono>

namespace picohub::service::amqp {

namespace {
// IoT Hub refusals as the AMQP conditions azure-iothub translates (DeviceNotFoundError,
// DeviceMaximumQueueDepthExceededError, ...).
const char* condition_for(const HubRefusal& refusal) {
  if (refusal.status == 404) return "amqp:not-found";
  if (refusal.status == 403) return "amqp:resource-limit-exceeded";
  if (refusal.status == 401) return "amqp:unauthorized-access";
  if (refusal.status == 400) return "amqp:invalid-field";
  return "amqp:internal-error";
}

std::int64_t unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

constexpr std::size_t k_feedback_batch = 64;
}  // namespace

void ConnectionHandler::handle_c2d(proton::delivery& d, const proton::message& m) {
  if (!authorized_for_iothub()) {
    return reject_with(d, "amqp:unauthorized-access", "put a token for the hub on $cbs before sending");
  }
  auto request = c2d_request_from(m, unix_ms());
  if (!request) return reject_with(d, condition_for(request.error()), request.error().message);
  const auto key = next_delivery_++;
  unsettled_[key] = d;
  call([r = std::move(*request)](HubPort& hub) { return hub.send_c2d(r); },
       [this, key](HubResult<C2dAccepted> result) {
         auto it = unsettled_.find(key);
         if (it == unsettled_.end()) return;
         proton::delivery delivery = it->second;
         unsettled_.erase(it);
         if (result) return delivery.accept();
         reject_with(delivery, condition_for(result.error()), result.error().message);
       });
}

void ConnectionHandler::open_feedback(proton::sender& s) {
  if (!authorized_for_iothub()) {
    return s.close(proton::error_condition("amqp:unauthorized-access", "put a token for the hub on $cbs first"));
  }
  s.open();
  auto stream = std::make_shared<FeedbackStream>();
  stream->link = s;
  feedback_.push_back(stream);
  poll_feedback(stream);
}

// Takes records only when the receiver has credit to carry them (taken records leave the hub's store).
void ConnectionHandler::poll_feedback(const std::shared_ptr<FeedbackStream>& stream) {
  if (stream->closed || closed_) return;
  if (stream->link.credit() <= 0) {
    after(context_.options.feedback_poll_ms, [this, self = shared_from_this(), stream] { poll_feedback(stream); });
    return;
  }
  call([](HubPort& hub) { return hub.take_feedback(k_feedback_batch); },
       [this, stream](HubResult<std::vector<FeedbackRecord>> records) {
         if (stream->closed) return;
         if (records && !records->empty()) stream->link.send(feedback_message(*records));
         after(context_.options.feedback_poll_ms, [this, self = shared_from_this(), stream] { poll_feedback(stream); });
       });
}

}  // namespace picohub::service::amqp
