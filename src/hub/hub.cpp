#include "hub/hub.hpp"

#include "hub/codec.hpp"
#include "hub/hub_topics.hpp"
#include "hub/message_limits.hpp"
#include "hub/control_request.hpp"
#include "hub/telemetry_event.hpp"
#include "hub/telemetry_fields.hpp"
#include "hub/twin.hpp"
#include "hub/x509_registry.hpp"
#include "iothub/topics.hpp"

namespace picohub::hub {

using nlohmann::json;

namespace {

std::int64_t seconds(std::int64_t ms) { return ms / 1000; }

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

// `part` (a view into `from`, or empty) as the same bytes of `to`, an equal copy of `from`.
std::string_view rebase(std::string_view part, std::string_view from, std::string_view to) {
  if (part.empty()) return {};
  return to.substr(static_cast<std::size_t>(part.data() - from.data()), part.size());
}

// Could this filter (already known to start with "$picohub/v1/") match "$picohub/v1/telemetry/{deviceId}"?
// Errs on the side of yes: a false yes only costs a publish nobody receives.
bool may_match_telemetry(std::string_view filter) {
  std::string_view rest = filter.substr(std::string_view("$picohub/v1/").size());
  std::string_view level = rest.substr(0, rest.find('/'));
  return level == "telemetry" || level == "+" || level == "#";
}

std::uint8_t flags_of(const std::set<std::string>& filters, const std::string& device, const std::string& module) {
  std::uint8_t flags = 0;
  for (auto& f : filters) flags |= classify_subscription(f, device, module);
  return flags;
}

}  // namespace

Hub::Hub(HubConfig config, Store& store, BrokerPort& port, HubOptions options)
    : config_(std::move(config)),
      store_(store),
      port_(port),
      options_(std::move(options)),
      log_limiter_(options_.log_lines_per_second),
      dps_(config_, store_, port_) {}

Hub::~Hub() {
  flush_activity();
  if (!store_.flush()) store_failed("final commit");
}

// The twin's modelId follows the identity's last CONNECT and is kept in state.db, as IoT Hub keeps it.
void Hub::remember_model_id(const Connection& c) {
  TwinRecord twin = store_.load_twin(c.client_id);
  if (twin.model_id == c.model_id) return;
  twin.model_id = c.model_id;
  const std::string what = "model id of " + c.client_id;
  (void)(stored(store_.save_twin(twin), what) && commit(what));
}

void Hub::log_client(const std::string& client_id, LogLevel level, const std::string& text) {
  if (log_limiter_.allow(client_id, now_ms_, [&](const std::string& line) { log(LogLevel::notice, line); })) {
    log(level, text);
  }
}

void Hub::store_failed(const std::string& what) {
  log_client("state.db", LogLevel::error,
             "state.db: " + what + " failed: " + store_.last_error() + " (disk full? the change was not acknowledged)");
}

void Hub::respond_store_error(const std::string& client, const std::string& cid) {
  respond_error(client, cid, 500, 500001,
                "the hub could not save the change (" + store_.last_error() +
                    "); it was not made. Free disk space "
                    "in the data dir and retry");
}

bool Hub::commit(const std::string& what) {
  if (store_.flush()) return true;
  store_failed(what);
  return false;
}

// ---------------------------------------------------------------- connections

bool Hub::on_basic_auth(ConnId conn, std::string_view client_id, std::string_view username, std::string_view password,
                        bool clean_session, std::int64_t now_ms, std::string_view client_cert_der) {
  now_ms_ = now_ms;
  if (dps_.handles_username(username)) return dps_.on_basic_auth(conn, client_id, username, password, now_ms);
  std::string who(client_id.empty() ? "(no client id)" : client_id);
  AuthResult auth = authenticate(config_, store_, client_id, username, password, seconds(now_ms), client_cert_der);
  if (!auth.accepted) {
    log_client(who, LogLevel::notice, "refused " + who + ": " + auth.reason);
    return false;
  }
  Connection c;
  c.client_id = std::string(client_id);
  c.principal = auth.principal;
  c.device_id = auth.device_id;
  c.module_id = auth.module_id;
  c.model_id = auth.model_id;
  c.generation_id = auth.generation_id;
  c.expiry_s = auth.expiry_s;
  c.clean_session = clean_session;
  if (auto prev = conns_.find(conn); prev != conns_.end()) expiries_.erase({prev->second.expiry_s, conn});
  if (auth.principal == Principal::device) {
    touch(c.device_id, now_ms);
    c.activity = &activity_[c.device_id];
  }
  checked_.conn = nullptr;  // a connection's identity changes only here
  conns_[conn] = c;
  expiries_.insert({c.expiry_s, conn});
  if (auto old = current_.find(c.client_id); old != current_.end() && old->second != conn) {
    log_client(who, LogLevel::notice, who + " connected again; the older connection is dropped (400027)");
  }
  current_[c.client_id] = conn;
  // clean_session=1 starts without subscriptions; clean_session=0 keeps the session's (mosquitto keeps them too).
  if (clean_session) {
    sessions_.erase(c.client_id);
    telemetry_watchers_.erase(c.client_id);
    if (auth.principal == Principal::device) {
      store_.delete_session(c.client_id);
      release_c2d_locks(c);  // mosquitto dropped the old session's queue: what it held is delivered again
    }
  } else if (auth.principal == Principal::device) {
    restore_session(c);
  }
  if (auth.principal == Principal::device) {
    remember_model_id(c);
    if (c.module_id.empty()) c2d_dirty_.insert(c.device_id);
    log_client(who, LogLevel::notice,
               who + " connected (" + (auth.by_certificate ? "certificate" : "token") + " valid until " +
                   iso8601_utc(c.expiry_s * 1000) + ")");
  } else {
    log_client(who, LogLevel::notice, "service client " + who + " connected with policy " + auth.policy);
  }
  return true;
}

void Hub::on_disconnect(ConnId conn, std::int64_t now_ms) {
  now_ms_ = now_ms;
  dps_.on_disconnect(conn);
  auto it = conns_.find(conn);
  if (it == conns_.end()) return;
  const Connection& c = it->second;
  auto cur = current_.find(c.client_id);
  if (cur != current_.end() && cur->second == conn) {
    current_.erase(cur);
    if (c.principal == Principal::device) {
      touch(c.device_id, now_ms);
      log_client(c.client_id, LogLevel::notice, c.client_id + " disconnected");
    }
    // A clean session's subscriptions end with its connection (a persistent one's stay, as in mosquitto).
    if (c.clean_session) telemetry_watchers_.erase(c.client_id);
    // A clean session's unacknowledged C2D messages died with it in mosquitto: deliver them again next time.
    if (c.clean_session && c.principal == Principal::device) release_c2d_locks(c);
  } else {
    // Takeover: mosquitto reports the old session's end after the new connection authenticated.
    log_client(c.client_id, LogLevel::info, c.client_id + ": replaced connection closed");
  }
  expiries_.erase({c.expiry_s, conn});
  if (checked_.conn == conn) checked_.conn = nullptr;
  departed_[conn] = std::move(it->second);  // for its Will, published right after this event
  conns_.erase(it);
}

void Hub::schedule_kick(ConnId conn, const std::string& why) {
  auto it = conns_.find(conn);
  if (it == conns_.end() || it->second.kick_pending) return;
  it->second.kick_pending = true;
  kicks_.emplace_back(conn, it->second.client_id);
  log_client(it->second.client_id, LogLevel::notice, "disconnecting " + it->second.client_id + ": " + why);
}

void Hub::kick_device(const std::string& device_id, const std::string& why) {
  for (auto& [conn, c] : conns_) {
    if (c.principal == Principal::device && c.device_id == device_id) schedule_kick(conn, why);
  }
}

bool Hub::disconnect_pending(ConnId conn) const {
  auto it = conns_.find(conn);
  return it != conns_.end() && it->second.kick_pending;
}

const Hub::Connection* Hub::current_device_connection(const std::string& device_id) const {
  auto cur = current_.find(device_id);
  if (cur == current_.end()) return nullptr;
  auto it = conns_.find(cur->second);
  if (it == conns_.end() || it->second.principal != Principal::device || it->second.kick_pending) return nullptr;
  return &it->second;
}

bool Hub::is_connected(const std::string& device_id) const { return current_device_connection(device_id) != nullptr; }

std::uint8_t Hub::subscription_flags(const std::string& client_id) const {
  auto it = sessions_.find(client_id);
  return it == sessions_.end() ? 0 : it->second.flags;
}

// ---------------------------------------------------------------- authorization

bool Hub::on_acl_check(ConnId conn, Access access, std::string_view topic, int qos, bool /*retain*/) {
  if (dps_.owns(conn)) return dps_.on_acl_check(conn, access, topic);
  auto it = conns_.find(conn);
  if (it == conns_.end()) return false;
  Connection& c = it->second;
  if (c.principal == Principal::service) {
    switch (access) {
      case Access::write: return topic == kControlTopic;
      case Access::read: return starts_with(topic, "$picohub/v1/");
      case Access::subscribe: {
        if (!starts_with(topic, "$picohub/v1/")) return false;
        if (may_match_telemetry(topic)) telemetry_watchers_[c.client_id].insert(std::string(topic));
        return true;
      }
      case Access::unsubscribe: {
        if (!starts_with(topic, "$picohub/v1/")) return false;
        if (auto w = telemetry_watchers_.find(c.client_id); w != telemetry_watchers_.end()) {
          w->second.erase(std::string(topic));
          if (w->second.empty()) telemetry_watchers_.erase(w);
        }
        return true;
      }
    }
    return false;
  }
  if (c.kick_pending) return false;
  switch (access) {
    case Access::read:
      // Only what the hub itself sends to this device reaches it.
      return starts_with(topic, "devices/" + c.device_id + "/") || starts_with(topic, "$iothub/");
    case Access::write: {
      if (qos > 1) {
        schedule_kick(conn, "QoS 2 publish is not supported by IoT Hub");
        return false;
      }
      // Runs for every device PUBLISH: classified once, here, for the MESSAGE event that follows.
      auto p = iothub::classify_device_publish(topic, c.device_id, c.module_id);
      if (p.kind == iothub::DevicePublishKind::invalid) {
        checked_.conn = nullptr;
        schedule_kick(conn, "publish to a topic it may not use: " + std::string(topic));
        return false;
      }
      checked_.conn = conn;
      checked_.connection = &c;
      checked_.topic.assign(topic);
      checked_.publish = p;
      checked_.publish.bag = rebase(p.bag, topic, checked_.topic);
      checked_.publish.rid = rebase(p.rid, topic, checked_.topic);
      return true;
    }
    case Access::subscribe: {
      std::uint8_t flag = classify_subscription(topic, c.device_id, c.module_id);
      if (flag == 0) {
        schedule_kick(conn, "subscription to a filter it may not use: " + std::string(topic));
        return false;
      }
      Session& s = sessions_[c.client_id];
      if (s.filters.count(std::string(topic)) == 0 && s.filters.size() >= kMaxSubscriptions) {
        schedule_kick(conn, "a 6th subscription (IoT Hub allows 5)");
        return false;
      }
      s.filters.insert(std::string(topic));
      s.flags |= flag;
      if (flag == sub_c2d) {
        s.c2d_qos = qos > 0 ? 1 : 0;
        c2d_dirty_.insert(c.device_id);
      }
      persist_session(c);
      return true;
    }
    case Access::unsubscribe: {
      Session& s = sessions_[c.client_id];
      s.filters.erase(std::string(topic));
      s.flags = flags_of(s.filters, c.device_id, c.module_id);
      persist_session(c);
      return true;
    }
  }
  return false;
}

// ---------------------------------------------------------------- device messages

MessageVerdict Hub::on_message(ConnId conn, std::string_view topic, std::string_view payload, int /*qos*/, bool retain,
                               std::int64_t now_ms) {
  now_ms_ = now_ms;
  if (dps_.owns(conn)) {
    dps_.on_message(conn, topic, payload, now_ms);
    return MessageVerdict::drop;  // a DPS request is answered, never routed
  }
  ClassifiedPublish p;
  const Connection* found = publishing_connection(conn, topic, p);
  if (found == nullptr || found->principal != Principal::device) return MessageVerdict::drop;
  const Connection& c = *found;  // the handlers below never add or remove connections
  switch (p.kind) {
    case PublishKind::telemetry:
      // The count never exceeds body + encoded bag, so nearly every message skips decoding its bag here.
      if (const auto size = payload.size() + p.property_bag.size() <= kD2cMaxCountedBytes
                                ? 0
                                : d2c_counted_size(p.property_bag, payload.size());
          size > kD2cMaxCountedBytes) {
        log(LogLevel::notice, "disconnecting " + c.client_id + ": telemetry of " + std::to_string(size) +
                                  " bytes (body + properties) is over IoT Hub's 256 KB; not acknowledged");
        return MessageVerdict::refuse;
      }
      if (!handle_telemetry(c, p, payload, retain, now_ms)) return MessageVerdict::refuse;
      if (store_.telemetry_unsynced()) {
        mark_active(c, now_ms);
        return MessageVerdict::hold;  // kept; written (and acknowledged) by this iteration's sync_held()
      }
      break;
    case PublishKind::twin_get: {
      auto twin = store_.load_twin(c.client_id);  // client id = identity: "device" or "device/module"
      if (auto res = twin_response_topic(200, p.rid))
        port_.publish(c.client_id, *res, twin_device_view(twin).dump(), 0);
      break;
    }
    case PublishKind::twin_patch_reported: handle_reported_patch(c, p, payload, now_ms); break;
    case PublishKind::method_response: handle_method_response(c, p, payload); break;
    case PublishKind::invalid: break;
  }
  mark_active(c, now_ms);       // written to the store in batches from on_tick
  return MessageVerdict::drop;  // nothing a device publishes is routed to MQTT subscribers
}

// true once the message is durable (the PUBACK may go); false: refuse it (no PUBACK, the connection closes).
bool Hub::handle_telemetry(const Connection& c, const ClassifiedPublish& p, std::string_view payload, bool retain,
                           std::int64_t now_ms) {
  if (!store_.telemetry_healthy()) {
    log_client(c.client_id, LogLevel::warning,
               "refusing telemetry from " + c.client_id + ": state.db cannot take it (" + store_.last_error() +
                   "); the device gets no PUBACK and is disconnected");
    return false;
  }
  TelemetryEventInput in;
  in.sequence = store_.next_telemetry_sequence();
  in.device_id = c.device_id;
  in.module_id = c.module_id;
  in.model_id = c.model_id;
  in.generation_id = c.generation_id;
  in.enqueued_ms = now_ms;
  in.property_bag = p.property_bag;
  in.retain = retain;
  in.payload = payload;
  // state.db and the journal keep the event's inputs (telemetry_fields.hpp); the event text is written only for the
  // live publish below, and by whoever reads the row.
  if (!property_bag_well_formed(in.property_bag)) {
    log_client(c.client_id, LogLevel::warning,
               c.client_id +
                   " sent telemetry with a malformed property bag; its well-formed properties are kept and "
                   "the raw bag is in systemProperties[\"picohub-malformed-property-bag\"]");
  }
  encode_telemetry_fields(in, event_text_);
  if (!store_.telemetry_append_parts(in.sequence, c.device_id, now_ms, payload, event_text_, options_.telemetry_keep)) {
    log_client(c.client_id, LogLevel::error,
               "refusing telemetry from " + c.client_id + ": " + store_.last_error() +
                   "; the device gets no PUBACK and is disconnected");
    return false;
  }
  // Recorded always; published live only while some service client may receive it (the broker would otherwise
  // copy, queue and route every event to nobody).
  if (!telemetry_watchers_.empty()) {
    write_telemetry_event(in, live_event_);
    port_.publish("", std::string(kTelemetryTopicPrefix) + c.device_id, live_event_, 0);
  }
  return true;
}

void Hub::handle_reported_patch(const Connection& c, const ClassifiedPublish& p, std::string_view payload,
                                std::int64_t now_ms) {
  std::string rid = url_encode(p.rid);
  std::string error;
  auto patch = parse_twin_patch(payload, error);
  TwinRecord twin = store_.load_twin(c.client_id);
  if (patch) {
    if (auto e = apply_twin_patch(twin, TwinSection::reported, *patch, now_ms)) {
      error = *e;
      patch.reset();
    }
  }
  if (!patch) {
    json body = {{"errorCode", 400004}, {"message", error}};
    if (auto res = twin_response_topic(400, rid)) port_.publish(c.client_id, *res, body.dump(), 0);
    log_client(c.client_id, LogLevel::info, c.client_id + ": reported patch refused: " + error);
    return;
  }
  if (!stored(store_.save_twin(twin), "reported patch of " + c.device_id) ||
      !commit("reported patch of " + c.device_id)) {
    json body = {{"errorCode", 500001}, {"message", "the hub could not save the patch; try again later"}};
    if (auto res = twin_response_topic(500, rid)) port_.publish(c.client_id, *res, body.dump(), 0);
    return;
  }
  if (auto res = twin_response_topic(204, rid, twin.reported_version)) port_.publish(c.client_id, *res, "", 0);
}

void Hub::handle_method_response(const Connection& c, const ClassifiedPublish& p, std::string_view payload) {
  auto it = methods_.find(p.rid);
  if (it == methods_.end() || it->second.identity != c.client_id) {
    log_client(c.client_id, LogLevel::info, c.client_id + " answered unknown or expired method request $rid=" + p.rid);
    return;
  }
  PendingMethod m = it->second;
  methods_.erase(it);
  json body_payload = nullptr;
  if (!payload.empty()) {
    body_payload = json::parse(payload, nullptr, false);
    if (body_payload.is_discarded()) body_payload = std::string(payload);  // not JSON: hand it over as text
  }
  respond(m.service_client_id, m.correlation_id, 200, json{{"status", p.status}, {"payload", body_payload}});
}

// ---------------------------------------------------------------- tick

void Hub::on_tick(std::int64_t now_ms) {
  now_ms_ = now_ms;
  auto kicks = std::move(kicks_);
  kicks_.clear();
  for (auto& [conn, client_id] : kicks) {
    auto it = conns_.find(conn);
    // Only if that very connection is still the client's: never kick a newer connection by mistake.
    if (it != conns_.end() && it->second.client_id == client_id) {
      auto cur = current_.find(client_id);
      if (cur != current_.end() && cur->second == conn) port_.kick(client_id);
    }
  }
  // TICK runs once per broker loop iteration (thousands per second under load): scan tokens 4x per second.
  if (now_ms - last_token_scan_ms_ >= 250 || now_ms < last_token_scan_ms_) {
    last_token_scan_ms_ = now_ms;
    while (!expiries_.empty() && expiries_.begin()->first + kMaxClockSkewSeconds < seconds(now_ms)) {
      ConnId conn = expiries_.begin()->second;
      expiries_.erase(expiries_.begin());
      schedule_kick(conn, "SAS token expired (401003); the device must reconnect with a new token");
    }
  }
  if (now_ms - last_activity_flush_ms_ >= 5000) {
    last_activity_flush_ms_ = now_ms;
    flush_activity();
  }
  for (auto it = methods_.begin(); it != methods_.end();) {
    if (it->second.deadline_ms <= now_ms) {
      respond_error(it->second.service_client_id, it->second.correlation_id, 504, 504101,
                    "'" + it->second.identity + "' did not answer the method in time (504101)");
      it = methods_.erase(it);
    } else {
      ++it;
    }
  }
  if (now_ms - last_expiry_sweep_ms_ >= 1000) {
    last_expiry_sweep_ms_ = now_ms;
    for (auto& m : store_.c2d_expired_with_feedback(now_ms)) {
      c2d_feedback(m.device_id, m.message_id, m.topic_bag, "Expired", "Message expired", now_ms);
    }
    auto dropped = store_.c2d_drop_expired(now_ms);
    if (stored(dropped, "dropping expired C2D messages") && *dropped > 0) {
      log(LogLevel::info, std::to_string(*dropped) + " C2D message(s) expired (TTL) and were dropped");
    }
  }
  departed_.clear();  // their Wills, if any, were published in the iteration that closed them
  if (now_ms - last_lock_scan_ms_ >= 1000 || now_ms < last_lock_scan_ms_) {
    last_lock_scan_ms_ = now_ms;
    scan_c2d_locks(now_ms);
  }
  auto dirty = std::move(c2d_dirty_);
  c2d_dirty_.clear();
  for (auto& device : dirty) deliver_c2d(device, now_ms);
  if (now_ms - last_retention_ms_ >= 10000 || now_ms < last_retention_ms_) {
    last_retention_ms_ = now_ms;
    log_limiter_.sweep(now_ms, [&](const std::string& line) { log(LogLevel::notice, line); });
    auto deleted = store_.enforce_retention(now_ms, options_.retention);
    if (stored(deleted, "telemetry retention") && *deleted > 0) {
      log(LogLevel::info, std::to_string(*deleted) + " telemetry row(s) past the retention limits deleted");
    }
  }
  // What is not acknowledged by itself (telemetry rows, durable in the journal already; lastActivityTime; C2D
  // bookkeeping) is committed at most every 100 ms, not in every loop iteration: when the hub is nearly idle each
  // iteration carries one message, and a COMMIT (WAL frames for the table, its index and meta) per message cost
  // more than the message. Acknowledged changes were committed before their reply.
  if (now_ms - last_batch_commit_ms_ >= kBatchCommitMs || now_ms < last_batch_commit_ms_) {
    last_batch_commit_ms_ = now_ms;
    (void)commit("batch commit");
  }
  if (!store_.telemetry_healthy() && now_ms - last_fold_retry_ms_ >= 1000) {
    last_fold_retry_ms_ = now_ms;
    if (store_.retry_fold()) log(LogLevel::notice, "state.db takes telemetry again; journaled messages are committed");
  }
}

bool Hub::sync_held() {
  if (store_.sync_telemetry()) return true;
  log_client("state.db", LogLevel::error,
             "state.db: " + store_.last_error() + "; the messages of this iteration are not acknowledged");
  return false;
}

void Hub::flush_activity() {
  for (auto& [device, a] : activity_) {
    if (!a.dirty) continue;
    a.dirty = false;
    (void)stored(store_.touch_device(device, a.ms), "lastActivityTime");
  }
}

void Hub::mark_active(const Connection& c, std::int64_t now_ms) {
  if (c.activity == nullptr) return;
  c.activity->ms = now_ms;
  c.activity->dirty = true;
}

void Hub::touch(const std::string& device_id, std::int64_t now_ms) {
  Activity& a = activity_[device_id];
  a.ms = now_ms;
  a.dirty = true;
}

Hub::Connection* Hub::publishing_connection(ConnId conn, std::string_view topic, ClassifiedPublish& out) {
  if (checked_.conn == conn && checked_.topic == topic) {
    checked_.conn = nullptr;
    out = classified_publish(checked_.publish);
    out.property_bag = rebase(out.property_bag, checked_.topic, topic);  // nothing points into the copy after
    return checked_.connection;
  }
  auto it = conns_.find(conn);
  if (it == conns_.end()) return nullptr;
  if (it->second.principal == Principal::device)
    out = classify_publish(topic, it->second.device_id, it->second.module_id);
  return &it->second;
}

// IoT Hub's C2D life cycle over MQTT: Enqueued → (delivered: Invisible, locked for 1 minute) → Completed by the
// device's PUBACK. A lock that times out, or a session that ends without the PUBACK, returns the message to the
// queue and it is delivered again, up to maxDeliveryCount times; then it is dead-lettered. At QoS 0 the message
// is completed when sent.
void Hub::deliver_c2d(const std::string& device_id, std::int64_t now_ms) {
  const Connection* c = current_device_connection(device_id);
  if (c == nullptr || !c->module_id.empty() || (subscription_flags(c->client_id) & sub_c2d) == 0) return;
  int qos = sessions_[c->client_id].c2d_qos;
  auto& locks = c2d_locks_[device_id];
  std::map<std::int64_t, C2dLock> still_pending;
  for (auto& m : store_.c2d_pending(device_id, static_cast<int>(kC2dMaxQueue))) {
    if (m.expiry_ms <= now_ms) continue;  // the TTL sweep drops it
    if (auto lock = locks.find(m.seq); lock != locks.end() && lock->second.until_ms > now_ms) {
      still_pending.insert(*lock);
      continue;
    }
    if (m.delivery_count >= options_.c2d_max_delivery_count) {
      (void)stored(store_.c2d_remove(m.seq), "dead-lettering a C2D message");
      c2d_feedback(device_id, m.message_id, m.topic_bag, "DeliveryCountExceeded", "Delivery count exceeded", now_ms);
      log(LogLevel::notice, "C2D " + m.message_id + " for " + device_id + " dead-lettered: delivered " +
                                std::to_string(m.delivery_count) + " times without a PUBACK (DeliveryCountExceeded)");
      continue;
    }
    auto topic = c2d_topic(device_id, m.topic_bag);
    if (!topic) {  // registered ids and stored bags always make a topic; a failure here is a bug worth a line
      log(LogLevel::warning, "C2D " + m.message_id + " for " + device_id + " not sent: " + topic.error().what);
      continue;
    }
    port_.publish(c->client_id, *topic, m.payload, qos);
    if (qos == 0) {
      (void)stored(store_.c2d_remove(m.seq), "completing a QoS 0 C2D message");  // completed when sent, as IoT Hub does
      c2d_feedback(device_id, m.message_id, m.topic_bag, "Success", "Success", now_ms);
      log(LogLevel::info, "C2D " + m.message_id + " sent to " + device_id + " at QoS 0 (completed)");
      continue;
    }
    store_.c2d_count_delivery(m.seq);
    still_pending[m.seq] = C2dLock{m.message_id, now_ms + options_.c2d_lock_ms};
    log(LogLevel::info, "C2D " + m.message_id + " delivered to " + device_id + " (delivery " +
                            std::to_string(m.delivery_count + 1) + "), waiting for its PUBACK");
  }
  locks = std::move(still_pending);  // locks of messages that left the queue (TTL, deletion) go too
  if (locks.empty()) c2d_locks_.erase(device_id);
}

void Hub::on_puback(ConnId conn, std::string_view topic, std::int64_t now_ms) {
  if (!starts_with(topic, "devices/")) return;  // e.g. a service client acknowledging a response
  auto it = conns_.find(conn);
  if (it == conns_.end() || it->second.principal != Principal::device || !it->second.module_id.empty()) return;
  const Connection& c = it->second;
  auto c2d_bag = iothub::parse_c2d_topic(topic, c.device_id);
  if (!c2d_bag) return;
  std::string_view raw_bag = *c2d_bag;
  auto bag = parse_property_bag(raw_bag);
  if (!bag) return;
  for (auto& [name, value] : *bag) {
    if (name == "$.mid" && value) {
      if (!complete_c2d(c.device_id, *value, raw_bag, now_ms)) {
        log(LogLevel::info, c.client_id + " acknowledged C2D " + *value + ", which is no longer queued");
      }
      return;
    }
  }
}

// The locked delivery with this message id first; otherwise the oldest queued one (a persistent session's
// retransmission by the broker after the hub restarted, when the hub holds no lock for it).
bool Hub::complete_c2d(const std::string& device_id, const std::string& message_id, std::string_view topic_bag,
                       std::int64_t now_ms) {
  std::int64_t seq = 0;
  if (auto locks = c2d_locks_.find(device_id); locks != c2d_locks_.end()) {
    for (auto& [s, lock] : locks->second) {
      if (lock.message_id == message_id) {
        seq = s;
        break;
      }
    }
    if (seq != 0) locks->second.erase(seq);
    if (locks->second.empty()) c2d_locks_.erase(locks);
  }
  if (seq == 0) {
    for (auto& m : store_.c2d_pending(device_id, static_cast<int>(kC2dMaxQueue))) {
      if (m.message_id == message_id && m.delivery_count > 0) {
        seq = m.seq;
        break;
      }
    }
  }
  if (seq == 0) return false;
  // Not removed (a failed write): the message stays queued and is delivered again, never lost.
  if (!stored(store_.c2d_remove(seq), "completing a C2D message")) return false;
  c2d_feedback(device_id, message_id, topic_bag, "Success", "Success", now_ms);
  log(LogLevel::info, "C2D " + message_id + " completed by " + device_id + " (PUBACK)");
  return true;
}

void Hub::c2d_feedback(const std::string& device_id, const std::string& message_id, std::string_view topic_bag,
                       const char* status, const char* description, std::int64_t now_ms) {
  bool success = std::string_view(status) == "Success";
  bool wanted = topic_bag.find("iothub-ack=full") != std::string_view::npos ||
                topic_bag.find(success ? "iothub-ack=positive" : "iothub-ack=negative") != std::string_view::npos;
  if (wanted) store_.feedback_append({device_id, message_id, status, description, now_ms});
}

void Hub::release_c2d_locks(const Connection& c) {
  if (!c.module_id.empty()) return;
  if (c2d_locks_.erase(c.device_id) > 0) c2d_dirty_.insert(c.device_id);
}

void Hub::scan_c2d_locks(std::int64_t now_ms) {
  for (auto& [device, locks] : c2d_locks_) {
    for (auto& [seq, lock] : locks) {
      if (lock.until_ms <= now_ms) {
        c2d_dirty_.insert(device);
        break;
      }
    }
  }
}

std::size_t Hub::c2d_in_flight(const std::string& device_id) const {
  auto it = c2d_locks_.find(device_id);
  return it == c2d_locks_.end() ? 0 : it->second.size();
}

// ---------------------------------------------------------------- wills and sessions

bool Hub::on_will(ConnId conn, std::string_view topic, std::string_view payload, bool retain, std::int64_t now_ms) {
  const Connection* c = nullptr;
  if (auto it = conns_.find(conn); it != conns_.end()) c = &it->second;  // takeover: still registered
  if (auto it = departed_.find(conn); c == nullptr && it != departed_.end()) c = &it->second;
  if (c == nullptr || c->principal != Principal::device) return false;
  auto p = classify_publish(topic, c->device_id, c->module_id);
  if (p.kind != PublishKind::telemetry) {
    log(LogLevel::notice, c->client_id + "'s Will is not on its telemetry topic (" + std::string(topic) +
                              "); IoT Hub only sends Wills on devices/{id}/messages/events/: dropped");
    return true;
  }
  std::string bag(p.property_bag);
  bag += bag.empty() ? "iothub-MessageType=Will" : "&iothub-MessageType=Will";
  p.property_bag = bag;
  handle_telemetry(*c, p, payload, retain, now_ms);
  log(LogLevel::notice, c->client_id + " went away without DISCONNECT: its Will was recorded as telemetry");
  return true;
}

void Hub::restore_session(const Connection& c) {
  if (sessions_.count(c.client_id) != 0) return;  // this hub process already holds it
  auto saved = store_.load_session(c.client_id);
  if (!saved) return;
  Session& s = sessions_[c.client_id];
  s.filters.insert(saved->filters.begin(), saved->filters.end());
  s.flags = flags_of(s.filters, c.device_id, c.module_id);
  s.c2d_qos = saved->c2d_qos;
}

// Only persistent sessions are written: a clean session's subscriptions end with its connection.
void Hub::persist_session(const Connection& c) {
  if (c.clean_session) return;
  auto it = sessions_.find(c.client_id);
  if (it == sessions_.end()) return;
  SessionRecord r;
  r.client_id = c.client_id;
  r.filters.assign(it->second.filters.begin(), it->second.filters.end());
  r.c2d_qos = it->second.c2d_qos;
  store_.save_session(r);
}

// ---------------------------------------------------------------- control channel

void Hub::respond(const std::string& client_id, const std::string& correlation_id, int status, const json& body) {
  json response = {{"correlationId", correlation_id}, {"status", status}, {"body", body}};
  port_.publish(client_id, std::string(kResponseTopic), response.dump(-1, ' ', false, json::error_handler_t::replace),
                1);
}

void Hub::respond_error(const std::string& client_id, const std::string& correlation_id, int status, int error_code,
                        const std::string& message) {
  respond(client_id, correlation_id, status, json{{"errorCode", error_code}, {"message", message}});
}

json Hub::device_object(const DeviceRecord& record) {
  DeviceRecord d = record;
  if (auto it = activity_.find(d.device_id); it != activity_.end() && it->second.ms != 0) {
    d.last_activity_ms = it->second.ms;
  }
  const bool x509 = d.auth != DeviceAuth::sas;
  return json{{"deviceId", d.device_id},
              {"generationId", generation_id(d.created_ms)},
              {"etag", content_etag(d.status + "|" + d.primary_key + "|" + d.secondary_key +
                                    (x509 ? "|" + d.primary_thumbprint + "|" + d.secondary_thumbprint : ""))},
              {"status", d.status},
              {"authType", to_string(d.auth)},
              {"primaryKey", x509 ? json(nullptr) : json(d.primary_key)},
              {"secondaryKey", x509 ? json(nullptr) : json(d.secondary_key)},
              {"primaryThumbprint", d.primary_thumbprint.empty() ? json(nullptr) : json(d.primary_thumbprint)},
              {"secondaryThumbprint", d.secondary_thumbprint.empty() ? json(nullptr) : json(d.secondary_thumbprint)},
              {"connectionState", is_connected(d.device_id) ? "Connected" : "Disconnected"},
              {"lastActivityTime", d.last_activity_ms ? json(iso8601_utc(d.last_activity_ms)) : json(nullptr)},
              {"c2dQueueDepth", store_.c2d_depth(d.device_id)},
              {"createdTime", iso8601_utc(d.created_ms)}};
}

json Hub::twin_object(const TwinRecord& twin) {
  json view = twin_service_view(twin);
  if (auto d = store_.find_device(view.value("deviceId", ""))) {
    view["status"] = d->status;
    view["authenticationType"] = to_string(d->auth);  // a module signs with its own keys: IoT Hub says "sas"
    if (view.contains("moduleId")) view["authenticationType"] = "sas";
    view["connectionState"] = is_connected(twin.device_id) ? "Connected" : "Disconnected";
  }
  return view;
}

void Hub::on_control(ConnId conn, std::string_view client_id, std::string_view payload, std::int64_t now_ms) {
  now_ms_ = now_ms;
  std::string client(client_id);
  auto it = conns_.find(conn);
  if (it == conns_.end() || it->second.principal != Principal::service) {
    log_client(client, LogLevel::warning, client + " is not the service principal; control request ignored");
    return;
  }
  std::string error, cid;
  auto request = parse_control_request(payload, error, cid);
  if (!request) {
    if (!cid.empty()) respond_error(client, cid, 400, 400004, error);
    log_client(client, LogLevel::warning, "bad control request from " + client + ": " + error);
    return;
  }
  const json& f = request->fields;
  const std::string& op = request->op;
  auto device_arg = [&](std::string& out) -> bool {
    auto id = f.find("deviceId");
    if (id == f.end() || !id->is_string() || id->get<std::string>().empty()) {
      respond_error(client, cid, 400, 400004, "field 'deviceId' (string) is required");
      return false;
    }
    out = id->get<std::string>();
    return true;
  };
  auto not_found = [&](const std::string& id) {
    respond_error(client, cid, 404, 404001,
                  "device '" + id + "' is not registered; create it with `picohub device create " + id + "`");
  };

  if (op == "device.create") return op_device_create(client, cid, f, now_ms);
  if (op == "device.update") return op_device_update(client, cid, f);
  if (op == "device.delete") return op_device_delete(client, cid, f);
  if (op == "c2d.send") return op_c2d_send(client, cid, f, now_ms);
  if (op == "method.invoke") return op_method_invoke(client, cid, f, now_ms);
  if (op == "twin.update") return op_twin_update(client, cid, f, now_ms);
  if (op == "telemetry.query") return op_telemetry_query(client, cid, f);
  if (starts_with(op, "module.")) return op_module(op, client, cid, f, now_ms);
  if (starts_with(op, "ca.")) return op_ca(op, client, cid, f, now_ms);
  if (op == "c2d.feedback") return op_c2d_feedback(client, cid, f);
  if (starts_with(op, "dps.")) {
    auto reply = dps_.on_control(op, f, now_ms);
    return respond(client, cid, reply.status, reply.body);
  }
  if (op == "device.list") {
    json devices = json::array();
    for (auto& d : store_.list_devices()) devices.push_back(device_object(d));
    return respond(client, cid, 200, json{{"devices", devices}});
  }
  if (op == "device.show") {
    std::string id;
    if (!device_arg(id)) return;
    auto d = store_.find_device(id);
    if (!d) return not_found(id);
    return respond(client, cid, 200, device_object(*d));
  }
  if (op == "twin.get") {
    auto identity = target_identity(client, cid, f);
    if (!identity) return;
    return respond(client, cid, 200, twin_object(store_.load_twin(*identity)));
  }
  if (op == "hub.info") {
    auto devices = store_.list_devices();
    std::int64_t connected = 0;
    for (auto& d : devices) connected += is_connected(d.device_id) ? 1 : 0;
    return respond(client, cid, 200,
                   json{{"hostName", config_.host_name},
                        {"port", config_.port},
                        {"devices", devices.size()},
                        {"connectedDevices", connected},
                        {"idScope", dps_.id_scope()},
                        {"version", options_.version}});
  }
  respond_error(
      client, cid, 400, 400004,
      "unknown op '" + op +
          "'; known: device.create|list|show|delete|update, module.create|list|show|delete, ca.add|list|delete, "
          "hub.info, c2d.send, c2d.feedback, method.invoke, twin.get, twin.update, telemetry.query");
}

void Hub::op_device_create(const std::string& client, const std::string& cid, const json& f, std::int64_t now_ms) {
  std::string error;
  auto id = optional_string(f, "deviceId", error);
  if (!id || !is_valid_device_id(*id)) {
    return respond_error(client, cid, 400, 400004,
                         "deviceId must be 1-128 characters of letters, digits and - . % _ * ? ! ( ) , : = @ $ '");
  }
  if (is_reserved_client_id(*id)) {
    return respond_error(client, cid, 400, 400004,
                         "deviceId may not start with '" + std::string(kServiceClientIdPrefix) +
                             "': the hub's service tools use that prefix for their own connections");
  }
  auto primary = optional_string(f, "primaryKey", error);
  auto secondary = optional_string(f, "secondaryKey", error);
  auto status = optional_string(f, "status", error);
  if (!error.empty()) return respond_error(client, cid, 400, 400004, error);
  for (auto* key : {&primary, &secondary}) {
    if (*key && (!base64_decode(**key) || base64_decode(**key)->size() < 16)) {
      return respond_error(client, cid, 400, 400004, "keys must be base64 of at least 16 bytes (32 recommended)");
    }
  }
  if (status && *status != "enabled" && *status != "disabled") {
    return respond_error(client, cid, 400, 400004, "status must be \"enabled\" or \"disabled\"");
  }
  DeviceRecord d;
  d.device_id = *id;
  d.status = status.value_or("enabled");
  d.primary_key = primary.value_or(random_key_base64());
  d.secondary_key = secondary.value_or(random_key_base64());
  d.created_ms = now_ms;
  if (auto problem = read_device_auth(f, d)) return respond_error(client, cid, 400, 400004, *problem);
  auto inserted = store_.insert_device(d);
  if (!stored(inserted, "device create") || !commit("device create")) return respond_store_error(client, cid);
  if (!*inserted) {
    return respond_error(client, cid, 409, 409001, "device '" + *id + "' already exists; pick another id or delete it");
  }
  log(LogLevel::notice, "device " + *id + " created");
  respond(client, cid, 200, device_object(d));
}

void Hub::op_device_update(const std::string& client, const std::string& cid, const json& f) {
  std::string error;
  auto id = optional_string(f, "deviceId", error);
  auto status = optional_string(f, "status", error);
  if (!id) return respond_error(client, cid, 400, 400004, "field 'deviceId' (string) is required");
  if (!status || (*status != "enabled" && *status != "disabled")) {
    return respond_error(client, cid, 400, 400004, "field 'status' must be \"enabled\" or \"disabled\"");
  }
  // If-Match, checked here so the check and the write are one step (ops run one at a time).
  std::string not_string;  // a non-string ifMatch is ignored, as an absent one
  if (auto if_match = optional_string(f, "ifMatch", not_string); if_match && !if_match->empty()) {
    auto current = store_.find_device(*id);
    if (!current) return respond_error(client, cid, 404, 404001, "device '" + *id + "' is not registered");
    const std::string etag = device_object(*current)["etag"].get<std::string>();
    if (!if_match_accepts(*if_match, etag)) {
      return respond_error(client, cid, 412, 412002,
                           "device '" + *id + "' has etag " + etag + ", not the If-Match " + *if_match);
    }
  }
  auto updated = store_.set_device_status(*id, *status);
  if (!stored(updated, "device update") || !commit("device update")) return respond_store_error(client, cid);
  if (!*updated) {
    return respond_error(client, cid, 404, 404001, "device '" + *id + "' is not registered");
  }
  if (*status == "disabled") kick_device(*id, "device disabled (403012)");
  respond(client, cid, 200, device_object(*store_.find_device(*id)));
}

void Hub::op_device_delete(const std::string& client, const std::string& cid, const json& f) {
  std::string error;
  auto id = optional_string(f, "deviceId", error);
  if (!id) return respond_error(client, cid, 400, 400004, "field 'deviceId' (string) is required");
  auto deleted = store_.delete_device(*id);
  if (!stored(deleted, "device delete") || !commit("device delete")) return respond_store_error(client, cid);
  if (!*deleted) return respond_error(client, cid, 404, 404001, "device '" + *id + "' is not registered");
  if (auto it = activity_.find(*id); it != activity_.end()) it->second = {};  // connections may still point at it
  c2d_locks_.erase(*id);
  kick_device(*id, "device deleted");
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    bool mine = it->first == *id || starts_with(it->first, *id + "/");
    it = mine ? sessions_.erase(it) : std::next(it);
  }
  log(LogLevel::notice, "device " + *id + " deleted");
  respond(client, cid, 204, nullptr);
}

