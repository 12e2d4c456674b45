#!/usr/bin/env python3
"""The inventory of the gRPC end-to-end test: a Python gRPC server
(`grpcio`) instrumented with the official opentelemetry-instrumentation-grpc.

`shop.Inventory/Reserve` answers "reserved <item>" to the bytes it gets
(a generic handler without serializers: messages are raw bytes, as in the
Rust tests' service), and records the baggage it received as the span
attribute `test.baggage`. Spans go over OTLP/HTTP to
OTEL_EXPORTER_OTLP_ENDPOINT, one export per span as it ends.

Listens on 127.0.0.1, on a free port, prints "ready port=N", and stops when
its standard input closes, after exporting every span.
"""
import json
import sys
from concurrent import futures

import grpc
from opentelemetry import baggage, trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.grpc import GrpcInstrumentorServer
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

provider = TracerProvider()  # service.name from OTEL_SERVICE_NAME
provider.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter()))
trace.set_tracer_provider(provider)
GrpcInstrumentorServer().instrument()


def reserve(request, context):
    received = {key: str(value) for key, value in baggage.get_all().items()}
    trace.get_current_span().set_attribute("test.baggage", json.dumps(received))
    return b"reserved " + request


server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
server.add_generic_rpc_handlers(
    (
        grpc.method_handlers_generic_handler(
            "shop.Inventory",
            {"Reserve": grpc.unary_unary_rpc_method_handler(reserve)},
        ),
    )
)
port = server.add_insecure_port("127.0.0.1:0")
server.start()
print(f"ready port={port}", flush=True)
sys.stdin.read()
server.stop(grace=None).wait()
provider.shutdown()
