#!/usr/bin/env python3
"""The caller of the HTTP end-to-end test: Python's requests, instrumented
with the official opentelemetry-instrumentation-requests, as in the tutorial.

Inside a root span `checkout`, with the baggage entry tenant=acme, POSTs one
order to the URL given as the only argument; prints the response's status
and body; exports its spans over OTLP/HTTP to OTEL_EXPORTER_OTLP_ENDPOINT
before it exits. Exits 1 unless the answer is a 2xx.
"""
import sys

import requests
from opentelemetry import baggage, context, trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.requests import RequestsInstrumentor
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

provider = TracerProvider()  # service.name from OTEL_SERVICE_NAME
provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
trace.set_tracer_provider(provider)
RequestsInstrumentor().instrument()
tracer = trace.get_tracer("shop-frontend")


def main(url):
    token = context.attach(baggage.set_baggage("tenant", "acme"))
    try:
        with tracer.start_as_current_span("checkout"):
            response = requests.post(url, json={"id": 42, "items": 2}, timeout=30)
    finally:
        context.detach(token)
    print(response.status_code, response.text, flush=True)
    provider.shutdown()  # exports what is left
    return 0 if response.ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
