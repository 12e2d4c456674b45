#!/usr/bin/env python3
"""The warehouse of the HTTP end-to-end test: a Flask app instrumented with
the official opentelemetry-instrumentation-flask, as in the tutorial.

POST /orders reserves stock (a span of its own) and answers 202 with the
baggage it received, which it also records on its server span as
`test.baggage`. Spans go over OTLP/HTTP to OTEL_EXPORTER_OTLP_ENDPOINT, one
export per span as it ends (SimpleSpanProcessor), so nothing waits in a
queue when the test stops us.

Listens on 127.0.0.1, on a free port, prints "ready port=N", and stops when
its standard input closes (so it also stops if the test dies).
"""
import json
import sys
import threading

from flask import Flask, request
from opentelemetry import baggage, trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.flask import FlaskInstrumentor
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from werkzeug.serving import make_server

provider = TracerProvider()  # service.name from OTEL_SERVICE_NAME
provider.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter()))
trace.set_tracer_provider(provider)
tracer = trace.get_tracer("warehouse")

app = Flask(__name__)
FlaskInstrumentor().instrument_app(app)


@app.route("/orders", methods=["POST"])
def receive_order():
    seen = {key: str(value) for key, value in baggage.get_all().items()}
    trace.get_current_span().set_attribute("test.baggage", json.dumps(seen, sort_keys=True))
    with tracer.start_as_current_span("reserve_stock") as span:
        span.set_attribute("items", request.get_json()["items"])
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


if __name__ == "__main__":
    main()
