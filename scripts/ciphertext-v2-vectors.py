#!/usr/bin/env python3
# Independent computation of the format version 2 test vectors (docs/ciphertext-format.md §8), with pyca/cryptography.
import hashlib, struct, uuid
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
key = bytes(range(32)); key_id = uuid.UUID("00112233-4455-6677-8899-aabbccddeeff").bytes
nonce = bytes.fromhex("cafebabefacedbaddecaf888")
lp = lambda b: struct.pack(">I", len(b)) + b
def column_id(schema, table, column):
    return hashlib.sha256(lp(b"hipaa-column-v2") + lp(schema.encode()) + lp(table.encode()) + lp(column.encode())).digest()[:16]
def part(v):
    if v is None: return b"\x00"
    if isinstance(v, uuid.UUID): return b"\x02" + v.bytes
    if isinstance(v, int): return b"\x03" + struct.pack(">q", v)
    if isinstance(v, str): return b"\x01" + lp(v.encode())
    raise TypeError(v)
header = b"\x02\x01" + key_id
vectors = [
  ("string Jane Doe", b"Jane Doe", ("", "Patients", "Name"), [uuid.UUID("3f2504e0-4f89-11d3-9a0c-0305e82c3301")], uuid.UUID("0195f0a0-0000-7000-8000-000000000042")),
  ("int 42", bytes.fromhex("2a000000"), ("clinic", "Notes", "Text"), [42], "MRN-0042"),
  ("empty string", b"", ("", "Consents", "Purpose"), [uuid.UUID("3f2504e0-4f89-11d3-9a0c-0305e82c3301"), 7], None),
]
for name, pt, col, row, patient in vectors:
    cid = column_id(*col)
    ad = header + cid + bytes([len(row)]) + b"".join(part(p) for p in row) + part(patient)
    ct = AESGCM(key).encrypt(nonce, pt, ad)
    print(name); print("  column id", cid.hex()); print("  ad", len(ad), ad.hex()); print("  stored", len(header + nonce + ct), (header + nonce + ct).hex())
