#!/usr/bin/env python3
"""Writes the seed corpora under Tests/Fuzz/corpus/<target>/ (run from anywhere; idempotent)."""
import base64, hashlib, hmac, json, os

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")

def write(target, name, data):
    os.makedirs(os.path.join(root, target), exist_ok=True)
    with open(os.path.join(root, target, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())

# http-parser: byte 0 = split selector, then the connection's bytes.
http = {
    "get": b"GET /v1/grants?limit=10 HTTP/1.1\r\nHost: a\r\nAccept: */*\r\n\r\n",
    "post-length": b"POST /v1/grants HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{\"a\":\"bc\"}\n",
    "post-chunked": b"POST /v1/grants HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n3\r\nabc\r\n0\r\nX-Trailer: t\r\n\r\n",
    "pipelined": b"GET /a HTTP/1.1\r\nHost: a\r\n\r\nDELETE /b HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
    "expect": b"PUT /x HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\nbody",
    "http10": b"\r\nHEAD http://example.com/ HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
    "options": b"OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n",
    "too-large": b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 999\r\n\r\n",
}
for i, (name, data) in enumerate(http.items()):
    write("http-parser", name, bytes([i * 3]) + data)

# json-body: request bodies.
json_bodies = {
    "grant": b'{"orderId":"o-1","memberId":"m-1","scenarioId":"s-1","points":100}',
    "grant-line": b'{ "orderId": "o-2", "lineUserId": "U0123456789abcdef0123456789abcdef", "scenarioId": "s-1", "points": 5 }',
    "batch": b'{"grants":[{"orderId":"o-1","memberId":"m-1","scenarioId":"s-1","points":1},{"orderId":"o-2","memberId":"m-2","scenarioId":"s-1","points":2}]}',
    "revocation": b'{"revocationId":"r-1","points":10,"reason":"fraud","evidence":{"fraudKind":"other","caseReference":"c-1","description":"d"}}',
    "revocation-mistaken": b'{"revocationId":"r-2","points":1,"reason":"mistaken_issuance","evidence":{"notifiedAt":"2026-11-01T00:00:00+08:00","channel":"email","message":"sorry"}}',
    "canonical": b'{"a":[1,-2,true,false,null,"\\u0001\\n\\"\\\\"],"b":{"c":"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"},"d":-9223372036854775808}',
    "escapes": b'["\\u00e9\\ud83d\\ude00\\/\\b\\f\\r\\t", 0, 9223372036854775807]',
}
for name, data in json_bodies.items():
    write("json-body", name, data)

# id-token: byte 0 = mode (even: token verbatim; 1: header NUL payload, signed HS256; 3: signed ES256).
secret = b"fuzz-login-channel-secret"
def b64(data): return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
def canon(obj): return json.dumps(obj, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode()
claims = {"iss": "https://access.line.me", "sub": "U" + "0123456789abcdef" * 2, "aud": "1650000000",
          "exp": 1792003600, "iat": 1791999990, "nonce": "n-0S6_WzA2Mj", "amr": ["pwd"], "name": "Taro"}
header = {"alg": "HS256", "typ": "JWT"}
signing_input = b64(canon(header)) + "." + b64(canon(claims))
token = signing_input + "." + b64(hmac.new(secret, signing_input.encode(), hashlib.sha256).digest())
write("id-token", "hs256-valid", b"\x00" + token.encode())
write("id-token", "hs256-signed", b"\x01" + canon(header) + b"\x00" + canon(claims))
write("id-token", "es256-signed", b"\x03" + canon({"alg": "ES256", "kid": "fuzz-key-1", "typ": "JWT"}) + b"\x00" + canon(claims))
write("id-token", "hs256-expired", b"\x01" + canon(header) + b"\x00" + canon(dict(claims, exp=1700000000)))
write("id-token", "alg-none", b"\x00" + (b64(canon({"alg": "none"})) + "." + b64(canon(claims)) + ".AAAA").encode())

# ledger-record: record lines.
zero = "0" * 64
lines = [
    '{"seq":1,"time":"2026-01-31T23:59:59.000000Z","type":"merchant.registered","prev":"%s","data":{"merchantId":"m-1","name":"Shop"}}' % zero,
    '{"seq":42,"time":"2026-11-01T00:00:00.123456Z","type":"grant.created","prev":"%s","data":{"memberId":"m-1","orderId":"o-1","points":100,"scenarioId":"s-1"}}' % hashlib.sha256(b"x").hexdigest(),
    '{"seq":9223372036854775807,"time":"9999-12-31T23:59:59.999999Z","type":"a","prev":"%s","data":{}}' % ("f" * 64),
    '{"seq":7,"time":"1970-01-01T00:00:00.000000Z","type":"x.y_z","prev":"%s","data":{"a":[1,-2,null,true,false,"\\u0001\\n"],"b":{"c":"\xc3\xa9"}}}' % zero,
]
for i, line in enumerate(lines):
    write("ledger-record", "line-%d" % i, line.encode("utf-8", "surrogateescape") if isinstance(line, str) else line)
