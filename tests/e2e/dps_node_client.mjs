// Child process of dps.test.mjs: Microsoft's Node DPS client (azure-iot-provisioning-device 1.9.1 +
// azure-iot-provisioning-device-mqtt 1.8.1 + azure-iot-security-symmetric-key 1.8.2) registers against the local
// hub, then Microsoft's device client (azure-iot-device-mqtt) connects to the assigned hub with the same key and
// sends one message. A child process because the hub's CA must be in NODE_EXTRA_CA_CERTS when Node starts (the DPS
// transport takes no `ca` option). Prints one JSON line: {registration, sent} or {error}. Bounded: exits by 40 s.
//   node dps_node_client.mjs DPS_HOST:PORT ID_SCOPE REGISTRATION_ID KEY
//   node dps_node_client.mjs DPS_HOST ID_SCOPE REGISTRATION_ID KEY --ws HTTPS_PORT
// With --ws both connections use the SDKs' WebSocket transports (MqttWs of azure-iot-provisioning-device-mqtt
// and of azure-iot-device-mqtt), which always dial wss://<host>:443/$iothub/websocket: the only change is that
// URI's port, to the gateway's free HTTPS port. The device then connects to the assigned hub's host name, as on
// Azure (the port in a local hub's assignedHub is its MQTT port, not the HTTPS one).
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { ProvisioningDeviceClient } = require('azure-iot-provisioning-device');
const { Mqtt: DpsMqtt, MqttWs: DpsMqttWs } = require('azure-iot-provisioning-device-mqtt');
const { SymmetricKeySecurityClient } = require('azure-iot-security-symmetric-key');
const { Client, Message } = require('azure-iot-device');
const { Mqtt, MqttWs } = require('azure-iot-device-mqtt');
const { NoRetry } = require('azure-iot-common');

const [host, idScope, registrationId, key, wsFlag, wsPortText] = process.argv.slice(2);
const wsPort = wsFlag === '--ws' ? Number(wsPortText) : 0;
const onWsPort = (uri) => uri.replace(/:443\//, `:${wsPort}/`);

class DpsMqttWsOnPort extends DpsMqttWs {
  _getConnectionUri(request) { return onWsPort(super._getConnectionUri(request)); }
}
class MqttWsOnPort extends MqttWs {
  _getBaseTransportConfig(credentials) {
    const config = super._getBaseTransportConfig(credentials);
    config.uri = onWsPort(config.uri);
    return config;
  }
}
setTimeout(() => { console.log(JSON.stringify({ error: 'timed out after 40 s' })); process.exit(3); }, 40000).unref();

try {
  const security = new SymmetricKeySecurityClient(registrationId, key);
  const dps = ProvisioningDeviceClient.create(host, idScope, wsPort ? new DpsMqttWsOnPort() : new DpsMqtt(), security);
  const registration = await dps.register();
  const out = { registration: { assignedHub: registration.assignedHub, deviceId: registration.deviceId,
                                status: registration.status, substatus: registration.substatus } };
  const hostName = registration.assignedHub.split(':')[0];
  const gateway = !wsPort && registration.assignedHub.includes(':') ? `;GatewayHostName=${registration.assignedHub}` : '';
  const cs = `HostName=${hostName};DeviceId=${registration.deviceId};SharedAccessKey=${key}${gateway}`;
  const client = Client.fromConnectionString(cs, wsPort ? MqttWsOnPort : Mqtt);
  client.setRetryPolicy(new NoRetry());
  client.on('error', () => {});
  await client.open();
  await client.sendEvent(new Message(JSON.stringify({ from: 'node-dps', registrationId })));
  await client.close();
  out.sent = 1;
  console.log(JSON.stringify(out));
  process.exit(0);
} catch (e) {
  console.log(JSON.stringify({ error: String(e && (e.message || e)), name: e && e.constructor && e.constructor.name }));
  process.exit(1);
}
