#!/usr/bin/env python3
"""Minimal OTLP trace, logs and metrics receiver for end-to-end tests.

Listens for OTLP traces and logs over gRPC, HTTP/protobuf and HTTP/JSON on 127.0.0.1
and appends one JSON line per received span to --out (with --ids-only, one short
line: trace, span and parent ids and the name, for load tests), and one JSON line
per log record to --out with ".logs" appended, and one per metric data point
to --out with ".metrics" appended. All decoding is done by the
official generated classes (opentelemetry-proto); this file is transport glue.

With --tls DIR, both servers speak TLS only and require a client certificate:
trustme makes a throwaway certificate authority, the servers' certificate and a
client certificate, and writes ca.pem, client.pem and client-key.pem into DIR.
"""
import argparse, base64, gzip, json, os, signal, socket, ssl, sys, threading

# Handshakes refused on purpose are logged by gRPC's core at INFO; keep errors only.
os.environ.setdefault("GRPC_VERBOSITY", "ERROR")
from concurrent import futures
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import grpc
from google.protobuf import json_format
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2 as svc
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2_grpc as svc_grpc
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2 as logs_svc
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2_grpc as logs_svc_grpc
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2 as metrics_svc
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2_grpc as metrics_svc_grpc
from opentelemetry.proto.logs.v1 import logs_pb2
from opentelemetry.proto.metrics.v1 import metrics_pb2
from opentelemetry.proto.trace.v1 import trace_pb2

Request, Response = svc.ExportTraceServiceRequest, svc.ExportTraceServiceResponse
LogsRequest, LogsResponse = logs_svc.ExportLogsServiceRequest, logs_svc.ExportLogsServiceResponse
MetricsRequest = metrics_svc.ExportMetricsServiceRequest
MetricsResponse = metrics_svc.ExportMetricsServiceResponse
# HTTP path -> (request class, response class, sink method)
SIGNALS = {"/v1/traces": (Request, Response, "write"), "/v1/logs": (LogsRequest, LogsResponse, "write_logs"),
           "/v1/metrics": (MetricsRequest, MetricsResponse, "write_metrics")}


def value(v):
    """AnyValue -> plain JSON value."""
    kind = v.WhichOneof("value")
    if kind == "array_value":
        return [value(x) for x in v.array_value.values]
    if kind == "kvlist_value":
        return attrs(v.kvlist_value.values)
    if kind == "bytes_value":
        return v.bytes_value.hex()
    return getattr(v, kind) if kind else None


def attrs(kvs):
    return {kv.key: value(kv.value) for kv in kvs}


def enum_name(enum, n):
    try:
        return enum.Name(n)
    except ValueError:  # value unknown to this proto version: keep the number
        return n


