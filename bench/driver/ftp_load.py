#!/usr/bin/python3
"""Neutral FTP load driver for ftpkit's benchmarks (ftpbench's rows).

Raw sockets, no ftplib. Received data is discarded in the kernel
(`recv(MSG_TRUNC)` on TCP counts and drops bytes without copying them to user
space, like writing to /dev/null), and sent data comes from one reused 1 MiB
buffer, so the driver costs little more than the syscalls. Every
action prints one JSON object on stdout; the harness (bench/run.ts) runs one
action per measurement and takes the median of the repeats.

Actions:
  stor        one client uploads --size bytes to --remote
  retr        one client downloads --remote
  idle-stor   like stor, with --clients other clients logged in and idle
  idle-retr   like retr, with --clients other clients logged in and idle
  logins      --clients clients connect and log in at once (login_seconds),
              then all send QUIT at once (quit_seconds)
  multi-retr  --clients logged-in clients each download --remote at once
  multi-stor  --clients logged-in clients each upload --size bytes at once
              to --remote followed by the client's number

Times of the multi-client actions start when every client is connected and
logged in (a barrier) and end when the last one got its final reply. Only
`logins` connects all clients at once; the other crowds log in --parallel
at a time first.
"""

import argparse
import asyncio
import json
import os
import re
import selectors
import socket
import sys
import threading
import time

BLOCK = 1024 * 1024
PAYLOAD = memoryview(os.urandom(BLOCK))
PASV_RE = re.compile(rb"(\d+),(\d+),(\d+),(\d+),(\d+),(\d+)")


class Stopwatch:
    """Wall and CPU time (all threads) of the timed parts, summed over them.

    The harness compares the two: a driver busy for less than half of the
    timed wall time could have gone at least twice as fast.
    """

    wall = 0.0
    cpu = 0.0

    def __enter__(self):
        self.wall_start = time.perf_counter()
        self.cpu_start = time.process_time()
        return self

    def __exit__(self, *_exc):
        self.seconds = time.perf_counter() - self.wall_start
        Stopwatch.wall += self.seconds
        Stopwatch.cpu += time.process_time() - self.cpu_start
        return False


class FtpReplyError(Exception):
    """The server answered with an unexpected code."""


class Session:
    """One control connection speaking just enough FTP for the load."""

    def __init__(self, host, port, timeout):
        self.host = host
        self.timeout = timeout
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.reader = self.sock.makefile("rb")
        self.expect(b"2")

    def reply(self):
        line = self.reader.readline()
        if not line:
            raise FtpReplyError("connection closed by server")
        code = line[:3]
        if line[3:4] == b"-":
            while True:
                line = self.reader.readline()
                if not line:
                    raise FtpReplyError("connection closed in multi-line reply")
                if line[:3] == code and line[3:4] == b" ":
                    break
        return code, line

    def expect(self, first_digit, *, allow=b""):
        code, line = self.reply()
        if code[:1] != first_digit and code[:1] not in allow:
            raise FtpReplyError(line.decode("latin-1").strip())
        return code, line

    def command(self, text, first_digit=b"2", allow=b""):
        self.sock.sendall(text.encode("utf-8") + b"\r\n")
        return self.expect(first_digit, allow=allow)

    def login(self, user, password):
        code, _ = self.command(f"USER {user}", b"3", allow=b"2")
        if code[:1] == b"3":
            self.command(f"PASS {password}")
        self.command("TYPE I")

    def open_data(self):
        _, line = self.command("PASV")
        match = PASV_RE.search(line)
        if not match:
            raise FtpReplyError("bad PASV reply: " + line.decode("latin-1").strip())
        port = int(match.group(5)) * 256 + int(match.group(6))
        # The control connection's peer, not the advertised host, as clients behind NAT do.
        data = socket.create_connection((self.host, port), timeout=self.timeout)
        return data

    def retr(self, path, buffer):
        data = self.open_data()
        try:
            self.command(f"RETR {path}", b"1")
            total = 0
            while True:
                n = data.recv_into(buffer, len(buffer), socket.MSG_TRUNC)
                if n == 0:
                    break
                total += n
        finally:
            data.close()
        self.expect(b"2")
        return total

    def stor(self, path, size):
        data = self.open_data()
        try:
            self.command(f"STOR {path}", b"1")
            left = size
            while left > 0:
                n = min(left, BLOCK)
                data.sendall(PAYLOAD[:n])
                left -= n
            data.shutdown(socket.SHUT_WR)
        finally:
            data.close()
        self.expect(b"2")
        return size

    def quit(self):
        try:
            self.command("QUIT")
        finally:
            self.close()

    def close(self):
        self.reader.close()
        self.sock.close()


