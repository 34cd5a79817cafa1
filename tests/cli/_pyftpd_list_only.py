"""pyftpdlib on a free loopback port without MLSD/MLST, so clients fall back
to LIST (whole-minute times). User "u" / password "p" may do everything in
ROOT. Prints "READY <port>" when listening.

Usage: /usr/bin/python3 _pyftpd_list_only.py ROOT
"""
import sys

from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import FTPHandler
from pyftpdlib.servers import FTPServer


def main():
    authorizer = DummyAuthorizer()
    authorizer.add_user("u", "p", sys.argv[1], perm="elradfmwMT")

    class ListOnlyHandler(FTPHandler):
        proto_cmds = {k: v for k, v in FTPHandler.proto_cmds.items() if k not in ("MLSD", "MLST")}

    ListOnlyHandler.authorizer = authorizer
    server = FTPServer(("127.0.0.1", 0), ListOnlyHandler)
    print("READY %d" % server.socket.getsockname()[1], flush=True)
    server.serve_forever(handle_exit=True)


if __name__ == "__main__":
    main()
