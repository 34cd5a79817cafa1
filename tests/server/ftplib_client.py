"""Drives ftpkit's server with Python's ftplib for tests/server/ftplib_test.ts.

Usage: ftplib_client.py PORT SCENARIO [CA_FILE]. Prints one JSON object.
"""
import ftplib
import hashlib
import io
import json
import random
import ssl
import sys

port = int(sys.argv[1])
scenario = sys.argv[2]
out = {}


def payload(n, seed):
    return random.Random(seed).randbytes(n)


def connect(cls=ftplib.FTP, **kw):
    ftp = cls(timeout=20, **kw)
    ftp.connect("127.0.0.1", port)
    return ftp


if scenario == "files":
    ftp = connect()
    ftp.login("u", "p")
    ftp.mkd("dir one")
    ftp.cwd("dir one")
    out["pwd"] = ftp.pwd()
    data = payload(300_000, 1)
    ftp.storbinary("STOR f.bin", io.BytesIO(data))
    out["size"] = ftp.size("f.bin")
    out["mdtm"] = ftp.voidcmd("MDTM f.bin")
    out["mlsd"] = sorted([name, facts.get("type"), facts.get("size")] for name, facts in ftp.mlsd())
    out["mlst"] = ftp.voidcmd("MLST f.bin")
    # APPE then REST + RETR
    ftp.storbinary("APPE f.bin", io.BytesIO(b"tail"))
    got = bytearray()
    ftp.retrbinary("RETR f.bin", got.extend, rest=1000)
    out["rest_ok"] = bytes(got) == (data + b"tail")[1000:]
    whole = bytearray()
    ftp.retrbinary("RETR f.bin", whole.extend)
    out["sha256"] = hashlib.sha256(whole).hexdigest()
    out["expected"] = hashlib.sha256(data + b"tail").hexdigest()
    out["hash"] = ftp.sendcmd("HASH f.bin")
    ftp.sendcmd("OPTS HASH MD5")
    out["md5"] = ftp.sendcmd("HASH f.bin")
    out["md5_expected"] = hashlib.md5(data + b"tail").hexdigest()
    ftp.sendcmd("RANG 10 19")
    out["range"] = ftp.sendcmd("HASH f.bin")
    out["range_expected"] = hashlib.md5((data + b"tail")[10:20]).hexdigest()
    lines = []
    ftp.retrlines("LIST", lines.append)
    out["list"] = lines
    out["nlst"] = ftp.nlst()
    ftp.quit()
elif scenario == "abort":
    ftp = connect()
    ftp.login("u", "p")
    ftp.voidcmd("TYPE I")
    conn = ftp.transfercmd("RETR big.bin")
    received = 0
    while received < 200_000:
        chunk = conn.recv(65536)
        if not chunk:
            break
        received += len(chunk)
    out["first"] = ftp.abort()[:3]
    conn.close()
    out["second"] = ftp.voidresp()[:3]
    out["noop"] = ftp.voidcmd("NOOP")[:3]
    out["size"] = ftp.size("big.bin")
    ftp.quit()
elif scenario == "tls":
    context = ssl.create_default_context(cafile=sys.argv[3])
    ftp = connect(ftplib.FTP_TLS, context=context)
    ftp.auth()
    ftp.login("u", "p")
    ftp.prot_p()
    data = payload(1_000_000, 2)
    ftp.storbinary("STOR tls.bin", io.BytesIO(data))
    got = bytearray()
    ftp.retrbinary("RETR tls.bin", got.extend)
    out["same"] = bytes(got) == data
    ftp.set_pasv(False)  # active mode: the server connects, the client is still the TLS client
    active = bytearray()
    ftp.retrbinary("RETR tls.bin", active.extend)
    out["active_same"] = bytes(active) == data
    ftp.set_pasv(True)
    out["sha256"] = hashlib.sha256(data).hexdigest()
    out["mlsd"] = [name for name, _ in ftp.mlsd()]
    ftp.quit()
elif scenario == "tls_no_reuse":
    # ftplib wraps data connections without the control connection's session.
    context = ssl.create_default_context(cafile=sys.argv[3])
    ftp = connect(ftplib.FTP_TLS, context=context)
    ftp.auth()
    ftp.login("u", "p")
    ftp.prot_p()
    try:
        ftp.retrbinary("RETR f.txt", lambda b: None)
        out["reply"] = "226"
    except ftplib.error_perm as e:
        out["reply"] = str(e)[:3]
    out["noop"] = ftp.voidcmd("NOOP")[:3]
    ftp.quit()
else:
    raise SystemExit("unknown scenario " + scenario)

print(json.dumps(out))