std::optional<std::string> Hub::target_identity(const std::string& client, const std::string& cid, const json& f) {
  std::string error;
  auto id = optional_string(f, "deviceId", error);
  auto module = optional_string(f, "moduleId", error);
  if (!error.empty()) {
    respond_error(client, cid, 400, 400004, error);
    return std::nullopt;
  }
  if (!id || id->empty()) {
    respond_error(client, cid, 400, 400004, "field 'deviceId' (string) is required");
    return std::nullopt;
  }
  if (!store_.find_device(*id)) {
    respond_error(client, cid, 404, 404001,
                  "device '" + *id + "' is not registered; create it with `picohub device create " + *id + "`");
    return std::nullopt;
  }
  if (module && !module->empty() && !store_.find_module(*id, *module)) {
    respond_error(client, cid, 404, 404010,
                  "module '" + *module + "' of device '" + *id +
                      "' is not registered; create it with `picohub module create " + *id + " " + *module + "`");
    return std::nullopt;
  }
  return identity_key(*id, module.value_or(""));
}

// module.create|list|show|delete: module identities with their own keys, as `az iot hub module-identity` manages.
void Hub::op_module(const std::string& op, const std::string& client, const std::string& cid, const json& f,
                    std::int64_t now_ms) {
  std::string error;
  auto id = optional_string(f, "deviceId", error);
  auto module = optional_string(f, "moduleId", error);
  if (!error.empty()) return respond_error(client, cid, 400, 400004, error);
  if (!id) return respond_error(client, cid, 400, 400004, "field 'deviceId' (string) is required");
  if (!store_.find_device(*id))
    return respond_error(client, cid, 404, 404001, "device '" + *id + "' is not registered");
  auto module_object = [&](const ModuleRecord& m) {
    const std::string identity = identity_key(m.device_id, m.module_id);
    return json{{"deviceId", m.device_id},
                {"moduleId", m.module_id},
                {"generationId", generation_id(m.created_ms)},
                {"primaryKey", m.primary_key},
                {"secondaryKey", m.secondary_key},
                {"connectionState", current_device_connection(identity) ? "Connected" : "Disconnected"},
                {"createdTime", iso8601_utc(m.created_ms)}};
  };
  if (op == "module.list") {
    json modules = json::array();
    for (auto& m : store_.list_modules(*id)) modules.push_back(module_object(m));
    return respond(client, cid, 200, json{{"modules", modules}});
  }
  if (!module || !is_valid_device_id(*module)) {
    return respond_error(client, cid, 400, 400004,
                         "moduleId must be 1-128 characters of letters, digits and - . % _ * ? ! ( ) , : = @ $ '");
  }
  if (op == "module.show") {
    auto m = store_.find_module(*id, *module);
    if (!m) return respond_error(client, cid, 404, 404010, "module '" + *id + "/" + *module + "' is not registered");
    return respond(client, cid, 200, module_object(*m));
  }
  if (op == "module.delete") {
    auto deleted = store_.delete_module(*id, *module);
    if (!stored(deleted, "module delete") || !commit("module delete")) return respond_store_error(client, cid);
    if (!*deleted) {
      return respond_error(client, cid, 404, 404010, "module '" + *id + "/" + *module + "' is not registered");
    }
    const std::string identity = identity_key(*id, *module);
    for (auto& [conn, c] : conns_) {
      if (c.client_id == identity) schedule_kick(conn, "module deleted");
    }
    sessions_.erase(identity);
    log(LogLevel::notice, "module " + identity + " deleted");
    return respond(client, cid, 204, nullptr);
  }
  if (op != "module.create") {
    return respond_error(client, cid, 400, 400004, "unknown op '" + op + "'; known: module.create|list|show|delete");
  }
  ModuleRecord m;
  m.device_id = *id;
  m.module_id = *module;
  m.primary_key = random_key_base64();
  m.secondary_key = random_key_base64();
  m.created_ms = now_ms;
  auto inserted = store_.insert_module(m);
  if (!stored(inserted, "module create") || !commit("module create")) return respond_store_error(client, cid);
  if (!*inserted) {
    return respond_error(client, cid, 409, 409001, "module '" + *id + "/" + *module + "' already exists");
  }
  log(LogLevel::notice, "module " + identity_key(*id, *module) + " created");
  respond(client, cid, 200, module_object(m));
}