class Sink:
    """Appends one JSON line per span; a lock keeps concurrent requests' lines whole."""

    def __init__(self, path, tls, ids_only):
        self.file, self.lock, self.tls = open(path, "a", encoding="utf-8"), threading.Lock(), tls
        self.logs = open(path + ".logs", "a", encoding="utf-8")
        self.metrics = open(path + ".metrics", "a", encoding="utf-8")
        self.ids_only = ids_only

    def write_logs(self, req, transport, compressed):
        """One JSON line per log record."""
        lines = []
        for rl in req.resource_logs:
            resource = attrs(rl.resource.attributes)
            for sl in rl.scope_logs:
                scope = {"name": sl.scope.name, "version": sl.scope.version}
                for r in sl.log_records:
                    lines.append(json.dumps({
                        "transport": transport, "compressed": compressed, "tls": self.tls,
                        "resource": resource, "scope": scope,
                        "trace_id": r.trace_id.hex(), "span_id": r.span_id.hex(),
                        "flags": r.flags,
                        "time_unix_nano": r.time_unix_nano,
                        "severity_number": enum_name(logs_pb2.SeverityNumber, r.severity_number),
                        "severity_text": r.severity_text, "event_name": r.event_name,
                        "body": value(r.body), "attributes": attrs(r.attributes),
                    }))
        with self.lock:
            self.logs.writelines(line + "\n" for line in lines)
            self.logs.flush()

    def write(self, req, transport, compressed):
        if self.ids_only:
            return self.write_ids(req)
        lines = []
        for rs in req.resource_spans:
            resource = attrs(rs.resource.attributes)
            for ss in rs.scope_spans:
                scope = {"name": ss.scope.name, "version": ss.scope.version}
                for s in ss.spans:
                    lines.append(json.dumps({
                        "transport": transport, "compressed": compressed, "tls": self.tls,
                        "resource": resource, "scope": scope,
                        "trace_id": s.trace_id.hex(), "span_id": s.span_id.hex(),
                        "parent_span_id": s.parent_span_id.hex(), "name": s.name,
                        "kind": enum_name(trace_pb2.Span.SpanKind, s.kind),
                        "attributes": attrs(s.attributes),
                        "status": {"code": enum_name(trace_pb2.Status.StatusCode, s.status.code),
                                   "message": s.status.message},
                        "events": [{"name": e.name, "attributes": attrs(e.attributes)} for e in s.events],
                    }))
        with self.lock:
            self.file.writelines(line + "\n" for line in lines)
            self.file.flush()


    def write_metrics(self, req, transport, compressed):
        """One JSON line per data point, with its metric's name, unit and kind."""
        lines = []
        for rm in req.resource_metrics:
            resource = attrs(rm.resource.attributes)
            for sm in rm.scope_metrics:
                scope = {"name": sm.scope.name, "version": sm.scope.version}
                for m in sm.metrics:
                    kind = m.WhichOneof("data")
                    data = getattr(m, kind)
                    temporality = enum_name(metrics_pb2.AggregationTemporality,
                                            getattr(data, "aggregation_temporality", 0))
                    for p in data.data_points:
                        point = {"attributes": attrs(p.attributes),
                                 "start_time_unix_nano": p.start_time_unix_nano,
                                 "time_unix_nano": p.time_unix_nano}
                        if kind == "histogram":
                            point.update(count=p.count, sum=p.sum, bucket_counts=list(p.bucket_counts),
                                         explicit_bounds=list(p.explicit_bounds),
                                         exemplars=[{"trace_id": e.trace_id.hex(), "span_id": e.span_id.hex()}
                                                    for e in p.exemplars])
                        else:
                            point["value"] = getattr(p, p.WhichOneof("value"))
                        lines.append(json.dumps({
                            "transport": transport, "compressed": compressed, "tls": self.tls,
                            "resource": resource, "scope": scope, "name": m.name, "unit": m.unit,
                            "kind": kind, "temporality": temporality,
                            "monotonic": getattr(data, "is_monotonic", None), "point": point,
                        }))
        with self.lock:
            self.metrics.writelines(line + "\n" for line in lines)
            self.metrics.flush()

    def write_ids(self, req):
        """One short line per span: trace, span and parent ids (hex; "-" for none), name."""
        lines = [f"{s.trace_id.hex()} {s.span_id.hex()} {s.parent_span_id.hex() or '-'} {s.name}\n"
                 for rs in req.resource_spans for ss in rs.scope_spans for s in ss.spans]
        with self.lock:
            self.file.writelines(lines)
            self.file.flush()


