"""REST export (collab/export/routes.py): a version in every format, with the right content headers."""

from __future__ import annotations

from tests.support.api import Api
from tests.support.collab import create, people
from tests.support.server import RunningServer


async def test_export_of_a_version_and_content_headers(api: Api, server: RunningServer) -> None:
    p = await people(api, server)
    doc = await create(api, p)
    status, v1 = await api.call("POST", f"/api/docs/{doc['id']}/versions", token=p.editor)
    assert status == 201
    async with api.http.get(f"{api.base}/api/docs/{doc['id']}/export?format=html&version={v1['id']}",
                            headers={"Authorization": f"Bearer {p.observer}"}) as resp:  # fmt: skip
        assert resp.status == 200
        assert resp.headers["Content-Type"] == "text/html; charset=utf-8"
        assert "filename*=UTF-8''" in resp.headers["Content-Disposition"]
        page = await resp.text()
    assert "《秋天的雨》教学设计（第一稿）" in page
