#!/usr/bin/env python3
"""A Tend / InfraKit instance plugin in Python 3, standard library only.

Instances live in memory. It speaks the plugin protocol (docs/protocol.md): HTTP/1.1 POST / with a
JSON-RPC 2.0 body on a unix socket in the plugin directory, InfraKit wire names, the handshake,
and the `tend.op` idempotency tag.

    TEND_PLUGIN_DIR=/tmp/tend-plugins python3 instance_plugin.py --name pymem
"""

import argparse
import errno
import http.server
import itertools
import json
import os
import signal
import socket
import socketserver
import stat
import sys
import threading

MAX_BODY_BYTES = 4 * 1024 * 1024
BODY_TIMEOUT_SECONDS = 10

# JSON-RPC error codes; -32000 carries a Tend error kind in data.kind.
PARSE_ERROR, INVALID_REQUEST, METHOD_NOT_FOUND, INVALID_PARAMS, INTERNAL_ERROR = (
    -32700, -32600, -32601, -32602, -32603)
PLUGIN_ERROR = -32000


class RpcError(Exception):
    def __init__(self, code, message, kind=None):
        super().__init__(message)
        self.code, self.message, self.kind = code, message, kind


def plugin_error(kind, message):
    return RpcError(PLUGIN_ERROR, message, kind)


def require(params, key, kind_of, optional=False):
    """Checks one param's type; the message names the field, as Tend's own plugins do."""
    value = params.get(key)
    if value is None and optional:
        return None
    if not isinstance(value, kind_of):
        raise RpcError(INVALID_PARAMS, "invalid params: params.%s: expected %s, got %s"
                       % (key, getattr(kind_of, "__name__", "a valid value"), json.dumps(value)))
    return value


def check_tags(tags, field):
    # Go leaves a nil map as null or leaves the key out: both mean "no tags".
    if tags is None:
        return {}
    if not isinstance(tags, dict) or not all(isinstance(v, str) for v in tags.values()):
        raise RpcError(INVALID_PARAMS, "invalid params: params.%s: expected an object of strings" % field)
    return tags


class Instances:
    """In-memory instances. One lock: the server is threaded."""

    def __init__(self):
        self.lock = threading.Lock()
        self.by_id = {}
        self.ids = itertools.count(1)

    def validate(self, params):
        props = params.get("Properties")
        if props is not None and not isinstance(props, dict):
            raise plugin_error("invalid_spec", "Properties must be an object, got %s" % json.dumps(props))
        return {"Type": params.get("Type") or "", "OK": True}

    def provision(self, params):
        spec = require(params, "Spec", dict)
        tags = check_tags(spec.get("Tags"), "Spec.Tags")
        props = spec.get("Properties")
        if props is not None and not isinstance(props, dict):
            raise plugin_error("invalid_spec", "Spec.Properties must be an object")
        op = tags.get("tend.op")
        with self.lock:
            # Idempotency: a retried provision carrying the same tend.op gets the same instance.
            if op is not None:
                for inst in self.by_id.values():
                    if inst["Tags"].get("tend.op") == op:
                        return {"Type": params.get("Type") or "", "ID": inst["ID"]}
            instance_id = "py-%d" % next(self.ids)
            self.by_id[instance_id] = {
                "ID": instance_id,
                "LogicalID": spec.get("LogicalID"),
                "Tags": dict(tags),
                "Properties": {"spec": props, "init": spec.get("Init") or ""},
            }
        return {"Type": params.get("Type") or "", "ID": instance_id}

    def label(self, params):
        instance_id = require(params, "Instance", str)
        labels = check_tags(params.get("Labels"), "Labels")
        with self.lock:
            inst = self.by_id.get(instance_id)
            if inst is None:
                raise plugin_error("not_found", "instance %s does not exist" % instance_id)
            inst["Tags"].update(labels)
        return {"Type": params.get("Type") or "", "OK": True}

    def destroy(self, params):
        instance_id = require(params, "Instance", str)
        with self.lock:
            # Destroying what is already gone succeeds: the caller wanted it gone.
            self.by_id.pop(instance_id, None)
        return {"Type": params.get("Type") or "", "OK": True}

    def describe(self, params):
        tags = check_tags(params.get("Tags"), "Tags")
        with_props = params.get("Properties") is True
        found = []
        with self.lock:
            for inst in self.by_id.values():
                if all(inst["Tags"].get(k) == v for k, v in tags.items()):
                    d = {"ID": inst["ID"], "LogicalID": inst["LogicalID"], "Tags": dict(inst["Tags"])}
                    if with_props:
                        d["Properties"] = inst["Properties"]
                    found.append(d)
        return {"Type": params.get("Type") or "", "Descriptions": found}


def make_methods(instances):
    return {
        "Handshake.Implements": lambda p: {"APIs": [{"Name": "Instance", "Version": "0.5.0"}]},
        "Instance.Validate": instances.validate,
        "Instance.Provision": instances.provision,
        "Instance.Label": instances.label,
        "Instance.Destroy": instances.destroy,
        "Instance.DescribeInstances": instances.describe,
    }


