#!/usr/bin/env python3
"""The client of the gRPC end-to-end test: in a span `checkout`, with the
baggage `tenant=acme`, calls `shop.Orders/Place` on the Rust service at
the address given as its argument, through a `grpcio` channel
instrumented with the official opentelemetry-instrumentation-grpc, and
prints the reply. Spans go over OTLP/HTTP to OTEL_EXPORTER_OTLP_ENDPOINT.
"""
import sys

import grpc
from opentelemetry import baggage, context, trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.grpc import GrpcInstrumentorClient
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

provider = TracerProvider()  # service.name from OTEL_SERVICE_NAME
provider.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter()))
trace.set_tracer_provider(provider)
GrpcInstrumentorClient().instrument()
tracer = trace.get_tracer("shop-frontend")

token = context.attach(baggage.set_baggage("tenant", "acme"))
try:
    with tracer.start_as_current_span("checkout"):
        with grpc.insecure_channel(sys.argv[1]) as channel:
            place = channel.unary_unary("/shop.Orders/Place")
            print(place(b"shoes", timeout=30).decode())
finally:
    context.detach(token)
provider.shutdown()