void Hub::op_c2d_send(const std::string& client, const std::string& cid, const json& f, std::int64_t now_ms) {
  std::string error;
  auto id = optional_string(f, "deviceId", error);
  auto payload_b64 = optional_string(f, "payloadBase64", error);
  auto message_id = optional_string(f, "messageId", error);
  auto message_cid = optional_string(f, "messageCorrelationId", error);
  auto ack = optional_string(f, "ack", error);
  auto content_type = optional_string(f, "contentType", error);
  auto content_encoding = optional_string(f, "contentEncoding", error);
  auto ttl = optional_int(f, "ttlSeconds", error);
  if (!error.empty()) return respond_error(client, cid, 400, 400004, error);
  if (!id) return respond_error(client, cid, 400, 400004, "field 'deviceId' (string) is required");
  auto payload = base64_decode(payload_b64.value_or(""));
  if (!payload) return respond_error(client, cid, 400, 400004, "payloadBase64 is not valid base64");
  if (payload->size() > kC2dMaxPayload) {
    return respond_error(client, cid, 400, 400004, "C2D payload is larger than 64 KB; send a smaller message");
  }
  if (message_id && !is_valid_message_id(*message_id)) {
    return respond_error(client, cid, 400, 400004,
                         "message ids are 1-128 characters of letters, digits and - : . + % _ # * ? ! ( ) , = @ ; $ '");
  }
  std::int64_t ttl_s = ttl.value_or(kC2dDefaultTtlSeconds);
  if (ttl_s < 60 || ttl_s > 172800) {
    return respond_error(client, cid, 400, 400004, "ttlSeconds must be between 60 and 172800 (2 days)");
  }
  std::string ack_mode = ack.value_or("none");
  if (ack_mode != "none" && ack_mode != "positive" && ack_mode != "negative" && ack_mode != "full") {
    return respond_error(client, cid, 400, 400004, "ack must be none, positive, negative or full");
  }
  auto props = f.find("properties");
  if (props != f.end() && !props->is_null() && !props->is_object()) {
    return respond_error(client, cid, 400, 400004, "properties must be an object of string or null values");
  }
  if (!store_.find_device(*id))
    return respond_error(client, cid, 404, 404001, "device '" + *id + "' is not registered");
  if (store_.c2d_depth(*id) >= kC2dMaxQueue) {
    return respond_error(client, cid, 403, 403004,
                         "device '" + *id +
                             "' already has 50 pending C2D messages (403004); wait for it to connect "
                             "and receive them, or let them expire");
  }
  std::string mid = message_id.value_or(random_hex(16));
  const std::string to = "/devices/" + *id + "/messages/deviceBound";
  std::vector<BagItem> items{{"$.mid", mid}, {"$.to", to}};
  if (message_cid) items.push_back({"$.cid", *message_cid});
  if (content_type) items.push_back({"$.ct", *content_type});
  if (content_encoding) items.push_back({"$.ce", *content_encoding});
  items.push_back({"iothub-ack", ack_mode});
  std::vector<std::string> texts;  // owns the property names and values the items point at (reserved: no moves)
  if (props != f.end() && props->is_object()) {
    texts.reserve(2 * props->size());
    for (auto& [k, v] : props->items()) {
      if (k.empty() || !is_valid_c2d_property_text(k) ||
          (v.is_string() && !is_valid_c2d_property_text(v.get<std::string>()))) {
        return respond_error(client, cid, 400, 400004,
                             "C2D property '" + k +
                                 "': names and values may hold only letters, digits and "
                                 "! # $ % & ' * + - . ^ _ ` | ~ (IoT Hub's rule)");
      }
      if (!v.is_null() && !v.is_string()) {
        return respond_error(client, cid, 400, 400004, "property '" + k + "' must be a string or null");
      }
      const std::string& name = texts.emplace_back(k);
      if (v.is_null()) {
        items.push_back({name, std::nullopt});
      } else {
        items.push_back({name, texts.emplace_back(v.get<std::string>())});
      }
    }
  }
  auto encoded = encode_property_bag(items);
  if (!encoded) return respond_error(client, cid, 400, 400004, std::string("C2D properties: ") + encoded.error().what);
  const std::string& bag = *encoded;
  if (const auto size = d2c_counted_size(bag, payload->size()); size > kC2dMaxCountedBytes) {
    return respond_error(
        client, cid, 400, 400004,
        "C2D message is " + std::to_string(size) + " bytes counting body and properties; IoT Hub's limit is 65,536");
  }
  C2dRecord m;
  m.device_id = *id;
  m.message_id = mid;
  m.topic_bag = bag;
  m.payload = *payload;
  m.enqueued_ms = now_ms;
  m.expiry_ms = now_ms + ttl_s * 1000;
  if (!stored(store_.c2d_enqueue(m), "C2D send") || !commit("C2D send")) return respond_store_error(client, cid);
  c2d_dirty_.insert(*id);
  respond(client, cid, 200, json{{"messageId", mid}, {"queueDepth", store_.c2d_depth(*id)}});
}

