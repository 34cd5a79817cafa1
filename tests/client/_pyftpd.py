"""pyftpdlib server for ftpkit's client tests.

Usage: python3 _pyftpd.py ROOT [--no-mlsx] [--tls CERT KEY]
Binds 127.0.0.1 on a free port, prints "READY <port>" and serves until killed.
User "user" / password "pw" has every permission on ROOT.
"""
import sys

from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import FTPHandler
from pyftpdlib.servers import FTPServer


def main():
    root = sys.argv[1]
    args = sys.argv[2:]
    handler = FTPHandler
    if "--tls" in args:
        from pyftpdlib.handlers import TLS_FTPHandler

        i = args.index("--tls")
        handler = TLS_FTPHandler
        handler.certfile = args[i + 1]
        handler.keyfile = args[i + 2]
        handler.tls_control_required = False
        handler.tls_data_required = False
    authorizer = DummyAuthorizer()
    authorizer.add_user("user", "pw", root, perm="elradfmwMT")
    authorizer.add_anonymous(root)
    handler = type("TestHandler", (handler,), {})
    handler.authorizer = authorizer
    handler.permit_foreign_addresses = False
    handler.banner = "pyftpdlib ready"
    if "--no-mlsx" in args:
        # A server without RFC 3659 listings: FEAT stops announcing MLST too.
        handler.proto_cmds = {
            k: v for k, v in handler.proto_cmds.items() if k not in ("MLSD", "MLST")
        }
    server = FTPServer(("127.0.0.1", 0), handler)
    port = server.socket.getsockname()[1]
    print("READY %d" % port, flush=True)
    server.serve_forever(handle_exit=True)


if __name__ == "__main__":
    main()
