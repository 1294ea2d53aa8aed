"""Studios (名师工作室): teams that last across activities, lesson-study cycles, the resource library and
attendance records. The top of the package graph: it may use every other package's public module."""
