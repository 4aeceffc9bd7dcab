#!/usr/bin/env python3
"""Bounded schemathesis run against a live sandbox: every operation of docs/openapi.yaml, as
each role, with requests signed the LINE Pay v3 way. Fails on any 5xx and on any response that
does not match the schema.  usage: schemathesis_check.py BASE_URL SPEC DEFAULTS [EXAMPLES]"""
import base64, hashlib, hmac, json, sys, uuid
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import openapi

base_url, spec, defaults_path = sys.argv[1:4]
examples = int(sys.argv[4]) if len(sys.argv) > 4 else 25
defaults = json.load(open(defaults_path))
merchant = defaults["merchants"][0]
keys = {"merchant": (merchant["channelId"], merchant["channelSecret"])}
for staff in defaults["staff"]:
    keys.setdefault(staff["role"], (staff["keyId"], staff["secret"]))


class Signed(requests.auth.AuthBase):
    """Signs the prepared request: it sees the exact path, query and body bytes sent."""
    def __init__(self, key, secret):
        self.key, self.secret = key, secret.encode()

    def __call__(self, request):
        path, _, query = request.path_url.partition("?")
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode()
        payload = query.encode() if request.method in ("GET", "DELETE") else body
        nonce = str(uuid.uuid4())
        message = self.secret + path.encode() + payload + nonce.encode()
        signature = base64.b64encode(hmac.new(self.secret, message, hashlib.sha256).digest()).decode()
        request.headers.update({"X-LINE-ChannelId": self.key, "X-LINE-Authorization-Nonce": nonce,
                                "X-LINE-Authorization": signature})
        return request


def role_for(path):
    if path.startswith("/v1/admin"):
        return "reviewer"
    if path.startswith("/v1/finance"):
        return "finance"
    if path.startswith("/v1/audit"):
        return "auditor"
    return "merchant"


# No 5xx, and every response matches the document: status, content type, headers, body.
# (Schema-valid requests may still break a business rule, so 4xx answers are expected.)
CHECKS = [schemathesis.checks.not_a_server_error, schemathesis.checks.status_code_conformance,
          schemathesis.checks.content_type_conformance, schemathesis.checks.response_headers_conformance,
          schemathesis.checks.response_schema_conformance]

schema = openapi.from_path(spec)
session = requests.Session()
failures, calls = [], 0
for result in schema.get_all_operations():
    operation = result.ok()
    auth = Signed(*keys[role_for(operation.path)])

    @settings(max_examples=examples, deadline=None, derandomize=True, database=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy())
    def check(case):
        global calls
        response = case.call(base_url=base_url, session=session, auth=auth, timeout=10)
        calls += 1
        if response.status_code >= 500:
            raise AssertionError(f"{case.method} {case.formatted_path} answered {response.status_code}: {response.text[:300]}")
        case.validate_response(response, checks=CHECKS)

    try:
        check()
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as error:  # collect every operation's first failure
        parts = [str(inner) for inner in getattr(error, "exceptions", [])] or [str(error)]
        failures.append(f"{operation.label}: " + " | ".join(part.strip()[:700] for part in parts))

print(f"schemathesis: {calls} calls over {len(list(schema.get_all_operations()))} operations, {len(failures)} failing")
for failure in failures:
    print("FAIL", failure)
sys.exit(1 if failures else 0)
