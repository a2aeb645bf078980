#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
# Writes the seed corpus of fuzz_smb2 (tests/fuzz/corpus/smb2/): a few valid SMB2 frames as
# the engine exchanges them, built from MS-SMB2's tables independently of bench/smb2.c.
# The files are committed; rerun after changing this script:
#   python3 tests/fuzz/seeds_smb2.py tests/fuzz/corpus/smb2
import os
import struct
import sys

NEGOTIATE, READ, WRITE = 0x0000, 0x0008, 0x0009
SERVER_TO_REDIR = 0x1


def hdr(command, flags=0, status=0, charge=1, credits=32, mid=1):
    # 2.2.1.2 sync header: ProtocolId, StructureSize 64, CreditCharge, Status, Command,
    # CreditRequest/Response, Flags, NextCommand, MessageId, Reserved(ProcessId), TreeId,
    # SessionId, Signature.
    return struct.pack('<4sHHIHHIIQIIQ16s', b'\xfeSMB', 64, charge, status, command, credits,
                       flags, 0, mid, 0xfeff, 1, 0x1122334455, bytes(16))


def frame(msg):
    return struct.pack('>I', len(msg)) + msg  # zero byte + 24-bit length


def negotiate_req(dialects=(0x0210,)):
    body = struct.pack('<HHHHI16sQ', 36, len(dialects), 1, 0, 4, bytes(range(16)), 0)
    body += b''.join(struct.pack('<H', d) for d in dialects)
    return frame(hdr(NEGOTIATE, mid=0) + body)


def negotiate_rsp():
    body = struct.pack('<HHHH16sIIIIQQHHI', 65, 1, 0x0210, 0, bytes(range(16, 32)), 4,
                       8 << 20, 8 << 20, 8 << 20, 133000000000000000, 0, 128, 0, 0)
    return frame(hdr(NEGOTIATE, SERVER_TO_REDIR, mid=0) + body + b'\0')


def read_req(length=1 << 20, offset=0, mid=1):
    charge = max(1, (length + 65535) // 65536)
    body = struct.pack('<HBBIQQQIIIHH', 49, 0x50, 0, length, offset, 1, 2, 0, 0, 0, 0, 0)
    return frame(hdr(READ, charge=charge, mid=mid) + body + b'\0')


def read_rsp(data=b'0123456789abcdef', mid=1):
    body = struct.pack('<HBBIII', 17, 0x50, 0, len(data), 0, 0)
    return frame(hdr(READ, SERVER_TO_REDIR, mid=mid) + body + data)


def read_rsp_head(length=1 << 20):
    # Header and fixed part only; the transport length counts the data still to come.
    msg = hdr(READ, SERVER_TO_REDIR) + struct.pack('<HBBIII', 17, 0x50, 0, length, 0, 0)
    return struct.pack('>I', len(msg) + length) + msg


def write_req(data=b'fedcba9876543210', offset=4096, mid=1):
    body = struct.pack('<HHIQQQIIHHI', 49, 0x70, len(data), offset, 1, 2, 0, 0, 0, 0, 0)
    return frame(hdr(WRITE, mid=mid) + body + data)


def write_rsp(count=16, mid=1):
    body = struct.pack('<HHIIHH', 17, 0, count, 0, 0, 0)
    return frame(hdr(WRITE, SERVER_TO_REDIR, mid=mid) + body + b'\0')


def error_rsp(command=WRITE, status=0xc000003e, data=b''):
    body = struct.pack('<HBBI', 9, 0, 0, len(data)) + (data or b'\0')
    return frame(hdr(command, SERVER_TO_REDIR, status=status) + body)


SEEDS = {
    'negotiate_req': negotiate_req(),
    'negotiate_req_3dialects': negotiate_req((0x0202, 0x0210, 0x0300)),
    'negotiate_rsp': negotiate_rsp(),
    'read_req_1m': read_req(),
    'read_rsp': read_rsp(),
    # A READ response whose 1 MiB of data has not arrived yet: the streaming decoder's case.
    'read_rsp_head': read_rsp_head(),
    'write_req': write_req(),
    'write_rsp': write_rsp(),
    'error_rsp': error_rsp(data=b'wrong byte at 4096'),
    # What a client sends on one connection: NEGOTIATE then a window of READs and a WRITE.
    'stream': negotiate_req() + b''.join(read_req(65536, i << 16, i + 1) for i in range(4))
    + write_req(mid=5),
}


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__),
                                                              'corpus', 'smb2')
    os.makedirs(out, exist_ok=True)
    for name, data in SEEDS.items():
        with open(os.path.join(out, name), 'wb') as f:
            f.write(data)


if __name__ == '__main__':
    main()
