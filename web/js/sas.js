// Connection strings and SAS tokens, computed in the page with WebCrypto (HMAC-SHA256), exactly as IoT Hub's
// SDKs do: sign "<url-encoded resource>\n<expiry>" with the base64-decoded key. Runs in browsers and in Node
// (globalThis.crypto.subtle, atob/btoa), so the end-to-end test signs in with this very module.

// "HostName=h;SharedAccessKeyName=n;SharedAccessKey=k" → {HostName, SharedAccessKeyName, SharedAccessKey, ...}.
export function parseConnectionString(text) {
  const fields = {};
  for (const part of String(text).trim().split(';')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    if (eq <= 0) throw new Error(`"${part}" is not Name=value`);
    fields[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  return fields;
}

// The service connection string the dashboard signs in with (picohub hub connection-string).
export function parseServiceConnectionString(text) {
  const f = parseConnectionString(text);
  for (const name of ['HostName', 'SharedAccessKeyName', 'SharedAccessKey']) {
    if (!f[name]) throw new Error(`the connection string has no ${name}: use the one "picohub hub connection-string" prints`);
  }
  base64ToBytes(f.SharedAccessKey);  // throws on a key that is not base64
  return { hostName: f.HostName, keyName: f.SharedAccessKeyName, key: f.SharedAccessKey };
}

export function base64ToBytes(b64) {
  let text;
  try {
    text = atob(b64);
  } catch {
    throw new Error('SharedAccessKey is not base64');
  }
  return Uint8Array.from(text, (c) => c.charCodeAt(0));
}

export function bytesToBase64(bytes) {
  let text = '';
  for (const b of new Uint8Array(bytes)) text += String.fromCharCode(b);
  return btoa(text);
}

async function hmacSha256Base64(keyB64, message) {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) throw new Error('WebCrypto is unavailable: open the dashboard over https:// (a secure context)');
  const key = await subtle.importKey('raw', base64ToBytes(keyB64), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return bytesToBase64(await subtle.sign('HMAC', key, new TextEncoder().encode(message)));
}

// "SharedAccessSignature sr=..&sig=..&se=..[&skn=..]" for `resource` (e.g. "hub" or "hub/devices/dev1"),
// valid until `expiry` (unix seconds).
export async function sasToken({ resource, key, keyName, expiry }) {
  const sr = encodeURIComponent(resource);
  const se = Math.floor(expiry);
  const sig = encodeURIComponent(await hmacSha256Base64(key, `${sr}\n${se}`));
  return `SharedAccessSignature sr=${sr}&sig=${sig}&se=${se}${keyName ? `&skn=${encodeURIComponent(keyName)}` : ''}`;
}

// The service token for REST calls and the live feed, signed with the connection string's policy key.
export function serviceToken(service, ttlSeconds = 3600, nowSeconds = Date.now() / 1000) {
  return sasToken({ resource: service.hostName, key: service.key, keyName: service.keyName, expiry: nowSeconds + ttlSeconds });
}

// A device's (or module's) own connection string and SAS token, as `picohub device connection-string` prints.
export function deviceConnectionString(hostName, deviceId, key, moduleId) {
  return `HostName=${hostName};DeviceId=${deviceId};${moduleId ? `ModuleId=${moduleId};` : ''}SharedAccessKey=${key}`;
}

export function deviceResource(hostName, deviceId, moduleId) {
  return `${hostName}/devices/${encodeURIComponent(deviceId)}${moduleId ? `/modules/${encodeURIComponent(moduleId)}` : ''}`;
}

export function deviceToken(hostName, deviceId, key, ttlSeconds, moduleId, nowSeconds = Date.now() / 1000) {
  return sasToken({ resource: deviceResource(hostName, deviceId, moduleId), key, expiry: nowSeconds + ttlSeconds });
}