class GrpcSniffer:
    """Plain TCP proxy in front of the gRPC server.

    grpcio decompresses requests itself and hides `grpc-encoding` from the servicer, so to
    report `compressed` we read the gRPC message prefix's compressed-flag byte from the
    first HTTP/2 DATA frame of each stream, keyed by the proxy's upstream port, which the
    servicer sees as context.peer(). Bytes are forwarded unchanged.
    """

    def __init__(self, port, upstream_port):
        self.listener = socket.create_server(("127.0.0.1", port))
        self.port, self.upstream = self.listener.getsockname()[1], upstream_port
        self.compressed = {}  # upstream local port -> flag of the latest message seen
        threading.Thread(target=self.accept_loop, daemon=True).start()

    def accept_loop(self):
        while True:
            client, _ = self.listener.accept()
            server = socket.create_connection(("127.0.0.1", self.upstream))
            key = server.getsockname()[1]
            threading.Thread(target=self.pipe, args=(client, server, key), daemon=True).start()
            threading.Thread(target=self.pipe, args=(server, client, None), daemon=True).start()

    def pipe(self, src, dst, key):
        buf, seen, skip = b"", set(), 24  # skip = bytes of the client preface left to drop
        try:
            while data := src.recv(65536):
                if key is not None:  # only client->server traffic is inspected
                    buf += data
                    cut = min(skip, len(buf))
                    buf, skip = buf[cut:], skip - cut
                    buf = self.scan(buf, key, seen)
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):  # either side closing ends the whole connection
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def scan(self, buf, key, seen):
        """Consume the complete HTTP/2 frames in buf; return the incomplete rest."""
        while len(buf) >= 9:
            n = int.from_bytes(buf[:3], "big")
            if len(buf) < 9 + n:
                break
            ftype, flags, stream = buf[3], buf[4], int.from_bytes(buf[5:9], "big") & 0x7FFFFFFF
            payload, buf = buf[9:9 + n], buf[9 + n:]
            if ftype == 0 and stream not in seen:  # a stream's first DATA starts with the flag
                payload = payload[1:] if flags & 0x8 else payload  # PADDED: skip pad length
                if payload:
                    seen.add(stream)
                    self.compressed[key] = payload[0] == 1
        return buf


def compressed(sniffer, context):
    """Whether the request's message was compressed; None behind TLS, where the sniffer cannot read."""
    if not sniffer:
        return None
    port = int(context.peer().rsplit(":", 1)[1])  # "ipv4:127.0.0.1:PORT"
    return sniffer.compressed.get(port, False)


class TraceService(svc_grpc.TraceServiceServicer):
    def __init__(self, sink, sniffer):
        self.sink, self.sniffer = sink, sniffer

    def Export(self, request, context):
        self.sink.write(request, "grpc", compressed(self.sniffer, context))
        return Response()


class LogsService(logs_svc_grpc.LogsServiceServicer):
    def __init__(self, sink, sniffer):
        self.sink, self.sniffer = sink, sniffer

    def Export(self, request, context):
        self.sink.write_logs(request, "grpc", compressed(self.sniffer, context))
        return LogsResponse()


class MetricsService(metrics_svc_grpc.MetricsServiceServicer):
    def __init__(self, sink, sniffer):
        self.sink, self.sniffer = sink, sniffer

    def Export(self, request, context):
        self.sink.write_metrics(request, "grpc", compressed(self.sniffer, context))
        return MetricsResponse()


# OTLP/JSON carries ids as hex, protobuf's JSON mapping expects base64 for bytes fields.
ID_KEYS = {"traceId", "spanId", "parentSpanId", "trace_id", "span_id", "parent_span_id"}


def hex_ids_to_base64(node):
    if isinstance(node, dict):
        for k, v in node.items():
            if k in ID_KEYS and isinstance(v, str):
                node[k] = base64.b64encode(bytes.fromhex(v)).decode()
            else:
                hex_ids_to_base64(v)
    elif isinstance(node, list):
        for v in node:
            hex_ids_to_base64(v)


def make_handler(sink):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as OTLP HTTP clients reuse connections

        def log_message(self, *args):  # one line per request would drown the test output
            pass

        def reply(self, code, body=b"", ctype="text/plain"):
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self):
            # Always drain the body first so the kept-alive connection stays in sync.
            if self.headers.get("Content-Length") is None:
                return self.reply(411, b"Content-Length required")
            body = self.rfile.read(int(self.headers["Content-Length"]))
            signal = SIGNALS.get(self.path.split("?")[0])
            if signal is None:
                return self.reply(404, b"not found")
            request_class, response_class, write = signal
            ctype = self.headers.get("Content-Type", "").split(";")[0].strip().lower()
            if ctype not in ("application/x-protobuf", "application/json"):
                return self.reply(415, b"unsupported content type")
            compressed = self.headers.get("Content-Encoding", "").strip().lower() == "gzip"
            try:
                data = gzip.decompress(body) if compressed else body
                if ctype == "application/json":
                    doc = json.loads(data)
                    hex_ids_to_base64(doc)
                    req = json_format.Parse(json.dumps(doc), request_class(), ignore_unknown_fields=True)
                else:
                    req = request_class.FromString(data)
            except Exception as e:  # any malformed payload is the client's fault: 400, keep serving
                return self.reply(400, f"bad request: {e}".encode())
            if ctype == "application/json":
                getattr(sink, write)(req, "http/json", compressed)
                self.reply(200, b"{}", "application/json")
            else:
                getattr(sink, write)(req, "http/protobuf", compressed)
                self.reply(200, response_class().SerializeToString(), "application/x-protobuf")

    return Handler


