// Event Hubs partition receivers "<EntityPath>/ConsumerGroups/<cg>/Partitions/<n>": the start comes from the
// selector filter; events are the hub's telemetry, polled through the port every telemetry_poll_ms while the
// receiver has nothing pending, and filtered to the partition the device hashes to. Consumer groups are not
// tracked: every receiver reads the whole stream from its own position.
// Also the redirect: tools attach to IoT Hub's ".../messages/events/$management" and are sent to this listener.
#include "service/amqp/connection_handler.hpp"

#include "service/amqp/addresses.hpp"
#include "service/amqp/event_message.hpp"

#include <proton/error_condition.hpp>
#include <proton/sender_options.hpp>
#include <proton/source.hpp>
#include <proton/codec/decoder.hpp>
#include <proton/codec/map.hpp>
#include <proton/tracker.hpp>

#include <proton/codec.h>
#include <proton/condition.h>
#include <proton/link.h>

#include <cstring>
#include <map>

namespace picohub::service::amqp {

namespace {
constexpr std::size_t k_page = 200;

// The selector expression from the source's filter set, or "" when there is none.
std::string selector_of(const proton::source& source) {
  const auto& filters = source.filters();
  const proton::symbol key("apache.org:selector-filter:string");
  if (!filters.exists(key)) return {};
  try {
    proton::value v = filters.get(key);
    proton::codec::decoder d(v);
    proton::codec::start s;
    d >> s;
    proton::value descriptor;
    d >> descriptor;
    std::string expression;
    d >> expression;
    return expression;
  } catch (const std::exception&) {
    return "?";  // unreadable: refused by parse_selector
  }
}
}  // namespace

// Proton 0.37's C++ link::close(error_condition) drops the condition's info map (seen on the wire), and the
// redirect is nothing without it: the detach is written through the C API.
namespace {
struct LinkAccess : proton::sender {
  static pn_link_t* raw(const proton::sender& l) {
    auto accessor = &LinkAccess::pn_object;
    return (l.*accessor)();
  }
};

void put_symbol_key(pn_data_t* data, const char* key) { pn_data_put_symbol(data, pn_bytes(std::strlen(key), key)); }
}  // namespace

void ConnectionHandler::redirect(proton::sender& s) {
  const std::string& host = context_.hub_host;
  const std::string address = "amqps://" + host + ":" + std::to_string(context_.listen_port) + "/" +
                              context_.event_hub_name + "/$management";
  const std::string description = "use the Event Hub-compatible endpoint " + address;
  pn_link_t* link = LinkAccess::raw(s);
  pn_condition_t* condition = pn_link_condition(link);
  pn_condition_set_name(condition, "amqp:link:redirect");
  pn_condition_set_description(condition, description.c_str());
  pn_data_t* info = pn_condition_info(condition);
  pn_data_clear(info);
  pn_data_put_map(info);
  pn_data_enter(info);
  put_symbol_key(info, "hostname");
  pn_data_put_string(info, pn_bytes(host.size(), host.c_str()));
  put_symbol_key(info, "network-host");
  pn_data_put_string(info, pn_bytes(host.size(), host.c_str()));
  put_symbol_key(info, "port");
  pn_data_put_int(info, context_.listen_port);
  put_symbol_key(info, "address");
  pn_data_put_string(info, pn_bytes(address.size(), address.c_str()));
  pn_data_exit(info);
  pn_link_open(link);
  pn_link_close(link);
}

void ConnectionHandler::open_partition(proton::sender& s) {
  const auto address = *parse_partition_address(s.source().address());
  if (!authorized_for_event_hub()) {
    return s.close(proton::error_condition("amqp:unauthorized-access", "put a token for the Event Hub on $cbs first"));
  }
  if (address.entity != context_.event_hub_name || address.partition >= k_partition_count) {
    return s.close(proton::error_condition(
        "amqp:not-found", "no partition '" + std::to_string(address.partition) + "' of '" + address.entity +
                              "'; this hub's Event Hub is '" + context_.event_hub_name + "' with partitions 0.." +
                              std::to_string(k_partition_count - 1)));
  }
  const std::string selector = selector_of(s.source());
  auto position = selector.empty() ? std::optional<EventPosition>(EventPosition{}) : parse_selector(selector);
  if (!position) {
    return s.close(proton::error_condition("amqp:invalid-field", "cannot read the selector filter '" + selector + "'"));
  }
  s.open();
  auto stream = std::make_shared<PartitionStream>();
  stream->link = s;
  stream->partition = address.partition;
  stream->position = *position;
  stream->cursor = position->after_sequence;
  partitions_.push_back(stream);
  if (position->kind != EventPosition::Kind::latest) {
    stream->ready = true;
    return poll_partition(stream);
  }
  call([](HubPort& hub) { return hub.telemetry_stats(); },
       [this, stream](HubResult<TelemetryStats> stats) {
         stream->cursor = stats ? stats->last_sequence : 0;
         stream->ready = true;
         poll_partition(stream);
       });
}

void ConnectionHandler::poll_partition(const std::shared_ptr<PartitionStream>& stream) {
  if (stream->closed || closed_) return;
  auto again = [this, stream](int ms) {
    after(ms, [this, self = shared_from_this(), stream] { poll_partition(stream); });
  };
  if (!stream->pending.empty() || stream->polling) return again(context_.options.telemetry_poll_ms);
  stream->polling = true;
  const auto since = stream->position.kind == EventPosition::Kind::since_time ? stream->position.since_ms : 0;
  call([cursor = stream->cursor, since](HubPort& hub) { return hub.telemetry_after(cursor, since, k_page); },
       [this, stream, again](HubResult<TelemetryPage> page) {
         stream->polling = false;
         if (stream->closed) return;
         bool full = false;
         if (page) {
           full = page->events.size() == k_page;
           for (auto& e : page->events) {
             stream->cursor = std::max(stream->cursor, e.sequence);
             if (partition_of(e.device_id) == stream->partition) stream->pending.push_back(std::move(e));
           }
           flush_partition(*stream);
         }
         again(full ? 0 : context_.options.telemetry_poll_ms);
       });
}

void ConnectionHandler::flush_partition(PartitionStream& stream) {
  while (!stream.pending.empty() && stream.link.active() && stream.link.credit() > 0) {
    stream.link.send(event_message(stream.pending.front()));
    stream.pending.pop_front();
  }
}

}  // namespace picohub::service::amqp