def error_response(request_id, code, message, kind=None):
    error = {"code": code, "message": message}
    if kind is not None:
        error["data"] = {"kind": kind}
    return {"jsonrpc": "2.0", "id": request_id, "error": error}


def handle_one(methods, request):
    """One request object -> response object, or None for a notification."""
    valid_id = isinstance(request, dict) and type(request.get("id")) in (str, int, float, type(None))
    request_id = request.get("id") if valid_id else None
    if (not isinstance(request, dict) or request.get("jsonrpc") != "2.0"
            or not isinstance(request.get("method"), str) or not valid_id
            or not isinstance(request.get("params", {}), (dict, list))):
        return error_response(request_id, INVALID_REQUEST, "invalid request: expected jsonrpc 2.0, method and id")
    is_notification = "id" not in request
    method = methods.get(request["method"])
    params = request.get("params")
    try:
        if method is None:
            raise RpcError(METHOD_NOT_FOUND, "method not found: %s" % request["method"])
        if not isinstance(params if params is not None else {}, dict):
            raise RpcError(INVALID_PARAMS, "invalid params: expected an object")
        response = {"jsonrpc": "2.0", "id": request_id, "result": method(params or {})}
    except RpcError as e:
        response = error_response(request_id, e.code, e.message, e.kind)
    except Exception as e:  # a bug here must still give the caller a JSON-RPC answer
        response = error_response(request_id, INTERNAL_ERROR, "internal error: %s" % e)
    return None if is_notification else response


def dispatch(methods, body):
    try:
        message = json.loads(body)
    except (ValueError, UnicodeDecodeError) as e:
        return error_response(None, PARSE_ERROR, "parse error: %s" % e)
    if isinstance(message, list):
        if not message:
            return error_response(None, INVALID_REQUEST, "invalid request: empty batch")
        answers = [a for a in (handle_one(methods, m) for m in message) if a is not None]
        return answers or None
    return handle_one(methods, message)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as Tend's client expects
    timeout = BODY_TIMEOUT_SECONDS  # a client that never finishes its body is cut off

    def address_string(self):
        return "unix"  # the peer of a unix socket has no address

    def log_message(self, fmt, *args):
        if self.server.verbose:
            sys.stderr.write("instance_plugin: " + (fmt % args) + "\n")

    def send_json(self, status, value, close=False):
        body = b"" if value is None else json.dumps(value).encode()
        self.send_response(status)
        if value is not None:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        try:
            length = int(self.headers.get("Content-Length") or "")
        except ValueError:
            return self.send_json(411, error_response(None, INVALID_REQUEST, "Content-Length required"), True)
        if length > MAX_BODY_BYTES:
            return self.send_json(413, error_response(
                None, INVALID_REQUEST, "request body of %d bytes exceeds %d" % (length, MAX_BODY_BYTES)), True)
        body = self.rfile.read(length)
        if len(body) < length:
            return self.send_json(400, error_response(None, INVALID_REQUEST, "request body incomplete"), True)
        answer = dispatch(self.server.methods, body.decode("utf-8", errors="replace"))
        self.send_json(200 if answer is not None else 204, answer)


class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True
    verbose = False

    def handle_error(self, request, client_address):
        # A client that stalls or vanishes mid-request is the client's problem: drop it quietly.
        if self.verbose:
            super().handle_error(request, client_address)


def remove_stale_socket(path):
    """Removes a socket file nobody listens on; refuses to touch a live one or a non-socket."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return
    if not stat.S_ISSOCK(mode):
        sys.exit("instance_plugin: %s exists and is not a socket" % path)
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        probe.connect(path)
        sys.exit("instance_plugin: %s is in use: another process is listening on it" % path)
    except OSError as e:
        if e.errno not in (errno.ECONNREFUSED, errno.ENOENT):
            raise
        os.unlink(path)
    finally:
        probe.close()


def main():
    parser = argparse.ArgumentParser(description="in-memory instance plugin")
    parser.add_argument("--name", default="pymem", help="plugin name = socket file name")
    parser.add_argument("--dir", default=os.environ.get("TEND_PLUGIN_DIR")
                        or os.path.expanduser("~/.tend/plugins"))
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()

    os.makedirs(args.dir, mode=0o700, exist_ok=True)
    os.chmod(args.dir, 0o700)
    path = os.path.join(args.dir, args.name)
    if len(path.encode()) > 107:
        sys.exit("instance_plugin: socket path %s is longer than 107 bytes" % path)
    remove_stale_socket(path)

    old_umask = os.umask(0o177)  # the socket is created mode 0600
    try:
        server = Server(path, Handler)
    finally:
        os.umask(old_umask)
    server.methods = make_methods(Instances())
    server.verbose = args.verbose

    def stop(signum, frame):
        threading.Thread(target=server.shutdown, daemon=True).start()
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    print("listening on %s" % path, flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass


if __name__ == "__main__":
    main()