void Hub::op_method_invoke(const std::string& client, const std::string& cid, const json& f, std::int64_t now_ms) {
  std::string error;
  auto name = optional_string(f, "methodName", error);
  auto timeout = optional_int(f, "responseTimeoutInSeconds", error);
  if (!error.empty()) return respond_error(client, cid, 400, 400004, error);
  if (!name || !iothub::is_valid_method_name(*name)) {
    return respond_error(
        client, cid, 400, 400004,
        "methodName must be 1-128 printable ASCII characters without spaces, + # or $()<>@,;:\\\"/[]?={}");
  }
  std::int64_t timeout_s = timeout.value_or(30);
  if (timeout_s < 5 || timeout_s > 300) {
    return respond_error(client, cid, 400, 400004, "responseTimeoutInSeconds must be between 5 and 300");
  }
  auto id = target_identity(client, cid, f);
  if (!id) return;
  const Connection* c = current_device_connection(*id);
  if (c == nullptr || (subscription_flags(c->client_id) & sub_methods) == 0) {
    return respond_error(client, cid, 404, 404103,
                         "'" + *id +
                             "' is not online (404103): it must be connected and subscribed to "
                             "$iothub/methods/POST/#");
  }
  char rid_text[24];
  std::snprintf(rid_text, sizeof rid_text, "%llx", static_cast<unsigned long long>(next_rid_++));
  std::string rid(rid_text);
  json payload = f.contains("payload") ? f["payload"] : json(nullptr);
  std::string payload_text = payload.dump();
  if (payload_text.size() > kMethodMaxPayloadBytes) {
    return respond_error(
        client, cid, 400, 400004,
        "method payload is " + std::to_string(payload_text.size()) + " bytes; IoT Hub's limit is 128 KB");
  }
  auto topic = method_request_topic(*name, rid);
  if (!topic) return respond_error(client, cid, 400, 400004, std::string(topic.error().what));
  methods_[rid] = PendingMethod{*id, client, cid, now_ms + timeout_s * 1000};
  port_.publish(c->client_id, *topic, payload_text, 0);
}

