"""Schemathesis against the OpenAPI description: generated requests never get a 5xx.

Bounded (a few dozen examples per operation) to keep the suite fast; the API is called in
process through the ASGI app with an analyst's and a viewer's session.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

pytestmark = pytest.mark.acceptance


def _operations(app):
    from caremap.app.server import openapi_document

    schema = schemathesis.openapi.from_dict(openapi_document(app))
    schema.app = app
    ops = []
    for result in schema.get_all_operations():
        op = result.ok()
        if op.method.upper() != "DELETE":  # logging out would end the shared sessions
            ops.append(op)
    return ops


def _fuzz(op, cookies: dict, seen: dict[int, int]) -> None:
    @given(case=op.as_strategy())
    @settings(max_examples=8, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    def check(case):
        for who, jar in cookies.items():
            response = case.call(cookies=jar)
            seen[response.status_code] = seen.get(response.status_code, 0) + 1
            assert response.status_code < 500, (
                who,
                op.path,
                response.status_code,
                response.text[:300],
            )
            assert "Traceback" not in response.text

    check()


def test_generated_requests_never_get_a_server_error(app, login):
    cookies = {name: dict(login(name).cookies) for name in ("ann", "vic", "cal")}
    ops = _operations(app)
    seen: dict[int, int] = {}
    assert {op.path for op in ops} >= {"/api/tables/{table}", "/api/tables", "/api/caseload"}
    for op in ops:
        _fuzz(op, cookies, seen)
    # the generated requests reached real answers and real refusals
    assert seen.get(200) and sum(v for k, v in seen.items() if 400 <= k < 500)
