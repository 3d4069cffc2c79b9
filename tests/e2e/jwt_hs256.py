"""Prints a JSON Web Token (RFC 7519) signed with HMAC-SHA-256 (RFC 7518
3.2), for the OAuth tests: an OAuth 2.0 bearer token a server can check
offline with the key.
Usage: jwt_hs256.py KEY_BASE64 SUBJECT SECONDS_VALID (negative: expired)"""
import base64
import hashlib
import hmac
import json
import sys
import time


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def main():
    key = base64.b64decode(sys.argv[1])
    now = int(time.time())
    valid = int(sys.argv[3])
    head = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    claims = {"sub": sys.argv[2], "iat": now - 120 if valid < 0 else now,
              "exp": now + valid}
    body = b64url(json.dumps(claims).encode())
    sig = hmac.new(key, (head + "." + body).encode(), hashlib.sha256).digest()
    print(head + "." + body + "." + b64url(sig))


if __name__ == "__main__":
    main()