void Hub::op_twin_update(const std::string& client, const std::string& cid, const json& f, std::int64_t now_ms) {
  std::string error;
  auto id = target_identity(client, cid, f);
  if (!id) return;
  auto desired = f.find("desired");
  auto tags = f.find("tags");
  const bool has_desired = desired != f.end() && desired->is_object();
  const bool has_tags = tags != f.end() && tags->is_object();
  if ((desired != f.end() && !has_desired) || (tags != f.end() && !has_tags) || (!has_desired && !has_tags)) {
    return respond_error(client, cid, 400, 400004,
                         "fields 'desired' and 'tags' (at least one) must be JSON objects (the patches)");
  }
  TwinRecord twin = store_.load_twin(*id);
  std::string not_string;
  if (auto if_match = optional_string(f, "ifMatch", not_string);
      if_match && !if_match_accepts(*if_match, twin_etag(twin))) {
    return respond_error(
        client, cid, 412, 412002,
        "the twin's etag is " + twin_etag(twin) + ", not the If-Match " + *if_match + ": read it again");
  }
  std::optional<json> patch;
  if (has_desired) {
    patch = parse_twin_patch(desired->dump(), error);
    if (patch) {
      if (auto e = apply_twin_patch(twin, TwinSection::desired, *patch, now_ms)) error = *e, patch.reset();
    }
    if (!patch) return respond_error(client, cid, 400, 400004, error);
  }
  if (has_tags) {
    auto tags_patch = parse_twin_patch(tags->dump(), error);
    if (tags_patch) {
      if (auto e = apply_tags_patch(twin, *tags_patch)) error = *e, tags_patch.reset();
    }
    if (!tags_patch) return respond_error(client, cid, 400, 400004, error);
  }
  if (!stored(store_.save_twin(twin), "twin update") || !commit("twin update")) {
    return respond_store_error(client, cid);
  }
  respond(client, cid, 200, twin_object(twin));
  const Connection* c = current_device_connection(*id);
  if (patch && c != nullptr && (subscription_flags(c->client_id) & sub_twin_desired) != 0) {  // tags stay private
    json body = *patch;
    body["$version"] = twin.desired_version;
    port_.publish(c->client_id, twin_desired_topic(twin.desired_version), body.dump(), 0);
  }
}

