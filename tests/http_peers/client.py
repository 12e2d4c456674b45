#!/usr/bin/env python3
"""The caller of the HTTP end-to-end test: Python's requests, instrumented
with the official opentelemetry-instrumentation-requests, as in the tutorial.

Inside a root span `checkout`, with the baggage entry tenant=acme, POSTs one
order to the URL given as the only argument, logging before and after it;
prints the response's status and body; exports its spans, log records and
metrics over OTLP/HTTP to OTEL_EXPORTER_OTLP_ENDPOINT before it exits.
Exits 1 unless the answer is a 2xx.

Its metrics: the SDK's `MeterProvider`, registered globally before the
requests instrumentation makes its instruments, reads them with a
`PeriodicExportingMetricReader` (interval from OTEL_METRIC_EXPORT_INTERVAL,
60 s by default) into the `OTLPMetricExporter` over HTTP; shutting it down
sends the last reading. With OTEL_SEMCONV_STABILITY_OPT_IN=http (set by the
test) the instrumentation records the stable `http.client.request.duration`
(seconds) only, not the old `http.client.duration` (milliseconds).

It logs through Python's standard `logging`: opentelemetry-instrumentation-
logging puts the trace and span IDs into the log format (on standard error)
and installs its `LoggingHandler`, which makes each record an OpenTelemetry
log record of the current span, sent by the SDK's `LoggerProvider`.
"""
import logging
import sys

import requests
from opentelemetry import _logs, baggage, context, metrics, trace
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.logging import LoggingInstrumentor
from opentelemetry.instrumentation.requests import RequestsInstrumentor
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

provider = TracerProvider()  # service.name from OTEL_SERVICE_NAME
provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
trace.set_tracer_provider(provider)
# Before the instrumentation, which makes its instruments from the global
# meter provider when it instruments.
meter_provider = MeterProvider(  # service.name from OTEL_SERVICE_NAME
    metric_readers=[PeriodicExportingMetricReader(OTLPMetricExporter())]
)
metrics.set_meter_provider(meter_provider)
RequestsInstrumentor().instrument()
tracer = trace.get_tracer("shop-frontend")

# Before the instrumentation, whose handler sends to the global provider.
logger_provider = LoggerProvider()  # service.name from OTEL_SERVICE_NAME
logger_provider.add_log_record_processor(BatchLogRecordProcessor(OTLPLogExporter()))
_logs.set_logger_provider(logger_provider)
# The IDs in the log format, and the handler on the root logger.
LoggingInstrumentor().instrument(set_logging_format=True)
logger = logging.getLogger("shop-frontend")


def main(url):
    token = context.attach(baggage.set_baggage("tenant", "acme"))
    try:
        with tracer.start_as_current_span("checkout"):
            logger.info("placing order", extra={"order_id": 42})
            response = requests.post(url, json={"id": 42, "items": 2}, timeout=30)
            logger.info("order service answered", extra={"status": response.status_code})
    finally:
        context.detach(token)
    print(response.status_code, response.text, flush=True)
    # Exports what is left.
    provider.shutdown()
    logger_provider.shutdown()
    meter_provider.shutdown()  # the last reading
    return 0 if response.ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
