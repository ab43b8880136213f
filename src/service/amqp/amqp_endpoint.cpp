#include "service/amqp/amqp_endpoint.hpp"

#include "service/amqp/connection_handler.hpp"
#include "service/amqp/sasl_plain.hpp"

#include <proton/connection_options.hpp>
#include <proton/container.hpp>
#include <proton/listen_handler.hpp>
#include <proton/listener.hpp>
#include <proton/ssl.hpp>

#include <future>
#include <set>
#include <thread>

namespace picohub::service::amqp {

namespace {
std::string first_label(const std::string& host) { return host.substr(0, host.find('.')); }
}  // namespace

// Accepts connections: each gets its own ConnectionHandler, kept alive here until its transport closes (and by
// any hub call still in flight for it).
struct AmqpEndpoint::Impl : proton::listen_handler {
  EndpointContext context;
  PortWorker worker;
  proton::container container{"picohub-amqp"};
  proton::listener listener;
  std::thread thread;
  std::promise<std::string> opened;  // "" on success, else the reason
  std::set<std::shared_ptr<ConnectionHandler>> handlers;
  bool stopped = false;

  void on_open(proton::listener& l) override {
    context.listen_port = l.port();
    opened.set_value("");
  }
  void on_error(proton::listener&, const std::string& what) override { opened.set_value(what); }

  proton::connection_options on_accept(proton::listener&) override {
    auto handler = std::make_shared<ConnectionHandler>(context);
    std::erase_if(handlers, [](const auto& h) { return h->finished(); });  // Proton thread: closed ones are done
    handlers.insert(handler);
    // TLS always; SASL ANONYMOUS (Event Hubs clients) and PLAIN (sasl_plain.hpp) offered, and a client that skips
    // the SASL layer altogether (azure-iothub over rhea) is let through: authorization is the CBS token.
    proton::ssl_certificate cert(context.options.certificate.string(), context.options.private_key.string());
    return proton::connection_options()
        .handler(*handler)
        .ssl_server_options(proton::ssl_server_options(cert))
        .sasl_enabled(true)
        .sasl_allowed_mechs("ANONYMOUS PLAIN")
        .sasl_allow_insecure_mechs(true);
  }
};

AmqpEndpoint::AmqpEndpoint(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

AmqpEndpoint::~AmqpEndpoint() { stop(); }

int AmqpEndpoint::port() const { return impl_->context.listen_port; }

tl::expected<std::unique_ptr<AmqpEndpoint>, std::string> AmqpEndpoint::start(const AmqpOptions& options, HubPort& hub) {
  auto impl = std::make_unique<Impl>();
  impl->context.options = options;
  impl->context.hub = &hub;
  impl->context.worker = &impl->worker;
  impl->context.event_hub_name = options.event_hub_name.empty() ? first_label(hub.host_name()) : options.event_hub_name;
  impl->context.hub_host = hub.host_name();
  impl->container.auto_stop(false);
  install_endpoint_sasl();
  auto opened = impl->opened.get_future();
  try {
    impl->listener = impl->container.listen(options.bind + ":" + std::to_string(options.port), *impl);
  } catch (const std::exception& e) {
    return tl::unexpected(std::string("cannot listen on ") + options.bind + ":" + std::to_string(options.port) + ": " +
                          e.what());
  }
  Impl* raw = impl.get();
  impl->thread = std::thread([raw] { raw->container.run(); });
  const std::string why = opened.get();
  std::unique_ptr<AmqpEndpoint> endpoint(new AmqpEndpoint(std::move(impl)));
  if (!why.empty()) {
    endpoint->stop();
    return tl::unexpected("cannot listen on " + options.bind + ":" + std::to_string(options.port) + ": " + why);
  }
  return endpoint;
}

void AmqpEndpoint::stop() {
  if (!impl_ || impl_->stopped) return;
  impl_->stopped = true;
  impl_->container.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

}  // namespace picohub::service::amqp
