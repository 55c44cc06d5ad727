#!/usr/bin/env python3
"""A Tend leadership plugin in Python 3, standard library only (docs/protocol.md, "Leadership").

Tend's `plugin` leadership backend asks this process whether its manager leads. Here the answer
comes from a tiny lease elector standing in for Consul, ZooKeeper or an in-house system: the first
campaigning manager to ask while the seat is free gets it with the next epoch; the holder keeps it
by asking at least every --ttl seconds; Resign frees it. An operator can move leadership with
Leadership.Depose. The epoch counter is kept in a file so it keeps growing across restarts.

    python3 leader_plugin.py --dir /tmp/tend-plugins --name leader --ttl 2
"""

import argparse
import json
import os
import signal
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from instance_plugin import Handler, RpcError, INVALID_PARAMS, Server, remove_stale_socket  # noqa: E402


def name_param(params, key="Name"):
    value = params.get(key)
    if not isinstance(value, str) or not value or len(value) > 256:
        raise RpcError(INVALID_PARAMS, "invalid params: params.%s: expected a name of 1 to 256 characters, got %s"
                       % (key, json.dumps(value)))
    return value


class Elector:
    def __init__(self, epoch_file, ttl):
        self.lock = threading.Lock()
        self.epoch_file, self.ttl = epoch_file, ttl
        self.holder = None  # {"Name", "Address", "Epoch"}
        self.seen = 0.0  # monotonic time the holder last asked
        try:
            with open(epoch_file) as f:
                self.epoch = int(f.read().strip() or "0")
        except FileNotFoundError:
            self.epoch = 0

    def next_epoch(self):
        self.epoch += 1
        tmp = self.epoch_file + ".tmp"
        with open(tmp, "w") as f:
            f.write(str(self.epoch))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.epoch_file)
        return self.epoch

    def status(self, params):
        name = name_param(params)
        address = params.get("Address")
        if address is not None and not isinstance(address, str):
            raise RpcError(INVALID_PARAMS, "invalid params: params.Address: expected a string")
        campaign = params.get("Campaign") is True
        with self.lock:
            now = time.monotonic()
            if self.holder is not None and now - self.seen > self.ttl:
                self.holder = None  # the holder stopped asking: its lease ran out
            if self.holder is None and campaign:
                self.holder = {"Name": name, "Epoch": self.next_epoch()}
                if address:
                    self.holder["Address"] = address
            if self.holder is not None and self.holder["Name"] == name:
                self.seen = now
            return {"Leader": dict(self.holder) if self.holder else None}

    def resign(self, params):
        name = name_param(params)
        epoch = params.get("Epoch")
        with self.lock:
            if self.holder is not None and self.holder["Name"] == name and self.holder["Epoch"] == epoch:
                self.holder = None
        return {"OK": True}

    def depose(self, params):
        with self.lock:
            self.holder = None
        return {"OK": True}


def main():
    parser = argparse.ArgumentParser(description="leadership plugin: a tiny lease elector")
    parser.add_argument("--name", default="leader", help="plugin name = socket file name")
    parser.add_argument("--dir", default=os.environ.get("TEND_PLUGIN_DIR")
                        or os.path.expanduser("~/.tend/plugins"))
    parser.add_argument("--ttl", type=float, default=2.0,
                        help="seconds a holder may go without asking before the seat is free")
    args = parser.parse_args()
    os.makedirs(args.dir, mode=0o700, exist_ok=True)
    path = os.path.join(args.dir, args.name)
    if len(path.encode()) > 107:
        sys.exit("leader_plugin: socket path %s is longer than 107 bytes" % path)
    remove_stale_socket(path)
    elector = Elector(path + ".epoch", args.ttl)
    old_umask = os.umask(0o177)  # the socket is created mode 0600
    try:
        server = Server(path, Handler)
    finally:
        os.umask(old_umask)
    server.methods = {
        "Handshake.Implements": lambda params: {"APIs": [{"Name": "Leadership", "Version": "0.1.0"}]},
        "Leadership.Status": elector.status,
        "Leadership.Resign": elector.resign,
        "Leadership.Depose": elector.depose,
    }

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