def connect_many(args, count):
    """Log `count` clients in, `args.parallel` at a time (the idle crowd)."""
    sessions = [None] * count
    errors = []
    lock = threading.Lock()
    next_index = [0]

    def worker():
        while True:
            with lock:
                i = next_index[0]
                next_index[0] += 1
            if i >= count:
                return
            try:
                session = Session(args.host, args.port, args.timeout)
                session.login(args.user, args.password)
                sessions[i] = session
            except Exception as exc:  # noqa: BLE001 - reported to the harness
                errors.append(repr(exc))

    threads = [threading.Thread(target=worker) for _ in range(min(args.parallel, count))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        for s in sessions:
            if s:
                s.close()
        raise FtpReplyError(f"{len(errors)} of {count} logins failed: {errors[0]}")
    return sessions


def single_transfer(args, kind):
    session = Session(args.host, args.port, args.timeout)
    session.login(args.user, args.password)
    buffer = bytearray(BLOCK)
    with Stopwatch() as watch:
        if kind == "stor":
            moved = session.stor(args.remote, args.size)
        else:
            moved = session.retr(args.remote, buffer)
    session.quit()
    if kind == "retr" and args.size and moved != args.size:
        raise FtpReplyError(f"received {moved} bytes, expected {args.size}")
    return {"seconds": watch.seconds, "bytes": moved}


def action_single(args, kind):
    return single_transfer(args, kind)


def action_idle(args, kind):
    idle = connect_many(args, args.clients)
    try:
        return single_transfer(args, kind) | {"idle_clients": len(idle)}
    finally:
        for s in idle:
            s.close()


# The many-client actions run on one asyncio loop: 200 threads fighting over
# the GIL halved the driver's aggregate rate, one loop with a shared receive
# buffer does not.

RECV_SINK = bytearray(BLOCK)


class AsyncSession:
    """The asyncio twin of Session for the many-client actions."""

    def __init__(self, host, reader, writer):
        self.host = host
        self.reader = reader
        self.writer = writer

    @classmethod
    async def open(cls, host, port):
        reader, writer = await asyncio.open_connection(host, port, limit=65536)
        writer.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        session = cls(host, reader, writer)
        await session.expect(b"2")
        return session

    async def reply(self):
        line = await self.reader.readline()
        if not line:
            raise FtpReplyError("connection closed by server")
        code = line[:3]
        if line[3:4] == b"-":
            while True:
                line = await self.reader.readline()
                if not line:
                    raise FtpReplyError("connection closed in multi-line reply")
                if line[:3] == code and line[3:4] == b" ":
                    break
        return code, line

    async def expect(self, first_digit, *, allow=b""):
        code, line = await self.reply()
        if code[:1] != first_digit and code[:1] not in allow:
            raise FtpReplyError(line.decode("latin-1").strip())
        return code, line

    async def command(self, text, first_digit=b"2", allow=b""):
        self.writer.write(text.encode("utf-8") + b"\r\n")
        return await self.expect(first_digit, allow=allow)

    async def login(self, user, password):
        code, _ = await self.command(f"USER {user}", b"3", allow=b"2")
        if code[:1] == b"3":
            await self.command(f"PASS {password}")
        await self.command("TYPE I")

    async def pasv_port(self):
        _, line = await self.command("PASV")
        match = PASV_RE.search(line)
        if not match:
            raise FtpReplyError("bad PASV reply: " + line.decode("latin-1").strip())
        return int(match.group(5)) * 256 + int(match.group(6))

    async def retr(self, path):
        loop = asyncio.get_running_loop()
        port = await self.pasv_port()
        data = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        data.setblocking(False)
        done = loop.create_future()
        try:
            await loop.sock_connect(data, (self.host, port))
            discard_into_kernel(loop, data, done)
            await self.command(f"RETR {path}", b"1")
            total = await done
        finally:
            loop.remove_reader(data.fileno())
            data.close()
        await self.expect(b"2")
        return total

    async def stor(self, path, size):
        loop = asyncio.get_running_loop()
        port = await self.pasv_port()
        data = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        data.setblocking(False)
        try:
            await loop.sock_connect(data, (self.host, port))
            await self.command(f"STOR {path}", b"1")
            left = size
            while left > 0:
                n = min(left, BLOCK)
                await loop.sock_sendall(data, PAYLOAD[:n])
                left -= n
            data.shutdown(socket.SHUT_WR)
        finally:
            data.close()
        await self.expect(b"2")
        return size

    async def quit(self):
        try:
            await self.command("QUIT")
        finally:
            self.close()

    def close(self):
        self.writer.close()


def discard_into_kernel(loop, sock, done):
    """Counts and drops what arrives on `sock` (MSG_TRUNC); resolves `done` at EOF."""
    total = 0

    def readable():
        nonlocal total
        try:
            while True:
                n = sock.recv_into(RECV_SINK, BLOCK, socket.MSG_TRUNC)
                if n == 0:
                    loop.remove_reader(sock.fileno())
                    if not done.done():
                        done.set_result(total)
                    return
                total += n
        except (BlockingIOError, InterruptedError):
            return
        except OSError as exc:
            loop.remove_reader(sock.fileno())
            if not done.done():
                done.set_exception(exc)

    loop.add_reader(sock.fileno(), readable)


async def gather_all(coroutines):
    """Runs all, returns (results, errors as text)."""
    outcomes = await asyncio.gather(*coroutines, return_exceptions=True)
    errors = [repr(o) for o in outcomes if isinstance(o, BaseException)]
    return outcomes, errors


async def open_logged_in(args, count, parallel=None):
    """Logs `count` clients in, all at once or `parallel` at a time.

    Fails with a count of the clients still waiting (for the greeting, most
    often: a server whose accept queue overflows never sees some of them).
    """
    gate = asyncio.Semaphore(parallel or count)
    progress = {"greeted": 0, "logged_in": 0}

    async def one():
        async with gate:
            s = await AsyncSession.open(args.host, args.port)
            progress["greeted"] += 1
            await s.login(args.user, args.password)
            progress["logged_in"] += 1
            return s

    tasks = [asyncio.ensure_future(one()) for _ in range(count)]
    done, pending = await asyncio.wait(tasks, timeout=args.timeout)
    for t in pending:
        t.cancel()
    sessions = [t.result() for t in done if not t.exception()]
    errors = [repr(t.exception()) for t in done if t.exception()]
    if pending or errors:
        for s in sessions:
            s.close()
        if pending:
            raise FtpReplyError(
                f"after {args.timeout:g} s, {count - progress['greeted']} of {count} clients "
                f"had no greeting and {progress['greeted'] - progress['logged_in']} were not "
                "logged in"
            )
        raise FtpReplyError(f"{len(errors)} of {count} logins failed: {errors[0]}")
    return sessions


class StormClient:
    """One client of the login storm: a non-blocking socket and where it is in the dialogue."""

    def __init__(self, sock):
        self.sock = sock
        self.buffer = b""
        self.stage = "greeting"

    def replies(self, data):
        """Complete final reply codes in `data` (continuation lines skipped)."""
        self.buffer += data
        codes = []
        while b"\n" in self.buffer:
            line, self.buffer = self.buffer.split(b"\n", 1)
            if len(line) >= 4 and line[:3].isdigit() and line[3:4] == b" ":
                codes.append(line[:3])
            elif len(line) == 3 and line.isdigit():
                codes.append(line)
        return codes


def storm(clients, deadline, on_reply):
    """Drives `clients` until `on_reply` marks each done; a selector, no asyncio.

    The login storm is the row where a Python driver's own cost shows most, so
    it does without asyncio's streams: one epoll loop, one recv per event.
    """
    selector = selectors.DefaultSelector()
    for c in clients:
        selector.register(c.sock, selectors.EVENT_READ, c)
    waiting = len(clients)
    try:
        while waiting:
            left = deadline - time.monotonic()
            if left <= 0:
                return waiting
            for key, _ in selector.select(min(left, 1.0)):
                c = key.data
                try:
                    data = c.sock.recv(65536)
                except (BlockingIOError, InterruptedError):
                    continue
                if not data:
                    raise FtpReplyError(f"server closed a connection at stage {c.stage}")
                for code in c.replies(data):
                    if on_reply(c, code):
                        selector.unregister(c.sock)
                        waiting -= 1
                        break
        return 0
    finally:
        selector.close()


async def action_logins(args):
    user = f"USER {args.user}\r\n".encode()
    password = f"PASS {args.password}\r\n".encode()

    def login_step(c, code):
        if c.stage == "greeting":
            if code[:1] != b"2":
                raise FtpReplyError(f"greeting {code.decode()}")
            c.sock.sendall(user)
            c.stage = "user"
        elif c.stage == "user":
            if code[:1] == b"3":
                c.sock.sendall(password)
                c.stage = "pass"
            elif code[:1] == b"2":
                return True
            else:
                raise FtpReplyError(f"USER answered {code.decode()}")
        elif c.stage == "pass":
            if code[:1] != b"2":
                raise FtpReplyError(f"PASS answered {code.decode()}")
            return True
        return False

    def quit_step(_c, code):
        if code[:1] != b"2":
            raise FtpReplyError(f"QUIT answered {code.decode()}")
        return True

    clients = []
    try:
        with Stopwatch() as logins:
            for _ in range(args.clients):
                sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                sock.setblocking(False)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                sock.connect_ex((args.host, args.port))
                clients.append(StormClient(sock))
            stuck = storm(clients, time.monotonic() + args.timeout, login_step)
        if stuck:
            greeted = sum(1 for c in clients if c.stage != "greeting")
            raise FtpReplyError(
                f"after {args.timeout:g} s, {args.clients - greeted} of {args.clients} clients "
                f"had no greeting and {stuck - (args.clients - greeted)} were not logged in"
            )
        with Stopwatch() as quits:
            for c in clients:
                c.stage = "quit"
                c.sock.sendall(b"QUIT\r\n")
            stuck = storm(clients, time.monotonic() + args.timeout, quit_step)
        if stuck:
            raise FtpReplyError(f"{stuck} of {args.clients} QUITs unanswered")
    finally:
        for c in clients:
            c.sock.close()
    return {"login_seconds": logins.seconds, "quit_seconds": quits.seconds}


async def action_multi(args, kind):
    # The crowd logs in `--parallel` at a time (untimed): this row is about
    # concurrent transfers; the connect storm is the `logins` action's row.
    sessions = await open_logged_in(args, args.clients, args.parallel)

    async def one(i, s):
        try:
            if kind == "stor":
                return await s.stor(f"{args.remote}{i}", args.size)
            moved = await s.retr(args.remote)
            if args.size and moved != args.size:
                raise FtpReplyError(f"received {moved} bytes, expected {args.size}")
            return moved
        finally:
            s.close()

    with Stopwatch() as watch:
        moved, errors = await gather_all([one(i, s) for i, s in enumerate(sessions)])
    if errors:
        raise FtpReplyError(f"{len(errors)} of {args.clients} transfers failed: {errors[0]}")
    return {"seconds": watch.seconds, "bytes": sum(moved)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("action", choices=[
        "stor", "retr", "idle-stor", "idle-retr", "logins", "multi-retr", "multi-stor",
    ])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--user", default="anonymous")
    parser.add_argument("--password", default="bench@ftpkit")
    parser.add_argument("--remote", default="")
    parser.add_argument("--size", type=int, default=0, help="bytes to send, or to expect")
    parser.add_argument("--clients", type=int, default=1)
    parser.add_argument("--parallel", type=int, default=20, help="threads logging in idle clients")
    parser.add_argument("--timeout", type=float, default=120.0)
    args = parser.parse_args()
    started = time.perf_counter()
    try:
        if args.action in ("stor", "retr"):
            result = action_single(args, args.action)
        elif args.action in ("idle-stor", "idle-retr"):
            result = action_idle(args, args.action[5:])
        elif args.action == "logins":
            result = asyncio.run(asyncio.wait_for(action_logins(args), 2 * args.timeout + 10))
        else:
            result = asyncio.run(
                asyncio.wait_for(action_multi(args, args.action[6:]), 2 * args.timeout + 10)
            )
    except Exception as exc:  # noqa: BLE001 - one JSON error line for the harness
        print(json.dumps({"error": repr(exc)}))
        sys.exit(1)
    # The driver's own CPU in the timed parts: the harness checks it is not the bottleneck.
    result["timed_cpu_seconds"] = Stopwatch.cpu
    result["timed_wall_seconds"] = Stopwatch.wall
    result["driver_wall_seconds"] = time.perf_counter() - started
    print(json.dumps(result))


if __name__ == "__main__":
    main()