// IoT Hub's feedback receiver: the oldest records (at most `limit`, default 64 as IoT Hub batches them), removed
// once handed out.
void Hub::op_c2d_feedback(const std::string& client, const std::string& cid, const json& f) {
  std::string error;
  auto limit = optional_int(f, "limit", error);
  if (!error.empty()) return respond_error(client, cid, 400, 400004, error);
  std::int64_t n = limit.value_or(64);
  if (n < 1 || n > 1000) return respond_error(client, cid, 400, 400004, "limit must be between 1 and 1000");
  json records = json::array();
  for (auto& r : store_.feedback_take(static_cast<int>(n))) {
    records.push_back(json{{"originalMessageId", r.message_id},
                           {"deviceId", r.device_id},
                           {"statusCode", r.status},
                           {"description", r.description},
                           {"enqueuedTimeUtc", iso8601_utc(r.enqueued_ms)}});
  }
  respond(client, cid, 200, json{{"records", records}});
}

void Hub::op_telemetry_query(const std::string& client, const std::string& cid, const json& f) {
  std::string error;
  auto pattern = optional_string(f, "deviceId", error);
  auto since = optional_int(f, "sinceMs", error);
  auto limit = optional_int(f, "limit", error);
  // afterSequence: the first `limit` rows after it (oldest first: a replay pages through); without it the newest.
  auto after = optional_int(f, "afterSequence", error);
  if (!error.empty()) return respond_error(client, cid, 400, 400004, error);
  std::int64_t n = limit.value_or(100);
  if (n < 1 || n > 10000) return respond_error(client, cid, 400, 400004, "limit must be between 1 and 10000");
  json messages = json::array();
  auto rows = after ? store_.telemetry_first(pattern.value_or(""), since.value_or(0), *after, static_cast<int>(n))
                    : store_.telemetry_query(pattern.value_or(""), since.value_or(0), static_cast<int>(n));
  for (auto& r : rows) {
    auto event = json::parse(r.event_json, nullptr, false);
    if (!event.is_discarded()) messages.push_back(std::move(event));
  }
  respond(client, cid, 200, json{{"messages", messages}});
}

}  // namespace picohub::hub
