"""The resource library (资源): everything a studio produces — final plans, recordings, evaluation reports,
voice notes and uploaded files — in one searchable place, each item visible to the studio's members or, when
published, to anyone holding its read-only link (成果展示)."""
