"""Attendance and participation records (研修记录): durable stays from presence, time on a seat, per-activity
attendance, per-teacher hours (学时) and the district dashboard."""
