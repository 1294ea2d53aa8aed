"""Render a lesson plan (ProseMirror JSON) as Markdown, HTML or DOCX, optionally with its comments."""
