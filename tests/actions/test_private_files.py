"""What frontdesk writes under its data directory is its user's alone (mode 600, directories
700), set explicitly by the code that creates it, not left to the process's umask: this test
runs in-process with the test runner's umask (usually 022)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from frontdesk.actions import attachments, chats
from frontdesk.actions.attachments import Upload, storage
from frontdesk.config import Settings
from tests import files
from tests.actions.support import new_cid, new_visitor

pytestmark = pytest.mark.asyncio


def readable_by_others(root: Path) -> list[str]:
    return [
        f"{p.relative_to(root)}: {stat.filemode(p.stat().st_mode)}"
        for p in [root, *root.rglob("*")]
        if p.stat().st_mode & 0o077
    ]


async def test_database_key_and_uploads_have_no_group_or_other_bits(ctx, tmp_path):
    old = os.umask(0o022)  # as a host process might have it
    try:
        visitor = await new_visitor(ctx)
        await chats.do_send_visitor_message(ctx=ctx, actor=visitor, text="a photo follows", client_id=new_cid())
        path = storage(ctx).incoming()
        path.write_bytes(files.png(20, 20))  # written 644 by someone else: kept 600 all the same
        upload = Upload(path=path, filename="photo.png", size=len(files.png(20, 20)))
        await attachments.do_send_visitor_file(ctx=ctx, actor=visitor, upload=upload)
        key_dir = tmp_path / "keys"
        assert Settings(data_dir=key_dir).signing_key
        assert (key_dir / "secret_key").exists()
        if ctx.db.is_sqlite:
            assert (tmp_path / "frontdesk.db").exists() and (tmp_path / "frontdesk.db-wal").exists()
        assert list((tmp_path / "attachments").rglob("*.png")) == [] and any((tmp_path / "attachments").rglob("*"))
    finally:
        os.umask(old)
    tmp_path.chmod(0o700)  # pytest's own directory, not ours
    assert readable_by_others(tmp_path) == []
