#!/usr/bin/env python3
"""Writes the PROTOS c07-sip cases (../shared/protos/cases) as ready-to-parse messages for the
fuzz targets' replay: placeholders substituted as tests/integration/sip_protos_test.cpp does,
the INVITE and its teardown (CANCEL) one file each, plus the INVITE with its Via over TCP.
The cases stay outside the repository; the output goes under build/.
Usage: scripts/protos-inputs.py CASES_DIR OUT_DIR  (prints the number of files written)"""
import os
import sys


def substitute(pdu: bytes, tcp: bool, number: int) -> bytes:
    values = {
        b"<To>": b"1001@127.0.0.1:5060",
        b"<From>": b"protos@127.0.0.5",
        b"<From-Address>": b"127.0.0.5",
        b"<From-IP>": b"127.0.0.5",
        b"<Local-Port>": b"40000",
        b"<Branch-ID>": b"%012x" % number,
        b"<Call-ID>": b"%016x" % (number * 7919),
        b"<CSeq>": str(number + 1).encode(),
        b"<Teardown-Method>": b"CANCEL",
    }
    for k, v in values.items():
        pdu = pdu.replace(k, v)
    if tcp:
        pdu = pdu.replace(b"SIP/2.0/UDP", b"SIP/2.0/TCP")
    head_end = pdu.find(b"\r\n\r\n")
    body = len(pdu) if head_end < 0 else head_end + 4
    return pdu.replace(b"<Content-Length>", str(len(pdu) - body).encode())


def main() -> int:
    cases, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    written = 0
    for name in sorted(os.listdir(cases)):
        with open(os.path.join(cases, name), "rb") as f:
            data = f.read()
        sp = data.index(b" ")
        n = int(data[:sp])
        invite = data[sp + 1 : sp + 1 + n]
        rest = data[sp + 1 + n :]
        sp2 = rest.index(b" ")
        teardown = rest[sp2 + 1 : sp2 + 1 + int(rest[:sp2])]
        number = int(name)
        for suffix, pdu in (
            ("invite", substitute(invite, False, number)),
            ("invite-tcp", substitute(invite, True, number)),
            ("cancel", substitute(teardown, False, number)),
        ):
            with open(os.path.join(out, f"{name}-{suffix}.sip"), "wb") as f:
                f.write(pdu)
            written += 1
    print(written)
    return 0


if __name__ == "__main__":
    sys.exit(main())
