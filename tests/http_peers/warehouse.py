#!/usr/bin/env python3
"""The warehouse of the HTTP end-to-end test: a Flask app instrumented with
the official opentelemetry-instrumentation-flask, as in the tutorial.

POST /orders reserves stock (a span of its own) and answers 202 with the
baggage it received, which it also records on its server span as
`test.baggage`. Spans go over OTLP/HTTP to OTEL_EXPORTER_OTLP_ENDPOINT, one
export per span as it ends (SimpleSpanProcessor), so nothing waits in a
queue when the test stops us.

It logs through Python's standard `logging`: "order received" in the
handler (in the Flask server span) and "stock reserved" in `reserve_stock`.
opentelemetry-instrumentation-logging puts the trace and span IDs into the
log format (on standard error) and installs its `LoggingHandler` on the
root logger, which makes each record an OpenTelemetry log record with the
IDs of the current span; the SDK's `LoggerProvider` sends them over
OTLP/HTTP (BatchLogRecordProcessor), to the same endpoint.

Its metrics: the SDK's `MeterProvider`, registered globally before the
Flask instrumentation makes its instruments, reads them with a
`PeriodicExportingMetricReader` (interval from OTEL_METRIC_EXPORT_INTERVAL,
60 s by default) into the `OTLPMetricExporter` over HTTP, to the same
endpoint; shutting it down sends the last reading. With
OTEL_SEMCONV_STABILITY_OPT_IN=http (set by the test) the instrumentation
records the stable `http.server.request.duration` (seconds, by `http.route`)
and `http.server.active_requests`, not the old `http.server.duration`
(milliseconds).

Listens on 127.0.0.1, on a free port, prints "ready port=N", and stops when
its standard input closes (so it also stops if the test dies), after
exporting every span, log record and the last metric reading.
"""
import json
import logging
import sys
import threading

from flask import Flask, request
from opentelemetry import _logs, baggage, metrics, trace
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.flask import FlaskInstrumentor
from opentelemetry.instrumentation.logging import LoggingInstrumentor
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from werkzeug.serving import make_server

provider = TracerProvider()  # service.name from OTEL_SERVICE_NAME
provider.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter()))
trace.set_tracer_provider(provider)
tracer = trace.get_tracer("warehouse")

# Before the instrumentation, which makes its instruments from the global
# meter provider in `instrument_app`.
meter_provider = MeterProvider(  # service.name from OTEL_SERVICE_NAME
    metric_readers=[PeriodicExportingMetricReader(OTLPMetricExporter())]
)
metrics.set_meter_provider(meter_provider)

# Before the instrumentation, whose handler sends to the global provider.
logger_provider = LoggerProvider()  # service.name from OTEL_SERVICE_NAME
logger_provider.add_log_record_processor(BatchLogRecordProcessor(OTLPLogExporter()))
_logs.set_logger_provider(logger_provider)
# The IDs in the log format, and the handler (its `LoggingHandler`, which
# replaces the SDK's deprecated one) on the root logger.
LoggingInstrumentor().instrument(set_logging_format=True)
# Werkzeug's access log line is written after the request's context is
# gone: a record without a trace. Its warnings and errors still count.
logging.getLogger("werkzeug").setLevel(logging.WARNING)
logger = logging.getLogger("warehouse")

app = Flask(__name__)
FlaskInstrumentor().instrument_app(app)


@app.route("/orders", methods=["POST"])
def receive_order():
    order = request.get_json()
    logger.info("order received", extra={"order_id": order["id"], "items": order["items"]})
    seen = {key: str(value) for key, value in baggage.get_all().items()}
    trace.get_current_span().set_attribute("test.baggage", json.dumps(seen, sort_keys=True))
    with tracer.start_as_current_span("reserve_stock") as span:
        span.set_attribute("items", order["items"])
        logger.info("stock reserved", extra={"order_id": order["id"]})
    return {"status": "reserved", "baggage": seen}, 202


def main():
    server = make_server("127.0.0.1", 0, app, threaded=True)
    print(f"ready port={server.server_port}", flush=True)

    def stop_at_eof():
        sys.stdin.read()
        server.shutdown()

    threading.Thread(target=stop_at_eof, daemon=True).start()
    server.serve_forever()
    provider.shutdown()
    logger_provider.shutdown()  # exports what is left
    meter_provider.shutdown()  # the last reading


if __name__ == "__main__":
    main()
