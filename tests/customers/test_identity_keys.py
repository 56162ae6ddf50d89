"""Identity data sealed at rest: round trip, key rotation, and `motormall identity
rotate-keys` as an operator runs it."""

import numpy as np
import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from motormall.cli import app as cli
from motormall.customers import identity
from motormall.customers.models import CustomerIdentity
from motormall.customers.vault import KeyMissing, new_key, vault
from motormall.platform.config import Settings, use_settings
from motormall.platform.db import use_database
from tests.customers.identity_helpers import ID_NUMBER, OTHER_NUMBER, customer, face_jpeg, put

OLD, NEW = new_key(), new_key()


@pytest.fixture(autouse=True)
def forget_settings():
    yield
    use_settings(None)


def with_keys(settings: Settings, keys: str) -> Settings:
    return settings.model_copy(update={"identity_keys": keys})


def use_keys(client, settings: Settings, keys: str) -> Settings:
    """What a restart with these keys does: the app and the process read the same settings."""
    changed = with_keys(settings, keys)
    client.app.state.settings = changed
    use_settings(changed)
    return changed


def test_seal_and_open_round_trip_and_the_hash_is_keyed(settings):
    box = vault(settings)
    sealed = box.seal(b"secret photo bytes")
    assert b"secret" not in sealed and box.open(sealed) == b"secret photo bytes"
    assert box.id_hash(ID_NUMBER) == box.id_hash(ID_NUMBER) != box.id_hash(OTHER_NUMBER)
    other = vault(settings.model_copy(update={"secret_key": "another-secret"}))
    assert other.id_hash(ID_NUMBER) != box.id_hash(ID_NUMBER)
    with pytest.raises(KeyMissing):
        other.open(sealed)  # a different secret key derives a different key


def test_keys_in_the_setting_are_checked_at_start():
    with pytest.raises(ValidationError, match="key 2 is not a Fernet key"):
        Settings(identity_keys=f"{NEW},not-a-key")


def test_old_key_still_decrypts_rotate_reencrypts_then_the_old_key_can_go(db, client, settings):
    use_keys(client, settings, OLD)
    me, headers = customer(db, client)
    assert put(client, headers, photo=face_jpeg(), consent=True).status_code == 200
    with db.reading() as s:
        before = s.get(CustomerIdentity, me)
        number_hash = before.id_number_hash
    assert vault(with_keys(settings, OLD)).open(before.id_number) == ID_NUMBER.encode()

    rotated = use_keys(client, settings, f"{NEW},{OLD}")
    with db.transaction() as s:  # the new key first: old rows are still read
        template = identity.face_template(s, me, purpose="test", actor_id=None)
    assert template.dtype == np.float32 and template.ndim == 1

    with db.transaction() as s:
        done = identity.rotate_batch(s, rotated)
    assert (done.resealed, done.current, done.unreadable) == (1, 0, [])
    with db.transaction() as s:  # again: nothing left to do
        done = identity.rotate_batch(s, rotated)
    assert (done.resealed, done.current) == (0, 1)
    with db.reading() as s:
        after = s.get(CustomerIdentity, me)
    assert after.id_number_hash == number_hash  # hashes do not depend on the encryption key
    for column in ("id_number", "id_photo", "face_template"):
        assert getattr(after, column) != getattr(before, column)
        assert vault(rotated).is_current(getattr(after, column))

    use_keys(client, settings, NEW)  # the old key removed
    with db.transaction() as s:
        again = identity.face_template(s, me, purpose="test", actor_id=None)
    assert np.array_equal(again, template)
    assert client.get("/api/v1/me/identity", headers=headers).json()["face_template"]


def test_without_rotation_removing_the_old_key_loses_the_data(db, client, settings):
    use_keys(client, settings, OLD)
    me, headers = customer(db, client)
    put(client, headers, photo=face_jpeg(), consent=True)
    use_keys(client, settings, NEW)
    with db.transaction() as s, pytest.raises(KeyMissing):
        identity.face_template(s, me, purpose="test", actor_id=None)
    with db.transaction() as s:  # the command names the rows it cannot open
        done = identity.rotate_batch(s, with_keys(settings, NEW))
    assert done.unreadable == [me] and done.resealed == 0


def test_rotate_keys_command_shows_progress_and_is_idempotent(db, client, settings):
    use_settings(settings)  # no keys set: the key derived from the secret key
    for n in range(3):
        _, headers = customer(db, client, email=f"rot{n}@test.dev")
        assert put(client, headers, photo=face_jpeg(), consent=n != 1).status_code == 200
    use_keys(client, settings, NEW)  # the operator's own key now, the derived one behind it
    use_database(db)
    try:
        first = CliRunner().invoke(cli, ["identity", "rotate-keys", "--batch", "2"])
        second = CliRunner().invoke(cli, ["identity", "rotate-keys"])
    finally:
        use_settings(None)
    assert first.exit_code == 0, first.output
    assert "2 identities: 2 re-encrypted" in first.stderr
    assert "3 identities: 3 re-encrypted" in first.stderr
    assert "done: 0 re-encrypted, 3 already on the current key" in second.stderr
    box = vault(with_keys(settings, NEW))
    with db.reading() as s:
        for row in s.query(CustomerIdentity):
            assert box.is_current(row.id_number) and box.is_current(row.id_photo)
