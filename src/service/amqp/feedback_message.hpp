// One feedback batch as IoT Hub sends it on /messages/serviceBound/feedback: a JSON array of records in a data
// section, content type application/vnd.microsoft.iothub.feedback.json.
#pragma once

#include "service/amqp/hub_port.hpp"

#include <proton/message.hpp>

#include <vector>

namespace picohub::service::amqp {

proton::message feedback_message(const std::vector<FeedbackRecord>& records);

}  // namespace picohub::service::amqp
