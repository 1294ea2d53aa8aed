"""Back into the plan (迭代优化): the lead teacher sends chosen notes and evaluation comments to the
lesson-plan document as comments anchored to a section — the start of the next draft.

One plan comment per chosen item, so each can be discussed and resolved on its own. The comment is
authored by the sender; the text names the observer, except for evaluation comments in anonymous mode.
"""

from __future__ import annotations

import json
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aiohttp import web
from pydantic import BaseModel, Field

from collab.api import LIVE_DOCS
from collab.comments import add_section_comment
from collab.models import Document
from evaluation import notes, rubrics, scores
from evaluation.labels import kind_label, t
from evaluation.models import Evaluation
from evaluation.report import clock
from evaluation.routes import allow, segment_of
from evaluation.rubrics import KEY_PATTERN
from rooms.api import Action
from server.api import ApiRoutes, json_response, read_json
from server.context import AppContext
from server.errors import NotFound, Unavailable, ValidationError
from server.models import User

routes = ApiRoutes("evaluation")


class CommentRef(BaseModel):
    evaluation_id: str = Field(max_length=32)
    criterion: str | None = Field(default=None, pattern=KEY_PATTERN)  # None: the overall comment


class FeedbackIn(BaseModel):
    doc_id: str = Field(max_length=32)
    section: str = Field(min_length=1, max_length=200)
    notes: list[str] = Field(default_factory=list, max_length=200)
    comments: list[CommentRef] = Field(default_factory=list, max_length=200)


class FeedbackOut(BaseModel):
    doc_id: str
    section: str
    comment_ids: list[str]


class SegmentComment(BaseModel):
    evaluation_id: str
    criterion: str | None
    criterion_title: str | None
    text: str
    observer_name: str | None  # None in anonymous mode


def _zone(ctx: AppContext) -> ZoneInfo | None:
    try:
        return ZoneInfo(ctx.settings.evaluation_timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return None


async def _comment_texts(ctx: AppContext, room_id: str, refs: list[CommentRef]) -> list[str]:
    out = []
    async with ctx.db.session() as session:
        anonymous = await scores.is_anonymous(session, room_id)
        for ref in refs:
            row = await session.get(Evaluation, ref.evaluation_id)
            if row is None or row.room_id != room_id:
                raise NotFound(f"evaluation {ref.evaluation_id} not found", code="evaluation_not_found")
            rubric = await rubrics.get(session, row.rubric_id)
            user = await session.get(User, row.observer_id)
            sheet = json.loads(row.scores)
            if ref.criterion is None:
                text, title = row.comment, t("overall_comment")
            else:
                criterion = rubric.criterion(ref.criterion)
                text = str(sheet.get(ref.criterion, {}).get("comment") or "")
                title = criterion.title if criterion else ref.criterion
            if not text:
                raise ValidationError(
                    f"comments: evaluation {ref.evaluation_id} has no comment on {title}",
                    code="empty_comment",
                )
            author = t("feedback_anonymous") if anonymous or user is None else user.display_name
            out.append(t("feedback_comment", criterion=title, author=author, text=text))
    return out


@routes.route(
    "POST",
    "/api/rooms/{room_id}/feedback",
    summary="Lead teacher: send notes and evaluation comments to a section of the lesson plan",
    body=FeedbackIn,
    response=FeedbackOut,
    status=201,
)
async def send_feedback(request: web.Request) -> web.Response:
    c = await allow(request, Action.FEEDBACK_TO_PLAN)
    ctx, room_id, user_id = c.ctx, c.room_id, c.user_id
    body = await read_json(request, FeedbackIn)
    if not body.notes and not body.comments:
        raise ValidationError("choose at least one note or comment", code="nothing_chosen")
    live = request.app.get(LIVE_DOCS)
    if live is None:
        raise Unavailable("live documents are not available", code="collab_unavailable")
    async with ctx.db.session() as session:
        doc = await session.get(Document, body.doc_id)
        sender = await session.get(User, user_id)
    if doc is None or doc.room_id != room_id or doc.deleted_at is not None:
        raise NotFound(f"document {body.doc_id} not found in this room", code="doc_not_found")
    zone = _zone(ctx)
    texts = [
        t(
            "feedback_note",
            kind=kind_label(n.kind.value if n.kind else None) or "-",
            time=clock(n.at, zone, "%H:%M"),
            author=n.author_name,
            text=n.text,
        )  # fmt: skip
        for n in await notes.get_shared(ctx, room_id, body.notes)
    ]
    texts += await _comment_texts(ctx, room_id, body.comments)
    name = sender.display_name if sender else ""
    ids = [await add_section_comment(live, doc.id, body.section, text, name, user_id) for text in texts]
    return json_response(FeedbackOut(doc_id=doc.id, section=body.section, comment_ids=ids), status=201)


@routes.route(
    "GET",
    "/api/rooms/{room_id}/segments/{segment_id}/comments",
    summary="Lead teacher: the evaluation comments of a segment, to choose from",
    response=SegmentComment,
    response_list=True,
)
async def list_comments(request: web.Request) -> web.Response:
    c = await allow(request, Action.FEEDBACK_TO_PLAN)
    ctx, room_id, segment_id = c.ctx, c.room_id, segment_of(request)
    evaluations, _ = await scores.of_segment(ctx, room_id, segment_id)  # names already removed when anonymous
    out: list[SegmentComment] = []
    async with ctx.db.session() as session:
        titles = {}
        for e in evaluations:
            if e.rubric_id not in titles:
                titles[e.rubric_id] = {
                    c.key: c.title for c in (await rubrics.get(session, e.rubric_id)).criteria
                }
    for e in evaluations:
        for s in e.scores:
            if s.comment:
                out.append(
                    SegmentComment(
                        evaluation_id=e.id,
                        criterion=s.criterion,
                        criterion_title=titles[e.rubric_id].get(s.criterion),
                        text=s.comment,
                        observer_name=e.observer_name,
                    )
                )
        if e.comment:
            out.append(
                SegmentComment(
                    evaluation_id=e.id,
                    criterion=None,
                    criterion_title=None,
                    text=e.comment,
                    observer_name=e.observer_name,
                )
            )
    return json_response(out)
