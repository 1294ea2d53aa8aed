"""The one permission table: role × action. Every path (REST, Socket.IO, collab, media) asks it."""

from __future__ import annotations

from enum import StrEnum

from server.errors import Forbidden


class Role(StrEnum):
    HOST = "host"  # 主持人: owns the activity, agenda, rubric
    MODERATOR = "moderator"  # 主持/导播: runs the live event
    EDITOR = "editor"  # 参与教师: co-edits the plan
    PRESENTER = "presenter"  # 执教教师: publishes at a venue, edits the plan
    OBSERVER = "observer"  # 观课教师: watches, notes, scores
    EXPERT = "expert"  # 专家: comments and scores


class Action(StrEnum):
    ROOM_VIEW = "room.view"
    ROOM_UPDATE = "room.update"
    ROOM_ARCHIVE = "room.archive"
    MEMBER_MANAGE = "member.manage"
    INVITE_MANAGE = "invite.manage"
    VENUE_MANAGE = "venue.manage"
    AGENDA_MANAGE = "agenda.manage"
    DOC_VIEW = "doc.view"
    DOC_EDIT = "doc.edit"
    DOC_CREATE = "doc.create"
    DOC_DELETE = "doc.delete"
    VERSION_SAVE = "version.save"
    VERSION_RESTORE = "version.restore"
    COMMENT_WRITE = "comment.write"
    DOC_EXPORT = "doc.export"
    CHAT_SEND = "chat.send"
    CHAT_DELETE = "chat.delete"
    CHAT_MODERATE = "chat.moderate"  # switch slow / moderator-only mode; the modes do not hold one back
    VOICE_SEND = "voice.send"
    HAND_RAISE = "hand.raise"
    SEAT_GRANT = "seat.grant"
    MEDIA_WATCH = "media.watch"
    MEDIA_PUBLISH_VENUE = "media.publish_venue"
    MEDIA_PUBLISH_SEAT = "media.publish_seat"  # also needs a granted seat
    # share a screen or window (课件演示): also needs a granted seat, unless the role publishes venues
    MEDIA_PUBLISH_SCREEN = "media.publish_screen"
    VENUE_CONTROL = "venue.control"  # cue / take / switch / follow agenda / fallback
    MEDIA_PREVIEW = "media.preview"  # multiview of all venues
    RECORDING_MANAGE = "recording.manage"
    RUBRIC_MANAGE = "rubric.manage"
    NOTE_WRITE = "note.write"
    OBSERVATION_CODE = "observation.code"  # code the lesson on an observation instrument (S-T …)
    SCORE_SUBMIT = "score.submit"
    EVALUATION_MANAGE = "evaluation.manage"  # open/close evaluation, see aggregation, export reports
    FEEDBACK_TO_PLAN = "feedback.to_plan"  # send notes/comments into the lesson plan
    ATTENDANCE_VIEW = "attendance.view"  # everyone's attendance in the room (each member sees their own)


A = Action
_PARTICIPANT = {
    A.ROOM_VIEW, A.DOC_VIEW, A.DOC_EXPORT, A.CHAT_SEND, A.VOICE_SEND, A.HAND_RAISE,
    A.MEDIA_WATCH, A.MEDIA_PUBLISH_SEAT, A.MEDIA_PUBLISH_SCREEN,
}  # fmt: skip
_WRITER = _PARTICIPANT | {
    A.DOC_EDIT,
    A.DOC_CREATE,
    A.VERSION_SAVE,
    A.COMMENT_WRITE,
    A.NOTE_WRITE,
    A.OBSERVATION_CODE,
    A.SCORE_SUBMIT,
}

PERMISSIONS: dict[Role, frozenset[Action]] = {
    Role.HOST: frozenset(Action),
    Role.MODERATOR: frozenset(
        _WRITER
        | {
            A.ROOM_UPDATE,
            A.INVITE_MANAGE,
            A.VENUE_MANAGE,
            A.AGENDA_MANAGE,
            A.CHAT_DELETE,
            A.CHAT_MODERATE,
            A.SEAT_GRANT,
            A.VENUE_CONTROL,
            A.MEDIA_PREVIEW,
            A.RECORDING_MANAGE,
            A.VERSION_RESTORE,
            A.EVALUATION_MANAGE,
            A.ATTENDANCE_VIEW,
        }  # fmt: skip
    ),
    Role.PRESENTER: frozenset(_WRITER | {A.MEDIA_PUBLISH_VENUE, A.VERSION_RESTORE, A.FEEDBACK_TO_PLAN}),
    Role.EDITOR: frozenset(_WRITER | {A.VERSION_RESTORE}),
    Role.EXPERT: frozenset(
        _PARTICIPANT | {A.COMMENT_WRITE, A.NOTE_WRITE, A.OBSERVATION_CODE, A.SCORE_SUBMIT}
    ),
    Role.OBSERVER: frozenset(_PARTICIPANT | {A.NOTE_WRITE, A.OBSERVATION_CODE, A.SCORE_SUBMIT}),
}


def allowed(role: Role | str | None, action: Action) -> bool:
    if role is None:
        return False
    try:
        return action in PERMISSIONS[Role(role)]
    except ValueError:
        return False


def require(role: Role | str | None, action: Action) -> None:
    """Raise :class:`Forbidden` with a readable message unless ``role`` may do ``action``."""
    if not allowed(role, action):
        who = f"role {str(role)!r}" if role else "a non-member"
        raise Forbidden(f"{who} may not {action.value}", code="forbidden", details={"action": action.value})
