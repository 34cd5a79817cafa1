#!/usr/bin/python3
"""A trivial FTP source/sink that calibrates the load driver.

It answers just what bench/driver/ftp_load.py sends, keeps no files, sends
RETR data from one reused 1 MiB buffer (the size is the number in the file
name, e.g. `retr_1073741824.bin`) and discards STOR data into one shared
buffer. One asyncio loop serves every connection. Whatever rate the driver
reaches against it is a lower bound of what the driver can sink and source;
the harness requires it to be at least twice the fastest server's.

Usage: null_server.py --port N   (prints "ready <port>" once listening; port 0 picks one)
"""

import argparse
import asyncio
import os
import re
import socket

BLOCK = 1024 * 1024
PAYLOAD = memoryview(os.urandom(BLOCK))
SINK = bytearray(BLOCK)
SIZE_RE = re.compile(r"(\d+)")


async def serve_data(listener, command, argument, writer):
    loop = asyncio.get_running_loop()
    data, _ = await loop.sock_accept(listener)
    listener.close()
    try:
        writer.write(b"150 data\r\n")
        if command == "RETR":
            match = SIZE_RE.search(argument)
            left = int(match.group(1)) if match else 0
            while left > 0:
                n = min(left, BLOCK)
                await loop.sock_sendall(data, PAYLOAD[:n])
                left -= n
        else:
            while await loop.sock_recv_into(data, SINK):
                pass
    finally:
        data.close()
    writer.write(b"226 done\r\n")


async def handle(reader, writer):
    writer.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    listener = None
    try:
        writer.write(b"220 null\r\n")
        while True:
            raw = await reader.readline()
            if not raw:
                break
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            command, _, argument = line.partition(" ")
            command = command.upper()
            if command == "USER":
                writer.write(b"331 any password\r\n")
            elif command == "PASS":
                writer.write(b"230 in\r\n")
            elif command == "TYPE":
                writer.write(b"200 ok\r\n")
            elif command == "PASV":
                listener = socket.create_server(("127.0.0.1", 0))
                listener.setblocking(False)
                port = listener.getsockname()[1]
                writer.write(
                    f"227 Entering Passive Mode (127,0,0,1,{port // 256},{port % 256})\r\n".encode()
                )
            elif command in ("RETR", "STOR") and listener:
                await serve_data(listener, command, argument, writer)
                listener = None
            elif command == "QUIT":
                writer.write(b"221 bye\r\n")
                break
            else:
                writer.write(b"502 no\r\n")
    except OSError:
        pass
    finally:
        writer.close()


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    server = await asyncio.start_server(handle, "127.0.0.1", args.port, backlog=1024)
    print(f"ready {server.sockets[0].getsockname()[1]}", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
