#include "service/amqp/feedback_message.hpp"

#include <nlohmann/json.hpp>
#include <proton/binary.hpp>

namespace picohub::service::amqp {

proton::message feedback_message(const std::vector<FeedbackRecord>& records) {
  nlohmann::json batch = nlohmann::json::array();
  for (const auto& r : records) {
    batch.push_back({{"originalMessageId", r.original_message_id},
                     {"description", r.description},
                     {"deviceGenerationId", ""},
                     {"deviceId", r.device_id},
                     {"enqueuedTimeUtc", r.enqueued_time_utc},
                     {"statusCode", r.status_code}});
  }
  const std::string text = batch.dump();
  proton::message m;
  m.body(proton::binary(text.begin(), text.end()));
  m.inferred(true);  // a data section (azure-iothub reads body.content), not an amqp-value holding binary
  m.content_type("application/vnd.microsoft.iothub.feedback.json");
  m.content_encoding("utf-8");
  return m;
}

}  // namespace picohub::service::amqp
