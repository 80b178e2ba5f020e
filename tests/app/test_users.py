"""Users: Argon2id hashes, validation that lists every problem, roles, disabling."""

from __future__ import annotations

import pytest

from caremap.app import users
from caremap.core.errors import InputError

pytestmark = pytest.mark.unit


@pytest.fixture
def con(ws):
    c = ws.cursor()
    ws.write_table("locality", __import__("pandas").DataFrame({"locality_code": ["L1", "L2"]}))
    return c


def test_passwords_are_stored_as_rfc9106_argon2id_hashes(con, monkeypatch):
    monkeypatch.delenv("CAREMAP_ARGON2_PROFILE", raising=False)
    users.add_user(con, "alice", "a-long-password", "analyst")
    # users live in the store beside the workspace (issue 15), not in the workspace's app_user
    (stored,) = users.store_for(con).execute("SELECT password_hash FROM user")[0]
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert "a-long-password" not in stored
    assert users.authenticate(con, "alice", "a-long-password") == users.User("alice", "analyst")
    assert users.authenticate(con, "alice", "a-long-passwore") is None
    assert users.authenticate(con, "nobody", "a-long-password") is None


def test_bad_users_are_refused_with_every_problem(con):
    with pytest.raises(InputError) as e:
        users.add_user(con, "Bad Name", "short", "superuser")
    msg = str(e.value)
    assert "username" in msg and "at least 10" in msg and "role must be one of" in msg
    with pytest.raises(InputError, match="needs --locality"):
        users.add_user(con, "gp", "a-long-password", "clinician")
    with pytest.raises(InputError, match="unknown locality 'L9'"):
        users.add_user(con, "gp", "a-long-password", "clinician", "L9")


def test_duplicates_need_replace_and_disable_stops_login(con):
    users.add_user(con, "bob", "a-long-password", "viewer")
    with pytest.raises(InputError, match="already exists"):
        users.add_user(con, "bob", "another-password", "admin")
    users.add_user(con, "bob", "another-password", "clinician", "L2", replace=True)
    assert users.get_user(con, "bob") == users.User("bob", "clinician", "L2")
    assert users.disable_user(con, "bob")
    assert users.get_user(con, "bob") is None
    assert users.authenticate(con, "bob", "another-password") is None
    assert [u.username for u in users.list_users(con)] == []
