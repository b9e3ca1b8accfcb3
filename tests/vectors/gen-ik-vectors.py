#!/usr/bin/env python3
"""Generate extra Noise_IK_25519_ChaChaPoly_SHA256 vectors (cacophony format)
with an implementation independent of ours: Python 'cryptography' for X25519,
ChaCha20-Poly1305 and HMAC-SHA256, written from the Noise spec (rev 34).

It first reproduces the published cacophony vector, so a bug here cannot
silently produce wrong vectors.   usage: gen-ik-vectors.py OUT.json
"""
import hashlib, hmac, json, sys
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives import serialization

NAME = b"Noise_IK_25519_ChaChaPoly_SHA256"
RAW = dict(encoding=serialization.Encoding.Raw, format=serialization.PublicFormat.Raw)

def pub(priv): return X25519PrivateKey.from_private_bytes(priv).public_key().public_bytes(**RAW)
def dh(priv, p): return X25519PrivateKey.from_private_bytes(priv).exchange(X25519PublicKey.from_public_bytes(p))
def H(b): return hashlib.sha256(b).digest()
def hm(k, d): return hmac.new(k, d, hashlib.sha256).digest()
def hkdf(ck, ikm, n):
    t = hm(ck, ikm); o1 = hm(t, b"\x01"); o2 = hm(t, o1 + b"\x02")
    return (o1, o2) if n == 2 else (o1, o2, hm(t, o2 + b"\x03"))

class Cipher:
    def __init__(s, k): s.k, s.n = k, 0
    def nonce(s): return b"\0" * 4 + s.n.to_bytes(8, "little")
    def enc(s, ad, p): c = ChaCha20Poly1305(s.k).encrypt(s.nonce(), p, ad); s.n += 1; return c
    def dec(s, ad, c): p = ChaCha20Poly1305(s.k).decrypt(s.nonce(), c, ad); s.n += 1; return p

class Sym:
    def __init__(s, prologue):
        s.h = NAME.ljust(32, b"\0") if len(NAME) <= 32 else H(NAME); s.ck = s.h; s.c = None
        s.mix_hash(prologue)
    def mix_hash(s, d): s.h = H(s.h + d)
    def mix_key(s, ikm): s.ck, k = hkdf(s.ck, ikm, 2); s.c = Cipher(k)
    def enc_hash(s, p): c = s.c.enc(s.h, p) if s.c else p; s.mix_hash(c); return c
    def dec_hash(s, c): p = s.c.dec(s.h, c) if s.c else c; s.mix_hash(c); return p
    def split(s): k1, k2 = hkdf(s.ck, b"", 2); return Cipher(k1), Cipher(k2)

def conversation(v):
    b = bytes.fromhex
    ist, iep, irs = b(v["init_static"]), b(v["init_ephemeral"]), b(v["init_remote_static"])
    rst, rep = b(v["resp_static"]), b(v["resp_ephemeral"])
    i = Sym(b(v["init_prologue"])); i.mix_hash(irs)
    r = Sym(b(v["resp_prologue"])); r.mix_hash(pub(rst))
    out = []
    for n, m in enumerate(v["payloads"]):
        p = b(m)
        if n == 0:
            c = pub(iep); i.mix_hash(pub(iep)); i.mix_key(dh(iep, irs))
            c += i.enc_hash(pub(ist)); i.mix_key(dh(ist, irs)); c += i.enc_hash(p)
            re = c[:32]; r.mix_hash(re); r.mix_key(dh(rst, re))
            rs = r.dec_hash(c[32:80]); r.mix_key(dh(rst, rs)); assert r.dec_hash(c[80:]) == p
        elif n == 1:
            c = pub(rep); r.mix_hash(pub(rep)); r.mix_key(dh(rep, re)); r.mix_key(dh(rep, rs))
            c += r.enc_hash(p)
            ie = c[:32]; i.mix_hash(ie); i.mix_key(dh(iep, ie)); i.mix_key(dh(ist, ie))
            assert i.dec_hash(c[32:]) == p and i.h == r.h
            hh = i.h; i1, i2 = i.split(); r1, r2 = r.split()
        elif n % 2 == 0:
            c = i1.enc(b"", p); assert r1.dec(b"", c) == p
        else:
            c = r2.enc(b"", p); assert i2.dec(b"", c) == p
        out.append({"payload": m, "ciphertext": c.hex()})
    return out, (hh.hex() if len(v["payloads"]) >= 2 else None)

def check_published():
    with open(sys.argv[0].rsplit("/", 1)[0] + "/noise-ik-cacophony.json") as f:
        for v in json.load(f)["vectors"]:
            if v["protocol_name"] != NAME.decode(): continue
            w = dict(v, payloads=[m["payload"] for m in v["messages"]])
            msgs, hh = conversation(w)
            assert msgs == v["messages"] and hh == v["handshake_hash"], "reference is wrong"

K = dict(init_static="e61ef9919cde45dd5f82166404bd08e38bceb5dfdfded0a34c8df7ed542214d1",
         init_ephemeral="893e28b9dc6ca8d611ab664754b8ceb7bac5117349a4439a6b0569da977c464a",
         resp_static="4a3acbfdb163dec651dfa3194dece676d437029c62a408b4c5ea9114246e4893",
         resp_ephemeral="bbdb4cdbd309f1a1f2e1456967fe288cadd6f712d65dc7b7793d5e63da6b375b")
K["init_remote_static"] = pub(bytes.fromhex(K["resp_static"])).hex()

def vec(prologue, payloads, hh=True, extra=None, resp_prologue=None):
    v = dict(protocol_name=NAME.decode(), init_prologue=prologue,
             resp_prologue=prologue if resp_prologue is None else resp_prologue, **K)
    msgs, h = conversation(dict(v, payloads=payloads))
    v["messages"] = msgs
    if hh: v["handshake_hash"] = h
    v.update(extra or {})
    return v

def main():
    check_published()
    ts = "400000006553f1000000abcd"   # a TAI64N timestamp payload, as ptm sends
    vs = [
        vec(b"ptm-pump/1".hex(), [ts, "", "01", "", "00" * 100, "ff" * 1000, "", "42"]),
        vec("", ["", ""], hh=False, extra={"comment": "empty prologue and payloads"}),
        vec("", ["", "", "", "", ""], extra={"init_psks": [], "resp_psks": []}),
        vec("00" * 200, ["aa" * (65535 - 96), "bb" * (65535 - 48), "cc" * (65535 - 16)]),
        vec("70", ["68656c6c6f"]),                      # message 1 only
    ]
    # Prologues differ: the initiator writes message 1, the responder must
    # refuse it. Ciphertext as the initiator would send it (from a run with
    # the initiator's prologue on both sides).
    bad = vec("6161", ["00", ""], hh=False)
    bad["resp_prologue"] = "6262"; bad["fail"] = True
    vs.append(bad)
    # Another suite with a fail expectation: must be skipped, not failed.
    vs.append({"protocol_name": "Noise_XX_25519_ChaChaPoly_SHA256", "fail": True,
               "init_prologue": "", "resp_prologue": "", "messages": []})
    with open(sys.argv[1], "w") as f:
        json.dump({"vectors": vs}, f, indent=1)
        f.write("\n")

main()
