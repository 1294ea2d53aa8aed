"""REST export (collab/export/routes.py): a version in every format, with the right content headers."""

from __future__ import annotations

import io

import docx

from collab.export.routes import render
from tests.support.api import Api
from tests.support.collab import create, people
from tests.support.server import RunningServer
from tests.support.tiptap import tiptap2_plan


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


def test_a_plan_the_tiptap2_client_wrote_exports_with_marks_lists_table_and_comment() -> None:
    md = render("md", "秋天的雨", tiptap2_plan(), with_comments=True).decode()
    assert "《秋天的雨》第一课时，**重点***朗读*<u>感悟</u>" in md
    assert "### 课前准备\n\n- 生字卡片\n- 落叶标本\n\n1. 读课文\n2. 找颜色词" in md
    assert "| 环节 | 时间 | 意图 |\n| --- | --- | --- |\n| 导入 | 5分钟 |  |" in md
    assert "“《秋天的雨》第一课时，重点朗读感悟”：课题要写全称" in md
    parsed = docx.Document(io.BytesIO(render("docx", "秋天的雨", tiptap2_plan(), with_comments=False)))
    assert [c.text for c in parsed.tables[0].rows[1].cells] == ["导入", "5分钟", ""]
