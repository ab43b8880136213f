/* The peer for bench 1: Eclipse Paho MQTT C (MQTTClient, OpenSSL build paho-mqtt3cs) publishing N QoS 1
 * telemetry messages over TLS, with at most WINDOW PUBACKs outstanding. Paho runs in callback mode
 * (MQTTClient_setCallbacks: a background thread reads and calls deliveryComplete on each PUBACK): its
 * synchronous MQTTClient_waitForCompletion polls in 100 ms yields and manages only ~10 msg/s at window 1,
 * which would be an unfair comparison. Same topic, body and flow as
 * bench/device_publisher.cpp so the two can be compared line for line.
 *
 *   paho_publisher --host localhost --port P --ca ca.crt --count N [--window W] [--trace-level error]
 *
 * --trace-level error: MQTTClient_setTraceLevel(MQTTCLIENT_TRACE_ERROR) before anything else, so the stock
 * library's in-memory trace keeps only errors (its default records every function entry and exit). Heap
 * tracking and the per-thread call-stack bookkeeping stay: only a PAHO_HIGH_PERFORMANCE build drops those.
 *
 * Prints one line: "paho count=N window=W seconds=S msgs_per_s=R" (publish phase only: from the first
 * PUBLISH to the last PUBACK, connect and TLS handshake excluded). Exit 1 on any failure, with the reason. */
#include <MQTTClient.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TOPIC "devices/bench/messages/events/%24.ct=application%2Fjson&%24.ce=utf-8"
#define MAX_WINDOW 65535

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t acked_cond = PTHREAD_COND_INITIALIZER;
static long acked = 0;
static int lost = 0;

static void on_delivered(void* context, MQTTClient_deliveryToken token) {
  (void)context;
  (void)token;
  pthread_mutex_lock(&lock);
  ++acked;
  pthread_cond_signal(&acked_cond);
  pthread_mutex_unlock(&lock);
}

static int on_message(void* context, char* topic, int topic_len, MQTTClient_message* message) {
  (void)context;
  (void)topic_len;
  MQTTClient_freeMessage(&message);
  MQTTClient_free(topic);
  return 1;
}

static void on_lost(void* context, char* cause) {
  (void)context;
  fprintf(stderr, "paho: connection lost (%s)\n", cause ? cause : "no reason given");
  pthread_mutex_lock(&lock);
  lost = 1;
  pthread_cond_signal(&acked_cond);
  pthread_mutex_unlock(&lock);
}

/* Blocks until at least `target` PUBACKs have arrived; 0 on success, -1 on timeout or lost connection. */
static int wait_acked(long target) {
  struct timespec deadline;
  clock_gettime(CLOCK_REALTIME, &deadline);
  deadline.tv_sec += 10;
  int rc = 0;
  pthread_mutex_lock(&lock);
  while (acked < target && !lost && rc == 0) rc = pthread_cond_timedwait(&acked_cond, &lock, &deadline);
  int ok = acked >= target;
  pthread_mutex_unlock(&lock);
  return ok ? 0 : -1;
}

static int usage(void) {
  fprintf(stderr, "usage: paho_publisher --host H --port P --ca FILE --count N [--window W] [--trace-level error]\n");
  return 2;
}

int main(int argc, char** argv) {
  const char* host = "localhost";
  const char* ca = NULL;
  int port = 0, count = 1000, window = 1, quiet_trace = 0;
  for (int i = 1; i < argc; ++i) {
    if (i + 1 >= argc) return usage();
    if (!strcmp(argv[i], "--host")) host = argv[++i];
    else if (!strcmp(argv[i], "--port")) port = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--ca")) ca = argv[++i];
    else if (!strcmp(argv[i], "--count")) count = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--window")) window = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--trace-level") && !strcmp(argv[i + 1], "error")) quiet_trace = ++i > 0;
    else return usage();
  }
  if (!ca || port <= 0 || count < 0 || window < 1 || window > MAX_WINDOW) return usage();

  if (quiet_trace) MQTTClient_setTraceLevel(MQTTCLIENT_TRACE_ERROR);
  char uri[300];
  snprintf(uri, sizeof uri, "ssl://%s:%d", host, port);
  MQTTClient client;
  int rc = MQTTClient_create(&client, uri, "bench", MQTTCLIENT_PERSISTENCE_NONE, NULL);
  if (rc != MQTTCLIENT_SUCCESS) {
    fprintf(stderr, "paho: MQTTClient_create failed (%d)\n", rc);
    return 1;
  }
  if ((rc = MQTTClient_setCallbacks(client, NULL, on_lost, on_message, on_delivered)) != MQTTCLIENT_SUCCESS) {
    fprintf(stderr, "paho: MQTTClient_setCallbacks failed (%d)\n", rc);
    return 1;
  }
  MQTTClient_SSLOptions ssl = MQTTClient_SSLOptions_initializer;
  ssl.trustStore = ca;
  ssl.enableServerCertAuth = 1;
  ssl.verify = 1; /* host-name check, as our client does */
  MQTTClient_connectOptions opts = MQTTClient_connectOptions_initializer;
  opts.keepAliveInterval = 60;
  opts.cleansession = 1;
  opts.ssl = &ssl;
  opts.maxInflightMessages = window;
  if ((rc = MQTTClient_connect(client, &opts)) != MQTTCLIENT_SUCCESS) {
    fprintf(stderr, "paho: connect to %s failed (%d): is the broker running and is --ca its CA?\n", uri, rc);
    return 1;
  }

  char body[128];
  double start = now_s();
  for (int n = 0; n < count; ++n) {
    if (wait_acked((long)n - window + 1) != 0) { /* window full: wait for the oldest PUBACK */
      fprintf(stderr, "paho: no PUBACK for message %d within 10 s\n", n - window);
      return 1;
    }
    int len = snprintf(body, sizeof body, "{\"messageId\":%d,\"temperature\":21.5,\"humidity\":48.2}", n);
    MQTTClient_deliveryToken token = 0;
    rc = MQTTClient_publish(client, TOPIC, len, body, 1, 0, &token);
    if (rc != MQTTCLIENT_SUCCESS) {
      fprintf(stderr, "paho: publish %d failed (%d)\n", n, rc);
      return 1;
    }
  }
  if (wait_acked(count) != 0) {
    fprintf(stderr, "paho: not every PUBACK arrived within 10 s\n");
    return 1;
  }
  double seconds = now_s() - start;
  MQTTClient_disconnect(client, 1000);
  MQTTClient_destroy(&client);
  printf("paho count=%d window=%d seconds=%.4f msgs_per_s=%.0f\n", count, window, seconds,
         seconds > 0 ? count / seconds : 0.0);
  return 0;
}