def certificates(directory):
    """A throwaway CA, the servers' certificate, and a client certificate (written out)."""
    import trustme

    ca = trustme.CA()
    server = ca.issue_cert("127.0.0.1", "localhost")
    client = ca.issue_cert("otel-runtime-test-client")
    ca.cert_pem.write_to_path(os.path.join(directory, "ca.pem"))
    client.cert_chain_pems[0].write_to_path(os.path.join(directory, "client.pem"))
    client.private_key_pem.write_to_path(os.path.join(directory, "client-key.pem"))
    return ca, server


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True, help="JSON-lines file to append spans to")
    ap.add_argument("--grpc-port", type=int, default=0, help="0 = ephemeral")
    ap.add_argument("--http-port", type=int, default=0, help="0 = ephemeral")
    ap.add_argument("--tls", metavar="DIR", help="serve TLS only, with certificates written to DIR")
    ap.add_argument("--ids-only", action="store_true",
                    help="write only ids and name per span, for load tests")
    args = ap.parse_args()
    sink = Sink(args.out, bool(args.tls), args.ids_only)

    # grpcio accepts gzip/deflate-compressed requests by default; nothing to enable.
    grpc_server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    if args.tls:
        ca, server = certificates(args.tls)
        chain = b"".join(pem.bytes() for pem in server.cert_chain_pems)
        credentials = grpc.ssl_server_credentials(
            [(server.private_key_pem.bytes(), chain)],
            root_certificates=ca.cert_pem.bytes(), require_client_auth=True)
        sniffer, grpc_port = None, grpc_server.add_secure_port(f"127.0.0.1:{args.grpc_port}", credentials)
    else:
        # The real server listens on an internal ephemeral port; clients talk to the sniffer.
        inner_port = grpc_server.add_insecure_port("127.0.0.1:0")
        if inner_port == 0:
            sys.exit("cannot bind the internal gRPC port")
        sniffer = GrpcSniffer(args.grpc_port, inner_port)
        grpc_port = sniffer.port
    svc_grpc.add_TraceServiceServicer_to_server(TraceService(sink, sniffer), grpc_server)
    logs_svc_grpc.add_LogsServiceServicer_to_server(LogsService(sink, sniffer), grpc_server)
    metrics_svc_grpc.add_MetricsServiceServicer_to_server(MetricsService(sink, sniffer), grpc_server)
    grpc_server.start()

    http_server = ThreadingHTTPServer(("127.0.0.1", args.http_port), make_handler(sink))
    http_server.daemon_threads = True
    if args.tls:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        server.configure_cert(context)
        ca.configure_trust(context)
        context.verify_mode = ssl.CERT_REQUIRED
        # The handshake happens in the handler's thread, so a client that fails it
        # cannot stall the accept loop.
        http_server.socket = context.wrap_socket(
            http_server.socket, server_side=True, do_handshake_on_connect=False)
        # A client refused by the handshake is what the refusal tests expect: no traceback.
        default_handle_error = http_server.handle_error
        http_server.handle_error = lambda request, address: (
            None if isinstance(sys.exc_info()[1], ssl.SSLError) else default_handle_error(request, address))
    threading.Thread(target=http_server.serve_forever, daemon=True).start()

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    print(f"ready grpc={grpc_port} http={http_server.server_address[1]}", flush=True)
    stop.wait()
    http_server.shutdown()
    grpc_server.stop(grace=1).wait()


if __name__ == "__main__":
    main()
