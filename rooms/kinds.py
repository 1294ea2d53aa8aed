"""The four kinds of lesson-study activity (see DOMAIN.md)."""

from __future__ import annotations

from enum import StrEnum


class RoomKind(StrEnum):
    PREP = "prep"  # 网络集体备课: collective lesson preparation
    TRIAL = "trial"  # 网络试讲研讨: trial lesson and discussion
    SHOWCASE = "showcase"  # 网络展示交流: showcase with several main venues
    LIVE = "live"  # 网络直播会议: live kick-off meeting
