#!/usr/bin/python3
"""Starts the pyftpdlib peer for the benchmarks.

What `python3 -m pyftpdlib -i 127.0.0.1 -p PORT -w -d ROOT` does (anonymous,
writable, the library's default FTPHandler and FTPServer), with logging at
WARNING: the CLI logs every command at INFO, which the other servers in the
table do not do.

Usage: pyftpdlib_server.py <port> <root>
"""

import logging
import sys

from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import FTPHandler
from pyftpdlib.servers import FTPServer


def main():
    port, root = int(sys.argv[1]), sys.argv[2]
    logging.basicConfig(level=logging.WARNING)
    authorizer = DummyAuthorizer()
    authorizer.add_anonymous(root, perm="elradfmwMT")
    handler = FTPHandler
    handler.authorizer = authorizer
    server = FTPServer(("127.0.0.1", port), handler)
    print("ready", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
